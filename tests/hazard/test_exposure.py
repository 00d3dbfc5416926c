from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import xarray as xr
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box

from urbanrisk.errors import (
    EmptyLayerError,
    InputValueError,
    InvalidGeometryError,
    MissingCRSError,
    NoOverlapError,
    UnitsError,
)
from urbanrisk.hazard import (
    coverage_fractions,
    exposed_population,
    line_exposure,
    polygon_exposure,
    population_weighted_hazard,
    sample_points,
)
from urbanrisk.layers import raster_from_array

CRS = 3067


def gdf(geoms, **cols):
    return gpd.GeoDataFrame(cols, geometry=list(geoms), crs=CRS)


# --------------------------------------------------------------------------------------
# Hand-computed polygon fixture (10 x 10 raster, value = 10*row + col)
# --------------------------------------------------------------------------------------
def test_polygon_hand_computed(grid10):
    # x 2.5..4.5 covers col 2 (half), 3 (full), 4 (half); y 3.5..5 covers row 5 (y 4..5,
    # full) and row 6 (y 3..4, half). Coverage: row 5: .5, 1, .5; row 6: .25, .5, .25.
    poly = gdf([box(2.5, 3.5, 4.5, 5.0)])
    cov = coverage_fractions(poly, grid10).sort_values(["row", "col"])
    assert cov[["row", "col"]].values.tolist() == [[5, 2], [5, 3], [5, 4], [6, 2], [6, 3], [6, 4]]
    np.testing.assert_allclose(cov.coverage, [0.5, 1, 0.5, 0.25, 0.5, 0.25])
    out = polygon_exposure(
        poly, grid10, stats=("max", "min", "mean", "sum", "coverage", "fraction_above"),
        threshold=60,
    )
    # mean = sum c*(10 r + col) / sum c = (10*(5*2 + 6*1) + 3*3) / 3
    assert out.loc[0, "flood_depth_m_mean"] == pytest.approx((160 + 9) / 3)
    assert out.loc[0, "flood_depth_m_sum"] == pytest.approx(169)
    assert out.loc[0, "flood_depth_m_max"] == pytest.approx(64)
    assert out.loc[0, "flood_depth_m_min"] == pytest.approx(52)
    assert out.loc[0, "flood_depth_m_coverage"] == pytest.approx(1.0)
    # only row 6 (62, 63, 64) is above 60: its coverage 1.0 of the polygon's 3.0 cells
    assert out.loc[0, "flood_depth_m_fraction_above_60"] == pytest.approx(1 / 3)


def test_small_building_never_gets_zero_cells(grid10):
    # 0.2 x 0.3 m building inside cell row 8, col 7 (value 87): no cell centre inside it
    tiny = gdf([box(7.2, 1.2, 7.4, 1.5)])
    out = polygon_exposure(tiny, grid10, stats=("mean", "max", "fraction_above"), threshold=0)
    assert out.loc[0, "flood_depth_m_mean"] == pytest.approx(87)
    assert out.loc[0, "flood_depth_m_fraction_above_0"] == pytest.approx(1.0)
    cov = coverage_fractions(tiny, grid10)
    assert cov.coverage.tolist() == pytest.approx([0.06])


def test_holes_and_multipolygons(grid10):
    ring = Polygon(box(1, 1, 5, 5).exterior.coords, [box(2, 2, 4, 4).exterior.coords])
    multi = MultiPolygon([box(0, 0, 1, 1), box(8, 8, 9.5, 9)])
    out = coverage_fractions(gdf([ring, multi]), grid10)
    sums = out.groupby("feature").coverage.sum()
    assert sums[0] == pytest.approx(16 - 4)
    assert sums[1] == pytest.approx(1 + 1.5)
    # the hole's cells (rows 6-7, cols 2-3) are not covered
    hole = out[(out.feature == 0) & out.row.isin([6, 7]) & out.col.isin([2, 3])]
    assert hole.empty


def _slow_coverage(poly, x0, y0, dx, dy, ny, nx):
    """Reference: shapely intersection area of the polygon with each cell box."""
    res = {}
    minx, miny, maxx, maxy = poly.bounds
    for r in range(ny):
        for c in range(nx):
            cell = box(x0 + c * dx, y0 - (r + 1) * dy, x0 + (c + 1) * dx, y0 - r * dy)
            if not cell.intersects(poly):
                continue
            a = cell.intersection(poly).area / (dx * dy)
            if a > 1e-12:
                res[(r, c)] = a
    return res


