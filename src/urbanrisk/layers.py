"""Reading, validating, aligning and writing rasters and vectors.

This is the one place where urbanrisk checks its inputs. Every public analysis function
calls the ``require_*`` / ``check_*`` helpers below at its entrance and then computes on
input it can trust. Rasters are :class:`xarray.DataArray` objects with a CRS through
rioxarray, nodata as NaN and units in ``attrs["units"]``; vectors are
:class:`geopandas.GeoDataFrame` objects.

Writers are atomic: they write to a temporary file beside the target and rename it into
place, so an interrupted export never leaves a half-written file, and they refuse to
replace an existing file unless ``overwrite=True``.

Examples
--------
>>> import numpy as np
>>> from urbanrisk.layers import raster_from_array, require_units
>>> depth = raster_from_array(
...     np.zeros((2, 3)), crs="EPSG:3067", transform=(10.0, 0, 0, 0, -10.0, 20.0),
...     units="m", name="flood_depth")
>>> depth.dims, require_units(depth, "m")
(('y', 'x'), 'm')
"""

from __future__ import annotations

import contextlib
import errno
import functools
import json
import logging
import os
import tempfile
import warnings
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr
from affine import Affine

from urbanrisk.errors import (
    CRSMismatchError,
    DimensionError,
    EmptyLayerError,
    GeographicCRSError,
    GridError,
    InputValueError,
    InvalidGeometryError,
    MissingCRSError,
    NoOverlapError,
    OutputError,
    OutputExistsError,
    UnitsError,
    UrbanRiskError,
)
from urbanrisk.units import canonical_units, convert, normalize_units, quantity_of

__all__ = [
    "Layer",
    "read_raster",
    "read_vector",
    "raster_from_array",
    "write_raster",
    "write_vector",
    "write_table",
    "atomic_path",
    "output_error",
    "require_crs",
    "require_projected",
    "require_same_crs",
    "align_vector_to_raster",
    "require_overlap",
    "require_non_empty",
    "require_units",
    "normalize_units",
    "require_dims",
    "check_geometries",
    "require_number",
    "require_numbers",
    "require_numeric_column",
    "require_positive",
    "require_probability",
    "prepare_raster",
    "prepare_vector",
    "require_same_grid",
    "require_class_codes",
    "north_up",
    "cell_area_m2",
    "grid_transform",
    "normalize_units",
    "bounds_of",
    "is_dask_backed",
    "reproject_counts",
]

logger = logging.getLogger(__name__)

Layer = xr.DataArray | gpd.GeoDataFrame | gpd.GeoSeries

_EXTRA_DIM_TAG = "urbanrisk_dim"
_EXTRA_COORDS_TAG = "urbanrisk_coords"


# --------------------------------------------------------------------------------------
# Units and dimensions
# --------------------------------------------------------------------------------------
def require_units(
    da: xr.DataArray,
    expected: str | Iterable[str] | None = None,
    *,
    name: str | None = None,
) -> str:
    """Return the array's canonical units, raising if missing or not among ``expected``.

    Parameters
    ----------
    da : xarray.DataArray
        The raster; units are read from ``da.attrs["units"]``.
    expected : str or iterable of str, optional
        Accepted units (any spelling known to :func:`normalize_units`).
    name : str, optional
        How to call the layer in the message; defaults to ``da.name``.

    Raises
    ------
    UnitsError
        When the units are missing or not accepted.
    """
    label = name or da.name or "raster"
    raw = da.attrs.get("units")
    if raw is None or str(raw).strip() == "":
        raise UnitsError(
            f"{label!s} has no units. Set them, e.g. da.attrs['units'] = 'm', or pass "
            "units= to urbanrisk.layers.read_raster()."
        )
    units = normalize_units(raw)
    if expected is not None:
        allowed = [expected] if isinstance(expected, str) else list(expected)
        allowed_norm = {normalize_units(u) for u in allowed}
        if units not in allowed_norm:
            raise UnitsError(
                f"{label!s} is in {raw!r} but {' or '.join(sorted(allowed_norm))} is required. "
                "Convert the values and set attrs['units'] accordingly."
            )
    return units  # type: ignore[return-value]


def require_dims(
    da: xr.DataArray,
    *,
    required: Sequence[str] = ("y", "x"),
    allowed: Sequence[str] | None = None,
    name: str | None = None,
) -> None:
    """Check that ``da`` has every ``required`` dim and nothing outside ``allowed``.

    Raises
    ------
    DimensionError
        Naming the missing or unexpected dimensions and how to rename them.
    """
    label = name or da.name or "raster"
    missing = [d for d in required if d not in da.dims]
    if missing:
        raise DimensionError(
            f"{label!s} has dims {tuple(da.dims)} but needs {tuple(required)}; missing "
            f"{missing}. Rename with da.rename({{'old': 'new'}})."
        )
    if allowed is not None:
        extra = [d for d in da.dims if d not in set(required) | set(allowed)]
        if extra:
            raise DimensionError(
                f"{label!s} has unexpected dims {extra}; allowed are "
                f"{sorted(set(required) | set(allowed))}. Select or squeeze them first "
                "(da.sel(...), da.squeeze())."
            )


def require_number(
    value: Any,
    *,
    name: str,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    allow_inf: bool = False,
    units: str | None = None,
) -> float:
    """Return ``value`` as a float, raising :class:`InputValueError` naming ``name`` if not.

    NaN is always refused; infinity only passes with ``allow_inf=True``. Bools and strings
    are refused rather than coerced (``"3"`` is not 3, ``True`` is not 1).

    Parameters
    ----------
    value : float
        The parameter.
    name : str
        The parameter's name, used in the message.
    low, high : float, optional
        Bounds, inclusive unless ``low_open`` / ``high_open``.
    low_open, high_open : bool, default False
        Make a bound exclusive.
    allow_inf : bool, default False
        Accept an infinite value (within the bounds).
    units : str, optional
        Units of the parameter, named in the message.

    Examples
    --------
    >>> require_number(0.5, name="share", low=0, high=1)
    0.5
    >>> require_number(float("nan"), name="sea_level_m")
    Traceback (most recent call last):
    ...
    urbanrisk.errors.InputValueError: sea_level_m must be a finite number, got nan.
    """
    if isinstance(value, bool | str | bytes) or value is None:
        raise InputValueError(f"{name} must be a number, got {value!r}.")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputValueError(f"{name} must be a number, got {value!r}.") from None
    if np.isnan(v) or (np.isinf(v) and not allow_inf):
        raise InputValueError(f"{name} must be a finite number, got {value!r}.")
    too_low = low is not None and (v < low or (low_open and v == low))
    too_high = high is not None and (v > high or (high_open and v == high))
    if too_low or too_high:
        lo = "" if low is None else f"{'>' if low_open else '>='} {low:g}"
        hi = "" if high is None else f"{'<' if high_open else '<='} {high:g}"
        bound = " and ".join(b for b in (lo, hi) if b)
        unit = f" {units}" if units else ""
        raise InputValueError(f"{name} must be {bound}{unit}, got {value!r}.")
    return v


def require_positive(value: float, *, name: str, allow_zero: bool = False) -> float:
    """Return ``value`` as float, raising :class:`InputValueError` if not (strictly) positive.

    Examples
    --------
    >>> require_positive(300, name="max_distance_m")
    300.0
    """
    return require_number(value, name=name, low=0.0, low_open=not allow_zero)


def require_probability(value: float, *, name: str) -> float:
    """Return a share or probability as a float in [0, 1], or raise naming ``name``.

    Examples
    --------
    >>> require_probability(0.25, name="dem_error_probability")
    0.25
    >>> require_probability(25, name="share")
    Traceback (most recent call last):
    ...
    urbanrisk.errors.InputValueError: share must be >= 0 and <= 1, got 25.
    """
    return require_number(value, name=name, low=0.0, high=1.0)


def require_numbers(
    values: Any,
    *,
    name: str,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    allow_nan: bool = False,
) -> np.ndarray:
    """Return a sequence or column of numbers as a float array, refusing what is not numeric.

    Strings, objects and bools are refused instead of being coerced to NaN or 0; NaN is
    refused unless ``allow_nan``; infinities always are.

    Examples
    --------
    >>> require_numbers([10, 100], name="return_periods", low=0, low_open=True).tolist()
    [10.0, 100.0]
    >>> require_numbers(["10", "x"], name="value column")
    Traceback (most recent call last):
    ...
    urbanrisk.errors.InputValueError: value column must hold numbers, got str values ...
    """
    arr = np.asarray(values.to_numpy() if hasattr(values, "to_numpy") else values)
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.number) or arr.size == 0):
        kinds = sorted({type(getattr(v, "item", lambda v=v: v)()).__name__
                        for v in arr.ravel()[:50]})
        raise InputValueError(
            f"{name} must hold numbers, got {'/'.join(kinds) or arr.dtype} values (e.g. "
            f"{arr.ravel()[:3].tolist()}). Convert the column to numbers first, e.g. "
            "pd.to_numeric(df[col]), and check the rows that fail."
        )
    out = arr.astype(float)
    bad = np.isinf(out) | (np.isnan(out) if not allow_nan else False)
    if np.any(bad):
        raise InputValueError(
            f"{name} holds {int(np.sum(bad))} NaN or infinite values (positions "
            f"{np.flatnonzero(bad)[:10].tolist()}); give a finite number for each."
        )
    finite = out[np.isfinite(out)]
    too_low = (
        np.zeros(finite.shape, bool) if low is None
        else (finite <= low if low_open else finite < low)
    )
    too_high = np.zeros(finite.shape, bool) if high is None else finite > high
    if too_low.any() or too_high.any():
        lo = "" if low is None else f"{'>' if low_open else '>='} {low:g}"
        hi = "" if high is None else f"<= {high:g}"
        bound = " and ".join(b for b in (lo, hi) if b)
        offending = finite[too_low | too_high][:5].tolist()
        raise InputValueError(f"every value of {name} must be {bound}; got {offending}.")
    return out


