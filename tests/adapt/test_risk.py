import geopandas as gpd
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from urbanrisk.adapt import (
    Accommodate,
    Pathway,
    Protect,
    Retreat,
    building_cells,
    flood_levels,
    risk_over_time,
)
from urbanrisk.coast import VerticalReference
from urbanrisk.errors import InputValueError
from urbanrisk.hazard import DamageCurve

from .conftest import levels_array, linear_projection, tilted_plane

CURVE = DamageCurve([0.0, 1.0], [0.0, 1.0], units="m")  # 100 % damage at 1 m
YEARS = [2030, 2050, 2070, 2090]
RPS = [10, 100]


def _levels(base=(0.6, 0.9), rise=0.004):
    # level(year, T) = base[T] + rise * (year - 2030)
    v = np.array([[b + rise * (y - 2030) for b in base] for y in YEARS])
    return levels_array(v[None, None], scenarios=["S"], years=YEARS, rps=RPS)


def _city(two_zone_city):
    dem, conn, b, zones = two_zone_city
    return building_cells(b, dem, conn, zones=zones, zone_column="name"), b


def test_damage_by_hand(two_zone_city):
    cells, b = _city(two_zone_city)
    r = risk_over_time(cells, _levels(), values=np.full(6, 1000.0), curves=CURVE,
                       rule="lower_step")
    ev = r.events[(r.events["zone"] == "all") & (r.events["year"] == 2030)]
    # buildings on ground 0.1, 0.3, 0.5, 0.7, 0.9, 1.0 m; level 0.6: depths .5 .3 .1 0 0 0
    assert ev["damage"].tolist() == pytest.approx([900.0, (0.8 + 0.6 + 0.4 + 0.2) * 1000])
    assert ev["buildings_flooded"].tolist() == [3, 4]
    ead = r.ead[(r.ead["zone"] == "all") & (r.ead["year"] == 2030)]["ead"].iloc[0]
    assert ead == pytest.approx(900 * 0.09 + 2000 * 0.01)   # lower step, flat tail


def test_dike_above_every_level_never_floods(two_zone_city):
    cells, _ = _city(two_zone_city)
    p = Pathway("high dike", (Protect(5.0, 2030, cost_eur=1e6),))
    r = risk_over_time(cells, _levels(), values=np.full(6, 1000.0), curves=CURVE, pathways=[p])
    mine = r.events[r.events["pathway"] == "high dike"]
    assert (mine["damage"] == 0).all() and (mine["buildings_flooded"] == 0).all()
    assert (r.ead[r.ead["pathway"] == "high dike"]["ead"] == 0).all()
    assert r.ead[r.ead["pathway"] == "do nothing"]["ead"].min() > 0


def test_dike_below_every_level_changes_nothing(two_zone_city):
    cells, _ = _city(two_zone_city)
    p = Pathway("low dike", (Protect(0.2, 2030),))
    r = risk_over_time(cells, _levels(), values=np.full(6, 1000.0), curves=CURVE, pathways=[p])
    a = r.events[r.events["pathway"] == "low dike"].drop(columns="pathway").reset_index(drop=True)
    b = r.events[r.events["pathway"] == "do nothing"].drop(columns="pathway").reset_index(
        drop=True)
    assert a.equals(b)


def test_dike_of_one_zone_is_overtopped_by_higher_levels(two_zone_city):
    cells, _ = _city(two_zone_city)
    p = Pathway("west dike", (Protect(0.75, 2050, zone="west"),))
    r = risk_over_time(cells, _levels(), values=np.full(6, 1000.0), curves=CURVE, pathways=[p])
    ev = r.events.set_index(["pathway", "year", "return_period", "zone"])["damage"]
    # 2050: levels 0.68 (T=10, below the crest: west dry) and 0.98 (overtopped: as before)
    assert ev[("west dike", 2050, 10, "west")] == 0.0
    assert ev[("west dike", 2050, 100, "west")] == ev[("do nothing", 2050, 100, "west")] > 0
    assert ev[("west dike", 2050, 10, "east")] == ev[("do nothing", 2050, 10, "east")]
    assert ev[("west dike", 2030, 10, "west")] == ev[("do nothing", 2030, 10, "west")]


