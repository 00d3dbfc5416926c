import os

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
from shapely.geometry import Polygon, box

from urbanrisk.green import cbi_barriers
from urbanrisk.hazard import JRC_CLASS_FOR_OCCUPANCY
from urbanrisk.sources import OSM_LAYERS, building_use, osm_layers, parse_width_m

from .conftest import BBOX


def test_parse_width_m_by_hand():
    got = parse_width_m(pd.Series(["7", "7.5 m", "3,5", "12'", "12 ft", "12'6\"", "10 feet",
                                   "5-7", "wide", "-3", None, np.nan, 4.0]))
    want = [7.0, 7.5, 3.5, 3.6576, 3.6576, 3.81, 3.048, np.nan, np.nan, np.nan, np.nan,
            np.nan, 4.0]
    np.testing.assert_allclose(got.to_numpy(), want, rtol=1e-12)
    assert got.name == "width"


def test_building_use_rules_in_order():
    tags = pd.DataFrame({
        "building": ["house", "yes", "yes", "yes", "yes", "church", "yes", "yes"],
        "amenity": [None, "hospital", "restaurant", None, None, "cafe", None, None],
        "shop": [None, None, None, "bakery", None, None, None, None],
        "craft": [None, None, None, None, "carpenter", None, None, None],
        "healthcare": [None, None, None, None, None, None, "clinic", None],
    }, index=[10, 11, 12, 13, 14, 15, 16, 17])
    got = building_use(tags)
    assert got.index.tolist() == tags.index.tolist()
    assert got["occupancy"].tolist() == ["residential", "public", "commercial", "commercial",
                                         "industrial", "public", "public", "other"]
    assert got.loc[15, "occupancy_basis"] == "building=church"  # building tag first
    assert set(got["occupancy"]) <= set(JRC_CLASS_FOR_OCCUPANCY)


def test_building_use_falls_back_to_the_landuse_under_it():
    sq = [box(0, 0, 10, 10), box(100, 0, 110, 10)]
    b = gpd.GeoDataFrame({"building": ["yes", "yes"]}, geometry=sq, crs=32635)
    lu = gpd.GeoDataFrame({"landuse": ["retail"]},
                          geometry=[Polygon([(-5, -5), (50, -5), (50, 50), (-5, 50)])],
                          crs=32635)
    got = building_use(b, landuse=lu)
    assert got.values.tolist() == [["commercial", "landuse=retail"], ["other", "none"]]


@pytest.fixture(scope="module")
def helsinki(helsinki_pbf):
    return osm_layers(helsinki_pbf, bbox=BBOX)


def test_osm_layers_are_clipped_projected_and_typed(helsinki):
    assert set(helsinki) == set(OSM_LAYERS)
    # the box with its edges densified (they curve in UTM), plus 1 cm
    area = gpd.GeoSeries([box(*BBOX).segmentize(1e-5)], crs=4326).to_crs(32635)
    area = area.buffer(0.01).iloc[0]
    for name, gdf in helsinki.items():
        assert gdf.crs.to_epsg() == 32635, name
        if len(gdf):
            assert gdf.geometry.within(area).all(), name
    assert (helsinki["buildings"].geom_type.isin(["Polygon", "MultiPolygon"])).all()
    assert (helsinki["roads"].geom_type == "LineString").all()
    assert (helsinki["health"].geom_type == "Point").all()
    assert len(helsinki["buildings"]) > 100 and len(helsinki["roads"]) > 200
    np.testing.assert_allclose(helsinki["buildings"]["area_m2"],
                               helsinki["buildings"].geometry.area)
    assert helsinki["roads"]["width"].dtype == float
    assert set(helsinki["roads"].loc[helsinki["roads"]["width"].notna(), "width_source"]) \
        <= {"width", "est_width"}


def test_osm_roads_feed_the_cbi_barriers(helsinki):
    roads = helsinki["roads"]
    barriers = cbi_barriers(roads)
    assert len(barriers) > 0
    # the rule quotes the mapped width or the highway class, never a guess
    assert barriers["rule"].str.match(r"width >= 15 m|highway class \w+ \(proxy\)").all()


def test_osm_buildings_match_gdal_osm_driver(helsinki, helsinki_pbf, monkeypatch):
    """An independent reader (GDAL's OSM driver) finds the same building ways."""
    import pyogrio

    monkeypatch.setenv("OSM_USE_CUSTOM_INDEXING", "NO")
    ref = pyogrio.read_dataframe(helsinki_pbf, layer="multipolygons", on_invalid="ignore",
                                 columns=["osm_id", "osm_way_id", "building"])
    ref = ref[ref["building"].notna() & (ref["building"] != "no") & ref["osm_way_id"].notna()]
    ref = ref[ref.geometry.notna() & ref.geometry.intersects(box(*BBOX))]
    ref_ids = set(ref["osm_way_id"].astype("int64"))
    ours = helsinki["buildings"]
    our_ids = set(ours.loc[ours["osm_type"] == "way", "osm_id"].astype("int64"))
    assert len(our_ids & ref_ids) >= 0.95 * len(ref_ids)
    assert len(our_ids - ref_ids) <= 0.05 * len(our_ids)


def test_osm_layers_on_the_other_bundled_extract():
    pyrosm = pytest.importorskip("pyrosm")
    layers = osm_layers(pyrosm.get_data("test_pbf"), bbox=(26.935, 60.525, 26.965, 60.535),
                        crs="EPSG:3067")
    assert pyproj.CRS(layers["roads"].crs).to_epsg() == 3067
    assert len(layers["buildings"]) > 50 and len(layers["roads"]) > 10


def test_missing_pbf_is_a_file_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="No OSM extract"):
        osm_layers(tmp_path / "nowhere.osm.pbf", bbox=BBOX)


@pytest.mark.skipif(not os.environ.get("URBANRISK_ONLINE_TESTS"),
                    reason="needs the Overpass API (set URBANRISK_ONLINE_TESTS=1)")
def test_osm_layers_online_same_columns():  # pragma: no cover - network
    from urbanrisk.sources import osm_layers_online

    layers = osm_layers_online(BBOX)
    assert set(layers) == set(OSM_LAYERS)
