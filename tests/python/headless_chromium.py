"""Open a page in headless Chromium (Debian's `chromium`, which `make test` installs) and read
what it rendered: the DOM after the scripts ran, or a screenshot.

    python tests/python/headless_chromium.py screenshot PAGE.html OUT.png [WIDTH HEIGHT]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
INSTALL_HINT = (
    f"headless Chromium is needed to test the HTML report and {CHROMIUM} is missing: run `make chromium` "
    "(or as root: apt-get update && apt-get install -y chromium), or set CHROMIUM to its path"
)
# No sandbox (containers and CI run as root), no GPU, nothing that calls home.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]
# Virtual time: the page's timers and plotly's drawing run to completion without waiting for real.
VIRTUAL_TIME_MS = 10_000


class ChromiumMissing(RuntimeError):
    pass


def _run(page: Path, *arguments: str) -> str:
    if not CHROMIUM.exists():
        raise ChromiumMissing(INSTALL_HINT)
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        completed = subprocess.run(
            [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", f"--virtual-time-budget={VIRTUAL_TIME_MS}",
             *arguments, page.resolve().as_uri()],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    if completed.returncode != 0:
        raise RuntimeError(f"chromium exited with {completed.returncode} on {page}:\n{completed.stderr[-2000:]}")
    return completed.stdout


def dump_dom(page: Path) -> str:
    """The page's DOM once its scripts have run, serialized as HTML."""
    return _run(page, "--dump-dom")


def screenshot(page: Path, out: Path, width: int = 1280, height: int = 2400) -> Path:
    _run(page, f"--window-size={width},{height}", f"--screenshot={out.resolve()}")
    if not out.exists():
        raise RuntimeError(f"chromium wrote no screenshot of {page}")
    return out


@dataclass
class RenderedPage:
    """What a page's DOM shows: each plotly chart's id and whether it holds its drawn svg, and the
    script errors the page's own hook recorded (#script-errors)."""

    charts: dict[str, bool] = field(default_factory=dict)
    script_errors: str = ""
    error_box_found: bool = False

    @property
    def unrendered(self) -> list[str]:
        return [chart for chart, drawn in self.charts.items() if not drawn]


class _DomReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.page = RenderedPage()
        self.div_depth = 0
        self.chart: str | None = None
        self.chart_depth = 0
        self.in_error_box = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        if tag == "div":
            self.div_depth += 1
            if "plotly-graph-div" in classes and self.chart is None:
                self.chart, self.chart_depth = attributes.get("id") or f"chart{len(self.page.charts)}", self.div_depth
                self.page.charts[self.chart] = False
        elif tag == "svg" and "main-svg" in classes and self.chart is not None:
            self.page.charts[self.chart] = True
        elif tag == "pre" and attributes.get("id") == "script-errors":
            self.page.error_box_found = True
            self.in_error_box = True

    def handle_endtag(self, tag):
        if tag == "div":
            if self.chart is not None and self.div_depth == self.chart_depth:
                self.chart = None
            self.div_depth -= 1
        elif tag == "pre":
            self.in_error_box = False

    def handle_data(self, data):
        if self.in_error_box:
            self.page.script_errors += data


def read_rendered(dom: str) -> RenderedPage:
    reader = _DomReader()
    reader.feed(dom)
    reader.close()
    return reader.page


if __name__ == "__main__":
    if len(sys.argv) not in (4, 6) or sys.argv[1] != "screenshot":
        sys.exit(__doc__)
    size = [int(value) for value in sys.argv[4:6]] or [1280, 2400]
    print(screenshot(Path(sys.argv[2]), Path(sys.argv[3]), *size))
