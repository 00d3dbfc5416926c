"""Render the exported HTML report in headless Chromium and check it from the page itself."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.profile._demo import demo_export

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("Chromium is not installed (Debian package `chromium`; .ci/run installs it), "
                "so the HTML report could not be rendered in a browser")
    raise AssertionError  # pragma: no cover


def _run(args, tmp_path) -> subprocess.CompletedProcess:
    cmd = [_chromium(), *CHROMIUM_ARGS, f"--user-data-dir={tmp_path / 'profile'}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def report():
    _, out = demo_export()
    return out / "report.html"


def test_every_image_loads_and_the_table_is_there(report, tmp_path):
    res = _run(["--virtual-time-budget=10000", "--dump-dom", report.as_uri()], tmp_path)
    dom = res.stdout
    assert "<body" in dom, f"chromium printed no DOM (rc={res.returncode}): {res.stderr[-2000:]}"
    body = re.search(r"<body([^>]*)>", dom).group(1)
    total = int(re.search(r'data-images-total="(\d+)"', body).group(1))
    ok = int(re.search(r'data-images-ok="(\d+)"', body).group(1))
    assert total >= 3 and ok == total, body
    assert 'data-images-loaded="true"' in body
    assert 'data-loaded="false"' not in dom
    rows = int(re.search(r'data-indicator-rows="(\d+)"', body).group(1))
    html = report.read_text()
    assert rows == html.count('class="indicator-row"') and rows > 10
    assert '<table id="indicators" class="indicators">' in dom
    assert dom.count('<details class="indicator-group">') >= 4  # folded under plain headings


def test_summary_and_where_to_act_come_first(report, tmp_path):
    """A planner sees the summary on the first screen (1280 × 900), then where to act."""
    res = _run(["--window-size=1280,900", "--virtual-time-budget=10000", "--dump-dom",
                report.as_uri()], tmp_path)
    dom = res.stdout
    body = re.search(r"<body([^>]*)>", dom).group(1)
    bottom = int(re.search(r'data-summary-bottom="(\d+)"', body).group(1))
    assert 0 < bottom <= 900, bottom
    summary = dom[dom.index('<section id="summary">'):dom.index("</section>")]
    assert summary.count("<li>") >= 3
    for phrase in ("100-year flood", "EUR a year", "heat hot spots", "WHO aim", "by 2100",
                   "/ 4 points"):
        assert phrase in summary, phrase
    where = dom.index('id="where"')
    assert dom.index('<section id="summary">') < where < dom.index('id="analyses-h"')
    assert 'id="map-flood_ead_by_district"' in dom[where:dom.index('id="analyses-h"')]
    assert '<table id="where-to-act">' in dom
    assert "above above" not in dom


def test_screenshot_renders(report, tmp_path):
    shot = tmp_path / "report.png"
    res = _run(["--hide-scrollbars", "--window-size=1200,2000", f"--screenshot={shot}",
                report.as_uri()], tmp_path)
    assert shot.is_file(), res.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
