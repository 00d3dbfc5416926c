"""CBI indicator-2 barriers: the manual's rule (width >= 15 m or > 5,000 vehicles/day),
the OSM highway-class proxy, tunnels, railways only when asked."""

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString, box

from urbanrisk.errors import InputValueError
from urbanrisk.green import CBI_BARRIER_HIGHWAYS, cbi_barriers, cbi_connectivity

LINE = LineString([(0, 0), (100, 0)])


def _roads(**cols):
    n = len(next(iter(cols.values())))
    return gpd.GeoDataFrame(cols, geometry=[LINE] * n, crs=3067,
                            index=[f"r{i}" for i in range(n)])


def test_width_and_traffic_decide_where_known_else_highway_class():
    roads = _roads(
        highway=["residential", "residential", "primary", "primary", "residential",
                 "secondary"],
        width=[15.0, 14.9, 8.0, np.nan, np.nan, np.nan],
        aadt=[np.nan, np.nan, np.nan, np.nan, 5001.0, 5000.0],
    )
    out = cbi_barriers(roads, traffic_column="aadt")
    # r0: 15 m (>= 15); r1: 14.9 m, no traffic -> not; r2: primary but 8 m wide -> not
    # (a measured width wins over the class); r3: primary, nothing known -> proxy;
    # r4: 5,001 vehicles/day (> 5,000); r5: exactly 5,000 -> not (the class is not used
    # when the traffic is known)
    assert out["source_index"].tolist() == ["r0", "r3", "r4"]
    assert out["rule"].tolist() == ["width >= 15 m", "highway class primary (proxy)",
                                    "traffic > 5000 vehicles/day"]
    assert set(out["layer"]) == {"roads"}
    assert out.crs == roads.crs


def test_proxy_classes_tunnels_and_no_proxy():
    roads = _roads(highway=list(CBI_BARRIER_HIGHWAYS) + ["tertiary", "footway", "primary"],
                   tunnel=[None] * len(CBI_BARRIER_HIGHWAYS) + [None, None, "yes"])
    out = cbi_barriers(roads)  # no width column: the proxy everywhere
    assert len(out) == len(CBI_BARRIER_HIGHWAYS)  # tertiary, footway and the tunnel: not
    assert len(cbi_barriers(roads, exclude_tunnels=False)) == len(CBI_BARRIER_HIGHWAYS) + 1
    assert len(cbi_barriers(roads, highway_classes=None)) == 0


def test_railways_only_when_asked_and_others_kept():
    roads = _roads(highway=["primary"])
    rail = gpd.GeoDataFrame({"railway": ["rail", "subway"], "tunnel": ["no", "yes"]},
                            geometry=[LINE, LINE], crs=3067)
    canal = gpd.GeoDataFrame(geometry=[box(0, 0, 10, 10)], crs=3067)
    assert cbi_barriers(roads)["layer"].tolist() == ["roads"]
    out = cbi_barriers(roads, railways=rail, others=canal)
    assert out["layer"].tolist() == ["roads", "railways", "others"]  # subway in tunnel out
    assert out["rule"].tolist()[1:] == ["railway", "given"]
    empty = cbi_barriers()
    assert len(empty) == 0


def test_bad_inputs():
    with pytest.raises(InputValueError):
        cbi_barriers(_roads(highway=["primary"], width=["wide"]))
    with pytest.raises(InputValueError):
        cbi_barriers(_roads(highway=["primary"]), min_width_m=-1)


def test_barriers_feed_indicator2_by_hand():
    # two 1-ha squares 50 m apart (one group of 2 ha) and a road between them
    nat = gpd.GeoDataFrame(geometry=[box(0, 0, 100, 100), box(150, 0, 250, 100)], crs=3067)
    road = gpd.GeoDataFrame({"highway": ["residential"], "width": [20.0]},
                            geometry=[LineString([(125, -50), (125, 150)])], crs=3067)
    joined = cbi_connectivity(nat, version="2014").set_index("indicator")
    split = cbi_connectivity(nat, version="2014",
                             barriers=cbi_barriers(road)).set_index("indicator")
    assert joined.loc["cbi_2_connectivity", "value"] == pytest.approx(2.0)  # 2² / 2
    assert split.loc["cbi_2_connectivity", "value"] == pytest.approx(1.0)  # (1 + 1) / 2
    narrow = cbi_barriers(road.assign(width=[6.0]))
    assert cbi_connectivity(nat, version="2014", barriers=narrow).iloc[0]["value"] == (
        pytest.approx(2.0))
