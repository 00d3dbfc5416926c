"""Retreat zones and the asset timeline: which building the sea reaches, when, and how.

A retreat zone for a (scenario, quantile, year) is the union of

* the hydrologically **connected inundation** at that year's water level (optionally with a
  surge return level on top; :mod:`urbanrisk.coast.inundation`), and
* the **erosion setback**: the land between today's shoreline and the shoreline projected
  from the historical trend plus the Bruun-rule retreat caused by the additional sea-level
  rise (:mod:`urbanrisk.coast.shoreline`), turned into a polygon by joining the projected
  positions on consecutive transects.

:func:`asset_timeline` gives, for each building, road or site, the first year it falls in a
retreat zone and by which mechanism, per scenario and quantile — a tidy table a planner can
filter ("which schools are reached before 2070 under SSP2-4.5, median?").

Examples
--------
>>> import numpy as np, geopandas as gpd, xarray as xr
>>> from shapely.geometry import Point
>>> from urbanrisk.layers import raster_from_array
>>> from urbanrisk.coast import connection_level
>>> dem = raster_from_array(np.array([[0.0, 0.3, 0.6, 2.0]]), crs=3067,
...                         transform=(10, 0, 0, 0, -10, 10), units="m")
>>> conn = connection_level(dem, sea_level_m=0.0)
>>> houses = gpd.GeoDataFrame({"name": ["a", "b", "c"]}, crs=3067,
...                           geometry=[Point(15, 5), Point(25, 5), Point(35, 5)])
>>> lv = xr.DataArray([[[0.2, 0.4, 0.7]]], dims=("scenario", "quantile", "year"),
...                   coords={"scenario": ["S"], "quantile": [0.5], "year": [2050, 2100, 2150]})
>>> tl = asset_timeline(houses, conn, lv, id_column="name")
>>> tl[["asset_id", "first_year", "mechanism"]].values.tolist()
[['a', 2100.0, 'inundation'], ['b', 2150.0, 'inundation'], ['c', nan, 'not reached']]
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import xarray as xr
from affine import Affine
from shapely.geometry import Polygon

from urbanrisk.coast.inundation import (
    _check_connection,
    _check_reference,
    _in_precision,
    _levels_array,
    first_flood_year,
)
from urbanrisk.coast.scenarios import _check_projection
from urbanrisk.coast.shoreline import (
    _check_intersections,
    _point_along,
    _regression,
    _transect_ids,
    _whole,
    bruun_retreat,
    decimal_years,
)
from urbanrisk.errors import DimensionError, InputValueError
from urbanrisk.layers import (
    cell_area_m2,
    prepare_vector,
    require_number,
    require_numbers,
    require_numeric_column,
    require_overlap,
)

__all__ = [
    "asset_connection_level",
    "erosion_setback",
    "erosion_zones",
    "retreat_zones",
    "asset_timeline",
    "assets_reached",
]

logger = logging.getLogger(__name__)


def _asset_ids(assets: gpd.GeoDataFrame, id_column: str | None) -> pd.Index:
    if id_column is None:
        return assets.index
    if id_column not in assets.columns:
        raise InputValueError(f"assets have no column {id_column!r}.")
    ids = pd.Index(assets[id_column])
    if ids.has_duplicates:
        raise InputValueError(f"assets[{id_column!r}] has duplicate ids; ids must be unique.")
    return ids


def asset_connection_level(
    assets: gpd.GeoDataFrame,
    connection: xr.DataArray,
    *,
    id_column: str | None = None,
) -> pd.Series:
    """Lowest connection level over the cells each asset touches.

    An asset is reached as soon as any part of it is: its connection level is the minimum
    over every cell its geometry touches (``all_touched`` rasterization, so small buildings
    and thin roads always get a cell). Sea and nodata cells are ignored; assets touching
    none of the raster's land cells get NaN (and are logged).

    Parameters
    ----------
    assets : geopandas.GeoDataFrame
        Buildings, roads or sites (any geometry type); reprojected to the raster's CRS
        (logged) and required to overlap it; empty or invalid geometries are refused.
    connection : xarray.DataArray
        Output of :func:`~urbanrisk.coast.connection_level`.
    id_column : str, optional
        Column of unique asset ids (default: the index).

    Returns
    -------
    pandas.Series
        Connection level (m) per asset id, in the raster's float type (float32 for a
        float32 DEM, the precision :func:`~urbanrisk.coast.first_flood_year` compares
        levels in); ``attrs["vertical_reference"]`` as the raster's.

    Raises
    ------
    NoOverlapError
        When the assets and the raster do not overlap.
    InvalidGeometryError
        Naming the rows with empty or invalid geometries.

    Examples
    --------
    >>> import numpy as np
    >>> from shapely.geometry import box
    >>> from urbanrisk.layers import raster_from_array
    >>> from urbanrisk.coast import connection_level
    >>> dem = raster_from_array(np.array([[0.0, 1.0, 2.0]]), crs=3067,
    ...                         transform=(10, 0, 0, 0, -10, 10), units="m")
    >>> conn = connection_level(dem, sea_level_m=0.0)
    >>> b = gpd.GeoDataFrame(geometry=[box(12, 2, 25, 8), box(22, 2, 28, 8)], crs=3067)
    >>> asset_connection_level(b, conn).tolist()
    [1.0, 2.0]
    """
    from rasterio.features import rasterize

    connection = _check_connection(connection)
    if not isinstance(assets, gpd.GeoDataFrame):
        raise InputValueError("assets must be a GeoDataFrame.")
    ids = _asset_ids(assets, id_column)
    a = prepare_vector(assets, name="assets", like=connection)
    # kept in the raster's float type: water levels are compared in that precision
    dtype = connection.dtype if np.issubdtype(connection.dtype, np.floating) else "float64"
    values = connection.values.astype(dtype)
    ny, nx = values.shape
    t = connection.rio.transform()
    inv = ~t
    out = np.full(len(a), np.nan, dtype=dtype)
    for k, geom in enumerate(a.geometry):
        x0, y0, x1, y1 = geom.bounds
        cols, rows = zip(*[inv * (x, y) for x, y in ((x0, y0), (x1, y1), (x0, y1), (x1, y0))],
                         strict=True)
        c0 = max(int(np.floor(min(cols))) - 1, 0)
        c1 = min(int(np.ceil(max(cols))) + 1, nx)
        r0 = max(int(np.floor(min(rows))) - 1, 0)
        r1 = min(int(np.ceil(max(rows))) + 1, ny)
        if c0 >= c1 or r0 >= r1:
            continue
        wt = t * Affine.translation(c0, r0)
        mask = rasterize([(geom, 1)], out_shape=(r1 - r0, c1 - c0), transform=wt, fill=0,
                         all_touched=True, dtype="uint8").astype(bool)
        cells = values[r0:r1, c0:c1][mask]
        cells = cells[~np.isnan(cells)]
        if cells.size:
            out[k] = cells.min()
    res = pd.Series(out, index=ids, name="connection_level_m")
    if "vertical_reference" in connection.attrs:
        res.attrs["vertical_reference"] = connection.attrs["vertical_reference"]
    missing = int(np.isnan(out).sum())
    if missing:
        logger.warning("%d assets touch no land cell of the connection raster (NaN)", missing)
    return res


# --------------------------------------------------------------------------------------
# Erosion
# --------------------------------------------------------------------------------------
def erosion_setback(
    intersections: pd.DataFrame,
    sea_level: xr.DataArray,
    *,
    reference_date: str | pd.Timestamp,
    closure_distance_m: float,
    berm_height_m: float,
    closure_depth_m: float | None = None,
    wave_height_m: float | None = None,
    wave_period_s: float | None = None,
    closure_method: str = "hallermeier",
    historical_slr_mm_per_yr: float = 0.0,
    min_shorelines: int = 3,
) -> pd.DataFrame:
    """Projected shoreline position per transect, scenario, quantile and year.

    ``position(t) = p_ref + LRR · (t − t_ref) − R_bruun(t)``, where ``p_ref`` and ``LRR`` come
    from the linear regression of the transect's shoreline positions (anchored at the
    explicit ``reference_date``) and ``R_bruun(t) = (S(t) − S(t_ref) − r_hist · (t − t_ref))
    · L* / (B + h*)`` is the Bruun-rule retreat (:func:`~urbanrisk.coast.bruun_retreat`)
    for the sea-level rise **beyond** the historical rate ``r_hist``, which the historical
    trend already contains (leave it 0 to count all the rise twice — a conservative bound).
    Positions are along the transect from its start; values below the present position mean
    retreat.

    Parameters
    ----------
    intersections : pandas.DataFrame
        Output of :func:`~urbanrisk.coast.shoreline_intersections`.
    sea_level : xarray.DataArray
        Sea-level change ``(scenario, quantile, year)`` in m.
    reference_date : str or pandas.Timestamp
        Date of "today's" shoreline; the projection must cover its year.
    closure_distance_m, berm_height_m : float
        L* and B of the Bruun rule, see :func:`~urbanrisk.coast.bruun_retreat`.
    closure_depth_m, wave_height_m, wave_period_s, closure_method : optional
        The closure depth, or the wave statistics and formula to compute it.
    historical_slr_mm_per_yr : float, default 0
        Rate of sea-level rise during the shoreline record (mm/yr).
    min_shorelines : int, default 3
        Transects with fewer shorelines are left out (and logged).

    Returns
    -------
    pandas.DataFrame
        ``transect_id``, ``scenario``, ``quantile``, ``year``, ``trend_m``, ``bruun_m``,
        ``position_m``.

    Examples
    --------
    >>> df = pd.DataFrame({"transect_id": 1, "position_m": [60.0, 55.0, 50.0],
    ...                    "date": pd.to_datetime(["2000-01-01", "2010-01-01", "2020-01-01"])})
    >>> slr = xr.DataArray([[[0.1, 0.6]]], dims=("scenario", "quantile", "year"),
    ...                    coords={"scenario": ["S"], "quantile": [0.5], "year": [2020, 2100]},
    ...                    attrs={"units": "m"})
    >>> sb = erosion_setback(df, slr, reference_date="2020-01-01", closure_distance_m=100,
    ...                      berm_height_m=2, closure_depth_m=8)
    >>> sb[["year", "trend_m", "bruun_m", "position_m"]].values.round(2).tolist()
    [[2020.0, 0.0, 0.0, 50.0], [2100.0, -40.0, 5.0, 5.0]]
    """
    if not isinstance(sea_level, xr.DataArray):
        raise InputValueError("sea_level must be a DataArray (scenario, quantile, year).")
    from urbanrisk.layers import require_dims

    require_dims(sea_level, required=("scenario", "quantile", "year"), allowed=(),
                 name="sea_level")
    if "units" not in sea_level.attrs:  # a bare projection is taken in m, as before
        sea_level = sea_level.assign_attrs(units="m")
    sea_level = _check_projection(sea_level)
    intersections = _check_intersections(intersections)
    min_shorelines = _whole(min_shorelines, name="min_shorelines", low=3)
    hist_rate = require_number(historical_slr_mm_per_yr, name="historical_slr_mm_per_yr",
                               units="mm/yr")
    ref = pd.Timestamp(reference_date)
    ref = ref.tz_localize("UTC") if ref.tzinfo is None else ref.tz_convert("UTC")
    x_ref = decimal_years([ref])[0]
    years = np.asarray(sea_level["year"].values, dtype=float)
    if not years.min() <= x_ref <= years.max():
        raise InputValueError(
            f"The sea-level projection covers {int(years.min())}–{int(years.max())} but the "
            f"reference date is {ref.date()}; interpolate the projection to years that "
            "include it (e.g. range(2020, 2151))."
        )
    factor = float(bruun_retreat(1.0, closure_distance_m=closure_distance_m,
                                 berm_height_m=berm_height_m, closure_depth_m=closure_depth_m,
                                 wave_height_m=wave_height_m, wave_period_s=wave_period_s,
                                 closure_method=closure_method))
    hist = hist_rate / 1000.0
    sl = sea_level.transpose("scenario", "quantile", "year").values.astype("float64")
    s_ref = np.apply_along_axis(lambda v: np.interp(x_ref, years, v), 2, sl)
    extra = sl - s_ref[..., None] - hist * (years - x_ref)
    bruun = extra * factor
    rows = []
    for tid, g in intersections.dropna(subset=["position_m"]).groupby("transect_id", sort=False):
        if len(g) < max(3, int(min_shorelines)):
            logger.warning("transect %r: %d shorelines, left out of the setback", tid, len(g))
            continue
        x = decimal_years(g["date"]) - x_ref
        r = _regression(x, g["position_m"].to_numpy(dtype=float), None, 0.9)
        trend = r["rate"] * (years - x_ref) + 0.0  # + 0.0 turns -0.0 into 0.0
        for i, s in enumerate(sea_level["scenario"].values):
            for j, q in enumerate(sea_level["quantile"].values):
                rows.append(pd.DataFrame({
                    "transect_id": tid, "scenario": s, "quantile": q, "year": years,
                    "trend_m": trend, "bruun_m": bruun[i, j],
                    "position_m": r["intercept"] + trend - bruun[i, j],
                }))
    if not rows:
        raise InputValueError("No transect has enough shorelines for a setback.")
    out = pd.concat(rows, ignore_index=True)
    out.attrs["reference_date"] = str(ref.date())
    return out


def erosion_zones(
    transects: gpd.GeoDataFrame,
    setback: pd.DataFrame,
    *,
    id_column: str | None = None,
) -> gpd.GeoDataFrame:
    """Polygons seaward of the projected shoreline, per scenario, quantile and year.

    The projected positions on consecutive transects (in the transects' order along the
    coast, as :func:`~urbanrisk.coast.cast_transects` returns them) are joined into a line,
    closed along the transects' seaward ends; land inside has been eroded by that year.
    Positions behind a transect's start are placed by extending the transect landward.

    Returns
    -------
    geopandas.GeoDataFrame
        ``scenario``, ``quantile``, ``year``, polygon geometry.
    """
    transects = prepare_vector(transects, name="transects", geom_types=("LineString",))
    need = {"transect_id", "scenario", "quantile", "year", "position_m"}
    if not isinstance(setback, pd.DataFrame) or not need <= set(setback.columns):
        raise InputValueError(
            f"setback must be a table with columns {sorted(need)} (see erosion_setback)."
        )
    require_numeric_column(setback, "position_m", name="setback", allow_nan=False)
    ids = list(_transect_ids(transects, id_column))
    lines = dict(zip(ids, transects.geometry, strict=True))
    order = [t for t in ids if t in set(setback["transect_id"])]
    if len(order) < 2:
        raise InputValueError("An erosion zone needs setback positions on at least 2 transects.")
    rows = []
    for (s, q, y), g in setback.groupby(["scenario", "quantile", "year"], sort=False):
        pos = g.set_index("transect_id")["position_m"]
        shore = [_point_along(lines[t], float(pos[t])) for t in order]
        ends = [_point_along(lines[t], lines[t].length) for t in reversed(order)]
        poly = Polygon([(p.x, p.y) for p in shore + ends]).buffer(0)
        rows.append({"scenario": s, "quantile": q, "year": y, "geometry": poly})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=transects.crs)


# --------------------------------------------------------------------------------------
# Retreat zones and timeline
# --------------------------------------------------------------------------------------
def _erosion_polygons(
    erosion: gpd.GeoDataFrame | None, connection: xr.DataArray
) -> gpd.GeoDataFrame | None:
    """Return erosion zones through the contract, in the raster's CRS and overlapping it.

    Empty polygons (no erosion that year) are dropped first: they are not an error.
    """
    if erosion is None:
        return None
    if not isinstance(erosion, gpd.GeoDataFrame):
        raise InputValueError("erosion must be a GeoDataFrame (see erosion_zones).")
    if "year" not in erosion.columns:
        raise InputValueError("erosion needs a 'year' column (see erosion_zones).")
    geom = erosion.geometry
    kept = erosion.loc[~(geom.isna() | geom.is_empty)]
    if len(kept) == 0:
        raise InputValueError("erosion holds no zones (every polygon is empty).")
    out = prepare_vector(kept, name="erosion", like=connection, overlap=False,
                         geom_types=("Polygon", "MultiPolygon"))
    require_overlap(connection, out, names=("connection", "erosion"))
    return out


def retreat_zones(
    connection: xr.DataArray,
    levels: xr.DataArray,
    *,
    erosion: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Retreat-zone polygons: connected inundation ∪ erosion, per level combination.

    ``inundation_area_m2`` is the number of connected cells times the cell area
    (:func:`urbanrisk.layers.cell_area_m2`); ``area_m2`` the area of the union polygon.

    Parameters
    ----------
    connection : xarray.DataArray
        Output of :func:`~urbanrisk.coast.connection_level`.
    levels : xarray.DataArray
        Water levels with dims among ``scenario``, ``quantile``, ``year``,
        ``return_period`` — select the few years to map (each combination is polygonized).
    erosion : geopandas.GeoDataFrame, optional
        Output of :func:`erosion_zones` (matched on scenario, quantile, year); reprojected
        to the raster's CRS and required to overlap it. Empty polygons mean no erosion.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per combination with ``inundation_area_m2``, ``erosion_area_m2``,
        ``area_m2`` and the union polygon.

    Examples
    --------
    >>> import numpy as np
    >>> from urbanrisk.layers import raster_from_array
    >>> from urbanrisk.coast import connection_level
    >>> dem = raster_from_array(np.array([[0.0, 0.3, 0.6, 2.0]]), crs=3067,
    ...                         transform=(10, 0, 0, 0, -10, 10), units="m")
    >>> conn = connection_level(dem, sea_level_m=0.0)
    >>> lv = xr.DataArray([0.4, 1.0], dims="year", coords={"year": [2050, 2100]})
    >>> retreat_zones(conn, lv)["area_m2"].tolist()
    [100.0, 200.0]
    """
    from rasterio.features import shapes

    connection = _check_connection(connection)
    if not isinstance(levels, xr.DataArray):
        raise InputValueError("levels must be a DataArray of water levels.")
    levels = _levels_array(levels)
    _check_reference(levels, connection)
    erosion = _erosion_polygons(erosion, connection)
    cell = cell_area_m2(connection)
    if levels.size > 500:
        logger.warning("retreat_zones polygonizes %d level combinations; select years first",
                       levels.size)
    c = connection.values.astype("float64")
    transform = connection.rio.transform()
    stacked = levels.stack(_combo=list(levels.dims)) if levels.dims else levels.expand_dims(
        "_combo")
    rows = []
    for k in range(stacked.sizes["_combo"]):
        item = stacked.isel(_combo=k)
        level = float(item.values)
        keys = {d: item[d].item() for d in levels.dims}
        wet = (c <= float(_in_precision(level, connection.dtype))).astype("uint8")
        geoms = [shapely.geometry.shape(g) for g, v in shapes(wet, mask=wet.astype(bool),
                                                             transform=transform) if v == 1]
        inund = shapely.union_all(geoms) if geoms else Polygon()
        eros = Polygon()
        if erosion is not None:
            m = np.ones(len(erosion), bool)
            for d in ("scenario", "quantile", "year"):
                if d in keys and d in erosion.columns:
                    m &= (erosion[d] == keys[d]).to_numpy()
            if m.any():
                eros = shapely.union_all(erosion.geometry[m].to_numpy())
        zone = shapely.union_all([inund, eros])
        rows.append({**keys, "level_m": level,
                     "inundation_area_m2": float(wet.sum()) * cell,
                     "erosion_area_m2": eros.area, "area_m2": zone.area, "geometry": zone})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=connection.rio.crs)


