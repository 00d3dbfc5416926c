"""The input contract (#12) in urbanrisk.green: right answers on real-world quirks, or a refusal.

Each test is one quirk on a tiny grid or polygon set a reader can check by eye: degrees or
feet (reprojected, same answer), declared nodata read unmasked, rotated grids, south-up or
reordered tiles, NaN parameters, non-overlapping layers, string cells, float class codes.
"""

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, box

from urbanrisk.errors import (
    GridError,
    InputValueError,
    NoOverlapError,
    UnitsError,
)
from urbanrisk.green import (
    DispersalKernel,
    best_sites,
    cbi_connectivity,
    cbi_natural_areas,
    cbi_score_connectivity,
    cbi_score_natural_areas,
    components_at,
    cost_distance,
    effective_mesh_size,
    effective_mesh_size_raster,
    equivalent_connected_area,
    green_access,
    least_cost_corridor,
    least_cost_graph,
    merge_patches,
    node_importance,
    patch_graph,
    patches_from_landcover,
    patches_from_polygons,
    probability_of_connectivity,
    rank_candidates,
    residents_near,
)
from urbanrisk.layers import north_up, raster_from_array

# a corner of Helsinki in ETRS-TM35FIN (EPSG:3067, metres)
X0, Y0 = 385_000.0, 6_672_000.0
K = DispersalKernel(distance_m=200.0)


def _grid(values, *, cell=10.0, crs=3067, x0=X0, y0=Y0, units=None):
    arr = np.asarray(values)
    return raster_from_array(arr, crs=crs, units=units,
                             transform=(cell, 0, x0, 0, -cell, y0 + cell * arr.shape[0]))


def _gdf(*geoms, crs=3067, **cols):
    return gpd.GeoDataFrame(cols or None, geometry=list(geoms), crs=crs)


def _boxes(*xy, size=100.0):
    return _gdf(*(box(X0 + x, Y0 + y, X0 + x + size, Y0 + y + size) for x, y in xy))


def _south_up(da):
    return da.isel(y=slice(None, None, -1))


def _tiles_swapped(da, at=2):
    return xr.concat([da.isel(x=slice(at, None)), da.isel(x=slice(0, at))], dim="x")


def _rotated(values, degrees=90.0, cell=10.0):
    t = Affine.translation(X0, Y0) * Affine.rotation(degrees) * Affine.scale(cell, -cell)
    return xr.DataArray(np.asarray(values), dims=("y", "x")).rio.write_crs(3067) \
        .rio.write_transform(t)


def _assert_same_patches(a, b):
    assert a["patch_id"].tolist() == b["patch_id"].tolist()
    np.testing.assert_allclose(a["area_m2"], b["area_m2"])
    np.testing.assert_allclose(a["attribute"], b["attribute"])
    if "n_cells" in a:
        assert a["n_cells"].tolist() == b["n_cells"].tolist()
    diff = a.geometry.symmetric_difference(b.geometry.to_crs(a.crs), align=False).area
    assert diff.max() == pytest.approx(0.0, abs=1e-6)


LC = [[1, 1, 0, 2],
      [0, 0, 0, 2],
      [3, 0, 0, 0],
      [0, 3, 0, 1]]
HABITAT = {1: 1.0, 2: 0.5, 3: 1.0}


