"""Compiled core of the priority-flood (numba). Private: call :mod:`urbanrisk.coast.inundation`."""

from __future__ import annotations

import numpy as np
from numba import njit

_OFF4 = np.array([[-1, 0], [1, 0], [0, -1], [0, 1]], dtype=np.int64)
_OFF8 = np.array(
    [[-1, 0], [1, 0], [0, -1], [0, 1], [-1, -1], [-1, 1], [1, -1], [1, 1]], dtype=np.int64
)


@njit(cache=True, nogil=True)
def _heap_push(keys, idx, size, k, i):
    # Binary min-heap on parallel arrays; returns the new size.
    pos = size
    keys[pos] = k
    idx[pos] = i
    while pos > 0:
        parent = (pos - 1) >> 1
        if keys[parent] <= keys[pos]:
            break
        keys[parent], keys[pos] = keys[pos], keys[parent]
        idx[parent], idx[pos] = idx[pos], idx[parent]
        pos = parent
    return size + 1


@njit(cache=True, nogil=True)
def _heap_pop(keys, idx, size):
    # Returns (key, index, new size) of the smallest key.
    k0 = keys[0]
    i0 = idx[0]
    size -= 1
    if size > 0:
        keys[0] = keys[size]
        idx[0] = idx[size]
        pos = 0
        while True:
            left = 2 * pos + 1
            if left >= size:
                break
            child = left
            right = left + 1
            if right < size and keys[right] < keys[left]:
                child = right
            if keys[pos] <= keys[child]:
                break
            keys[pos], keys[child] = keys[child], keys[pos]
            idx[pos], idx[child] = idx[child], idx[pos]
            pos = child
    return k0, i0, size


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
            size = _heap_push(keys, idx, size, sk[i], i)
    noff = offsets.shape[0]
    while size > 0 or head < tail:
        if head < tail:
            c = pit[head]
            head += 1
            level = out[c]
        else:
            level, c, size = _heap_pop(keys, idx, size)
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
                size = _heap_push(keys, idx, size, zf[j], j)
