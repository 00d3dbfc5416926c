"""What each analysis of a configuration will compute, and what it will leave out.

:func:`analysis_plan` reads a checked :class:`~urbanrisk.profile.config.ProfileConfig` (and
the column names of its vector files, header only) and says for every analysis whether it
**runs**, **runs partly** (and without what), is **skipped** (and because of what) or is
**disabled**, plus the defaults that will change a number or a name (every building taken
as residential, districts named by row number, the sea taken from the DEM's edge). This is
what ``urbanrisk check`` prints; the profile's analyses table after a run says the same in
its ``reason`` column (a ``done`` analysis with a reason ran partly).

The sentences are made by the small functions here and used by the steps too, so the check
and the run never disagree about what was left out.

Examples
--------
A flood depth alone: the flood analysis runs on it and says what it leaves out.

>>> import numpy as np
>>> from urbanrisk.layers import raster_from_array
>>> from urbanrisk.profile.config import config_from_dict
>>> depth = raster_from_array(np.zeros((2, 2)), crs=3067, transform=(10, 0, 0, 0, -10, 20),
...                           units="m")
>>> cfg = config_from_dict({"city": {"name": "Tiny"}, "layers": {"flood_depth": depth}})
>>> hazard = analysis_plan(cfg)[0]
>>> hazard.status
'runs partly'
>>> for item in hazard.reason.split("; "):
...     print(item)
without buildings exposed, damage and expected annual damage (no `buildings` layer)
people exposed (no `population` layer)
roads exposed (no `roads` layer)
results per district (no `districts` layer)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from urbanrisk.profile.config import ANALYSES, LayerSource, ProfileConfig

__all__ = [
    "AnalysisPlan",
    "analysis_plan",
    "plan_table",
    "without",
    "no_layer",
]


def no_layer(what: str, layer: str) -> str:
    """Return one item an analysis leaves out for want of a layer.

    Examples
    --------
    >>> no_layer("roads exposed", "roads")
    'roads exposed (no `roads` layer)'
    """
    return f"{what} (no `{layer}` layer)"


def without(items: list[str]) -> str:
    """Return the reason of an analysis that runs partly: ``"without a; b"`` (``""`` for none).

    Examples
    --------
    >>> without(["x (no `y` layer)", "z"])
    'without x (no `y` layer); z'
    >>> without([])
    ''
    """
    return "without " + "; ".join(items) if items else ""


#: Items the steps and the plan share (kept in one place so they never disagree).
NO_DAMAGE_VALUE = ("damage and expected annual damage (hazard.country not set, and no "
                   "hazard.damage_column)")
NO_CBI_AREA = "CBI indicators 1-2 (CBI indicator 1 needs the city area: give `districts`)"
NO_ACCESS_PEOPLE = "green access (green access needs `population` or `buildings`)"
NO_CANDIDATES = ("candidate sites (no candidate sites (give `candidates` or "
                 "green.candidate_classes with `landcover`))")


def building_use_default(column: str) -> str:
    """Return the item of a buildings layer without its use column."""
    return (f"building use (no column {column!r} in `buildings`: every building taken as "
            "residential)")


def district_name_default(column: str) -> str:
    """Return the note of a districts layer without its name column."""
    return (f"districts have no column {column!r} (columns.district_name): they are named "
            "by their row number")


@dataclass(frozen=True)
class AnalysisPlan:
    """What one analysis will do with the configuration as it is.

    Attributes
    ----------
    analysis : str
        ``hazard``, ``heat``, ``green``, ``coast`` or ``shoreline``.
    status : str
        ``"runs"``, ``"runs partly"``, ``"skipped"`` or ``"disabled"``.
    reason : str
        For ``runs partly``: ``"without ..."``, what is left out and why; for ``skipped``
        and ``disabled``: why; ``""`` for ``runs``.
    defaults : tuple of str
        Defaults that change a number or a name, each with the key to set.
    """

    analysis: str
    status: str
    reason: str = ""
    defaults: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line: ``hazard     runs partly  without ...``."""
        return f"{self.analysis:<10} {self.status:<12} {self.reason}".rstrip()


def analysis_plan(config: ProfileConfig) -> list[AnalysisPlan]:
    """Say for every analysis whether it runs, runs partly, is skipped or disabled.

    Parameters
    ----------
    config : ProfileConfig
        A checked configuration. The column names of its vector layers are read (from
        the file's header, or from the GeoDataFrame given in memory) to find the building
        use and district name columns (``[columns]``).

    Returns
    -------
    list of AnalysisPlan
        One per analysis, in the order the profile runs them.
    """
    layers = config.layers
    has = set(layers)
    out: list[AnalysisPlan] = []
    for name in ANALYSES:
        sec = config.section(name)
        if not config.wants(name):
            if not sec.get("auto", False):
                out.append(AnalysisPlan(name, "disabled",
                                        "disabled in the configuration (run = false)"))
            elif missing := _needed(config, name):
                out.append(AnalysisPlan(name, "skipped",
                                        f"layers not given: {', '.join(missing)}"))
            else:
                out.append(AnalysisPlan(name, "skipped", f"its [{name}] settings do not switch "
                                        "it on (see the configuration reference)"))
            continue
        # an analysis without a part here has no optional inputs it could run without
        left_out, defaults = _PARTS.get(name, _nothing)(config, has)
        out.append(AnalysisPlan(name, "runs partly" if left_out else "runs",
                                without(left_out), tuple(defaults)))
    return out


