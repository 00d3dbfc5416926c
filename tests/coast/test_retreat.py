import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from rasterio.features import geometry_mask
from shapely.geometry import LineString, Point, box

from urbanrisk.coast import (
    VerticalReference,
    ar6_global_mean_sea_level,
    asset_connection_level,
    asset_timeline,
    cast_transects,
    connection_level,
    erosion_setback,
    erosion_zones,
    reference_dem,
    retreat_zones,
    water_levels,
)
from urbanrisk.errors import DimensionError, InputValueError
from urbanrisk.layers import raster_from_array


def _dem(z, res=10.0):
    z = np.asarray(z, dtype=float)
    return raster_from_array(z, crs=3067, transform=(res, 0, 0, 0, -res, res * z.shape[0]),
                             units="m")


def test_asset_connection_level_matches_brute_force():
    rng = np.random.default_rng(0)
    z = np.cumsum(rng.uniform(0, 0.3, (20, 30)), axis=1) - 0.5
    dem = _dem(z)
    conn = connection_level(dem, sea_level_m=0.0)
    boxes = [box(x, y, x + w, y + h) for x, y, w, h in
             rng.uniform([0, 0, 3, 3], [280, 180, 25, 25], (40, 4))]
    lines = [LineString([(5, 5), (150, 120)])]
    pts = [Point(55, 55)]
    assets = gpd.GeoDataFrame({"bid": range(42)}, geometry=boxes + lines + pts, crs=3067)
    got = asset_connection_level(assets, conn, id_column="bid")
    t = conn.rio.transform()
    for k, g in enumerate(assets.geometry):
        m = ~geometry_mask([g], out_shape=z.shape, transform=t, all_touched=True)
        vals = conn.values[m]
        exp = np.nanmin(vals) if np.isfinite(vals).any() else np.nan
        assert got.iloc[k] == pytest.approx(exp, nan_ok=True)
    assert list(got.index) == list(range(42))


def _coast_case():
    """A straight coast along x; sea to the south; shorelines retreating 1 m/yr."""
    base = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (200, 0)])], crs=3067)
    tr = cast_transects(base, spacing_m=50, length_m=300, seaward="right")
    rows = []
    for tid in tr["transect_id"]:
        for yr, pos in [(2000, 120.0), (2010, 110.0), (2020, 100.0)]:
            rows.append({"transect_id": tid, "date": pd.Timestamp(f"{yr}-01-01"),
                         "position_m": pos})
    return base, tr, pd.DataFrame(rows)


def test_erosion_setback_and_zones_by_hand():
    _, tr, ix = _coast_case()
    slr = ar6_global_mean_sea_level(scenarios=["SSP1-2.6", "SSP5-8.5"], quantiles=[0.5],
                                    years=range(2020, 2101, 10))
    sb = erosion_setback(ix, slr, reference_date="2020-01-01", closure_distance_m=200,
                         berm_height_m=2, closure_depth_m=8, historical_slr_mm_per_yr=3.0)
    row = sb[(sb.transect_id == 0) & (sb.scenario == "SSP5-8.5") & (sb.year == 2100)].iloc[0]
    s2020 = 0.10 * 15 / 25  # AR6 SSP5-8.5 median interpolated from 0 in 2005 to 0.10 in 2030
    extra = 0.77 - s2020 - 0.003 * 80
    assert row["trend_m"] == pytest.approx(-80.0, abs=1e-6)
    assert row["bruun_m"] == pytest.approx(extra * 200 / 10)
    assert row["position_m"] == pytest.approx(100 - 80 - extra * 20, abs=1e-6)
    zones = erosion_zones(tr, sb)
    z = zones[(zones.scenario == "SSP1-2.6") & (zones.year == 2020)].geometry.iloc[0]
    # today's shoreline at 100 m: land-side edge y = −100, seaward ends at y = −300
    assert z.area == pytest.approx(200 * 200)
    assert z.bounds == pytest.approx((0, -300, 200, -100))
    later = zones[(zones.scenario == "SSP5-8.5") & (zones.year == 2100)].geometry.iloc[0]
    assert later.bounds[3] == pytest.approx(-row["position_m"])
    with pytest.raises(InputValueError, match="reference date"):
        erosion_setback(ix, slr, reference_date="2010-01-01", closure_distance_m=200,
                        berm_height_m=2, closure_depth_m=8)


