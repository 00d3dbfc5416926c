import geopandas as gpd
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from urbanrisk.green import effective_mesh_size, effective_mesh_size_raster
from urbanrisk.layers import raster_from_array


def _raster(arr, cell=10.0):
    arr = np.asarray(arr, dtype=float)
    return raster_from_array(arr, crs=3067, transform=(cell, 0, 0, 0, -cell, cell * arr.shape[0]))


def test_vector_by_hand_cut_and_cbc():
    patches = gpd.GeoDataFrame(geometry=[box(0, 0, 20, 10), box(30, 0, 60, 10)], crs=3067)
    units = gpd.GeoDataFrame({"name": ["w", "e"]},
                             geometry=[box(0, 0, 40, 10), box(40, 0, 80, 10)], crs=3067)
    cut = effective_mesh_size(patches, units)
    # w: (200^2 + 100^2) / 400 = 125 ; e: 200^2 / 400 = 100
    assert cut["effective_mesh_size_m2"].tolist() == pytest.approx([125.0, 100.0])
    cbc = effective_mesh_size(patches, units, cross_boundary=True)
    # w: (200*200 + 100*300)/400 = 175 ; e: 200*300/400 = 150
    assert cbc["effective_mesh_size_m2"].tolist() == pytest.approx([175.0, 150.0])
    assert (cbc["method"] == "CBC").all()


def test_raster_and_vector_agree():
    arr = np.zeros((6, 8))
    arr[0:2, 0:3] = 1
    arr[3:6, 2:8] = 1
    arr[5, 0] = 1
    h = _raster(arr)
    units = gpd.GeoDataFrame(geometry=[box(0, 0, 40, 60), box(40, 0, 80, 60)], crs=3067)
    patches = gpd.GeoDataFrame(
        geometry=[box(0, 40, 30, 60), box(20, 0, 80, 30), box(0, 0, 10, 10)], crs=3067)
    for cbc in (False, True):
        r = effective_mesh_size_raster(h, zones=units, cross_boundary=cbc)
        v = effective_mesh_size(patches, units, cross_boundary=cbc)
        np.testing.assert_allclose(r["effective_mesh_size_m2"], v["effective_mesh_size_m2"])
        np.testing.assert_allclose(r["total_area_m2"], v["total_area_m2"])


def test_matches_pylandstats():
    pls = pytest.importorskip("pylandstats")
    rng = np.random.default_rng(4)
    arr = (rng.random((40, 50)) < 0.45).astype(np.uint8) + 1  # classes 1 (other), 2 (habitat)
    ls = pls.Landscape(arr, res=(10, 10), nodata=0, neighborhood_rule="8")
    ref_ha = ls.effective_mesh_size(class_val=2)
    ours = effective_mesh_size_raster(_raster(arr == 2))
    assert ours["effective_mesh_size_ha"].iloc[0] == pytest.approx(ref_ha, rel=1e-12)
    ls4 = pls.Landscape(arr, res=(10, 10), nodata=0, neighborhood_rule="4")
    ours4 = effective_mesh_size_raster(_raster(arr == 2), connectivity=4)
    assert ours4["effective_mesh_size_ha"].iloc[0] == pytest.approx(
        ls4.effective_mesh_size(class_val=2), rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.booleans(), min_size=6, max_size=6), min_size=5, max_size=5))
def test_bounds_and_cbc_never_below_cut(rows):
    arr = np.array(rows, dtype=float)
    h = _raster(arr)
    units = gpd.GeoDataFrame(geometry=[box(0, 0, 30, 50), box(30, 0, 60, 50)], crs=3067)
    cut = effective_mesh_size_raster(h, zones=units)["effective_mesh_size_m2"]
    cbc = effective_mesh_size_raster(h, zones=units, cross_boundary=True)[
        "effective_mesh_size_m2"]
    assert (cbc >= cut - 1e-9).all()
    whole = effective_mesh_size_raster(h)["effective_mesh_size_m2"].iloc[0]
    assert 0 <= whole <= 3000 + 1e-9
    if arr.all():
        assert whole == pytest.approx(3000.0)


def test_bad_inputs():
    # a raster in degrees is reprojected to UTM (#12): one patch, m_eff = its area in m²
    geo = raster_from_array(np.ones((2, 2)), crs=4326, transform=(0.01, 0, 24, 0, -0.01, 60))
    m = effective_mesh_size_raster(geo)
    assert m["effective_mesh_size_m2"].iloc[0] == pytest.approx(
        m["total_area_m2"].iloc[0])
    assert m["total_area_m2"].iloc[0] == pytest.approx(2 * 557.0 * 2 * 1111.0, rel=0.05)
    from urbanrisk.errors import EmptyLayerError
    with pytest.raises(EmptyLayerError):
        effective_mesh_size(gpd.GeoDataFrame(geometry=[], crs=3067),
                            gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)], crs=3067))
