import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point, box

from urbanrisk.errors import InputValueError, NoOverlapError
from urbanrisk.green import cost_distance, least_cost_corridor
from urbanrisk.layers import raster_from_array


def _r(values, cell=10.0, crs=3067):
    arr = np.asarray(values, dtype=float)
    return raster_from_array(arr, crs=crs, transform=(cell, 0, 0, 0, -cell, cell * arr.shape[0]))


def test_cost_distance_by_eye():
    r = _r([[1, 2, 4],
            [1, 1, 1]])
    out = cost_distance(r, gpd.GeoDataFrame(geometry=[Point(5, 15)], crs=3067))
    s2 = np.sqrt(2)
    # right: (1+2)/2*10 = 15, then (2+4)/2*10 = 30 -> 45; or down-diag-diag...
    expected = [[0.0, 15.0, min(45.0, 10 + 10 + 10 * s2 * 2.5)],
                [10.0, min(10 * s2, 10 + 10), min(10 * s2 + 10, 20 + 10)]]
    np.testing.assert_allclose(out.values, expected)
    assert out.attrs["units"] == "m"


def test_corridor_follows_low_resistance_valley():
    r = np.full((5, 7), 10.0)
    r[2, :] = 1.0  # a cheap valley along the middle row
    parks = gpd.GeoDataFrame({"patch_id": [7, 8]},
                             geometry=[box(0, 0, 10, 50), box(60, 0, 70, 50)], crs=3067)
    corridor, poly = least_cost_corridor(_r(r), parks, from_id=7, to_id=8, width_m=10)
    vals = corridor.values
    # width 10 m: only the path cells themselves (distance 0 <= 5 m)
    assert np.isfinite(vals[2, 1:6]).all()
    assert np.isnan(vals[[0, 1, 3, 4], 3]).all()
    assert poly["least_cost_m"].iloc[0] == pytest.approx(60.0)
    assert np.nanmax(vals) == pytest.approx(0.0)
    wide, poly3 = least_cost_corridor(_r(r), parks, from_id=7, to_id=8, width_m=30)
    assert np.isfinite(wide.values[1:4, 3]).all() and np.isnan(wide.values[0, 3])
    assert poly3["area_m2"].iloc[0] > poly["area_m2"].iloc[0]
    # off-path cells carry their detour cost, >= 0
    assert np.nanmin(wide.values) == pytest.approx(0.0, abs=1e-9)
    assert np.nanmax(wide.values) > 0


def test_corridor_bad_inputs():
    parks = gpd.GeoDataFrame({"patch_id": [0, 1]},
                             geometry=[box(0, 0, 10, 10), box(40, 0, 50, 10)], crs=3067)
    ok = _r([[1, 1, 1, 1, 1]])
    with pytest.raises(InputValueError):
        least_cost_corridor(ok, parks, from_id=0, to_id=5)
    with pytest.raises(InputValueError):
        least_cost_corridor(ok, parks, from_id=0, to_id=0)
    with pytest.raises(InputValueError):
        least_cost_corridor(ok, parks, from_id=0, to_id=1, width_m=0)
    with pytest.raises(InputValueError, match="No passable path"):
        least_cost_corridor(_r([[1, 1, np.nan, 1, 1]]), parks, from_id=0, to_id=1)
    with pytest.raises(InputValueError, match="<= 0"):
        least_cost_corridor(_r([[1, 0, 1, 1, 1]]), parks, from_id=0, to_id=1)
    # a raster in degrees is reprojected to UTM (#12), where these parks are far away
    geo = raster_from_array(np.ones((2, 2)), crs=4326, transform=(0.01, 0, 24, 0, -0.01, 60))
    with pytest.raises(NoOverlapError):
        cost_distance(geo, parks)
