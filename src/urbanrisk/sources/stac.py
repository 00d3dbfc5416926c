"""Rasters of a city from STAC catalogues: land cover, elevation, population, flood, heat.

Items are found with `pystac-client <https://pystac-client.readthedocs.io>`_ (an API's
``/search``, or a walk of a static catalogue's collection) and read with `odc-stac
<https://odc-stac.readthedocs.io>`_, straight onto the city's grid: the local UTM zone
(:func:`~urbanrisk.sources.area.local_crs`), at the product's resolution, covering the
whole box. Each layer is reprojected **once**, from the source files to that grid, with
the resampling its values need (nearest for classes and depths, bilinear for elevation and
temperature; population counts are read on their own grid and moved by a rule that keeps
the total, :func:`urbanrisk.layers.reproject_counts`). The result is a Cloud-Optimized
GeoTIFF written with :func:`urbanrisk.layers.write_raster`, tagged with its ``units``,
nodata and provenance (``source``, ``product``, ``version``, ``licence``, ``credit``,
``accessed``), so the input contract reads it without guesses.

Why odc-stac and not stackstac: odc-stac loads onto any target grid we give it (a
``GeoBox``) in one warp per source file and mosaics overlapping tiles, it works from the
files' own headers when items lack the projection extension (self-made catalogues, the
tests' catalogue), it is maintained by the Open Data Cube project and needs no dask
graph for a city-sized area. stackstac needs ``proj:epsg`` in every item, builds a dask
graph even for small reads and mosaics only along time.

Examples
--------
>>> sorted(PRODUCTS)
['cop-dem-glo-30', 'esa-worldcover', 'ghs-pop', 'jrc-flood', 'landsat-lst']
>>> PRODUCTS["cop-dem-glo-30"].layer, PRODUCTS["cop-dem-glo-30"].resolution_m
('dem', 30.0)
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyproj
import xarray as xr
from shapely.geometry import box, shape

from urbanrisk.errors import SourceUnavailableError
from urbanrisk.layers import raster_from_array, reproject_counts, write_raster
from urbanrisk.sources.area import BBox, check_bbox, local_crs, projected_bounds
from urbanrisk.sources.cache import Cache, CacheKey
from urbanrisk.sources.provenance import Provenance

__all__ = ["Product", "PRODUCTS", "PLANETARY_COMPUTER", "find_items", "fetch_raster",
           "landsat_clear"]

logger = logging.getLogger(__name__)

#: STAC API of Microsoft's Planetary Computer (assets need signing: pass
#: ``modifier=planetary_computer.sign_inplace``).
PLANETARY_COMPUTER = "https://planetarycomputer.microsoft.com/api/stac/v1"


@dataclass(frozen=True)
class Product:
    """A raster product: where to find it, how to read it, how to credit it.

    Attributes
    ----------
    key : str
        Key in :data:`PRODUCTS`.
    layer : str
        The city layer it becomes (``landcover``, ``dem``, ``population``,
        ``flood_depth``, ``lst``).
    title, version : str
        Name and version of the product.
    collection : str
        STAC collection id.
    asset : str
        Key of the item asset holding the values.
    resolution_m : float
        Cell size of the city grid (m), about the product's own.
    units : str or None
        Units of the values after ``scale``/``offset`` (``None``: class codes).
    resampling : str
        ``nearest``, ``bilinear`` or ``sum`` (counts,
        :func:`urbanrisk.layers.reproject_counts`).
    nodata : float or None
        The value the files use for no data, when the items do not say.
    scale, offset : float
        ``value = raw * scale + offset`` (Landsat surface temperature), unless the item's
        ``raster:bands`` says otherwise.
    datetime : str or None
        Default STAC datetime interval of the items.
    catalog : str or None
        Default STAC catalogue; ``None``: no public STAC API serves it, give one.
    licence, credit, url, notes : str
        Licence, attribution, product page and known limits.
    """

    key: str
    layer: str
    title: str
    version: str
    collection: str
    asset: str
    resolution_m: float
    units: str | None
    resampling: str
    nodata: float | None
    licence: str
    credit: str
    url: str
    notes: str
    scale: float = 1.0
    offset: float = 0.0
    datetime: str | None = None
    catalog: str | None = PLANETARY_COMPUTER
    by_property: str | None = None
    extra_assets: tuple[str, ...] = field(default_factory=tuple)


#: The raster products :func:`fetch_raster` knows.
PRODUCTS: dict[str, Product] = {p.key: p for p in (
    Product(
        key="esa-worldcover", layer="landcover", title="ESA WorldCover 10 m",
        version="v200", collection="esa-worldcover", asset="map", resolution_m=10.0,
        units=None, resampling="nearest", nodata=0, datetime="2021-01-01/2021-12-31",
        licence="CC BY 4.0",
        credit="© ESA WorldCover project 2021 / Contains modified Copernicus Sentinel "
        "data (2021) processed by ESA WorldCover consortium",
        url="https://esa-worldcover.org",
        notes="Classes 10 tree cover, 20 shrubland, 30 grassland, 40 cropland, 50 built-up, "
        "60 bare, 70 snow and ice, 80 water, 90 herbaceous wetland, 95 mangroves, 100 moss "
        "and lichen; overall accuracy about 77 % (v200); small parks and street trees are "
        "often built-up."),
    Product(
        key="cop-dem-glo-30", layer="dem", title="Copernicus DEM GLO-30",
        version="GLO-30 DGED 2021_1", collection="cop-dem-glo-30", asset="data", resolution_m=30.0,
        units="m", resampling="bilinear", nodata=None, licence="Copernicus DEM licence",
        credit="Copernicus DEM GLO-30 © DLR e.V. 2010-2014 and © Airbus Defence and Space "
        "GmbH 2014-2018, provided under COPERNICUS by the European Union and ESA",
        url="https://doi.org/10.5270/ESA-c5d3d65",
        notes="A surface model, not bare earth: buildings and trees raise it by metres; "
        "heights above the EGM2008 geoid, not local mean sea level; TanDEM-X 2011-2015."),
    Product(
        key="ghs-pop", layer="population", title="GHS-POP (Global Human Settlement Layer "
        "population grid)", version="R2023A E2020", collection="ghs-pop", asset="data",
        resolution_m=100.0, units="people", resampling="sum", nodata=-200,
        catalog=None, licence="CC BY 4.0",
        credit="GHS-POP R2023A © European Union (JRC)", url="https://human-settlement.emergency.copernicus.eu/ghs_pop2023.php",
        notes="Census counts disaggregated by built-up volume (a model, not a census); "
        "epoch 2020; 100 m (Mollweide) or 3 arc-seconds (WGS 84). No public STAC API "
        "serves it: index the downloaded tiles in a static catalogue."),
    Product(
        key="jrc-flood", layer="flood_depth", title="JRC global river flood hazard maps",
        version="v2 (2024)", collection="jrc-flood-hazard", asset="data",
        resolution_m=90.0, units="m", resampling="nearest", nodata=-9999,
        catalog=None, by_property="return_period", licence="CC BY 4.0",
        credit="JRC global river flood hazard maps © European Union", url="https://data.jrc.ec.europa.eu/collection/id-0054",
        notes="River floods only (no coastal or pluvial flooding); return periods 10-500 "
        "years; about 90 m; flood defences are ignored, so protected areas show as "
        "flooded. No public STAC API serves it: index the tiles in a static catalogue, one "
        "item per tile and return period with a `return_period` property."),
    Product(
        key="landsat-lst", layer="lst", title="Landsat Collection 2 Level-2 surface "
        "temperature (ST_B10)", version="C2 L2", collection="landsat-c2-l2",
        asset="lwir11", extra_assets=("qa_pixel",), resolution_m=30.0, units="K",
        resampling="bilinear", nodata=0, scale=0.00341802, offset=149.0,
        licence="public domain",
        credit="Landsat Collection 2 courtesy of the U.S. Geological Survey",
        url="https://www.usgs.gov/landsat-missions/landsat-collection-2-level-2-science-"
        "products", notes="One clear scene (least cloud cover in the date range), "
        "clouds and cloud shadows masked with QA_PIXEL; thermal band acquired at 100 m "
        "and delivered at 30 m; a surface (skin) temperature at about 10:00-10:30 local "
        "time, not the air temperature."),
)}


def _dt(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    v = str(value)
    if len(v) == 10:
        v += "T00:00:00"
    return datetime.fromisoformat(v.replace("Z", "+00:00")).replace(
        tzinfo=UTC) if "+" not in v[10:] else datetime.fromisoformat(v)


def _in_interval(item: Any, interval: str | None) -> bool:
    if not interval:
        return True
    start_s, _, end_s = interval.partition("/")
    start = _dt(start_s) if start_s not in ("", "..") else None
    end = _dt(end_s) if end_s not in ("", "..") else None
    if end is not None and len(end_s) == 10:
        end = end.replace(hour=23, minute=59, second=59)
    p = item.properties
    lo = _dt(p.get("start_datetime") or item.datetime)
    hi = _dt(p.get("end_datetime") or item.datetime)
    if lo is None or hi is None:
        return True
    return (end is None or lo <= end) and (start is None or hi >= start)


def find_items(
    catalog: str,
    product: Product,
    bbox: BBox,
    *,
    datetime_range: str | None = None,
    modifier: Callable | None = None,
) -> list:
    """STAC items of ``product`` over the box, from an API or a static catalogue.

    An API that offers item search is searched (``collections``, ``bbox``, ``datetime``);
    otherwise (a static ``catalog.json``, local or on a web server) the product's
    collection is walked and its items filtered by footprint and date: the same code
    serves both.
    """
    import pystac_client  # optional: the `sources` extra
    from pystac_client.warnings import DoesNotConformTo, FallbackToPystac, NoConformsTo

    interval = datetime_range if datetime_range is not None else product.datetime
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NoConformsTo)
        warnings.simplefilter("ignore", FallbackToPystac)
        warnings.simplefilter("ignore", DoesNotConformTo)
        client = pystac_client.Client.open(catalog, modifier=modifier)
        if client.conforms_to(pystac_client.ConformanceClasses.ITEM_SEARCH):
            search = client.search(collections=[product.collection], bbox=list(bbox),
                                   datetime=interval)
            items = list(search.items())
        else:
            collection = client.get_collection(product.collection)
            if collection is None:
                raise SourceUnavailableError(
                    f"the catalogue {catalog} has no collection {product.collection!r} "
                    f"({product.title})")
            area = box(*bbox)
            items = [it for it in collection.get_items(recursive=True)
                     if it.geometry is not None and shape(it.geometry).intersects(area)
                     and _in_interval(it, interval)]
    if modifier is not None:
        for it in items:
            modifier(it)
    return [it for it in items if product.asset in it.assets]


def _grid(bbox: BBox, crs: pyproj.CRS, resolution_m: float):
    """Build the city grid of a product: the whole box in ``crs``, edges on cell multiples."""
    from odc.geo.geobox import GeoBox

    return GeoBox.from_bbox(projected_bounds(bbox, crs), crs=crs.to_string(),
                            resolution=resolution_m)


def _band_scale(item: Any, asset: str, product: Product) -> tuple[float, float, float | None]:
    """``scale``, ``offset`` and nodata from the asset's ``raster:bands``, else the product."""
    bands = item.assets[asset].extra_fields.get("raster:bands") or [{}]
    b = bands[0] if bands else {}
    return (float(b.get("scale", product.scale)), float(b.get("offset", product.offset)),
            b.get("nodata", product.nodata))


