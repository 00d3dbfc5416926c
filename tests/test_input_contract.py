"""The one input path (``layers.prepare_raster`` / ``prepare_vector``) and the units registry.

Each real-world quirk gets a tiny fixture whose right answer (or clear refusal) is checked by
hand; hypothesis checks that the answer does not depend on how the same grid is stored.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import rioxarray
import xarray as xr
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from shapely.geometry import LineString, box

from urbanrisk import layers, units
from urbanrisk.errors import (
    DimensionError,
    EmptyLayerError,
    GeographicCRSError,
    GridError,
    InputValueError,
    InvalidGeometryError,
    NoOverlapError,
    UnitsError,
)
from urbanrisk.layers import prepare_raster, prepare_vector, raster_from_array


def _grid(values, *, units="m", transform=(10.0, 0, 0, 0, -10.0, 30.0), crs=3067):
    return raster_from_array(np.asarray(values, float), crs=crs, transform=transform,
                             units=units, name="depth")


# ------------------------------------------------------------------------------ units
def test_units_are_the_defining_constants():
    assert float(units.convert(1.0, "ft", "m")) == pytest.approx(0.3048, rel=1e-15)
    assert float(units.convert(3937.0, "US survey foot", "m")) == pytest.approx(1200.0)
    assert float(units.convert(273.15, "kelvin", "°C")) == pytest.approx(0.0, abs=1e-12)
    assert float(units.convert(212.0, "degF", "degC")) == pytest.approx(100.0)
    assert float(units.convert(250.0, "mm", "cm")) == pytest.approx(25.0)
    assert float(units.convert(50.0, "%", "1")) == pytest.approx(0.5)


@pytest.mark.parametrize("a, b", [("m", "degC"), ("people", "m"), ("MMI", "m"), (None, "m")])
def test_units_refuse_what_cannot_be_converted(a, b):
    with pytest.raises(UnitsError):
        units.convert(1.0, a, b)


def test_unknown_units_pass_through_as_labels():
    assert units.normalize_units(" W/m2 ") == "W/m2"
    assert units.canonical_units("W/m2") == "W/m2"
    assert units.quantity_of("W/m2") is None


# ------------------------------------------------------------------------------ nodata
def test_declared_nodata_is_masked_even_when_left_in_the_values():
    da = _grid([[1.0, -9999.0], [2.0, 3.0]]).rio.write_nodata(-9999.0)
    out = prepare_raster(da)
    assert np.isnan(out.values[0, 1])
    assert float(out.max()) == pytest.approx(3.0)
    assert np.isnan(da.values).sum() == 0  # the caller's array is untouched


def test_unmasked_file_read_by_rioxarray_is_masked(tmp_path):
    path = tmp_path / "dem.tif"
    with rasterio.open(path, "w", driver="GTiff", width=2, height=2, count=1,
                       dtype="float32", crs="EPSG:3067",
                       transform=Affine(1, 0, 0, 0, -1, 2), nodata=-9999) as dst:
        dst.write(np.array([[[-9999, 1], [2, 3]]], dtype="float32"))
        dst.update_tags(units="m")
    raw = rioxarray.open_rasterio(path)  # no masked=True: -9999 stays a value
    out = prepare_raster(raw, to_units="m")
    assert out.dims == ("y", "x")
    assert np.isnan(out.values[0, 0])
    assert float(np.nanmin(out.values)) == pytest.approx(1.0)


def test_declared_scale_and_offset_are_applied():
    da = _grid([[10.0, 20.0]])
    da.attrs.update(scale_factor=0.1, add_offset=1.0)
    out = prepare_raster(da)
    np.testing.assert_allclose(out.values, [[2.0, 3.0]])


def test_all_nodata_is_refused():
    with pytest.raises(EmptyLayerError):
        prepare_raster(_grid([[np.nan, np.nan]]))


# ------------------------------------------------------------------------------ grids
def _rotated_file(tmp_path, degrees=27.0):
    t = Affine.translation(1000, 2000) * Affine.rotation(degrees) * Affine.scale(10, -10)
    path = tmp_path / "rotated.tif"
    with rasterio.open(path, "w", driver="GTiff", width=30, height=20, count=1,
                       dtype="float32", crs="EPSG:3067", transform=t) as dst:
        dst.write(np.ones((1, 20, 30), dtype="float32"))
        dst.update_tags(units="m")
    return path


def test_rotated_grid_is_refused_with_the_fix(tmp_path):
    raw = rioxarray.open_rasterio(_rotated_file(tmp_path))
    with pytest.raises(GridError, match="north_up"):
        prepare_raster(raw, name="topobathy")


def test_rotated_grid_warped_keeps_its_area(tmp_path):
    # 600 cells of 100 m²: 60,000 m² whatever the rotation
    up = layers.read_raster(_rotated_file(tmp_path), warp=True)
    out = prepare_raster(up, to_units="m")
    assert layers.cell_area_m2(out) == pytest.approx(100.0)
    covered = float(np.isfinite(out.values).sum()) * layers.cell_area_m2(out)
    assert covered == pytest.approx(60_000.0, rel=0.05)


def test_cell_area_of_a_rotated_transform_is_its_determinant():
    da = xr.DataArray(np.ones((3, 3)), dims=("y", "x")).rio.write_crs(3067)
    da = da.rio.write_transform(Affine.rotation(27) * Affine.scale(10, -5))
    assert layers.cell_area_m2(da) == pytest.approx(50.0)


def test_south_up_and_sortby_give_the_north_up_grid():
    da = _grid([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    for variant in (da.sortby("y"), da.isel(y=slice(None, None, -1))):
        out = prepare_raster(variant)
        np.testing.assert_array_equal(out.values, da.values)
        assert tuple(out.rio.transform())[:6] == pytest.approx(tuple(da.rio.transform())[:6])


def test_tiles_out_of_order_are_sorted():
    da = _grid(np.arange(12.0).reshape(2, 6))
    shuffled = xr.concat([da.isel(x=slice(4, 6)), da.isel(x=slice(0, 2)),
                          da.isel(x=slice(2, 4))], dim="x")
    out = prepare_raster(shuffled)
    np.testing.assert_array_equal(out.values, da.values)
    assert out.rio.transform().c == pytest.approx(0.0)


def test_tiles_with_gaps_or_overlaps_are_refused():
    da = _grid(np.arange(12.0).reshape(2, 6))
    with pytest.raises(GridError, match="irregular"):
        prepare_raster(da.isel(x=[0, 1, 2, 4, 5]))
    with pytest.raises(GridError, match="repeats"):
        prepare_raster(xr.concat([da.isel(x=slice(0, 3)), da.isel(x=slice(2, 6))], dim="x"))


def test_same_grid_needs_transform_and_crs_not_only_shape():
    a = _grid(np.zeros((2, 2)))
    layers.require_same_grid(a, a.copy(), names=("dem", "connection"))
    shifted = _grid(np.zeros((2, 2)), transform=(10.0, 0, 1000, 0, -10.0, 30.0))
    with pytest.raises(GridError):
        layers.require_same_grid(a, shifted, names=("dem", "connection"))


# ------------------------------------------------------------------------------ CRS
def test_feet_crs_is_reprojected_to_metres():
    # NAD83 / Massachusetts Mainland (ftUS)
    da = _grid(np.ones((4, 4)), crs=2249, transform=(30.0, 0, 775_000, 0, -30.0, 2_955_000))
    out = prepare_raster(da)
    assert out.rio.crs.linear_units in ("metre", "meter")
    with pytest.raises(GeographicCRSError):
        prepare_raster(da, reproject=False)


def test_vector_in_degrees_is_measured_in_metres():
    road = gpd.GeoDataFrame(geometry=[LineString([(24.93, 60.16), (24.95, 60.16)])], crs=4326)
    out = prepare_vector(road, name="roads")
    assert out.crs.is_projected
    assert float(out.length.iloc[0]) == pytest.approx(1111.0, rel=0.01)


# ------------------------------------------------------------------------------ units
def test_feet_are_converted_and_recorded():
    out = prepare_raster(_grid([[10.0]], units="ft"), to_units="m")
    assert float(out.values[0, 0]) == pytest.approx(3.048)
    assert out.attrs["units"] == "m"
    assert out.attrs["converted_from_units"] == "ft"


def test_units_argument_fills_a_missing_tag_and_conflicts_are_refused():
    bare = _grid([[1.0]], units=None)
    assert prepare_raster(bare, units="ft", to_units="m").values[0, 0] == pytest.approx(0.3048)
    with pytest.raises(UnitsError, match="units"):
        prepare_raster(bare, to_units="m")
    with pytest.raises(UnitsError, match="says its units"):
        prepare_raster(_grid([[1.0]], units="m"), units="ft")
    with pytest.raises(UnitsError):
        prepare_raster(_grid([[20.0]], units="degC"), to_units="people")


def test_string_cells_and_missing_dims_are_refused():
    cells = xr.DataArray(np.array([["a", "b"]]), dims=("y", "x"),
                         coords={"y": [0.5], "x": [0.5, 1.5]}).rio.write_crs(3067)
    with pytest.raises(InputValueError, match="numeric"):
        prepare_raster(cells)
    with pytest.raises(DimensionError):
        prepare_raster(_grid(np.zeros((2, 2))).rename(x="lon"))


def test_class_codes_must_be_whole_numbers():
    layers.require_class_codes(_grid([[1.0, np.nan, 3.0]], units="class"))
    with pytest.raises(InputValueError, match="non-integer"):
        layers.require_class_codes(_grid([[1.0, 3.4]], units="class"), name="landcover")


# ------------------------------------------------------------------------------ parameters
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "1.5", True, None, [1.0]])
def test_parameters_refuse_nan_inf_and_non_numbers(bad):
    with pytest.raises(InputValueError):
        layers.require_number(bad, name="sea_level_m")


def test_probabilities_and_bounds():
    assert layers.require_probability(1, name="p") == 1.0
    for bad in (-0.1, 1.1, float("nan")):
        with pytest.raises(InputValueError):
            layers.require_probability(bad, name="p")
    with pytest.raises(InputValueError, match="> 0"):
        layers.require_numbers([10, 0], name="return_periods", low=0, low_open=True)


def test_numeric_columns_are_not_coerced():
    df = gpd.GeoDataFrame({"value": ["100", "n/a"]}, geometry=[box(0, 0, 1, 1)] * 2,
                          crs=3067)
    with pytest.raises(InputValueError, match="numbers"):
        layers.require_numeric_column(df, "value", name="buildings")
    with pytest.raises(InputValueError, match="missing"):
        layers.require_numeric_column(df, "cost", name="buildings")


# ------------------------------------------------------------------------------ vectors
def test_vectors_must_overlap_and_have_the_right_geometry():
    parks = gpd.GeoDataFrame(geometry=[box(0, 0, 10, 10)], crs=3067)
    depth = _grid(np.ones((3, 3)))
    assert prepare_vector(parks, name="parks", like=depth).crs.to_epsg() == 3067
    far = parks.translate(5000, 5000)
    with pytest.raises(NoOverlapError):
        prepare_vector(gpd.GeoDataFrame(geometry=far, crs=3067), name="parks", like=depth)
    with pytest.raises(InvalidGeometryError, match="Polygon"):
        prepare_vector(parks.boundary, name="parks", geom_types=("Polygon", "MultiPolygon"))


# ------------------------------------------------------------------------------ hypothesis
@settings(max_examples=40, deadline=None)
@given(
    values=arrays(np.float64, st.tuples(st.integers(2, 6), st.integers(2, 8)),
                  elements=st.floats(-50, 50, allow_nan=False)),
    cut=st.integers(1, 7),
)
def test_storage_does_not_change_the_grid(values, cut):
    """South-up, reordered x tiles and -9999 left unmasked all give the same raster."""
    da = _grid(values)
    ref = prepare_raster(da)
    cut = min(cut, values.shape[1] - 1)
    variants = [
        da.isel(y=slice(None, None, -1)),
        xr.concat([da.isel(x=slice(cut, None)), da.isel(x=slice(0, cut))], dim="x"),
    ]
    holes = values.copy()
    holes[0, 0] = -9999.0
    with_nodata = _grid(holes).rio.write_nodata(-9999.0)
    for v in variants:
        out = prepare_raster(v)
        np.testing.assert_array_equal(out.values, ref.values)
        np.testing.assert_allclose(tuple(out.rio.transform())[:6], tuple(ref.rio.transform())[:6])
    masked = prepare_raster(with_nodata).values
    assert np.isnan(masked[0, 0])
    np.testing.assert_array_equal(masked.ravel()[1:], values.ravel()[1:])
