"""Shoreline change: transects, DSAS statistics, forecasts, and the Bruun rule.

The Digital Shoreline Analysis System (DSAS) measures dated shoreline positions along
transects cast from a baseline and summarises each transect's history. Its statistics are
described in two separate user guides: Himmelstoss, Henderson, Kratzmann & Farris (2018),
*Digital Shoreline Analysis System (DSAS) version 5.0 user guide*, USGS Open-File Report
2018–1179 (doi:10.3133/ofr20181179), and Himmelstoss et al. (2021), *… version 5.1 user
guide*, USGS Open-File Report 2021–1091 (doi:10.3133/ofr20211091), which USGS states still
applies to many aspects of DSAS v6:

* SCE — shoreline change envelope: the distance between the farthest and closest shorelines;
* NSM — net shoreline movement: youngest minus oldest position;
* EPR — end point rate: NSM divided by the time between them, with uncertainty
  ``sqrt(e_oldest² + e_youngest²) / Δt``;
* LRR — linear regression rate: the ordinary least-squares slope of position on time, with
  R², the standard error of the slope and its confidence interval (Student t, n − 2 degrees
  of freedom);
* WLR — weighted linear regression rate: the same with weights ``w = 1 / e²`` from each
  shoreline's position uncertainty ``e``.

**Sign convention**: distances are measured along the transect from its **landward start**
(not from the baseline), so positions grow seaward; a **negative rate is erosion**
(landward retreat) and a positive rate is accretion. Transects are oriented landward to
seaward. With :func:`cast_transects` the baseline lies at position ``landward_m`` (0 by
default), so an offshore baseline works by casting the transects landward of it
(``landward_m`` covering the shorelines). If the sea side is given wrongly the transects
point landward and every rate changes sign; :func:`points_seaward` checks the
orientation against the sea.

Forecasts (:func:`forecast_shoreline`) extrapolate the ordinary-least-squares regression to
future dates with its prediction interval, anchored to a reference date the caller gives
(never the system clock). This is **not** the DSAS forecast: DSAS v5 forecasts 10- or
20-year shoreline positions with a Kalman filter that assimilates the observed shorelines
into a rate model, updating the rate and its uncertainty at each observation (Long &
Plant 2012, *Extended Kalman Filter framework for forecasting shoreline evolution*,
Geophysical Research Letters 39, L13603; described in OFR 2018–1179), and DSAS v6 dropped
forecasting. The Bruun rule (Bruun 1962)
adds the retreat from sea-level rise: ``R = S · L* / (B + h*)`` with the closure depth
``h*`` from Hallermeier (1981) or Birkemeier (1985).

Examples
--------
>>> round(bruun_retreat(0.5, closure_distance_m=500.0, closure_depth_m=8.0,
...                     berm_height_m=2.0), 2)
25.0
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import xarray as xr
from scipy import stats
from shapely.geometry import LineString, Point

from urbanrisk.errors import InputValueError
from urbanrisk.layers import (
    prepare_vector,
    require_number,
    require_numbers,
    require_numeric_column,
    require_overlap,
    require_positive,
)

__all__ = [
    "GRAVITY_M_S2",
    "cast_transects",
    "points_seaward",
    "shoreline_intersections",
    "shoreline_change_statistics",
    "RateSummary",
    "summarize_rates",
    "forecast_shoreline",
    "closure_depth",
    "bruun_retreat",
    "decimal_years",
]

logger = logging.getLogger(__name__)

#: Standard gravity used in the closure-depth formulas (m/s²).
GRAVITY_M_S2 = 9.81
_DAYS_PER_YEAR = 365.2425
_LINES = ("LineString", "MultiLineString")


def _confidence(level: float) -> float:
    return require_number(level, name="confidence_level", low=0.0, high=1.0, low_open=True,
                          high_open=True)


def _align(gdf: gpd.GeoDataFrame, *, name: str, like: gpd.GeoDataFrame, like_name: str,
           geom_types: Sequence[str] | None = None) -> gpd.GeoDataFrame:
    """Return ``gdf`` through the contract, in ``like``'s CRS and overlapping it."""
    out = prepare_vector(gdf, name=name, like=like, geom_types=geom_types, overlap=False)
    require_overlap(like, out, names=(like_name, name))
    return out


def _whole(value: int, *, name: str, low: int) -> int:
    v = require_number(value, name=name, low=low)
    if v != int(v):
        raise InputValueError(f"{name} must be a whole number, got {value!r}.")
    return int(v)