def _groupby_one(item: Any, parsed: Any, idx: int) -> int:
    return 0


def _load(items: list, product: Product, asset: str, geobox: Any, resampling: str,
          nodata: float | None, patch_url: Callable | None,
          groupby: Any = _groupby_one) -> xr.DataArray:
    import odc.stac  # optional: the `sources` extra

    cfg = {"*": {"assets": {asset: {"nodata": nodata}}}} if nodata is not None else None
    ds = odc.stac.load(items, bands=[asset], geobox=geobox, resampling=resampling,
                       groupby=groupby, stac_cfg=cfg, patch_url=patch_url,
                       fail_on_error=True)
    da = ds[asset]
    values = da.values.astype("float64")
    if nodata is not None:
        values[values == nodata] = np.nan
    out = xr.DataArray(values, dims=da.dims, coords={"time": da["time"].values})
    return out


def landsat_clear(qa: np.ndarray) -> np.ndarray:
    """Clear cells of a Landsat Collection 2 ``QA_PIXEL`` band.

    Not clear: bit 0 fill, bit 1 dilated cloud, bit 3 cloud, bit 4 cloud shadow (USGS,
    *Landsat 8-9 Collection 2 Level 2 Science Product Guide*, table 6-3). NaN is not clear.

    Examples
    --------
    >>> landsat_clear(np.array([21824.0, 22280.0, 23888.0, 1.0, np.nan])).tolist()
    [True, False, False, False, False]
    """
    qa = np.asarray(qa, dtype="float64")
    finite = np.isfinite(qa)
    bits = np.where(finite, qa, 1).astype("uint16")
    bad = (bits & 0b11011) != 0
    return finite & ~bad


