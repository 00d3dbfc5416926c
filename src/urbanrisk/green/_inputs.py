"""Input checks shared by the green modules, as thin calls into :mod:`urbanrisk.layers`.

Everything here runs at the entrance of a public function of :mod:`urbanrisk.green`; the
general rules (nodata, grids, CRS, units, parameters) live in ``layers``, and this module
only adds what is specific to green layers: patch columns, population grids read as
points, and "lies within reach of" instead of strict extent overlap where a layer may
reasonably sit just outside another (a park across the city border).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
import xarray as xr
from scipy import ndimage

from urbanrisk.errors import InputValueError
from urbanrisk.layers import (
    bounds_of,
    grid_transform,
    prepare_raster,
    require_numeric_column,
    require_overlap,
    require_same_grid,
)


def label_structure(connectivity: int) -> np.ndarray:
    """Return the ``scipy.ndimage.label`` structure of a 4- or 8-neighbourhood (validated)."""
    if isinstance(connectivity, bool) or connectivity not in (4, 8):
        raise InputValueError(f"connectivity must be 4 or 8, got {connectivity!r}.")
    return ndimage.generate_binary_structure(2, 2 if connectivity == 8 else 1)


def patch_column(patches: gpd.GeoDataFrame, column: str) -> np.ndarray:
    """Return a finite, non-negative numeric column of patches (strings never coerced)."""
    if column not in patches.columns:
        raise InputValueError(
            f"patches has no {column!r} column; build it with patches_from_polygons() or "
            "patches_from_landcover()."
        )
    return require_numeric_column(patches, column, name="patches", allow_nan=False, low=0.0)


def require_near(
    layer: gpd.GeoDataFrame,
    reference: gpd.GeoDataFrame | xr.DataArray,
    distance_m: float,
    *,
    names: tuple[str, str],
) -> None:
    """Raise :class:`~urbanrisk.errors.NoOverlapError` unless ``layer`` comes within reach.

    ``layer``'s extent must meet ``reference``'s extent grown by ``distance_m`` (both in
    the same metric CRS): a layer farther than that from everything in ``reference`` can
    never interact with it, which means it is the wrong layer or has a wrong CRS.
    """
    x0, y0, x1, y1 = bounds_of(reference)
    grown = gpd.GeoDataFrame(
        geometry=[shapely.box(x0 - distance_m, y0 - distance_m, x1 + distance_m,
                              y1 + distance_m)],
        crs=reference.rio.crs if isinstance(reference, xr.DataArray) else reference.crs,
    )
    require_overlap(grown, layer, names=(f"{names[0]} (extent + {distance_m:g} m)", names[1]))


def population_points(
    population: xr.DataArray,
    target: gpd.GeoDataFrame,
    *,
    target_name: str,
    reach_m: float = 0.0,
    where: xr.DataArray | None = None,
) -> tuple[gpd.GeoSeries, np.ndarray]:
    """Return the populated cell centres (in ``target``'s CRS) and their residents.

    The population grid goes through the input contract in its own CRS (``metric=False``):
    its cell centres are transformed exactly to ``target``'s metric CRS, so counts are
    never resampled (a nearest-neighbour reprojection of people per cell would create or
    lose residents). Units must be people; negative counts are refused. ``target`` must
    come within ``reach_m`` of the grid's extent (:class:`~urbanrisk.errors.NoOverlapError`).
    """
    population = prepare_raster(population, name="population", to_units="people",
                                metric=False)
    extent = gpd.GeoDataFrame(geometry=[shapely.box(*population.rio.bounds())],
                              crs=population.rio.crs).to_crs(target.crs)
    require_near(target, extent, reach_m, names=("population", target_name))
    vals = np.asarray(population.values, dtype=float)
    if np.nanmin(vals) < 0:
        raise InputValueError(
            f"population holds {int(np.sum(vals < 0))} negative cells (e.g. "
            f"{vals[vals < 0][:3].tolist()}); people per cell are counts >= 0. Mask the "
            "nodata value (da.rio.write_nodata(value)) or fix the grid."
        )
    keep = np.isfinite(vals) & (vals > 0)
    if where is not None:
        keep &= where_mask(where, population)
    t = grid_transform(population)
    ys = t.f + t.e * (np.arange(vals.shape[0]) + 0.5)
    xs = t.c + t.a * (np.arange(vals.shape[1]) + 0.5)
    gx, gy = np.meshgrid(xs, ys)
    pts = gpd.GeoSeries(shapely.points(gx[keep], gy[keep]), crs=population.rio.crs)
    return pts.to_crs(target.crs), vals[keep]


def where_mask(where: xr.DataArray, population: xr.DataArray) -> np.ndarray:
    """Return ``where`` as a boolean array on the population grid (NaN: not selected)."""
    where = prepare_raster(where, name="where", metric=False, allow_empty=True)
    require_same_grid(population, where, names=("population", "where"))
    mask = np.asarray(where.values)
    if mask.dtype == bool:
        return mask
    finite = np.isfinite(mask)
    if not np.isin(mask[finite], (0, 1)).all():
        raise InputValueError(
            "where must be a boolean mask (True/False, or 1/0 with NaN for no data), got "
            f"values such as {np.unique(mask[finite])[:5].tolist()}; build it with a "
            "comparison, e.g. lst >= lst.quantile(0.9)."
        )
    return finite & (np.where(finite, mask, 0) == 1)
