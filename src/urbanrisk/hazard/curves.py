"""Vulnerability curves: hazard intensity to damage fraction.

A :class:`DamageCurve` is a piecewise-linear function from intensity (flood depth in m,
wind speed, MMI ...) to the damaged share of an asset's value (0-1), with explicit
behaviour below its first and beyond its last point. It is vectorised, immutable and
picklable, and users build their own from tables (:meth:`DamageCurve.from_table`).

The JRC global flood depth-damage functions (Huizinga, de Moel & Szewczyk 2017,
EUR 28552 EN, JRC105688, doi:10.2760/16510) ship with the package for every continent
and occupancy class the report publishes (:func:`jrc_curve`, :func:`jrc_curves`), with
the report's per-country construction costs (:func:`jrc_construction_cost`) and its
maximum-damage formula (:func:`jrc_max_damage_m2`).
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Literal

import numpy as np
import pandas as pd

from urbanrisk.errors import InputValueError
from urbanrisk.layers import (
    normalize_units,
    require_number,
    require_numbers,
    require_numeric_column,
    require_probability,
)

__all__ = [
    "DamageCurve",
    "JRC_CITATION",
    "JRC_REGIONS",
    "JRC_OCCUPANCIES",
    "jrc_curve",
    "jrc_curves",
    "jrc_construction_cost",
    "jrc_max_damage_m2",
    "JRC_CLASS_FOR_OCCUPANCY",
    "jrc_class_for_occupancy",
    "jrc_curves_for_occupancy",
    "jrc_max_damage_for_occupancy",
]

JRC_CITATION = (
    "Huizinga, J., de Moel, H., Szewczyk, W. (2017). Global flood depth-damage functions: "
    "Methodology and the database with guidelines. EUR 28552 EN, Publications Office of the "
    "European Union, Luxembourg. JRC105688, doi:10.2760/16510."
)

#: Continents of the JRC report (Central and South America share one curve set).
JRC_REGIONS = (
    "europe",
    "north_america",
    "central_south_america",
    "asia",
    "africa",
    "oceania",
)
#: Occupancy (damage) classes of the JRC report; ``infrastructure`` is roads.
JRC_OCCUPANCIES = (
    "residential",
    "commercial",
    "industrial",
    "transport",
    "infrastructure",
    "agriculture",
)

_REGION_ALIASES = {
    "northamerica": "north_america",
    "southamerica": "central_south_america",
    "centralamerica": "central_south_america",
    "centralandsouthamerica": "central_south_america",
    "centralsouthamerica": "central_south_america",
    "latinamerica": "central_south_america",
}
_OCC_ALIASES = {"roads": "infrastructure", "road": "infrastructure", "commerce": "commercial",
                "industry": "industrial"}

#: Building occupancy classes (as in the demo's and OpenStreetMap-derived building layers) and
#: the JRC damage class whose curve and maximum damage they use. The JRC report publishes
#: residential, commercial and industrial building classes only; sending public and other
#: buildings to the commercial class is **urbanrisk's assumption**, not the report's (its
#: commercial class is the non-residential, non-industrial one). Pass your own mapping to
#: :func:`jrc_curves_for_occupancy` to decide otherwise.
JRC_CLASS_FOR_OCCUPANCY: dict[str, str] = {
    "residential": "residential",
    "commercial": "commercial",
    "industrial": "industrial",
    "public": "commercial",
    "other": "commercial",
}

# Construction-cost regression of the report: cost = a * GDP_per_capita ** b (2010 EUR/m2).
_JRC_COST_REGRESSION = {
    "residential": (24.078, 0.3852),
    "commercial": (33.642, 0.3574),
    "industrial": (30.824, 0.3249),
}
# Importance-of-content factors of the report (content value / structure value).
_JRC_CONTENT_FACTOR = {"residential": 0.5, "commercial": 1.0, "industrial": 1.5}


@dataclass(frozen=True)
class DamageCurve:
    """Piecewise-linear vulnerability curve: intensity -> damage fraction (0-1).

    Parameters
    ----------
    intensity : sequence of float
        Strictly increasing intensities (at least two), in ``units``.
    damage : sequence of float
        Damage fraction at each intensity, within [0, 1].
    units : str
        Units of the intensity (``"m"`` for flood depth). Intensities in another unit of
        the same quantity (feet) are converted to it by
        :func:`~urbanrisk.hazard.asset_damage`.
    name : str, optional
        Short name, e.g. ``"JRC europe residential"``.
    source : str, optional
        Citation of the curve.
    below : {"zero", "first", "nan"}, default "zero"
        Damage for intensities below the first point: 0, the first point's damage, or NaN.
    above : {"last", "nan"}, default "last"
        Damage beyond the last point: the last point's damage (usually 1) or NaN.
    zero_at_or_below : float, optional
        Intensities at or below this value do no damage, whatever the table says (e.g.
        ``0.0`` for flood depth: a dry asset is not damaged even by a curve that starts
        above zero, such as the JRC North American curves which include basements).

    Examples
    --------
    >>> c = DamageCurve([0, 1, 2], [0, 0.5, 0.8], units="m", name="demo")
    >>> c([-1, 0.5, 1.5, 9]).tolist()
    [0.0, 0.25, 0.65, 0.8]
    >>> import pickle; pickle.loads(pickle.dumps(c)) == c
    True
    """

    intensity: tuple[float, ...]
    damage: tuple[float, ...]
    units: str
    name: str = ""
    source: str = ""
    below: Literal["zero", "first", "nan"] = "zero"
    above: Literal["last", "nan"] = "last"
    zero_at_or_below: float | None = None
    _x: np.ndarray = field(init=False, repr=False, compare=False)
    _y: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        x = require_numbers(self.intensity, name="DamageCurve intensity")
        y = require_numbers(self.damage, name="DamageCurve damage")
        if x.ndim != 1 or y.shape != x.shape or x.size < 2:
            raise InputValueError(
                "DamageCurve needs intensity and damage of the same length, at least 2 points; "
                f"got {x.size} and {y.size}."
            )
        if not (np.isfinite(x).all() and np.isfinite(y).all()):
            raise InputValueError("DamageCurve points must be finite numbers.")
        if np.any(np.diff(x) <= 0):
            raise InputValueError(
                f"DamageCurve intensities must be strictly increasing, got {x.tolist()}."
            )
        if y.min() < 0 or y.max() > 1:
            raise InputValueError(
                f"DamageCurve damage fractions must lie in [0, 1], got {y.tolist()}. "
                "Divide percentages by 100."
            )
        if self.below not in ("zero", "first", "nan"):
            raise InputValueError(f"below must be 'zero', 'first' or 'nan', got {self.below!r}.")
        if self.above not in ("last", "nan"):
            raise InputValueError(f"above must be 'last' or 'nan', got {self.above!r}.")
        if self.zero_at_or_below is not None:
            object.__setattr__(self, "zero_at_or_below",
                               require_number(self.zero_at_or_below, name="zero_at_or_below"))
        object.__setattr__(self, "intensity", tuple(float(v) for v in x))
        object.__setattr__(self, "damage", tuple(float(v) for v in y))
        object.__setattr__(self, "units", normalize_units(self.units) or "")
        object.__setattr__(self, "_x", x)
        object.__setattr__(self, "_y", y)

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("_x", None)
        state.pop("_y", None)
        return state

    def __setstate__(self, state: dict) -> None:
        for k, v in state.items():
            object.__setattr__(self, k, v)
        object.__setattr__(self, "_x", np.asarray(self.intensity, dtype=float))
        object.__setattr__(self, "_y", np.asarray(self.damage, dtype=float))

    def __call__(self, intensity: np.ndarray | Sequence[float] | float) -> np.ndarray:
        """Damage fraction at ``intensity`` (NaN stays NaN; strings are refused)."""
        v = np.asarray(intensity)
        if v.dtype == bool or not np.issubdtype(v.dtype, np.number):
            raise InputValueError(
                f"Intensities must be numbers, got {v.dtype} values; convert them first."
            )
        v = v.astype(float, copy=False)
        below = {"zero": 0.0, "first": self._y[0], "nan": np.nan}[self.below]
        above = self._y[-1] if self.above == "last" else np.nan
        out = np.interp(v, self._x, self._y, left=below, right=above)
        if self.zero_at_or_below is not None:
            out = np.where(v <= self.zero_at_or_below, 0.0, out)
        return np.where(np.isnan(v), np.nan, out)

    @classmethod
    def from_table(
        cls,
        table: pd.DataFrame,
        *,
        intensity: str,
        damage: str,
        units: str,
        percent: bool = False,
        **kwargs,
    ) -> DamageCurve:
        """Build a curve from two columns of a table.

        Parameters
        ----------
        table : pandas.DataFrame
            One row per curve point.
        intensity, damage : str
            Column names; rows are sorted by intensity.
        units : str
            Units of the intensity column.
        percent : bool, default False
            Damage given in percent (divided by 100).
        **kwargs
            Other :class:`DamageCurve` fields (``name``, ``source``, ``below`` ...).

        Examples
        --------
        >>> t = pd.DataFrame({"depth_m": [1.0, 0.0], "damage_pct": [40, 0]})
        >>> DamageCurve.from_table(t, intensity="depth_m", damage="damage_pct",
        ...                        units="m", percent=True).damage
        (0.0, 0.4)
        """
        for col in (intensity, damage):
            if col not in table.columns:
                raise InputValueError(
                    f"Column {col!r} not in the table; columns are {list(table.columns)}."
                )
        t = table.sort_values(intensity)
        x = require_numeric_column(t, intensity, name="curve table", allow_nan=False)
        y = require_numeric_column(t, damage, name="curve table", allow_nan=False)
        return cls(x, y / 100.0 if percent else y, units=units, **kwargs)

    def to_frame(self) -> pd.DataFrame:
        """Return the curve's points as a table (``intensity``, ``damage``)."""
        return pd.DataFrame({"intensity": self.intensity, "damage": self.damage})


