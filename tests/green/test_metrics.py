import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from urbanrisk.errors import EmptyLayerError, InputValueError
from urbanrisk.green import (
    DispersalKernel,
    component_curve,
    components_at,
    corridor_importance,
    current_flow_centrality,
    effective_resistance,
    equivalent_connected_area,
    integral_index_of_connectivity,
    node_importance,
    probability_of_connectivity,
)

from ._reference import importance_nx, pc_numerator_nx, random_patch_graph

HALF_AT_100 = DispersalKernel(distance_m=100.0, probability=0.5)


def _graph(areas, edges):
    g = nx.Graph()
    for i, a in enumerate(areas):
        g.add_node(i, attribute=float(a))
    for u, v, d in edges:
        g.add_edge(u, v, distance_m=float(d))
    return g


# -------------------------------------------------------------------- hand-computed ---
def test_triangle_with_stepping_stone_by_hand():
    # 0 --100-- 1 --100-- 2, and a direct 0--2 link of 300 m (p = 1/8).
    # p*_02 = max(1/8, 1/2 * 1/2) = 1/4 through patch 1.
    g = _graph([2.0, 1.0, 3.0], [(0, 1, 100), (1, 2, 100), (0, 2, 300)])
    # N = 4 + 1 + 9 + 2*(2*1*.5 + 1*3*.5 + 2*3*.25) = 14 + 2*(1 + 1.5 + 1.5) = 22
    res = probability_of_connectivity(g, kernel=HALF_AT_100, landscape_area_m2=10.0)
    assert res.numerator == pytest.approx(22.0, rel=1e-12)
    assert res.value == pytest.approx(0.22, rel=1e-12)
    assert res.eca_m2 == pytest.approx(math.sqrt(22.0), rel=1e-12)
    assert res.kernel == HALF_AT_100.as_dict()
    imp = node_importance(g, kernel=HALF_AT_100)
    # remove 1: 0 and 2 keep the direct link p = 1/8: N' = 4 + 9 + 2*2*3/8 = 14.5
    # intra = 100/22, flux = 100*2*1*(2*.5 + 3*.5)/22 = 500/22,
    # connector = 100*2*2*3*(1/4 - 1/8)/22 = 150/22 ; total = 750/22 = 100*(22-14.5)/22
    row = imp.loc[1] * 22
    np.testing.assert_allclose(row.values, [750.0, 100.0, 500.0, 150.0], rtol=1e-12)
    # remove 0: N' = 1 + 9 + 2*3*.5 = 13, intra 400/22, flux 200*2*(0.5 + 3*0.25)/22,
    # connector 0
    row = imp.loc[0] * 22
    np.testing.assert_allclose(row.values, [900.0, 400.0, 500.0, 0.0], atol=1e-9)
    assert imp.attrs["kernel"] == HALF_AT_100.as_dict()


def test_iic_by_hand_star_of_four():
    # star: centre 0 linked to 1, 2, 3; all areas 1; nl = 1 to centre, 2 between leaves
    g = _graph([1, 1, 1, 1], [(0, 1, 10), (0, 2, 10), (0, 3, 10)])
    # N = 4 + 2*(3 * 1/2 + 3 * 1/3) = 4 + 5 = 9
    res = integral_index_of_connectivity(g, landscape_area_m2=3.0)
    assert res.numerator == pytest.approx(9.0)
    assert res.value == pytest.approx(1.0)
    imp = node_importance(g, index="IIC")
    assert list(imp.columns) == ["dIIC", "dIICintra", "dIICflux", "dIICconnector"]
    # removing the centre: N' = 3; dIIC = 600/9; intra 100/9; flux 300/9; connector 200/9
    np.testing.assert_allclose(imp.loc[0].values * 9, [600, 100, 300, 200], rtol=1e-12)
    # a leaf: N' = 3 + 2*(2*1/2 + 1/3) = 3 + 8/3; dIIC = 100*(1/3)/9*... check sum only
    leaf = imp.loc[1]
    assert leaf["dIICconnector"] == pytest.approx(0.0, abs=1e-12)
    assert leaf["dIIC"] == pytest.approx(100 * (9 - (3 + 8 / 3)) / 9)


