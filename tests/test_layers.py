"""Reading, validating and writing layers: every error path and every writer's round trip."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import rasterio
from shapely.geometry import LineString, Point, Polygon, box

from tests.conftest import shared_path
from urbanrisk import layers
from urbanrisk.errors import (
    CRSMismatchError,
    DimensionError,
    EmptyLayerError,
    GeographicCRSError,
    InputValueError,
    InvalidGeometryError,
    MissingCRSError,
    NoOverlapError,
    OutputExistsError,
    UnitsError,
    UrbanRiskError,
)
from urbanrisk.layers import raster_from_array


# ---------------------------------------------------------------------------- errors
def test_every_error_is_an_urbanrisk_error():
    import urbanrisk.errors as e

    for name in e.__all__:
        assert issubclass(getattr(e, name), UrbanRiskError)


def test_missing_crs_vector_and_raster(depth_3x3):
    gdf = gpd.GeoDataFrame(geometry=[Point(0, 0)])
    with pytest.raises(MissingCRSError, match=r"set_crs"):
        layers.require_crs(gdf, name="buildings")
    bare = depth_3x3.copy()
    bare = bare.drop_vars("spatial_ref")
    bare.attrs.pop("grid_mapping", None)
    bare.encoding.pop("grid_mapping", None)
    with pytest.raises(MissingCRSError, match=r"rio.write_crs"):
        layers.require_crs(bare)


def test_crs_mismatch_names_both(points_3067):
    other = points_3067.to_crs(4326)
    with pytest.raises(CRSMismatchError, match=r"EPSG:3067.*EPSG:4326"):
        layers.require_same_crs(points_3067, other, names=("assets", "zones"))


def test_geographic_refused_or_reprojected():
    helsinki = gpd.GeoDataFrame(geometry=[Point(385_000, 6_672_000)], crs=3067)
    geo = helsinki.to_crs(4326)
    with pytest.raises(GeographicCRSError, match=r"metres"):
        layers.require_projected(geo, reproject=False)
    metric = layers.require_projected(geo)
    assert metric.crs.to_epsg() == 32635  # Helsinki lies in UTM zone 35N
    back = metric.to_crs(3067)  # the round trip does not move the point
    assert back.geometry.iloc[0].distance(helsinki.geometry.iloc[0]) < 1e-6


def test_web_mercator_is_not_metric(points_3067):
    wm = points_3067.to_crs(3857)
    with pytest.raises(GeographicCRSError):
        layers.require_projected(wm, reproject=False)


def test_no_overlap(depth_3x3):
    far = gpd.GeoDataFrame(geometry=[box(1000, 1000, 1010, 1010)], crs=3067)
    with pytest.raises(NoOverlapError, match="do not overlap"):
        layers.require_overlap(depth_3x3, far, names=("hazard", "buildings"))
    near = gpd.GeoDataFrame(geometry=[box(25, 25, 35, 35)], crs=3067)
    layers.require_overlap(depth_3x3, near)


def test_empty_layers(depth_3x3):
    with pytest.raises(EmptyLayerError, match="no features"):
        layers.require_non_empty(gpd.GeoDataFrame(geometry=[], crs=3067), name="roads")
    with pytest.raises(EmptyLayerError, match="nodata"):
        layers.require_non_empty(depth_3x3 * np.nan)
    layers.require_non_empty(depth_3x3)


def test_invalid_and_empty_geometries_reported_not_dropped():
    bowtie = Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    gdf = gpd.GeoDataFrame(
        {"k": [1, 2, 3]}, geometry=[box(0, 0, 1, 1), bowtie, Polygon()], crs=3067
    )
    with pytest.raises(InvalidGeometryError, match=r"1 missing or empty.*rows \[2\]"):
        layers.check_geometries(gdf)
    with pytest.raises(InvalidGeometryError, match=r"1 invalid geometries.*rows \[1\]"):
        layers.check_geometries(gdf, drop_empty=True)
    fixed = layers.check_geometries(gdf, drop_empty=True, make_valid=True)
    assert fixed.is_valid.all() and list(fixed["k"]) == [1, 2]
    assert gdf.geometry.iloc[1].equals(bowtie)  # input untouched


def test_units(depth_3x3):
    assert layers.require_units(depth_3x3, ["m", "mm"]) == "m"
    with pytest.raises(UnitsError, match="degC"):
        layers.require_units(depth_3x3, "degC")
    no_units = depth_3x3.copy()
    no_units.attrs = {}
    with pytest.raises(UnitsError, match=r"attrs\['units'\]"):
        layers.require_units(no_units)
    assert layers.normalize_units("Meters") == "m"


def test_dims(depth_3x3):
    layers.require_dims(depth_3x3)
    with pytest.raises(DimensionError, match="return_period"):
        layers.require_dims(depth_3x3, required=("return_period", "y", "x"))
    stacked = depth_3x3.expand_dims(year=[2050])
    with pytest.raises(DimensionError, match="unexpected dims"):
        layers.require_dims(stacked, allowed=("return_period",))


def test_require_positive():
    assert layers.require_positive(2.5, name="d") == 2.5
    for bad in (0, -1, float("nan"), float("inf"), "x", "2.5", True, None):
        with pytest.raises(InputValueError):
            layers.require_positive(bad, name="max_distance_m")
    assert layers.require_positive(0, name="d", allow_zero=True) == 0.0


def test_align_vector_to_raster(depth_3x3, points_3067):
    moved = points_3067.to_crs(4326)
    aligned = layers.align_vector_to_raster(moved, depth_3x3)
    assert aligned.crs.to_epsg() == 3067
    assert np.allclose(aligned.geometry.x, points_3067.geometry.x, atol=1e-6)
    assert layers.align_vector_to_raster(points_3067, depth_3x3) is points_3067


# ---------------------------------------------------------------------------- rasters
def test_raster_from_array_coords_are_cell_centres(depth_3x3):
    assert list(depth_3x3.x.values) == [5.0, 15.0, 25.0]
    assert list(depth_3x3.y.values) == [25.0, 15.0, 5.0]
    assert depth_3x3.rio.bounds() == (0.0, 0.0, 30.0, 30.0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_raster_round_trip_keeps_values_crs_nodata_units(tmp_path, depth_3x3, dtype):
    da = depth_3x3.astype(dtype)
    da.attrs["units"] = "m"
    out = layers.write_raster(da, tmp_path / "depth.tif")
    back = layers.read_raster(out)
    np.testing.assert_array_equal(back.values, da.values)
    assert back.rio.crs.to_epsg() == da.rio.crs.to_epsg() == 3067
    assert back.attrs["units"] == "m"
    assert back.rio.transform() == da.rio.transform()
    with rasterio.open(out) as src:
        assert src.driver == "GTiff"
        assert src.profile["tiled"]  # COG layout
        assert np.isnan(src.nodata)


def test_raster_round_trip_with_explicit_nodata_and_extra_dim(tmp_path):
    values = np.arange(2 * 3 * 4, dtype="float32").reshape(2, 3, 4)
    values[1, 0, 0] = np.nan
    da = raster_from_array(
        values, crs=3067, transform=(5, 0, 100, 0, -5, 200), units="m",
        extra_dim="return_period", extra_coords=[10, 100],
    )
    out = layers.write_raster(da, tmp_path / "rp.tif", nodata=-9999.0)
    with rasterio.open(out) as src:
        assert src.nodata == -9999.0 and src.count == 2
    back = layers.read_raster(out)
    assert back.dims == ("return_period", "y", "x")
    assert list(back.return_period.values) == [10, 100]
    np.testing.assert_array_equal(back.values, values)


def test_read_raster_chunks_is_lazy(tmp_path, depth_3x3):
    out = layers.write_raster(depth_3x3, tmp_path / "d.tif")
    lazy = layers.read_raster(out, chunks={"x": 2, "y": 2})
    assert type(lazy.data).__module__.startswith("dask")
    np.testing.assert_array_equal(lazy.values, depth_3x3.values)


def test_read_raster_units_argument_wins(tmp_path, depth_3x3):
    out = layers.write_raster(depth_3x3, tmp_path / "d.tif")
    assert layers.read_raster(out, units="metres").attrs["units"] == "m"


def test_read_raster_without_crs_raises(tmp_path):
    path = tmp_path / "nocrs.tif"
    with rasterio.open(
        path, "w", driver="GTiff", width=2, height=2, count=1, dtype="float32"
    ) as dst:
        dst.write(np.ones((1, 2, 2), dtype="float32"))
    with pytest.raises(MissingCRSError):
        layers.read_raster(path)


def test_writers_refuse_to_overwrite(tmp_path, depth_3x3, squares_3067):
    r = layers.write_raster(depth_3x3, tmp_path / "d.tif")
    with pytest.raises(OutputExistsError, match="overwrite=True"):
        layers.write_raster(depth_3x3, r)
    layers.write_raster(depth_3x3 * 2, r, overwrite=True)
    assert np.nanmax(layers.read_raster(r).values) == 4.0

    v = layers.write_vector(squares_3067, tmp_path / "v.gpkg", layer="sq")
    with pytest.raises(OutputExistsError):
        layers.write_vector(squares_3067, v, layer="sq")
    t = layers.write_table(pd.DataFrame({"a": [1]}), tmp_path / "t.csv")
    with pytest.raises(OutputExistsError):
        layers.write_table(pd.DataFrame({"a": [2]}), t)
    assert isinstance(OutputExistsError("x"), FileExistsError)


def test_failed_write_leaves_nothing(tmp_path, depth_3x3):
    target = tmp_path / "d.tif"
    bad = depth_3x3.expand_dims(a=[1]).expand_dims(b=[1])  # two extra dims: refused
    with pytest.raises(DimensionError):
        layers.write_raster(bad, target)
    with pytest.raises(RuntimeError), layers.atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []


def test_killed_write_leaves_no_partial_file(tmp_path):
    """SIGKILL a process in the middle of a large write: the target never appears."""
    target = tmp_path / "big.tif"
    started = tmp_path / "started"
    script = textwrap.dedent(
        f"""
        import numpy as np, pathlib
        from urbanrisk import layers
        from urbanrisk.layers import raster_from_array
        da = raster_from_array(np.random.default_rng(0).random((4, 3000, 3000)),
                               crs=3067, transform=(1, 0, 0, 0, -1, 3000), units="m",
                               extra_dim="return_period", extra_coords=[1, 2, 3, 4])
        real = layers.atomic_path
        import contextlib
        @contextlib.contextmanager
        def announcing(path, **kw):
            with real(path, **kw) as tmp:
                pathlib.Path({str(started)!r}).write_text(str(tmp))
                yield tmp
        layers.atomic_path = announcing
        layers.write_raster(da, {str(target)!r}, compress="LZMA")
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 120
    while not started.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert started.exists(), "the writer never started"
    time.sleep(0.5)  # let it write part of the file
    assert proc.poll() is None, "the write finished before it could be interrupted"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not target.exists()