def decimal_years(dates: Sequence | pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """Dates as decimal years: ``year + (time since 1 January) / (length of that year)``.

    Time-zone-aware dates are converted to UTC first; naive dates are taken as UTC.

    Examples
    --------
    >>> decimal_years(pd.to_datetime(["2000-01-01", "2000-07-02"])).round(3).tolist()
    [2000.0, 2000.5]
    """
    d = pd.to_datetime(pd.Series(list(dates)), utc=True)
    if d.isna().any():
        raise InputValueError(
            f"{int(d.isna().sum())} dates are missing (NaT); give a date for each value."
        )
    year = d.dt.year.to_numpy()
    start = pd.to_datetime(pd.DataFrame({"year": year, "month": 1, "day": 1}), utc=True)
    end = pd.to_datetime(pd.DataFrame({"year": year + 1, "month": 1, "day": 1}), utc=True)
    frac = ((d - start) / (end - start)).to_numpy(dtype=float)
    return year.astype(float) + frac


# --------------------------------------------------------------------------------------
# Transects
# --------------------------------------------------------------------------------------
def cast_transects(
    baseline: gpd.GeoDataFrame,
    *,
    spacing_m: float,
    length_m: float,
    seaward: str = "right",
    landward_m: float = 0.0,
    smoothing_m: float | None = None,
) -> gpd.GeoDataFrame:
    """Cast transects perpendicular to a baseline at a regular spacing (as DSAS does).

    Parameters
    ----------
    baseline : geopandas.GeoDataFrame
        One or more (Multi)LineStrings in a projected CRS (a geographic one is reprojected
        to UTM), drawn onshore of all shorelines.
    spacing_m : float
        Distance between transects along the baseline.
    length_m : float
        Length of each transect seaward of the baseline.
    seaward : {"right", "left"}, default "right"
        Side of the baseline (looking along its direction) on which the sea lies.
    landward_m : float, default 0
        Extension of each transect behind (landward of) the baseline. Positions are
        measured from each transect's landward start, so the baseline lies at position
        ``landward_m`` and positions behind it are between 0 and ``landward_m`` (never
        negative). For an offshore baseline, make ``landward_m`` long enough to reach the
        shorelines.
    smoothing_m : float, optional
        Half-width of the baseline stretch used to compute the perpendicular (default half
        the spacing), which smooths the orientation of transects on a wiggly baseline.

    Returns
    -------
    geopandas.GeoDataFrame
        ``transect_id``, ``baseline_id``, ``chainage_m`` (distance along the baseline) and
        the transect line, oriented landward → seaward; ``attrs["landward_m"]``.

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> base = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (100, 0)])], crs=3067)
    >>> t = cast_transects(base, spacing_m=50, length_m=200, seaward="right")
    >>> [list(g.coords) for g in t.geometry]
    [[(0.0, 0.0), (0.0, -200.0)], [(50.0, 0.0), (50.0, -200.0)], [(100.0, 0.0), (100.0, -200.0)]]
    """
    if not isinstance(baseline, gpd.GeoDataFrame | gpd.GeoSeries):
        raise InputValueError("baseline must be a GeoDataFrame of lines.")
    base = prepare_vector(gpd.GeoDataFrame(geometry=gpd.GeoSeries(baseline.geometry)),
                          name="baseline", geom_types=_LINES)
    spacing = require_positive(spacing_m, name="spacing_m")
    length = require_positive(length_m, name="length_m")
    back = require_positive(landward_m, name="landward_m", allow_zero=True)
    if seaward not in ("left", "right"):
        raise InputValueError(f"seaward must be 'left' or 'right', got {seaward!r}.")
    half = spacing / 2 if smoothing_m is None else require_positive(smoothing_m,
                                                                     name="smoothing_m")
    rows = []
    tid = 0
    for bid, geom in zip(baseline.index, base.geometry, strict=True):
        parts = list(geom.geoms) if geom.geom_type == "MultiLineString" else [geom]
        for part in parts:
            if part.geom_type != "LineString":
                raise InputValueError("The baseline must be made of lines.")
            total = part.length
            for d in np.arange(0.0, total + 1e-9, spacing):
                a = part.interpolate(max(d - half, 0.0))
                b = part.interpolate(min(d + half, total))
                tx, ty = b.x - a.x, b.y - a.y
                norm = np.hypot(tx, ty)
                if norm == 0:
                    continue
                tx, ty = tx / norm, ty / norm
                nx, ny = (ty, -tx) if seaward == "right" else (-ty, tx)
                p = part.interpolate(d)
                line = LineString([(p.x - back * nx, p.y - back * ny),
                                   (p.x + length * nx, p.y + length * ny)])
                rows.append({"transect_id": tid, "baseline_id": bid, "chainage_m": float(d),
                             "geometry": line})
                tid += 1
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs=base.crs)
    out.attrs["landward_m"] = back
    return out


