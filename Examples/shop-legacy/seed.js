'use strict';

// Deterministic seed data for shop-legacy. Everything the service serves at start-up
// comes from here, so a later step can load the same rows into a database instead.

const users = [
  { id: 1, name: 'Ada', email: 'ada@example.com' },
  { id: 2, name: 'Linus', email: 'linus@example.com' },
  { id: 3, name: 'Grace', email: 'grace@example.com' },
  { id: 4, name: 'Alan', email: 'alan@example.com' },
  { id: 5, name: 'Barbara', email: 'barbara@example.com' },
  { id: 6, name: 'Dennis', email: 'dennis@example.com' },
  { id: 7, name: 'Ken', email: 'ken@example.com' },
  { id: 8, name: 'Margaret', email: 'margaret@example.com' },
  { id: 9, name: 'Edsger', email: 'edsger@example.com' },
  { id: 10, name: 'Donald', email: 'donald@example.com' },
  { id: 11, name: 'Frances', email: 'frances@example.com' },
  { id: 12, name: 'Tim', email: 'tim@example.com' },
];

// accountId is a 64-bit id beyond 2^53, so it travels as a string.
// coupon is optional: absent on ord_123, present on ord_124.
const orders = [
  {
    id: 'ord_123',
    accountId: '9007199254740993',
    amountCents: 4999,
    currency: 'USD',
    status: 'paid',
    createdAt: '2026-06-02T10:00:00.000Z',
  },
  {
    id: 'ord_124',
    accountId: '9007199254740995',
    amountCents: 12950,
    currency: 'EUR',
    status: 'shipped',
    createdAt: '2026-06-03T14:25:07.250Z',
    coupon: 'SPRING10',
  },
];

// Base prices for GET /price/:symbol.
const basePrices = [
  ['AAPL', 190.0],
  ['MSFT', 410.0],
  ['GOOG', 175.5],
  ['AMZN', 185.25],
  ['NVDA', 120.75],
  ['TSLA', 250.1],
];

// Unit prices in cents for POST /checkout; an unknown SKU costs 0.
const skuPrices = [
  ['BOOK-1', 1500],
  ['PEN-9', 200],
  ['MUG-3', 899],
];

// First id handed out by POST /articles.
const firstArticleId = 101;

module.exports = { users, orders, basePrices, skuPrices, firstArticleId };
