import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString, box

from urbanrisk.errors import (
    EmptyLayerError,
    InputValueError,
    InvalidGeometryError,
)
from urbanrisk.green import merge_patches, patches_from_landcover, patches_from_polygons
from urbanrisk.layers import raster_from_array, read_raster

DATA = Path(__file__).parents[2] / ".." / "shared" / "data"


def _lc(values, cell=10.0, crs=3067):
    arr = np.asarray(values)
    return raster_from_array(arr, crs=crs, transform=(cell, 0, 0, 0, -cell, cell * arr.shape[0]))


def test_landcover_patches_by_eye():
    lc = _lc([[1, 1, 0, 2],
              [0, 0, 0, 2],
              [3, 0, 0, 0],
              [0, 3, 0, 1]])
    p = patches_from_landcover(lc, habitat_classes=[1, 2, 3])
    # patches in scan order: {(0,0),(0,1)}, {(0,3),(1,3)}, {(2,0),(3,1)} (diagonal), {(3,3)}
    assert p["n_cells"].tolist() == [2, 2, 2, 1]
    np.testing.assert_allclose(p["area_m2"], [200.0, 200.0, 200.0, 100.0])
    assert p["patch_id"].tolist() == [0, 1, 2, 3]
    assert p.geometry.is_valid.all()
    np.testing.assert_allclose(p.geometry.area, p["area_m2"])
    four = patches_from_landcover(lc, habitat_classes=[1, 2, 3], connectivity=4)
    assert len(four) == 5
    q = patches_from_landcover(lc, habitat_classes={1: 1.0, 2: 0.5, 3: 0.0}, min_area_m2=150)
    np.testing.assert_allclose(q["attribute"], [200.0, 100.0, 0.0])


def test_landcover_bad_inputs():
    with pytest.raises(EmptyLayerError):
        patches_from_landcover(_lc([[0, 0]]), habitat_classes=[1])
    with pytest.raises(EmptyLayerError):
        patches_from_landcover(_lc([[1, 0]]), habitat_classes=[1], min_area_m2=1000)
    # land cover in degrees is reprojected to UTM with nearest neighbour (#12), not refused
    geo = raster_from_array(np.ones((2, 2)), crs=4326, transform=(0.01, 0, 24, 0, -0.01, 60))
    p = patches_from_landcover(geo, habitat_classes=[1])
    assert p.crs.is_projected and len(p) == 1
    assert p["area_m2"].iloc[0] == pytest.approx(2 * 557.0 * 2 * 1111.0, rel=0.05)
    with pytest.raises(InputValueError):
        patches_from_landcover(_lc([[1]]), habitat_classes={1: 2.0})
    with pytest.raises(InputValueError):
        patches_from_landcover(_lc([[1]]), habitat_classes=[1], min_area_m2=-1)


@pytest.mark.shared_data
def test_seurasaari_forest_patches_match_cell_counts():
    path = DATA / "helsinki_seurasaari_landcover" / "Clc2018_Seurasaari.tif"
    if not path.exists():
        pytest.skip(f"shared Seurasaari land cover not found at {path}")
    lc = read_raster(path)
    # CORINE level-4 Finnish forest classes present on the island (codes 23-34 are forests)
    forest = [c for c in range(23, 35)]
    p = patches_from_landcover(lc, habitat_classes=forest)
    vals = lc.values
    n_forest = int(np.isin(np.where(np.isfinite(vals), vals, -1), forest).sum())
    assert p["n_cells"].sum() == n_forest
    assert p["area_m2"].sum() == pytest.approx(n_forest * 400.0)
    np.testing.assert_allclose(p.geometry.area, p["area_m2"])
    assert p.geometry.is_valid.all()
    big = patches_from_landcover(lc, habitat_classes=forest, min_area_m2=10_000)
    assert (big["area_m2"] >= 10_000).all() and len(big) <= len(p)


def test_polygons_dissolve_touching_and_quality():
    gdf = gpd.GeoDataFrame(
        {"q": [1.0, 0.5, 1.0]},
        geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10), box(100, 0, 110, 10)],
        crs=3067,
    )
    p = patches_from_polygons(gdf, quality_column="q", dissolve=True)
    np.testing.assert_allclose(p["area_m2"], [200.0, 100.0])
    np.testing.assert_allclose(p["attribute"], [150.0, 100.0])
    assert p["n_parts"].tolist() == [2, 1]
    assert p["merged_ids"].tolist() == ["0,1", "2"]
    assert len(gdf) == 3  # input untouched
    kept = patches_from_polygons(gdf, quality_column="q")
    np.testing.assert_allclose(kept["attribute"], [100.0, 50.0, 100.0])