# ------------------------------------------------------------------ CRS: degrees, feet ---
def test_geographic_patches_give_the_same_pc_and_eca_as_metric_ones():
    parks = _boxes((0, 0), (150, 0), (400, 300), (900, 0))
    metric = patches_from_polygons(parks)
    geo = patches_from_polygons(parks.to_crs(4326))  # reprojected to UTM 35N, logged
    assert geo.crs.to_epsg() == 32635
    np.testing.assert_allclose(geo["area_m2"], metric["area_m2"], rtol=1e-3)
    g_m = patch_graph(metric, max_distance_m=300)
    g_g = patch_graph(geo, max_distance_m=300)
    assert sorted(g_m.edges) == sorted(g_g.edges)
    area = 1e6
    pc_m = probability_of_connectivity(g_m, kernel=K, landscape_area_m2=area)
    pc_g = probability_of_connectivity(g_g, kernel=K, landscape_area_m2=area)
    assert pc_g.value == pytest.approx(pc_m.value, rel=2e-3)
    assert pc_g.eca_m2 == pytest.approx(pc_m.eca_m2, rel=2e-3)
    assert equivalent_connected_area(g_g, kernel=K) == pytest.approx(pc_m.eca_m2, rel=2e-3)
    # the graph accepts geographic patches directly too
    g_direct = patch_graph(metric.to_crs(4326), max_distance_m=300)
    assert sorted(g_direct.edges) == sorted(g_m.edges)


def test_polygons_in_us_survey_feet_give_metre_areas():
    # two 100 m squares in Manhattan, given in NY Long Island state plane (US survey feet)
    utm = gpd.GeoDataFrame(geometry=[box(585_000, 4_510_000, 585_100, 4_510_100),
                                     box(585_150, 4_510_000, 585_250, 4_510_100)],
                           crs=32618)
    feet = utm.to_crs(2263)
    p = patches_from_polygons(feet)
    np.testing.assert_allclose(p["area_m2"], [1e4, 1e4], rtol=1e-3)
    g = patch_graph(p, max_distance_m=60)
    assert g.edges[0, 1]["distance_m"] == pytest.approx(50.0, rel=1e-3)


def test_geographic_population_counts_are_not_resampled():
    # 2 x 2 cells of 0.01 degrees near Helsinki; a small site at the centre of cell (0, 0)
    pop = raster_from_array(np.array([[5.0, 7.0], [11.0, 13.0]]), crs=4326, units="people",
                            transform=(0.01, 0, 24.9, 0, -0.01, 60.2))
    centre = gpd.GeoSeries([Point(24.905, 60.195)], crs=4326).to_crs(3067).iloc[0]
    site = _gdf(centre.buffer(5.0))
    assert residents_near(site, pop, distance_m=100).tolist() == pytest.approx([5.0])
    zones = _gdf(centre.buffer(5_000.0), name=["all"])
    acc = green_access(site.assign(geometry=site.buffer(50)), zones, population=pop,
                       min_area_m2=0, walk_distance_m=100)
    assert acc.residents == pytest.approx(36.0)  # all four cells, none lost
    assert acc.residents_with_access == pytest.approx(5.0)


# --------------------------------------------------------------------- non-overlap ---
FAR = 1e6  # metres east: a layer that lies somewhere else


def _far(gdf):
    return gdf.set_geometry(gdf.geometry.translate(FAR, 0))


def test_effective_mesh_size_refuses_units_elsewhere():
    patches = _boxes((0, 0))
    with pytest.raises(NoOverlapError):
        effective_mesh_size(patches, _far(_boxes((0, 0), size=500)))
    with pytest.raises(NoOverlapError):
        effective_mesh_size_raster(_grid(LC), zones=_far(_boxes((0, 0))))


def test_cbi_refuses_a_city_elsewhere():
    natural = _boxes((0, 0), (200, 0))
    city = _far(_boxes((0, 0), size=1000))
    with pytest.raises(NoOverlapError):
        cbi_natural_areas(natural, city)
    with pytest.raises(NoOverlapError):
        cbi_connectivity(natural, city=city)


def test_green_access_refuses_layers_elsewhere():
    green = _boxes((0, 0))
    zones = _gdf(box(X0, Y0, X0 + 800, Y0 + 400), name=["z"])
    pop = _grid([[10.0, 20.0]], cell=200.0, units="people")
    with pytest.raises(NoOverlapError):
        green_access(green, _far(zones), population=pop)
    with pytest.raises(NoOverlapError):
        green_access(green, zones, population=_grid([[10.0, 20.0]], cell=200.0,
                                                    units="people", x0=X0 + FAR))
    with pytest.raises(NoOverlapError):
        green_access(green, zones, buildings=_far(_gdf(Point(X0 + 50, Y0 + 50))))


