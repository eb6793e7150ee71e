-- Breaks shop-legacy while it shares the database: it still reads users.full_name, and its
-- INSERT INTO users names no country.
ALTER TABLE users RENAME COLUMN full_name TO name;
ALTER TABLE users ADD COLUMN country text NOT NULL;
ALTER TABLE users ADD COLUMN tier text NOT NULL DEFAULT 'standard';
