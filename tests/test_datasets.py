"""Tests of the bundled sample city (urbanrisk.datasets)."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
import xarray as xr
from scipy import ndimage

from urbanrisk import datasets
from urbanrisk.errors import InputValueError, UrbanRiskError
from urbanrisk.layers import read_raster, read_vector

VECTORS = ["buildings", "roads", "railways", "green", "water", "coastline", "sea", "districts"]
RASTERS = {"dem": "m", "landcover": "class", "population": "people", "flood_depth": "m",
           "lst": "degC"}
EIGHT = np.ones((3, 3), bool)


@pytest.fixture(scope="module")
def city():
    return datasets.load("helsinki")


@pytest.fixture(scope="module")
def dem(city):
    return city.dem


@pytest.fixture(scope="module")
def sea_mask(city, dem):
    from rasterio import features

    return features.rasterize(
        [(g, 1) for g in city.sea.geometry], out_shape=dem.shape,
        transform=dem.rio.transform(), fill=0, dtype="uint8").astype(bool)


# ---------------------------------------------------------------------------- catalogue
def test_available():
    assert datasets.available() == ["helsinki"]


def test_describe_lists_every_layer(city):
    table = city.describe()
    assert list(table["layer"]) == VECTORS + list(RASTERS)
    assert list(table.columns) == ["layer", "kind", "source", "licence", "units", "crs",
                                   "real_or_synthetic", "description"]
    assert set(table["crs"]) == {"EPSG:3067"}
    assert (table.loc[VECTORS, "licence"].str.contains("OpenStreetMap")).all()
    assert (table.loc[list(RASTERS), "real_or_synthetic"] == "synthetic").all()
    assert table.loc["buildings", "real_or_synthetic"] == "real"
    assert table.loc["districts", "real_or_synthetic"] == "derived"
    for layer, units in RASTERS.items():
        assert table.loc[layer, "units"] == units


@pytest.mark.parametrize("layer", VECTORS)
def test_vector_layers(city, layer):
    gdf = getattr(city, layer)
    assert isinstance(gdf, gpd.GeoDataFrame)
    assert gdf.crs.to_epsg() == 3067
    assert len(gdf) > 0
    assert gdf.geometry.is_valid.all()
    assert not gdf.geometry.is_empty.any()
    path = datasets.get_path("helsinki", layer)
    assert path.suffix == ".gpkg"
    assert [name for name, _ in pyogrio.list_layers(path)] == [layer]
    # both spellings of the read work
    assert len(read_vector(path)) == len(read_vector(path, layer=layer)) == len(gdf)


@pytest.mark.parametrize("layer,units", sorted(RASTERS.items()))
def test_raster_layers(city, layer, units):
    da = getattr(city, layer)
    assert isinstance(da, xr.DataArray)
    assert da.rio.crs.to_epsg() == 3067
    assert da.attrs["units"] == units
    assert "SYNTHETIC" in da.attrs["data_type"]
    assert da.dims[-2:] == ("y", "x")
    path = datasets.get_path("helsinki", layer)
    assert path.suffix == ".tif"
    assert read_raster(path).attrs["units"] == units


def test_vector_columns(city):
    b = city.buildings
    assert b["building_id"].is_unique and b["building_id"].dtype.kind == "i"
    assert set(b["occupancy"]) == set(city.occupancy_classes)
    assert np.allclose(b["area_m2"], b.geometry.area, atol=0.06)
    assert set(b.geom_type) <= {"Polygon", "MultiPolygon"}
    assert {"road_id", "highway", "name"} <= set(city.roads.columns)
    assert set(city.roads.geom_type) <= {"LineString", "MultiLineString"}
    assert set(city.railways.geom_type) <= {"LineString", "MultiLineString"}
    assert {"green_id", "kind", "name"} <= set(city.green.columns)
    assert {"park", "grass"} <= set(city.green["kind"])
    assert city.districts["name"].is_unique
    assert city.districts["name"].notna().all()


def test_districts_tile_the_land(city, dem):
    d = city.districts
    sea = shapely.union_all(city.sea.geometry)
    extent = shapely.box(*dem.rio.bounds())
    land = extent.difference(sea)
    union = shapely.union_all(d.geometry)
    assert abs(union.area - land.area) < 1.0
    assert abs(d.geometry.area.sum() - union.area) < 1.0  # no overlaps


def test_layers_share_the_extent(city, dem):
    extent = shapely.box(*dem.rio.bounds()).buffer(0.01)
    for layer in VECTORS:
        assert getattr(city, layer).geometry.within(extent).all(), layer
    assert city.population.rio.bounds() == dem.rio.bounds()
    for layer in ("landcover", "flood_depth", "lst"):
        assert getattr(city, layer).rio.transform() == dem.rio.transform()
    assert dem.rio.resolution() == (10.0, -10.0)
    assert city.population.rio.resolution() == (100.0, -100.0)


def test_layers_are_cached_copies(city):
    b = city.buildings
    b["building"] = "changed"
    assert (city.buildings["building"] != "changed").any()
    d = city.dem
    d[:] = -99.0
    assert float(city.dem.max()) > 0


# ------------------------------------------------------------------------------ rasters
def test_sea_polygon_covers_the_dem_sea(dem, sea_mask):
    values = dem.values
    assert sea_mask.sum() > 100
    assert (values[sea_mask] < 0).all()  # every sea cell is below 0 m
    assert (values[~sea_mask] > 0).all()  # every land cell is above 0 m
    assert not np.isnan(values).any()


def test_shore_is_partly_low_lying(city, dem, sea_mask):
    # a realistic share of the shore is 0.3-2 m so that 0.5-1.5 m of sea-level rise
    # reaches something: land cells within 50 m of the sea
    near = (ndimage.distance_transform_edt(~sea_mask) * 10 <= 50) & ~sea_mask
    low = near & (dem.values < 2.0)
    assert low.sum() / near.sum() > 0.5
    # and buildings stand on land below +1.5 m
    depth15 = (1.5 - dem).where(dem < 1.5, 0)
    pts = city.buildings.representative_point()
    xs, ys = pts.x.values, pts.y.values
    z = dem.sel(x=xr.DataArray(xs), y=xr.DataArray(ys), method="nearest").values
    assert (z < 1.5).sum() >= 3
    assert float(depth15.max()) > 1.0


def test_unconnected_low_pocket_exists(dem, sea_mask):
    values = dem.values
    for level in (1.0, 1.5):
        wet, _ = ndimage.label(values < level, structure=EIGHT)
        seaward = np.unique(wet[sea_mask])
        unconnected = (wet > 0) & ~np.isin(wet, seaward) & ~sea_mask
        # land below +1.0 m that the sea does not reach at this level
        assert (unconnected & (values < 1.0)).sum() >= 10, level
        # so connected and bathtub ("all cells below the level") inundation differ
        bathtub = (values < level) & ~sea_mask
        assert unconnected.sum() > 0 and bathtub.sum() > (bathtub & ~unconnected).sum()


def test_flood_depth_grows_with_return_period(city, dem, sea_mask):
    fd = city.flood_depth
    assert fd.dims == ("return_period", "y", "x")
    assert [int(v) for v in fd["return_period"]] == [10, 50, 100, 500]
    v = fd.values
    nan = np.isnan(v)
    assert (nan == nan[0]).all()  # the same cells are NaN in every band
    assert nan[0][sea_mask].all()  # sea is NaN
    land = ~nan[0]
    assert (v[:, land] >= 0).all()
    diffs = np.diff(v[:, land], axis=0)
    assert (diffs >= -1e-6).all()  # never decreases with the return period
    assert (diffs > 0).any(axis=1).all()  # and grows somewhere at each step
    wet = (v[:, land] > 0).sum(axis=1)
    assert (np.diff(wet) > 0).all()
    assert wet[0] > 50


def test_flood_depth_is_consistent_with_the_dem(city, dem, sea_mask):
    # the coastal part reaches exactly the connected cells below the surge level
    levels = {10: 1.0, 50: 1.4, 100: 1.7, 500: 2.2}
    values = dem.values
    for rp, level in levels.items():
        depth = city.flood_depth.sel(return_period=rp).values
        wet, _ = ndimage.label(values < level, structure=EIGHT)
        ids = np.unique(wet[sea_mask])
        connected = np.isin(wet, ids[ids > 0]) & ~sea_mask & ~np.isnan(depth)
        np.testing.assert_allclose(depth[connected], level - values[connected], atol=1e-5)
        # a cell not below the level is never wet from the sea
        high = (values >= level + 0.5) & ~np.isnan(depth)
        assert (depth[high] == 0).all()


def test_landcover_classes(city, sea_mask):
    lc = city.landcover
    assert lc.dtype == np.uint8
    classes = json.loads(lc.attrs["classes"])
    assert set(np.unique(lc.values).astype(str)) <= set(classes)
    assert classes["6"] == "sea" and classes["1"].startswith("built")
    assert (lc.values[sea_mask] == 6).all()
    # built-up share: the footprints cover about as much as class 1
    built_m2 = (lc.values == 1).sum() * 100.0
    footprint_m2 = city.buildings.geometry.area.sum()
    assert 0.8 < built_m2 / footprint_m2 < 1.2


def _documented_population() -> float:
    readme = datasets.get_path("helsinki", "dem").parent / "README.md"
    match = re.search(r"Population total: ([\d.]+) people", readme.read_text())
    assert match, "README must state the population total"
    return float(match.group(1))


def test_population_total_matches_readme(city):
    pop = city.population
    assert float(pop.min()) >= 0
    assert abs(float(pop.sum()) - _documented_population()) < 0.5


def test_population_lives_in_residential_buildings(city):
    pop = city.population
    res = city.buildings[city.buildings["occupancy"] == "residential"]
    occupied = pop.values > 0
    cells = np.zeros(pop.shape, bool)
    t = pop.rio.transform()
    for geom in res.geometry:
        x0, y0, x1, y1 = geom.bounds
        c0, c1 = int((x0 - t.c) // t.a), int((x1 - t.c) // t.a)
        r0, r1 = int((y1 - t.f) // t.e), int((y0 - t.f) // t.e)
        cells[max(r0, 0):r1 + 1, max(c0, 0):c1 + 1] = True
    assert not (occupied & ~cells).any()


def test_lst_cooler_over_green_and_water(city):
    lc, lst = city.landcover.values, city.lst.values
    hot = lst[np.isin(lc, [1, 2])].mean()
    green = lst[np.isin(lc, [3, 4])].mean()
    water = lst[np.isin(lc, [5, 6])].mean()
    assert water < green < hot
    assert 10 < lst.min() < lst.max() < 40


# ------------------------------------------------------------------------------- errors
def test_unknown_city_lists_available():
    with pytest.raises(InputValueError, match="helsinki"):
        datasets.load("atlantis")
    with pytest.raises(UrbanRiskError, match="helsinki"):
        datasets.get_path("atlantis", "dem")


def test_unknown_layer_lists_layers(city):
    with pytest.raises(InputValueError, match="buildings"):
        datasets.get_path("helsinki", "volcanoes")
    with pytest.raises(AttributeError, match="dem"):
        _ = city.volcanoes


def test_city_is_read_only(city):
    with pytest.raises(AttributeError, match="read-only"):
        city.dem = None


# ------------------------------------------------------------------------ build script
@pytest.fixture(scope="module")
def build():
    """The build script as a module (it is not part of the package)."""
    import importlib.util
    import os
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "data_samples" / "build_helsinki.py"
    if not path.exists():
        pytest.skip("data_samples/build_helsinki.py is not in this checkout")
    saved = dict(os.environ)
    spec = importlib.util.spec_from_file_location("build_helsinki", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    os.environ.clear()
    os.environ.update(saved)  # the script sets GDAL options for itself
    return module


def test_hstore_parsing(build):
    text = '"building:levels"=>"6","name:sv"=>"Gamla \\"kyrkan\\"","wikidata"=>"Q1"'
    assert build.hstore(text) == {
        "building:levels": "6", "name:sv": 'Gamla \\"kyrkan\\"', "wikidata": "Q1"}
    assert build.hstore(None) == {}


def test_sea_is_right_of_the_coastline(build):
    # a 10 x 10 square cut by a coastline running west to east at y = 4: land on the
    # left (north), sea on the right (south)
    area = shapely.box(0, 0, 10, 10)
    coast = gpd.GeoDataFrame(geometry=[shapely.LineString([(-1, 4), (11, 4)])], crs=3067)
    sea = build.build_sea(coast, area)
    assert sea.equals(shapely.box(0, 0, 10, 4))
    # reversed direction: the sea is north
    coast = gpd.GeoDataFrame(geometry=[shapely.LineString([(11, 4), (-1, 4)])], crs=3067)
    assert build.build_sea(coast, area).equals(shapely.box(0, 4, 10, 10))


def test_landcover_and_population_rebuild_from_the_vectors(build, city):
    # the committed rasters follow from the committed vectors and the documented rules
    v = {name: getattr(city, name) for name in VECTORS}
    dem = city.dem
    lc = build.build_landcover(v, dem.shape, dem.rio.transform())
    np.testing.assert_array_equal(lc, city.landcover.values)
    pop, transform, total = build.build_population(v, dem.rio.bounds())
    assert transform == city.population.rio.transform()
    np.testing.assert_allclose(pop, city.population.values, atol=0.051)
    assert abs(total - _documented_population()) < 0.5


def test_city_pickles_by_name(city):
    import copy
    import pickle

    _ = city.districts  # something cached
    again = pickle.loads(pickle.dumps(city))
    assert again.name == "helsinki" and again.layers == city.layers
    assert len(again.districts) == len(city.districts)
    assert copy.deepcopy(city).name == "helsinki"
    assert "dem" in dir(city)
