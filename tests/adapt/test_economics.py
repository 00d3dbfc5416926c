import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from urbanrisk.adapt import (
    Pathway,
    Protect,
    RiskOverTime,
    appraise,
    discount_factors,
    discount_rates,
    present_value,
)
from urbanrisk.errors import InputValueError


@settings(max_examples=30, deadline=None)
@given(d=st.floats(1.0, 1e7), r=st.floats(0.005, 0.12), n=st.integers(1, 120))
def test_constant_stream_is_the_annuity(d, r, n):
    pv = present_value([d, d], [2001, 2000 + n] if n > 1 else [2001, 2002], base_year=2000,
                       rate=r, end_year=2000 + n)
    assert pv == pytest.approx(d * (1 - (1 + r) ** -n) / r, rel=1e-10)


def test_green_book_factors_by_hand():
    f = discount_factors([2000, 2030, 2031, 2075, 2076, 2126], base_year=2000,
                         rate="green_book")
    f30 = 1.035 ** -30
    f75 = f30 * 1.03 ** -45
    f125 = f75 * 1.025 ** -50
    np.testing.assert_allclose(f, [1.0, f30, f30 / 1.03, f75, f75 / 1.025, f125 / 1.02])
    r = discount_rates(310, "green_book")
    assert r[0] == 0.035 and r[300] == 0.01 and r[299] == 0.015
    with pytest.raises(InputValueError, match="green_book"):
        discount_rates(3, "stern")
    with pytest.raises(InputValueError, match="before the base year"):
        discount_factors([1999], base_year=2000)


def test_present_value_interpolates_linearly():
    # EAD 0 in 2000 rising to 10 in 2010, no discounting: sum of 0, 1, ..., 10
    assert present_value([0.0, 10.0], [2000, 2010], rate=0.0) == pytest.approx(55.0)
    with pytest.raises(InputValueError, match="extrapolated"):
        present_value([0.0, 10.0], [2000, 2010], end_year=2020)


def _risk(ead_rows, costs_rows, names=("do nothing", "dike", "retreat")):
    ead = pd.DataFrame(ead_rows, columns=["pathway", "scenario", "quantile", "year", "ead"])
    ead["zone"] = "all"
    costs = pd.DataFrame(costs_rows, columns=["pathway", "year", "cost"])
    paths = tuple(Pathway(n, () if n == "do nothing" else (Protect(9.0, 2000),))
                  for n in names)
    return RiskOverTime(pd.DataFrame(), ead, costs, paths, "test", (10, 100), 0.0, 0.0)


def test_npv_bcr_and_minimax_regret_by_hand():
    # no discounting, two years (2000, 2001): PV = sum of the two yearly values
    rows, cost_rows = [], []
    ead = {"do nothing": {"low": 10, "high": 100}, "dike": {"low": 0, "high": 20},
           "retreat": {"low": 0, "high": 0}}
    cost = {"do nothing": 0, "dike": 60, "retreat": 150}
    for p, per in ead.items():
        for s, e in per.items():
            rows += [(p, s, 0.5, 2000, e), (p, s, 0.5, 2001, e)]
        cost_rows += [(p, 2000, cost[p]), (p, 2001, 0)]
    a = appraise(_risk(rows, cost_rows), rate=0.0)
    t = a.table.set_index(["pathway", "scenario"])
    assert t.loc[("dike", "high"), "pv_benefit"] == 160      # 2 x (100 - 20)
    assert t.loc[("dike", "high"), "npv"] == 100             # 160 - 60
    assert t.loc[("dike", "high"), "bcr"] == pytest.approx(160 / 60)
    assert np.isnan(t.loc[("do nothing", "low"), "bcr"])
    # total costs: low: 20, 60, 150 -> regrets 0, 40, 130; high: 200, 100, 150 -> 100, 0, 50
    assert a.max_regret.to_dict() == {"do nothing": 100, "dike": 40, "retreat": 130}
    assert a.minimax_regret == "dike"


def _climada_npv(years, rates, values):
    """climada.util.finance.net_present_value (CLIMADA 3-6), written from its source."""
    npv = values[-1]
    for val, disc in zip(values[-2::-1], rates[-2::-1], strict=True):
        npv = val + npv / (1 + disc)
    return npv


def _climada_benefit(present_year, future_year, rates, ben_present, ben_future, k=1.0):
    """CostBenefit._cost_ben_one with a present and a future hazard (imp_time_depen=k)."""
    n = future_year - present_year + 1
    time_dep = np.arange(n) ** k / (n - 1) ** k
    meas_ben = ben_present + (ben_future - ben_present) * time_dep
    return _climada_npv(np.arange(present_year, future_year + 1), rates, meas_ben)


@pytest.mark.parametrize("rate", [0.02, "green_book"])
def test_matches_climada_cost_benefit_formula(rate):
    """The benefit and cost/benefit of CLIMADA's CostBenefit on the same case.

    Risk measured by EAD at a present (2020) and a future year (2100), linear in between
    (CLIMADA's imp_time_depen=1), a measure paid once in the present year (CLIMADA does not
    discount measure costs). CLIMADA's rate of year i discounts the step i -> i + 1; the
    Green Book rate of step i -> i + 1 is that of year i + 1 after the base year.
    """
    rows = [("do nothing", "S", 0.5, 2020, 1000.0), ("do nothing", "S", 0.5, 2100, 9000.0),
            ("dike", "S", 0.5, 2020, 100.0), ("dike", "S", 0.5, 2100, 2500.0)]
    costs = [("do nothing", 2020, 0.0), ("dike", 2020, 40000.0)]
    a = appraise(_risk(rows, costs, names=("do nothing", "dike")), rate=rate)
    mine = a.table.set_index("pathway").loc["dike"]
    n = 81
    rates = discount_rates(n, rate)  # rates[i] is the rate of step i -> i + 1
    climada_benefit = _climada_benefit(2020, 2100, rates, 900.0, 6500.0)
    assert mine["pv_benefit"] == pytest.approx(climada_benefit, rel=1e-12)
    # CLIMADA's cost_ben_ratio is cost / benefit
    assert 1 / mine["bcr"] == pytest.approx(40000.0 / climada_benefit, rel=1e-12)