polygon_strategy = st.lists(
    st.tuples(st.floats(-2, 12, allow_nan=False), st.floats(-2, 12, allow_nan=False)),
    min_size=3, max_size=9,
)


@settings(max_examples=40, deadline=None)
@given(pts=polygon_strategy)
def test_coverage_matches_shapely_reference(pts, grid10):
    poly = shapely.make_valid(Polygon(pts))
    polys = [g for g in shapely.get_parts(poly) if g.geom_type == "Polygon" and g.area > 1e-6]
    if not polys:
        return
    geom = MultiPolygon(polys) if len(polys) > 1 else polys[0]
    if not geom.intersects(box(0, 0, 10, 10)):
        return
    ours = coverage_fractions(gdf([geom]), grid10)
    got = {(r, c): v for r, c, v in zip(ours.row, ours.col, ours.coverage, strict=True)}
    ref = _slow_coverage(geom, 0, 10, 1, 1, 10, 10)
    keys = set(got) | set(ref)
    for k in keys:
        assert got.get(k, 0.0) == pytest.approx(ref.get(k, 0.0), abs=1e-7)


def test_all_return_periods_in_one_pass(depth_rp):
    rng = np.random.default_rng(1)
    x = 385000 + rng.uniform(5, 140, 40)
    y = 6672000 + rng.uniform(-90, 95, 40)
    polys = gdf([box(a, b, a + rng.uniform(2, 12), b + rng.uniform(2, 12))
                 for a, b in zip(x, y, strict=True)])
    both = polygon_exposure(polys, depth_rp, stats=("mean", "max"))
    for rp in (10, 100, 1000):
        single = polygon_exposure(polys, depth_rp.sel(return_period=rp), stats=("mean", "max"))
        np.testing.assert_allclose(both[f"flood_depth_m_mean_rp{rp}"],
                                   single["flood_depth_m_mean"])
        np.testing.assert_allclose(both[f"flood_depth_m_max_rp{rp}"], single["flood_depth_m_max"])


def test_long_layout(depth_rp):
    polys = gdf([box(385020, 6672010, 385060, 6672040), box(385070, 6672010, 385080, 6672020)])
    wide = polygon_exposure(polys, depth_rp, stats=("mean", "max"))
    long = polygon_exposure(polys, depth_rp, stats=("mean", "max"), layout="long")
    assert list(long.columns) == ["feature", "return_period", "variable", "value"]
    assert len(long) == 2 * 3 * 2
    row = long[(long.feature == 1) & (long.return_period == 100)
               & (long.variable == "flood_depth_m_max")]
    assert row.value.iloc[0] == pytest.approx(wide.loc[1, "flood_depth_m_max_rp100"])
    pts = sample_points(gdf([Point(385012, 6672012)]), depth_rp, layout="long")
    np.testing.assert_allclose(
        pts.value, sample_points(gdf([Point(385012, 6672012)]), depth_rp).iloc[0, 1:].to_numpy(
            float))
    with pytest.raises(InputValueError):
        polygon_exposure(polys, depth_rp, layout="tall")


def test_matches_exactextract(depth_rp):
    exactextract = pytest.importorskip("exactextract")
    rng = np.random.default_rng(2)
    geoms = []
    for _ in range(60):
        cx, cy = 385000 + rng.uniform(0, 150), 6672000 + rng.uniform(0, 100)
        r = rng.uniform(1, 15)
        ang = np.sort(rng.uniform(0, 2 * np.pi, 7))
        rad = r * rng.uniform(0.5, 1, 7)
        geoms.append(Polygon(np.c_[cx + rad * np.cos(ang), cy + rad * np.sin(ang)]))
    polys = gdf(geoms)
    band = depth_rp.sel(return_period=100)
    ours = polygon_exposure(polys, band, stats=("mean", "max", "sum"))
    ref = exactextract.exact_extract(band, polys, ["mean", "max", "sum"], output="pandas")
    np.testing.assert_allclose(ours["flood_depth_m_mean"], ref["mean"], rtol=1e-5, equal_nan=True)
    np.testing.assert_allclose(ours["flood_depth_m_max"], ref["max"], rtol=1e-6, equal_nan=True)
    np.testing.assert_allclose(ours["flood_depth_m_sum"], ref["sum"], rtol=1e-5, equal_nan=True)