def plan_table(config: ProfileConfig) -> pd.DataFrame:
    """:func:`analysis_plan` as a table: analysis, status, reason, defaults."""
    return pd.DataFrame([
        {"analysis": p.analysis, "status": p.status, "reason": p.reason,
         "defaults": "; ".join(p.defaults)}
        for p in analysis_plan(config)
    ])


def _needed(config: ProfileConfig, name: str) -> list[str]:
    sec = config.section(name)
    needed = ANALYSES[name]
    if name == "green":
        needed = ("landcover",) if sec["habitat_classes"] is not None else ("green",)
    if name == "shoreline" and "transects" in config.layers:
        needed = ("shorelines",)
    return [n for n in needed if n not in config.layers]


def _district_defaults(config: ProfileConfig, has: set[str]) -> list[str]:
    if "districts" not in has:
        return []
    col = config.section("columns")["district_name"]
    cols = _columns(config.layers["districts"])
    if cols is not None and col not in cols:
        return [f"{district_name_default(col)}; columns in the file: {_show(cols)}"]
    return []


def _hazard(config: ProfileConfig, has: set[str]) -> tuple[list[str], list[str]]:
    sec = config.section("hazard")
    left: list[str] = []
    defaults: list[str] = []
    if "buildings" not in has:
        left.append(no_layer("buildings exposed, damage and expected annual damage",
                             "buildings"))
    if "population" not in has:
        left.append(no_layer("people exposed", "population"))
    if "roads" not in has:
        left.append(no_layer("roads exposed", "roads"))
    if "buildings" in has and not sec["country"] and not sec["damage_column"]:
        left.append(NO_DAMAGE_VALUE)
    elif "buildings" in has:
        use = config.section("columns")["building_use"]
        cols = _columns(config.layers["buildings"])
        if cols is not None and use not in cols:
            left.append(building_use_default(use))
            defaults.append(f"set columns.building_use to the column holding the building "
                            f"use; columns in the file: {_show(cols)}")
    if "districts" not in has:
        left.append(no_layer("results per district", "districts"))
    if not sec["nodata_is_dry"]:
        defaults.append("nodata cells inside the flood maps are unknown, not dry "
                        "(hazard.nodata_is_dry = false)")
    return left, defaults + _district_defaults(config, has)


def _heat(config: ProfileConfig, has: set[str]) -> tuple[list[str], list[str]]:
    left = [] if "districts" in has else [no_layer("people per district", "districts")]
    return left, _district_defaults(config, has)


def _green(config: ProfileConfig, has: set[str]) -> tuple[list[str], list[str]]:
    sec = config.section("green")
    left: list[str] = []
    if "districts" not in has:
        left.append(NO_CBI_AREA)
    if "population" not in has and "buildings" not in has:
        left.append(NO_ACCESS_PEOPLE)
    if "candidates" not in has and not (sec["candidate_classes"] and "landcover" in has):
        left.append(NO_CANDIDATES)
    return left, _district_defaults(config, has)


def _coast(config: ProfileConfig, has: set[str]) -> tuple[list[str], list[str]]:
    sec = config.section("coast")
    left = [no_layer(what, layer) for layer, what in
            (("population", "people reached"), ("buildings", "buildings reached"))
            if layer not in has]
    defaults = []
    if "sea" not in has:
        defaults.append(
            f"no `sea` layer: the sea is the water connected to the DEM's edge cells at or "
            f"below {sec['sea_edge_level_m']:g} m above {sec['water_surface_name']} "
            "(coast.sea_edge_level_m); give a `sea` layer to fix it"
        )
    return left, defaults


def _shoreline(config: ProfileConfig, has: set[str]) -> tuple[list[str], list[str]]:
    defaults = [] if "sea" in has else [
        "no `sea` layer: the direction of the transects (shoreline.seaward) is not checked"]
    return [], defaults


def _nothing(config: ProfileConfig, has: set[str]) -> tuple[list[str], list[str]]:
    return [], []


_PARTS = {"hazard": _hazard, "heat": _heat, "green": _green, "coast": _coast,
          "shoreline": _shoreline}


def _show(cols: list[str]) -> str:
    return ", ".join(cols[:12]) + (", ..." if len(cols) > 12 else "") if cols else "none"


def _columns(src: LayerSource) -> list[str] | None:
    """Attribute columns of a vector layer (header only), or None when unknown."""
    if src.data is not None:
        return [str(c) for c in src.data.columns if c != src.data.geometry.name]
    path: Path | None = src.path
    if path is None or not path.is_file():
        return None
    try:
        import pyogrio

        layer: Any = src.layer
        if layer is None and path.suffix.lower() == ".gpkg":
            names = [n for n, _ in pyogrio.list_layers(path)]
            layer = src.name if src.name in names else None
        return [str(f) for f in pyogrio.read_info(path, layer=layer)["fields"]]
    except Exception:  # noqa: BLE001 - a file pyogrio cannot open: columns unknown
        return None