def asset_timeline(
    assets: gpd.GeoDataFrame,
    connection: xr.DataArray,
    levels: xr.DataArray,
    *,
    erosion: gpd.GeoDataFrame | None = None,
    id_column: str | None = None,
) -> pd.DataFrame:
    """First year each asset falls in the retreat zone, and by which mechanism.

    Inundation: the first year the water level reaches the asset's connection level
    (:func:`asset_connection_level`, :func:`~urbanrisk.coast.first_flood_year`). Erosion: the
    first year the asset intersects that year's erosion polygon (:func:`erosion_zones`).
    ``mechanism`` is the one that reaches it first, ``"both"`` when they do in the same
    year, ``"not reached"`` when neither does within the years given.

    Parameters
    ----------
    assets : geopandas.GeoDataFrame
        Buildings, roads or sites.
    connection : xarray.DataArray
        Output of :func:`~urbanrisk.coast.connection_level`.
    levels : xarray.DataArray
        Water levels with a ``year`` dim (and ``scenario``, ``quantile``, ``return_period``).
    erosion : geopandas.GeoDataFrame, optional
        Output of :func:`erosion_zones` for the same scenarios, quantiles and years;
        reprojected to the raster's CRS and required to overlap it.
    id_column : str, optional
        Column of unique asset ids (default: the index).

    Returns
    -------
    pandas.DataFrame
        Tidy, one row per asset and combination of the level dims except ``year``:
        ``asset_id``, those dims, ``connection_level_m`` (:func:`asset_connection_level`),
        ``first_year_inundation``, ``first_year_erosion``, ``first_year`` (NaN: not
        reached within the years) and ``mechanism``. Count assets reached by given years
        with :func:`assets_reached`.

    Notes
    -----
    The first year is resolved to the years of ``levels``: give annual levels (e.g. from
    :func:`~urbanrisk.coast.annual_years`) for a first year to the year, as the city
    profile does.
    """
    if not isinstance(levels, xr.DataArray) or "year" not in levels.dims:
        raise DimensionError("levels must be a DataArray with a 'year' dimension.")
    connection = _check_connection(connection)
    ids = _asset_ids(assets, id_column)
    acl = asset_connection_level(assets, connection, id_column=id_column)
    fy = first_flood_year(acl, levels)  # dims (*other, asset)
    other = [d for d in fy.dims if d != "asset"]
    df = fy.to_dataframe(name="first_year_inundation").reset_index()
    df = df.rename(columns={"asset": "asset_id"})
    df["connection_level_m"] = acl.reindex(df["asset_id"]).to_numpy()
    df["first_year_erosion"] = np.nan
    erosion = _erosion_polygons(erosion, connection)
    if erosion is not None:
        a = prepare_vector(assets, name="assets", like=connection)
        tree = shapely.STRtree(a.geometry.to_numpy())
        keys = [d for d in ("scenario", "quantile") if d in other]
        first_e = {}
        groups = erosion.groupby(keys, sort=False) if keys else [((), erosion)]
        for key, g in groups:
            key = key if isinstance(key, tuple) else (key,)
            reached = np.full(len(a), np.nan)
            for y, poly in sorted(zip(g["year"], g.geometry, strict=True), key=lambda t: t[0]):
                if poly is None or poly.is_empty:
                    continue
                hit = tree.query(poly, predicate="intersects")
                new = hit[np.isnan(reached[hit])]
                reached[new] = y
            first_e[key] = pd.Series(reached, index=ids)
        if not first_e:
            raise InputValueError("erosion holds no zones.")
        parts = []
        for key, ser in first_e.items():
            part = pd.DataFrame({"asset_id": ser.index, "_fe": ser.to_numpy()})
            for k, v in zip(keys, key, strict=True):
                part[k] = v
            parts.append(part)
        fe_df = pd.concat(parts, ignore_index=True)
        merged = df.merge(fe_df, on=["asset_id", *keys], how="left")
        missing = merged["_fe"].isna() & ~merged.set_index(["asset_id", *keys]).index.isin(
            fe_df.set_index(["asset_id", *keys]).index)
        if missing.any():
            raise InputValueError(
                "erosion has no zones for some scenario/quantile combinations of the levels; "
                "compute erosion_setback with the same projection."
            )
        df["first_year_erosion"] = merged["_fe"].to_numpy()
    fi = df["first_year_inundation"].to_numpy(dtype=float)
    fe = df["first_year_erosion"].to_numpy(dtype=float)
    df["first_year"] = np.fmin(fi, fe)
    mech = np.full(len(df), "not reached", dtype=object)
    mech[(fi <= fe) | (np.isfinite(fi) & np.isnan(fe))] = "inundation"
    mech[(fe < fi) | (np.isfinite(fe) & np.isnan(fi))] = "erosion"
    mech[np.isfinite(fi) & (fi == fe)] = "both"
    df["mechanism"] = mech
    cols = ["asset_id", *other, "connection_level_m", "first_year_inundation",
            "first_year_erosion", "first_year", "mechanism"]
    return df[cols].sort_values(["asset_id", *other], kind="stable").reset_index(drop=True)


