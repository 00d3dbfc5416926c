"""Benchmark: first-flood year from one priority-flood pass vs per-level connected labelling.

Part 1 — a synthetic coastal DEM (default 2000 x 2000): the first year each cell is reached
by connected inundation for 5 SSPs x 3 quantiles x every year 2020-2150 (1,965 water
levels). Ours: one ``connection_level`` pass + ``first_flood_year``. Baseline (NOAA's way):
for each level, ``scipy.ndimage.label`` of the cells at or below it and keep the components
touching the sea. The baseline is run on ``--series`` of the 15 (scenario, quantile) series
(131 levels each) and its time extrapolated linearly to all 1,965 levels (the labelling cost
does not depend on the level); the results are compared cell by cell on those series.

The whole of part 1 is repeated ``--rounds`` times (default 3) and the speed-up of every
round is printed, with the split of our time between the pass and ``first_flood_year``.

Outside reference — the same priority-flood pass (the raw spill levels from the same seeds)
against scikit-image's grey-scale reconstruction by erosion
(``skimage.morphology.reconstruction(seed, mask, method="erosion")``, Vincent 1993), which
computes the same minimax fill; the two results are compared cell by cell and both times
printed. Needs ``scikit-image`` (dev extra).

Part 2 — a 6000 x 6000 DEM: one priority-flood pass vs per-level labelling at 10 levels.

Run::

    .venv/bin/python benchmarks/bench_inundation.py                 # 2000^2 and 6000^2
    .venv/bin/python benchmarks/bench_inundation.py --size 500 --big-size 0   # quick check
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy import ndimage

from urbanrisk.coast import (
    VerticalReference,
    ar6_global_mean_sea_level,
    connection_level,
    first_flood_year,
    reference_dem,
    water_levels,
)
from urbanrisk.layers import raster_from_array

SCENARIOS = ["SSP1-1.9", "SSP1-2.6", "SSP2-4.5", "SSP3-7.0", "SSP5-8.5"]


def synthetic_coast(n: int, seed: int = 0) -> np.ndarray:
    """Sea on the west, a coastal plain with dunes, pockets and channels rising inland."""
    rng = np.random.default_rng(seed)
    x = np.linspace(0, 1, n, dtype="float32")
    z = (-3.0 + 8.0 * x)[None, :].repeat(n, axis=0)
    for sigma, amp in ((n / 40, 2.5), (n / 200, 0.8), (2, 0.15)):
        noise = ndimage.gaussian_filter(rng.normal(0, 1, (n, n)).astype("float32"), sigma)
        z += amp * noise / noise.std()
    return z.astype("float32")


def label_first_year(z, sea, series, years, structure):
    """Baseline: per-level labelling, keep sea-connected components; first year per cell.

    Levels are compared in the heights' precision (float32), as urbanrisk documents: a
    height equal to the level once rounded to float32 is at it.
    """
    out = np.full(z.shape, np.nan, dtype="float32")
    z64 = z.astype("float64")
    series = np.asarray(series, dtype=z.dtype).astype("float64")
    for level, year in zip(series, years, strict=True):
        wet = (z64 <= level) | sea
        lab, _ = ndimage.label(wet, structure=structure)
        ids = np.unique(lab[sea])
        flooded = np.isin(lab, ids[ids > 0]) & ~sea
        out[flooded & np.isnan(out)] = year
    return out


def edge_sea(z, level, structure):
    low = z.astype("float64") <= level
    lab, _ = ndimage.label(low, structure=structure)
    edge = np.concatenate([lab[0], lab[-1], lab[:, 0], lab[:, -1]])
    ids = np.unique(edge[edge > 0])
    return np.isin(lab, ids)


def _structure(connectivity):
    if connectivity == 8:
        return np.ones((3, 3), bool)
    return ndimage.generate_binary_structure(2, 1)


def make_dem(z):
    n = z.shape[0]
    ref = VerticalReference(dem_datum="synthetic", water_surface=0.0)
    dem = raster_from_array(z, crs=3067, transform=(2.0, 0, 0, 0, -2.0, 2.0 * n), units="m")
    return reference_dem(dem, ref), ref


def outside_reference(n: int, connectivity: int) -> None:
    """Our priority-flood pass against scikit-image's reconstruction by erosion."""
    try:
        from skimage.morphology import reconstruction
    except ImportError:
        print("(scikit-image not installed: outside reference skipped)")
        return
    from urbanrisk.coast._flood import _OFF4, _OFF8, priority_flood

    z = synthetic_coast(n)
    z[n // 3:n // 3 + 5, n // 2:n // 2 + 7] = np.nan  # nodata holes: impassable
    edge = np.zeros(z.shape, bool)
    edge[0, :] = edge[-1, :] = edge[:, 0] = edge[:, -1] = True
    seeds = np.where(edge & (z <= 0.0), z, np.float32(np.nan)).astype("float32")
    offsets = _OFF8 if connectivity == 8 else _OFF4
    priority_flood(z[:20, :20], seeds[:20, :20], offsets)  # compile outside timing
    t0 = time.perf_counter()
    ours = priority_flood(z, seeds, offsets)
    t_ours = time.perf_counter() - t0
    big = np.float32(np.nanmax(z) + 1.0)  # above every height: walls and "unreached"
    mask = np.where(np.isnan(z), big, z).astype("float32")
    seed_img = np.where(np.isnan(seeds), big, seeds).astype("float32")
    t0 = time.perf_counter()
    ref = reconstruction(seed_img, mask, method="erosion", footprint=_structure(connectivity))
    t_ref = time.perf_counter() - t0
    ref = ref.astype("float32")
    ref[ref >= big] = np.inf  # never reached
    ref[np.isnan(z)] = np.nan
    same = np.array_equal(ours, ref, equal_nan=True)
    print(f"== Outside reference: {n} x {n} DEM, {connectivity}-connectivity ==")
    print(f"priority-flood pass {t_ours:.2f} s; scikit-image reconstruction (erosion) "
          f"{t_ref:.2f} s -> ratio {t_ref / t_ours:.1f}x; identical spill levels: {same}")


def part1(n: int, n_series: int, connectivity: int, rounds: int = 3) -> None:
    for r in range(rounds):
        _part1_round(n, n_series, connectivity, r + 1)


def _part1_round(n: int, n_series: int, connectivity: int, rnd: int) -> None:
    z = synthetic_coast(n)
    dem, ref = make_dem(z)
    slr = ar6_global_mean_sea_level(scenarios=SCENARIOS, years=range(2020, 2151))
    lv = water_levels(slr, reference=ref)
    n_levels = lv.size
    structure = _structure(connectivity)

    connection_level(make_dem(z[:50, :50])[0], sea_level_m=0.0)  # compile numba outside timing
    t0 = time.perf_counter()
    conn = connection_level(dem, sea_level_m=0.0, connectivity=connectivity)
    t_pass = time.perf_counter() - t0
    fy = first_flood_year(conn, lv)
    t_ours = time.perf_counter() - t0

    t0 = time.perf_counter()
    sea = edge_sea(z, 0.0, structure)
    t_sea = time.perf_counter() - t0
    years = lv["year"].values
    combos = [(s, q) for s in lv["scenario"].values for q in lv["quantile"].values][:n_series]
    t_label = 0.0
    identical = True
    for s, q in combos:
        series = lv.sel(scenario=s, quantile=q).values
        t0 = time.perf_counter()
        ref_fy = label_first_year(z, sea, series, years, structure)
        t_label += time.perf_counter() - t0
        same = np.array_equal(fy.sel(scenario=s, quantile=q).values, ref_fy, equal_nan=True)
        identical &= same
    levels_run = len(combos) * years.size
    per_level = t_label / levels_run
    t_base = t_sea + per_level * n_levels
    print(f"== Part 1, round {rnd}: {n} x {n} DEM, {connectivity}-connectivity, "
          f"{n_levels} levels (5 SSPs x 3 quantiles x {years.size} years) ==")
    print(f"ours: connection_level {t_pass:.2f} s + first_flood_year "
          f"{t_ours - t_pass:.2f} s = {t_ours:.2f} s")
    print(f"per-level labelling: {levels_run} levels run in {t_label:.2f} s "
          f"({per_level * 1000:.1f} ms/level) + sea {t_sea:.2f} s; extrapolated to "
          f"{n_levels} levels: {t_base:.1f} s")
    print(f"speed-up: {t_base / t_ours:.1f}x; identical first-flood years on the "
          f"{len(combos)} series checked: {identical}")


def part2(n: int, n_levels: int, connectivity: int) -> None:
    z = synthetic_coast(n, seed=1)
    dem, _ = make_dem(z)
    structure = _structure(connectivity)
    levels = np.linspace(0.1, 2.0, n_levels)
    t0 = time.perf_counter()
    conn = connection_level(dem, sea_level_m=0.0, connectivity=connectivity)
    t_pass = time.perf_counter() - t0
    c = conn.values.astype("float64")
    del conn
    t0 = time.perf_counter()
    sea = edge_sea(z, 0.0, structure)
    z64 = z.astype("float64")
    t_label = time.perf_counter() - t0
    identical = True
    for level in levels:
        t0 = time.perf_counter()
        wet = (z64 <= level) | sea
        lab, _ = ndimage.label(wet, structure=structure)
        ids = np.unique(lab[sea])
        flooded = np.isin(lab, ids[ids > 0]) & ~sea
        t_label += time.perf_counter() - t0
        identical &= np.array_equal(flooded, c <= level)  # not timed
    print(f"== Part 2: {n} x {n} DEM, {connectivity}-connectivity ==")
    print(f"ours: one priority-flood pass {t_pass:.2f} s")
    print(f"per-level labelling at {n_levels} levels (incl. finding the sea once): "
          f"{t_label:.2f} s")
    print(f"pass / labelling ratio: {t_pass / t_label:.2f} (target <= 3); identical masks: "
          f"{identical}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=2000)
    ap.add_argument("--series", type=int, default=1,
                    help="(scenario, quantile) series run with the baseline (of 15)")
    ap.add_argument("--big-size", type=int, default=6000, help="0 skips part 2")
    ap.add_argument("--big-levels", type=int, default=10)
    ap.add_argument("--connectivity", type=int, default=8, choices=(4, 8))
    ap.add_argument("--rounds", type=int, default=3, help="repeats of part 1")
    args = ap.parse_args()
    part1(args.size, args.series, args.connectivity, args.rounds)
    outside_reference(args.size, args.connectivity)
    if args.big_size:
        part2(args.big_size, args.big_levels, args.connectivity)


if __name__ == "__main__":
    main()