def _counts_onto_city_grid(src: xr.DataArray, *, crs: pyproj.CRS,
                           resolution_m: float) -> xr.DataArray:
    """Move counts (people) onto a grid in ``crs`` covering every source cell, keeping the total.

    The grid has its edges on multiples of ``resolution_m`` (as the other products'
    grids); :func:`urbanrisk.layers.reproject_counts` does the move.
    """
    geobox = _grid_of_bounds(src.rio.transform_bounds("EPSG:4326", densify_pts=21), crs,
                             resolution_m)
    return reproject_counts(src, crs, transform=geobox.affine, shape=tuple(geobox.shape))


def _grid_of_bounds(bounds_4326: Sequence[float], crs: pyproj.CRS, resolution_m: float):
    from odc.geo.geobox import GeoBox

    return GeoBox.from_bbox(projected_bounds(tuple(bounds_4326), crs), crs=crs.to_string(),
                            resolution=resolution_m)


def _native_grid(item: Any, asset: str, bbox: BBox, patch_url: Callable | None):
    """Read the source file's own grid, cropped to the cells the box touches (from its header)."""
    import math

    import rasterio
    from affine import Affine
    from odc.geo.geobox import GeoBox

    href = item.assets[asset].get_absolute_href()
    href = patch_url(href) if patch_url else href
    with rasterio.open(href) as ds:
        t, crs = ds.transform, ds.crs
    x0, y0, x1, y1 = pyproj.Transformer.from_crs(
        "EPSG:4326", crs, always_xy=True).transform_bounds(*bbox, densify_pts=21)
    inv = ~t
    cols, rows = zip(*(inv * (x, y) for x in (x0, x1) for y in (y0, y1)), strict=True)
    c0, c1 = math.floor(min(cols) + 1e-9), math.ceil(max(cols) - 1e-9)
    r0, r1 = math.floor(min(rows) + 1e-9), math.ceil(max(rows) - 1e-9)
    return GeoBox((r1 - r0, c1 - c0), t * Affine.translation(c0, r0), crs.to_string())


