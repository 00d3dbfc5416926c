"""Progress bars are exact: every analysis ticks as many steps as its bar's total."""

from __future__ import annotations

import subprocess
import sys

import pytest

from urbanrisk.profile import core


class _Recorder:
    """Stands in for a tqdm bar and keeps the count."""

    bars: list[_Recorder] = []

    def __init__(self, desc: str, total: int, enabled: bool) -> None:
        self.desc, self.total, self.n = desc, total, 0
        _Recorder.bars.append(self)

    def update(self, k: int = 1) -> None:
        self.n += k

    def close(self) -> None:
        pass


@pytest.mark.slow
def test_no_analysis_overruns_its_bar(monkeypatch):
    from urbanrisk.profile import CityProfile, demo_config

    _Recorder.bars = []
    monkeypatch.setattr(core, "_bar", _Recorder)
    profile = CityProfile(demo_config()).run(progress=True)
    done = {n for n, r in profile.results.items() if r.status == "done"}
    counted = {b.desc.split(": ")[1]: (b.n, b.total) for b in _Recorder.bars}
    assert done <= set(counted)
    assert {k: v for k, v in counted.items() if v[0] != v[1]} == {}


def test_no_tqdm_widget_warning_without_ipywidgets():
    """Without ipywidgets the plain bar is used and tqdm.auto is never imported."""
    code = ("import sys, warnings; warnings.simplefilter('error'); "
            "sys.modules['ipywidgets'] = None; "  # as if not installed
            "import urbanrisk._progress as p, urbanrisk.profile.export; "
            "print(p.tqdm.__module__, 'tqdm.autonotebook' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["tqdm.std", "False"]
