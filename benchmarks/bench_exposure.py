"""Benchmark: footprint exposure from a GeoTIFF, counting the file read, against exactextract,
rasterstats and Delft-FIAT; time and peak memory of each in a fresh process.

Run (full size: a 5000 x 5000 x 4 float32 raster, 400 MB, 20,000 and 200,000 footprints;
about 15 minutes with FIAT):

    python benchmarks/bench_exposure.py --fiat-python /tmp/fiatvenv/bin/python

Smaller for development:

    python benchmarks/bench_exposure.py --size 1500 --buildings 2000 --rounds 1

Inputs: a synthetic flood depth of ``size x size`` 2 m cells with 4 return periods, written
as an uncompressed tiled GeoTIFF (256 x 256 blocks, exactextract's fast case), and random
footprints (rotated rectangles and L-shapes of 40-900 m2) as GeoParquet. Each measurement
runs in its own fresh Python process (``--worker``), so peaks are comparable: the time runs
from opening the raster file to the finished table (imports, reading the footprints and
numba's one-off JIT load are outside it; rasterstats and exactextract open the file in their
call); the peak is the process's maximum resident set size, ``VmHWM`` (imports included; the
RSS after imports is printed beside it). Rounds are interleaved and the best time of each is kept.

- **ours (file)**: ``polygon_exposure(footprints, path, stats=("mean", "max"))``: windows
  of the file read with rasterio, only where footprints are, in a background thread.
- **ours (read whole)**: ``read_raster(path)`` loaded, then the same call: the in-memory path,
  whose results the windowed one must equal (max |difference| printed).
- **exactextract**: ``exact_extract(path, footprints, ["mean", "max"],
  strategy="raster-sequential")``, its fastest strategy here, all 4 bands.
- **rasterstats**: ``zonal_stats(footprints, path, stats=["mean", "max"], band=b)`` for the 4
  bands, on ``--rasterstats-subset`` footprints, time extrapolated linearly (said so).
- **Delft-FIAT** (``--fiat-python``, a venv with ``delft_fiat``): its geometry model in risk
  mode (damage per building for the 4 return periods and EAD, area method, one thread), on
  ``--fiat-buildings`` footprints, against **ours (damage)**: the same job with
  ``polygon_exposure(path, stats=("mean_above", "fraction_above"))``, ``asset_damage`` and
  ``expected_annual_damage(rule="log_linear")``. FIAT's footprint rule (every touched cell,
  unweighted) differs from our exact fractions, so its EAD agrees only approximately.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CELL = 2.0
X0, Y0 = 380000.0, 6680000.0
RETURN_PERIODS = [10, 50, 100, 500]
#: FIAT-style depth-damage curve (fraction of the maximum damage), one for every building.
CURVE_DEPTH = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0]
CURVE_FRACTION = [0.0, 0.25, 0.40, 0.50, 0.60, 0.75, 0.85, 0.95, 1.0]


# --------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------
def make_hazard(size: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    # smooth-ish depth field: coarse noise upsampled, 4 return periods growing in depth
    coarse = rng.gamma(1.2, 0.6, size=(size // 50 + 2, size // 50 + 2)).astype(np.float32)
    base = np.kron(coarse, np.ones((50, 50), np.float32))[:size, :size]
    base -= 0.4
    np.maximum(base, 0, out=base)
    vals = np.empty((4, size, size), np.float32)
    for k, f in enumerate((1.0, 1.4, 1.8, 2.5)):
        np.multiply(base, f, out=vals[k])
    vals[:, :5, :] = np.nan
    return vals


def make_buildings(n: int, size: int, seed: int = 1):
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(seed)
    ext = size * CELL
    cx = X0 + rng.uniform(20, ext - 20, n)
    cy = Y0 - rng.uniform(20, ext - 20, n)
    w = rng.uniform(6, 30, n)
    h = rng.uniform(6, 30, n)
    ang = rng.uniform(0, np.pi, n)
    lshape = rng.random(n) < 0.3
    rect = np.array([[0, 0], [1, 0], [1, 1], [0, 1]]) - 0.5
    ell = np.array([[0, 0], [1, 0], [1, 0.4], [0.4, 0.4], [0.4, 1], [0, 1]]) - 0.5
    geoms = []
    for i in range(n):
        pts = (ell if lshape[i] else rect) * [w[i], h[i]]
        c, s = np.cos(ang[i]), np.sin(ang[i])
        geoms.append(shapely.Polygon(pts @ np.array([[c, s], [-s, c]]) + [cx[i], cy[i]]))
    value = np.round(shapely.area(np.array(geoms)) * 1500.0, 2)  # EUR, 1500 per m2
    return gpd.GeoDataFrame({"object_id": np.arange(1, n + 1), "value": value},
                            geometry=geoms, crs=3067)


def write_inputs(folder: Path, size: int, counts: list[int]) -> dict:
    import rasterio

    from urbanrisk.layers import _EXTRA_COORDS_TAG, _EXTRA_DIM_TAG

    raster = folder / "depth.tif"
    vals = make_hazard(size)
    profile = dict(driver="GTiff", height=size, width=size, count=4, dtype="float32",
                   crs="EPSG:3067", transform=rasterio.Affine(CELL, 0, X0, 0, -CELL, Y0),
                   nodata=np.nan, tiled=True, blockxsize=256, blockysize=256)
    with rasterio.open(raster, "w", **profile) as dst:
        dst.write(vals)
        dst.update_tags(units="m", **{_EXTRA_DIM_TAG: "return_period",
                                      _EXTRA_COORDS_TAG: json.dumps(RETURN_PERIODS)})
    del vals
    footprints = {}
    for n in counts:
        footprints[n] = folder / f"footprints_{n}.parquet"
        make_buildings(n, size).to_parquet(footprints[n])
    return {"raster": raster, "footprints": footprints}


def write_fiat_model(folder: Path, raster: Path, footprints: Path) -> Path:
    """A Delft-FIAT 0.4 geometry model in risk mode on the same raster and footprints."""
    import geopandas as gpd

    b = gpd.read_parquet(footprints)
    model = folder / "fiat"
    model.mkdir(exist_ok=True)
    exp = gpd.GeoDataFrame({
        "object_id": b["object_id"], "extract_method": "area", "ground_flht": 0.0,
        "ground_elevtn": 0.0, "fn_damage_structure": "struct",
        "max_damage_structure": b["value"],
    }, geometry=b.geometry, crs=b.crs)
    # GeoPackage 1.2: the version the GDAL 3.6 of Debian's FIAT install reads in full
    exp.to_file(model / "buildings.gpkg", driver="GPKG", engine="pyogrio",
                dataset_options={"VERSION": "1.2"})
    with open(model / "curves.csv", "w") as f:
        f.write("#UNIT=meter\n#method,mean\nwater depth,struct\n")
        for d, v in zip(CURVE_DEPTH, CURVE_FRACTION, strict=True):
            f.write(f"{d},{v}\n")
    rps = ", ".join(str(t) for t in RETURN_PERIODS)
    (model / "settings.toml").write_text(f"""[model]
