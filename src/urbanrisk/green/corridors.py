"""Cost-distance over a resistance raster and least-cost corridors between patches.

The grid is a graph of cells linked to their 8 neighbours. Moving from cell ``a`` to a
neighbour ``b`` costs ``(r_a + r_b) / 2 × step``, ``step`` being the cell size (or
``√2 ×`` cell size diagonally) — the cost-distance rule of ArcGIS and Graphab — so with a
resistance of 1 everywhere the cost is a distance in metres along the 8-direction grid.
Costs are "cost-weighted metres". NaN cells are impassable.

The corridor between patches A and B is, after McRae & Kavanagh (Linkage Mapper, 2011)
and the ArcGIS "Corridor" tool, ``C_A + C_B - LC`` with ``C_X`` the cost-distance surface
from patch X and ``LC`` the least cost between them: 0 on the least-cost path, the extra
cost of a detour through the cell elsewhere.
"""

from __future__ import annotations

import logging
import math

import geopandas as gpd
import numpy as np
import scipy.sparse as sp
import shapely
import xarray as xr
from scipy import ndimage
from scipy.sparse import csgraph

from urbanrisk.errors import InputValueError
from urbanrisk.layers import grid_transform, prepare_raster, prepare_vector, require_positive

__all__ = ["cost_distance", "least_cost_corridor"]

logger = logging.getLogger(__name__)


def _validate_resistance(resistance: xr.DataArray) -> tuple[xr.DataArray, np.ndarray, float]:
    """Resistance through the input contract, then square cells and values > 0."""
    resistance = prepare_raster(resistance, name="resistance")
    t = grid_transform(resistance)
    if not math.isclose(abs(t.a), abs(t.e), rel_tol=1e-9):
        raise InputValueError(
            f"resistance needs square cells; got cell size {abs(t.a)} x {abs(t.e)} m."
            " Resample it to square cells first, e.g. "
            "resistance.rio.reproject(resistance.rio.crs, resolution=10)."
        )
    values = np.asarray(resistance.values, dtype=float)
    finite = np.isfinite(values)
    if np.any(values[finite] <= 0):
        raise InputValueError(
            f"resistance has {int(np.sum(values[finite] <= 0))} cells <= 0; every passable "
            "cell needs a resistance > 0 (use NaN for impassable cells, e.g. "
            "resistance.where(resistance > 0))."
        )
    return resistance, values, float(abs(t.a))


def _grid_graph(values: np.ndarray, cell: float) -> sp.csr_matrix:
    ny, nx_ = values.shape
    idx = np.arange(values.size).reshape(ny, nx_)
    rows, cols, costs = [], [], []
    for dy, dx in ((0, 1), (1, 0), (1, 1), (1, -1)):
        a = idx[: ny - dy, max(0, -dx): nx_ - max(0, dx)]
        b = idx[dy:, max(0, dx): nx_ - max(0, -dx)]
        ra, rb = values.ravel()[a.ravel()], values.ravel()[b.ravel()]
        ok = np.isfinite(ra) & np.isfinite(rb)
        step = cell * (math.sqrt(2.0) if dx and dy else 1.0)
        rows.append(a.ravel()[ok])
        cols.append(b.ravel()[ok])
        costs.append((ra[ok] + rb[ok]) / 2.0 * step)
    r = np.concatenate(rows)
    c = np.concatenate(cols)
    w = np.concatenate(costs)
    return sp.csr_matrix((w, (r, c)), shape=(values.size, values.size))


