"""Exposure: which points, footprints, lines and people sit in which hazard.

Every function takes a hazard raster (an :class:`xarray.DataArray` with a CRS and
``attrs["units"]``, dims ``(y, x)`` plus optional named extra dims such as
``return_period``) and an asset layer, and returns a **new** table. Extra dimensions are
handled in one pass over the raster: for a wide output each band becomes a column named
``<base>_rp100`` (``rp`` for ``return_period``, ``y`` for ``year``, ``q`` for ``quantile``,
``<dim>_`` otherwise); long outputs carry one column per extra dimension.

**Input contract.** Rasters pass through :func:`urbanrisk.layers.prepare_raster`: the
declared nodata is masked, the grid made north-up (a rotated one refused with
:class:`~urbanrisk.errors.GridError`), a CRS not in metres reprojected to the local UTM zone,
and the values converted to the canonical unit of their quantity (a depth in feet to metres,
a temperature in kelvin to °C), so thresholds and bins are in that unit and columns are named
after it; the original unit is recorded in the result's ``attrs``
(``hazard_converted_from_units``). Vector layers pass through
:func:`urbanrisk.layers.prepare_vector` and are reprojected to the raster's CRS (the raster
is never resampled); layers that do not overlap raise
:class:`~urbanrisk.errors.NoOverlapError`; assets outside the raster get NaN and are counted
in a logged warning, never dropped.

Polygon statistics use **exact cell coverage fractions** (the share of each cell's area
inside the polygon, computed by polygon clipping), as exactextract does (Baston 2022), not
the cell-centre rule of rasterstats, so a footprint smaller than a cell is never given
zero cells. Lines are split exactly at cell boundaries.

**Large rasters.** :func:`sample_points`, :func:`polygon_exposure` and :func:`line_exposure`
accept a file path or a dask-backed raster (``read_raster(path, chunks=...)``) and read only
the cells the assets touch, so memory is bounded by a few tiles, not by the raster; results
equal the in-memory path exactly. Points and lines are read chunk by chunk (dask's
point-wise ``vindex``). Footprints are grouped by the 512 x 512-cell tile holding their
bounding box's first cell, and each group reads the one window spanning its footprints --
straight from the file with rasterio when the raster is the file as opened (the next window
read in a background thread while the current one is summarised), otherwise from the dask
chunks, each computed once -- and the exact coverage and the statistics are computed
together, cell by cell, without a table of (footprint, cell) pairs. The population
functions resample the hazard onto the population grid, chunk by chunk for a dask hazard.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
import xarray as xr

from urbanrisk.errors import CRSMismatchError, InputValueError
from urbanrisk.hazard import _grid
from urbanrisk.hazard._grid import (
    check_bins,
    check_hazard,
    check_nodata_as,
    check_vector,
    class_bounds,
    class_labels,
    classify,
    column_names,
    grid_of,
    record_units,
)
from urbanrisk.layers import (
    is_dask_backed,
    prepare_raster,
    require_crs,
    require_number,
    require_overlap,
)

__all__ = [
    "sample_points",
    "polygon_exposure",
    "line_exposure",
    "exposed_population",
    "people_above",
    "population_weighted_hazard",
    "coverage_fractions",
]

logger = logging.getLogger(__name__)

_POLY_STATS = ("max", "min", "mean", "sum", "coverage", "fraction_above", "mean_above")
#: Units of the statistics that are not in the hazard's units (``sum`` is value x cells).
_STAT_UNITS: dict[str, str | None] = {"coverage": "1", "fraction_above": "1", "sum": None}


def _base_name(hazard: xr.DataArray, units: str, column: str | None) -> str:
    if column:
        return column
    name = str(hazard.name) if hazard.name else "hazard"
    return f"{name}_{units}" if units not in ("1", "class") else name


# --------------------------------------------------------------------------------------
# Points
# --------------------------------------------------------------------------------------
def sample_points(
    points: gpd.GeoDataFrame,
    hazard: xr.DataArray | str | os.PathLike,
    *,
    method: Literal["nearest", "bilinear"] = "nearest",
    column: str | None = None,
    nodata_as: float | None = None,
    layout: Literal["wide", "long"] = "wide",
) -> gpd.GeoDataFrame | pd.DataFrame:
    """Hazard value at each point, for every band of the raster in one pass.

    Parameters
    ----------
    points : geopandas.GeoDataFrame
        Point assets; reprojected to the raster's CRS if needed.
    hazard : xarray.DataArray or path
        Hazard raster with ``attrs["units"]`` (converted to the canonical unit, e.g. feet to
        metres); extra dims (e.g. ``return_period``) give one column per band. A file path
        is opened lazily and only the cells under the points are read.
    method : {"nearest", "bilinear"}, default "nearest"
        ``"nearest"`` takes the value of the cell containing the point; ``"bilinear"``
        interpolates between the four nearest cell centres (edge cells are extended
        outwards by half a cell; NaN if any of the weighted neighbours is NaN).
    column : str, optional
        Base name of the output column(s); default ``<hazard.name>_<units>``, e.g.
        ``flood_depth_m`` (with ``_rp100`` etc. appended per band).
    nodata_as : float, optional
        Value given to NaN (nodata) cells *inside* the raster: ``0.0`` for a flood map whose
        nodata means dry. Points outside the raster's extent stay NaN (unknown) whatever
        ``nodata_as`` says; the two are counted apart in the logged warning.
    layout : {"wide", "long"}, default "wide"
        ``"wide"``: the points with one column per band. ``"long"``: a tidy table with
        ``feature`` (the input index label), one column per extra dim, ``variable`` and
        ``value``.

    Returns
    -------
    geopandas.GeoDataFrame or pandas.DataFrame
        A copy of ``points`` (same index and CRS) with the new column(s), or the long
        table. Points outside the raster get NaN and are counted in a logged warning.

    Examples
    --------
    >>> import numpy as np, geopandas as gpd
    >>> from shapely.geometry import Point
    >>> from urbanrisk.layers import raster_from_array
    >>> depth = raster_from_array(np.array([[0.0, 1.0], [2.0, 3.0]]), crs=3067,
    ...     transform=(10, 0, 0, 0, -10, 20), units="m", name="flood_depth")
    >>> pts = gpd.GeoDataFrame(geometry=[Point(5, 15), Point(10, 10), Point(99, 99)],
    ...                        crs=3067)
    >>> sample_points(pts, depth)["flood_depth_m"].tolist()
    [0.0, 3.0, nan]
    >>> sample_points(pts, depth, method="bilinear")["flood_depth_m"].round(2).tolist()
    [0.0, 1.5, nan]
    """
    hazard, units, extra = check_hazard(hazard, allow_path=True)
    _check_layout(layout)
    if method not in ("nearest", "bilinear"):
        raise InputValueError(f"method must be 'nearest' or 'bilinear', got {method!r}.")
    nodata_as = check_nodata_as(nodata_as)
    pts = check_vector(points, hazard, name="points", geom_types=("Point",))
    grid = grid_of(hazard)
    labels = _grid.band_labels(hazard, extra)
    xy = shapely.get_coordinates(np.asarray(pts.geometry.values))
    u, v = grid.to_index(xy[:, 0], xy[:, 1])
    vals = _sample(hazard, extra, u, v, grid, method, nodata_as)
    inside = (u >= 0) & (u < grid.nx) & (v >= 0) & (v < grid.ny)
    missing = np.isnan(vals).all(axis=0)
    _grid.warn_outside("points", int((~inside).sum()), len(pts),
                       n_nodata=int((missing & inside).sum()))
    base = _base_name(hazard, units, column)
    if layout == "long":
        return record_units(_long_table(points.index, labels, {base: vals}), hazard,
                            {base: units})
    out = points.copy()
    names = column_names(base, labels)
    for k, name in enumerate(names):
        out[name] = vals[k]
    return record_units(out, hazard, dict.fromkeys(names, units))


def _check_layout(layout: str) -> None:
    if layout not in ("wide", "long"):
        raise InputValueError(f"layout must be 'wide' or 'long', got {layout!r}.")


def _long_table(index: pd.Index, labels: list[dict], blocks: dict[str, np.ndarray]):
    """Tidy table: feature, one column per extra dim, variable, value."""
    n = len(index)
    frames = []
    for var, vals in blocks.items():
        for b, lab in enumerate(labels):
            df = pd.DataFrame({"feature": index.to_numpy()})
            for d, v in lab.items():
                df[d] = v
            df["variable"] = var
            df["value"] = vals[b][:n]
            frames.append(df)
    return pd.concat(frames, ignore_index=True)


def _sample(
    hazard: xr.DataArray,
    extra: list[str],
    u: np.ndarray,
    v: np.ndarray,
    grid: _grid.Grid,
    method: str,
    nodata_as: float | None,
) -> np.ndarray:
    k = len(_grid.band_labels(hazard, extra))
    inside = (u >= 0) & (u < grid.nx) & (v >= 0) & (v < grid.ny)
    out = np.full((k, u.size), np.nan, dtype=np.float64)
    if method == "nearest":
        col = u[inside].astype(np.intp)  # u >= 0 here, so truncation is floor
        row = v[inside].astype(np.intp)
        out[:, inside] = _grid.cell_values(hazard, extra, row, col, nodata_as=nodata_as)
        return out
    cu = u[inside] - 0.5
    cv = v[inside] - 0.5
    j0 = np.floor(cu)
    i0 = np.floor(cv)
    fu = cu - j0
    fv = cv - i0
    j0 = j0.astype(np.intp)
    i0 = i0.astype(np.intp)
    j1 = np.clip(j0 + 1, 0, grid.nx - 1)
    i1 = np.clip(i0 + 1, 0, grid.ny - 1)
    j0 = np.clip(j0, 0, grid.nx - 1)
    i0 = np.clip(i0, 0, grid.ny - 1)
    corners = [((1 - fv) * (1 - fu), i0, j0), ((1 - fv) * fu, i0, j1),
               (fv * (1 - fu), i1, j0), (fv * fu, i1, j1)]
    # one read of the four neighbours of every point, for every band
    rows = np.concatenate([r for _, r, _ in corners])
    cols = np.concatenate([c for _, _, c in corners])
    vals = _grid.cell_values(hazard, extra, rows, cols, nodata_as=nodata_as)
    vals = vals.reshape(k, 4, cu.size)
    acc = np.zeros((k, cu.size))
    for n, (weight, _, _) in enumerate(corners):
        # a NaN neighbour with zero weight must not poison the result
        acc += np.where(weight > 0, vals[:, n] * weight, 0.0)
    out[:, inside] = acc
    return out


# --------------------------------------------------------------------------------------
# Polygons
# --------------------------------------------------------------------------------------
def coverage_fractions(
    polygons: gpd.GeoDataFrame, raster: xr.DataArray, *, make_valid: bool = False
) -> pd.DataFrame:
    """Exact coverage fraction of every raster cell touched by each polygon.

    Parameters
    ----------
    polygons : geopandas.GeoDataFrame
        Polygon or MultiPolygon features (reprojected to the raster's CRS if needed).
    raster : xarray.DataArray
        Any raster on the grid of interest (its values are not read). Its grid must be
        north-up (a rotated one raises :class:`~urbanrisk.errors.GridError`); it is used in
        its own CRS, as ``row`` and ``col`` index it.
    make_valid : bool, default False
        Repair invalid geometries instead of raising.

    Returns
    -------
    pandas.DataFrame
        One row per (feature, cell) with coverage > 0: ``feature`` (the input index
        label), ``row``, ``col`` (positions in ``raster`` as given, also when its rows run
        south-up or its columns are out of order) and ``coverage`` (share of the cell's
        area inside the feature, 0-1).

    Examples
    --------
    >>> import numpy as np, geopandas as gpd
    >>> from shapely.geometry import box
    >>> from urbanrisk.layers import raster_from_array
    >>> grid = raster_from_array(np.zeros((2, 2)), crs=3067,
    ...                          transform=(1, 0, 0, 0, -1, 2), units="m")
    >>> sq = gpd.GeoDataFrame(geometry=[box(0.5, 0.5, 1.5, 1.5)], crs=3067)
    >>> coverage_fractions(sq, grid)["coverage"].tolist()
    [0.25, 0.25, 0.25, 0.25]
    """
    if not isinstance(raster, xr.DataArray):
        raise InputValueError("raster must be an xarray.DataArray.")
    extra = tuple(d for d in raster.dims
                  if d not in ("y", "x") and not (d == "band" and raster.sizes[d] == 1))
    grid_da = prepare_raster(raster, name=str(raster.name or "raster"), allowed_dims=extra,
                             metric=False, allow_empty=True)
    polys = check_vector(
        polygons, grid_da, name="polygons", geom_types=("Polygon", "MultiPolygon"),
        make_valid=make_valid,
    )
    cov = _grid.polygon_coverage(polys.geometry.to_numpy(), grid_of(grid_da))
    # rows and columns of the caller's raster: prepare_raster may have sorted the axes
    rows = _input_positions(raster["y"].values, grid_da["y"].values)[cov.row]
    cols = _input_positions(raster["x"].values, grid_da["x"].values)[cov.col]
    return pd.DataFrame(
        {
            "feature": polygons.index.to_numpy()[cov.geom],
            "row": rows,
            "col": cols,
            "coverage": cov.frac,
        }
    )


def _input_positions(given: np.ndarray, prepared: np.ndarray) -> np.ndarray:
    """Position in ``given`` of each coordinate of ``prepared`` (the same values, sorted)."""
    given = np.asarray(given, dtype=float)
    prepared = np.asarray(prepared, dtype=float)
    if np.array_equal(given, prepared):
        return np.arange(given.size)
    order = np.argsort(given, kind="stable")
    return order[np.searchsorted(given[order], prepared)]


def polygon_exposure(
    polygons: gpd.GeoDataFrame,
    hazard: xr.DataArray | str | os.PathLike,
    *,
    stats: Sequence[str] = ("max", "mean", "fraction_above"),
    threshold: float = 0.0,
    column: str | None = None,
    nodata_as: float | None = None,
    make_valid: bool = False,
    layout: Literal["wide", "long"] = "wide",
) -> gpd.GeoDataFrame | pd.DataFrame:
    r"""Hazard statistics of each footprint from exact cell coverage fractions.

    All bands of the raster (e.g. every return period) are summarised in the same pass:
    the coverage fractions are computed once per polygon and applied to every band.

    With :math:`c_i` the share of cell :math:`i`'s area inside the polygon, :math:`v_i`
    the cell's value and :math:`A` the polygon's area in cell units:

    - ``max`` / ``min``: extreme :math:`v_i` over cells with :math:`c_i > 0`;
    - ``mean``: coverage-weighted mean :math:`\sum c_i v_i / \sum c_i` over valid cells
      (exactextract's ``mean``);
    - ``sum``: :math:`\sum c_i v_i`;
    - ``coverage``: :math:`\sum c_i` over valid cells divided by :math:`A` (share of the
      footprint with data);
    - ``fraction_above``: :math:`\sum_{v_i > t} c_i / A`, the share of the footprint's
      area where the hazard exceeds ``threshold`` (FIAT's fraction wet for ``t = 0``).
      Parts outside the raster or on NaN cells count as not above.
    - ``mean_above``: :math:`\sum_{v_i > t} c_i v_i / \sum_{v_i > t} c_i`, the
      coverage-weighted mean over the part of the footprint above ``threshold`` (NaN where
      no part is): with ``fraction_above`` it gives Delft-FIAT's area method, damage =
      value × f(mean wet depth) × fraction wet, without counting the dry part twice.

    Parameters
    ----------
    polygons : geopandas.GeoDataFrame
        Footprints (Polygon / MultiPolygon); reprojected to the raster's CRS if needed.
    hazard : xarray.DataArray or path
        Hazard raster with units; extra dims give one column per band. A file path, or a
        raster opened lazily (``read_raster(path, chunks=...)``), is read window by window:
        only the tiles the footprints touch, a few at a time (see "Large rasters" above).
    stats : sequence of str, default ("max", "mean", "fraction_above")
        Any of ``max``, ``min``, ``mean``, ``sum``, ``coverage``, ``fraction_above``,
        ``mean_above``.
    threshold : float, default 0.0
        For ``fraction_above`` and ``mean_above``, in the hazard's canonical units (metres
        for a depth, also when the raster is in feet).
    column : str, optional
        Base of the column names; default ``<hazard.name>_<units>``. Columns are
        ``<base>_<stat>`` (``<base>_fraction_above_<t>``) plus the band suffix.
    nodata_as : float, optional
        Value given to NaN (nodata) cells *inside* the raster: ``0.0`` for a flood map whose
        nodata means dry, so a footprint on dry cells gets depth 0 (and no damage) instead
        of NaN. Footprints wholly outside the raster's extent stay NaN (unknown) whatever
        ``nodata_as`` says; the two are counted apart in the logged warning.
    make_valid : bool, default False
        Repair invalid geometries instead of raising.
    layout : {"wide", "long"}, default "wide"
        ``"wide"``: the footprints with one column per statistic and band. ``"long"``: a
        tidy table with ``feature``, one column per extra dim, ``variable`` (the column
        name without the band suffix) and ``value``.

    Returns
    -------
    geopandas.GeoDataFrame or pandas.DataFrame
        A copy of ``polygons`` with the statistic columns, or the long table; footprints
        wholly outside the raster (or only on NaN cells) get NaN, counted in a logged
        warning. ``attrs["units"]`` maps each column to its units, ``attrs["hazard_units"]``
        names the hazard's units and ``attrs["hazard_converted_from_units"]`` the raster's
        original units when they were converted.

    Examples
    --------
    A 2 x 2 m footprint centred on the corner of four 1 m cells holding 0, 1, 2, 3 m:

    >>> import numpy as np, geopandas as gpd
    >>> from shapely.geometry import box
    >>> from urbanrisk.layers import raster_from_array
    >>> depth = raster_from_array(np.array([[0.0, 1.0], [2.0, 3.0]]), crs=3067,
    ...     transform=(1, 0, 0, 0, -1, 2), units="m", name="flood_depth")
    >>> fp = gpd.GeoDataFrame(geometry=[box(0.5, 0.5, 1.5, 1.5)], crs=3067)
    >>> out = polygon_exposure(fp, depth, stats=("max", "mean", "fraction_above"))
    >>> out[["flood_depth_m_max", "flood_depth_m_mean", "flood_depth_m_fraction_above_0"]]
       flood_depth_m_max  flood_depth_m_mean  flood_depth_m_fraction_above_0
    0                3.0                 1.5                            0.75
    """
    hazard, units, extra = check_hazard(hazard, allow_path=True)
    _check_layout(layout)
    stats = [stats] if isinstance(stats, str) else list(stats)
    bad = [s for s in stats if s not in _POLY_STATS]
    if bad or not stats:
        raise InputValueError(f"Unknown stats {bad}; choose from {list(_POLY_STATS)}.")
    threshold = require_number(threshold, name="threshold", units=units)
    nodata_as = check_nodata_as(nodata_as)
    polys = check_vector(
        polygons, hazard, name="polygons", geom_types=("Polygon", "MultiPolygon"),
        make_valid=make_valid,
    )
    grid = grid_of(hazard)
    labels = _grid.band_labels(hazard, extra)
    sums = _grid.polygon_sums(polys.geometry.to_numpy(), grid, _grid.band_source(hazard, extra),
                              threshold=threshold, nodata_as=nodata_as)
    results = _zonal_stats(sums, stats)
    base = _base_name(hazard, units, column)
    touches = results["_touches"]
    _grid.warn_outside("polygons", int((~touches).sum()), len(polys),
                       n_nodata=int((touches & ~results["_valid"]).sum()))
    stat_names = {
        s: f"{s}_{threshold:g}" if s in ("fraction_above", "mean_above") else s for s in stats
    }
    stat_units = {s: _STAT_UNITS.get(s, units) for s in stats}
    if layout == "long":
        table = _long_table(polygons.index, labels,
                            {f"{base}_{stat_names[s]}": results[s] for s in stats})
        return record_units(table, hazard,
                            {f"{base}_{stat_names[s]}": stat_units[s] for s in stats})
    out = polygons.copy()
    col_units: dict[str, str | None] = {}
    for stat in stats:
        names = column_names(f"{base}_{stat_names[stat]}", labels)
        for k, name in enumerate(names):
            out[name] = results[stat][k]
            col_units[name] = stat_units[stat]
    return record_units(out, hazard, col_units)


def _zonal_stats(sums: _grid.PolygonSums, stats: Sequence[str]) -> dict[str, np.ndarray]:
    """Statistics ``(k, n)`` per band and polygon from the coverage-weighted sums."""
    res: dict[str, np.ndarray] = {}
    valid = sums.wsum > 0
    touched = np.broadcast_to(sums.touched, valid.shape)
    area = np.where(sums.area_cells > 0, sums.area_cells, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        for stat in stats:
            if stat == "sum":
                res[stat] = np.where(valid, sums.vsum, np.nan)
            elif stat == "mean":
                res[stat] = np.where(valid, sums.vsum / sums.wsum, np.nan)
            elif stat == "coverage":
                res[stat] = np.where(touched, sums.wsum / area, np.nan)
            elif stat == "fraction_above":
                res[stat] = np.where(valid, np.minimum(sums.wet / area, 1.0), np.nan)
            elif stat == "mean_above":
                res[stat] = np.where(sums.wet > 0, sums.wet_sum / sums.wet, np.nan)
            elif stat == "max":
                res[stat] = np.where(valid, sums.vmax, np.nan)
            elif stat == "min":
                res[stat] = np.where(valid, sums.vmin, np.nan)
    res["_valid"] = valid.any(axis=0)
    res["_touches"] = sums.touched
    return res


# --------------------------------------------------------------------------------------
# Lines
# --------------------------------------------------------------------------------------
def line_exposure(
    lines: gpd.GeoDataFrame,
    hazard: xr.DataArray | str | os.PathLike,
    *,
    bins: Sequence[float],
    labels: Sequence[str] | None = None,
    nodata_as: float | None = None,
) -> pd.DataFrame:
    """Length of each line in each hazard class, split exactly at cell boundaries.

    Each segment is cut at every cell boundary it crosses (parametric intersections with
    the grid lines); each piece takes the value of the cell it lies in. A piece running
    exactly along a cell boundary is given to the cell with the larger row/column index.

    Parameters
    ----------
    lines : geopandas.GeoDataFrame
        LineString / MultiLineString features (roads, pipes), reprojected to the raster's
        CRS if needed. Lengths are measured in that CRS, which is in metres (a raster in
        degrees or feet is reprojected to the local UTM zone first).
    hazard : xarray.DataArray or path
        Hazard raster with units; extra dims are kept as columns of the output. A file
        path is opened lazily and only the cells under the lines are read.
    bins : sequence of float
        Strictly increasing class edges, in the hazard's canonical units (metres for a
        depth, also when the raster is in feet). Classes are right-closed:
        ``(-inf, b0], (b0, b1], ..., (bn, inf)``; e.g. ``bins=[0, 0.5, 1.5]`` separates
        dry (``<= 0``), shallow, medium and deep water.
    labels : sequence of str, optional
        One label per class (``len(bins) + 1``); default like ``"0-0.5 m"``.
    nodata_as : float, optional
        Value given to NaN (nodata) cells inside the raster (``0.0`` when nodata means
        dry); pieces outside the raster's extent stay unknown.

    Returns
    -------
    pandas.DataFrame
        Tidy table with one row per (feature, band, class) with non-zero length:
        ``feature`` (the input index label), one column per extra dim, ``hazard_class``
        (label), ``class_lower`` and ``class_upper`` (the class holds values
        ``class_lower < v <= class_upper``; ``-inf``/``inf`` at the ends; select classes by
        these numbers, not by label) and ``length_m``. Pieces on NaN cells are in class
        ``"nodata"``, pieces outside the raster's extent in class ``"outside"`` (both with
        NaN bounds).

    Examples
    --------
    A horizontal 2 m road along the middle of two 1 m cells holding 0 and 1 m:

    >>> import numpy as np, geopandas as gpd
    >>> from shapely.geometry import LineString
    >>> from urbanrisk.layers import raster_from_array
    >>> depth = raster_from_array(np.array([[0.0, 1.0]]), crs=3067,
    ...     transform=(1, 0, 0, 0, -1, 1), units="m", name="flood_depth")
    >>> road = gpd.GeoDataFrame(geometry=[LineString([(0, 0.5), (2, 0.5)])], crs=3067)
    >>> line_exposure(road, depth, bins=[0, 0.5])
       feature hazard_class  class_lower  class_upper  length_m
    0        0       <= 0 m         -inf          0.0       1.0
    1        0      > 0.5 m          0.5          inf       1.0
    """
    hazard, units, extra = check_hazard(hazard, allow_path=True)
    edges = check_bins(bins)
    names = list(labels) if labels is not None else class_labels(edges, units)
    if len(names) != len(edges) + 1:
        raise InputValueError(f"labels needs {len(edges) + 1} entries, got {len(names)}.")
    nodata_as = check_nodata_as(nodata_as)
    ln = check_vector(
        lines, hazard, name="lines", geom_types=("LineString", "MultiLineString")
    )
    grid = grid_of(hazard)
    band_labels = _grid.band_labels(hazard, extra)
    pieces = _grid.line_pieces(ln.geometry.to_numpy(), grid)
    inside = pieces.row >= 0
    inside_values = _grid.cell_values(
        hazard, extra, pieces.row[inside], pieces.col[inside], nodata_as=nodata_as
    )
    n = pieces.n
    ncls = len(edges) + 3  # classes + nodata + outside
    lower, upper = class_bounds(edges)
    lower, upper = np.append(lower, np.nan), np.append(upper, np.nan)
    cls_names = np.array(names + ["nodata", "outside"], dtype=object)
    frames = []
    feature = lines.index.to_numpy()
    on_nodata = np.zeros(n, bool)
    for b, lab in enumerate(band_labels):
        vals = np.full(pieces.length.size, np.nan)
        vals[inside] = inside_values[b]
        code = classify(vals, edges)
        code = np.where(code < 0, np.where(inside, ncls - 2, ncls - 1), code)
        acc = np.bincount(pieces.geom * ncls + code, weights=pieces.length, minlength=n * ncls)
        acc = acc.reshape(n, ncls)
        on_nodata |= (acc[:, : ncls - 2].sum(axis=1) == 0) & (acc[:, ncls - 2] > 0)
        gi, ci = np.nonzero(acc > 0)
        df = pd.DataFrame({"feature": feature[gi]})
        for d, val in lab.items():
            df[d] = val
        df["hazard_class"] = cls_names[ci]
        df["class_lower"] = lower[ci]
        df["class_upper"] = upper[ci]
        df["length_m"] = acc[gi, ci]
        frames.append(df)
    out = pd.concat(frames, ignore_index=True)
    n_out = int((~np.isin(np.arange(n), pieces.geom[inside])).sum())
    _grid.warn_outside("lines", n_out, n, n_nodata=int(on_nodata.sum()))
    return record_units(out, hazard, {"length_m": "m"})


# --------------------------------------------------------------------------------------
# Population
# --------------------------------------------------------------------------------------
def _check_population(population: xr.DataArray) -> xr.DataArray:
    """Pass the population grid through the contract: people, 2-D, masked, not resampled.

    It keeps its own CRS even in degrees (``metric=False``): the people of a cell are only
    ever shared by area fractions of that cell, which need no metres, while reprojecting
    counts would create or lose people.
    """
    if not isinstance(population, xr.DataArray):
        raise InputValueError(
            f"population must be an xarray.DataArray, got {type(population).__name__}."
        )
    if any(d not in ("y", "x") for d in population.dims
           if not (d == "band" and population.sizes[d] == 1)):
        raise InputValueError(
            "population must be 2-D (y, x); select one band first, e.g. population.sel(year=2020)."
        )
    pop = prepare_raster(population, name="population", to_units="people", metric=False)
    vals = np.asarray(pop.values, dtype=float)
    if np.nanmin(vals) < 0:
        raise InputValueError(
            f"population holds negative counts (min {np.nanmin(vals):g}); check its nodata "
            "value (declare it with da.rio.write_nodata(value)) and that this is a count grid."
        )
    return pop


def _overlap_matrix(p0: float, dp: float, n_p: int, h0: float, dh: float, n_h: int):
    """Sparse (n_p, n_h) matrix: share of each target cell's width covered by each source cell."""
    pe = p0 + dp * np.arange(n_p + 1)
    he = h0 + dh * np.arange(n_h + 1)
    p_lo = np.minimum(pe[:-1], pe[1:])
    p_hi = np.maximum(pe[:-1], pe[1:])
    h_lo = np.minimum(he[:-1], he[1:])
    h_hi = np.maximum(he[:-1], he[1:])
    order = np.argsort(h_lo)
    hs_lo = h_lo[order]
    hs_hi = h_hi[order]
    rows, cols, data = [], [], []
    first = np.searchsorted(hs_hi, p_lo, side="right")
    last = np.searchsorted(hs_lo, p_hi, side="left")
    for j in range(n_p):
        idx = np.arange(first[j], last[j])
        if idx.size == 0:
            continue
        ov = np.minimum(p_hi[j], hs_hi[idx]) - np.maximum(p_lo[j], hs_lo[idx])
        keep = ov > 0
        rows.append(np.full(int(keep.sum()), j))
        cols.append(order[idx[keep]])
        data.append(ov[keep] / abs(dp))
    if rows:
        r, c, d = np.concatenate(rows), np.concatenate(cols), np.concatenate(data)
    else:
        r = c = np.zeros(0, int)
        d = np.zeros(0)
    return sp.csr_matrix((d, (r, c)), shape=(n_p, n_h))