def fetch_raster(
    product: str | Product,
    bbox: BBox | str,
    *,
    catalog: str | None = None,
    cache: Cache | None = None,
    crs: pyproj.CRS | str | int | None = None,
    datetime_range: str | None = None,
    modifier: Callable | None = None,
    patch_url: Callable | None = None,
) -> tuple[Path, Provenance]:
    """Fetch one raster product for a box, through the cache; return its COG and provenance.

    Parameters
    ----------
    product : str or Product
        A key of :data:`PRODUCTS` or a :class:`Product`.
    bbox : tuple or str
        W, S, E, N in WGS 84 degrees.
    catalog : str, optional
        STAC API URL or path/URL of a static ``catalog.json``; default the product's.
    cache : Cache, optional
        Where fetched layers are kept (default :func:`~urbanrisk.sources.cache.
        default_cache_dir`); offline, only the cache is read.
    crs : CRS, optional
        Target CRS; default the box's UTM zone.
    datetime_range : str, optional
        STAC datetime interval (``"2023-06-01/2023-08-31"``); default the product's.
    modifier : callable, optional
        Passed to :func:`pystac_client.Client.open` (e.g. ``planetary_computer.sign_inplace``).
    patch_url : callable, optional
        Rewrites asset URLs before reading (odc-stac's ``patch_url``).

    Returns
    -------
    tuple
        ``(path, provenance)``: the cached Cloud-Optimized GeoTIFF (read it with
        :func:`urbanrisk.layers.read_raster`; copy it, never edit it) and its record.

    Raises
    ------
    SourceUnavailableError
        Offline and not cached; no catalogue known for the product; no item covers the
        box in the date range.
    """
    p = PRODUCTS[product] if isinstance(product, str) else product
    bbox = check_bbox(bbox)
    crs = pyproj.CRS.from_user_input(crs) if crs is not None else local_crs(bbox)
    cache = cache if cache is not None else Cache()
    interval = datetime_range if datetime_range is not None else p.datetime
    key = CacheKey(p.key, p.version, bbox,
                   f"{crs.to_string()} {p.resolution_m:g}m {interval or ''}")
    entry = cache.require(key)
    if entry is not None:
        logger.info("%s for %s: from the cache %s", p.key, bbox, entry.folder)
        return entry.files[0], entry.provenance
    catalog = catalog or p.catalog
    if catalog is None:
        raise SourceUnavailableError(
            f"{p.title}: no public STAC API serves it; index its files in a STAC catalogue "
            "and pass catalog= (--catalog) its URL or catalog.json path")
    items = find_items(catalog, p, bbox, datetime_range=interval, modifier=modifier)
    if not items:
        raise SourceUnavailableError(
            f"{p.title}: no item of collection {p.collection!r} in {catalog} covers bbox "
            f"{bbox}" + (f" in {interval}" if interval else ""))
    da, items = _read(p, items, bbox, crs, patch_url)
    accessed = date.today().isoformat()
    prov = Provenance(layer=p.layer, product=p.key, source=f"{p.title} ({catalog})",
                      version=p.version, accessed=accessed, licence=p.licence,
                      credit=p.credit, items=tuple(sorted(it.id for it in items)),
                      url=p.url, notes=p.notes)
    da.attrs.update({"source": p.title, "product": p.key, "version": p.version,
                     "licence": p.licence, "credit": p.credit, "accessed": accessed})
    nodata = None if np.issubdtype(da.dtype, np.floating) else 0
    entry = cache.put(key, lambda folder: _write(da, folder / f"{p.layer}.tif", nodata), prov)
    return entry.files[0], entry.provenance


