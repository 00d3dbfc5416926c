"""Binary min-heaps for numba-compiled code, shared by the themes. Private.

Two forms, both on caller-owned preallocated arrays (no allocation in the hot loop) and both
returning the new size, so a caller keeps ``size`` in a local variable:

- :func:`heap_push` / :func:`heap_pop`: keys and payloads in two parallel arrays
  (``keys[i]``, ``vals[i]``). Used by the Dijkstra runs of :mod:`urbanrisk.green._engine` and
  the general priority-flood of :mod:`urbanrisk.coast._flood`.
- :func:`packed_push` / :func:`packed_pop`: one array of integer words whose unsigned order is
  the priority order (for instance ``ordered key bits << 32 | index``); about half the memory
  traffic of the parallel form. Used by the float32 priority-flood.

Ties: a pushed entry stops rising at a parent with an equal key, and a popped hole sinks to the
left child unless the right one is strictly smaller; the pop order of equal keys is therefore
deterministic for a given sequence of operations (results are bit-for-bit reproducible).

These functions are meant to be called from other ``njit`` functions only; calling them from
Python works but is slow. Numba's on-disk cache (``cache=True``) of a *caller* is not
invalidated when this module changes: after editing it, delete the ``__pycache__`` folders of
``green`` and ``coast`` (or bump the callers) before timing anything.
"""

from __future__ import annotations

from numba import njit

__all__ = ["heap_pop", "heap_push", "packed_pop", "packed_push"]


@njit(cache=True, nogil=True, inline="always")
def heap_push(keys, vals, size, key, val):
    """Push ``(key, val)`` onto the heap held in ``keys[:size]``, ``vals[:size]``.

    Parameters
    ----------
    keys, vals : numpy.ndarray
        Parallel 1-D arrays with room for at least ``size + 1`` entries.
    size : int
        Number of entries currently in the heap.
    key : float
        Priority (smallest first).
    val : int
        Payload stored with the key.

    Returns
    -------
    int
        The new size, ``size + 1``.
    """
    # explicit temporaries and no empty-heap branch in heap_pop, as green first had them: a
    # tuple-swap form with the branch measured 10-20 % slower in green's node_importance
    i = size
    keys[i] = key
    vals[i] = val
    while i > 0:
        parent = (i - 1) >> 1
        if keys[parent] <= keys[i]:
            break
        tk = keys[parent]
        keys[parent] = keys[i]
        keys[i] = tk
        tv = vals[parent]
        vals[parent] = vals[i]
        vals[i] = tv
        i = parent
    return size + 1


@njit(cache=True, nogil=True, inline="always")
def heap_pop(keys, vals, size):
    """Remove the entry with the smallest key from a non-empty heap.

    Parameters
    ----------
    keys, vals : numpy.ndarray
        The heap's parallel arrays.
    size : int
        Number of entries currently in the heap (at least 1).

    Returns
    -------
    tuple
        ``(key, val, size - 1)``.
    """
    key = keys[0]
    val = vals[0]
    size -= 1
    # a now-empty heap needs no branch: entry 0 is moved onto itself
    keys[0] = keys[size]
    vals[0] = vals[size]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and keys[child + 1] < keys[child]:
            child += 1
        if keys[i] <= keys[child]:
            break
        tk = keys[child]
        keys[child] = keys[i]
        keys[i] = tk
        tv = vals[child]
        vals[child] = vals[i]
        vals[i] = tv
        i = child
    return key, val, size


@njit(cache=True, nogil=True)
def packed_push(heap, size, word):
    """Push one packed word onto the heap held in ``heap[:size]``.

    Parameters
    ----------
    heap : numpy.ndarray
        1-D unsigned integer array with room for at least ``size + 1`` words.
    size : int
        Number of words currently in the heap.
    word : numpy.uint64
        Priority and payload in one word; smaller words pop first.

    Returns
    -------
    int
        The new size, ``size + 1``.
    """
    i = size
    while i > 0:
        parent = (i - 1) >> 1
        above = heap[parent]
        if above <= word:
            break
        heap[i] = above
        i = parent
    heap[i] = word
    return size + 1


@njit(cache=True, nogil=True)
def packed_pop(heap, size):
    """Remove the smallest word from a non-empty packed heap.

    Parameters
    ----------
    heap : numpy.ndarray
        The heap's array.
    size : int
        Number of words currently in the heap (at least 1).

    Returns
    -------
    tuple
        ``(word, size - 1)``.
    """
    top = heap[0]
    size -= 1
    if size > 0:
        word = heap[size]
        i = 0
        while True:
            child = 2 * i + 1
            if child >= size:
                break
            if child + 1 < size and heap[child + 1] < heap[child]:
                child += 1
            below = heap[child]
            if word <= below:
                break
            heap[i] = below
            i = child
        heap[i] = word
    return top, size