type = "geom"
risk = true
threads = 1

[output]
path = "output"

[output.geom]
name1 = "buildings.gpkg"

[hazard]
file = "{raster}"
return_periods = [{rps}]
elevation_reference = "DEM"

[exposure.geom]
file1 = "buildings.gpkg"
crs = "EPSG:3067"

[vulnerability]
file = "curves.csv"
step_size = 0.01
""")
    return model / "settings.toml"


# --------------------------------------------------------------------------------------
# Workers: one measurement in a fresh process, printing one JSON line
# --------------------------------------------------------------------------------------
def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _peak_mb() -> float:
    """Peak RSS of this process (VmHWM: unlike ru_maxrss, not inherited from the parent)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def worker(tool: str, raster: str, footprints: str, subset: int, out: str) -> None:
    import logging
    import warnings

    import geopandas as gpd

    warnings.filterwarnings("ignore")
    b = gpd.read_parquet(footprints)
    result: dict = {"tool": tool, "n": len(b)}
    if tool.startswith("ours"):
        import shapely

        from urbanrisk.hazard import asset_damage, expected_annual_damage, polygon_exposure
        from urbanrisk.hazard.curves import DamageCurve
        from urbanrisk.layers import raster_from_array, read_raster

        logging.getLogger("urbanrisk").setLevel(logging.ERROR)  # NaN counts are expected
        tiny = raster_from_array(np.ones((4, 4), np.float32), crs=3067,
                                 transform=(1, 0, 0, 0, -1, 4), units="m")
        t = time.perf_counter()  # numba loads its cached machine code once per process
        polygon_exposure(gpd.GeoDataFrame(geometry=[shapely.box(0.5, 0.5, 2.5, 2.5)],
                                          crs=3067), tiny, stats=("mean", "max"))
        result["jit_s"] = time.perf_counter() - t
        result["rss_after_imports_mb"] = _rss_mb()
        t = time.perf_counter()
        if tool == "ours-file":
            table = polygon_exposure(b, raster, stats=("mean", "max"))
        elif tool == "ours-whole":
            table = polygon_exposure(b, read_raster(raster).load(), stats=("mean", "max"))
        elif tool == "ours-damage":
            exp = polygon_exposure(b, raster, stats=("mean_above", "fraction_above"),
                                   column="depth")
            curve = DamageCurve(CURVE_DEPTH, CURVE_FRACTION, units="m")
            dmg = asset_damage(exp, curve, intensity="depth_mean_above_0", value="value",
                               fraction_wet="depth_fraction_above_0")
            ead = expected_annual_damage(dmg, rule="log_linear")
        result["seconds"] = time.perf_counter() - t
        if tool == "ours-damage":
            result["ead_total"] = float(ead.total)
        else:
            np.save(out, table[[f"depth_m_mean_rp{t}" for t in RETURN_PERIODS]].to_numpy())
    elif tool == "exactextract":
        import exactextract

        result["rss_after_imports_mb"] = _rss_mb()
        t = time.perf_counter()
        table = exactextract.exact_extract(raster, b, ["mean", "max"], output="pandas",
                                           strategy="raster-sequential")
        result["seconds"] = time.perf_counter() - t
        np.save(out, table[[f"band_{k}_mean" for k in range(1, 5)]].to_numpy())
    elif tool == "rasterstats":
        import rasterstats

        result["rss_after_imports_mb"] = _rss_mb()
        geoms = list(b.geometry.iloc[:subset])
        t = time.perf_counter()
        for band in range(1, 5):
            rasterstats.zonal_stats(geoms, raster, stats=["mean", "max"], band=band,
                                    nodata=np.nan)
        result["seconds"] = time.perf_counter() - t
        result["measured_on"] = len(geoms)
    result["peak_mb"] = _peak_mb()
    print(json.dumps(result))


