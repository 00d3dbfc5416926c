"""Benchmark: PC + all dPC fractions, urbanrisk vs a plain networkx implementation.

Random patch landscapes (circular patches, random radii 10-150 m, uniform positions, the
landscape side growing with sqrt(n) so density stays constant); links between patches
whose edge-to-edge distance is under a threshold chosen for ~20 links per patch; kernel
p = 0.5 at half the threshold (Conefor's convention). Both sides compute the exact dPC
(intra, flux, connector) of every patch.

The networkx way is what a user writes today (and what Conefor does): the PC numerator by
all-pairs Dijkstra on -ln p, then once more for the landscape without each patch in turn.
It is far too slow to finish, so it is timed on a few removals and extrapolated to all n
(said in the output). Values are compared on those removals (relative 1e-9).

The previous engine (one Dijkstra per removal over the affected subtree, with a heap) is
kept as ``node_terms(..., legacy=True)``; with ``--legacy`` (default for <= 2,000 patches)
it is run on the same landscape and every dPC value is compared (relative to its dPC).

Usage::

    .venv/bin/python benchmarks/bench_connectivity.py                 # 500 patches
    .venv/bin/python benchmarks/bench_connectivity.py 2000 5000       # both sizes
    .venv/bin/python benchmarks/bench_connectivity.py 5000 --legacy   # also time the old engine
"""

from __future__ import annotations

import functools
import math
import sys
import time
from unittest import mock

import geopandas as gpd
import networkx as nx
import numpy as np

from urbanrisk.green import DispersalKernel, _engine, node_importance, patch_graph
from urbanrisk.green import metrics as _metrics


def landscape(n: int, seed: int = 42, links: float = 20.0):
    rng = np.random.default_rng(seed)
    side = 400.0 * math.sqrt(n)
    xy = rng.uniform(0, side, (n, 2))
    r = rng.uniform(10, 150, n)
    geoms = gpd.points_from_xy(xy[:, 0], xy[:, 1]).buffer(r, quad_segs=4)
    # expected edge-to-edge neighbours within t: n/side^2 * pi * (t + r_i + r_j)^2
    mean_r = 80.0
    thr = max(math.sqrt(links * side**2 / (math.pi * n)) - 2 * mean_r, 10.0)
    patches = gpd.GeoDataFrame(
        {"patch_id": np.arange(n), "area_m2": geoms.area, "attribute": geoms.area},
        geometry=geoms, crs=3067)
    g = patch_graph(patches, max_distance_m=thr)
    return g, thr


def nx_numerator(g: nx.Graph, a: dict, k: float) -> float:
    total = 0.0
    for s, lengths in nx.all_pairs_dijkstra_path_length(g, weight="w"):
        for t, d in lengths.items():
            total += a[s] * a[t] * math.exp(-d)
    return total


def nx_importance_of(g: nx.Graph, a: dict, k: float, num: float, node) -> tuple:
    """dPC, intra, flux, connector of one node, the plain networkx way."""
    h = g.copy()
    h.remove_node(node)
    rest = nx_numerator(h, a, k)
    d = 100.0 * (num - rest) / num
    intra = 100.0 * a[node] ** 2 / num
    lengths = nx.single_source_dijkstra_path_length(g, node, weight="w")
    flux = 200.0 * a[node] * sum(a[t] * math.exp(-dd) for t, dd in lengths.items()
                                 if t != node) / num
    return d, intra, flux, d - intra - flux


def legacy_importance(g, kernel):
    """node_importance through the previous engine (per-removal Dijkstra with a heap)."""
    old = functools.partial(_engine.node_terms, legacy=True)
    with mock.patch.object(_metrics, "node_terms", old):
        return node_importance(g, kernel=kernel)