def test_matches_rasterstats_on_cell_aligned_polygons(depth_rp, tmp_path):
    """On polygons whose edges follow cell boundaries the cell-centre rule and exact
    coverage select the same cells with full coverage, so the means agree. On other
    polygons rasterstats' cell-centre rule differs (small footprints get no cell)."""
    rasterstats = pytest.importorskip("rasterstats")
    band = depth_rp.sel(return_period=10)
    arr = np.asarray(band.values, dtype=float)
    affine = band.rio.transform()
    polys = gdf([box(385010, 6672000, 385040, 6672050), box(385100, 6672020, 385105, 6672095)])
    ours = polygon_exposure(polys, band, stats=("mean", "max"))
    ref = rasterstats.zonal_stats(list(polys.geometry), arr, affine=affine, nodata=np.nan,
                                  stats=["mean", "max"])
    np.testing.assert_allclose(ours["flood_depth_m_mean"], [r["mean"] for r in ref], rtol=1e-6)
    np.testing.assert_allclose(ours["flood_depth_m_max"], [r["max"] for r in ref], rtol=1e-6)
    tiny = gdf([box(385011, 6672001, 385012, 6672002)])
    rs = rasterstats.zonal_stats(list(tiny.geometry), arr, affine=affine, nodata=np.nan,
                                 stats=["mean"])
    assert rs[0]["mean"] is None  # cell-centre rule: no cell
    assert np.isfinite(polygon_exposure(tiny, band, stats=("mean",))["flood_depth_m_mean"][0])


@settings(max_examples=30, deadline=None)
@given(dx=st.floats(0, 3), dy=st.floats(0, 3), w=st.floats(0.3, 20), h=st.floats(0.3, 20))
def test_exposure_unchanged_after_reprojecting_assets_and_back(depth_rp, dx, dy, w, h):
    x0, y0 = 385020 + dx, 6672010 + dy
    polys = gdf([box(x0, y0, x0 + w, y0 + h)])
    a = polygon_exposure(polys, depth_rp, stats=("mean", "fraction_above"))
    back = polys.to_crs(4326).to_crs(CRS)
    b = polygon_exposure(back, depth_rp, stats=("mean", "fraction_above"))
    cols = [c for c in a.columns if c.startswith("flood_depth")]
    np.testing.assert_allclose(a[cols].to_numpy(float), b[cols].to_numpy(float), atol=1e-5)


def test_assets_in_other_crs_are_reprojected_to_the_raster(depth_rp):
    polys = gdf([box(385020, 6672010, 385060, 6672040)])
    a = polygon_exposure(polys, depth_rp, stats=("mean",))
    b = polygon_exposure(polys.to_crs(4326), depth_rp, stats=("mean",))
    assert b.crs.to_epsg() == 4326  # the caller's frame keeps its CRS
    np.testing.assert_allclose(a.filter(like="flood").to_numpy(float),
                               b.filter(like="flood").to_numpy(float), rtol=1e-4)


def test_outside_assets_get_nan_and_a_warning(grid10, caplog):
    polys = gdf([box(1, 1, 2, 2), box(50, 50, 51, 51)], name=["in", "out"])
    with caplog.at_level(logging.WARNING):
        out = polygon_exposure(polys, grid10, stats=("mean",))
    assert len(out) == 2 and out.index.tolist() == [0, 1]
    assert np.isnan(out.loc[1, "flood_depth_m_mean"])
    assert "1 of 2 features are outside" in caplog.text


def test_input_not_mutated(grid10):
    polys = gdf([box(1, 1, 2, 2)])
    before = polys.copy()
    polygon_exposure(polys, grid10)
    pd.testing.assert_frame_equal(polys, before)


