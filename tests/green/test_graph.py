import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from shapely.geometry import Polygon, box

from urbanrisk.errors import InputValueError, InvalidGeometryError
from urbanrisk.green import (
    DispersalKernel,
    least_cost_graph,
    node_importance,
    patch_graph,
    patch_points,
    patches_from_polygons,
)
from urbanrisk.layers import raster_from_array


@pytest.fixture
def parks():
    return patches_from_polygons(gpd.GeoDataFrame(
        geometry=[box(0, 0, 10, 10), box(40, 0, 50, 10), box(40, 40, 50, 50),
                  box(500, 500, 520, 520)], crs=3067))


def test_edge_and_centroid_distances_by_eye(parks):
    g = patch_graph(parks, max_distance_m=50)
    assert sorted(g.edges(data="distance_m")) == [
        (0, 1, pytest.approx(30.0)), (0, 2, pytest.approx(np.hypot(30, 30))),
        (1, 2, pytest.approx(30.0))]
    assert g.nodes[3]["area_m2"] == pytest.approx(400.0)
    assert g.nodes[3]["x"] == pytest.approx(510.0)
    c = patch_graph(parks, max_distance_m=50, distance="centroid")
    assert sorted(c.edges(data="distance_m")) == [(0, 1, pytest.approx(40.0)),
                                                  (1, 2, pytest.approx(40.0))]
    full = patch_graph(parks, max_distance_m=None, distance="centroid")
    assert full.number_of_edges() == 6


def test_edge_graph_matches_brute_force_pairs():
    rng = np.random.default_rng(2)
    xy = rng.uniform(0, 2000, (60, 2))
    geoms = [box(x, y, x + s, y + s) for (x, y), s in zip(xy, rng.uniform(5, 80, 60),
                                                           strict=True)]
    p = patches_from_polygons(gpd.GeoDataFrame(geometry=geoms, crs=3067))
    g = patch_graph(p, max_distance_m=150)
    expected = set()
    gs = p.geometry.values
    for i in range(len(p)):
        for j in range(i + 1, len(p)):
            if gs[i].distance(gs[j]) < 150:  # strictly closer (Conefor)
                expected.add((i, j))
    assert {tuple(sorted(e)) for e in g.edges} == expected


def test_graph_bad_inputs(parks):
    with pytest.raises(InputValueError):
        patch_graph(parks, max_distance_m=0)
    with pytest.raises(InputValueError):
        patch_graph(parks, max_distance_m=-5)
    with pytest.raises(InputValueError):
        patch_graph(parks, max_distance_m=10, distance="manhattan")
    with pytest.raises(InputValueError):
        patch_graph(parks.drop(columns="attribute"), max_distance_m=10)
    zero = parks.copy()
    zero.loc[0, "geometry"] = box(0, 0, 10, 0)
    with pytest.raises(InvalidGeometryError):
        patch_graph(zero, max_distance_m=10)


def _resistance(values, cell=10.0):
    arr = np.asarray(values, dtype=float)
    return raster_from_array(arr, crs=3067, transform=(cell, 0, 0, 0, -cell, cell * arr.shape[0]))


def test_least_cost_graph_detours_around_high_resistance():
    # 3 x 5 grid, patches in the left and right columns; a wall of 100 in the middle
    # column except the bottom cell
    r = np.ones((3, 5))
    r[0:2, 2] = 100.0
    parks = patches_from_polygons(gpd.GeoDataFrame(
        geometry=[box(0, 20, 10, 30), box(40, 20, 50, 30)], crs=3067))  # top row
    g = least_cost_graph(parks, _resistance(r))
    # straight along the top row: 10 + 10*(1+100)/2*2 + 10 = 1030;
    # around: diag down, diag down, right, diag up... best: (0,0)->(1,1)->(2,2)->(1,3)->(0,4)
    # = 4 diagonal steps of cost 10*sqrt2 = 56.57
    assert g.edges[0, 1]["distance_m"] == pytest.approx(40 * np.sqrt(2))
    # uniform resistance 1: centre-to-centre grid distance
    g1 = least_cost_graph(parks, _resistance(np.ones((3, 5))))
    assert g1.edges[0, 1]["distance_m"] == pytest.approx(40.0)
    imp = node_importance(g, kernel=DispersalKernel(distance_m=100))
    assert len(imp) == 2


def test_least_cost_graph_matches_networkx_grid():
    rng = np.random.default_rng(0)
    r = rng.uniform(1, 10, (8, 9))
    parks = patches_from_polygons(gpd.GeoDataFrame(
        geometry=[box(0, 0, 20, 20), box(60, 60, 90, 80), box(0, 60, 10, 70)], crs=3067))
    g = least_cost_graph(parks, _resistance(r))
    grid = nx.Graph()
    ny, nx_ = r.shape
    for y in range(ny):
        for x in range(nx_):
            for dy, dx in ((0, 1), (1, 0), (1, 1), (1, -1)):
                yy, xx = y + dy, x + dx
                if 0 <= yy < ny and 0 <= xx < nx_:
                    step = 10 * (np.sqrt(2) if dy and dx else 1)
                    grid.add_edge((y, x), (yy, xx), w=(r[y, x] + r[yy, xx]) / 2 * step)

    def cells(geom):
        out = []
        for y in range(ny):
            for x in range(nx_):
                cx, cy = 10 * x + 5, 10 * ny - (10 * y + 5)
                if geom.contains(gpd.points_from_xy([cx], [cy])[0]):
                    out.append((y, x))
        return out

    cs = [cells(gm) for gm in parks.geometry]
    for i in range(3):
        for j in range(i + 1, 3):
            src = "s"
            h = grid.copy()
            h.add_edges_from((src, c, {"w": 0.0}) for c in cs[i])
            d = nx.single_source_dijkstra_path_length(h, src, weight="w")
            assert g.edges[i, j]["distance_m"] == pytest.approx(min(d[c] for c in cs[j]))