def run(n: int, removals: int, legacy: bool) -> None:
    g, thr = landscape(n)
    kernel = DispersalKernel(distance_m=thr / 2, probability=0.5)
    degree = 2 * g.number_of_edges() / n
    print(f"\n== {n} patches, threshold {thr:.0f} m, {degree:.1f} links per patch, "
          f"kernel p=0.5 at {thr / 2:.0f} m ==")
    # warm-up (numba JIT; compiled code is cached on disk after the first run)
    node_importance(g.subgraph(list(g.nodes)[:30]).copy(), kernel=kernel)
    t0 = time.perf_counter()
    ours = node_importance(g, kernel=kernel)
    t_ours = time.perf_counter() - t0
    print(f"urbanrisk  PC + dPC (intra, flux, connector) for all {n} patches: {t_ours:.2f} s")
    if legacy:
        t0 = time.perf_counter()
        prev = legacy_importance(g, kernel)
        t_prev = time.perf_counter() - t0
        diff = np.abs(ours.to_numpy() - prev.to_numpy()) / prev[["dPC"]].to_numpy()
        print(f"previous   engine (per-removal Dijkstra, heap): {t_prev:.2f} s -> speed-up "
              f"{t_prev / t_ours:.1f}x; every dPC fraction, max diff relative to its dPC "
              f"{diff.max():.1e} (numerator rel. diff "
              f"{abs(ours.attrs['numerator'] / prev.attrs['numerator'] - 1):.1e})")

    h = nx.Graph()
    h.add_nodes_from(g.nodes)
    h.add_edges_from((u, v, {"w": kernel.k * d}) for u, v, d in g.edges(data="distance_m"))
    a = nx.get_node_attributes(g, "attribute")
    sample = list(ours.sort_values("dPCconnector", ascending=False).index[:removals])
    if n <= 1000:
        t0 = time.perf_counter()
        num = nx_numerator(h, a, kernel.k)
        t_apsp = time.perf_counter() - t0
        t0 = time.perf_counter()
        ref = {node: nx_importance_of(h, a, kernel.k, num, node) for node in sample}
        t_rem = (time.perf_counter() - t0) / len(sample)
        t_nx = t_apsp + n * t_rem
        print(f"networkx   all-pairs Dijkstra once: {t_apsp:.2f} s; one removal: {t_rem:.2f} s "
              f"(measured on {len(sample)} removals) -> all {n} removals EXTRAPOLATED: "
              f"{t_nx:.0f} s")
        rel = abs(num - ours.attrs["numerator"]) / num
        worst = 0.0
        for node, vals in ref.items():
            got = ours.loc[node].to_numpy()
            scale = abs(vals[0])
            worst = max(worst, float(np.max(np.abs(got - np.array(vals)))) / scale)
        print(f"agreement  PC numerator rel. diff {rel:.1e}; dPC fractions of the "
              f"{len(sample)} checked patches max rel. diff (to their dPC) {worst:.1e}")
    else:
        # all-pairs in networkx takes minutes here: time single-source runs and scale
        rng = np.random.default_rng(0)
        srcs = rng.choice(list(h.nodes), size=40, replace=False)
        t0 = time.perf_counter()
        for s in srcs:
            nx.single_source_dijkstra_path_length(h, s, weight="w")
        t_ss = (time.perf_counter() - t0) / len(srcs)
        t_nx = (n + 1) * n * t_ss
        print(f"networkx   one single-source Dijkstra: {t_ss * 1e3:.1f} ms (mean of 40) -> "
              f"(n + 1) x n runs EXTRAPOLATED: {t_nx:.0f} s")
        # values: check the numerator and the dPC of the top connector by scipy all-pairs
        from scipy.sparse import csgraph

        w = nx.to_scipy_sparse_array(h, nodelist=list(g.nodes), weight="w", format="csr")
        av = np.array([a[x] for x in g.nodes])

        def numerator(wm, av_):
            tot = 0.0
            for lo in range(0, wm.shape[0], 500):
                d = csgraph.dijkstra(wm, directed=False, indices=np.arange(
                    lo, min(lo + 500, wm.shape[0])))
                tot += float(av_[lo:lo + 500] @ (np.exp(-d) @ av_))
            return tot

        num = numerator(w, av)
        node = sample[0]
        idx = list(g.nodes).index(node)
        keep = np.setdiff1d(np.arange(n), [idx])
        rest = numerator(w[keep][:, keep], av[keep])
        d_ref = 100.0 * (num - rest) / num
        print(f"agreement  (scipy all-pairs reference) PC numerator rel. diff "
              f"{abs(num - ours.attrs['numerator']) / num:.1e}; dPC of patch {node} rel. diff "
              f"{abs(d_ref - ours.loc[node, 'dPC']) / d_ref:.1e}")
    print(f"ratio      networkx / urbanrisk = {t_nx / t_ours:,.0f}x")


if __name__ == "__main__":
    args = [x for x in sys.argv[1:] if not x.startswith("--")]
    sizes = [int(x) for x in args] or [500]
    for size in sizes:
        run(size, removals=3, legacy="--legacy" in sys.argv or size <= 2000)