def points_seaward(
    transects: gpd.GeoDataFrame,
    sea: gpd.GeoDataFrame,
) -> pd.Series:
    """Whether each transect runs towards the sea (its end nearer the sea than its start).

    Positions, and so the sign of every rate, assume transects oriented landward →
    seaward. A baseline cast with the wrong ``seaward`` side gives transects that point
    landward and flips the sign of every rate (erosion read as accretion), silently. This
    compares the distance to the sea of each transect's start and end.

    Parameters
    ----------
    transects : geopandas.GeoDataFrame
        Straight transect lines (e.g. from :func:`cast_transects`).
    sea : geopandas.GeoDataFrame
        Sea polygons; reprojected to the transects' CRS and required to overlap them.

    Returns
    -------
    pandas.Series
        Boolean ``points_seaward`` on the transects' index; False where the start is
        nearer the sea than the end (or both are equally near, e.g. both in the sea).

    Examples
    --------
    The sea is south of y = −100; one transect points south, one north:

    >>> from shapely.geometry import LineString, box
    >>> sea = gpd.GeoDataFrame(geometry=[box(-500, -1000, 500, -100)], crs=3067)
    >>> tr = gpd.GeoDataFrame(geometry=[LineString([(0, 0), (0, -200)]),
    ...                                 LineString([(50, -200), (50, 0)])], crs=3067)
    >>> points_seaward(tr, sea).tolist()
    [True, False]
    """
    if not isinstance(transects, gpd.GeoDataFrame):
        raise InputValueError("transects must be a GeoDataFrame.")
    tr = prepare_vector(transects, name="transects", geom_types=("LineString",))
    sg = _align(sea, name="sea", like=tr, like_name="transects",
                geom_types=("Polygon", "MultiPolygon"))
    water = shapely.union_all(sg.geometry.to_numpy())
    starts = shapely.get_point(tr.geometry.to_numpy(), 0)
    ends = shapely.get_point(tr.geometry.to_numpy(), -1)
    out = shapely.distance(ends, water) < shapely.distance(starts, water)
    return pd.Series(out, index=transects.index, name="points_seaward")


# --------------------------------------------------------------------------------------
# Intersections
# --------------------------------------------------------------------------------------
def _transect_ids(transects: gpd.GeoDataFrame, id_column: str | None) -> pd.Series:
    if id_column is not None:
        if id_column not in transects.columns:
            raise InputValueError(f"transects have no column {id_column!r}.")
        return transects[id_column]
    if "transect_id" in transects.columns:
        return transects["transect_id"]
    return pd.Series(transects.index, index=transects.index)


