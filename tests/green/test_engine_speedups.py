"""The heap-free exact-PC engine (green._engine._source_pass_pc) against the previous one.

``node_terms(..., legacy=True)`` is the per-removal Dijkstra the engine used before; both
must give the same per-source sums and connector numerators (to rounding) on any graph:
ties and zero-length links (overlapping patches), several components, chains, stars.
"""

import math

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from urbanrisk.green import DispersalKernel, node_importance
from urbanrisk.green._engine import node_terms


def _csr(n, edges):
    """Symmetric CSR (indptr, indices, weights) of ``(u, v, w)`` links, sorted indices."""
    if not edges:
        return np.zeros(n + 1, np.int64), np.zeros(0, np.int64), np.zeros(0)
    u, v, w = (np.array(x) for x in zip(*edges, strict=True))
    m = sp.coo_matrix((np.r_[w, w], (np.r_[u, v], np.r_[v, u])), shape=(n, n)).tocsr()
    m.sum_duplicates()
    m.sort_indices()
    # sum_duplicates adds parallel links; the callers keep the lightest: tests pass none
    return m.indptr.astype(np.int64), m.indices.astype(np.int64), m.data.astype(float)


def _both(n, edges, a, nblocks=2):
    indptr, indices, weights = _csr(n, edges)
    new = node_terms(indptr, indices, weights, a, math.inf, 0, True, nblocks)
    old = node_terms(indptr, indices, weights, a, math.inf, 0, True, nblocks, True)
    return new, old


def _assert_same(new, old, a):
    (s1, c1), (s0, c0) = new, old
    num = float(a @ s0)
    np.testing.assert_allclose(s1, s0, rtol=1e-13, atol=0)
    # connector numerators: equal to rounding, relative to the numerator they are part of
    np.testing.assert_allclose(c1, c0, rtol=1e-11, atol=1e-13 * num)


def test_detour_by_hand():
    # 0 -(ln 2)- 1 -(ln 2)- 2 and a direct 0 - 2 link of ln 10 (p = 0.1): p*_02 = 1/4
    # through 1; without 1 it is 0.1. connector_1 = 2 (1/4 - 1/10) = 0.3 (unit patches),
    # patches 0 and 2 are no stepping stones.
    a = np.ones(3)
    edges = [(0, 1, math.log(2)), (1, 2, math.log(2)), (0, 2, math.log(10))]
    (s, conn), old = _both(3, edges, a)
    assert s.tolist() == pytest.approx([1.75, 2.0, 1.75], rel=1e-15)
    assert conn.tolist() == pytest.approx([0.0, 0.3, 0.0], abs=1e-15)
    _assert_same((s, conn), old, a)


def test_disconnecting_removal_by_hand():
    # a star: removing the hub 0 cuts every leaf off. Leaves i != j: p*_ij = 1/4, so
    # connector_0 = 3 * 2 * 1/4 = 1.5 for 3 unit leaves.
    a = np.ones(4)
    edges = [(0, i, math.log(2)) for i in (1, 2, 3)]
    (s, conn), old = _both(4, edges, a)
    assert conn.tolist() == pytest.approx([1.5, 0.0, 0.0, 0.0], abs=1e-15)
    _assert_same((s, conn), old, a)


def test_zero_length_links_and_components():
    # overlapping patches (0-length links) give tied shortest paths; two components
    rng = np.random.default_rng(3)
    n = 40
    edges = []
    for lo, hi in ((0, 25), (25, 40)):
        for u in range(lo, hi):
            for v in range(u + 1, hi):
                if rng.random() < 0.15:
                    w = 0.0 if rng.random() < 0.2 else float(rng.choice([0.5, 1.0, 1.5]))
                    edges.append((u, v, w))
    a = rng.uniform(0.5, 3.0, n)
    new, old = _both(n, edges, a)
    _assert_same(new, old, a)
    assert new[1].max() > 0


def test_one_thread_equals_two():
    rng = np.random.default_rng(5)
    n = 60
    xy = rng.uniform(0, 10, (n, 2))
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    edges = [(u, v, float(d[u, v])) for u in range(n) for v in range(u + 1, n) if d[u, v] < 2.5]
    a = rng.uniform(1, 2, n)
    indptr, indices, weights = _csr(n, edges)
    one = node_terms(indptr, indices, weights, a, math.inf, 0, True, 1)
    two = node_terms(indptr, indices, weights, a, math.inf, 0, True, 2)
    np.testing.assert_allclose(one[0], two[0], rtol=1e-14)
    np.testing.assert_allclose(one[1], two[1], rtol=1e-12, atol=1e-14)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(2, 30),
    density=st.floats(0.05, 0.6),
    seed=st.integers(0, 2**31 - 1),
    ties=st.booleans(),
)
def test_same_as_previous_engine(n, density, seed, ties):
    rng = np.random.default_rng(seed)
    edges = []
    for u in range(n):
        for v in range(u + 1, n):
            if rng.random() < density:
                # integer weights (ties everywhere) or continuous ones, some zero
                w = float(rng.integers(0, 4)) if ties else float(rng.exponential(1.0))
                edges.append((u, v, w))
    a = rng.uniform(0.1, 5.0, n)
    new, old = _both(n, edges, a)
    _assert_same(new, old, a)


def test_node_importance_against_removal_by_removal():
    # the public function, through the new engine, against networkx removal by removal
    rng = np.random.default_rng(11)
    g = nx.random_geometric_graph(35, 0.3, seed=11)
    pos = nx.get_node_attributes(g, "pos")
    for u, v in g.edges:
        g.edges[u, v]["distance_m"] = 100.0 * math.dist(pos[u], pos[v])
    for u in g.nodes:
        g.nodes[u]["attribute"] = float(rng.uniform(1, 4))
    kernel = DispersalKernel(distance_m=10.0, probability=0.5)
    imp = node_importance(g, kernel=kernel)

    def numerator(h):
        a = nx.get_node_attributes(h, "attribute")
        tot = 0.0
        for s, lengths in nx.all_pairs_dijkstra_path_length(h, weight="distance_m"):
            tot += sum(a[s] * a[t] * math.exp(-kernel.k * d) for t, d in lengths.items())
        return tot

    num = numerator(g)
    for node in list(g.nodes)[:8]:
        h = g.copy()
        h.remove_node(node)
        d_ref = 100.0 * (num - numerator(h)) / num
        assert imp.loc[node, "dPC"] == pytest.approx(d_ref, rel=1e-10, abs=1e-12)
