"""Private helpers shared by the hazard modules.

Validation of hazard rasters, grid geometry, stacking of extra dimensions, exact polygon
coverage and line splitting.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
import xarray as xr

from urbanrisk.errors import (
    DimensionError,
    EmptyLayerError,
    InputValueError,
    InvalidGeometryError,
)
from urbanrisk.hazard import _kernels
from urbanrisk.layers import (
    align_vector_to_raster,
    check_geometries,
    is_dask_backed,
    require_crs,
    require_dims,
    require_overlap,
    require_units,
)

logger = logging.getLogger(__name__)

#: Short prefixes for the column names of well-known extra dimensions.
DIM_PREFIX = {"return_period": "rp", "year": "y", "quantile": "q", "scenario": ""}


_TYPE_NAMES = {
    0: "Point", 1: "LineString", 2: "LinearRing", 3: "Polygon", 4: "MultiPoint",
    5: "MultiLineString", 6: "MultiPolygon", 7: "GeometryCollection",
}


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
    def cell_area(self) -> float:
        """Area of one cell in CRS units squared."""
        return abs(self.dx * self.dy)

    def to_index(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Continuous (u, v) = (col, row) coordinates of points."""
        u = (np.asarray(x, float) - self.x0) / self.dx
        return u, (np.asarray(y, float) - self.y0) / self.dy


def grid_of(da: xr.DataArray) -> Grid:
    """Grid geometry of a raster from its transform (rotation refused)."""
    x = np.asarray(da["x"].values, dtype=float) if "x" in da.coords else np.zeros(0)
    y = np.asarray(da["y"].values, dtype=float) if "y" in da.coords else np.zeros(0)
    if x.size >= 2 and y.size >= 2:
        dx = (x[-1] - x[0]) / (x.size - 1)
        dy = (y[-1] - y[0]) / (y.size - 1)
        return Grid(float(x[0] - dx / 2), float(dx), float(y[0] - dy / 2), float(dy),
                    int(da.sizes["y"]), int(da.sizes["x"]))
    t = da.rio.transform()
    if t.b != 0 or t.d != 0:
        raise InputValueError(
            f"{da.name or 'raster'} has a rotated transform; warp it to a north-up grid first "
            "(da.rio.reproject(da.rio.crs))."
        )
    return Grid(
        float(t.c), float(t.a), float(t.f), float(t.e), int(da.sizes["y"]), int(da.sizes["x"])
    )


def check_hazard(
    hazard: xr.DataArray, *, name: str = "hazard", units: str | None = None
) -> tuple[str, list[str]]:
    """Validate a hazard raster at a public entrance; return (units, extra dims).

    Checks the type, CRS, ``(y, x)`` dims, units and that not every cell is NaN.
    """
    if not isinstance(hazard, xr.DataArray):
        raise InputValueError(
            f"{name} must be an xarray.DataArray (read it with urbanrisk.layers.read_raster), "
            f"got {type(hazard).__name__}."
        )
    require_crs(hazard, name=name)
    require_dims(hazard, required=("y", "x"), name=name)
    u = require_units(hazard, units, name=name)
    extra = [d for d in hazard.dims if d not in ("y", "x")]
    for d in extra:
        if d not in hazard.coords:
            raise DimensionError(
                f"{name} has dimension {d!r} without coordinates; assign them, e.g. "
                f"da.assign_coords({d}=[10, 100])."
            )
    if not np.issubdtype(hazard.dtype, np.number) and hazard.dtype != bool:
        raise InputValueError(f"{name} holds {hazard.dtype} values; a numeric raster is needed.")
    if hazard.size == 0:
        raise EmptyLayerError(f"{name} has no cells (shape {hazard.shape}).")
    if np.issubdtype(hazard.dtype, np.floating) and not _any_finite(hazard):
        raise EmptyLayerError(
            f"{name} holds nodata (NaN) in every cell. Check the file's nodata value and "
            "that you selected the right band."
        )
    return u, extra


def _any_finite(da: xr.DataArray, block: int = 1 << 20) -> bool:
    """Whether any value is finite, scanning in blocks and stopping at the first one.

    A dask-backed raster is read one chunk at a time, up to the first chunk with a finite
    value (usually the first), so the check does not cost a pass over the whole raster.
    """
    if is_dask_backed(da):
        import dask.array

        return any(bool(dask.array.isfinite(block).any().compute())
                   for block in da.data.blocks.ravel())
    flat = np.asarray(da.values).reshape(-1)
    for start in range(0, flat.size, block):
        if np.isfinite(flat[start : start + block]).any():
            return True
    return False


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


def prepare_vector(
    gdf: gpd.GeoDataFrame,
    hazard: xr.DataArray,
    *,
    name: str,
    geom_types: tuple[str, ...],
    make_valid: bool = False,
) -> gpd.GeoDataFrame:
    """Validate a vector layer and return it in the raster's CRS (raster never resampled)."""
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputValueError(f"{name} must be a GeoDataFrame, got {type(gdf).__name__}.")
    if len(gdf) == 0:
        raise EmptyLayerError(f"{name} has no features. Check the file, layer and filters.")
    require_crs(gdf, name=name)
    gdf = check_geometries(gdf, name=name, make_valid=make_valid)
    ids = np.unique(shapely.get_type_id(np.asarray(gdf.geometry.values)))
    types = {_TYPE_NAMES.get(int(i), "unknown") for i in ids}
    bad = types - set(geom_types)
    if bad:
        raise InvalidGeometryError(
            f"{name} holds {sorted(bad)} geometries but {sorted(geom_types)} are expected here. "
            "Use the exposure function for that geometry type, or explode/convert them."
        )
    out = align_vector_to_raster(gdf, hazard, name=name)
    require_overlap(hazard, out, names=(str(hazard.name or "hazard"), name))
    return out


def warn_outside(name: str, n_out: int, n_total: int, what: str = "outside the raster") -> None:
    """Log (warning) how many assets got NaN because they are outside the raster."""
    if n_out:
        logger.warning(
            "%s: %d of %d features are %s (or only on nodata cells); their values are NaN.",
            name, n_out, n_total, what,
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
    """Validate class edges: numeric, finite, strictly increasing."""
    try:
        b = np.atleast_1d(np.asarray(bins, dtype=float))
    except (TypeError, ValueError):
        raise InputValueError(f"{name} must be numbers, got {bins!r}.") from None
    if b.ndim != 1 or b.size == 0 or not np.isfinite(b).all() or np.any(np.diff(b) <= 0):
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


def classify(values: np.ndarray, bins: np.ndarray) -> np.ndarray:
    """Class code per value: ``i`` for ``bins[i-1] < v <= bins[i]``; -1 for NaN."""
    codes = np.digitize(values, bins, right=True)
    return np.where(np.isnan(values), -1, codes)