# --------------------------------------------------------------------------------------
# JRC data
# --------------------------------------------------------------------------------------
def _read_data(name: str) -> pd.DataFrame:
    text = resources.files("urbanrisk.hazard").joinpath("data", name).read_text("utf-8")
    return pd.read_csv(io.StringIO(text), comment="#")


@functools.lru_cache(maxsize=1)
def _jrc_table() -> pd.DataFrame:
    return _read_data("jrc_depth_damage.csv")


@functools.lru_cache(maxsize=1)
def _jrc_costs() -> pd.DataFrame:
    return _read_data("jrc_construction_cost.csv")


def _norm(key: str, aliases: dict[str, str]) -> str:
    k = str(key).strip().lower().replace("&", "and").replace("-", "_").replace(" ", "_")
    return aliases.get(k.replace("_", ""), k)


def jrc_curves() -> pd.DataFrame:
    """All published JRC depth-damage curves as a tidy table.

    Returns
    -------
    pandas.DataFrame
        Columns ``region``, ``occupancy``, ``depth_m``, ``damage`` (0-1), one row per
        curve point (depths 0, 0.5, 1, 1.5, 2, 3, 4, 5, 6 m). Pairs without a published
        curve are absent (see :func:`jrc_curve`).

    Examples
    --------
    >>> t = jrc_curves()
    >>> t.groupby("region").occupancy.nunique().to_dict()["europe"]
    6
    """
    wide = _jrc_table()
    long = wide.melt(id_vars=["region", "occupancy"], var_name="depth", value_name="damage")
    long["depth_m"] = long["depth"].str[1:].astype(float)
    return (
        long[["region", "occupancy", "depth_m", "damage"]]
        .sort_values(["region", "occupancy", "depth_m"])
        .reset_index(drop=True)
    )


