"""Private helpers shared by the hazard modules.

The entrance of every hazard function (:func:`check_hazard`, :func:`check_vector`) is a thin
call into the one input contract of :mod:`urbanrisk.layers` (:func:`~urbanrisk.layers.
prepare_raster`, :func:`~urbanrisk.layers.prepare_vector`); the rest is grid geometry,
stacking of extra dimensions, exact polygon coverage, line splitting and the units recorded
in result tables.
"""

from __future__ import annotations

import logging
import os
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
    read_raster,
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


#: Chunks of a hazard file opened lazily for the asset functions: all bands together,
#: 512 x 512 cells (a multiple of the usual 256 or 512 GeoTIFF block).
FILE_CHUNKS = {"band": -1, "y": 512, "x": 512}


def check_hazard(
    hazard: xr.DataArray | str | os.PathLike,
    *,
    name: str | None = None,
    to_units: str | None = "canonical",
    metric: bool = True,
    allow_extra: bool = True,
    allow_path: bool = False,
) -> tuple[xr.DataArray, str, list[str]]:
    """Pass a hazard raster through :func:`urbanrisk.layers.prepare_raster`.

    Returns ``(hazard, units, extra dims)``: the raster masked, north-up, in a metric CRS
    (unless ``metric=False``) and in ``to_units`` (by default the canonical unit of its
    quantity, so a depth in feet comes back in metres with ``attrs["converted_from_units"]``
    set). A hazard must state its units; any named extra dimension with coordinates
    (``return_period``, ``year`` ...) is kept unless ``allow_extra`` is false. With
    ``allow_path``, a file path is opened lazily (``read_raster(path, chunks=FILE_CHUNKS)``:
    nothing is read until the cells under the assets are).
    """
    if allow_path and isinstance(hazard, str | os.PathLike):
        hazard = read_raster(hazard, chunks=dict(FILE_CHUNKS))
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


@dataclass
class _Rings:
    """Polygon rings in grid index space, with each geometry's bbox clipped to the grid."""

    u: np.ndarray
    v: np.ndarray
    ring_start: np.ndarray
    ring_stop: np.ndarray
    ring_geom: np.ndarray
    ring_hole: np.ndarray
    r0: np.ndarray
    c0: np.ndarray
    nr: np.ndarray
    nc: np.ndarray

    @property
    def geom_ring_off(self) -> np.ndarray:
        """``[off[g], off[g+1])``: the rings of geometry ``g`` (rings are grouped by geometry)."""
        return np.searchsorted(self.ring_geom, np.arange(self.r0.size + 1)).astype(np.int64)


def _rings(geoms: np.ndarray, grid: Grid) -> _Rings:
    n = len(geoms)
    types = shapely.get_type_id(geoms)
    if n and (types == shapely.GeometryType.POLYGON).all() and \
            not shapely.get_num_interior_rings(geoms).any():
        # polygons without holes (most footprints): one ring each, read without building
        # ring geometries (what makes shapely.to_ragged_array slow)
        gtype = shapely.GeometryType.POLYGON
        coords = shapely.get_coordinates(geoms)
        ring_off = np.zeros(n + 1, np.int64)
        np.cumsum(shapely.get_num_coordinates(geoms), out=ring_off[1:])
        offsets = (ring_off, np.arange(n + 1))
    else:
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
    del coords
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
    return _Rings(np.ascontiguousarray(u), np.ascontiguousarray(v), ring_off[:-1],
                  ring_off[1:] - 1,  # drop the closing vertex
                  ring_geom, ring_hole, r0, c0, np.maximum(r1 - r0, 0), np.maximum(c1 - c0, 0))


def polygon_coverage(geoms: np.ndarray, grid: Grid) -> Coverage:
    """Exact coverage fraction of every grid cell by every (multi)polygon."""
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    rg = _rings(geoms, grid)
    sizes = rg.nr * rg.nc
    off = np.zeros(n + 1, np.int64)
    np.cumsum(sizes, out=off[1:])
    total = int(off[-1])
    out_row = np.empty(total, np.int32)
    out_col = np.empty(total, np.int32)
    out_cov = np.empty(total, np.float64)
    _kernels.polygon_coverage(
        rg.u, rg.v, rg.ring_start, rg.ring_stop, rg.ring_geom, rg.ring_hole, rg.r0, rg.c0,
        rg.nr, rg.nc, off[:-1], grid.ny, grid.nx, out_row, out_col, out_cov,
    )
    gidx = np.repeat(np.arange(n, dtype=np.int64), sizes)
    keep = out_cov > 0
    area_cells = shapely.area(geoms) / grid.cell_area
    return Coverage(gidx[keep], out_row[keep], out_col[keep], out_cov[keep], area_cells, n)