def require_numeric_column(
    frame: pd.DataFrame, column: str, *, name: str | None = None, allow_nan: bool = True,
    low: float | None = None, high: float | None = None,
) -> np.ndarray:
    """Return ``frame[column]`` as floats, refusing a missing or non-numeric column.

    Examples
    --------
    >>> df = pd.DataFrame({"value": [1.0, 2.5], "use": ["a", "b"]})
    >>> require_numeric_column(df, "value").tolist()
    [1.0, 2.5]
    >>> require_numeric_column(df, "use", name="buildings")
    Traceback (most recent call last):
    ...
    urbanrisk.errors.InputValueError: buildings column 'use' must hold numbers, got str ...
    """
    label = f"{name} column {column!r}" if name else f"column {column!r}"
    if column not in frame.columns:
        raise InputValueError(
            f"{label} is missing; the columns are {list(frame.columns)[:20]}."
        )
    return require_numbers(frame[column], name=label, allow_nan=allow_nan, low=low, high=high)


# --------------------------------------------------------------------------------------
# CRS
# --------------------------------------------------------------------------------------
def _crs_of(layer: Layer) -> pyproj.CRS | None:
    if isinstance(layer, xr.DataArray | xr.Dataset):
        crs = layer.rio.crs
        # via the "EPSG:nnnn" string when there is one, so the authority code survives
        return pyproj.CRS.from_user_input(crs.to_string()) if crs is not None else None
    crs = layer.crs
    return pyproj.CRS.from_user_input(crs) if crs is not None else None


def _label(layer: Layer, name: str | None) -> str:
    if name:
        return name
    if isinstance(layer, xr.DataArray) and layer.name:
        return str(layer.name)
    return "raster" if isinstance(layer, xr.DataArray) else "vector layer"


def require_crs(layer: Layer, *, name: str | None = None) -> pyproj.CRS:
    """Return the layer's CRS, raising :class:`MissingCRSError` if it has none.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> require_crs(gpd.GeoDataFrame(geometry=[Point(0, 0)]), name="buildings")
    Traceback (most recent call last):
    ...
    urbanrisk.errors.MissingCRSError: buildings has no CRS. ...
    """
    crs = _crs_of(layer)
    if crs is None:
        label = _label(layer, name)
        how = (
            "da.rio.write_crs('EPSG:3067')"
            if isinstance(layer, xr.DataArray)
            else "gdf.set_crs('EPSG:3067')"
        )
        raise MissingCRSError(
            f"{label} has no CRS. Set the CRS the coordinates are in, e.g. {how} "
            "(use the real EPSG code of your data)."
        )
    return crs


def _is_metric(crs: pyproj.CRS) -> bool:
    # ``to_epsg`` searches the database (tens of ms): cache by the CRS's own text.
    return _is_metric_srs(crs.srs)


@functools.lru_cache(maxsize=256)
def _is_metric_srs(srs: str) -> bool:
    crs = pyproj.CRS.from_user_input(srs)
    if crs.is_geographic:
        return False
    # Web Mercator is nominally in metres but its scale grows with latitude: not for areas.
    if crs.to_epsg() in (3857, 900913, 3395):
        return False
    units = {ax.unit_name.lower() for ax in crs.axis_info if ax.unit_name}
    return bool(units) and units <= {"metre", "meter", "m"}


def require_projected(
    layer: Layer,
    *,
    name: str | None = None,
    reproject: bool = True,
    resolution_m: float | None = None,
) -> Layer:
    """Return ``layer`` in a projected CRS in metres.

    Geographic (degrees) or Web Mercator input is reprojected to its local UTM zone
    (``estimate_utm_crs``) when ``reproject`` is true, with a logged note, or refused.

    Parameters
    ----------
    layer : xarray.DataArray or geopandas.GeoDataFrame
        The layer to check.
    name : str, optional
        How to call the layer in messages.
    reproject : bool, default True
        Reproject to UTM instead of raising :class:`GeographicCRSError`.
    resolution_m : float, optional
        Output cell size for a reprojected raster; by default the (square) size of the
        input's finer axis in metres, so no detail is lost.

    Returns
    -------
    Layer
        The input itself when already metric, otherwise a reprojected copy.
    """
    crs = require_crs(layer, name=name)
    if _is_metric(crs):
        return layer
    label = _label(layer, name)
    if not reproject:
        raise GeographicCRSError(
            f"{label} is in {crs.name} ({crs.to_string()}), not in metres. Reproject it to a "
            "projected CRS in metres, e.g. layer.to_crs(layer.estimate_utm_crs()) for vectors "
            "or da.rio.reproject(da.rio.estimate_utm_crs()) for rasters, or pass "
            "reproject=True."
        )
    if isinstance(layer, xr.DataArray):
        utm = layer.rio.estimate_utm_crs()
        if resolution_m is None:
            resolution_m = _finest_resolution_m(layer)
        src = layer if np.issubdtype(layer.dtype, np.floating) else layer.astype("float64")
        # (NaN marks the cells outside the source: an integer grid cannot hold it)
        counts = normalize_units(layer.attrs.get("units")) == "people"
        if counts:
            out = reproject_counts(src, utm, resolution_m=resolution_m)
        else:
            out = src.rio.reproject(utm, resolution=resolution_m, nodata=np.nan)
        out.attrs.update({k: v for k, v in layer.attrs.items() if k not in out.attrs})
        out.attrs.pop("_FillValue", None)
        out.name = layer.name
    else:
        utm = layer.estimate_utm_crs()
        out = layer.to_crs(utm)
    logger.info("%s reprojected from %s to %s (metres)", label, crs.to_string(), utm.to_string())
    return out


def reproject_counts(
    counts: xr.DataArray,
    crs: pyproj.CRS | str | int,
    *,
    resolution_m: float | None = None,
    transform: Affine | None = None,
    shape: tuple[int, int] | None = None,
) -> xr.DataArray:
    """Reproject a raster of counts (people) so that no one is created or lost.

    Nearest-neighbour would copy a cell's people into every finer output cell, and bilinear
    would average them. GDAL's ``sum`` resampling shares each source cell's count among the
    output cells it overlaps; the few per cent it loses at cell edges are put back by
    rescaling to the source total (per slice of an extra dimension), which stays exact.
    :func:`require_projected` uses it for rasters in ``people``, and
    :mod:`urbanrisk.sources` to move GHS-POP onto a city's grid.

    Parameters
    ----------
    counts : xarray.DataArray
        Counts per cell (NaN = no data), with a CRS; ``(y, x)`` and at most one extra
        dimension. Integer counts are returned as floats (NaN marks cells outside the source).
    crs : pyproj.CRS, str or int
        Target CRS.
    resolution_m : float, optional
        Cell size of the output, in the target CRS's units; the output grid then covers the
        whole source. Give this, or ``transform`` and ``shape``.
    transform : affine.Affine, optional
        Transform of a fixed output grid (e.g. a city grid with edges on cell multiples).
    shape : tuple of int, optional
        ``(rows, cols)`` of that grid. It must cover the source (to within one output cell):
        the rescaling would otherwise move the people outside it in.

    Returns
    -------
    xarray.DataArray
        The counts on the new grid, same name and ``attrs`` (``units`` kept).

    Raises
    ------
    MissingCRSError
        ``counts`` has no CRS.
    InputValueError
        Neither or both of ``resolution_m`` and ``transform``/``shape``.
    GridError
        The fixed grid does not cover the source; clip the source first
        (``counts.rio.clip_box(...)``) or give a larger grid.

    Examples
    --------
    Four 10 m cells holding 1, 2, 3 and 4 people become one 20 m cell holding 10:

    >>> people = raster_from_array(np.array([[1.0, 2.0], [3.0, 4.0]]), crs=3067,
    ...                            transform=(10, 0, 0, 0, -10, 20), units="people")
    >>> out = reproject_counts(people, 3067, resolution_m=20.0)
    >>> out.shape, float(out.sum()), out.attrs["units"]
    ((1, 1), 10.0, 'people')

    Sixteen people on a 0.001 degree grid in Helsinki keep their total in UTM zone 35 N:

    >>> deg = raster_from_array(np.ones((4, 4)), crs=4326,
    ...                         transform=(0.001, 0, 24.93, 0, -0.001, 60.17), units="people")
    >>> round(float(reproject_counts(deg, 32635, resolution_m=25.0).sum()), 9)
    16.0
    """
    from rasterio.enums import Resampling

    require_crs(counts, name=_label(counts, None))
    require_dims(counts, name=_label(counts, None))
    extra = [d for d in counts.dims if d not in ("y", "x")]
    if len(extra) > 1:
        raise DimensionError(
            f"{_label(counts, None)} has extra dims {extra}; reproject_counts takes at most "
            "one. Select or stack them first.")
    target = pyproj.CRS.from_user_input(crs)
    fixed = transform is not None or shape is not None
    if (resolution_m is not None) == fixed or (fixed and (transform is None or shape is None)):
        raise InputValueError(
            "reproject_counts needs either resolution_m= or both transform= and shape= "
            "(the output grid), not both and not neither")
    src = counts if np.issubdtype(counts.dtype, np.floating) else counts.astype("float64")
    if fixed:
        _require_covers(src, target, Affine(*tuple(transform)[:6]), shape)
        out = src.rio.reproject(target, shape=tuple(shape), transform=transform,
                                nodata=np.nan, resampling=Resampling.sum)
    else:
        res = require_positive(resolution_m, name="resolution_m")
        out = src.rio.reproject(target, resolution=res, nodata=np.nan,
                                resampling=Resampling.sum)
    space_in = (src.rio.y_dim, src.rio.x_dim)
    space_out = (out.rio.y_dim, out.rio.x_dim)
    total_in = src.sum(space_in, skipna=True)
    total_out = out.sum(space_out, skipna=True)
    factor = xr.where(total_out > 0, total_in / total_out.where(total_out > 0), 1.0)
    scaled = out * factor
    scaled.attrs = {**{k: v for k, v in counts.attrs.items() if k != "_FillValue"},
                    **({"_FillValue": out.attrs["_FillValue"]} if "_FillValue" in out.attrs
                       else {})}
    scaled.name = counts.name
    return scaled.rio.write_crs(target)


