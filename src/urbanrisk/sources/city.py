"""A city's inputs from open data: fetch every layer, write them and a ``city.toml``.

:func:`city_inputs` is what ``urbanrisk fetch`` runs, and what a study calls for a city
given by a bounding box or a place name: OpenStreetMap vectors (:mod:`.osm`), STAC
rasters (:mod:`.stac`), all through one :class:`~urbanrisk.sources.cache.Cache`, with the
provenance of every layer written beside the layers (``provenance.json``) and into the
configuration (``[city] credit`` and comments).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyproj

from urbanrisk.errors import InputValueError, OutputExistsError, SourceUnavailableError
from urbanrisk.layers import atomic_path, read_vector, write_vector
from urbanrisk.sources.area import BBox, check_bbox, local_crs
from urbanrisk.sources.cache import Cache, CacheKey
from urbanrisk.sources.osm import (
    OSM_LAYERS,
    osm_layers,
    osm_layers_online,
    osm_provenance,
    pbf_version,
)
from urbanrisk.sources.provenance import Provenance, credits_line, write_provenance
from urbanrisk.sources.stac import PRODUCTS, fetch_raster

__all__ = ["CityInputs", "city_inputs", "place_bbox", "CONFIG_LAYERS"]

logger = logging.getLogger(__name__)

#: OSM layers that a city TOML's ``[layers]`` names (the others are written beside it).
CONFIG_LAYERS = ("buildings", "roads", "railways", "green", "water", "coastline")


@dataclass(frozen=True)
class CityInputs:
    """What :func:`city_inputs` wrote.

    Attributes
    ----------
    config : pathlib.Path
        The ``city.toml``, ready for ``urbanrisk check`` and ``urbanrisk profile``.
    bbox : tuple
        W, S, E, N (WGS 84) of the city.
    crs : str
        The metric CRS of every layer.
    layers : dict of str to pathlib.Path
        Every layer file written.
    provenance : list of Provenance
        One record per layer written.
    skipped : dict of str to str
        Layers that could not be fetched, and why.
    empty : tuple of str
        OSM layers with no feature in the box (no coastline inland): not written.
    """

    config: Path
    bbox: BBox
    crs: str
    layers: dict[str, Path]
    provenance: list[Provenance] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    empty: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return (f"CityInputs({str(self.config)!r}, {len(self.layers)} layers, "
                f"{len(self.skipped)} skipped, {self.crs})")

    def to_frame(self) -> pd.DataFrame:
        """One row per layer: file (or why it was skipped), source, version, licence."""
        rows = [{"layer": p.layer, "status": "written", "file": str(self.layers[p.layer]),
                 "source": p.source, "version": p.version, "accessed": p.accessed,
                 "licence": p.licence} for p in self.provenance if p.layer in self.layers]
        rows += [{"layer": k, "status": "skipped", "file": "", "source": why, "version": "",
                  "accessed": "", "licence": ""} for k, why in self.skipped.items()]
        rows += [{"layer": k, "status": "empty", "file": "", "source": "no feature in the box",
                  "version": "", "accessed": "", "licence": ""} for k in self.empty]
        return pd.DataFrame(rows, columns=["layer", "status", "file", "source", "version",
                                           "accessed", "licence"])

    def _repr_html_(self) -> str:
        return self.to_frame().to_html(index=False)


def place_bbox(place: str, *, cache: Cache) -> BBox:
    """Return the bounding box of a place name, geocoded with Nominatim (osmnx), cached.

    Offline, only a place geocoded before (and cached) is found.
    """
    folder = cache.root / "places"
    safe = "".join(c if c.isalnum() else "_" for c in place.lower()).strip("_") or "place"
    path = folder / f"{safe}.json"
    if path.is_file():
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("place") == place:
            return check_bbox(data["bbox"])
    if cache.offline:
        raise SourceUnavailableError(
            f"place {place!r} was never geocoded into the cache {cache.root} and offline mode "
            "reads only the cache; give --bbox W,S,E,N or run once without --offline")
    import osmnx  # optional: the `sources` extra; needs the network

    gdf = osmnx.geocode_to_gdf(place)
    bbox = check_bbox(tuple(float(v) for v in gdf.to_crs(4326).total_bounds))
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"place": place, "bbox": list(bbox),
                                "geocoded": date.today().isoformat(),
                                "source": "Nominatim (© OpenStreetMap contributors, ODbL)"}),
                    encoding="utf-8")
    return bbox


def _osm(bbox: BBox, crs: pyproj.CRS, *, pbf: Path | None, cache: Cache,
         online: bool) -> tuple[dict[str, gpd.GeoDataFrame], list[Provenance]]:
    """OSM layers through the cache: from the extract, else Overpass (when allowed)."""
    if pbf is not None:
        version, source = pbf_version(pbf), f"OpenStreetMap extract {Path(pbf).name}"
        key = CacheKey("osm", version, bbox, crs.to_string())
        entry = cache.get(key)  # a local extract: no network, so offline may rebuild it
    else:
        version, source = "overpass", "OpenStreetMap via the Overpass API (osmnx)"
        key = CacheKey("osm", version, bbox, crs.to_string())
        entry = cache.require(key)
        if entry is None and not online:
            raise SourceUnavailableError(
                "OSM layers need an extract (pbf=, --pbf FILE) or the Overpass API")
    if entry is None:
        layers = osm_layers(pbf, bbox=bbox, crs=crs) if pbf is not None \
            else osm_layers_online(bbox, crs=crs)
        prov = osm_provenance("osm", source=source, version=version)

        def write(folder: Path) -> None:
            for name, gdf in layers.items():
                if len(gdf):
                    write_vector(gdf, folder / f"{name}.gpkg", layer=name)

        entry = cache.put(key, write, prov)
    out = {p.stem: read_vector(p, layer=p.stem) for p in entry.files if p.suffix == ".gpkg"}
    base = entry.provenance
    provs = [Provenance(**{**base.to_dict(), "layer": name, "items": (base.version,)})
             for name in out]
    return out, provs


def city_inputs(
    *,
    out: str | os.PathLike,
    bbox: BBox | str | None = None,
    place: str | None = None,
    name: str | None = None,
    pbf: str | os.PathLike | None = None,
    catalog: str | None = None,
    catalogs: Mapping[str, str] | None = None,
    products: Sequence[str] | None = None,
    osm: bool = True,
    osm_online: bool = True,
    cache: Cache | str | os.PathLike | None = None,
    offline: bool = False,
    overwrite: bool = False,
    datetime_ranges: Mapping[str, str] | None = None,
    modifier: Callable | None = None,
) -> CityInputs:
    """Fetch a city's layers from open data and write them with a ``city.toml``.

    Parameters
    ----------
    out : str or path-like
        Folder for the layers, ``provenance.json`` and ``city.toml``.
    bbox : tuple or str, optional
        W, S, E, N in WGS 84 degrees. Give ``bbox`` or ``place``.
    place : str, optional
        A place name, geocoded with Nominatim (:func:`place_bbox`).
    name : str, optional
        City name in the config; default the place, else ``"city"``.
    pbf : str or path-like, optional
        Local ``.osm.pbf`` extract; without it OSM comes from Overpass (``osm_online``).
    catalog : str, optional
        STAC API URL or static ``catalog.json`` for every product (default each product's
        own, :data:`~urbanrisk.sources.stac.PRODUCTS`).
    catalogs : mapping, optional
        Catalogue per product key, overriding ``catalog``.
    products : sequence of str, optional
        Raster products to fetch (keys of ``PRODUCTS``); default all.
    osm : bool, default True
        Fetch the OpenStreetMap layers.
    osm_online : bool, default True
        Without ``pbf``, use the Overpass API.
    cache : Cache or path, optional
        The cache (default :func:`~urbanrisk.sources.cache.default_cache_dir`).
    offline : bool, default False
        Read only the cache (and ``pbf``): nothing is downloaded.
    overwrite : bool, default False
        Replace the files of an earlier fetch in ``out``.
    datetime_ranges : mapping, optional
        STAC datetime interval per product key (e.g. the summer for ``landsat-lst``).
    modifier : callable, optional
        pystac-client modifier (e.g. ``planetary_computer.sign_inplace``).

    Returns
    -------
    CityInputs
        The config path, the layers written, their provenance and what was skipped
        (a product no catalogue serves, offline without a cache entry, no item found);
        the config names only the layers written.

    Raises
    ------
    InputValueError
        Neither or both of ``bbox`` and ``place``; unknown products.
    OutputExistsError
        ``out`` holds a ``city.toml`` and ``overwrite`` is false.
    """
    if (bbox is None) == (place is None):
        raise InputValueError("give either bbox= (W,S,E,N) or place=, not both or neither")
    if isinstance(cache, Cache):
        store = Cache(cache.root, offline=offline or cache.offline)
    else:
        store = Cache(cache, offline=offline)
    box = check_bbox(bbox) if bbox is not None else place_bbox(str(place), cache=store)
    keys = list(PRODUCTS) if products is None else list(products)
    bad = [k for k in keys if k not in PRODUCTS]
    if bad:
        raise InputValueError(f"unknown products {bad}; known: {sorted(PRODUCTS)}")
    folder = Path(out)
    config = folder / "city.toml"
    if config.exists() and not overwrite:
        raise OutputExistsError(f"{config} already exists; pass overwrite=True (--overwrite) "
                                "to fetch again into this folder, or choose another folder")
    folder.mkdir(parents=True, exist_ok=True)
    crs = local_crs(box)
    written: dict[str, Path] = {}
    provs: list[Provenance] = []
    skipped: dict[str, str] = {}
    empty: list[str] = []

    if osm:
        try:
            vectors, osm_provs = _osm(box, crs, pbf=Path(pbf) if pbf else None, cache=store,
                                      online=osm_online and not store.offline)
        except (SourceUnavailableError, ImportError) as exc:
            skipped.update(dict.fromkeys(OSM_LAYERS, str(exc)))
        else:
            for layer in OSM_LAYERS:
                if layer not in vectors:
                    empty.append(layer)
                    continue
                target = folder / f"{layer}.gpkg"
                if overwrite and target.exists():
                    target.unlink()  # a GeoPackage keeps old layers: start afresh
                written[layer] = write_vector(vectors[layer], target, layer=layer)
            provs += [p for p in osm_provs if p.layer in written]

    ranges = dict(datetime_ranges or {})
    for key in keys:
        product = PRODUCTS[key]
        cat = (catalogs or {}).get(key) or catalog
        try:
            src, prov = fetch_raster(product, box, catalog=cat, cache=store, crs=crs,
                                     datetime_range=ranges.get(key), modifier=modifier)
        except SourceUnavailableError as exc:
            skipped[product.layer] = str(exc)
            logger.warning("%s not fetched: %s", product.layer, exc)
            continue
        target = folder / f"{product.layer}.tif"
        with atomic_path(target, overwrite=overwrite) as tmp:
            shutil.copyfile(src, tmp)
        written[product.layer] = target
        provs.append(prov)

    write_provenance(provs, folder / "provenance.json", overwrite=True)
    city = name or place or "city"
    text = _city_toml(city, box, crs, written, provs, skipped, empty)
    with atomic_path(config, overwrite=overwrite) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return CityInputs(config, box, crs.to_string(), written, provs, skipped, tuple(empty))


def _q(s: str) -> str:
    """Quote a TOML basic string (JSON escapes are valid TOML)."""
    return json.dumps(s, ensure_ascii=False)


def _city_toml(city: str, bbox: BBox, crs: pyproj.CRS, written: Mapping[str, Path],
               provs: Sequence[Provenance], skipped: Mapping[str, str],
               empty: Sequence[str] = ()) -> str:
    from urbanrisk import __version__

    lines = [
        f"# Written by `urbanrisk fetch` (urbanrisk {__version__}) on "
        f"{date.today().isoformat()}.",
        f"# bbox (W, S, E, N; WGS 84): {', '.join(f'{v:.6f}' for v in bbox)}; every layer "
        f"in {crs.to_string()} ({crs.name}).",
        "# Data sources (details: provenance.json beside this file):",
    ]
    lines += [f"#   {p.describe()}" for p in provs]
    if skipped:
        lines.append("# Not fetched:")
        lines += [f"#   {k}: {why}" for k, why in skipped.items()]
    if empty:
        lines.append(f"# No feature in the box: {', '.join(empty)}.")
    extra = [k for k in written if k not in CONFIG_LAYERS and written[k].suffix == ".gpkg"]
    if extra:
        lines.append(f"# Also written (not profile inputs): {', '.join(extra)}.")
    lines += ["", "[city]", f"name = {_q(city)}", f"credit = {_q(credits_line(provs))}", "",
              "[layers]"]
    for layer, path in written.items():
        if path.suffix == ".gpkg" and layer not in CONFIG_LAYERS:
            continue
        rel = path.name
        lines.append(f"{layer} = {_q(rel)}" if path.suffix != ".gpkg"
                     else f"{layer} = {{ path = {_q(rel)}, layer = {_q(layer)} }}")
    coast = "dem" in written and "coastline" in written
    if "dem" not in written:  # nothing to state a datum of
        lines += ["", "[coast]", "# no DEM was fetched: the coast analysis needs one",
                  "run = false", ""]
        return "\n".join(lines)
    lines += [
        "",
        "[coast]",
        "# Copernicus DEM heights are above the EGM2008 geoid; water_level_m = 0 takes the "
        "geoid",
        "# as mean sea level, which differs from local MSL by up to about 1 m: set it.",
        f"run = {'true' if coast else 'false'}",
        'dem_datum = "EGM2008"',
        "water_level_m = 0.0",
        "",
    ]
    return "\n".join(lines)