@dataclass
class PolygonSums:
    """Per band and polygon, coverage-weighted sums over the cells each polygon covers.

    Arrays are ``(k, n)``: ``wsum`` (coverage of valid cells), ``vsum`` (coverage x value),
    ``wet`` and ``wet_sum`` (the same over cells above the threshold), ``vmax``/``vmin``
    (extremes of valid values; -inf/inf where none); ``touched`` (n,) marks polygons with
    any covered cell and ``area_cells`` is each polygon's area in cells.
    """

    wsum: np.ndarray
    vsum: np.ndarray
    wet: np.ndarray
    wet_sum: np.ndarray
    vmax: np.ndarray
    vmin: np.ndarray
    touched: np.ndarray
    area_cells: np.ndarray


#: Bytes of decoded blocks the windowed reader may keep (blocks still needed are kept
#: first; beyond this, the least recently used is dropped and read again if needed).
BLOCK_CACHE_BYTES = 128 * 2**20


def polygon_sums(
    geoms: np.ndarray,
    grid: Grid,
    bands: Any,
    *,
    threshold: float,
    nodata_as: float | None,
) -> PolygonSums:
    """Exact coverage-weighted sums of every band over every (multi)polygon.

    ``bands`` is what :func:`band_source` returns: the ``(k, ny, nx)`` stack of
    :func:`band_stack` (numpy, read in place without a copy, or dask), or a
    :class:`FileBands` (a raster file read with rasterio). Dask and file sources are read
    **window by window**: polygons are grouped by the tile holding their bbox's first cell
    and each group reads only the window spanning its bboxes, so tiles no polygon touches
    are never read and memory is bounded by a few tiles. Coverage is always computed in the
    whole grid's index space, so the sums are identical bit for bit whatever the source.
    """
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    k = int(bands.shape[0])
    rg = _rings(geoms, grid)
    ring_off = rg.geom_ring_off
    sums = PolygonSums(
        *(np.zeros((k, n)) for _ in range(4)), np.full((k, n), -np.inf),
        np.full((k, n), np.inf), np.zeros(n, bool), shapely.area(geoms) / grid.cell_area,
    )
    nd = 0.0 if nodata_as is None else float(nodata_as)
    threads = _kernels.thread_count()  # asked once, not per window
    active = np.flatnonzero((rg.nr > 0) & (rg.nc > 0))

    def run(sel: np.ndarray, data: np.ndarray, r0: int, c0: int, parallel: bool) -> None:
        kernel = _kernels.polygon_stats_parallel if parallel else _kernels.polygon_stats
        kernel(
            rg.u, rg.v, rg.ring_start, rg.ring_stop, rg.ring_hole, ring_off, sel, rg.r0,
            rg.c0, rg.nr, rg.nc, grid.ny, grid.nx, data, r0, c0, nd, nodata_as is not None,
            float(threshold), _kernels.block_count(sel.size, threads), sums.wsum, sums.vsum,
            sums.wet, sums.wet_sum, sums.vmax, sums.vmin, sums.touched,
        )

    if active.size == 0:
        return sums
    if not isinstance(bands, FileBands) and not is_dask_backed(bands):
        run(active, _kernel_array(np.asarray(bands)), 0, 0, parallel=True)
        return sums
    if isinstance(bands, FileBands):
        row_edges, col_edges = bands.tiles()
    else:
        row_edges = np.cumsum((0, *bands.chunks[1]))
        col_edges = np.cumsum((0, *bands.chunks[2]))
    ti = np.searchsorted(row_edges, rg.r0[active], side="right") - 1
    tj = np.searchsorted(col_edges, rg.c0[active], side="right") - 1
    order = np.lexsort((tj, ti))
    active, ti, tj = active[order], ti[order], tj[order]
    cuts = np.flatnonzero(np.diff(ti * len(col_edges) + tj)) + 1
    groups = np.split(active, cuts)
    first = np.r_[0, cuts]
    windows = [(int(row_edges[ti[f]]), int((rg.r0[sel] + rg.nr[sel]).max()),
                int(col_edges[tj[f]]), int((rg.c0[sel] + rg.nc[sel]).max()), int(ti[f]),
                int(tj[f])) for sel, f in zip(groups, first, strict=True)]
    if isinstance(bands, FileBands):
        arrays = bands.windows([w[:4] for w in windows])
    else:
        arrays = _BlockReader(bands).windows(windows)
    # the reader thread reads the next window while this one is summarised: in parallel
    # only for crowded windows, where the summary, not the read, is the longer part
    for sel, w, data in zip(groups, windows, arrays, strict=True):
        run(sel, data, w[0], w[2], parallel=sel.size >= PARALLEL_WINDOW)
    return sums


