"""Compiled core of the node-importance computation (PC, IIC and their dPC fractions).

For every source patch ``i`` one Dijkstra run gives the best-path "distances"
``D_ij = -ln p*_ij`` (PC, edge weights ``k d_ij``) or the topological distances ``nl_ij``
(IIC, unit weights), together with a shortest-path tree ``T_i``. That run yields the PC
(or IIC) numerator and the flux fraction of every node.

The connector fraction of a node ``k`` needs the best paths recomputed without ``k``. Only
pairs ``(i, j)`` whose tree path from ``i`` runs through ``k`` can change, i.e. ``j`` in the
subtree of ``k`` in ``T_i``; every other distance from ``i`` is unchanged. For those nodes
the new distances come from a Dijkstra restricted to the subtree (minus ``k``), seeded at
each subtree node ``u`` with ``min_x D_ix + w_xu`` over neighbours ``x`` outside the subtree
(a shortest path avoiding ``k`` enters the subtree for the last time from such an ``x``,
whose distance is unchanged). The work for source ``i`` is the sum over nodes of
``depth × degree`` instead of ``n`` full all-pairs runs.

Pairs whose best path exceeds ``limit`` (probability below ``epsilon``) are dropped; the
caller reports the resulting error bound.
"""

from __future__ import annotations

import numba
import numpy as np

from urbanrisk._heap import heap_pop, heap_push

_INF = np.inf


@numba.njit(cache=True, inline="always")
def _value(d, mode):
    # mode 0: PC, p* = exp(-D); mode 1: IIC, 1 / (1 + nl)
    if mode == 0:
        return np.exp(-d)
    return 1.0 / (1.0 + d)


@numba.njit(cache=True)
def _source_pass(
    src, indptr, indices, weights, a, limit, mode, connector,
    dist, parent, order, hk, hv, nchild, cptr, cidx, tin, tout, pre, stack, nd, settled,
    conn, sval, sidx,
):
    """One source: returns sum_j a_j value(D_src,j); adds connector terms into ``conn``."""
    # ---- Dijkstra from src --------------------------------------------------------------
    m = 0
    size = 0
    dist[src] = 0.0
    parent[src] = -1
    size = heap_push(hk, hv, size, 0.0, src)
    while size > 0:
        d, u, size = heap_pop(hk, hv, size)
        if d > dist[u] or settled[u] == 1:
            continue
        settled[u] = 1
        order[m] = u
        m += 1
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            nd_ = d + weights[e]
            if nd_ < dist[v] and nd_ <= limit:
                dist[v] = nd_
                parent[v] = u
                size = heap_push(hk, hv, size, nd_, v)
    total = 0.0
    for t in range(m):
        u = order[t]
        total += a[u] * _value(dist[u], mode)
    if connector and m > 2:
        # ---- children lists of the shortest-path tree ----------------------------------
        for t in range(m):
            nchild[order[t]] = 0
        for t in range(1, m):
            nchild[parent[order[t]]] += 1
        acc = 0
        for t in range(m):
            u = order[t]
            cptr[u] = acc
            acc += nchild[u]
            nchild[u] = 0
        for t in range(1, m):
            u = order[t]
            p = parent[u]
            cidx[cptr[p] + nchild[p]] = u
            nchild[p] += 1
        # ---- preorder numbering: subtree(k) = pre[tin[k]:tout[k]] --------------------
        sp = 0
        stack[sp] = src
        sp += 1
        c = 0
        while sp > 0:
            sp -= 1
            u = stack[sp]
            tin[u] = c
            pre[c] = u
            c += 1
            for q in range(nchild[u]):
                stack[sp] = cidx[cptr[u] + q]
                sp += 1
        # tout via reverse preorder: size of subtree
        for t in range(m - 1, -1, -1):
            u = pre[t]
            s = 1
            for q in range(nchild[u]):
                ch = cidx[cptr[u] + q]
                s += tout[ch] - tin[ch]
            tout[u] = tin[u] + s
        # entry candidates of every settled node, sorted by D_x + w_xu (insertion sort:
        # short lists); a seed is then the first candidate outside the removed subtree
        for t in range(m):
            u = order[t]
            b = indptr[u]
            for e in range(b, indptr[u + 1]):
                x = indices[e]
                val = dist[x] + weights[e] if settled[x] == 1 else _INF
                q = e
                while q > b and sval[q - 1] > val:
                    sval[q] = sval[q - 1]
                    sidx[q] = sidx[q - 1]
                    q -= 1
                sval[q] = val
                sidx[q] = x
        a_src = a[src]
        # ---- replacement distances for each internal node k --------------------------
        for t in range(1, m):
            k = pre[t]
            lo = tin[k]
            hi = tout[k]
            if hi - lo <= 1:
                continue
            size = 0
            for r in range(lo + 1, hi):
                u = pre[r]
                best = _INF
                for e in range(indptr[u], indptr[u + 1]):
                    if sval[e] == _INF:
                        break
                    tx = tin[sidx[e]]
                    if tx < lo or tx >= hi:
                        best = sval[e]
                        break
                nd[u] = best
                settled[u] = 2
                if best <= limit:
                    size = heap_push(hk, hv, size, best, u)
            while size > 0:
                d, u, size = heap_pop(hk, hv, size)
                if d > nd[u] or settled[u] == 3:
                    continue
                settled[u] = 3
                for e in range(indptr[u], indptr[u + 1]):
                    v = indices[e]
                    if settled[v] == 2:
                        nd_ = d + weights[e]
                        if nd_ < nd[v] and nd_ <= limit:
                            nd[v] = nd_
                            size = heap_push(hk, hv, size, nd_, v)
            s = 0.0
            for r in range(lo + 1, hi):
                u = pre[r]
                newv = 0.0
                if nd[u] <= limit:
                    newv = _value(nd[u], mode)
                s += a[u] * (_value(dist[u], mode) - newv)
                settled[u] = 1
            conn[k] += a_src * s
    # ---- reset the touched entries ----------------------------------------------------
    for t in range(m):
        u = order[t]
        dist[u] = _INF
        settled[u] = 0
        nd[u] = _INF
    # (every node given a finite dist was pushed, hence popped and settled: all reset)
    return total


