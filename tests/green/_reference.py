"""Slow, obvious reference implementations (networkx) used to check urbanrisk.green."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np


def pc_numerator_nx(g: nx.Graph, k: float, *, attribute="attribute", distance="distance_m"):
    """sum_i sum_j a_i a_j p*_ij with networkx all-pairs Dijkstra on -ln p = k d."""
    h = nx.Graph()
    h.add_nodes_from(g.nodes)
    for x, y, data in g.edges(data=True):
        if x != y:
            h.add_edge(x, y, w=k * data[distance])
    a = {n: g.nodes[n][attribute] for n in g.nodes}
    total = 0.0
    for s, lengths in nx.all_pairs_dijkstra_path_length(h, weight="w"):
        for t, dd in lengths.items():
            total += a[s] * a[t] * math.exp(-dd)
    return total


def iic_numerator_nx(g: nx.Graph, *, attribute="attribute"):
    a = {n: g.nodes[n][attribute] for n in g.nodes}
    total = 0.0
    for s, lengths in nx.all_pairs_shortest_path_length(g):
        for t, nl in lengths.items():
            total += a[s] * a[t] / (1.0 + nl)
    return total


def _weighted(g: nx.Graph, k: float) -> nx.Graph:
    h = nx.Graph()
    h.add_nodes_from(g.nodes)
    h.add_edges_from((x, y, {"w": k * d["distance_m"]}) for x, y, d in g.edges(data=True)
                     if x != y)
    return h


def importance_nx(g: nx.Graph, k: float | None, *, index="PC", attribute="attribute"):
    """dPC / dIIC and fractions by removing each node in turn (Saura & Rubio 2010)."""
    num = pc_numerator_nx(g, k) if index == "PC" else iic_numerator_nx(g)
    a = {n: g.nodes[n][attribute] for n in g.nodes}
    h = _weighted(g, k) if index == "PC" else g
    out = {}
    for node in g.nodes:
        rest_g = g.copy()
        rest_g.remove_node(node)
        rest = pc_numerator_nx(rest_g, k) if index == "PC" else iic_numerator_nx(rest_g)
        d = 100.0 * (num - rest) / num
        intra = 100.0 * a[node] ** 2 / num
        if index == "PC":
            lengths = nx.single_source_dijkstra_path_length(h, node, weight="w")
            reach = sum(a[t] * math.exp(-dd) for t, dd in lengths.items() if t != node)
        else:
            lengths = nx.single_source_shortest_path_length(h, node)
            reach = sum(a[t] / (1.0 + nl) for t, nl in lengths.items() if t != node)
        flux = 100.0 * 2 * a[node] * reach / num
        out[node] = (d, intra, flux, d - intra - flux)
    return num, out


def random_patch_graph(n: int, seed: int, *, degree: float = 6.0, side: float = 10_000.0):
    """Random circular patches in a square; edges between patches whose edge-to-edge
    distance is below a threshold giving about ``degree`` links per patch."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, side, size=(n, 2))
    r = rng.uniform(10, 150, size=n)
    area = math.pi * r**2
    thr = math.sqrt(degree / (math.pi * n)) * side
    g = nx.Graph()
    for i in range(n):
        g.add_node(i, attribute=float(area[i] * rng.uniform(0.5, 1.0)))
    for i in range(n):
        dc = np.hypot(*(xy - xy[i]).T)
        de = np.maximum(dc - r - r[i], 0.0)
        for j in np.flatnonzero((de <= thr) & (np.arange(n) > i)):
            g.add_edge(i, int(j), distance_m=float(de[j]))
    return g, thr