def _patch_cells(
    patches: gpd.GeoDataFrame, raster: xr.DataArray, values: np.ndarray
) -> list[np.ndarray]:
    """Flat indices of the passable cells of each patch (centre inside, else centroid)."""
    t = grid_transform(raster)
    ny, nx_ = values.shape
    xs = t.c + t.a * (np.arange(nx_) + 0.5)
    ys = t.f + t.e * (np.arange(ny) + 0.5)
    out = []
    for pid, geom in zip(patches["patch_id"], patches.geometry, strict=True):
        x0, y0, x1, y1 = geom.bounds
        ci = np.flatnonzero((xs >= x0) & (xs <= x1))
        ri = np.flatnonzero((ys >= y0) & (ys <= y1))
        cells = np.empty(0, dtype=np.int64)
        if ci.size and ri.size:
            gx, gy = np.meshgrid(xs[ci], ys[ri])
            inside = shapely.contains_xy(geom, gx, gy)
            rr, cc = np.nonzero(inside)
            cells = (ri[rr] * nx_ + ci[cc]).astype(np.int64)
        if cells.size == 0:
            p = geom.representative_point()
            col = int(math.floor((p.x - t.c) / t.a))
            row = int(math.floor((p.y - t.f) / t.e))
            if not (0 <= row < ny and 0 <= col < nx_):
                raise InputValueError(
                    f"patch {pid} lies outside the resistance raster; crop the patches or "
                    "extend the raster."
                )
            cells = np.array([row * nx_ + col], dtype=np.int64)
        cells = cells[np.isfinite(values.ravel()[cells])]
        if cells.size == 0:
            raise InputValueError(
                f"patch {pid} lies only on NaN (impassable) resistance cells, so no path can "
                "start there. Give habitat cells a finite resistance (e.g. 1)."
            )
        out.append(cells)
    return out


def _cost_surfaces(values, cell, cells_list, *, limit=None):
    graph = _grid_graph(values, cell)
    for cells in cells_list:
        dist = csgraph.dijkstra(
            graph, directed=False, indices=cells, min_only=True,
            limit=np.inf if limit is None else limit,
        )
        yield dist


def cost_distance(
    resistance: xr.DataArray,
    sources: gpd.GeoDataFrame,
    *,
    max_cost_m: float | None = None,
) -> xr.DataArray:
    """Accumulated least cost from the nearest of ``sources`` to every cell.

    Parameters
    ----------
    resistance : xarray.DataArray
        Resistance per cell (> 0; NaN and the declared nodata impassable), square cells.
        Passed through :func:`urbanrisk.layers.prepare_raster` (CRS not in metres
        reprojected to UTM, rotated grid refused, axes sorted north-up).
    sources : geopandas.GeoDataFrame
        Polygons (cells whose centre lies inside start at cost 0) or points; reprojected
        to the raster's CRS and must overlap it (:class:`~urbanrisk.errors.NoOverlapError`).
    max_cost_m : float, optional
        Stop the search at this cost (cells beyond are NaN).

    Returns
    -------
    xarray.DataArray
        ``cost_distance`` in cost-weighted metres (``attrs["units"] = "m"``), NaN where
        unreachable, on the prepared (north-up, metric) grid of ``resistance``.

    Examples
    --------
    >>> import numpy as np, geopandas as gpd
    >>> from shapely.geometry import Point
    >>> from urbanrisk.layers import raster_from_array
    >>> r = raster_from_array(np.array([[1.0, 1.0, 3.0]]), crs=3067,
    ...                       transform=(10, 0, 0, 0, -10, 10))
    >>> src = gpd.GeoDataFrame(geometry=[Point(5, 5)], crs=3067)
    >>> cost_distance(r, src).values.tolist()
    [[0.0, 10.0, 30.0]]
    """
    res, values, cell = _validate_resistance(resistance)
    sources = prepare_vector(sources, name="sources", like=res, like_name="resistance")
    limit = None if max_cost_m is None else require_positive(max_cost_m, name="max_cost_m")
    src = sources.copy()
    src["patch_id"] = np.arange(len(src))
    geoms = [g.buffer(1e-9) if g.geom_type in ("Point", "MultiPoint") else g
             for g in src.geometry]
    src = src.set_geometry(geoms)
    cells = np.unique(np.concatenate(_patch_cells(src, res, values)))
    dist = next(_cost_surfaces(values, cell, [cells], limit=limit))
    dist[~np.isfinite(dist)] = np.nan
    out = res.copy(data=dist.reshape(values.shape))
    out.name = "cost_distance"
    out.attrs = {"units": "m", "long_name": "accumulated cost (cost-weighted metres)"}
    return out


