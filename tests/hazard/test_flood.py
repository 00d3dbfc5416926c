"""The flood decisions of the profile as hazard functions (#13), and the #14 hazard points.

Every fixture is small enough to check by eye; expected values are computed by hand or by a
second, deliberately naive implementation written here.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, box

from urbanrisk.errors import InputValueError
from urbanrisk.hazard import (
    EADBounds,
    EADResult,
    asset_damage,
    ead_bounds,
    exceedance_curve,
    expected_annual_damage,
    flood_building_exposure,
    flood_risk,
    flood_road_exposure,
    jrc_class_for_occupancy,
    jrc_curve,
    jrc_curves_for_occupancy,
    jrc_max_damage_for_occupancy,
    jrc_max_damage_m2,
    people_above,
)
from urbanrisk.hazard.curves import DamageCurve
from urbanrisk.layers import raster_from_array

CRS = 3067


def gdf(geoms, **cols):
    return gpd.GeoDataFrame(cols, geometry=list(geoms), crs=CRS)


@pytest.fixture
def depth():
    """1 x 4 cells of 1 m, x 0..4; RP10 and RP100. Cell 2 is nodata (dry) in both maps.

    RP10:  0.5  0.2  nan  0.0
    RP100: 1.0  0.6  nan  0.0
    """
    v = np.array([[[0.5, 0.2, np.nan, 0.0]], [[1.0, 0.6, np.nan, 0.0]]])
    return raster_from_array(v, crs=CRS, transform=(1, 0, 0, 0, -1, 1), units="m",
                             name="flood_depth", extra_dim="return_period",
                             extra_coords=[10, 100])


@pytest.fixture
def buildings():
    # b0 on cell 0; b1 on cell 1; b2 on the nodata cell 2; b3 outside the raster
    return gdf([box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1), box(10, 0, 11, 1)],
               occupancy=["residential", "public", "residential", "residential"],
               value=[100.0, 200.0, 300.0, 400.0])


# --------------------------------------------------------------------------------------
# Which buildings are exposed
# --------------------------------------------------------------------------------------
def test_exposed_is_max_depth_strictly_above_threshold(depth, buildings):
    e = flood_building_exposure(buildings, depth, threshold_m=0.5, nodata_as=0.0)
    got = e.events.pivot(index="feature", columns="return_period", values="exposed")
    # RP10: b0 max 0.5 is not > 0.5; RP100: b0 1.0 and b1 0.6 are
    assert got[10].tolist() == [False, False, False, False]
    assert got[100].tolist() == [True, True, False, False]
    counts = e.to_frame().set_index("return_period")
    assert counts["buildings_exposed"].to_dict() == {10: 0, 100: 2}
    assert counts["buildings_unknown"].to_dict() == {10: 1, 100: 1}  # b3, outside
    assert e.per_building["flood_exposed_rp100"].tolist() == [True, True, False, False]
    assert e.per_building.index.equals(buildings.index)
    assert e.exposed(100).tolist() == [True, True, False, False]


def test_footprint_statistics_by_hand():
    # one 2 m footprint over a 1 m dry cell and a 1 m cell 0.8 m deep
    d = raster_from_array(np.array([[[0.0, 0.8]]]), crs=CRS, transform=(1, 0, 0, 0, -1, 1),
                          units="m", name="flood_depth", extra_dim="return_period",
                          extra_coords=[100])
    e = flood_building_exposure(gdf([box(0, 0, 2, 1)]), d, threshold_m=0.0)
    row = e.events.iloc[0]
    assert row["max_depth_m"] == pytest.approx(0.8)
    assert row["mean_depth_m"] == pytest.approx(0.4)
    assert row["wet_mean_depth_m"] == pytest.approx(0.8)
    assert row["wet_fraction"] == pytest.approx(0.5)


def test_nodata_inside_is_dry_outside_is_unknown(depth, buildings, caplog):
    """#14: a dry (nodata) cell is depth 0; only outside the raster is NaN."""
    with caplog.at_level(logging.WARNING):
        dry = flood_building_exposure(buildings, depth, threshold_m=0.0, nodata_as=0.0)
    mx = dry.events.pivot(index="feature", columns="return_period", values="max_depth_m")
    assert mx.loc[2].tolist() == [0.0, 0.0]          # on the nodata cell: dry
    assert np.isnan(mx.loc[3]).all()                  # outside: unknown
    assert "1 of 4 features are outside the raster's extent" in caplog.text
    assert "nodata" not in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        raw = flood_building_exposure(buildings, depth, threshold_m=0.0)
    mx = raw.events.pivot(index="feature", columns="return_period", values="max_depth_m")
    assert np.isnan(mx.loc[2]).all() and np.isnan(mx.loc[3]).all()
    assert "1 of 4 features are outside the raster's extent" in caplog.text
    assert "1 of 4 features lie only on nodata" in caplog.text and "nodata_as=0.0" in caplog.text


