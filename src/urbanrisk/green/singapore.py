"""The Singapore Index on Cities' Biodiversity (CBI): every indicator computable from maps.

Both editions, whose numbering and some scales differ (see :mod:`urbanrisk.green.indicators`
for the editions and indicators 1-2):

===========================  ======  ======  ==========================================
indicator                    2014 #  2021 #  value
===========================  ======  ======  ==========================================
natural areas                1       1       % of the city
connectivity                 2       2       2014: effective mesh size (ha); 2021:
                                             coherence (%)
protected natural areas      9       8       % of the city
permeable areas              11      10      % of the terrestrial area
tree canopy                  12      11      % of the terrestrial area
recreation                   13      12      ha per 1,000 persons
proximity to parks           --      13      % of the population within 400 m
===========================  ======  ======  ==========================================

Formulas are those transcribed in ``references/reporting_frameworks.md`` §4.2 (tag [S]:
secondary transcriptions of the manual and handbook; the primary texts were read only to
their tables of contents). **Bands**: 2014 values are [U] (recalled, found in no reachable
source), 2021 values [S] (WRI's code and legends). Every band is in :data:`CBI_SPATIAL_BANDS`
with its tag. Printed bands leave gaps (2021 protected areas: "1-6" then "6.1-11"): a
value in a gap scores the lower band (limits are the next band's printed lower edge).

Land-cover **roles** (which classes are natural, permeable, tree canopy, park or water) are
declared once: :data:`LANDCOVER_ROLES` has defaults for ESA WorldCover and CORINE Land
Cover. These defaults are urbanrisk's reading of the two legends, not a CBI rule.

Examples
--------
>>> cbi_spatial_score("permeable_areas", 64.25, version="2014")
2
>>> cbi_spatial_score("proximity_to_parks", 90.0, version="2021")
4
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import xarray as xr

from urbanrisk.errors import InputValueError
from urbanrisk.green._residents import resident_points, within_reach
from urbanrisk.green.indicators import CBI_BANDS, CBIBands, _cbi_version
from urbanrisk.layers import (
    cell_area_m2,
    prepare_raster,
    prepare_vector,
    require_class_codes,
    require_number,
    require_positive,
)

__all__ = [
    "CBI_SPATIAL",
    "CBI_SPATIAL_BANDS",
    "LANDCOVER_ROLES",
    "ROLES",
    "CBISpatialIndicator",
    "cbi_spatial_score",
    "cbi_spatial_index",
    "landcover_role_areas",
    "area_share",
    "recreation_per_1000",
    "residents_within",
]

#: Roles a land-cover class can play (a class may play several).
ROLES = ("natural", "permeable", "canopy", "park", "water")

#: Default roles of land-cover legends. ESA WorldCover 10 m (2020/2021): 10 tree cover,
#: 20 shrubland, 30 grassland, 40 cropland, 50 built-up, 60 bare/sparse vegetation, 70 snow
#: and ice, 80 permanent water, 90 herbaceous wetland, 95 mangroves, 100 moss and lichen.
#: CORINE Land Cover level-3 codes (111 ... 523). WorldCover has no park class.
LANDCOVER_ROLES: dict[str, dict[str, tuple[int, ...]]] = {
    "esa_worldcover": {
        "natural": (10, 20, 30, 60, 70, 90, 95, 100),
        "permeable": (10, 20, 30, 40, 60, 70, 90, 95, 100),
        "canopy": (10, 95),
        "park": (),
        "water": (80,),
    },
    "corine": {
        "natural": (311, 312, 313, 321, 322, 323, 324, 331, 332, 333, 334, 335, 411, 412,
                    421, 422, 423),
        "permeable": (141, 142, 211, 212, 213, 221, 222, 223, 231, 241, 242, 243, 244, 311,
                      312, 313, 321, 322, 323, 324, 331, 332, 333, 334, 335, 411, 412, 421,
                      422, 423),
        "canopy": (311, 312, 313),
        "park": (141,),
        "water": (511, 512, 521, 522, 523),
    },
}


@dataclass(frozen=True)
class CBISpatialIndicator:
    """A map-computable CBI indicator: its number in each edition, wording and formula."""

    name: str
    number_2014: int | None
    number_2021: int | None
    title: str
    formula: str
    unit_2014: str
    unit_2021: str


#: The map-computable CBI indicators, by name.
CBI_SPATIAL: dict[str, CBISpatialIndicator] = {i.name: i for i in (
    CBISpatialIndicator("natural_areas", 1, 1, "Proportion of natural areas in the city",
                        "(Total area of natural, restored and naturalised areas) ÷ (Total "
                        "area of city) × 100%", "%", "%"),
    CBISpatialIndicator("connectivity", 2, 2, "Connectivity measures or ecological networks "
                        "to counter fragmentation",
                        "2014: effective mesh size (A_G1² + … + A_Gn²) / A_total, A_total "
                        "the total natural area, groups < 100 m apart; 2021: coherence = "
                        "effective mesh size / A_total × 100%", "ha", "%"),
    CBISpatialIndicator("protected_areas", 9, 8, "Proportion of protected natural areas",
                        "(Area of protected or secured natural areas) ÷ (Total area of the "
                        "city) × 100%", "%", "%"),
    CBISpatialIndicator("permeable_areas", 11, 10, "Regulation of quantity of water",
                        "(Total permeable area) ÷ (Total terrestrial area of the city) × "
                        "100%", "%", "%"),
    CBISpatialIndicator("tree_canopy", 12, 11, "Climate regulation: carbon storage and "
                        "cooling effect of vegetation",
                        "(Tree canopy cover) ÷ (Total terrestrial area of the city) × 100%",
                        "%", "%"),
    CBISpatialIndicator("recreation", 13, 12, "Recreational services",
                        "(Area of parks with natural areas and protected or secured natural "
                        "areas) / 1000 persons (2021: parks, nature conservation areas and "
                        "other green spaces with natural areas and protected or secured "
                        "accessible natural areas)", "ha per 1000 persons",
                        "ha per 1000 persons"),
    CBISpatialIndicator("proximity_to_parks", None, 13, "Proximity to parks",
                        "(Population of city living within 400m from a park/green space) ÷ "
                        "(Total population of city) × 100%", "", "%"),
)}

_M14 = "Chan et al. (2014), User's Manual on the Singapore Index on Cities' Biodiversity"
_H21 = ("Chan et al. (2021), Handbook on the Singapore Index on Cities' Biodiversity, CBD "
        "Technical Series No. 98")
_U14 = "[U] recalled; not found in any reachable source"
_S21 = "[S] WRI cities-urbanshift code and legend (commit 34e9ffb); Handbook text not read"


def _b(name: str, version: str, unit: str, limits, inclusive, printed: str) -> CBIBands:
    ind = CBI_SPATIAL[name]
    num = ind.number_2014 if version == "2014" else ind.number_2021
    return CBIBands(int(num), version, unit, tuple(limits), tuple(inclusive), printed,
                    f"{_M14 if version == '2014' else _H21}, indicator {num}",
                    _U14 if version == "2014" else _S21)


_F = (False, False, False, False)
_T = (False, False, False, True)

#: Bands of the map-computable CBI indicators: ``{(name, version): CBIBands}``.
CBI_SPATIAL_BANDS: dict[tuple[str, str], CBIBands] = {
    ("natural_areas", "2014"): CBI_BANDS[(1, "2014")],
    ("natural_areas", "2021"): CBI_BANDS[(1, "2021")],
    ("connectivity", "2014"): CBI_BANDS[(2, "2014")],
    ("connectivity", "2021"): CBI_BANDS[(2, "2021")],
    ("protected_areas", "2014"): _b("protected_areas", "2014", "%", (1.4, 7.4, 11.2, 19.4), _T,
                                    "< 1.4 / 1.4-7.3 / 7.4-11.1 / 11.2-19.4 / > 19.4 %"),
    ("protected_areas", "2021"): _b("protected_areas", "2021", "%", (1.0, 6.1, 11.1, 17.0), _T,
                                    "< 1 / 1-6 / 6.1-11 / 11.1-17 / > 17 %"),
    ("permeable_areas", "2014"): _b("permeable_areas", "2014", "%", (33.1, 39.8, 64.3, 66.8),
                                    _T, "< 33.1 / 33.1-39.7 / 39.8-64.2 / 64.3-66.7 / > 66.8 %"),
    ("permeable_areas", "2021"): _b("permeable_areas", "2021", "%", (30.0, 40.0, 50.0, 60.0),
                                    _F, "< 30 / 30-39.9 / 40-49.9 / 50-59.9 / >= 60 %"),
    ("tree_canopy", "2014"): _b("tree_canopy", "2014", "%", (10.5, 19.2, 29.1, 59.7), _T,
                                "< 10.5 / 10.5-19.1 / 19.2-29.0 / 29.1-59.7 / > 59.7 %"),
    ("tree_canopy", "2021"): _b("tree_canopy", "2021", "%", (10.1, 25.0, 40.0, 55.0), _F,
                                "< 10 / 10.1-24.9 / 25-39.9 / 40-54.9 / >= 55 %"),
    ("recreation", "2014"): _b("recreation", "2014", "ha per 1000 persons",
                               (0.1, 0.4, 0.7, 0.9), _T,
                               "< 0.1 / 0.1-0.3 / 0.4-0.6 / 0.7-0.9 / > 0.9"),
    ("recreation", "2021"): _b("recreation", "2021", "ha per 1000 persons",
                               (0.1, 0.4, 0.7, 0.9), _T,
                               "< 0.1 / 0.1-0.3 / 0.4-0.6 / 0.7-0.9 / > 0.9"),
    ("proximity_to_parks", "2021"): _b("proximity_to_parks", "2021", "%",
                                       (30.0, 50.0, 70.0, 90.0), _F,
                                       "< 30 / 30-49.9 / 50-69.9 / 70-89.9 / >= 90 %"),
}


def cbi_spatial_score(name: str, value: float, *, version: str = "2021") -> int:
    """Points (0-4) of a map-computable CBI indicator in one edition.

    Parameters
    ----------
    name : str
        A key of :data:`CBI_SPATIAL`.
    value : float
        In the edition's unit (:data:`CBI_SPATIAL_BANDS`), finite and >= 0.
    version : {"2021", "2014"}

    Examples
    --------
    Every band edge of 2021 proximity to parks:

    >>> [cbi_spatial_score("proximity_to_parks", v) for v in (29.9, 30, 49.9, 50, 89.9, 90)]
    [0, 1, 1, 2, 3, 4]
    """
    version = _cbi_version(version)
    bands = CBI_SPATIAL_BANDS.get((name, version))
    if bands is None:
        raise InputValueError(
            f"CBI {version} has no map-computable indicator {name!r}; known: "
            f"{sorted({n for n, v in CBI_SPATIAL_BANDS if v == version})}."
        )
    high = 100.0 if bands.unit == "%" else None
    return bands.score(require_number(value, name=name, low=0.0, high=high))


def cbi_spatial_index(values: Mapping[str, float | None], *, version: str,
                      missing: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Score every map-computable indicator of one edition and total the computed points.

    Parameters
    ----------
    values : mapping of str to float or None
        Value per indicator name (:data:`CBI_SPATIAL`) in the edition's unit; None or NaN
        when it could not be computed.
    version : {"2021", "2014"}
    missing : mapping of str to str, optional
        Why an indicator is missing (shown in the ``missing`` column).

    Returns
    -------
    pandas.DataFrame
        One row per indicator of the edition (``code`` like ``"CBI-2021 #13"``, ``title``,
        ``value``, ``unit``, ``score``, ``max_score`` 4, ``bands``, ``verified``,
        ``missing``), then a ``total`` row: the points of the computed indicators out of
        4 × their number (the full index has 92 points in 2014, 112 in 2021).

    Examples
    --------
    >>> t = cbi_spatial_index({"natural_areas": 15.0, "permeable_areas": 45.0},
    ...                       version="2021")
    >>> t.set_index("name").loc["total", ["score", "max_score"]].tolist()
    [5, 8]
    """
    version = _cbi_version(version)
    why = dict(missing or {})
    rows = []
    for name, ind in CBI_SPATIAL.items():
        num = ind.number_2014 if version == "2014" else ind.number_2021
        if num is None:
            continue
        bands = CBI_SPATIAL_BANDS[(name, version)]
        v = values.get(name)
        ok = v is not None and np.isfinite(float(v))
        rows.append({
            "name": name, "code": f"CBI-{version} #{num}", "title": ind.title,
            "formula": ind.formula, "value": float(v) if ok else np.nan, "unit": bands.unit,
            "score": cbi_spatial_score(name, float(v), version=version) if ok else pd.NA,
            "max_score": 4, "bands": bands.printed, "verified": bands.verified,
            "missing": "" if ok else why.get(name, "not computed"),
        })
    t = pd.DataFrame(rows)
    done = t["score"].notna()
    total = {"name": "total", "code": f"CBI-{version} total", "title":
             f"Points of the {int(done.sum())} computed map indicators (the full {version} "
             f"index has {92 if version == '2014' else 112} points)", "formula": "",
             "value": float(t.loc[done, "score"].sum()), "unit": "points",
             "score": int(t.loc[done, "score"].sum()), "max_score": 4 * int(done.sum()),
             "bands": "", "verified": "", "missing": ""}
    t = pd.concat([t, pd.DataFrame([total])], ignore_index=True)
    t["score"] = t["score"].astype("Int64")
    return t


