-- shop-legacy's schema (Examples/shop-legacy/store.js), the database legacy and the rewrite share.
CREATE TABLE IF NOT EXISTS users (
  id bigint PRIMARY KEY, full_name text NOT NULL, email text NOT NULL,
  created_at bigint NOT NULL, updated_at bigint NOT NULL);
CREATE TABLE IF NOT EXISTS orders (
  id text PRIMARY KEY, account_id text NOT NULL, amount_cents bigint NOT NULL, currency text NOT NULL,
  status text NOT NULL, created_at bigint NOT NULL, coupon text, updated_at bigint NOT NULL);
