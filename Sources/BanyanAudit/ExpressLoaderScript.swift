/// The JavaScript that `routes import` runs with `node` to read an Express app's router.
///
/// It is kept in the binary rather than beside it so that an installed `banyan` needs no data
/// files to import routes. It stubs `listen` on every server, hooks `require` so that every copy
/// of Express the app loads records the apps it creates and the paths given to `use()`, requires
/// the app file, waits a moment for routes registered asynchronously, then walks the router and
/// writes a JSON report (see ``ExpressRouteLoader``).
enum ExpressLoaderScript {
    static let source = #"""
        'use strict';
        // Loads an Express application without letting it listen and writes its router as JSON.
        //   node loader.js OUT.json APP.js
        // Always exits 0 after writing OUT.json; a load that failed is described in its "error" member.
        const fs = require('fs');
        const path = require('path');
        const http = require('http');
        const net = require('net');
        const Module = require('module');

        const outPath = process.argv[2];
        const appPath = path.resolve(process.argv[3]);
        const settleMs = Number(process.env.BANYAN_SETTLE_MS || 200);
        const created = [];
        const expressInfo = [];
        let written = false;

        function write(report) {
          if (written) return;
          written = true;
          fs.writeFileSync(outPath, JSON.stringify(report));
        }

        // Nothing may listen: the app is inspected, never served.
        function noListen() {
          return this;
        }
        http.Server.prototype.listen = noListen;
        net.Server.prototype.listen = noListen;

        function usePath(args) {
          // The same reading of app.use / router.use arguments as Express 4.
          const first = args[0];
          if (typeof first === 'function') return '/';
          let arg = first;
          while (Array.isArray(arg) && arg.length !== 0) arg = arg[0];
          return typeof arg === 'function' ? '/' : first;
        }

        function flatFunctions(args) {
          const list = [];
          const visit = (value) => {
            if (Array.isArray(value)) value.forEach(visit);
            else if (typeof value === 'function') list.push(value);
          };
          const start = usePath(args) === args[0] && typeof args[0] !== 'function' ? 1 : 0;
          for (let i = start; i < args.length; i++) visit(args[i]);
          return list;
        }

        function isApp(value) {
          return typeof value === 'function' && typeof value.handle === 'function' && typeof value.set === 'function'
            && typeof value.use === 'function';
        }

        function routerOf(app) {
          if (app._router) return app._router;
          try {
            return app.router && app.router.stack ? app.router : undefined;
          } catch (error) {
            return undefined;
          }
        }

        function patchExpress(express, file) {
          if (typeof express !== 'function' || !express.application || express.__banyanPatched) return;
          express.__banyanPatched = true;
          let version;
          let pathToRegexp;
          try {
            let dir = path.dirname(file);
            while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
            version = require(path.join(dir, 'package.json')).version;
            const ptr = require.resolve('path-to-regexp/package.json', { paths: [dir] });
            pathToRegexp = require(ptr).version;
          } catch (error) {
            // Versions are informative only.
          }
          expressInfo.push({ file, version, pathToRegexp });
          const application = express.application;
          const init = application.init;
          application.init = function banyanInit() {
            created.push(this);
            return init.apply(this, arguments);
          };
          const appUse = application.use;
          application.use = function banyanAppUse() {
            const router = routerOf(this);
            const before = router ? router.stack.length : 0;
            const result = appUse.apply(this, arguments);
            const after = routerOf(this);
            if (after) {
              const fns = flatFunctions([...arguments]);
              const layers = after.stack.slice(router ? before : after.stack.length - fns.length);
              layers.forEach((layer, index) => {
                if (isApp(fns[index])) layer.__banyanApp = fns[index];
              });
            }
            return result;
          };
          // Express 4 keeps router methods on the Router function itself, Express 5 on its prototype.
          const Router = express.Router;
          const owner = Router && (typeof Router.use === 'function' ? Router : Router.prototype);
          if (owner && typeof owner.use === 'function') {
            const routerUse = owner.use;
            owner.use = function banyanRouterUse() {
              const before = this.stack.length;
              const result = routerUse.apply(this, arguments);
              const mount = usePath([...arguments]);
              for (let i = before; i < this.stack.length; i++) this.stack[i].__banyanPath = mount;
              return result;
            };
          }
        }