def jrc_curve(region: str, occupancy: str) -> DamageCurve:
    """Return the JRC global flood depth-damage curve of a continent and occupancy class.

    Depth points 0, 0.5, 1, 1.5, 2, 3, 4, 5 and 6 m; linear in between, full damage
    (the 6 m value) beyond 6 m, no damage at or below 0 m (dry).

    Parameters
    ----------
    region : str
        One of :data:`JRC_REGIONS` (``"europe"``, ``"north_america"``,
        ``"central_south_america"``, ``"asia"``, ``"africa"``, ``"oceania"``; spaces and
        case are ignored).
    occupancy : str
        One of :data:`JRC_OCCUPANCIES` (``"residential"``, ``"commercial"``,
        ``"industrial"``, ``"transport"``, ``"infrastructure"`` (roads), ``"agriculture"``).

    Returns
    -------
    DamageCurve
        With ``units="m"`` and the report's citation as ``source``.

    Raises
    ------
    InputValueError
        For an unknown region or class, or a pair the report leaves empty (e.g. Africa
        commercial): the message lists the classes published for that region.

    Examples
    --------
    >>> c = jrc_curve("Europe", "residential")
    >>> c([0.0, 0.25, 1.0, 7.0]).tolist()
    [0.0, 0.125, 0.4, 1.0]
    """
    r = _norm(region, _REGION_ALIASES)
    o = _norm(occupancy, _OCC_ALIASES)
    if r not in JRC_REGIONS:
        raise InputValueError(f"Unknown JRC region {region!r}; choose from {list(JRC_REGIONS)}.")
    if o not in JRC_OCCUPANCIES:
        raise InputValueError(
            f"Unknown JRC occupancy {occupancy!r}; choose from {list(JRC_OCCUPANCIES)}."
        )
    t = _jrc_table()
    row = t[(t.region == r) & (t.occupancy == o)]
    if row.empty:
        have = t.loc[t.region == r, "occupancy"].tolist()
        raise InputValueError(
            f"The JRC report publishes no {o} curve for {r}; published classes for {r}: "
            f"{have}. Use another region's curve deliberately or supply your own DamageCurve."
        )
    cols = [c for c in t.columns if c.startswith("d")]
    depths = [float(c[1:]) for c in cols]
    return DamageCurve(
        depths,
        row[cols].to_numpy(dtype=float)[0],
        units="m",
        name=f"JRC {r} {o}",
        source=JRC_CITATION,
        below="zero",
        above="last",
        zero_at_or_below=0.0,
    )


