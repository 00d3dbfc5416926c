"""What one analysis of a city profile produced: indicator rows, layers, maps and notes.

The steps (:mod:`urbanrisk.profile.steps`) fill an :class:`AnalysisResult`; the profile
(:mod:`urbanrisk.profile.core`) keeps one per analysis and the export writes them. This
module sits below both, so neither imports the other in a circle.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd
import xarray as xr

__all__ = ["AnalysisResult", "AnalysisUnavailable", "MapSpec", "interrupted", "slug"]


class AnalysisUnavailable(Exception):  # noqa: N818 - a signal, not an error for users
    """Raised inside a step when a function it needs is not available; the step is skipped."""


@dataclass
class MapSpec:
    """A map to draw at export time: file stem, caption and a function returning a Figure."""

    name: str
    caption: str
    draw: Callable[[], Any]


@dataclass
class AnalysisResult:
    """What one analysis produced (or why it did not run)."""

    name: str
    status: str = "skipped"  # done, skipped, failed
    reason: str = ""
    seconds: float = 0.0
    rows: list[dict] = field(default_factory=list)
    vectors: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    rasters: dict[str, xr.DataArray] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    maps: list[MapSpec] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    citations: list[str] = field(default_factory=list)


def interrupted(exc: BaseException) -> bool:
    """Whether ``exc`` is, or wraps, a Ctrl-C.

    A signal that lands in compiled code (numba, GDAL) surfaces as another exception, e.g.
    ``SystemError``, with the ``KeyboardInterrupt`` as its cause or context. Code that keeps
    going after one analysis fails must re-raise these, or Ctrl-C would be recorded as a
    failed analysis and the run would carry on.

    Examples
    --------
    >>> try:
    ...     try:
    ...         raise KeyboardInterrupt
    ...     except KeyboardInterrupt as ki:
    ...         raise SystemError("error return without exception set") from ki
    ... except SystemError as exc:
    ...     interrupted(exc)
    True
    >>> interrupted(ValueError("bad"))
    False
    """
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, KeyboardInterrupt):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def slug(text: str) -> str:
    """File/column-safe lower-case name: ``"SSP5-8.5 q0.5"`` → ``"ssp5_8_5_q0_5"``.

    Examples
    --------
    >>> slug("SSP5-8.5 q0.5")
    'ssp5_8_5_q0_5'
    """
    return re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_")