def test_retreat_removes_exactly_that_zone_after_its_year(two_zone_city):
    cells, _ = _city(two_zone_city)
    p = Pathway("leave west", (Retreat(2050, zone="west", cost_per_m2_eur=10.0,
                                       cost_per_resident_eur=100.0),))
    r = risk_over_time(cells, _levels(), values=np.full(6, 1000.0), curves=CURVE, pathways=[p],
                       residents=[2.0] * 6)
    ev = r.events.set_index(["pathway", "zone", "year", "return_period"])
    for y in YEARS:
        for t in RPS:
            west, east = ev.loc[("leave west", "west", y, t)], ev.loc[("leave west", "east", y, t)]
            base_w = ev.loc[("do nothing", "west", y, t)]
            base_e = ev.loc[("do nothing", "east", y, t)]
            assert east["damage"] == base_e["damage"]
            if y >= 2050:
                assert west["damage"] == 0 and west["buildings_present"] == 0
            else:
                assert west["damage"] == base_w["damage"] and west["buildings_present"] == 3
    c = r.costs[r.costs["pathway"] == "leave west"].set_index("year")["cost"]
    assert c[2050] == pytest.approx(3 * 100 * 10.0 + 6 * 100.0)   # 3 x 100 m2, 6 residents
    assert c.drop(2050).sum() == 0


def test_accommodate_shifts_the_curve(two_zone_city):
    cells, _ = _city(two_zone_city)
    p = Pathway("raise", (Accommodate(0.2, 2030, cost_per_building_eur=50.0),))
    r = risk_over_time(cells, _levels(), values=np.full(6, 1000.0), curves=CURVE, pathways=[p])
    ev = r.events[(r.events["zone"] == "all") & (r.events["year"] == 2030)]
    got = ev.set_index(["pathway", "return_period"])["damage"]
    # level 0.6: depths .5 .3 .1 -> .3 .1 0 ; level 0.9: .8 .6 .4 .2 -> .6 .4 .2 0
    assert got[("raise", 10)] == pytest.approx(400.0)
    assert got[("raise", 100)] == pytest.approx(1200.0)
    assert r.costs[r.costs["pathway"] == "raise"]["cost"].sum() == pytest.approx(300.0)


def test_protect_maintenance_and_raise_costs(two_zone_city):
    cells, _ = _city(two_zone_city)
    p = Pathway("dike", (Protect(1.0, 2030, cost_eur=100.0, maintenance_share_per_yr=0.01),
                         Protect(1.5, 2070, cost_eur=50.0)))
    r = risk_over_time(cells, _levels(), values=np.full(6, 1.0), curves=CURVE, pathways=[p])
    c = r.costs[r.costs["pathway"] == "dike"].set_index("year")["cost"]
    assert c[2030] == 100.0 and c[2031] == pytest.approx(1.0) and c[2070] == pytest.approx(51.0)
    assert c.sum() == pytest.approx(100 + 50 + 60 * 1.0)   # 60 maintenance years 2031-2090


def test_unknown_zone_and_duplicate_names_refused(two_zone_city):
    cells, _ = _city(two_zone_city)
    with pytest.raises(InputValueError, match="unknown zone"):
        risk_over_time(cells, _levels(), values=np.ones(6), curves=CURVE,
                       pathways=[Pathway("x", (Retreat(2030, zone="north"),))])
    with pytest.raises(InputValueError, match="unique"):
        risk_over_time(cells, _levels(), values=np.ones(6), curves=CURVE,
                       pathways=[Pathway("x", (Retreat(2030),)), Pathway("x", (Retreat(2050),))])


@settings(max_examples=15, deadline=None)
@given(low=st.floats(0.0, 0.012), extra=st.floats(0.0, 0.01),
       heights=st.lists(st.floats(0.05, 1.6), min_size=3, max_size=6),
       rule=st.sampled_from(["lower_step", "trapezoid", "log_linear"]))
def test_ead_never_decreases_with_a_higher_scenario(low, extra, heights, rule):
    """A scenario whose sea level is at least as high every year never has a lower EAD."""
    dem, conn = tilted_plane(nx=20, slope_m_per_cell=0.1)
    xs = [10 + 10 * int(round(h / 0.1)) for h in heights]
    b = gpd.GeoDataFrame(geometry=[box(min(x, 180), 10, min(x, 180) + 7, 17) for x in xs],
                         crs=3067)
    cells = building_cells(b, dem, conn)
    proj = linear_projection({"SSP1-2.6": low, "SSP5-8.5": low + extra},
                             years=range(2020, 2101, 20))
    lv = flood_levels({10: 0.4, 100: 0.7, 1000: 0.9}, reference=VerticalReference("N2000"),
                      projection=proj)
    lv.attrs.pop("vertical_reference")
    r = risk_over_time(cells, lv, values=np.full(len(b), 1000.0), curves=CURVE, rule=rule)
    s = r.ead_series()
    hi = s.xs("SSP5-8.5", level="scenario").to_numpy()
    lo = s.xs("SSP1-2.6", level="scenario").to_numpy()
    assert (hi >= lo - 1e-9).all()
    assert (np.diff(lo, axis=1) >= -1e-9).all()   # rising sea: EAD never falls in time
