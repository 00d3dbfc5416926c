"""Sendai indicators as modelled scenario estimates: each checked against a hand computation."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, box

from urbanrisk.errors import InputValueError
from urbanrisk.hazard import (
    DamageCurve,
    annual_loss_percent,
    building_damage_ratio,
    damage_states,
    facilities_damaged,
    housing_impact,
    jrc_curve,
    road_damage,
    scenario_label,
    sector_loss,
    sendai_indicators,
)
from urbanrisk.layers import raster_from_array


def _depth(values, rps=(100,), cell=10.0):
    arr = np.asarray(values, dtype=float)
    if arr.ndim == 2:
        arr = arr[None]
    ny = arr.shape[1]
    return raster_from_array(arr, crs=3067, transform=(cell, 0, 0, 0, -cell, cell * ny),
                             units="m", name="flood_depth", extra_dim="return_period",
                             extra_coords=list(rps))


def test_dwellings_just_below_and_above_the_destroyed_threshold():
    states = damage_states([0.0, 1e-9, 0.3999999, 0.4, 0.4000001, 1.0], destroyed_ratio=0.4)
    assert states.tolist() == ["none", "damaged", "damaged", "destroyed", "destroyed",
                               "destroyed"]
    with pytest.raises(InputValueError, match="damaged_ratio"):
        damage_states([0.1], destroyed_ratio=0.2, damaged_ratio=0.2)
    with pytest.raises(InputValueError):
        damage_states([1.5], destroyed_ratio=0.5)


@given(st.lists(st.floats(0, 1), min_size=2, max_size=20), st.floats(0.01, 1))
def test_damage_state_never_falls_as_the_ratio_grows(ratios, top):
    order = {"none": 0, "damaged": 1, "destroyed": 2}
    r = np.sort(np.asarray(ratios))
    ranks = [order[s] for s in damage_states(r, destroyed_ratio=top)]
    assert ranks == sorted(ranks)


def test_housing_impact_b3_b4_c4_by_hand():
    # RP10: house A ratio 0.2 (damaged), B 0.55 (destroyed), shop 0.9 (not housing)
    # RP100: A 0.5 (destroyed at 0.5), B 0.7 (destroyed)
    ev = pd.DataFrame({
        "return_period": [10, 10, 10, 100, 100, 100],
        "occupancy": ["residential", "residential", "commercial"] * 2,
        "damage_ratio": [0.2, 0.55, 0.9, 0.5, 0.7, 1.0],
        "damage": [20.0, 110.0, 900.0, 50.0, 140.0, 1000.0],
        "dwellings": [3, 8, 0, 3, 8, 0],
    })
    h = housing_impact(ev, destroyed_ratio=0.5, dwellings="dwellings",
                       persons_per_dwelling=2.2, class_column="occupancy").set_index(
        "return_period")
    # RP10: B-3 = 3 × 2.2 = 6.6, B-4 = 8 × 2.2 = 17.6, C-4 = 20 + 110
    assert h.loc[10, ["people_damaged_dwellings", "people_destroyed_dwellings",
                      "housing_loss"]].tolist() == pytest.approx([6.6, 17.6, 130.0])
    # RP100: both destroyed: B-3 = 0, B-4 = 11 × 2.2 = 24.2
    assert h.loc[100, ["people_damaged_dwellings", "people_destroyed_dwellings"]].tolist() \
        == pytest.approx([0.0, 24.2])
    assert h.loc[100, "buildings_destroyed"] == 2


def test_housing_without_dwellings_is_unknown_not_zero():
    ev = pd.DataFrame({"return_period": [10], "damage_ratio": [0.3], "damage": [1.0]})
    h = housing_impact(ev, destroyed_ratio=0.5, persons_per_dwelling=2.0)
    assert np.isnan(h.loc[0, "people_damaged_dwellings"])
    assert h.loc[0, "buildings_damaged"] == 1


def test_damage_ratio_is_damage_over_value():
    curve = DamageCurve([0, 2], [0, 1], units="m")
    ev = pd.DataFrame({"return_period": [10, 10], "wet_mean_depth_m": [1.0, np.nan],
                       "wet_fraction": [0.5, 0.0]})
    r = building_damage_ratio(ev, curve, intensity_units="m")
    assert r.tolist() == [0.25, 0.0]  # dry footprint: 0, not NaN


def test_productive_assets_c3():
    ev = pd.DataFrame({"return_period": [10, 10, 50], "occupancy": ["industrial",
                       "residential", "commercial"], "damage": [7.0, 9.0, 4.0]})
    out = sector_loss(ev, classes=["commercial", "industrial"], class_column="occupancy")
    assert out["loss"].tolist() == [7.0, 4.0]


def test_road_damage_length_times_unit_cost_times_damage():
    # a 30 m road over three 10 m cells with 0, 0.5 and 1.0 m of water; JRC Europe
    # infrastructure: 0.25 at 0.5 m, 0.42 at 1 m. Cost 1e6 per km:
    # 0.01 km × 1e6 × (0 + 0.25 + 0.42) = 6,700
    d = _depth([[0.0, 0.5, 1.0]])
    road = gpd.GeoDataFrame(geometry=[LineString([(0, 5), (30, 5)])], crs=3067)
    out = road_damage(road, d, curve=jrc_curve("europe", "infrastructure"),
                      unit_cost_per_km=1e6)
    assert out.loc[0, "loss"] == pytest.approx(6700.0)
    assert out.loc[0, "wet_length_km"] == pytest.approx(0.02)
    # 10 m beyond the map is unknown, not undamaged
    longer = gpd.GeoDataFrame(geometry=[LineString([(0, 5), (40, 5)])], crs=3067)
    out2 = road_damage(longer, d, curve=jrc_curve("europe", "infrastructure"),
                       unit_cost_per_km=1e6)
    assert out2.loc[0, "unknown_length_km"] == pytest.approx(0.01)
    assert out2.loc[0, "loss"] == pytest.approx(6700.0)


def test_facilities_d2_d3_d4_from_footprints_and_a_threshold():
    d = _depth([[0.1, 0.6, 0.0]], rps=(50,))
    fac = gpd.GeoDataFrame({"type": ["Hospital", "school", "school", "pumping_station"]},
                           geometry=[box(1, 1, 9, 9), box(11, 1, 19, 9), box(21, 1, 29, 9),
                                     box(12, 2, 18, 8)], crs=3067)
    out = facilities_damaged(fac, d, type_column="type", threshold_m=0.2)
    got = out.set_index("category")[["facilities", "damaged"]]
    assert got.loc["health"].tolist() == [1, 0]      # 0.1 m is not above 0.2 m
    assert got.loc["education"].tolist() == [2, 1]
    assert got.loc["other"].tolist() == [1, 1]
    with pytest.raises(InputValueError, match="kind"):
        facilities_damaged(fac, d, type_column="kind")


def test_sendai_rows_sum_parts_and_name_what_is_missing():
    h = pd.DataFrame({"return_period": [100], "people_damaged_dwellings": [30.0],
                      "people_destroyed_dwellings": [10.0], "housing_loss": [600.0]})
    p = pd.DataFrame({"return_period": [100], "loss": [300.0]})
    r = pd.DataFrame({"return_period": [100], "loss": [100.0]})
    s = sendai_indicators([100], housing=h, productive=p, infrastructure={"roads": r},
                          city_product=50_000.0, population=8000, currency="EUR")
    t = s.table.set_index("code")
    assert t.at["C-1", "value"] == pytest.approx(100 * 1000 / 50_000)  # 2 %
    assert t.at["C-1", "parts"] == "C-3 + C-4 + C-5"
    assert "C-2" in t.at["C-1", "missing"] and "C-6" in t.at["C-1", "missing"]
    assert t.at["B-1", "value"] == pytest.approx(40 / 8000 * 1e5)  # 500 per 100,000
    assert "B-2" in t.at["B-1", "missing"] and "B-5" in t.at["B-1", "missing"]
    assert (t["basis"] == "modelled, RP100").all()
    assert t.at["C-4", "unit"] == "EUR"
    assert np.isnan(t.at["D-2", "value"]) and "facilities" in t.at["D-2", "missing"]
    # no city product: C-1 is NaN and says why
    t2 = sendai_indicators([100], housing=h).table.set_index("code")
    assert np.isnan(t2.at["C-1", "value"]) and "city product" in t2.at["C-1", "missing"]


def test_iso_37123_5_2_and_labels():
    assert annual_loss_percent(1.2e6, 4.0e8) == pytest.approx(0.3)
    with pytest.raises(InputValueError):
        annual_loss_percent(1.0, 0.0)
    assert scenario_label(10) == "modelled, RP10"


def test_points_facilities_use_their_cell():
    d = _depth([[0.0, 2.0]])
    fac = gpd.GeoDataFrame({"type": ["clinic"]}, geometry=[Point(15, 5)], crs=3067)
    out = facilities_damaged(fac, d, type_column="type")
    assert out.set_index("category").loc["health", "damaged"] == 1