def test_planning_refuses_layers_elsewhere():
    parks = patches_from_polygons(_boxes((0, 0), (400, 0)))
    sites = _boxes((200, 0))
    with pytest.raises(NoOverlapError):
        rank_candidates(parks, _far(sites), kernel=K, max_distance_m=500)
    with pytest.raises(NoOverlapError):
        best_sites(parks, _far(sites), k=1, kernel=K, max_distance_m=500)
    pop = _grid([[5.0, 7.0, 9.0]], cell=200.0, units="people")
    with pytest.raises(NoOverlapError):
        residents_near(_far(sites), pop)


def test_least_cost_functions_refuse_patches_elsewhere():
    res = _grid(np.ones((3, 5)))
    parks = _far(_gdf(box(X0, Y0, X0 + 10, Y0 + 10), box(X0 + 40, Y0, X0 + 50, Y0 + 10),
                      patch_id=[0, 1], attribute=[100.0, 100.0]))
    with pytest.raises(NoOverlapError):
        cost_distance(res, parks)
    with pytest.raises(NoOverlapError):
        least_cost_graph(parks, res)
    with pytest.raises(NoOverlapError):
        least_cost_corridor(res, parks, from_id=0, to_id=1)


# ------------------------------------------------------------------ units and values ---
def test_population_in_degc_or_without_units_is_refused():
    green = _boxes((0, 0))
    zones = _gdf(box(X0, Y0, X0 + 800, Y0 + 400), name=["z"])
    hot = _grid([[25.0, 31.0]], cell=200.0, units="degC")
    with pytest.raises(UnitsError, match="degC"):
        green_access(green, zones, population=hot)
    with pytest.raises(UnitsError):
        residents_near(green, hot)
    with pytest.raises(UnitsError, match="no units"):
        residents_near(green, _grid([[25.0, 31.0]], cell=200.0))


def test_population_nodata_and_negative_cells():
    site = _boxes((0, 0), size=10)
    pop = _grid(np.array([[5.0, -9999.0, 9.0]]), cell=200.0, units="people")
    # declared nodata is masked: -9999 is not minus 9,999 residents
    masked = residents_near(site, pop.rio.write_nodata(-9999.0), distance_m=500)
    assert masked.tolist() == pytest.approx([14.0])
    with pytest.raises(InputValueError, match="negative"):
        residents_near(site, pop, distance_m=500)


def test_population_of_strings_is_refused():
    pop = xr.DataArray(np.array([["5", "7"]]), dims=("y", "x"),
                       coords={"y": [Y0 + 100], "x": [X0 + 100, X0 + 300]}).rio.write_crs(3067)
    pop.attrs["units"] = "people"
    with pytest.raises(InputValueError, match="numeric"):
        residents_near(_boxes((0, 0)), pop)


def test_landcover_float_codes_are_refused():
    lc = _grid(np.array([[1.0, 3.4], [np.nan, 3.0]]))
    with pytest.raises(InputValueError, match="non-integer class codes"):
        patches_from_landcover(lc, habitat_classes=[3])
    with pytest.raises(InputValueError, match="whole number"):
        patches_from_landcover(_grid(LC), habitat_classes=[3.4])
    # float rasters of whole codes with NaN for "no data" stay fine
    ok = patches_from_landcover(_grid(np.array([[1.0, np.nan], [np.nan, 3.0]])),
                                habitat_classes=[1, 3])
    assert ok["n_cells"].tolist() == [2]


def test_declared_landcover_nodata_is_not_a_class():
    raw = np.array(LC)
    raw[0, 2] = raw[1, 1] = -9999
    lc = _grid(raw).rio.write_nodata(-9999)
    nan_version = _grid(np.where(raw == -9999, np.nan, raw).astype(float))
    _assert_same_patches(patches_from_landcover(lc, habitat_classes=HABITAT),
                         patches_from_landcover(nan_version, habitat_classes=HABITAT))
    from urbanrisk.errors import EmptyLayerError

    with pytest.raises(EmptyLayerError, match="classes present"):
        patches_from_landcover(lc, habitat_classes=[-9999])