def _hazard_on_population_grid(population: xr.DataArray, hazard: xr.DataArray):
    """Return (hazard in population CRS, Wy, Wx) for area-weighted transfer to the pop grid."""
    pcrs = require_crs(population, name="population")
    hcrs = require_crs(hazard, name=str(hazard.name or "hazard"))
    if not pcrs.equals(hcrs, ignore_axis_order=True):
        if is_dask_backed(hazard):
            raise CRSMismatchError(
                f"The dask-backed {hazard.name or 'hazard'} is in {hcrs.to_string()} and the "
                f"population grid in {pcrs.to_string()}; reprojecting would read it whole. "
                "Warp the hazard file to the population's CRS first (gdalwarp -t_srs), or "
                "read it without chunks."
            )
        logger.info("hazard reprojected (nearest) from %s to the population grid's %s",
                    hcrs.to_string(), pcrs.to_string())
        attrs = dict(hazard.attrs)
        hazard = hazard.rio.reproject(pcrs, nodata=np.nan)
        hazard.attrs.update({k: v for k, v in attrs.items() if k not in hazard.attrs})
    gp, gh = grid_of(population), grid_of(hazard)
    require_overlap(population, hazard, names=("population", str(hazard.name or "hazard")))
    wy = _overlap_matrix(gp.y0, gp.dy, gp.ny, gh.y0, gh.dy, gh.ny)
    wx = _overlap_matrix(gp.x0, gp.dx, gp.nx, gh.x0, gh.dx, gh.nx)
    return hazard, wy, wx