def _require_covers(src: xr.DataArray, crs: pyproj.CRS, transform: Affine,
                    shape: Sequence[int]) -> None:
    """Refuse a fixed output grid that leaves part of the source (beyond one cell) outside."""
    rows, cols = (int(n) for n in shape)
    x0, y0 = transform * (0, 0)
    x1, y1 = transform * (cols, rows)
    tol = max(abs(transform.a), abs(transform.e))
    gx0, gx1, gy0, gy1 = min(x0, x1), max(x0, x1), min(y0, y1), max(y0, y1)
    sx0, sy0, sx1, sy1 = src.rio.transform_bounds(crs.to_string(), densify_pts=21)
    if sx0 < gx0 - tol or sy0 < gy0 - tol or sx1 > gx1 + tol or sy1 > gy1 + tol:
        raise GridError(
            f"the output grid ({gx0:.1f}, {gy0:.1f}, {gx1:.1f}, {gy1:.1f}) does not cover "
            f"{_label(src, None)} ({sx0:.1f}, {sy0:.1f}, {sx1:.1f}, {sy1:.1f}, in "
            f"{crs.to_string()}); the counts outside it would be moved in. Clip the source "
            "to the grid first (da.rio.clip_box(...)) or give a grid that covers it.")


def _finest_resolution_m(da: xr.DataArray) -> float:
    """Finer axis of a geographic raster's cell size, in metres at its centre."""
    rx, ry = (abs(r) for r in da.rio.resolution())
    crs = pyproj.CRS.from_user_input(da.rio.crs)
    if not crs.is_geographic and crs.to_epsg() not in (3857, 900913, 3395):
        # projected in another linear unit (US state plane feet): convert the cell size
        factor = min((ax.unit_conversion_factor for ax in crs.axis_info
                      if ax.unit_conversion_factor), default=1.0)
        return float(min(rx, ry) * factor)
    if not crs.is_geographic:
        # Web Mercator: scale by cos(latitude) at the centre.
        transformer = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        b = da.rio.bounds()
        _, lat = transformer.transform((b[0] + b[2]) / 2, (b[1] + b[3]) / 2)
        return float(min(rx, ry) * np.cos(np.radians(lat)))
    b = da.rio.bounds()
    lat = (b[1] + b[3]) / 2
    geod = pyproj.Geod(ellps="WGS84")
    _, _, dx = geod.inv(0, lat, rx, lat)
    _, _, dy = geod.inv(0, lat, 0, lat + ry)
    return float(min(dx, dy))


def require_same_crs(a: Layer, b: Layer, *, names: tuple[str, str] = ("a", "b")) -> None:
    """Raise :class:`CRSMismatchError` naming both CRSs if ``a`` and ``b`` differ."""
    ca, cb = require_crs(a, name=names[0]), require_crs(b, name=names[1])
    if not ca.equals(cb, ignore_axis_order=True):
        raise CRSMismatchError(
            f"{names[0]} is in {ca.to_string()} but {names[1]} is in {cb.to_string()}. "
            f"Reproject one to the other, e.g. {names[1]}.to_crs({names[0]}.crs)."
        )


def align_vector_to_raster(
    gdf: gpd.GeoDataFrame, raster: xr.DataArray, *, name: str | None = None
) -> gpd.GeoDataFrame:
    """Return ``gdf`` in the raster's CRS (the raster is never resampled).

    Raises :class:`MissingCRSError` if either has no CRS.
    """
    vcrs = require_crs(gdf, name=name or "vector layer")
    rcrs = require_crs(raster, name=_label(raster, None))
    if vcrs.equals(rcrs, ignore_axis_order=True):
        return gdf
    logger.info(
        "%s reprojected from %s to the raster's %s",
        name or "vector layer",
        vcrs.to_string(),
        rcrs.to_string(),
    )
    return gdf.to_crs(rcrs)


# --------------------------------------------------------------------------------------
# Extents and emptiness
# --------------------------------------------------------------------------------------
def bounds_of(layer: Layer) -> tuple[float, float, float, float]:
    """``(minx, miny, maxx, maxy)`` of a raster or vector layer, in its own CRS."""
    if isinstance(layer, xr.DataArray):
        return tuple(float(v) for v in layer.rio.bounds())  # type: ignore[return-value]
    return tuple(float(v) for v in layer.total_bounds)  # type: ignore[return-value]


def require_overlap(
    a: Layer, b: Layer, *, names: tuple[str, str] = ("a", "b")
) -> None:
    """Raise :class:`NoOverlapError` when the extents of ``a`` and ``b`` do not intersect.

    Both layers must already share a CRS (see :func:`require_same_crs`).
    """
    ax0, ay0, ax1, ay1 = bounds_of(a)
    bx0, by0, bx1, by1 = bounds_of(b)
    if ax0 > bx1 or bx0 > ax1 or ay0 > by1 or by0 > ay1:
        raise NoOverlapError(
            f"{names[0]} (extent {ax0:.1f}, {ay0:.1f}, {ax1:.1f}, {ay1:.1f}) and {names[1]} "
            f"(extent {bx0:.1f}, {by0:.1f}, {bx1:.1f}, {by1:.1f}) do not overlap. Check that "
            "both cover the same area and that their CRSs are set correctly."
        )


def require_non_empty(layer: Layer, *, name: str | None = None) -> None:
    """Raise :class:`EmptyLayerError` for a layer without features or valid cells.

    A dask-backed raster is read chunk by chunk up to the first finite value.
    """
    label = _label(layer, name)
    if isinstance(layer, xr.DataArray):
        if layer.size == 0:
            raise EmptyLayerError(f"{label} has no cells (shape {layer.shape}).")
        if np.issubdtype(layer.dtype, np.floating):
            if not _any_finite(layer):
                raise EmptyLayerError(
                    f"{label} holds nodata (NaN) in every cell. Check the file's nodata value "
                    "and that you selected the right band."
                )
        return
    if len(layer) == 0:
        raise EmptyLayerError(f"{label} has no features. Check the file, layer and filters.")


def is_dask_backed(da: xr.DataArray | Any) -> bool:
    """Whether a raster's values (or an array) are lazy dask (``read_raster(chunks=...)``).

    Examples
    --------
    >>> import numpy as np
    >>> da = raster_from_array(np.zeros((2, 2)), crs=3067, transform=(1, 0, 0, 0, -1, 2))
    >>> is_dask_backed(da), is_dask_backed(da.chunk({"x": 1}))
    (False, True)
    >>> is_dask_backed(da.values), is_dask_backed(da.chunk({"x": 1}).data)
    (False, True)
    """
    data = da.data if isinstance(da, xr.DataArray) else da
    return type(data).__module__.startswith("dask")