def test_declared_habitat_nodata_is_outside_the_landscape():
    # 1 habitat, 0 not, -9999 declared nodata: outside, not "non-zero = habitat"
    h = _grid(np.array([[1, 1, 0, -9999]])).rio.write_nodata(-9999)
    m = effective_mesh_size_raster(h).iloc[0]
    assert m["total_area_m2"] == pytest.approx(300.0)
    assert m["effective_mesh_size_m2"] == pytest.approx(200.0**2 / 300.0)


def test_string_and_nan_columns_are_refused():
    parks = _boxes((0, 0), (200, 0))
    with pytest.raises(InputValueError, match="numbers"):
        patches_from_polygons(parks.assign(q=["1", "0.5"]), quality_column="q")
    with pytest.raises(InputValueError):
        patches_from_polygons(parks.assign(q=[1.0, np.nan]), quality_column="q")
    p = patches_from_polygons(parks)
    with pytest.raises(InputValueError, match="numbers"):
        patch_graph(p.assign(attribute=["100", "200"]), max_distance_m=300)
    with pytest.raises(InputValueError):
        merge_patches(p.assign(area_m2=[np.nan, 1.0]))
    zones = _gdf(box(X0 - 100, Y0 - 100, X0 + 800, Y0 + 400), name=["z"])
    bld = _gdf(Point(X0 + 50, Y0 + 50), Point(X0 + 700, Y0 + 50), res=["5", "7"])
    with pytest.raises(InputValueError, match="numbers"):
        green_access(parks, zones, buildings=bld, weight_column="res")
    sites = _boxes((600, 0))
    with pytest.raises(InputValueError, match="numbers"):
        rank_candidates(p, sites, kernel=K, max_distance_m=500,
                        co_benefits=pd.DataFrame({"people": ["many"]}, index=sites.index))
    g = nx.Graph()
    g.add_nodes_from([(0, {"attribute": "100"}), (1, {"attribute": 4.0})])
    with pytest.raises(InputValueError, match="numbers"):
        equivalent_connected_area(g, kernel=K)


# ----------------------------------------------------------------------- the grid ---
def test_rotated_grids_raise_grid_error():
    with pytest.raises(GridError, match="rotated"):
        patches_from_landcover(_rotated(LC), habitat_classes=[1])
    with pytest.raises(GridError, match="rotated"):
        effective_mesh_size_raster(_rotated(np.ones((2, 2))))
    src = _gdf(Point(X0 + 5, Y0 - 5))
    with pytest.raises(GridError, match="rotated"):
        cost_distance(_rotated(np.ones((2, 2)), degrees=27.0), src)
    pop = _rotated(np.ones((2, 2)) * 5.0, degrees=27.0)
    pop.attrs["units"] = "people"
    with pytest.raises(GridError, match="rotated"):
        residents_near(_gdf(box(X0, Y0 - 10, X0 + 10, Y0)), pop)


def test_rotated_landcover_warped_north_up_gives_the_right_patches():
    # a quarter turn: the warp maps every cell centre onto a cell centre, so it is exact
    up = north_up(_rotated(LC, degrees=90.0))
    warped = patches_from_landcover(up, habitat_classes=HABITAT)
    plain = patches_from_landcover(_grid(LC), habitat_classes=HABITAT)
    np.testing.assert_allclose(sorted(warped["area_m2"]), sorted(plain["area_m2"]))
    np.testing.assert_allclose(warped["attribute"].sum(), plain["attribute"].sum())


@pytest.mark.parametrize("flip", [_south_up, _tiles_swapped, lambda da: da.sortby("y")],
                         ids=["south_up", "x_tiles_swapped", "sortby_y"])
