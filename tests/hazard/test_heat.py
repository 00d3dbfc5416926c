from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from urbanrisk.errors import DimensionError, InputValueError, UnitsError
from urbanrisk.hazard import heat_exposure, hot_spot_threshold, hot_spots
from urbanrisk.layers import raster_from_array


@pytest.fixture(scope="module")
def lst():
    vals = np.arange(100, dtype=float).reshape(10, 10) / 4 + 15  # 15 .. 39.75 degC
    vals[0, 0] = np.nan
    return raster_from_array(vals, crs=3067, transform=(10, 0, 0, 0, -10, 100), units="degC",
                             name="lst")


@pytest.fixture(scope="module")
def pop():
    return raster_from_array(np.full((5, 5), 4.0), crs=3067, transform=(20, 0, 0, 0, -20, 100),
                             units="people", name="population")


def test_threshold_is_the_percentile_of_valid_cells(lst):
    valid = lst.values[~np.isnan(lst.values)]
    assert hot_spot_threshold(lst) == pytest.approx(np.percentile(valid, 90))


def test_hot_spots_mark_the_hottest_tenth(lst):
    hs = hot_spots(lst)
    v = hs.values
    assert np.isnan(v[0, 0])
    assert np.nansum(v) == 10  # the 99 valid cells: 10 strictly above the 90th percentile
    assert hs.attrs["threshold_rule"].startswith("90th percentile")
    assert hs.attrs["units"] == "1"
    assert hot_spots(lst, threshold=39.0).sum() == 3  # 39.25, 39.5, 39.75


def test_heat_exposure_by_hand(lst, pop):
    # threshold 37.5: cells with value > 37.5 are the last row's cols 1-9 (37.75..39.75)
    # population cell (row 4, cols 0-1 of pop grid) = LST rows 8-9, cols 0-3 etc.
    out = heat_exposure(pop, lst, threshold=37.5)
    # LST cells > 37.5: row 9 cols 1-9 -> 9 cells of 100 m2; each pop cell is 400 m2 with
    # 4 people, i.e. 0.01 people per m2 -> 9 * 100 * 0.01 = 9 people
    assert out.people[0] == pytest.approx(100)
    assert out.people_in_hot_spots[0] == pytest.approx(9)
    assert out.share_in_hot_spots[0] == pytest.approx(0.09)


def test_heat_exposure_per_zone_adds_up(lst, pop):
    zones = gpd.GeoDataFrame({"name": ["W", "E"]},
                             geometry=[box(0, 0, 50, 100), box(50, 0, 100, 100)], crs=3067)
    out = heat_exposure(pop, lst, zones=zones, zone_column="name", vulnerable_share=0.2)
    assert out.people.sum() == pytest.approx(20)
    total = heat_exposure(pop, lst, vulnerable_share=0.2)
    assert out.people_in_hot_spots.sum() == pytest.approx(total.people_in_hot_spots[0])


def test_heat_bad_input(lst, pop):
    bad = lst.copy()
    bad.attrs["units"] = "m"
    with pytest.raises(UnitsError):
        hot_spots(bad)
    with pytest.raises(InputValueError):
        hot_spots(lst, percentile=100)
    with pytest.raises(InputValueError):
        heat_exposure(pop, lst, vulnerable_share=2)
    stacked = lst.expand_dims(year=[2020, 2021])
    with pytest.raises((InputValueError, DimensionError)):
        hot_spots(stacked)
