"""SDG 11.7.1: open public space share and 400 m access along the street network."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import pytest
from shapely.geometry import LineString, box

from urbanrisk.errors import InputValueError
from urbanrisk.green import (
    green_access,
    network_access,
    open_public_space_share,
    residents_within,
    street_graph,
)

CRS = 3067


def _gdf(geoms, **cols):
    return gpd.GeoDataFrame(cols, geometry=list(geoms), crs=CRS)


def _city():
    """A park west of x=0; a street leaving it east, turning north and back west.

    Home A sits at (0, 250): 200 m from the park's edge in a straight line, but the walk is
    300 + 250 + 300 = 850 m along the street. Home B at (200, 0) is 200 m both ways.
    """
    park = _gdf([box(-100, -50, 0, 50)])
    streets = _gdf([LineString([(0, 0), (300, 0)]), LineString([(300, 0), (300, 250)]),
                    LineString([(300, 250), (0, 250)])])
    homes = _gdf(gpd.points_from_xy([0, 200], [250, 0]), residents=[10.0, 4.0])
    return park, streets, homes


def test_network_and_straight_line_access_differ():
    park, streets, homes = _city()
    acc = network_access(park, streets, buildings=homes, weight_column="residents")
    assert acc.distance_m.tolist() == pytest.approx([850.0, 200.0])
    assert acc.residents_with_access == 4.0 and acc.share == pytest.approx(4 / 14)
    # WHO-style 300 m straight line: both homes (200 m each) have access
    assert residents_within(park, distance_m=300, buildings=homes,
                            weight_column="residents") == (14.0, 14.0)
    who = green_access(park, buildings=homes, weight_column="residents",
                       walk_distance_m=300, min_area_m2=5000)
    assert who.share == pytest.approx(1.0)


def test_walk_length_includes_the_leg_to_the_street_and_partial_edges():
    park, streets, _ = _city()
    # 30 m off the street at x=120: leg 30 + 120 along it
    homes = _gdf(gpd.points_from_xy([120], [30]))
    acc = network_access(park, streets, buildings=homes)
    assert acc.distance_m[0] == pytest.approx(150.0)


def test_street_graph_nodes_crossings():
    g = street_graph(_gdf([LineString([(0, 0), (10, 0)]), LineString([(5, -5), (5, 5)])]))
    assert nx.shortest_path_length(g, (0.0, 0.0), (5.0, 5.0), weight="length_m") == 10.0


def test_open_public_space_share_by_hand():
    city = _gdf([box(0, 0, 200, 100)])                   # 20,000 m²
    parks = _gdf([box(0, 0, 50, 40), box(40, 0, 60, 40)])  # overlap: 60 × 40 = 2,400 m²
    streets = _gdf([LineString([(0, 80), (250, 80)]), LineString([(100, 0), (100, 100)])],
                   width=[12.0, 6.0])
    r = open_public_space_share(parks, streets, city, width_column="width")
    # streets inside: 200 m × 12 + 100 m × 6 = 3,000 m²
    assert r.open_space_m2 == pytest.approx(2400.0)
    assert r.street_m2 == pytest.approx(3000.0)
    assert r.percent == pytest.approx(100 * 5400 / 20000)
    with pytest.raises(InputValueError, match="exactly one"):
        open_public_space_share(parks, streets, city)
