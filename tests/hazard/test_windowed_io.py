"""Footprint exposure read window by window from a file or dask equals the in-memory path.

The reference is the table route polygon_exposure used before windowed reading: the exact
coverage table of ``_grid.polygon_coverage``, the values at its cells and ``numpy.bincount``
sums per footprint. The windowed route computes coverage and sums cell by cell in the same
order, so the two agree to the last bit (checked here to 1e-12).
"""

from __future__ import annotations

import json
import tracemalloc

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Polygon, box

from urbanrisk import hazard
from urbanrisk.hazard import _grid
from urbanrisk.layers import (
    _EXTRA_COORDS_TAG,
    _EXTRA_DIM_TAG,
    raster_from_array,
    read_raster,
    write_raster,
)

STATS = ("max", "min", "mean", "sum", "coverage", "fraction_above", "mean_above")
X0, Y0, CELL = 1000.0, 5000.0, 2.0
NODATA = -9999.0


def _values() -> np.ndarray:
    rng = np.random.default_rng(11)
    v = rng.gamma(1.0, 0.6, size=(3, 70, 90)).astype(np.float32)
    v[:, 20:26, 30:44] = np.nan  # a nodata patch inside the raster
    v[1, 50, 60] = -0.5  # a negative value (not above the threshold)
    return v


@pytest.fixture(scope="module")
def depth_file(tmp_path_factory):
    """3 return periods, 70 x 90 cells of 2 m, 16 x 16 blocks, nodata -9999 in the file."""
    v = _values()
    path = tmp_path_factory.mktemp("windowed") / "depth.tif"
    profile = dict(driver="GTiff", height=70, width=90, count=3, dtype="float32",
                   crs="EPSG:3067", transform=rasterio.Affine(CELL, 0, X0, 0, -CELL, Y0),
                   nodata=NODATA, tiled=True, blockxsize=16, blockysize=16)
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(np.where(np.isnan(v), np.float32(NODATA), v))
        dst.update_tags(units="m", **{_EXTRA_DIM_TAG: "return_period",
                                      _EXTRA_COORDS_TAG: json.dumps([10, 100, 1000])})
    return path


@pytest.fixture(scope="module")
def depth_memory():
    return raster_from_array(_values(), crs=3067, transform=(CELL, 0, X0, 0, -CELL, Y0),
                             units="m", name="depth", extra_dim="return_period",
                             extra_coords=[10, 100, 1000])


@pytest.fixture(scope="module")
def footprints():
    """Boxes and rotated L-shapes across tile edges, one with a hole, one multipolygon, one
    half outside the raster, one wholly outside and one on the nodata patch."""
    rng = np.random.default_rng(5)
    geoms = []
    for _ in range(120):
        x = X0 + rng.uniform(-6, 186)
        y = Y0 - rng.uniform(-6, 146)
        w, h = rng.uniform(0.5, 14, 2)
        geoms.append(box(x, y - h, x + w, y))
    ell = Polygon([(0, 0), (9, 0), (9, 3), (3, 3), (3, 9), (0, 9)])
    for k in range(10):
        c, s = np.cos(0.3 * k), np.sin(0.3 * k)
        pts = [(X0 + 20 + 15 * k + c * px - s * py, Y0 - 40 - 8 * k + s * px + c * py)
               for px, py in ell.exterior.coords]
        geoms.append(Polygon(pts))
    geoms.append(box(X0 + 30, Y0 - 60, X0 + 50, Y0 - 40).difference(
        box(X0 + 35, Y0 - 55, X0 + 45, Y0 - 45)))
    geoms.append(MultiPolygon([box(X0 + 1, Y0 - 3, X0 + 4, Y0 - 1),
                               box(X0 + 150, Y0 - 130, X0 + 157, Y0 - 121)]))
    geoms.append(box(X0 - 5, Y0 - 20, X0 + 5, Y0 - 10))  # half outside (west)
    geoms.append(box(X0 - 50, Y0 - 20, X0 - 40, Y0 - 10))  # wholly outside
    geoms.append(box(X0 + 62, Y0 - 50, X0 + 84, Y0 - 42))  # on the nodata patch
    return gpd.GeoDataFrame({"id": np.arange(len(geoms))}, geometry=geoms, crs=3067)


@pytest.fixture
def small_tiles(monkeypatch):
    """Group footprints by 16-cell tiles, so a 70 x 90 raster is read in many windows."""
    monkeypatch.setattr(_grid, "FILE_TILE", 16)


