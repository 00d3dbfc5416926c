"""Issues #13 and #14 (coast): decisions moved out of the profile, and what the sources say.

Every expected value is computed independently of the code under test: by hand on tiny
grids a reader checks by eye, with a second implementation (linear algebra, scipy's
normal distribution), or from the published table itself.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy import stats
from shapely.geometry import LineString, box

from urbanrisk.coast import (
    CONFIDENCE_CLASSES,
    VerticalReference,
    annual_years,
    ar6_global_mean_sea_level,
    asset_connection_level,
    asset_timeline,
    assets_reached,
    cast_transects,
    connection_level,
    first_flood_year,
    forecast_shoreline,
    inundation_area,
    inundation_confidence,
    inundation_depth,
    inundation_extent,
    inundation_probability,
    land_reached,
    points_seaward,
    retreat_zones,
    sea_seed,
    shoreline_change_statistics,
    shoreline_intersections,
    summarize_rates,
    water_levels,
)
from urbanrisk.layers import raster_from_array

CELL = 10.0  # m: every test grid has 100 m² cells


def _dem(z, dtype="float64"):
    z = np.asarray(z, dtype=dtype)
    return raster_from_array(z, crs=3067, transform=(CELL, 0, 0, 0, -CELL, CELL * z.shape[0]),
                             units="m")


# --------------------------------------------------------------------------------------
# #14: land newly reached vs water (sea_area_km2 was 400× too large on a delta city)
# --------------------------------------------------------------------------------------
#  sea | channel −0.5 | channel −0.3 | land 0.4 | dike 1.2 | polder −0.6 | land 2.0
DELTA = [[-3.0, -0.5, -0.3, 0.4, 1.2, -0.6, 2.0]]
SEA = [[1, 0, 0, 0, 0, 0, 0]]


def test_land_newly_reached_excludes_water_of_today_and_keeps_polders():
    dem = _dem(DELTA)
    conn = connection_level(dem, sea=dem.copy(data=np.array(SEA)))
    reached = land_reached(dem, conn, [0.3, 0.5, 1.5])
    # by hand: the two channels are connected below 0 m (water today, never "reached");
    # 0.4 m land is reached at 0.5; the dike and the polder behind it at 1.5
    assert np.isnan(reached.values[:, 0, 0]).all()
    assert reached.values[:, 0, 1:].tolist() == [
        [0, 0, 0, 0, 0, 0],
        [0, 0, 1, 0, 0, 0],
        [0, 0, 1, 1, 1, 0],
    ]
    area = inundation_area(dem, conn, [0.3, 0.5, 1.5])
    np.testing.assert_allclose(area["newly_reached_m2"], [0.0, 100.0, 300.0])
    np.testing.assert_allclose(area["water_today_m2"], [200.0] * 3)
    np.testing.assert_allclose(area["sea_m2"], [100.0] * 3)
    np.testing.assert_allclose(area["water_m2"], [300.0, 400.0, 600.0])
    # what the profile counted before: every connected cell (channels included)
    old = (inundation_extent(dem, conn, [0.3, 0.5, 1.5]) == 1).sum(("y", "x")) * 100.0
    assert old.values.tolist() == [200.0, 300.0, 500.0]


def test_present_level_moves_what_counts_as_water_today():
    dem = _dem(DELTA)
    conn = connection_level(dem, sea=dem.copy(data=np.array(SEA)))
    # today at −0.4 m: the −0.3 m channel is land that the sea reaches at 0.3 m
    area = inundation_area(dem, conn, [0.3], present_level_m=-0.4)
    assert float(area["newly_reached_m2"][0]) == pytest.approx(100.0)
    assert float(area["water_today_m2"][0]) == pytest.approx(100.0)


# --------------------------------------------------------------------------------------
# #14: sea seeding explicit, warned when the automatic seed finds almost nothing
# --------------------------------------------------------------------------------------
def test_sea_seed_reports_cells_and_warns_on_a_tiny_automatic_seed(caplog):
    # a land DEM whose sea is nodata: only one edge cell is at or below 0 m
    z = np.full((12, 12), 3.0)
    z[:, :4] = np.nan  # the sea, masked
    z[0, 4] = 0.0
    dem = _dem(z)
    with caplog.at_level(logging.WARNING, logger="urbanrisk.coast.inundation"):
        conn = connection_level(dem, sea_level_m=0.0)
    seed = sea_seed(conn)
    assert seed.automatic and seed.seed.startswith("edge cells at or below")
    assert (seed.seed_cells, seed.sea_cells) == (1, 1)
    assert seed.sea_area_m2 == pytest.approx(100.0)
    assert seed.sea_share == pytest.approx(1 / 96)  # 1 of 12 × 8 valid cells: > 1 %
    assert seed.warning == ""
    # one sea cell of 1600 (0.06 %): almost nothing
    big = np.full((40, 40), 3.0)
    big[0, 0] = -0.5
    with caplog.at_level(logging.WARNING, logger="urbanrisk.coast.inundation"):
        conn = connection_level(_dem(big), sea_level_m=0.0)
    seed = sea_seed(conn)
    assert seed.sea_cells == 1 and seed.sea_share == pytest.approx(1 / 1600)
    assert "found only 1 sea cells" in seed.warning and "sea=" in seed.warning
    assert any("automatic sea seed" in r.getMessage() for r in caplog.records)
    assert "Warning:" in seed.describe()


def test_sea_seed_from_a_mask_and_from_polygons_is_named_and_never_warned():
    dem = _dem(DELTA)
    by_mask = sea_seed(connection_level(dem, sea=dem.copy(data=np.array(SEA))))
    assert (by_mask.seed, by_mask.automatic, by_mask.seed_cells, by_mask.sea_cells) == (
        "sea mask", False, 1, 1)
    assert by_mask.warning == ""  # 1 of 7 cells; and an explicit seed is never flagged
    poly = gpd.GeoDataFrame(geometry=[box(0, 0, 10, 10)], crs=3067)
    by_poly = sea_seed(connection_level(dem, sea=poly))
    assert by_poly.seed == "sea polygons" and by_poly.sea_cells == 1
    assert "sea polygons (1 cells)" in by_poly.describe()
    assert by_poly.to_frame().shape == (1, 7)


def test_edge_seed_counts_the_connected_sea_not_just_the_edge():
    # the one edge cell at or below 0 m (−1 m) leads to two inner sea cells (−2 m, 0 m)
    dem = _dem([[5.0, 5.0, 5.0, 5.0],
                [-1.0, -2.0, 0.0, 5.0],
                [5.0, 5.0, 5.0, 5.0]])
    seed = sea_seed(connection_level(dem, sea_level_m=0.0))
    assert (seed.seed_cells, seed.sea_cells) == (1, 3)


# --------------------------------------------------------------------------------------
# #14: a cell exactly at the water level is at it (float32 heights, float64 levels)
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cell_exactly_at_the_level_is_reached(dtype):
    level = 0.1
    above = float(np.nextafter(np.asarray(level, dtype=dtype), np.inf))
    dem = _dem([[-1.0, level, above]], dtype=dtype)
    assert dem.dtype == dtype
    conn = connection_level(dem, sea_level_m=0.0)
    # by hand: the 0.1 m cell is at the water level (wet, depth 0); the next float up is dry
    assert inundation_extent(dem, conn, level).values.tolist() == [[[3, 1, 0]]]
    depth = inundation_depth(dem, conn, level).values[0, 0]
    assert depth[1] == 0.0 and np.isnan(depth[2])
    assert land_reached(dem, conn, level).values[0, 0, 1:].tolist() == [1.0, 0.0]
    assert inundation_area(dem, conn, level)["newly_reached_m2"].item() == pytest.approx(100.0)
    p = inundation_probability(conn, level, dem_rmse_m=0.1).values[0, 0]
    assert p[1] == pytest.approx(0.5)  # Φ(0)
    assert retreat_zones(conn, xr.DataArray([level], dims="year", coords={"year": [2050]}))[
        "inundation_area_m2"].tolist() == [100.0]
    lv = xr.DataArray([0.0, level], dims="year", coords={"year": [2030, 2050]})
    assert first_flood_year(conn, lv).values[0, 1:].tolist()[0] == 2050.0
    houses = gpd.GeoDataFrame(geometry=[box(12, 2, 18, 8)], crs=3067)  # inside cell 2
    acl = asset_connection_level(houses, conn)
    assert acl.dtype == dtype  # kept in the heights' precision
    assert first_flood_year(acl, lv).values.tolist() == [2050.0]


def test_edge_seed_at_exactly_the_sea_level_in_float32():
    dem = _dem([[0.1, 0.5, 2.0]], dtype="float32")
    seed = sea_seed(connection_level(dem, sea_level_m=0.1))
    assert seed.seed_cells == 1


# --------------------------------------------------------------------------------------
# #13: decisions of the profile as theme functions
# --------------------------------------------------------------------------------------
def test_asset_timeline_carries_the_connection_level_and_assets_reached_counts():
    dem = _dem([[0.0, 0.3, 0.6, 2.0]])
    conn = connection_level(dem, sea_level_m=0.0)
    houses = gpd.GeoDataFrame({"name": ["a", "b", "c"]}, crs=3067,
                              geometry=[box(12, 2, 18, 8), box(22, 2, 28, 8),
                                        box(32, 2, 38, 8)])
    lv = xr.DataArray([[[0.2, 0.4, 0.7], [0.35, 0.65, 1.0]]],
                      dims=("scenario", "quantile", "year"),
                      coords={"scenario": ["S"], "quantile": [0.5, 0.83],
                              "year": [2050, 2100, 2150]})
    tl = asset_timeline(houses, conn, lv, id_column="name")
    assert tl["connection_level_m"].tolist() == pytest.approx([0.3, 0.3, 0.6, 0.6, 2.0, 2.0])
    n = assets_reached(tl, [2050, 2100, 2150])
    # by hand: median — a (0.3) in 2100, b (0.6) in 2150; 0.83 — a in 2050, b in 2100
    got = n.set_index(["quantile", "year"])["assets_reached"].to_dict()
    assert got == {(0.5, 2050): 0, (0.5, 2100): 1, (0.5, 2150): 2,
                   (0.83, 2050): 1, (0.83, 2100): 2, (0.83, 2150): 2}
    # the same counts straight from first_year (independent of the grouping)
    for (q, y), v in got.items():
        sub = tl[tl["quantile"] == q]
        assert v == int((sub["first_year"] <= y).sum())


def test_annual_years_and_single_number_surge():
    assert annual_years([2050, 2150]) == list(range(2020, 2151))
    assert annual_years([2015]) == list(range(2015, 2016))
    slr = ar6_global_mean_sea_level(scenarios=["SSP2-4.5"], quantiles=[0.5],
                                    years=[2050, 2100])
    ref = VerticalReference(dem_datum="N2000")
    one = water_levels(slr, reference=ref, surge=0.8, surge_return_period=100)
    many = water_levels(slr, reference=ref, surge={100: 0.8}).squeeze("return_period",
                                                                      drop=True)
    assert "return_period" not in one.dims
    np.testing.assert_allclose(one.values, many.values)
    np.testing.assert_allclose(one.values, slr.values + 0.8)
    assert (one.attrs["surge_m"], one.attrs["surge_return_period"]) == (0.8, 100.0)
    np.testing.assert_allclose(water_levels(slr, reference=ref, surge=0.0).values, slr.values)


def test_summarize_rates_by_hand():
    st = pd.DataFrame({"LRR_m_per_yr": [-1.5, -0.25, 0.5, 2.0, np.nan]})
    s = summarize_rates(st)
    assert (s.transects, s.min_m_per_yr, s.max_m_per_yr) == (4, -1.5, 2.0)
    assert s.median_m_per_yr == pytest.approx(0.125)  # (−0.25 + 0.5) / 2
    assert s.eroding_percent == pytest.approx(50.0)
    assert np.isnan(summarize_rates(pd.DataFrame({"LRR_m_per_yr": [np.nan]})).median_m_per_yr)


# --------------------------------------------------------------------------------------
# #14: transect positions, offshore baselines and flipped sea sides
# --------------------------------------------------------------------------------------
def _shores(ys, dates=("2000-01-01", "2010-01-01", "2020-01-01")):
    return gpd.GeoDataFrame({"date": list(dates)}, crs=3067,
                            geometry=[LineString([(-100, y), (300, y)]) for y in ys])


def test_positions_are_from_the_landward_start_not_the_baseline():
    base = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (200, 0)])], crs=3067)
    tr = cast_transects(base, spacing_m=100, length_m=100, seaward="right", landward_m=50)
    # the baseline (y = 0) is at position 50; a shoreline 20 m behind it at 30, never < 0
    ix = shoreline_intersections(tr, _shores([0.0, 20.0, -30.0]))
    assert ix.groupby("transect_id")["position_m"].apply(list).iloc[0] == pytest.approx(
        [50.0, 30.0, 80.0])


def test_offshore_baseline_with_landward_extension_gives_the_right_sign():
    # land to the north (y > 0); the shoreline retreats north: y = 100, 110, 120 → erosion
    sea = gpd.GeoDataFrame(geometry=[box(-500, -1000, 700, 105)], crs=3067)  # sea south
    offshore = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (200, 0)])], crs=3067)
    tr = cast_transects(offshore, spacing_m=100, length_m=20, seaward="right",
                        landward_m=300)
    assert points_seaward(tr, sea).all()
    shores = _shores([100.0, 110.0, 120.0])
    st = shoreline_change_statistics(shoreline_intersections(tr, shores))
    # by hand: positions 300 − 100, 300 − 110, 300 − 120 over 20 years → −1 m/yr
    np.testing.assert_allclose(st["LRR_m_per_yr"], -1.0, rtol=1e-3)


def test_flipped_sea_side_is_detected_and_flips_every_rate():
    sea = gpd.GeoDataFrame(geometry=[box(-500, -1000, 700, -5)], crs=3067)  # sea south
    base = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (200, 0)])], crs=3067)
    right = cast_transects(base, spacing_m=100, length_m=200, seaward="right",
                           landward_m=200)
    wrong = cast_transects(base, spacing_m=100, length_m=200, seaward="left", landward_m=200)
    assert points_seaward(right, sea).all() and not points_seaward(wrong, sea).any()
    shores = _shores([-50.0, -40.0, -30.0])  # moving landward (north): erosion
    good = shoreline_change_statistics(shoreline_intersections(right, shores))
    bad = shoreline_change_statistics(shoreline_intersections(wrong, shores))
    np.testing.assert_allclose(good["LRR_m_per_yr"], -1.0, rtol=1e-3)
    np.testing.assert_allclose(bad["LRR_m_per_yr"], 1.0, rtol=1e-3)


# --------------------------------------------------------------------------------------
# #14: the forecast is OLS extrapolation with its prediction interval (not DSAS's Kalman)
# --------------------------------------------------------------------------------------
def test_forecast_interval_equals_the_linear_algebra_prediction_interval():
    dates = pd.to_datetime(["2000-01-01", "2004-01-01", "2008-01-01", "2012-01-01",
                            "2016-01-01"])
    y = np.array([100.0, 96.0, 95.0, 90.0, 88.5])
    df = pd.DataFrame({"transect_id": 1, "date": dates, "position_m": y})
    fc = forecast_shoreline(df, reference_date="2016-01-01", horizons_years=[10, 20],
                            confidence_level=0.9)
    # second implementation: X = [1, t], var(pred) = s² (1 + x0ᵀ (XᵀX)⁻¹ x0)
    from urbanrisk.coast import decimal_years

    t = decimal_years(dates) - decimal_years([pd.Timestamp("2016-01-01")])[0]
    X = np.column_stack([np.ones_like(t), t])
    beta, res, *_ = np.linalg.lstsq(X, y, rcond=None)
    s2 = float(res[0]) / (len(y) - 2)
    tq = stats.t.ppf(0.95, len(y) - 2)
    for h, row in zip([10, 20], fc.itertuples(), strict=True):
        x0 = np.array([1.0, h])
        pred = float(x0 @ beta)
        half = tq * np.sqrt(s2 * (1 + x0 @ np.linalg.inv(X.T @ X) @ x0))
        assert row.position_m == pytest.approx(pred, rel=1e-9)
        assert row.pi_high_m - row.position_m == pytest.approx(half, rel=1e-9)


def test_the_docs_say_what_the_forecast_is():
    import urbanrisk.coast.shoreline as sh

    doc = sh.forecast_shoreline.__doc__
    assert "Kalman" in doc and "Long & Plant 2012" in doc and "10- and 20-year" in doc
    assert "uses the same regression" not in doc
    # two user guides, two reports
    assert "Report\n2018–1179" in sh.__doc__ and "Report 2021–1091" in sh.__doc__
    assert "first published as" not in sh.__doc__


# --------------------------------------------------------------------------------------
# #14: NOAA's three confidence classes
# --------------------------------------------------------------------------------------
def test_confidence_classes_match_the_normal_distribution():
    heights = [0.0, 0.5, 0.75, 1.0, 1.25, 1.5]  # σ = 0.25 m: z-scores 2, 1, 0, −1, −2
    dem = _dem([heights])
    conn = connection_level(dem, sea_level_m=0.0)
    cls = inundation_confidence(conn, 1.0, dem_rmse_m=0.15, datum_rmse_m=0.2)
    sigma = np.hypot(0.15, 0.2)
    p = stats.norm.cdf((1.0 - np.array(heights[1:])) / sigma)  # independent of ndtr
    want = np.where(p >= 0.8, 2, np.where(p <= 0.2, 0, 1))
    assert cls.values[0, 0, 1:].tolist() == want.tolist() == [2, 2, 1, 0, 0]
    assert cls.values[0, 0, 0] == -1  # sea
    assert json.loads(cls.attrs["classes"]) == {str(k): v for k, v in
                                                CONFIDENCE_CLASSES.items()}
    # 90 % confidence: the cells at P = Φ(±1) = 0.841 / 0.159 become low confidence
    assert inundation_confidence(conn, 1.0, dem_rmse_m=0.15, datum_rmse_m=0.2,
                                 confidence=0.9).values[0, 0, 1:].tolist() == [2, 1, 1, 1, 0]


# --------------------------------------------------------------------------------------
# #14: AR6 published years vs urbanrisk's interpolation, labelled
# --------------------------------------------------------------------------------------
def test_ar6_published_years_are_the_table_and_the_rest_is_labelled_interpolated():
    table = pd.read_csv(Path(__file__).parents[2] / "src" / "urbanrisk" / "coast" / "data"
                        / "ar6_table_9_9_gmsl.csv", comment="#")
    slr = ar6_global_mean_sea_level(scenarios=["SSP5-8.5"], quantiles=[0.5],
                                    years=[2050, 2070, 2100])
    assert json.loads(slr.attrs["published_years"]) == [2030, 2050, 2090, 2100, 2150]
    assert json.loads(slr.attrs["interpolated_years"]) == [2070]
    assert "not AR6 values" in slr.attrs["interpolation"]
    pub = table[(table["scenario"] == "SSP5-8.5") & (table["quantile"] == 0.5)].set_index(
        "year")["value_m"]
    v = slr.sel(scenario="SSP5-8.5", quantile=0.5)
    assert float(v.sel(year=2050)) == pytest.approx(pub[2050])
    assert float(v.sel(year=2100)) == pytest.approx(pub[2100])
    # 2070 is halfway between the published 2050 and 2090 values
    assert float(v.sel(year=2070)) == pytest.approx((pub[2050] + pub[2090]) / 2)
