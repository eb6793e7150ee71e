'use strict';
// An Express 4 app that answers every request with what it reads of the client: req.ip, req.ips,
// req.protocol, req.secure and req.hostname. TRUST_PROXY (JSON: false, true, a hop count, or an
// address list) is its `trust proxy` setting. Run: NODE_PATH=/usr/share/nodejs PORT=N node trust-proxy.js
const express = require('express');

const app = express();
app.set('trust proxy', JSON.parse(process.env.TRUST_PROXY ?? 'false'));
app.use((req, res) => {
  res.json({ ip: req.ip, ips: req.ips, protocol: req.protocol, secure: req.secure, hostname: req.hostname });
});

const port = Number(process.env.PORT ?? 3000);
app.listen(port, '127.0.0.1', () => console.log(`trust-proxy listening on http://127.0.0.1:${port}`));
