"""Numba kernels for exact cell coverage of polygons and exact splitting of lines.

Everything here works in *grid index space*: a point ``(x, y)`` maps to
``u = (x - x0) / dx`` and ``v = (y - y0) / dy``, so cell ``(row, col)`` is the unit
square ``[col, col + 1) x [row, row + 1)``. An affine map scales every area by the same
factor, so the area of a polygon inside a unit cell *is* the cell's coverage fraction.

Coverage of a polygon ring inside a cell is computed by Sutherland-Hodgman clipping of
the ring against the cell's four half-planes (first the row strip, then each column of
the strip) and the shoelace area of the result. Clipping a possibly concave ring against
a convex window can leave zero-width "bridges" along the window edge, but those add no
area, so the area is exact (up to floating point). Holes are subtracted.
"""

from __future__ import annotations

import math

import numba
import numpy as np


@numba.njit(cache=True, inline="always")
def _clip_half(xs, ys, n, axis, bound, keep_ge, ox, oy):  # pragma: no cover - numba
    """Clip a closed ring (n vertices, last not repeated) to one axis-aligned half-plane."""
    m = 0
    if n == 0:
        return 0
    px = xs[n - 1]
    py = ys[n - 1]
    pc = px if axis == 0 else py
    pin = pc >= bound if keep_ge else pc <= bound
    for i in range(n):
        cx = xs[i]
        cy = ys[i]
        cc = cx if axis == 0 else cy
        cin = cc >= bound if keep_ge else cc <= bound
        if cin != pin:
            t = (bound - pc) / (cc - pc)
            if axis == 0:
                ox[m] = bound
                oy[m] = py + t * (cy - py)
            else:
                ox[m] = px + t * (cx - px)
                oy[m] = bound
            m += 1
        if cin:
            ox[m] = cx
            oy[m] = cy
            m += 1
        px = cx
        py = cy
        pc = cc
        pin = cin
    return m


@numba.njit(cache=True, inline="always")
def _shoelace(xs, ys, n):  # pragma: no cover - numba
    if n < 3:
        return 0.0
    s = 0.0
    x0 = xs[0]
    y0 = ys[0]
    for i in range(1, n - 1):
        s += (xs[i] - x0) * (ys[i + 1] - y0) - (xs[i + 1] - x0) * (ys[i] - y0)
    return 0.5 * s


def thread_count() -> int:
    """Numba's thread count (``numba.get_num_threads()``, about a millisecond a call)."""
    return int(numba.get_num_threads())


def block_count(n: int, threads: int | None = None) -> int:
    """Blocks of geometries for :func:`polygon_stats`: a few per numba thread.

    ``threads`` defaults to :func:`thread_count` (pass it when calling for many windows).
    """
    return max(1, min(n, 8 * (threads or thread_count())))


@numba.njit(cache=True, inline="always")
def _ring_into(
    xs, ys, n, sign, gr0, gc0, gnr, gnc, ny, nx, out, base, b1x, b1y, b2x, b2y, b3x, b3y,
    b4x, b4y,
):  # pragma: no cover - numba
    """Add ``sign`` x the area of one ring inside each cell of a geometry's bbox to ``out``.

    The bbox has its first cell at ``(gr0, gc0)`` and ``gnr x gnc`` cells, stored row-major
    from ``out[base]``; the ring (``n`` vertices in index space, last not repeated) is
    clipped to each row strip, then to each column of the strip.
    """
    vmin = ys[0]
    vmax = ys[0]
    for k in range(1, n):
        if ys[k] < vmin:
            vmin = ys[k]
        if ys[k] > vmax:
            vmax = ys[k]
    r0 = max(int(math.floor(vmin)), gr0)
    r1 = min(int(math.ceil(vmax)), gr0 + gnr, ny)
    c_lo = gc0
    c_hi = min(gc0 + gnc, nx)
    for row in range(r0, r1):
        n1 = _clip_half(xs, ys, n, 1, float(row), True, b1x, b1y)
        n2 = _clip_half(b1x, b1y, n1, 1, float(row + 1), False, b2x, b2y)
        if n2 < 3:
            continue
        umin = b2x[0]
        umax = b2x[0]
        for k in range(1, n2):
            if b2x[k] < umin:
                umin = b2x[k]
            if b2x[k] > umax:
                umax = b2x[k]
        c0 = max(int(math.floor(umin)), c_lo)
        c1 = min(int(math.ceil(umax)), c_hi)
        if c1 - c0 == 1 and umin >= c0 and umax <= c0 + 1:
            a = abs(_shoelace(b2x, b2y, n2))
            out[base + (row - gr0) * gnc + (c0 - gc0)] += sign * a
            continue
        for col in range(c0, c1):
            n3 = _clip_half(b2x, b2y, n2, 0, float(col), True, b3x, b3y)
            n4 = _clip_half(b3x, b3y, n3, 0, float(col + 1), False, b4x, b4y)
            a = abs(_shoelace(b4x, b4y, n4))
            if a > 0.0:
                out[base + (row - gr0) * gnc + (col - gc0)] += sign * a