# ---------------------------------------------------------------------------- vectors
def test_vector_round_trip_gpkg_layers_and_parquet(tmp_path, squares_3067):
    lines = gpd.GeoDataFrame(
        {"len": [1.0]}, geometry=[LineString([(0, 0), (1, 0)])], crs=3067
    )
    gpkg = tmp_path / "out.gpkg"
    layers.write_vector(squares_3067, gpkg, layer="squares")
    layers.write_vector(lines, gpkg, layer="lines")  # second layer in the same file
    sq = layers.read_vector(gpkg, layer="squares")
    ln = layers.read_vector(gpkg, layer="lines")
    assert sq.crs.to_epsg() == 3067 and list(sq["name"]) == ["left", "right"]
    assert sq.geometry.equals(squares_3067.geometry)
    assert ln.geometry.iloc[0].length == 1.0

    pq = layers.write_vector(squares_3067, tmp_path / "out.parquet")
    back = layers.read_vector(pq)
    assert back.crs == squares_3067.crs and back.geometry.equals(squares_3067.geometry)
    with pytest.raises(InputValueError, match="gpkg or .parquet"):
        layers.write_vector(squares_3067, tmp_path / "out.shp")


def test_table_round_trip_csv_json(tmp_path):
    df = pd.DataFrame(
        {"city": ["helsinki"], "indicator": ["eca"], "value": [12.5], "unit": ["ha"]}
    )
    c = layers.write_table(df, tmp_path / "t.csv")
    pd.testing.assert_frame_equal(pd.read_csv(c), df)
    j = layers.write_table(df, tmp_path / "t.json")
    assert json.loads(j.read_text()) == df.to_dict(orient="records")
    with pytest.raises(InputValueError):
        layers.write_table(df, tmp_path / "t.xlsx")


