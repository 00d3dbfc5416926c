"""City Biodiversity Index (CBI) indicators 1 and 2, and access to green space.

The Singapore Index on Cities' Biodiversity (CBI; Chan et al. 2014, *User's Manual on the
Singapore Index on Cities' Biodiversity*, National Parks Board Singapore; revised as the
2021 *Handbook*, CBD Technical Series 98) scores each indicator from 0 to 4 points.

Sources and what was verified. The page numbers below are those of the 2014 manual's table
of contents (indicator 1 p. 11, indicator 2 p. 12, Annex D "Illustration of the
calculation for indicator 2" p. 42). The scoring bands used here are the ones widely
quoted from the manual (indicator 1: < 1 %, 1.0-6.9 %, 7.0-13.9 %, 14.0-20.0 %,
> 20.0 %; indicator 2: < 200 ha, 201-500 ha, 501-1,000 ha, 1,001-1,500 ha, > 1,500 ha);
**they could not be checked against the manual's own text while writing this module**.
Check them against your copy before publishing a score; the values themselves (the
percentage and the connectivity in hectares) do not depend on the bands.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import xarray as xr

from urbanrisk.errors import InputValueError
from urbanrisk.green._inputs import population_points, require_near
from urbanrisk.green.patches import merge_patches, patches_from_polygons
from urbanrisk.layers import (
    prepare_vector,
    require_number,
    require_numeric_column,
    require_positive,
)

__all__ = [
    "cbi_natural_areas",
    "cbi_connectivity",
    "cbi_score_natural_areas",
    "cbi_score_connectivity",
    "green_access",
]

logger = logging.getLogger(__name__)

#: Upper limits (inclusive, in %) of scores 0-3 of CBI indicator 1; above the last: 4.
CBI1_BANDS_PERCENT = (1.0, 7.0, 14.0, 20.0)
#: Upper limits (inclusive, in ha) of scores 0-3 of CBI indicator 2; above the last: 4.
CBI2_BANDS_HA = (200.0, 500.0, 1000.0, 1500.0)


def cbi_score_natural_areas(percent: float) -> int:
    """Score CBI indicator 1 (proportion of natural areas, %) from 0 to 4 points.

    Bands (Chan et al. 2014, p. 11; see the module note on verification): 0 points
    below 1 %, 1 point 1.0-6.9 %, 2 points 7.0-13.9 %, 3 points 14.0-20.0 %, 4 points
    above 20 %.

    Parameters
    ----------
    percent : float
        Natural area as a percentage of the city area, in [0, 100]; NaN, infinite or
        out-of-range values raise :class:`~urbanrisk.errors.InputValueError`.

    Examples
    --------
    >>> [cbi_score_natural_areas(p) for p in (0.5, 1.0, 6.9, 7.0, 20.0, 20.1)]
    [0, 1, 1, 2, 3, 4]
    >>> cbi_score_natural_areas(float("nan"))
    Traceback (most recent call last):
    ...
    urbanrisk.errors.InputValueError: percent must be a finite number, got nan.
    """
    p = require_number(percent, name="percent", low=0.0, high=100.0, units="%")
    if p < 1.0:
        return 0
    if p < 7.0:
        return 1
    if p < 14.0:
        return 2
    if p <= 20.0:
        return 3
    return 4


def cbi_score_connectivity(value_ha: float) -> int:
    """Score CBI indicator 2 (connectivity, ha) from 0 to 4 points.

    Bands (Chan et al. 2014, p. 12; see the module note on verification): 0 points
    below 200 ha, 1 point 201-500 ha, 2 points 501-1,000 ha, 3 points 1,001-1,500 ha,
    4 points above 1,500 ha. Values between the printed bands (e.g. 200.5 ha) go to the
    lower score: the bands are read as upper limits 200, 500, 1,000 and 1,500 ha.

    Parameters
    ----------
    value_ha : float
        Indicator 2 in hectares, finite and >= 0.

    Examples
    --------
    >>> [cbi_score_connectivity(v) for v in (150, 200, 200.5, 800, 1500, 1600)]
    [0, 0, 1, 2, 3, 4]
    """
    v = require_number(value_ha, name="value_ha", low=0.0, units="ha")
    for score, limit in enumerate(CBI2_BANDS_HA):
        if v <= limit:
            return score
    return 4


def cbi_natural_areas(
    natural: gpd.GeoDataFrame,
    city: gpd.GeoDataFrame,
) -> pd.DataFrame:
    """Compute CBI indicator 1: natural area as a percentage of the city area.

    ``100 × (total natural area) / (total area of the city)`` (Chan et al. 2014, p. 11).
    Natural polygons are clipped to the city and dissolved, so overlaps count once.

    Parameters
    ----------
    natural : geopandas.GeoDataFrame
        Natural (and restored/naturalised) areas; reprojected to the city's CRS and must
        overlap it (:class:`~urbanrisk.errors.NoOverlapError`).
    city : geopandas.GeoDataFrame
        City boundary (all rows together); a CRS not in metres is reprojected to the
        local UTM zone (logged).

    Returns
    -------
    pandas.DataFrame
        Tidy rows: ``indicator`` ("cbi_1_natural_areas", "natural_area", "city_area"),
        ``value``, ``unit``, ``score`` (points, on the indicator row).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> city = gpd.GeoDataFrame(geometry=[box(0, 0, 100, 100)], crs=3067)
    >>> green = gpd.GeoDataFrame(geometry=[box(0, 0, 30, 50)], crs=3067)
    >>> row = cbi_natural_areas(green, city).iloc[0]
    >>> float(row["value"]), row["unit"], int(row["score"])
    (15.0, '%', 3)
    """
    city = prepare_vector(city, name="city")
    natural = prepare_vector(natural, name="natural", like=city, like_name="city")
    boundary = shapely.union_all(city.geometry.values)
    nat = shapely.intersection(shapely.union_all(natural.geometry.values), boundary)
    city_area = boundary.area
    if city_area <= 0:
        raise InputValueError("The city boundary has zero area.")
    pct = 100.0 * nat.area / city_area
    return pd.DataFrame(
        {
            "indicator": ["cbi_1_natural_areas", "natural_area", "city_area"],
            "value": [pct, nat.area, city_area],
            "unit": ["%", "m2", "m2"],
            "score": [cbi_score_natural_areas(pct), np.nan, np.nan],
        }
    ).astype({"score": "Int64"})


def cbi_connectivity(
    natural: gpd.GeoDataFrame,
    *,
    gap_m: float = 100.0,
    barriers: gpd.GeoDataFrame | None = None,
    city: gpd.GeoDataFrame | None = None,
) -> pd.DataFrame:
    r"""Compute CBI indicator 2: connectivity of natural areas, in hectares.

    .. math:: I_2 = \frac{1}{A_{total}} \sum_i A_{G_i}^2

    (Chan et al. 2014, p. 12 and Annex D, p. 42): an effective mesh size whose
    denominator ``A_total`` is the total natural area (not the city area). The ``A_Gi``
    are the areas of groups of natural patches, two patches being grouped when less than
    ``gap_m`` (100 m) apart unless a barrier (major road, railway) lies between them (see
    :func:`urbanrisk.green.merge_patches`).

    Parameters
    ----------
    natural : geopandas.GeoDataFrame
        Natural area polygons; a CRS not in metres is reprojected to UTM (logged).
    gap_m : float, default 100
        Grouping distance of the CBI (finite, > 0).
    barriers : geopandas.GeoDataFrame, optional
        Lines that break a group (major roads, railways); reprojected as needed.
    city : geopandas.GeoDataFrame, optional
        Clip the natural areas to this boundary first; it must overlap them
        (:class:`~urbanrisk.errors.NoOverlapError`).

    Returns
    -------
    pandas.DataFrame
        Tidy rows ``cbi_2_connectivity`` (ha, with ``score``), ``natural_area`` (m2) and
        ``n_groups``.

    Examples
    --------
    Two 100 × 100 m areas 50 m apart form one 2-ha group: ``I2 = 2² / 2 = 2 ha``.

    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> nat = gpd.GeoDataFrame(geometry=[box(0, 0, 100, 100), box(150, 0, 250, 100)],
    ...                        crs=3067)
    >>> row = cbi_connectivity(nat).iloc[0]
    >>> float(row["value"]), row["unit"], int(row["score"])
    (2.0, 'ha', 0)
    """
    natural = prepare_vector(natural, name="natural")
    gap = require_positive(gap_m, name="gap_m")
    if city is not None:
        city = prepare_vector(city, name="city", like=natural, like_name="natural")
        natural = gpd.clip(natural, city)
        natural = natural.loc[~natural.geometry.is_empty & (natural.geometry.area > 0)]
        if natural.empty:
            raise InputValueError("No natural area lies inside the city boundary.")
    # keep only areal parts (clipping may leave lines)
    natural = natural.loc[natural.geom_type.isin(["Polygon", "MultiPolygon"])]
    patches = patches_from_polygons(natural[[natural.geometry.name]])
    groups = merge_patches(patches, gap_m=gap, barriers=barriers)
    a = groups["area_m2"].to_numpy(float)
    total = float(a.sum())
    value_ha = float(np.sum(a * a) / total) / 1e4
    return pd.DataFrame(
        {
            "indicator": ["cbi_2_connectivity", "natural_area", "n_groups"],
            "value": [value_ha, total, float(len(groups))],
            "unit": ["ha", "m2", "1"],
            "score": [cbi_score_connectivity(value_ha), np.nan, np.nan],
        }
    ).astype({"score": "Int64"})


def green_access(
    green: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    *,
    population: xr.DataArray | None = None,
    buildings: gpd.GeoDataFrame | None = None,
    weight_column: str | None = None,
    walk_distance_m: float = 300.0,
    min_area_m2: float = 5000.0,
    zone_column: str | None = None,
) -> pd.DataFrame:
    """Share of residents within walking distance of a green area of a minimum size.

    Defaults follow the accessibility rule of thumb of the WHO Regional Office for Europe
    (2016, *Urban green spaces and health: a review of evidence*; page not checked here):
    a green space of at least 0.5 ha within 300 m (straight line) of home.
    Touching green polygons are dissolved before the size test. Residents come from a
    population grid (a cell counts when its centre is within reach, and belongs to the
    zone containing its centre) or from buildings (centroids; each building weighs
    ``weight_column``, e.g. residents, or 1).

    Parameters
    ----------
    green : geopandas.GeoDataFrame
        Green area polygons; a CRS not in metres is reprojected to UTM (logged).
    zones : geopandas.GeoDataFrame
        Zones to report (districts); reprojected to the green areas' CRS. They must come
        within ``walk_distance_m`` of the green areas' extent
        (:class:`~urbanrisk.errors.NoOverlapError`).
    population : xarray.DataArray, optional
        People per cell, with units people (``attrs["units"] = "people"``; a grid in
        other units, e.g. degC, or without units raises
        :class:`~urbanrisk.errors.UnitsError`). Declared nodata is masked; a rotated grid
        raises :class:`~urbanrisk.errors.GridError`. Its cell centres are transformed
        exactly to the metric CRS (counts are never resampled); it must overlap the
        zones. Give this or ``buildings``.
    buildings : geopandas.GeoDataFrame, optional
        Buildings (polygons or points); must overlap the zones.
    weight_column : str, optional
        Numeric column of residents per building (strings and NaN refused); by default
        each building counts 1.
    walk_distance_m : float, default 300
        Straight-line walking distance to the green area's edge.
    min_area_m2 : float, default 5000
        Smallest green area that counts (0.5 ha).
    zone_column : str, optional
        Column naming the zones (default ``"name"`` if present, else the index).

    Returns
    -------
    pandas.DataFrame
        One row per zone: ``zone``, ``residents``, ``residents_with_access``,
        ``share_with_access`` (0-1; NaN for zones without residents).

    Examples
    --------
    >>> import numpy as np, geopandas as gpd
    >>> from shapely.geometry import box
    >>> from urbanrisk.layers import raster_from_array
    >>> pop = raster_from_array(np.array([[10.0, 10.0, 10.0, 10.0]]), crs=3067,
    ...                         transform=(200, 0, 0, 0, -200, 200), units="people")
    >>> park = gpd.GeoDataFrame(geometry=[box(-100, 0, 0, 100)], crs=3067)
    >>> zones = gpd.GeoDataFrame({"name": ["a"]}, geometry=[box(0, 0, 800, 200)], crs=3067)
    >>> green_access(park, zones, population=pop)[["residents", "share_with_access"]].values
    array([[40. ,  0.5]])
    """
    if (population is None) == (buildings is None):
        raise InputValueError("Give exactly one of population= (a grid) or buildings=.")
    green = prepare_vector(green, name="green")
    walk = require_positive(walk_distance_m, name="walk_distance_m")
    # a park just across the city border still serves it: zones within walking reach
    zones = prepare_vector(zones, name="zones", like=green, overlap=False)
    require_near(zones, green, walk, names=("green", "zones"))
    min_area = require_positive(min_area_m2, name="min_area_m2", allow_zero=True)
    if zone_column is not None and zone_column not in zones.columns:
        raise InputValueError(
            f"zone_column {zone_column!r} is not a column of zones ({list(zones.columns)})."
        )
    if population is not None:
        pts, weight = population_points(population, zones, target_name="zones")
    else:
        b = prepare_vector(buildings, name="buildings", like=zones, like_name="zones")
        pts = b.geometry.centroid if not (b.geom_type == "Point").all() else b.geometry
        if weight_column is not None:
            weight = require_numeric_column(b, weight_column, name="buildings",
                                            allow_nan=False, low=0.0)
        else:
            weight = np.ones(len(b))
    dissolved = shapely.get_parts(shapely.union_all(green.geometry.values))
    big = dissolved[shapely.area(dissolved) >= min_area]
    reach = np.zeros(len(pts), bool)
    if big.size:
        tree = shapely.STRtree(big)
        pi, _ = tree.query(pts.values, predicate="dwithin", distance=walk)
        reach[np.unique(pi)] = True
    if zone_column is None:
        zone_column = "name" if "name" in zones.columns else None
    labels = zones[zone_column].tolist() if zone_column else list(zones.index)
    ztree = shapely.STRtree(zones.geometry.values)
    pi, zi = ztree.query(pts.values, predicate="within")
    # a point on a shared border goes to the first zone
    first = pd.Series(zi).groupby(pi).min()
    zone_of = np.full(len(pts), -1)
    zone_of[first.index.to_numpy()] = first.to_numpy()
    rows = []
    for k, label in enumerate(labels):
        sel = zone_of == k
        total = float(weight[sel].sum())
        ok = float(weight[sel & reach].sum())
        rows.append((label, total, ok, ok / total if total > 0 else np.nan))
    out = pd.DataFrame(rows, columns=["zone", "residents", "residents_with_access",
                                      "share_with_access"])
    out.attrs.update({"walk_distance_m": walk, "min_area_m2": min_area})
    return out
