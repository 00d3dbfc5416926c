r"""Damage and expected annual damage over time, per pathway, scenario, quantile and zone.

For every year :math:`t`, scenario :math:`s`, quantile :math:`q` and return period
:math:`T`, the water level :math:`L(s,q,t,T)` (:func:`~urbanrisk.adapt.flood_levels`)
floods each footprint (:func:`~urbanrisk.adapt.building_depths`, coverage computed once);
the damage of a building is Delft-FIAT's area rule used by
:func:`urbanrisk.hazard.asset_damage`,

.. math:: D_b = V_b \, f_b(\bar h_b^{\mathrm{wet}}) \, w_b ,

with :math:`V_b` its value, :math:`f_b` its depth-damage curve, :math:`\bar h^{\mathrm{wet}}`
the mean depth over the wet part of the footprint and :math:`w` its wet share, after the
pathway's options in force in year :math:`t` (:mod:`urbanrisk.adapt.options`). The
expected annual damage of each year integrates the damages over the annual exceedance
probabilities :math:`1/T` with :func:`urbanrisk.hazard.expected_annual_damage`, whose rule
and tail are explicit arguments and recorded in the result.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from urbanrisk.adapt.exposure import BuildingCells, _levels_da
from urbanrisk.adapt.options import DoNothing, Pathway
from urbanrisk.errors import DimensionError, InputValueError
from urbanrisk.hazard import DamageCurve, expected_annual_damage
from urbanrisk.layers import require_number, require_numbers

__all__ = ["RiskOverTime", "risk_over_time", "CITY"]

logger = logging.getLogger(__name__)

#: Zone label of the city-wide totals.
CITY = "all"

_LEVEL_DIMS = ("scenario", "quantile", "year", "return_period")


@dataclass(frozen=True, repr=False)
class RiskOverTime:
    """Damage and EAD over time for each pathway (from :func:`risk_over_time`).

    Attributes
    ----------
    events : pandas.DataFrame
        Tidy, one row per pathway, scenario, quantile, year, return period and zone
        (``"all"`` for the city): ``damage`` (currency), ``buildings_flooded`` (maximum
        depth above the threshold, after the options), ``buildings_present``.
    ead : pandas.DataFrame
        Tidy: pathway, scenario, quantile, year, zone, ``ead`` (currency per year).
    costs : pandas.DataFrame
        Undiscounted cost of each pathway in every year from the first to the last year:
        ``pathway``, ``year``, ``cost``.
    pathways : tuple of Pathway
        The pathways, the baseline (doing nothing) first.
    rule : str
        The EAD rule and assumptions (:attr:`urbanrisk.hazard.EADResult.description`).
    return_periods : tuple of float
        Return periods of the levels.
    depth_threshold_m : float
        A building is flooded when its maximum depth is above this.
    attenuation_m_per_km : float
        Inland attenuation of the water level (0: static flood).
    units : str
        Currency of the values.
    """

    events: pd.DataFrame
    ead: pd.DataFrame
    costs: pd.DataFrame
    pathways: tuple
    rule: str
    return_periods: tuple
    depth_threshold_m: float
    attenuation_m_per_km: float
    units: str = "EUR"

    @property
    def baseline(self) -> str:
        """Name of the do-nothing pathway."""
        return self.pathways[0].name

    def ead_series(self, pathway: str | None = None, *, zone: str = CITY) -> pd.DataFrame:
        """EAD of one pathway and zone: rows (scenario, quantile), one column per year."""
        name = pathway or self.baseline
        t = self.ead[(self.ead["pathway"] == name) & (self.ead["zone"] == zone)]
        if t.empty:
            raise InputValueError(f"No EAD for pathway {name!r} and zone {zone!r}.")
        return t.pivot_table(index=["scenario", "quantile"], columns="year", values="ead",
                             sort=False)

    def to_frame(self) -> pd.DataFrame:
        """City-wide EAD: pathway, scenario, quantile, year, ead, units, rule."""
        out = self.ead[self.ead["zone"] == CITY].drop(columns="zone").reset_index(drop=True)
        out["units"] = f"{self.units}/yr"
        out["rule"] = self.rule
        return out

    def __repr__(self) -> str:
        e = self.ead[self.ead["zone"] == CITY]
        return (f"RiskOverTime({len(self.pathways)} pathways, "
                f"{e['scenario'].nunique()} scenarios x {e['quantile'].nunique()} quantiles x "
                f"{e['year'].nunique()} years; {self.rule})")

    def _repr_html_(self) -> str:
        return self.to_frame().head(50).to_html(index=False)


def _check_levels(levels: xr.DataArray, cells: BuildingCells) -> xr.DataArray:
    if not isinstance(levels, xr.DataArray) or set(levels.dims) != set(_LEVEL_DIMS):
        raise DimensionError(
            "levels must be a DataArray with dims (scenario, quantile, year, return_period), "
            "e.g. from urbanrisk.adapt.flood_levels."
        )
    lv = _levels_da(levels, cells).transpose(*_LEVEL_DIMS)
    years = np.asarray(lv["year"].values)
    if (years != np.round(years)).any() or (np.diff(years) <= 0).any():
        raise InputValueError("The years of the levels must be whole and increasing.")
    rps = require_numbers(lv["return_period"].values, name="return periods", low=0.0,
                          low_open=True)
    if (np.diff(rps) <= 0).any():
        lv = lv.sortby("return_period")
    return lv


def _curve_fractions(curves: DamageCurve | Mapping[Any, DamageCurve],
                     classes: np.ndarray | None, depth: np.ndarray) -> np.ndarray:
    if isinstance(curves, DamageCurve):
        return curves(depth)
    out = np.full(depth.shape, np.nan)
    for key, curve in curves.items():
        sel = classes == key
        out[:, sel] = curve(depth[:, sel])
    return out


def risk_over_time(
    cells: BuildingCells,
    levels: xr.DataArray,
    *,
    values: Sequence[float] | np.ndarray | pd.Series,
    curves: DamageCurve | Mapping[Any, DamageCurve],
    classes: Sequence[Any] | np.ndarray | pd.Series | None = None,
    pathways: Sequence[Pathway | DoNothing] = (),
    residents: Sequence[float] | np.ndarray | pd.Series | None = None,
    depth_threshold_m: float = 0.0,
    rule: str = "trapezoid",
    tail: str = "flat",
    zero_damage_return_period: float | None = None,
    currency: str = "EUR",
) -> RiskOverTime:
    """Damage per event and expected annual damage per year, pathway, scenario and zone.

    Parameters
    ----------
    cells : BuildingCells
        Footprints on the DEM grid (:func:`~urbanrisk.adapt.building_cells`).
    levels : xarray.DataArray
        Water levels with dims ``(scenario, quantile, year, return_period)``
        (:func:`~urbanrisk.adapt.flood_levels`), in the DEM's frame.
    values : sequence of float or pandas.Series
        Value of each building (currency; a Series is aligned on the buildings' index).
    curves : DamageCurve or mapping
        One depth-damage curve, or one per class of ``classes`` (e.g.
        :func:`urbanrisk.hazard.jrc_curves_for_occupancy`).
    classes : sequence, optional
        Class of each building, for a mapping of curves.
    pathways : sequence of Pathway or DoNothing
        Pathways to evaluate; doing nothing is always evaluated first (as ``"do
        nothing"`` unless a pathway without actions is given).
    residents : sequence of float, optional
        Residents per building (for retreat costs per resident).
    depth_threshold_m : float, default 0
        A building counts as flooded when its maximum depth is above this.
    rule, tail, zero_damage_return_period
        EAD integration, as in :func:`urbanrisk.hazard.expected_annual_damage`.
    currency : str, default "EUR"
        Units of the values.

    Returns
    -------
    RiskOverTime

    Examples
    --------
    One building of value 100 on a 1 m cell, a curve reaching 100 % at 1 m, and a dike:

    >>> import geopandas as gpd, xarray as xr
    >>> from shapely.geometry import box
    >>> from urbanrisk.layers import raster_from_array
    >>> from urbanrisk.coast import connection_level
    >>> from urbanrisk.adapt import building_cells, Pathway, Protect
    >>> dem = raster_from_array(np.array([[-1.0, 1.0]]), crs=3067,
    ...                         transform=(1, 0, 0, 0, -1, 1), units="m")
    >>> cells = building_cells(gpd.GeoDataFrame(geometry=[box(1, 0, 2, 1)], crs=3067),
    ...                        dem, connection_level(dem, sea_level_m=0.0))
    >>> lv = xr.DataArray([[[[1.5, 2.0], [1.5, 2.0]]]], dims=("scenario", "quantile",
    ...     "year", "return_period"), coords={"scenario": ["S"], "quantile": [0.5],
    ...     "year": [2050, 2100], "return_period": [10, 100]}, attrs={"units": "m"})
    >>> curve = DamageCurve([0, 1], [0, 1], units="m")
    >>> r = risk_over_time(cells, lv, values=[100.0], curves=curve, rule="lower_step",
    ...                    pathways=[Pathway("dike", (Protect(1.8, 2050),))])
    >>> r.to_frame()[["pathway", "year", "ead"]].round(6).values.tolist()  # 50*0.09 + 100*0.01
    [['do nothing', 2050, 5.5], ['do nothing', 2100, 5.5], ['dike', 2050, 1.0], \
['dike', 2100, 1.0]]
    """
    if not isinstance(cells, BuildingCells):
        raise InputValueError("cells must come from building_cells(buildings, dem, connection).")
    lv = _check_levels(levels, cells)
    n = cells.n
    v = _per_building(values, cells, "values", low=0.0)
    res = None if residents is None else _per_building(residents, cells, "residents", low=0.0)
    cls = None
    if not isinstance(curves, DamageCurve):
        if not isinstance(curves, Mapping) or classes is None:
            raise InputValueError("A mapping of curves needs classes= (one per building).")
        cls = np.asarray(classes.reindex(cells.index) if isinstance(classes, pd.Series)
                         else classes, dtype=object)
        if cls.shape != (n,):
            raise InputValueError(f"classes needs one class per building ({n}).")
        missing = sorted({str(c) for c in pd.unique(cls)} - {str(k) for k in curves})
        if missing:
            raise InputValueError(f"No curve for classes {missing}.")
    thr = require_number(depth_threshold_m, name="depth_threshold_m", low=0.0)
    paths = _pathways(pathways)

    scen, quants = lv["scenario"].values, lv["quantile"].values
    years = np.asarray(lv["year"].values).astype(int)
    rps = np.asarray(lv["return_period"].values, dtype=float)
    n_y, n_r = years.size, rps.size
    zone_ids = np.full(n, len(cells.zones), np.int64)
    for k, name in enumerate(cells.zones):
        zone_ids[cells.zone == name] = k
    n_z = len(cells.zones) + 1  # last: outside every zone
    unknown = np.zeros(n, bool)

    rows_damage = []
    for p in paths:
        states: dict[tuple, list[int]] = {}
        for iy, y in enumerate(years):
            states.setdefault(p.active(int(y)), []).append(iy)
        for si, s in enumerate(scen):
            for qi, q in enumerate(quants):
                lvl = lv.values[si, qi]  # (year, rp)
                dmg = np.zeros((n_y, n_r, n_z))
                fl = np.zeros((n_y, n_r, n_z))
                pres = np.zeros((n_y, n_z))
                for active, iys in states.items():
                    crest, shift, present = p.state(active, cells.zone, cells.zones)
                    L = lvl[iys].ravel()  # (len(iys) * n_r,)
                    st = cells.stats(L, shift if shift.any() else None)
                    unknown |= np.isnan(st["max_depth_m"]).any(axis=0)
                    frac = _curve_fractions(curves, cls, st["wet_mean_depth_m"])
                    w = st["wet_fraction"]
                    d = v[None, :] * np.where(w == 0, 0.0, frac * w)
                    dry = (L[:, None] <= crest[None, :]) | ~present[None, :]
                    d = np.where(dry | np.isnan(d), 0.0, d)
                    flooded = (st["max_depth_m"] > thr) & ~dry
                    zd = _by_zone(d, zone_ids, n_z)
                    zf = _by_zone(flooded.astype(float), zone_ids, n_z)
                    zp = np.bincount(zone_ids, weights=present.astype(float), minlength=n_z)
                    for j, iy in enumerate(iys):
                        dmg[iy] = zd[j * n_r:(j + 1) * n_r]
                        fl[iy] = zf[j * n_r:(j + 1) * n_r]
                        pres[iy] = zp
                rows_damage.append(_damage_rows(p.name, s, q, years, rps, dmg, fl, pres,
                                                cells.zones))
    if unknown.any():
        logger.warning("%d of %d buildings lie outside the DEM: their damage is unknown and "
                       "counted as 0.", int(unknown.sum()), n)
    events = pd.concat(rows_damage, ignore_index=True)
    ead, rule_text = _ead(events, rule, tail, zero_damage_return_period)
    cost_years = np.arange(years[0], years[-1] + 1)
    costs = pd.concat([
        pd.DataFrame({"pathway": p.name, "year": cost_years,
                      "cost": p.costs(cost_years, cells.zone, cells.zones,
                                      cells.footprint_area_m2, res)})
        for p in paths], ignore_index=True)
    return RiskOverTime(events, ead, costs, tuple(paths), rule_text, tuple(rps.tolist()), thr,
                        cells.attenuation_m_per_km, currency)


def _per_building(values: Any, cells: BuildingCells, name: str, low: float) -> np.ndarray:
    if isinstance(values, pd.Series):
        values = values.reindex(cells.index)
    arr = require_numbers(np.asarray(values, dtype=float), name=name, low=low, allow_nan=True)
    if arr.shape != (cells.n,):
        raise InputValueError(f"{name} needs one number per building ({cells.n}), got "
                              f"shape {arr.shape}.")
    return np.nan_to_num(arr, nan=0.0)


def _pathways(pathways: Sequence[Pathway | DoNothing]) -> list[Pathway]:
    paths = [p.pathway() if isinstance(p, DoNothing) else p for p in pathways]
    bad = [type(p).__name__ for p in paths if not isinstance(p, Pathway)]
    if bad:
        raise InputValueError(f"pathways must be Pathway or DoNothing objects, got {bad}.")
    base = [p for p in paths if not p.actions]
    paths = [p for p in paths if p.actions]
    paths.insert(0, base[0] if base else Pathway("do nothing", ()))
    names = [p.name for p in paths]
    if len(set(names)) != len(names):
        raise InputValueError(f"Pathway names must be unique, got {names}.")
    return paths


def _by_zone(x: np.ndarray, zone_ids: np.ndarray, n_z: int) -> np.ndarray:
    """Sum the columns (buildings) of ``x`` per zone: ``(rows, n_z)``."""
    onehot = np.zeros((zone_ids.size, n_z))
    onehot[np.arange(zone_ids.size), zone_ids] = 1.0
    return x @ onehot


def _damage_rows(pathway, s, q, years, rps, dmg, fl, pres, zones) -> pd.DataFrame:
    labels = [*zones, None]
    frames = []
    for k, zname in enumerate(labels):
        if zname is None:
            continue
        frames.append(_frame(pathway, s, q, years, rps, dmg[:, :, k], fl[:, :, k],
                             pres[:, k], zname))
    frames.append(_frame(pathway, s, q, years, rps, dmg.sum(axis=2), fl.sum(axis=2),
                         pres.sum(axis=1), CITY))
    return pd.concat(frames, ignore_index=True)


def _frame(pathway, s, q, years, rps, d, f, p, zone) -> pd.DataFrame:
    ny, nr = d.shape
    return pd.DataFrame({
        "pathway": pathway, "scenario": s, "quantile": float(q),
        "year": np.repeat(years, nr), "return_period": np.tile(rps, ny), "zone": zone,
        "damage": d.ravel(), "buildings_flooded": f.ravel().astype(int),
        "buildings_present": np.repeat(p, nr).astype(int),
    })


def _ead(events: pd.DataFrame, rule: str, tail: str, t0: float | None):
    keys = ["pathway", "scenario", "quantile", "year", "zone"]
    group = events.groupby(keys, sort=False).ngroup()
    long = pd.DataFrame({"feature": group.to_numpy(), "return_period": events["return_period"],
                         "damage": events["damage"]})
    res = expected_annual_damage(long, rule=rule, tail=tail, zero_damage_return_period=t0)
    first = events.drop_duplicates(keys)[keys].reset_index(drop=True)
    first["ead"] = res.per_asset.reindex(np.arange(len(first))).to_numpy()
    return first, res.description
