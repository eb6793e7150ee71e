-- ShopPort's own store (ShopPort --database PATH): the rewrite's schema, created on start when missing.
CREATE TABLE IF NOT EXISTS customers (id INTEGER PRIMARY KEY, first_name TEXT NOT NULL, last_name TEXT NOT NULL,
  email_address TEXT NOT NULL, created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL);
CREATE TABLE IF NOT EXISTS orders (order_id TEXT PRIMARY KEY, account_id INTEGER NOT NULL, amount_cents INTEGER NOT NULL,
  currency TEXT NOT NULL, status TEXT NOT NULL, placed_at TIMESTAMP NOT NULL, coupon_code TEXT,
  updated_at TIMESTAMP NOT NULL);