def _write(da: xr.DataArray, path: Path, nodata: float | None) -> None:
    write_raster(da, path, nodata=nodata)


def _read(p: Product, items: list, bbox: BBox, crs: pyproj.CRS,
          patch_url: Callable | None) -> tuple[xr.DataArray, list]:
    """Read the items onto the city grid: a named DataArray with units, and the items used."""
    scale, offset, nodata = _band_scale(items[0], p.asset, p)
    if p.resampling == "sum":
        native = _native_grid(items[0], p.asset, bbox, patch_url)
        raw = _load(items, p, p.asset, native, "nearest", nodata, patch_url)
        src = _as_raster(raw.isel(time=0).values * scale + offset, native, p)
        out = _counts_onto_city_grid(src, crs=crs, resolution_m=p.resolution_m)
        out.name = p.layer
        return out, items
    grid = _grid(bbox, crs, p.resolution_m)
    if p.by_property:
        keys = sorted({int(it.properties[p.by_property]) for it in items
                       if p.by_property in it.properties})
        if not keys:
            raise SourceUnavailableError(
                f"{p.title}: the items carry no {p.by_property!r} property")
        layers = []
        for k in keys:
            sel = [it for it in items if int(it.properties.get(p.by_property, -1)) == k]
            raw = _load(sel, p, p.asset, grid, p.resampling, nodata, patch_url)
            layers.append(raw.isel(time=0).values * scale + offset)
        return raster_from_array(np.stack(layers), crs=crs.to_string(), transform=grid.affine,
                                 units=p.units, name=p.layer, extra_dim=p.by_property,
                                 extra_coords=keys), items
    if p.extra_assets:  # one scene: the least cloudy, masked with its QA band
        items = sorted(items, key=lambda it: (it.properties.get("eo:cloud_cover", 100.0),
                                              str(it.datetime)))
        best_day = items[0].datetime.date() if items[0].datetime else None
        items = [it for it in items
                 if (it.datetime.date() if it.datetime else None) == best_day]
        raw = _load(items, p, p.asset, grid, p.resampling, nodata, patch_url)
        values = raw.isel(time=0).values * scale + offset
        qa_key = p.extra_assets[0]
        if all(qa_key in it.assets for it in items):
            qa = _load(items, p, qa_key, grid, "nearest", None, patch_url).isel(time=0)
            values = np.where(landsat_clear(qa.values), values, np.nan)
        return raster_from_array(values, crs=crs.to_string(), transform=grid.affine,
                                 units=p.units, name=p.layer), items
    raw = _load(items, p, p.asset, grid, p.resampling, nodata, patch_url)
    values = raw.isel(time=0).values * scale + offset
    if p.units is None:  # class codes stay whole numbers, 0 = no data
        cls = np.where(np.isfinite(values), values, 0).astype("uint8")
        return raster_from_array(cls, crs=crs.to_string(), transform=grid.affine,
                                 name=p.layer), items
    return raster_from_array(values, crs=crs.to_string(), transform=grid.affine,
                             units=p.units, name=p.layer), items


def _as_raster(values: np.ndarray, geobox: Any, p: Product) -> xr.DataArray:
    return raster_from_array(values, crs=str(geobox.crs), transform=geobox.affine,
                             units=p.units, name=p.layer)

