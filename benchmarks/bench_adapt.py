"""Benchmark: building depths for every water level, coverage once vs polygon_exposure per map.

A city needs the footprint depth statistics of every water level: scenarios x quantiles x
decades x return periods (the issue's case: 5 x 3 x 14 x 5 = 1,050 levels). The plain way
draws each depth map with ``coast.inundation_depth`` and summarises it with
``hazard.polygon_exposure`` (max, mean, wet share, wet mean; ``nodata_as=0``), which clips
every footprint against the grid again for every map. ``adapt.building_cells`` clips them
once and ``adapt.building_depths`` evaluates every level on the covered cells only.

The synthetic city: a float32 DEM rising from a sea on the west edge (0 to ~8 m, smooth
relief plus noise), footprints 6-20 m on a side placed at random, 2 m cells. The
connection level (one priority-flood) is computed once and shared by both sides, so it is
not timed. The per-map baseline is timed on ``--sample`` maps spread over the levels and
extrapolated to all of them (said in the output; ``--sample 0`` runs every map); the
statistics are compared on those maps and must be identical (``numpy.array_equal``).

Usage::

    .venv/bin/python benchmarks/bench_adapt.py                        # 1 Mcells, 20k buildings
    .venv/bin/python benchmarks/bench_adapt.py --side 2000 --buildings 100000   # 4 Mcells
"""

from __future__ import annotations

import argparse
import time

import geopandas as gpd
import numpy as np
import shapely

from urbanrisk.adapt import building_cells, building_depths, flood_levels
from urbanrisk.coast import AR6_SCENARIOS, VerticalReference, connection_level, inundation_depth
from urbanrisk.hazard import polygon_exposure
from urbanrisk.layers import raster_from_array

PAIRS = [("max_depth_m", "d_max"), ("mean_depth_m", "d_mean"),
         ("wet_fraction", "d_fraction_above_0"), ("wet_mean_depth_m", "d_mean_above_0")]


def city(side: int, n_buildings: int, cell_m: float = 2.0, seed: int = 17):
    rng = np.random.default_rng(seed)
    x = np.linspace(0, 1, side)
    relief = (0.6 * np.sin(7 * x)[None, :] * np.cos(5 * x)[:, None]
              + 0.4 * np.sin(13 * x + 1)[:, None])
    z = (8.0 * x[None, :] ** 1.3 + relief + rng.normal(0, 0.05, (side, side))).astype("float32")
    z[:, :3] = -2.0
    dem = raster_from_array(z, crs=3067, transform=(cell_m, 0, 0, 0, -cell_m, side * cell_m),
                            units="m")
    extent = side * cell_m
    x0 = rng.uniform(10 * cell_m, extent - 25, n_buildings)
    y0 = rng.uniform(0, extent - 25, n_buildings)
    w, h = rng.uniform(6, 20, n_buildings), rng.uniform(6, 20, n_buildings)
    geoms = shapely.box(x0, y0, x0 + w, y0 + h)
    return dem, gpd.GeoDataFrame({"id": np.arange(n_buildings)}, geometry=geoms, crs=3067)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--side", type=int, default=1000, help="DEM side in cells")
    ap.add_argument("--buildings", type=int, default=20000)
    ap.add_argument("--scenarios", type=int, default=5)
    ap.add_argument("--quantiles", type=int, default=3)
    ap.add_argument("--decades", type=int, default=14)
    ap.add_argument("--rps", type=int, default=5)
    ap.add_argument("--sample", type=int, default=20,
                    help="maps timed on the per-map side (0: all)")
    a = ap.parse_args()

    dem, b = city(a.side, a.buildings)
    conn = connection_level(dem, sea_level_m=0.0)
    scen = [s for s in AR6_SCENARIOS if "low" not in s][: a.scenarios]
    quant = [0.17, 0.5, 0.83][: a.quantiles]
    years = list(range(2020, 2020 + 10 * a.decades, 10))
    rps = [1, 10, 50, 100, 1000][: a.rps]
    ext = dict(zip(rps, [0.9, 1.25, 1.5, 1.6, 2.0][: a.rps], strict=True))
    years = [y for y in years if y <= 2150]
    lv = flood_levels(ext, reference=VerticalReference("N2000"), scenarios=scen,
                      quantiles=quant, years=years)
    lv.attrs.pop("vertical_reference")  # the synthetic DEM carries no frame tag
    flat = lv.values.ravel()
    print(f"DEM {a.side} x {a.side} = {a.side ** 2 / 1e6:.2f} Mcells, {a.buildings:,} "
          f"footprints; levels {len(scen)} scenarios x {len(quant)} quantiles x {len(years)} "
          f"years x {len(rps)} return periods = {flat.size:,} maps")

    building_depths(building_cells(b.iloc[:50], dem, conn), flat[:2])  # compile (numba)
    t0 = time.perf_counter()
    cells = building_cells(b, dem, conn)
    t1 = time.perf_counter()
    fast = building_depths(cells, lv)
    t2 = time.perf_counter()
    t_fast = t2 - t0
    print(f"coverage once: {t1 - t0:.2f} s ({cells.n_cells:,} covered cells); all levels: "
          f"{t2 - t1:.2f} s; total {t_fast:.2f} s")

    k = flat.size if a.sample <= 0 or a.sample >= flat.size else a.sample
    pick = np.unique(np.linspace(0, flat.size - 1, k).round().astype(int))
    stacked = {v: fast[v].values.reshape(flat.size, -1) for v, _ in PAIRS}
    identical = True
    t3 = time.perf_counter()
    for i in pick:
        d = inundation_depth(dem, conn, float(flat[i])).isel(level=0)
        ref = polygon_exposure(b, d, stats=("max", "mean", "fraction_above", "mean_above"),
                               column="d", nodata_as=0.0)
        for v, col in PAIRS:
            identical &= np.array_equal(stacked[v][i], ref[col].to_numpy(), equal_nan=True)
    t_map = (time.perf_counter() - t3) / pick.size
    t_slow = t_map * flat.size
    how = "measured on all maps" if pick.size == flat.size else (
        f"{t_map:.3f} s per map measured on {pick.size} maps, x {flat.size:,} maps")
    print(f"polygon_exposure per map: {t_slow:.1f} s ({how})")
    wet = float(np.nanmean(stacked['wet_fraction'] > 0))
    print(f"share of (building, level) pairs wet: {wet:.2f}")
    print(f"results identical on the compared maps: {identical}")
    print(f"speed-up: {t_slow / t_fast:.0f}x")


if __name__ == "__main__":
    main()