# --------------------------------------------------------------------------------------
# Points
# --------------------------------------------------------------------------------------
def test_points_nearest_and_bilinear(grid10):
    pts = gdf([Point(0.5, 9.5), Point(3.2, 6.9), Point(5.0, 5.0), Point(20, 20)])
    near = sample_points(pts, grid10)["flood_depth_m"].tolist()
    assert near[:3] == [0.0, 33.0, 55.0] and np.isnan(near[3])
    bil = sample_points(pts, grid10, method="bilinear")["flood_depth_m"].tolist()
    # (5, 5) is the corner of cells 44, 45, 54, 55 -> 49.5
    assert bil[2] == pytest.approx(49.5)
    # (3.2, 6.9): u = 2.7, v = 2.6 centre-relative -> 10*2.6 + 2.7
    assert bil[1] == pytest.approx(28.7)


def test_points_multiband_columns(depth_rp):
    pts = gdf([Point(385012, 6672012)])
    out = sample_points(pts, depth_rp)
    assert [c for c in out.columns if c != "geometry"] == [
        "flood_depth_m_rp10", "flood_depth_m_rp100", "flood_depth_m_rp1000"
    ]


def test_nodata_as(depth_rp):
    pts = gdf([Point(385001, 6672099)])  # cell (0, 0) is NaN
    assert np.isnan(sample_points(pts, depth_rp).iloc[0, -1])
    assert sample_points(pts, depth_rp, nodata_as=0.0).iloc[0, -1] == 0.0


# --------------------------------------------------------------------------------------
# Lines
# --------------------------------------------------------------------------------------
def test_lines_along_and_across_cell_boundaries(grid10):
    # a horizontal line exactly on the boundary y = 5 between rows 4 and 5, and a vertical
    # line inside column 3: exactextract 0.3 would give them zero coverage
    lines = gdf([LineString([(0, 5), (10, 5)]), LineString([(3.5, 0), (3.5, 10)])])
    out = line_exposure(lines, grid10, bins=[49.5])
    per = out.groupby(["feature", "hazard_class"]).length_m.sum()
    # on the boundary the piece goes to the larger row index (row 5: values 50..59)
    assert per[(0, "> 49.5 m")] == pytest.approx(10)
    # column 3: rows 0-4 (3..43) below, rows 5-9 (53..93) above
    assert per[(1, "<= 49.5 m")] == pytest.approx(5)
    assert per[(1, "> 49.5 m")] == pytest.approx(5)


def _slow_line_lengths(line, raster_vals, x0, y0, d, bins):
    res = {}
    ny, nx = raster_vals.shape
    for r in range(ny):
        for c in range(nx):
            cell = box(x0 + c * d, y0 - (r + 1) * d, x0 + (c + 1) * d, y0 - r * d)
            inter = line.intersection(cell)
            if inter.length > 0:
                k = int(np.digitize(raster_vals[r, c], bins, right=True))
                res[k] = res.get(k, 0) + inter.length
    return res


@settings(max_examples=40, deadline=None)
@given(pts=st.lists(st.tuples(st.floats(0.01, 9.99), st.floats(0.01, 9.99)), min_size=2,
                    max_size=6, unique=True))
def test_line_lengths_match_shapely_reference(pts, grid10):
    line = LineString(pts)
    if line.length == 0:
        return
    # a segment lying exactly on a grid line belongs to one cell for us (tested separately)
    # but to both neighbouring closed boxes in the reference: leave those cases out
    xy = np.asarray(pts)
    on_grid = ((np.diff(xy[:, 0]) == 0) & (xy[1:, 0] % 1 == 0)) | (
        (np.diff(xy[:, 1]) == 0) & (xy[1:, 1] % 1 == 0))
    assume(not on_grid.any())
    bins = [25, 60]
    out = line_exposure(gdf([line]), grid10, bins=bins)
    assert out.length_m.sum() == pytest.approx(line.length)
    labels = ["<= 25 m", "25-60 m", "> 60 m"]
    got = {labels.index(k): v for k, v in zip(out.hazard_class, out.length_m, strict=True)}
    ref = _slow_line_lengths(line, grid10.values, 0, 10, 1, bins)
    for k in set(got) | set(ref):
        assert got.get(k, 0) == pytest.approx(ref.get(k, 0), abs=1e-6)


