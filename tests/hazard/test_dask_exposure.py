"""Dask-backed hazard rasters give the same exposure as numpy ones, read chunk by chunk."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

from urbanrisk import hazard
from urbanrisk.layers import raster_from_array

pytest.importorskip("dask.array")


@pytest.fixture(scope="module")
def depth_pair():
    rng = np.random.default_rng(7)
    values = rng.gamma(1.0, 0.5, size=(3, 60, 80))
    values[:, 10:14, 20:30] = np.nan
    eager = raster_from_array(
        values, crs=3067, transform=(2.0, 0, 1000.0, 0, -2.0, 5000.0), units="m",
        name="flood_depth", extra_dim="return_period", extra_coords=[10, 100, 500],
    )
    lazy = eager.chunk({"return_period": 1, "y": 16, "x": 16})
    assert type(lazy.data).__module__.startswith("dask")
    return eager, lazy


@pytest.fixture(scope="module")
def assets():
    rng = np.random.default_rng(3)
    x = 1000 + rng.uniform(-5, 165, 40)
    y = 4880 + rng.uniform(-5, 125, 40)
    pts = gpd.GeoDataFrame(geometry=[Point(a, b) for a, b in zip(x, y, strict=True)], crs=3067)
    polys = gpd.GeoDataFrame(
        geometry=[box(a, b, a + rng.uniform(1, 9), b + rng.uniform(1, 9))
                  for a, b in zip(x, y, strict=True)],
        crs=3067,
    )
    lines = gpd.GeoDataFrame(
        geometry=[LineString([(a, b), (a + 30, b + 7)])
                  for a, b in zip(x[:10], y[:10], strict=True)],
        crs=3067,
    )
    return pts, polys, lines


@pytest.mark.parametrize("method", ["nearest", "bilinear"])
def test_points_numpy_equals_dask(depth_pair, assets, method):
    eager, lazy = depth_pair
    a = hazard.sample_points(assets[0], eager, method=method)
    b = hazard.sample_points(assets[0], lazy, method=method)
    pd.testing.assert_frame_equal(pd.DataFrame(a.drop(columns="geometry")),
                                  pd.DataFrame(b.drop(columns="geometry")))


def test_polygons_numpy_equals_dask(depth_pair, assets):
    eager, lazy = depth_pair
    stats = ("max", "min", "mean", "sum", "coverage", "fraction_above")
    a = hazard.polygon_exposure(assets[1], eager, stats=stats, threshold=0.5)
    b = hazard.polygon_exposure(assets[1], lazy, stats=stats, threshold=0.5)
    pd.testing.assert_frame_equal(pd.DataFrame(a.drop(columns="geometry")),
                                  pd.DataFrame(b.drop(columns="geometry")))


def test_lines_numpy_equals_dask(depth_pair, assets):
    eager, lazy = depth_pair
    a = hazard.line_exposure(assets[2], eager, bins=[0.0, 0.5, 1.5])
    b = hazard.line_exposure(assets[2], lazy, bins=[0.0, 0.5, 1.5])
    pd.testing.assert_frame_equal(a, b)


def test_dask_raster_is_not_loaded_whole(depth_pair, assets, monkeypatch):
    """Exposure reads only the chunks it needs: never the whole array at once."""
    import dask.array

    _, lazy = depth_pair
    biggest = []
    real = dask.array.Array.compute

    def spy(self, *args, **kwargs):
        out = real(self, *args, **kwargs)
        biggest.append(np.asarray(out).size)
        return out

    monkeypatch.setattr(dask.array.Array, "compute", spy)
    hazard.polygon_exposure(assets[1], lazy, stats=("mean",))
    assert biggest and max(biggest) < lazy.size


# --------------------------------------------------------------------------------------
# Grid-to-grid indicators: population exposure, population-weighted hazard, heat
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def population():
    """A 10 m population grid over part of the 2 m depth grid, partly outside it."""
    rng = np.random.default_rng(11)
    return raster_from_array(rng.poisson(20, (9, 13)).astype(float), crs=3067,
                             transform=(10.0, 0, 1003.0, 0, -10.0, 4995.0), units="people")


@pytest.fixture(scope="module")
def zones():
    return gpd.GeoDataFrame({"name": ["west", "east"]},
                            geometry=[box(1000, 4900, 1070, 5000), box(1070, 4900, 1140, 5000)],
                            crs=3067)


@pytest.mark.parametrize("with_zones", [False, True])
def test_exposed_population_numpy_equals_dask(depth_pair, population, zones, with_zones):
    eager, lazy = depth_pair
    kw = {"zones": zones, "zone_column": "name"} if with_zones else {}
    a = hazard.exposed_population(population, eager, bins=[0.2, 1.0], **kw)
    b = hazard.exposed_population(population, lazy, bins=[0.2, 1.0], **kw)
    pd.testing.assert_frame_equal(a, b, rtol=1e-12)
    assert a["people"].sum() == pytest.approx(3 * float(population.sum()))  # nobody lost


def test_population_weighted_hazard_numpy_equals_dask(depth_pair, population, zones):
    eager, lazy = depth_pair
    for kw in ({}, {"zones": zones, "zone_column": "name"}, {"nodata_as": 0.0}):
        a = hazard.population_weighted_hazard(population, eager, **kw)
        b = hazard.population_weighted_hazard(population, lazy, **kw)
        pd.testing.assert_frame_equal(a, b, rtol=1e-12)


def test_chunks_outside_the_population_grid_are_never_read(depth_pair):
    """Chunks that no population cell overlaps are skipped, not read and multiplied by 0."""
    import dask.array

    eager, _ = depth_pair
    values = eager.isel(return_period=0, drop=True)  # 2 m cells, x 1000-1160, y 4880-5000
    pop = raster_from_array(np.full((3, 4), 5.0), crs=3067,
                            transform=(10.0, 0, 1003.0, 0, -10.0, 4995.0), units="people")
    read = []

    def load(block, block_info=None):
        (r0, r1), (c0, c1) = block_info[0]["array-location"]
        overlaps = (1000 + 2 * c0 < 1043 and 1000 + 2 * c1 > 1003
                    and 5000 - 2 * r1 < 4995 and 5000 - 2 * r0 > 4965)
        assert overlaps, f"read chunk at row {r0}, col {c0}, outside the population grid"
        read.append((r0, c0))
        return block

    lazy = values.copy(data=dask.array.from_array(values.to_numpy(), chunks=8)
                       .map_blocks(load, dtype=float))
    a = hazard.exposed_population(pop, values, threshold=0.5)
    b = hazard.exposed_population(pop, lazy, threshold=0.5)
    pd.testing.assert_frame_equal(a, b, rtol=1e-12)
    assert set(read) == {(r, c) for r in (0, 8, 16) for c in (0, 8, 16)}


def test_lazy_hazard_in_another_crs_is_refused(depth_pair, population):
    from urbanrisk.errors import CRSMismatchError

    _, lazy = depth_pair
    with pytest.raises(CRSMismatchError, match="gdalwarp"):
        hazard.exposed_population(population, lazy.rio.write_crs(3879), threshold=0.5)


def _lst(values):
    return raster_from_array(values, crs=3067, transform=(30.0, 0, 0, 0, -30.0, 0),
                             units="degC", name="lst")


@pytest.mark.parametrize("window", [50, 1 << 20])
@pytest.mark.parametrize("kind", ["normal", "ties", "constant", "skewed", "two_values"])
def test_hot_spot_threshold_dask_is_exact(kind, window, monkeypatch):
    """The chunked percentile equals numpy's, including ties and windows narrowed twice."""
    from urbanrisk.hazard import heat

    monkeypatch.setattr(heat, "_WINDOW_VALUES", window)
    rng = np.random.default_rng(5)
    v = {"normal": rng.normal(25, 4, (120, 150)),
         "ties": np.round(rng.normal(25, 4, (120, 150))),
         "constant": np.full((120, 150), 7.0),
         "skewed": rng.exponential(1.0, (120, 150)) ** 6,
         "two_values": np.where(rng.random((120, 150)) < 0.5, 1.0, 1e9)}[kind]
    v[rng.random(v.shape) < 0.1] = np.nan
    eager = _lst(v)
    lazy = eager.chunk({"y": 25, "x": 40})
    for p in (0.5, 10.0, 33.3, 50.0, 90.0, 99.9):
        ref = np.percentile(v[np.isfinite(v)], p)
        # exact up to the last bits: the chunked order statistics are numpy's own values
        assert heat.hot_spot_threshold(lazy, percentile=p) == pytest.approx(ref, rel=1e-13)
        assert heat.hot_spot_threshold(eager, percentile=p) == pytest.approx(ref, rel=1e-13)


def test_hot_spots_lazy_in_lazy_out(population):
    from urbanrisk.hazard import heat

    rng = np.random.default_rng(2)
    v = rng.normal(28, 3, (12, 16))
    v[0, :3] = np.nan
    eager = raster_from_array(v, crs=3067, transform=(8.0, 0, 1003.0, 0, -8.0, 4995.0),
                              units="degC", name="lst")
    lazy = eager.chunk({"y": 5, "x": 5})
    hot = heat.hot_spots(lazy, percentile=80)
    assert type(hot.data).__module__.startswith("dask")
    assert hot.rio.crs == eager.rio.crs and hot.attrs == heat.hot_spots(eager).attrs | {
        "threshold": hot.attrs["threshold"], "threshold_rule": hot.attrs["threshold_rule"]}
    np.testing.assert_array_equal(hot.values, heat.hot_spots(eager, percentile=80).values)
    pd.testing.assert_frame_equal(heat.heat_exposure(population, lazy),
                                  heat.heat_exposure(population, eager), rtol=1e-12)