def check_geometries(
    gdf: gpd.GeoDataFrame,
    *,
    name: str | None = None,
    make_valid: bool = False,
    drop_empty: bool = False,
) -> gpd.GeoDataFrame:
    """Report invalid, missing or empty geometries; repair only when asked.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The layer to check.
    name : str, optional
        How to call it in messages.
    make_valid : bool, default False
        Repair invalid geometries with :func:`shapely.make_valid` instead of raising.
    drop_empty : bool, default False
        Drop missing or empty geometries (with a logged warning naming the rows) instead of
        raising.

    Returns
    -------
    geopandas.GeoDataFrame
        ``gdf`` itself when nothing needed doing, otherwise a new frame.

    Raises
    ------
    InvalidGeometryError
        Listing the index labels of the offending rows.
    """
    label = name or "vector layer"
    geom = gdf.geometry
    empty = geom.isna() | geom.is_empty
    invalid = ~empty & ~geom.is_valid
    out = gdf
    if empty.any():
        rows = list(gdf.index[empty])
        if not drop_empty:
            raise InvalidGeometryError(
                f"{label} has {len(rows)} missing or empty geometries (rows {rows[:10]}"
                f"{' ...' if len(rows) > 10 else ''}). Remove them or pass drop_empty=True."
            )
        logger.warning("%s: dropped %d empty geometries (rows %s)", label, len(rows), rows[:10])
        out = out.loc[~empty]
        invalid = invalid.loc[~empty]
    if invalid.any():
        rows = list(out.index[invalid.to_numpy()])
        if not make_valid:
            raise InvalidGeometryError(
                f"{label} has {len(rows)} invalid geometries (rows {rows[:10]}"
                f"{' ...' if len(rows) > 10 else ''}). Repair them with "
                "gdf.geometry.make_valid() or pass make_valid=True."
            )
        out = out.copy()
        bad = invalid.to_numpy()
        out.loc[bad, out.geometry.name] = out.geometry[bad].make_valid()
        logger.info("%s: repaired %d invalid geometries", label, len(rows))
    return out


# --------------------------------------------------------------------------------------
# The input contract: one entrance for every raster and vector a public function reads
# --------------------------------------------------------------------------------------
_TYPE_NAMES = {
    0: "Point", 1: "LineString", 2: "LinearRing", 3: "Polygon", 4: "MultiPoint",
    5: "MultiLineString", 6: "MultiPolygon", 7: "GeometryCollection",
}

#: Tolerance (relative to the cell size) under which a transform's rotation terms, or the
#: spread of coordinate steps, count as zero.
_GRID_RTOL = 1e-6


def _any_finite(da: xr.DataArray, block: int = 1 << 20) -> bool:
    """Whether any value is finite, scanning in blocks and stopping at the first one.

    A dask-backed raster is read one chunk at a time, up to the first chunk with a finite
    value (usually the first), so the check does not cost a pass over the whole raster.
    """
    if not np.issubdtype(da.dtype, np.floating):
        return da.size > 0
    if is_dask_backed(da):
        import dask.array

        return any(bool(dask.array.isfinite(b).any().compute()) for b in da.data.blocks.ravel())
    flat = np.asarray(da.values).reshape(-1)
    return any(np.isfinite(flat[i : i + block]).any() for i in range(0, flat.size, block))


def _is_rotated(t: Affine) -> bool:
    scale = max(abs(t.a), abs(t.e), abs(t.b), abs(t.d))
    return abs(t.b) > _GRID_RTOL * scale or abs(t.d) > _GRID_RTOL * scale


def _has_axis_coords(da: xr.DataArray) -> bool:
    return all(d in da.coords and da[d].ndim == 1 for d in ("x", "y"))


def grid_transform(da: xr.DataArray) -> Affine:
    """Return the affine transform of a raster's grid, from its coordinates when it has them.

    rioxarray caches a transform in ``spatial_ref``; after ``sortby``, ``isel`` with a
    step or a concatenation it can be stale. The coordinates are the truth: the transform
    is recomputed from them (cell centres, regular spacing) and the cached one is used only
    for a raster without 1-D ``x``/``y`` coordinates (a rotated file) or with a single row
    or column.

    Examples
    --------
    >>> da = raster_from_array(np.zeros((2, 3)), crs=3067, transform=(10, 0, 0, 0, -10, 20))
    >>> tuple(grid_transform(da.sortby("y")))[:6]  # south-up after the sort
    (10.0, 0.0, 0.0, 0.0, 10.0, 0.0)
    """
    cached = da.rio.transform()
    if not _has_axis_coords(da) or _is_rotated(cached):
        return cached
    x = np.asarray(da["x"].values, dtype=float)
    y = np.asarray(da["y"].values, dtype=float)
    dx = (x[-1] - x[0]) / (x.size - 1) if x.size >= 2 else cached.a
    dy = (y[-1] - y[0]) / (y.size - 1) if y.size >= 2 else cached.e
    return Affine(dx, 0.0, x[0] - dx / 2, 0.0, dy, y[0] - dy / 2)


def north_up(
    da: xr.DataArray,
    *,
    resampling: str = "nearest",
    name: str | None = None,
) -> xr.DataArray:
    """Return ``da`` on a north-up grid: rotated or sheared grids warped, axes sorted.

    A rotated grid is warped in its own CRS to a north-up grid whose square cells have the
    same area as the original's (``sqrt(|det|)``), with ``resampling`` (nearest by default,
    so class codes and depths keep their values). A grid that is already north-up only has
    its axes sorted (``x`` ascending, ``y`` descending), which is exact.

    Examples
    --------
    >>> import rasterio.transform
    >>> t = Affine.rotation(30) * Affine.scale(10, -10)
    >>> da = xr.DataArray(np.ones((20, 20)), dims=("y", "x")).rio.write_crs(3067)
    >>> da = da.rio.write_transform(t)
    >>> up = north_up(da)
    >>> round(abs(up.rio.transform().a), 6), bool(_is_rotated(up.rio.transform()))
    (10.0, False)
    """
    label = _label(da, name)
    t = da.rio.transform()
    if _has_axis_coords(da) and not _is_rotated(t):
        return _sorted_axes(da, label)
    from rasterio.enums import Resampling

    cell = float(np.sqrt(abs(t.a * t.e - t.b * t.d)))
    ny, nx = da.sizes["y"], da.sizes["x"]
    corners = np.array([t * (c, r) for c, r in ((0, 0), (nx, 0), (0, ny), (nx, ny))])
    x0, y1 = corners[:, 0].min(), corners[:, 1].max()
    width = int(np.ceil((corners[:, 0].max() - x0) / cell))
    height = int(np.ceil((y1 - corners[:, 1].min()) / cell))
    dst = Affine(cell, 0.0, x0, 0.0, -cell, y1)
    src = da
    if not np.issubdtype(da.dtype, np.floating):
        src = da.astype("float64")
    src = src.rio.write_nodata(np.nan, encoded=False)
    with warnings.catch_warnings():
        # rioxarray warns that it cannot recalculate a rotated transform; we give it ours.
        warnings.filterwarnings("ignore", "Transform that is non-rectilinear")
        out = src.rio.reproject(
            src.rio.crs, shape=(height, width), transform=dst,
            resampling=getattr(Resampling, resampling), nodata=np.nan,
        )
    out = out.drop_vars([c for c in ("xc", "yc") if c in out.coords])
    if not _has_axis_coords(out):  # a source without coordinates gives none back
        out = out.assign_coords(x=dst.c + dst.a * (np.arange(width) + 0.5),
                                y=dst.f + dst.e * (np.arange(height) + 0.5))
    out.attrs = {k: v for k, v in da.attrs.items() if k != "_FillValue"}
    out.name = da.name
    angle = float(np.degrees(np.arctan2(t.d, t.a)))
    logger.info(
        "%s: rotated grid (%.2f degrees) warped to a north-up grid of %.3f-unit cells "
        "(%s resampling)", label, angle, cell, resampling,
    )
    return out


def _sorted_axes(da: xr.DataArray, label: str) -> xr.DataArray:
    """Sort x ascending and y descending; refuse repeated or irregular coordinates."""
    for dim in ("x", "y"):
        v = np.asarray(da[dim].values, dtype=float)
        if not np.isfinite(v).all():
            raise GridError(f"{label} has NaN or infinite {dim} coordinates.")
        if np.unique(v).size < v.size:
            raise GridError(
                f"{label} repeats {dim} coordinates ({v.size - np.unique(v).size} duplicates); "
                "tiles overlap. Merge them with rioxarray.merge.merge_arrays() first."
            )
    x, y = np.asarray(da["x"].values), np.asarray(da["y"].values)
    if not (np.all(np.diff(x) > 0) and np.all(np.diff(y) < 0)):
        logger.info("%s: coordinates sorted to x ascending, y descending (north-up)", label)
        da = da.sortby("x").sortby("y", ascending=False)
    for dim in ("x", "y"):
        step = np.diff(np.asarray(da[dim].values, dtype=float))
        if step.size >= 2 and not np.allclose(step, step[0], rtol=_GRID_RTOL, atol=0.0):
            raise GridError(
                f"{label} has irregular {dim} spacing (steps from {np.abs(step).min():g} to "
                f"{np.abs(step).max():g}): tiles with gaps or different resolutions. Put them "
                "on one grid first, e.g. with rioxarray.merge.merge_arrays() or "
                "da.rio.reproject_match(reference)."
            )
    return da


