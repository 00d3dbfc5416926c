import geopandas as gpd
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, box

from urbanrisk.errors import InputValueError
from urbanrisk.green import (
    CBI_BANDS,
    cbi_bands,
    cbi_connectivity,
    cbi_natural_areas,
    cbi_score_connectivity,
    cbi_score_natural_areas,
    green_access,
)
from urbanrisk.layers import raster_from_array

CITY = gpd.GeoDataFrame(geometry=[box(0, 0, 10_000, 10_000)], crs=3067)  # 10,000 ha


def test_indicator1_by_hand_overlaps_and_outside_parts_ignored():
    nat = gpd.GeoDataFrame(geometry=[box(0, 0, 1000, 1000), box(500, 0, 1500, 1000),
                                     box(-500, 0, 0, 1000)], crs=3067)
    out = cbi_natural_areas(nat, CITY).set_index("indicator")
    # union inside the city: 1500 x 1000 m = 150 ha of 10,000 ha = 1.5 %
    assert out.loc["cbi_1_natural_areas", "value"] == pytest.approx(1.5)
    assert out.loc["cbi_1_natural_areas", "score"] == 1
    assert out.loc["natural_area", "value"] == pytest.approx(1.5e6)


def test_indicator2_by_hand_groups_and_barrier():
    # three 100-ha squares: A and B 50 m apart, C 2 km away
    a = box(0, 0, 1000, 1000)
    b = box(1050, 0, 2050, 1000)
    c = box(4000, 0, 5000, 1000)
    nat = gpd.GeoDataFrame(geometry=[a, b, c], crs=3067)
    out = cbi_connectivity(nat, version="2014").set_index("indicator")
    # groups 200 ha and 100 ha: (200^2 + 100^2) / 300 = 166.67 ha -> 0 points (2014)
    assert out.loc["cbi_2_connectivity", "value"] == pytest.approx(50_000 / 300)
    assert out.loc["cbi_2_connectivity", "unit"] == "ha"
    assert out.loc["cbi_2_connectivity", "score"] == 0
    assert out.loc["n_groups", "value"] == 2
    assert set(out["version"]) == {"2014"}
    # 2021: coherence = 166.67 / 300 = 55.6 % -> 2 points (40-59.9 %)
    new = cbi_connectivity(nat, version="2021").set_index("indicator")
    assert new.loc["cbi_2_connectivity", "value"] == pytest.approx(100 * 50_000 / 300**2)
    assert new.loc["cbi_2_connectivity", "unit"] == "%"
    assert new.loc["cbi_2_connectivity", "score"] == 2
    assert new.loc["effective_mesh_size", "value"] == pytest.approx(50_000 / 300)
    road = gpd.GeoDataFrame(geometry=[LineString([(1025, -100), (1025, 1100)])], crs=3067)
    out2 = cbi_connectivity(nat, barriers=road, version="2014").set_index("indicator")
    assert out2.loc["cbi_2_connectivity", "value"] == pytest.approx(100.0)
    # denominator is the natural area, not the city area
    big = gpd.GeoDataFrame(geometry=[box(0, 0, 5000, 5000)], crs=3067)
    one = cbi_connectivity(big, city=CITY, version="2014").set_index("indicator")
    assert one.loc["cbi_2_connectivity", "value"] == pytest.approx(2500.0)
    assert one.loc["cbi_2_connectivity", "score"] == 4
    whole = cbi_connectivity(big, city=CITY).set_index("indicator")
    assert whole.loc["cbi_2_connectivity", "value"] == pytest.approx(100.0)  # one group
    assert whole.loc["cbi_2_connectivity", "score"] == 4


def test_indicator2_overlaps_count_once_and_corner_touching_areas_group():
    # two 100 x 100 m areas overlapping by half and a third touching at a corner:
    # one group of 1.5 + 1 = 2.5 ha
    nat = gpd.GeoDataFrame(geometry=[box(0, 0, 100, 100), box(50, 0, 150, 100),
                                     box(150, 100, 250, 200)], crs=3067)
    out = cbi_connectivity(nat, version="2014").set_index("indicator")
    assert out.loc["natural_area", "value"] == pytest.approx(25_000)
    assert out.loc["cbi_2_connectivity", "value"] == pytest.approx(2.5)


def test_indicator2_matches_wri_city_metrix_formulas():
    """Second implementation: the formulas of WRI cities-cif ``habitat_connectivity.py``
    (EMS in ha = sum(a²)/total/10000, coherence = sum(a²)/total²·100) on groups found
    here by brute force: dissolved parts, every pair closer than 100 m joined."""
    import networkx as nx

    rng = np.random.default_rng(5)
    xy = rng.integers(0, 12, (25, 2)) * 120.0
    side = rng.uniform(20, 160, 25)
    nat = gpd.GeoDataFrame(geometry=[box(x, y, x + s, y + s) for (x, y), s
                                     in zip(xy, side, strict=True)], crs=3067)
    dissolved = nat.geometry.union_all()
    parts = list(getattr(dissolved, "geoms", [dissolved]))
    g = nx.Graph()
    g.add_nodes_from(range(len(parts)))
    g.add_edges_from((i, j) for i in range(len(parts)) for j in range(i + 1, len(parts))
                     if parts[i].distance(parts[j]) < 100)
    areas = np.array([sum(parts[i].area for i in comp) for comp in nx.connected_components(g)])
    assert 1 < len(areas) < len(parts)  # the fixture has real groups
    total = areas.sum()
    out = cbi_connectivity(nat).set_index("indicator")
    assert out.loc["natural_area", "value"] == pytest.approx(total)
    assert out.loc["effective_mesh_size", "value"] == pytest.approx(
        (areas**2).sum() / total / 10_000)
    assert out.loc["landscape_coherence", "value"] == pytest.approx(
        (areas**2).sum() / total**2 * 100)


