"""Screenshots of the screens people use, taken in headless Chromium from a running Odoo.

    python scripts/screenshots.py --url http://127.0.0.1:8069 --db DB [--out docs/screenshots]
                                  [--login admin --password admin] [--chromium PATH]
                                  [--width 1440 --height 900] [--only NAME ...]

`./suite screenshots` starts Odoo on demo data and runs this; run it by hand against any Odoo
that has the four addons and their demo data. It logs in over JSON-RPC, gives the session
cookie to Chromium, opens each screen by its URL, waits until the web client has finished
loading (view shown, no loading indicator, screen-specific content present, page stable) and
saves a PNG per screen. Chromium is driven through the DevTools protocol (websocket-client).
"""

import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
import websocket

ROOT = Path(__file__).resolve().parent.parent
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


class ScreenshotError(Exception):
    """A problem to report in one sentence, without a traceback."""


# ---------------------------------------------------------------------------- the screens
#
# Each screen: a file name, what to open (an action, and a record found by a domain), what
# must be on the page before it is shot, optional clicks (e.g. a notebook tab) and height.


SCREENS = [
    {
        "name": "operations_dashboard",
        "title": "Operations dashboard",
        "action": "integration_core.integration_operations_dashboard_action",
        # Taller than the other screens: the charts and the per-channel tables are the point.
        "height": 1650,
        "ready": [
            ".o_integration_dashboard_body .o_integration_counter",
            ".o_integration_chart[data-chart='exceptions']",
        ],
    },
    {
        "name": "queue",
        "title": "Integration queue",
        "action": "integration_core.integration_message_action",
        "ready": [".o_kanban_view .o_kanban_record:not(.o_kanban_ghost)"],
    },
    {
        "name": "connectors",
        "title": "Connectors and their health",
        "action": "integration_core.integration_connector_action",
        "ready": [".o_kanban_view .o_kanban_record:not(.o_kanban_ghost)"],
    },
    {
        "name": "connector_form",
        "title": "A connector",
        "action": "integration_core.integration_connector_action",
        # A connector that has delivered: its health figures have something to say.
        "record": ("integration.connector", [("last_success_at", "!=", False)], "sequence, id"),
        "fallback": ("integration.connector", [], "sequence, id"),
        "click": ".o_notebook_headers a[name='health']",
        "ready": [".o_form_view .o_form_sheet", ".o-mail-Chatter .o-mail-Message"],
    },
    {
        "name": "price_change",
        "title": "A price change waiting for approval",
        "action": "price_governance.price_change_action_to_approve",
        "record": ("price.change", [("state", "=", "to_approve")], "id desc"),
        "ready": [
            ".o_form_view .o_form_sheet",
            ".o_field_one2many .o_data_row",
            ".o-mail-Chatter .o-mail-Message",
        ],
    },
    {
        "name": "promotion",
        "title": "A promotion and its release",
        "action": "promotion_sync.loyalty_program_release_action",
        "record": (
            "loyalty.program",
            [("release_state", "=", "active"), ("program_type", "=", "promotion")],
            "id desc",
        ),
        "fallback": ("loyalty.program", [("release_state", "!=", False)], "id desc"),
        "click": ".o_notebook_headers a[name='release']",
        "ready": [".o_form_view .o_form_sheet", ".o-mail-Chatter .o-mail-Message"],
    },
    {
        "name": "stock_channel",
        "title": "A stock publication channel",
        "action": "stock_publication.stock_publication_channel_action",
        "record": ("stock.publication.channel", [("override_ids", "!=", False)], "sequence, id"),
        "fallback": ("stock.publication.channel", [], "sequence, id"),
        "ready": [".o_form_view .o_form_sheet", ".o_field_one2many .o_data_row"],
    },
]

# The web client is done when a view (or client action) is shown and nothing loads; the page
# must then stay the same for a few polls (lazy widgets, avatars, fonts).
READY_JS = """
(() => {
    const ready = %s;
    if (document.querySelector('.o_login_auth, form.oe_login_form')) return 'login page';
    const error = document.querySelector('.o_error_dialog');
    if (error) return 'error: ' + error.innerText.slice(0, 300);
    // A view, or a client action (the operations dashboard).
    if (!document.querySelector('.o_action_manager .o_view_controller, .o_action_manager .o_action'))
        return 'no view yet';
    if (document.querySelector('.o_loading_indicator, .o_blockUI')) return 'loading';
    for (const selector of ready) {
        if (!document.querySelector(selector)) return 'waiting for ' + selector;
    }
    if (document.fonts && document.fonts.status !== 'loaded') return 'fonts';
    if (![...document.images].every((img) => img.complete)) return 'images';
    return 'ready:' + document.body.innerHTML.length;
})()
"""