def _decode(da: xr.DataArray, label: str) -> xr.DataArray:
    """Mask the declared nodata (``rio.nodata``) as NaN and apply a declared scale and offset.

    This is what ``rioxarray.open_rasterio(path, mask_and_scale=True)`` does, for arrays
    opened without it.
    """
    nd = da.rio.nodata
    if nd is not None and not np.isnan(nd):
        masked = da.where(da != nd)
        masked.attrs = {k: v for k, v in da.attrs.items() if k != "_FillValue"}
        masked.encoding = {**da.encoding, "_FillValue": nd}
        logger.info("%s: declared nodata %r masked", label, float(nd))
        da = masked
    scale = float(da.attrs.get("scale_factor", 1.0))
    offset = float(da.attrs.get("add_offset", 0.0))
    if scale != 1.0 or offset != 0.0:
        scaled = da * scale + offset
        scaled.attrs = {k: v for k, v in da.attrs.items()
                        if k not in ("scale_factor", "add_offset")}
        scaled.name = da.name
        logger.info("%s: declared scale %g and offset %g applied", label, scale, offset)
        da = scaled
    return da


def _write_transform_if_stale(da: xr.DataArray) -> xr.DataArray:
    t = grid_transform(da)
    if tuple(da.rio.transform()) == tuple(t):
        return da
    out = da.copy(deep=False)
    out.rio.write_transform(t, inplace=True)
    return out


def _squeeze_band(da: xr.DataArray, allowed: Sequence[str]) -> xr.DataArray:
    if "band" in da.dims and "band" not in allowed and da.sizes["band"] == 1:
        return da.squeeze("band", drop=True)
    return da


def prepare_raster(
    da: xr.DataArray,
    *,
    name: str | None = None,
    to_units: str | None = None,
    units: str | None = None,
    allowed_dims: Sequence[str] = (),
    metric: bool = True,
    reproject: bool = True,
    warp: bool = False,
    allow_empty: bool = False,
) -> xr.DataArray:
    """Pass a raster through the one entrance: checked, masked, north-up, metric, in units.

    Every public function of urbanrisk passes its rasters through here first:

    1. it must be an :class:`xarray.DataArray` with a CRS and ``(y, x)`` dims (a size-1
       ``band`` dim from ``rioxarray.open_rasterio`` is dropped) of numbers or bools;
    2. the declared nodata (``da.rio.nodata``, e.g. -9999 read without ``masked=True``)
       becomes NaN: NaN is the single meaning of "no data" from here on;
    3. a rotated or sheared grid is refused with :class:`GridError`, or warped to north-up
       with ``warp=True`` (:func:`north_up`); coordinates are sorted to ``x`` ascending and
       ``y`` descending, repeated or irregular ones refused, and the transform recomputed
       from them (a stale cached transform is never used);
    4. a CRS not in metres (degrees, Web Mercator, US survey feet) is reprojected to the
       local UTM zone with a logged note, or refused with ``reproject=False``
       (:func:`require_projected`); ``metric=False`` skips this for analyses that measure
       nothing;
    5. units: ``attrs["units"]`` or, when the raster has none, ``units``. With
       ``to_units``, values in another unit of the same quantity (feet for metres) are
       converted and ``attrs["converted_from_units"]`` records the original; missing or
       incompatible units raise :class:`UnitsError`. ``to_units="canonical"`` converts any
       known quantity to its canonical unit and keeps unknown units as labels;
    6. a raster with no finite value raises :class:`EmptyLayerError` unless ``allow_empty``.

    Parameters
    ----------
    da : xarray.DataArray
        The raster.
    name : str, optional
        How to call it in messages (defaults to ``da.name``).
    to_units : str, optional
        Units the caller computes in (``"m"``, ``"degC"``, ``"people"``, ``"canonical"``).
    units : str, optional
        Units of the values when the raster carries no ``units`` attribute; a different
        ``units`` attribute raises :class:`UnitsError` (two claims, one must be wrong).
    allowed_dims : sequence of str
        Extra dimensions allowed besides ``y`` and ``x`` (``return_period``, ``year`` ...).
    metric, reproject : bool, default True
        Require a CRS in metres; reproject to it (or refuse).
    warp : bool, default False
        Warp a rotated grid to north-up instead of refusing it.
    allow_empty : bool, default False
        Accept a raster with nodata in every cell.

    Returns
    -------
    xarray.DataArray
        The input itself when nothing needed doing, otherwise a new array (the caller's
        array is never changed). Lazy (dask) input stays lazy except when warped or
        reprojected.

    Examples
    --------
    >>> depth_ft = raster_from_array(np.array([[1.0, -9999.0]]), crs=3067,
    ...                              transform=(1, 0, 0, 0, -1, 1), units="ft")
    >>> depth_ft = depth_ft.rio.write_nodata(-9999.0)
    >>> depth = prepare_raster(depth_ft, name="flood_depth", to_units="m")
    >>> depth.values.round(4).tolist(), depth.attrs["units"], depth.attrs["converted_from_units"]
    ([[0.3048, nan]], 'm', 'ft')
    """
    if not isinstance(da, xr.DataArray):
        raise InputValueError(
            f"{name or 'raster'} must be an xarray.DataArray (read it with "
            f"urbanrisk.layers.read_raster), got {type(da).__name__}."
        )
    label = _label(da, name)
    require_crs(da, name=label)
    da = _squeeze_band(da, allowed_dims)
    require_dims(da, required=("y", "x"), allowed=tuple(allowed_dims), name=label)
    for d in allowed_dims:
        if d in da.dims and d not in da.coords:
            raise DimensionError(
                f"{label} has dimension {d!r} without coordinates; assign them, e.g. "
                f"da.assign_coords({d}=[10, 100])."
            )
    if not (np.issubdtype(da.dtype, np.number) or da.dtype == bool):
        raise InputValueError(
            f"{label} holds {da.dtype} values; a numeric raster is needed. Convert the cells "
            "to numbers (strings are never read as values)."
        )
    if da.size == 0:
        raise EmptyLayerError(f"{label} has no cells (shape {da.shape}).")
    if da.dtype != bool:
        da = _decode(da, label)
    if _is_rotated(da.rio.transform()):
        if not warp:
            t = da.rio.transform()
            angle = float(np.degrees(np.arctan2(t.d, t.a)))
            raise GridError(
                f"{label} has a rotated or sheared grid (transform terms b={t.b:g}, "
                f"d={t.d:g}; about {angle:.1f} degrees), so its cells are not aligned with "
                "x and y and areas and distances on it would be wrong. Warp it to north-up: "
                "urbanrisk.layers.north_up(da) (or read_raster(path, warp=True), or "
                "warp = true for the layer in the city TOML)."
            )
        da = north_up(da, name=label)
    elif not _has_axis_coords(da):
        raise GridError(
            f"{label} has no x/y coordinates; build it with urbanrisk.layers.raster_from_array "
            "or read it with read_raster so its grid is known."
        )
    else:
        da = _sorted_axes(da, label)
    da = _write_transform_if_stale(da)
    if metric:
        da = require_projected(da, name=label, reproject=reproject)
    da = _apply_units(da, label, to_units=to_units, declared=units)
    if not allow_empty and not _any_finite(da):
        raise EmptyLayerError(
            f"{label} holds nodata in every cell. Check the file's nodata value, that you "
            "selected the right band, and that the layer covers the study area."
        )
    return da


def _apply_units(
    da: xr.DataArray, label: str, *, to_units: str | None, declared: str | None
) -> xr.DataArray:
    tag = normalize_units(da.attrs.get("units"))
    given = normalize_units(declared)
    if tag is not None and given is not None and tag != given:
        raise UnitsError(
            f"{label} says its units are {tag!r} but units={declared!r} was given. Remove "
            "one of the two claims (fix the file's units tag or the argument)."
        )
    have = tag or given
    if to_units is None:
        if have is not None and have != da.attrs.get("units"):
            da = da.copy(deep=False)
            da.attrs = {**da.attrs, "units": have}
        return da
    want = canonical_units(have) if to_units == "canonical" else normalize_units(to_units)
    if have is None:
        if to_units == "canonical":
            return da
        q = quantity_of(want)
        raise UnitsError(
            f"{label} has no units, and it must be in {want}"
            + (f" or another unit of {q} (which is converted)" if q else "")
            + ". State them: the layer's units key in the city TOML, units= in "
            "read_raster(), or da.attrs['units'] = '...'."
        )
    if have == want:
        if da.attrs.get("units") != have:
            da = da.copy(deep=False)
            da.attrs = {**da.attrs, "units": have}
        return da
    if quantity_of(have) is not None and quantity_of(have) != quantity_of(want):
        raise UnitsError(
            f"{label} is in {have!r} ({quantity_of(have)}) but {want!r} "
            f"({quantity_of(want)}) is needed here: check that this is the right layer (e.g. "
            "the population grid, not temperature) and that its units tag is right."
        )
    converted = convert(da, have, want, name=label)
    converted.attrs = {**da.attrs, "units": want, "converted_from_units": have}
    converted.name = da.name
    logger.info("%s: converted from %s to %s", label, have, want)
    return converted


