"""The units urbanrisk understands, and the one place values are converted.

Every quantity the library computes with has one **canonical unit**: lengths and depths in
metres, temperatures in degrees Celsius, people as a count, shares as a plain ratio. A raster,
column or parameter given in another unit of the same quantity (a flood depth in feet, a
land surface temperature in kelvin, a share in percent) is converted to the canonical unit
at the entrance of the public function that reads it (:func:`urbanrisk.layers.prepare_raster`),
never read as if it were already canonical. A unit the registry does not know is kept as a
label: it can be passed through, but it is never converted or compared to another.

Why a small table and not ``pint``: the library needs a dozen exact conversion constants
(the international foot is 0.3048 m by definition, the US survey foot 1200/3937 m) and one
offset pair (K, °F → °C). The hard part is reading the unit strings that real files carry
(``"metres"``, ``"°C"``, ``"US survey foot"``, ``"persons"``), which needs this alias table
with or without pint; pint would add a dependency and a parser whose spellings differ
from GDAL's, for no conversion we lack. The table is tested against the defining constants.

Examples
--------
>>> from urbanrisk.units import convert, quantity_of, canonical_units
>>> quantity_of("feet"), canonical_units("feet")
('length', 'm')
>>> float(convert(10.0, "ft", "m"))
3.048
>>> float(convert(300.15, "K", "degC"))
27.0
"""

from __future__ import annotations

from typing import Any

import numpy as np

from urbanrisk.errors import UnitsError

__all__ = [
    "CANONICAL",
    "normalize_units",
    "quantity_of",
    "canonical_units",
    "convert",
    "known_units",
]

#: Canonical unit of each quantity.
CANONICAL: dict[str, str] = {
    "length": "m",
    "temperature": "degC",
    "people": "people",
    "ratio": "1",
}

# unit -> (quantity, scale, offset): canonical = value * scale + offset
_UNITS: dict[str, tuple[str, float, float]] = {
    "m": ("length", 1.0, 0.0),
    "km": ("length", 1000.0, 0.0),
    "cm": ("length", 0.01, 0.0),
    "mm": ("length", 0.001, 0.0),
    "ft": ("length", 0.3048, 0.0),
    "US_survey_ft": ("length", 1200.0 / 3937.0, 0.0),
    "in": ("length", 0.0254, 0.0),
    "degC": ("temperature", 1.0, 0.0),
    "K": ("temperature", 1.0, -273.15),
    "degF": ("temperature", 5.0 / 9.0, -32.0 * 5.0 / 9.0),
    "people": ("people", 1.0, 0.0),
    "1": ("ratio", 1.0, 0.0),
    "%": ("ratio", 0.01, 0.0),
}

# Spellings of the same unit found in files (GDAL unit types, CF attributes, user code),
# mapped to one symbol. Keys are lower case without surrounding blanks.
_ALIASES: dict[str, str] = {
    "m": "m", "meter": "m", "meters": "m", "metre": "m", "metres": "m", "metro": "m",
    "km": "km", "kilometre": "km", "kilometres": "km", "kilometer": "km", "kilometers": "km",
    "cm": "cm", "centimetre": "cm", "centimetres": "cm", "centimeter": "cm",
    "centimeters": "cm",
    "mm": "mm", "millimeter": "mm", "millimeters": "mm", "millimetre": "mm",
    "millimetres": "mm",
    "ft": "ft", "feet": "ft", "foot": "ft", "international foot": "ft",
    "international feet": "ft", "ft_intl": "ft",
    "us_survey_ft": "US_survey_ft", "us survey foot": "US_survey_ft",
    "us survey feet": "US_survey_ft", "us-ft": "US_survey_ft", "ftus": "US_survey_ft",
    "us_ft": "US_survey_ft", "survey foot": "US_survey_ft", "foot_us": "US_survey_ft",
    "in": "in", "inch": "in", "inches": "in",
    "degc": "degC", "°c": "degC", "celsius": "degC", "deg_c": "degC", "c": "degC",
    "degree_celsius": "degC", "degrees_celsius": "degC", "deg c": "degC",
    "k": "K", "kelvin": "K", "degk": "K",
    "degf": "degF", "°f": "degF", "fahrenheit": "degF", "deg_f": "degF", "f": "degF",
    "1": "1", "fraction": "1", "dimensionless": "1", "ratio": "1",
    "%": "%", "percent": "%", "pct": "%",
    "people": "people", "persons": "people", "person": "people", "inhabitants": "people",
    "residents": "people", "population": "people", "pop": "people",
    "mmi": "MMI", "m/s": "m/s", "m s-1": "m/s", "m2": "m2", "m^2": "m2", "class": "class",
}


