import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from urbanrisk.coast import (
    AR6_SCENARIOS,
    VerticalReference,
    ar6_global_mean_sea_level,
    interpolate_years,
    projection_from_table,
    reference_dem,
    relative_sea_level,
    select_projection,
    water_levels,
)
from urbanrisk.errors import CRSMismatchError, InputValueError, UnitsError
from urbanrisk.layers import raster_from_array

# AR6 WG1 Table 9.9 (Fox-Kemper et al. 2021), total GMSL change (m) vs 1995-2014:
# (scenario, year) -> (median, 17th, 83rd percentile)
TABLE_9_9 = {
    ("SSP1-1.9", 2030): (0.09, 0.08, 0.12),
    ("SSP1-1.9", 2050): (0.18, 0.15, 0.23),
    ("SSP1-1.9", 2090): (0.35, 0.26, 0.49),
    ("SSP1-1.9", 2100): (0.38, 0.28, 0.55),
    ("SSP1-1.9", 2150): (0.57, 0.37, 0.86),
    ("SSP1-2.6", 2030): (0.09, 0.08, 0.12),
    ("SSP1-2.6", 2050): (0.19, 0.16, 0.25),
    ("SSP1-2.6", 2090): (0.39, 0.30, 0.54),
    ("SSP1-2.6", 2100): (0.44, 0.32, 0.62),
    ("SSP1-2.6", 2150): (0.68, 0.46, 0.99),
    ("SSP2-4.5", 2030): (0.09, 0.08, 0.12),
    ("SSP2-4.5", 2050): (0.20, 0.17, 0.26),
    ("SSP2-4.5", 2090): (0.48, 0.38, 0.65),
    ("SSP2-4.5", 2100): (0.56, 0.44, 0.76),
    ("SSP2-4.5", 2150): (0.92, 0.66, 1.33),
    ("SSP3-7.0", 2030): (0.10, 0.08, 0.12),
    ("SSP3-7.0", 2050): (0.22, 0.18, 0.27),
    ("SSP3-7.0", 2090): (0.56, 0.46, 0.74),
    ("SSP3-7.0", 2100): (0.68, 0.55, 0.90),
    ("SSP3-7.0", 2150): (1.19, 0.89, 1.65),
    ("SSP5-8.5", 2030): (0.10, 0.09, 0.12),
    ("SSP5-8.5", 2050): (0.23, 0.20, 0.29),
    ("SSP5-8.5", 2090): (0.63, 0.52, 0.83),
    ("SSP5-8.5", 2100): (0.77, 0.63, 1.01),
    ("SSP5-8.5", 2150): (1.32, 0.98, 1.88),
    ("SSP5-8.5 low confidence", 2030): (0.10, 0.09, 0.15),
    ("SSP5-8.5 low confidence", 2050): (0.24, 0.20, 0.40),
    ("SSP5-8.5 low confidence", 2090): (0.71, 0.52, 1.30),
    ("SSP5-8.5 low confidence", 2100): (0.88, 0.63, 1.60),
    ("SSP5-8.5 low confidence", 2150): (1.98, 0.98, 4.82),
}


def test_ar6_table_values():
    slr = ar6_global_mean_sea_level()
    assert slr.dims == ("scenario", "quantile", "year")
    assert slr.attrs["units"] == "m" and slr.attrs["baseline"] == "1995-2014"
    assert list(slr["scenario"].values) == list(AR6_SCENARIOS)
    assert slr["year"].values.tolist() == [2030, 2050, 2090, 2100, 2150]
    for (s, y), (med, lo, hi) in TABLE_9_9.items():
        got = slr.sel(scenario=s, year=y).values
        np.testing.assert_allclose(got, [lo, med, hi], atol=1e-12, err_msg=f"{s} {y}")


