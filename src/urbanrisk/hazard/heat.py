"""Heat: hot spots of land surface temperature and the people living in them.

A *hot spot* here is a cell whose land surface temperature (LST) is above a threshold:
by default the city's own 90th percentile of LST over all valid cells, a relative
definition that picks the hottest tenth of the city whatever the season of the image.
An absolute threshold in °C can be given instead. The classification is deliberately
simple and documented; it is not a statistical hot-spot test (such as Getis-Ord Gi*).
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import xarray as xr

from urbanrisk.errors import InputValueError
from urbanrisk.hazard._grid import check_hazard
from urbanrisk.hazard.exposure import exposed_population

__all__ = ["hot_spot_threshold", "hot_spots", "heat_exposure"]

logger = logging.getLogger(__name__)

_TEMPERATURE_UNITS = ("degC", "K")


def hot_spot_threshold(lst: xr.DataArray, *, percentile: float = 90.0) -> float:
    """Return the ``percentile``-th percentile of the valid cells of a temperature raster.

    Parameters
    ----------
    lst : xarray.DataArray
        Land surface temperature (``units`` ``degC`` or ``K``), 2-D.
    percentile : float, default 90.0
        In (0, 100).

    Returns
    -------
    float
        In the raster's units.

    Examples
    --------
    >>> import numpy as np
    >>> from urbanrisk.layers import raster_from_array
    >>> lst = raster_from_array(np.arange(10.0).reshape(2, 5), crs=3067,
    ...                         transform=(1, 0, 0, 0, -1, 2), units="degC", name="lst")
    >>> hot_spot_threshold(lst, percentile=90)
    8.1
    """
    _check_lst(lst)
    p = _check_percentile(percentile)
    return float(np.nanpercentile(np.asarray(lst.values, dtype=float), p))


def _check_lst(lst: xr.DataArray) -> str:
    units, extra = check_hazard(lst, name="lst", units=_TEMPERATURE_UNITS)
    if extra:
        raise InputValueError(
            f"lst has extra dims {extra}; select one image first, e.g. lst.isel({extra[0]}=0)."
        )
    return units


def _check_percentile(percentile: float) -> float:
    if isinstance(percentile, str):
        raise InputValueError("percentile must be a number.")
    p = float(percentile)
    if not 0 < p < 100:
        raise InputValueError(f"percentile must lie in (0, 100), got {percentile!r}.")
    return p


def hot_spots(
    lst: xr.DataArray,
    *,
    percentile: float = 90.0,
    threshold: float | None = None,
) -> xr.DataArray:
    """Classify cells hotter than the city's percentile (or an absolute threshold).

    Parameters
    ----------
    lst : xarray.DataArray
        Land surface temperature (``degC`` or ``K``), 2-D, projected CRS.
    percentile : float, default 90.0
        Relative threshold: cells strictly above this percentile of the valid cells.
    threshold : float, optional
        Absolute threshold in the raster's units; overrides ``percentile``.

    Returns
    -------
    xarray.DataArray
        1.0 for hot-spot cells, 0.0 for other valid cells, NaN where LST is missing;
        ``attrs`` hold ``units="1"``, ``threshold`` and how it was chosen.

    Examples
    --------
    >>> import numpy as np
    >>> from urbanrisk.layers import raster_from_array
    >>> lst = raster_from_array(np.array([[20.0, 25.0], [30.0, np.nan]]), crs=3067,
    ...                         transform=(1, 0, 0, 0, -1, 2), units="degC", name="lst")
    >>> hot_spots(lst, threshold=24.0).values.tolist()
    [[0.0, 1.0], [1.0, nan]]
    """
    units = _check_lst(lst)
    if threshold is None:
        thr = hot_spot_threshold(lst, percentile=percentile)
        how = f"{_check_percentile(percentile):g}th percentile of the valid cells"
    else:
        try:
            thr = float(threshold)
        except (TypeError, ValueError):
            raise InputValueError(f"threshold must be a number, got {threshold!r}.") from None
        how = "absolute threshold"
    vals = np.asarray(lst.values, dtype=float)
    out = xr.where(np.isnan(vals), np.nan, (vals > thr).astype(float))
    res = lst.copy(data=np.asarray(out))
    res.name = "heat_hot_spot"
    res.attrs = {"units": "1", "threshold": thr, "threshold_units": units, "threshold_rule": how}
    logger.info("hot spots: LST > %.2f %s (%s)", thr, units, how)
    return res


def heat_exposure(
    population: xr.DataArray,
    lst: xr.DataArray,
    *,
    percentile: float = 90.0,
    threshold: float | None = None,
    zones: gpd.GeoDataFrame | None = None,
    zone_column: str | None = None,
    vulnerable_share: float | None = None,
) -> pd.DataFrame:
    """People (or vulnerable people) living in heat hot spots, overall or per zone.

    Population cells are shared among hot and other LST cells by exact area, as in
    :func:`~urbanrisk.hazard.exposure.exposed_population`, so no one is created or lost
    when the grids differ.

    Parameters
    ----------
    population : xarray.DataArray
        People per cell (``units == "people"``); give a grid of a vulnerable group
        (e.g. people aged 65+) to count that group.
    lst : xarray.DataArray
        Land surface temperature (``degC`` or ``K``).
    percentile, threshold : float
        Hot-spot definition, as in :func:`hot_spots`.
    zones : geopandas.GeoDataFrame, optional
        Polygons (districts) to report per zone.
    zone_column : str, optional
        Column naming the zones.
    vulnerable_share : float, optional
        Share (0-1) of the population that is vulnerable, when only a total population
        grid is available; multiplies the counts.

    Returns
    -------
    pandas.DataFrame
        ``zone`` (with zones), ``people``, ``people_in_hot_spots``, ``share_in_hot_spots``
        and the ``threshold`` used (in the LST units).

    Examples
    --------
    >>> import numpy as np
    >>> from urbanrisk.layers import raster_from_array
    >>> pop = raster_from_array(np.array([[10.0, 30.0]]), crs=3067,
    ...                         transform=(1, 0, 0, 0, -1, 1), units="people")
    >>> lst = raster_from_array(np.array([[35.0, 25.0]]), crs=3067,
    ...                         transform=(1, 0, 0, 0, -1, 1), units="degC", name="lst")
    >>> heat_exposure(pop, lst, threshold=30.0)[["people", "people_in_hot_spots"]]
       people  people_in_hot_spots
    0    40.0                 10.0
    """
    _check_lst(lst)
    if threshold is None:
        thr = hot_spot_threshold(lst, percentile=percentile)
    else:
        try:
            thr = float(threshold)
        except (TypeError, ValueError):
            raise InputValueError(f"threshold must be a number, got {threshold!r}.") from None
    share = 1.0
    if vulnerable_share is not None:
        share = float(vulnerable_share)
        if not 0 <= share <= 1:
            raise InputValueError(
                f"vulnerable_share must lie in [0, 1], got {vulnerable_share!r}."
            )
    t = exposed_population(population, lst, threshold=thr, zones=zones, zone_column=zone_column)
    keys = ["zone"] if zones is not None else []
    total = t.groupby(keys, sort=False)["people"].sum() if keys else t["people"].sum()
    hot_label = t["hazard_class"].unique()[1]  # classes: <= thr, > thr, nodata
    hot = t[t["hazard_class"] == hot_label]
    if keys:
        hot_people = hot.set_index("zone")["people"]
        out = pd.DataFrame({"zone": total.index, "people": total.to_numpy() * share})
        out["people_in_hot_spots"] = hot_people.reindex(total.index).to_numpy() * share
    else:
        out = pd.DataFrame(
            {"people": [float(total) * share],
             "people_in_hot_spots": [float(hot["people"].sum()) * share]}
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share_in_hot_spots"] = out["people_in_hot_spots"] / out["people"]
    out["threshold"] = thr
    return out
