r"""Impact: damage per asset, exceedance curves and expected annual damage.

Damage of an asset for one event is ``value * curve(intensity)``, multiplied for a
footprint by the share of it that is wet, as Delft-FIAT does for area-based exposure
(Deltares, Delft-FIAT documentation, "damage calculation"). The expected annual damage
(EAD) integrates damage over annual exceedance probability :math:`p = 1/T` of the mapped
return periods :math:`T`:

.. math:: \mathrm{EAD} = \int_0^1 D(p)\,\mathrm{d}p

Only a few points of :math:`D(p)` are known, so the integration rule is an explicit
argument and every result says which rule and which tail assumption produced it:

- ``"lower_step"`` - each map's damage times its own probability increment,
  :math:`\sum_i D_i (p_i - p_{i+1})` with :math:`p_{n+1} = 0`: CLIMADA's convention
  (event damage times event frequency; Aznar-Siguan & Bresch 2019). A lower bound for a
  damage that grows with the return period.
- ``"trapezoid"`` - linear in :math:`p` between mapped points.
- ``"log_linear"`` - linear in :math:`\ln p` between mapped points, Delft-FIAT's risk
  rule (FIAT ``calc_rp_coef``).

The *rare* tail (:math:`p < p_n`, beyond the largest return period) is ``"flat"``
(damage stays :math:`D_n` down to :math:`p = 0`; CLIMADA's and FIAT's choice) or
``"none"`` (ignored). The *frequent* end (:math:`p > p_1`) does no damage unless
``zero_damage_return_period`` :math:`T_0` is given, in which case damage rises from 0 at
:math:`p_0 = 1/T_0` to :math:`D_1` at :math:`p_1` under the same rule.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from urbanrisk.errors import EmptyLayerError, InputValueError, UnitsError
from urbanrisk.hazard.curves import DamageCurve
from urbanrisk.layers import (
    normalize_units,
    prepare_vector,
    require_crs,
    require_number,
    require_numbers,
    require_numeric_column,
)
from urbanrisk.units import convert, quantity_of

__all__ = [
    "asset_damage",
    "exceedance_curve",
    "expected_annual_damage",
    "ead_bounds",
    "EADResult",
    "EADBounds",
    "aggregate",
    "EAD_RULES",
    "EAD_TAILS",
]

logger = logging.getLogger(__name__)

#: Integration rules accepted by :func:`expected_annual_damage`.
EAD_RULES = ("lower_step", "trapezoid", "log_linear")
#: Rare-tail rules accepted by :func:`expected_annual_damage`.
EAD_TAILS = ("flat", "none")
#: Column of a long (tidy) table holding the return period of each row, in years.
RETURN_PERIOD = "return_period"
#: Column of a long table naming the asset of each row (the input index label).
ASSET = "feature"


# --------------------------------------------------------------------------------------
# Columns per return period
# --------------------------------------------------------------------------------------
def _event_columns(frame: pd.DataFrame, spec: str | Mapping[Any, str], what: str) -> dict:
    """Map event label -> column; ``spec`` is a column, a base of ``_rpT`` columns or a dict."""
    if isinstance(spec, Mapping):
        missing = [c for c in spec.values() if c not in frame.columns]
        if missing:
            raise InputValueError(f"{what} columns {missing} are not in the frame.")
        return dict(spec)
    if not isinstance(spec, str):
        raise InputValueError(f"{what} must be a column name or a mapping, got {spec!r}.")
    if spec in frame.columns:
        return {None: spec}
    pat = re.compile(re.escape(spec) + r"_rp(\d+(?:\.\d+)?)$")
    found = {}
    for c in frame.columns:
        m = pat.match(str(c))
        if m:
            t = float(m.group(1))
            found[int(t) if t.is_integer() else t] = c
    if not found:
        raise InputValueError(
            f"No column {spec!r} and no columns {spec}_rp<T> in the frame; columns are "
            f"{list(frame.columns)[:20]}."
        )
    return dict(sorted(found.items()))


def _suffix(label: Any) -> str:
    return "" if label is None else f"_rp{label}"


# --------------------------------------------------------------------------------------
# Damage per asset
# --------------------------------------------------------------------------------------
def asset_damage(
    assets: gpd.GeoDataFrame | pd.DataFrame,
    curves: DamageCurve | Mapping[str, DamageCurve],
    *,
    intensity: str | Mapping[Any, str],
    value: str | None = None,
    unit_value: float | Mapping[str, float] | None = None,
    area: str | None = None,
    fraction_wet: str | Mapping[Any, str] | None = None,
    class_column: str | None = None,
    intensity_units: str | None = None,
    column: str = "damage",
    currency: str | None = None,
) -> gpd.GeoDataFrame | pd.DataFrame:
    r"""Damage of each asset for one or several events (return periods).

    .. math:: D = V \cdot f(h) \cdot w

    with :math:`V` the asset's value, :math:`f` its damage curve, :math:`h` the
    intensity at the asset (e.g. the footprint's mean depth) and :math:`w` the share of
    the footprint that is wet (1 when ``fraction_wet`` is not given), as in Delft-FIAT's
    area-based damage.

    Two layouts are read. The typed one is a **long table**, one row per asset and event,
    with a numeric ``return_period`` column (e.g. the ``events`` of
    :func:`~urbanrisk.hazard.flood_building_exposure`): ``intensity`` and ``fraction_wet``
    are then plain columns, the result keeps every row and gains one ``column``, and
    :func:`expected_annual_damage`, :func:`ead_bounds` and :func:`exceedance_curve` read
    it as it is. The older wide layout has one column per event (``<base>_rp<T>``, or a
    mapping ``{T: column}``) and gives one damage column per event.

    Parameters
    ----------
    assets : geopandas.GeoDataFrame or pandas.DataFrame
        Assets with intensity columns, e.g. from
        :func:`~urbanrisk.hazard.exposure.polygon_exposure` or
        :func:`~urbanrisk.hazard.flood_building_exposure`.
    curves : DamageCurve or mapping of str to DamageCurve
        One curve for all assets, or one per class of ``class_column``.
    intensity : str or mapping
        A column name; or a base such that columns ``<base>_rp<T>`` exist (one event per
        return period ``T``); or a mapping ``{T: column}``. Numeric (strings are refused).
    value : str, optional
        Numeric column holding each asset's value (currency), >= 0.
    unit_value : float or mapping of str to float, optional
        Value per m² (per class with a mapping), multiplied by ``area``. Give exactly one
        of ``value`` and ``unit_value``.
    area : str, optional
        Numeric column with each asset's area in m²; by default the footprint area computed
        in a metric CRS (footprints in degrees or feet are reprojected to UTM for it).
    fraction_wet : str or mapping, optional
        Like ``intensity``: the wet share of each footprint per event, in [0, 1].
    class_column : str, optional
        Column whose values select the curve (and unit value) of each asset.
    intensity_units : str, optional
        Units of the intensity columns. By default the units recorded by the exposure
        functions in ``assets.attrs["units"]`` (:func:`~urbanrisk.hazard.polygon_exposure`
        and :func:`~urbanrisk.hazard.sample_points` record them). The intensities are
        converted to each curve's units (a depth in feet to a curve in metres); intensities
        with no known units, or units of another quantity, raise
        :class:`~urbanrisk.errors.UnitsError`.
    column : str, default "damage"
        Name of the output column(s): ``damage`` or ``damage_rp<T>``.
    currency : str, optional
        Units of the values (e.g. ``"EUR"``), recorded in ``attrs["units"]`` for the damage
        columns, so :class:`EADResult` states them.

    Returns
    -------
    geopandas.GeoDataFrame or pandas.DataFrame
        A copy of ``assets`` with the damage column(s) (same currency as the values).
        Assets with NaN intensity get NaN damage.

    Raises
    ------
    InputValueError
        Negative depths, unknown classes, missing or non-numeric columns, a value column
        with negative numbers, a wet share outside [0, 1].
    UnitsError
        Intensities without units, or in units the curves' cannot be converted from.

    Examples
    --------
    Depths given in feet (1 ft = 0.3048 m) are converted to the curve's metres:

    >>> import pandas as pd
    >>> from urbanrisk.hazard.curves import DamageCurve
    >>> curve = DamageCurve([0, 2], [0, 1], units="m")
    >>> a = pd.DataFrame({"value": [100.0, 100.0], "depth_rp10": [0.5, 1.0],
    ...                   "depth_rp100": [1.0, 3.0], "wet_rp10": [1.0, 0.5],
    ...                   "wet_rp100": [1.0, 1.0]})
    >>> out = asset_damage(a, curve, intensity="depth", value="value", fraction_wet="wet",
    ...                    intensity_units="m")
    >>> out[["damage_rp10", "damage_rp100"]].values.tolist()
    [[25.0, 50.0], [25.0, 100.0]]
    >>> feet = pd.DataFrame({"value": [100.0], "depth": [1 / 0.3048]})
    >>> asset_damage(feet, curve, intensity="depth", value="value",
    ...              intensity_units="ft")["damage"].round(6).tolist()
    [50.0]
    """
    if not isinstance(assets, pd.DataFrame):
        raise InputValueError(f"assets must be a (Geo)DataFrame, got {type(assets).__name__}.")
    if len(assets) == 0:
        raise EmptyLayerError("assets has no rows.")
    if isinstance(curves, DamageCurve):
        curve_map: dict[Any, DamageCurve] | None = None
    elif isinstance(curves, Mapping) and curves and all(
        isinstance(c, DamageCurve) for c in curves.values()
    ):
        curve_map = dict(curves)
        if class_column is None:
            raise InputValueError("A mapping of curves needs class_column= naming the classes.")
    else:
        raise InputValueError("curves must be a DamageCurve or a mapping of class -> DamageCurve.")
    if class_column is not None and class_column not in assets.columns:
        raise InputValueError(f"class_column {class_column!r} is not a column of assets.")
    all_curves = [curves] if curve_map is None else list(curve_map.values())
    unitless = [c.name or "curve" for c in all_curves if not c.units]
    if unitless:
        raise UnitsError(
            f"Damage curves {unitless} have no intensity units; build them with units= "
            "(e.g. DamageCurve(..., units='m')) so the intensities can be converted to them."
        )
    classes = assets[class_column].to_numpy() if class_column else None
    if curve_map is not None:
        unknown = sorted({str(c) for c in pd.unique(classes)} - {str(k) for k in curve_map})
        if unknown:
            raise InputValueError(
                f"No curve for classes {unknown} of {class_column!r}. Add them to curves "
                "(e.g. map 'public' to the commercial curve) or filter those assets."
            )
    vals = _asset_values(assets, value, unit_value, area, class_column)
    events = _event_columns(assets, intensity, "intensity")
    wet = None
    if fraction_wet is not None:
        wet = _event_columns(assets, fraction_wet, "fraction_wet")
    if wet is not None and set(wet) != set(events):
        raise InputValueError(
            f"fraction_wet events {list(wet)} do not match intensity events {list(events)}."
        )
    out = assets.copy()
    used_units: dict[str, str] = {}
    for label, col in events.items():
        h = require_numeric_column(assets, col, name="intensity")
        h_units = _intensity_units(assets, col, intensity_units)
        used_units[col] = h_units
        if quantity_of(h_units) == "length" and np.nanmin(h, initial=0.0) < 0:
            raise InputValueError(
                f"Column {col!r} holds negative depths (min {np.nanmin(h):g}). Depths must be "
                ">= 0: set dry cells to 0 or NaN before computing damage."
            )
        if curve_map is None:
            frac = curves(_in_curve_units(h, h_units, curves, col))  # type: ignore[arg-type]
        else:
            frac = np.full(h.shape, np.nan)
            for key, curve in curve_map.items():
                sel = classes == key
                frac[sel] = curve(_in_curve_units(h[sel], h_units, curve, col))
        if wet is not None:
            w = require_numeric_column(assets, wet[label], name="fraction_wet", low=0.0,
                                       high=1.0)
            # a dry footprint has no damage, even where its wet-part depth is undefined (NaN)
            frac = np.where(w == 0, 0.0, frac * w)
        out[f"{column}{_suffix(label)}"] = vals * frac
    units = dict(out.attrs.get("units") or {})
    if currency is not None:
        units.update({f"{column}{_suffix(label)}": str(currency) for label in events})
    out.attrs = {**out.attrs, "intensity_units": used_units, "units": units}
    return out


def _intensity_units(assets: pd.DataFrame, col: str, intensity_units: str | None) -> str:
    """Units of an intensity column: the argument, or those recorded in ``assets.attrs``."""
    recorded_map = assets.attrs.get("units")
    recorded = normalize_units(recorded_map.get(col)) if isinstance(recorded_map, Mapping) \
        else None
    given = normalize_units(intensity_units)
    if given is not None and recorded is not None and given != recorded:
        raise UnitsError(
            f"intensity_units={intensity_units!r} but the column {col!r} is recorded in "
            f"{recorded!r} (assets.attrs['units']). Remove one of the two claims."
        )
    units = given or recorded
    if units is None:
        raise UnitsError(
            f"The units of the intensity column {col!r} are unknown, so it cannot be read by "
            "the damage curves. Pass intensity_units= (e.g. 'm', or 'ft', which is converted "
            "to the curves' units), or compute the column with hazard.polygon_exposure / "
            "hazard.sample_points, which record it in assets.attrs['units']."
        )
    return units


def _in_curve_units(h: np.ndarray, units: str, curve: DamageCurve, col: str) -> np.ndarray:
    """Intensities converted to the curve's units (UnitsError when they cannot be)."""
    if units == curve.units:
        return h
    return np.asarray(convert(h, units, curve.units, name=f"intensity column {col!r}"))


def _asset_values(assets, value, unit_value, area, class_column) -> np.ndarray:
    if (value is None) == (unit_value is None):
        raise InputValueError("Give exactly one of value= (a column) or unit_value= (per m2).")
    if value is not None:
        return require_numeric_column(assets, value, name="value", low=0.0)
    if area is not None:
        a = require_numeric_column(assets, area, name="area", low=0.0)
    else:
        if not isinstance(assets, gpd.GeoDataFrame):
            raise InputValueError(
                "Without area=, assets must be a GeoDataFrame of footprints."
            )
        a = prepare_vector(assets, name="assets",
                           geom_types=("Polygon", "MultiPolygon")).geometry.area.to_numpy()
    if isinstance(unit_value, Mapping):
        if class_column is None:
            raise InputValueError("A mapping of unit values needs class_column=.")
        cls = assets[class_column].to_numpy()
        missing = sorted({str(c) for c in pd.unique(cls)} - {str(k) for k in unit_value})
        if missing:
            raise InputValueError(f"No unit_value for classes {missing}.")
        per_class = {k: require_number(u, name=f"unit_value[{k!r}]", low=0.0)
                     for k, u in unit_value.items()}
        uv = np.array([per_class[c] for c in cls])
    else:
        uv = np.full(len(assets), require_number(unit_value, name="unit_value", low=0.0))
    return uv * a


# --------------------------------------------------------------------------------------
# Return periods and EAD
# --------------------------------------------------------------------------------------
def _check_return_periods(rps: Any) -> np.ndarray:
    vals = list(rps) if not isinstance(rps, str | bytes) else [rps]
    if any(isinstance(v, str | bytes) for v in vals):
        raise InputValueError(
            f"Return periods must be numbers (years), got strings {vals!r}. Convert them, "
            "e.g. [int(t) for t in rps]."
        )
    t = require_numbers(vals, name="return periods (years)", low=0.0, low_open=True)
    if t.ndim != 1 or t.size == 0:
        raise InputValueError("Give at least one return period.")
    if np.any(np.diff(t) == 0):
        raise InputValueError(f"Return periods must not repeat, got {t.tolist()}.")
    if np.any(np.diff(t) < 0):
        raise InputValueError(
            f"Return periods must be sorted in increasing order, got {t.tolist()}; reorder "
            "them together with their damages."
        )
    return t


def _damage_matrix(
    damage: Any, return_periods: Any, column: str
) -> tuple[np.ndarray, np.ndarray, pd.Index | None]:
    """Return (D (n_assets, n_rp), T, index or None for a single series)."""
    if isinstance(damage, pd.DataFrame) and RETURN_PERIOD in damage.columns:
        if return_periods is not None:
            raise InputValueError(
                "With a long table, return periods come from its 'return_period' column."
            )
        return _long_matrix(damage, column)
    if isinstance(damage, pd.DataFrame):
        if return_periods is not None:
            raise InputValueError("With a DataFrame, return periods come from its column names.")
        cols = _event_columns(damage, column, "damage")
        if None in cols:
            raise InputValueError(
                f"Expected columns {column}_rp<T> (one per return period), found only {column!r}."
            )
        t = _check_return_periods(list(cols))
        d = np.column_stack([require_numeric_column(damage, c, name="damage", low=0.0)
                             for c in cols.values()])
        return d, t, damage.index
    if isinstance(damage, Mapping):
        if return_periods is not None:
            raise InputValueError("With a mapping {T: damage}, do not pass return_periods.")
        t = _check_return_periods(list(damage.keys()))
        d = require_numbers(list(damage.values()), name="damages", low=0.0,
                            allow_nan=True)[None, :]
        return d, t, None
    if return_periods is None:
        raise InputValueError("Pass return_periods= for array damages.")
    t = _check_return_periods(return_periods)
    d = require_numbers(damage, name="damages", low=0.0, allow_nan=True)
    if d.ndim == 1:
        d = d[None, :]
    if d.ndim != 2 or d.shape[1] != t.size:
        raise InputValueError(
            f"damages have shape {np.shape(damage)} but {t.size} return periods were given."
        )
    return d, t, None


def _long_matrix(
    frame: pd.DataFrame, column: Any
) -> tuple[np.ndarray, np.ndarray, pd.Index | None]:
    """(D, T, asset index) of a long table: one row per asset and return period."""
    if not isinstance(column, str) or column not in frame.columns:
        raise InputValueError(
            f"The long damage table has no column {column!r}; name the damage column with "
            f"column= (columns are {list(frame.columns)[:20]})."
        )
    rp = frame[RETURN_PERIOD]
    if not pd.api.types.is_numeric_dtype(rp) or pd.api.types.is_bool_dtype(rp):
        raise InputValueError(
            f"The 'return_period' column must hold numbers (years), got {rp.dtype}."
        )
    t = _check_return_periods(np.unique(rp.to_numpy(dtype=float)))
    vals = require_numeric_column(frame, column, name="damage", low=0.0)
    if ASSET in frame.columns:
        key = frame[ASSET]
        if frame.duplicated([ASSET, RETURN_PERIOD]).any():
            raise InputValueError(
                f"The long damage table repeats ({ASSET}, return_period) pairs; give one row "
                "per asset and return period."
            )
        table = pd.DataFrame({"a": key.to_numpy(), "t": rp.to_numpy(float), "d": vals})
        wide = table.pivot(index="a", columns="t", values="d")
        # assets keep their order of first appearance; a missing (asset, T) pair is NaN
        wide = wide.reindex(index=pd.unique(key.to_numpy()), columns=t)
        index = pd.Index(wide.index, name=ASSET)
        return wide.to_numpy(dtype=float), t, index
    if frame[RETURN_PERIOD].duplicated().any():
        raise InputValueError(
            f"The long damage table repeats return periods but has no {ASSET!r} column "
            "naming the asset of each row; add it (one row per asset and return period)."
        )
    order = np.argsort(rp.to_numpy(float))
    return vals[order][None, :], t, None


def _ead_weights(
    t: np.ndarray,
    rule: str,
    tail: str,
    t0: float | None,
) -> np.ndarray:
    """Weights w with EAD = sum_i w_i D_i for one rule (all rules are linear in D)."""
    if rule not in EAD_RULES:
        raise InputValueError(f"rule must be one of {list(EAD_RULES)}, got {rule!r}.")
    if tail not in EAD_TAILS:
        raise InputValueError(f"tail must be one of {list(EAD_TAILS)}, got {tail!r}.")
    p = 1.0 / t
    n = p.size
    w = np.zeros(n)
    for i in range(n - 1):
        dp = p[i] - p[i + 1]
        if rule == "lower_step":
            w[i] += dp
        elif rule == "trapezoid":
            w[i] += dp / 2
            w[i + 1] += dp / 2
        else:
            s = _loglin_share(p[i], p[i + 1])
            w[i] += dp - s
            w[i + 1] += s
    if tail == "flat":
        w[-1] += p[-1]
    if t0 is not None:
        p0 = 1.0 / t0
        dp = p0 - p[0]
        if rule == "trapezoid":
            w[0] += dp / 2
        elif rule == "log_linear":
            w[0] += _loglin_share(p0, p[0])
        # lower_step: the lower value on (p1, p0] is 0
    return w


def _loglin_share(pa: float, pb: float) -> float:
    r"""Integral over [pb, pa] of s(p) = (ln p - ln pa) / (ln pb - ln pa), pa > pb > 0.

    :math:`\int s\,dp = -(p_a - p_b)/L - p_b` with :math:`L = \ln p_b - \ln p_a`.
    """
    lg = math.log(pb) - math.log(pa)
    return -(pa - pb) / lg - pb


@dataclass(frozen=True, repr=False)
class EADResult:
    """Expected annual damage with the rule that produced it.

    Attributes
    ----------
    total : float
        EAD of all assets together (currency per year).
    per_asset : pandas.Series or None
        EAD of each asset (index of the input frame, or the ``feature`` labels of a long
        table) when a frame was given.
    rule, tail : str
        Integration rule and rare-tail rule used.
    zero_damage_return_period : float or None
        Frequent-end assumption (damage 0 at this return period), if any.
    return_periods : tuple of float
        Return periods integrated over.
    units : str or None
        Units of the damages (e.g. ``"EUR"``; the EAD is in ``units`` per year), when known.

    Examples
    --------
    >>> r = expected_annual_damage({10: 100.0, 100: 1000.0}, rule="lower_step")
    >>> r
    EADResult(total=19, rule='lower_step', tail='flat', return_periods=(10, 100))
    >>> r.to_frame()[["rule", "tail", "ead"]]
             rule  tail   ead
    0  lower_step  flat  19.0
    """

    total: float
    per_asset: pd.Series | None
    rule: str
    tail: str
    zero_damage_return_period: float | None
    return_periods: tuple[float, ...]
    units: str | None = None

    def __float__(self) -> float:
        return float(self.total)

    @property
    def description(self) -> str:
        """One line naming the rule and assumptions, for reports."""
        front = (
            f"damage 0 at T={self.zero_damage_return_period:g} y"
            if self.zero_damage_return_period
            else f"no damage more often than T={self.return_periods[0]:g} y"
        )
        rare = {
            "flat": f"damage held at the T={self.return_periods[-1]:g} y value beyond it",
            "none": f"nothing counted beyond T={self.return_periods[-1]:g} y",
            "max_damage": "maximum possible damage beyond the largest return period",
        }.get(self.tail, self.tail)
        return f"EAD by {self.rule} rule; {front}; {rare}"

    def to_frame(self) -> pd.DataFrame:
        """One row: ``ead``, ``units`` and the rule, tail and return periods behind it."""
        return pd.DataFrame({
            "ead": [self.total],
            "units": [f"{self.units}/yr" if self.units else None],
            "rule": [self.rule],
            "tail": [self.tail],
            "zero_damage_return_period": [self.zero_damage_return_period],
            "return_periods": [", ".join(f"{t:g}" for t in self.return_periods)],
        })

    def __repr__(self) -> str:
        rps = tuple(int(t) if float(t).is_integer() else t for t in self.return_periods)
        unit = f", units='{self.units}/yr'" if self.units else ""
        return (f"EADResult(total={self.total:.6g}{unit}, rule={self.rule!r}, "
                f"tail={self.tail!r}, return_periods={rps})")

    def _repr_html_(self) -> str:
        return self.to_frame().to_html(index=False)


@dataclass(frozen=True, repr=False)
class EADBounds:
    """Lower and upper bound of the expected annual damage (unpacks as ``lo, hi``).

    Attributes
    ----------
    lower, upper : EADResult
        The lower-step and upper-step sums (see :func:`ead_bounds`).
    """

    lower: EADResult
    upper: EADResult

    def __iter__(self):
        return iter((self.lower, self.upper))

    def __getitem__(self, i: int) -> EADResult:
        return (self.lower, self.upper)[i]

    def __len__(self) -> int:
        return 2

    def to_frame(self) -> pd.DataFrame:
        """Two rows, ``bound`` = lower / upper, with :meth:`EADResult.to_frame`'s columns."""
        out = pd.concat([self.lower.to_frame(), self.upper.to_frame()], ignore_index=True)
        out.insert(0, "bound", ["lower", "upper"])
        return out

    def __repr__(self) -> str:
        return f"EADBounds(lower={self.lower.total:.6g}, upper={self.upper.total:.6g})"

    def _repr_html_(self) -> str:
        return self.to_frame().to_html(index=False)


def expected_annual_damage(
    damage: pd.DataFrame | Mapping[float, float] | Sequence[float] | np.ndarray,
    return_periods: Sequence[float] | None = None,
    *,
    rule: Literal["lower_step", "trapezoid", "log_linear"] = "trapezoid",
    tail: Literal["flat", "none"] = "flat",
    zero_damage_return_period: float | None = None,
    column: str = "damage",
) -> EADResult:
    r"""Compute the expected annual damage from damages at mapped return periods.

    With :math:`p_i = 1/T_i` (:math:`T_1 < \dots < T_n`) and damages :math:`D_i`:

    - ``lower_step``: :math:`\sum_{i<n} D_i (p_i - p_{i+1})`;
    - ``trapezoid``: :math:`\sum_{i<n} \tfrac12 (D_i + D_{i+1})(p_i - p_{i+1})`;
    - ``log_linear``: :math:`\sum_{i<n} \int_{p_{i+1}}^{p_i} D(p)\,dp` with :math:`D`
      linear in :math:`\ln p` (Delft-FIAT);

    plus the rare tail :math:`D_n p_n` when ``tail="flat"`` and, with
    ``zero_damage_return_period`` :math:`T_0`, the stretch from :math:`(p_0, 0)` to
    :math:`(p_1, D_1)` under the same rule. ``rule="lower_step"`` with ``tail="flat"``
    is exactly CLIMADA's EAD (each map's damage times its frequency increment).

    Parameters
    ----------
    damage : DataFrame, mapping, sequence or array
        A **long table** with one row per asset and return period: a numeric
        ``return_period`` column (years), a ``feature`` column naming the asset (as
        :func:`~urbanrisk.hazard.flood_building_exposure` and :func:`asset_damage` on it
        give) and the damage column ``column``; a wide frame with columns
        ``<column>_rp<T>`` (older form, read by name); a mapping ``{T: damage}``; or
        damages (1-D, or 2-D assets x return periods) with ``return_periods``.
    return_periods : sequence of float, optional
        Strictly increasing positive return periods (years) for array input.
    rule : {"lower_step", "trapezoid", "log_linear"}, default "trapezoid"
        Integration rule.
    tail : {"flat", "none"}, default "flat"
        Beyond the largest return period: damage held constant to :math:`p = 0`, or
        ignored.
    zero_damage_return_period : float, optional
        Return period (smaller than the first) at which damage is zero, e.g. the
        protection standard; by default events more frequent than the first map do no
        damage.
    column : str, default "damage"
        Damage column of a long table (base name of the ``_rp<T>`` columns of a wide one).

    Returns
    -------
    EADResult
        ``total``, ``per_asset`` (for frames; indexed by ``feature`` for a long table), the
        ``rule`` and ``tail`` used, and the damages' ``units`` when recorded.

    Raises
    ------
    InputValueError
        Unsorted, duplicate, non-positive or string return periods; negative damages.

    Examples
    --------
    Damage 100 at the 10-year and 1000 at the 100-year flood:

    >>> ead = expected_annual_damage([100.0, 1000.0], [10, 100], rule="lower_step")
    >>> round(float(ead), 6), ead.rule   # 100*(0.1-0.01) + 1000*0.01
    (19.0, 'lower_step')
    >>> round(float(expected_annual_damage([100.0, 1000.0], [10, 100])), 6)
    59.5

    The same from a long table (one row per asset and return period):

    >>> import pandas as pd
    >>> long = pd.DataFrame({"feature": ["a", "a", "b", "b"],
    ...                      "return_period": [10, 100, 10, 100],
    ...                      "damage": [100.0, 1000.0, 0.0, 10.0]})
    >>> expected_annual_damage(long, rule="lower_step").per_asset.round(6).to_dict()
    {'a': 19.0, 'b': 0.1}
    """
    d, t, index = _damage_matrix(damage, return_periods, column)
    t0 = _check_t0(zero_damage_return_period, t)
    w = _ead_weights(t, rule, tail, t0)
    _warn_non_monotone(d)
    per = np.where(np.isnan(d), 0.0, d) @ w
    per = np.where(np.isnan(d).all(axis=1), np.nan, per)
    per_asset = pd.Series(per, index=index, name="ead") if index is not None else None
    return EADResult(float(np.nansum(per)), per_asset, rule, tail, t0, tuple(t.tolist()),
                     _damage_units(damage, column))


def _damage_units(damage: Any, column: Any) -> str | None:
    """Units recorded for the damage column (``attrs["units"]``), if any."""
    if not isinstance(damage, pd.DataFrame):
        return None
    units = damage.attrs.get("units")
    if not isinstance(units, Mapping):
        return None
    if isinstance(column, str) and column in units:
        return units[column]
    found = {u for c, u in units.items() if isinstance(c, str) and c.startswith(f"{column}_rp")}
    return found.pop() if len(found) == 1 else None


def _check_t0(t0: float | None, t: np.ndarray) -> float | None:
    if t0 is None:
        return None
    v = require_number(t0, name="zero_damage_return_period", low=0.0, low_open=True)
    if not v < t[0]:
        raise InputValueError(
            f"zero_damage_return_period must be > 0 and below the first return period "
            f"({t[0]:g}), got {t0!r}."
        )
    return v


def _warn_non_monotone(d: np.ndarray) -> None:
    if d.shape[1] > 1:
        dec = np.nansum(np.diff(d, axis=1) < 0, axis=1) > 0
        if dec.any():
            logger.warning(
                "%d assets have damage decreasing with return period; check the hazard maps.",
                int(dec.sum()),
            )


def ead_bounds(
    damage: pd.DataFrame | Mapping[float, float] | Sequence[float] | np.ndarray,
    return_periods: Sequence[float] | None = None,
    *,
    max_damage: float | str | Sequence[float] | pd.Series | None = None,
    zero_damage_return_period: float | None = None,
    column: str = "damage",
) -> EADBounds:
    r"""Lower and upper bound of the EAD for a damage that grows with the return period.

    With :math:`p_i = 1/T_i` (:math:`T_1 < \dots < T_n`), damages :math:`D_i` and
    :math:`p_{n+1} = 0`:

    .. math::

        \mathrm{EAD}_{lower} = \sum_{i=1}^{n} D_i\,(p_i - p_{i+1})

        \mathrm{EAD}_{upper} = \sum_{i=1}^{n-1} \max(D_i, D_{i+1})\,(p_i - p_{i+1})
            + D_1\,(p_0 - p_1) + M\,p_n

    The lower bound is the lower step with the flat tail (CLIMADA's EAD): each interval
    between two mapped return periods takes the damage of its more frequent event, and
    beyond the rarest map the damage stays :math:`D_n` down to :math:`p = 0`; events
    more frequent than :math:`T_1` do no damage. The upper bound takes in each interval the
    larger of its two damages (the rarer event's :math:`D_{i+1}` for a damage that grows
    with the return period, so the upper bound is never below the lower); the term
    :math:`D_1 (p_0 - p_1)` is added only when a zero-damage return period :math:`T_0` is
    given (:math:`p_0 = 1/T_0`; otherwise there is no damage more often than :math:`T_1`,
    as for the lower bound); the rare tail is :math:`M p_n` with :math:`M` =
    ``max_damage`` (e.g. total exposed value), or :math:`D_n` when it is not given, which
    then bounds only the discretisation error between mapped return periods.

    Parameters
    ----------
    damage, return_periods, zero_damage_return_period, column
        As in :func:`expected_annual_damage` (a long table with ``return_period`` and
        ``feature`` columns, a wide frame, a mapping or arrays).
    max_damage : float, str or sequence, optional
        Largest possible damage for the rare tail of the upper bound: a finite number for a
        single damage series; for a frame of assets, a numeric column name or one value per
        asset (e.g. each asset's value). NaN is refused, except for assets whose damages
        are all NaN (outside the hazard); it must be at least the largest mapped damage.
        With a long table a column must hold the same value on every row of an asset.

    Returns
    -------
    EADBounds
        ``lower`` and ``upper`` :class:`EADResult` (rules ``lower_step`` /
        ``upper_step``).

    Examples
    --------
    Damages 100, 1000 at T = 10, 100 years (p = 0.1, 0.01):

    >>> b = ead_bounds([100.0, 1000.0], [10, 100])
    >>> round(b.lower.total, 6), round(b.upper.total, 6)  # 100*.09 + 1000*.01, 1000*.09 + 1000*.01
    (19.0, 100.0)
    >>> round(ead_bounds([100.0, 1000.0], [10, 100], max_damage=5000).upper.total, 6)
    140.0
    >>> lo, hi = ead_bounds([100.0, 1000.0], [10, 100], zero_damage_return_period=5)
    >>> round(lo.total, 6), round(hi.total, 6)   # + 100*(0.2 - 0.1) on the upper bound
    (19.0, 110.0)
    """
    d, t, index = _damage_matrix(damage, return_periods, column)
    t0 = _check_t0(zero_damage_return_period, t)
    dd = np.where(np.isnan(d), 0.0, d)
    allnan = np.isnan(d).all(axis=1)
    p = 1.0 / t
    lower = dd @ _ead_weights(t, "lower_step", "flat", None)
    upper = np.zeros(dd.shape[0])
    for i in range(p.size - 1):
        upper += np.maximum(dd[:, i], dd[:, i + 1]) * (p[i] - p[i + 1])
    if t0 is not None:
        upper += dd[:, 0] * (1.0 / t0 - p[0])
    if max_damage is None:
        upper += dd[:, -1] * p[-1]
        tail = "flat"
    else:
        m = _max_damage(max_damage, damage, dd.shape[0])
        bad = np.isnan(m) & ~allnan
        if bad.any():
            rows = np.flatnonzero(bad)[:10].tolist()
            raise InputValueError(
                f"max_damage is NaN for {int(bad.sum())} assets with damages (positions "
                f"{rows}); give a finite maximum damage (e.g. the asset's value) for each."
            )
        m = np.where(allnan, 0.0, m)
        if (m < dd[:, -1]).any():
            raise InputValueError("max_damage must be at least the largest mapped damage.")
        upper += m * p[-1]
        tail = "max_damage"
    lower = np.where(allnan, np.nan, lower)
    upper = np.where(allnan, np.nan, upper)
    tt = tuple(t.tolist())
    units = _damage_units(damage, column)

    def res(v, rule, tl):
        s = pd.Series(v, index=index, name="ead") if index is not None else None
        return EADResult(float(np.nansum(v)), s, rule, tl, t0, tt, units)

    return EADBounds(res(lower, "lower_step", "flat"), res(upper, "upper_step", tail))


def _max_damage(max_damage: Any, damage: Any, n: int) -> np.ndarray:
    """``max_damage`` as one float per damage series (NaN kept for the caller to judge)."""
    if isinstance(max_damage, str):
        if not isinstance(damage, pd.DataFrame):
            raise InputValueError(
                f"max_damage={max_damage!r} names a column, which needs a frame of damages."
            )
        m = require_numeric_column(damage, max_damage, name="max_damage", low=0.0,
                                   allow_nan=True)
        if RETURN_PERIOD in damage.columns and ASSET in damage.columns:
            per = pd.Series(m).groupby(damage[ASSET].to_numpy(), sort=False)
            if (per.nunique() > 1).any():
                raise InputValueError(
                    f"max_damage column {max_damage!r} differs between the rows of one asset; "
                    "give each asset a single maximum damage."
                )
            return per.first().reindex(pd.unique(damage[ASSET].to_numpy())).to_numpy(float)
        return m
    if np.ndim(max_damage) == 0:
        if n > 1:
            raise InputValueError(
                "A single max_damage applies to a single damage series; for a frame of "
                "assets give one value per asset (a column name or a sequence)."
            )
        return np.full(1, require_number(max_damage, name="max_damage", low=0.0))
    m = require_numbers(max_damage, name="max_damage", low=0.0, allow_nan=True).reshape(-1)
    if m.size != n:
        raise InputValueError(f"max_damage has {m.size} values for {n} assets.")
    return m


def exceedance_curve(
    damage: pd.DataFrame | Mapping[float, float],
    *,
    column: str = "damage",
) -> pd.DataFrame:
    """Total damage at each mapped return period, with its exceedance probability.

    Parameters
    ----------
    damage : DataFrame or mapping
        A long table (``return_period``, ``feature`` and ``column``, summed over assets); a
        wide frame with ``<column>_rp<T>`` columns; or ``{T: damage}``.
    column : str, default "damage"
        Damage column of a long table (base of the ``_rp<T>`` columns of a wide one).

    Returns
    -------
    pandas.DataFrame
        ``return_period``, ``exceedance_probability`` (``1/T`` per year) and ``damage``,
        sorted by return period.

    Examples
    --------
    >>> exceedance_curve({10: 100.0, 100: 1000.0})
       return_period  exceedance_probability  damage
    0             10                    0.10   100.0
    1            100                    0.01  1000.0
    >>> import pandas as pd
    >>> long = pd.DataFrame({"feature": [0, 1, 0, 1], "return_period": [10, 10, 100, 100],
    ...                      "damage": [60.0, 40.0, 600.0, 400.0]})
    >>> exceedance_curve(long)["damage"].tolist()
    [100.0, 1000.0]
    """
    d, t, _ = _damage_matrix(damage, None, column)
    tot = np.nansum(d, axis=0)
    rp = [int(v) if float(v).is_integer() else v for v in t]
    return pd.DataFrame(
        {"return_period": rp, "exceedance_probability": 1.0 / t, "damage": tot}
    )


# --------------------------------------------------------------------------------------
# Aggregation
# --------------------------------------------------------------------------------------
def aggregate(
    assets: gpd.GeoDataFrame | pd.DataFrame,
    columns: str | Sequence[str],
    *,
    by: str | Sequence[str] | None = None,
    zones: gpd.GeoDataFrame | None = None,
    zone_column: str | None = None,
    how: Literal["sum", "mean", "max", "count"] = "sum",
) -> pd.DataFrame:
    """Sum (or mean, max, count) asset columns by class and/or zone, as a tidy table.

    Assets are assigned to the zone containing their representative point
    (:meth:`geopandas.GeoSeries.representative_point`), so each asset counts once; assets
    in no zone get zone ``None`` (kept, not dropped).

    Parameters
    ----------
    assets : geopandas.GeoDataFrame or pandas.DataFrame
        Assets with numeric columns such as ``damage_rp100`` or ``ead``.
    columns : str or sequence of str
        Columns to aggregate; a base name such as ``"damage"`` expands to its
        ``damage_rp<T>`` columns.
    by : str or sequence of str, optional
        Class columns (e.g. ``"occupancy"``).
    zones : geopandas.GeoDataFrame, optional
        Polygons (e.g. districts); reprojected to the assets' CRS if needed. They must
        overlap the assets (:class:`~urbanrisk.errors.NoOverlapError`).
    zone_column : str, optional
        Column naming the zones; default their index.
    how : {"sum", "mean", "max", "count"}, default "sum"
        Aggregation.

    Returns
    -------
    pandas.DataFrame
        Tidy: the ``zone`` and ``by`` columns, ``variable`` (the column aggregated, with a
        ``return_period`` column when it came from ``<base>_rp<T>``) and ``value``.

    Examples
    --------
    >>> import pandas as pd
    >>> a = pd.DataFrame({"occupancy": ["res", "res", "com"], "ead": [1.0, 2.0, 5.0]})
    >>> aggregate(a, "ead", by="occupancy")
      occupancy variable  value
    0       com      ead    5.0
    1       res      ead    3.0
    """
    if not isinstance(assets, pd.DataFrame):
        raise InputValueError("assets must be a (Geo)DataFrame.")
    if how not in ("sum", "mean", "max", "count"):
        raise InputValueError(f"how must be sum, mean, max or count, got {how!r}.")
    cols_in = [columns] if isinstance(columns, str) else list(columns)
    col_map: dict[str, Any] = {}
    for c in cols_in:
        for label, name in _event_columns(assets, c, "columns").items():
            col_map[name] = (c, label)
    keys = [] if by is None else ([by] if isinstance(by, str) else list(by))
    missing = [k for k in keys if k not in assets.columns]
    if missing:
        raise InputValueError(f"by columns {missing} are not in assets.")
    for name in col_map:
        require_numeric_column(assets, name, name="columns")  # strings are never summed
    frame = pd.DataFrame(assets[keys + list(col_map)].copy())
    if zones is not None:
        if not isinstance(assets, gpd.GeoDataFrame):
            raise InputValueError("zones= needs assets as a GeoDataFrame.")
        if zone_column is not None and zone_column not in zones.columns:
            raise InputValueError(f"zone_column {zone_column!r} is not a column of zones.")
        require_crs(assets, name="assets")
        z = prepare_vector(zones, name="zones", like=assets,
                           geom_types=("Polygon", "MultiPolygon"))
        pts = gpd.GeoDataFrame(geometry=assets.geometry.representative_point(), crs=assets.crs)
        names = z[zone_column] if zone_column else pd.Series(z.index, index=z.index)
        joined = gpd.sjoin(pts, gpd.GeoDataFrame({"_zone": names.to_numpy()},
                                                 geometry=z.geometry.to_numpy(), crs=z.crs),
                           how="left", predicate="within")
        joined = joined[~joined.index.duplicated(keep="first")]
        frame.insert(0, "zone", joined["_zone"].reindex(assets.index).to_numpy())
        keys = ["zone"] + keys
    long = frame.melt(id_vars=keys, value_vars=list(col_map), var_name="_col", value_name="value")
    long["variable"] = long["_col"].map(lambda c: col_map[c][0])
    labels = long["_col"].map(lambda c: col_map[c][1])
    has_rp = labels.notna().any()
    if has_rp:
        long["return_period"] = labels
    group = keys + ["variable"] + (["return_period"] if has_rp else [])
    out = long.groupby(group, dropna=False)["value"].agg(how).reset_index()
    return out