@numba.njit(cache=True)
def polygon_coverage(
    u, v, ring_start, ring_stop, ring_geom, ring_hole, geom_r0, geom_c0, geom_nr, geom_nc,
    geom_off, ny, nx, out_row, out_col, out_cov,
):  # pragma: no cover - numba
    """Fill ``out_*`` with the coverage of every cell in each geometry's (clipped) bbox.

    ``geom_off[g]`` is where geometry ``g``'s ``geom_nr[g] * geom_nc[g]`` cells start in the
    outputs. Rings are given by ``[ring_start, ring_stop)`` into ``u, v`` without the
    closing vertex; ``ring_hole`` marks interior rings (subtracted).
    """
    ngeom = geom_off.shape[0]
    for g in range(ngeom):
        base = geom_off[g]
        nc = geom_nc[g]
        for i in range(geom_nr[g]):
            for j in range(nc):
                out_row[base + i * nc + j] = geom_r0[g] + i
                out_col[base + i * nc + j] = geom_c0[g] + j
                out_cov[base + i * nc + j] = 0.0
    maxn = 0
    for r in range(ring_start.shape[0]):
        if ring_stop[r] - ring_start[r] > maxn:
            maxn = ring_stop[r] - ring_start[r]
    size = 2 * maxn + 16
    b1x = np.empty(size)
    b1y = np.empty(size)
    b2x = np.empty(size)
    b2y = np.empty(size)
    b3x = np.empty(size)
    b3y = np.empty(size)
    b4x = np.empty(size)
    b4y = np.empty(size)
    for r in range(ring_start.shape[0]):
        g = ring_geom[r]
        if geom_nr[g] == 0 or geom_nc[g] == 0:
            continue
        s = ring_start[r]
        n = ring_stop[r] - s
        if n < 3:
            continue
        sign = -1.0 if ring_hole[r] else 1.0
        _ring_into(u[s : s + n], v[s : s + n], n, sign, geom_r0[g], geom_c0[g], geom_nr[g],
                   geom_nc[g], ny, nx, out_cov, geom_off[g], b1x, b1y, b2x, b2y, b3x, b3y,
                   b4x, b4y)
    for k in range(out_cov.shape[0]):
        c = out_cov[k]
        if c < 1e-12:
            out_cov[k] = 0.0
        elif c > 1.0:
            out_cov[k] = 1.0


