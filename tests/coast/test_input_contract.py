"""The input contract of issue #12 on the coast functions.

Each quirk of real files gets a tiny fixture whose right answer is checked by eye: a DEM in
feet, a declared -9999 nodata read without masking, a rotated grid, south-up or unsorted
tiles, NaN/inf parameters, float sea masks and layers that do not overlap.
"""

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from shapely.geometry import LineString, Point, box

from urbanrisk.coast import (
    VerticalReference,
    annual_exceedance_probability,
    ar6_global_mean_sea_level,
    asset_connection_level,
    bruun_retreat,
    cast_transects,
    closure_depth,
    connection_level,
    first_flood_year,
    forecast_shoreline,
    inundation_depth,
    inundation_extent,
    inundation_probability,
    multi_year_probability,
    reference_dem,
    relative_sea_level,
    retreat_zones,
    select_projection,
    shoreline_change_statistics,
    shoreline_intersections,
    water_levels,
)
from urbanrisk.errors import (
    CRSMismatchError,
    GridError,
    InputValueError,
    NoOverlapError,
    UnitsError,
)
from urbanrisk.layers import is_dask_backed, north_up, raster_from_array

FT = 0.3048

# A walled pocket: sea on the left (0 m), a 0.5 m strip, a 2 m ring around a -0.5 m pocket,
# 1 m land behind. Connection levels by eye (4-connectivity, sea at 0 m):
# [nan, 0.5, 2, 2, 2, 2] in every row.
WALLED = np.array(
    [
        [0.0, 0.5, 2.0, 2.0, 2.0, 1.0],
        [0.0, 0.5, 2.0, -0.5, 2.0, 1.0],
        [0.0, 0.5, 2.0, 2.0, 2.0, 1.0],
    ]
)


def _dem(z, units="m", res=1.0, x0=0.0, crs=3067):
    z = np.asarray(z, dtype=float)
    return raster_from_array(z, crs=crs, transform=(res, 0, x0, 0, -res, res * z.shape[0]),
                             units=units, name="dem")


def _unmasked(dem):
    """The DEM as rioxarray.open_rasterio(path) returns it without masked=True."""
    raw = dem.fillna(-9999.0)
    raw.attrs = dict(dem.attrs)
    return raw.rio.write_nodata(-9999.0)


def _south_up(dem):
    return dem.isel(y=slice(None, None, -1))


def _tiles_out_of_order(dem, k):
    return xr.concat([dem.isel(x=slice(k, None)), dem.isel(x=slice(0, k))], dim="x")


# ---------------------------------------------------------------- units, nodata, grids
def test_feet_dem_gives_the_metre_result():
    dem_m = _dem(WALLED)
    dem_ft = _dem(WALLED / FT, units="ft")
    conn_m = connection_level(dem_m, sea_level_m=0.0, connectivity=4)
    conn_ft = connection_level(dem_ft, sea_level_m=0.0, connectivity=4)
    assert conn_ft.attrs["units"] == "m"
    np.testing.assert_allclose(conn_ft.values, conn_m.values)
    np.testing.assert_allclose(conn_m.values[1], [np.nan, 0.5, 2.0, 2.0, 2.0, 2.0])
    d_m = inundation_depth(dem_m, conn_m, [0.6, 2.0])
    d_ft = inundation_depth(dem_ft, conn_ft, [0.6, 2.0])
    np.testing.assert_allclose(d_ft.values, d_m.values, atol=1e-6)
    np.testing.assert_allclose(d_ft.values[1, 1], [np.nan, 1.5, 0.0, 2.5, 0.0, 1.0], atol=1e-6)
    ref = VerticalReference(dem_datum="NAVD88", water_surface=0.5)
    np.testing.assert_allclose(reference_dem(dem_ft, ref).values, WALLED - 0.5, atol=1e-12)


def test_dem_without_length_units_is_refused():
    with pytest.raises(UnitsError):
        connection_level(_dem(WALLED, units="degC"), sea_level_m=0.0)


