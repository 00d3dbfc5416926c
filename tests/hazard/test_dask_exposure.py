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
