from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate
from shapely.geometry import box

from urbanrisk.errors import EmptyLayerError, InputValueError, UnitsError
from urbanrisk.hazard import (
    DamageCurve,
    aggregate,
    asset_damage,
    ead_bounds,
    exceedance_curve,
    expected_annual_damage,
    jrc_curve,
    polygon_exposure,
)
from urbanrisk.layers import raster_from_array

RP = [10, 100]
D = [100.0, 1000.0]


# --------------------------------------------------------------------------------------
# EAD worked examples, one per rule (p = 1/T: 0.1 and 0.01)
# --------------------------------------------------------------------------------------
def test_lower_step_by_hand():
    # CLIMADA: each map's damage times its frequency increment
    # 100 * (0.1 - 0.01) + 1000 * (0.01 - 0) = 9 + 10
    r = expected_annual_damage(D, RP, rule="lower_step")
    assert r.total == pytest.approx(19.0)
    assert r.rule == "lower_step" and r.tail == "flat"
    assert expected_annual_damage(D, RP, rule="lower_step", tail="none").total == pytest.approx(9)


def test_trapezoid_by_hand():
    # (100 + 1000) / 2 * 0.09 = 49.5; flat tail adds 1000 * 0.01
    assert expected_annual_damage(D, RP, rule="trapezoid", tail="none").total == pytest.approx(
        49.5
    )
    assert expected_annual_damage(D, RP, rule="trapezoid").total == pytest.approx(59.5)
    # protection standard: no damage at T=2 (p=0.5): adds (0.5 - 0.1) * 100 / 2 = 20
    r = expected_annual_damage(D, RP, rule="trapezoid", zero_damage_return_period=2)
    assert r.total == pytest.approx(79.5)
    assert "T=2" in r.description


def test_log_linear_by_hand():
    # D linear in ln p on [0.01, 0.1]: integral = 100*0.09 + 900 * S,
    # S = int s dp = 0.09 / ln(10) - 0.01 (s from 0 at p=0.1 to 1 at p=0.01)
    s = 0.09 / math.log(10) - 0.01
    expected = 100 * 0.09 + 900 * s + 1000 * 0.01
    r = expected_annual_damage(D, RP, rule="log_linear")
    assert r.total == pytest.approx(expected)
    assert r.total == pytest.approx(45.1779, abs=1e-4)


def _loglin_quad(d, t, t0=None):
    p = 1 / np.asarray(t, float)
    pts = list(zip(p, d, strict=True))
    if t0:
        pts = [(1 / t0, 0.0)] + pts

    def dmg(x):
        for (pa, da), (pb, db) in zip(pts[:-1], pts[1:], strict=True):
            if pb <= x <= pa:
                s = (math.log(x) - math.log(pa)) / (math.log(pb) - math.log(pa))
                return da + (db - da) * s
        return 0.0

    total = 0.0
    for (pa, _), (pb, _) in zip(pts[:-1], pts[1:], strict=True):
        total += integrate.quad(dmg, pb, pa, epsabs=1e-12, epsrel=1e-12)[0]
    return total + d[-1] * p[-1]


def _fiat_coefficients(t):
    """Delft-FIAT's published EAD coefficients (log-linear, flat tail), re-derived:
    with f = 1/T, L = ln f, G = f L - f, c_i = 1 / (L_i - L_{i+1}):
    a_i = (1 + c_i L_{i+1}) (f_i - f_{i+1}) + c_i (G_{i+1} - G_i)  (weight of D_{i+1})
    b_i = c_i (G_i - G_{i+1} + L_{i+1} (f_{i+1} - f_i))          (weight of D_i)."""
    f = [1 / x for x in t]
    lf = [math.log(x) for x in f]
    g = [fi * li - fi for fi, li in zip(f, lf, strict=True)]
    n = len(t)
    c = [1 / (lf[i] - lf[i + 1]) for i in range(n - 1)]
    a = [(1 + c[i] * lf[i + 1]) * (f[i] - f[i + 1]) + c[i] * (g[i + 1] - g[i])
         for i in range(n - 1)]
    b = [c[i] * (g[i] - g[i + 1] + lf[i + 1] * (f[i + 1] - f[i])) for i in range(n - 1)]
    alpha = [0.0] * n
    for i in range(n - 1):
        alpha[i] += b[i]
        alpha[i + 1] += a[i]
    alpha[-1] += f[-1]
    return np.array(alpha)


