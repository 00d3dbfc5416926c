"""``layers.reproject_counts``: people moved to another grid, none created or lost."""

from __future__ import annotations

import numpy as np
import pyproj
import pytest
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from shapely.geometry import box

from urbanrisk.errors import GridError, InputValueError, MissingCRSError
from urbanrisk.layers import raster_from_array, reproject_counts, require_projected


def _people(values, *, crs=3067, transform=(10, 0, 0, 0, -10, 30)):
    return raster_from_array(np.asarray(values, dtype=float), crs=crs, transform=transform,
                             units="people", name="population")


def test_four_cells_merge_into_one_by_hand():
    out = reproject_counts(_people([[1, 2], [3, 4]], transform=(10, 0, 0, 0, -10, 20)),
                           3067, resolution_m=20.0)
    assert out.shape == (1, 1)
    assert float(out.values[0, 0]) == pytest.approx(10.0, abs=1e-12)
    assert out.name == "population" and out.attrs["units"] == "people"


def test_matches_exact_area_weights_on_a_shifted_grid():
    """Independent reference: each source cell shared by the area of overlap (shapely)."""
    values = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])
    src = _people(values)  # 10 m cells, x 0..30, y 0..30
    t = Affine(15.0, 0, -5.0, 0, -15.0, 35.0)  # 15 m cells, shifted: 3 x 3 covers -5..40
    out = reproject_counts(src, 3067, transform=t, shape=(3, 3))
    expected = np.zeros((3, 3))
    for r in range(3):
        for c in range(3):
            cell = box(10 * c, 30 - 10 * (r + 1), 10 * (c + 1), 30 - 10 * r)
            for rr in range(3):
                for cc in range(3):
                    x0, y1 = t * (cc, rr)
                    x1, y0 = t * (cc + 1, rr + 1)
                    share = cell.intersection(box(x0, y0, x1, y1)).area / cell.area
                    expected[rr, cc] += values[r, c] * share
    got = np.nan_to_num(out.values)
    assert got.sum() == pytest.approx(45.0, rel=1e-12)
    np.testing.assert_allclose(got, expected, atol=1e-9)


def test_integer_counts_and_per_band_totals():
    pop = raster_from_array(np.stack([np.full((2, 2), 3), np.full((2, 2), 5)]).astype("int32"),
                            crs=3067, transform=(10, 0, 0, 0, -10, 20), units="people",
                            extra_dim="year", extra_coords=[2020, 2030])
    out = reproject_counts(pop, 3067, resolution_m=20.0)
    np.testing.assert_allclose(out.sum(("y", "x")).values, [12.0, 20.0])
    assert pop.dtype == np.int32  # the input is not changed


def test_require_projected_keeps_the_people_of_a_degree_grid():
    deg = _people(np.ones((4, 4)), crs=4326, transform=(0.001, 0, 24.93, 0, -0.001, 60.17))
    out = require_projected(deg, name="population")
    assert pyproj.CRS(out.rio.crs).to_epsg() == 32635
    assert float(out.sum()) == pytest.approx(16.0, rel=1e-9)


def test_a_grid_that_misses_part_of_the_source_is_refused():
    src = _people(np.ones((3, 3)))
    with pytest.raises(GridError, match="does not cover"):
        reproject_counts(src, 3067, transform=Affine(10, 0, 0, 0, -10, 30), shape=(1, 1))


def test_bad_arguments_say_what_to_give():
    src = _people(np.ones((2, 2)))
    with pytest.raises(InputValueError, match="either resolution_m"):
        reproject_counts(src, 3067)
    with pytest.raises(InputValueError, match="either resolution_m"):
        reproject_counts(src, 3067, resolution_m=5.0, transform=Affine.identity(), shape=(2, 2))
    bare = src.drop_vars("spatial_ref")
    bare.attrs.pop("grid_mapping", None)
    bare.encoding.pop("grid_mapping", None)
    with pytest.raises(MissingCRSError, match="population has no CRS"):
        reproject_counts(bare, 3067, resolution_m=5.0)


@settings(max_examples=25, deadline=None)
@given(
    values=arrays(np.float64, (4, 5), elements=st.floats(0, 1000, allow_nan=False)),
    res=st.floats(3.0, 40.0),
)
def test_total_is_kept_and_nothing_negative(values, res):
    out = reproject_counts(_people(values, transform=(10, 0, 500, 0, -10, 800)), 3067,
                           resolution_m=res)
    assert float(out.sum()) == pytest.approx(float(values.sum()), rel=1e-9, abs=1e-9)
    assert float(out.min()) >= -1e-9
