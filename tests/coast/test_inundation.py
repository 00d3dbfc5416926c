from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import ndimage
from shapely.geometry import LineString, box

from urbanrisk.coast import (
    VerticalReference,
    annual_exceedance_probability,
    ar6_global_mean_sea_level,
    connection_level,
    first_flood_year,
    inundation_depth,
    inundation_extent,
    inundation_probability,
    inundation_probability_monte_carlo,
    multi_year_probability,
    reference_dem,
    water_levels,
)
from urbanrisk.errors import DimensionError, InputValueError, NoOverlapError, UnitsError
from urbanrisk.layers import raster_from_array, read_raster

DATA = Path(__file__).parents[2] / ".." / "shared" / "data"
STRUCT = {4: ndimage.generate_binary_structure(2, 1), 8: np.ones((3, 3), bool)}


def _dem(z, res=1.0):
    z = np.asarray(z, dtype=float)
    return raster_from_array(z, crs=3067, transform=(res, 0, 0, 0, -res, res * z.shape[0]),
                             units="m", name="dem")


def label_flood(z, sea, level, connectivity):
    """NOAA's way: label cells at/below the level (plus the sea), keep those touching the sea."""
    wet = (z.astype("float64") <= level) | sea
    lab, _ = ndimage.label(wet, structure=STRUCT[connectivity])
    sea_labels = np.unique(lab[sea])
    return np.isin(lab, sea_labels[sea_labels > 0]) & ~sea


def edge_sea(z, sea_level, connectivity):
    """Sea = cells at/below sea_level connected to an edge cell at/below it."""
    low = z.astype("float64") <= sea_level
    lab, _ = ndimage.label(low, structure=STRUCT[connectivity])
    edge = np.concatenate([lab[0], lab[-1], lab[:, 0], lab[:, -1]])
    ids = np.unique(edge[edge > 0])
    return np.isin(lab, ids)


def random_dem(rng, shape, dtype="float32"):
    z = ndimage.gaussian_filter(rng.normal(0, 1, shape), 2) * 6
    z += np.linspace(-2, 4, shape[1])[None, :]  # sea on the left
    return z.astype(dtype)


# ---------------------------------------------------------------- hand-checked fixtures
WALLED = np.array(
    [
        [0.0, 0.5, 2.0, 2.0, 2.0, 1.0],
        [0.0, 0.5, 2.0, -0.5, 2.0, 1.0],
        [0.0, 0.5, 2.0, 2.0, 2.0, 1.0],
    ]
)


def test_walled_pocket_below_sea_is_not_connected():
    dem = _dem(WALLED)
    conn = connection_level(dem, sea_level_m=0.0, connectivity=4)
    np.testing.assert_array_equal(conn.values[:, 1:], [[0.5, 2.0, 2.0, 2.0, 2.0]] * 3)
    assert np.isnan(conn.values[:, 0]).all()  # the sea
    ext = inundation_extent(dem, conn, [0.6, 1.5, 2.0])
    # at 0.6 m: column 1 connected; the −0.5 m pocket and the 1 m strip are low-lying only
    assert ext.values[0].tolist() == [[3, 1, 0, 0, 0, 0], [3, 1, 0, 2, 0, 0], [3, 1, 0, 0, 0, 0]]
    assert ext.values[1, 1].tolist() == [3, 1, 0, 2, 0, 2]
    assert (ext.values[2][:, 1:] == 1).all()
    depth = inundation_depth(dem, conn, 2.0)
    np.testing.assert_allclose(depth.values[0, 1], [np.nan, 1.5, 0.0, 2.5, 0.0, 1.0])


def test_diagonal_gap_depends_on_connectivity():
    z = np.array([[0.0, 5.0, 5.0], [5.0, 1.0, 5.0], [5.0, 5.0, 5.0]])
    sea = xr.zeros_like(_dem(z), dtype=bool)
    sea[0, 0] = True
    c8 = connection_level(_dem(z), sea=sea, connectivity=8)
    c4 = connection_level(_dem(z), sea=sea, connectivity=4)
    assert c8.values[1, 1] == pytest.approx(1.0) and c4.values[1, 1] == pytest.approx(5.0)


