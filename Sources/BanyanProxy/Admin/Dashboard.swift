/// The dashboard: one HTML page and its script, served by the admin listener (no build step, no
/// network beyond the admin API). docs/dashboard.md describes it.
enum Dashboard {
    /// Scripts only from this listener; styles inline; requests only to this listener.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; "
        + "frame-ancestors 'none'; base-uri 'none'"

    /// What a browser without a valid token sees.
    static let signIn = """
        <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Banyan</title>
        <link rel="icon" href="data:,"></head><body style="font: 14px system-ui, sans-serif; margin: 2rem">
        <h1>Banyan</h1><p>This dashboard needs the admin token (or the read-only token): open
        <code>/?token=TOKEN</code> once; the browser then keeps it in a cookie for this address.</p></body></html>
        """

    static let page = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Banyan</title>
        <link rel="icon" href="data:,">
        <style>
        :root { --fg: #1d2430; --muted: #5d6675; --line: #d9dee6; --bg: #f6f7f9; --accent: #2f6b3a; --bad: #b42318;
          --warn: #9a6700; --add: #e6f4ea; --del: #fdecea; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 14px/1.4 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
        header { display: flex; gap: 1rem; align-items: center; padding: .6rem 1rem; background: #fff;
          border-bottom: 1px solid var(--line); flex-wrap: wrap; }
        header h1 { font-size: 1.1rem; margin: 0; }
        .muted { color: var(--muted); }
        .badge { border: 1px solid var(--line); border-radius: 1rem; padding: 0 .5rem; font-size: .8rem; }
        .live { color: var(--accent); }
        .stale { color: var(--bad); }
        main { padding: 1rem; display: grid; gap: 1rem; }
        section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .8rem; overflow-x: auto; }
        h2 { font-size: 1rem; margin: 0 0 .6rem; }
        table { border-collapse: collapse; width: 100%; }
        th, td { text-align: left; padding: .3rem .4rem; border-bottom: 1px solid var(--line); vertical-align: top; }
        #routes { font-size: 13px; }
        #routes th[scope=row], td.num, .actions, #events td:first-child { white-space: nowrap; }
        th { font-weight: 600; color: var(--muted); font-size: .8rem; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; }
        .changed { font-weight: 600; color: var(--warn); }
        .bad { color: var(--bad); font-weight: 600; }
        button { font: inherit; padding: .2rem .6rem; border: 1px solid var(--line); border-radius: 4px; background: #fff;
          cursor: pointer; }
        button:focus-visible, a:focus-visible, input:focus-visible, select:focus-visible { outline: 2px solid #1f6feb;
          outline-offset: 1px; }
        button.danger { border-color: var(--bad); color: var(--bad); }
        button.primary { border-color: var(--accent); color: var(--accent); }
        .actions { display: flex; gap: .3rem; }
        #message { min-height: 1.4rem; }
        #message.error { color: var(--bad); font-weight: 600; }
        .pair { display: grid; grid-template-columns: 1fr 1fr; gap: .8rem; }
        .side { border: 1px solid var(--line); border-radius: 4px; padding: .5rem; min-width: 0; }
        .side h3 { margin: 0 0 .4rem; font-size: .9rem; }
        pre { margin: 0; white-space: pre-wrap; word-break: break-all; font: 12px/1.4 ui-monospace, monospace; }
        .line.differs { background: var(--del); }
        .side.candidate .line.differs { background: var(--add); }
        mark { background: #ffe08a; }
        dialog { border: 1px solid var(--line); border-radius: 6px; max-width: 32rem; }
        dialog label { display: block; margin: .6rem 0; }
        dialog input, dialog select { font: inherit; width: 100%; }
        </style>
        </head>
        <body>
        <header>
          <h1>Banyan</h1>
          <span id="upstreams" class="muted"></span>
          <span id="live" class="badge stale" aria-live="polite">connecting…</span>
          <span id="role" class="badge"></span>
          <span style="flex: 1"></span>
          <button id="rollback-all" class="danger" type="button">Roll back all</button>
        </header>
        <main>
          <div id="message" role="status" aria-live="polite"></div>
          <section aria-labelledby="routes-title">
            <h2 id="routes-title">Routes</h2>
            <table id="routes">
              <thead><tr>
                <th scope="col">Route</th><th scope="col">Mode (file)</th><th scope="col">req/s</th>
                <th scope="col">Legacy / candidate share</th><th scope="col">5xx legacy / candidate</th>
                <th scope="col">p50 / p99 legacy ms</th><th scope="col">p50 / p99 candidate ms</th>
                <th scope="col">Compared</th><th scope="col">At or above fail_at</th><th scope="col">Top kinds</th>
                <th scope="col">Open tunnels</th><th scope="col">Data phase</th><th scope="col">Actions</th>
              </tr></thead>
              <tbody></tbody>
            </table>
          </section>
          <section id="route-page" aria-labelledby="route-title" hidden>
            <h2 id="route-title"></h2>
            <p><a href="#">Back to every route</a> ·
              <label><input type="checkbox" id="hide-minor" checked> Hide noise and cosmetic differences</label></p>
            <table id="differences">
              <thead><tr><th scope="col">Kind</th><th scope="col">Place</th><th scope="col">Severity</th>
                <th scope="col">Count</th><th scope="col">First seen</th><th scope="col">Last seen</th>
                <th scope="col">Sample</th></tr></thead>
              <tbody></tbody>
            </table>
            <div id="sample"></div>
          </section>
          <section aria-labelledby="events-title">
            <h2 id="events-title">Event log</h2>
            <table id="events">
              <thead><tr><th scope="col">When</th><th scope="col">Route</th><th scope="col">Change</th>
                <th scope="col">By</th><th scope="col">Why</th></tr></thead>
              <tbody></tbody>
            </table>
          </section>
        </main>
        <dialog id="confirm" aria-labelledby="confirm-title">
          <form method="dialog">
            <h2 id="confirm-title">Confirm</h2>
            <p id="confirm-text"></p>
            <div id="mode-fields" hidden>
              <label>Mode <select id="mode-select">
                <option value="legacy">legacy</option><option value="shadow">shadow</option>
                <option value="canary">canary</option><option value="new">new</option></select></label>
              <label>Percent (canary) <input id="percent-input" type="number" min="0" max="100" step="any" value="5"></label>
            </div>
            <label>Reason <input id="reason-input" type="text" autocomplete="off" placeholder="why (kept in the event log)">
            </label>
            <div class="actions">
              <button value="confirm" id="confirm-button" class="primary" type="submit">Confirm</button>
              <button value="cancel" type="submit">Cancel</button>
            </div>
          </form>
        </dialog>
        <script src="/dashboard.js"></script>
        </body>
        </html>
        """#

    static let script = #"""
        "use strict";
        // The Banyan dashboard: reads the admin API, follows /api/stream, and changes modes through the
        // same admin API calls the command line makes.
        const state = { status: null, previous: null, rates: {}, differences: null, events: [], role: "admin",
          steps: [], route: null, sampleKey: null };
        const $ = (selector) => document.querySelector(selector);

        function el(tag, attributes, ...children) {
          const node = document.createElement(tag);
          for (const [key, value] of Object.entries(attributes || {})) {
            if (key === "class") node.className = value;
            else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
            else node.setAttribute(key, value);
          }
          for (const child of children) {
            if (child === null || child === undefined) continue;
            node.append(child instanceof Node ? child : String(child));
          }
          return node;
        }

        function say(text, isError) {
          const message = $("#message");
          message.textContent = text;
          message.className = isError ? "error" : "";
        }

        async function api(method, path, body) {
          const options = { method, credentials: "same-origin", headers: {} };
          if (body !== undefined) {
            options.headers["content-type"] = "application/json";
            options.body = JSON.stringify(body);
          }
          const response = await fetch(path, options);
          const json = await response.json();
          if (!response.ok) throw new Error(`${response.status}: ${json.error || "the admin API refused"}`);
          return json;
        }

        const percentText = (value) => `${(value * 100).toFixed(1)}%`;
        const ms = (value) => (value === undefined ? "–" : value.toFixed(2));
        const when = (seconds) => new Date(seconds * 1000).toLocaleString();

        function modeText(mode) {
          return mode.startsWith("canary:") ? `canary ${mode.slice(7)}%` : mode;
        }

        function topKinds(route) {
          if (!state.differences) return "–";
          const failAt = rank(state.differences.failAt);
          const counts = {};
          for (const difference of state.differences.differences) {
            if (difference.route !== route || rank(difference.severity) < failAt) continue;
            counts[difference.kind] = (counts[difference.kind] || 0) + difference.count;
          }
          const kinds = Object.entries(counts).sort((a, b) => b[1] - a[1]).slice(0, 3);
          return kinds.length === 0 ? "–" : kinds.map(([kind, count]) => `${kind} ${count}`).join(", ");
        }

        function rank(severity) {
          return ["noise", "cosmetic", "risky", "breaking"].indexOf(severity);
        }

        function requestRate(route) {
          const rate = state.rates[route.route];
          return rate === undefined ? "–" : rate.toFixed(1);
        }

        function updateRates(status) {
          const now = performance.now();
          if (state.previous) {
            const seconds = (now - state.previous.at) / 1000;
            for (const route of status.routes) {
              const before = state.previous.status.routes.find((item) => item.route === route.route);
              if (!before || seconds <= 0) continue;
              const total = (r) => r.legacy.requests + r.candidate.requests;
              state.rates[route.route] = Math.max(0, (total(route) - total(before)) / seconds);
            }
          }
          state.previous = { at: now, status };
        }

        function renderRoutes() {
          const status = state.status;
          if (!status) return;
          // Rows are rebuilt every second: keep the keyboard focus on the same button.
          const focused = document.activeElement;
          const focusRow = focused && focused.closest ? focused.closest("tr[data-route]") : null;
          const focusKey = focusRow ? [focusRow.dataset.route, focused.dataset.action] : null;
          $("#upstreams").textContent = `legacy ${status.legacy} · candidate ${status.candidate} · ` +
            `${status.requestsInFlight} in flight`;
          const body = $("#routes tbody");
          const rows = status.routes.map((route) => {
            const served = route.legacy.requests + route.candidate.requests;
            const share = served === 0 ? "–" :
              `${percentText(route.legacy.requests / served)} / ${percentText(route.candidate.requests / served)}`;
            const errorRate = (side) => (side.requests === 0 ? "–" : percentText(side.errors / side.requests));
            const diffs = route.shadowDiffs;
            const failing = diffs.compared === 0 ? "–" : `${percentText(diffs.failing / diffs.compared)} (${diffs.failing})`;
            const changed = route.mode !== route.fileMode;
            const mode = el("td", { "data-mode": route.mode }, el("span", { class: changed ? "changed" : "" },
              modeText(route.mode)), changed ? el("span", { class: "muted" }, ` (file: ${modeText(route.fileMode)})`) : null);
            const open = route.tunnels && typeof route.tunnels.open === "number" ? route.tunnels.open : 0;
            const actions = el("td", { class: "actions" },
              el("button", { type: "button", class: "primary", "data-action": "promote", onclick: () => promote(route) },
                "Promote"),
              el("button", { type: "button", "data-action": "set", onclick: () => setMode(route) }, "Set…"),
              el("button", { type: "button", class: "danger", "data-action": "rollback", onclick: () => rollback(route) },
                "Roll back"));
            return el("tr", { "data-route": route.route },
              el("th", { scope: "row" }, el("a", { href: `#route=${encodeURIComponent(route.route)}` }, route.route)),
              mode,
              el("td", { class: "num" }, requestRate(route)),
              el("td", { class: "num", "data-requests": `${route.legacy.requests}/${route.candidate.requests}` }, share,
                el("span", { class: "muted" }, ` of ${served}`)),
              el("td", { class: "num" }, `${errorRate(route.legacy)} / ${errorRate(route.candidate)}`),
              el("td", { class: "num" }, `${ms(route.legacy.p50Ms)} / ${ms(route.legacy.p99Ms)}`),
              el("td", { class: "num" }, `${ms(route.candidate.p50Ms)} / ${ms(route.candidate.p99Ms)}`),
              el("td", { class: "num", "data-compared": diffs.compared }, diffs.compared),
              el("td", { class: diffs.failing > 0 ? "num bad" : "num" }, failing,
                el("span", { class: "muted" }, ` ≥ ${diffs.failAt}`)),
              el("td", {}, topKinds(route.route)),
              el("td", { class: "num" }, open),
              el("td", {}, route.dataPhase ? `${route.table}: ${route.dataPhase}` : "–"),
              actions);
          });
          body.replaceChildren(...rows);
          if (focusKey) {
            const row = [...body.querySelectorAll("tr[data-route]")].find((item) => item.dataset.route === focusKey[0]);
            const target = row && (focusKey[1] ? row.querySelector(`[data-action="${focusKey[1]}"]`) : row.querySelector("a"));
            if (target) target.focus();
          }
        }

        function renderEvents() {
          const rows = state.events.map((event) => el("tr", { "data-cause": event.cause },
            el("td", {}, when(event.at)), el("td", {}, event.route),
            el("td", {}, `${modeText(event.from)} → ${modeText(event.to)}`), el("td", {}, event.cause),
            el("td", {}, event.reason)));
          $("#events tbody").replaceChildren(...rows);
        }

        function renderRoutePage() {
          const page = $("#route-page");
          const hash = decodeURIComponent(location.hash.slice(1));
          state.route = hash.startsWith("route=") ? hash.slice(6) : null;
          page.hidden = state.route === null;
          if (state.route === null) return;
          $("#route-title").textContent = `Differences of ${state.route}`;
          const hideMinor = $("#hide-minor").checked;
          const differences = (state.differences ? state.differences.differences : [])
            .filter((item) => item.route === state.route && !(hideMinor && rank(item.severity) <= 1));
          const rows = differences.map((item, index) => el("tr", { "data-kind": item.kind },
            el("td", {}, item.kind), el("td", {}, item.location || "–"),
            el("td", { class: rank(item.severity) >= 2 ? "bad" : "" }, item.severity),
            el("td", { class: "num" }, item.count), el("td", {}, when(item.firstSeen)), el("td", {}, when(item.lastSeen)),
            el("td", {}, item.samples.length === 0 ? "–" : el("button", { type: "button", "data-sample": index,
              onclick: () => showSample(item) }, "Show"))));
          $("#differences tbody").replaceChildren(...rows);
          if (differences.length === 0) {
            $("#sample").replaceChildren(el("p", { class: "muted" }, "No stored difference for this route."));
          } else if (!differences.some((item) => key(item) === state.sampleKey)) {
            showSample(differences.find((item) => item.samples.length > 0) || differences[0]);
          }
        }

        const key = (item) => `${item.route}|${item.kind}|${item.location}`;

        function showSample(item) {
          state.sampleKey = key(item);
          const sample = item.samples[0];
          if (!sample) {
            $("#sample").replaceChildren(el("p", { class: "muted" }, "No sample kept for this difference."));
            return;
          }
          const legacyLines = `${sample.legacyHeaders}\n\n${sample.legacyBody}`.split("\n");
          const candidateLines = `${sample.candidateHeaders}\n\n${sample.candidateBody}`.split("\n");
          const side = (name, status, lines, others, value) => {
            const seen = new Set(others);
            const pre = el("pre", {});
            for (const line of lines) {
              const span = el("span", { class: seen.has(line) ? "line" : "line differs" });
              const at = value ? line.indexOf(value) : -1;
              if (at >= 0 && value.length > 0) {
                span.append(line.slice(0, at), el("mark", {}, value), line.slice(at + value.length));
              } else {
                span.append(line);
              }
              pre.append(span, "\n");
            }
            return el("div", { class: `side ${name}` }, el("h3", {}, `${name}: ${status}`), pre);
          };
          $("#sample").replaceChildren(
            el("h3", {}, `${item.kind} ${item.location} — ${sample.method} ${sample.target}` +
              (sample.requestId ? ` (request id ${sample.requestId})` : "") +
              (sample.origin === "canary" ? " (canary: the candidate served, legacy answered a copy)" : "")),
            el("div", { class: "pair" },
              side("legacy", sample.legacyStatus, legacyLines, candidateLines, sample.legacyValue),
              side("candidate", sample.candidateStatus, candidateLines, legacyLines, sample.candidateValue)));
        }

        // Actions: each asks for confirmation, names the change and takes a reason.
        function confirmChange(text, withMode, route) {
          const dialog = $("#confirm");
          $("#confirm-text").textContent = text;
          $("#mode-fields").hidden = !withMode;
          if (withMode && route) {
            const [name, percent] = route.mode.split(":");
            $("#mode-select").value = name;
            if (percent) $("#percent-input").value = percent;
          }
          $("#reason-input").value = "";
          return new Promise((resolve) => {
            dialog.addEventListener("close", () => resolve(dialog.returnValue === "confirm" ? {
              reason: $("#reason-input").value.trim(), mode: $("#mode-select").value,
              percent: Number($("#percent-input").value) } : null), { once: true });
            dialog.returnValue = "cancel";
            dialog.showModal();
            $("#reason-input").focus();
          });
        }

        async function change(path, body, done) {
          try {
            await api("POST", path, Object.assign({ cause: "page" }, body));
            say(done, false);
            await refresh();
          } catch (error) {
            say(`Not changed: ${error.message}`, true);
          }
        }

        function nextStep(mode) {
          const order = (m) => (m === "legacy" ? -2 : m === "shadow" ? -1 : m === "new" ? 101 : Number(m.split(":")[1]));
          return state.steps.find((step) => order(step) > order(mode));
        }

        async function promote(route) {
          const next = nextStep(route.mode);
          if (!next) { say(`${route.route} is already at the last step (${modeText(route.mode)}).`, true); return; }
          const answer = await confirmChange(`Promote ${route.route} from ${modeText(route.mode)} to ${modeText(next)}?`);
          if (answer) await change("/api/promote", { route: route.route, reason: answer.reason || undefined },
            `${route.route}: promoted to ${modeText(next)}.`);
        }

        async function setMode(route) {
          const answer = await confirmChange(`Set the mode of ${route.route} (now ${modeText(route.mode)}).`, true, route);
          if (!answer) return;
          const body = { route: route.route, mode: answer.mode, reason: answer.reason || undefined };
          if (answer.mode === "canary") body.percent = answer.percent;
          await change("/api/routes/mode", body, `${route.route}: ${answer.mode === "canary" ?
            `canary ${answer.percent}%` : answer.mode}.`);
        }

        async function rollback(route) {
          const answer = await confirmChange(`Roll back ${route.route} from ${modeText(route.mode)} to legacy?`);
          if (answer) await change("/api/rollback", { route: route.route, reason: answer.reason || undefined },
            `${route.route}: rolled back to legacy.`);
        }

        async function rollbackAll() {
          const moving = (state.status ? state.status.routes : []).filter((route) => route.mode !== "legacy");
          const answer = await confirmChange(`Roll back every route to legacy (${moving.length} not on legacy now: ` +
            `${moving.map((route) => route.route).join(", ") || "none"})?`);
          if (answer) await change("/api/rollback", { all: true, reason: answer.reason || undefined },
            "Every route rolled back to legacy.");
        }

        async function refresh() {
          const [status, events, differences] = await Promise.all([api("GET", "/api/routes"),
            api("GET", "/api/events?limit=100"), api("GET", "/api/differences")]);
          state.status = status;
          updateRates(status);
          state.events = events.events;
          state.differences = differences;
          renderRoutes();
          renderEvents();
          renderRoutePage();
        }

        function follow() {
          const stream = new EventSource("/api/stream");
          const live = $("#live");
          stream.addEventListener("open", () => { live.textContent = "live"; live.className = "badge live"; });
          stream.addEventListener("error", () => { live.textContent = "reconnecting…"; live.className = "badge stale"; });
          stream.addEventListener("status", (event) => {
            state.status = JSON.parse(event.data);
            updateRates(state.status);
            renderRoutes();
          });
          stream.addEventListener("change", () => {
            Promise.all([api("GET", "/api/events?limit=100"), api("GET", "/api/routes")]).then(([events, status]) => {
              state.events = events.events;
              state.status = status;
              renderRoutes();
              renderEvents();
            }).catch((error) => say(error.message, true));
          });
        }

        async function start() {
          try {
            const who = await api("GET", "/api/whoami");
            state.role = who.role;
            state.steps = who.promoteSteps;
            $("#role").textContent = who.role === "admin" ? "operator" : "read-only: changes are refused";
            await refresh();
            follow();
            setInterval(() => {
              api("GET", "/api/differences").then((differences) => {
                state.differences = differences;
                renderRoutes();
                renderRoutePage();
              }).catch((error) => say(error.message, true));
            }, 5000);
          } catch (error) {
            say(error.message, true);
          }
        }

        window.addEventListener("hashchange", renderRoutePage);
        $("#hide-minor").addEventListener("change", () => { state.sampleKey = null; renderRoutePage(); });
        $("#rollback-all").addEventListener("click", rollbackAll);
        start();
        """#
}
