-- The rewrite's (ShopPort's) schema for users and orders, as a rewrite changes it: a table renamed,
-- full_name split in two, email renamed, epoch milliseconds turned into timestamps.
CREATE TABLE IF NOT EXISTS customers (
  id bigint PRIMARY KEY,
  first_name text NOT NULL,
  last_name text NOT NULL,
  email_address text NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS orders (
  order_id text PRIMARY KEY,
  account_id bigint NOT NULL,
  amount_cents bigint NOT NULL,
  currency text NOT NULL,
  status text NOT NULL,
  placed_at timestamptz NOT NULL,
  coupon_code text,
  updated_at timestamptz NOT NULL
);
