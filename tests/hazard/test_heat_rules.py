"""Heat decisions moved out of the profile: hot-spot area, hot population cells, classes."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from urbanrisk.errors import GeographicCRSError, InputValueError
from urbanrisk.hazard import heat_exposure, hot_population_cells, hot_spot_area_m2, hot_spots
from urbanrisk.layers import raster_from_array


def test_hot_spot_area_counts_cells_times_cell_area():
    lst = raster_from_array(np.array([[30.0, 20.0, 31.0], [np.nan, 29.0, 10.0]]), crs=3067,
                            transform=(20, 0, 0, 0, -20, 40), units="degC", name="lst")
    hot = hot_spots(lst, threshold=25.0)
    assert hot_spot_area_m2(hot) == pytest.approx(3 * 400.0)


def test_hot_spot_area_refuses_degrees_and_non_masks():
    deg = raster_from_array(np.array([[1.0, 0.0]]), crs=4326,
                            transform=(0.001, 0, 24.9, 0, -0.001, 60.2), units="1")
    with pytest.raises(GeographicCRSError):
        hot_spot_area_m2(deg)
    temp = raster_from_array(np.array([[31.5, 0.0]]), crs=3067, transform=(1, 0, 0, 0, -1, 1))
    with pytest.raises(InputValueError, match="hot"):
        hot_spot_area_m2(temp)


def test_hot_population_cells_against_block_means():
    """Independent computation: nested grids, share = mean of the 1/0 block (NaN as 0)."""
    rng = np.random.default_rng(3)
    h = (rng.random((6, 8)) < 0.45).astype(float)
    h[0, 0] = np.nan
    hot = raster_from_array(h, crs=3067, transform=(10, 0, 0, 0, -10, 60), units="1")
    pop = raster_from_array(np.ones((3, 4)), crs=3067, transform=(20, 0, 0, 0, -20, 60),
                            units="people")
    share = np.nan_to_num(h).reshape(3, 2, 4, 2).mean(axis=(1, 3))
    for m in (0.25, 0.5, 0.75):
        got = hot_population_cells(hot, pop, min_share=m)
        assert got.dtype == bool and got.attrs["min_share"] == m
        np.testing.assert_array_equal(got.values, share >= m)


def test_hot_population_cells_half_is_hot():
    pop = raster_from_array(np.array([[5.0]]), crs=3067, transform=(2, 0, 0, 0, -2, 2),
                            units="people")
    hot = raster_from_array(np.array([[1.0, 1.0], [0.0, 0.0]]), crs=3067,
                            transform=(1, 0, 0, 0, -1, 2), units="1")
    assert hot_population_cells(hot, pop).values.tolist() == [[True]]     # 0.5 >= 0.5
    with pytest.raises(InputValueError):
        hot_population_cells(hot, pop, min_share=1.5)


def test_heat_exposure_picks_the_hot_class_by_its_bounds():
    pop = raster_from_array(np.array([[10.0, 30.0, 5.0]]), crs=3067,
                            transform=(1, 0, 0, 0, -1, 1), units="people")
    lst = raster_from_array(np.array([[35.0, 25.0, np.nan]]), crs=3067,
                            transform=(1, 0, 0, 0, -1, 1), units="degC", name="lst")
    t = heat_exposure(pop, lst, threshold=30.0)
    assert t["people_in_hot_spots"].item() == pytest.approx(10.0)
    none_hot = heat_exposure(pop, lst, threshold=40.0)
    assert none_hot["people_in_hot_spots"].item() == pytest.approx(0.0)
    zones = gpd.GeoDataFrame({"name": ["w", "e"]}, geometry=[box(0, 0, 1, 1), box(1, 0, 3, 1)],
                             crs=3067)
    z = heat_exposure(pop, lst, threshold=30.0, zones=zones, zone_column="name")
    assert z.set_index("zone")["people_in_hot_spots"].to_dict() == pytest.approx(
        {"w": 10.0, "e": 0.0})