@dataclass(frozen=True)
class FileBands:
    """The bands of a raster file, read window by window with rasterio.

    Used in place of a dask array that is the file exactly as
    :func:`urbanrisk.layers.read_raster` opened it (values unchanged by the input contract),
    so a window holds the same numbers: the file's values with its nodata as NaN.
    """

    path: str
    shape: tuple[int, int, int]
    dtype: np.dtype
    tile: tuple[int, int] = (512, 512)

    def tiles(self) -> tuple[np.ndarray, np.ndarray]:
        """Row and column edges of the tiles polygons are grouped by."""
        _, ny, nx = self.shape
        th, tw = self.tile
        return np.r_[np.arange(0, ny, th), ny], np.r_[np.arange(0, nx, tw), nx]

    def windows(self, wins: list[tuple[int, int, int, int]]):
        """Yield ``(k, r1 - r0, c1 - c0)`` arrays of ``wins``, the next ones read meanwhile.

        :data:`READ_THREADS` background threads, each with its own handle on the file, read
        the windows in turn (thread ``t % READ_THREADS`` reads window ``t``), each at most one
        window ahead of the caller, into three buffers of its own used in rotation: a
        yielded array is valid until the next one is asked for. rasterio releases the GIL,
        and so does the numba kernel using the current window. GDAL's block cache is held
        to :data:`GDAL_CACHE_MB` while the reads run (then restored), so memory stays a few
        windows whatever the size of the raster.
        """
        import queue
        import threading

        from rasterio.env import get_gdal_config, set_gdal_config

        k = self.shape[0]
        size = k * max((r1 - r0) * (c1 - c0) for r0, r1, c0, c1 in wins)
        nthreads = max(1, min(READ_THREADS, len(wins)))
        queues: list[queue.Queue] = [queue.Queue(maxsize=1) for _ in range(nthreads)]
        stop = threading.Event()

        def produce(first: int) -> None:
            import rasterio
            from rasterio.windows import Window

            ready = queues[first]
            try:
                buffers = [np.empty(size, self.dtype) for _ in range(3)]
                with rasterio.open(self.path) as src:
                    nodata = src.nodata
                    for n, t in enumerate(range(first, len(wins), nthreads)):
                        r0, r1, c0, c1 = wins[t]
                        a = buffers[n % 3][: k * (r1 - r0) * (c1 - c0)]
                        a = a.reshape(k, r1 - r0, c1 - c0)
                        src.read(window=Window(c0, r0, c1 - c0, r1 - r0), out=a)
                        if nodata is not None and not np.isnan(nodata):
                            a[a == nodata] = np.nan
                        while not stop.is_set():
                            try:
                                ready.put(a, timeout=0.1)
                                break
                            except queue.Full:
                                continue
                        if stop.is_set():
                            return
            except BaseException as exc:  # handed to the caller
                ready.put(exc)

        cache = get_gdal_config("GDAL_CACHEMAX")
        set_gdal_config("GDAL_CACHEMAX", GDAL_CACHE_MB * 2**20)  # bytes
        readers = [threading.Thread(target=produce, args=(i,), daemon=True,
                                    name=f"urbanrisk-window-reader-{i}")
                   for i in range(nthreads)]
        for r in readers:
            r.start()
        try:
            for t in range(len(wins)):
                item = queues[t % nthreads].get()
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()
            for r in readers:
                r.join()
            set_gdal_config("GDAL_CACHEMAX", cache)


#: Threads reading windows of a file at the same time (each with its own file handle).
READ_THREADS = 2

#: Footprints in a window from which its summary runs on all numba threads (fewer: one
#: thread, the reader thread using the other core).
PARALLEL_WINDOW = 1000

#: Side (cells) of the tiles footprints are grouped by when reading a file window by window.
FILE_TILE = 512

#: GDAL block cache (MiB) while :class:`FileBands` reads: enough for the tiles shared by
#: neighbouring windows, small enough not to hold the raster (GDAL's default is 5 % of RAM).
GDAL_CACHE_MB = 64