def test_isolated_patches_eca_is_root_sum_of_squares():
    g = _graph([3.0, 4.0], [])
    assert equivalent_connected_area(g, kernel=HALF_AT_100) == pytest.approx(5.0)
    imp = node_importance(g, kernel=HALF_AT_100)
    np.testing.assert_allclose(imp["dPC"], [36.0, 64.0])
    np.testing.assert_allclose(imp["dPCflux"], [0.0, 0.0])


def test_centroid_complete_graph_shortcut_matches_path_search():
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 1000, (12, 2))
    g = nx.Graph(distance="centroid", max_distance_m=None)
    for i in range(12):
        g.add_node(i, attribute=float(rng.uniform(1, 5)))
    for i in range(12):
        for j in range(i + 1, 12):
            g.add_edge(i, j, distance_m=float(np.hypot(*(xy[i] - xy[j]))))
    plain = nx.Graph(g)
    plain.graph.clear()
    fast = node_importance(g, kernel=HALF_AT_100)
    slow = node_importance(plain, kernel=HALF_AT_100)
    np.testing.assert_allclose(fast.values, slow.values, rtol=1e-9, atol=1e-12)
    assert np.all(np.abs(slow["dPCconnector"]) < 1e-9)


# ------------------------------------------------------------ brute-force reference ---
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pc_and_dpc_match_networkx_node_removal(seed):
    g, thr = random_patch_graph(50, seed)
    kernel = DispersalKernel(distance_m=thr / 2, probability=0.5)
    num, ref = importance_nx(g, kernel.k)
    imp = node_importance(g, kernel=kernel)
    assert imp.attrs["numerator"] == pytest.approx(num, rel=1e-12)
    expected = np.array([ref[n] for n in imp.index])
    scale = np.abs(expected[:, 0]).max()
    np.testing.assert_allclose(imp.values, expected, rtol=1e-9, atol=1e-9 * scale)
    assert imp["dPCconnector"].max() > 1.0  # the fixture does exercise stepping stones
    res = probability_of_connectivity(g, kernel=kernel, landscape_area_m2=1e8)
    assert res.numerator == pytest.approx(num, rel=1e-12)


@pytest.mark.parametrize("seed", [0, 5])
def test_dIIC_matches_networkx_node_removal(seed):
    g, _ = random_patch_graph(50, seed)
    num, ref = importance_nx(g, None, index="IIC")
    imp = node_importance(g, index="IIC")
    assert imp.attrs["numerator"] == pytest.approx(num, rel=1e-12)
    expected = np.array([ref[n] for n in imp.index])
    scale = np.abs(expected[:, 0]).max()
    np.testing.assert_allclose(imp.values, expected, rtol=1e-9, atol=1e-9 * scale)


def test_truncation_error_is_within_reported_bound():
    g, thr = random_patch_graph(60, 11, degree=8, side=20_000)
    kernel = DispersalKernel(distance_m=thr / 4)
    exact = probability_of_connectivity(g, kernel=kernel, landscape_area_m2=4e8)
    approx = probability_of_connectivity(g, kernel=kernel, landscape_area_m2=4e8, epsilon=1e-3)
    assert approx.value <= exact.value
    assert exact.value - approx.value <= approx.error_bound
    assert approx.error_bound > 0
    imp_e = node_importance(g, kernel=kernel)
    imp_a = node_importance(g, kernel=kernel, epsilon=1e-3)
    assert np.abs(imp_e.values - imp_a.values).max() <= imp_a.attrs["error_bound"]


