'use strict';
// An Express 4 app whose answers exercise what a proxy could change on the wire: chunking,
// header spelling and order, HEAD, 304, trailers, 103 Early Hints, 100-continue and
// Connection: close. Run: NODE_PATH=/usr/share/nodejs PORT=N node wire.js
const express = require('express');

const app = express();
app.use(express.json());

app.get('/json', (req, res) => {
  res.set('X-Mixed-CASE-Name', 'kept').set('cache-control', 'no-store');
  res.json({ hello: 'world' });
});

app.get('/chunked', (req, res) => {
  res.type('text/plain');
  res.write('first chunk\n');
  setTimeout(() => {
    res.write('second chunk\n');
    res.end();
  }, 20);
});

app.get('/trailers', (req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain', Trailer: 'X-Checksum' });
  res.write('body');
  res.addTrailers({ 'X-Checksum': 'abc123' });
  res.end();
});

app.get('/hints', (req, res) => {
  res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
  res.json({ hinted: true });
});

app.get('/close', (req, res) => {
  res.set('Connection', 'close');
  res.json({ closing: true });
});

app.get('/etag', (req, res) => {
  res.set('ETag', '"v1"');
  res.json({ cached: 'value' });
});

app.post('/echo', (req, res) => {
  res.status(201).json(req.body);
});

const port = Number(process.env.PORT ?? 3000);
app.listen(port, '127.0.0.1', () => console.log(`wire listening on http://127.0.0.1:${port}`));
