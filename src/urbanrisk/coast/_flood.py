"""Compiled core of the priority-flood (numba). Private: call :mod:`urbanrisk.coast.inundation`."""

from __future__ import annotations

import numba
import numpy as np
from numba import njit

from urbanrisk._heap import heap_pop, heap_push, packed_pop, packed_push

_OFF4 = np.array([[-1, 0], [1, 0], [0, -1], [0, 1]], dtype=np.int64)
_OFF8 = np.array(
    [[-1, 0], [1, 0], [0, -1], [0, 1], [-1, -1], [-1, 1], [1, -1], [1, 1]], dtype=np.int64
)


def priority_flood(z, seed_keys, offsets):
    """Minimax ("spill") level from the seeds to every cell.

    ``z`` is a 2-D float array with NaN for cells water cannot enter; ``seed_keys`` has the
    same shape and holds the starting level of each seed cell (NaN for non-seeds). The
    result holds, for every reachable cell, the lowest level L such that a path of cells with
    height <= L joins it to a seed (the path maximum of ``z``, minimised over paths), +inf for
    unreachable cells and NaN for NaN cells. Improved Priority-Flood of Barnes, Lehman & Mulla
    (2014, Algorithm 2): cells below the current level go to a plain FIFO queue instead of
    the heap.
    """
    z = np.ascontiguousarray(z)
    ny, nx = z.shape
    n = ny * nx
    itype = np.int32 if n < 2**31 - 1 else np.int64
    out = np.full(n, np.inf, dtype=z.dtype)
    if z.dtype == np.float32 and (ny + 2) * (nx + 2) < 2**31 - 1:
        # float32 heights: a NaN-padded grid (no bounds checks, linear neighbour offsets) and
        # a heap of single uint64 words (order-preserving key bits << 32 | cell index)
        zp = np.pad(z, 1, constant_values=np.nan).ravel()
        sp = np.pad(np.asarray(seed_keys, dtype=np.float32), 1, constant_values=np.nan).ravel()
        npad = zp.size
        outp = np.full(npad, np.inf, dtype=np.float32)
        lin = (offsets[:, 0] * (nx + 2) + offsets[:, 1]).astype(np.int64)
        _flood_packed(zp, sp, zp.view(np.uint32), sp.view(np.uint32), lin, outp,
                      np.zeros(npad, dtype=np.bool_), np.empty(npad, dtype=np.uint64),
                      np.empty(npad, dtype=np.int32))
        return outp.reshape(ny + 2, nx + 2)[1:-1, 1:-1].copy()
    _flood(
        z.ravel(),
        np.ascontiguousarray(seed_keys, dtype=z.dtype).ravel(),
        ny,
        nx,
        offsets,
        out,
        np.zeros(n, dtype=np.bool_),
        np.empty(n, dtype=z.dtype),
        np.empty(n, dtype=itype),
        np.empty(n, dtype=itype),
    )
    return out.reshape(ny, nx)


@njit(cache=True, nogil=True)
def _flood(zf, sk, ny, nx, offsets, out, closed, keys, idx, pit):
    n = ny * nx
    size = 0
    head = 0
    tail = 0
    for i in range(n):
        if np.isnan(zf[i]):
            closed[i] = True
            out[i] = np.nan
        elif not np.isnan(sk[i]):
            closed[i] = True
            out[i] = sk[i]
            size = heap_push(keys, idx, size, sk[i], i)
    noff = offsets.shape[0]
    while size > 0 or head < tail:
        if head < tail:
            c = pit[head]
            head += 1
            level = out[c]
        else:
            level, c, size = heap_pop(keys, idx, size)
        r = c // nx
        q = c - r * nx
        for k in range(noff):
            rr = r + offsets[k, 0]
            qq = q + offsets[k, 1]
            if rr < 0 or rr >= ny or qq < 0 or qq >= nx:
                continue
            j = rr * nx + qq
            if closed[j]:
                continue
            closed[j] = True
            if zf[j] <= level:
                out[j] = level
                pit[tail] = j
                tail += 1
            else:
                out[j] = zf[j]
                size = heap_push(keys, idx, size, zf[j], j)