def test_lines_outside_are_outside_not_nodata(grid10, caplog):
    lines = gdf([LineString([(8, 5), (12, 5)]), LineString([(20, 20), (30, 20)])])
    with caplog.at_level(logging.WARNING):
        out = line_exposure(lines, grid10, bins=[0])
    per = out.groupby(["feature", "hazard_class"]).length_m.sum()
    assert per[(0, "outside")] == pytest.approx(2) and per[(0, "> 0 m")] == pytest.approx(2)
    assert per[(1, "outside")] == pytest.approx(10)
    assert "nodata" not in set(out.hazard_class)
    assert out.loc[out.hazard_class == "outside", ["class_lower", "class_upper"]].isna().all(
        axis=None)
    assert "1 of 2 features are outside the raster's extent" in caplog.text


def test_lines_multiband(depth_rp):
    lines = gdf([LineString([(385003, 6672003), (385140, 6672090)])])
    out = line_exposure(lines, depth_rp, bins=[0, 0.5, 1.5])
    assert set(out.return_period) == {10, 100, 1000}
    tot = out.groupby("return_period").length_m.sum()
    np.testing.assert_allclose(tot, lines.length.iloc[0])


# --------------------------------------------------------------------------------------
# Population
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pop4():
    return raster_from_array(
        np.array([[10.0, 20.0], [30.0, np.nan]]), crs=CRS, transform=(5, 0, 0, 0, -5, 10),
        units="people", name="population",
    )


def test_population_hand_computed(pop4, grid10):
    # population cells are 5 x 5 m; grid10 values 10*row + col. Top-left pop cell
    # (rows 0-4, cols 0-4) has values 0..44: 25 hazard cells, those > 20: rows 2-4 -> 15
    out = exposed_population(pop4, grid10, threshold=20)
    people = dict(zip(out.hazard_class, out.people, strict=True))
    # classes are right-closed: top-left (0..44) has 0-4, 10-14 and 20 at or below 20
    # (11 of 25 cells); top-right (5..49) has 5-9 and 15-19 (10 of 25);
    # bottom-left (rows 5-9, cols 0-4: 50..94): all above; bottom-right NaN people -> 0
    assert people["<= 20 m"] == pytest.approx(10 * 11 / 25 + 20 * 10 / 25)
    assert people["> 20 m"] == pytest.approx(10 * 14 / 25 + 20 * 15 / 25 + 30)
    assert out.people.sum() == pytest.approx(60)


@settings(max_examples=30, deadline=None)
@given(ox=st.floats(-7, 7), oy=st.floats(-7, 7), res=st.sampled_from([0.7, 2.5, 5.0, 13.0]))
def test_population_conserved_on_other_grids(pop4, ox, oy, res):
    n = int(np.ceil(14 / res)) + 2
    rng = np.random.default_rng(3)
    hz = raster_from_array(
        rng.uniform(0, 2, (n, n)), crs=CRS, transform=(res, 0, ox, 0, -res, 10 + oy),
        units="m", name="flood_depth",
    )
    try:
        out = exposed_population(pop4, hz, bins=[0.5, 1.0])
    except NoOverlapError:
        return
    assert out.people.sum() == pytest.approx(60)
    assert (out.people >= -1e-9).all()


def test_population_with_zones_and_weighted_mean(pop4):
    hz = raster_from_array(np.array([[1.0, 3.0], [5.0, 7.0]]), crs=CRS,
                           transform=(5, 0, 0, 0, -5, 10), units="degC", name="lst")
    zones = gdf([box(0, 0, 5, 10), box(5, 0, 10, 10)], name=["west", "east"])
    out = exposed_population(pop4, hz, threshold=2, zones=zones, zone_column="name")
    west = out[out.zone == "west"].set_index("hazard_class").people
    assert west["<= 2 degC"] == pytest.approx(10) and west["> 2 degC"] == pytest.approx(30)
    pw = population_weighted_hazard(pop4, hz, zones=zones, zone_column="name")
    pw = pw.set_index("zone")
    assert pw.loc["west", "population_weighted_mean"] == pytest.approx((10 * 1 + 30 * 5) / 40)
    assert pw.loc["east", "population_weighted_mean"] == pytest.approx(3.0)
    tot = population_weighted_hazard(pop4, hz)
    assert tot.population_weighted_mean[0] == pytest.approx((10 + 60 + 150) / 60)