# ------------------------------------------------------------------- hypothesis ---
@st.composite
def small_graphs(draw):
    n = draw(st.integers(1, 9))
    areas = draw(st.lists(st.floats(0.1, 100.0), min_size=n, max_size=n))
    edges = []
    for i in range(n):
        for j in range(i + 1, n):
            if draw(st.booleans()):
                edges.append((i, j, draw(st.floats(0.0, 1000.0))))
    return _graph(areas, edges)


@settings(max_examples=40, deadline=None)
@given(small_graphs(), st.floats(10.0, 1000.0))
def test_invariants(g, d50):
    kernel = DispersalKernel(distance_m=d50)
    total = sum(nx.get_node_attributes(g, "attribute").values())
    res = probability_of_connectivity(g, kernel=kernel, landscape_area_m2=total)
    assert 0.0 <= res.value <= 1.0 + 1e-12
    assert res.eca_m2 <= total * (1 + 1e-12)
    assert res.eca_m2 >= max(nx.get_node_attributes(g, "attribute").values()) * (1 - 1e-12)
    assert res.numerator == pytest.approx(pc_numerator_nx(g, kernel.k), rel=1e-9)
    imp = node_importance(g, kernel=kernel)
    parts = imp[["dPCintra", "dPCflux", "dPCconnector"]].sum(axis=1)
    np.testing.assert_allclose(imp["dPC"], parts, rtol=1e-12, atol=1e-12)
    assert (imp.values >= -1e-9).all()
    # adding a patch (linked anywhere or not at all) never lowers ECA
    g2 = g.copy()
    new = max(g2.nodes) + 1
    g2.add_node(new, attribute=1.0)
    g2.add_edge(new, 0, distance_m=50.0)
    assert equivalent_connected_area(g2, kernel=kernel) >= res.eca_m2 * (1 - 1e-12)


# ------------------------------------------------------------------- components ---
def test_component_curve_agrees_with_components_at_every_threshold():
    g, _ = random_patch_graph(40, 7, degree=4)
    curve = component_curve(g)
    for thr, ncomp in zip(curve["threshold_m"][1:], curve["n_components"][1:], strict=True):
        comp = components_at(g, max_distance_m=thr)
        assert comp["component"].nunique() == ncomp
        h = nx.Graph()
        h.add_nodes_from(g.nodes)
        h.add_edges_from((u, v) for u, v, d in g.edges(data=True) if d["distance_m"] <= thr)
        assert nx.number_connected_components(h) == ncomp
    assert curve["largest_fraction"].is_monotonic_increasing


def test_components_at_ranks_by_attribute():
    g = _graph([1, 1, 5], [(0, 1, 10), (1, 2, 1000)])
    comp = components_at(g, max_distance_m=100)
    assert comp.loc[2, "component"] == 0
    assert comp.loc[0, "component_attribute"] == pytest.approx(2.0)


# --------------------------------------------------------- corridors and circuits ---
def test_corridor_importance_matches_path_enumeration():
    g, thr = random_patch_graph(25, 4, degree=5)
    kernel = DispersalKernel(distance_m=thr)
    ci = corridor_importance(g, kernel=kernel).set_index(["u", "v"])
    h = nx.Graph([(u, v, {"w": kernel.k * d["distance_m"]}) for u, v, d in g.edges(data=True)])
    h.add_nodes_from(g.nodes)
    a = nx.get_node_attributes(g, "attribute")
    flow = {}
    for s in g.nodes:
        for t in g.nodes:
            if s == t or not nx.has_path(h, s, t):
                continue
            paths = list(nx.all_shortest_paths(h, s, t, weight="w"))
            p = math.exp(-nx.path_weight(h, paths[0], "w"))
            for path in paths:
                for x, y in zip(path[:-1], path[1:], strict=True):
                    key = (min(x, y), max(x, y))
                    flow[key] = flow.get(key, 0) + a[s] * a[t] * p / len(paths)
    for (u, v), row in ci.iterrows():
        assert row["flow"] == pytest.approx(flow.get((min(u, v), max(u, v)), 0.0), rel=1e-9,
                                            abs=1e-9)


