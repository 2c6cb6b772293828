"""What every page visited in a real browser must satisfy, and the live server the browser suites share.

`Visit` wraps one Playwright page: it records console errors and failed requests as they happen, and
`check()` asserts on the page now shown: axe-core finds no serious or critical violation, nothing is
wider than the screen, no text box is squeezed to a few characters, no console error, no failed request.
Each checked page is saved as a full-page JPEG screenshot in BROWSER_SCREENSHOTS (default
tests/browser/.screenshots/), which CI keeps as an artifact.
"""

from __future__ import annotations

import os
import re
import threading
from importlib import resources
from pathlib import Path

from werkzeug.serving import make_server

from app import create_app
from certification.extensions import db

SCREENS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
SCREENSHOTS = Path(os.environ.get("BROWSER_SCREENSHOTS") or Path(__file__).parent / ".screenshots")
# axe-core as pinned by axe-playwright-python in pyproject.toml: read from the installed package, never fetched.
AXE_SOURCE = resources.files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")
BLOCKING_IMPACTS = {"serious", "critical"}

NARROW_TEXT_JS = """() => {
  // A box narrower than its longest word (up to 10 letters) breaks that word letter by letter.
  const ctx = document.createElement('canvas').getContext('2d');
  const boxes = 'p dd dt td th li label h1 h2 h3 a.button button'.split(' ').map(s => 'main ' + s).join(', ');
  return [...document.querySelectorAll(boxes)]
    .filter(e => {
      const cs = getComputedStyle(e);
      const inner = e.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
      if (e.clientWidth === 0 || !e.innerText) return false;
      const longest = e.innerText.split(/\\s+/).reduce((w, x) => x.length > w.length ? x : w, '').slice(0, 10);
      ctx.font = cs.font;
      return inner + 1 < ctx.measureText(longest).width;
    })
    .slice(0, 5).map(e => e.tagName + ' ' + e.clientWidth + 'px: ' + e.innerText.slice(0, 40));
}"""

WIDER_THAN_SCREEN_JS = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.checkVisibility() && e.getBoundingClientRect().right > window.innerWidth + 1
               && !e.closest('.table-wrap'))
  .slice(0, 5).map(e => e.tagName + '.' + e.className)"""


def live_server(tmp_path, seed, **config):
    """Start the app on a SQLite file in a background thread; `seed(app)` fills it first. Returns (url, stop)."""
    app = create_app(
        {
            "SELLO_CONFIG": "testing",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'browser.db'}",
            "EVIDENCE_DIR": str(tmp_path / "evidence"),
            **config,
        }
    )
    with app.app_context():
        db.create_all()
        seed(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop():
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()

    return f"http://127.0.0.1:{server.server_port}", app, stop


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80]


class Visit:
    """One browser tab at one screen size and language, checking every page it shows."""

    def __init__(self, browser, base_url: str, screen: str, lang: str, name: str):
        self.base, self.screen, self.lang, self.name = base_url, screen, lang, name
        self.context = browser.new_context(viewport=SCREENS[screen], locale="es-PE" if lang == "es" else "en-GB")
        # axe-core is injected into every page before its own scripts (an init script is not subject to the CSP).
        self.context.add_init_script(AXE_SOURCE)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.checked: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        self.page.on("requestfailed", self._failed)
        self.page.on("response", self._response)

    def _console(self, message):
        if message.type == "error":
            self.problems.append(f"console error: {message.text}")

    def _failed(self, request):
        # ERR_ABORTED is the browser dropping a request because the page navigated on (a form posted).
        if "ERR_ABORTED" not in (request.failure or ""):
            self.problems.append(f"request failed: {request.url} {request.failure}")

    def _response(self, response):
        # 4xx/5xx on anything the page loads (a missing favicon included); the page itself is checked by the caller.
        if response.status >= 400 and response.request.resource_type != "document":
            self.problems.append(f"{response.status} on {response.url}")

    def goto(self, path: str, *, status: int = 200):
        sep = "&" if "?" in path else "?"
        response = self.page.goto(f"{self.base}{path}{sep}lang={self.lang}" if path.startswith("/") else path)
        assert response is not None and response.status == status, (path, response and response.status)
        return self.check()

    def login(self, email: str, password: str):
        self.page.goto(f"{self.base}/login?lang={self.lang}")
        self.check("login")
        self.page.fill("input[name=email]", email)
        self.page.fill("input[name=password]", password)
        self.page.click("main form button")
        self.page.wait_for_load_state()
        assert "/login" not in self.page.url, "logged in"

    def check(self, label: str | None = None):
        """Assert the page now shown is readable, accessible and loaded cleanly; save its screenshot."""
        page, width = self.page, SCREENS[self.screen]["width"]
        page.wait_for_load_state("load")
        where = f"{self.name} {self.screen} {self.lang} {page.url}"
        assert page.locator("html").get_attribute("lang") == self.lang, where
        result = page.evaluate(
            "() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => ("
            "{id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))"
        )
        blocking = [v for v in result if v["impact"] in BLOCKING_IMPACTS]
        assert not blocking, (where, blocking)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (
            where,
            page.evaluate(WIDER_THAN_SCREEN_JS),
        )
        squeezed = page.evaluate(NARROW_TEXT_JS)
        assert not squeezed, (where, squeezed)
        assert not self.problems, (where, self.problems)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = page.url.split("//", 1)[1].split("/", 1)[1].split("?", 1)[0]
        name = f"{self.name}-{len(self.checked):02d}-{slug(label or path or 'home')}"
        # JPEG: half the time and a fifth of the size of PNG for a full-page capture; plenty to review a layout.
        shot = SCREENSHOTS / f"{name}-{self.screen}-{self.lang}.jpg"
        page.screenshot(path=str(shot), full_page=True, type="jpeg", quality=70)
        self.checked.append(page.url)
        return page

    def close(self):
        self.context.close()