def test_sea_polygons_and_nodata():
    z = np.array([[0.0, 1.0, np.nan, 1.0], [0.0, 1.0, np.nan, 1.0]])
    dem = _dem(z)
    sea = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 2)], crs=3067)
    conn = connection_level(dem, sea=sea)
    assert np.isnan(conn.values[:, 0]).all()
    np.testing.assert_allclose(conn.values[:, 1], 1.0)
    assert np.isnan(conn.values[:, 2]).all() and np.isinf(conn.values[:, 3]).all()
    ext = inundation_extent(dem, conn, 5.0)
    assert ext.values[0, 0].tolist() == [3, 1, -1, 2]


def test_barrier_and_connector_lines():
    z = np.zeros((3, 7)) + 1.0
    z[:, 0] = 0.0
    dem = _dem(z)  # x from 0 to 7, y from 0 to 3
    wall = gpd.GeoDataFrame({"crest_m": [3.0]}, geometry=[LineString([(3.5, -1), (3.5, 4)])],
                            crs=3067)
    conn = connection_level(dem, sea_level_m=0.0, barriers=wall, connectivity=8)
    np.testing.assert_allclose(conn.values[:, 1:3], 1.0)
    np.testing.assert_allclose(conn.values[:, 3:], 3.0)
    never = connection_level(dem, sea_level_m=0.0, barriers=wall.drop(columns="crest_m"))
    assert np.isinf(never.values[:, 3:]).all()
    culvert = gpd.GeoDataFrame({"invert_m": [0.2]},
                               geometry=[LineString([(2.5, 1.5), (4.5, 1.5)])], crs=3067)
    conn2 = connection_level(dem, sea_level_m=0.0, barriers=wall, connectors=culvert)
    # behind the wall now connected at the ground height (1 m) through the culvert
    np.testing.assert_allclose(conn2.values[:, 5:], 1.0)
    assert conn2.values[1, 3] == pytest.approx(3.0)  # the wall's own cell keeps its crest


# ---------------------------------------------------------------- reference: per-level labelling
@pytest.mark.parametrize("connectivity", [4, 8])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_per_level_labelling_on_random_dems(connectivity, seed):
    rng = np.random.default_rng(seed)
    z = random_dem(rng, (60, 80))
    z[rng.random(z.shape) < 0.02] = np.nan  # scattered nodata
    dem = _dem(z)
    conn = connection_level(dem, sea_level_m=0.0, connectivity=connectivity)
    sea = edge_sea(np.nan_to_num(z, nan=np.inf), 0.0, connectivity)
    np.testing.assert_array_equal(np.isnan(conn.values) & np.isfinite(z), sea)
    levels = np.unique(np.r_[np.linspace(-1, 6, 40), np.nanpercentile(z, [30, 50, 70])])
    ext = inundation_extent(dem, conn, levels).values
    for k, level in enumerate(levels):
        expected = label_flood(np.nan_to_num(z, nan=np.inf), sea, level, connectivity)
        np.testing.assert_array_equal(ext[k] == 1, expected, err_msg=f"level {level}")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("connectivity", [4, 8])
def test_matches_labelling_with_a_sea_mask(connectivity, dtype):
    rng = np.random.default_rng(7)
    z = random_dem(rng, (50, 50), dtype=dtype)
    sea_mask = np.zeros(z.shape, bool)
    sea_mask[:, :3] = True
    sea_da = xr.DataArray(sea_mask, dims=("y", "x"))
    conn = connection_level(_dem(z), sea=sea_da, connectivity=connectivity)
    for level in np.linspace(-2, 5, 30):
        np.testing.assert_array_equal(conn.values <= level,
                                      label_flood(z, sea_mask, level, connectivity))