def landcover_role_areas(
    landcover: xr.DataArray,
    city: gpd.GeoDataFrame,
    *,
    roles: Mapping[str, Sequence[int]],
) -> pd.Series:
    """Area (m²) of each land-cover role inside the city, by cell centre.

    A cell belongs to the city when its centre lies inside the boundary; a class may play
    several roles (forest is natural, permeable and canopy). Besides the roles the result
    holds ``city`` (cells inside the city with a class), and ``terrestrial`` (``city``
    less ``water``).

    Parameters
    ----------
    landcover : xarray.DataArray
        Whole-number class codes, projected in metres (reprojected otherwise).
    city : geopandas.GeoDataFrame
        City boundary.
    roles : mapping of str to sequence of int
        Classes per role (:data:`ROLES`; see :data:`LANDCOVER_ROLES`).

    Returns
    -------
    pandas.Series
        Area in m² by role name.

    Examples
    --------
    A 2 × 2 grid of 10 m cells: forest (1), grass (2), road (3), water (4):

    >>> import numpy as np, geopandas as gpd
    >>> from shapely.geometry import box
    >>> from urbanrisk.layers import raster_from_array
    >>> lc = raster_from_array(np.array([[1, 2], [3, 4]]), crs=3067,
    ...                        transform=(10, 0, 0, 0, -10, 20))
    >>> c = gpd.GeoDataFrame(geometry=[box(0, 0, 20, 20)], crs=3067)
    >>> a = landcover_role_areas(lc, c, roles={"natural": [1, 2], "canopy": [1],
    ...                                        "permeable": [1, 2], "water": [4]})
    >>> a[["natural", "canopy", "water", "city", "terrestrial"]].tolist()
    [200.0, 100.0, 100.0, 400.0, 300.0]
    """
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise InputValueError(f"unknown land-cover roles {unknown}; known: {list(ROLES)}.")
    lc = prepare_raster(landcover, name="landcover")
    require_class_codes(lc, name="landcover")
    city = prepare_vector(city, name="city", like=lc, like_name="landcover")
    boundary = shapely.union_all(city.geometry.values)
    xx, yy = np.meshgrid(lc["x"].values, lc["y"].values)
    inside = shapely.contains_xy(boundary, xx, yy)
    vals = np.asarray(lc.values)
    inside &= ~np.isnan(vals)
    cell = cell_area_m2(lc)
    codes = vals[inside]
    out = {role: float(np.isin(codes, list(classes)).sum()) * cell
           for role, classes in roles.items()}
    out["city"] = float(codes.size) * cell
    out["terrestrial"] = out["city"] - out.get("water", 0.0)
    return pd.Series(out, name="area_m2")


