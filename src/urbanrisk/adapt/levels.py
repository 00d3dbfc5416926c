r"""Coastal flood hazard over time: extreme still-water levels plus sea-level rise.

The water level of a coastal flood of return period :math:`T` in year :math:`t`, under
sea-level scenario :math:`s` at quantile :math:`q`, is

.. math:: L(s, q, t, T) = \Delta h_{\mathrm{rel}}(s, q, t) + \eta_T

with :math:`\eta_T` the extreme still-water level of return period :math:`T` above the
baseline water surface (from a tide-gauge extreme-value fit, :func:`fit_extremes`, or a
global product such as COAST-RP, Dullaart et al. 2021) and
:math:`\Delta h_{\mathrm{rel}}` the relative sea-level change of
:func:`urbanrisk.coast.relative_sea_level` (IPCC AR6 projection plus vertical land
motion). The extremes are assumed stationary around the rising mean (no change in surge
climate), the usual assumption of static coastal flood assessments (e.g. Vousdoukas et
al. 2018). :func:`flood_levels` builds the levels; :func:`urbanrisk.coast.water_levels`
does the addition and records the vertical frame.

Static ("bathtub") inundation overestimates flooding far inland, because a storm surge
lasts hours, not days. :func:`distance_from_sea_m` and the ``attenuation_m_per_km``
option of :func:`~urbanrisk.adapt.building_cells` lower the water level by a fixed rate
per km of distance from the sea, the simple attenuation whose effect on exposure
Vafeidis et al. (2019) assessed; the rate is the user's choice and is recorded in every
result.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr
from scipy import ndimage, stats

from urbanrisk.coast import (
    VerticalReference,
    ar6_global_mean_sea_level,
    relative_sea_level,
    water_levels,
)
from urbanrisk.errors import InputValueError
from urbanrisk.layers import (
    prepare_raster,
    require_number,
    require_numbers,
    require_numeric_column,
    require_same_grid,
)
from urbanrisk.units import convert, quantity_of

__all__ = [
    "DISTRIBUTIONS",
    "ExtremeFit",
    "fit_extremes",
    "extreme_levels",
    "flood_levels",
    "distance_from_sea_m",
]

logger = logging.getLogger(__name__)

#: Extreme-value distributions :func:`fit_extremes` fits to annual maxima.
DISTRIBUTIONS = ("gev", "gumbel")


@dataclass(frozen=True, repr=False)
class ExtremeFit:
    r"""An extreme-value distribution fitted to annual maximum water levels.

    Attributes
    ----------
    distribution : str
        ``"gev"`` or ``"gumbel"``.
    location_m, scale_m : float
        Location and scale parameters (m).
    shape : float
        GEV shape :math:`\xi` in the climatological sign convention (:math:`\xi > 0`: heavy
        upper tail; scipy's ``c`` is :math:`-\xi`); 0 for the Gumbel.
    n_years : int
        Number of annual maxima fitted.
    method : str
        How the parameters were estimated.
    """

    distribution: str
    location_m: float
    scale_m: float
    shape: float
    n_years: int
    method: str = "maximum likelihood (scipy.stats)"

    def return_level(self, return_periods: Sequence[float]) -> np.ndarray:
        r"""Level exceeded on average once in ``T`` years: the ``1 − 1/T`` quantile.

        Gumbel: :math:`\mu - \sigma \ln(-\ln(1 - 1/T))`; GEV:
        :math:`\mu + \frac{\sigma}{\xi}\left[(-\ln(1 - 1/T))^{-\xi} - 1\right]`.
        """
        t = require_numbers(np.atleast_1d(return_periods), name="return_periods", low=1.0,
                            low_open=True)
        p = 1.0 / t
        if self.distribution == "gumbel":
            return stats.gumbel_r.isf(p, loc=self.location_m, scale=self.scale_m)
        return stats.genextreme.isf(p, -self.shape, loc=self.location_m, scale=self.scale_m)

    def to_frame(self, return_periods: Sequence[float] = (1.5, 10, 50, 100, 1000)
                 ) -> pd.DataFrame:
        """Return levels as the tidy table :func:`extreme_levels` reads."""
        t = np.asarray(return_periods, dtype=float)
        return pd.DataFrame({"return_period": t, "level_m": self.return_level(t)})

    def __repr__(self) -> str:
        return (f"ExtremeFit({self.distribution}, location={self.location_m:.3f} m, "
                f"scale={self.scale_m:.3f} m, shape={self.shape:.3f}, n={self.n_years})")

    def _repr_html_(self) -> str:
        return self.to_frame().to_html(index=False)


def fit_extremes(
    annual_maxima: Sequence[float] | pd.Series | np.ndarray,
    *,
    distribution: str = "gev",
    units: str = "m",
) -> ExtremeFit:
    """Fit a GEV or Gumbel distribution to annual maximum still-water levels.

    Maximum likelihood with :mod:`scipy.stats` (``genextreme.fit`` / ``gumbel_r.fit``).
    Give one maximum per year, in the same vertical frame as the DEM (above the baseline
    water surface, see :class:`urbanrisk.coast.VerticalReference`) and detrended for the
    sea-level rise already observed, or the fit double-counts it.

    Parameters
    ----------
    annual_maxima : sequence of float
        One maximum per year; at least 10 (a fit on fewer is not meaningful).
    distribution : {"gev", "gumbel"}, default "gev"
        The Gumbel is the GEV with shape 0; it is steadier on short records.
    units : str, default "m"
        Length unit of the maxima (converted to m).

    Returns
    -------
    ExtremeFit

    Examples
    --------
    >>> from scipy import stats
    >>> x = stats.gumbel_r.rvs(loc=1.0, scale=0.2, size=2000, random_state=1)
    >>> fit = fit_extremes(x, distribution="gumbel")
    >>> round(fit.location_m, 1), round(fit.scale_m, 1)
    (1.0, 0.2)
    >>> round(float(fit.return_level([100])[0]), 1)   # 1 - 0.2 ln(-ln 0.99)
    1.9
    """
    if distribution not in DISTRIBUTIONS:
        raise InputValueError(f"distribution must be one of {list(DISTRIBUTIONS)}, "
                              f"got {distribution!r}.")
    if quantity_of(units) != "length":
        raise InputValueError(f"units must be a length unit such as 'm' or 'cm', got {units!r}.")
    x = require_numbers(np.ravel(np.asarray(annual_maxima)), name="annual_maxima")
    x = np.asarray(convert(x, units, "m", name="annual_maxima"), dtype=float)
    if x.size < 10:
        raise InputValueError(
            f"fit_extremes needs at least 10 annual maxima, got {x.size}; use a regional "
            "or global extreme-level product (e.g. COAST-RP) for short records."
        )
    if distribution == "gumbel":
        loc, scale = stats.gumbel_r.fit(x)
        return ExtremeFit("gumbel", float(loc), float(scale), 0.0, int(x.size))
    c, loc, scale = stats.genextreme.fit(x)
    return ExtremeFit("gev", float(loc), float(scale), float(-c), int(x.size))


def extreme_levels(
    table: pd.DataFrame | Mapping[float, float] | pd.Series | ExtremeFit,
    *,
    units: str = "m",
    return_periods: Sequence[float] | None = None,
) -> pd.Series:
    """Extreme still-water levels per return period, checked: a Series indexed by years.

    Parameters
    ----------
    table : pandas.DataFrame, mapping, pandas.Series or ExtremeFit
        A table with ``return_period`` (years) and ``level_m`` (or ``level``, in
        ``units``) columns, a mapping ``{T: level}``, a Series indexed by return period,
        or a fit (then ``return_periods`` are required).
    units : str, default "m"
        Length unit of the levels of a mapping, Series or ``level`` column.
    return_periods : sequence of float, optional
        Return periods to evaluate a fit at.

    Returns
    -------
    pandas.Series
        ``level_m`` indexed by ``return_period`` (sorted, unique, > 0); levels must not
        fall as the return period grows.

    Examples
    --------
    >>> extreme_levels({100: 1.6, 10: 1.2}).to_dict()
    {10.0: 1.2, 100.0: 1.6}
    >>> extreme_levels({10: 120, 100: 160}, units="cm").tolist()
    [1.2, 1.6]
    """
    if isinstance(table, ExtremeFit):
        if return_periods is None:
            raise InputValueError("Give return_periods= to evaluate an ExtremeFit at.")
        table = table.to_frame(return_periods)
        units = "m"
    if isinstance(table, pd.DataFrame):
        if "return_period" not in table.columns:
            raise InputValueError(
                "The extreme-level table needs a 'return_period' column (years) and a "
                "'level_m' column."
            )
        col = "level_m" if "level_m" in table.columns else "level"
        if col not in table.columns:
            raise InputValueError(
                "The extreme-level table needs a 'level_m' column (or 'level' with units=)."
            )
        t = require_numeric_column(table, "return_period", name="extreme levels",
                                   allow_nan=False)
        v = require_numeric_column(table, col, name="extreme levels", allow_nan=False)
        if col == "level_m":
            units = "m"
    else:
        s = pd.Series(table)
        t = require_numbers(s.index.to_numpy(), name="return periods")
        v = require_numbers(s.to_numpy(), name="extreme levels")
    if quantity_of(units) != "length":
        raise InputValueError(f"units must be a length unit, got {units!r}.")
    if t.size == 0:
        raise InputValueError("The extreme-level table is empty.")
    if (t <= 0).any() or len(np.unique(t)) != t.size:
        raise InputValueError(f"Return periods must be positive and unique, got {t.tolist()}.")
    order = np.argsort(t)
    t, v = t[order], np.asarray(convert(v[order], units, "m", name="extreme levels"), float)
    if (np.diff(v) < 0).any():
        raise InputValueError(
            f"Extreme levels fall as the return period grows ({dict(zip(t, v, strict=True))});"
            " a rarer event cannot be lower. Check the table's order and units."
        )
    return pd.Series(v, index=pd.Index(t, name="return_period"), name="level_m")


def flood_levels(
    extremes: pd.DataFrame | Mapping[float, float] | pd.Series | ExtremeFit,
    *,
    reference: VerticalReference,
    scenarios: Sequence[str] = ("SSP1-2.6", "SSP2-4.5", "SSP5-8.5"),
    quantiles: Sequence[float] = (0.17, 0.5, 0.83),
    years: Sequence[int] = tuple(range(2020, 2151, 10)),
    vertical_land_motion_mm_per_yr: float = 0.0,
    projection: xr.DataArray | None = None,
    return_periods: Sequence[float] | None = None,
) -> xr.DataArray:
    """Water level per scenario, quantile, year and return period (m above the baseline).

    ``relative_sea_level(projection) + extreme level(T)``, through
    :func:`urbanrisk.coast.water_levels`, so the result carries the vertical frame that
    :func:`urbanrisk.coast.inundation_depth` and :func:`~urbanrisk.adapt.building_cells`
    check against the DEM's.

    Parameters
    ----------
    extremes : table, mapping, Series or ExtremeFit
        Extreme still-water levels above the baseline water surface (see
        :func:`extreme_levels`).
    reference : urbanrisk.coast.VerticalReference
        The vertical frame of the DEM (the same one passed to
        :func:`urbanrisk.coast.reference_dem`).
    scenarios, quantiles, years
        Of the IPCC AR6 projection (:func:`urbanrisk.coast.ar6_global_mean_sea_level`;
        years between the published ones are interpolated linearly, see there). Ignored
        when ``projection`` is given.
    vertical_land_motion_mm_per_yr : float, default 0
        Subsidence positive (:func:`urbanrisk.coast.relative_sea_level`).
    projection : xarray.DataArray, optional
        A projection of one's own (``(scenario, quantile, year)`` in m, e.g. from
        :func:`urbanrisk.coast.projection_from_table`).
    return_periods : sequence of float, optional
        For an :class:`ExtremeFit`: where to evaluate it.

    Returns
    -------
    xarray.DataArray
        Dims ``(scenario, quantile, year, return_period)``, m, with
        ``attrs["vertical_reference"]``, ``attrs["extremes"]`` (the table as text).

    Examples
    --------
    >>> from urbanrisk.coast import VerticalReference
    >>> ref = VerticalReference(dem_datum="N2000")
    >>> lv = flood_levels({10: 1.2, 100: 1.6}, reference=ref, scenarios=["SSP5-8.5"],
    ...                   quantiles=[0.5], years=[2050, 2100])
    >>> lv.sel(return_period=100).squeeze().values.round(2).tolist()   # 1.6 + AR6 median
    [1.83, 2.37]
    """
    ext = extreme_levels(extremes, return_periods=return_periods)
    if projection is None:
        projection = ar6_global_mean_sea_level(scenarios=list(scenarios),
                                               quantiles=list(quantiles), years=list(years))
    rsl = relative_sea_level(projection, vertical_land_motion_mm_per_yr=require_number(
        vertical_land_motion_mm_per_yr, name="vertical_land_motion_mm_per_yr", units="mm/yr"))
    out = water_levels(rsl, reference=reference, surge=ext)
    out.attrs["extremes"] = ", ".join(f"T={t:g} y: {v:.3f} m" for t, v in ext.items())
    return out


def distance_from_sea_m(dem: xr.DataArray, connection: xr.DataArray) -> xr.DataArray:
    """Straight-line distance from each land cell to the nearest sea cell (m).

    Sea cells are those :func:`urbanrisk.coast.connection_level` marks as sea (NaN where
    the DEM has a height); distances are between cell centres (exact Euclidean distance
    transform, :func:`scipy.ndimage.distance_transform_edt`, with the grid's cell size).

    Parameters
    ----------
    dem : xarray.DataArray
        The heights the connection level was computed from.
    connection : xarray.DataArray
        Output of :func:`urbanrisk.coast.connection_level` on the DEM's grid.

    Returns
    -------
    xarray.DataArray
        Distance in m (0 on the sea, NaN on nodata), on the DEM's grid.

    Examples
    --------
    >>> from urbanrisk.layers import raster_from_array
    >>> from urbanrisk.coast import connection_level
    >>> dem = raster_from_array(np.array([[-1.0, 1.0, 2.0, 3.0]]), crs=3067,
    ...                         transform=(10, 0, 0, 0, -10, 10), units="m")
    >>> distance_from_sea_m(dem, connection_level(dem, sea_level_m=0.0)).values.tolist()
    [[0.0, 10.0, 20.0, 30.0]]
    """
    z = prepare_raster(dem, name="dem", to_units="m")
    c = prepare_raster(connection, name="connection", to_units="m", allow_empty=True)
    if c.attrs.get("kind") != "connection_level":
        raise InputValueError("connection must be the output of urbanrisk.coast.connection_level.")
    require_same_grid(z, c, names=("dem", "connection"))
    zv, cv = np.asarray(z.values), np.asarray(c.values)
    sea = np.isnan(cv) & np.isfinite(zv)
    if not sea.any():
        raise InputValueError("The connection level has no sea cell to measure distances from.")
    dx, dy = (abs(float(r)) for r in z.rio.resolution())
    d = ndimage.distance_transform_edt(~sea, sampling=(dy, dx))
    d = np.where(np.isnan(zv), np.nan, d)
    out = z.copy(data=d)
    out.name = "distance_from_sea"
    out.attrs = {"units": "m"}
    return out