def test_versions_are_explicit_and_recorded():
    for v in ("2015", "", None, 2014.0):
        with pytest.raises(InputValueError, match="version"):
            cbi_score_connectivity(10.0, version=v)
    assert cbi_score_connectivity(10.0, version=2014) == 0  # an int year is fine
    assert cbi_bands(2, "2014").unit == "ha" and cbi_bands(2, "2021").unit == "%"
    for key, bands in CBI_BANDS.items():
        assert bands.verified[:3] in ("[U]", "[S]", "[P]")
        assert bands.source and bands.printed
        assert key == (bands.indicator, bands.version)
    with pytest.raises(InputValueError):
        cbi_score_connectivity(100.5)  # coherence is a percentage
    assert cbi_score_connectivity(100.5, version="2014") == 0  # 100.5 ha


@pytest.mark.parametrize(
    ("pct", "score"), [(0.0, 0), (0.99, 0), (1.0, 1), (6.9, 1), (7.0, 2), (13.9, 2),
                       (14.0, 3), (20.0, 3), (20.01, 4), (90, 4)])
def test_indicator1_bands(pct, score):
    assert cbi_score_natural_areas(pct) == score


@pytest.mark.parametrize("version", ["2014", "2021"])
def test_indicator1_bands_same_in_both_editions(version):
    for pct, score in [(0.99, 0), (1.0, 1), (6.9, 1), (7.0, 2), (14.0, 3), (20.0, 3),
                       (20.01, 4)]:
        assert cbi_score_natural_areas(pct, version=version) == score


@pytest.mark.parametrize(
    ("ha", "score"), [(0, 0), (199, 0), (200, 0), (201, 1), (500, 1), (501, 2), (1000, 2),
                      (1001, 3), (1500, 3), (1501, 4)])
def test_indicator2_bands_2014_hectares(ha, score):
    assert cbi_score_connectivity(ha, version="2014") == score


@pytest.mark.parametrize(
    ("pct", "score"), [(0, 0), (19.99, 0), (20, 1), (39.9, 1), (39.95, 1), (40, 2),
                       (59.9, 2), (60, 3), (79, 3), (79.01, 4), (100, 4)])
def test_indicator2_bands_2021_coherence(pct, score):
    # printed legend "< 20 / 20-39.9 / 40-59.9 / 60-79 / > 79 %"
    assert cbi_score_connectivity(pct, version="2021") == score
    assert cbi_score_connectivity(pct) == score  # the default edition


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40), st.integers(1, 10)),
                min_size=1, max_size=8))
def test_indicator2_between_largest_group_share_and_total(squares):
    geoms = [box(x * 100, y * 100, x * 100 + s * 50, y * 100 + s * 50) for x, y, s in squares]
    nat = gpd.GeoDataFrame(geometry=geoms, crs=3067)
    out = cbi_connectivity(nat, version="2014").set_index("indicator")
    total_ha = out.loc["natural_area", "value"] / 1e4
    v = out.loc["cbi_2_connectivity", "value"]
    assert v <= total_ha * (1 + 1e-9)
    assert v >= total_ha / len(geoms) * (1 - 1e-9) - 1e-9


def test_green_access_population_and_buildings():
    pop = raster_from_array(np.array([[10.0, 20.0, 30.0, np.nan],
                                      [1.0, 2.0, 3.0, 4.0]]), crs=3067,
                            transform=(200, 0, 0, 0, -200, 400), units="people")
    # park 1 ha at the west edge, tiny park (0.01 ha) in the east
    parks = gpd.GeoDataFrame(geometry=[box(-100, 0, 0, 400), box(490, 390, 500, 400)],
                             crs=3067)
    zones = gpd.GeoDataFrame({"name": ["north", "south"]},
                             geometry=[box(0, 200, 800, 400), box(0, 0, 800, 200)], crs=3067)
    out = green_access(parks, zones.set_index("name"), population=pop).by_zone
    # cell centres x = 100, 300, 500, 700: within 300 m of the park edge x=0: 100 and 300
    assert out.loc["north", "residents"] == pytest.approx(60.0)
    assert out.loc["north", "residents_with_access"] == pytest.approx(30.0)
    assert out.loc["south", "share_with_access"] == pytest.approx(3.0 / 10.0)
    # lower min area: the tiny park also reaches the x=500 cell in the north
    small = green_access(parks, zones.set_index("name"), population=pop, min_area_m2=50).by_zone
    assert small.loc["north", "residents_with_access"] == pytest.approx(60.0)
    bld = gpd.GeoDataFrame({"res": [5, 7]}, geometry=[Point(50, 50), Point(700, 50)],
                           crs=3067)
    b = green_access(parks, zones.set_index("name"), buildings=bld,
                     weight_column="res").by_zone
    assert b.loc["south", "share_with_access"] == pytest.approx(5 / 12)
    assert np.isnan(b.loc["north", "share_with_access"])
    with pytest.raises(InputValueError):
        green_access(parks, zones)
    with pytest.raises(InputValueError):
        green_access(parks, zones, population=pop, walk_distance_m=0)
