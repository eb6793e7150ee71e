'use strict';
// An app file that fails while loading: `banyan routes import` must say so, with the cause.
const express = require('express');

const app = express();
app.get('/never', (req, res) => res.end());
throw new Error('DATABASE_URL is not set');