def _table_route(polys, da, threshold, nodata_as=None):
    """The pre-windowed route: coverage table, values at its cells, bincount sums."""
    hz, _, extra = _grid.check_hazard(da)
    grid = _grid.grid_of(hz)
    cov = _grid.polygon_coverage(polys.geometry.to_numpy(), grid)
    vals = _grid.cell_values(hz, extra, cov.row, cov.col, nodata_as=nodata_as)
    n, g, c = cov.n, cov.geom, cov.frac
    counts = np.bincount(g, minlength=n)
    area = np.where(cov.area_cells > 0, cov.area_cells, np.nan)
    out = {}
    for b in range(vals.shape[0]):
        v = vals[b]
        ok = ~np.isnan(v)
        wsum = np.bincount(g, weights=np.where(ok, c, 0.0), minlength=n)
        s = np.bincount(g, weights=np.where(ok, c * v, 0.0), minlength=n)
        wet_c = np.where(ok & (v > threshold), c, 0.0)
        wet = np.bincount(g, weights=wet_c, minlength=n)
        s_wet = np.bincount(g, weights=wet_c * np.where(ok, v, 0.0), minlength=n)
        mx = np.full(n, -np.inf)
        mn = np.full(n, np.inf)
        np.maximum.at(mx, g, np.where(ok, v, -np.inf))
        np.minimum.at(mn, g, np.where(ok, v, np.inf))
        valid = wsum > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            out[b] = {
                "max": np.where(valid, mx, np.nan), "min": np.where(valid, mn, np.nan),
                "mean": np.where(valid, s / wsum, np.nan), "sum": np.where(valid, s, np.nan),
                "coverage": np.where(counts > 0, wsum / area, np.nan),
                "fraction_above": np.where(valid, np.minimum(wet / area, 1.0), np.nan),
                "mean_above": np.where(wet > 0, s_wet / wet, np.nan),
            }
    return out