def test_read_missing_files(tmp_path):
    with pytest.raises(FileNotFoundError):
        layers.read_raster(tmp_path / "nope.tif")
    with pytest.raises(FileNotFoundError):
        layers.read_vector(tmp_path / "nope.gpkg")


def test_caller_frames_are_not_changed(squares_3067):
    before = squares_3067.copy()
    layers.require_projected(squares_3067.to_crs(4326))
    layers.check_geometries(squares_3067)
    pd.testing.assert_frame_equal(squares_3067, before)


# ---------------------------------------------------------------------------- real data
@pytest.mark.shared_data
def test_real_helsinki_dem_comes_out_in_metres():
    path = shared_path("helsinki_lapinlahti_dem", "elevation_model_2021_lapinlahti.tif")
    dem = layers.read_raster(path, units="m")
    assert dem.rio.crs.to_epsg() == 4326
    rx, ry = (abs(r) for r in dem.rio.resolution())
    lat = np.radians(60.168)
    # cells are about 0.84 m east-west but 1.68 m north-south on the ground
    assert rx * np.cos(lat) * 111_320 == pytest.approx(0.84, abs=0.02)
    assert ry * 111_320 == pytest.approx(1.68, abs=0.02)
    metric = layers.require_projected(dem, name="dem")
    crs = pyproj.CRS.from_user_input(metric.rio.crs)
    assert crs.utm_zone == "35N"
    mx, my = (abs(r) for r in metric.rio.resolution())
    # 1.5e-5 deg is ~0.84 m east-west and ~1.67 m north-south at 60.17 N: the finer axis wins.
    assert mx == pytest.approx(0.841, abs=0.01) and my == pytest.approx(mx)
    w = metric.rio.bounds()
    assert 200 < w[2] - w[0] < 260 and 320 < w[3] - w[1] < 380  # about 230 m x 350 m
    assert metric.attrs["units"] == "m"
    valid = metric.values[np.isfinite(metric.values)]
    assert valid.min() == pytest.approx(0.0, abs=0.01)
    assert valid.max() == pytest.approx(10.99, abs=0.05)


@pytest.mark.shared_data
def test_real_population_grid_and_districts():
    pop = layers.read_vector(
        shared_path("helsinki_population_grid", "helsinki_population_grid_2020.gpkg")
    )
    assert len(pop) == 92 and int(pop["population"].sum()) == 71724
    metric = layers.require_projected(pop, name="population grid")
    assert metric.crs.utm_zone == "35N"
    # 250 m cells: about 62,500 m2 each once in metres
    assert metric.area.median() == pytest.approx(62_500, rel=0.02)
    districts = layers.read_vector(
        shared_path("helsinki_districts", "helsinki_city_districts_2021.gpkg")
    )
    assert len(districts) == 8
    with pytest.raises(CRSMismatchError):
        layers.require_same_crs(metric, districts, names=("population", "districts"))
    layers.require_overlap(metric, districts.to_crs(metric.crs), names=("population", "districts"))