def test_log_linear_matches_quadrature_and_fiat_coefficients():
    t = [2, 5, 10, 25, 50, 100, 250, 500]
    d = [0, 5, 20, 60, 90, 150, 200, 260]
    ours = expected_annual_damage(d, t, rule="log_linear").total
    assert ours == pytest.approx(_loglin_quad(d, t), rel=1e-8)
    assert ours == pytest.approx(float(np.dot(_fiat_coefficients(t), d)), rel=1e-10)
    ours0 = expected_annual_damage(d[1:], t[1:], rule="log_linear", zero_damage_return_period=2)
    assert ours0.total == pytest.approx(_loglin_quad(d[1:], t[1:], t0=2), rel=1e-8)


def test_bounds_by_hand():
    b = ead_bounds(D, RP)
    assert b.lower.total == pytest.approx(19.0)
    assert b.upper.total == pytest.approx(1000 * 0.09 + 1000 * 0.01)
    b = ead_bounds(D, RP, max_damage=5000, zero_damage_return_period=5)
    # upper: 1000*0.09 + 100*(0.2 - 0.1) + 5000*0.01
    assert b.upper.total == pytest.approx(90 + 10 + 50)
    assert b.upper.rule == "upper_step" and b.upper.tail == "max_damage"


@settings(max_examples=50, deadline=None)
@given(
    t=st.lists(st.integers(2, 2000), min_size=1, max_size=6, unique=True).map(sorted),
    base=st.floats(0, 1e6),
    incs=st.lists(st.floats(0, 1e5), min_size=6, max_size=6),
)
def test_rules_lie_between_bounds(t, base, incs):
    d = np.cumsum([base] + incs[: len(t) - 1])
    b = ead_bounds(d, t)
    for rule in ("lower_step", "trapezoid", "log_linear"):
        v = expected_annual_damage(d, t, rule=rule).total
        assert b.lower.total - 1e-6 * (1 + abs(v)) <= v <= b.upper.total + 1e-6 * (1 + abs(v))
        assert v >= 0


def test_frame_input_gives_per_asset_and_total():
    df = pd.DataFrame({"damage_rp10": [100.0, 0.0], "damage_rp100": [1000.0, 50.0]},
                      index=["a", "b"])
    r = expected_annual_damage(df, rule="lower_step")
    assert r.per_asset.index.tolist() == ["a", "b"]
    assert r.per_asset["a"] == pytest.approx(19.0)
    assert r.per_asset["b"] == pytest.approx(0.5)
    assert r.total == pytest.approx(19.5)
    assert r.return_periods == (10.0, 100.0)
    assert float(expected_annual_damage({10: 100.0, 100: 1000.0}, rule="lower_step")) == (
        pytest.approx(19.0)
    )


def test_exceedance_curve():
    df = pd.DataFrame({"damage_rp100": [1000.0, 50.0], "damage_rp10": [100.0, 0.0]})
    ec = exceedance_curve(df)
    assert ec.return_period.tolist() == [10, 100]
    assert ec.damage.tolist() == pytest.approx([100.0, 1050.0])
    assert ec.exceedance_probability.tolist() == pytest.approx([0.1, 0.01])


@pytest.mark.parametrize(
    "rps",
    [[100, 10], [10, 10], [0, 10], [-5, 10], ["10", "100"], [10, float("nan")]],
)
def test_bad_return_periods_raise(rps):
    with pytest.raises(InputValueError):
        expected_annual_damage([1.0, 2.0], rps)
    with pytest.raises(InputValueError):
        ead_bounds([1.0, 2.0], rps)