def test_effective_resistance_matches_networkx():
    g, _ = random_patch_graph(20, 8, degree=6)
    g = g.subgraph(max(nx.connected_components(g), key=len)).copy()
    for _, _, d in g.edges(data=True):
        d["distance_m"] = max(d["distance_m"], 1.0)
        d["conductance"] = 1.0 / d["distance_m"]
    r = effective_resistance(g)
    nodes = list(g.nodes)
    for u in nodes[:5]:
        for v in nodes[-5:]:
            ref = nx.resistance_distance(g, u, v, weight="conductance", invert_weight=False)
            assert r.loc[u, v] == pytest.approx(ref, rel=1e-9)


def test_effective_resistance_is_infinite_between_components():
    g = _graph([1, 1, 1], [(0, 1, 10.0)])
    r = effective_resistance(g)
    assert r.loc[0, 1] == pytest.approx(10.0)
    assert np.isinf(r.loc[0, 2])


def test_current_flow_centrality_matches_networkx():
    g, _ = random_patch_graph(18, 9, degree=6)
    g = g.subgraph(max(nx.connected_components(g), key=len)).copy()
    for _, _, d in g.edges(data=True):
        d["distance_m"] = max(d["distance_m"], 1.0)
        d["conductance"] = 1.0 / d["distance_m"]
    ours = current_flow_centrality(g)
    ref = nx.current_flow_betweenness_centrality(g, weight="conductance", normalized=True)
    for n in g.nodes:
        assert ours[n] == pytest.approx(ref[n], rel=1e-7, abs=1e-10)


# ------------------------------------------------------------------- bad input ---
def test_bad_inputs():
    g = _graph([1, 1], [(0, 1, 10)])
    with pytest.raises(InputValueError):
        DispersalKernel(distance_m=0.0)
    with pytest.raises(InputValueError):
        DispersalKernel(distance_m=100.0, probability=1.0)
    with pytest.raises(InputValueError):
        probability_of_connectivity(g, kernel=HALF_AT_100, landscape_area_m2=0.0)
    with pytest.raises(InputValueError):
        probability_of_connectivity(g, kernel=0.5, landscape_area_m2=10.0)
    with pytest.raises(InputValueError):
        node_importance(g)  # PC without kernel
    with pytest.raises(InputValueError):
        node_importance(g, kernel=HALF_AT_100, index="XYZ")
    with pytest.raises(InputValueError):
        node_importance(g, kernel=HALF_AT_100, epsilon=1.5)
    with pytest.raises(InputValueError):
        components_at(g, max_distance_m=0.0)
    with pytest.raises(EmptyLayerError):
        probability_of_connectivity(nx.Graph(), kernel=HALF_AT_100, landscape_area_m2=1.0)
    bad = _graph([1, -1], [])
    with pytest.raises(InputValueError):
        node_importance(bad, kernel=HALF_AT_100)
    no_len = nx.Graph()
    no_len.add_nodes_from([(0, {"attribute": 1.0}), (1, {"attribute": 1.0})])
    no_len.add_edge(0, 1)
    with pytest.raises(InputValueError):
        node_importance(no_len, kernel=HALF_AT_100)
    with pytest.raises(InputValueError):
        node_importance(nx.DiGraph(g), kernel=HALF_AT_100)


def test_zero_length_links_are_kept():
    # touching patches (distance 0) are fully connected: p = 1
    g = _graph([1.0, 2.0, 3.0], [(0, 1, 0.0), (1, 2, 0.0)])
    res = probability_of_connectivity(g, kernel=HALF_AT_100, landscape_area_m2=6.0)
    assert res.value == pytest.approx(1.0)
    num, ref = importance_nx(g, HALF_AT_100.k)
    imp = node_importance(g, kernel=HALF_AT_100)
    np.testing.assert_allclose(imp.values, np.array([ref[n] for n in imp.index]), atol=1e-9)
