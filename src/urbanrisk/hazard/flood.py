"""Flood exposure and risk of a city: the decisions a flood profile makes, as public functions.

Each function takes flood depth maps with a ``return_period`` dimension and answers one
question of a flood profile, with the rule stated in its docstring and recorded in its result:

- :func:`flood_building_exposure`: which buildings are exposed (the maximum depth over the
  footprint exceeds a threshold), with the footprint statistics the damage needs, as a long
  table with a ``return_period`` column (the typed input of :mod:`urbanrisk.hazard.impact`);
- :func:`flood_road_exposure`: road length in water deeper than a threshold, per road and per
  return period;
- :func:`flood_risk`: damage per return period, expected annual damage with its bounds, per
  asset and per zone, from the long damage table of :func:`~urbanrisk.hazard.asset_damage`.

People above a threshold are :func:`~urbanrisk.hazard.people_above`.

**Dry or unknown.** Many flood maps store dry cells as nodata. ``nodata_as=0.0`` declares that
a NaN cell *inside* the raster is dry (depth 0: a building there is not exposed and has no
damage); a building or road outside the raster's extent is unknown (NaN), whatever
``nodata_as`` says, and is counted in a logged warning.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import xarray as xr

from urbanrisk.errors import InputValueError
from urbanrisk.hazard import _grid
from urbanrisk.hazard._grid import check_hazard, column_names
from urbanrisk.hazard.exposure import line_exposure, polygon_exposure
from urbanrisk.hazard.impact import (
    ASSET,
    RETURN_PERIOD,
    EADBounds,
    EADResult,
    aggregate,
    ead_bounds,
    exceedance_curve,
    expected_annual_damage,
)
from urbanrisk.layers import require_number

__all__ = [
    "BuildingExposure",
    "RoadExposure",
    "FloodRisk",
    "flood_building_exposure",
    "flood_road_exposure",
    "flood_risk",
]

#: Columns that :func:`flood_building_exposure` adds to each (building, return period) row.
EVENT_COLUMNS = ("max_depth_m", "mean_depth_m", "wet_mean_depth_m", "wet_fraction", "exposed")


def _check_depth(depth: xr.DataArray) -> tuple[xr.DataArray, list[int | float]]:
    """Depth through the contract, in metres, with exactly a ``return_period`` extra dim."""
    da, _, extra = check_hazard(depth, name=str(getattr(depth, "name", None) or "flood_depth"),
                                to_units="m")
    if extra != [RETURN_PERIOD]:
        raise InputValueError(
            f"flood depth must have dims (return_period, y, x), got {tuple(da.dims)}; for one "
            "map use depth.expand_dims(return_period=[100])."
        )
    rps = [v.item() if hasattr(v, "item") else v for v in da[RETURN_PERIOD].values]
    return da, rps


def _repr_table(obj, frame: pd.DataFrame) -> str:
    return f"{type(obj).__name__}\n{frame.to_string(index=False)}"


# --------------------------------------------------------------------------------------
# Buildings
# --------------------------------------------------------------------------------------
@dataclass(frozen=True, repr=False)
class BuildingExposure:
    """Buildings exposed to flooding per return period (from :func:`flood_building_exposure`).

    Attributes
    ----------
    events : geopandas.GeoDataFrame
        Long table, one row per building and return period: the building's own columns and
        geometry, ``feature`` (its index label), ``return_period``, ``max_depth_m`` (maximum
        depth over the footprint), ``mean_depth_m`` (coverage-weighted mean),
        ``wet_mean_depth_m`` (mean over the part deeper than 0, NaN when dry),
        ``wet_fraction`` (share of the footprint deeper than 0) and ``exposed``
        (``max_depth_m > threshold_m``). Read it with :func:`~urbanrisk.hazard.asset_damage`
        (``intensity="wet_mean_depth_m", fraction_wet="wet_fraction"``).
    per_building : geopandas.GeoDataFrame
        The buildings on their own index with one column per statistic and return period
        (``flood_depth_m_max_rp100`` ..., ``flood_exposed_rp100``), for export and maps.
    threshold_m : float
        A building is exposed when its maximum depth is above this.
    return_periods : tuple
        Return periods of the depth maps, in years.
    nodata_as : float or None
        Depth given to NaN cells inside the raster (0.0: nodata is dry).
    converted_from_units : str or None
        Units of the depth maps before conversion to metres, when they were converted.
    """

    events: gpd.GeoDataFrame
    per_building: gpd.GeoDataFrame
    threshold_m: float
    return_periods: tuple
    nodata_as: float | None
    converted_from_units: str | None

    def to_frame(self) -> pd.DataFrame:
        """Per return period: ``buildings``, ``buildings_exposed``, ``buildings_unknown``."""
        g = self.events.groupby(RETURN_PERIOD, sort=True)
        out = pd.DataFrame({
            "buildings": g.size(),
            "buildings_exposed": g["exposed"].sum().astype(int),
            "buildings_unknown": g["max_depth_m"].apply(lambda s: int(s.isna().sum())),
        }).reset_index()
        out["threshold_m"] = self.threshold_m
        return out

    def exposed(self, return_period) -> np.ndarray:
        """Boolean per building (``per_building`` order): exposed in that event."""
        ev = self.events[self.events[RETURN_PERIOD] == return_period]
        if ev.empty:
            raise InputValueError(
                f"No depth map for return period {return_period!r}; have {self.return_periods}."
            )
        return ev["exposed"].to_numpy(bool)

    def __repr__(self) -> str:
        return _repr_table(self, self.to_frame())

    def _repr_html_(self) -> str:
        return self.to_frame().to_html(index=False)


def flood_building_exposure(
    buildings: gpd.GeoDataFrame,
    depth: xr.DataArray,
    *,
    threshold_m: float,
    nodata_as: float | None = None,
) -> BuildingExposure:
    """Which buildings are exposed to each mapped flood, and the depths their damage needs.

    A building is **exposed** when the maximum flood depth over its footprint is strictly
    above ``threshold_m``; every cell the footprint touches counts, however small the
    overlap (exact cell coverage fractions, see
    :func:`~urbanrisk.hazard.polygon_exposure`). The same pass gives the mean depth over
    the wet part of the footprint and the wet share, which Delft-FIAT's area rule uses for
    the damage.

    Parameters
    ----------
    buildings : geopandas.GeoDataFrame
        Footprints (Polygon / MultiPolygon). Must not have columns named ``feature``,
        ``return_period`` or those of :data:`EVENT_COLUMNS`.
    depth : xarray.DataArray
        Flood depth, dims ``(return_period, y, x)``, length units (feet are converted to
        metres).
    threshold_m : float
        Depth in metres above which a building counts as exposed (``0.0``: any water).
    nodata_as : float, optional
        Depth of NaN cells inside the raster: ``0.0`` when the maps store dry cells as
        nodata (then a building on dry cells has depth 0, is not exposed and has no
        damage). Buildings outside the raster's extent stay NaN (unknown) in any case and
        are never counted as exposed.

    Returns
    -------
    BuildingExposure
        ``events`` (long, typed by ``return_period``), ``per_building`` (wide, for export)
        and ``to_frame()``, the counts per return period.

    Examples
    --------
    Two 1 m footprints on a grid of 1 m cells; the second sits on a nodata (dry) cell:

    >>> import numpy as np, geopandas as gpd
    >>> from shapely.geometry import box
    >>> from urbanrisk.layers import raster_from_array
    >>> d = raster_from_array(np.array([[[0.2, np.nan]], [[0.8, np.nan]]]), crs=3067,
    ...     transform=(1, 0, 0, 0, -1, 1), units="m", name="flood_depth",
    ...     extra_dim="return_period", extra_coords=[10, 100])
    >>> b = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=3067)
    >>> e = flood_building_exposure(b, d, threshold_m=0.5, nodata_as=0.0)
    >>> e.to_frame()[["return_period", "buildings", "buildings_exposed"]]
       return_period  buildings  buildings_exposed
    0             10          2                  0
    1            100          2                  1
    >>> e.events["max_depth_m"].tolist()   # the dry building has depth 0, not NaN
    [0.2, 0.0, 0.8, 0.0]
    """
    thr = require_number(threshold_m, name="threshold_m", units="m")
    clash = [c for c in (ASSET, RETURN_PERIOD, *EVENT_COLUMNS) if c in buildings.columns]
    if clash:
        raise InputValueError(
            f"buildings already has columns {clash}, which the exposure table adds; rename them."
        )
    da, rps = _check_depth(depth)
    base = "flood_depth_m"
    wide = polygon_exposure(buildings, da, stats=("max", "mean", "fraction_above", "mean_above"),
                            threshold=0.0, column=base, nodata_as=nodata_as)
    labels = _grid.band_labels(da, [RETURN_PERIOD])
    names = {s: column_names(f"{base}_{s}", labels)
             for s in ("max", "mean", "fraction_above_0", "mean_above_0")}
    frames = []
    per_building = wide.copy()
    for k, rp in enumerate(rps):
        ev = pd.DataFrame(buildings.drop(columns=buildings.geometry.name))
        ev.insert(0, ASSET, buildings.index.to_numpy())
        ev.insert(1, RETURN_PERIOD, rp)
        ev["max_depth_m"] = wide[names["max"][k]].to_numpy()
        ev["mean_depth_m"] = wide[names["mean"][k]].to_numpy()
        ev["wet_mean_depth_m"] = wide[names["mean_above_0"][k]].to_numpy()
        ev["wet_fraction"] = wide[names["fraction_above_0"][k]].to_numpy()
        exposed = ev["max_depth_m"].to_numpy() > thr  # NaN (unknown) is never exposed
        ev["exposed"] = exposed
        ev["geometry"] = buildings.geometry.to_numpy()
        frames.append(ev)
        per_building[column_names("flood_exposed", [labels[k]])[0]] = exposed
    events = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry",
                              crs=buildings.crs)
    events.attrs = {"units": {"max_depth_m": "m", "mean_depth_m": "m",
                              "wet_mean_depth_m": "m", "wet_fraction": "1"}}
    return BuildingExposure(events, per_building, thr, tuple(rps),
                            _grid.check_nodata_as(nodata_as),
                            wide.attrs.get("hazard_converted_from_units"))


# --------------------------------------------------------------------------------------
# Roads
# --------------------------------------------------------------------------------------
@dataclass(frozen=True, repr=False)
class RoadExposure:
    """Road length in water deeper than a threshold (from :func:`flood_road_exposure`).

    Attributes
    ----------
    pieces : pandas.DataFrame
        The :func:`~urbanrisk.hazard.line_exposure` table (``feature``, ``return_period``,
        ``hazard_class``, ``class_lower``, ``class_upper``, ``length_m``).
    per_road : geopandas.GeoDataFrame
        The roads on their own index with ``flood_exposed_length_m_rp<T>`` per return period.
    threshold_m : float
        Depth above which a road piece is exposed.
    return_periods : tuple
        Return periods, in years.
    """

    pieces: pd.DataFrame
    per_road: gpd.GeoDataFrame
    threshold_m: float
    return_periods: tuple

    def to_frame(self) -> pd.DataFrame:
        """Per return period: ``exposed_length_m`` and ``exposed_length_km``."""
        above = self.pieces[self.pieces["class_lower"] >= self.threshold_m]
        per = above.groupby(RETURN_PERIOD)["length_m"].sum()
        out = pd.DataFrame({RETURN_PERIOD: list(self.return_periods)})
        out["exposed_length_m"] = per.reindex(self.return_periods).fillna(0.0).to_numpy()
        out["exposed_length_km"] = out["exposed_length_m"] / 1000.0
        out["threshold_m"] = self.threshold_m
        return out

    def __repr__(self) -> str:
        return _repr_table(self, self.to_frame())

    def _repr_html_(self) -> str:
        return self.to_frame().to_html(index=False)


def flood_road_exposure(
    roads: gpd.GeoDataFrame,
    depth: xr.DataArray,
    *,
    threshold_m: float,
    nodata_as: float | None = None,
) -> RoadExposure:
    """Length of each road in water deeper than ``threshold_m``, per return period.

    Roads are split exactly at cell boundaries (:func:`~urbanrisk.hazard.line_exposure`);
    a piece is exposed when the depth of its cell is strictly above ``threshold_m``. Pieces
    on nodata cells (unless ``nodata_as`` is given) and outside the raster are not counted.

    Parameters
    ----------
    roads : geopandas.GeoDataFrame
        LineString / MultiLineString features.
    depth : xarray.DataArray
        Flood depth, dims ``(return_period, y, x)``, length units.
    threshold_m : float
        Depth in metres.
    nodata_as : float, optional
        Depth of NaN cells inside the raster (``0.0`` when nodata means dry).

    Returns
    -------
    RoadExposure
        ``pieces``, ``per_road`` and ``to_frame()`` (km per return period).

    Examples
    --------
    A 2 m road over two 1 m cells, one 0.8 m deep in the 100-year map:

    >>> import numpy as np, geopandas as gpd
    >>> from shapely.geometry import LineString
    >>> from urbanrisk.layers import raster_from_array
    >>> d = raster_from_array(np.array([[[0.0, 0.2]], [[0.0, 0.8]]]), crs=3067,
    ...     transform=(1, 0, 0, 0, -1, 1), units="m", name="flood_depth",
    ...     extra_dim="return_period", extra_coords=[10, 100])
    >>> road = gpd.GeoDataFrame(geometry=[LineString([(0, 0.5), (2, 0.5)])], crs=3067)
    >>> r = flood_road_exposure(road, d, threshold_m=0.5)
    >>> r.to_frame()["exposed_length_m"].tolist()
    [0.0, 1.0]
    >>> r.per_road["flood_exposed_length_m_rp100"].tolist()
    [1.0]
    """
    thr = require_number(threshold_m, name="threshold_m", units="m")
    da, rps = _check_depth(depth)
    pieces = line_exposure(roads, da, bins=[thr], nodata_as=nodata_as)
    above = pieces[pieces["class_lower"] >= thr]
    per = above.pivot_table(index="feature", columns=RETURN_PERIOD, values="length_m",
                            aggfunc="sum")
    per = per.reindex(index=roads.index, columns=rps).fillna(0.0)
    out = roads.copy()
    labels = _grid.band_labels(da, [RETURN_PERIOD])
    for k, rp in enumerate(rps):
        out[column_names("flood_exposed_length_m", [labels[k]])[0]] = per[rp].to_numpy()
    return RoadExposure(pieces, out, thr, tuple(rps))


# --------------------------------------------------------------------------------------
# Damage and EAD
# --------------------------------------------------------------------------------------
@dataclass(frozen=True, repr=False)
class FloodRisk:
    """Damage per return period and expected annual damage with bounds (:func:`flood_risk`).

    Attributes
    ----------
    damage : pandas.DataFrame
        Total damage per return period (``return_period``, ``exceedance_probability``,
        ``damage``): :func:`~urbanrisk.hazard.exceedance_curve`.
    ead : EADResult
        Expected annual damage (rule, tail and units recorded in it).
    bounds : EADBounds
        Lower and upper bound (:func:`~urbanrisk.hazard.ead_bounds`).
    per_asset : pandas.DataFrame
        Indexed by asset (``feature``): ``damage_rp<T>`` per return period, ``ead``,
        ``ead_lower``, ``ead_upper``.
    per_zone : pandas.DataFrame or None
        Tidy: ``zone``, ``variable`` (``damage``, ``ead``, ``ead_lower``, ``ead_upper``),
        ``return_period`` (NaN for the EAD rows) and ``value``; assets in no zone have zone
        NaN.
    units : str or None
        Currency of the damages (EAD in units per year).
    per_event : pandas.DataFrame or None
        Long table, one row per asset and return period: ``feature``, ``return_period``
        and ``damage`` (the input of :func:`flood_risk`, typed; no column-name parsing).
    """

    damage: pd.DataFrame
    ead: EADResult
    bounds: EADBounds
    per_asset: pd.DataFrame
    per_zone: pd.DataFrame | None
    units: str | None
    per_event: pd.DataFrame | None = None

    def to_frame(self) -> pd.DataFrame:
        """Tidy summary: ``variable``, ``return_period``, ``value``, ``units``, ``rule``."""
        rows = [("damage", float(r.return_period), float(r.damage), self.units, "")
                for r in self.damage.itertuples()]
        per_yr = f"{self.units}/yr" if self.units else None
        rows += [("ead", np.nan, self.ead.total, per_yr, self.ead.description),
                 ("ead_lower", np.nan, self.bounds.lower.total, per_yr,
                  self.bounds.lower.description),
                 ("ead_upper", np.nan, self.bounds.upper.total, per_yr,
                  self.bounds.upper.description)]
        return pd.DataFrame(rows, columns=["variable", RETURN_PERIOD, "value", "units", "rule"])

    def zone_totals(self, variable: str = "ead") -> pd.Series:
        """``variable`` summed per zone (a Series indexed by zone name)."""
        if self.per_zone is None:
            raise InputValueError("flood_risk() was called without zones.")
        t = self.per_zone[self.per_zone["variable"] == variable]
        return t.groupby("zone", dropna=False)["value"].sum()

    def __repr__(self) -> str:
        f = self.to_frame()[["variable", RETURN_PERIOD, "value", "units"]]
        return _repr_table(self, f)

    def _repr_html_(self) -> str:
        return self.to_frame().to_html(index=False)


def flood_risk(
    damage: gpd.GeoDataFrame | pd.DataFrame,
    *,
    rule: Literal["lower_step", "trapezoid", "log_linear"] = "trapezoid",
    tail: Literal["flat", "none"] = "flat",
    zero_damage_return_period: float | None = None,
    max_damage: str | Sequence[float] | None = None,
    zones: gpd.GeoDataFrame | None = None,
    zone_column: str | None = None,
    column: str = "damage",
) -> FloodRisk:
    """Damage per return period, EAD and its bounds, per asset and per zone.

    Parameters
    ----------
    damage : geopandas.GeoDataFrame or pandas.DataFrame
        Long table, one row per asset and return period, with ``feature``,
        ``return_period`` and the damage ``column``: :func:`~urbanrisk.hazard.asset_damage`
        applied to :attr:`BuildingExposure.events`. A GeoDataFrame is needed for ``zones``.
    rule, tail, zero_damage_return_period
        As in :func:`~urbanrisk.hazard.expected_annual_damage`.
    max_damage : str or sequence, optional
        Rare-tail cap of the upper bound, as in :func:`~urbanrisk.hazard.ead_bounds`.
    zones : geopandas.GeoDataFrame, optional
        Polygons (districts); each asset counts in the zone holding its representative
        point (:func:`~urbanrisk.hazard.aggregate`).
    zone_column : str, optional
        Column naming the zones; default their index.
    column : str, default "damage"
        Damage column.

    Returns
    -------
    FloodRisk

    Examples
    --------
    Two buildings, damages at the 10- and 100-year floods:

    >>> import pandas as pd
    >>> d = pd.DataFrame({"feature": [0, 1, 0, 1], "return_period": [10, 10, 100, 100],
    ...                   "damage": [100.0, 0.0, 1000.0, 50.0]})
    >>> r = flood_risk(d, rule="lower_step")
    >>> round(r.ead.total, 6), round(r.bounds.upper.total, 6)  # 19 + 0.5; 100 + 5
    (19.5, 105.0)
    >>> r.per_asset[["damage_rp10", "damage_rp100", "ead"]].round(6).values.tolist()
    [[100.0, 1000.0, 19.0], [0.0, 50.0, 0.5]]
    """
    if not isinstance(damage, pd.DataFrame) or RETURN_PERIOD not in damage.columns \
            or ASSET not in damage.columns:
        raise InputValueError(
            "damage must be a long table with 'feature' and 'return_period' columns, e.g. "
            "asset_damage(flood_building_exposure(...).events, ...)."
        )
    ead = expected_annual_damage(damage, rule=rule, tail=tail,
                                 zero_damage_return_period=zero_damage_return_period,
                                 column=column)
    bounds = ead_bounds(damage, max_damage=max_damage,
                        zero_damage_return_period=zero_damage_return_period, column=column)
    curve = exceedance_curve(damage, column=column)
    wide = damage.pivot(index=ASSET, columns=RETURN_PERIOD, values=column)
    wide = wide.reindex(index=ead.per_asset.index, columns=sorted(wide.columns))
    per_asset = pd.DataFrame(index=ead.per_asset.index)
    labels = [{RETURN_PERIOD: rp} for rp in wide.columns]
    for name, rp in zip(column_names(column, labels), wide.columns, strict=True):
        per_asset[name] = wide[rp].to_numpy(float)
    per_asset["ead"] = ead.per_asset.to_numpy()
    per_asset["ead_lower"] = bounds.lower.per_asset.to_numpy()
    per_asset["ead_upper"] = bounds.upper.per_asset.to_numpy()
    per_zone = None
    if zones is not None:
        if not isinstance(damage, gpd.GeoDataFrame):
            raise InputValueError("zones= needs the damage table as a GeoDataFrame.")
        first = damage.drop_duplicates(ASSET).set_index(ASSET)
        assets = gpd.GeoDataFrame(per_asset[["ead", "ead_lower", "ead_upper"]],
                                  geometry=first.geometry.reindex(per_asset.index).to_numpy(),
                                  crs=damage.crs)
        by_rp = aggregate(damage, column, by=RETURN_PERIOD, zones=zones,
                          zone_column=zone_column)
        by_ead = aggregate(assets, ["ead", "ead_lower", "ead_upper"], zones=zones,
                           zone_column=zone_column)
        by_ead[RETURN_PERIOD] = np.nan
        per_zone = pd.concat([by_ead, by_rp], ignore_index=True)[
            ["zone", "variable", RETURN_PERIOD, "value"]]
    per_event = pd.DataFrame({ASSET: damage[ASSET].to_numpy(),
                              RETURN_PERIOD: damage[RETURN_PERIOD].to_numpy(),
                              "damage": damage[column].to_numpy(float)})
    return FloodRisk(curve, ead, bounds, per_asset, per_zone, ead.units, per_event)