def test_asset_timeline_with_inundation_and_erosion():
    base, tr, ix = _coast_case()
    # DEM: sea south of y=-100, land rising northwards; a low strip in the east
    ys = np.arange(-295, 100, 10)[::-1]
    z = np.where(ys[:, None] < -100, -1.0, 0.2 + (ys[:, None] + 100) * 0.01) * np.ones((1, 20))
    dem = raster_from_array(z, crs=3067, transform=(10, 0, 0, 0, -10, 100), units="m")
    ref = VerticalReference(dem_datum="test", water_surface=0.0)
    rdem = reference_dem(dem, ref)
    conn = connection_level(rdem, sea_level_m=0.0)
    slr = ar6_global_mean_sea_level(scenarios=["SSP1-2.6", "SSP5-8.5"],
                                    years=range(2020, 2151))
    lv = water_levels(slr, reference=ref)
    sb = erosion_setback(ix, slr, reference_date="2020-01-01", closure_distance_m=200,
                         berm_height_m=2, closure_depth_m=8)
    ez = erosion_zones(tr, sb)
    houses = gpd.GeoDataFrame(
        {"name": ["shore", "mid", "far"]},
        geometry=[box(90, -95, 110, -85), box(90, -45, 110, -35), box(90, 60, 110, 80)],
        crs=3067)
    tl = asset_timeline(houses, conn, lv, erosion=ez, id_column="name")
    assert set(tl.columns) == {"asset_id", "scenario", "quantile", "connection_level_m",
                               "first_year_inundation", "first_year_erosion", "first_year",
                               "mechanism"}
    assert len(tl) == 3 * 2 * 3
    shore = tl[(tl.asset_id == "shore") & (tl.scenario == "SSP5-8.5") & (tl["quantile"] == 0.5)]
    # erosion 1 m/yr + Bruun reaches y=-95 (5 m landward of today's -100 shoreline) in ~2024
    assert shore["first_year_erosion"].iloc[0] <= 2025
    assert shore["mechanism"].iloc[0] in ("erosion", "both")
    far = tl[(tl.asset_id == "far") & (tl.scenario == "SSP1-2.6")]
    assert (far["mechanism"] == "not reached").all()  # 160 m inland, on a 1.5 m rise
    # a higher scenario never reaches an asset later
    piv = tl.pivot_table(index=["asset_id", "quantile"], columns="scenario",
                         values="first_year").fillna(9999)
    assert (piv["SSP5-8.5"] <= piv["SSP1-2.6"]).all()
    # mechanism consistent with the years
    both = tl.dropna(subset=["first_year"])
    np.testing.assert_allclose(both["first_year"], both[["first_year_inundation",
                                              "first_year_erosion"]].min(axis=1))
    zones = retreat_zones(conn, lv.sel(year=[2050, 2100], quantile=0.5), erosion=ez)
    assert len(zones) == 4
    assert (zones["area_m2"] >= zones[["inundation_area_m2", "erosion_area_m2"]].max(axis=1)
            - 1e-6).all()


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0.0, 2.0), min_size=1, max_size=8))
def test_first_year_never_earlier_under_lower_scenario(heights):
    z = np.array([[-1.0, *heights]])
    dem = _dem(z)
    conn = connection_level(dem, sea_level_m=-1.0)
    assets = gpd.GeoDataFrame(geometry=[Point(10 * k + 15, 5) for k in range(len(heights))],
                              crs=3067)
    slr = ar6_global_mean_sea_level(scenarios=["SSP1-1.9", "SSP2-4.5", "SSP5-8.5"],
                                    years=range(2020, 2151, 5))
    tl = asset_timeline(assets, conn, slr)
    piv = tl.pivot_table(index=["asset_id", "quantile"], columns="scenario",
                         values="first_year", dropna=False).fillna(9999)
    assert (piv["SSP2-4.5"] <= piv["SSP1-1.9"]).all()
    assert (piv["SSP5-8.5"] <= piv["SSP2-4.5"]).all()


def test_bad_inputs():
    dem = _dem([[0.0, 1.0]])
    conn = connection_level(dem, sea_level_m=0.0)
    dup = gpd.GeoDataFrame({"i": [1, 1]}, geometry=[Point(15, 5)] * 2, crs=3067)
    with pytest.raises(InputValueError, match="duplicate"):
        asset_connection_level(dup, conn, id_column="i")
    with pytest.raises(InputValueError):
        asset_connection_level(dup, dem)
    with pytest.raises(DimensionError):
        asset_timeline(dup, conn, xr.DataArray([1.0], dims="level"))
    with pytest.raises(InputValueError):
        retreat_zones(dem, xr.DataArray([1.0], dims="year", coords={"year": [2050]}))