def test_population_hazard_in_other_crs(pop4):
    hz = raster_from_array(np.full((4, 4), 2.0), crs=CRS, transform=(5, 0, -5, 0, -5, 15),
                           units="m", name="flood_depth")
    hz4326 = hz.rio.reproject(4326)
    hz4326.attrs["units"] = "m"
    out = exposed_population(pop4, hz4326, threshold=1.0)
    assert out.people.sum() == pytest.approx(60)
    assert out.set_index("hazard_class").people["> 1 m"] == pytest.approx(60, rel=0.05)


# --------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------
def test_missing_crs(grid10):
    with pytest.raises(MissingCRSError):
        polygon_exposure(gpd.GeoDataFrame(geometry=[box(1, 1, 2, 2)]), grid10)
    no_crs = xr.DataArray(grid10.values, dims=("y", "x"),
                          coords={"y": grid10.y.values, "x": grid10.x.values},
                          attrs={"units": "m"})
    with pytest.raises(MissingCRSError):
        polygon_exposure(gdf([box(1, 1, 2, 2)]), no_crs)


def test_no_overlap(grid10):
    with pytest.raises(NoOverlapError):
        polygon_exposure(gdf([box(100, 100, 101, 101)]), grid10)
    with pytest.raises(NoOverlapError):
        sample_points(gdf([Point(100, 100)]), grid10)


def test_hazard_without_units(grid10):
    bad = grid10.copy()
    bad.attrs = {}
    with pytest.raises(UnitsError):
        polygon_exposure(gdf([box(1, 1, 2, 2)]), bad)


def test_all_nan_hazard(grid10):
    bad = grid10.copy(data=np.full((10, 10), np.nan))
    with pytest.raises(EmptyLayerError):
        sample_points(gdf([Point(1, 1)]), bad)


def test_empty_assets(grid10):
    with pytest.raises(EmptyLayerError):
        polygon_exposure(gdf([]), grid10)


def test_wrong_geometry_types_and_options(grid10):
    with pytest.raises(InvalidGeometryError):
        polygon_exposure(gdf([Point(1, 1)]), grid10)
    with pytest.raises(InvalidGeometryError):
        line_exposure(gdf([box(1, 1, 2, 2)]), grid10, bins=[1])
    with pytest.raises(InputValueError):
        polygon_exposure(gdf([box(1, 1, 2, 2)]), grid10, stats=("median",))
    with pytest.raises(InputValueError):
        line_exposure(gdf([LineString([(1, 1), (2, 2)])]), grid10, bins=[2, 1])
    with pytest.raises(InputValueError):
        sample_points(gdf([Point(1, 1)]), grid10, method="cubic")
    with pytest.raises(UnitsError):
        exposed_population(grid10, grid10, threshold=1)  # population not in people


def test_invalid_geometry_needs_make_valid(grid10):
    bow = Polygon([(1, 1), (3, 3), (3, 1), (1, 3)])
    with pytest.raises(InvalidGeometryError):
        polygon_exposure(gdf([bow]), grid10)
    out = polygon_exposure(gdf([bow]), grid10, stats=("coverage",), make_valid=True)
    assert out.iloc[0, -1] == pytest.approx(1.0)


def test_mean_above_is_the_mean_over_the_wet_part():
    import geopandas as gpd
    import numpy as np
    from shapely.geometry import box

    from urbanrisk.hazard import polygon_exposure
    from urbanrisk.layers import raster_from_array

    depth = raster_from_array(np.array([[0.0, 1.0], [2.0, 3.0]]), crs=3067,
                              transform=(1, 0, 0, 0, -1, 2), units="m", name="flood_depth")
    fps = gpd.GeoDataFrame(geometry=[box(0.5, 0.5, 1.5, 1.5), box(0, 1, 0.5, 2)], crs=3067)
    out = polygon_exposure(fps, depth, stats=("mean", "fraction_above", "mean_above"))
    # quarter cells of 0, 1, 2, 3 m: mean 1.5 over the footprint, 2.0 over its wet 3/4
    np.testing.assert_allclose(out["flood_depth_m_mean"], [1.5, 0.0])
    np.testing.assert_allclose(out["flood_depth_m_fraction_above_0"], [0.75, 0.0])
    assert out["flood_depth_m_mean_above_0"].iloc[0] == pytest.approx(2.0)
    assert np.isnan(out["flood_depth_m_mean_above_0"].iloc[1])  # nothing wet
