// The backend of the request-smuggling benchmark (Benchmarks/hardening.sh): it records every byte
// each upstream connection delivers and frames the requests with Node's own strict parser
// (llhttp, as behind an Express service), after the HTTP Garden's echo-server design.
//
//   node recorder.js PORT CONTROL_PORT [LIFETIME_SECONDS]
//
// PORT (127.0.0.1) answers every request it frames with 200 and JSON: the connection id, the
// request's index on that connection, method, url, raw header list, body length and sha256. A
// head or body Node's parser refuses is recorded as a framing failure (clientError) and answered
// 400, then the connection is closed. A request without Host is framed and recorded too
// (requireHostHeader off): what matters here is how the bytes are framed.
//
// CONTROL_PORT (127.0.0.1):
//   GET  /state  every connection since the last reset: {id, raw (base64 of every byte received),
//                requests [...], errors [...], closed}
//   POST /reset  forget everything and close every upstream connection, so the next payload starts
//                on fresh connections
// The process exits when its standard input ends (the runner holds a pipe) or after
// LIFETIME_SECONDS (default 1800), whichever comes first.
'use strict';
const http = require('node:http');
const net = require('node:net');
const crypto = require('node:crypto');

const port = Number(process.argv[2]);
const controlPort = Number(process.argv[3]);
const lifetime = Number(process.argv[4] || 1800);
if (!Number.isInteger(port) || !Number.isInteger(controlPort)) {
  process.stderr.write('usage: node recorder.js PORT CONTROL_PORT [LIFETIME_SECONDS]\n');
  process.exit(2);
}

let nextId = 1;
let connections = new Map(); // id -> record
const sockets = new Map(); // id -> socket

function record(socket) {
  return connections.get(socket.recorderId);
}

const server = http.createServer({ keepAliveTimeout: 30000, requestTimeout: 0, requireHostHeader: false });
// A net.Server of our own accepts each connection and hands it to the HTTP server, so every
// byte is logged even when Node's parser refuses it.
const front = net.createServer((socket) => {
  const id = nextId++;
  socket.recorderId = id;
  const rec = { id, chunks: [], requests: [], errors: [], closed: false };
  connections.set(id, rec);
  sockets.set(id, socket);
  socket.on('close', () => {
    const current = connections.get(id);
    if (current) current.closed = true;
    sockets.delete(id);
  });
  socket.on('error', () => {});
  server.emit('connection', socket);
  // Added after the HTTP server took the socket: a 'data' listener makes it read through
  // JavaScript rather than straight from the handle, so this one sees every chunk too.
  socket.on('data', (chunk) => {
    const current = connections.get(id);
    if (current) current.chunks.push(Buffer.from(chunk));
  });
});

function describe(req, body, rec, index) {
  return {
    connection: rec ? rec.id : null,
    index,
    method: req.method,
    url: req.url,
    version: req.httpVersion,
    headers: req.rawHeaders,
    trailers: req.rawTrailers,
    bodyLength: body.length,
    sha256: crypto.createHash('sha256').update(body).digest('hex'),
    body: body.length <= 65536 ? body.toString('base64') : null,
  };
}

server.on('request', (req, res) => {
  const rec = record(req.socket);
  const index = rec ? rec.requests.length : -1;
  const entry = { index, method: req.method, url: req.url, complete: false };
  if (rec) rec.requests.push(entry);
  const parts = [];
  req.on('data', (d) => parts.push(d));
  req.on('end', () => {
    Object.assign(entry, describe(req, Buffer.concat(parts), rec, index), { complete: true });
    const text = JSON.stringify(entry);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
  req.on('error', (err) => {
    if (rec) rec.errors.push({ code: err.code || 'ERR', message: String(err.message), during: 'body' });
  });
});

// CONNECT and upgrades: recorded as requests, answered 200 (never 101) and closed.
function recordOther(kind) {
  return (req, socket, head) => {
    const rec = record(socket);
    const index = rec ? rec.requests.length : -1;
    const entry = describe(req, Buffer.from(head || []), rec, index);
    entry.kind = kind;
    entry.complete = true;
    if (rec) rec.requests.push(entry);
    const text = JSON.stringify(entry);
    socket.end(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`);
  };
}
server.on('connect', recordOther('connect'));

server.on('clientError', (err, socket) => {
  const rec = record(socket);
  if (rec) {
    rec.errors.push({
      code: err.code || 'ERR',
      reason: err.reason || String(err.message),
      bytesParsed: err.bytesParsed ?? null,
      during: 'framing',
    });
  }
  if (socket.writable) {
    socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
  } else {
    socket.destroy();
  }
});

const control = http.createServer((req, res) => {
  const send = (status, value) => {
    const text = JSON.stringify(value);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  if (req.method === 'GET' && req.url === '/state') {
    const conns = [];
    for (const rec of connections.values()) {
      conns.push({
        id: rec.id,
        raw: Buffer.concat(rec.chunks).toString('base64'),
        requests: rec.requests,
        errors: rec.errors,
        closed: rec.closed,
      });
    }
    send(200, { connections: conns });
  } else if (req.method === 'POST' && req.url === '/reset') {
    for (const socket of sockets.values()) socket.destroy();
    sockets.clear();
    connections = new Map();
    send(200, { reset: true });
  } else {
    send(404, { error: 'GET /state or POST /reset' });
  }
});

front.listen(port, '127.0.0.1', () => {
  control.listen(controlPort, '127.0.0.1', () => {
    process.stdout.write(`recorder listening on 127.0.0.1:${port}, control on 127.0.0.1:${controlPort}\n`);
  });
});

process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
setTimeout(() => process.exit(0), lifetime * 1000).unref();
