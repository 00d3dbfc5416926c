"""Sendai Framework indicators and ISO 37123 §5.2 as *modelled scenario* estimates.

The Sendai Framework monitoring indicators (UNGA A/71/644, 2017) count losses of disasters
that **happened**, "attributed to disasters" and reported per year. A flood map of a return
period gives a *what-if* value with the same definition: it is labelled here as a scenario
(``"modelled, RP100"``), never as Sendai reporting. What each function computes:

- **B-3 / B-4** "Number of people whose damaged / destroyed dwellings were attributed to
  disasters" [P]: residents of dwellings in the damaged or the destroyed class
  (:func:`damage_states`, :func:`housing_impact`). "Destroyed" follows the DesInventar
  definition (levelled, collapsed or "damaged to the extent that they are no longer
  habitable" [P for DesInventar]); the damage ratio at which a dwelling stops being
  habitable is a modelling choice with no UNDRR number, given as ``destroyed_ratio`` and
  recorded with the result. People = dwellings × persons per dwelling (the UNDRR Scorecard's
  "Persons per unit" field).
- **C-3** productive assets, **C-4** housing sector, **C-5** critical infrastructure: the
  direct economic loss (damage) of the building classes of each sector, and of roads as
  length × unit cost × depth-damage fraction (:func:`road_damage`).
- **C-1** = (C-2 + C-3 + C-4 + C-5 + C-6) / product, the SDG 1.5.2 formula [P] with the city
  product in place of the global GDP (the ISO 37123 §5 titles name "city product"); only the
  parts that were computed are summed, and the missing parts are named.
- **D-2 / D-3 / D-4** health, educational and other critical facilities damaged or destroyed
  (wording [S]): facilities in water deeper than a threshold (:func:`facilities_damaged`).
- **B-1** "directly affected people … per 100,000 population" [P]: the sum B-2 + B-3 + B-4 +
  B-5 is **[U]** (recalled, not read in the UNDRR technical guidance); B-2 (injured or ill)
  and B-5 (livelihoods) cannot be modelled from a depth map, so B-1 here is (B-3 + B-4) per
  100,000 population and says which parts are missing.
- **ISO 37123 §5.2** "Average annual disaster loss as a percentage of city product"
  ([P-toc]: the title only; the numerator and denominator clauses of 5.2.2 were **not read**):
  100 × expected annual damage / city product (:func:`annual_loss_percent`).

:func:`sendai_indicators` assembles the rows, one per (return period, code), with the
official wording, the unit, the parts summed and what is missing.

Examples
--------
>>> damage_states([0.0, 0.2, 0.5, 0.7], destroyed_ratio=0.5).tolist()
['none', 'damaged', 'destroyed', 'destroyed']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import xarray as xr

from urbanrisk.errors import InputValueError
from urbanrisk.hazard import _grid
from urbanrisk.hazard._grid import check_hazard, check_vector, grid_of
from urbanrisk.hazard.curves import DamageCurve
from urbanrisk.hazard.exposure import polygon_exposure, sample_points
from urbanrisk.hazard.impact import RETURN_PERIOD, asset_damage
from urbanrisk.layers import (
    require_number,
    require_numbers,
    require_numeric_column,
    require_positive,
)
from urbanrisk.units import convert

__all__ = [
    "SENDAI_INDICATORS",
    "SendaiIndicator",
    "SendaiEstimates",
    "scenario_label",
    "damage_states",
    "building_damage_ratio",
    "housing_impact",
    "sector_loss",
    "road_damage",
    "facilities_damaged",
    "sendai_indicators",
    "annual_loss_percent",
]

SENDAI_SOURCE = ("UNGA A/71/644 (2017), Sendai Framework monitoring indicators; UN SDG "
                 "metadata 1.5.1/1.5.2/11.5.2 (as mirrored in worldbank/sdg-metadata)")


@dataclass(frozen=True)
class SendaiIndicator:
    """One Sendai indicator: official wording, unit of the estimate and verification tag.

    ``verified`` uses the tags of ``references/reporting_frameworks.md``: ``[P]`` primary
    text read, ``[S]`` secondary transcription, ``[U]`` recalled and not found.
    """

    code: str
    wording: str
    unit: str
    verified: str


#: The Sendai indicators urbanrisk can estimate from a flood scenario, by code.
SENDAI_INDICATORS: dict[str, SendaiIndicator] = {i.code: i for i in (
    SendaiIndicator("B-1", "Number of directly affected people attributed to disasters, per "
                    "100,000 population.", "people per 100,000",
                    "[P] wording; [U] the composition B-2 + B-3 + B-4 + B-5"),
    SendaiIndicator("B-3", "Number of people whose damaged dwellings were attributed to "
                    "disasters.", "people", "[P]"),
    SendaiIndicator("B-4", "Number of people whose destroyed dwellings were attributed to "
                    "disasters.", "people", "[P]"),
    SendaiIndicator("C-1", "Direct economic loss attributed to disasters in relation to global "
                    "gross domestic product.", "% of city product",
                    "[P] wording and SDG 1.5.2 formula; [U] city product as denominator"),
    SendaiIndicator("C-3", "Direct economic loss to all other damaged or destroyed productive "
                    "assets attributed to disasters.", "currency", "[P]"),
    SendaiIndicator("C-4", "Direct economic loss in the housing sector attributed to "
                    "disasters.", "currency", "[P]"),
    SendaiIndicator("C-5", "Direct economic loss resulting from damaged or destroyed critical "
                    "infrastructure attributed to disasters.", "currency", "[P]"),
    SendaiIndicator("D-2", "Number of destroyed or damaged health facilities attributed to "
                    "disasters.", "facilities", "[S]"),
    SendaiIndicator("D-3", "Number of destroyed or damaged educational facilities attributed "
                    "to disasters.", "facilities", "[S]"),
    SendaiIndicator("D-4", "Number of other destroyed or damaged critical infrastructure units "
                    "and facilities attributed to disasters.", "facilities", "[S]"),
)}

#: Parts of C-1 (SDG 1.5.2: C-2 + C-3 + C-4 + C-5 + C-6) and of B-1 ([U]: B-2 + ... + B-5).
C1_PARTS = ("C-2", "C-3", "C-4", "C-5", "C-6")
B1_PARTS = ("B-2", "B-3", "B-4", "B-5")


def scenario_label(return_period: Any) -> str:
    """Label of a modelled scenario: ``"modelled, RP100"``.

    Examples
    --------
    >>> scenario_label(100.0)
    'modelled, RP100'
    """
    rp = require_number(return_period, name="return_period", low=0.0, low_open=True)
    return f"modelled, RP{rp:g}"


def damage_states(
    damage_ratio: Any,
    *,
    destroyed_ratio: float,
    damaged_ratio: float = 0.0,
) -> np.ndarray:
    """Damage state of each dwelling (or building) from its damage ratio.

    ``"destroyed"`` when ``ratio >= destroyed_ratio`` (no longer habitable, DesInventar's
    definition; the ratio is the user's documented choice), ``"damaged"`` when
    ``damaged_ratio < ratio < destroyed_ratio``, ``"none"`` otherwise and ``"unknown"`` for
    NaN (a building outside the flood maps).

    Parameters
    ----------
    damage_ratio : array-like
        Damage as a share of the replacement value, in [0, 1] (NaN allowed).
    destroyed_ratio : float
        In (0, 1]: the ratio from which a dwelling counts as destroyed.
    damaged_ratio : float, default 0.0
        In [0, destroyed_ratio): a ratio above it counts as damaged.

    Returns
    -------
    numpy.ndarray of str

    Examples
    --------
    Dwellings just below and just above a destroyed threshold of 0.6:

    >>> damage_states([0.0, 0.59, 0.6, float("nan")], destroyed_ratio=0.6).tolist()
    ['none', 'damaged', 'destroyed', 'unknown']
    """
    r = require_numbers(damage_ratio, name="damage_ratio", low=0.0, high=1.0, allow_nan=True)
    top = require_number(destroyed_ratio, name="destroyed_ratio", low=0.0, high=1.0,
                         low_open=True)
    low = require_number(damaged_ratio, name="damaged_ratio", low=0.0)
    if low >= top:
        raise InputValueError(
            f"damaged_ratio ({low:g}) must be below destroyed_ratio ({top:g})."
        )
    out = np.full(r.shape, "none", dtype=object)
    out[r > low] = "damaged"
    out[r >= top] = "destroyed"
    out[np.isnan(r)] = "unknown"
    return out.astype(str)


def building_damage_ratio(
    events: pd.DataFrame,
    curves: DamageCurve | Mapping[str, DamageCurve],
    *,
    class_column: str | None = None,
    intensity: str = "wet_mean_depth_m",
    fraction_wet: str | None = "wet_fraction",
    intensity_units: str | None = None,
) -> pd.Series:
    """Damage ratio of each (building, event) row: curve fraction × wet share.

    The same rule as :func:`~urbanrisk.hazard.asset_damage` with a value of 1, so
    ``damage = value × ratio`` for every building.

    Parameters
    ----------
    events : pandas.DataFrame
        Long table (one row per building and return period), e.g.
        :attr:`~urbanrisk.hazard.BuildingExposure.events`.
    curves : DamageCurve or mapping
        As in :func:`~urbanrisk.hazard.asset_damage`.
    class_column, intensity, fraction_wet : str
        Columns of ``events`` (see :func:`~urbanrisk.hazard.asset_damage`).
    intensity_units : str, optional
        Units of ``intensity``; by default those recorded in ``events.attrs["units"]``
        (as :func:`~urbanrisk.hazard.flood_building_exposure` records them).

    Returns
    -------
    pandas.Series
        ``damage_ratio`` on ``events``' index, in [0, 1] (NaN where the depth is unknown).

    Examples
    --------
    >>> import pandas as pd
    >>> c = DamageCurve([0, 2], [0, 1], units="m")
    >>> ev = pd.DataFrame({"d": [1.0, 2.0], "w": [1.0, 0.5]})
    >>> building_damage_ratio(ev, c, intensity="d", fraction_wet="w",
    ...                       intensity_units="m").tolist()
    [0.5, 0.5]
    """
    one = "__urbanrisk_unit_value__"
    frame = events.assign(**{one: 1.0})
    out = asset_damage(frame, curves, intensity=intensity, value=one,
                       fraction_wet=fraction_wet, class_column=class_column,
                       column="__ratio__", intensity_units=intensity_units)
    return out["__ratio__"].rename("damage_ratio")


def _classes_mask(events: pd.DataFrame, class_column: str | None,
                  classes: Sequence[str] | None) -> np.ndarray:
    if class_column is None or classes is None:
        return np.ones(len(events), bool)
    if class_column not in events.columns:
        raise InputValueError(f"class_column {class_column!r} is not a column of the events.")
    return events[class_column].astype(str).isin([str(c) for c in classes]).to_numpy()


def _long(events: pd.DataFrame, what: str) -> None:
    if not isinstance(events, pd.DataFrame) or RETURN_PERIOD not in events.columns:
        raise InputValueError(
            f"{what} needs a long table with a 'return_period' column (one row per building "
            "and event), e.g. flood_building_exposure(...).events with a damage column."
        )


def housing_impact(
    events: pd.DataFrame,
    *,
    damage_ratio: str = "damage_ratio",
    damage: str | None = "damage",
    destroyed_ratio: float,
    dwellings: str | None = None,
    persons_per_dwelling: float | None = None,
    class_column: str | None = None,
    housing_classes: Sequence[str] | None = ("residential",),
) -> pd.DataFrame:
    """Damaged and destroyed dwellings, the people living in them (B-3, B-4) and C-4.

    A residential building's dwellings all take the building's damage state
    (:func:`damage_states`). People = dwellings × ``persons_per_dwelling``. C-4 is the sum
    of the damage of the residential buildings.

    Parameters
    ----------
    events : pandas.DataFrame
        Long table with ``return_period``, the ``damage_ratio`` column and (for C-4) the
        ``damage`` column, e.g. the damage table of the flood profile.
    damage_ratio, damage : str
        Columns: damage as a share of value, and damage in currency (None: no C-4).
    destroyed_ratio : float
        See :func:`damage_states`.
    dwellings : str, optional
        Column with the number of dwellings of each building (>= 0). Without it the
        dwelling and people counts are NaN (not guessed); building counts are still given.
    persons_per_dwelling : float, optional
        Average persons per dwelling (> 0); without it the people counts are NaN.
    class_column : str, optional
        Column of the building class; with ``housing_classes`` only those rows count.
    housing_classes : sequence of str, default ("residential",)
        Classes of ``class_column`` that hold dwellings.

    Returns
    -------
    pandas.DataFrame
        One row per return period: ``buildings_damaged``, ``buildings_destroyed``,
        ``buildings_unknown``, ``dwellings_damaged``, ``dwellings_destroyed``,
        ``people_damaged_dwellings`` (B-3), ``people_destroyed_dwellings`` (B-4),
        ``housing_loss`` (C-4).

    Examples
    --------
    Three houses of 2, 4 and 10 dwellings with damage ratios 0.1, 0.49 and 0.51; "destroyed"
    from 0.5, 2.5 persons per dwelling: B-3 = (2 + 4) × 2.5 = 15, B-4 = 10 × 2.5 = 25.

    >>> import pandas as pd
    >>> ev = pd.DataFrame({"return_period": 100, "damage_ratio": [0.1, 0.49, 0.51],
    ...                    "damage": [10.0, 49.0, 51.0], "dwellings": [2, 4, 10]})
    >>> h = housing_impact(ev, destroyed_ratio=0.5, dwellings="dwellings",
    ...                    persons_per_dwelling=2.5)
    >>> cols = ["people_damaged_dwellings", "people_destroyed_dwellings", "housing_loss"]
    >>> h[cols].values.tolist()
    [[15.0, 25.0, 110.0]]
    """
    _long(events, "housing_impact")
    ppd = None
    if persons_per_dwelling is not None:
        ppd = require_number(persons_per_dwelling, name="persons_per_dwelling", low=0.0,
                             low_open=True)
    sel = events[_classes_mask(events, class_column, housing_classes)]
    ratio = require_numeric_column(sel, damage_ratio, name="events", low=0.0, high=1.0) \
        if len(sel) else np.array([])
    state = damage_states(ratio, destroyed_ratio=destroyed_ratio) if len(sel) \
        else np.array([], dtype=str)
    n_dw = (require_numeric_column(sel, dwellings, name="events", allow_nan=False, low=0.0)
            if dwellings is not None and len(sel) else None)
    loss = (require_numeric_column(sel, damage, name="events", low=0.0)
            if damage is not None and len(sel) else None)
    rows = []
    rps = sorted(pd.unique(events[RETURN_PERIOD]))
    rp_sel = sel[RETURN_PERIOD].to_numpy()
    for rp in rps:
        m = rp_sel == rp
        dmg, dst = m & (state == "damaged"), m & (state == "destroyed")
        row = {RETURN_PERIOD: rp, "buildings_damaged": int(dmg.sum()),
               "buildings_destroyed": int(dst.sum()),
               "buildings_unknown": int((m & (state == "unknown")).sum())}
        if n_dw is not None:
            row["dwellings_damaged"] = float(n_dw[dmg].sum())
            row["dwellings_destroyed"] = float(n_dw[dst].sum())
        else:
            row["dwellings_damaged"] = row["dwellings_destroyed"] = np.nan
        f = ppd if ppd is not None else np.nan
        row["people_damaged_dwellings"] = row["dwellings_damaged"] * f
        row["people_destroyed_dwellings"] = row["dwellings_destroyed"] * f
        row["housing_loss"] = float(np.nansum(loss[m])) if loss is not None else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def sector_loss(
    events: pd.DataFrame,
    *,
    classes: Sequence[str],
    class_column: str,
    damage: str = "damage",
) -> pd.DataFrame:
    """Direct loss of the buildings of some classes per return period (e.g. C-3).

    Examples
    --------
    >>> import pandas as pd
    >>> ev = pd.DataFrame({"return_period": [10, 10, 10], "occupancy": ["commercial",
    ...                    "industrial", "residential"], "damage": [5.0, 7.0, 100.0]})
    >>> sector_loss(ev, classes=["commercial", "industrial"], class_column="occupancy")
       return_period  loss  buildings
    0             10  12.0          2
    """
    _long(events, "sector_loss")
    sel = events[_classes_mask(events, class_column, classes)]
    vals = require_numeric_column(sel, damage, name="events", low=0.0) if len(sel) else []
    sel = sel.assign(_loss=vals)
    rps = sorted(pd.unique(events[RETURN_PERIOD]))
    g = sel.groupby(RETURN_PERIOD)
    return pd.DataFrame({
        RETURN_PERIOD: rps,
        "loss": g["_loss"].sum().reindex(rps).fillna(0.0).to_numpy(float),
        "buildings": g.size().reindex(rps).fillna(0).to_numpy(int),
    })


def road_damage(
    roads: gpd.GeoDataFrame,
    depth: xr.DataArray,
    *,
    curve: DamageCurve,
    unit_cost_per_km: float,
    nodata_as: float | None = None,
) -> pd.DataFrame:
    """Direct loss of roads: Σ length × unit cost × depth-damage fraction, per return period.

    Each road is split exactly at cell boundaries (as
    :func:`~urbanrisk.hazard.line_exposure`); each piece takes its cell's depth, so
    ``loss = Σ_pieces length_km × unit_cost_per_km × curve(depth)``. Pieces on nodata
    (unless ``nodata_as``) or outside the map are unknown: their length is reported, never
    counted as undamaged.

    Parameters
    ----------
    roads : geopandas.GeoDataFrame
        Road centrelines (LineString / MultiLineString).
    depth : xarray.DataArray
        Flood depth, dims ``(return_period, y, x)``, length units (converted to metres).
    curve : DamageCurve
        Depth-damage curve of roads (e.g. ``jrc_curve("europe", "infrastructure")``).
    unit_cost_per_km : float
        Replacement cost of one km of road (currency per km), > 0.
    nodata_as : float, optional
        Depth of NaN cells inside the raster (0.0: nodata is dry).

    Returns
    -------
    pandas.DataFrame
        Per return period: ``loss``, ``wet_length_km`` (depth > 0) and
        ``unknown_length_km``.

    Examples
    --------
    A 2 m road over cells of 0 and 1 m depth; curve 0 → 0, 2 m → 1 (so 0.5 at 1 m); a km
    costs 1,000: loss = 0.001 km × 1,000 × 0.5 = 0.5.

    >>> import numpy as np, geopandas as gpd
    >>> from shapely.geometry import LineString
    >>> from urbanrisk.layers import raster_from_array
    >>> d = raster_from_array(np.array([[[0.0, 1.0]]]), crs=3067,
    ...     transform=(1, 0, 0, 0, -1, 1), units="m", name="flood_depth",
    ...     extra_dim="return_period", extra_coords=[100])
    >>> r = gpd.GeoDataFrame(geometry=[LineString([(0, 0.5), (2, 0.5)])], crs=3067)
    >>> road_damage(r, d, curve=DamageCurve([0, 2], [0, 1], units="m"),
    ...             unit_cost_per_km=1000.0)[["return_period", "loss"]].values.tolist()
    [[100.0, 0.5]]
    """
    cost = require_positive(unit_cost_per_km, name="unit_cost_per_km")
    if not isinstance(curve, DamageCurve):
        raise InputValueError("curve must be a DamageCurve (e.g. jrc_curve(region, "
                              "'infrastructure')).")
    da, units, extra = check_hazard(depth, name="flood_depth", to_units="m")
    if extra != [RETURN_PERIOD]:
        raise InputValueError(
            f"depth must have dims (return_period, y, x), got {tuple(da.dims)}; for one map "
            "use depth.expand_dims(return_period=[100])."
        )
    nodata_as = _grid.check_nodata_as(nodata_as)
    ln = check_vector(roads, da, name="roads", geom_types=("LineString", "MultiLineString"))
    pieces = _grid.line_pieces(ln.geometry.to_numpy(), grid_of(da))
    inside = pieces.row >= 0
    vals = _grid.cell_values(da, extra, pieces.row[inside], pieces.col[inside],
                             nodata_as=nodata_as)
    length_km = pieces.length / 1000.0
    rows = []
    for k, lab in enumerate(_grid.band_labels(da, extra)):
        h = np.full(pieces.length.size, np.nan)
        h[inside] = vals[k]
        known = ~np.isnan(h)
        frac = np.zeros_like(h)
        if known.any():
            frac[known] = curve(convert(h[known], "m", curve.units, name="flood_depth"))
        rows.append({
            RETURN_PERIOD: lab[RETURN_PERIOD],
            "loss": float((length_km[known] * cost * frac[known]).sum()),
            "wet_length_km": float(length_km[known & (np.nan_to_num(h) > 0)].sum()),
            "unknown_length_km": float(length_km[~known].sum()),
        })
    return pd.DataFrame(rows)


#: Default facility types (OSM ``amenity`` / ``healthcare`` / ``building`` values).
HEALTH_TYPES = ("hospital", "clinic", "doctors", "health_centre", "healthcare")
EDUCATION_TYPES = ("school", "kindergarten", "college", "university")


def facilities_damaged(
    facilities: gpd.GeoDataFrame,
    depth: xr.DataArray,
    *,
    type_column: str,
    threshold_m: float = 0.0,
    health_types: Sequence[str] = HEALTH_TYPES,
    education_types: Sequence[str] = EDUCATION_TYPES,
    nodata_as: float | None = None,
) -> pd.DataFrame:
    """Health, educational and other critical facilities in water deeper than a threshold.

    A facility counts as damaged or destroyed (Sendai D-2, D-3, D-4) when the flood depth
    at it is strictly above ``threshold_m``: the maximum over a footprint (every cell it
    touches, :func:`~urbanrisk.hazard.polygon_exposure`) or the cell of a point. Types in
    ``health_types`` are health facilities (D-2), those in ``education_types`` educational
    facilities (D-3), every other row of the layer another critical facility (D-4).

    Parameters
    ----------
    facilities : geopandas.GeoDataFrame
        Points or polygons of critical facilities, with a type column.
    depth : xarray.DataArray
        Flood depth, dims ``(return_period, y, x)``.
    type_column : str
        Column holding the facility type (compared case-insensitively).
    threshold_m : float, default 0.0
        Depth (m) above which a facility counts as damaged.
    health_types, education_types : sequence of str
        Types of D-2 and D-3 (defaults: :data:`HEALTH_TYPES`, :data:`EDUCATION_TYPES`).
    nodata_as : float, optional
        Depth of NaN cells inside the raster.

    Returns
    -------
    pandas.DataFrame
        Per return period and ``category`` (``health``, ``education``, ``other``):
        ``facilities``, ``damaged``, ``unknown`` (outside the maps).

    Examples
    --------
    >>> import numpy as np, geopandas as gpd
    >>> from shapely.geometry import Point
    >>> from urbanrisk.layers import raster_from_array
    >>> d = raster_from_array(np.array([[[0.0, 1.0]]]), crs=3067,
    ...     transform=(1, 0, 0, 0, -1, 1), units="m", name="flood_depth",
    ...     extra_dim="return_period", extra_coords=[100])
    >>> f = gpd.GeoDataFrame({"type": ["school", "hospital", "substation"]},
    ...     geometry=[Point(1.5, 0.5), Point(0.5, 0.5), Point(1.2, 0.5)], crs=3067)
    >>> facilities_damaged(f, d, type_column="type")[["category", "damaged"]].values.tolist()
    [['health', 0], ['education', 1], ['other', 1]]
    """
    thr = require_number(threshold_m, name="threshold_m", low=0.0, units="m")
    if type_column not in facilities.columns:
        raise InputValueError(
            f"facilities has no column {type_column!r} naming the facility type; columns: "
            f"{[c for c in facilities.columns if c != facilities.geometry.name]}."
        )
    geom = set(facilities.geom_type.unique())
    if geom <= {"Point"}:
        wide = sample_points(facilities, depth, column="d", nodata_as=nodata_as)
    elif geom <= {"Polygon", "MultiPolygon"}:
        wide = polygon_exposure(facilities, depth, stats=("max",), column="d",
                                nodata_as=nodata_as)
    else:
        raise InputValueError(f"facilities must be all points or all polygons, got {geom}.")
    kinds = facilities[type_column].astype(str).str.strip().str.lower().to_numpy()
    health = {t.lower() for t in health_types}
    education = {t.lower() for t in education_types}
    category = np.where(np.isin(kinds, list(health)), "health",
                        np.where(np.isin(kinds, list(education)), "education", "other"))
    da, _, extra = check_hazard(depth, name="flood_depth", to_units="m")
    labels = _grid.band_labels(da, extra)
    stat = "d" if geom <= {"Point"} else "d_max"
    names = _grid.column_names(stat, labels)
    rows = []
    for lab, col in zip(labels, names, strict=True):
        h = wide[col].to_numpy(float)
        for cat in ("health", "education", "other"):
            m = category == cat
            rows.append({RETURN_PERIOD: lab.get(RETURN_PERIOD), "category": cat,
                         "facilities": int(m.sum()),
                         "damaged": int((m & (h > thr)).sum()),
                         "unknown": int((m & np.isnan(h)).sum())})
    return pd.DataFrame(rows)


@dataclass(frozen=True, repr=False)
class SendaiEstimates:
    """Sendai indicators estimated for modelled flood scenarios (:func:`sendai_indicators`).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per return period and code: ``return_period``, ``basis`` (``"modelled,
        RP100"``), ``code``, ``wording``, ``value`` (NaN when it cannot be computed),
        ``unit``, ``parts`` (what was summed), ``missing`` (what is missing and why; empty
        when complete) and ``verified`` (tag of the definition).
    parameters : dict
        The modelling choices (destroyed ratio, persons per dwelling, unit costs, ...).
    """

    table: pd.DataFrame
    parameters: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """Return the tidy table."""
        return self.table.copy()

    def __repr__(self) -> str:
        return (f"SendaiEstimates({self.table['code'].nunique()} codes × "
                f"{self.table[RETURN_PERIOD].nunique()} scenarios)")

    def _repr_html_(self) -> str:
        return self.table.to_html(index=False)


def _by_rp(frame: pd.DataFrame | None, column: str) -> dict:
    if frame is None:
        return {}
    return dict(zip(frame[RETURN_PERIOD].tolist(), frame[column].tolist(), strict=True))


def sendai_indicators(
    return_periods: Sequence[float],
    *,
    housing: pd.DataFrame | None = None,
    productive: pd.DataFrame | None = None,
    infrastructure: Mapping[str, pd.DataFrame] | None = None,
    facilities: pd.DataFrame | None = None,
    city_product: float | None = None,
    population: float | None = None,
    currency: str = "",
    missing: Mapping[str, str] | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> SendaiEstimates:
    """Assemble the Sendai rows of each modelled scenario, stating what is missing.

    Parameters
    ----------
    return_periods : sequence of float
        The scenarios.
    housing : pandas.DataFrame, optional
        :func:`housing_impact` (B-3, B-4, C-4).
    productive : pandas.DataFrame, optional
        :func:`sector_loss` of the productive classes (C-3), column ``loss``.
    infrastructure : mapping of str to pandas.DataFrame, optional
        Parts of C-5, e.g. ``{"roads": road_damage(...)}``, each with a ``loss`` column.
    facilities : pandas.DataFrame, optional
        :func:`facilities_damaged` (D-2, D-3, D-4).
    city_product : float, optional
        Gross city product (currency per year) for C-1; without it C-1 is NaN.
    population : float, optional
        City population for B-1 (per 100,000); without it B-1 is NaN.
    currency : str
        Currency of the losses.
    missing : mapping of str to str, optional
        Why an input of a code is missing (``{"C-3": "no occupancy column"}``), added to
        the code's ``missing`` text.
    parameters : mapping, optional
        Modelling choices recorded in the result.

    Returns
    -------
    SendaiEstimates

    Examples
    --------
    >>> import pandas as pd
    >>> h = pd.DataFrame({"return_period": [100], "people_damaged_dwellings": [15.0],
    ...                   "people_destroyed_dwellings": [25.0], "housing_loss": [110.0]})
    >>> p = pd.DataFrame({"return_period": [100], "loss": [40.0]})
    >>> s = sendai_indicators([100], housing=h, productive=p, city_product=1000.0,
    ...                       population=20000, currency="EUR")
    >>> t = s.table.set_index("code")
    >>> float(t.at["B-1", "value"]), float(t.at["C-1", "value"])  # 40/20000e-5; 150/1000
    (200.0, 15.0)
    >>> t.at["C-1", "missing"]
    'C-2 (agriculture), C-5 (critical infrastructure), C-6 (cultural heritage) not computed'
    """
    rps = [float(v) for v in require_numbers(list(return_periods), name="return_periods",
                                            low=0.0, low_open=True)]
    gdp = None if city_product is None else require_positive(city_product,
                                                             name="city_product")
    pop = None if population is None else require_positive(population, name="population")
    why = dict(missing or {})
    b3 = _by_rp(housing, "people_damaged_dwellings")
    b4 = _by_rp(housing, "people_destroyed_dwellings")
    c4 = _by_rp(housing, "housing_loss")
    c3 = _by_rp(productive, "loss")
    c5_parts = {name: _by_rp(f, "loss") for name, f in (infrastructure or {}).items()}
    d = {}
    if facilities is not None:
        for r in facilities.itertuples():
            d[(float(r.return_period), r.category)] = float(r.damaged)
    names = {"C-2": "agriculture", "C-3": "productive assets", "C-4": "housing",
             "C-5": "critical infrastructure", "C-6": "cultural heritage",
             "B-2": "injured or ill", "B-3": "damaged dwellings",
             "B-4": "destroyed dwellings", "B-5": "livelihoods"}
    rows = []

    def add(rp, code, value, parts="", miss=""):
        ind = SENDAI_INDICATORS[code]
        extra = why.get(code, "")
        miss = "; ".join(m for m in (miss, extra) if m)
        unit = currency if ind.unit == "currency" else ind.unit
        v = np.nan if value is None else float(value)
        if np.isnan(v) and not miss:
            miss = "not computed"
        rows.append({RETURN_PERIOD: rp, "basis": scenario_label(rp), "code": code,
                     "wording": ind.wording, "value": v, "unit": unit, "parts": parts,
                     "missing": miss, "verified": ind.verified})

    for rp in rps:
        v3, v4 = _get(b3, rp), _get(b4, rp)
        add(rp, "B-3", v3, miss="" if v3 is not None else "needs dwellings per building "
            "and persons per dwelling")
        add(rp, "B-4", v4, miss="" if v4 is not None else "needs dwellings per building "
            "and persons per dwelling")
        have_b = [c for c, v in (("B-3", v3), ("B-4", v4)) if v is not None]
        lack_b = [c for c in B1_PARTS if c not in have_b]
        b1 = None
        miss_b1 = ", ".join(f"{c} ({names[c]})" for c in lack_b) + " not computed"
        if have_b and pop is not None:
            b1 = (sum(v for v in (v3, v4) if v is not None)) / pop * 1e5
        elif pop is None:
            miss_b1 += "; needs the city population"
        add(rp, "B-1", b1, parts=" + ".join(have_b), miss=miss_b1)
        v_c3, v_c4 = _get(c3, rp), _get(c4, rp)
        add(rp, "C-3", v_c3)
        add(rp, "C-4", v_c4)
        c5_have = {n: _get(p, rp) for n, p in c5_parts.items()}
        c5_have = {n: v for n, v in c5_have.items() if v is not None}
        v_c5 = sum(c5_have.values()) if c5_have else None
        add(rp, "C-5", v_c5, parts=" + ".join(c5_have),
            miss="" if c5_have else "no critical-infrastructure loss computed")
        have_c = {c: v for c, v in (("C-3", v_c3), ("C-4", v_c4), ("C-5", v_c5))
                  if v is not None}
        lack_c = [c for c in C1_PARTS if c not in have_c]
        c1 = None
        miss_c1 = ", ".join(f"{c} ({names[c]})" for c in lack_c) + " not computed"
        if have_c and gdp is not None:
            c1 = 100.0 * sum(have_c.values()) / gdp
        elif gdp is None:
            miss_c1 += "; needs the city product"
        add(rp, "C-1", c1, parts=" + ".join(have_c), miss=miss_c1)
        for code, cat in (("D-2", "health"), ("D-3", "education"), ("D-4", "other")):
            v = d.get((rp, cat))
            add(rp, code, v, miss="" if v is not None else "needs a facilities layer with a "
                "type column")
    table = pd.DataFrame(rows)
    return SendaiEstimates(table, dict(parameters or {}))


def _get(mapping: dict, rp: float) -> float | None:
    for k, v in mapping.items():
        if float(k) == rp:
            v = float(v)
            return None if np.isnan(v) else v
    return None


def annual_loss_percent(ead: float, city_product: float) -> float:
    """ISO 37123 §5.2: average annual disaster loss as a percentage of city product.

    ``100 × EAD / city product``, with the expected annual damage standing in for the
    average annual loss. Only the title of §5.2 was read ([P-toc]); its numerator and
    denominator clauses (5.2.2) were not, so which losses and which product year the
    standard asks for is unverified.

    Parameters
    ----------
    ead : float
        Expected annual damage (currency per year), >= 0.
    city_product : float
        City product (same currency, per year), > 0.

    Examples
    --------
    >>> annual_loss_percent(2.5e6, 1.0e9)
    0.25
    """
    loss = require_number(ead, name="ead", low=0.0)
    gdp = require_positive(city_product, name="city_product")
    return 100.0 * loss / gdp