def test_damage_of_a_dry_building_is_zero_and_outside_is_nan(depth, buildings):
    """#14 end to end: dry building -> damage 0; outside -> NaN; hand-computed others."""
    curve = DamageCurve([0, 1], [0, 1], units="m")
    e = flood_building_exposure(buildings, depth, threshold_m=0.0, nodata_as=0.0)
    dmg = asset_damage(e.events, curve, intensity="wet_mean_depth_m",
                       fraction_wet="wet_fraction", value="value", currency="EUR")
    got = dmg.pivot(index="feature", columns="return_period", values="damage")
    # damage = value * depth (curve is the identity up to 1 m), wet share 1
    np.testing.assert_allclose(got.loc[0], [100 * 0.5, 100 * 1.0])
    np.testing.assert_allclose(got.loc[1], [200 * 0.2, 200 * 0.6])
    assert got.loc[2].tolist() == [0.0, 0.0]
    assert np.isnan(got.loc[3]).all()
    risk = flood_risk(dmg, rule="lower_step")
    # p = 0.1, 0.01: per asset D10*(0.09) + D100*0.01
    assert risk.per_asset.loc[2, "ead"] == 0.0
    assert np.isnan(risk.per_asset.loc[3, "ead"])
    assert risk.per_asset.loc[0, "ead"] == pytest.approx(50 * 0.09 + 100 * 0.01)
    assert risk.ead.units == "EUR"
    # without nodata_as the dry building is NaN, as before the fix
    raw = flood_building_exposure(buildings, depth, threshold_m=0.0)
    d2 = asset_damage(raw.events, curve, intensity="wet_mean_depth_m",
                      fraction_wet="wet_fraction", value="value")
    assert np.isnan(d2.loc[d2.feature == 2, "damage"]).all()


def test_building_columns_that_clash_are_refused(depth):
    with pytest.raises(InputValueError, match="return_period"):
        flood_building_exposure(gdf([box(0, 0, 1, 1)], return_period=[1]), depth,
                                threshold_m=0.0)


def test_depth_needs_a_return_period_dimension():
    d = raster_from_array(np.zeros((1, 2)), crs=CRS, transform=(1, 0, 0, 0, -1, 1),
                          units="m", name="flood_depth")
    with pytest.raises(InputValueError, match="expand_dims"):
        flood_building_exposure(gdf([box(0, 0, 1, 1)]), d, threshold_m=0.0)


def test_depth_in_feet_threshold_in_metres():
    ft = raster_from_array(np.array([[[2.0]]]), crs=CRS, transform=(1, 0, 0, 0, -1, 1),
                           units="ft", name="flood_depth", extra_dim="return_period",
                           extra_coords=[100])
    e = flood_building_exposure(gdf([box(0, 0, 1, 1)]), ft, threshold_m=0.6)  # 0.6096 m
    assert e.events["max_depth_m"].iloc[0] == pytest.approx(0.6096)
    assert bool(e.events["exposed"].iloc[0]) and e.converted_from_units == "ft"


