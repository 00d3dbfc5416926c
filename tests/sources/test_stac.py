import numpy as np
import pyproj
import pytest

from urbanrisk.layers import prepare_raster, read_raster
from urbanrisk.sources import (
    PRODUCTS,
    Cache,
    SourceUnavailableError,
    fetch_raster,
    find_items,
    landsat_clear,
)

from .conftest import BBOX, LANDSAT_DN, RES, W

SUMMER = "2023-06-01/2023-08-31"


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return Cache(tmp_path_factory.mktemp("cache"))


def _lon_lat(da):
    t = pyproj.Transformer.from_crs(da.rio.crs, "EPSG:4326", always_xy=True)
    xx, yy = np.meshgrid(da.x.values, da.y.values)
    return t.transform(xx, yy)


def test_static_catalogue_search_filters_footprint_and_dates(catalog):
    landsat = PRODUCTS["landsat-lst"]
    ids = {it.id for it in find_items(str(catalog), landsat, BBOX, datetime_range=SUMMER)}
    assert ids == {"LC09_clear", "LC09_cloudy"}
    assert find_items(str(catalog), landsat, BBOX, datetime_range="2020-01-01/2020-12-31") \
        == []
    assert find_items(str(catalog), landsat, (10.0, 50.0, 10.1, 50.1),
                      datetime_range=SUMMER) == []


def test_worldcover_classes_on_the_local_grid(catalog, cache):
    path, prov = fetch_raster("esa-worldcover", BBOX, catalog=str(catalog), cache=cache)
    da = read_raster(path)
    assert da.rio.crs.to_epsg() == 32635
    assert da.rio.resolution() == (10.0, -10.0)
    lon, _ = _lon_lat(da)
    v = da.values
    # nearest neighbour: 50 west of 24.945, 10 east of it (a cell's width away from it)
    assert set(np.unique(v[np.isfinite(v)])) == {10.0, 50.0}
    assert (v[lon < 24.945 - RES] == 50).all() and (v[lon > 24.945 + RES] == 10).all()
    assert prov.licence == "CC BY 4.0" and prov.items == ("wc",)
    assert da.attrs["licence"] == "CC BY 4.0" and da.attrs["version"] == "v200"


def test_dem_is_the_ramp_within_bilinear_error(catalog, cache):
    path, prov = fetch_raster("cop-dem-glo-30", BBOX, catalog=str(catalog), cache=cache)
    da = prepare_raster(read_raster(path), to_units="m")
    lon, _ = _lon_lat(da)
    want = 5000.0 * (lon - W)  # the ramp of the fixture, exact for bilinear interpolation
    # up to GDAL's approximate warp transformer (error threshold 0.125 source cell =
    # 0.3 m of this 2.5 m-per-cell ramp)
    np.testing.assert_allclose(da.values, want, atol=0.32)
    assert np.abs(da.values - want).mean() < 0.1
    assert da.attrs["units"] == "m" and "EGM2008" in prov.notes


def test_population_keeps_every_person(catalog, cache):
    path, _ = fetch_raster("ghs-pop", BBOX, catalog=str(catalog), cache=cache)
    da = read_raster(path)
    assert da.attrs["units"] == "people"
    assert da.rio.resolution() == (100.0, -100.0)
    # source cells the box touches: lon 24.940-24.950 = 20 columns, lat 60.166-60.172 =
    # 12 rows, 2 people each (counted by hand from the fixture grid)
    assert float(da.sum()) == pytest.approx(2 * 20 * 12, rel=1e-9)


def test_flood_depth_per_return_period(catalog, cache):
    path, _ = fetch_raster("jrc-flood", BBOX, catalog=str(catalog), cache=cache)
    da = prepare_raster(read_raster(path), to_units="m", allowed_dims=("return_period",))
    assert da.dims == ("return_period", "y", "x")
    assert da["return_period"].values.tolist() == [10, 100]
    _, lat = _lon_lat(da)
    south = lat < 60.1705 - RES   # fixture: depth in the south half (lat < 60.1705)
    north = lat > 60.1705 + RES
    assert (da.sel(return_period=10).values[south] == 0.5).all()
    assert (da.sel(return_period=100).values[south] == 1.25).all()
    assert np.isnan(da.sel(return_period=10).values[north]).all()


def test_landsat_picks_the_clear_scene_masks_clouds_and_converts(catalog, cache):
    path, prov = fetch_raster("landsat-lst", BBOX, catalog=str(catalog), cache=cache,
                              datetime_range=SUMMER)
    assert prov.items == ("LC09_clear",)
    da = read_raster(path)
    assert da.attrs["units"] == "K"
    lon, lat = _lon_lat(da)
    cloud = (lon > 24.940 + RES) & (lon < 24.945 - RES) & (lat > 60.168 + RES) \
        & (lat < 60.173 - RES)
    clear = (lon > 24.946) | (lat < 60.1675)
    assert np.isnan(da.values[cloud]).all()
    kelvin = LANDSAT_DN * 0.00341802 + 149.0
    np.testing.assert_allclose(da.values[clear], kelvin, rtol=1e-9)
    degc = prepare_raster(da, to_units="degC")
    np.testing.assert_allclose(np.nanmax(degc.values), kelvin - 273.15, rtol=1e-9)


def test_second_fetch_reads_the_cache_only(catalog, cache, tmp_path):
    first, _ = fetch_raster("cop-dem-glo-30", BBOX, catalog=str(catalog), cache=cache)
    offline = Cache(cache.root, offline=True)
    again, prov = fetch_raster("cop-dem-glo-30", BBOX, catalog=str(tmp_path / "gone.json"),
                               cache=offline)
    assert again == first and prov.version == PRODUCTS["cop-dem-glo-30"].version


def test_offline_without_cache_raises(tmp_path):
    with pytest.raises(SourceUnavailableError, match="offline"):
        fetch_raster("esa-worldcover", BBOX, cache=Cache(tmp_path, offline=True))


def test_product_without_public_catalogue_says_so(tmp_path):
    with pytest.raises(SourceUnavailableError, match="no public STAC API"):
        fetch_raster("ghs-pop", BBOX, cache=Cache(tmp_path))


def test_no_item_over_the_box(catalog, tmp_path):
    with pytest.raises(SourceUnavailableError, match="no item"):
        fetch_raster("esa-worldcover", (10.0, 50.0, 10.1, 50.1), catalog=str(catalog),
                     cache=Cache(tmp_path))


def test_landsat_clear_bits():
    # 21824: clear land (bit 6) + low confidences; 22280: cloud (bit 3); 23888: cloud
    # shadow (bit 4) + ...; 1: fill
    assert landsat_clear(np.array([21824, 22280, 23888, 1, 2, 64])).tolist() == \
        [True, False, False, False, False, True]