def test_declared_nodata_is_masked_never_a_9999_m_depth():
    z = WALLED.copy()
    z[0, 4] = np.nan
    masked = _dem(z)
    raw = _unmasked(masked)
    assert (raw.values == -9999.0).sum() == 1
    conn = connection_level(raw, sea_level_m=0.0, connectivity=4)
    np.testing.assert_allclose(conn.values,
                               connection_level(masked, sea_level_m=0.0, connectivity=4).values)
    depth = inundation_depth(raw, conn, 3.0)
    assert np.nanmax(depth.values) < 4.0  # 3.5 m over the pocket, never 9,999 m
    assert np.isnan(depth.values[0, 0, 4])
    assert inundation_extent(raw, conn, 3.0).values[0, 0, 4] == -1  # nodata class


def test_lazy_dem_with_declared_nodata_stays_lazy():
    z = WALLED.copy()
    z[2, 5] = np.nan
    dem = _dem(z)
    conn = connection_level(dem, sea_level_m=0.0)
    lazy = _unmasked(dem).chunk({"x": 3})
    out = inundation_depth(lazy, conn.chunk({"x": 3}), [1.0, 2.0])
    assert is_dask_backed(out)
    np.testing.assert_allclose(out.values, inundation_depth(dem, conn, [1.0, 2.0]).values)


def _rotated(z, degrees=30.0):
    t = Affine.translation(1000.0, 2000.0) * Affine.rotation(degrees) * Affine.scale(10, -10)
    da = xr.DataArray(np.asarray(z, float), dims=("y", "x"), name="dem", attrs={"units": "m"})
    return da.rio.write_crs(3067).rio.write_transform(t)


def test_rotated_dem_is_refused_or_warped():
    z = np.tile(np.linspace(-1.0, 3.0, 12), (12, 1))
    rot = _rotated(z)
    with pytest.raises(GridError, match="rotated"):
        connection_level(rot, sea_level_m=0.0)
    with pytest.raises(GridError, match="north_up"):
        inundation_depth(rot, connection_level(_dem(z), sea_level_m=0.0), 1.0)
    up = north_up(rot)
    conn = connection_level(up, sea_level_m=0.0)
    depth = inundation_depth(up, conn, 1.0)
    # map coordinates around the rotated footprint (x from 1000 m), never pixel indices
    assert float(depth["x"].min()) > 900.0 and float(depth["y"].min()) > 1800.0
    assert np.nanmax(depth.values) <= 2.0 + 1e-9  # 1 m level over ground at -1 m at most


def test_dem_and_connection_on_different_grids_of_the_same_shape():
    conn = connection_level(_dem(WALLED), sea_level_m=0.0)
    shifted = _dem(WALLED, x0=500.0)  # same shape, 500 m east
    with pytest.raises(GridError, match="same grid"):
        inundation_depth(shifted, conn, 1.0)
    with pytest.raises(CRSMismatchError):  # same shape and transform, another CRS
        inundation_extent(_dem(WALLED, crs=3879), conn, 1.0)


def test_south_up_unsorted_tiles_and_sortby_give_the_same_answer():
    dem = _dem(WALLED)
    ref = connection_level(dem, sea_level_m=0.0, connectivity=4)
    ext = inundation_extent(dem, ref, [0.6, 2.0]).values
    for variant in (_south_up(dem), _tiles_out_of_order(dem, 4), dem.sortby("y")):
        conn = connection_level(variant, sea_level_m=0.0, connectivity=4)
        np.testing.assert_allclose(conn.values, ref.values)
        np.testing.assert_array_equal(conn["y"].values, ref["y"].values)
        np.testing.assert_array_equal(inundation_extent(variant, conn, [0.6, 2.0]).values, ext)
        # the connection of the north-up DEM works with the variant DEM too
        np.testing.assert_array_equal(inundation_extent(variant, ref, [0.6, 2.0]).values, ext)


