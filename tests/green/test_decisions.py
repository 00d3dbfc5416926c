"""Decisions that used to live in profile/steps.py, and the one-name-per-idea renames (#13).

Every expected value is worked out by hand in the comment next to it.
"""

from __future__ import annotations

import math

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from shapely.geometry import Point, box

from urbanrisk.errors import InputValueError
from urbanrisk.green import (
    ConnectivityIndex,
    DispersalKernel,
    LandscapeArea,
    candidate_sites,
    effective_mesh_size,
    effective_mesh_size_raster,
    equivalent_connected_area,
    green_access,
    integral_index_of_connectivity,
    landscape_area,
    node_importance,
    patch_graph,
    patch_importance,
    patches_from_polygons,
    probability_of_connectivity,
    rank_candidates,
    residents_near,
)
from urbanrisk.green.fragmentation import _mesh_size_m2
from urbanrisk.layers import raster_from_array

HALF_AT_100 = DispersalKernel(distance_m=100.0, probability=0.5)


def _gdf(*geoms, **cols):
    return gpd.GeoDataFrame(cols or None, geometry=list(geoms), crs=3067)


# ------------------------------------------------------------- landscape area A_L ---
def test_landscape_area_rule_given_then_boundary_then_patch_box():
    p = _gdf(box(0, 0, 10, 10), box(30, 10, 40, 20))
    # box of the patches: x 0..40, y 0..20 -> 800 m²
    assert landscape_area(p) == LandscapeArea(800.0, "patch_bounds")
    # two overlapping districts: union 0..100 x 0..50 = 5000 m² (the overlap counts once)
    city = _gdf(box(0, 0, 60, 50), box(40, 0, 100, 50))
    got = landscape_area(p, boundary=city)
    assert got.source == "boundary" and got.area_m2 == pytest.approx(5000.0)
    given = landscape_area(p, boundary=city, area_m2=1e6)
    assert given.source == "given" and given.area_m2 == pytest.approx(1e6)
    assert "bounding box" in landscape_area(p).description
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(InputValueError):
            landscape_area(p, area_m2=bad)


def test_landscape_area_of_one_patch_is_its_box():
    # a single square patch: its box is the patch itself
    p = _gdf(box(0, 0, 10, 10))
    assert landscape_area(p).area_m2 == pytest.approx(100.0)


# ------------------------------------------------------ A_L really in square metres ---
def _pair(attr: float) -> nx.Graph:
    g = nx.Graph()
    g.add_nodes_from([(0, {"attribute": attr}), (1, {"attribute": attr})])
    g.add_edge(0, 1, distance_m=100.0)
    return g


def test_landscape_area_is_square_metres_whatever_the_attribute_units():
    # two 1-ha patches, p = 0.5, A_L = 10 ha: PC = (1 + 1 + 2 * 0.5) / 100 = 0.03,
    # ECA = sqrt(3) ha = 17,320.508 m², habitat 2 ha, share sqrt(3) / 2
    m2 = probability_of_connectivity(_pair(1e4), kernel=HALF_AT_100, landscape_area_m2=1e5)
    ha = probability_of_connectivity(_pair(1.0), kernel=HALF_AT_100, landscape_area_m2=1e5,
                                     attribute_units="ha")
    km2 = probability_of_connectivity(_pair(0.01), kernel=HALF_AT_100, landscape_area_m2=1e5,
                                      attribute_units="km2")
    for r in (m2, ha, km2):
        assert r.value == pytest.approx(0.03, rel=1e-12)
        assert r.eca_m2 == pytest.approx(math.sqrt(3) * 1e4, rel=1e-12)
        assert r.habitat_m2 == pytest.approx(2e4, rel=1e-12)
        assert r.eca_share == pytest.approx(math.sqrt(3) / 2, rel=1e-12)
        assert r.landscape_area_m2 == pytest.approx(1e5)
    assert ha.numerator == pytest.approx(3.0)  # attribute units squared (ha²)
    # IIC: (1 + 1 + 2 * 1/2) / 100 = 0.03 as well, in any units
    iic = integral_index_of_connectivity(_pair(1.0), landscape_area_m2=1e5,
                                         attribute_units="ha")
    assert iic.value == pytest.approx(0.03)
    assert equivalent_connected_area(_pair(1.0), kernel=HALF_AT_100,
                                     attribute_units="ha") == pytest.approx(math.sqrt(3) * 1e4)
    with pytest.raises(InputValueError, match="attribute_units"):
        probability_of_connectivity(_pair(1.0), kernel=HALF_AT_100, landscape_area_m2=1e5,
                                    attribute_units="acre")


