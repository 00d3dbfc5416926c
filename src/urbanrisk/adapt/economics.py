r"""Economics of adaptation: discounting, present values, NPV, BCR, regret.

**Discounting.** A flow :math:`x_t` paid in year :math:`t` is worth
:math:`x_t\,\delta(t)` today, with the discount factor

.. math:: \delta(t) = \prod_{i=1}^{t - t_0} \frac{1}{1 + r_i}

counted from the base year :math:`t_0` (:math:`\delta(t_0) = 1`). A constant rate gives
:math:`\delta(t) = (1+r)^{-(t-t_0)}`. The UK Green Book's declining schedule (HM Treasury
2003, Annex 6 Table 6.1; HM Treasury 2022, Table 8 — 3.5 % for years 0–30, 3.0 % for
31–75, 2.5 % for 76–125, 2.0 % for 126–200, 1.5 % for 201–300, 1.0 % beyond) applies
the rate of year :math:`i`'s band to the step from :math:`i-1` to :math:`i`, so the factor
is continuous where the rate steps down.

**Present value** of a stream known at some years (the EAD of
:func:`~urbanrisk.adapt.risk_over_time` at its years): interpolated linearly to every
year from the first to the last, then :math:`\sum_t x_t\,\delta(t)`. CLIMADA's
cost–benefit does the same between its present and future year with
``imp_time_depen=1`` (Aznar-Siguan & Bresch 2019; ``climada.engine.CostBenefit``).

**Appraisal** (:func:`appraise`) of pathway :math:`p` in scenario :math:`s`:
:math:`C` = PV of its costs, :math:`R` = PV of its residual EAD, benefit
:math:`B = R_{\mathrm{do\,nothing}} - R_p`, net present value :math:`B - C`, benefit–cost
ratio :math:`B/C`. The **regret** of :math:`p` in :math:`s` is its total cost
:math:`C + R` minus the lowest total cost of any pathway in :math:`s`; the **min–max
regret** pathway has the smallest largest regret over the scenarios (Savage 1951), the
robust choice when no scenario is given a probability.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from urbanrisk.adapt.risk import CITY, RiskOverTime
from urbanrisk.errors import InputValueError
from urbanrisk.layers import require_number, require_numbers

__all__ = [
    "GREEN_BOOK_SCHEDULE",
    "discount_rates",
    "discount_factors",
    "present_value",
    "Appraisal",
    "appraise",
]

#: The UK Green Book's declining long-term discount rate: (first year, last year, rate),
#: years counted from the base year (HM Treasury 2003 Annex 6 Table 6.1; 2022 Table 8).
GREEN_BOOK_SCHEDULE: tuple[tuple[int, float, float], ...] = (
    (0, 30, 0.035),
    (31, 75, 0.030),
    (76, 125, 0.025),
    (126, 200, 0.020),
    (201, 300, 0.015),
    (301, np.inf, 0.010),
)


def discount_rates(n_years: int, rate: float | str = 0.035) -> np.ndarray:
    """Rate :math:`r_i` of each year ``i = 1 … n_years`` after the base year.

    Parameters
    ----------
    n_years : int
        Number of years after the base year.
    rate : float or "green_book"
        A constant rate (0.035 = 3.5 %) or the Green Book's declining schedule.

    Examples
    --------
    >>> discount_rates(3, 0.02).tolist()
    [0.02, 0.02, 0.02]
    >>> r = discount_rates(80, "green_book")
    >>> r[[29, 30, 75]].tolist()   # years 30, 31, 76
    [0.035, 0.03, 0.025]
    """
    n = int(n_years)
    if isinstance(rate, str):
        if rate.strip().lower().replace(" ", "_") not in ("green_book", "greenbook"):
            raise InputValueError(f"rate must be a number or 'green_book', got {rate!r}.")
        i = np.arange(1, n + 1)
        out = np.empty(n)
        for lo, hi, r in GREEN_BOOK_SCHEDULE:
            out[(i >= lo) & (i <= hi)] = r
        return out
    r = require_number(rate, name="rate", low=-0.5, high=1.0)
    return np.full(n, r)


def discount_factors(years: Sequence[int] | np.ndarray, *, base_year: int,
                     rate: float | str = 0.035) -> np.ndarray:
    r"""Discount factor :math:`\delta(t)` of each year (1 in the base year).

    Examples
    --------
    >>> discount_factors([2025, 2026, 2027], base_year=2025, rate=0.05).round(6).tolist()
    [1.0, 0.952381, 0.907029]
    >>> gb = discount_factors([2055, 2056], base_year=2025, rate="green_book")
    >>> bool(np.isclose(gb[1], gb[0] / 1.03))   # year 31 is discounted at 3 %
    True
    """
    t = require_numbers(np.atleast_1d(years), name="years")
    b = require_number(base_year, name="base_year")
    if (t < b).any():
        raise InputValueError(f"Years before the base year {int(b)} cannot be discounted: "
                              f"{t[t < b][:5].astype(int).tolist()}.")
    steps = (t - b).astype(int)
    n = int(steps.max()) if steps.size else 0
    cum = np.concatenate(([1.0], np.cumprod(1.0 / (1.0 + discount_rates(n, rate)))))
    return cum[steps]


def present_value(
    values: Sequence[float] | np.ndarray,
    years: Sequence[int] | np.ndarray,
    *,
    base_year: int | None = None,
    rate: float | str = 0.035,
    start_year: int | None = None,
    end_year: int | None = None,
) -> float:
    r"""Present value of a yearly flow known at ``years`` (linear in between).

    Parameters
    ----------
    values : sequence of float
        The flow (e.g. EAD, currency per year) at ``years``.
    years : sequence of int
        Increasing years; the flow is interpolated linearly to every year between them.
    base_year : int, optional
        Year discounted to (factor 1); default the first year.
    rate : float or "green_book", default 0.035
        See :func:`discount_rates`.
    start_year, end_year : int, optional
        First and last year summed (default: the first and last of ``years``; no
        extrapolation).

    Examples
    --------
    A constant 100 per year over years 1–30 at 3.5 % is the annuity
    :math:`100\,(1 - 1.035^{-30})/0.035`:

    >>> pv = present_value([100.0, 100.0], [2001, 2030], base_year=2000, rate=0.035)
    >>> round(pv, 4), round(100 * (1 - 1.035 ** -30) / 0.035, 4)
    (1839.2045, 1839.2045)
    """
    v = require_numbers(np.atleast_1d(values), name="values")
    t = require_numbers(np.atleast_1d(years), name="years")
    if v.shape != t.shape or v.ndim != 1:
        raise InputValueError("values and years must be 1-D and of the same length.")
    if (np.diff(t) <= 0).any():
        raise InputValueError("years must be strictly increasing.")
    s = int(t[0]) if start_year is None else int(require_number(start_year, name="start_year"))
    e = int(t[-1]) if end_year is None else int(require_number(end_year, name="end_year"))
    if s < t[0] or e > t[-1] or s > e:
        raise InputValueError(
            f"start_year–end_year {s}–{e} must lie within the years given "
            f"{int(t[0])}–{int(t[-1])} (the flow is not extrapolated)."
        )
    b = s if base_year is None else int(require_number(base_year, name="base_year"))
    yrs = np.arange(s, e + 1)
    flow = np.interp(yrs, t, v)
    return float((flow * discount_factors(yrs, base_year=b, rate=rate)).sum())


@dataclass(frozen=True, repr=False)
class Appraisal:
    """Present values, NPV, BCR and regret of every pathway (from :func:`appraise`).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per pathway, scenario and quantile: ``pv_cost``, ``pv_damage`` (residual
        EAD), ``pv_benefit`` (damage avoided against doing nothing), ``npv``
        (benefit − cost), ``bcr`` (benefit / cost; NaN without cost), ``total_cost``
        (cost + residual damage), ``regret`` (total cost − the scenario's lowest).
    max_regret : pandas.Series
        Largest regret of each pathway over the scenarios and quantiles.
    minimax_regret : str
        The pathway with the smallest largest regret.
    discount : str
        The discounting used (rate, base year, period).
    units : str
        Currency.
    """

    table: pd.DataFrame
    max_regret: pd.Series
    minimax_regret: str
    discount: str
    units: str = "EUR"

    def to_frame(self) -> pd.DataFrame:
        """Return the appraisal table (a copy)."""
        return self.table.copy()

    def __repr__(self) -> str:
        return (f"Appraisal({self.table['pathway'].nunique()} pathways; min-max regret: "
                f"{self.minimax_regret!r}; {self.discount})")

    def _repr_html_(self) -> str:
        return self.table.to_html(index=False)


def appraise(
    risk: RiskOverTime,
    *,
    rate: float | str = 0.035,
    base_year: int | None = None,
    end_year: int | None = None,
    zone: str = CITY,
) -> Appraisal:
    """Present value of costs and residual damage, NPV, BCR and regret of every pathway.

    Parameters
    ----------
    risk : RiskOverTime
        From :func:`~urbanrisk.adapt.risk_over_time`.
    rate : float or "green_book", default 0.035
        Discount rate (see :func:`discount_rates`).
    base_year : int, optional
        Year values are discounted to; default the first year of ``risk``.
    end_year : int, optional
        Last year counted; default the last year of ``risk``.
    zone : str, default "all"
        Appraise the whole city or one zone's residual damage (costs are the pathway's
        whole costs either way).

    Returns
    -------
    Appraisal
    """
    if not isinstance(risk, RiskOverTime):
        raise InputValueError("risk must come from risk_over_time().")
    ead = risk.ead[risk.ead["zone"] == zone]
    if ead.empty:
        raise InputValueError(f"No EAD for zone {zone!r}.")
    years = np.sort(ead["year"].unique())
    start = int(years[0])
    end = int(years[-1]) if end_year is None else int(end_year)
    base = start if base_year is None else int(base_year)
    rows = []
    for (p, s, q), g in ead.groupby(["pathway", "scenario", "quantile"], sort=False):
        g = g.sort_values("year")
        pv_d = present_value(g["ead"].to_numpy(), g["year"].to_numpy(), base_year=base,
                             rate=rate, start_year=start, end_year=end)
        c = risk.costs[(risk.costs["pathway"] == p) & (risk.costs["year"] <= end)]
        pv_c = float((c["cost"].to_numpy() * discount_factors(
            c["year"].to_numpy(), base_year=base, rate=rate)).sum())
        rows.append({"pathway": p, "scenario": s, "quantile": q, "pv_cost": pv_c,
                     "pv_damage": pv_d})
    t = pd.DataFrame(rows)
    base_damage = t[t["pathway"] == risk.baseline].set_index(["scenario", "quantile"])[
        "pv_damage"]
    key = pd.MultiIndex.from_frame(t[["scenario", "quantile"]])
    t["pv_benefit"] = base_damage.reindex(key).to_numpy() - t["pv_damage"].to_numpy()
    t["npv"] = t["pv_benefit"] - t["pv_cost"]
    with np.errstate(divide="ignore", invalid="ignore"):
        t["bcr"] = np.where(t["pv_cost"] > 0, t["pv_benefit"] / t["pv_cost"], np.nan)
    t["total_cost"] = t["pv_cost"] + t["pv_damage"]
    best = t.groupby(["scenario", "quantile"], sort=False)["total_cost"].transform("min")
    t["regret"] = t["total_cost"] - best
    max_regret = t.groupby("pathway", sort=False)["regret"].max()
    rate_text = (f"{rate:.1%} constant" if not isinstance(rate, str)
                 else "UK Green Book declining schedule (3.5 % → 1 %)")
    text = f"discount rate {rate_text}, base year {base}, years {start}–{end}"
    return Appraisal(t, max_regret, str(max_regret.idxmin()), text, risk.units)