@njit(cache=True, nogil=True, inline="always")
def _ordered(bits):
    """float32 bit pattern → uint64 whose unsigned order is the float order (NaN aside)."""
    b = np.uint64(bits)
    if b >> np.uint64(31):
        return (~b) & np.uint64(0xFFFFFFFF)
    return b | np.uint64(0x80000000)


@njit(cache=True, nogil=True)
def _flood_packed(zf, sk, zord, skord, lin, out, closed, heap, pit):
    n = zf.size
    low = np.uint64(0xFFFFFFFF)
    shift = np.uint64(32)
    size = 0
    head = 0
    tail = 0
    for i in range(n):
        if np.isnan(zf[i]):
            closed[i] = True
            out[i] = np.nan
        elif not np.isnan(sk[i]):
            closed[i] = True
            out[i] = sk[i]
            size = packed_push(heap, size, (_ordered(skord[i]) << shift) | np.uint64(i))
    noff = lin.size
    while size > 0 or head < tail:
        if head < tail:
            c = np.int64(pit[head])
            head += 1
        else:
            top, size = packed_pop(heap, size)
            c = np.int64(top & low)
        level = out[c]
        for k in range(noff):
            j = c + lin[k]
            if closed[j]:
                continue
            closed[j] = True
            zj = zf[j]
            if zj <= level:
                out[j] = level
                pit[tail] = j
                tail += 1
            else:
                out[j] = zj
                size = packed_push(heap, size, (_ordered(zord[j]) << shift) | np.uint64(j))


# --------------------------------------------------------------------------------------
# First year reached: one pass over the cells
# --------------------------------------------------------------------------------------
_BLOCK = 4096


def first_years(conn, series, years):
    """First year with ``running max(series[k]) >= conn`` for every cell and row ``k``.

    ``conn`` is any array of connection levels (NaN: never, as are values above every
    level); ``series`` is ``(K, T)`` water levels and ``years`` their ``T`` years. Returns
    ``(K, conn.size)`` float32 years (NaN where not reached).

    All ``K`` running maxima are merged into one sorted list of distinct thresholds ``u``.
    A cell's answer for every row depends only on its rank ``#{u < c}`` (the smallest
    threshold at or above it), so a table ``rank -> year`` per row is built once
    (``K x len(u)`` binary searches) and each cell costs one binary search in ``u`` and
    ``K`` table reads, in parallel over blocks of cells.
    """
    c = np.ascontiguousarray(conn).ravel()
    cm = np.maximum.accumulate(np.asarray(series, dtype="float64"), axis=1)
    u = np.unique(cm)
    yrs = np.append(np.asarray(years, dtype="float32"), np.float32(np.nan))
    table = np.empty((u.size + 1, cm.shape[0]), dtype="float32")
    for k in range(cm.shape[0]):
        table[:, k] = yrs[np.searchsorted(cm[k], np.append(u, np.inf), side="left")]
    table[u.size, :] = np.nan  # above every threshold (and NaN cells)
    out = np.empty((cm.shape[0], c.size), dtype="float32")
    _first_years_kernel(c, u, table, out)
    return out


@njit(cache=True, nogil=True, parallel=True)
def _first_years_kernel(c, u, table, out):
    n = c.size
    nu = u.size
    nk = table.shape[1]
    nblocks = (n + _BLOCK - 1) // _BLOCK
    for b in numba.prange(nblocks):
        lo = b * _BLOCK
        hi = min(lo + _BLOCK, n)
        rank = np.empty(hi - lo, dtype=np.int64)
        for i in range(lo, hi):
            v = np.float64(c[i])
            if np.isnan(v):
                rank[i - lo] = nu
                continue
            a = 0
            z = nu
            while a < z:  # first index with u >= v
                mid = (a + z) >> 1
                if u[mid] < v:
                    a = mid + 1
                else:
                    z = mid
            rank[i - lo] = a
        for k in range(nk):
            for i in range(lo, hi):
                out[k, i] = table[rank[i - lo], k]