def area_share(part_m2: float, total_m2: float) -> float:
    """``100 × part / total`` (%), refusing a zero or negative total.

    Examples
    --------
    >>> area_share(250.0, 1000.0)
    25.0
    """
    part = require_number(part_m2, name="part_m2", low=0.0)
    total = require_positive(total_m2, name="total_m2")
    if part > total * (1 + 1e-9):
        raise InputValueError(f"part_m2 ({part:g}) exceeds total_m2 ({total:g}).")
    return 100.0 * part / total


def recreation_per_1000(area_m2: float, population: float) -> float:
    """CBI recreation indicator: area in hectares per 1,000 persons.

    Examples
    --------
    40 ha of parks for 80,000 people: 0.5 ha per 1,000.

    >>> recreation_per_1000(400_000.0, 80_000)
    0.5
    """
    a = require_number(area_m2, name="area_m2", low=0.0)
    pop = require_positive(population, name="population")
    return (a / 1e4) / (pop / 1000.0)


def residents_within(
    sites: gpd.GeoDataFrame,
    *,
    distance_m: float,
    population: xr.DataArray | None = None,
    buildings: gpd.GeoDataFrame | None = None,
    weight_column: str | None = None,
) -> tuple[float, float]:
    """Residents within ``distance_m`` (straight line) of any site, and all residents.

    CBI 2021 #13 counts the population within 400 m of a park or green space; whether the
    Handbook means straight-line or network distance was not found ([U]); WRI uses
    straight-line, as here (the SDG 11.7.1 network variant is
    :func:`urbanrisk.green.sdg.network_access`).

    Returns
    -------
    (float, float)
        ``(residents within reach, all residents)``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> park = gpd.GeoDataFrame(geometry=[box(0, 0, 10, 10)], crs=3067)
    >>> homes = gpd.GeoDataFrame(geometry=gpd.points_from_xy([50, 500], [5, 5]), crs=3067)
    >>> residents_within(park, distance_m=400, buildings=homes)
    (1.0, 2.0)
    """
    d = require_positive(distance_m, name="distance_m")
    s = prepare_vector(sites, name="sites")
    pts, weight = resident_points(s, population=population, buildings=buildings,
                                  weight_column=weight_column, target_name="sites",
                                  reach_m=d)
    reach = np.zeros(len(pts), bool)
    reach[within_reach(np.asarray(s.geometry.values), pts, d)[1]] = True
    return float(weight[reach].sum()), float(weight.sum())
