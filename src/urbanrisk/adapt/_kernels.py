"""Numba kernel: footprint depth statistics for many water levels from one coverage.

The coverage (cells of every footprint, with their fractions) is computed once; for each
water level the kernel walks the covered cells, takes the connected depth there exactly
as :func:`urbanrisk.coast.inundation_depth` does (``L − z`` where ``connection <= L``, in
the heights' precision, stored as float32) and reduces it per footprint exactly as
:func:`urbanrisk.hazard.polygon_exposure` does with ``nodata_as=0`` (same products, same
summation order), so the statistics are the same numbers, bit for bit.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, inline="always")
def _round(x, f32):  # pragma: no cover - numba
    if f32:
        return np.float64(np.float32(x))
    return x


@numba.njit(cache=True)
def footprint_sums(c, frac, starts, counts):  # pragma: no cover - numba
    """Per footprint: the sum of its coverage fractions (in cell order) and lowest ``c``."""
    n_b = starts.shape[0]
    wsum = np.zeros(n_b)
    min_c = np.full(n_b, np.inf)
    for b in range(n_b):
        w = 0.0
        m = np.inf
        for j in range(starts[b], starts[b] + counts[b]):
            w += frac[j]
            if c[j] < m:
                m = c[j]
        wsum[b] = w
        min_c[b] = m
    return wsum, min_c


@numba.njit(cache=True, parallel=True)
def depth_stats(
    levels, z, c, frac, dist_km, atten, starts, counts, area, wsum, min_c, shift, z_f32,
    c_f32, out_max, out_mean, out_wet_mean, out_wet_frac,
):  # pragma: no cover - numba
    """Fill ``out_*[k, b]``: statistics of footprint ``b`` at water level ``levels[k]``.

    ``z``, ``c``, ``frac``, ``dist_km``: height, connection level, coverage fraction and
    distance from the sea of each covered cell, grouped by footprint (``starts``,
    ``counts``); ``area``: footprint area in cells; ``wsum``, ``min_c``: from
    :func:`footprint_sums`; ``shift``: height each footprint's floor is raised by (depths
    reduced by it, floored at 0); ``atten``: level drop per km from the sea.

    A footprint none of whose cells is connected at the level (``level < min_c``; an
    attenuated level is never higher) is dry without visiting its cells: every depth is 0,
    which gives the same numbers as the loop.
    """
    n_lev = levels.shape[0]
    n_b = starts.shape[0]
    for k in numba.prange(n_lev):
        lv = levels[k]
        lv_z = _round(lv, z_f32)
        lv_c = _round(lv, c_f32)
        for b in range(n_b):
            cnt = counts[b]
            if cnt == 0:
                out_max[k, b] = np.nan
                out_mean[k, b] = np.nan
                out_wet_mean[k, b] = np.nan
                out_wet_frac[k, b] = np.nan
                continue
            if lv_c < min_c[b]:
                out_max[k, b] = 0.0
                out_mean[k, b] = 0.0 / wsum[b]
                out_wet_frac[k, b] = 0.0 if area[b] > 0 else np.nan
                out_wet_mean[k, b] = np.nan
                continue
            s0 = starts[b]
            s = 0.0
            wet = 0.0
            s_wet = 0.0
            mx = -np.inf
            sh = shift[b]
            for j in range(s0, s0 + cnt):
                lz = lv_z
                lc = lv_c
                if atten != 0.0:
                    level = lv - atten * dist_km[j]
                    lz = _round(level, z_f32)
                    lc = _round(level, c_f32)
                d = 0.0
                if c[j] <= lc:
                    d = np.float64(np.float32(max(lz - z[j], 0.0)))
                    if sh != 0.0:
                        d = max(d - sh, 0.0)
                f = frac[j]
                s += f * d
                if d > 0.0:
                    wet += f
                    s_wet += f * d
                if d > mx:
                    mx = d
            out_max[k, b] = mx
            out_mean[k, b] = s / wsum[b]
            out_wet_frac[k, b] = min(wet / area[b], 1.0) if area[b] > 0 else np.nan
            out_wet_mean[k, b] = s_wet / wet if wet > 0 else np.nan