HIDE_TOASTS_JS = """
(() => {
    const style = document.createElement('style');
    style.textContent = '.o_notification_manager { display: none !important; }';
    document.head.appendChild(style);
})()
"""


# ---------------------------------------------------------------------------- Odoo over HTTP


class Odoo:
    def __init__(self, url, db):
        self.url = url.rstrip("/")
        self.db = db
        self.http = requests.Session()

    def wait_until_up(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.http.get(f"{self.url}/web/login", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(1)
        raise ScreenshotError(f"Odoo did not answer at {self.url}/web/login within {timeout} s.")

    def rpc(self, path, params):
        response = self.http.post(
            f"{self.url}{path}",
            json={"jsonrpc": "2.0", "method": "call", "params": params},
            timeout=120,
        )
        response.raise_for_status()
        body = response.json()
        if body.get("error"):
            error = body["error"].get("data", {}).get("message") or body["error"].get("message")
            raise ScreenshotError(f"Odoo answered {path} with an error: {error}")
        return body["result"]

    def login(self, login, password):
        try:
            self.rpc(
                "/web/session/authenticate", {"db": self.db, "login": login, "password": password}
            )
        except ScreenshotError as exc:
            raise ScreenshotError(
                f"could not log in to database {self.db} as {login}: {exc}"
            ) from None
        session_id = self.http.cookies.get("session_id")
        if not session_id:
            raise ScreenshotError(f"Odoo gave no session cookie when {login} logged in.")
        return session_id

    def first_id(self, model, domain, order, follow=None):
        """Id of the first record matching, or of the record its many2one `follow` names."""
        found = self.rpc(
            "/web/dataset/call_kw",
            {
                "model": model,
                "method": "search_read",
                "args": [domain, [follow] if follow else ["id"]],
                "kwargs": {"limit": 1, "order": order, "context": {"active_test": False}},
            },
        )
        if not found:
            return None
        return found[0][follow][0] if follow else found[0]["id"]


# ---------------------------------------------------------------------------- Chromium


def find_chromium(explicit=None):
    if explicit:
        if shutil.which(explicit):
            return shutil.which(explicit)
        raise ScreenshotError(f"no Chromium at {explicit}.")
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    raise ScreenshotError(
        "Chromium is not installed: screenshots need it "
        "(Debian: apt-get install chromium), or pass --chromium PATH."
    )


class Browser:
    """One headless Chromium with one page, driven over the DevTools protocol."""

    def __init__(self, executable, width, height):
        self.width, self.height = width, height
        self.profile = tempfile.mkdtemp(prefix="suite-screens-")
        args = [
            executable,
            "--headless=new",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-translate",
            "--hide-scrollbars",
            "--no-first-run",
            "--no-default-browser-check",
            "--force-device-scale-factor=1",
            f"--window-size={width},{height}",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            f"--user-data-dir={self.profile}",
            "about:blank",
        ]
        if os.geteuid() == 0:
            args.insert(1, "--no-sandbox")  # Chromium refuses to start as root with its sandbox
        self.process = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
        )
        self.ws = None
        self._next_id = 0
        try:
            self._connect()
        except Exception:
            self.close()
            raise

    def _connect(self):
        port_file = Path(self.profile, "DevToolsActivePort")
        deadline = time.monotonic() + 30
        while not port_file.exists() or not port_file.read_text().strip():
            if self.process.poll() is not None:
                error = self.process.stderr.read().decode(errors="replace").strip()
                raise ScreenshotError(f"Chromium stopped at start: {error[-500:]}")
            if time.monotonic() > deadline:
                raise ScreenshotError("Chromium did not open its DevTools port within 30 s.")
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        targets = requests.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json()
        page = next(t for t in targets if t["type"] == "page")
        # Chromium checks the Origin header of DevTools clients: send none.
        self.ws = websocket.create_connection(
            page["webSocketDebuggerUrl"], timeout=60, suppress_origin=True
        )
        self.call("Page.enable")
        self.call("Runtime.enable")
        self.resize(self.height)

    def resize(self, height):
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": self.width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )

    def call(self, method, params=None):
        self._next_id += 1
        call_id = self._next_id
        self.ws.send(json.dumps({"id": call_id, "method": method, "params": params or {}}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == call_id:
                if "error" in message:
                    raise ScreenshotError(f"Chromium refused {method}: {message['error']}")
                return message.get("result", {})
            # Events (console, network, ...) are not needed here.

    def evaluate(self, expression):
        result = self.call(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True}
        ).get("result", {})
        return result.get("value")

    def set_cookie(self, url, name, value):
        self.call("Network.setCookie", {"url": url, "name": name, "value": value})

    def goto(self, url):
        # The web client shows the app of the action's menu, else the last app of this tab:
        # forget it, so a screen never wears the previous screen's app.
        self.evaluate("window.sessionStorage && window.sessionStorage.removeItem('menu_id')")
        self.call("Page.navigate", {"url": url})

    def wait_ready(self, selectors, timeout, what):
        """Poll until the page is ready and unchanged for three polls in a row."""
        expression = READY_JS % json.dumps(selectors)
        deadline = time.monotonic() + timeout
        last, stable, status = None, 0, None
        while time.monotonic() < deadline:
            status = self.evaluate(expression)
            if status and status.startswith("ready:"):
                stable = stable + 1 if status == last else 0
                if stable >= 3:
                    return
            else:
                stable = 0
            last = status
            time.sleep(0.4)
            if status and status.startswith("error: "):
                raise ScreenshotError(f"{what}: Odoo showed an error: {status[7:]}")
        if status == "login page":
            raise ScreenshotError(f"{what}: Odoo showed its login page (the session was refused).")
        raise ScreenshotError(f"{what} did not finish loading within {timeout} s ({status}).")

    def click(self, selector):
        clicked = self.evaluate(
            f"(() => {{ const el = document.querySelector({json.dumps(selector)});"
            " if (!el) return false; el.click(); return true; })()"
        )
        if not clicked:
            raise ScreenshotError(f"nothing to click at {selector}.")

    def screenshot(self, path):
        # Toasts are not part of the screen (e.g. "the page is out of date", which the bus
        # shows when a page reloads right after another): hide them for the shot.
        self.evaluate(HIDE_TOASTS_JS)
        time.sleep(0.2)
        data = self.call("Page.captureScreenshot", {"format": "png"})["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self):
        try:
            if self.ws:
                self.ws.close()
        finally:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
            if self.process.stderr:
                self.process.stderr.close()
            shutil.rmtree(self.profile, ignore_errors=True)


# ---------------------------------------------------------------------------- main


def screen_url(odoo, screen):
    url = f"{odoo.url}/odoo/action-{screen['action']}"
    if "record" not in screen:
        return url
    record_id = odoo.first_id(*screen["record"])
    if record_id is None and screen.get("fallback"):
        record_id = odoo.first_id(*screen["fallback"])
    if record_id is None:
        model, domain = screen["record"][:2]
        raise ScreenshotError(
            f"no {model} matching {domain} in database {odoo.db}: "
            "screenshots need the addons' demo data."
        )
    return f"{url}/{record_id}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="Odoo's address, e.g. http://127.0.0.1:8069")
    parser.add_argument("--db", required=True)
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--chromium", help="Chromium executable (default: found on PATH)")
    parser.add_argument("--width", type=int, default=1440)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--timeout", type=int, default=180, help="seconds per screen")
    parser.add_argument("--server-log", help="Odoo's log file, named in error messages")
    parser.add_argument(
        "--only", nargs="*", choices=[s["name"] for s in SCREENS], help="shoot only these"
    )
    args = parser.parse_args(argv)

    try:
        executable = find_chromium(args.chromium)
        odoo = Odoo(args.url, args.db)
        odoo.wait_until_up(args.timeout)
        session_id = odoo.login(args.login, args.password)
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        screens = [s for s in SCREENS if not args.only or s["name"] in args.only]
        browser = Browser(executable, args.width, args.height)
        try:
            browser.set_cookie(odoo.url, "session_id", session_id)
            for screen in screens:
                started = time.monotonic()
                url = screen_url(odoo, screen)
                browser.resize(screen.get("height", args.height))
                browser.goto(url)
                # The first screen builds the asset bundles: allow it the whole timeout.
                browser.wait_ready(screen["ready"], args.timeout, f"{screen['title']} ({url})")
                if screen.get("click"):
                    browser.click(screen["click"])
                    browser.wait_ready(screen["ready"], args.timeout, screen["title"])
                path = out / f"{screen['name']}.png"
                browser.screenshot(path)
                print(
                    f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: "
                    f"{screen['title']} ({time.monotonic() - started:.1f} s)"
                )
        finally:
            browser.close()
    except ScreenshotError as exc:
        hint = f" Odoo's log: {args.server_log}" if args.server_log else ""
        print(f"Error: {exc}{hint}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