def test_geographic_dem_is_reprojected_with_the_shared_log_note(caplog):
    z = np.tile(np.linspace(-1.0, 3.0, 8), (8, 1))
    dem = raster_from_array(z, crs=4326, transform=(0.001, 0, 24.9, 0, -0.001, 60.2),
                            units="m", name="dem")
    with caplog.at_level(logging.INFO, logger="urbanrisk.layers"):
        conn = connection_level(dem, sea_level_m=0.0)
    assert conn.rio.crs.to_epsg() == 32635
    assert any("reprojected from EPSG:4326" in r.getMessage() for r in caplog.records)


# ---------------------------------------------------------------- sea masks
def test_float_sea_mask_one_and_nan_is_read_as_sea_and_not_sea(caplog):
    dem = _dem(WALLED)
    as_bool = dem.copy(data=np.zeros(WALLED.shape, bool))
    as_bool[:, 0] = True
    ref = connection_level(dem, sea=as_bool, connectivity=4)
    one_nan = dem.copy(data=np.where(as_bool.values, 1.0, np.nan))
    with caplog.at_level(logging.INFO, logger="urbanrisk.coast.inundation"):
        conn = connection_level(dem, sea=one_nan, connectivity=4)
    np.testing.assert_allclose(conn.values, ref.values)
    assert np.isnan(conn.values[:, 0]).all() and np.isfinite(conn.values[:, 1:]).all()
    assert any("read as not sea" in r.getMessage() for r in caplog.records)
    zero_one = dem.copy(data=as_bool.values.astype("int16"))
    np.testing.assert_allclose(connection_level(dem, sea=zero_one, connectivity=4).values,
                               ref.values)


@pytest.mark.parametrize("bad", [0.5, 2.0, np.inf, -1.0])
def test_sea_mask_with_other_values_is_refused(bad):
    dem = _dem(WALLED)
    values = np.zeros(WALLED.shape)
    values[:, 0] = 1.0
    values[1, 3] = bad
    with pytest.raises(InputValueError, match="0/1"):
        connection_level(dem, sea=dem.copy(data=values))


def test_sea_mask_strings_and_other_grids_are_refused():
    dem = _dem(WALLED)
    with pytest.raises(InputValueError):
        connection_level(dem, sea=dem.copy(data=np.full(WALLED.shape, "sea")))
    other = _dem(np.ones(WALLED.shape), x0=100.0).astype(bool)
    with pytest.raises(GridError):
        connection_level(dem, sea=other)


def test_bare_sea_mask_follows_the_dem_as_given():
    dem = _dem(WALLED)
    sea = np.zeros(WALLED.shape, bool)
    sea[:, 0] = True
    ref = connection_level(dem, sea=xr.DataArray(sea, dims=("y", "x")), connectivity=4)
    flipped = _south_up(dem)  # a bare mask is read cell by cell on this (south-up) DEM
    conn = connection_level(flipped, sea=xr.DataArray(sea[::-1], dims=("y", "x")),
                            connectivity=4)
    np.testing.assert_allclose(conn.values, ref.values)


def test_sea_polygons_off_the_dem_are_refused():
    far = gpd.GeoDataFrame(geometry=[box(1e5, 1e5, 1e5 + 10, 1e5 + 10)], crs=3067)
    with pytest.raises(NoOverlapError, match="sea"):
        connection_level(_dem(WALLED), sea=far)


