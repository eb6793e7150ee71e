#!/usr/bin/env node
// Checks Tests/BanyanCoreTests/Resources/route-cases.json against the real Express installed on
// this machine (Debian's node-express 4.18.2, patched to use path-to-regexp 6.2.1): each case's
// "4-debian" expectation (its flavour override, or "expect") must be what Express answers.
//
//   NODE_PATH=/usr/share/nodejs node Tests/Scripts/verify-route-cases.js [cases.json]
//
// Prints each failure and a final line "N passed, M failed"; exits 1 on any failure.
'use strict';

const fs = require('fs');
const net = require('net');
const path = require('path');
const express = require('express');

const casesPath = process.argv[2] || path.join(__dirname, '..', 'BanyanCoreTests', 'Resources', 'route-cases.json');
const cases = JSON.parse(fs.readFileSync(casesPath, 'utf8'));

function expectationFor(testCase) {
  const override = testCase.flavors && testCase.flavors['4-debian'];
  return override || testCase.expect;
}

function buildApp(patterns) {
  const app = express();
  patterns.forEach((pattern, index) => {
    app.get(pattern, (req, res) => res.json({ route: index, params: req.params }));
  });
  app.use((err, req, res, next) => {
    res.status(err.status || 500).json({ error: err.message });
  });
  return app;
}

// One request over a raw socket, so the request target goes out byte for byte as written.
function send(port, target) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks = [];
    socket.on('connect', () => {
      socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`, 'latin1');
    });
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
      const body = text.slice(text.indexOf('\r\n\r\n') + 4);
      resolve({ status, body });
    });
  });
}

function sameParams(actual, expected) {
  const a = Object.keys(actual).sort();
  const e = Object.keys(expected).sort();
  return a.length === e.length && a.every((key, i) => key === e[i] && actual[key] === expected[key]);
}

async function check(testCase) {
  const patterns = testCase.patterns || [testCase.pattern];
  const expect = expectationFor(testCase);
  let app;
  try {
    app = buildApp(patterns);
  } catch (error) {
    if (expect.registerError) return null;
    return `registration threw ${error.message}`;
  }
  if (expect.registerError) return 'registration succeeded; expected it to throw';

  const server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  try {
    const { status, body } = await send(server.address().port, testCase.target || testCase.path);
    if (expect.status === 400) {
      if (status !== 400) return `status ${status}, expected 400 (${body})`;
      const wanted = `Failed to decode param '${expect.raw}'`;
      const message = JSON.parse(body).error;
      return message === wanted ? null : `error "${message}", expected "${wanted}"`;
    }
    if (!expect.match) return status === 404 ? null : `status ${status}, expected 404 (${body})`;
    if (status !== 200) return `status ${status}, expected 200`;
    const answer = JSON.parse(body);
    if (!sameParams(answer.params, expect.params)) {
      return `params ${JSON.stringify(answer.params)}, expected ${JSON.stringify(expect.params)}`;
    }
    if (expect.route !== undefined && answer.route !== expect.route) {
      return `route ${answer.route} answered, expected route ${expect.route}`;
    }
    return null;
  } finally {
    server.close();
  }
}

(async () => {
  let passed = 0;
  let failed = 0;
  for (const [index, testCase] of cases.entries()) {
    let failure;
    try {
      failure = await check(testCase);
    } catch (error) {
      failure = `check failed: ${error.stack || error}`;
    }
    if (failure) {
      failed += 1;
      const patterns = (testCase.patterns || [testCase.pattern]).join(', ');
      console.log(`FAIL #${index + 1} ${patterns} ${testCase.target || testCase.path}: ${failure}`);
    } else {
      passed += 1;
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
})();