def _to_pop(wy, wx, field: np.ndarray) -> np.ndarray:
    """Area-weighted sum of a hazard-grid field over each population cell (share units)."""
    tmp = wy @ field  # (npy, nhx)
    return np.asarray((wx @ tmp.T).T)


def _class_fields(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """``(ncls + 1, ny, nx)`` indicator of each hazard class, then of NaN (nodata) cells."""
    codes = classify(values, edges)
    return np.stack([(codes == ci).astype(np.float64) for ci in [*range(len(edges) + 1), -1]])


def _sum_and_count_fields(values: np.ndarray) -> np.ndarray:
    """``(2, ny, nx)``: the value where valid (else 0) and the valid indicator."""
    ok = ~np.isnan(values)
    return np.stack([np.where(ok, values, 0.0), ok.astype(np.float64)])


def _transfer_block(values, wy, wx, fields, args: tuple, nodata_as: float | None) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    if nodata_as is not None:
        values = np.where(np.isnan(values), float(nodata_as), values)
    return np.stack([_to_pop(wy, wx, f) for f in fields(values, *args)])


def _transfer(band, wy, wx, nodata_as: float | None, fields, *args) -> np.ndarray:
    """Area-weighted sums over each population cell of per-cell fields of one hazard band.

    ``fields(values, *args)`` turns hazard values (NaN replaced by ``nodata_as`` when given)
    into a ``(k, ny, nx)`` stack; the result is ``(k, npy, npx)``. A dask band (2-D) is
    reduced chunk by chunk: each chunk under the population grid adds its fields to the
    population rows and columns it overlaps (the transfer is linear), and chunks outside the
    grid are never read. Memory is bounded by a chunk and the population grid, not by the
    hazard raster.
    """
    if not is_dask_backed(band):
        return _transfer_block(band, wy, wx, fields, args, nodata_as)
    import dask

    wy, wx = wy.tocsc(), wx.tocsc()
    rows = np.cumsum((0, *band.chunks[0]))
    cols = np.cumsum((0, *band.chunks[1]))
    windows, parts = [], []
    for (i, j), block in np.ndenumerate(band.to_delayed()):
        sub_y = wy[:, rows[i]:rows[i + 1]]
        sub_x = wx[:, cols[j]:cols[j + 1]]
        py = np.flatnonzero(sub_y.getnnz(axis=1))
        px = np.flatnonzero(sub_x.getnnz(axis=1))
        if py.size == 0 or px.size == 0:  # the chunk lies outside the population grid
            continue
        y0, y1, x0, x1 = py[0], py[-1] + 1, px[0], px[-1] + 1
        windows.append((y0, y1, x0, x1))
        parts.append(dask.delayed(_transfer_block)(
            block, sub_y[y0:y1], sub_x[x0:x1], fields, args, nodata_as))
    k = fields(np.zeros((0, 0)), *args).shape[0]
    out = np.zeros((k, wy.shape[0], wx.shape[0]))
    for (y0, y1, x0, x1), part in zip(windows, dask.compute(*parts), strict=True):
        out[:, y0:y1, x0:x1] += part
    return out


def _zone_weights(
    zones: gpd.GeoDataFrame | None, zone_column: str | None, population: xr.DataArray
):
    """Sparse (nzones, ncells) coverage matrix of zones on the population grid, and names."""
    gp = grid_of(population)
    if zones is None:
        return None, None
    if zone_column is not None and zone_column not in zones.columns:
        raise InputValueError(
            f"zone_column {zone_column!r} is not a column of zones; columns are "
            f"{list(zones.columns)}."
        )
    z = check_vector(
        zones, population, name="zones", geom_types=("Polygon", "MultiPolygon")
    )
    cov = _grid.polygon_coverage(z.geometry.to_numpy(), gp)
    w = sp.csr_matrix(
        (cov.frac, (cov.geom, cov.row.astype(np.int64) * gp.nx + cov.col)),
        shape=(len(z), gp.ny * gp.nx),
    )
    names = zones[zone_column].to_numpy() if zone_column else zones.index.to_numpy()
    return w, names


def exposed_population(
    population: xr.DataArray,
    hazard: xr.DataArray,
    *,
    bins: Sequence[float] | None = None,
    threshold: float | None = None,
    labels: Sequence[str] | None = None,
    zones: gpd.GeoDataFrame | None = None,
    zone_column: str | None = None,
    nodata_as: float | None = None,
) -> pd.DataFrame:
    """People in each hazard class (or above a threshold), optionally per zone.

    People are never moved between cells. When the hazard is on another grid, each
    population cell's people are shared among hazard classes by the exact area of the
    cell that each class covers (the hazard is resampled to the population grid
    *by area fractions*), so no person is created or lost: the class totals always add
    up to the population total. A hazard in another CRS is first reprojected (nearest
    neighbour, at about its own resolution) to the population's CRS. With ``zones``, a
    population cell split by a zone boundary is shared by area.

    Parameters
    ----------
    population : xarray.DataArray
        People per cell (``attrs["units"] == "people"``; a grid without units, or in
        another quantity, raises :class:`~urbanrisk.errors.UnitsError`), 2-D. It is never
        resampled and stays in its own CRS.
    hazard : xarray.DataArray
        Hazard raster with units (converted to their canonical unit, e.g. feet to metres);
        extra dims are kept as output columns.
    bins : sequence of float, optional
        Right-closed class edges ``(-inf, b0], (b0, b1], ..., (bn, inf)``, in the hazard's
        canonical units.
    threshold : float, optional
        Shortcut for ``bins=[threshold]``: people at or below vs above ``threshold``.
    labels : sequence of str, optional
        Class labels (``len(bins) + 1``).
    zones : geopandas.GeoDataFrame, optional
        Polygons (e.g. districts) to report per zone.
    zone_column : str, optional
        Column of ``zones`` naming them; default their index.
    nodata_as : float, optional
        Value given to NaN (nodata) hazard cells inside the raster (``0.0`` when nodata
        means dry); otherwise their people are in class ``"nodata"``. People outside the
        hazard's extent are in class ``"outside"`` (unknown) whatever ``nodata_as`` says
        (for a hazard reprojected to the population's CRS, the fill around it is nodata).

    Returns
    -------
    pandas.DataFrame
        Tidy table: ``zone`` (when zones are given), one column per extra dim,
        ``hazard_class`` (label), ``class_lower`` and ``class_upper`` (the class holds
        hazard values ``class_lower < h <= class_upper``, ``-inf``/``inf`` at the ends, NaN
        for ``"nodata"`` and ``"outside"``: select classes by these numbers, e.g.
        ``class_lower >= threshold`` for the people above a threshold), ``people`` and
        ``share`` (of the zone's or total population).

    Examples
    --------
    Ten people in one 2 m cell; the hazard grid has 1 m cells, one of four above 1 m:

    >>> import numpy as np
    >>> from urbanrisk.layers import raster_from_array
    >>> pop = raster_from_array(np.array([[10.0]]), crs=3067,
    ...     transform=(2, 0, 0, 0, -2, 2), units="people")
    >>> depth = raster_from_array(np.array([[0.0, 0.2], [0.4, 1.5]]), crs=3067,
    ...     transform=(1, 0, 0, 0, -1, 2), units="m", name="flood_depth")
    >>> exposed_population(pop, depth, threshold=1.0)[["hazard_class", "class_lower",
    ...                                                   "people"]]
      hazard_class  class_lower  people
    0       <= 1 m         -inf     7.5
    1        > 1 m          1.0     2.5
    2       nodata          NaN     0.0
    3      outside          NaN     0.0
    """
    population = _check_population(population)
    hazard, units, extra = check_hazard(hazard, metric=False)
    if (bins is None) == (threshold is None):
        raise InputValueError("Give exactly one of bins= or threshold=.")
    edges = check_bins([threshold] if threshold is not None else bins,
                       name="threshold" if threshold is not None else "bins")
    names = list(labels) if labels is not None else class_labels(edges, units)
    if len(names) != len(edges) + 1:
        raise InputValueError(f"labels needs {len(edges) + 1} entries, got {len(names)}.")
    nodata_as = check_nodata_as(nodata_as)
    hz, wy, wx = _hazard_on_population_grid(population, hazard)
    bands = _grid.band_stack(hz, extra)
    pop = np.nan_to_num(np.asarray(population.values, dtype=np.float64), nan=0.0)
    zw, znames = _zone_weights(zones, zone_column, population)
    frames = []
    for b, lab in enumerate(_grid.band_labels(hz, extra)):
        shares = list(_transfer(bands[b], wy, wx, nodata_as, _class_fields, edges))
        known = np.sum(shares, axis=0)  # classes and NaN cells
        shares.append(np.clip(1.0 - known, 0.0, 1.0))  # outside the hazard's extent
        people = np.stack([pop * s for s in shares])  # (ncls+2, ny, nx)
        flat = people.reshape(len(shares), -1)
        cls = names + ["nodata", "outside"]
        lower, upper = class_bounds(edges)
        lower, upper = np.append(lower, np.nan), np.append(upper, np.nan)
        if zw is None:
            totals = flat.sum(axis=1)
            df = pd.DataFrame({"hazard_class": cls, "class_lower": lower,
                               "class_upper": upper, "people": totals})
            tot = totals.sum()
            df["share"] = totals / tot if tot > 0 else np.nan
        else:
            per_zone = np.asarray(zw @ flat.T)  # (nzones, ncls+1)
            df = pd.DataFrame(
                {
                    "zone": np.repeat(znames, len(cls)),
                    "hazard_class": np.tile(np.array(cls, dtype=object), len(znames)),
                    "class_lower": np.tile(lower, len(znames)),
                    "class_upper": np.tile(upper, len(znames)),
                    "people": per_zone.ravel(),
                }
            )
            ztot = per_zone.sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                df["share"] = (per_zone / ztot[:, None]).ravel()
        for pos, (d, val) in enumerate(lab.items(), start=1 if zw is not None else 0):
            df.insert(pos, d, val)
        frames.append(df)
    return record_units(pd.concat(frames, ignore_index=True), hazard,
                        {"people": "people", "share": "1"})


def people_above(
    population: xr.DataArray,
    hazard: xr.DataArray,
    *,
    threshold: float,
    zones: gpd.GeoDataFrame | None = None,
    zone_column: str | None = None,
    nodata_as: float | None = None,
) -> pd.DataFrame:
    """People living where the hazard is strictly above ``threshold``, per band (and zone).

    The people of :func:`exposed_population` in the class above the threshold, selected by
    its numeric bounds (``class_lower >= threshold``), never by label; people on nodata
    cells (unless ``nodata_as`` is given) and outside the hazard's extent are reported apart.

    Parameters
    ----------
    population, hazard, zones, zone_column, nodata_as
        As in :func:`exposed_population`.
    threshold : float
        In the hazard's canonical units (metres for a depth, °C for a temperature).

    Returns
    -------
    pandas.DataFrame
        One row per band (and zone): ``zone`` (with zones), one column per extra dim (e.g.
        ``return_period``), ``people`` (all), ``people_above``, ``people_nodata``,
        ``people_outside``, ``share_above`` (of all people) and ``threshold``.

    Examples
    --------
    Ten people in one 2 m cell; one of the four 1 m hazard cells is above 1 m:

    >>> import numpy as np
    >>> from urbanrisk.layers import raster_from_array
    >>> pop = raster_from_array(np.array([[10.0]]), crs=3067,
    ...     transform=(2, 0, 0, 0, -2, 2), units="people")
    >>> depth = raster_from_array(np.array([[0.0, 0.2], [np.nan, 1.5]]), crs=3067,
    ...     transform=(1, 0, 0, 0, -1, 2), units="m", name="flood_depth")
    >>> people_above(pop, depth, threshold=1.0)[["people", "people_above", "people_nodata"]]
       people  people_above  people_nodata
    0    10.0           2.5            2.5
    >>> float(people_above(pop, depth, threshold=1.0, nodata_as=0.0)["people_nodata"].iloc[0])
    0.0
    """
    t = exposed_population(population, hazard, threshold=threshold, zones=zones,
                           zone_column=zone_column, nodata_as=nodata_as)
    thr = float(np.asarray(check_bins([threshold], name="threshold"))[0])
    keys = [c for c in t.columns if c not in ("hazard_class", "class_lower", "class_upper",
                                              "people", "share")]
    lower = t["class_lower"].to_numpy(float)
    parts = {
        "people": np.ones(len(t), bool),
        "people_above": np.nan_to_num(lower, nan=-np.inf) >= thr,
        "people_nodata": (t["hazard_class"] == "nodata").to_numpy(),
        "people_outside": (t["hazard_class"] == "outside").to_numpy(),
    }
    frame = t[keys].copy()
    for name, sel in parts.items():
        frame[name] = np.where(sel, t["people"].to_numpy(float), 0.0)
    out = frame.groupby(keys, sort=False, dropna=False).sum().reset_index() if keys else \
        frame.sum().to_frame().T
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share_above"] = out["people_above"] / out["people"]
    out["threshold"] = thr
    out.attrs = {**t.attrs, "units": {c: "people" for c in parts} | {"share_above": "1"}}
    return out


def population_weighted_hazard(
    population: xr.DataArray,
    hazard: xr.DataArray,
    *,
    zones: gpd.GeoDataFrame | None = None,
    zone_column: str | None = None,
    nodata_as: float | None = None,
) -> pd.DataFrame:
    r"""Population-weighted mean hazard, overall or per zone.

    :math:`\bar h = \sum_j P_j \bar h_j / \sum_j P_j`, where :math:`\bar h_j` is the
    area-weighted mean hazard over population cell :math:`j` (valid hazard cells only)
    and the sums run over population cells with hazard data.

    Parameters
    ----------
    population : xarray.DataArray
        People per cell (``units == "people"``), never resampled.
    hazard : xarray.DataArray
        Hazard raster with units, converted to their canonical unit (the mean of a depth in
        feet is given in metres, with ``attrs["hazard_converted_from_units"] == "ft"``).
    zones : geopandas.GeoDataFrame, optional
        Polygons to report per zone.
    zone_column : str, optional
        Column of ``zones`` naming them; default their index.
    nodata_as : float, optional
        Value used for NaN hazard cells.

    Returns
    -------
    pandas.DataFrame
        ``zone`` (with zones), one column per extra dim, ``population_weighted_mean``,
        ``units``, ``people`` (all) and ``people_with_data``.

    Examples
    --------
    >>> import numpy as np
    >>> from urbanrisk.layers import raster_from_array
    >>> pop = raster_from_array(np.array([[30.0, 10.0]]), crs=3067,
    ...     transform=(1, 0, 0, 0, -1, 1), units="people")
    >>> lst = raster_from_array(np.array([[30.0, 20.0]]), crs=3067,
    ...     transform=(1, 0, 0, 0, -1, 1), units="degC", name="lst")
    >>> float(population_weighted_hazard(pop, lst)["population_weighted_mean"].iloc[0])
    27.5
    """
    population = _check_population(population)
    hazard, units, extra = check_hazard(hazard, metric=False)
    nodata_as = check_nodata_as(nodata_as)
    hz, wy, wx = _hazard_on_population_grid(population, hazard)
    bands = _grid.band_stack(hz, extra)
    pop = np.nan_to_num(np.asarray(population.values, dtype=np.float64), nan=0.0)
    zw, znames = _zone_weights(zones, zone_column, population)
    frames = []
    for b, lab in enumerate(_grid.band_labels(hz, extra)):
        s, w = _transfer(bands[b], wy, wx, nodata_as, _sum_and_count_fields)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_cell = np.where(w > 0, s / w, np.nan)
        has = ~np.isnan(mean_cell)
        num = np.where(has, pop * np.nan_to_num(mean_cell), 0.0).ravel()
        den = np.where(has, pop, 0.0).ravel()
        allp = pop.ravel()
        if zw is None:
            rows = {"num": [num.sum()], "den": [den.sum()], "all": [allp.sum()]}
            df = pd.DataFrame()
        else:
            rows = {"num": zw @ num, "den": zw @ den, "all": zw @ allp}
            df = pd.DataFrame({"zone": znames})
        with np.errstate(invalid="ignore", divide="ignore"):
            df["population_weighted_mean"] = np.where(
                np.asarray(rows["den"]) > 0,
                np.asarray(rows["num"]) / np.asarray(rows["den"]),
                np.nan,
            )
        df["units"] = units
        df["people"] = np.asarray(rows["all"])
        df["people_with_data"] = np.asarray(rows["den"])
        for pos, (d, val) in enumerate(lab.items(), start=1 if zw is not None else 0):
            df.insert(pos, d, val)
        frames.append(df)
    return record_units(pd.concat(frames, ignore_index=True), hazard,
                        {"population_weighted_mean": units, "people": "people",
                         "people_with_data": "people"})