def test_bad_ead_options():
    with pytest.raises(InputValueError):
        expected_annual_damage(D, RP, rule="simpson")
    with pytest.raises(InputValueError):
        expected_annual_damage(D, RP, tail="linear")
    with pytest.raises(InputValueError):
        expected_annual_damage(D, RP, zero_damage_return_period=20)
    with pytest.raises(InputValueError):
        expected_annual_damage([-1.0, 2.0], RP)
    with pytest.raises(InputValueError):
        expected_annual_damage([1.0, 2.0, 3.0], RP)
    with pytest.raises(InputValueError):
        ead_bounds(D, RP, max_damage=10)
    df = pd.DataFrame({"damage_rp10": [1.0, 2.0], "damage_rp100": [3.0, 4.0], "v": [9.0, 9.0]})
    with pytest.raises(InputValueError, match="one value per asset"):
        ead_bounds(df, max_damage=10.0)
    b = ead_bounds(df, max_damage="v")
    assert b.upper.per_asset.tolist() == pytest.approx([3 * 0.09 + 9 * 0.01, 4 * 0.09 + 0.09])


# --------------------------------------------------------------------------------------
# Damage per asset
# --------------------------------------------------------------------------------------
def test_asset_damage_fiat_style_on_footprints():
    # two 10 x 10 m buildings on a 10 m grid: one fully in 1 m water, one half in 2 m
    depth = raster_from_array(
        np.array([[[1.0, 2.0, 0.0]], [[1.5, 3.0, 0.0]]]), crs=3067,
        transform=(10, 0, 0, 0, -10, 10), units="m", name="flood_depth",
        extra_dim="return_period", extra_coords=[10, 100],
    )
    b = gpd.GeoDataFrame({"occupancy": ["residential", "commercial"]},
                         geometry=[box(0, 0, 10, 10), box(15, 0, 25, 10)], crs=3067)
    exp = polygon_exposure(b, depth, stats=("mean", "fraction_above"))
    curves = {"residential": jrc_curve("europe", "residential"),
              "commercial": jrc_curve("europe", "commercial")}
    out = asset_damage(exp, curves, class_column="occupancy", intensity="flood_depth_m_mean",
                       fraction_wet="flood_depth_m_fraction_above_0", unit_value=1000.0,
                       intensity_units="m")
    # building 0: 100 m2 * 1000 = 1e5; rp10 depth 1 m -> 0.40; rp100 1.5 m -> 0.50
    assert out.loc[0, "damage_rp10"] == pytest.approx(1e5 * 0.40)
    assert out.loc[0, "damage_rp100"] == pytest.approx(1e5 * 0.50)
    # building 1: mean depth over the wet half and the dry half = 1.0 m (rp10); wet 0.5
    # commercial at 1 m -> 0.30; damage = 1e5 * 0.30 * 0.5
    assert out.loc[1, "damage_rp10"] == pytest.approx(1e5 * 0.30 * 0.5)
    # rp100: mean of 3 m and 0 m = 1.5 m -> commercial 0.45
    assert out.loc[1, "damage_rp100"] == pytest.approx(1e5 * 0.45 * 0.5)
    assert set(out.columns) >= {"damage_rp10", "damage_rp100", "occupancy"}


curve_points = st.lists(st.floats(0, 1), min_size=2, max_size=6)


@settings(max_examples=50, deadline=None)
@given(
    damage_pts=curve_points,
    values=st.lists(st.floats(0, 1e7), min_size=1, max_size=8),
    depth=st.floats(0, 10),
    wet=st.floats(0, 1),
)
def test_damage_never_above_value(damage_pts, values, depth, wet):
    curve = DamageCurve(np.arange(len(damage_pts), dtype=float), damage_pts, units="m")
    df = pd.DataFrame({"value": values, "h": depth, "w": wet})
    out = asset_damage(df, curve, intensity="h", value="value", fraction_wet="w",
                       intensity_units="m")
    assert (out["damage"] <= out["value"] * (1 + 1e-12)).all()
    assert (out["damage"] >= 0).all()


@settings(max_examples=40, deadline=None)
@given(
    depths=st.lists(st.floats(0, 5), min_size=3, max_size=3).map(sorted),
    extra=st.lists(st.floats(0, 2), min_size=3, max_size=3),
    rule=st.sampled_from(["lower_step", "trapezoid", "log_linear"]),
)
def test_ead_non_negative_and_never_decreasing_when_depths_increase(depths, extra, rule):
    curve = jrc_curve("europe", "residential")
    rps = [10, 100, 1000]

    def ead(ds):
        df = pd.DataFrame({f"h_rp{t}": [d] for t, d in zip(rps, ds, strict=True)})
        df["value"] = 1e5
        dmg = asset_damage(df, curve, intensity="h", value="value", intensity_units="m")
        return expected_annual_damage(dmg, rule=rule).total

    deeper = [d + e for d, e in zip(depths, extra, strict=True)]
    a, b = ead(depths), ead(deeper)
    assert a >= 0
    assert b >= a - 1e-9


