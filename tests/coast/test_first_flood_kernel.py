"""The one-pass first-year kernel (coast._flood.first_years) and first_flood_year on it."""

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from urbanrisk.coast import first_flood_year
from urbanrisk.coast._flood import first_years
from urbanrisk.layers import raster_from_array


def _per_cell(conn, series, years):
    """Reference: for each cell and row, scan the years for the running maximum."""
    out = np.full((series.shape[0], conn.size), np.nan, dtype="float32")
    for k in range(series.shape[0]):
        for i, c in enumerate(np.asarray(conn, dtype="float64").ravel()):
            if np.isnan(c):
                continue
            running = -np.inf
            for t, level in enumerate(series[k]):
                running = max(running, level)
                if running >= c:
                    out[k, i] = years[t]
                    break
    return out


def test_by_hand():
    # levels 0.1, 0.3, 0.2 (falls: running max stays 0.3), 0.6 in 2030..2100; NaN and
    # +inf cells are never reached, -inf from the first year
    series = np.array([[0.1, 0.3, 0.2, 0.6], [0.0, 0.0, 0.5, 0.5]])
    years = np.array([2030, 2050, 2070, 2100])
    conn = np.array([0.05, 0.25, 0.3, 0.5, 2.0, np.nan, np.inf, -np.inf])
    got = first_years(conn, series, years)
    nan = np.nan
    np.testing.assert_array_equal(
        got,
        np.array([[2030, 2050, 2050, 2100, nan, nan, nan, 2030],
                  [2070, 2070, 2070, 2070, nan, nan, nan, 2030]], dtype="float32"),
    )


@settings(max_examples=60, deadline=None)
@given(
    conn=hnp.arrays(np.float32, st.integers(1, 300),
                    elements=st.one_of(st.floats(-2, 3, width=32), st.just(np.nan))),
    k=st.integers(1, 4),
    t=st.integers(1, 12),
    seed=st.integers(0, 2**31 - 1),
)
def test_same_as_scanning_the_years(conn, k, t, seed):
    rng = np.random.default_rng(seed)
    # levels on a coarse grid so that cells sit exactly on a level, with repeats
    series = np.round(rng.normal(0.5, 1.0, (k, t)), 1)
    conn = np.where(rng.random(conn.size) < 0.3, series.ravel()[
        rng.integers(0, series.size, conn.size)], conn).astype(conn.dtype)
    years = np.arange(2020, 2020 + t)
    np.testing.assert_array_equal(first_years(conn, series, years),
                                  _per_cell(conn, series, years))


def test_first_flood_year_raster_keeps_grid_without_copy():
    conn = raster_from_array(np.array([[0.05, 0.25], [np.nan, 9.0]], dtype="float32"),
                             crs=3067, transform=(1, 0, 0, 0, -1, 2), units="m")
    conn.attrs["kind"] = "connection_level"
    lv = xr.DataArray([0.1, 0.3], dims="year", coords={"year": [2030, 2050]},
                      attrs={"units": "m"})
    fy = first_flood_year(conn, lv)
    assert fy.rio.crs == conn.rio.crs
    assert fy.rio.transform() == conn.rio.transform()
    np.testing.assert_array_equal(fy.values, [[2030, 2050], [np.nan, np.nan]])


def test_large_grid_one_pass_equals_reference_on_a_sample():
    rng = np.random.default_rng(0)
    conn = rng.gamma(2.0, 0.5, 200_000).astype("float32")
    conn[rng.random(conn.size) < 0.05] = np.nan
    series = np.cumsum(rng.uniform(-0.01, 0.03, (6, 131)), axis=1)
    years = np.arange(2020, 2151)
    got = first_years(conn, series, years)
    idx = rng.choice(conn.size, 500, replace=False)
    np.testing.assert_array_equal(got[:, idx], _per_cell(conn[idx], series, years))
    assert got.shape == (6, conn.size)
    assert np.isnan(got[:, np.isnan(conn)]).all()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dtype_of_connection_levels(dtype):
    conn = np.array([0.1, 0.2, 0.30000001], dtype=dtype)
    series = np.array([[0.1, 0.2, 0.3]])
    got = first_years(conn, series, np.array([1, 2, 3]))
    ref = _per_cell(conn, series, np.array([1, 2, 3]))
    np.testing.assert_array_equal(got, ref)