# --------------------------------------------------------------------------------------
# Roads
# --------------------------------------------------------------------------------------
def test_road_length_above_threshold_per_road_and_return_period(depth):
    roads = gdf([LineString([(0, 0.5), (4, 0.5)]), LineString([(3, 0.5), (6, 0.5)])])
    r = flood_road_exposure(roads, depth, threshold_m=0.5, nodata_as=0.0)
    # road 0: RP10 nothing > 0.5 (cell 0 is exactly 0.5); RP100 cells 0 and 1 -> 2 m
    assert r.per_road["flood_exposed_length_m_rp10"].tolist() == [0.0, 0.0]
    assert r.per_road["flood_exposed_length_m_rp100"].tolist() == pytest.approx([2.0, 0.0])
    t = r.to_frame()
    assert t["exposed_length_km"].tolist() == pytest.approx([0.0, 0.002])
    # road 1 runs 2 m outside the raster: class "outside", never exposed
    out = r.pieces[(r.pieces.feature == 1) & (r.pieces.hazard_class == "outside")]
    assert out["length_m"].tolist() == pytest.approx([2.0, 2.0])


# --------------------------------------------------------------------------------------
# People
# --------------------------------------------------------------------------------------
def test_people_above_by_class_bounds_not_labels(depth):
    # one 4 m x 1 m population cell with 40 people over the four depth cells
    pop = raster_from_array(np.array([[40.0]]), crs=CRS, transform=(4, 0, 0, 0, -1, 1),
                            units="people")
    t = people_above(pop, depth, threshold=0.5).set_index("return_period")
    # RP10: no cell > 0.5; RP100: cells 0 and 1 -> 20 people; nodata cell -> 10 people
    assert t.loc[10, "people_above"] == pytest.approx(0.0)
    assert t.loc[100, "people_above"] == pytest.approx(20.0)
    assert t.loc[100, "people_nodata"] == pytest.approx(10.0)
    dry = people_above(pop, depth, threshold=0.5, nodata_as=0.0).set_index("return_period")
    assert dry.loc[100, "people_nodata"] == 0.0
    assert dry.loc[100, "people_above"] == pytest.approx(20.0)
    # the population grid reaching beyond the hazard: outside is reported apart
    wide = raster_from_array(np.array([[40.0, 40.0]]), crs=CRS,
                             transform=(4, 0, 0, 0, -1, 1), units="people")
    w = people_above(wide, depth, threshold=0.5, nodata_as=0.0).set_index("return_period")
    assert w.loc[100, "people_outside"] == pytest.approx(40.0)
    assert w.loc[100, "people"] == pytest.approx(80.0)


# --------------------------------------------------------------------------------------
# EAD: typed (long) input, bounds as documented, results
# --------------------------------------------------------------------------------------
def _naive_bounds(d, t, t0=None, cap=None):
    """Second implementation: integrate the documented step functions over p on a grid."""
    p = 1.0 / np.asarray(t, float)
    edges = np.concatenate([[1.0 / t0] if t0 else [], p, [0.0]])
    lo = hi = 0.0
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        mid = (a + b) / 2
        width = a - b
        if t0 and mid > p[0]:
            lo_v, hi_v = 0.0, d[0]
        elif mid < p[-1]:
            lo_v, hi_v = d[-1], (cap if cap is not None else d[-1])
        else:
            i = int(np.searchsorted(-p, -mid))  # interval (p[i], p[i-1])
            lo_v, hi_v = d[i - 1], max(d[i - 1], d[i])
        lo += lo_v * width
        hi += hi_v * width
    return lo, hi


@pytest.mark.parametrize("d,t,t0,cap", [
    ([100.0, 1000.0], [10, 100], None, None),
    ([100.0, 1000.0], [10, 100], 5, 5000.0),
    ([50.0, 20.0, 400.0, 900.0], [2, 10, 100, 1000], None, None),  # not monotone
    ([50.0, 20.0, 400.0, 900.0], [2, 10, 100, 1000], 1.5, 1e4),
])
def test_ead_bounds_match_their_documented_definition(d, t, t0, cap):
    """#14: docs/indicators.md and ead_bounds agree; checked by a naive integration."""
    b = ead_bounds(d, t, zero_damage_return_period=t0, max_damage=cap)
    lo, hi = _naive_bounds(d, t, t0, cap)
    assert b.lower.total == pytest.approx(lo, rel=1e-12)
    assert b.upper.total == pytest.approx(hi, rel=1e-12)


