import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from urbanrisk.errors import GridError, InputValueError
from urbanrisk.green import (
    DispersalKernel,
    best_sites,
    equivalent_connected_area,
    patch_graph,
    patch_loss,
    patches_from_polygons,
    rank_candidates,
    residents_near,
)
from urbanrisk.layers import raster_from_array

K = DispersalKernel(distance_m=200.0)


@pytest.fixture
def parks():
    return patches_from_polygons(gpd.GeoDataFrame(
        geometry=[box(0, 0, 100, 100), box(600, 0, 700, 100), box(3000, 0, 3200, 200)],
        crs=3067))


@pytest.fixture
def sites():
    return gpd.GeoDataFrame(
        {"name": ["stone_a", "stone_b", "remote", "overlap"]},
        geometry=[box(200, 0, 300, 100), box(400, 0, 500, 100), box(9000, 0, 9100, 100),
                  box(50, 0, 150, 100)],
        crs=3067,
    ).set_index("name")


def test_rank_candidates_recomputes_eca_exactly(parks, sites):
    r = rank_candidates(parks, sites, kernel=K, max_distance_m=400)
    g = patch_graph(parks, max_distance_m=400)
    base = equivalent_connected_area(g, kernel=K)
    assert r.attrs["base_eca_m2"] == pytest.approx(base)
    # by hand for the remote site: isolated, adds its area squared under the root
    remote = r.loc["remote"]
    assert remote["eca_m2"] == pytest.approx(np.sqrt(base**2 + 100.0**4))
    # overlap only counts its new half
    assert r.loc["overlap", "new_area_m2"] == pytest.approx(5000.0)
    assert r.index[0] in ("stone_a", "stone_b")
    assert (r["eca_gain_m2"] > 0).all()
    assert r["rank"].tolist() == [1, 2, 3, 4]


def test_co_benefits_change_the_ranking(parks, sites):
    cb = pd.DataFrame({"residents_in_hot_spots": [0, 0, 5000, 0]}, index=sites.index)
    r = rank_candidates(parks, sites, kernel=K, max_distance_m=400, co_benefits=cb,
                        weights={"eca_gain_m2": 1.0, "residents_in_hot_spots": 3.0})
    assert r.index[0] == "remote"
    top = r.iloc[0]
    expected = (1.0 * top["eca_gain_m2"] / r["eca_gain_m2"].max() + 3.0) / 4.0
    assert top["score"] == pytest.approx(expected)
    with pytest.raises(InputValueError):
        rank_candidates(parks, sites, kernel=K, max_distance_m=400, co_benefits=cb,
                        weights={"nope": 1})


def test_best_sites_greedy_matches_brute_force(parks, sites):
    picks = best_sites(parks, sites, k=2, kernel=K, max_distance_m=400)
    assert len(picks) == 2
    # the two stepping stones together bridge parks 0 and 1
    assert set(picks["candidate"]) == {"stone_a", "stone_b"}
    first = rank_candidates(parks, sites, kernel=K, max_distance_m=400).index[0]
    assert picks["candidate"].iloc[0] == first
    assert picks["eca_m2"].is_monotonic_increasing
    with pytest.raises(InputValueError):
        best_sites(parks, sites, k=0, kernel=K, max_distance_m=400)


def test_candidate_inside_patch_is_refused(parks):
    inside = gpd.GeoDataFrame(geometry=[box(10, 10, 20, 20)], crs=3067)
    with pytest.raises(InputValueError):
        rank_candidates(parks, inside, kernel=K, max_distance_m=400)


def test_patch_loss_matches_removal():
    g = nx.Graph()
    for i, a in enumerate([4.0, 1.0, 9.0]):
        g.add_node(i, attribute=a)
    g.add_edge(0, 1, distance_m=100.0)
    g.add_edge(1, 2, distance_m=150.0)
    loss = patch_loss(g, kernel=K)
    for node in g.nodes:
        h = g.copy()
        h.remove_node(node)
        assert loss.loc[node, "eca_after_m2"] == pytest.approx(
            equivalent_connected_area(h, kernel=K), rel=1e-12)
    assert loss["rank"].tolist() == [1, 2, 3]
    assert loss.index[0] == 2


def test_residents_near_with_hot_spot_mask():
    pop = raster_from_array(np.array([[5.0, 7.0, 9.0]]), crs=3067,
                            transform=(200, 0, 0, 0, -200, 200), units="people")
    hot = pop.copy(data=np.array([[False, True, True]]))
    site = gpd.GeoDataFrame(geometry=[box(0, 0, 10, 10), box(590, 0, 600, 10)], crs=3067)
    np.testing.assert_allclose(residents_near(site, pop, distance_m=400), [12.0, 16.0])
    np.testing.assert_allclose(residents_near(site, pop, distance_m=400, where=hot),
                               [7.0, 16.0])
    with pytest.raises(GridError):
        residents_near(site, pop, where=hot.isel(x=[0, 1]))