def test_pc_result_records_where_landscape_area_came_from():
    p = patches_from_polygons(_gdf(box(0, 0, 100, 100), box(200, 0, 300, 100)))
    g = patch_graph(p, max_distance_m=500)
    area = landscape_area(p)  # box 300 x 100 = 3 ha
    r = probability_of_connectivity(g, kernel=HALF_AT_100, landscape_area_m2=area)
    assert r.landscape_area_source == "patch_bounds"
    assert r.landscape_area_m2 == pytest.approx(3e4)
    # edge-to-edge 100 m: N = 2 + 2 * 0.5 = 3 ha², PC = 3 / 9 = 1/3
    assert r.value == pytest.approx(1 / 3)
    frame = r.to_frame()
    assert frame.loc[0, "kernel_distance_m"] == 100.0
    assert frame.loc[0, "landscape_area_source"] == "patch_bounds"
    text = repr(r)
    assert text.startswith("ConnectivityIndex(PC=0.3333") and "patch_bounds" in text
    assert "<table" in r._repr_html_()
    plain = probability_of_connectivity(g, kernel=HALF_AT_100, landscape_area_m2=3e4)
    assert plain.landscape_area_source is None and plain.value == pytest.approx(r.value)


def test_connectivity_index_is_frozen():
    r = ConnectivityIndex("IIC", 0.5, 2.0, 1.4, 2.0)
    with pytest.raises(AttributeError):
        r.value = 1.0  # type: ignore[misc]


# ------------------------------------------------------------ edge_length rename ---
def test_metrics_name_the_edge_attribute_edge_length():
    g = nx.path_graph(3)
    nx.set_node_attributes(g, 1.0, "attribute")
    nx.set_edge_attributes(g, 100.0, "cost")
    imp = node_importance(g, kernel=HALF_AT_100, edge_length="cost")
    # chain of unit patches, p = 0.5 per link: dPC of the middle one = 100 * 3.5 / 5.5
    assert imp.loc[1, "dPC"] == pytest.approx(350 / 5.5)
    with pytest.raises(TypeError):
        node_importance(g, kernel=HALF_AT_100, distance="cost")  # the old name is gone


# ------------------------------------------------- node importance on the patches ---
def test_patch_importance_keeps_the_patches_index_and_the_kernel():
    p = patches_from_polygons(_gdf(box(0, 0, 100, 100), box(200, 0, 300, 100),
                                   box(5000, 0, 5100, 100)))
    p.index = ["west", "east", "far"]
    g = patch_graph(p.iloc[:2], max_distance_m=500)  # "far" is not in the graph
    out = patch_importance(p, g, kernel=HALF_AT_100)
    assert list(out.index) == ["west", "east", "far"]
    assert isinstance(out, gpd.GeoDataFrame) and out.crs == p.crs
    # N = 1 + 1 + 2 * 0.5 = 3 ha²; each: intra 100/3, flux 100/3
    assert out.loc["west", "dPC"] == pytest.approx(200 / 3)
    assert out.loc["east", "dPCflux"] == pytest.approx(100 / 3)
    assert np.isnan(out.loc["far", "dPC"])
    assert out.attrs["kernel"] == HALF_AT_100.as_dict()
    assert out.attrs["index"] == "PC"


# ------------------------------------------------------------- effective mesh size ---
def test_mesh_size_has_one_formula_for_vector_raster_and_cbi():
    # CUT (100² + 50²) / 400 = 31.25; CBC (100 * 100 + 50 * 100) / 400 = 37.5
    assert _mesh_size_m2([100.0, 50.0], 400.0) == pytest.approx(31.25)
    assert _mesh_size_m2([100.0, 50.0], 400.0, [100.0, 100.0]) == pytest.approx(37.5)
    p = _gdf(box(0, 0, 10, 10), box(35, 0, 45, 10))
    zones = _gdf(box(0, 0, 40, 10), name=["z"]).set_index("name")
    out = effective_mesh_size(p, zones)
    assert isinstance(out, gpd.GeoDataFrame) and list(out.index) == ["z"]
    assert out.geometry.iloc[0].equals(zones.geometry.iloc[0])
    assert out["effective_mesh_size_m2"].iloc[0] == pytest.approx(31.25)


def test_raster_mesh_size_connectivity_4_or_8():
    # two habitat cells touching at a corner, 10 m cells, 4 cells in all (A_t = 400 m²):
    # 8-neighbourhood one 200-m² patch: 200² / 400 = 100; 4-neighbourhood 2 × 100² / 400 = 50
    h = raster_from_array(np.array([[1, 0], [0, 1]]), crs=3067,
                          transform=(10, 0, 0, 0, -10, 20))
    whole = effective_mesh_size_raster(h)
    assert list(whole.index) == ["all"] and whole.geometry.iloc[0].area == pytest.approx(400)
    assert whole["effective_mesh_size_m2"].iloc[0] == pytest.approx(100.0)
    four = effective_mesh_size_raster(h, connectivity=4)
    assert four["effective_mesh_size_m2"].iloc[0] == pytest.approx(50.0)
    for bad in (6, True, "8"):
        with pytest.raises(InputValueError, match="connectivity"):
            effective_mesh_size_raster(h, connectivity=bad)