def test_ead_bounds_hand_example():
    # D = 50, 20, 400 at T = 2, 10, 100 (p = .5, .1, .01), no T0, no cap
    # lower = 50*.4 + 20*.09 + 400*.01 = 20 + 1.8 + 4 = 25.8
    # upper = max(50,20)*.4 + max(20,400)*.09 + 400*.01 = 20 + 36 + 4 = 60
    b = ead_bounds([50.0, 20.0, 400.0], [2, 10, 100])
    assert (b.lower.total, b.upper.total) == pytest.approx((25.8, 60.0))


def _long(frame_wide, rps):
    return pd.DataFrame({
        "feature": np.repeat(frame_wide.index.to_numpy(), len(rps)),
        "return_period": np.tile(rps, len(frame_wide)),
        "damage": frame_wide[[f"damage_rp{t}" for t in rps]].to_numpy().ravel(),
    })


def test_long_and_wide_damage_tables_give_the_same_results():
    rps = [10, 50, 100]
    wide = pd.DataFrame({"damage_rp10": [1.0, 0.0, np.nan], "damage_rp50": [5.0, 2.0, np.nan],
                         "damage_rp100": [9.0, 4.0, np.nan]}, index=["a", "b", "c"])
    long = _long(wide, rps).sample(frac=1.0, random_state=1)  # row order must not matter
    for rule in ("lower_step", "trapezoid", "log_linear"):
        w = expected_annual_damage(wide, rule=rule)
        g = expected_annual_damage(long, rule=rule)
        assert g.total == pytest.approx(w.total)
        pd.testing.assert_series_equal(g.per_asset.sort_index(), w.per_asset.sort_index(),
                                       check_names=False, check_index_type=False,
                                       check_index=False)
    bw, bl = ead_bounds(wide), ead_bounds(long)
    assert (bl.lower.total, bl.upper.total) == pytest.approx((bw.lower.total, bw.upper.total))
    pd.testing.assert_frame_equal(exceedance_curve(long), exceedance_curve(wide))


def test_long_table_errors():
    dup = pd.DataFrame({"feature": [0, 0], "return_period": [10, 10], "damage": [1.0, 2.0]})
    with pytest.raises(InputValueError, match="repeats"):
        expected_annual_damage(dup)
    nofeat = pd.DataFrame({"return_period": [10, 10], "damage": [1.0, 2.0]})
    with pytest.raises(InputValueError, match="feature"):
        expected_annual_damage(nofeat)
    one = pd.DataFrame({"return_period": [100, 10], "damage": [9.0, 1.0]})  # one series
    assert expected_annual_damage(one, rule="lower_step").total == pytest.approx(
        1 * 0.09 + 9 * 0.01)
    strings = pd.DataFrame({"feature": [0], "return_period": ["10"], "damage": [1.0]})
    with pytest.raises(InputValueError, match="numbers"):
        expected_annual_damage(strings)


def test_max_damage_column_of_a_long_table_is_per_asset():
    long = pd.DataFrame({"feature": [0, 0, 1, 1], "return_period": [10, 100, 10, 100],
                         "damage": [1.0, 10.0, 0.0, 2.0], "value": [50.0, 50.0, 5.0, 5.0]})
    b = ead_bounds(long, max_damage="value")
    # upper per asset: max(D1,D2)*.09 + value*.01
    assert b.upper.per_asset.tolist() == pytest.approx([10 * .09 + .5, 2 * .09 + .05])
    bad = long.assign(value=[50.0, 40.0, 5.0, 5.0])
    with pytest.raises(InputValueError, match="differs"):
        ead_bounds(bad, max_damage="value")