def test_polygons_touching_at_a_corner_are_kept_by_default(caplog):
    """#14: a patch layer with ids keeps its patches; dissolving is asked for, and reported."""
    gdf = gpd.GeoDataFrame(
        {"patch_id": [7, 3, 9]},
        geometry=[box(0, 0, 10, 10), box(10, 10, 30, 20), box(100, 0, 110, 10)],
        index=["a", "b", "c"], crs=3067,
    )
    p = patches_from_polygons(gdf)
    assert p["patch_id"].tolist() == [7, 3, 9]  # the user's ids
    assert p.index.tolist() == ["a", "b", "c"]  # on the input index
    np.testing.assert_allclose(p["area_m2"], [100.0, 200.0, 100.0])
    assert p["n_parts"].tolist() == [1, 1, 1]
    with caplog.at_level(logging.INFO, logger="urbanrisk.green.patches"):
        d = patches_from_polygons(gdf, dissolve=True)
    # the two boxes share only the point (10, 10): one patch of 300 m², reported
    assert d["patch_id"].tolist() == [0, 1]
    np.testing.assert_allclose(d["area_m2"], [300.0, 100.0])
    assert d["merged_ids"].tolist() == ["7,3", "9"]
    assert "merged" in caplog.text and "7,3" in caplog.text
    # min_area_m2 drops a row without renumbering the others
    assert patches_from_polygons(gdf, min_area_m2=150)["patch_id"].tolist() == [3]


def test_polygons_ids_and_overlap_warning(caplog):
    gdf = gpd.GeoDataFrame({"gid": ["x", "y"]},
                           geometry=[box(0, 0, 10, 10), box(5, 0, 15, 10)], crs=3067)
    with caplog.at_level(logging.WARNING, logger="urbanrisk.green.patches"):
        p = patches_from_polygons(gdf, id_column="gid")
    assert p["patch_id"].tolist() == ["x", "y"]
    assert "overlap" in caplog.text and "x/y" in caplog.text
    with pytest.raises(InputValueError, match="unique"):
        patches_from_polygons(gdf.assign(gid=["x", "x"]), id_column="gid")
    with pytest.raises(InputValueError, match="not a column"):
        patches_from_polygons(gdf, id_column="nope")
    with pytest.raises(InputValueError):
        patches_from_polygons(gdf, dissolve="yes")


def test_polygons_geographic_input_is_reprojected():
    gdf = gpd.GeoDataFrame(geometry=[box(24.9, 60.17, 24.91, 60.175)], crs=4326)
    p = patches_from_polygons(gdf)
    assert p.crs.is_projected
    assert p["area_m2"].iloc[0] == pytest.approx(555.7 * 556.2, rel=0.01)


def test_polygons_bad_inputs():
    flat = gpd.GeoDataFrame(geometry=[box(0, 0, 10, 10), box(0, 0, 10, 0).buffer(0)],
                            crs=3067)
    with pytest.raises(InvalidGeometryError):
        patches_from_polygons(flat)
    zero = gpd.GeoDataFrame(geometry=[box(0, 0, 10, 10), LineString([(0, 0), (1, 1)])],
                            crs=3067)
    with pytest.raises(InvalidGeometryError):
        patches_from_polygons(zero)
    with pytest.raises(EmptyLayerError):
        patches_from_polygons(gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)], crs=3067),
                              min_area_m2=10)
    with pytest.raises(EmptyLayerError):
        patches_from_polygons(gpd.GeoDataFrame(geometry=[], crs=3067))


def test_merge_patches_gap_and_barrier():
    parks = patches_from_polygons(gpd.GeoDataFrame(
        geometry=[box(0, 0, 10, 10), box(109, 0, 119, 10), box(119.5, 0, 130, 10),
                  box(300, 0, 310, 10)], crs=3067))
    m = merge_patches(parks, gap_m=100)
    # 0-1 are 99 m apart (< 100): grouped; 1-2 0.5 m; 3 is 170 m away
    assert m["merged_ids"].tolist() == ["0,1,2", "3"]
    assert m["area_m2"].sum() == pytest.approx(parks["area_m2"].sum())
    rail = gpd.GeoDataFrame(geometry=[LineString([(50, -10), (50, 20)])], crs=3067)
    m2 = merge_patches(parks, gap_m=100, barriers=rail)
    assert m2["merged_ids"].tolist() == ["0", "1,2", "3"]
    with pytest.raises(InputValueError):
        merge_patches(parks, gap_m=0)


@pytest.mark.parametrize("bad", [6, True, 8.5, "8"])
def test_connectivity_must_be_4_or_8(bad):
    lc = raster_from_array(np.array([[1, 0], [0, 1]]), crs=3067, transform=(10, 0, 0, 0, -10, 20))
    with pytest.raises(InputValueError, match="connectivity must be 4 or 8"):
        patches_from_landcover(lc, habitat_classes=[1], connectivity=bad)