def test_interpolation_is_linear_between_published_years():
    slr = ar6_global_mean_sea_level(scenarios=["SSP2-4.5"], quantiles=[0.5],
                                    years=[2005, 2020, 2040, 2070, 2095, 2125])
    # 2005 anchor 0; 2020 = 15/25 of 0.09; 2040 mid 0.09..0.20; 2070 mid 0.20..0.48;
    # 2095 mid 0.48..0.56; 2125 mid 0.56..0.92
    np.testing.assert_allclose(
        slr.values.ravel(), [0.0, 0.054, 0.145, 0.34, 0.52, 0.74], atol=1e-12
    )


def test_scenario_aliases_and_quantile_tolerance():
    slr = ar6_global_mean_sea_level(scenarios=["ssp585"], quantiles=[0.167, 0.833], years=[2100])
    np.testing.assert_allclose(slr.values.ravel(), [0.63, 1.01])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"years": [2200]},
        {"years": [1990]},
        {"quantiles": [0.05]},
        {"scenarios": ["RCP8.5"]},
    ],
)
def test_bad_requests_raise(kwargs):
    with pytest.raises(InputValueError):
        ar6_global_mean_sea_level(**kwargs)


def test_projection_from_nasa_wide_table_in_mm():
    nasa = pd.DataFrame(
        {
            "psmsl_id": 14,
            "process": "total",
            "confidence": "medium",
            "scenario": ["ssp245"] * 3 + ["ssp585"] * 3,
            "quantile": [0.167, 0.5, 0.833] * 2,
            "2020": [40, 60, 80, 45, 65, 85],
            "2050": [150, 200, 260, 180, 230, 300],
        }
    )
    p = projection_from_table(nasa, units="mm")
    assert p.dims == ("scenario", "quantile", "year")
    assert list(p["scenario"].values) == ["SSP2-4.5", "SSP5-8.5"]
    np.testing.assert_allclose(p.sel(scenario="SSP5-8.5", year=2050).values, [0.18, 0.23, 0.30])
    # 0.17 and 0.83 select the tool's 0.167 / 0.833
    sel = select_projection(p, quantiles=[0.17, 0.83])
    np.testing.assert_allclose(sel["quantile"].values, [0.167, 0.833])
    np.testing.assert_allclose(
        interpolate_years(p, [2035]).sel(scenario="SSP2-4.5").values.ravel(),
        [0.095, 0.13, 0.17],
    )


def test_projection_from_tidy_table_percent_quantiles(tmp_path):
    df = pd.DataFrame({"scenario": "local", "quantile": [50, 50], "year": [2020, 2100],
                       "rise_cm": [5.0, 60.0]})
    f = tmp_path / "p.csv"
    df.to_csv(f, index=False)
    p = projection_from_table(f, units="cm")
    np.testing.assert_allclose(p.sel(quantile=0.5).values.ravel(), [0.05, 0.6])


def test_projection_table_errors():
    with pytest.raises(InputValueError):
        projection_from_table(pd.DataFrame({"quantile": [0.5], "year": [2050], "v": [1.0]}))
    with pytest.raises(InputValueError):
        projection_from_table(pd.DataFrame({"scenario": ["a"], "year": [2050], "v": [1.0]}))
    with pytest.raises(UnitsError):
        projection_from_table(
            pd.DataFrame({"scenario": ["a"], "quantile": [0.5], "year": [2050], "v": [1.0]}),
            units="degC",
        )
    # feet are a length: converted, not refused (issue #12)
    feet = projection_from_table(
        pd.DataFrame({"scenario": ["a"], "quantile": [0.5], "year": [2050], "v": [1.0]}),
        units="ft",
    )
    np.testing.assert_allclose(feet.values.ravel(), [0.3048])
    dup = pd.DataFrame({"scenario": ["a", "a"], "quantile": [0.5, 0.5], "year": [2050, 2050],
                        "v": [1.0, 2.0]})
    with pytest.raises(InputValueError):
        projection_from_table(dup)