def test_least_cost_graph_bad_resistance():
    parks = patches_from_polygons(gpd.GeoDataFrame(
        geometry=[box(0, 0, 10, 10), box(40, 0, 50, 10)], crs=3067))
    with pytest.raises(InputValueError, match="<= 0"):
        least_cost_graph(parks, _resistance([[1, 0, 1, 1, 1]]))
    with pytest.raises(InputValueError, match="NaN"):
        least_cost_graph(parks, _resistance([[np.nan, 1, 1, 1, 1]]))
    # NaN wall: no link, but no error (patches are simply not connected)
    g = least_cost_graph(parks, _resistance([[1, 1, np.nan, 1, 1]]))
    assert g.number_of_edges() == 0


# --- #14: node point of irregular patches, and the threshold rule ---------------------
# A C-shaped patch: the 30 x 30 m square [0, 30]² without the notch [10, 30] x [10, 20].
# Area 900 - 200 = 700 m²; centroid x = (900·15 - 200·20) / 700 = 95/7 = 13.571 m, y = 15:
# inside the notch, outside the patch. The point on the surface (GEOS scans the line
# y = 15, whose only interior run is x in [0, 10]) is its midpoint (5, 15).
C_SHAPE = Polygon([(0, 0), (30, 0), (30, 10), (10, 10), (10, 20), (30, 20), (30, 30),
                   (0, 30)])


@pytest.fixture
def c_and_square():
    # a 10 x 10 m square centred at (65, 15)
    return patches_from_polygons(gpd.GeoDataFrame(
        geometry=[C_SHAPE, box(60, 10, 70, 20)], crs=3067))


def test_patch_points_of_a_c_shape_by_hand(c_and_square):
    geo = patch_points(c_and_square, centroid="geometric")
    assert (geo.x.iloc[0], geo.y.iloc[0]) == (pytest.approx(95 / 7), pytest.approx(15.0))
    assert not geo.iloc[0].within(C_SHAPE)
    inside = patch_points(c_and_square)
    assert inside.iloc[0].within(C_SHAPE)
    assert (inside.x.iloc[0], inside.y.iloc[0]) == (pytest.approx(5.0), pytest.approx(15.0))
    # a convex patch keeps its centroid
    assert (inside.x.iloc[1], inside.y.iloc[1]) == (pytest.approx(65.0), pytest.approx(15.0))
    assert inside.index.equals(c_and_square.index)


def test_centroid_graph_uses_a_point_inside_the_patch(c_and_square):
    g = patch_graph(c_and_square, max_distance_m=None, distance="centroid")
    assert g.graph["centroid"] == "inside"
    assert g.edges[0, 1]["distance_m"] == pytest.approx(65.0 - 5.0)
    assert (g.nodes[0]["x"], g.nodes[0]["y"]) == (pytest.approx(5.0), pytest.approx(15.0))
    plain = patch_graph(c_and_square, max_distance_m=None, distance="centroid",
                        centroid="geometric")
    assert plain.edges[0, 1]["distance_m"] == pytest.approx(65.0 - 95 / 7)
    # and the link exists or not depending on the point: 51.4 m < 55 m < 60 m
    assert patch_graph(c_and_square, max_distance_m=55, distance="centroid",
                       centroid="geometric").number_of_edges() == 1
    assert patch_graph(c_and_square, max_distance_m=55,
                       distance="centroid").number_of_edges() == 0
    with pytest.raises(InputValueError, match="centroid"):
        patch_graph(c_and_square, max_distance_m=55, distance="centroid", centroid="mean")


def test_threshold_is_exclusive_like_conefor():
    # edge-to-edge 30 m, centroid-to-centroid 40 m, both exact in binary floating point
    parks = patches_from_polygons(gpd.GeoDataFrame(
        geometry=[box(0, 0, 10, 10), box(40, 0, 50, 10)], crs=3067))
    assert patch_graph(parks, max_distance_m=30).number_of_edges() == 0
    assert patch_graph(parks, max_distance_m=30.001).number_of_edges() == 1
    assert patch_graph(parks, max_distance_m=40, distance="centroid").number_of_edges() == 0
    assert patch_graph(parks, max_distance_m=40.001,
                       distance="centroid").number_of_edges() == 1
    # least-cost links follow the same rule: cost 40 on a uniform grid
    r = _resistance(np.ones((1, 5)))
    assert least_cost_graph(parks, r, max_cost_m=40).number_of_edges() == 0
    assert least_cost_graph(parks, r, max_cost_m=40.001).number_of_edges() == 1