# ---------------------------------------------------------------- parameters
def test_nan_and_inf_levels_are_refused():
    dem = _dem(WALLED)
    conn = connection_level(dem, sea_level_m=0.0)
    for bad in ([0.5, np.nan], [np.inf], ["1.0"], "1.0"):
        with pytest.raises(InputValueError):
            inundation_extent(dem, conn, bad)
        with pytest.raises(InputValueError):
            inundation_depth(dem, conn, bad)
    lv = xr.DataArray([0.1, np.nan, 0.6], dims="year", coords={"year": [2030, 2050, 2100]})
    with pytest.raises(InputValueError, match="water levels"):
        first_flood_year(conn, lv)  # one NaN year once marked the whole city flooded
    with pytest.raises(InputValueError):
        first_flood_year(np.array([0.5]), lv.fillna(0.3).assign_coords(year=[2030, np.nan,
                                                                              2100]))
    with pytest.raises(InputValueError):
        inundation_probability(conn, [np.nan], dem_rmse_m=0.1)
    with pytest.raises(InputValueError):
        retreat_zones(conn, lv)


def test_levels_in_centimetres_are_converted():
    dem = _dem(WALLED)
    conn = connection_level(dem, sea_level_m=0.0)
    cm = xr.DataArray([60.0, 200.0], dims="level", attrs={"units": "cm"})
    np.testing.assert_allclose(inundation_depth(dem, conn, cm).values,
                               inundation_depth(dem, conn, [0.6, 2.0]).values)


@pytest.mark.parametrize("kwargs", [
    {"sea_level_m": np.inf}, {"sea_level_m": np.nan}, {"sea_level_m": "0"},
    {"sea_level_m": 0.0, "barrier_crest_m": np.nan},
    {"sea_level_m": 0.0, "connectivity": True},
])
def test_connection_level_parameters_are_checked(kwargs):
    with pytest.raises(InputValueError):
        connection_level(_dem(WALLED), **kwargs)


def test_barrier_columns_must_be_numbers():
    wall = gpd.GeoDataFrame({"crest_m": ["3 m"]}, geometry=[LineString([(3.5, -1), (3.5, 4)])],
                            crs=3067)
    with pytest.raises(InputValueError, match="crest_m"):
        connection_level(_dem(WALLED), sea_level_m=0.0, barriers=wall)


def test_probability_and_rate_parameters_are_checked():
    conn = connection_level(_dem(WALLED), sea_level_m=0.0)
    slr = ar6_global_mean_sea_level(scenarios=["SSP2-4.5"], years=[2050, 2100])
    with pytest.raises(InputValueError):
        inundation_probability(conn, 1.0, dem_rmse_m=np.nan)
    with pytest.raises(InputValueError):
        inundation_probability(conn, 1.0, dem_rmse_m=0.1, datum_rmse_m=np.inf)
    with pytest.raises(InputValueError):
        relative_sea_level(slr, vertical_land_motion_mm_per_yr=np.inf)
    with pytest.raises(InputValueError):
        select_projection(slr, quantiles=[1.5])
    with pytest.raises(InputValueError):
        select_projection(slr, quantiles=[np.nan])
    ref = VerticalReference(dem_datum="N2000")
    with pytest.raises(InputValueError):
        water_levels(slr, reference=ref, surge={100: np.nan})
    with pytest.raises(InputValueError):
        water_levels(slr, reference=ref, surge={-100: 1.0})
    with pytest.raises(InputValueError):
        water_levels(slr, reference=ref, surge={100: "1.2"})
    with pytest.raises(InputValueError):
        VerticalReference(dem_datum="N2000", water_surface=np.nan)
    with pytest.raises(InputValueError):
        ar6_global_mean_sea_level(years=[2050, np.nan])
    with pytest.raises(InputValueError):
        annual_exceedance_probability(np.array([1.0]), slr.isel(scenario=0, quantile=1),
                                      {10: 1.0, 100: np.nan})
    with pytest.raises(InputValueError):
        multi_year_probability(xr.DataArray([0.5, 1.5], dims="year"))
    with pytest.raises(InputValueError):
        first_flood_year(np.array(["0.5"]), slr.isel(scenario=0, quantile=1))


