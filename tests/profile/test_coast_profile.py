"""The coast and shoreline steps of a profile compose coast functions (issues #13, #14)."""

from __future__ import annotations

import textwrap

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, box

from tests.profile._demo import demo_export
from urbanrisk.coast import ar6_global_mean_sea_level
from urbanrisk.layers import read_raster
from urbanrisk.profile import CityProfile, load_config


@pytest.fixture(scope="module")
def demo():
    return demo_export()


def test_sea_area_is_land_newly_reached_counted_from_the_connection_raster(demo):
    profile, out = demo
    if profile.results["coast"].status != "done":
        pytest.skip(profile.results["coast"].reason)
    sec = profile.config.section("coast")
    assert sec["vertical_land_motion_mm_yr"] == 0 and sec["surge_m"] == 0
    conn = read_raster(out / "rasters" / "sea_connection_level.tif")
    c = conn.values.squeeze()
    cell = abs(float(np.prod(conn.rio.resolution())))
    slr = ar6_global_mean_sea_level(scenarios=sec["scenarios"], quantiles=sec["quantiles"],
                                    years=sec["years"])
    t = profile.indicators
    for s in sec["scenarios"]:
        for q in sec["quantiles"]:
            for y in sec["years"]:
                level = np.float32(slr.sel(scenario=s, quantile=q, year=y))  # DEM precision
                want = float(((c > 0) & (c <= level)).sum()) * cell / 1e6
                got = t[(t["indicator"] == "sea_area_km2") & (t["scenario"] == f"{s} q{q:g}")
                        & (t["year"] == y)]["value"]
                assert float(got.iloc[0]) == pytest.approx(want, rel=1e-9, abs=1e-12)
    area = profile.tables["coast_area"]
    assert (area["water_m2"] >= area["newly_reached_m2"] + area["sea_m2"] - 1e-6).all()


def test_seed_is_reported_and_timeline_is_asset_timeline(demo):
    profile, _ = demo
    res = profile.results["coast"]
    if res.status != "done":
        pytest.skip(res.reason)
    assert any(n.startswith("The sea was seeded from the sea polygons (") for n in res.notes)
    assert any("interpolated linearly by urbanrisk" in n for n in res.notes)
    tl = profile.tables["coast_building_timeline"]
    sec = profile.config.section("coast")
    n_buildings = len(profile.vectors["buildings_coast"])
    assert len(tl) == n_buildings * len(sec["scenarios"]) * len(sec["quantiles"])
    assert {"asset_id", "connection_level_m", "first_year", "mechanism"} <= set(tl.columns)
    t = profile.indicators.set_index(["indicator", "scenario", "year"])["value"]
    for (s, q), g in tl.groupby(["scenario", "quantile"]):
        for y in sec["years"]:
            assert t[("sea_buildings", f"{s} q{q:g}", y)] == int((g["first_year"] <= y).sum())


def _write_shoreline_city(tmp_path, *, seaward: str, landward_m: float, base_y: float):
    """Sea to the south; shorelines retreat north 1 m/yr at x = 0, 100, 200, advance at 300."""
    crs = 3067
    rows = []
    for k, year in enumerate((2000, 2010, 2020)):
        # a wiggle-free shoreline per date; transects at x = 0, 100, 200, 300
        pts = [(-50, -50 + 10 * k), (250, -50 + 10 * k), (280, -50 - 10 * k),
               (400, -50 - 10 * k)]
        rows.append({"date": f"{year}-01-01", "geometry": LineString(pts)})
    gpd.GeoDataFrame(rows, crs=crs).to_file(tmp_path / "shorelines.gpkg")
    gpd.GeoDataFrame(geometry=[LineString([(0, base_y), (300, base_y)])],
                     crs=crs).to_file(tmp_path / "baseline.gpkg")
    gpd.GeoDataFrame(geometry=[box(-500, -1000, 800, -75)], crs=crs).to_file(
        tmp_path / "sea.gpkg")
    cfg = tmp_path / "city.toml"
    cfg.write_text(textwrap.dedent(f"""
        [city]
        name = "Testcoast"
        [layers]
        shorelines = "{(tmp_path / 'shorelines.gpkg').as_posix()}"
        baseline = "{(tmp_path / 'baseline.gpkg').as_posix()}"
        sea = "{(tmp_path / 'sea.gpkg').as_posix()}"
        [shoreline]
        transect_spacing_m = 100.0
        transect_length_m = 200.0
        seaward = "{seaward}"
        landward_m = {landward_m}
        [output]
        maps = false
    """))
    return load_config(cfg)


@pytest.mark.parametrize(("seaward", "landward_m", "base_y", "flipped"), [
    ("right", 0.0, 0.0, False),      # onshore baseline, sea on the right (south)
    ("right", 150.0, -150.0, False),  # offshore baseline: transects reach back to land
    ("left", 100.0, 0.0, True),      # sea side given wrongly: every rate flips
])
def test_shoreline_config_takes_landward_m_and_warns_on_a_flipped_side(
        tmp_path, seaward, landward_m, base_y, flipped):
    profile = CityProfile(_write_shoreline_city(tmp_path, seaward=seaward,
                                                landward_m=landward_m, base_y=base_y)
                          ).run(progress=False)
    res = profile.results["shoreline"]
    assert res.status == "done", res.reason
    t = profile.indicators.set_index("indicator")["value"]
    # by hand: 3 of 4 transects retreat landward (north) by 1 m/yr, one advances
    assert t["shoreline_transects"] == 4
    share = t["shoreline_eroding_share"]
    warned = any("point away from the sea" in n for n in res.notes)
    assert warned == flipped
    if flipped:
        assert share == pytest.approx(25.0)
    else:
        assert share == pytest.approx(75.0)
        assert t["shoreline_lrr_min_m_yr"] == pytest.approx(-1.0, rel=1e-3)
    assert isinstance(profile.tables["shoreline_statistics"], pd.DataFrame)