def least_cost_corridor(
    resistance: xr.DataArray,
    patches: gpd.GeoDataFrame,
    *,
    from_id: object,
    to_id: object,
    width_m: float = 100.0,
) -> tuple[xr.DataArray, gpd.GeoDataFrame]:
    """Least-cost corridor between two patches, as a raster and a polygon.

    The corridor value of a cell is ``C_A + C_B - LC`` (cost-distance surfaces from the
    two patches, minus the least cost between them): 0 along the least-cost path, the extra
    cost of passing through the cell elsewhere. The corridor is cut at ``width_m``: it
    keeps the cells whose centre lies within ``width_m / 2`` (Euclidean) of the least-cost
    path cells (value below ``1e-9 × LC``), which is the planner's reading of "a corridor
    100 m wide".

    Parameters
    ----------
    resistance : xarray.DataArray
        Resistance per cell (> 0, NaN impassable), square cells; passed through
        :func:`urbanrisk.layers.prepare_raster` as in :func:`cost_distance`.
    patches : geopandas.GeoDataFrame
        Patches with ``patch_id``; reprojected to the raster's CRS and must overlap it.
    from_id, to_id : object
        The two ``patch_id`` values.
    width_m : float, default 100
        Corridor width.

    Returns
    -------
    corridor : xarray.DataArray
        ``corridor_cost`` (cost-weighted metres, ``units = "m"``) inside the corridor,
        NaN outside.
    polygon : geopandas.GeoDataFrame
        One row: ``from_id``, ``to_id``, ``least_cost_m``, ``width_m``, ``area_m2`` and
        the corridor polygon (union of its cells).

    Raises
    ------
    InputValueError
        Unknown ids, the same id twice, ``width_m`` <= 0 or NaN, or no path between the
        patches.
    NoOverlapError
        Patches and resistance raster do not overlap.

    Examples
    --------
    >>> import numpy as np, geopandas as gpd
    >>> from shapely.geometry import box
    >>> from urbanrisk.layers import raster_from_array
    >>> r = np.ones((3, 5)); r[0, 1:4] = 10.0; r[2, 1:4] = 10.0
    >>> res = raster_from_array(r, crs=3067, transform=(10, 0, 0, 0, -10, 30))
    >>> parks = gpd.GeoDataFrame({"patch_id": [0, 1]},
    ...     geometry=[box(0, 0, 10, 30), box(40, 0, 50, 30)], crs=3067)
    >>> corridor, poly = least_cost_corridor(res, parks, from_id=0, to_id=1, width_m=10)
    >>> float(poly.least_cost_m.iloc[0]), np.isfinite(corridor.values[:, 2]).tolist()
    (40.0, [False, True, False])
    """
    res, values, cell = _validate_resistance(resistance)
    patches = prepare_vector(patches, name="patches", like=res, like_name="resistance")
    width = require_positive(width_m, name="width_m")
    if "patch_id" not in patches.columns:
        raise InputValueError("patches needs a 'patch_id' column.")
    ids = list(patches["patch_id"])
    for pid in (from_id, to_id):
        if pid not in ids:
            raise InputValueError(f"patch_id {pid!r} is not in patches.")
    if from_id == to_id:
        raise InputValueError("from_id and to_id must differ.")
    pair = patches.loc[patches["patch_id"].isin([from_id, to_id])]
    pair = pair.set_index("patch_id").loc[[from_id, to_id]].reset_index()
    cells = _patch_cells(pair, res, values)
    ca, cb = _cost_surfaces(values, cell, cells)
    total = ca + cb
    lc = float(np.min(total))
    if not np.isfinite(lc):
        raise InputValueError(
            f"No passable path between patches {from_id!r} and {to_id!r}: impassable (NaN) "
            "resistance cells separate them."
        )
    slack = (total - lc).reshape(values.shape)
    on_path = slack <= 1e-9 * max(lc, 1.0)
    dist_m = ndimage.distance_transform_edt(~on_path) * cell
    inside = (dist_m <= width / 2.0) & np.isfinite(slack)
    corridor = res.copy(data=np.where(inside, slack, np.nan))
    corridor.name = "corridor_cost"
    corridor.attrs = {"units": "m", "least_cost_m": lc, "width_m": width}
    import rasterio.features

    shapes = [
        shapely.geometry.shape(g)
        for g, v in rasterio.features.shapes(
            inside.astype(np.uint8), mask=inside, transform=grid_transform(res)
        )
        if v == 1
    ]
    poly = shapely.union_all(shapes)
    out = gpd.GeoDataFrame(
        {
            "from_id": [from_id],
            "to_id": [to_id],
            "least_cost_m": [lc],
            "width_m": [width],
            "area_m2": [poly.area],
        },
        geometry=[poly],
        crs=res.rio.crs,
    )
    return corridor, out