def test_results_are_small_frozen_objects_with_frames():
    r = expected_annual_damage({10: 100.0, 100: 1000.0}, rule="lower_step")
    assert isinstance(r, EADResult)
    assert repr(r) == "EADResult(total=19, rule='lower_step', tail='flat', " \
                      "return_periods=(10, 100))"
    assert "<table" in r._repr_html_()
    b = ead_bounds({10: 100.0, 100: 1000.0})
    assert isinstance(b, EADBounds)
    lo, hi = b
    assert b[0] is lo and len(b) == 2 and hi.rule == "upper_step"
    assert b.to_frame()["bound"].tolist() == ["lower", "upper"]
    with pytest.raises(AttributeError):
        r.total = 3.0  # type: ignore[misc]


def test_flood_risk_per_zone_sums_to_the_total():
    assets = gdf([box(0, 0, 1, 1), box(5, 0, 6, 1), box(20, 0, 21, 1)])
    zones = gdf([box(-1, -1, 3, 2), box(4, -1, 8, 2)], name=["west", "east"])
    long = gpd.GeoDataFrame({
        "feature": [0, 1, 2, 0, 1, 2], "return_period": [10, 10, 10, 100, 100, 100],
        "damage": [10.0, 20.0, 40.0, 100.0, 200.0, 400.0]},
        geometry=list(assets.geometry) * 2, crs=CRS)
    r = flood_risk(long, rule="lower_step", zones=zones, zone_column="name")
    ead = r.zone_totals("ead")
    # ead per asset = D10*.09 + D100*.01 -> 1.9, 3.8, 7.6 (asset 2 in no zone)
    assert ead["west"] == pytest.approx(1.9) and ead["east"] == pytest.approx(3.8)
    assert ead.sum() == pytest.approx(r.ead.total)
    dmg = r.per_zone[r.per_zone.variable == "damage"]
    assert dmg.loc[(dmg.zone == "east") & (dmg.return_period == 100), "value"].item() == 200.0
    f = r.to_frame()
    assert f.loc[f.variable == "ead", "value"].item() == pytest.approx(r.ead.total)
    assert "trapezoid" not in f.loc[f.variable == "ead", "rule"].item()


# --------------------------------------------------------------------------------------
# Occupancy -> JRC class
# --------------------------------------------------------------------------------------
def test_occupancy_mapping_is_data_with_an_override():
    assert jrc_class_for_occupancy(["other", "public", "industrial"]) == {
        "industrial": "industrial", "other": "commercial", "public": "commercial"}
    with pytest.raises(InputValueError, match="church"):
        jrc_class_for_occupancy(["church"])
    assert jrc_class_for_occupancy(["church"], mapping={"church": "residential"}) == {
        "church": "residential"}
    with pytest.raises(InputValueError, match="JRC building classes"):
        jrc_class_for_occupancy(["x"], mapping={"x": "castle"})
    curves = jrc_curves_for_occupancy("europe", ["public"])
    assert curves["public"] == jrc_curve("europe", "commercial")
    m = jrc_max_damage_for_occupancy("FIN", ["public"], depreciation_factor=0.5)
    assert m["public"] == pytest.approx(jrc_max_damage_m2("FIN", "commercial",
                                                          depreciation_factor=0.5))


def test_flood_risk_keeps_damage_per_asset_and_event_as_a_typed_table():
    import pandas as pd

    from urbanrisk.hazard import flood_risk

    long = pd.DataFrame({"feature": ["a", "a", "b", "b"], "return_period": [10, 100, 10, 100],
                         "damage": [100.0, 1000.0, 0.0, 50.0]})
    r = flood_risk(long, rule="lower_step")
    got = r.per_event.set_index(["feature", "return_period"])["damage"]
    assert got[("a", 100)] == pytest.approx(1000.0)
    assert got[("b", 10)] == pytest.approx(0.0)
    assert list(r.per_event.columns) == ["feature", "return_period", "damage"]
