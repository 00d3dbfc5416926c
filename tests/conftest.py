"""Shared fixtures: tiny hand-made layers and the real data in ../shared/data."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point, box

from urbanrisk.layers import raster_from_array

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def shared_path(*parts: str) -> Path:
    """Path of a file in ../shared/data, skipping the test when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(
            f"real data {path} is absent (it lives in ../shared/data beside the repo, "
            "present in CI; see shared/data/README.md)"
        )
    return path


@pytest.fixture
def depth_3x3():
    """A 3x3 flood depth raster of 10 m cells in EPSG:3067, origin (0, 30)."""
    values = np.array([[0.0, 0.5, 1.0], [1.5, 2.0, np.nan], [0.2, 0.3, 0.4]])
    return raster_from_array(
        values, crs="EPSG:3067", transform=(10.0, 0, 0, 0, -10.0, 30.0), units="m",
        name="flood_depth",
    )


@pytest.fixture
def points_3067():
    return gpd.GeoDataFrame(
        {"asset": ["a", "b"]}, geometry=[Point(5, 25), Point(15, 15)], crs="EPSG:3067"
    )


@pytest.fixture
def squares_3067():
    return gpd.GeoDataFrame(
        {"name": ["left", "right"]}, geometry=[box(0, 0, 10, 10), box(20, 0, 30, 10)],
        crs="EPSG:3067",
    )