def require_same_grid(
    a: xr.DataArray, b: xr.DataArray, *, names: tuple[str, str] = ("a", "b")
) -> None:
    """Raise unless ``a`` and ``b`` share CRS, shape and transform.

    A different CRS raises :class:`CRSMismatchError` (both named); a different shape or
    transform raises :class:`GridError`.

    Shape alone is not enough: two 100 x 100 rasters may lie a kilometre apart.

    Examples
    --------
    >>> a = raster_from_array(np.zeros((2, 2)), crs=3067, transform=(1, 0, 0, 0, -1, 2))
    >>> b = raster_from_array(np.zeros((2, 2)), crs=3067, transform=(1, 0, 5, 0, -1, 2))
    >>> require_same_grid(a, b, names=("dem", "landcover"))
    Traceback (most recent call last):
    ...
    urbanrisk.errors.GridError: dem and landcover are not on the same grid ...
    """
    require_same_crs(a, b, names=names)
    ta, tb = grid_transform(a), grid_transform(b)
    same_shape = (a.sizes["y"], a.sizes["x"]) == (b.sizes["y"], b.sizes["x"])
    tol = _GRID_RTOL * max(abs(ta.a), abs(ta.e), 1e-12)
    same_t = all(abs(p - q) <= tol * (1 if i in (0, 1, 3, 4) else 1e3)
                 for i, (p, q) in enumerate(zip(tuple(ta)[:6], tuple(tb)[:6], strict=True)))
    if not (same_shape and same_t):
        raise GridError(
            f"{names[0]} and {names[1]} are not on the same grid ({names[0]}: "
            f"{a.sizes['y']} x {a.sizes['x']} cells, transform {tuple(ta)[:6]}; {names[1]}: "
            f"{b.sizes['y']} x {b.sizes['x']}, {tuple(tb)[:6]}). Resample one onto the "
            f"other: {names[1]}.rio.reproject_match({names[0]})."
        )


def cell_area_m2(da: xr.DataArray) -> float:
    """Area of one cell in m², from the grid's transform (rotation included).

    ``|a*e - b*d|`` of the affine, so a rotated or sheared grid is measured right, unlike
    ``rio.resolution()``. The CRS must be in metres.

    Examples
    --------
    >>> da = raster_from_array(np.zeros((2, 2)), crs=3067, transform=(10, 0, 0, 0, -10, 20))
    >>> cell_area_m2(da)
    100.0
    """
    crs = require_crs(da)
    if not _is_metric(crs):
        raise GeographicCRSError(
            f"{_label(da, None)} is in {crs.to_string()}, not metres: cell areas in m² need a "
            "projected CRS in metres (see urbanrisk.layers.prepare_raster)."
        )
    t = grid_transform(da)
    return float(abs(t.a * t.e - t.b * t.d))


def require_class_codes(da: xr.DataArray, *, name: str | None = None) -> None:
    """Refuse a class raster (land cover) whose finite values are not whole numbers.

    A land-cover code of 3.4 is not class 3: it means the raster was resampled with a
    non-nearest method or is not a class raster at all.

    Examples
    --------
    >>> lc = raster_from_array(np.array([[1.0, 3.4]]), crs=3067, transform=(1, 0, 0, 0, -1, 1))
    >>> require_class_codes(lc, name="landcover")
    Traceback (most recent call last):
    ...
    urbanrisk.errors.InputValueError: landcover holds non-integer class codes ...
    """
    if not np.issubdtype(da.dtype, np.floating):
        return
    values = da.data
    if is_dask_backed(da):
        import dask.array

        frac = dask.array.nanmax(dask.array.fabs(values - dask.array.round(values))).compute()
        examples: list[float] = []
    else:
        v = np.asarray(values)
        finite = v[np.isfinite(v)]
        off = finite != np.round(finite)
        frac = float(off.any())
        examples = np.unique(finite[off])[:5].tolist()
    if frac and frac > 0:
        raise InputValueError(
            f"{name or _label(da, None)} holds non-integer class codes (e.g. {examples}): a "
            "class raster must hold whole numbers. Resample land cover with nearest "
            "neighbour only, and check that this is the class raster."
        )


def prepare_vector(
    gdf: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    name: str,
    like: Layer | None = None,
    like_name: str | None = None,
    geom_types: Sequence[str] | None = None,
    make_valid: bool = False,
    drop_empty: bool = False,
    metric: bool = True,
    reproject: bool = True,
    overlap: bool = True,
) -> gpd.GeoDataFrame:
    """Pass a vector layer through the one entrance: checked, metric, aligned to ``like``.

    1. a :class:`geopandas.GeoDataFrame` (a GeoSeries is wrapped) with features and a CRS;
    2. missing, empty or invalid geometries raise :class:`InvalidGeometryError` naming the
       rows (repaired with ``make_valid=True``, dropped with ``drop_empty=True``);
    3. only ``geom_types`` (e.g. ``("Polygon", "MultiPolygon")``) are accepted;
    4. with ``like`` (a raster or vector already through the contract), the layer is
       reprojected to its CRS and must overlap its extent (:class:`NoOverlapError`);
       otherwise, with ``metric``, a CRS not in metres is reprojected to the local UTM zone
       (or refused with ``reproject=False``). ``like_name`` names ``like`` in messages.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> parks = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)], crs=3067)
    >>> far = gpd.GeoDataFrame(geometry=[box(500, 500, 501, 501)], crs=3067)
    >>> prepare_vector(parks, name="parks", like=far)
    Traceback (most recent call last):
    ...
    urbanrisk.errors.NoOverlapError: vector layer (extent ...) and parks (extent ...) do not ...
    """
    if isinstance(gdf, gpd.GeoSeries):
        gdf = gpd.GeoDataFrame(geometry=gdf)
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputValueError(f"{name} must be a GeoDataFrame, got {type(gdf).__name__}.")
    require_non_empty(gdf, name=name)
    require_crs(gdf, name=name)
    gdf = check_geometries(gdf, name=name, make_valid=make_valid, drop_empty=drop_empty)
    if geom_types is not None:
        import shapely

        ids = np.unique(shapely.get_type_id(np.asarray(gdf.geometry.values)))
        types = {_TYPE_NAMES.get(int(i), "unknown") for i in ids}
        bad = types - set(geom_types)
        if bad:
            raise InvalidGeometryError(
                f"{name} holds {sorted(bad)} geometries but {sorted(geom_types)} are expected "
                "here. Explode or convert them, or use the function for that geometry type."
            )
    if like is not None:
        if isinstance(like, xr.DataArray):
            gdf = align_vector_to_raster(gdf, like, name=name)
        else:
            target = require_crs(like)
            if not require_crs(gdf, name=name).equals(target, ignore_axis_order=True):
                logger.info("%s reprojected to %s", name, target.to_string())
                gdf = gdf.to_crs(target)
        if overlap:
            require_overlap(like, gdf, names=(_label(like, like_name), name))
    elif metric:
        gdf = require_projected(gdf, name=name, reproject=reproject)
    return gdf