@settings(max_examples=40, deadline=None)
@given(
    z=arrays(np.float64, st.tuples(st.integers(2, 9), st.integers(2, 9)),
             elements=st.sampled_from([-1.0, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0])),
    connectivity=st.sampled_from([4, 8]),
)
def test_hypothesis_identical_to_labelling_and_monotone(z, connectivity):
    z = z.copy()
    z[0, 0] = -1.0  # at least one edge sea cell
    dem = _dem(z)
    conn = connection_level(dem, sea_level_m=-1.0, connectivity=connectivity)
    c = conn.values
    land = ~np.isnan(c)
    assert (c[land] >= z[land]).all()  # never connected below its own height
    sea = edge_sea(z, -1.0, connectivity)
    prev = np.zeros(z.shape, bool)
    for level in [-1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0]:
        now = c <= level
        np.testing.assert_array_equal(now, label_flood(z, sea, level, connectivity))
        assert (now >= prev).all()  # more sea level never floods less
        prev = now


# ---------------------------------------------------------------- years, scenarios
def test_first_flood_year_matches_brute_force_and_scenario_order():
    rng = np.random.default_rng(3)
    z = random_dem(rng, (40, 40)) * 0.2 + 0.3
    ref = VerticalReference(dem_datum="N2000", water_surface=0.0)
    dem = reference_dem(_dem(z), ref)
    conn = connection_level(dem, sea_level_m=dem.values[:, 0].max())
    slr = ar6_global_mean_sea_level(scenarios=["SSP1-1.9", "SSP2-4.5", "SSP5-8.5"],
                                    years=range(2020, 2151))
    lv = water_levels(slr, reference=ref, surge={10: 0.3, 100: 0.6})
    fy = first_flood_year(conn, lv)
    assert fy.dims == ("scenario", "quantile", "return_period", "y", "x")
    ext = inundation_extent(dem, conn, lv.sel(return_period=100, quantile=0.5)).values
    for i, s in enumerate(lv["scenario"].values):
        brute = np.full(z.shape, np.nan)
        for k, year in enumerate(lv["year"].values):
            hit = (ext[i, k] == 1) & np.isnan(brute)
            brute[hit] = year
        np.testing.assert_array_equal(fy.sel(scenario=s, quantile=0.5, return_period=100).values,
                                      brute)
    # a higher scenario never floods a cell later; a larger storm never later either
    a = np.nan_to_num(fy.values, nan=9999)
    assert (np.diff(a, axis=0) <= 0).all()
    assert (np.diff(a, axis=2) <= 0).all()


def test_first_flood_year_with_falling_levels_uses_running_max():
    lv = xr.DataArray([0.3, 0.1, 0.2, 0.5], dims="year", coords={"year": [2030, 2040, 2050, 2060]})
    out = first_flood_year(np.array([0.25, 0.15, 0.4]), lv)
    assert out.values.tolist() == [2030.0, 2030.0, 2060.0]


def test_reference_mixing_is_refused():
    z = np.array([[0.0, 1.0]])
    dem = _dem(z)
    conn = connection_level(dem, sea_level_m=0.0)
    slr = ar6_global_mean_sea_level(scenarios=["SSP1-2.6"], years=[2100])
    lv = water_levels(slr, reference=VerticalReference(dem_datum="N2000"))
    with pytest.raises(InputValueError, match="reference_dem"):
        inundation_extent(dem, conn, lv)
    with pytest.raises(InputValueError, match="reference_dem"):
        first_flood_year(conn, lv)