def test_shoreline_parameters_are_checked():
    with pytest.raises(InputValueError):
        bruun_retreat(0.5, closure_distance_m=np.nan, berm_height_m=2, closure_depth_m=8)
    with pytest.raises(InputValueError):
        bruun_retreat(np.nan, closure_distance_m=400, berm_height_m=2, closure_depth_m=8)
    with pytest.raises(InputValueError):
        bruun_retreat(0.5, closure_distance_m=400, berm_height_m=np.inf, closure_depth_m=8)
    with pytest.raises(InputValueError):
        closure_depth(np.nan, 8.0)
    with pytest.raises(InputValueError):
        closure_depth("3", 8.0)
    base = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (100, 0)])], crs=3067)
    with pytest.raises(InputValueError):
        cast_transects(base, spacing_m=np.inf, length_m=100)
    tr = cast_transects(base, spacing_m=50, length_m=100)
    sh = gpd.GeoDataFrame({"date": ["2001-01-01", "2011-01-01"], "err": ["5 m", "3"]},
                          geometry=[LineString([(0, -y), (100, -y)]) for y in (50, 40)],
                          crs=3067)
    for bad in (-1.0, np.nan):
        with pytest.raises(InputValueError, match="uncertainty_m"):
            shoreline_intersections(tr, sh, uncertainty_m=bad)
    with pytest.raises(InputValueError, match="err"):
        shoreline_intersections(tr, sh, uncertainty_column="err")
    ix = shoreline_intersections(tr, sh)
    with pytest.raises(InputValueError, match="confidence_level"):
        shoreline_change_statistics(ix, confidence_level=np.nan)
    with pytest.raises(InputValueError):
        forecast_shoreline(ix, reference_date="2011-01-01", horizons_years=[np.nan])
    text = ix.assign(position_m=ix["position_m"].astype(str))
    with pytest.raises(InputValueError, match="position_m"):
        shoreline_change_statistics(text)


# ---------------------------------------------------------------- vectors must overlap
def test_transects_and_shorelines_that_do_not_overlap_are_refused():
    base = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (100, 0)])], crs=3067)
    tr = cast_transects(base, spacing_m=50, length_m=100)
    far = gpd.GeoDataFrame({"date": ["2001-01-01"]},
                           geometry=[LineString([(5000, -50), (5100, -50)])], crs=3067)
    with pytest.raises(NoOverlapError, match="transects"):
        shoreline_intersections(tr, far)  # was an empty table


def test_shorelines_in_another_crs_are_reprojected():
    base = gpd.GeoDataFrame(geometry=[LineString([(380000, 6670000), (380100, 6670000)])],
                            crs=3067)
    tr = cast_transects(base, spacing_m=50, length_m=100)
    sh = gpd.GeoDataFrame({"date": ["2001-01-01"]},
                          geometry=[LineString([(379990, 6669960), (380110, 6669960)])],
                          crs=3067)
    ref = shoreline_intersections(tr, sh)
    got = shoreline_intersections(tr, sh.to_crs(4326))
    np.testing.assert_allclose(got["position_m"], ref["position_m"], atol=1e-3)
    np.testing.assert_allclose(ref["position_m"], 40.0, atol=1e-6)


def test_assets_off_the_dem_are_refused():
    conn = connection_level(_dem(WALLED), sea_level_m=0.0)
    houses = gpd.GeoDataFrame(geometry=[Point(1e4, 1e4)], crs=3067)
    with pytest.raises(NoOverlapError, match="assets"):
        asset_connection_level(houses, conn)
    near = gpd.GeoDataFrame(geometry=[Point(1.5, 1.5)], crs=3067).to_crs(4326)
    assert asset_connection_level(near, conn).tolist() == pytest.approx([0.5])


def test_retreat_zone_areas_use_the_cell_area():
    dem = raster_from_array(np.array([[0.0, 0.3, 0.6, 2.0]]), crs=3067,
                            transform=(10, 0, 0, 0, -10, 10), units="m")
    conn = connection_level(dem, sea_level_m=0.0)
    lv = xr.DataArray([0.4, 1.0], dims="year", coords={"year": [2050, 2100]})
    zones = retreat_zones(conn, lv)
    np.testing.assert_allclose(zones["inundation_area_m2"], [100.0, 200.0])
    np.testing.assert_allclose(zones["area_m2"], [100.0, 200.0])