@numba.njit(cache=True, nogil=True)
def _stats_block(
    blk, nblocks, u, v, ring_start, ring_stop, ring_hole, geom_ring_off, geoms, geom_r0,
    geom_c0, geom_nr, geom_nc, ny, nx, data, win_r0, win_c0, nodata_as, use_nodata,
    threshold, wsum, vsum, wet, wet_sum, vmax, vmin, touched,
):  # pragma: no cover - numba
    """Block ``blk`` of ``nblocks`` of :func:`polygon_stats` (geometries ``lo:hi``)."""
    nb = data.shape[0]
    ngeo = geoms.shape[0]
    lo = blk * ngeo // nblocks
    hi = (blk + 1) * ngeo // nblocks
    maxcells = 1
    maxn = 1
    for q in range(lo, hi):
        g = geoms[q]
        if geom_nr[g] * geom_nc[g] > maxcells:
            maxcells = geom_nr[g] * geom_nc[g]
        for r in range(geom_ring_off[g], geom_ring_off[g + 1]):
            if ring_stop[r] - ring_start[r] > maxn:
                maxn = ring_stop[r] - ring_start[r]
    size = 2 * maxn + 16
    cov = np.empty(maxcells)
    b1x = np.empty(size)
    b1y = np.empty(size)
    b2x = np.empty(size)
    b2y = np.empty(size)
    b3x = np.empty(size)
    b3y = np.empty(size)
    b4x = np.empty(size)
    b4y = np.empty(size)
    for q in range(lo, hi):
        g = geoms[q]
        gnr = geom_nr[g]
        gnc = geom_nc[g]
        if gnr == 0 or gnc == 0:
            continue
        for k in range(gnr * gnc):
            cov[k] = 0.0
        for r in range(geom_ring_off[g], geom_ring_off[g + 1]):
            s = ring_start[r]
            n = ring_stop[r] - s
            if n < 3:
                continue
            sign = -1.0 if ring_hole[r] else 1.0
            _ring_into(u[s : s + n], v[s : s + n], n, sign, geom_r0[g], geom_c0[g], gnr,
                       gnc, ny, nx, cov, 0, b1x, b1y, b2x, b2y, b3x, b3y, b4x, b4y)
        for i in range(gnr):
            rr = geom_r0[g] + i - win_r0
            for j in range(gnc):
                c = cov[i * gnc + j]
                if c < 1e-12:
                    continue
                if c > 1.0:
                    c = 1.0
                touched[g] = True
                cc = geom_c0[g] + j - win_c0
                for b in range(nb):
                    x = np.float64(data[b, rr, cc])
                    if use_nodata and x != x:
                        x = nodata_as
                    if x != x:
                        continue
                    wsum[b, g] += c
                    vsum[b, g] += c * x
                    if x > threshold:
                        wet[b, g] += c
                        wet_sum[b, g] += c * x
                    if x > vmax[b, g]:
                        vmax[b, g] = x
                    if x < vmin[b, g]:
                        vmin[b, g] = x


@numba.njit(cache=True, nogil=True)
def polygon_stats(
    u, v, ring_start, ring_stop, ring_hole, geom_ring_off, geoms, geom_r0, geom_c0, geom_nr,
    geom_nc, ny, nx, data, win_r0, win_c0, nodata_as, use_nodata, threshold, nblocks,
    wsum, vsum, wet, wet_sum, vmax, vmin, touched,
):  # pragma: no cover - numba
    """Coverage-weighted sums of every band over each geometry, without storing coverage.

    For each geometry index in ``geoms`` the exact coverage of the cells of its bbox is
    computed as :func:`polygon_coverage` does (same arithmetic, same clamping), then the
    cells with coverage ``c > 0`` are visited in row-major order and, per band ``b`` of
    ``data`` (a ``(k, h, w)`` window whose first cell is ``(win_r0, win_c0)`` of the grid),
    with ``x`` the cell value (NaN replaced by ``nodata_as`` when ``use_nodata``):
    ``wsum += c`` and ``vsum += c*x`` for valid ``x``, ``wet += c`` and ``wet_sum += c*x``
    where ``x > threshold``, ``vmax``/``vmin`` the extremes of valid ``x``; ``touched``
    marks geometries with any covered cell. Sums run in the order ``numpy.bincount`` runs
    over the coverage table, so the results equal the table-based route bit for bit.
    Geometries are independent: they are split into ``nblocks`` blocks
    (:func:`block_count`), run in parallel by :func:`polygon_stats_parallel`, one after the
    other here (the windowed reader keeps the second core busy reading the next window).
    """
    nblocks = max(1, min(geoms.shape[0], nblocks))
    for blk in range(nblocks):
        _stats_block(
            blk, nblocks, u, v, ring_start, ring_stop, ring_hole, geom_ring_off, geoms,
            geom_r0, geom_c0, geom_nr, geom_nc, ny, nx, data, win_r0, win_c0, nodata_as,
            use_nodata, threshold, wsum, vsum, wet, wet_sum, vmax, vmin, touched,
        )


