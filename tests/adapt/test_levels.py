import numpy as np
import pandas as pd
import pytest
from scipy import stats

from urbanrisk.adapt import (
    building_cells,
    building_depths,
    distance_from_sea_m,
    extreme_levels,
    fit_extremes,
    flood_levels,
)
from urbanrisk.coast import VerticalReference, ar6_global_mean_sea_level
from urbanrisk.errors import InputValueError


def test_gumbel_fit_recovers_return_levels():
    x = stats.gumbel_r.rvs(loc=0.9, scale=0.15, size=5000, random_state=7)
    fit = fit_extremes(x, distribution="gumbel")
    t = np.array([10.0, 100.0])
    exact = 0.9 - 0.15 * np.log(-np.log(1 - 1 / t))
    np.testing.assert_allclose(fit.return_level(t), exact, atol=0.02)
    assert fit.shape == 0.0 and fit.n_years == 5000


def test_gev_fit_sign_convention_and_levels():
    # scipy's c = -xi: c = -0.1 is a heavy (Frechet-type) upper tail, xi = +0.1
    x = stats.genextreme.rvs(-0.1, loc=1.0, scale=0.2, size=8000, random_state=3)
    fit = fit_extremes(x)
    assert fit.shape == pytest.approx(0.1, abs=0.04)
    t = 100.0
    y = -np.log(1 - 1 / t)
    exact = 1.0 + 0.2 / 0.1 * (y ** -0.1 - 1)   # mu + sigma/xi [y^-xi - 1]
    assert fit.return_level([t])[0] == pytest.approx(exact, abs=0.05)


def test_fit_refuses_short_records_and_converts_units():
    with pytest.raises(InputValueError, match="at least 10"):
        fit_extremes([1.0, 1.2, 1.1])
    x = stats.gumbel_r.rvs(loc=90, scale=15, size=3000, random_state=1)
    fit = fit_extremes(x, distribution="gumbel", units="cm")
    assert fit.location_m == pytest.approx(0.9, abs=0.02)


def test_extreme_levels_forms_and_checks():
    table = pd.DataFrame({"return_period": [100, 10], "level_m": [1.6, 1.2]})
    s = extreme_levels(table)
    assert s.index.tolist() == [10.0, 100.0] and s.tolist() == [1.2, 1.6]
    with pytest.raises(InputValueError, match="fall"):
        extreme_levels({10: 1.6, 100: 1.2})
    with pytest.raises(InputValueError, match="positive and unique"):
        extreme_levels({0: 1.0, 10: 1.2})
    fit = fit_extremes(stats.gumbel_r.rvs(loc=1, scale=0.2, size=50, random_state=2),
                       distribution="gumbel")
    assert extreme_levels(fit, return_periods=[10, 100]).index.tolist() == [10.0, 100.0]


def test_flood_levels_by_hand():
    ref = VerticalReference(dem_datum="N2000")
    lv = flood_levels({10: 1.2, 100: 1.6}, reference=ref, scenarios=["SSP5-8.5"],
                      quantiles=[0.5], years=[2050, 2100], vertical_land_motion_mm_per_yr=-4)
    slr = ar6_global_mean_sea_level(scenarios=["SSP5-8.5"], quantiles=[0.5],
                                    years=[2050, 2100]).values.ravel()
    expect = slr + (-4) * (np.array([2050, 2100]) - 2005) / 1000 + 1.6
    np.testing.assert_allclose(lv.sel(return_period=100).values.ravel(), expect)
    assert lv.dims == ("scenario", "quantile", "year", "return_period")
    assert lv.attrs["vertical_reference"] == ref.describe()


def test_distance_from_sea(plane):
    dem, conn = plane
    d = distance_from_sea_m(dem, conn)
    assert d.values[0, :4].tolist() == [0.0, 10.0, 20.0, 30.0]


def test_attenuation_lowers_inland_depth(two_zone_city):
    dem, conn, b, _ = two_zone_city
    static = building_depths(building_cells(b, dem, conn), [1.5])
    att = building_depths(building_cells(b, dem, conn, attenuation_m_per_km=2.0), [1.5])
    # building 0 covers x 10-20 m: the cell at 10 m from the sea (0.1 m): level 1.5 - 0.02
    assert static["max_depth_m"].values[0, 0] == pytest.approx(1.4, abs=1e-6)
    assert att["max_depth_m"].values[0, 0] == pytest.approx(1.5 - 2.0 * 0.01 - 0.1, abs=1e-6)
    # the last building (x 100-110 m, height 1.0 m, 100 m inland): 0.5 m static, 0.3 m attenuated
    assert static["max_depth_m"].values[0, 5] == pytest.approx(0.5, abs=1e-6)
    assert att["max_depth_m"].values[0, 5] == pytest.approx(0.3, abs=1e-6)
    assert (att["max_depth_m"].values <= static["max_depth_m"].values + 1e-12).all()