def jrc_construction_cost(country: str, occupancy: str = "residential") -> float:
    r"""Return the construction cost per m² of floor area in a country (2010 EUR, JRC).

    The workbook's values follow the report's regression on GDP per capita,
    :math:`c = a\,\mathrm{GDP}^b` (residential :math:`a = 24.078, b = 0.3852`; commercial
    33.642, 0.3574; industrial 30.824, 0.3249), for 2010 GDP in US$ and costs in 2010 EUR.

    Parameters
    ----------
    country : str
        ISO 3166 alpha-3 code (``"FIN"``) or the workbook's English name (``"Finland"``).
    occupancy : {"residential", "commercial", "industrial"}
        Building class.

    Returns
    -------
    float
        2010 EUR per m².

    Examples
    --------
    >>> round(jrc_construction_cost("FIN", "residential"), 1)
    1508.2
    """
    o = _norm(occupancy, _OCC_ALIASES)
    if o not in _JRC_COST_REGRESSION:
        raise InputValueError(
            f"JRC construction costs exist for residential, commercial and industrial "
            f"buildings, not {occupancy!r}."
        )
    t = _jrc_costs()
    key = str(country).strip()
    row = t[(t.iso3 == key.upper()) | (t.country.str.lower() == key.lower())]
    if row.empty:
        raise InputValueError(
            f"No JRC construction cost for {country!r}; give an ISO3 code such as 'FIN'. "
            f"{len(t)} countries are available (urbanrisk.hazard.curves._jrc_costs())."
        )
    return float(row[f"construction_cost_{o}_eur2010_m2"].iloc[0])


def jrc_max_damage_m2(
    country: str,
    occupancy: str = "residential",
    *,
    depreciation_factor: float = 1.0,
    undamageable_fraction: float = 0.4,
    materials_factor: float = 1.0,
    content_factor: float | None = None,
) -> float:
    r"""Maximum flood damage per m² of building (structure + content), JRC method.

    Following Huizinga et al. (2017), section on maximum damage values:

    .. math::

        D_s = c \cdot d \cdot (1 - u) \cdot m, \qquad D = D_s (1 + f)

    with :math:`c` the construction cost (:func:`jrc_construction_cost`), :math:`d` the
    depreciated share of the value, :math:`u` the undamageable share of the structure,
    :math:`m` the materials-used factor and :math:`f` the importance-of-content factor
    (content value / structure value; 0.5 residential, 1.0 commercial, 1.5 industrial).

    Parameters
    ----------
    country : str
        ISO3 code or name.
    occupancy : {"residential", "commercial", "industrial"}
        Building class.
    depreciation_factor : float, default 1.0
        Depreciated share of the replacement value. The default 1.0 applies **no**
        depreciation; the report's workbook applies a country-specific depreciation that
        urbanrisk does not ship, so set this to your own value.
    undamageable_fraction : float, default 0.4
        The report's indicative undamageable part for concrete and masonry buildings
        (0 for wood or informal housing, 0.33 for mud).
    materials_factor : float, default 1.0
        The report's materials-used factor (1 for regular buildings; e.g. 0.6 corrugated
        walls, 0.2 mud walls).
    content_factor : float, optional
        Content value relative to the structure; default per class as above.

    Returns
    -------
    float
        2010 EUR per m² of footprint floor area.

    Examples
    --------
    >>> round(jrc_max_damage_m2("FIN", "residential"), 1)  # 1508.2 * 0.6 * 1.5
    1357.3
    """
    o = _norm(occupancy, _OCC_ALIASES)
    cost = jrc_construction_cost(country, o)
    depreciation_factor = require_probability(depreciation_factor, name="depreciation_factor")
    undamageable_fraction = require_probability(undamageable_fraction,
                                                name="undamageable_fraction")
    materials_factor = require_probability(materials_factor, name="materials_factor")
    f = (_JRC_CONTENT_FACTOR[o] if content_factor is None
         else require_number(content_factor, name="content_factor", low=0.0))
    structure = cost * depreciation_factor * (1 - undamageable_fraction) * materials_factor
    return float(structure * (1 + f))