# --------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------
def read_raster(
    path: str | os.PathLike,
    *,
    chunks: int | dict | str | bool | None = None,
    units: str | None = None,
    band: int | None = None,
    name: str | None = None,
    warp: bool = False,
) -> xr.DataArray:
    """Read a raster file as a masked :class:`xarray.DataArray` with CRS and units.

    Parameters
    ----------
    path : str or path-like
        Any raster GDAL reads (GeoTIFF, COG, ...).
    chunks : int, dict, str or bool, optional
        Passed to :func:`rioxarray.open_rasterio`; when given, the array is dask-backed
        and nothing is read until computed.
    units : str, optional
        Units of the values when the file has no ``units`` tag (or band unit type); a
        tag that says otherwise raises :class:`UnitsError` (two claims, one is wrong).
    band : int, optional
        1-based band to keep from a multi-band file; by default a single-band file is
        returned 2-D and a multi-band file 3-D.
    name : str, optional
        Name of the array; defaults to the file stem.
    warp : bool, default False
        Warp a rotated or sheared grid to north-up (:func:`north_up`, logged). Without it a
        rotated file is read as it is and refused by the analyses with :class:`GridError`.

    Returns
    -------
    xarray.DataArray
        Float array (nodata → NaN) with dims ``(y, x)`` or ``(band, y, x)`` — or the
        named extra dimension written by :func:`write_raster`, e.g. ``return_period``.

    Raises
    ------
    MissingCRSError
        If the file has no CRS.

    Examples
    --------
    >>> from urbanrisk import datasets
    >>> dem = read_raster(datasets.get_path("helsinki", "dem"))
    >>> dem.attrs["units"], dem.rio.crs.to_epsg()
    ('m', 3067)
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"No raster at {path}.")
    da = rioxarray.open_rasterio(path, masked=True, chunks=chunks)
    assert isinstance(da, xr.DataArray)
    da.name = name or path.stem
    require_crs(da, name=str(path))
    tags = dict(da.attrs)
    file_units = tags.get("units") or tags.get("UNITS")
    if file_units is None:
        with contextlib.suppress(Exception):
            import rasterio

            with rasterio.open(path) as src:
                file_units = (src.units or (None,))[0] or None
    extra_dim = tags.pop(_EXTRA_DIM_TAG, None)
    extra_coords = tags.pop(_EXTRA_COORDS_TAG, None)
    if band is not None:
        da = da.sel(band=band, drop=True)
    elif da.sizes.get("band", 1) == 1:
        da = da.squeeze("band", drop=True)
    elif extra_dim:
        coords = json.loads(extra_coords) if extra_coords else list(da["band"].values)
        da = da.rename(band=extra_dim).assign_coords({extra_dim: coords})
    attrs = {
        k: v
        for k, v in tags.items()
        if k not in ("_FillValue", "scale_factor", "add_offset", "AREA_OR_POINT", "UNITS")
    }
    given, tagged = normalize_units(units), normalize_units(file_units)
    if given is not None and tagged is not None and given != tagged:
        raise UnitsError(
            f"{path} says its units are {tagged!r} but units={units!r} was given. Remove one "
            "of the two claims (fix the file's units tag, or drop the units argument / the "
            "layer's units key in the city TOML)."
        )
    attrs["units"] = given or tagged
    if attrs["units"] is None:
        del attrs["units"]
    da.attrs = attrs
    # rioxarray keeps the original nodata in encoding; values are NaN in memory.
    if warp and _is_rotated(da.rio.transform()):
        da = north_up(da, name=str(path))
    return da


def read_vector(
    path: str | os.PathLike,
    *,
    layer: str | int | None = None,
    **kwargs: Any,
) -> gpd.GeoDataFrame:
    """Read a vector file (GeoPackage, GeoParquet, Shapefile, GeoJSON, ...) with pyogrio.

    Parameters
    ----------
    path : str or path-like
        The file; ``.parquet`` files are read with :func:`geopandas.read_parquet`.
    layer : str or int, optional
        Layer of a multi-layer file such as a GeoPackage.
    **kwargs
        Passed to :func:`geopandas.read_file` (e.g. ``columns``, ``bbox``, ``where``).

    Raises
    ------
    MissingCRSError
        If the file has no CRS.

    Examples
    --------
    >>> from urbanrisk import datasets
    >>> districts = read_vector(datasets.get_path("helsinki", "districts"))
    >>> districts.crs.to_epsg()
    3067
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"No vector file at {path}.")
    if path.suffix.lower() in (".parquet", ".geoparquet"):
        gdf = gpd.read_parquet(path, **kwargs)
    else:
        gdf = gpd.read_file(path, layer=layer, engine="pyogrio", **kwargs)
    require_crs(gdf, name=str(path) if layer is None else f"{path}:{layer}")
    return gdf


def raster_from_array(
    values: np.ndarray,
    *,
    crs: str | int | pyproj.CRS,
    transform: Affine | Sequence[float],
    units: str | None = None,
    name: str | None = None,
    extra_dim: str | None = None,
    extra_coords: Sequence | None = None,
) -> xr.DataArray:
    """Build a georeferenced DataArray from a numpy array (rows top to bottom).

    The values are not copied: like ``xarray.DataArray(values)``, the result is a view of
    ``values`` (copy the array first if you will change it afterwards).

    Parameters
    ----------
    values : numpy.ndarray
        2-D ``(y, x)`` or 3-D ``(extra_dim, y, x)`` values.
    crs : str, int or pyproj.CRS
        CRS of the grid.
    transform : affine.Affine or sequence of 6 floats
        ``Affine(a, b, c, d, e, f)`` or the GDAL-order 6-tuple ``(a, b, c, d, e, f)`` of
        the affine: ``x = a*col + b*row + c``, ``y = d*col + e*row + f``.
    units : str, optional
        Stored in ``attrs["units"]``.
    name : str, optional
        Name of the array.
    extra_dim, extra_coords : str, sequence, optional
        Name and coordinates of the first dimension of a 3-D array (e.g.
        ``"return_period"``, ``[10, 100]``).

    Examples
    --------
    >>> da = raster_from_array(np.ones((2, 2)), crs=3067, transform=(1, 0, 0, 0, -1, 2))
    >>> [float(v) for v in da.x], [float(v) for v in da.y]
    ([0.5, 1.5], [1.5, 0.5])
    """
    t = transform if isinstance(transform, Affine) else Affine(*transform[:6])
    arr = np.asarray(values)
    ny, nx = arr.shape[-2:]
    cols = np.arange(nx) + 0.5
    rows = np.arange(ny) + 0.5
    if t.b != 0 or t.d != 0:
        raise InputValueError("Rotated transforms are not supported; warp the raster first.")
    x = t.c + t.a * cols
    y = t.f + t.e * rows
    if arr.ndim == 2:
        da = xr.DataArray(arr, dims=("y", "x"), coords={"y": y, "x": x}, name=name)
    elif arr.ndim == 3:
        if extra_dim is None:
            raise DimensionError("A 3-D array needs extra_dim= naming its first dimension.")
        coords = list(extra_coords) if extra_coords is not None else list(range(arr.shape[0]))
        da = xr.DataArray(
            arr,
            dims=(extra_dim, "y", "x"),
            coords={extra_dim: coords, "y": y, "x": x},
            name=name,
        )
    else:
        raise DimensionError(f"values must be 2-D or 3-D, got shape {arr.shape}.")
    # An "EPSG:nnnn" string keeps the authority code through rioxarray (a pyproj CRS object
    # goes through WKT and can come back as an equivalent code, e.g. 25835 for 3067).
    crs_input = pyproj.CRS.from_user_input(crs).to_string()
    # in place on the array just built: rio.write_crs(...).rio.write_transform(...) would
    # copy every value twice to attach two attributes
    da.rio.write_crs(crs_input, inplace=True)
    da.rio.write_transform(t, inplace=True)
    if units is not None:
        da.attrs["units"] = normalize_units(units)
    return da


# --------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------
@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it into place on success.

    The temporary file has the target's suffix (drivers pick formats by suffix) and a
    hidden ``.~`` prefix. On error it is removed and the target is left untouched.

    Raises
    ------
    OutputExistsError
        If ``path`` exists and ``overwrite`` is false.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> target.read_text()
    'done'
    """
    target = Path(path)
    if target.exists() and not overwrite:
        raise OutputExistsError(
            f"{target} already exists. Pass overwrite=True to replace it, or choose another path."
        )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".~{target.stem}.", suffix=target.suffix, dir=target.parent
        )
        os.close(fd)
    except OSError as exc:
        raise output_error(exc, target.parent) from exc
    tmp = Path(tmp_name)
    tmp.unlink()  # let the writer create it (some drivers refuse an existing file)
    try:
        yield tmp
        if not tmp.exists():
            raise OSError(f"writer produced no file for {target}")
        os.replace(tmp, target)
    except UrbanRiskError:
        raise
    except Exception as exc:
        cause = _write_failure_cause(exc, tmp)
        if cause is None:
            raise
        # name the output, not the hidden temporary file (or a probe) of the writer
        raise output_error(OSError(cause.errno, cause.strerror), target) from exc
    finally:
        for part in _partial_files(tmp):
            part.unlink(missing_ok=True)


def _partial_files(tmp: Path) -> list[Path]:
    """Return the temporary file and what a driver left beside it (``-journal``, ``.aux.xml``)."""
    try:
        return [p for p in tmp.parent.iterdir() if p.name.startswith(tmp.name)]
    except OSError:
        return []


#: Plain words (and what to do) for the operating-system errors met when writing outputs.
_OS_ERROR_WORDS: dict[int, tuple[str, str]] = {
    errno.ENOSPC: ("the disk is full (no space left on device)",
                   "Free some space or choose an output folder on another disk."),
    errno.EDQUOT: ("your disk quota is used up",
                   "Free some space or choose an output folder on another disk."),
    errno.EROFS: ("the file system is read-only",
                  "Choose an output folder on a writable disk."),
    errno.EFBIG: ("the file is larger than the file system or this process's file-size limit "
                  "allows", "Write to a file system that takes large files (not FAT32), or "
                  "raise the limit (ulimit -f)."),
    errno.EACCES: ("permission denied",
                   "Choose a folder you may write to, or change its permissions."),
    errno.EPERM: ("the operation is not permitted",
                  "Choose a folder you may write to, or change its permissions."),
    errno.EIO: ("the device reported an input/output error",
                "Check the disk or the network share, then run again."),
    errno.ENAMETOOLONG: ("the path is too long", "Choose a shorter output path."),
    errno.ENOTDIR: ("a part of the path is a file, not a folder", "Choose another path."),
}


def output_error(exc: OSError, path: str | os.PathLike, *, action: str = "write") -> OutputError:
    """Turn an :class:`OSError` met while writing into an :class:`~urbanrisk.errors.OutputError`.

    The message names the path and the error number in plain words, and says what to do.

    Parameters
    ----------
    exc : OSError
        The error raised by the operating system (``exc.errno`` set) or by a writer.
    path : str or path-like
        What was being written (used when ``exc`` names no file itself).
    action : str, default "write"
        The verb of the message (``"create"``, ``"replace"`` ...).

    Returns
    -------
    OutputError

    Examples
    --------
    >>> import errno
    >>> err = output_error(OSError(errno.EROFS, "Read-only file system"), "/mnt/usb/out")
    >>> print(err)
    cannot write /mnt/usb/out: the file system is read-only (EROFS, errno 30). Choose an \
