"""A city's inputs from open global data, with provenance and licences.

OpenStreetMap layers from a local ``.osm.pbf`` (pyrosm) or Overpass (osmnx), and rasters
from STAC catalogues (pystac-client + odc-stac): ESA WorldCover land cover, Copernicus
DEM GLO-30, GHS-POP population, JRC river flood depth per return period and Landsat
surface temperature. Every layer is clipped to the city's box, reprojected once to its
UTM zone, kept in a checksummed disk cache and written with its source, version, access
date and licence. :func:`city_inputs` writes them all with a ``city.toml`` ready for
``urbanrisk check`` and ``urbanrisk profile``; ``urbanrisk fetch`` is its command line.

This subpackage needs the ``sources`` extra (``pip install 'urbanrisk[sources]'``):
pyrosm, osmnx, pystac-client and odc-stac. It uses :mod:`urbanrisk.layers`; no theme
imports it.

Examples
--------
>>> from urbanrisk import sources
>>> sources.check_bbox("24.94,60.166,24.95,60.172")
(24.94, 60.166, 24.95, 60.172)
>>> sources.PRODUCTS["esa-worldcover"].licence
'CC BY 4.0'
"""

from urbanrisk.errors import SourceUnavailableError
from urbanrisk.sources.area import BBox, bbox_key, check_bbox, local_crs
from urbanrisk.sources.cache import (
    Cache,
    CacheEntry,
    CacheKey,
    default_cache_dir,
    sha256_of,
)
from urbanrisk.sources.city import CONFIG_LAYERS, CityInputs, city_inputs, place_bbox
from urbanrisk.sources.osm import (
    GREEN_KINDS,
    OCCUPANCY_BY_BUILDING,
    OSM_LAYERS,
    building_use,
    normalize_osm,
    osm_layers,
    osm_layers_online,
    parse_width_m,
)
from urbanrisk.sources.provenance import (
    Provenance,
    credits_line,
    read_provenance,
    write_provenance,
)
from urbanrisk.sources.stac import (
    PLANETARY_COMPUTER,
    PRODUCTS,
    Product,
    fetch_raster,
    find_items,
    landsat_clear,
)

__all__ = [
    "BBox",
    "bbox_key",
    "check_bbox",
    "local_crs",
    "Cache",
    "CacheEntry",
    "CacheKey",
    "SourceUnavailableError",
    "default_cache_dir",
    "sha256_of",
    "CONFIG_LAYERS",
    "CityInputs",
    "city_inputs",
    "place_bbox",
    "GREEN_KINDS",
    "OCCUPANCY_BY_BUILDING",
    "OSM_LAYERS",
    "building_use",
    "normalize_osm",
    "osm_layers",
    "osm_layers_online",
    "parse_width_m",
    "Provenance",
    "credits_line",
    "read_provenance",
    "write_provenance",
    "PLANETARY_COMPUTER",
    "PRODUCTS",
    "Product",
    "fetch_raster",
    "find_items",
    "landsat_clear",
]