# --------------------------------------------------------------------------------------
# Occupancy classes of a building layer -> JRC classes
# --------------------------------------------------------------------------------------
def jrc_class_for_occupancy(
    occupancies: Sequence[str] | pd.Series | np.ndarray,
    *,
    mapping: dict[str, str] | None = None,
) -> dict[str, str]:
    """JRC damage class of each occupancy class present in a building layer.

    Parameters
    ----------
    occupancies : sequence of str
        The occupancy values of the buildings (repeats and missing values are ignored).
    mapping : dict, optional
        Occupancy -> JRC class (one of ``residential``, ``commercial``, ``industrial``);
        default :data:`JRC_CLASS_FOR_OCCUPANCY`.

    Returns
    -------
    dict
        ``{occupancy: JRC class}`` for the classes present, sorted.

    Raises
    ------
    InputValueError
        An occupancy class the mapping does not know (the message lists the known ones).

    Examples
    --------
    >>> jrc_class_for_occupancy(["public", "residential", "public", None])
    {'public': 'commercial', 'residential': 'residential'}
    """
    table = dict(JRC_CLASS_FOR_OCCUPANCY if mapping is None else mapping)
    bad = sorted({str(v) for v in table.values()} - set(_JRC_COST_REGRESSION))
    if bad:
        raise InputValueError(
            f"mapping sends occupancies to {bad}, which are not JRC building classes; use "
            f"{sorted(_JRC_COST_REGRESSION)}."
        )
    values = pd.Series(np.asarray(occupancies, dtype=object)).dropna().astype(str)
    present = sorted(set(values))
    unknown = [c for c in present if c not in table]
    if unknown:
        raise InputValueError(
            f"buildings have occupancy classes without a JRC class: {unknown}; known classes "
            f"are {sorted(table)} (pass mapping= to add them)."
        )
    return {c: table[c] for c in present}


def jrc_curves_for_occupancy(
    region: str,
    occupancies: Sequence[str] | pd.Series | np.ndarray,
    *,
    mapping: dict[str, str] | None = None,
) -> dict[str, DamageCurve]:
    """JRC depth-damage curve of each occupancy class present, for ``asset_damage(curves=)``.

    Parameters
    ----------
    region : str
        JRC continent (:data:`JRC_REGIONS`).
    occupancies : sequence of str
        Occupancy values of the buildings.
    mapping : dict, optional
        Occupancy -> JRC class; default :data:`JRC_CLASS_FOR_OCCUPANCY`.

    Returns
    -------
    dict
        ``{occupancy: DamageCurve}``.

    Examples
    --------
    >>> c = jrc_curves_for_occupancy("europe", ["public", "residential"])
    >>> c["public"].name, float(c["residential"](1.0))
    ('JRC europe commercial', 0.4)
    """
    jrc = jrc_class_for_occupancy(occupancies, mapping=mapping)
    return {occ: jrc_curve(region, cls) for occ, cls in jrc.items()}


def jrc_max_damage_for_occupancy(
    country: str,
    occupancies: Sequence[str] | pd.Series | np.ndarray,
    *,
    mapping: dict[str, str] | None = None,
    **kwargs,
) -> dict[str, float]:
    """JRC maximum damage per m² (:func:`jrc_max_damage_m2`) of each occupancy class present.

    Parameters
    ----------
    country : str
        ISO3 code or name.
    occupancies : sequence of str
        Occupancy values of the buildings.
    mapping : dict, optional
        Occupancy -> JRC class; default :data:`JRC_CLASS_FOR_OCCUPANCY`.
    **kwargs
        Factors of :func:`jrc_max_damage_m2` (``depreciation_factor`` ...).

    Returns
    -------
    dict
        ``{occupancy: 2010 EUR per m²}``, for ``asset_damage(unit_value=)``.

    Examples
    --------
    >>> m = jrc_max_damage_for_occupancy("FIN", ["residential"])
    >>> round(m["residential"], 1)   # 1508.2 * 0.6 * 1.5
    1357.3
    """
    jrc = jrc_class_for_occupancy(occupancies, mapping=mapping)
    return {occ: jrc_max_damage_m2(country, cls, **kwargs) for occ, cls in jrc.items()}