# -------------------------------------------------------------------- green access ---
def _row_pop():
    # four cells of 10 residents at x = 100, 300, 500, 700 (200-m cells), and 1 resident
    # far east at x = 5100
    vals = np.zeros((1, 26))
    vals[0, :4] = 10.0
    vals[0, 25] = 1.0
    return raster_from_array(vals, crs=3067, transform=(200, 0, 0, 0, -200, 200),
                             units="people")


def test_green_access_without_zones_counts_every_resident():
    park = _gdf(box(-100, 0, 0, 100))  # 1 ha, west of the first cell
    acc = green_access(park, population=_row_pop())
    # reached: cells at 100 and 300 m (20 people) of 41; the far resident counts too
    assert acc.residents == pytest.approx(41.0)
    assert acc.residents_with_access == pytest.approx(20.0)
    assert acc.share == pytest.approx(20 / 41)
    assert acc.by_zone is None and acc.residents_from == "population"
    assert acc.to_frame().loc[0, "share"] == pytest.approx(20 / 41)
    assert repr(acc).startswith("GreenAccess(48.8 % of 41 residents")


def test_green_access_by_zone_on_the_zones_index():
    park = _gdf(box(-100, 0, 0, 100))
    zones = _gdf(box(0, 0, 400, 200), box(400, 0, 800, 200), name=["west", "east"])
    zones.index = [10, 20]
    acc = green_access(park, zones, population=_row_pop())
    by = acc.by_zone
    assert list(by.index) == [10, 20] and list(by["name"]) == ["west", "east"]
    assert by["share_with_access"].tolist() == pytest.approx([1.0, 0.0])
    # citywide: residents inside the zones only (40), 20 of them with access
    assert acc.residents == pytest.approx(40.0) and acc.share == pytest.approx(0.5)


def test_residents_near_and_green_access_use_one_rule():
    # a single site: residents within reach per site == residents with access
    site = _gdf(box(-100, 0, 0, 100))
    pop = _row_pop()
    for d in (150.0, 300.0, 500.0, 700.0):
        near = float(residents_near(site, pop, distance_m=d).iloc[0])
        acc = green_access(site, population=pop, walk_distance_m=d, min_area_m2=0)
        assert near == pytest.approx(acc.residents_with_access)
    # by hand: 300 m reaches the centres at 100 and 300 (distance to the edge x=0)
    assert residents_near(site, pop, distance_m=300).tolist() == pytest.approx([20.0])


def test_green_access_buildings_without_zones():
    park = _gdf(box(-100, 0, 0, 100))
    bld = _gdf(Point(50, 50), Point(700, 50), res=[5, 7])
    acc = green_access(park, buildings=bld, weight_column="res")
    assert acc.share == pytest.approx(5 / 12) and acc.residents_from == "buildings"


# ----------------------------------------------------------------- candidate sites ---
def test_candidate_sites_are_edge_connected_parcels():
    # corner-touching class-7 cells are separate sites; the 2-cell block is one
    lc = raster_from_array(np.array([[7, 0, 7, 7], [0, 7, 0, 0]]), crs=3067,
                           transform=(10, 0, 0, 0, -10, 20))
    sites = candidate_sites(lc, classes=[7])
    assert sites.index.name == "site"
    assert sites["area_m2"].tolist() == pytest.approx([100.0, 200.0, 100.0])
    assert candidate_sites(lc, classes=[7], min_area_m2=150)["area_m2"].tolist() == [200.0]


def test_rank_candidates_returns_the_candidates_with_their_ranking():
    parks = patches_from_polygons(_gdf(box(0, 0, 100, 100), box(400, 0, 500, 100)))
    sites = _gdf(box(200, 0, 300, 100), box(2000, 0, 2100, 100), name=["between", "far"],
                 owner=["city", "state"]).set_index("name")
    r = rank_candidates(parks, sites, kernel=DispersalKernel(distance_m=200),
                        max_distance_m=500)
    assert isinstance(r, gpd.GeoDataFrame) and r.crs == sites.crs
    assert list(r.index) == ["between", "far"] and r.loc["far", "owner"] == "state"
    assert r.geometry.loc["between"].equals(sites.geometry.loc["between"])
    assert r.loc["between", "rank"] == 1
