"""Sea-level rise scenarios: IPCC AR6 projections, local land motion, vertical reference, surge.

The building blocks of "how high is the water in year *t* under scenario *s*":

* :func:`ar6_global_mean_sea_level` — the IPCC AR6 WG1 Table 9.9 global mean sea-level (GMSL)
  projections (Fox-Kemper et al. 2021, Chapter 9), median and *likely* range, relative to
  1995–2014, interpolated linearly between the published years;
* :func:`projection_from_table` — a user's own projection (e.g. a regional one from the
  NASA/IPCC sea-level projection tool, in mm, with quantiles 0.167/0.5/0.833);
* :func:`relative_sea_level` — adds vertical land motion (subsidence positive);
* :class:`VerticalReference` and :func:`reference_dem` — the DEM's datum and the water
  surface the projections are added to (mean sea level or a high-tide surface such as MHHW,
  scalar or raster), kept as explicit metadata;
* :func:`water_levels` — projection plus extreme still-water levels per return period.

Every projection is an :class:`xarray.DataArray` with dims ``(scenario, quantile, year)``,
units ``m`` and ``attrs["baseline"]`` (the period the changes are relative to).

Examples
--------
>>> slr = ar6_global_mean_sea_level(scenarios=["SSP1-2.6", "SSP5-8.5"], years=[2050, 2100])
>>> slr.sel(quantile=0.5).values.round(2).tolist()
[[0.19, 0.44], [0.23, 0.77]]
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from urbanrisk.errors import DimensionError, InputValueError, UnitsError
from urbanrisk.layers import (
    prepare_raster,
    require_dims,
    require_number,
    require_numbers,
    require_numeric_column,
    require_same_crs,
)
from urbanrisk.units import convert, normalize_units, quantity_of

__all__ = [
    "AR6_SCENARIOS",
    "AR6_QUANTILES",
    "AR6_BASELINE",
    "AR6_BASELINE_YEAR",
    "VerticalReference",
    "ar6_global_mean_sea_level",
    "projection_from_table",
    "interpolate_years",
    "annual_years",
    "select_projection",
    "relative_sea_level",
    "reference_dem",
    "water_levels",
]

logger = logging.getLogger(__name__)

#: Scenario names of AR6 WG1 Table 9.9, in the order of the table.
AR6_SCENARIOS: tuple[str, ...] = (
    "SSP1-1.9",
    "SSP1-2.6",
    "SSP2-4.5",
    "SSP3-7.0",
    "SSP5-8.5",
    "SSP5-8.5 low confidence",
)
#: Quantiles of Table 9.9: 17th percentile, median, 83rd percentile (the *likely* range).
AR6_QUANTILES: tuple[float, ...] = (0.17, 0.5, 0.83)
#: Period the AR6 projections are relative to.
AR6_BASELINE = "1995-2014"
#: Central year of the baseline period; the projections are zero there by construction.
AR6_BASELINE_YEAR = 2005

_TABLE_FILE = "ar6_table_9_9_gmsl.csv"
_QUANTILE_TOL = 0.005
_SCENARIO_ALIASES = {
    "ssp119": "SSP1-1.9",
    "ssp126": "SSP1-2.6",
    "ssp245": "SSP2-4.5",
    "ssp370": "SSP3-7.0",
    "ssp585": "SSP5-8.5",
}


# --------------------------------------------------------------------------------------
# Projections
# --------------------------------------------------------------------------------------
def _read_ar6_table() -> pd.DataFrame:
    path = resources.files("urbanrisk.coast").joinpath("data", _TABLE_FILE)
    with resources.as_file(path) as p:
        return pd.read_csv(p, comment="#")


def _canonical_scenario(name: str) -> str:
    key = str(name).strip()
    compact = key.lower().replace("-", "").replace(".", "").replace("_", "").replace(" ", "")
    for alias, canonical in _SCENARIO_ALIASES.items():
        if compact == alias:
            return canonical
        if compact.startswith(alias) and "low" in compact:
            return f"{canonical} low confidence"
    return key


def _to_dataarray(df: pd.DataFrame, *, baseline: str, source: str) -> xr.DataArray:
    """Tidy ``scenario, quantile, year, value_m`` frame → DataArray."""
    dup = df.duplicated(["scenario", "quantile", "year"])
    if dup.any():
        raise InputValueError(
            f"The projection table has {int(dup.sum())} duplicate (scenario, quantile, year) "
            "rows; keep one value per combination."
        )
    da = (
        df.set_index(["scenario", "quantile", "year"])["value_m"]
        .to_xarray()
        .astype(float)
        .sortby(["quantile", "year"])
    )
    order = [s for s in dict.fromkeys(df["scenario"])]
    da = da.sel(scenario=order)
    if da.isnull().any():
        raise InputValueError(
            "The projection table is incomplete: every scenario needs a value for every "
            "quantile and year it lists."
        )
    da.name = "sea_level_change"
    da.attrs = {"units": "m", "baseline": baseline, "source": source}
    return da


def ar6_global_mean_sea_level(
    *,
    scenarios: Sequence[str] | None = None,
    quantiles: Sequence[float] | None = None,
    years: Iterable[int] | None = None,
) -> xr.DataArray:
    """IPCC AR6 global mean sea-level rise (WG1 Table 9.9), relative to 1995–2014.

    Values are the *total* GMSL change of AR6 WG1 Chapter 9, Table 9.9 (Fox-Kemper et al.
    2021): the median and the *likely* range (17th–83rd percentiles) for 2030, 2050, 2090,
    2100 and 2150, for SSP1-1.9, SSP1-2.6, SSP2-4.5, SSP3-7.0, SSP5-8.5 and the SSP5-8.5
    *low confidence* variant (which adds marine ice-cliff and other deeply uncertain ice-sheet
    processes; its 17th–83rd range is not an assessed likely range).

    **Published and interpolated years.** Table 9.9 publishes 2030, 2050, 2090, 2100 and
    2150 only. Every other year (2040, 2060, 2070, 2080, 2110–2140 and all single years) is
    **interpolated by urbanrisk, linearly in time** between the published years, for each
    scenario and quantile separately; it is not an AR6 value. Before 2030 the interpolation
    starts from zero in 2005, the centre of the 1995–2014 baseline (the projections are
    zero there by definition). Years before 2005 or after 2150 are refused. The result
    records which of its years are published and which interpolated
    (``attrs["published_years"]``, ``attrs["interpolated_years"]``,
    ``attrs["interpolation"]``). The full AR6 projections with quantiles per decade
    2020–2150 (Garner et al. 2021, *IPCC AR6 Sea Level Projections*,
    doi:10.5281/zenodo.5914709, CC BY 4.0) are not bundled: no package we found on
    PyPI ships their global-mean values. Their decades between the table's years
    follow the (upward-curving) projections, not a straight line; load them with
    :func:`projection_from_table` where that matters.

    Parameters
    ----------
    scenarios : sequence of str, optional
        Subset of :data:`AR6_SCENARIOS` (``"ssp585"`` style names are accepted).
    quantiles : sequence of float, optional
        Subset of :data:`AR6_QUANTILES`; ``0.167``/``0.833`` select the 17th/83rd percentiles.
    years : iterable of int, optional
        Years to return; by default the published years (2030, 2050, 2090, 2100, 2150).

    Returns
    -------
    xarray.DataArray
        Dims ``(scenario, quantile, year)``, units ``m``, ``attrs["baseline"] = "1995-2014"``.

    Raises
    ------
    InputValueError
        Unknown scenario, a quantile not in the table, or a year outside 2005–2150.

    Examples
    --------
    >>> slr = ar6_global_mean_sea_level(scenarios=["SSP2-4.5"], years=[2050, 2070, 2100])
    >>> slr.sel(quantile=0.5).values.round(3).tolist()
    [[0.2, 0.34, 0.56]]
    """
    table = _read_ar6_table()
    anchor = pd.DataFrame(
        [
            {"scenario": s, "year": AR6_BASELINE_YEAR, "quantile": q, "value_m": 0.0}
            for s in AR6_SCENARIOS
            for q in AR6_QUANTILES
        ]
    )
    da = _to_dataarray(
        pd.concat([anchor, table], ignore_index=True),
        baseline=AR6_BASELINE,
        source="IPCC AR6 WG1 Table 9.9 (Fox-Kemper et al. 2021)",
    )
    published = sorted(int(y) for y in table["year"].unique())
    da.attrs["published_years"] = json.dumps(published)
    da = select_projection(da, scenarios=scenarios, quantiles=quantiles)
    if years is None:
        years = [y for y in da["year"].values.tolist() if y != AR6_BASELINE_YEAR]
    out = interpolate_years(da, years)
    out.attrs["interpolated_years"] = json.dumps(
        [int(y) for y in out["year"].values if int(y) not in published])
    out.attrs["interpolation"] = (
        "linear in time between the published years of Table 9.9 (from 0 m in 2005 before "
        "2030); interpolated years are not AR6 values"
    )
    return out


def annual_years(years: Iterable[int], *, start: int = 2020) -> list[int]:
    """Every year from ``start`` (or the first of ``years``, if earlier) to the last of ``years``.

    The years at which the city profile resolves the first year a building is reached, so
    that it is a year, not one of the few reporting years (the levels in between are the
    projection's interpolation, see :func:`ar6_global_mean_sea_level`).

    Examples
    --------
    >>> yrs = annual_years([2050, 2100])
    >>> yrs[0], yrs[-1], len(yrs)
    (2020, 2100, 81)
    >>> annual_years([2010, 2030])[:2]
    [2010, 2011]
    """
    yrs = _require_whole_years(np.atleast_1d(np.asarray(list(years)))).astype(int)
    if yrs.size == 0:
        raise InputValueError("years is empty.")
    first = min(int(_require_whole_years(np.atleast_1d(start), name="start")[0]),
                int(yrs.min()))
    return list(range(first, int(yrs.max()) + 1))


def projection_from_table(
    table: pd.DataFrame | str | Path,
    *,
    units: str = "m",
    baseline: str = AR6_BASELINE,
    value_column: str | None = None,
    scenario: str | None = None,
) -> xr.DataArray:
    """Build a sea-level projection from the user's own table (e.g. a regional AR6 projection).

    Two layouts are accepted:

    * **tidy**: columns ``scenario``, ``quantile``, ``year`` and one value column
      (``value_column``, default the one remaining numeric column);
    * **wide**, as exported by the NASA/IPCC sea-level projection tool: columns
      ``scenario`` (or pass ``scenario=``), ``quantile`` and one column per year
      (``2020``, ``2030``, ...). Other columns (``psmsl_id``, ``process``, ``confidence``
      ...) are ignored.

    Quantiles given in percent (17, 50, 83) are converted to fractions. Quantiles such as
    0.167/0.833 are kept as given; :func:`select_projection` matches 0.17 to 0.167.

    Parameters
    ----------
    table : pandas.DataFrame or path
        The table, or a CSV file holding it.
    units : str, default "m"
        Units of the values: any length unit (``"mm"``, ``"cm"``, ``"ft"`` ...), converted
        to m (the NASA/IPCC tool files are in mm).
    baseline : str, default "1995-2014"
        Period the changes are relative to; checked against the
        :class:`VerticalReference` later.
    value_column : str, optional
        Value column of a tidy table.
    scenario : str, optional
        Scenario name for a table without a ``scenario`` column.

    Returns
    -------
    xarray.DataArray
        Dims ``(scenario, quantile, year)``, units ``m``.

    Examples
    --------
    >>> nasa = pd.DataFrame({"process": "total", "scenario": "ssp245",
    ...                      "quantile": [17, 50, 83],
    ...                      "2020": [50, 70, 90], "2050": [150, 200, 260]})
    >>> p = projection_from_table(nasa, units="mm")
    >>> p.sel(year=2050).values.tolist()
    [[0.15, 0.2, 0.26]]
    """
    if not isinstance(table, pd.DataFrame):
        table = pd.read_csv(table, comment="#")
    df = table.copy()
    df.columns = [str(c).strip() for c in df.columns]
    if "scenario" not in df.columns:
        if scenario is None:
            raise InputValueError(
                "The projection table has no 'scenario' column; pass scenario='SSP2-4.5' "
                "(or the name of your projection)."
            )
        df["scenario"] = scenario
    if "quantile" not in df.columns:
        raise InputValueError(
            "The projection table needs a 'quantile' column (e.g. 0.17, 0.5, 0.83 or 17, 50, 83)."
        )
    year_cols = [c for c in df.columns if c.isdigit() and len(c) == 4]
    if year_cols:
        df = df.melt(
            id_vars=["scenario", "quantile"], value_vars=year_cols, var_name="year",
            value_name="value",
        )
        value_column = "value"
    else:
        if "year" not in df.columns:
            raise InputValueError(
                "The projection table needs a 'year' column (tidy layout) or one column per "
                "year such as '2050' (wide layout of the NASA/IPCC tool)."
            )
        if value_column is None:
            rest = [
                c for c in df.columns
                if c not in ("scenario", "quantile", "year")
                and pd.api.types.is_numeric_dtype(df[c])
            ]
            if len(rest) != 1:
                raise InputValueError(
                    f"Cannot tell which column holds the values among {rest}; pass value_column=."
                )
            value_column = rest[0]
    if quantity_of(units) != "length":
        raise UnitsError(
            f"units must be a length unit such as 'm', 'cm', 'mm' or 'ft', got {units!r}."
        )
    q = require_numeric_column(df, "quantile", name="projection table", allow_nan=False)
    if (q > 1).any():
        q = q / 100.0
    if ((q < 0) | (q > 1)).any():
        raise InputValueError("Quantiles must lie in [0, 1] (or [0, 100] in percent).")
    if year_cols:
        year = df["year"].astype(float).to_numpy()
    else:
        year = require_numeric_column(df, "year", name="projection table", allow_nan=False)
    _require_whole_years(year)
    values = require_numeric_column(df, value_column, name="projection table")
    tidy = pd.DataFrame(
        {
            "scenario": df["scenario"].map(_canonical_scenario),
            "quantile": np.round(q, 6),
            "year": year.astype(int),
            "value_m": convert(values, units, "m", name="projection table"),
        }
    )
    return _to_dataarray(tidy, baseline=baseline, source="user table")


def _require_whole_years(years: object, name: str = "years") -> np.ndarray:
    yrs = require_numbers(years, name=name)
    frac = yrs != np.round(yrs)
    if frac.any():
        raise InputValueError(f"{name} must be whole years, got {yrs[frac][:5].tolist()}.")
    return yrs


def _check_projection(projection: xr.DataArray) -> xr.DataArray:
    """Return the projection in m, refusing other types, dims, units and NaN/inf values."""
    if not isinstance(projection, xr.DataArray):
        raise InputValueError(
            "A projection must be an xarray.DataArray; see projection_from_table."
        )
    require_dims(projection, required=("scenario", "quantile", "year"), name="projection")
    raw = projection.attrs.get("units")
    have = normalize_units(raw)
    if have is None:
        raise UnitsError(
            "The projection has no units; set projection.attrs['units'] = 'm' (or the length "
            "unit its values are in)."
        )
    values = require_numbers(projection, name="projection values")
    require_numbers(projection["quantile"].values, name="projection quantiles", low=0, high=1)
    _require_whole_years(projection["year"].values, name="projection years")
    if have != "m":
        out = projection.copy(data=convert(values, have, "m", name="projection").reshape(
            projection.shape))
        out.attrs = {**projection.attrs, "units": "m", "converted_from_units": have}
        logger.info("projection: converted from %s to m", have)
        return out
    return projection


def select_projection(
    projection: xr.DataArray,
    *,
    scenarios: Sequence[str] | None = None,
    quantiles: Sequence[float] | None = None,
) -> xr.DataArray:
    """Select scenarios and quantiles, refusing any the projection does not hold.

    Quantiles match within 0.005, so ``0.17`` selects a table's ``0.167``.

    Raises
    ------
    InputValueError
        Naming the missing scenario or quantile and the available ones.

    Examples
    --------
    >>> slr = ar6_global_mean_sea_level()
    >>> select_projection(slr, quantiles=[0.5]).sizes["quantile"]
    1
    >>> select_projection(slr, quantiles=[0.95])
    Traceback (most recent call last):
    ...
    urbanrisk.errors.InputValueError: Quantile 0.95 is not in the projection ...
    """
    projection = _check_projection(projection)
    out = projection
    if scenarios is not None:
        if isinstance(scenarios, str):
            scenarios = [scenarios]
        wanted = [_canonical_scenario(s) for s in scenarios]
        have = [str(s) for s in out["scenario"].values]
        missing = [s for s in wanted if s not in have]
        if missing:
            raise InputValueError(
                f"Scenario(s) {missing} not in the projection; available: {have}."
            )
        out = out.sel(scenario=wanted)
    if quantiles is not None:
        have_q = np.asarray(out["quantile"].values, dtype=float)
        picked = []
        wanted_q = require_numbers(np.atleast_1d(np.asarray(quantiles)), name="quantiles",
                                   low=0, high=1)
        for qv in wanted_q:
            d = np.abs(have_q - qv)
            if d.min() > _QUANTILE_TOL:
                raise InputValueError(
                    f"Quantile {qv:g} is not in the projection (available: "
                    f"{[float(v) for v in have_q]}). Sea-level projections cannot be "
                    "extrapolated to other quantiles; use a table that holds them."
                )
            picked.append(have_q[int(d.argmin())])
        out = out.sel(quantile=picked)
    return out


def interpolate_years(projection: xr.DataArray, years: Iterable[int]) -> xr.DataArray:
    """Values at ``years``, linear in time between the projection's years.

    Raises
    ------
    InputValueError
        For years outside the projection's first–last year (no extrapolation).

    Examples
    --------
    >>> slr = ar6_global_mean_sea_level(scenarios=["SSP5-8.5"], quantiles=[0.5])
    >>> float(interpolate_years(slr, [2095]).squeeze())
    0.7
    >>> interpolate_years(slr, [2200])
    Traceback (most recent call last):
    ...
    urbanrisk.errors.InputValueError: Year(s) [2200] outside the projection's range ...
    """
    projection = _check_projection(projection)
    if isinstance(years, str | bytes):
        raise InputValueError(f"years must be numbers, got {years!r}.")
    yrs = np.atleast_1d(np.asarray(list(years) if not np.isscalar(years) else [years]))
    if yrs.size == 0:
        raise InputValueError("years is empty.")
    yrs = _require_whole_years(yrs).astype(int)
    lo, hi = projection["year"].values.min(), projection["year"].values.max()
    bad = yrs[(yrs < lo) | (yrs > hi)]
    if bad.size:
        raise InputValueError(
            f"Year(s) {bad.tolist()} outside the projection's range {int(lo)}–{int(hi)}. "
            "Projections are not extrapolated; choose years inside the range or supply a "
            "projection that covers them."
        )
    out = projection.interp(year=yrs.astype(float), method="linear")
    out = out.assign_coords(year=yrs.astype(int))
    out.attrs = dict(projection.attrs)
    out.name = projection.name
    return out


def relative_sea_level(
    projection: xr.DataArray,
    *,
    vertical_land_motion_mm_per_yr: float = 0.0,
    baseline_year: int = AR6_BASELINE_YEAR,
) -> xr.DataArray:
    """Relative sea-level change: the projection plus local vertical land motion.

    ``relative(t) = projection(t) + VLM · (t − baseline_year) / 1000`` with VLM in mm/yr,
    **positive for subsidence** (land moving down raises the relative sea level) and negative
    for uplift (post-glacial rebound, e.g. about −3 to −4 mm/yr around Helsinki). The land
    motion is assumed linear in time from the centre of the baseline period (2005 for AR6).

    Parameters
    ----------
    projection : xarray.DataArray
        ``(scenario, quantile, year)`` projection in m.
    vertical_land_motion_mm_per_yr : float, default 0
        Land subsidence rate (positive down), mm per year.
    baseline_year : int, default 2005
        Year at which the projection is zero.

    Examples
    --------
    >>> slr = ar6_global_mean_sea_level(scenarios=["SSP1-2.6"], quantiles=[0.5], years=[2100])
    >>> rsl = relative_sea_level(slr, vertical_land_motion_mm_per_yr=2.0)
    >>> round(float(rsl.squeeze()), 3)
    0.63
    """
    projection = _check_projection(projection)
    vlm = require_number(vertical_land_motion_mm_per_yr, name="vertical_land_motion_mm_per_yr",
                         units="mm/yr")
    base_year = require_number(baseline_year, name="baseline_year")
    dt = projection["year"] - base_year
    out = projection + vlm * dt / 1000.0
    out.attrs = dict(projection.attrs)
    out.attrs["vertical_land_motion_mm_per_yr"] = vlm
    out.name = "relative_sea_level_change"
    return out


# --------------------------------------------------------------------------------------
# Vertical reference
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class VerticalReference:
    """The vertical frame a DEM and the sea-level projections are compared in.

    Parameters
    ----------
    dem_datum : str
        Vertical datum of the DEM heights (e.g. ``"N2000"``, ``"NAVD88"``, ``"AHD"``).
    water_surface : float or xarray.DataArray, default 0.0
        Height of the baseline water surface **in the DEM datum**, in m: mean sea level or a
        high-tide surface such as MHHW, a number or a raster (units m) in the DEM's CRS.
    water_surface_name : str, default "MSL"
        What the surface is (``"MSL"``, ``"MHHW"``, ...), kept in the metadata.
    water_surface_datum : str, optional
        Datum the ``water_surface`` heights are in; must equal ``dem_datum`` (default).
    baseline : str, default "1995-2014"
        Period whose mean water surface ``water_surface`` represents; sea-level projections
        must be relative to the same period.

    Examples
    --------
    >>> ref = VerticalReference(dem_datum="N2000", water_surface=0.2, water_surface_name="MSL")
    >>> ref.describe()
    'above MSL (1995-2014) in N2000'
    """

    dem_datum: str
    water_surface: float | xr.DataArray = 0.0
    water_surface_name: str = "MSL"
    water_surface_datum: str | None = None
    baseline: str = AR6_BASELINE

    def __post_init__(self) -> None:
        """Refuse a water surface that is not a finite number (or a raster) and empty names."""
        for field in ("dem_datum", "water_surface_name", "baseline"):
            value = getattr(self, field)
            if not isinstance(value, str) or not value.strip():
                raise InputValueError(f"{field} must be a non-empty string, got {value!r}.")
        if not isinstance(self.water_surface, xr.DataArray):
            require_number(self.water_surface, name="water_surface", units="m")

    def describe(self) -> str:
        """One-line description stored in ``attrs["vertical_reference"]``."""
        return f"above {self.water_surface_name} ({self.baseline}) in {self.dem_datum}"


def reference_dem(dem: xr.DataArray, reference: VerticalReference) -> xr.DataArray:
    """Heights above the baseline water surface: ``dem − water_surface``.

    This is NOAA's way of handling a spatially varying tidal surface (the DEM is transformed
    to the tidal datum before the bathtub is filled, NOAA OCM 2017, *Detailed method for
    mapping sea level rise inundation*): afterwards every water level is one number, a rise
    above that surface. The result carries ``attrs["vertical_reference"]``, which the
    inundation functions compare with the water levels so references are never mixed.

    Parameters
    ----------
    dem : xarray.DataArray
        Ground heights in ``reference.dem_datum``, in m or another length unit (converted).
        It passes through :func:`urbanrisk.layers.prepare_raster`: declared nodata masked,
        axes sorted, rotated grids refused, a CRS not in metres reprojected to UTM.
    reference : VerticalReference
        Datum and baseline water surface (a raster surface must be in the DEM's CRS and a
        length unit; it is resampled bilinearly onto the DEM grid).

    Returns
    -------
    xarray.DataArray
        Heights above the water surface, m.

    Raises
    ------
    InputValueError
        When the water surface is in another datum than the DEM.
    UnitsError
        When the DEM or the water-surface raster has no units or units that are not a
        length.
    GridError
        When the DEM is rotated (warp it with :func:`urbanrisk.layers.north_up`).

    Examples
    --------
    >>> from urbanrisk.layers import raster_from_array
    >>> dem = raster_from_array(np.array([[0.5, 1.5]]), crs=3067,
    ...                         transform=(1, 0, 0, 0, -1, 1), units="m")
    >>> ref = VerticalReference(dem_datum="N2000", water_surface=0.5, water_surface_name="MHHW")
    >>> out = reference_dem(dem, ref)
    >>> out.values.tolist(), out.attrs["vertical_reference"]
    ([[0.0, 1.0]], 'above MHHW (1995-2014) in N2000')
    """
    if not isinstance(reference, VerticalReference):
        raise InputValueError("reference must be a VerticalReference(dem_datum=..., ...).")
    raw_dem = dem
    dem = prepare_raster(dem, name="dem", to_units="m")
    ws_datum = reference.water_surface_datum or reference.dem_datum
    if ws_datum.strip().lower() != reference.dem_datum.strip().lower():
        raise InputValueError(
            f"The water surface is in {ws_datum} but the DEM is in {reference.dem_datum}. "
            "Convert the water surface to the DEM's datum first (e.g. with VDatum or the "
            "national datum transformation) and pass water_surface_datum=dem_datum."
        )
    if isinstance(reference.water_surface, xr.DataArray):
        ws = prepare_raster(reference.water_surface, name="water_surface", to_units="m",
                            metric=False)
        require_same_crs(raw_dem, ws, names=("dem", "water_surface"))
        if ws.shape != dem.shape or not (
            np.allclose(ws["x"].values, dem["x"].values)
            and np.allclose(ws["y"].values, dem["y"].values)
        ):
            # A tidal surface is smooth: bilinear resampling onto the DEM grid is adequate.
            from rasterio.enums import Resampling

            ws = ws.rio.write_nodata(np.nan, encoded=False).rio.reproject_match(
                dem, resampling=Resampling.bilinear)
            ws = ws.where(np.isfinite(ws))
        surface = ws.values
    else:
        surface = require_number(reference.water_surface, name="water_surface", units="m")
    out = dem - surface
    out.attrs = dict(dem.attrs)
    out.attrs["units"] = "m"
    out.attrs["vertical_reference"] = reference.describe()
    out.attrs["baseline"] = reference.baseline
    out.name = "height_above_water_surface"
    return out


def _surge_to_dataarray(
    surge: Mapping[float, float] | pd.Series | xr.DataArray,
) -> xr.DataArray:
    if isinstance(surge, xr.DataArray):
        if surge.dims != ("return_period",):
            raise DimensionError(
                "A surge DataArray passed to water_levels must have the single dim "
                "'return_period' (one level per return period). For a surge raster, "
                "subtract it from the referenced DEM per return period instead."
            )
        if "return_period" not in surge.coords:
            raise DimensionError("The surge DataArray needs return_period coordinates.")
        have = normalize_units(surge.attrs.get("units")) or "m"
        values = convert(require_numbers(surge, name="surge levels"), have, "m",
                         name="surge levels")
        rp = surge["return_period"].values
    else:
        s = pd.Series(surge)
        values = require_numbers(s, name="surge levels (m)")
        rp = s.index.to_numpy()
    rp = require_numbers(rp, name="surge return periods", low=0, low_open=True)
    da = xr.DataArray(values, dims=("return_period",), coords={"return_period": rp})
    return da.sortby("return_period")


def water_levels(
    projection: xr.DataArray,
    *,
    reference: VerticalReference,
    surge: float | Mapping[float, float] | pd.Series | xr.DataArray | None = None,
    surge_return_period: float | None = None,
) -> xr.DataArray:
    """Water levels above the baseline water surface: sea-level change plus surge.

    ``level(s, q, t, rp) = projection(s, q, t) + surge(rp)``, where ``surge`` is the extreme
    still-water level of return period ``rp`` above the baseline water surface (for example
    from a tide-gauge extreme-value analysis). The result is in the frame of a DEM passed
    through :func:`reference_dem` with the same ``reference``.

    Parameters
    ----------
    projection : xarray.DataArray
        ``(scenario, quantile, year)`` in m (AR6, user table, with or without land motion).
    reference : VerticalReference
        The vertical frame; its baseline must equal ``projection.attrs["baseline"]``.
    surge : float, mapping, pandas.Series or xarray.DataArray, optional
        ``{return_period_years: level_m}`` (or a DataArray with dim ``return_period``): the
        result gets a ``return_period`` dim. Or one number: the level of a single event
        (m, >= 0; 0 adds nothing), added without a ``return_period`` dim; say which event
        with ``surge_return_period``.
    surge_return_period : float, optional
        Return period (years) of a single-number ``surge``, kept in
        ``attrs["surge_return_period"]`` (with ``attrs["surge_m"]``).

    Returns
    -------
    xarray.DataArray
        Dims ``(scenario, quantile, year[, return_period])``, units m,
        ``attrs["vertical_reference"]`` set.

    Raises
    ------
    InputValueError
        When the reference is missing or the projection's baseline differs from its.

    Examples
    --------
    >>> slr = ar6_global_mean_sea_level(scenarios=["SSP5-8.5"], quantiles=[0.5], years=[2100])
    >>> ref = VerticalReference(dem_datum="N2000")
    >>> lv = water_levels(slr, reference=ref, surge={10: 1.0, 100: 1.6})
    >>> lv.squeeze().values.round(2).tolist()
    [1.77, 2.37]
    >>> one = water_levels(slr, reference=ref, surge=1.6, surge_return_period=100)
    >>> one.dims, round(float(one.squeeze()), 2), one.attrs["surge_return_period"]
    (('scenario', 'quantile', 'year'), 2.37, 100.0)
    """
    projection = _check_projection(projection)
    if not isinstance(reference, VerticalReference):
        raise InputValueError(
            "water_levels needs reference=VerticalReference(...): the water surface the "
            "projection is added to (the same one you pass to reference_dem)."
        )
    base = projection.attrs.get("baseline")
    if base is None:
        raise InputValueError(
            "The projection has no attrs['baseline']; set it (e.g. '1995-2014') so it can "
            "be matched with the DEM's water surface."
        )
    if str(base) != reference.baseline:
        raise InputValueError(
            f"The projection is relative to {base} but the water surface of the reference "
            f"is for {reference.baseline}. Shift the water surface to the projection's "
            "baseline (or the projection to the surface's) before combining them."
        )
    tag = reference.describe()
    out = projection
    single: dict = {}
    if surge is not None and not isinstance(surge, Mapping | pd.Series | xr.DataArray):
        level = require_number(surge, name="surge", low=0.0, units="m")
        single = {"surge_m": level}
        if surge_return_period is not None:
            single["surge_return_period"] = require_number(
                surge_return_period, name="surge_return_period", low=0.0, low_open=True)
        out = out + level
    elif surge is not None:
        if surge_return_period is not None:
            raise InputValueError(
                "surge_return_period goes with a single-number surge; a mapping or "
                "DataArray of surges carries its return periods itself."
            )
        out = out + _surge_to_dataarray(surge)
    out = out.transpose("scenario", "quantile", "year", ...)
    out.attrs = dict(projection.attrs)
    out.attrs.update(single)
    out.attrs["units"] = "m"
    out.attrs["vertical_reference"] = tag
    out.name = "water_level"
    return out