@numba.njit(cache=True, parallel=True, nogil=True)
def polygon_stats_parallel(
    u, v, ring_start, ring_stop, ring_hole, geom_ring_off, geoms, geom_r0, geom_c0, geom_nr,
    geom_nc, ny, nx, data, win_r0, win_c0, nodata_as, use_nodata, threshold, nblocks,
    wsum, vsum, wet, wet_sum, vmax, vmin, touched,
):  # pragma: no cover - numba
    """:func:`polygon_stats` with its blocks of geometries run in parallel."""
    nblocks = max(1, min(geoms.shape[0], nblocks))
    for blk in numba.prange(nblocks):
        _stats_block(
            blk, nblocks, u, v, ring_start, ring_stop, ring_hole, geom_ring_off, geoms,
            geom_r0, geom_c0, geom_nr, geom_nc, ny, nx, data, win_r0, win_c0, nodata_as,
            use_nodata, threshold, wsum, vsum, wet, wet_sum, vmax, vmin, touched,
        )


@numba.njit(cache=True)
def line_pieces(u0, v0, u1, v1, seg_len, seg_off, ny, nx, out_row, out_col, out_len):
    """Split each segment at every grid line it crosses.

    Segment ``s`` runs from ``(u0, v0)`` to ``(u1, v1)`` in index space and is
    ``seg_len[s]`` metres long. Its pieces go to ``out_*[seg_off[s]:seg_off[s+1]]``
    (unused slots keep length 0). A piece lying outside the grid gets row = col = -1.
    A piece lying exactly on a grid line is assigned by the floor of its midpoint, i.e.
    to the cell with the larger index.
    """  # pragma: no cover - numba
    nseg = u0.shape[0]
    for s in range(nseg):
        a = seg_off[s]
        b = seg_off[s + 1]
        for k in range(a, b):
            out_row[k] = -1
            out_col[k] = -1
            out_len[k] = 0.0
        du = u1[s] - u0[s]
        dv = v1[s] - v0[s]
        m = b - a
        ts = np.empty(m + 1)
        nt = 0
        ts[nt] = 0.0
        nt += 1
        if du != 0.0:
            lo = min(u0[s], u1[s])
            hi = max(u0[s], u1[s])
            k0 = int(math.floor(lo)) + 1
            k1 = int(math.ceil(hi)) - 1
            for kk in range(k0, k1 + 1):
                if nt < m + 1:
                    ts[nt] = (kk - u0[s]) / du
                    nt += 1
        if dv != 0.0:
            lo = min(v0[s], v1[s])
            hi = max(v0[s], v1[s])
            k0 = int(math.floor(lo)) + 1
            k1 = int(math.ceil(hi)) - 1
            for kk in range(k0, k1 + 1):
                if nt < m + 1:
                    ts[nt] = (kk - v0[s]) / dv
                    nt += 1
        tt = np.sort(ts[:nt])
        idx = a
        for p in range(nt):
            t_start = tt[p]
            t_end = tt[p + 1] if p + 1 < nt else 1.0
            if t_end <= t_start:
                continue
            tm = 0.5 * (t_start + t_end)
            uc = u0[s] + tm * du
            vc = v0[s] + tm * dv
            col = int(math.floor(uc))
            row = int(math.floor(vc))
            if idx >= b:
                break
            if 0 <= row < ny and 0 <= col < nx:
                out_row[idx] = row
                out_col[idx] = col
            out_len[idx] = (t_end - t_start) * seg_len[s]
            idx += 1