def shoreline_intersections(
    transects: gpd.GeoDataFrame,
    shorelines: gpd.GeoDataFrame,
    *,
    date_column: str = "date",
    uncertainty_column: str | None = None,
    uncertainty_m: float | None = None,
    id_column: str | None = None,
    max_distance_m: float = 25.0,
    min_points: int = 3,
    multiple: str = "seaward",
    baseline: gpd.GeoDataFrame | None = None,
) -> pd.DataFrame:
    """Position of every dated shoreline along every transect.

    Positions are distances along the transect from its start (landward end). Shorelines may
    be:

    * (Multi)LineStrings, with or without Z (Z is ignored): the intersection point with the
      transect; if the shoreline crosses the transect several times, the most seaward
      crossing (``multiple="seaward"``, the DSAS default) or the most landward one is kept;
    * MultiPoints (e.g. CoastSat shorelines, whose points are contour vertices, not an
      ordered line): the points within ``max_distance_m`` of the transect line are projected
      onto it and the **median** of their positions is used (at least ``min_points``
      points), as CoastSat's ``compute_intersection`` does (Vos et al. 2019).

    Parameters
    ----------
    transects : geopandas.GeoDataFrame
        Straight transect lines, landward → seaward (e.g. from :func:`cast_transects`); a
        CRS not in metres is reprojected to UTM (logged).
    shorelines : geopandas.GeoDataFrame
        Dated shorelines; reprojected to the transects' CRS (logged) and required to
        overlap them (:class:`~urbanrisk.errors.NoOverlapError`).
    date_column : str, default "date"
        Column with the survey date of each shoreline (parsed with pandas, UTC).
    uncertainty_column : str, optional
        Column with each shoreline's position uncertainty (m, numbers >= 0 or NaN for
        unknown), used by EPR and WLR.
    uncertainty_m : float, optional
        One uncertainty (m, >= 0) for all shorelines (when there is no column).
    id_column : str, optional
        Transect id column (default ``transect_id`` if present, else the index).
    max_distance_m : float, default 25
        Search half-width around the transect for point shorelines.
    min_points : int, default 3
        Fewest points needed for a point-shoreline intersection.
    multiple : {"seaward", "landward"}, default "seaward"
        Which crossing to keep when a line crosses a transect more than once.
    baseline : geopandas.GeoDataFrame, optional
        The baseline the transects were cast from; line shorelines crossing it are refused.

    Returns
    -------
    pandas.DataFrame
        Tidy: ``transect_id``, ``date``, ``position_m``, ``uncertainty_m``, ``n_points``.

    Raises
    ------
    InputValueError
        Missing or unparseable dates, shorelines crossing the baseline, bad options
        (NaN or negative uncertainties, non-numeric uncertainty column).
    NoOverlapError
        Shorelines (or the baseline) that do not overlap the transects.
    InvalidGeometryError
        Empty or invalid geometries, transects that are not LineStrings.

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> tr = gpd.GeoDataFrame({"transect_id": [1]}, geometry=[LineString([(0, 0), (0, -100)])],
    ...                       crs=3067)
    >>> sh = gpd.GeoDataFrame({"date": ["2000-01-01", "2010-01-01"]},
    ...                       geometry=[LineString([(-50, -40), (50, -40)]),
    ...                                 LineString([(-50, -30), (50, -30)])], crs=3067)
    >>> shoreline_intersections(tr, sh)["position_m"].tolist()
    [40.0, 30.0]
    """
    for name, g in (("transects", transects), ("shorelines", shorelines)):
        if not isinstance(g, gpd.GeoDataFrame):
            raise InputValueError(f"{name} must be a GeoDataFrame.")
    transects = prepare_vector(transects, name="transects", geom_types=("LineString",))
    shorelines = _align(shorelines, name="shorelines", like=transects, like_name="transects")
    if multiple not in ("seaward", "landward"):
        raise InputValueError(f"multiple must be 'seaward' or 'landward', got {multiple!r}.")
    maxd = require_positive(max_distance_m, name="max_distance_m")
    min_points = _whole(min_points, name="min_points", low=1)
    if date_column not in shorelines.columns:
        raise InputValueError(
            f"The shorelines have no {date_column!r} column; every shoreline needs its survey "
            "date (pass date_column= naming it)."
        )
    dates = pd.to_datetime(shorelines[date_column], utc=True, errors="coerce")
    if dates.isna().any():
        bad = list(shorelines.index[dates.isna()][:10])
        raise InputValueError(
            f"{int(dates.isna().sum())} shorelines have no valid date (rows {bad}). Fill "
            f"{date_column!r} with dates such as '2021-03-01' or drop those rows."
        )
    if uncertainty_column is not None:
        if uncertainty_column not in shorelines.columns:
            raise InputValueError(f"The shorelines have no column {uncertainty_column!r}.")
        unc = require_numeric_column(shorelines, uncertainty_column, name="shorelines", low=0)
    elif uncertainty_m is not None:
        unc = np.full(len(shorelines), require_positive(uncertainty_m, name="uncertainty_m",
                                                        allow_zero=True))
    else:
        unc = np.full(len(shorelines), np.nan)
    geoms = shapely.force_2d(shorelines.geometry.to_numpy())
    if baseline is not None:
        b = _align(baseline, name="baseline", like=transects, like_name="transects",
                   geom_types=_LINES)
        bl = shapely.union_all(b.geometry.to_numpy())
        is_line = np.isin(shapely.get_type_id(geoms), [1, 5])
        crossing = is_line & shapely.intersects(geoms, bl)
        if crossing.any():
            which = dates[crossing].dt.date.astype(str).tolist()[:10]
            raise InputValueError(
                f"{int(crossing.sum())} shorelines cross the baseline (dates {which}). Move "
                "the baseline onshore of every shoreline (or offshore, and flip the "
                "transects) so positions are measured from one side."
            )
    ids = _transect_ids(transects, id_column)
    rows = []
    for tid, tgeom in zip(ids, transects.geometry, strict=True):
        coords = np.asarray(tgeom.coords)[:, :2]
        a, b = coords[0], coords[-1]
        length = float(np.hypot(*(b - a)))
        if length == 0:
            raise InputValueError(f"Transect {tid!r} has zero length.")
        u = (b - a) / length
        for k, g in enumerate(geoms):
            if g is None or g.is_empty:
                continue
            gtype = g.geom_type
            if gtype in ("MultiPoint", "Point"):
                pts = shapely.get_coordinates(g)
                rel = pts - a
                along = rel @ u
                perp = np.abs(rel[:, 0] * u[1] - rel[:, 1] * u[0])
                sel = (perp <= maxd) & (along >= 0) & (along <= length)
                if sel.sum() < min_points:
                    continue
                pos = float(np.median(along[sel]))
                npts = int(sel.sum())
            else:
                inter = tgeom.intersection(g)
                if inter.is_empty:
                    continue
                pts = shapely.get_coordinates(inter)
                along = (pts - a) @ u
                pos = float(along.max() if multiple == "seaward" else along.min())
                npts = len(pts)
            rows.append({"transect_id": tid, "date": dates.iloc[k], "position_m": pos,
                         "uncertainty_m": unc[k], "n_points": npts})
    out = pd.DataFrame(rows, columns=["transect_id", "date", "position_m", "uncertainty_m",
                                      "n_points"])
    return out.sort_values(["transect_id", "date"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------
def _check_intersections(intersections: pd.DataFrame) -> pd.DataFrame:
    """Refuse a table without the columns of :func:`shoreline_intersections` or with text."""
    need = {"transect_id", "date", "position_m"}
    if not isinstance(intersections, pd.DataFrame) or not need <= set(intersections.columns):
        raise InputValueError(
            f"intersections must be a table with columns {sorted(need)} (see "
            "shoreline_intersections)."
        )
    out = intersections.copy()
    out["position_m"] = require_numeric_column(intersections, "position_m",
                                               name="intersections")
    if "uncertainty_m" in out.columns:
        out["uncertainty_m"] = require_numeric_column(intersections, "uncertainty_m",
                                                      name="intersections", low=0)
    dates = pd.to_datetime(out["date"], utc=True, errors="coerce")
    if dates.isna().any():
        raise InputValueError(
            f"intersections has {int(dates.isna().sum())} rows without a valid date; fill "
            "or drop them."
        )
    return out


def _regression(x: np.ndarray, y: np.ndarray, w: np.ndarray | None, level: float) -> dict:
    n = x.size
    if w is None:
        w = np.ones(n)
    sw = w.sum()
    xm = (w * x).sum() / sw
    ym = (w * y).sum() / sw
    sxx = (w * (x - xm) ** 2).sum()
    slope = (w * (x - xm) * (y - ym)).sum() / sxx
    intercept = ym - slope * xm
    resid = y - (intercept + slope * x)
    sse = (w * resid**2).sum()
    sst = (w * (y - ym) ** 2).sum()
    dof = n - 2
    s = np.sqrt(sse / dof)
    se = s / np.sqrt(sxx)
    tval = stats.t.ppf(0.5 + level / 2, dof)
    return {
        "rate": slope,
        "intercept": intercept,
        "r2": 1.0 - sse / sst if sst > 0 else np.nan,
        "se": se,
        "ci": tval * se,
        "s": s,
        "xm": xm,
        "sxx": sxx,
        "sw": sw,
        "t": tval,
        "n": n,
    }


def shoreline_change_statistics(
    intersections: pd.DataFrame,
    *,
    confidence_level: float = 0.90,
    min_shorelines: int = 3,
) -> pd.DataFrame:
    """DSAS shoreline-change statistics per transect (OFR 2018–1179, OFR 2021–1091).

    Parameters
    ----------
    intersections : pandas.DataFrame
        Output of :func:`shoreline_intersections` (``transect_id``, ``date``,
        ``position_m``, ``uncertainty_m``).
    confidence_level : float, default 0.90
        Level of the LRR and WLR confidence intervals (DSAS lets the user choose it).
    min_shorelines : int, default 3
        Fewest shorelines for the statistics (DSAS needs 3 for the regressions; EPR/NSM/SCE
        are given from 2).

    Returns
    -------
    pandas.DataFrame
        One row per transect: ``n_shorelines``, ``date_oldest``, ``date_youngest``,
        ``SCE_m``, ``NSM_m``, ``EPR_m_per_yr``, ``EPR_unc_m_per_yr``, ``LRR_m_per_yr``,
        ``LRR_r2``, ``LRR_se_m_per_yr``, ``LRR_ci_m_per_yr`` (half-width), ``LRR_ci_low``,
        ``LRR_ci_high``, the same for ``WLR`` (when uncertainties are known) and ``status``:
        ``"ok"`` or a sentence saying why a statistic is missing (e.g. "2 shorelines: fewer
        than 3, no regression"). Negative rates are erosion.

    Examples
    --------
    >>> df = pd.DataFrame({"transect_id": 1,
    ...                    "date": pd.to_datetime(["2000-01-01", "2005-01-01", "2010-01-01"]),
    ...                    "position_m": [50.0, 45.0, 38.0], "uncertainty_m": 3.0})
    >>> st = shoreline_change_statistics(df)
    >>> st[["NSM_m", "SCE_m", "n_shorelines"]].values.tolist()
    [[-12.0, 12.0, 3.0]]
    >>> round(float(st["EPR_m_per_yr"].iloc[0]), 3), round(float(st["LRR_m_per_yr"].iloc[0]), 3)
    (-1.2, -1.2)
    """
    intersections = _check_intersections(intersections)
    level = _confidence(confidence_level)
    min_shorelines = _whole(min_shorelines, name="min_shorelines", low=3)
    rows = []
    for tid, g in intersections.groupby("transect_id", sort=True):
        g = g.dropna(subset=["position_m"]).sort_values("date")
        n = len(g)
        row: dict = {"transect_id": tid, "n_shorelines": n}
        if n == 0:
            row["status"] = "no shoreline intersects this transect"
            rows.append(row)
            continue
        x = decimal_years(g["date"])
        y = g["position_m"].to_numpy(dtype=float)
        e = (g["uncertainty_m"].to_numpy(dtype=float) if "uncertainty_m" in g
             else np.full(n, np.nan))
        row["date_oldest"] = g["date"].iloc[0]
        row["date_youngest"] = g["date"].iloc[-1]
        row["SCE_m"] = float(y.max() - y.min())
        notes = []
        if n >= 2 and x[-1] > x[0]:
            dt = x[-1] - x[0]
            row["NSM_m"] = float(y[-1] - y[0])
            row["EPR_m_per_yr"] = row["NSM_m"] / dt
            row["EPR_unc_m_per_yr"] = float(np.hypot(e[0], e[-1]) / dt)
        else:
            notes.append(f"{n} shoreline(s) on one date: no rate")
        if n >= min_shorelines and np.ptp(x) > 0:
            r = _regression(x, y, None, level)
            row.update({
                "LRR_m_per_yr": r["rate"], "LRR_r2": r["r2"], "LRR_se_m_per_yr": r["se"],
                "LRR_ci_m_per_yr": r["ci"], "LRR_ci_low": r["rate"] - r["ci"],
                "LRR_ci_high": r["rate"] + r["ci"],
            })
            if np.isfinite(e).all() and (e > 0).all():
                r = _regression(x, y, 1.0 / e**2, level)
                row.update({
                    "WLR_m_per_yr": r["rate"], "WLR_r2": r["r2"], "WLR_se_m_per_yr": r["se"],
                    "WLR_ci_m_per_yr": r["ci"], "WLR_ci_low": r["rate"] - r["ci"],
                    "WLR_ci_high": r["rate"] + r["ci"],
                })
            else:
                notes.append("no positive uncertainties: no WLR")
        else:
            notes.append(f"{n} shorelines: fewer than {min_shorelines}, no regression")
        row["status"] = "ok" if not notes else "; ".join(notes)
        rows.append(row)
    cols = ["transect_id", "n_shorelines", "date_oldest", "date_youngest", "SCE_m", "NSM_m",
            "EPR_m_per_yr", "EPR_unc_m_per_yr", "LRR_m_per_yr", "LRR_r2", "LRR_se_m_per_yr",
            "LRR_ci_m_per_yr", "LRR_ci_low", "LRR_ci_high", "WLR_m_per_yr", "WLR_r2",
            "WLR_se_m_per_yr", "WLR_ci_m_per_yr", "WLR_ci_low", "WLR_ci_high", "status"]
    out = pd.DataFrame(rows).reindex(columns=cols)
    short = out["status"] != "ok"
    if short.any():
        logger.warning("%d transects lack some statistics: %s", int(short.sum()),
                       out.loc[short, ["transect_id", "status"]].to_dict("records")[:5])
    out.attrs["confidence_level"] = level
    return out


@dataclass(frozen=True)
class RateSummary:
    """Shoreline change rates summarised over transects (see :func:`summarize_rates`)."""

    rate: str
    transects: int
    median_m_per_yr: float
    min_m_per_yr: float
    max_m_per_yr: float
    eroding_percent: float

    def to_frame(self) -> pd.DataFrame:
        """One row, one column per field."""
        return pd.DataFrame([asdict(self)])

    def _repr_html_(self) -> str:
        return self.to_frame().to_html(index=False)


def summarize_rates(stats: pd.DataFrame, *, rate: str = "LRR_m_per_yr") -> RateSummary:
    """Median, extremes and share of eroding transects of one rate column.

    Transects without the rate (too few shorelines) are left out; a transect is eroding
    when its rate is negative (the sign convention of this module).

    Parameters
    ----------
    stats : pandas.DataFrame
        Output of :func:`shoreline_change_statistics`.
    rate : str, default "LRR_m_per_yr"
        Rate column: ``LRR_m_per_yr``, ``WLR_m_per_yr`` or ``EPR_m_per_yr``.

    Returns
    -------
    RateSummary
        NaN statistics when no transect has the rate.

    Examples
    --------
    >>> st = pd.DataFrame({"LRR_m_per_yr": [-1.0, 0.5, -0.2, np.nan]})
    >>> s = summarize_rates(st)
    >>> s.transects, s.median_m_per_yr, s.min_m_per_yr, round(s.eroding_percent, 1)
    (3, -0.2, -1.0, 66.7)
    """
    if not isinstance(stats, pd.DataFrame):
        raise InputValueError("stats must be the table of shoreline_change_statistics().")
    values = require_numeric_column(stats, rate, name="stats")
    ok = values[np.isfinite(values)]
    if not ok.size:
        return RateSummary(rate, 0, np.nan, np.nan, np.nan, np.nan)
    return RateSummary(rate, int(ok.size), float(np.median(ok)), float(ok.min()),
                       float(ok.max()), 100.0 * float((ok < 0).mean()))


def forecast_shoreline(
    intersections: pd.DataFrame,
    *,
    reference_date: str | pd.Timestamp,
    horizons_years: Sequence[float] | None = None,
    dates: Sequence | None = None,
    confidence_level: float = 0.90,
    min_shorelines: int = 3,
    transects: gpd.GeoDataFrame | None = None,
    id_column: str | None = None,
) -> pd.DataFrame | gpd.GeoDataFrame:
    """Forecast shoreline positions by extrapolating the linear regression (not DSAS's method).

    The position at time ``x0`` is ``a + b·x0`` (the LRR line) with the prediction interval
    ``± t_{(1+level)/2, n−2} · s · sqrt(1 + 1/n + (x0 − x̄)² / Sxx)`` of ordinary
    least squares: the uncertainty of a new observation, which widens with the distance
    from the mean survey date. Forecast dates are ``reference_date + horizons_years`` or
    explicit ``dates`` (any horizon); the reference date is required so that results never
    depend on the day the code runs.

    How this differs from DSAS: the DSAS v5 beta forecast (OFR 2018–1179) combines the
    observed positions with a rate model in a Kalman filter (Long & Plant 2012,
    Geophysical Research Letters 39, L13603), updating the rate and its uncertainty at
    every survey, so recent surveys weigh more, and it offers only 10- and 20-year
    horizons; DSAS v6 no longer forecasts. Here all surveys weigh equally, the rate is the
    LRR, and the interval is the classical OLS prediction interval, which assumes the
    linear trend holds over the horizon.

    Parameters
    ----------
    intersections : pandas.DataFrame
        Output of :func:`shoreline_intersections`.
    reference_date : str or pandas.Timestamp
        Date the horizons count from (e.g. the date of the latest survey).
    horizons_years : sequence of float, optional
        Years after ``reference_date`` to forecast.
    dates : sequence, optional
        Explicit forecast dates instead of horizons.
    confidence_level : float, default 0.90
        Level of the prediction interval.
    min_shorelines : int, default 3
        Transects with fewer shorelines are reported with ``status`` and no forecast.
    transects : geopandas.GeoDataFrame, optional
        The transects: when given, a point geometry at the forecast position is added.
    id_column : str, optional
        Transect id column of ``transects``.

    Returns
    -------
    pandas.DataFrame or geopandas.GeoDataFrame
        ``transect_id``, ``date``, ``horizon_years``, ``position_m``, ``pi_low_m``,
        ``pi_high_m``, ``status``.

    Examples
    --------
    >>> df = pd.DataFrame({"transect_id": 1,
    ...                    "date": pd.to_datetime(["2000-01-01", "2010-01-01", "2020-01-01"]),
    ...                    "position_m": [50.0, 40.0, 30.0]})
    >>> fc = forecast_shoreline(df, reference_date="2020-01-01", horizons_years=[10])
    >>> round(float(fc["position_m"].iloc[0]), 2)
    20.0
    """
    if reference_date is None:
        raise InputValueError("reference_date is required (e.g. the latest survey date).")
    ref = pd.Timestamp(reference_date)
    ref = ref.tz_localize("UTC") if ref.tzinfo is None else ref.tz_convert("UTC")
    if (horizons_years is None) == (dates is None):
        raise InputValueError("Give exactly one of horizons_years= or dates=.")
    intersections = _check_intersections(intersections)
    if horizons_years is not None:
        horizons_years = require_numbers(np.atleast_1d(np.asarray(horizons_years)),
                                         name="horizons_years")
    if dates is not None:
        when = pd.to_datetime(pd.Series(list(dates)), utc=True)
    else:
        when = pd.Series([
            ref + pd.DateOffset(years=int(np.floor(h)))
            + pd.Timedelta(days=float(h - np.floor(h)) * _DAYS_PER_YEAR)
            for h in horizons_years
        ])
    level = _confidence(confidence_level)
    min_shorelines = _whole(min_shorelines, name="min_shorelines", low=1)
    if transects is not None:
        transects = prepare_vector(transects, name="transects", geom_types=("LineString",))
    x_ref = decimal_years([ref])[0]
    if horizons_years is not None:  # exact horizons; dates only label them
        x0 = x_ref + np.asarray(horizons_years, dtype=float)
    else:
        x0 = decimal_years(when)
    rows = []
    for tid, g in intersections.dropna(subset=["position_m"]).groupby("transect_id", sort=True):
        n = len(g)
        x = decimal_years(g["date"]) - x_ref
        if n < max(3, int(min_shorelines)) or np.ptp(x) == 0:
            for d, xv in zip(when, x0, strict=True):
                rows.append({"transect_id": tid, "date": d, "horizon_years": xv - x_ref,
                             "status": f"{n} shorelines: too few for a forecast"})
            continue
        r = _regression(x, g["position_m"].to_numpy(dtype=float), None, level)
        for d, xv in zip(when, x0, strict=True):
            h = xv - x_ref
            pos = r["intercept"] + r["rate"] * h
            half = r["t"] * r["s"] * np.sqrt(1 + 1 / n + (h - r["xm"]) ** 2 / r["sxx"])
            rows.append({"transect_id": tid, "date": d, "horizon_years": h, "position_m": pos,
                         "pi_low_m": pos - half, "pi_high_m": pos + half, "status": "ok"})
    out = pd.DataFrame(rows, columns=["transect_id", "date", "horizon_years", "position_m",
                                      "pi_low_m", "pi_high_m", "status"])
    if transects is None:
        return out
    ids = _transect_ids(transects, id_column)
    lines = dict(zip(ids, transects.geometry, strict=True))
    geoms = []
    for tid, pos in zip(out["transect_id"], out["position_m"], strict=True):
        line = lines.get(tid)
        geoms.append(None if line is None or not np.isfinite(pos) else _point_along(line, pos))
    return gpd.GeoDataFrame(out, geometry=geoms, crs=transects.crs)


def _point_along(line: LineString, distance: float) -> Point:
    """Point at ``distance`` from the start along the straight line (extrapolated)."""
    c = np.asarray(line.coords)[:, :2]
    a, b = c[0], c[-1]
    u = (b - a) / np.hypot(*(b - a))
    p = a + u * distance
    return Point(float(p[0]), float(p[1]))


# --------------------------------------------------------------------------------------
# Bruun rule
# --------------------------------------------------------------------------------------
def closure_depth(
    wave_height_m: float | np.ndarray,
    wave_period_s: float | np.ndarray,
    *,
    method: str = "hallermeier",
) -> float | np.ndarray:
    """Depth of closure from the effective wave height and period.

    * Hallermeier (1981): ``h_c = 2.28 H_e − 68.5 H_e² / (g T_e²)``;
    * Birkemeier (1985): ``h_c = 1.75 H_e − 57.9 H_e² / (g T_e²)``;

    with ``H_e`` the nearshore significant wave height exceeded 12 hours a year and ``T_e``
    its period (Hallermeier 1981, *A profile zonation for seasonal sand beaches from wave
    climate*, Coastal Engineering 4; Birkemeier 1985, *Field data on seaward limit of profile
    change*, J. Waterway, Port, Coastal and Ocean Eng. 111(3)); ``g = 9.81 m/s²``.

    Examples
    --------
    >>> round(closure_depth(4.0, 10.0), 3), round(closure_depth(4.0, 10.0, method="birkemeier"), 3)
    (8.003, 6.056)
    """
    h = require_numbers(np.asarray(wave_height_m), name="wave_height_m", low=0, low_open=True)
    t = require_numbers(np.asarray(wave_period_s), name="wave_period_s", low=0, low_open=True)
    if method == "hallermeier":
        a, b = 2.28, 68.5
    elif method == "birkemeier":
        a, b = 1.75, 57.9
    else:
        raise InputValueError(f"method must be 'hallermeier' or 'birkemeier', got {method!r}.")
    out = a * h - b * h**2 / (GRAVITY_M_S2 * t**2)
    if (out <= 0).any():
        raise InputValueError(
            "The closure depth is not positive for these waves (steepness beyond the "
            "formula's range); check that H is in m and T in s."
        )
    return float(out) if out.ndim == 0 else out


def bruun_retreat(
    sea_level_rise_m: float | np.ndarray | xr.DataArray,
    *,
    closure_distance_m: float,
    berm_height_m: float,
    closure_depth_m: float | None = None,
    wave_height_m: float | None = None,
    wave_period_s: float | None = None,
    closure_method: str = "hallermeier",
) -> float | np.ndarray | xr.DataArray:
    """Shoreline retreat from sea-level rise by the Bruun rule: ``R = S · L* / (B + h*)``.

    ``S`` is the sea-level rise, ``L*`` the cross-shore distance from the shoreline to the
    depth of closure, ``B`` the berm (or dune) height and ``h*`` the closure depth (Bruun
    1962, *Sea-level rise as a cause of shore erosion*, J. Waterways and Harbors Division
    88). ``h*`` is given directly or computed from wave statistics with
    :func:`closure_depth`. Positive R is landward retreat.

    Parameters
    ----------
    sea_level_rise_m : float, numpy.ndarray or xarray.DataArray
        Sea-level rise S (m); a projection DataArray keeps its dims.
    closure_distance_m : float
        L* (m).
    berm_height_m : float
        B (m), ≥ 0.
    closure_depth_m : float, optional
        h* (m); or give ``wave_height_m`` and ``wave_period_s``.
    wave_height_m, wave_period_s : float, optional
        Effective wave height (m) and period (s) for :func:`closure_depth`.
    closure_method : {"hallermeier", "birkemeier"}
        Closure-depth formula.

    Examples
    --------
    >>> # h* = 2.28·2 − 68.5·4 / (9.81·64) = 4.1236 m; R = 0.5 · 300 / (1.5 + 4.1236)
    >>> round(bruun_retreat(0.5, closure_distance_m=300, berm_height_m=1.5,
    ...                     wave_height_m=2.0, wave_period_s=8.0), 2)
    26.67
    """
    length = require_positive(closure_distance_m, name="closure_distance_m")
    berm = require_positive(berm_height_m, name="berm_height_m", allow_zero=True)
    if closure_depth_m is None:
        if wave_height_m is None or wave_period_s is None:
            raise InputValueError(
                "Give closure_depth_m, or wave_height_m and wave_period_s to compute it."
            )
        hc = closure_depth(wave_height_m, wave_period_s, method=closure_method)
    else:
        hc = require_positive(closure_depth_m, name="closure_depth_m")
    factor = length / (berm + float(hc))
    if isinstance(sea_level_rise_m, str | bytes | bool):
        require_number(sea_level_rise_m, name="sea_level_rise_m")  # raises
    slr = require_numbers(sea_level_rise_m, name="sea_level_rise_m")
    if isinstance(sea_level_rise_m, xr.DataArray):
        out = sea_level_rise_m.copy(data=slr.reshape(sea_level_rise_m.shape)) * factor
    elif np.ndim(sea_level_rise_m) == 0:
        out = float(slr) * factor
    else:
        out = slr.reshape(np.shape(sea_level_rise_m)) * factor
    if isinstance(out, xr.DataArray):
        out.name = "bruun_retreat"
        out.attrs = {"units": "m", "bruun_factor": factor}
    return out