def test_relative_sea_level_hand_checked():
    slr = ar6_global_mean_sea_level(scenarios=["SSP1-2.6"], quantiles=[0.5], years=[2050, 2100])
    # Helsinki-like uplift of 3.5 mm/yr (negative subsidence): 2100 → 0.44 − 0.0035·95
    rsl = relative_sea_level(slr, vertical_land_motion_mm_per_yr=-3.5)
    np.testing.assert_allclose(rsl.values.ravel(), [0.19 - 0.1575, 0.44 - 0.3325])
    assert rsl.attrs["vertical_land_motion_mm_per_yr"] == -3.5
    with pytest.raises(InputValueError):
        relative_sea_level(slr, vertical_land_motion_mm_per_yr=float("nan"))


def _dem(values, crs=3067):
    return raster_from_array(np.asarray(values, float), crs=crs,
                             transform=(10, 0, 0, 0, -10, 10 * np.shape(values)[0]), units="m")


def test_reference_dem_scalar_and_raster_surface():
    dem = _dem([[1.0, 2.0], [3.0, 4.0]])
    out = reference_dem(dem, VerticalReference(dem_datum="N2000", water_surface=0.5))
    np.testing.assert_allclose(out.values, [[0.5, 1.5], [2.5, 3.5]])
    surf = _dem([[0.5, 0.6], [0.7, 0.8]])
    out2 = reference_dem(dem, VerticalReference(dem_datum="N2000", water_surface=surf,
                                                 water_surface_name="MHHW"))
    np.testing.assert_allclose(out2.values, [[0.5, 1.4], [2.3, 3.2]])
    assert out2.attrs["vertical_reference"] == "above MHHW (1995-2014) in N2000"
    assert "vertical_reference" not in dem.attrs  # input untouched


def test_reference_dem_refuses_mixed_datums_and_crs():
    dem = _dem([[1.0]])
    with pytest.raises(InputValueError, match="datum"):
        reference_dem(dem, VerticalReference(dem_datum="N2000", water_surface=0.1,
                                             water_surface_datum="MLLW"))
    with pytest.raises(CRSMismatchError):
        reference_dem(dem, VerticalReference(dem_datum="N2000",
                                             water_surface=_dem([[0.1]], crs=3879)))
    nounits = dem.copy()
    nounits.attrs = {}
    with pytest.raises(UnitsError):
        reference_dem(nounits, VerticalReference(dem_datum="N2000"))


def test_water_levels_with_surge_and_baseline_check():
    slr = ar6_global_mean_sea_level(scenarios=["SSP1-2.6", "SSP5-8.5"], years=[2100])
    ref = VerticalReference(dem_datum="N2000", water_surface=0.2)
    lv = water_levels(slr, reference=ref, surge={100: 1.5, 10: 1.1})
    assert lv.dims == ("scenario", "quantile", "year", "return_period")
    assert lv["return_period"].values.tolist() == [10, 100]
    assert float(lv.sel(scenario="SSP5-8.5", quantile=0.5, year=2100, return_period=100)) == \
        pytest.approx(0.77 + 1.5)
    assert lv.attrs["vertical_reference"] == ref.describe()
    with pytest.raises(InputValueError, match="1986-2005"):
        water_levels(slr, reference=VerticalReference(dem_datum="N2000", baseline="1986-2005"))
    with pytest.raises(InputValueError):
        water_levels(slr, reference=None)


@settings(max_examples=40, deadline=None)
@given(year=st.integers(2005, 2150))
def test_quantiles_and_scenarios_are_ordered(year):
    slr = ar6_global_mean_sea_level(scenarios=list(AR6_SCENARIOS[:5]), years=[year])
    v = slr.values[..., 0]  # scenario x quantile
    assert (np.diff(v, axis=1) >= -1e-12).all()  # 17th <= median <= 83rd
    assert (np.diff(v, axis=0) >= -1e-12).all()  # lower scenario never higher


def test_projection_rejects_non_dataarray():
    with pytest.raises(InputValueError):
        interpolate_years(xr.Dataset(), [2050])
