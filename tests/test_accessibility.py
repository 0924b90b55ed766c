"""The report is accessible as a public-sector publication (issue 13, item 7): axe-core,
run inside Debian's headless Chromium on a report rendered from a real run, finds no
violation of WCAG 2.1 level A and AA; every chart is tied to its data table.

axe-core comes from the npm registry at the version pinned in tests/browser/package.json
(its lock file beside it; `.ci/run` runs `npm ci` there). It is injected into the opened
page over the DevTools protocol, so the report itself stays free of scripts, and nothing
is fetched: the browser runs with networking pointed at a closed port.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import time
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest
from year_run import year_outputs

PROJECT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
PACKAGE = PROJECT / "tests" / "browser" / "package.json"  # axe-core pinned; lock file beside it
AXE = PACKAGE.parent / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium ontbreekt: installeer "
                       "Debian's chromium (.ci/run doet dat)"),
    pytest.mark.skipif(not AXE.exists(), reason="axe-core ontbreekt: `npm ci` in tests/browser "
                       "(.ci/run doet dat)"),
]


@pytest.fixture(scope="module")
def report() -> SimpleNamespace:
    """The Dutch and English report of a real run on a synthetic delivery."""
    folder = year_outputs()
    return SimpleNamespace(nl=folder / "rapport.html", en=folder / "rapport.en.html")


def _as_fds_3_and_4(commands: int, answers: int) -> None:
    """In the child: copies first, so that placing one pipe cannot close the other."""
    commands, answers = os.dup(commands), os.dup(answers)
    os.dup2(commands, 3)
    os.dup2(answers, 4)


class Browser:
    """Headless Chromium over --remote-debugging-pipe: JSON messages ending in NUL, commands
    on the child's fd 3, answers and events on its fd 4."""

    def __init__(self, profile: Path) -> None:
        to_child, self._out = os.pipe()
        self._in, from_child = os.pipe()
        self._log = open(profile.with_suffix(".log"), "wb")  # noqa: SIM115
        self._process = subprocess.Popen(
            [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update",
             f"--user-data-dir={profile}", "--proxy-server=127.0.0.1:9",
             "--host-resolver-rules=MAP * ~NOTFOUND", "--remote-debugging-pipe"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._log,
            pass_fds=(3, 4), preexec_fn=lambda: _as_fds_3_and_4(to_child, from_child),
            start_new_session=True)  # noqa: PLW1509
        os.close(to_child)
        os.close(from_child)
        self._pending = b""
        self._next = 0
        self.events: list[str] = []

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 60) -> dict:
        self._next += 1
        message = {"id": self._next, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._out, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self._receive(deadline)
            if "method" in answer:
                self.events.append(answer["method"])
            elif answer.get("id") == self._next:
                assert "error" not in answer, answer["error"]
                return answer["result"]

    def _receive(self, deadline: float) -> dict:
        while b"\0" not in self._pending:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._in], [], [], left)[0]:
                raise TimeoutError("Chromium gaf geen antwoord")
            chunk = os.read(self._in, 1 << 20)
            if not chunk:
                raise EOFError("Chromium sloot de verbinding")
            self._pending += chunk
        message, self._pending = self._pending.split(b"\0", 1)
        return json.loads(message)

    def open(self, page: Path) -> str:
        """A new tab showing `page`, loaded; the session id."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target,
                                                      "flatten": True})["sessionId"]
        self.send("Page.enable", session=session)
        self.send("Emulation.setDeviceMetricsOverride", {
            "width": 1240, "height": 1754, "deviceScaleFactor": 1, "mobile": False},
            session=session)
        self.events.clear()
        self.send("Page.navigate", {"url": page.as_uri()}, session=session)
        deadline = time.monotonic() + 60
        while "Page.loadEventFired" not in self.events:
            message = self._receive(deadline)
            if "method" in message:
                self.events.append(message["method"])
        return session

    def evaluate(self, session: str, expression: str, timeout: float = 120) -> object:
        result = self.send("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                                "returnByValue": True}, session, timeout)
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=10)
        except (TimeoutError, EOFError, OSError, AssertionError):
            pass
        try:
            self._process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self._process.pid, signal.SIGKILL)  # the group this test started
            self._process.wait()
        os.close(self._out)
        os.close(self._in)
        self._log.close()


RUN_AXE = """
axe.run(document, {runOnly: {type: 'tag', values: %s}, resultTypes: ['violations']})
  .then(r => JSON.stringify({
    version: axe.version,
    passes: r.passes.length,
    violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.length, first: v.nodes.slice(0, 3).map(n => n.html.slice(0, 160))}))}))
"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    chromium = Browser(tmp_path_factory.mktemp("chromium-a11y"))
    try:
        yield chromium
    finally:
        chromium.close()


def axe_results(browser: Browser, page: Path) -> dict:
    session = browser.open(page)
    browser.evaluate(session, AXE.read_text(encoding="utf-8") + "\n;true")
    return json.loads(browser.evaluate(session, RUN_AXE % json.dumps(WCAG_21_AA)))


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_axe_finds_no_wcag_21_aa_violation(report: SimpleNamespace, browser: Browser,
                                           lang: str) -> None:
    found = axe_results(browser, getattr(report, lang))
    pinned = json.loads(PACKAGE.read_text(encoding="utf-8"))["dependencies"]
    assert found["version"] == pinned["axe-core"]
    assert found["passes"] > 10  # axe really ran its rules on the page
    assert found["violations"] == [], json.dumps(found["violations"], indent=1,
                                                 ensure_ascii=False)


class Figures(HTMLParser):
    """Each figure with the ids its aria-describedby names and the chart inside it; all ids."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.figures: list[dict] = []
        self.ids: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids[a["id"]] = tag
        classes = (a.get("class") or "").split()
        if tag == "figure" and "figuur" in classes:
            self.figures.append({"describedby": (a.get("aria-describedby") or "").split(),
                                 "charts": []})
        if tag == "svg" and "pwb-chart" in classes and self.figures:
            self.figures[-1]["charts"].append((a.get("role"), a.get("aria-label")))


def test_every_chart_is_tied_to_its_data_table(report: SimpleNamespace) -> None:
    """A chart is an image with a name; its figure is described (aria-describedby) by the
    table of its data, the text alternative a screen reader or keyboard user can reach."""
    parsed = Figures()
    parsed.feed(report.nl.read_text(encoding="utf-8"))
    assert len(parsed.figures) >= 10
    for figure in parsed.figures:
        assert figure["charts"] and all(role == "img" and label
                                        for role, label in figure["charts"]), figure
        assert [parsed.ids.get(i) for i in figure["describedby"]] == ["table"], figure
