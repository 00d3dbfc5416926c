"""Adaptation tipping points and the figures of the adaptation pathways.

An *adaptation tipping point* is the moment an option stops meeting its objective
(Kwadijk et al. 2010); the pathways approach sequences options so that another takes
over before that moment (Dynamic Adaptive Policy Pathways, Haasnoot et al. 2013). Here an
objective is a rule checked every year of a :class:`~urbanrisk.adapt.RiskOverTime`, for
each pathway, scenario, quantile and zone:

- :class:`EADLimit` — the expected annual damage stays at or below a limit;
- :class:`ProtectionStandard` — the flood of return period ``T`` floods no building (the
  zone is protected to at least 1 in ``T`` years);
- :class:`FloodedShare` — at most a share of the zone's standing buildings is flooded
  by the ``T``-year event.

The **tipping year** is the first year, from the year a pathway's first option is in place
(doing nothing: from the first year), that the objective fails (NaN: it holds through the
last year; the first year itself when the option never meets it). Its resolution is the
spacing of the years given (use annual years for a year).
:func:`pathways_map` draws the pathways as a metro map with their tipping years;
:func:`fan_chart` draws the EAD over time per scenario, median and quantile band.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from urbanrisk.adapt.options import OPTION_KINDS, Pathway
from urbanrisk.adapt.risk import CITY, RiskOverTime
from urbanrisk.errors import InputValueError
from urbanrisk.layers import require_number

__all__ = [
    "EADLimit",
    "ProtectionStandard",
    "FloodedShare",
    "tipping_points",
    "pathways_map",
    "fan_chart",
]


@dataclass(frozen=True)
class EADLimit:
    """Objective: expected annual damage at most ``limit`` (currency per year)."""

    limit: float
    name: str = ""

    def __post_init__(self) -> None:
        """Check the limit."""
        require_number(self.limit, name="limit", low=0.0)

    @property
    def label(self) -> str:
        """Name, or a description."""
        return self.name or f"EAD <= {self.limit:,.0f}/yr"

    def fails(self, risk: RiskOverTime) -> pd.DataFrame:
        """Per pathway, scenario, quantile, zone and year: whether the objective fails."""
        t = risk.ead.copy()
        t["fails"] = t["ead"] > self.limit
        return t


@dataclass(frozen=True)
class ProtectionStandard:
    """Objective: the ``return_period``-year flood floods no standing building."""

    return_period: float = 100.0
    name: str = ""

    def __post_init__(self) -> None:
        """Check the return period."""
        require_number(self.return_period, name="return_period", low=0.0, low_open=True)

    @property
    def label(self) -> str:
        """Name, or a description."""
        return self.name or f"protected to 1 in {self.return_period:g} yr"

    def fails(self, risk: RiskOverTime) -> pd.DataFrame:
        """Per pathway, scenario, quantile, zone and year: whether the objective fails."""
        t = _at_return_period(risk, self.return_period)
        t["fails"] = t["buildings_flooded"] > 0
        return t


@dataclass(frozen=True)
class FloodedShare:
    """Objective: at most ``max_share`` of the standing buildings flooded at ``T`` years."""

    return_period: float
    max_share: float
    name: str = ""

    def __post_init__(self) -> None:
        """Check the numbers."""
        require_number(self.return_period, name="return_period", low=0.0, low_open=True)
        require_number(self.max_share, name="max_share", low=0.0, high=1.0)

    @property
    def label(self) -> str:
        """Name, or a description."""
        return self.name or (f"<= {self.max_share:.0%} of buildings flooded at "
                             f"1 in {self.return_period:g} yr")

    def fails(self, risk: RiskOverTime) -> pd.DataFrame:
        """Per pathway, scenario, quantile, zone and year: whether the objective fails."""
        t = _at_return_period(risk, self.return_period)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(t["buildings_present"] > 0,
                             t["buildings_flooded"] / t["buildings_present"], 0.0)
        t["fails"] = share > self.max_share
        return t


def _at_return_period(risk: RiskOverTime, rp: float) -> pd.DataFrame:
    t = risk.events[np.isclose(risk.events["return_period"], float(rp))]
    if t.empty:
        raise InputValueError(
            f"No flood of return period {rp:g} years in the levels; have {risk.return_periods}."
        )
    return t.drop(columns="return_period").copy()


Objective = EADLimit | ProtectionStandard | FloodedShare


def tipping_points(risk: RiskOverTime, objectives: Sequence[Objective]) -> pd.DataFrame:
    """First year each objective fails, per pathway, zone, scenario and quantile.

    Parameters
    ----------
    risk : RiskOverTime
        From :func:`~urbanrisk.adapt.risk_over_time`.
    objectives : sequence of EADLimit, ProtectionStandard, FloodedShare
        Each is checked for the city (zone ``"all"``) and every zone.

    Returns
    -------
    pandas.DataFrame
        ``pathway``, ``objective``, ``zone``, ``scenario``, ``quantile``,
        ``tipping_year`` (NaN: the objective holds through ``last_year``), ``first_year``
        (the year the pathway's first option is in place, or the first year) and
        ``last_year`` (the years checked).

    Examples
    --------
    >>> import pandas as pd
    >>> ead = pd.DataFrame({"pathway": "p", "scenario": "S", "quantile": 0.5,
    ...                     "zone": "all", "year": [2030, 2050, 2070], "ead": [1., 5., 9.]})
    >>> r = RiskOverTime(pd.DataFrame(), ead, pd.DataFrame(), (Pathway("p"),), "", (), 0, 0)
    >>> tipping_points(r, [EADLimit(4.0)])["tipping_year"].tolist()
    [2050.0]
    """
    if not isinstance(risk, RiskOverTime):
        raise InputValueError("risk must come from risk_over_time().")
    objectives = list(objectives)
    bad = [type(o).__name__ for o in objectives
           if not isinstance(o, EADLimit | ProtectionStandard | FloodedShare)]
    if bad or not objectives:
        raise InputValueError(f"objectives must be EADLimit, ProtectionStandard or "
                              f"FloodedShare objects, got {bad or 'none'}.")
    keys = ["pathway", "zone", "scenario", "quantile"]
    start = {p.name: p.first_year for p in risk.pathways if p.first_year is not None}
    frames = []
    for o in objectives:
        f = o.fails(risk)
        # an option is judged from the year it is in place (doing nothing from the start)
        f = f[f["year"] >= f["pathway"].map(start).fillna(-np.inf)]
        g = f.groupby(keys, sort=False)
        first = f[f["fails"]].groupby(keys, sort=False)["year"].min()
        out = g["year"].agg(["min", "max"]).rename(columns={"min": "first_year",
                                                            "max": "last_year"})
        out["tipping_year"] = first.reindex(out.index).astype(float)
        out = out.reset_index()
        out.insert(1, "objective", o.label)
        frames.append(out)
    cols = ["pathway", "objective", "zone", "scenario", "quantile", "tipping_year",
            "first_year", "last_year"]
    return pd.concat(frames, ignore_index=True)[cols]


# --------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------
_KIND_COLOURS = {"none": "#7f7f7f", "protect": "#0072B2", "accommodate": "#E69F00",
                 "retreat": "#009E73"}
_SCEN_MARKERS = ("|", "x", "D", "s", "^", "v")


def pathways_map(
    tipping: pd.DataFrame,
    pathways: Sequence[Pathway],
    *,
    objective: str | None = None,
    zone: str = CITY,
    quantile: float | None = None,
    title: str = "Adaptation pathways",
) -> Figure:
    """Pathways as a metro map: each pathway a line, its actions as stations, tipping years.

    One horizontal line per pathway runs from the first to the last year checked; its
    colour changes at each action (grey: no action, blue: protect, orange: accommodate,
    green: retreat) and a labelled station marks the action. A terminal marker per
    scenario sits at the year the objective fails (none where it holds throughout).

    Parameters
    ----------
    tipping : pandas.DataFrame
        Output of :func:`tipping_points`.
    pathways : sequence of Pathway
        The pathways (e.g. ``RiskOverTime.pathways``), drawn top to bottom.
    objective : str, optional
        Objective label to show; default the first in ``tipping``.
    zone : str, default "all"
        Zone to show.
    quantile : float, optional
        Quantile to show; default the one closest to the median.
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if tipping.empty:
        raise InputValueError("The tipping table is empty.")
    obj = objective or str(tipping["objective"].iloc[0])
    t = tipping[(tipping["objective"] == obj) & (tipping["zone"] == zone)]
    if t.empty:
        raise InputValueError(f"No tipping points for objective {obj!r} and zone {zone!r}.")
    qs = np.sort(t["quantile"].unique())
    q = qs[np.argmin(np.abs(qs - 0.5))] if quantile is None else float(quantile)
    t = t[np.isclose(t["quantile"], q)]
    y0, y1 = float(t["first_year"].min()), float(t["last_year"].max())
    scen = list(dict.fromkeys(t["scenario"]))
    height = 2.4 + 0.7 * len(pathways)
    fig = Figure(figsize=(9.0, height))
    ax = fig.add_subplot()
    for row, p in enumerate(pathways):
        yv = len(pathways) - 1 - row
        marks = [(y0, "none", "")] + [(a.year, a.kind, a.label) for a in p.actions]
        for k, (start, kind, label) in enumerate(marks):
            stop = marks[k + 1][0] if k + 1 < len(marks) else y1
            ax.plot([max(start, y0), min(stop, y1)], [yv, yv], color=_KIND_COLOURS[kind],
                    lw=6, solid_capstyle="butt")
            if kind != "none" and y0 <= start <= y1:
                ax.plot(start, yv, "o", ms=11, mfc="white", mec=_KIND_COLOURS[kind], mew=2.5)
                ax.annotate(label, (start, yv), xytext=(0, 9), textcoords="offset points",
                            ha="left", va="bottom", fontsize=7.5)
        for j, s in enumerate(scen):
            ty = t[(t["pathway"] == p.name) & (t["scenario"] == s)]["tipping_year"]
            if len(ty) and np.isfinite(ty.iloc[0]):
                ax.plot(ty.iloc[0], yv + 0.18 * (j - (len(scen) - 1) / 2),
                        _SCEN_MARKERS[j % len(_SCEN_MARKERS)], color="black", ms=11, mew=2)
    ax.set_yticks(range(len(pathways)))
    ax.set_yticklabels([p.name for p in reversed(pathways)])
    ax.set_xlim(y0 - 2, y1 + 2)
    ax.set_ylim(-0.7, len(pathways) - 0.3)
    ax.set_xlabel("Year")
    ax.grid(axis="x", color="#dddddd")
    ax.set_axisbelow(True)
    handles = [Line2D([], [], color=_KIND_COLOURS[k], lw=6, label=k)
               for k in ("none", *OPTION_KINDS)]
    handles += [Line2D([], [], ls="", marker=_SCEN_MARKERS[j % len(_SCEN_MARKERS)],
                       color="black", ms=9, mew=2, label=f"tipping point, {s}")
                for j, s in enumerate(scen)]
    fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=8, frameon=False)
    ax.set_title(f"{title}\nobjective: {obj}; zone: {zone}; quantile {q:g}", fontsize=10)
    # room below the axes for the year label and the legend (about 1.3 in), above for titles
    fig.subplots_adjust(left=0.2, right=0.97, bottom=1.35 / height, top=1 - 0.6 / height)
    return fig