def test_asset_damage_bad_input():
    curve = jrc_curve("europe", "residential")
    df = pd.DataFrame({"h": [-0.5, 1.0], "value": [1.0, 1.0], "cls": ["a", "b"]})
    m = {"intensity_units": "m"}
    with pytest.raises(InputValueError, match="negative depths"):
        asset_damage(df, curve, intensity="h", value="value", **m)
    ok = df.assign(h=[0.5, 1.0])
    with pytest.raises(InputValueError):
        asset_damage(ok, {"a": curve}, intensity="h", value="value", class_column="cls", **m)
    with pytest.raises(InputValueError):
        asset_damage(ok, {"a": curve, "b": curve}, intensity="h", value="value", **m)
    with pytest.raises(InputValueError):
        asset_damage(ok, curve, intensity="h", value="value", unit_value=3.0, **m)
    with pytest.raises(InputValueError):
        asset_damage(ok, curve, intensity="nope", value="value", **m)
    with pytest.raises(UnitsError):  # a temperature is not a depth
        asset_damage(ok, curve, intensity="h", value="value", intensity_units="degC")
    with pytest.raises(UnitsError, match="intensity_units="):  # units never guessed
        asset_damage(ok, curve, intensity="h", value="value")
    with pytest.raises(EmptyLayerError):
        asset_damage(ok.iloc[:0], curve, intensity="h", value="value", **m)
    with pytest.raises(InputValueError):
        asset_damage(ok.assign(value=[-1.0, 1.0]), curve, intensity="h", value="value", **m)


def test_unit_value_uses_projected_area():
    curve = DamageCurve([0, 1], [0, 1], units="m")
    b = gpd.GeoDataFrame({"h": [0.5]}, geometry=[box(385000, 6672000, 385010, 6672020)],
                         crs=3067)
    out = asset_damage(b, curve, intensity="h", unit_value=2.0, intensity_units="m")
    assert out.damage[0] == pytest.approx(200 * 2.0 * 0.5)
    # the same footprint in degrees gives (almost) the same area after reprojection
    out2 = asset_damage(b.to_crs(4326), curve, intensity="h", unit_value=2.0,
                        intensity_units="m")
    assert out2.damage[0] == pytest.approx(200.0, rel=1e-3)


def test_aggregate_by_zone_and_class():
    b = gpd.GeoDataFrame(
        {"occupancy": ["res", "res", "com", "res"], "damage_rp10": [1.0, 2.0, 3.0, 4.0],
         "damage_rp100": [10.0, 20.0, 30.0, 40.0]},
        geometry=[box(0, 0, 1, 1), box(2, 0, 3, 1), box(12, 0, 13, 1), box(50, 50, 51, 51)],
        crs=3067,
    )
    zones = gpd.GeoDataFrame({"name": ["A", "B"]},
                             geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10)], crs=3067)
    out = aggregate(b, "damage", by="occupancy", zones=zones, zone_column="name")
    got = out.set_index(["zone", "occupancy", "return_period"]).value
    assert got[("A", "res", 10)] == pytest.approx(3.0)
    assert got[("B", "com", 100)] == pytest.approx(30.0)
    # the asset outside every zone is kept with zone NaN, not dropped
    assert out.value.sum() == pytest.approx(110.0)
    assert out.zone.isna().any()


def test_dry_footprint_has_no_damage_even_without_a_wet_depth():
    import numpy as np
    import pandas as pd

    from urbanrisk import hazard

    curve = hazard.jrc_curve("europe", "residential")
    assets = pd.DataFrame({"d": [np.nan, 1.0], "w": [0.0, 0.5], "v": [100.0, 100.0]})
    out = hazard.asset_damage(assets, curve, intensity="d", fraction_wet="w", value="v",
                              intensity_units="m")
    np.testing.assert_allclose(out["damage"], [0.0, 100.0 * 0.4 * 0.5])
