"""Private helpers shared by the hazard modules.

The entrance of every hazard function (:func:`check_hazard`, :func:`check_vector`) is a thin
call into the one input contract of :mod:`urbanrisk.layers` (:func:`~urbanrisk.layers.
prepare_raster`, :func:`~urbanrisk.layers.prepare_vector`); the rest is grid geometry,
stacking of extra dimensions, exact polygon coverage, line splitting and the units recorded
in result tables.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import xarray as xr
from affine import Affine

from urbanrisk.errors import GridError, InputValueError, InvalidGeometryError, UnitsError
from urbanrisk.hazard import _kernels
from urbanrisk.layers import (
    _is_rotated,
    grid_transform,
    is_dask_backed,
    prepare_raster,
    prepare_vector,
    require_number,
    require_numbers,
)

logger = logging.getLogger(__name__)

#: Short prefixes for the column names of well-known extra dimensions.
DIM_PREFIX = {"return_period": "rp", "year": "y", "quantile": "q", "scenario": ""}


@dataclass(frozen=True)
class Grid:
    """Axis-aligned grid geometry of a raster: ``x = x0 + col*dx``, ``y = y0 + row*dy``."""

    x0: float
    dx: float
    y0: float
    dy: float
    ny: int
    nx: int

    @property
    def transform(self) -> Affine:
        """The grid's affine transform."""
        return Affine(self.dx, 0.0, self.x0, 0.0, self.dy, self.y0)

    @property
    def cell_area(self) -> float:
        """Area of one cell in CRS units squared, ``|det|`` of the transform (m² when metric)."""
        t = self.transform
        return abs(t.a * t.e - t.b * t.d)

    def to_index(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Continuous (u, v) = (col, row) coordinates of points."""
        u = (np.asarray(x, float) - self.x0) / self.dx
        return u, (np.asarray(y, float) - self.y0) / self.dy


def grid_of(da: xr.DataArray) -> Grid:
    """Grid geometry of a raster that passed the contract (north-up, from its coordinates)."""
    t = grid_transform(da)
    if _is_rotated(t):
        raise GridError(
            f"{da.name or 'raster'} has a rotated grid; warp it to north-up first "
            "(urbanrisk.layers.north_up(da), or read_raster(path, warp=True))."
        )
    return Grid(float(t.c), float(t.a), float(t.f), float(t.e),
                int(da.sizes["y"]), int(da.sizes["x"]))


def check_hazard(
    hazard: xr.DataArray,
    *,
    name: str | None = None,
    to_units: str | None = "canonical",
    metric: bool = True,
    allow_extra: bool = True,
) -> tuple[xr.DataArray, str, list[str]]:
    """Pass a hazard raster through :func:`urbanrisk.layers.prepare_raster`.

    Returns ``(hazard, units, extra dims)``: the raster masked, north-up, in a metric CRS
    (unless ``metric=False``) and in ``to_units`` (by default the canonical unit of its
    quantity, so a depth in feet comes back in metres with ``attrs["converted_from_units"]``
    set). A hazard must state its units; any named extra dimension with coordinates
    (``return_period``, ``year`` ...) is kept unless ``allow_extra`` is false.
    """
    label = name or (str(hazard.name) if getattr(hazard, "name", None) else "hazard")
    allowed: tuple[str, ...] = ()
    if allow_extra and isinstance(hazard, xr.DataArray):
        allowed = tuple(
            d for d in hazard.dims
            if d not in ("y", "x") and not (d == "band" and hazard.sizes[d] == 1)
        )
    da = prepare_raster(hazard, name=label, to_units=to_units, allowed_dims=allowed,
                        metric=metric)
    units = da.attrs.get("units")
    if units is None:
        raise UnitsError(
            f"{label} has no units, so its values and thresholds cannot be read. State them: "
            f"da.attrs['units'] = 'm' (or 'ft', 'degC', 'K', 'people', ...; known units are "
            "converted to the canonical one), units= in urbanrisk.layers.read_raster(), or the "
            "layer's units key in the city TOML."
        )
    extra = [d for d in da.dims if d not in ("y", "x")]
    return da, str(units), extra


def check_vector(
    gdf: gpd.GeoDataFrame,
    like: xr.DataArray,
    *,
    name: str,
    geom_types: tuple[str, ...],
    make_valid: bool = False,
) -> gpd.GeoDataFrame:
    """:func:`urbanrisk.layers.prepare_vector` aligned to ``like`` (never resampled)."""
    return prepare_vector(gdf, name=name, like=like, geom_types=geom_types,
                          make_valid=make_valid)


def check_nodata_as(nodata_as: Any) -> float | None:
    """``nodata_as`` as a finite float, or None."""
    return None if nodata_as is None else require_number(nodata_as, name="nodata_as")


def source_units(hazard: xr.DataArray) -> str | None:
    """Units the caller's raster was in before conversion (None when not converted)."""
    return hazard.attrs.get("converted_from_units")


def record_units(
    frame: pd.DataFrame,
    hazard: xr.DataArray,
    columns: Mapping[str, str | None] | None = None,
) -> pd.DataFrame:
    """Record in ``frame.attrs`` the hazard's units and the units of result columns.

    ``attrs["hazard_units"]`` (the units the values and thresholds are in),
    ``attrs["hazard_converted_from_units"]`` (when the raster was converted, e.g. ``"ft"``)
    and ``attrs["units"]``, a ``{column: units}`` mapping that
    :func:`~urbanrisk.hazard.impact.asset_damage` reads.
    """
    attrs = dict(frame.attrs)
    attrs["hazard_units"] = hazard.attrs.get("units")
    src = source_units(hazard)
    if src is not None:
        attrs["hazard_converted_from_units"] = src
    else:
        attrs.pop("hazard_converted_from_units", None)
    if columns:
        known = attrs.get("units")
        merged = dict(known) if isinstance(known, Mapping) else {}
        merged.update({c: u for c, u in columns.items() if u is not None})
        attrs["units"] = merged
    frame.attrs = attrs
    return frame


def band_stack(hazard: xr.DataArray, extra: list[str]):
    """Return the values as ``(k, ny, nx)``, extra dims stacked (numpy or dask, not loaded)."""
    data = hazard.transpose(*extra, "y", "x").data if extra else hazard.data
    return data.reshape((-1, *data.shape[-2:]))


def band_labels(hazard: xr.DataArray, extra: list[str]) -> list[dict[str, Any]]:
    """Label (extra-dim coordinates) of each band of :func:`band_stack`, in order."""
    labels: list[dict[str, Any]] = [{}]
    for d in extra:
        coords = [c.item() if hasattr(c, "item") else c for c in hazard[d].values]
        labels = [{**lab, d: c} for lab in labels for c in coords]
    return labels


def cell_values(
    hazard: xr.DataArray,
    extra: list[str],
    rows: np.ndarray,
    cols: np.ndarray,
    *,
    nodata_as: float | None = None,
) -> np.ndarray:
    """Values of every band at the cells ``(rows[i], cols[i])``, as a ``(k, m)`` float array.

    Only the requested cells are read. For a dask-backed raster this is dask's point-wise
    indexing (``vindex``), which loads one chunk at a time, so memory stays bounded by the
    chunk size and the number of cells asked for, not by the raster. ``rows`` and ``cols``
    must lie inside the grid.
    """
    bands = band_stack(hazard, extra)
    rows = np.asarray(rows, dtype=np.intp)
    cols = np.asarray(cols, dtype=np.intp)
    if is_dask_backed(bands):
        if rows.size == 0:
            vals = np.empty((bands.shape[0], 0))
        else:
            picked = bands.vindex[:, rows, cols]  # dask puts the point axis first
            vals = np.asarray(picked.compute()).T
    else:
        vals = np.asarray(bands)[:, rows, cols]
    vals = vals.astype(np.float64, copy=False)
    if nodata_as is not None:
        vals = np.where(np.isnan(vals), float(nodata_as), vals)
    return vals


def column_names(base: str, labels: list[dict[str, Any]]) -> list[str]:
    """Column name per band: ``base`` alone for a 2-D raster, ``base_rp100`` etc. otherwise."""
    names = []
    for lab in labels:
        if not lab:
            names.append(base)
            continue
        parts = [f"{DIM_PREFIX.get(d, d + '_')}{v}" for d, v in lab.items()]
        names.append(base + "_" + "_".join(parts))
    return names


def warn_outside(name: str, n_out: int, n_total: int, n_nodata: int = 0) -> None:
    """Log (warning) how many features got NaN, outside the raster and on nodata cells apart.

    Outside the raster's extent nothing is known; a NaN cell inside it is nodata, which the
    caller may declare as a value with ``nodata_as`` (``0.0`` when nodata means dry).
    """
    if n_out:
        logger.warning(
            "%s: %d of %d features are outside the raster's extent; their values are NaN "
            "(unknown).", name, n_out, n_total,
        )
    if n_nodata:
        logger.warning(
            "%s: %d of %d features lie only on nodata (NaN) cells of the raster; their values "
            "are NaN. If nodata means no hazard (e.g. a dry cell of a flood map), pass "
            "nodata_as=0.0.", name, n_nodata, n_total,
        )


# --------------------------------------------------------------------------------------
# Exact polygon coverage
# --------------------------------------------------------------------------------------
@dataclass
class Coverage:
    """Sparse cell coverage of a set of polygons on a grid.

    ``geom``, ``row``, ``col``, ``frac`` list every (polygon, cell) pair with a positive
    coverage fraction, grouped by polygon in input order; ``area_cells`` is each polygon's
    total area in cell units (including parts outside the grid).
    """

    geom: np.ndarray
    row: np.ndarray
    col: np.ndarray
    frac: np.ndarray
    area_cells: np.ndarray
    n: int


def polygon_coverage(geoms: np.ndarray, grid: Grid) -> Coverage:
    """Exact coverage fraction of every grid cell by every (multi)polygon."""
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    gtype, coords, offsets = shapely.to_ragged_array(geoms)
    if gtype == shapely.GeometryType.POLYGON:
        ring_off, geom_ring_off = offsets
        part_ring_off = geom_ring_off
        geom_part_off = np.arange(n + 1)
    elif gtype == shapely.GeometryType.MULTIPOLYGON:
        ring_off, part_ring_off, geom_part_off = offsets
    else:  # pragma: no cover - guarded by prepare_vector
        raise InvalidGeometryError("polygon coverage needs Polygon or MultiPolygon geometries.")
    ring_off = np.asarray(ring_off, np.int64)
    nrings = len(ring_off) - 1
    nparts = len(part_ring_off) - 1
    ring_part = np.repeat(np.arange(nparts), np.diff(part_ring_off))
    ring_hole = np.arange(nrings) != np.asarray(part_ring_off)[:-1][ring_part]
    part_geom = np.repeat(np.arange(n), np.diff(geom_part_off))
    ring_geom = part_geom[ring_part].astype(np.int64)
    u, v = grid.to_index(coords[:, 0], coords[:, 1])
    u = np.ascontiguousarray(u)
    v = np.ascontiguousarray(v)
    ring_start = ring_off[:-1]
    ring_stop = ring_off[1:] - 1  # drop the closing vertex
    # bbox of each geometry in index space (from its coordinates)
    bounds = shapely.bounds(geoms)
    bu0, bv0 = grid.to_index(bounds[:, 0], bounds[:, 1])
    bu1, bv1 = grid.to_index(bounds[:, 2], bounds[:, 3])
    umin, umax = np.minimum(bu0, bu1), np.maximum(bu0, bu1)
    vmin, vmax = np.minimum(bv0, bv1), np.maximum(bv0, bv1)
    r0 = np.clip(np.floor(vmin), 0, grid.ny).astype(np.int64)
    r1 = np.clip(np.ceil(vmax), 0, grid.ny).astype(np.int64)
    c0 = np.clip(np.floor(umin), 0, grid.nx).astype(np.int64)
    c1 = np.clip(np.ceil(umax), 0, grid.nx).astype(np.int64)
    nr = np.maximum(r1 - r0, 0)
    nc = np.maximum(c1 - c0, 0)
    sizes = nr * nc
    off = np.zeros(n + 1, np.int64)
    np.cumsum(sizes, out=off[1:])
    total = int(off[-1])
    out_row = np.empty(total, np.int32)
    out_col = np.empty(total, np.int32)
    out_cov = np.empty(total, np.float64)
    _kernels.polygon_coverage(
        u, v, ring_start, ring_stop, ring_geom, ring_hole, r0, c0, nr, nc, off[:-1],
        grid.ny, grid.nx, out_row, out_col, out_cov,
    )
    gidx = np.repeat(np.arange(n, dtype=np.int64), sizes)
    keep = out_cov > 0
    area_cells = shapely.area(geoms) / grid.cell_area
    return Coverage(gidx[keep], out_row[keep], out_col[keep], out_cov[keep], area_cells, n)


# --------------------------------------------------------------------------------------
# Exact line splitting
# --------------------------------------------------------------------------------------
@dataclass
class LinePieces:
    """Pieces of lines split at cell boundaries: line index, cell, length (CRS units)."""

    geom: np.ndarray
    row: np.ndarray
    col: np.ndarray
    length: np.ndarray
    total_length: np.ndarray
    n: int


def line_pieces(geoms: np.ndarray, grid: Grid) -> LinePieces:
    """Split (multi)linestrings exactly where they cross the grid's cell boundaries."""
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    coords, idx = shapely.get_coordinates(geoms, return_index=True)
    # split multi-part lines into parts so that no segment joins two parts
    parts, part_idx = shapely.get_parts(geoms, return_index=True)
    pcoords, pidx = shapely.get_coordinates(parts, return_index=True)
    del coords, idx
    same = pidx[1:] == pidx[:-1]
    a = pcoords[:-1][same]
    b = pcoords[1:][same]
    seg_geom = part_idx[pidx[:-1][same]].astype(np.int64)
    seg_len = np.hypot(b[:, 0] - a[:, 0], b[:, 1] - a[:, 1])
    u0, v0 = grid.to_index(a[:, 0], a[:, 1])
    u1, v1 = grid.to_index(b[:, 0], b[:, 1])

    def crossings(p, q):
        lo, hi = np.minimum(p, q), np.maximum(p, q)
        cnt = np.ceil(hi) - np.floor(lo) - 1
        return np.where(p != q, np.maximum(cnt, 0), 0).astype(np.int64)

    npieces = crossings(u0, u1) + crossings(v0, v1) + 1
    off = np.zeros(len(seg_len) + 1, np.int64)
    np.cumsum(npieces, out=off[1:])
    total = int(off[-1])
    out_row = np.empty(total, np.int32)
    out_col = np.empty(total, np.int32)
    out_len = np.empty(total, np.float64)
    _kernels.line_pieces(
        np.ascontiguousarray(u0), np.ascontiguousarray(v0), np.ascontiguousarray(u1),
        np.ascontiguousarray(v1), seg_len, off, grid.ny, grid.nx, out_row, out_col, out_len,
    )
    gidx = np.repeat(seg_geom, npieces)
    keep = out_len > 0
    total_length = np.bincount(seg_geom, weights=seg_len, minlength=n)
    return LinePieces(gidx[keep], out_row[keep], out_col[keep], out_len[keep], total_length, n)


# --------------------------------------------------------------------------------------
# Classes
# --------------------------------------------------------------------------------------
def check_bins(bins: Any, *, name: str = "bins") -> np.ndarray:
    """Validate class edges: numbers (strings refused), finite, strictly increasing."""
    if isinstance(bins, str | bytes):
        raise InputValueError(f"{name} must be numbers, got {bins!r}.")
    b = np.atleast_1d(require_numbers(bins, name=name))
    if b.ndim != 1 or b.size == 0 or np.any(np.diff(b) <= 0):
        raise InputValueError(
            f"{name} must be a non-empty, strictly increasing list of finite numbers, "
            f"got {bins!r}."
        )
    return b


def class_labels(bins: np.ndarray, units: str) -> list[str]:
    """Labels of the right-closed classes ``(-inf, b0], (b0, b1], ..., (bn, inf)``."""
    def f(x: float) -> str:
        return f"{x:g}"

    labels = [f"<= {f(bins[0])} {units}"]
    labels += [f"{f(lo)}-{f(hi)} {units}" for lo, hi in zip(bins[:-1], bins[1:], strict=True)]
    labels.append(f"> {f(bins[-1])} {units}")
    return labels


def class_bounds(bins: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(lower, upper)`` of each class of :func:`class_labels`, then of ``"nodata"`` (NaN).

    Class ``i`` holds values ``lower[i] < v <= upper[i]`` (``-inf`` / ``inf`` at the ends), so
    callers select classes by number (``class_lower >= threshold``), never by label.
    """
    b = np.asarray(bins, dtype=float)
    lower = np.concatenate([[-np.inf], b, [np.nan]])
    upper = np.concatenate([b, [np.inf], [np.nan]])
    return lower, upper


def classify(values: np.ndarray, bins: np.ndarray) -> np.ndarray:
    """Class code per value: ``i`` for ``bins[i-1] < v <= bins[i]``; -1 for NaN."""
    codes = np.digitize(values, bins, right=True)
    return np.where(np.isnan(values), -1, codes)
