'use strict';
// An Express app with everything `banyan routes import` must find: nested routers and their mount
// paths (with parameters), router.route() chains, app.all, a mounted sub-app, regex-constrained
// and optional parameters, path arrays and a RegExp route. Every handler answers with its own name,
// so a test can tell which one Express chose for a request.
//   NODE_PATH=/usr/share/nodejs PORT=3000 node Tests/Scripts/express-apps/nested-routers.js
const express = require('express');

const named = (name) => (req, res) => res.json({ handler: name, params: req.params });

const app = express();
app.use(express.json());

app.get('/', named('root'));
app.all('/ping', named('ping'));
app.route('/items').get(named('items-list')).post(named('items-create'));
app.get('/orders/:id(\\d+)', named('order-by-number'));
app.get('/orders/:code([A-Z]{3}-\\d{2})', named('order-by-code'));
app.get('/files/:name.:ext', named('file'));
app.get(['/legacy/a', '/legacy/b'], named('legacy'));
app.get(/^\/regex\/(\d+)$/, named('regexp'));

const posts = express.Router({ mergeParams: true });
posts.get('/', named('posts-list'));
posts.get('/:postId', named('post'));

const users = express.Router({ mergeParams: true });
users.route('/').get(named('users-list')).post(named('users-create'));
users.route('/:userId(\\d+)').get(named('user')).put(named('user-replace')).delete(named('user-delete'));
users.patch('/:userId/avatar', named('user-avatar'));
users.use('/:userId/posts', posts);

const api = express.Router();
api.get('/status', named('api-status'));
api.use('/users', users);
app.use('/api/v1', api);

const admin = express();
admin.get('/dashboard', named('admin-dashboard'));
admin.delete('/cache/:key?', named('admin-cache'));
app.use('/admin', admin);

app.use('/assets', express.static(__dirname));
app.use((req, res) => res.status(404).json({ handler: null }));

module.exports = app;

if (require.main === module) {
  const port = Number(process.env.PORT || 3000);
  app.listen(port, '127.0.0.1', () => console.log(`nested-routers listening on http://127.0.0.1:${port}`));
}