# ---------------------------------------------------------------- hypothesis
DEMS = arrays(np.float64, st.tuples(st.integers(2, 7), st.integers(2, 7)),
              elements=st.sampled_from([-1.0, 0.0, 0.5, 1.0, 2.0, np.nan]))


@settings(max_examples=15, deadline=None)
@given(z=DEMS, split=st.integers(1, 6), connectivity=st.sampled_from([4, 8]))
def test_hypothesis_flip_tiles_and_unmasked_nodata_change_nothing(z, split, connectivity):
    z = z.copy()
    z[0, 0] = -1.0  # at least one edge sea cell
    dem = _dem(z)
    conn = connection_level(dem, sea_level_m=-1.0, connectivity=connectivity)
    levels = [-0.5, 0.25, 1.0, 2.5]
    ext = inundation_extent(dem, conn, levels).values
    k = min(split, z.shape[1] - 1)
    for variant in (_south_up(dem), _tiles_out_of_order(dem, k), _unmasked(dem)):
        c = connection_level(variant, sea_level_m=-1.0, connectivity=connectivity)
        np.testing.assert_allclose(c.values, conn.values)
        np.testing.assert_array_equal(inundation_extent(variant, c, levels).values, ext)


@settings(max_examples=20, deadline=None)
@given(z=DEMS, low=st.floats(-1.0, 2.0), rise=st.floats(0.0, 2.0))
def test_hypothesis_more_sea_level_never_floods_less(z, low, rise):
    z = z.copy()
    z[0, 0] = -1.0
    dem = _dem(z)
    conn = connection_level(dem, sea_level_m=-1.0)
    ext = inundation_extent(dem, conn, [low, low + rise]).values
    wet = (ext == 1) | (ext == 3)
    assert (wet[1] >= wet[0]).all()
    depth = inundation_depth(dem, conn, [low, low + rise]).values
    both = np.isfinite(depth[0])
    assert (depth[1][both] >= depth[0][both] - 1e-6).all()
    # a higher sea (more edge cells seeded) never floods less at the same water level
    top = low + rise
    hi = connection_level(dem, sea_level_m=-1.0 + rise)
    wet_lo = np.isin(inundation_extent(dem, conn, top).values[0], [1, 3])
    wet_hi = np.isin(inundation_extent(dem, hi, top).values[0], [1, 3])
    if top >= -1.0 + rise:  # the water at least as high as the higher sea
        assert (wet_hi >= wet_lo).all()


def test_pandas_series_connection_with_text_is_refused():
    lv = xr.DataArray([0.1, 0.6], dims="year", coords={"year": [2030, 2100]})
    with pytest.raises(InputValueError):
        first_flood_year(pd.Series(["0.5", "x"]), lv)


def test_monte_carlo_with_a_bare_mask_on_a_south_up_dem():
    from urbanrisk.coast import inundation_probability_monte_carlo

    dem = _dem(WALLED)
    sea = np.zeros(WALLED.shape, bool)
    sea[:, 0] = True
    kw = {"dem_rmse_m": 0.1, "n_realizations": 5, "seed": 3, "connectivity": 4}
    ref = inundation_probability_monte_carlo(dem, 1.0, sea=xr.DataArray(sea, dims=("y", "x")),
                                             **kw)
    got = inundation_probability_monte_carlo(
        _south_up(dem), 1.0, sea=xr.DataArray(sea[::-1], dims=("y", "x")), **kw)
    np.testing.assert_allclose(got.values, ref.values)
    np.testing.assert_allclose(ref.values[0][:, 1], 1.0)  # the 0.5 m strip, 0.5 m under