def test_bad_inputs():
    dem = _dem([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(InputValueError, match="No sea cell"):
        connection_level(dem, sea_level_m=0.0)
    with pytest.raises(InputValueError, match="Say where the sea"):
        connection_level(dem)
    with pytest.raises(InputValueError, match="connectivity"):
        connection_level(dem, sea_level_m=5, connectivity=6)
    with pytest.raises(NoOverlapError):  # sea polygons off the DEM (was "No sea cell")
        connection_level(dem, sea=gpd.GeoDataFrame(geometry=[box(100, 100, 200, 200)], crs=3067))
    with pytest.raises(DimensionError):
        connection_level(dem, sea=xr.DataArray(np.ones((3, 3), bool), dims=("y", "x")))
    nounits = dem.copy()
    nounits.attrs = {}
    with pytest.raises(UnitsError):
        connection_level(nounits, sea_level_m=5)
    with pytest.raises(InputValueError):
        inundation_extent(dem, dem, 1.0)  # not a connection level
    with pytest.raises(DimensionError):
        first_flood_year(connection_level(dem, sea_level_m=1.0), xr.DataArray([1.0], dims="level"))


# ---------------------------------------------------------------- probabilities
def test_probability_hand_checked():
    dem = _dem([[0.0, 0.8, 1.0, 1.4]])
    conn = connection_level(dem, sea_level_m=0.0)
    p = inundation_probability(conn, 1.0, dem_rmse_m=0.3, datum_rmse_m=0.4)
    # σ = 0.5; z-scores (1 − [0.8, 1.0, 1.4]) / 0.5 = 0.4, 0, −0.8
    np.testing.assert_allclose(p.values[0, 0, 1:], [0.6554217, 0.5, 0.2118554], atol=1e-6)
    assert ((p.values[0, 0, 1:] >= 0.8) == [False, False, False]).all()
    with pytest.raises(InputValueError):
        inundation_probability(conn, 1.0, dem_rmse_m=0.0)


def test_monte_carlo_agrees_with_analytic_on_a_slope():
    z = np.tile(np.linspace(0, 2, 21), (5, 1))
    dem = _dem(z)
    conn = connection_level(dem, sea=xr.DataArray(z <= 0, dims=("y", "x")))
    lv = 1.0
    pa = inundation_probability(conn, lv, dem_rmse_m=0.05)
    pm = inundation_probability_monte_carlo(dem, lv, dem_rmse_m=0.05, n_realizations=200,
                                            seed=42, sea=xr.DataArray(z <= 0, dims=("y", "x")))
    far = np.abs(z - lv) > 0.2
    np.testing.assert_array_equal(pm.values[0][far & (z > 0)], pa.values[0][far & (z > 0)].round())


def test_annual_and_multi_year_probability():
    slr = xr.DataArray([0.0, 0.25, 0.5], dims="year", coords={"year": [2020, 2060, 2100]})
    p = annual_exceedance_probability(np.array([1.5, 0.5, np.inf]), slr, {10: 1.0, 100: 1.5})
    # AEP 1/T with log(AEP) linear in level between (1.0, 0.1) and (1.5, 0.01)
    np.testing.assert_allclose(p.values[:, 0], [0.01, 10 ** -1.5, 0.1], rtol=1e-12)
    np.testing.assert_allclose(p.values[:, 1], [1.0, 1.0, 1.0])  # below the 10-yr level: capped
    np.testing.assert_allclose(p.values[:, 2], 0.0, atol=0)
    multi = multi_year_probability(p)
    np.testing.assert_allclose(multi.values[0], 1 - 0.99 * (1 - 10 ** -1.5) * 0.9)
    with pytest.raises(InputValueError):
        annual_exceedance_probability(np.array([1.0]), slr, {10: 1.0})


# ---------------------------------------------------------------- real data
def test_real_helsinki_dem_is_reprojected_and_matches_labelling():
    path = DATA / "helsinki_lapinlahti_dem" / "elevation_model_2021_lapinlahti.tif"
    if not path.exists():
        pytest.skip(f"real data not found at {path} (../shared/data is absent in this checkout)")
    dem = read_raster(path, units="m")
    assert dem.rio.crs.is_geographic
    conn = connection_level(dem, sea_level_m=0.05, connectivity=8)
    assert conn.rio.crs.to_epsg() in range(32601, 32661)  # reprojected to UTM
    from urbanrisk.layers import require_projected

    zp = require_projected(dem, name="dem").values
    sea = np.isnan(conn.values) & np.isfinite(zp)
    assert 0.2 < sea.mean() < 0.5  # about a third is sea
    zz = np.where(np.isfinite(zp), zp, np.inf)
    for level in [0.3, 0.8, 1.5, 2.5]:
        np.testing.assert_array_equal(conn.values <= level, label_flood(zz, sea, level, 8))


def test_first_flood_year_level_equal_to_connection_counts():
    lv = xr.DataArray([0.1, 0.3, 0.2, 0.6], dims="year", coords={"year": [2030, 2050, 2070, 2100]})
    out = first_flood_year(np.array([0.1, 0.3, 0.2, 0.6, np.nan, np.inf, -5.0]), lv)
    assert out.values.tolist()[:4] == [2030.0, 2050.0, 2050.0, 2100.0]
    assert np.isnan(out.values[4:6]).all() and out.values[6] == 2030.0


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), connectivity=st.sampled_from([4, 8]))
def test_float32_packed_kernel_equals_generic_kernel(seed, connectivity):
    from urbanrisk.coast._flood import _OFF4, _OFF8, priority_flood

    rng = np.random.default_rng(seed)
    z = random_dem(rng, (23, 31))
    z[rng.random(z.shape) < 0.05] = np.nan
    z[3, 4] = -np.inf if seed % 2 else z[3, 4]
    seeds = np.full(z.shape, np.nan)
    seeds[0, :5] = -np.inf
    seeds[-1, -3:] = z[-1, -3:]
    off = _OFF8 if connectivity == 8 else _OFF4
    packed = priority_flood(z, seeds.astype("float32"), off)  # float32: packed, padded heap
    generic = priority_flood(z.astype("float64"), seeds, off)  # float64: generic heap
    np.testing.assert_array_equal(packed.astype("float64"), generic)