def fiat_worker(settings: str) -> None:
    """Run Delft-FIAT's CLI in this (fresh) process; report its time, peak and EAD total.

    FIAT 0.4 reads a layer definition after closing its dataset (``BufferedGeomWriter``),
    which crashes with the GDAL 3.6 Python bindings Debian offers; the dataset is kept
    open here, which changes nothing else. FIAT's own pool of worker processes is not used
    (``-t 1``); its logging Manager process is small and not counted.
    """
    import fiat.fio as fio
    from osgeo import ogr

    original = fio.BufferedGeomWriter.__init__

    def init(self, file, srs, layer_defn=None, buffer_size=100000, lock=None):
        if layer_defn is None:
            self._defn_source = fio.open_geom(file, mode="r")
            layer_defn = self._defn_source.layer.GetLayerDefn()
        original(self, file, srs, layer_defn, buffer_size, lock)

    fio.BufferedGeomWriter.__init__ = init
    from fiat.cli.main import main as fiat_main

    os.chdir(os.path.dirname(settings))
    sys.argv = ["fiat", "run", settings, "-t", "1"]
    rss = _rss_mb()
    t = time.perf_counter()
    try:
        fiat_main()
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise
    seconds = time.perf_counter() - t
    peak = _peak_mb()
    ds = ogr.Open(os.path.join("output", "buildings.gpkg"))
    layer = ds.GetLayer(0)
    ead = sum(f.GetField("ead_damage") or 0.0 for f in layer)
    print(json.dumps({"tool": "fiat", "n": layer.GetFeatureCount(), "seconds": seconds,
                      "peak_mb": peak, "rss_after_imports_mb": rss, "ead_total": ead}))