def band_source(hazard: xr.DataArray, extra: list[str]) -> Any:
    """Return what :func:`polygon_sums` reads: a :class:`FileBands` or the band stack.

    A dask raster that is a file exactly as :func:`urbanrisk.layers.read_raster` opened it
    (float values, bands in file order, untouched by the input contract: no units
    conversion, reprojection or sorting) is read from the file with rasterio windows,
    which is several times faster than through dask; anything else is the band stack.
    """
    bands = band_stack(hazard, extra)
    if not is_dask_backed(bands):
        return bands
    path = hazard.encoding.get("source")
    name = str(getattr(hazard.data, "name", ""))
    if (
        not path
        or not name.startswith("open_rasterio-")
        or hazard.dims[-2:] != ("y", "x")
        or len(extra) > 1
        or hazard.dtype not in (np.float32, np.float64)
        or str(hazard.encoding.get("rasterio_dtype", hazard.encoding.get("dtype")))
        != str(hazard.dtype)
    ):
        return bands
    import rasterio

    try:
        with rasterio.open(path) as src:
            # same cells in the same order (the grid itself comes from the coordinates)
            cell = abs(src.transform.a)
            if (src.count, src.height, src.width) != tuple(bands.shape) or not np.allclose(
                    tuple(src.transform)[:6], tuple(grid_of(hazard).transform)[:6],
                    rtol=0.0, atol=1e-6 * cell):
                return bands
            bh, bw = src.block_shapes[0]
    except rasterio.errors.RasterioIOError:
        return bands
    # tiles of about FILE_TILE cells a side made of whole blocks (a strip is read whole)
    t = FILE_TILE
    tile = (bh * -(-t // bh) if bh <= t else bh, bw * -(-t // bw) if bw <= t else t)
    return FileBands(str(path), tuple(int(d) for d in bands.shape), np.dtype(hazard.dtype),
                     tile)


def _kernel_array(a: np.ndarray) -> np.ndarray:
    """Return the array as the kernel reads it: float32/64 as they are, others as float64."""
    if a.dtype in (np.float32, np.float64):
        return a
    return a.astype(np.float64)


class _BlockReader:
    """Windows of a dask ``(k, ny, nx)`` stack, assembled from chunks computed once each.

    Windows are asked for in row-major order of the chunk holding their first cell and
    extend right and down from it, so a chunk above the current chunk row, or left of the
    current chunk in it, is never needed again (:meth:`forget_before`). Chunks are computed
    with all bands at once (``k`` chunks of the stack).
    """

    def __init__(self, bands: Any) -> None:
        self.bands = bands
        self.rows = np.cumsum((0, *bands.chunks[1]))
        self.cols = np.cumsum((0, *bands.chunks[2]))
        self.blocks: dict[tuple[int, int], np.ndarray] = {}
        self.nbytes = 0

    def windows(self, wins: list[tuple[int, int, int, int, int, int]]):
        """Yield the windows ``(r0, r1, c0, c1, i, j)`` in order (``(i, j)``: first chunk)."""
        for r0, r1, c0, c1, i, j in wins:
            self.forget_before(i, j)
            yield self.window(r0, r1, c0, c1)

    def forget_before(self, i: int, j: int) -> None:
        for key in [b for b in self.blocks if b[0] < i or (b[0] == i and b[1] < j)]:
            self.nbytes -= self.blocks.pop(key).nbytes

    def _fetch(self, keys: list[tuple[int, int]]) -> None:
        import dask

        missing = [b for b in keys if b not in self.blocks]
        if not missing:
            return
        slabs = [self.bands[:, self.rows[i]:self.rows[i + 1], self.cols[j]:self.cols[j + 1]]
                 for i, j in missing]
        for key, arr in zip(missing, dask.compute(*slabs), strict=True):
            # over the budget, drop the oldest chunks this window does not need
            spare = [b for b in self.blocks if b not in keys]
            while spare and self.nbytes + arr.nbytes > BLOCK_CACHE_BYTES:
                self.nbytes -= self.blocks.pop(spare.pop(0)).nbytes
            self.blocks[key] = _kernel_array(np.asarray(arr))
            self.nbytes += self.blocks[key].nbytes

    def window(self, r0: int, r1: int, c0: int, c1: int) -> np.ndarray:
        bi = range(int(np.searchsorted(self.rows, r0, side="right")) - 1,
                   int(np.searchsorted(self.rows, r1, side="left")))
        bj = range(int(np.searchsorted(self.cols, c0, side="right")) - 1,
                   int(np.searchsorted(self.cols, c1, side="left")))
        keys = [(i, j) for i in bi for j in bj]
        self._fetch(keys)
        if len(keys) == 1:
            blk = self.blocks[keys[0]]
            i, j = keys[0]
            return blk[:, r0 - self.rows[i]:r1 - self.rows[i], c0 - self.cols[j]:c1 - self.cols[j]]
        dtype = np.result_type(*(self.blocks[b].dtype for b in keys))
        out = np.empty((self.bands.shape[0], r1 - r0, c1 - c0), dtype)
        for i, j in keys:
            blk = self.blocks[(i, j)]
            y0, y1 = max(r0, self.rows[i]), min(r1, self.rows[i + 1])
            x0, x1 = max(c0, self.cols[j]), min(c1, self.cols[j + 1])
            out[:, y0 - r0:y1 - r0, x0 - c0:x1 - c0] = blk[
                :, y0 - self.rows[i]:y1 - self.rows[i], x0 - self.cols[j]:x1 - self.cols[j]]
        return out


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
