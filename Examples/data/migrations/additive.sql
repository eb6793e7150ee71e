-- Safe while shop-legacy shares the database: it neither names nor needs what this adds.
ALTER TABLE users ADD COLUMN phone text;
ALTER TABLE users ADD COLUMN marketing_opt_in boolean NOT NULL DEFAULT false;
CREATE TABLE user_preferences (user_id bigint PRIMARY KEY REFERENCES users (id), locale text NOT NULL DEFAULT 'en');
CREATE INDEX orders_status ON orders (status);
