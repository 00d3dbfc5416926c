"""Residents as weighted points, and which of them live within reach of a site.

The one implementation of "residents within ``distance_m`` of a site", shared by
:func:`urbanrisk.green.green_access` (is a resident within reach of any large green area?)
and :func:`urbanrisk.green.residents_near` (how many residents are within reach of each
candidate site?). A resident is a populated cell centre (people per cell) or a building
(its centroid, weighted by a residents column or 1); "within reach" is a straight-line
distance to the site's edge of at most ``distance_m`` (GEOS ``dwithin``).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
import xarray as xr

from urbanrisk.errors import InputValueError
from urbanrisk.green._inputs import population_points, require_near
from urbanrisk.layers import prepare_vector, require_numeric_column


def resident_points(
    target: gpd.GeoDataFrame,
    *,
    population: xr.DataArray | None,
    buildings: gpd.GeoDataFrame | None,
    weight_column: str | None,
    target_name: str,
    reach_m: float = 0.0,
    where: xr.DataArray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Residents as points in ``target``'s CRS and their weights (people).

    Exactly one of ``population`` (cell centres, exact CRS transform, never resampled)
    or ``buildings`` (centroids; ``weight_column`` residents or 1 each) must be given.
    """
    if (population is None) == (buildings is None):
        raise InputValueError("Give exactly one of population= (a grid) or buildings=.")
    if population is not None:
        pts, weight = population_points(population, target, target_name=target_name,
                                        reach_m=reach_m, where=where)
        return np.asarray(pts.values), np.asarray(weight, dtype=float)
    if where is not None:
        raise InputValueError("where= selects population cells; it needs population=.")
    b = prepare_vector(buildings, name="buildings", like=target, like_name=target_name,
                       overlap=reach_m <= 0)
    if reach_m > 0:
        require_near(b, target, reach_m, names=(target_name, "buildings"))
    pts = b.geometry if (b.geom_type == "Point").all() else b.geometry.centroid
    if weight_column is not None:
        weight = require_numeric_column(b, weight_column, name="buildings",
                                        allow_nan=False, low=0.0)
    else:
        weight = np.ones(len(b))
    return np.asarray(pts.values), np.asarray(weight, dtype=float)


def within_reach(
    sites: np.ndarray, points: np.ndarray, distance_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``(site index, point index)`` whose distance is at most ``distance_m``."""
    if len(points) == 0 or len(sites) == 0:
        empty = np.array([], dtype=np.int64)
        return empty, empty
    tree = shapely.STRtree(points)
    site_idx, point_idx = tree.query(sites, predicate="dwithin", distance=distance_m)
    return site_idx, point_idx
