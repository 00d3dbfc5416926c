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
import json
import logging
import os
import tempfile
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
    InputValueError,
    InvalidGeometryError,
    MissingCRSError,
    NoOverlapError,
    OutputExistsError,
    UnitsError,
)

__all__ = [
    "Layer",
    "read_raster",
    "read_vector",
    "raster_from_array",
    "write_raster",
    "write_vector",
    "write_table",
    "atomic_path",
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
    "require_positive",
    "bounds_of",
    "is_dask_backed",
]

logger = logging.getLogger(__name__)

Layer = xr.DataArray | gpd.GeoDataFrame | gpd.GeoSeries

# Spellings of the same unit found in files and user code, mapped to one canonical symbol.
_UNIT_ALIASES: dict[str, str] = {
    "m": "m",
    "meter": "m",
    "meters": "m",
    "metre": "m",
    "metres": "m",
    "mm": "mm",
    "millimeter": "mm",
    "millimeters": "mm",
    "millimetre": "mm",
    "millimetres": "mm",
    "cm": "cm",
    "ft": "ft",
    "feet": "ft",
    "degc": "degC",
    "°c": "degC",
    "celsius": "degC",
    "deg_c": "degC",
    "c": "degC",
    "k": "K",
    "kelvin": "K",
    "1": "1",
    "fraction": "1",
    "dimensionless": "1",
    "people": "people",
    "persons": "people",
    "person": "people",
    "inhabitants": "people",
    "mmi": "MMI",
    "m/s": "m/s",
    "m s-1": "m/s",
    "m2": "m2",
    "m^2": "m2",
    "%": "%",
    "percent": "%",
    "class": "class",
}

_EXTRA_DIM_TAG = "urbanrisk_dim"
_EXTRA_COORDS_TAG = "urbanrisk_coords"


# --------------------------------------------------------------------------------------
# Units and dimensions
# --------------------------------------------------------------------------------------
def normalize_units(units: str | None) -> str | None:
    """Return the canonical spelling of a unit string (``"metres"`` → ``"m"``).

    Unknown units are returned stripped but otherwise unchanged, so users can work with
    units urbanrisk does not know.

    Examples
    --------
    >>> normalize_units("Metres"), normalize_units("°C"), normalize_units("W/m2")
    ('m', 'degC', 'W/m2')
    """
    if units is None:
        return None
    key = str(units).strip()
    return _UNIT_ALIASES.get(key.lower(), key)


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


def require_positive(value: float, *, name: str, allow_zero: bool = False) -> float:
    """Return ``value`` as float, raising :class:`InputValueError` if not (strictly) positive.

    Examples
    --------
    >>> require_positive(300, name="max_distance_m")
    300.0
    """
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputValueError(f"{name} must be a number, got {value!r}.") from None
    if not np.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise InputValueError(f"{name} must be finite and {bound}, got {value!r}.")
    return v


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
        out = layer.rio.reproject(utm, resolution=resolution_m, nodata=np.nan)
        out.attrs.update({k: v for k, v in layer.attrs.items() if k not in out.attrs})
        out.attrs.pop("_FillValue", None)
        out.name = layer.name
    else:
        utm = layer.estimate_utm_crs()
        out = layer.to_crs(utm)
    logger.info("%s reprojected from %s to %s (metres)", label, crs.to_string(), utm.to_string())
    return out


def _finest_resolution_m(da: xr.DataArray) -> float:
    """Finer axis of a geographic raster's cell size, in metres at its centre."""
    rx, ry = (abs(r) for r in da.rio.resolution())
    crs = pyproj.CRS.from_user_input(da.rio.crs)
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

    For dask-backed rasters only the shape is checked (the values are not computed).
    """
    label = _label(layer, name)
    if isinstance(layer, xr.DataArray):
        if layer.size == 0:
            raise EmptyLayerError(f"{label} has no cells (shape {layer.shape}).")
        if not is_dask_backed(layer) and np.issubdtype(layer.dtype, np.floating):
            if not np.isfinite(layer.values).any():
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
# Reading
# --------------------------------------------------------------------------------------
def read_raster(
    path: str | os.PathLike,
    *,
    chunks: int | dict | str | bool | None = None,
    units: str | None = None,
    band: int | None = None,
    name: str | None = None,
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
        Units of the values; by default taken from the file's ``units`` tag (or band unit
        type) when present.
    band : int, optional
        1-based band to keep from a multi-band file; by default a single-band file is
        returned 2-D and a multi-band file 3-D.
    name : str, optional
        Name of the array; defaults to the file stem.

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
    attrs["units"] = normalize_units(units) if units is not None else normalize_units(file_units)
    if attrs["units"] is None:
        del attrs["units"]
    da.attrs = attrs
    # rioxarray keeps the original nodata in encoding; values are NaN in memory.
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
    da = da.rio.write_crs(crs_input).rio.write_transform(t)
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
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".~{target.stem}.", suffix=target.suffix, dir=target.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # let the writer create it (some drivers refuse an existing file)
    try:
        yield tmp
        if not tmp.exists():
            raise OSError(f"writer produced no file for {target}")
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


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
    out = out.copy()
    out.attrs = {k: v for k, v in out.attrs.items() if isinstance(v, str | int | float)}
    out.attrs.pop("_FillValue", None)
    out.encoding = {}
    if nd is not None:
        out = out.rio.write_nodata(nd, encoded=False)
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
