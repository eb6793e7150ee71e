'use strict';
// A file that loads Express but never creates an app.
const express = require('express');

module.exports = { router: express.Router() };