        const load = Module._load;
        Module._load = function banyanLoad(request, parent, isMain) {
          const exported = load.apply(this, arguments);
          if (typeof exported === 'function' && exported.application && exported.Router) {
            try {
              patchExpress(exported, Module._resolveFilename(request, parent, isMain));
            } catch (error) {
              patchExpress(exported, request);
            }
          }
          return exported;
        };

        function describePath(value) {
          if (value instanceof RegExp) return [{ regexp: String(value) }];
          if (Array.isArray(value)) return value.flatMap(describePath);
          if (typeof value === 'string') return [{ path: value }];
          return [{ unknown: String(value) }];
        }

        // Recovers a mount path Express compiled when no use() call recorded it.
        function layerMount(layer) {
          if (layer.__banyanPath !== undefined) return describePath(layer.__banyanPath);
          if (layer.regexp && layer.regexp.fast_slash) return [{ path: '/' }];
          return [{ regexp: String(layer.regexp), keys: (layer.keys || []).map((key) => String(key.name)) }];
        }

        function walk(stack, prefix, routes, mounts, seen) {
          for (const layer of stack) {
            if (layer.route) {
              const route = layer.route;
              const methods = [];
              for (const inner of route.stack || []) {
                const method = inner.method ? inner.method.toUpperCase() : 'ALL';
                if (!methods.includes(method)) methods.push(method);
              }
              // app.all() registers every method Node knows on one route: that is ALL.
              if (http.METHODS.every((method) => methods.includes(method))) methods.splice(0, methods.length, 'ALL');
              if (methods.length === 0) {
                for (const key of Object.keys(route.methods || {})) {
                  methods.push(key === '_all' ? 'ALL' : key.toUpperCase());
                }
              }
              routes.push({ mount: prefix, path: describePath(route.path), methods });
              continue;
            }
            const handle = layer.__banyanApp || layer.handle;
            const child = isApp(handle) ? routerOf(handle) : handle;
            if (child && Array.isArray(child.stack) && !seen.has(child)) {
              seen.add(child);
              walk(child.stack, prefix.concat([layerMount(layer)]), routes, mounts, seen);
              continue;
            }
            mounts.push({ mount: prefix.concat([layerMount(layer)]), name: layer.name || '<anonymous>' });
          }
        }

        function chooseApp(exported) {
          const candidates = [exported, exported && exported.app, exported && exported.default];
          for (const value of candidates) if (isApp(value)) return { app: value, how: 'exported' };
          const top = created.filter((app) => !app.parent);
          const withRoutes = top.filter((app) => routerOf(app));
          if (withRoutes.length > 0) return { app: withRoutes[0], how: 'created', count: top.length };
          if (top.length > 0) return { app: top[0], how: 'created', count: top.length };
          return undefined;
        }

        // app.get('trust proxy') as Express's compileTrust reads it.
        function trustProxy(value) {
          if (value === true) return { kind: 'all' };
          if (value === false || value === undefined || value === null) return { kind: 'off' };
          if (typeof value === 'number') return { kind: 'hops', value };
          if (typeof value === 'string') return { kind: 'addresses', value: value.split(',').map((s) => s.trim()) };
          if (Array.isArray(value)) return { kind: 'addresses', value: value.map(String) };
          return { kind: 'function' };
        }

        function finish(exported, loadError) {
          const report = { express: expressInfo, apps: created.length };
          if (loadError) {
            const text = String((loadError && loadError.stack) || loadError).split('\n');
            const own = text.findIndex((line) => line.includes(__filename));
            report.error = { kind: 'threw', message: (own > 0 ? text.slice(0, own) : text).join('\n') };
            write(report);
            return;
          }
          const chosen = chooseApp(exported);
          if (!chosen) {
            report.error = { kind: expressInfo.length ? 'no-app' : 'no-express' };
            write(report);
            return;
          }
          report.how = chosen.how;
          report.topLevelApps = chosen.count || 1;
          report.trustProxy = trustProxy(chosen.app.get('trust proxy'));
          const routes = [];
          const mounts = [];
          const router = routerOf(chosen.app);
          if (router) walk(router.stack, [], routes, mounts, new Set([router]));
          report.routes = routes;
          report.mounts = mounts;
          write(report);
        }

        process.argv = [process.argv[0], appPath];
        process.on('exit', () => write({ express: expressInfo, apps: created.length, error: { kind: 'exited' } }));
        let exported;
        try {
          exported = require(appPath);
        } catch (error) {
          finish(undefined, error);
          process.exit(0);
        }
        setTimeout(() => {
          finish(exported);
          process.exit(0);
        }, settleMs);
        """#
}
