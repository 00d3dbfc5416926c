"""A small city for fault tests: the sample city's DEM and sea, coast analysis only.

It runs in about a second and exports a few small files (no maps, no report), so a test
can run it, break something around it and run it again.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from urbanrisk import datasets


def small_city(folder: Path, name: str = "Small") -> dict[str, Any]:
    """Config of the small city; its DEM is a copy in ``folder`` that a test may change."""
    folder.mkdir(parents=True, exist_ok=True)
    dem = folder / "dem.tif"
    if not dem.exists():
        shutil.copyfile(datasets.get_path("helsinki", "dem"), dem)
    return {
        "city": {"name": name},
        "layers": {"dem": str(dem), "sea": str(datasets.get_path("helsinki", "sea"))},
        "coast": {"years": [2100], "scenarios": ["SSP5-8.5"], "dem_datum": "N2000"},
        "output": {"maps": False, "report": False},
    }


def small_city_toml(folder: Path, name: str = "Small") -> Path:
    """The small city as a TOML file in ``folder``, for the command line."""
    cfg = small_city(folder, name)
    path = folder / f"{name.lower()}.toml"
    path.write_text(
        f'[city]\nname = "{name}"\n'
        f'[layers]\ndem = "{cfg["layers"]["dem"]}"\nsea = "{cfg["layers"]["sea"]}"\n'
        '[coast]\nyears = [2100]\nscenarios = ["SSP5-8.5"]\ndem_datum = "N2000"\n'
        "[output]\nmaps = false\nreport = false\n"
    )
    return path
