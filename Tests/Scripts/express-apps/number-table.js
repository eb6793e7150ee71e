'use strict';

// Serves the values of express-wire.md's JSON number table through res.json, so that the contract
// tests can hold the generated Rust and Swift types to the bytes Express prints for each of them.
// Run: NODE_PATH=/usr/share/nodejs PORT=3000 node number-table.js

const express = require('express');

const table = () => ({
  one: 1.0,
  negativeZero: -0,
  e15: 1e15,
  e16: 1e16,
  e20: 1e20,
  e21: 1e21,
  micro: 0.000001,
  e7: 1e-7,
  sum: 0.1 + 0.2,
  above53: 2 ** 53 + 1,
  numericString: Number('12345678901234567890'),
  negativeSmall: -1e-7,
  largest: Number.MAX_VALUE,
  smallest: Number.MIN_VALUE,
  notANumber: NaN,
});

const app = express();
app.get('/numbers', (req, res) => res.json(table()));
app.get('/numbers/list', (req, res) => res.json(Object.values(table())));
app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
