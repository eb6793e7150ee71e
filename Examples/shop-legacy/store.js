'use strict';

// Where shop-legacy keeps users and orders.
//
// Without DATABASE_URL everything lives in memory, seeded from seed.js on start (the default, and
// what the wire tests expect). With DATABASE_URL=postgres://… users and orders live in PostgreSQL
// through `pg`, in the legacy schema (full_name, epoch-millisecond numbers). With NEW_DATABASE_URL
// as well, every write is dual-written: the legacy store first (its failure fails the request),
// then the new store in the rewrite's schema, best-effort: a failure there is logged and counted,
// never propagated. See docs/dual-write.md.

const fs = require('fs');
const path = require('path');
const seed = require('./seed');

// Seed rows get fixed creation times so that every database starts identical.
const SEED_CREATED_AT = Date.UTC(2026, 0, 1);

function memoryStore() {
  const users = new Map(seed.users.map((u) => [u.id, { ...u }]));
  let nextUserId = Math.max(0, ...seed.users.map((u) => u.id)) + 1;
  const orders = new Map(seed.orders.map((o) => [o.id, { ...o, createdAt: new Date(o.createdAt) }]));
  return {
    kind: 'memory',
    async listUsers() {
      return [...users.values()].sort((a, b) => a.id - b.id);
    },
    async getUser(id) {
      return users.get(id);
    },
    async createUser(name, email) {
      const user = { id: nextUserId++, name, email };
      users.set(user.id, user);
      return user;
    },
    async deleteUser(id) {
      users.delete(id);
    },
    async getOrder(id) {
      return orders.get(id);
    },
  };
}

const LEGACY_SCHEMA = `
CREATE TABLE IF NOT EXISTS users (
  id bigint PRIMARY KEY, full_name text NOT NULL, email text NOT NULL,
  created_at bigint NOT NULL, updated_at bigint NOT NULL);
CREATE TABLE IF NOT EXISTS orders (
  id text PRIMARY KEY, account_id text NOT NULL, amount_cents bigint NOT NULL, currency text NOT NULL,
  status text NOT NULL, created_at bigint NOT NULL, coupon text, updated_at bigint NOT NULL);
`;

function orderFromRow(row) {
  const order = {
    id: row.id,
    accountId: row.account_id,
    amountCents: Number(row.amount_cents),
    currency: row.currency,
    status: row.status,
    createdAt: new Date(Number(row.created_at)),
  };
  if (row.coupon !== null) order.coupon = row.coupon;
  return order;
}

// The rewrite's store, written best-effort: its schema differs the way rewrites do.
function shadowWriter(url) {
  const { Pool } = require('pg');
  const pool = new Pool({ connectionString: url, max: 4 });
  const schema = fs.readFileSync(path.join(__dirname, 'new-schema.postgres.sql'), 'utf8');
  // A new store that is down must not take the service down: errors are only counted.
  pool.on('error', () => {});
  let ready = null; // the schema, created once the new store answers (retried until then)
  const ensureSchema = () => {
    if (!ready) {
      ready = pool.query(schema).catch((error) => {
        ready = null;
        throw error;
      });
    }
    return ready;
  };
  let failures = 0;
  async function attempt(table, id, work) {
    try {
      await ensureSchema();
      await work(pool);
    } catch (error) {
      failures += 1;
      console.error(`shadow write failed for id=${id} (${error.message}); request still succeeds`);
      console.error(
        JSON.stringify({ event: 'dual_write_shadow_failure', table, id, error: error.message, dual_write_shadow_failures: failures })
      );
    }
  }
  return {
    get failures() {
      return failures;
    },
    upsertUser(user, createdAt, updatedAt) {
      const space = user.name.indexOf(' ');
      const first = space < 0 ? user.name : user.name.slice(0, space);
      const last = space < 0 ? '' : user.name.slice(space + 1);
      return attempt('customers', user.id, (db) =>
        db.query(
          `INSERT INTO customers (id, first_name, last_name, email_address, created_at, updated_at)
           VALUES ($1, $2, $3, $4, to_timestamp($5 / 1000.0), to_timestamp($6 / 1000.0))
           ON CONFLICT (id) DO UPDATE SET first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name,
             email_address = EXCLUDED.email_address, created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at
           WHERE customers.updated_at IS NULL OR EXCLUDED.updated_at > customers.updated_at`,
          [user.id, first, last, user.email, createdAt, updatedAt]
        )
      );
    },
    deleteUser(id) {
      return attempt('customers', id, (db) => db.query('DELETE FROM customers WHERE id = $1', [id]));
    },
    end() {
      return pool.end();
    },
  };
}

async function postgresStore(url, newUrl) {
  const pg = require('pg');
  pg.types.setTypeParser(20, (text) => text); // bigint stays text; converted where read
  const pool = new pg.Pool({ connectionString: url, max: 8 });
  await pool.query(LEGACY_SCHEMA);
  const { rows: counted } = await pool.query('SELECT count(*)::int AS n FROM users');
  if (counted[0].n === 0) {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      for (const u of seed.users) {
        const at = SEED_CREATED_AT + u.id * 1000;
        await client.query(
          'INSERT INTO users (id, full_name, email, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) ON CONFLICT DO NOTHING',
          [u.id, u.name, u.email, at]
        );
      }
      for (const o of seed.orders) {
        const at = Date.parse(o.createdAt);
        await client.query(
          `INSERT INTO orders (id, account_id, amount_cents, currency, status, created_at, coupon, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $6) ON CONFLICT DO NOTHING`,
          [o.id, o.accountId, o.amountCents, o.currency, o.status, at, o.coupon ?? null]
        );
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    } finally {
      client.release();
    }
  }
  const { rows: top } = await pool.query('SELECT coalesce(max(id), 0)::int AS max FROM users');
  let nextUserId = Math.max(top[0].max, ...seed.users.map((u) => u.id)) + 1;
  const shadow = newUrl ? shadowWriter(newUrl) : null;
  const toUser = (row) => ({ id: Number(row.id), name: row.full_name, email: row.email });
  return {
    kind: 'postgres',
    shadow,
    async listUsers() {
      const { rows } = await pool.query('SELECT id, full_name, email FROM users ORDER BY id');
      return rows.map(toUser);
    },
    async getUser(id) {
      if (!Number.isSafeInteger(id)) return undefined;
      const { rows } = await pool.query('SELECT id, full_name, email FROM users WHERE id = $1', [id]);
      return rows.length ? toUser(rows[0]) : undefined;
    },
    async createUser(name, email) {
      const user = { id: nextUserId++, name, email };
      const now = Date.now();
      // Legacy first: its failure fails the request.
      await pool.query('INSERT INTO users (id, full_name, email, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)', [
        user.id,
        name,
        email,
        now,
      ]);
      if (shadow) await shadow.upsertUser(user, now, now);
      return user;
    },
    async deleteUser(id) {
      if (!Number.isSafeInteger(id)) return;
      await pool.query('DELETE FROM users WHERE id = $1', [id]);
      if (shadow) await shadow.deleteUser(id);
    },
    async getOrder(id) {
      const { rows } = await pool.query('SELECT * FROM orders WHERE id = $1', [id]);
      return rows.length ? orderFromRow(rows[0]) : undefined;
    },
  };
}

async function openStore(env) {
  if (!env.DATABASE_URL) return memoryStore();
  return postgresStore(env.DATABASE_URL, env.NEW_DATABASE_URL);
}

module.exports = { openStore };
