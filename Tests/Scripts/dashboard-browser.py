#!/usr/bin/env python3
"""Drives the Banyan dashboard in headless Chromium over the DevTools protocol (--remote-debugging-pipe)
and prints what it saw as one JSON object; the Swift test (DashboardBrowserTests) asserts on it.

usage: dashboard-browser.py SETTINGS.json
SETTINGS: {"chromium", "admin": "http://127.0.0.1:PORT", "token", "readToken", "routeCount",
           "liveRoute", "sampleRoute", "rollbackRoute", "promoteRoute", "reason", "screenshot"}
"""
import base64
import json
import os
import select
import subprocess
import sys
import tempfile
import time
import urllib.request


class Browser:
    def __init__(self, chromium):
        self.profile = tempfile.mkdtemp(prefix="banyan-chromium-")
        to_browser_read, self.to_browser = os.pipe()
        self.from_browser, from_browser_write = os.pipe()

        def wire():
            # Through high numbers first: either pipe end may itself be 3 or 4.
            os.dup2(to_browser_read, 100)
            os.dup2(from_browser_write, 101)
            os.dup2(100, 3)
            os.dup2(101, 4)

        self.process = subprocess.Popen(
            [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
             "--no-first-run", "--no-default-browser-check", "--window-size=1440,1000",
             f"--user-data-dir={self.profile}", "about:blank"],
            preexec_fn=wire, close_fds=False, stdout=subprocess.DEVNULL,
            stderr=open(os.path.join(self.profile, "chromium.log"), "wb"))
        os.close(to_browser_read)
        os.close(from_browser_write)
        self.next_id = 0
        self.buffer = b""
        self.events = []
        self.session = None

    def _read_message(self, deadline):
        while b"\0" not in self.buffer:
            left = deadline - time.time()
            if left <= 0 or not select.select([self.from_browser], [], [], left)[0]:
                raise TimeoutError("no answer from Chromium")
            chunk = os.read(self.from_browser, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self.buffer += chunk
        message, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method, params=None, session=True, timeout=30):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.time() + timeout
        while True:
            answer = self._read_message(deadline)
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def open(self):
        target = self.call("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        self.session = self.call(
            "Target.attachToTarget", {"targetId": target, "flatten": True}, session=False)["sessionId"]
        for domain in ("Runtime.enable", "Log.enable", "Page.enable", "Network.enable"):
            self.call(domain)

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate",
                           {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait(self, expression, timeout=15, what=None):
        deadline = time.time() + timeout
        while time.time() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            self.pump(0.05)
        raise TimeoutError(f"waited {timeout} s for {what or expression}")

    def pump(self, seconds):
        """Reads events for `seconds` (console messages arrive between calls)."""
        self.call("Runtime.evaluate", {"expression": f"new Promise(r => setTimeout(r, {int(seconds * 1000)}))",
                                       "awaitPromise": True})

    def key(self, key, code, keycode, text=None):
        down = {"type": "keyDown", "key": key, "code": code, "windowsVirtualKeyCode": keycode}
        if text:
            down["text"] = text
        self.call("Input.dispatchKeyEvent", down)
        self.call("Input.dispatchKeyEvent", {"type": "keyUp", "key": key, "code": code,
                                             "windowsVirtualKeyCode": keycode})

    def errors(self):
        """Console errors, uncaught exceptions and error log entries since the last call."""
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append("console: " + " ".join(str(a.get("value", a.get("description", "")))
                                                    for a in params.get("args", [])))
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                found.append("exception: " + details.get("exception", {}).get("description", details.get("text", "")))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                found.append("log: " + params["entry"].get("text", ""))
        self.events = []
        return found

    def close(self):
        try:
            self.call("Browser.close", session=False, timeout=5)
        except Exception:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def rows(browser):
    return browser.evaluate("""[...document.querySelectorAll('#routes tbody tr[data-route]')].map(tr => ({
        route: tr.dataset.route, mode: tr.querySelector('[data-mode]').dataset.mode,
        requests: tr.querySelector('[data-requests]').dataset.requests,
        compared: Number(tr.querySelector('[data-compared]').dataset.compared)}))""")


def row_selector(route, inner=""):
    return f"document.querySelector('tr[data-route=\"{route}\"] {inner}'.trim())"


def main():
    settings = json.load(open(sys.argv[1]))
    report = {}
    browser = Browser(settings["chromium"])
    try:
        browser.open()
        # The operator: the admin token, traded for a cookie by the page's link.
        browser.call("Page.navigate", {"url": f"{settings['admin']}/?token={settings['token']}"})
        browser.wait(f"document.querySelectorAll('#routes tbody tr[data-route]').length === {settings['routeCount']}"
                     " && document.querySelector('#live').textContent === 'live'", what="the route table, live")
        report["rows"] = rows(browser)
        report["role"] = browser.evaluate("document.querySelector('#role').textContent")

        # Live: a change made through the admin API (not the page) reaches the open page.
        live = settings["liveRoute"]
        request = urllib.request.Request(
            f"{settings['admin']}/api/routes/mode", method="POST",
            data=json.dumps({"route": live, "mode": "canary", "percent": 5, "reason": "live check"}).encode(),
            headers={"authorization": f"Bearer {settings['token']}", "content-type": "application/json"})
        started = time.time()
        urllib.request.urlopen(request).read()
        browser.wait(row_selector(live, "[data-mode]") + ".dataset.mode === 'canary:5'", timeout=5,
                     what="the API's change on the page")
        report["liveMilliseconds"] = int((time.time() - started) * 1000)

        # The route page: differences grouped by kind and place, a sample side by side.
        sample_route = settings["sampleRoute"]
        browser.evaluate(row_selector(sample_route, "a") + ".click()")
        browser.wait("document.querySelectorAll('#sample .side').length === 2", what="the sample pair")
        report["routePage"] = browser.evaluate("""({
            title: document.querySelector('#route-title').textContent,
            kinds: [...document.querySelectorAll('#differences tbody tr')].map(tr => tr.dataset.kind),
            sides: [...document.querySelectorAll('#sample .side h3')].map(h => h.textContent),
            differingLines: document.querySelectorAll('#sample .line.differs').length,
            marks: [...document.querySelectorAll('#sample mark')].map(m => m.textContent)})""")
        browser.evaluate("document.querySelector('#hide-minor').click()")
        report["routePage"]["kindsWithMinor"] = browser.evaluate(
            "[...document.querySelectorAll('#differences tbody tr')].map(tr => tr.dataset.kind)")

        # Roll back the canary route with the keyboard: focus its button, Enter, type a reason, Enter.
        rollback = settings["rollbackRoute"]
        browser.evaluate(row_selector(rollback, "[data-action=rollback]") + ".focus()")
        browser.key("Enter", "Enter", 13, "\r")
        browser.wait("document.querySelector('#confirm').open", what="the confirmation")
        report["confirmText"] = browser.evaluate("document.querySelector('#confirm-text').textContent")
        browser.call("Input.insertText", {"text": settings["reason"]})
        browser.key("Enter", "Enter", 13, "\r")
        browser.wait(row_selector(rollback, "[data-mode]") + ".dataset.mode === 'legacy'", what="the rollback")
        browser.wait("document.querySelector('#events tbody tr')?.dataset.cause === 'page'",
                     what="the rollback at the top of the event log")
        report["firstEvent"] = browser.evaluate(
            "[...document.querySelector('#events tbody tr').children].map(td => td.textContent)")
        report["message"] = browser.evaluate("document.querySelector('#message').textContent")
        browser.evaluate("window.scrollTo(0, 0); document.querySelectorAll('section').forEach(s => s.scrollLeft = 0)")
        shot = browser.call("Page.captureScreenshot", {"format": "png"})
        with open(settings["screenshot"], "wb") as file:
            file.write(base64.b64decode(shot["data"]))
        browser.pump(0.3)
        report["operatorErrors"] = browser.errors()

        # The read-only token: everything shows, every change is refused.
        browser.call("Network.clearBrowserCookies")
        browser.call("Page.navigate", {"url": f"{settings['admin']}/?token={settings['readToken']}"})
        browser.wait(f"document.querySelectorAll('#routes tbody tr[data-route]').length === {settings['routeCount']}"
                     " && document.querySelector('#role').textContent.startsWith('read-only')", what="read-only page")
        refused = []
        for action in ("promote", "rollback"):
            browser.evaluate(row_selector(settings["promoteRoute"], f"[data-action={action}]") + ".click()")
            browser.wait("document.querySelector('#confirm').open", what="the confirmation")
            browser.evaluate("document.querySelector('#confirm-button').click()")
            browser.wait("document.querySelector('#message').className === 'error'", what="the refusal")
            refused.append(browser.evaluate("document.querySelector('#message').textContent"))
            browser.evaluate("document.querySelector('#message').className = ''")
        report["readOnlyMessages"] = refused
        report["readOnlyRows"] = rows(browser)
        browser.pump(0.3)
        report["readOnlyErrors"] = browser.errors()
    finally:
        browser.close()
    print(json.dumps(report))


if __name__ == "__main__":
    main()
