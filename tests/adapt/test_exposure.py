import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from urbanrisk.adapt import building_cells, building_depths
from urbanrisk.coast import VerticalReference, connection_level, inundation_depth, reference_dem
from urbanrisk.errors import InputValueError
from urbanrisk.hazard import polygon_exposure
from urbanrisk.layers import raster_from_array

PAIRS = [("max_depth_m", "d_max"), ("mean_depth_m", "d_mean"),
         ("wet_fraction", "d_fraction_above_0"), ("wet_mean_depth_m", "d_mean_above_0")]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_equals_polygon_exposure_of_each_depth_map(dtype):
    """Bit for bit: the coverage once vs polygon_exposure(inundation_depth(L)) per map."""
    rng = np.random.default_rng(5)
    ny, nx = 30, 40
    z = (np.arange(nx)[None, :] * 0.05 + rng.normal(0, 0.4, (ny, nx))).astype(dtype)
    z[:, 0] = -2.0
    z[3, 7] = np.nan  # a nodata cell under a footprint
    dem = raster_from_array(z, crs=3067, transform=(2, 0, 0, 0, -2, ny * 2), units="m")
    conn = connection_level(dem, sea_level_m=0.0, connectivity=4)
    x0, y0 = rng.uniform(-5, nx * 2, 80), rng.uniform(0, ny * 2 - 5, 80)
    b = gpd.GeoDataFrame(geometry=[box(a, c, a + rng.uniform(1, 9), c + rng.uniform(1, 9))
                                   for a, c in zip(x0, y0, strict=True)], crs=3067)
    b.loc[len(b)] = box(200, 200, 210, 210)  # outside the DEM: NaN on both sides
    levels = [0.05, 0.3, 0.77, 1.25, 2.5]
    mine = building_depths(building_cells(b, dem, conn), levels)
    for k, lv in enumerate(levels):
        d = inundation_depth(dem, conn, lv).isel(level=0)
        ref = polygon_exposure(b, d, stats=("max", "mean", "fraction_above", "mean_above"),
                               column="d", nodata_as=0.0)
        for var, col in PAIRS:
            assert np.array_equal(mine[var].values[k], ref[col].to_numpy(), equal_nan=True), \
                (var, lv)


def test_raise_lowers_every_cell_depth(plane):
    dem, conn = plane
    # one footprint over the cells at 0.1 m and 0.2 m (x 10-30 m)
    b = gpd.GeoDataFrame(geometry=[box(10, 10, 30, 20)], crs=3067)
    cells = building_cells(b, dem, conn)
    d = building_depths(cells, [0.6], raise_m=[0.45])
    # depths 0.5 and 0.4 -> 0.05 and 0 after raising by 0.45
    assert d["max_depth_m"].values[0, 0] == pytest.approx(0.05, abs=1e-6)
    assert d["wet_fraction"].values[0, 0] == pytest.approx(0.5)
    assert d["wet_mean_depth_m"].values[0, 0] == pytest.approx(0.05, abs=1e-6)


def test_levels_in_another_frame_are_refused():
    z = np.array([[-1.0, 0.5, 1.5]])
    dem = raster_from_array(z, crs=3067, transform=(10, 0, 0, 0, -10, 10), units="m")
    ref = VerticalReference(dem_datum="N2000", water_surface_name="MSL")
    rdem = reference_dem(dem, ref)
    cells = building_cells(gpd.GeoDataFrame(geometry=[box(12, 2, 18, 8)], crs=3067), rdem,
                           connection_level(rdem, sea_level_m=0.0))
    import xarray as xr
    lv = xr.DataArray([1.0], dims="level", attrs={"units": "m",
                                                  "vertical_reference": "above MHHW"})
    with pytest.raises(InputValueError, match="same VerticalReference"):
        building_depths(cells, lv)


def test_zones_by_representative_point(two_zone_city):
    dem, conn, b, zones = two_zone_city
    cells = building_cells(b, dem, conn, zones=zones, zone_column="name")
    assert cells.zone.tolist() == ["west", "west", "west", "east", "east", "east"]
    assert cells.zones == ("west", "east")
    with pytest.raises(InputValueError, match="Unknown zone"):
        cells.in_zone("north")
