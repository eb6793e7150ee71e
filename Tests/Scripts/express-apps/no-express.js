'use strict';
// A file that has nothing to do with Express.
module.exports = { answer: 42 };
