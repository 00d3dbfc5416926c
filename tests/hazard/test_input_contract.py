"""The input contract of urbanrisk.hazard (issue #12): right numbers or a clear refusal.

One test per quirk of real files: depths in feet, declared nodata left unmasked, rotated
GeoTIFFs, south-up rasters and tiles out of order, rasters in degrees, NaN/inf parameters,
string cells, population grids without units, layers that do not overlap.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rioxarray
import xarray as xr
from affine import Affine
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from shapely.geometry import LineString, Point, box

from urbanrisk import hazard
from urbanrisk.errors import (
    GridError,
    InputValueError,
    NoOverlapError,
    UnitsError,
)
from urbanrisk.hazard import (
    DamageCurve,
    asset_damage,
    coverage_fractions,
    ead_bounds,
    expected_annual_damage,
    exposed_population,
    heat_exposure,
    hot_spots,
    jrc_curve,
    line_exposure,
    polygon_exposure,
    population_weighted_hazard,
    sample_points,
)
from urbanrisk.layers import raster_from_array, read_raster

CRS = 3067
FT = 0.3048
X0, Y0 = 385000.0, 6672100.0


def gdf(geoms, crs=CRS, **cols):
    return gpd.GeoDataFrame(cols, geometry=list(geoms), crs=crs)


def depth_m(values=None, units="m", cell=5.0):
    """Three return periods on a 4 x 6 grid of 5 m cells (x 385000-385030, y 6672080-100)."""
    if values is None:
        base = np.array([[0.0, 0.2, 0.5, 1.0, 1.5, 2.0],
                         [0.0, 0.0, 0.4, 0.9, 1.2, np.nan],
                         [0.0, 0.1, 0.3, 0.6, 2.5, 3.0],
                         [0.0, 0.0, 0.0, 0.2, 0.7, 1.1]])
        values = np.stack([base, 1.5 * base + 0.1, 2.0 * base + 0.3])
    return raster_from_array(values, crs=CRS, transform=(cell, 0, X0, 0, -cell, Y0),
                             units=units, name="flood_depth", extra_dim="return_period",
                             extra_coords=[10, 100, 1000])


@pytest.fixture(scope="module")
def footprints():
    return gdf([box(X0 + 2, Y0 - 18, X0 + 13, Y0 - 4), box(X0 + 14, Y0 - 9, X0 + 29, Y0 - 1),
                box(X0 + 21, Y0 - 19, X0 + 27, Y0 - 11)],
               occupancy=["residential", "commercial", "residential"])


# --------------------------------------------------------------------------------------
# Feet: converted, never read as metres
# --------------------------------------------------------------------------------------
def test_depth_in_feet_gives_the_same_damage_and_ead_as_metres(footprints):
    m = depth_m()
    ft = depth_m(m.values / FT, units="ft")
    curves = {"residential": jrc_curve("europe", "residential"),
              "commercial": jrc_curve("europe", "commercial")}
    results = []
    for raster in (m, ft):
        exp = polygon_exposure(footprints, raster, stats=("mean_above", "fraction_above"))
        dmg = asset_damage(exp, curves, class_column="occupancy",
                           intensity="flood_depth_m_mean_above_0",
                           fraction_wet="flood_depth_m_fraction_above_0", unit_value=1000.0)
        cols = [f"damage_rp{t}" for t in (10, 100, 1000)]
        ead = expected_annual_damage(dmg[cols], rule="trapezoid")
        bounds = ead_bounds(dmg[cols])
        results.append((exp, dmg[cols].to_numpy(), ead.total, bounds))
    (em, dm, eadm, bm), (ef, df, eadf, bf) = results
    assert ef.attrs["hazard_units"] == "m" and ef.attrs["hazard_converted_from_units"] == "ft"
    assert "hazard_converted_from_units" not in em.attrs
    assert ef.attrs["units"]["flood_depth_m_mean_above_0_rp100"] == "m"
    np.testing.assert_allclose(df, dm, rtol=1e-9)
    assert eadm > 0
    assert eadf == pytest.approx(eadm, rel=1e-9)
    assert bf.lower.total == pytest.approx(bm.lower.total, rel=1e-9)
    assert bf.upper.total == pytest.approx(bm.upper.total, rel=1e-9)


def test_intensity_columns_in_feet_are_converted_to_the_curve_units():
    curve = jrc_curve("europe", "residential")
    metres = pd.DataFrame({"h": [0.5, 1.0, 2.5], "v": [100.0, 200.0, 300.0]})
    feet = metres.assign(h=metres.h / FT)
    a = asset_damage(metres, curve, intensity="h", value="v", intensity_units="m")
    b = asset_damage(feet, curve, intensity="h", value="v", intensity_units="ft")
    np.testing.assert_allclose(b["damage"], a["damage"], rtol=1e-12)
    assert b.attrs["intensity_units"] == {"h": "ft"}
    # a recorded unit and a different argument are two claims: refused
    tagged = feet.copy()
    tagged.attrs["units"] = {"h": "ft"}
    np.testing.assert_allclose(
        asset_damage(tagged, curve, intensity="h", value="v")["damage"], a["damage"])
    with pytest.raises(UnitsError, match="two claims"):
        asset_damage(tagged, curve, intensity="h", value="v", intensity_units="m")


def test_feet_thresholds_bins_and_people_are_in_metres():
    m = depth_m()
    ft = depth_m(m.values / FT, units="ft")
    pts = gdf([Point(X0 + 22, Y0 - 2), Point(X0 + 12, Y0 - 12)])
    np.testing.assert_allclose(
        sample_points(pts, ft).filter(like="flood").to_numpy(float),
        sample_points(pts, m).filter(like="flood").to_numpy(float), rtol=1e-12)
    road = gdf([LineString([(X0 + 1, Y0 - 7), (X0 + 29, Y0 - 12)])])
    a, b = line_exposure(road, m, bins=[0.25, 1.0]), line_exposure(road, ft, bins=[0.25, 1.0])
    pd.testing.assert_frame_equal(a, b)
    assert b.attrs["hazard_converted_from_units"] == "ft"
    assert set(b.hazard_class) <= {"<= 0.25 m", "0.25-1 m", "> 1 m", "nodata"}
    pop = raster_from_array(np.array([[10.0, 20.0, 30.0], [40.0, 50.0, 60.0]]), crs=CRS,
                            transform=(10, 0, X0, 0, -10, Y0), units="people")
    pd.testing.assert_frame_equal(exposed_population(pop, ft, threshold=0.5),
                                  exposed_population(pop, m, threshold=0.5))
    pw_ft = population_weighted_hazard(pop, ft)
    pd.testing.assert_frame_equal(pw_ft, population_weighted_hazard(pop, m))
    assert pw_ft.attrs["hazard_converted_from_units"] == "ft"


def test_lst_in_kelvin_is_converted_to_celsius():
    vals = np.arange(16.0).reshape(4, 4) + 20.0
    c = raster_from_array(vals, crs=CRS, transform=(10, 0, 0, 0, -10, 40), units="degC",
                          name="lst")
    k = raster_from_array(vals + 273.15, crs=CRS, transform=(10, 0, 0, 0, -10, 40),
                          units="K", name="lst")
    hk = hot_spots(k, threshold=30.0)  # in degC, also for a raster in kelvin
    np.testing.assert_array_equal(hk.values, hot_spots(c, threshold=30.0).values)
    assert hk.attrs["threshold_units"] == "degC" and hk.attrs["lst_converted_from_units"] == "K"
    assert hazard.hot_spot_threshold(k) == pytest.approx(hazard.hot_spot_threshold(c))
    pop = raster_from_array(np.full((2, 2), 5.0), crs=CRS, transform=(20, 0, 0, 0, -20, 40),
                            units="people")
    pd.testing.assert_frame_equal(heat_exposure(pop, k), heat_exposure(pop, c), rtol=1e-12)


# --------------------------------------------------------------------------------------
# Declared nodata
# --------------------------------------------------------------------------------------
def test_declared_nodata_is_never_a_depth(footprints, tmp_path):
    m = depth_m()
    raw = m.fillna(-9999.0).rio.write_nodata(-9999.0)
    assert (raw.values == -9999).any()
    stats = ("max", "min", "mean", "fraction_above")
    a = polygon_exposure(footprints, m, stats=stats)
    b = polygon_exposure(footprints, raw, stats=stats)
    cols = [c for c in a.columns if c.startswith("flood")]
    np.testing.assert_allclose(b[cols].to_numpy(float), a[cols].to_numpy(float))
    assert np.nanmax(b[cols].to_numpy(float)) < 100
    on_nodata = gdf([Point(X0 + 27, Y0 - 7)])  # cell (1, 5), NaN in every band
    assert np.isnan(sample_points(on_nodata, raw).filter(like="flood").to_numpy(float)).all()
    # the same from a GeoTIFF opened without masked=True
    path = tmp_path / "depth.tif"
    m.isel(return_period=2).fillna(-9999.0).rio.write_nodata(-9999.0).rio.to_raster(path)
    unmasked = rioxarray.open_rasterio(path)  # (band, y, x), -9999 left in the values
    unmasked.attrs["units"] = "m"
    unmasked.name = "flood_depth"
    assert float(unmasked.min()) == pytest.approx(-9999.0)
    c = polygon_exposure(footprints, unmasked, stats=("max", "mean"))
    np.testing.assert_allclose(c["flood_depth_m_max"], a["flood_depth_m_max_rp1000"])


def test_declared_nodata_population_counts_nobody():
    pop = raster_from_array(np.array([[10.0, -9999.0]]), crs=CRS,
                            transform=(10, 0, X0, 0, -10, Y0), units="people")
    hz = raster_from_array(np.array([[1.0, 1.0]]), crs=CRS, transform=(10, 0, X0, 0, -10, Y0),
                           units="m", name="flood_depth")
    out = exposed_population(pop.rio.write_nodata(-9999.0), hz, threshold=0.5)
    assert out.people.sum() == pytest.approx(10.0)


# --------------------------------------------------------------------------------------
# Rotated GeoTIFF
# --------------------------------------------------------------------------------------
def _rotated_tif(path, n=40, cell=10.0, angle=27.0):
    """A rotated grid whose values are a linear field of the world x: (x - X0) / 100."""
    import rasterio

    t = Affine.translation(X0, Y0) * Affine.rotation(angle) * Affine.scale(cell, -cell)
    cols, rows = np.meshgrid(np.arange(n) + 0.5, np.arange(n) + 0.5)
    xs, _ = t * (cols, rows)
    values = ((xs - X0) / 100.0).astype("float32")
    with rasterio.open(path, "w", driver="GTiff", width=n, height=n, count=1,
                       dtype="float32", crs="EPSG:3067", transform=t, nodata=-9999.0) as dst:
        dst.write(values, 1)
        dst.update_tags(units="m")
    return t * (n / 2, n / 2)  # the centre of the grid


def test_rotated_geotiff_is_refused_or_warped(tmp_path):
    path = tmp_path / "rotated.tif"
    cx, cy = _rotated_tif(path)
    fp = gdf([box(cx - 40, cy - 40, cx + 40, cy + 40)])
    with pytest.raises(GridError, match="rotated"):
        polygon_exposure(fp, read_raster(path))
    warped = read_raster(path, warp=True)
    out = polygon_exposure(fp, warped, stats=("mean", "fraction_above", "coverage"),
                           threshold=(cx - X0) / 100.0)
    col = str(warped.name)
    # the linear field's mean over the square is its value at the centre; half is above it
    assert out[f"{col}_m_mean"][0] == pytest.approx((cx - X0) / 100.0, abs=0.03)
    assert out[f"{col}_m_fraction_above_{(cx - X0) / 100.0:g}"][0] == pytest.approx(
        0.5, abs=0.08)
    assert out[f"{col}_m_coverage"][0] == pytest.approx(1.0)


def test_rotated_population_is_refused():
    pop = xr.DataArray(np.ones((4, 4)), dims=("y", "x"), attrs={"units": "people"})
    pop = pop.rio.write_crs(CRS).rio.write_transform(
        Affine.translation(X0, Y0) * Affine.rotation(20) * Affine.scale(10, -10))
    with pytest.raises(GridError):
        exposed_population(pop, depth_m(), threshold=0.5)


# --------------------------------------------------------------------------------------
# Axis order: south-up, sortby("y"), tiles out of order
# --------------------------------------------------------------------------------------
def _south_up(da):
    """The same data stored bottom row first, with a consistent (positive-e) transform."""
    t = da.rio.transform()
    flipped = da.values[..., ::-1, :]
    bottom = t.f + t.e * da.sizes["y"]
    return raster_from_array(flipped, crs=CRS, transform=(t.a, 0, t.c, 0, -t.e, bottom),
                             units=da.attrs["units"], name=da.name,
                             extra_dim="return_period",
                             extra_coords=list(da.return_period.values))


def _x_tiles_swapped(da, k):
    return xr.concat([da.isel(x=slice(k, None)), da.isel(x=slice(None, k))], dim="x")


@pytest.mark.parametrize("variant", ["south_up", "sortby_y", "x_tiles"])
def test_axis_order_does_not_change_exposure(footprints, variant):
    m = depth_m()
    other = {"south_up": lambda: _south_up(m), "sortby_y": lambda: m.sortby("y"),
             "x_tiles": lambda: _x_tiles_swapped(m, 4)}[variant]()
    stats = ("mean", "max", "fraction_above")
    a = polygon_exposure(footprints, m, stats=stats)
    b = polygon_exposure(footprints, other, stats=stats)
    cols = [c for c in a.columns if c.startswith("flood")]
    np.testing.assert_allclose(b[cols].to_numpy(float), a[cols].to_numpy(float))
    road = gdf([LineString([(X0 + 1, Y0 - 7), (X0 + 29, Y0 - 12)])])
    pd.testing.assert_frame_equal(line_exposure(road, other, bins=[0.5]),
                                  line_exposure(road, m, bins=[0.5]))


def test_coverage_fractions_index_the_raster_as_given():
    m = depth_m().isel(return_period=0)
    flipped = m.sortby("y")  # row 0 is now the southern row
    fp = gdf([box(X0 + 1, Y0 - 4, X0 + 4, Y0 - 1)])  # inside the northern row, col 0
    a, b = coverage_fractions(fp, m), coverage_fractions(fp, flipped)
    assert a[["row", "col"]].values.tolist() == [[0, 0]]
    assert b[["row", "col"]].values.tolist() == [[3, 0]]
    np.testing.assert_allclose(b.coverage, a.coverage)


@settings(max_examples=20, deadline=None)
@given(
    values=hnp.arrays(np.float64, (5, 7), elements=st.one_of(
        st.floats(0, 5, allow_nan=False), st.just(np.nan))),
    boxes=st.lists(st.tuples(st.floats(0, 34), st.floats(0, 24), st.floats(0.2, 12),
                             st.floats(0.2, 12)), min_size=1, max_size=4),
    k=st.integers(1, 6),
)
def test_polygon_mean_unchanged_by_flip_tiles_and_unmasked_nodata(values, boxes, k):
    assume(np.isfinite(values).any())  # an all-nodata raster is refused (EmptyLayerError)
    da = raster_from_array(values, crs=CRS, transform=(5, 0, X0, 0, -5, Y0), units="m",
                           name="flood_depth")
    fps = gdf([box(X0 + x, Y0 - 25 + y, X0 + x + w, Y0 - 25 + y + h) for x, y, w, h in boxes])
    t = da.rio.transform()
    south = raster_from_array(values[::-1], crs=CRS,
                              transform=(t.a, 0, t.c, 0, -t.e, t.f + t.e * 5), units="m",
                              name="flood_depth")
    variants = [south, _x_tiles_swapped(da, k),
                da.fillna(-9999.0).rio.write_nodata(-9999.0)]
    ref = polygon_exposure(fps, da, stats=("mean",))["flood_depth_m_mean"].to_numpy(float)
    for other in variants:
        got = polygon_exposure(fps, other, stats=("mean",))["flood_depth_m_mean"]
        np.testing.assert_allclose(got.to_numpy(float), ref, rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------------------
# CRS: one rule, metres
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def road_and_hazard():
    hz = raster_from_array(np.ones((20, 140)), crs=CRS,
                           transform=(10, 0, 384900, 0, -10, 6672100), units="m",
                           name="flood_depth")
    road = gdf([LineString([(385000, 6672000), (386116, 6672000)])])  # 1,116 m
    return hz, road


def test_road_length_is_metres_whatever_the_crs(road_and_hazard):
    hz, road = road_and_hazard
    a = line_exposure(road, hz, bins=[0.5])
    b = line_exposure(road.to_crs(4326), hz, bins=[0.5])
    assert a.length_m.sum() == pytest.approx(1116.0)
    assert b.length_m.sum() == pytest.approx(1116.0, rel=1e-6)
    # a hazard raster in degrees is reprojected to UTM (logged), not measured in degrees
    hz_deg = hz.rio.reproject(4326)
    hz_deg.attrs["units"] = "m"
    c = line_exposure(road.to_crs(4326), hz_deg, bins=[0.5])
    assert c.length_m.sum() == pytest.approx(1116.0, rel=2e-3)
    assert c.attrs["units"] == {"length_m": "m"}


def test_coverage_fractions_keep_a_raster_in_degrees_on_its_own_grid(road_and_hazard):
    hz, _ = road_and_hazard
    hz_deg = hz.rio.reproject(4326)
    fp = gdf([box(385000, 6672000, 385010, 6672010)]).to_crs(4326)
    out = coverage_fractions(fp, hz_deg)  # kept in its own grid: indices stay the caller's
    assert out.coverage.sum() > 0
    assert out.row.max() < hz_deg.sizes["y"] and out.col.max() < hz_deg.sizes["x"]


# --------------------------------------------------------------------------------------
# Parameters: NaN, inf, strings
# --------------------------------------------------------------------------------------
NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize("call", [
    lambda d, fp, pop: polygon_exposure(fp, d, threshold=NAN),
    lambda d, fp, pop: polygon_exposure(fp, d, threshold=INF),
    lambda d, fp, pop: polygon_exposure(fp, d, nodata_as=NAN),
    lambda d, fp, pop: polygon_exposure(fp, d, threshold="0.5"),
    lambda d, fp, pop: sample_points(gdf([Point(X0 + 1, Y0 - 1)]), d, nodata_as=INF),
    lambda d, fp, pop: line_exposure(gdf([LineString([(X0, Y0 - 1), (X0 + 9, Y0 - 1)])]), d,
                                     bins=[0.0, NAN]),
    lambda d, fp, pop: line_exposure(gdf([LineString([(X0, Y0 - 1), (X0 + 9, Y0 - 1)])]), d,
                                     bins=["0", "1"]),
    lambda d, fp, pop: exposed_population(pop, d, threshold=NAN),
    lambda d, fp, pop: exposed_population(pop, d, bins=[0.1, INF]),
    lambda d, fp, pop: population_weighted_hazard(pop, d, nodata_as=NAN),
], ids=["threshold-nan", "threshold-inf", "nodata_as-nan", "threshold-str", "nodata_as-inf",
        "bins-nan", "bins-str", "pop-threshold-nan", "pop-bins-inf", "pw-nodata_as-nan"])
def test_nan_inf_and_string_parameters_are_refused(footprints, call):
    pop = raster_from_array(np.full((2, 3), 5.0), crs=CRS, transform=(10, 0, X0, 0, -10, Y0),
                            units="people")
    with pytest.raises(InputValueError):
        call(depth_m(), footprints, pop)


def test_heat_parameters_are_refused():
    lst = raster_from_array(np.arange(9.0).reshape(3, 3) + 20, crs=CRS,
                            transform=(10, 0, 0, 0, -10, 30), units="degC", name="lst")
    pop = raster_from_array(np.full((3, 3), 1.0), crs=CRS, transform=(10, 0, 0, 0, -10, 30),
                            units="people")
    for kw in ({"percentile": NAN}, {"percentile": 0}, {"threshold": NAN},
               {"threshold": INF}, {"percentile": "90"}):
        with pytest.raises(InputValueError):
            hot_spots(lst, **kw)
    with pytest.raises(InputValueError):
        heat_exposure(pop, lst, vulnerable_share=NAN)


def test_impact_parameters_are_refused():
    curve = jrc_curve("europe", "residential")
    df = pd.DataFrame({"h": [0.5, 1.0], "v": [100.0, 200.0], "w": [0.5, 1.5]})
    m = {"intensity_units": "m"}
    with pytest.raises(InputValueError, match="fraction_wet"):
        asset_damage(df, curve, intensity="h", value="v", fraction_wet="w", **m)
    for bad in (NAN, INF, -1.0, "3"):
        with pytest.raises(InputValueError, match="unit_value"):
            asset_damage(df.assign(a=[1.0, 1.0]), curve, intensity="h", unit_value=bad,
                         area="a", **m)
    with pytest.raises(InputValueError):
        expected_annual_damage([1.0, 2.0], [10, INF])
    with pytest.raises(InputValueError):
        expected_annual_damage([1.0, 2.0], [10, 100], zero_damage_return_period=NAN)
    with pytest.raises(InputValueError):
        expected_annual_damage([1.0, INF], [10, 100])
    with pytest.raises(InputValueError):
        hazard.jrc_max_damage_m2("FIN", depreciation_factor=NAN)
    with pytest.raises(InputValueError):
        DamageCurve([0, 1], [0, 1], units="m", zero_at_or_below=NAN)


def test_ead_bounds_with_a_nan_cap_raise():
    with pytest.raises(InputValueError, match="max_damage"):
        ead_bounds([100.0, 1000.0], [10, 100], max_damage=NAN)
    frame = pd.DataFrame({"damage_rp10": [1.0, np.nan], "damage_rp100": [3.0, np.nan],
                          "value": [np.nan, np.nan]})
    with pytest.raises(InputValueError, match="NaN"):
        ead_bounds(frame, max_damage="value")
    # a NaN cap is fine for an asset without any damage (outside the hazard)
    ok = ead_bounds(frame.assign(value=[9.0, np.nan]), max_damage="value")
    assert ok.upper.total >= ok.lower.total


@settings(max_examples=60, deadline=None)
@given(
    t=st.lists(st.integers(2, 2000), min_size=1, max_size=5, unique=True).map(sorted),
    d=st.lists(st.floats(0, 1e6), min_size=5, max_size=5),
    cap_extra=st.one_of(st.none(), st.floats(0, 1e6)),
    t0=st.one_of(st.none(), st.just(1.5)),
)
def test_ead_upper_bound_never_below_lower(t, d, cap_extra, t0):
    dmg = d[: len(t)]  # not necessarily increasing with the return period
    cap = None if cap_extra is None else dmg[-1] + cap_extra
    b = ead_bounds(dmg, t, max_damage=cap, zero_damage_return_period=t0)
    assert b.upper.total >= b.lower.total - 1e-9 * (1 + b.lower.total)


def test_string_cells_and_columns_are_refused():
    curve = jrc_curve("europe", "residential")
    words = xr.DataArray(np.array([["1.0", "x"]]), dims=("y", "x"),
                         coords={"y": [Y0 - 0.5], "x": [X0 + 0.5, X0 + 1.5]},
                         attrs={"units": "m"}).rio.write_crs(CRS)
    with pytest.raises(InputValueError, match="numeric raster"):
        polygon_exposure(gdf([box(X0, Y0 - 1, X0 + 1, Y0)]), words)
    df = pd.DataFrame({"h": [0.5, 1.0], "v": ["100", "x"]})
    with pytest.raises(InputValueError, match="numbers"):
        asset_damage(df, curve, intensity="h", value="v", intensity_units="m")
    with pytest.raises(InputValueError, match="numbers"):
        asset_damage(df.assign(v=1.0, h=["0.5", "1"]), curve, intensity="h", value="v",
                     intensity_units="m")
    with pytest.raises(InputValueError, match="numbers"):
        expected_annual_damage(pd.DataFrame({"damage_rp10": ["1"], "damage_rp100": ["2"]}))
    with pytest.raises(InputValueError):
        DamageCurve(["0", "1"], [0, 1], units="m")
    with pytest.raises(InputValueError):
        curve(np.array(["0.5"]))
    with pytest.raises(InputValueError, match="numbers"):
        hazard.aggregate(pd.DataFrame({"ead": ["1", "2"], "c": ["a", "b"]}), "ead", by="c")


# --------------------------------------------------------------------------------------
# Population units, non-overlapping layers
# --------------------------------------------------------------------------------------
def test_population_must_be_people():
    hz = depth_m()
    grid = {"crs": CRS, "transform": (10, 0, X0, 0, -10, Y0)}
    with pytest.raises(UnitsError, match="people"):
        exposed_population(raster_from_array(np.ones((2, 3)), units="degC", **grid), hz,
                           threshold=0.5)
    with pytest.raises(UnitsError, match="units"):
        exposed_population(raster_from_array(np.ones((2, 3)), **grid), hz, threshold=0.5)
    out = exposed_population(raster_from_array(np.ones((2, 3)), units="persons", **grid), hz,
                             threshold=0.5)
    assert out.attrs["units"]["people"] == "people"


def test_hazard_without_units_says_how_to_state_them(footprints):
    bare = depth_m()
    bare.attrs = {}
    with pytest.raises(UnitsError, match=r"attrs\['units'\]"):
        polygon_exposure(footprints, bare)


def test_sample_city_passes_the_contract():
    from urbanrisk import datasets

    city = datasets.load("helsinki")
    out = exposed_population(city.population, city.flood_depth.sel(return_period=[100]),
                             threshold=0.5)
    assert out.people.sum() == pytest.approx(float(city.population.sum()), rel=1e-6)


def test_layers_that_do_not_overlap_are_refused(footprints):
    far = gdf([box(0, 0, 10, 10)])
    pop = raster_from_array(np.ones((2, 3)), crs=CRS, transform=(10, 0, 0, 0, -10, 20),
                            units="people")
    with pytest.raises(NoOverlapError):
        line_exposure(gdf([LineString([(0, 0), (5, 5)])]), depth_m(), bins=[0.5])
    with pytest.raises(NoOverlapError):
        exposed_population(pop, depth_m(), threshold=0.5)
    a = gdf([box(X0, Y0 - 5, X0 + 5, Y0)], ead=[1.0])
    with pytest.raises(NoOverlapError):
        hazard.aggregate(a, "ead", zones=far)


def test_degree_footprints_are_measured_in_metres_for_unit_values():
    curve = DamageCurve([0, 1], [0, 1], units="m")
    b = gdf([box(385000, 6672000, 385010, 6672020)], h=[0.5]).to_crs(4326)
    out = asset_damage(b, curve, intensity="h", unit_value=2.0, intensity_units="m")
    assert out.damage[0] == pytest.approx(200.0, rel=1e-3)
