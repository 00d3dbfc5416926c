import geopandas as gpd
import numpy as np
import pytest
from matplotlib.figure import Figure
from shapely.geometry import box

from urbanrisk.adapt import (
    EADLimit,
    FloodedShare,
    Pathway,
    Protect,
    ProtectionStandard,
    Retreat,
    building_cells,
    fan_chart,
    flood_levels,
    pathways_map,
    risk_over_time,
    tipping_points,
)
from urbanrisk.coast import VerticalReference
from urbanrisk.hazard import DamageCurve

from .conftest import linear_projection, tilted_plane

CURVE = DamageCurve([0.0, 1.0], [0.0, 1.0], units="m")


def _plane_risk(pathways=()):
    """Tilted plane, one building on a cell of height 1.052 m; sea rising linearly.

    Scenario A: 10 mm/yr from 2020, B: 5 mm/yr; the 100-year extreme level is 0.63 m.
    The 100-year flood wets the building when 0.63 + r (y - 2020) > 1.052:
    A: y - 2020 > 42.2 -> 2063; B: y - 2020 > 84.4 -> 2105.
    """
    dem, conn = tilted_plane(nx=14, slope_m_per_cell=0.1)
    z = dem.values.copy()
    z[:, 10] = 1.052
    dem = dem.copy(data=z)
    from urbanrisk.coast import connection_level
    conn = connection_level(dem, sea_level_m=0.0)
    b = gpd.GeoDataFrame(geometry=[box(101, 11, 109, 19)], crs=3067)
    cells = building_cells(b, dem, conn)
    proj = linear_projection({"A": 0.010, "B": 0.005}, years=range(2020, 2121))
    lv = flood_levels({10: 0.40, 100: 0.63}, reference=VerticalReference("N2000"),
                      projection=proj)
    return risk_over_time(cells, lv, values=[1000.0], curves=CURVE, pathways=pathways)


def test_tilted_plane_tipping_year_by_hand():
    r = _plane_risk()
    t = tipping_points(r, [ProtectionStandard(100)]).set_index("scenario")
    assert t.loc["A", "tipping_year"] == 2063
    assert t.loc["B", "tipping_year"] == 2105
    assert (t["first_year"] == 2020).all() and (t["last_year"] == 2120).all()
    # the 10-year flood reaches it when 0.40 + r t > 1.052: A t > 65.2 -> 2086; B -> never
    t10 = tipping_points(r, [FloodedShare(10, 0.0)]).set_index("scenario")
    assert t10.loc["A", "tipping_year"] == 2086 and np.isnan(t10.loc["B", "tipping_year"])


def test_dike_and_retreat_move_the_tipping_point():
    # a 1.3 m dike holds the 100-year flood while 0.63 + r t <= 1.3: A t <= 67 -> fails 2088
    paths = [Pathway("dike 1.3 m", (Protect(1.3, 2025),)),
             Pathway("retreat 2060", (Retreat(2060),))]
    r = _plane_risk(paths)
    t = tipping_points(r, [ProtectionStandard(100), EADLimit(0.0)])
    ps = t[t["objective"] == "protected to 1 in 100 yr"].set_index(["pathway", "scenario"])
    assert ps.loc[("dike 1.3 m", "A"), "tipping_year"] == 2088
    assert np.isnan(ps.loc[("retreat 2060", "A"), "tipping_year"])
    ead = t[t["objective"].str.startswith("EAD")].set_index(["pathway", "scenario"])
    # EAD > 0 from the first year the 100-year flood wets it (flat tail): as above
    assert ead.loc[("do nothing", "A"), "tipping_year"] == 2063
    # the dike is judged from 2025, when it is built; retreat from 2060
    assert ps.loc[("dike 1.3 m", "A"), "first_year"] == 2025
    assert ps.loc[("retreat 2060", "B"), "first_year"] == 2060


def test_an_option_is_judged_from_its_year():
    # a dike built in 2070 is too late for scenario A (the 100-year flood wets the building
    # from 2063) but a 1.0 m crest fails at once: the tipping year is its first year
    r = _plane_risk([Pathway("late low dike", (Protect(1.0, 2070),))])
    t = tipping_points(r, [ProtectionStandard(100)]).set_index(["pathway", "scenario"])
    assert t.loc[("late low dike", "A"), "tipping_year"] == 2070
    assert t.loc[("late low dike", "B"), "tipping_year"] == 2105


def test_figures():
    paths = [Pathway("dike 1.3 m", (Protect(1.3, 2025),)),
             Pathway("dike, then retreat", (Protect(1.3, 2025), Retreat(2080)))]
    r = _plane_risk(paths)
    t = tipping_points(r, [ProtectionStandard(100)])
    fig = pathways_map(t, r.pathways)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert [lab.get_text() for lab in ax.get_yticklabels()] == [
        "dike, then retreat", "dike 1.3 m", "do nothing"]
    fan = fan_chart(r)
    assert isinstance(fan, Figure) and len(fan.axes[0].lines) == 2
    with pytest.raises(ValueError, match="No tipping points"):
        pathways_map(t, r.pathways, zone="north")