output folder on a writable disk.
    >>> err.errno == errno.EROFS
    True
    """
    code = exc.errno if isinstance(exc.errno, int) else None
    where = str(exc.filename if exc.filename else path)
    if code in _OS_ERROR_WORDS:
        words, advice = _OS_ERROR_WORDS[code]
    else:
        words, advice = (os.strerror(code) if code else str(exc)), ""
    tag = f" ({errno.errorcode.get(code, '?')}, errno {code})" if code else ""
    return OutputError(f"cannot {action} {where}: {words}{tag}. {advice}".strip(),
                       errno=code, path=where)


def _write_failure_cause(exc: BaseException, partial: Path) -> OSError | None:
    """Find the operating-system error behind a writer's failure (``None``: none).

    GDAL and pyogrio report a failed write without an error number ("Write error at
    scanline 0", "no such table: gpkg_contents"); the file system is asked instead: a
    probe file in the same folder (full, read-only, no permission), the free space, and
    whether the partial file reached a file-size limit. Under a finite ``ulimit -f`` a
    write failure without an error number is taken for that limit (EFBIG): the drivers
    remove their partial files before the size could be checked.
    """
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and isinstance(seen.errno, int) and seen.errno:
            return seen
        seen = seen.__cause__ or seen.__context__
    folder = partial.parent
    size = max((p.stat().st_size for p in _partial_files(partial) if p.is_file()), default=0)
    probe = folder / f".~probe.{os.getpid()}.{id(exc):x}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, b"\0" * 4096)
            limit = _file_size_limit()
            if limit is not None:
                os.ftruncate(fd, limit + 1)  # sparse; EFBIG past the limit
            elif size >= (1 << 31) - (1 << 16):  # near 2 or 4 GiB (FAT32, old NFS)
                os.ftruncate(fd, size + 1)
        finally:
            os.close(fd)
    except OSError as probe_error:
        return probe_error
    finally:
        probe.unlink(missing_ok=True)
    try:
        stats = os.statvfs(folder)
    except (OSError, AttributeError):  # AttributeError: no statvfs (Windows)
        return None
    if stats.f_bavail * stats.f_frsize < 1 << 20 or (stats.f_files and not stats.f_favail):
        return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    return None


def _file_size_limit() -> int | None:
    """Return the file-size limit of this process (``ulimit -f``; ``None``: unlimited)."""
    try:
        import resource  # POSIX only
    except ImportError:
        return None
    soft, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
    return None if soft == resource.RLIM_INFINITY or soft < 0 else int(soft)


def write_raster(
    da: xr.DataArray,
    path: str | os.PathLike,
    *,
    overwrite: bool = False,
    nodata: float | None = None,
    compress: str = "DEFLATE",
) -> Path:
    """Write a raster as a Cloud-Optimized GeoTIFF, atomically.

    Parameters
    ----------
    da : xarray.DataArray
        2-D ``(y, x)`` or 3-D with one extra named dimension (``return_period``, ``year``
        ...), written as bands whose dimension name and coordinates are stored in the
        file's tags so :func:`read_raster` restores them.
    path : str or path-like
        Target ``.tif`` file.
    overwrite : bool, default False
        Replace an existing file.
    nodata : float, optional
        Value written for NaN; defaults to NaN for float arrays.
    compress : str, default "DEFLATE"
        GDAL compression.

    Returns
    -------
    pathlib.Path
        The written file.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np
    >>> da = raster_from_array(np.array([[1.0, np.nan]]), crs=3067,
    ...                        transform=(1, 0, 0, 0, -1, 1), units="m")
    >>> out = write_raster(da, pathlib.Path(tempfile.mkdtemp()) / "d.tif")
    >>> back = read_raster(out)
    >>> back.attrs["units"], bool(np.isnan(back.values[0, 1]))
    ('m', True)
    """
    require_crs(da, name=_label(da, None))
    tags: dict[str, str] = {}
    out = da
    spatial = ("y", "x")
    extra = [d for d in da.dims if d not in spatial]
    if len(extra) > 1:
        raise DimensionError(
            f"write_raster writes one extra dimension as bands; {_label(da, None)} has {extra}. "
            "Select or stack them first."
        )
    if extra:
        dim = extra[0]
        tags[_EXTRA_DIM_TAG] = dim
        coords = [v.item() if hasattr(v, "item") else v for v in da[dim].values]
        tags[_EXTRA_COORDS_TAG] = json.dumps(coords, default=str)
        out = out.transpose(dim, *spatial)
    if "units" in da.attrs:
        tags["units"] = str(da.attrs["units"])
    if np.issubdtype(out.dtype, np.bool_):
        out = out.astype("uint8")
    if np.issubdtype(out.dtype, np.floating):
        nd = np.nan if nodata is None else nodata
        if nodata is not None:
            out = out.fillna(nodata)
    else:
        nd = nodata
    # a shallow copy: the caller's attrs and encoding are replaced, never its values
    out = out.copy(deep=False)
    out.attrs = {k: v for k, v in out.attrs.items() if isinstance(v, str | int | float)}
    out.attrs.pop("_FillValue", None)
    out.encoding = {}
    if nd is not None:
        out.rio.write_nodata(nd, encoded=False, inplace=True)
    with atomic_path(path, overwrite=overwrite) as tmp:
        out.rio.to_raster(tmp, driver="COG", compress=compress, tags=tags)
    return Path(path)


def write_vector(
    gdf: gpd.GeoDataFrame,
    path: str | os.PathLike,
    *,
    layer: str | None = None,
    overwrite: bool = False,
) -> Path:
    """Write a vector layer to GeoPackage (``.gpkg``) or GeoParquet (``.parquet``), atomically.

    A GeoPackage may hold several layers: writing a new ``layer`` into an existing file
    copies the file, adds the layer and renames the copy into place. Replacing an existing
    layer (or file, for GeoParquet) needs ``overwrite=True``.

    Examples
    --------
    >>> import tempfile, pathlib, geopandas as gpd
    >>> from shapely.geometry import Point
    >>> gdf = gpd.GeoDataFrame({"v": [1]}, geometry=[Point(0, 0)], crs=3067)
    >>> out = write_vector(gdf, pathlib.Path(tempfile.mkdtemp()) / "pts.gpkg", layer="pts")
    >>> read_vector(out, layer="pts")["v"].tolist()
    [1]
    """
    require_crs(gdf, name=layer or "vector layer")
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix in (".parquet", ".geoparquet"):
        with atomic_path(target, overwrite=overwrite) as tmp:
            gdf.to_parquet(tmp)
        return target
    if suffix != ".gpkg":
        raise InputValueError(
            f"write_vector writes .gpkg or .parquet files, got {target.name!r}."
        )
    layer = layer or target.stem
    if target.exists():
        import shutil

        import pyogrio

        existing = [name for name, _ in pyogrio.list_layers(target)]
        if layer in existing and not overwrite:
            raise OutputExistsError(
                f"{target} already has a layer {layer!r}. Pass overwrite=True to replace it."
            )
        with atomic_path(target, overwrite=True) as tmp:
            shutil.copyfile(target, tmp)
            gdf.to_file(tmp, layer=layer, driver="GPKG", engine="pyogrio")
        return target
    with atomic_path(target, overwrite=overwrite) as tmp:
        gdf.to_file(tmp, layer=layer, driver="GPKG", engine="pyogrio")
    return target


def write_table(
    df: pd.DataFrame,
    path: str | os.PathLike,
    *,
    overwrite: bool = False,
) -> Path:
    """Write a table as CSV (``.csv``) or JSON records (``.json``), atomically.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> df = pd.DataFrame({"indicator": ["eca"], "value": [1.5]})
    >>> out = write_table(df, pathlib.Path(tempfile.mkdtemp()) / "t.csv")
    >>> pd.read_csv(out)["value"].tolist()
    [1.5]
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise InputValueError(f"write_table writes .csv or .json files, got {target.name!r}.")
    if isinstance(df, gpd.GeoDataFrame):
        df = pd.DataFrame(df.drop(columns=df.geometry.name))
    with atomic_path(target, overwrite=overwrite) as tmp:
        if suffix == ".csv":
            df.to_csv(tmp, index=False)
        else:
            df.to_json(tmp, orient="records", indent=1, date_format="iso")
    return target
