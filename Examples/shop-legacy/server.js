'use strict';

// shop-legacy: the Express 4 service that the Banyan examples migrate, one route at a time.
// Run: NODE_PATH=/usr/share/nodejs NODE_ENV=production PORT=3000 HOST=127.0.0.1 node server.js
// Users and orders live in memory unless DATABASE_URL names a PostgreSQL database (store.js).

const express = require('express');
const seed = require('./seed');
const { openStore } = require('./store');
const { WebSocketServer } = require('ws');

const PRICE_LOOP_N = 1000000;
const PRICE_SCALE = 1e10;

// SHOP_STORE_LATENCY_MS makes every route that reads or writes the user, order and article store
// wait that long first, like a database round trip would, so the workload has I/O-bound routes
// to measure (`banyan plan`). Unset or 0, the default, the handlers run as they always did.
const STORE_LATENCY_MS = Number(process.env.SHOP_STORE_LATENCY_MS ?? 0);

function fromStore(handler) {
  if (!(STORE_LATENCY_MS > 0)) return handler;
  return (req, res, next) => setTimeout(() => handler(req, res, next), STORE_LATENCY_MS);
}

// ---- state (users and orders in the store; the rest in memory, seeded deterministically) ----

let store;

const basePrices = new Map(seed.basePrices);
const skuPrices = new Map(seed.skuPrices);

const articles = new Map();
let nextArticleId = seed.firstArticleId;

// ---- pure helpers ----

// CPU-bound on purpose: the pricing slice is the "hot path" a migration targets first.
function priceAdjustment() {
  let sum = 0;
  for (let n = 1; n <= PRICE_LOOP_N; n++) {
    sum += Math.sqrt(n);
  }
  return sum / PRICE_SCALE;
}

function isLeapYear(y) {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

// Returns the day of the year (1..366) or null when the date is invalid.
function dayOfYear(text) {
  const parts = String(text).split('-');
  if (parts.length !== 3) return null;
  const [y, m, d] = parts.map(Number);
  if (!Number.isInteger(y) || !Number.isInteger(m) || !Number.isInteger(d)) return null;
  if (m < 1 || m > 12) return null;
  const lengths = MONTH_DAYS.slice();
  if (isLeapYear(y)) lengths[1] = 29;
  if (d < 1 || d > lengths[m - 1]) return null;
  let day = d;
  for (let i = 0; i < m - 1; i++) day += lengths[i];
  return day;
}

// ---- app ----

const app = express();
app.use(express.json());

app.get('/health', (req, res) => {
  res.json({ status: 'ok' });
});

// Store failures reach Express's error handler (a 500), as a synchronous throw would.
// With SHOP_STORE_LATENCY_MS set, a store round trip also waits that long (see fromStore).
const wrap = (handler) => fromStore((req, res, next) => handler(req, res).catch(next));

app.get('/users', wrap(async (req, res) => {
  const limit = Number(req.query.limit ?? 10);
  const list = (await store.listUsers()).slice(0, limit);
  res.json(list);
}));

app.get('/users/:id', wrap(async (req, res) => {
  const user = await store.getUser(Number(req.params.id));
  if (!user) {
    res.status(404).json({ error: 'User not found' });
    return;
  }
  res.json(user);
}));

app.post('/users', wrap(async (req, res) => {
  const body = req.body;
  const name = typeof body.name === 'string' ? body.name.trim() : '';
  if (name === '') {
    res.status(400).json({ error: 'name is required' });
    return;
  }
  const email = body.email;
  if (typeof email !== 'string' || !email.includes('@')) {
    res.status(400).json({ error: 'email is invalid' });
    return;
  }
  const user = await store.createUser(name, email);
  res.status(201).json(user);
}));

app.delete('/users/:id', wrap(async (req, res) => {
  await store.deleteUser(Number(req.params.id));
  res.status(204).end();
}));

app.get('/orders/:id', wrap(async (req, res) => {
  const order = await store.getOrder(req.params.id);
  if (!order) {
    res.status(404).json({ error: { code: 'ORDER_NOT_FOUND', message: 'Order not found' } });
    return;
  }
  res.set('Cache-Control', 'private, max-age=30');
  res.json(order);
}));

app.post('/articles', fromStore((req, res) => {
  const body = req.body;
  if (typeof body.title !== 'string' || body.title.trim() === '') {
    res.status(400).json({ error: 'title is required' });
    return;
  }
  const article = {
    id: nextArticleId++,
    title: body.title,
    tags: Array.isArray(body.tags) ? body.tags : [],
  };
  articles.set(article.id, article);
  res.status(201).location(`/articles/${article.id}`).json(article);
}));

// The symbol is upper-cased before the lookup: /price/aapl answers as AAPL.
app.get('/price/:symbol', (req, res) => {
  const symbol = req.params.symbol.toUpperCase();
  const base = basePrices.get(symbol);
  if (base === undefined) {
    res.status(404).json({ error: 'unknown symbol' });
    return;
  }
  res.json({ symbol, price: base + priceAdjustment(), computedBy: 'node' });
});

app.post('/checkout', (req, res) => {
  const body = req.body;
  const userId = body.userId;
  if (typeof userId !== 'number' && typeof userId !== 'string') {
    res.status(400).json({ error: 'userId is required' });
    return;
  }
  const items = Array.isArray(body.items) ? body.items : [];
  let total = 0;
  for (const item of items) {
    const sku = item !== null && typeof item === 'object' ? item.sku : undefined;
    const qty = item !== null && typeof item === 'object' && typeof item.qty === 'number' ? item.qty : 0;
    total += (skuPrices.get(sku) ?? 0) * qty;
  }
  res.json({ orderId: `ord_${userId}`, total, status: 'confirmed' });
});

app.get('/day-of-year', (req, res) => {
  const date = req.query.date;
  const day = typeof date === 'string' ? dayOfYear(date) : null;
  if (day === null) {
    res.status(400).json({ error: 'date is invalid' });
    return;
  }
  res.json({ date, dayOfYear: day });
});

// GET /live is a WebSocket (Debian's node-ws): every message comes back as it was sent. A plain
// GET gets 426, as a client that forgot the upgrade should.
app.get('/live', (req, res) => {
  res.status(426).set('Upgrade', 'websocket').json({ error: 'GET /live is a WebSocket; send Upgrade: websocket' });
});

const live = new WebSocketServer({ noServer: true });
live.on('connection', (socket) => {
  socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
});

function acceptUpgrade(req, socket, head) {
  const path = req.url.split('?')[0];
  if (path !== '/live' || String(req.headers.upgrade).toLowerCase() !== 'websocket') {
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  live.handleUpgrade(req, socket, head, (ws) => live.emit('connection', ws, req));
}

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';
openStore(process.env).then(
  (opened) => {
    store = opened;
    const server = app.listen(port, host, () => {
      console.log(`shop-legacy listening on http://${host}:${port}`);
    });
    server.on('upgrade', acceptUpgrade);
  },
  (error) => {
    console.error(`shop-legacy: cannot open the store: ${error.message}`);
    process.exit(1);
  }
);
