"""One demo export per test session, shared by every test module that needs it."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

_CACHE: dict[str, object] = {}


def demo_export() -> tuple[object, Path]:
    """Run the sample city's profile once and export it; return (profile, folder)."""
    if "out" not in _CACHE:
        import matplotlib

        matplotlib.use("Agg")
        from urbanrisk.profile import CityProfile, demo_config

        root = Path(tempfile.mkdtemp(prefix="urbanrisk-demo-"))
        atexit.register(shutil.rmtree, root, ignore_errors=True)
        profile = CityProfile(demo_config()).run(progress=False)
        out = profile.export(root / "helsinki")
        _CACHE["profile"], _CACHE["out"] = profile, out
    return _CACHE["profile"], _CACHE["out"]  # type: ignore[return-value]