def normalize_units(units: str | None) -> str | None:
    """Return the canonical spelling of a unit string (``"metres"`` → ``"m"``).

    Unknown units are returned stripped but otherwise unchanged, so users can work with
    units urbanrisk does not know (they are never converted).

    Examples
    --------
    >>> normalize_units("Metres"), normalize_units("°C"), normalize_units("W/m2")
    ('m', 'degC', 'W/m2')
    >>> normalize_units("US survey foot")
    'US_survey_ft'
    """
    if units is None:
        return None
    key = str(units).strip()
    if not key:
        return None
    return _ALIASES.get(key.lower(), key)


def quantity_of(units: str | None) -> str | None:
    """Return the quantity (``"length"``, ``"temperature"``, ``"people"``, ``"ratio"``) of a unit.

    ``None`` for a unit the registry does not know.

    Examples
    --------
    >>> quantity_of("cm"), quantity_of("K"), quantity_of("MMI")
    ('length', 'temperature', None)
    """
    u = normalize_units(units)
    return _UNITS[u][0] if u in _UNITS else None


def canonical_units(units: str | None) -> str | None:
    """Return the canonical unit of the quantity of ``units`` (unknown units unchanged).

    Examples
    --------
    >>> canonical_units("ft"), canonical_units("%"), canonical_units("m/s")
    ('m', '1', 'm/s')
    """
    u = normalize_units(units)
    q = quantity_of(u)
    return CANONICAL[q] if q else u


def known_units(quantity: str) -> list[str]:
    """Return the units of one quantity the registry converts, canonical first.

    Examples
    --------
    >>> known_units("temperature")
    ['degC', 'K', 'degF']
    """
    if quantity not in CANONICAL:
        raise UnitsError(f"Unknown quantity {quantity!r}; known are {sorted(CANONICAL)}.")
    return [u for u, (q, _, _) in _UNITS.items() if q == quantity]


def convert(values: Any, from_units: str | None, to_units: str | None, *, name: str = "values"):
    """Convert ``values`` (number, numpy, pandas or xarray) from one unit to another.

    Both units must measure the same quantity; the result is a new object of the input's
    kind (a numpy array for a list). Converting a unit to itself returns the input unchanged.

    Raises
    ------
    UnitsError
        When a unit is missing, unknown to the registry (and differs from the other), or
        measures another quantity.

    Examples
    --------
    >>> float(convert(1.0, "US survey foot", "m"))  # 1200/3937 m
    0.3048006096012192
    >>> convert(5.0, "m", "degC")
    Traceback (most recent call last):
    ...
    urbanrisk.errors.UnitsError: values: cannot convert 'm' (length) to 'degC' (temperature).
    """
    src, dst = normalize_units(from_units), normalize_units(to_units)
    if src is None or dst is None:
        raise UnitsError(
            f"{name}: units are missing ({from_units!r} -> {to_units!r}); state the units "
            "the values are in."
        )
    if src == dst:
        return values
    if src not in _UNITS or dst not in _UNITS:
        unknown = src if src not in _UNITS else dst
        raise UnitsError(
            f"{name}: {unknown!r} is not a unit urbanrisk converts, so {src!r} cannot be "
            f"turned into {dst!r}. Known units: "
            + ", ".join(f"{q}: {', '.join(known_units(q))}" for q in CANONICAL)
            + "."
        )
    (qs, ss, os_), (qd, sd, od) = _UNITS[src], _UNITS[dst]
    if qs != qd:
        raise UnitsError(f"{name}: cannot convert {src!r} ({qs}) to {dst!r} ({qd}).")
    if isinstance(values, list | tuple):
        values = np.asarray(values, dtype=float)
    # to canonical, then from canonical
    return (values * ss + os_ - od) / sd