def test_reordered_landcover_gives_the_same_patches(flip):
    lc = _grid(LC)
    _assert_same_patches(patches_from_landcover(flip(lc), habitat_classes=HABITAT),
                         patches_from_landcover(lc, habitat_classes=HABITAT))


@pytest.mark.parametrize("flip", [_south_up, _tiles_swapped], ids=["south_up", "x_tiles"])
def test_reordered_rasters_give_the_same_mesh_cost_and_residents(flip):
    h = _grid(np.array(LC) > 0)
    units = _gdf(box(X0, Y0, X0 + 20, Y0 + 40), box(X0 + 20, Y0, X0 + 40, Y0 + 40))
    pd.testing.assert_frame_equal(effective_mesh_size_raster(flip(h), zones=units),
                                  effective_mesh_size_raster(h, zones=units))
    res = _grid(np.array([[1, 2, 4, 1], [1, 1, 1, 3], [2, 1, 1, 1], [1, 1, 5, 1]], float))
    src = _gdf(Point(X0 + 5, Y0 + 35))
    np.testing.assert_allclose(cost_distance(flip(res), src).values,
                               cost_distance(res, src).values)
    pop = _grid(np.array([[5.0, 7.0, 9.0, 1.0], [2.0, 3.0, 4.0, 6.0]]), cell=200.0,
                units="people")
    sites = _gdf(box(X0, Y0, X0 + 10, Y0 + 10), box(X0 + 590, Y0 + 390, X0 + 600, Y0 + 400))
    np.testing.assert_allclose(residents_near(sites, flip(pop), distance_m=250),
                               residents_near(sites, pop, distance_m=250))


# --------------------------------------------------------------------- parameters ---
NAN, INF = float("nan"), float("inf")


def _calls():
    lc = _grid(LC)
    parks = _boxes((0, 0), (200, 0))
    p = patches_from_polygons(parks)
    g = patch_graph(p, max_distance_m=300)
    res = _grid(np.ones((3, 5)))
    zones = _gdf(box(X0 - 100, Y0 - 100, X0 + 800, Y0 + 400), name=["z"])
    pop = _grid([[10.0, 20.0]], cell=200.0, units="people")
    sites = _boxes((600, 0))
    lcp = p.assign(geometry=[box(X0, Y0, X0 + 10, Y0 + 10), box(X0 + 30, Y0, X0 + 40, Y0 + 10)])
    return {
        "landcover min_area_m2": lambda v: patches_from_landcover(
            lc, habitat_classes=[1], min_area_m2=v),
        "landcover quality": lambda v: patches_from_landcover(lc, habitat_classes={1: v}),
        "polygons min_area_m2": lambda v: patches_from_polygons(parks, min_area_m2=v),
        "merge gap_m": lambda v: merge_patches(p, gap_m=v),
        "graph max_distance_m": lambda v: patch_graph(p, max_distance_m=v),
        "least-cost max_cost_m": lambda v: least_cost_graph(lcp, res, max_cost_m=v),
        "cost_distance max_cost_m": lambda v: cost_distance(res, lcp, max_cost_m=v),
        "corridor width_m": lambda v: least_cost_corridor(res, lcp, from_id=0, to_id=1,
                                                          width_m=v),
        "kernel distance_m": lambda v: DispersalKernel(distance_m=v),
        "kernel probability": lambda v: DispersalKernel(distance_m=100.0, probability=v),
        "kernel distance_for": lambda v: K.distance_for(v),
        "PC landscape_area_m2": lambda v: probability_of_connectivity(
            g, kernel=K, landscape_area_m2=v),
        "PC epsilon": lambda v: probability_of_connectivity(
            g, kernel=K, landscape_area_m2=1e6, epsilon=v),
        "dPC epsilon": lambda v: node_importance(g, kernel=K, epsilon=v),
        "components max_distance_m": lambda v: components_at(g, max_distance_m=v),
        "cbi_connectivity gap_m": lambda v: cbi_connectivity(parks, gap_m=v),
        "green_access walk_distance_m": lambda v: green_access(
            parks, zones, population=pop, walk_distance_m=v),
        "green_access min_area_m2": lambda v: green_access(
            parks, zones, population=pop, min_area_m2=v),
        "rank quality": lambda v: rank_candidates(p, sites, kernel=K, max_distance_m=500,
                                                  quality=v),
        "rank max_distance_m": lambda v: rank_candidates(p, sites, kernel=K,
                                                         max_distance_m=v),
        "rank weights": lambda v: rank_candidates(p, sites, kernel=K, max_distance_m=500,
                                                  weights={"eca_gain_m2": v}),
        "best_sites k": lambda v: best_sites(p, sites, k=v, kernel=K, max_distance_m=500),
        "residents_near distance_m": lambda v: residents_near(sites, pop, distance_m=v),
        "cbi_score_natural_areas": cbi_score_natural_areas,
        "cbi_score_connectivity": cbi_score_connectivity,
    }