@numba.njit(cache=True, parallel=True)
def node_terms(indptr, indices, weights, a, limit, mode, connector, nblocks):
    """Per-source sums ``s_i = sum_j a_j value(D_ij)`` and connector numerators.

    Returns ``(s, conn)``: the PC/IIC numerator is ``sum_i a_i s_i``; the flux numerator
    of ``k`` is ``2 a_k (s_k - a_k)``; ``conn[k]`` is
    ``sum_{i,j != k} a_i a_j (value(D_ij) - value(D_ij without k))``.
    """
    n = a.shape[0]
    nnz = indices.shape[0]
    s_out = np.zeros(n)
    conn_blocks = np.zeros((nblocks, n))
    for b in numba.prange(nblocks):
        dist = np.full(n, _INF)
        parent = np.full(n, -1, dtype=np.int64)
        order = np.empty(n, dtype=np.int64)
        hk = np.empty(nnz + n + 1)
        hv = np.empty(nnz + n + 1, dtype=np.int64)
        nchild = np.zeros(n, dtype=np.int64)
        cptr = np.zeros(n, dtype=np.int64)
        cidx = np.zeros(n, dtype=np.int64)
        tin = np.zeros(n, dtype=np.int64)
        tout = np.zeros(n, dtype=np.int64)
        pre = np.zeros(n, dtype=np.int64)
        stack = np.zeros(n, dtype=np.int64)
        nd = np.full(n, _INF)
        settled = np.zeros(n, dtype=np.int8)
        sval = np.empty(nnz)
        sidx = np.empty(nnz, dtype=np.int64)
        conn = conn_blocks[b]
        for src in range(b, n, nblocks):
            s_out[src] = _source_pass(
                src, indptr, indices, weights, a, limit, mode, connector,
                dist, parent, order, hk, hv, nchild, cptr, cidx, tin, tout, pre, stack,
                nd, settled, conn, sval, sidx,
            )
    conn_total = np.zeros(n)
    for b in range(nblocks):
        for i in range(n):
            conn_total[i] += conn_blocks[b, i]
    return s_out, conn_total


@numba.njit(cache=True)
def prune_dominated(indptr, indices, weights):
    """Mark links that no best path needs, with or without any single node removed.

    A link ``(u, v)`` is dropped when two different patches ``x`` and ``y`` each give a
    detour ``u - x - v`` whose two links are both strictly shorter than ``(u, v)`` and whose
    total is ``<= w_uv``. Whatever single patch is removed, one detour survives (by
    induction on link length, its own links are either kept or replaced the same way), so
    every best-path probability — in the full graph and in every graph minus one patch — is
    unchanged. Returns a boolean mask over the CSR entries (True = keep).
    """
    n = indptr.shape[0] - 1
    keep = np.ones(indices.shape[0], dtype=np.bool_)
    mark = np.full(n, np.inf)
    for u in range(n):
        for e in range(indptr[u], indptr[u + 1]):
            mark[indices[e]] = weights[e]
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            wuv = weights[e]
            count = 0
            for f in range(indptr[v], indptr[v + 1]):
                x = indices[f]
                if x == u:
                    continue
                wux = mark[x]
                wxv = weights[f]
                if wux < wuv and wxv < wuv and wux + wxv <= wuv:
                    count += 1
                    if count >= 2:
                        keep[e] = False
                        break
        for e in range(indptr[u], indptr[u + 1]):
            mark[indices[e]] = np.inf
    return keep
