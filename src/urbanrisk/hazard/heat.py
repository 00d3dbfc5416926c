"""Heat: hot spots of land surface temperature and the people living in them.

A *hot spot* here is a cell whose land surface temperature (LST) is above a threshold:
by default the city's own 90th percentile of LST over all valid cells, a relative
definition that picks the hottest tenth of the city whatever the season of the image.
An absolute threshold in °C can be given instead. The classification is deliberately
simple and documented; it is not a statistical hot-spot test (such as Getis-Ord Gi*).

Input contract: the LST raster passes through :func:`urbanrisk.layers.prepare_raster` with
``to_units="degC"``: a raster in kelvin (or °F) is converted to °C, so percentiles and
thresholds are always in °C (``attrs["converted_from_units"]`` keeps the original unit);
declared nodata is masked, a rotated grid refused and a CRS in degrees reprojected to UTM.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import xarray as xr

from urbanrisk.errors import InputValueError
from urbanrisk.hazard import _grid
from urbanrisk.hazard._grid import check_hazard
from urbanrisk.hazard.exposure import (
    _check_population,
    _hazard_on_population_grid,
    _transfer,
    exposed_population,
)
from urbanrisk.layers import (
    cell_area_m2,
    is_dask_backed,
    prepare_raster,
    require_number,
    require_probability,
)

__all__ = [
    "hot_spot_threshold",
    "hot_spots",
    "hot_spot_area_m2",
    "hot_population_cells",
    "heat_exposure",
]

logger = logging.getLogger(__name__)


def hot_spot_threshold(lst: xr.DataArray, *, percentile: float = 90.0) -> float:
    """Return the ``percentile``-th percentile of the valid cells of a temperature raster.

    Exact (``numpy.percentile``'s linear interpolation over the finite cells) for numpy and
    dask-backed rasters alike; a dask raster is read a few times chunk by chunk, never
    whole.

    Parameters
    ----------
    lst : xarray.DataArray
        Land surface temperature (``units`` ``degC``, ``K`` or ``degF``), 2-D.
    percentile : float, default 90.0
        In (0, 100).

    Returns
    -------
    float
        In °C (a raster in kelvin is converted first).

    Examples
    --------
    >>> import numpy as np
    >>> from urbanrisk.layers import raster_from_array
    >>> lst = raster_from_array(np.arange(10.0).reshape(2, 5), crs=3067,
    ...                         transform=(1, 0, 0, 0, -1, 2), units="degC", name="lst")
    >>> hot_spot_threshold(lst, percentile=90)
    8.1
    """
    lst = _check_lst(lst)
    p = _check_percentile(percentile)
    return _threshold(lst, p)


def _threshold(lst: xr.DataArray, p: float) -> float:
    if is_dask_backed(lst):
        return _dask_percentile(lst.data, p)
    values = np.asarray(lst.values, dtype=float)
    return float(np.percentile(values[np.isfinite(values)], p))


#: Finite values a window may hold before :func:`_dask_percentile` reads them (8 MiB).
_WINDOW_VALUES = 1 << 20


def _dask_percentile(data, p: float) -> float:
    """Exact ``np.percentile`` (linear) of the finite values of a dask array, chunk by chunk.

    The two order statistics around the percentile's rank are found by narrowing a value
    window with 4,096-bin histograms (each one pass of dask over the chunks) until the window
    holds at most :data:`_WINDOW_VALUES` values, which are then read and sorted. Memory is
    bounded by a chunk and that window, never the raster.
    """
    import dask
    import dask.array as dsa

    finite = dsa.where(dsa.isfinite(data), data, np.nan).astype(np.float64)
    lo, hi, n = dask.compute(dsa.nanmin(finite), dsa.nanmax(finite),
                             dsa.isfinite(finite).sum())
    lo, hi, n = float(lo), float(hi), int(n)
    rank = (n - 1) * (p / 100.0)  # as numpy computes it
    k = int(np.floor(rank))
    k1 = min(k + 1, n - 1)
    below, inside = 0, n  # values < lo; values in [lo, hi]
    while inside > _WINDOW_VALUES and lo < hi:
        edges = np.unique(np.linspace(lo, hi, 4097))
        counts = dsa.histogram(finite, bins=edges)[0].compute()  # [e_i, e_i+1), last closed
        before = below + np.concatenate([[0], np.cumsum(counts)])  # values < edges[i]
        ia = int(np.searchsorted(before, k, side="right")) - 1
        ib = int(np.searchsorted(before, k1, side="right")) - 1
        ia, ib = min(ia, len(counts) - 1), min(ib, len(counts) - 1)
        if (edges[ia], edges[ib + 1]) == (lo, hi):  # no narrowing left (float resolution)
            break
        below, inside = int(before[ia]), int(before[ib + 1] - before[ia])
        lo, hi = float(edges[ia]), float(edges[ib + 1])
    window = finite[(finite >= lo) & (finite <= hi)].compute()
    window.sort()  # values in [lo, hi]: rank j is window[j - below]
    low, high = window[k - below], window[k1 - below]
    t = rank - k
    # numpy's linear interpolation, including its form for t >= 0.5
    return float(high - (high - low) * (1 - t) if t >= 0.5 else low + (high - low) * t)


def _check_lst(lst: xr.DataArray) -> xr.DataArray:
    """LST through the contract: 2-D, masked, north-up, metric, in °C."""
    da, _, _ = check_hazard(lst, name="lst", to_units="degC", allow_extra=False)
    return da


def _check_percentile(percentile: float) -> float:
    return require_number(percentile, name="percentile", low=0.0, high=100.0,
                          low_open=True, high_open=True)


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
        Land surface temperature (``degC``, ``K`` or ``degF``; converted to °C), 2-D. A
        raster in degrees is reprojected to UTM first, so the result is on that grid.
    percentile : float, default 90.0
        Relative threshold: cells strictly above this percentile of the valid cells.
    threshold : float, optional
        Absolute threshold in °C (also for a raster in kelvin); overrides ``percentile``.

    Returns
    -------
    xarray.DataArray
        1.0 for hot-spot cells, 0.0 for other valid cells, NaN where LST is missing;
        ``attrs`` hold ``units="1"``, ``threshold`` (°C, ``threshold_units``), how it was
        chosen and, for a converted raster, ``lst_converted_from_units``. Lazy (dask)
        when ``lst`` is.

    Examples
    --------
    >>> import numpy as np
    >>> from urbanrisk.layers import raster_from_array
    >>> lst = raster_from_array(np.array([[20.0, 25.0], [30.0, np.nan]]), crs=3067,
    ...                         transform=(1, 0, 0, 0, -1, 2), units="degC", name="lst")
    >>> hot_spots(lst, threshold=24.0).values.tolist()
    [[0.0, 1.0], [1.0, nan]]
    """
    lst = _check_lst(lst)
    units = lst.attrs["units"]
    thr, how = _hot_threshold(lst, percentile, threshold)
    res = xr.where(lst.isnull(), np.nan, (lst > thr).astype(float))
    res = res.rio.write_crs(lst.rio.crs)
    res.name = "heat_hot_spot"
    res.attrs = {"units": "1", "threshold": thr, "threshold_units": units, "threshold_rule": how}
    if "converted_from_units" in lst.attrs:
        res.attrs["lst_converted_from_units"] = lst.attrs["converted_from_units"]
    logger.info("hot spots: LST > %.2f %s (%s)", thr, units, how)
    return res


def _check_hot(hot: xr.DataArray) -> xr.DataArray:
    """Pass a hot-spot raster through the contract: 2-D, metric (never reprojected), 0/1/NaN."""
    da = prepare_raster(hot, name="hot spots", reproject=False, allow_empty=True)
    vals = da.data
    bad = ~((vals == 0) | (vals == 1) | np.isnan(vals))
    if bool(bad.any()):
        raise InputValueError(
            "hot spots must hold 1 (hot), 0 (not hot) or NaN (no data), as hot_spots() "
            "returns; got other values."
        )
    return da


def hot_spot_area_m2(hot: xr.DataArray) -> float:
    """Area of the hot-spot cells of a :func:`hot_spots` raster, in m².

    Number of cells equal to 1 times the area of one cell from the grid's transform
    (:func:`urbanrisk.layers.cell_area_m2`, right also for a rotated grid, unlike
    ``rio.resolution()``).

    Parameters
    ----------
    hot : xarray.DataArray
        1 for hot, 0 for not hot, NaN for no data (the output of :func:`hot_spots`), in a
        CRS in metres (a raster in degrees raises
        :class:`~urbanrisk.errors.GeographicCRSError`).

    Returns
    -------
    float
        m².

    Examples
    --------
    Two hot cells of 10 m x 10 m:

    >>> import numpy as np
    >>> from urbanrisk.layers import raster_from_array
    >>> hot = raster_from_array(np.array([[1.0, 0.0], [1.0, np.nan]]), crs=3067,
    ...                         transform=(10, 0, 0, 0, -10, 20), units="1")
    >>> hot_spot_area_m2(hot)
    200.0
    """
    da = _check_hot(hot)
    return float((da == 1).sum()) * cell_area_m2(da)


def hot_population_cells(
    hot: xr.DataArray,
    population: xr.DataArray,
    *,
    min_share: float = 0.5,
) -> xr.DataArray:
    """Select the population cells of which at least ``min_share`` of the area is hot.

    The share of each population cell covered by hot-spot cells is computed from exact
    area overlaps, as :func:`heat_exposure` shares people (the hot-spot raster is
    reprojected, nearest neighbour, when its CRS differs). LST cells with no data and area
    outside the hot-spot raster count as not hot, so the share is of the cell's whole area.

    Parameters
    ----------
    hot : xarray.DataArray
        Hot-spot raster: 1 hot, 0 not hot, NaN no data (from :func:`hot_spots`).
    population : xarray.DataArray
        People per cell (``units == "people"``); only its grid is used.
    min_share : float, default 0.5
        In [0, 1]: a cell counts as hot when the hot share of its area is ``>= min_share``
        (0.5: "at least half of the cell is hot").

    Returns
    -------
    xarray.DataArray
        Boolean, on the population grid (north-up), named ``hot_population_cell``, with
        ``attrs["min_share"]``.

    Examples
    --------
    One 20 m population cell over four 10 m LST cells, two of them hot (share 0.5):

    >>> import numpy as np
    >>> from urbanrisk.layers import raster_from_array
    >>> pop = raster_from_array(np.array([[8.0]]), crs=3067,
    ...                         transform=(20, 0, 0, 0, -20, 20), units="people")
    >>> hot = raster_from_array(np.array([[1.0, 0.0], [1.0, 0.0]]), crs=3067,
    ...                         transform=(10, 0, 0, 0, -10, 20), units="1")
    >>> hot_population_cells(hot, pop).values.tolist()
    [[True]]
    >>> hot_population_cells(hot, pop, min_share=0.75).values.tolist()
    [[False]]
    """
    hz = _check_hot(hot)
    pop = _check_population(population)
    share_min = require_probability(min_share, name="min_share")
    hz, wy, wx = _hazard_on_population_grid(pop, hz)
    band = _grid.band_stack(hz, [])[0]
    share = _transfer(band, wy, wx, None, _hot_field)[0]
    out = xr.DataArray(share >= share_min, coords={"y": pop["y"], "x": pop["x"]},
                       dims=("y", "x"), name="hot_population_cell")
    out = out.rio.write_crs(pop.rio.crs)
    out.attrs = {"min_share": share_min, "units": "1"}
    return out


def _hot_field(values: np.ndarray) -> np.ndarray:
    """``(1, ny, nx)`` indicator of hot cells (NaN is not hot)."""
    return (values == 1).astype(np.float64)[None]


def _hot_threshold(lst: xr.DataArray, percentile: float, threshold: float | None):
    """(threshold in °C, how it was chosen) for an LST already through the contract."""
    p = _check_percentile(percentile)  # checked even when unused: NaN is never accepted
    if threshold is None:
        return _threshold(lst, p), f"{p:g}th percentile of the valid cells"
    return require_number(threshold, name="threshold", units="degC"), "absolute threshold"


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
        Land surface temperature (``degC``, ``K`` or ``degF``; converted to °C).
    percentile, threshold : float
        Hot-spot definition, as in :func:`hot_spots` (``threshold`` in °C).
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
        and the ``threshold`` used (°C).

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
    lst = _check_lst(lst)
    thr, _ = _hot_threshold(lst, percentile, threshold)
    share = 1.0
    if vulnerable_share is not None:
        share = require_probability(vulnerable_share, name="vulnerable_share")
    t = exposed_population(population, lst, threshold=thr, zones=zones, zone_column=zone_column)
    keys = ["zone"] if zones is not None else []
    total = t.groupby(keys, sort=False)["people"].sum() if keys else t["people"].sum()
    hot = t[np.isposinf(t["class_upper"].to_numpy(float))]  # the class (thr, inf)
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
    out.attrs = {**t.attrs, "units": {"people": "people", "people_in_hot_spots": "people",
                                      "share_in_hot_spots": "1", "threshold": "degC"}}
    return out