def run_worker(python: str, args: list[str]) -> dict:
    proc = subprocess.run([python, __file__, *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"worker {args[:2]} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=5000, help="raster side in cells")
    ap.add_argument("--buildings", type=int, nargs="+", default=[20000, 200000])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--rasterstats-subset", type=int, default=2000)
    ap.add_argument("--fiat-python", default=None,
                    help="python of a venv with delft_fiat (skipped when not given)")
    ap.add_argument("--fiat-buildings", type=int, default=20000)
    ap.add_argument("--fiat-rounds", type=int, default=1, help="FIAT takes minutes a round")
    ap.add_argument("--worker", nargs=5, metavar=("TOOL", "RASTER", "FP", "SUBSET", "OUT"),
                    help=argparse.SUPPRESS)
    ap.add_argument("--fiat-worker", metavar="SETTINGS", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        tool, raster, fp, subset, out = args.worker
        worker(tool, raster, fp, int(subset), out)
        return
    if args.fiat_worker:
        fiat_worker(args.fiat_worker)
        return

    counts = sorted(set(args.buildings) | ({args.fiat_buildings} if args.fiat_python else set()))
    print(f"hazard {args.size} x {args.size} float32 x 4 return periods "
          f"({4 * args.size**2 * 4 / 1e6:.0f} MB, uncompressed tiled GeoTIFF); "
          f"footprints {counts}; {args.rounds} interleaved rounds, best time kept; "
          f"{os.cpu_count()} cores")
    py = sys.executable
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        inputs = write_inputs(folder, args.size, counts)
        raster = str(inputs["raster"])
        for n in args.buildings:
            fp = str(inputs["footprints"][n])
            tools = ["ours-file", "exactextract", "ours-whole", "rasterstats"]
            best: dict[str, dict] = {}
            for _ in range(args.rounds):
                for tool in tools:
                    r = run_worker(py, ["--worker", tool, raster, fp,
                                        str(args.rasterstats_subset), f"{d}/{tool}.npy"])
                    if tool not in best or r["seconds"] < best[tool]["seconds"]:
                        best[tool] = r
            ours = best["ours-file"]
            print(f"\n{n} footprints, mean and max of 4 bands "
                  f"(time: best of {args.rounds}; peak RSS: of that run)")
            print(f"  {'':34s} {'time s':>9s} {'ratio':>8s} {'peak MiB':>9s} "
                  f"{'RSS after imports':>18s}")
            for tool in tools:
                r = best[tool]
                sec = r["seconds"]
                note = ""
                if tool == "rasterstats":
                    sec *= n / r["measured_on"]
                    note = f"  (run on {r['measured_on']}, time extrapolated)"
                print(f"  {tool:34s} {sec:9.3f} {sec / ours['seconds']:7.2f}x "
                      f"{r['peak_mb']:9.0f} {r.get('rss_after_imports_mb', float('nan')):18.0f}"
                      f"{note}")
            a = np.load(f"{d}/ours-file.npy")
            w = np.load(f"{d}/ours-whole.npy")
            e = np.load(f"{d}/exactextract.npy")
            same = np.array_equal(a, w, equal_nan=True)
            print(f"  file (windowed) vs read whole: max |mean difference| "
                  f"{np.nanmax(np.abs(a - w)):.1e} m, identical: {same}")
            print(f"  ours vs exactextract: max |mean difference| "
                  f"{np.nanmax(np.abs(a - e)):.1e} m")
            ee = best["exactextract"]
            ratio = ee["seconds"] / ours["seconds"]
            print(f"  target >= 5x exactextract raster-sequential: "
                  f"{'MET' if ratio >= 5 else 'NOT MET'} ({ratio:.2f}x); peak memory no "
                  f"higher: {'MET' if ours['peak_mb'] <= ee['peak_mb'] else 'NOT MET'} "
                  f"({ours['peak_mb']:.0f} vs {ee['peak_mb']:.0f} MiB)")

        if args.fiat_python:
            n = args.fiat_buildings
            settings = write_fiat_model(folder, inputs["raster"], inputs["footprints"][n])
            fp = str(inputs["footprints"][n])
            best = {}
            for _ in range(args.fiat_rounds):
                for tool in ("ours-damage", "fiat"):
                    if tool == "fiat":
                        r = run_worker(args.fiat_python, ["--fiat-worker", str(settings)])
                    else:
                        r = run_worker(py, ["--worker", tool, raster, fp, "0", f"{d}/x.npy"])
                    if tool not in best or r["seconds"] < best[tool]["seconds"]:
                        best[tool] = r
            o, f = best["ours-damage"], best["fiat"]
            print(f"\nDelft-FIAT 0.4 geometry model, risk mode, {n} buildings x 4 return "
                  f"periods (damage per building and EAD, end to end from the files)")
            print(f"  ours (damage + EAD)  {o['seconds']:9.3f} s  peak {o['peak_mb']:6.0f} MiB  "
                  f"EAD {o['ead_total']:.6g}")
            print(f"  Delft-FIAT           {f['seconds']:9.3f} s  peak {f['peak_mb']:6.0f} MiB  "
                  f"EAD {f['ead_total']:.6g}  (from its CLI entry, model setup included)")
            ratio = f["seconds"] / o["seconds"]
            print(f"  EAD ratio ours / FIAT: {o['ead_total'] / f['ead_total']:.4f} (footprint "
                  "rules differ: exact fractions vs every touched cell)")
            print(f"  target >= 5x Delft-FIAT: {'MET' if ratio >= 5 else 'NOT MET'} "
                  f"({ratio:.1f}x); peak memory no higher: "
                  f"{'MET' if o['peak_mb'] <= f['peak_mb'] else 'NOT MET'} "
                  f"({o['peak_mb']:.0f} vs {f['peak_mb']:.0f} MiB)")


if __name__ == "__main__":
    main()