@pytest.mark.parametrize("value", [NAN, INF, "1"], ids=["nan", "inf", "str"])
def test_nan_inf_and_string_parameters_are_refused(value):
    for label, call in _calls().items():
        with pytest.raises(InputValueError):
            call(value)
            pytest.fail(f"{label} accepted {value!r}")


def test_cbi_scores_refuse_nan_negative_and_out_of_range():
    for bad in (NAN, INF, -INF, -0.1, 100.1):
        with pytest.raises(InputValueError, match="percent"):
            cbi_score_natural_areas(bad)
    for version in ("2014", "2021"):
        for bad in (NAN, INF, -1.0):
            with pytest.raises(InputValueError, match="value"):
                cbi_score_connectivity(bad, version=version)
    assert cbi_score_natural_areas(100.0) == 4 and cbi_score_natural_areas(0.0) == 0


# --------------------------------------------------------------------- hypothesis ---
@st.composite
def landcovers(draw):
    ny = draw(st.integers(2, 6))
    nx_ = draw(st.integers(3, 6))
    codes = draw(st.lists(st.integers(-1, 3), min_size=ny * nx_, max_size=ny * nx_))
    arr = np.array(codes).reshape(ny, nx_)  # -1: no data
    if not np.isin(arr, list(HABITAT)).any():
        arr[0, 0] = 1
    cut = draw(st.integers(1, nx_ - 1))
    return arr, cut


@settings(max_examples=15, deadline=None)
@given(landcovers())
def test_patches_unchanged_by_south_up_tiles_and_unmasked_nodata(case):
    arr, cut = case
    reference = patches_from_landcover(
        _grid(np.where(arr < 0, np.nan, arr.astype(float))), habitat_classes=HABITAT)
    unmasked = _grid(np.where(arr < 0, -9999, arr)).rio.write_nodata(-9999)
    for variant in (unmasked, _south_up(unmasked), _tiles_swapped(unmasked, cut),
                    _south_up(_tiles_swapped(unmasked, cut))):
        _assert_same_patches(patches_from_landcover(variant, habitat_classes=HABITAT),
                             reference)


@settings(max_examples=10, deadline=None)
@given(landcovers(), st.floats(10.0, 500.0), st.floats(0.01, 0.99))
def test_pc_of_landcover_patches_stays_in_unit_interval(case, d0, p0):
    arr, _ = case
    lc = _grid(np.where(arr < 0, -9999, arr)).rio.write_nodata(-9999)
    patches = patches_from_landcover(_south_up(lc), habitat_classes=HABITAT)
    graph = patch_graph(patches, max_distance_m=100.0)
    landscape = float(arr.size * 100.0)
    pc = probability_of_connectivity(graph, kernel=DispersalKernel(distance_m=d0,
                                                                   probability=p0),
                                     landscape_area_m2=landscape)
    assert 0.0 <= pc.value <= 1.0 + 1e-12