def test_connection_level_refuses_a_dem_that_does_not_fit(monkeypatch):
    import urbanrisk.coast.inundation as inundation
    from urbanrisk.errors import InsufficientMemoryError
    from urbanrisk.layers import raster_from_array

    dem = raster_from_array(
        np.zeros((100, 100), dtype="float32"), crs=3067, transform=(1, 0, 0, 0, -1, 100),
        units="m",
    )
    monkeypatch.setattr(inundation, "_available_memory_bytes", lambda: 100_000)
    with pytest.raises(InsufficientMemoryError, match=r"needs about .* GiB.*coarsen"):
        inundation.connection_level(dem.chunk({"x": 50, "y": 50}), sea_level_m=0.0)


def test_thresholds_of_dask_inputs_are_lazy_and_equal():
    from urbanrisk import coast
    from urbanrisk.layers import raster_from_array

    z = np.random.default_rng(5).normal(1.0, 1.0, (40, 50)).astype("float32")
    z[:, :3] = -2.0  # sea on the west edge
    z[10, 10] = np.nan
    dem = raster_from_array(z, crs=3067, transform=(1, 0, 0, 0, -1, 40), units="m")
    connection = coast.connection_level(dem, sea_level_m=0.0)
    lazy_dem, lazy_conn = dem.chunk({"x": 16, "y": 16}), connection.chunk({"x": 16, "y": 16})
    levels = [0.25, 0.75, 1.5]
    for func in (coast.inundation_extent, coast.inundation_depth):
        eager = func(dem, connection, levels)
        lazy = func(lazy_dem, lazy_conn, levels)
        assert type(lazy.data).__module__.startswith("dask"), func.__name__
        np.testing.assert_array_equal(lazy.values, eager.values)
        assert lazy.dims == eager.dims