def assets_reached(timeline: pd.DataFrame, years: object) -> pd.DataFrame:
    """Count the assets reached in or before each year (cumulative, from a timeline).

    An asset counts for year ``y`` when its ``first_year <= y``: once reached it stays
    reached (retreat, not a flood event), so the counts never fall with time.

    Parameters
    ----------
    timeline : pandas.DataFrame
        Output of :func:`asset_timeline` (``asset_id``, ``first_year`` and the level dims
        such as ``scenario`` and ``quantile``).
    years : sequence of int
        Years to count at.

    Returns
    -------
    pandas.DataFrame
        Tidy: the level dims of the timeline, ``year``, ``assets_reached``.

    Examples
    --------
    >>> tl = pd.DataFrame({"asset_id": ["a", "b", "c"], "scenario": "S",
    ...                    "first_year": [2040.0, 2100.0, np.nan]})
    >>> assets_reached(tl, [2050, 2100]).values.tolist()
    [['S', 2050, 1], ['S', 2100, 2]]
    """
    if not isinstance(timeline, pd.DataFrame) or not {"asset_id", "first_year"} <= set(
            timeline.columns):
        raise InputValueError(
            "timeline must be the table of asset_timeline() (asset_id, first_year, ...)."
        )
    first = require_numeric_column(timeline, "first_year", name="timeline")
    yrs = require_numbers(np.atleast_1d(np.asarray(years)), name="years")
    keys = [c for c in ("scenario", "quantile", "return_period") if c in timeline.columns]
    rows = []
    groups = timeline.assign(_f=first).groupby(keys, sort=False) if keys else [
        ((), timeline.assign(_f=first))]
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        f = g["_f"].to_numpy()
        for y in yrs:
            rows.append({**dict(zip(keys, key, strict=True)), "year": int(y),
                         "assets_reached": int((f <= y).sum())})
    return pd.DataFrame(rows, columns=[*keys, "year", "assets_reached"])