def fan_chart(
    risk: RiskOverTime,
    *,
    pathway: str | None = None,
    zone: str = CITY,
    title: str = "Expected annual damage over time",
) -> Figure:
    """EAD over time per scenario: the median line and the band between the quantiles.

    Parameters
    ----------
    risk : RiskOverTime
        From :func:`~urbanrisk.adapt.risk_over_time`.
    pathway : str, optional
        Pathway to show; default doing nothing.
    zone : str, default "all"
        Zone to show.
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    series = risk.ead_series(pathway, zone=zone)
    fig = Figure(figsize=(8.0, 4.5))
    ax = fig.add_subplot()
    colours = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
    years = np.asarray(series.columns, dtype=float)
    for k, s in enumerate(dict.fromkeys(series.index.get_level_values("scenario"))):
        sub = series.xs(s, level="scenario")
        qs = np.asarray(sub.index, dtype=float)
        mid = sub.iloc[int(np.argmin(np.abs(qs - 0.5)))].to_numpy(float)
        col = colours[k % len(colours)]
        if len(qs) > 1:
            ax.fill_between(years, sub.min(axis=0).to_numpy(float),
                            sub.max(axis=0).to_numpy(float), color=col, alpha=0.2, lw=0)
        ax.plot(years, mid, color=col, lw=2,
                label=f"{s} (median; band {qs.min():g}–{qs.max():g})" if len(qs) > 1 else s)
    ax.set_xlabel("Year")
    ax.set_ylabel(f"Expected annual damage ({risk.units}/yr)")
    ax.ticklabel_format(axis="y", style="sci", scilimits=(-3, 4))
    ax.grid(color="#dddddd")
    ax.legend(fontsize=8, frameon=False)
    ax.set_title(f"{title}\n{pathway or risk.baseline}; zone: {zone}", fontsize=10)
    fig.tight_layout()
    return fig