def _frame(out: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(out.drop(columns="geometry"))


def test_memory_path_equals_table_route(depth_memory, footprints):
    out = hazard.polygon_exposure(footprints, depth_memory, stats=STATS, threshold=0.5)
    ref = _table_route(footprints, depth_memory, 0.5)
    for b, rp in enumerate((10, 100, 1000)):
        for stat in STATS:
            name = f"depth_m_{stat}_0.5_rp{rp}" if stat in ("fraction_above", "mean_above") \
                else f"depth_m_{stat}_rp{rp}"
            np.testing.assert_allclose(out[name].to_numpy(), ref[b][stat], rtol=1e-12,
                                       atol=0, equal_nan=True, err_msg=name)


@pytest.mark.parametrize("nodata_as", [None, 0.0])
def test_file_path_equals_memory(depth_file, depth_memory, footprints, small_tiles, nodata_as):
    mem = hazard.polygon_exposure(footprints, depth_memory, stats=STATS, threshold=0.5,
                                  column="d", nodata_as=nodata_as)
    fil = hazard.polygon_exposure(footprints, depth_file, stats=STATS, threshold=0.5,
                                  column="d", nodata_as=nodata_as)
    pd.testing.assert_frame_equal(_frame(fil), _frame(mem), check_exact=False, rtol=1e-12)
    # the nodata patch is NaN (or 0 with nodata_as), the outside footprint NaN
    assert np.isnan(fil["d_mean_rp10"].iloc[-2])
    last = fil["d_mean_rp10"].iloc[-1]
    assert (np.isnan(last) if nodata_as is None else last == pytest.approx(0.0))


def test_lazy_file_and_dask_chunks_equal_memory(depth_file, depth_memory, footprints,
                                                small_tiles):
    mem = _frame(hazard.polygon_exposure(footprints, depth_memory, stats=STATS, column="d"))
    lazy = read_raster(depth_file, chunks={"band": -1, "y": 16, "x": 16})
    assert isinstance(_grid.band_source(lazy, ["return_period"]), _grid.FileBands)
    a = _frame(hazard.polygon_exposure(footprints, lazy, stats=STATS, column="d"))
    pd.testing.assert_frame_equal(a, mem, check_exact=False, rtol=1e-12)
    # a lazy raster changed after opening is read through its dask chunks instead
    changed = depth_memory.chunk({"return_period": 1, "y": 13, "x": 17})
    assert not isinstance(_grid.band_source(changed, ["return_period"]), _grid.FileBands)
    b = _frame(hazard.polygon_exposure(footprints, changed, stats=STATS, column="d"))
    pd.testing.assert_frame_equal(b, mem, check_exact=False, rtol=1e-12)


def test_file_in_feet_goes_through_the_contract(tmp_path, depth_memory, footprints):
    """A file whose values the contract converts is read through dask, converted."""
    ft = depth_memory / 0.3048
    ft.attrs = {"units": "ft"}
    path = write_raster(ft.rio.write_crs(3067), tmp_path / "ft.tif", compress="NONE")
    lazy = read_raster(path, chunks={"band": -1, "y": 16, "x": 16})
    a = hazard.polygon_exposure(footprints, lazy, stats=("mean", "max"), column="d")
    b = hazard.polygon_exposure(footprints, depth_memory, stats=("mean", "max"), column="d")
    assert a.attrs["hazard_converted_from_units"] == "ft"
    np.testing.assert_allclose(a["d_mean_rp100"], b["d_mean_rp100"], rtol=1e-6)


def test_reads_only_windows_the_footprints_touch(depth_file, small_tiles, monkeypatch):
    """Footprints in the north-west corner: only the windows there are read."""
    seen = []
    original = _grid.FileBands.windows

    def spy(self, wins):
        seen.extend(wins)
        return original(self, wins)

    monkeypatch.setattr(_grid.FileBands, "windows", spy)
    corner = gpd.GeoDataFrame(geometry=[box(X0 + 2, Y0 - 12, X0 + 9, Y0 - 3),
                                        box(X0 + 44, Y0 - 30, X0 + 52, Y0 - 27)], crs=3067)
    out = hazard.polygon_exposure(corner, depth_file, stats=("mean",))
    assert out["depth_m_mean_rp10"].notna().all()
    cells = sum((r1 - r0) * (c1 - c0) for r0, r1, c0, c1 in seen)
    assert len(seen) == 2 and cells < 0.1 * 70 * 90
    for r0, r1, c0, c1 in seen:  # each window starts on a 16-cell tile edge
        assert r0 % 16 == 0 and c0 % 16 == 0 and r1 - r0 <= 32 and c1 - c0 <= 32


def test_dask_chunks_computed_once_and_only_where_touched(depth_memory, footprints,
                                                          monkeypatch):
    computed = []
    original = _grid._BlockReader._fetch

    def spy(self, keys):
        computed.extend(k for k in keys if k not in self.blocks)
        return original(self, keys)

    monkeypatch.setattr(_grid._BlockReader, "_fetch", spy)
    lazy = depth_memory.chunk({"return_period": -1, "y": 10, "x": 10})
    few = footprints.iloc[:5]
    hazard.polygon_exposure(few, lazy, stats=("mean",))
    assert len(computed) == len(set(computed))  # each chunk at most once
    assert len(set(computed)) < 7 * 9  # not every chunk of the 7 x 9


def test_raster_from_array_attaches_metadata_without_copying():
    values = np.zeros((500, 400))
    tracemalloc.start()
    try:
        da = raster_from_array(values, crs=3067, transform=(1, 0, 0, 0, -1, 500), units="m")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert np.shares_memory(da.values, values)
    assert peak < 0.1 * values.nbytes
    assert da.rio.crs.to_epsg() == 3067 and da.rio.transform().f == 500


def test_write_raster_leaves_input_untouched(tmp_path):
    da = raster_from_array(np.array([[1.0, np.nan]], np.float32), crs=3067,
                           transform=(1, 0, 0, 0, -1, 1), units="m")
    da.attrs["note"] = {"not": "a tag"}
    before = (dict(da.attrs), dict(da.encoding), da.values.copy())
    back = read_raster(write_raster(da, tmp_path / "a.tif", nodata=-1.0))
    assert dict(da.attrs) == before[0] and dict(da.encoding) == before[1]
    np.testing.assert_array_equal(da.values, before[2])
    assert np.isnan(back.values[0, 1]) and back.attrs["units"] == "m"


@settings(max_examples=15, deadline=None)
@given(
    boxes=st.lists(st.tuples(st.floats(-10, 190), st.floats(-10, 150), st.floats(0.3, 40),
                             st.floats(0.3, 40)), min_size=1, max_size=12),
    chunk=st.tuples(st.integers(3, 40), st.integers(3, 40)),
)
def test_any_chunking_gives_the_memory_result(depth_memory, boxes, chunk):
    polys = gpd.GeoDataFrame(
        geometry=[box(X0 + x, Y0 - y - h, X0 + x + w, Y0 - y) for x, y, w, h in boxes],
        crs=3067,
    )
    if not polys.intersects(box(X0, Y0 - 140, X0 + 180, Y0)).any():
        return
    lazy = depth_memory.chunk({"return_period": -1, "y": chunk[0], "x": chunk[1]})
    a = hazard.polygon_exposure(polys, lazy, stats=STATS)
    b = hazard.polygon_exposure(polys, depth_memory, stats=STATS)
    pd.testing.assert_frame_equal(_frame(a), _frame(b), check_exact=False, rtol=1e-12)
