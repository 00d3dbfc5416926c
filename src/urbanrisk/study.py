"""Many cities at once: the same risk profile for every city of a study, on dask.distributed.

A *study config* (TOML) lists the cities and the parameters they share::

    [study]
    name = "baltic-capitals"
    template = "city_template.toml"   # optional: a city config every city starts from

    [shared]                          # merged into every city's config (optional)
    [shared.coast]
    years = [2050, 2100]

    [[cities]]
    name = "helsinki"
    config = "helsinki.toml"          # a full city config ...

    [[cities]]
    name = "tallinn"                  # ... or the template with per-city overrides
    [cities.overrides.layers]
    dem = "tallinn/dem.tif"

    [[cities]]
    name = "riga"                     # ... or its inputs fetched from open data
    bbox = [24.08, 56.93, 24.15, 56.97]   # W, S, E, N (WGS 84), or place = "Riga, Latvia"
    pbf = "latvia-latest.osm.pbf"     # optional: OSM from an extract (default: Overpass)

Each city's config is ``template ← shared ← city config ← overrides`` (later wins, tables
merge key by key). A city given by ``bbox`` or ``place`` (optional ``pbf``, ``catalog``,
``offline``, ``products``; ``catalog``, ``offline`` and the shared ``cache`` folder may
also be set in ``[study]``) has its inputs fetched on its worker by
:func:`urbanrisk.sources.city_inputs` into ``OUT/inputs/<city>/``, through one disk cache
every worker shares; the ``city.toml`` written there is its city config. A re-run fetches
nothing when that ``city.toml`` exists for the same request.

:func:`run_study` runs every city as one task on a :class:`dask.distributed.Client` — a
:class:`~dask.distributed.LocalCluster` sized to the machine by default, or the cluster the
caller names — and writes:

- ``OUT/<city>/``: the city's full export (see :meth:`urbanrisk.profile.CityProfile.export`);
- ``OUT/inputs/<city>/``: the fetched inputs of a city given by bbox or place;
- ``OUT/indicators.csv`` and ``.json``: every city's indicator table, concatenated;
- ``OUT/failures.csv``: one row per failed city (city, stage, error, message);
- ``OUT/comparison.png`` / ``.pdf``: the key indicators, cities side by side;
- ``OUT/study_report.html``: one self-contained page with the table, the figure and the failures.

One failing city does not sink the study: its error is recorded and the others finish. A city
whose inputs ``urbanrisk check`` would refuse fails at its ``config`` stage with the same
message. A re-run skips the cities whose outputs are complete and whose config, input files
(SHA-256 of every byte) and urbanrisk version are unchanged (resume); ``force=True`` redoes
them. The study's folder is locked while a study writes to it (a second study on it refuses
at once), and temporary folders killed runs left in it are removed.

Scripts that start a :class:`~dask.distributed.LocalCluster` must guard their entry point with
``if __name__ == "__main__":`` — worker processes import the main module again.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import logging
import os
import socket
import time
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from urbanrisk import __version__, datasets
from urbanrisk._progress import tqdm
from urbanrisk.errors import (
    ConfigError,
    InputValueError,
    SchedulerError,
    SourceUnavailableError,
    UrbanRiskError,
)
from urbanrisk.layers import atomic_path, output_error, write_table
from urbanrisk.maps import comparison_figure
from urbanrisk.profile import CityProfile, config_from_dict
from urbanrisk.profile.demo import DEMO_SETTINGS
from urbanrisk.profile.export import file_sha256, output_lock, remove_stale_temporaries
from urbanrisk.profile.indicators import (
    REGISTRY,
    empty_indicator_table,
    indicator_table,
    registry_table,
)
from urbanrisk.report import study_report_html
from urbanrisk.sources import PRODUCTS, check_bbox, city_inputs, default_cache_dir

__all__ = [
    "KEY_INDICATORS",
    "StudyConfig",
    "CityFetch",
    "CityOutcome",
    "StudyResult",
    "load_study_config",
    "run_study",
    "local_cluster",
    "LOCAL_CLUSTER_CONFIG",
    "WORKER_ENV",
    "gdal_cache_mb",
    "sample_study",
    "merge_configs",
    "resume_key",
]

logger = logging.getLogger(__name__)

#: Environment of the default local workers: one thread per worker process for numba, BLAS
#: and OpenMP, so parallelism comes from the processes and cores are not oversubscribed.
WORKER_ENV: dict[str, str] = {
    "NUMBA_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}

#: Marker written into ``OUT/<city>/`` once the city's export is complete.
COMPLETE_MARKER = ".urbanrisk-complete.json"

_STUDY_KEYS = {"study", "shared", "cities"}
_STUDY_TABLE_KEYS = {"name", "template", "cache", "catalog", "offline"}
_FETCH_KEYS = {"bbox", "place", "pbf", "catalog", "offline", "products"}
_CITY_KEYS = {"name", "config", "overrides"} | _FETCH_KEYS

#: Folder of ``OUT`` holding the fetched inputs of the cities given by bbox or place.
INPUTS_DIR = "inputs"
#: File beside a fetched ``city.toml`` recording what was asked for (bbox, place, ...).
FETCH_REQUEST = "fetch-request.json"


@dataclasses.dataclass(frozen=True)
class CityFetch:
    """How a study fetches a city's inputs from open data (:func:`~urbanrisk.sources.city_inputs`).

    Attributes
    ----------
    bbox : tuple of 4 floats or None
        W, S, E, N in WGS 84 degrees (or ``place``).
    place : str or None
        A place name, geocoded with Nominatim (cached).
    pbf : str or None
        Local ``.osm.pbf`` extract (absolute path); default the Overpass API.
    catalog : str or None
        STAC API URL or static ``catalog.json`` (absolute path) for every raster product.
    offline : bool
        Read only the shared cache (and ``pbf``).
    products : tuple of str or None
        Raster products to fetch (default all).
    overrides : dict
        The city's ``overrides``, applied over the fetched ``city.toml``.
    """

    bbox: tuple[float, float, float, float] | None = None
    place: str | None = None
    pbf: str | None = None
    catalog: str | None = None
    offline: bool = False
    products: tuple[str, ...] | None = None
    overrides: dict[str, Any] = dataclasses.field(default_factory=dict)

    def request(self) -> dict[str, Any]:
        """Return what is fetched as plain data (``fetch-request.json``): all but overrides."""
        return {"bbox": list(self.bbox) if self.bbox else None, "place": self.place,
                "pbf": self.pbf, "catalog": self.catalog, "offline": self.offline,
                "products": list(self.products) if self.products is not None else None}


@dataclasses.dataclass(frozen=True)
class StudyConfig:
    """A validated study: a name and one resolved config (a plain dict) per city.

    Attributes
    ----------
    name : str
        The study's name.
    cities : dict of str to dict
        City name → its merged city config, as :func:`urbanrisk.profile.load_config` reads it.
    base_dirs : dict of str to pathlib.Path
        City name → the folder its relative paths are resolved against.
    source : pathlib.Path or None
        The study file, when read from one.
    fetch : dict of str to CityFetch
        The cities given by bbox or place: how their inputs are fetched. Their entry in
        ``cities`` holds ``template ← shared ← overrides`` (layer paths made absolute); the
        fetched ``city.toml`` goes between shared and overrides on the worker.
    cache : pathlib.Path or None
        The cache folder every worker shares for fetched layers (``[study] cache``);
        ``None``: :func:`urbanrisk.sources.default_cache_dir` of the machine running
        the study. On a cluster of several machines, give a folder every worker sees.
    """

    name: str
    cities: dict[str, dict[str, Any]]
    base_dirs: dict[str, Path]
    source: Path | None = None
    fetch: dict[str, CityFetch] = dataclasses.field(default_factory=dict)
    cache: Path | None = None


@dataclasses.dataclass(frozen=True)
class CityOutcome:
    """What happened to one city of a study."""

    city: str
    status: str  # "done", "skipped" (already complete) or "failed"
    seconds: float = 0.0
    stage: str | None = None
    error: str | None = None
    message: str | None = None


@dataclasses.dataclass
class StudyResult:
    """The outcome of :func:`run_study`.

    Attributes
    ----------
    indicators : pandas.DataFrame
        Every complete city's indicator table, concatenated (same schema as one city's).
    outcomes : list of CityOutcome
        One per city, in the order of the config.
    out : pathlib.Path
        The study's output folder.
    """

    indicators: pd.DataFrame
    outcomes: list[CityOutcome]
    out: Path

    @property
    def failures(self) -> pd.DataFrame:
        """One row per failed city: city, stage, error, message."""
        rows = [
            {"city": o.city, "stage": o.stage, "error": o.error, "message": o.message}
            for o in self.outcomes
            if o.status == "failed"
        ]
        return pd.DataFrame(rows, columns=["city", "stage", "error", "message"])

    def summary(self) -> pd.DataFrame:
        """One row per city: status, seconds, stage and error of a failure."""
        return pd.DataFrame([dataclasses.asdict(o) for o in self.outcomes])


# --------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------
def merge_configs(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Merge two config tables key by key; values of ``override`` win.

    Examples
    --------
    >>> merge_configs({"coast": {"years": [2050], "quantiles": [0.5]}},
    ...               {"coast": {"years": [2100]}})
    {'coast': {'years': [2100], 'quantiles': [0.5]}}
    """
    out = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge_configs(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _read_toml(path: Path, problems: list[str]) -> dict[str, Any] | None:
    if not path.is_file():
        problems.append(f"file not found: {path}")
        return None
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        problems.append(f"{path} is not valid TOML: {exc}")
        return None


def load_study_config(path: str | os.PathLike | Mapping[str, Any]) -> StudyConfig:
    """Read and check a study config; every problem is reported at once.

    Parameters
    ----------
    path : str, path-like or mapping
        The study TOML file, or the same content as a dict (relative paths are then
        resolved against the current directory).

    Raises
    ------
    ConfigError
        Listing every problem: unknown keys, missing files, duplicate or missing city names,
        cities with neither a config nor a template, a bbox or place that cannot be used.

    Examples
    --------
    >>> cfg = load_study_config({
    ...     "study": {"name": "demo"},
    ...     "cities": [{"name": "a", "overrides": {"city": {"name": "a"}}},
    ...                {"name": "b", "overrides": {"city": {"name": "b"}}}],
    ... })
    Traceback (most recent call last):
    ...
    urbanrisk.errors.ConfigError: 2 problem(s):
      - city 'a' has neither a config file nor a study template or [shared] (nor a bbox or place)
      - city 'b' has neither a config file nor a study template or [shared] (nor a bbox or place)
    """
    problems: list[str] = []
    if isinstance(path, Mapping):
        raw: dict[str, Any] | None = dict(path)
        source, base = None, Path.cwd()
    else:
        source = Path(path).resolve()
        base = source.parent
        raw = _read_toml(source, problems)
        if raw is None:
            raise ConfigError(problems, source=str(source))
    assert raw is not None
    for key in sorted(set(raw) - _STUDY_KEYS):
        problems.append(f"unknown top-level key {key!r} (allowed: {sorted(_STUDY_KEYS)})")
    study = raw.get("study", {})
    if not isinstance(study, Mapping):
        problems.append("[study] must be a table")
        study = {}
    for key in sorted(set(study) - _STUDY_TABLE_KEYS):
        problems.append(f"unknown key study.{key} (allowed: {sorted(_STUDY_TABLE_KEYS)})")
    name = study.get("name", source.stem if source else "study")
    if not isinstance(name, str) or not name:
        problems.append("study.name must be a non-empty string")
    template: dict[str, Any] = {}
    template_dir = base
    if "template" in study:
        tpath = (base / str(study["template"])).resolve()
        loaded = _read_toml(tpath, problems)
        if loaded is not None:
            template, template_dir = loaded, tpath.parent
    shared = raw.get("shared", {})
    if not isinstance(shared, Mapping):
        problems.append("[shared] must be a table")
        shared = {}
    cache = None
    if "cache" in study:
        if isinstance(study["cache"], str) and study["cache"]:
            cache = (base / Path(study["cache"]).expanduser()).resolve()
        else:
            problems.append("study.cache must be a folder path (a string)")
    fetch: dict[str, CityFetch] = {}
    cities_raw = raw.get("cities", [])
    if not isinstance(cities_raw, list) or not cities_raw:
        problems.append("[[cities]] must list at least one city")
        cities_raw = []
    cities: dict[str, dict[str, Any]] = {}
    base_dirs: dict[str, Path] = {}
    seen: dict[str, int] = {}
    for i, entry in enumerate(cities_raw):
        where = f"cities[{i}]"
        if not isinstance(entry, Mapping):
            problems.append(f"{where} must be a table")
            continue
        for key in sorted(set(entry) - _CITY_KEYS):
            problems.append(f"unknown key {where}.{key} (allowed: {sorted(_CITY_KEYS)})")
        cname = entry.get("name")
        if not isinstance(cname, str) or not cname.strip():
            problems.append(f"{where}.name must be a non-empty string")
            continue
        if cname in seen:
            problems.append(f"city {cname!r} is listed twice, as cities[{seen[cname]}] and "
                            f"{where}: each city needs its own name (it names the city's "
                            "output folder)")
            continue
        seen[cname] = i
        if Path(cname).name != cname or cname in (".", ".."):
            problems.append(f"city name {cname!r} must be usable as a folder name")
            continue
        city_cfg, city_dir = merge_configs(template, shared), template_dir
        if _FETCH_KEYS & set(entry):
            n_problems = len(problems)
            spec = _city_fetch(entry, study, base, where, problems)
            if len(problems) > n_problems or spec is None:
                continue
            # the worker reads these against the fetched folder: anchor them here
            city_cfg, city_dir = merge_configs(_absolute_layer_paths(template, template_dir),
                                               _absolute_layer_paths(shared, base)), base
            fetch[cname] = spec
        elif "config" in entry:
            cpath = (base / str(entry["config"])).resolve()
            loaded = _read_toml(cpath, problems)
            if loaded is None:
                continue
            city_cfg, city_dir = merge_configs(city_cfg, loaded), cpath.parent
        elif not template and not shared:
            problems.append(
                f"city {cname!r} has neither a config file nor a study template or [shared] "
                "(nor a bbox or place)"
            )
            continue
        overrides = entry.get("overrides", {})
        if not isinstance(overrides, Mapping):
            problems.append(f"{where}.overrides must be a table")
            continue
        if cname in fetch:
            overrides = _absolute_layer_paths(overrides, base)
            fetch[cname] = dataclasses.replace(fetch[cname], overrides=overrides)
        merged = merge_configs(city_cfg, overrides)
        if not isinstance(merged.get("city"), Mapping) or "name" not in merged["city"]:
            merged = merge_configs(merged, {"city": {"name": cname}})
        cities[cname] = merged
        base_dirs[cname] = city_dir
    _check_display_names(cities, seen, problems)
    if fetch and INPUTS_DIR in cities:
        problems.append(f"city name {INPUTS_DIR!r} is taken by the study: the inputs of the "
                        f"cities given by bbox or place are fetched into OUT/{INPUTS_DIR}/. "
                        "Give that city another name.")
    if problems:
        raise ConfigError(problems, source=str(source) if source else None)
    return StudyConfig(name=name, cities=cities, base_dirs=base_dirs, source=source,
                       fetch=fetch, cache=cache)


def _city_fetch(entry: Mapping[str, Any], study: Mapping[str, Any], base: Path, where: str,
                problems: list[str]) -> CityFetch | None:
    """Check the fetch keys of a city (``bbox`` or ``place`` ...); ``[study]`` gives defaults."""
    if "bbox" in entry and "place" in entry:
        problems.append(f"{where}: give bbox or place, not both")
    if "config" in entry:
        problems.append(f"{where}: give config (a city config file) or bbox/place (fetch its "
                        "inputs from open data), not both")
    if "bbox" not in entry and "place" not in entry:
        keys = sorted(_FETCH_KEYS & set(entry))
        problems.append(f"{where}: {', '.join(keys)} only apply to a city given by bbox = "
                        "[W, S, E, N] or place = \"...\"; add one")
        return None
    bbox = None
    if "bbox" in entry:
        value = entry["bbox"]
        try:
            if not isinstance(value, str | list | tuple):
                raise InputValueError(f"must be [W, S, E, N] in degrees, got {value!r}")
            bbox = check_bbox(value)
        except InputValueError as exc:
            problems.append(f"{where}.bbox: {exc}")
    place = entry.get("place")
    if place is not None and (not isinstance(place, str) or not place.strip()):
        problems.append(f"{where}.place must be a place name (a non-empty string)")
    pbf = entry.get("pbf")
    if pbf is not None:
        if isinstance(pbf, str) and pbf:
            pbf = str((base / Path(pbf).expanduser()).resolve())
            if not Path(pbf).is_file():
                problems.append(f"{where}.pbf: file not found: {pbf}")
        else:
            problems.append(f"{where}.pbf must be the path of an .osm.pbf file")
    catalog = entry.get("catalog", study.get("catalog"))
    if catalog is not None:
        if not isinstance(catalog, str) or not catalog:
            problems.append(f"{where}.catalog must be a STAC API URL or a catalog.json path")
        elif "://" not in catalog:  # a local static catalogue, relative to the study file
            catalog = str((base / Path(catalog).expanduser()).resolve())
            if not Path(catalog).is_file():
                problems.append(f"{where}.catalog: file not found: {catalog}")
    offline = entry.get("offline", study.get("offline", False))
    if not isinstance(offline, bool):
        problems.append(f"{where}.offline must be true or false, got {offline!r}")
    products = entry.get("products")
    if products is not None:
        if not isinstance(products, list) or not all(isinstance(k, str) for k in products):
            problems.append(f"{where}.products must be a list of product names")
        else:
            unknown = [k for k in products if k not in PRODUCTS]
            if unknown:
                problems.append(f"{where}.products: unknown {unknown}; known: "
                                f"{sorted(PRODUCTS)}")
            products = tuple(products)
    return CityFetch(bbox=bbox, place=place, pbf=pbf, catalog=catalog, offline=offline is True,
                     products=products)


def _absolute_layer_paths(config: Mapping[str, Any], base: Path) -> dict[str, Any]:
    """Copy of ``config`` with its relative ``[layers]`` paths made absolute against ``base``."""
    def anchor(value: Any) -> Any:
        if isinstance(value, str):
            p = Path(value).expanduser()
            return value if p.is_absolute() else str((base / p).resolve())
        if isinstance(value, Mapping):  # {path = ..., layer = ...} or {10 = ..., 100 = ...}
            return {k: anchor(v) if (k == "path" or str(k).isdigit()) else v
                    for k, v in value.items()}
        return value

    out = copy.deepcopy(dict(config))
    layers = out.get("layers")
    if isinstance(layers, Mapping):
        out["layers"] = {k: anchor(v) for k, v in layers.items()}
    return out


def _check_display_names(cities: Mapping[str, Mapping[str, Any]], index: Mapping[str, int],
                         problems: list[str]) -> None:
    """Refuse two cities sharing a ``[city] name``: the study's tables and figure key on it."""
    first: dict[str, str] = {}
    for cid, cfg in cities.items():
        name = cfg.get("city", {}).get("name") if isinstance(cfg.get("city"), Mapping) else None
        if not isinstance(name, str):
            continue  # the city's own config check reports it
        if name in first:
            other = first[name]
            problems.append(
                f"cities[{index[other]}] ({other!r}) and cities[{index[cid]}] ({cid!r}) both "
                f"have [city] name = {name!r}; the study's indicator table and figure tell "
                "cities apart by it. Give each its own name, e.g. "
                f"[cities.overrides.city] name = \"{cid}\"."
            )
        else:
            first[name] = cid


def sample_study(
    folder: str | os.PathLike,
    *,
    n_cities: int = 4,
    dem_shift_m: float = -0.2,
    broken: bool = False,
) -> dict[str, Any]:
    """Write a small study made from the sample city, to try :func:`run_study` without data.

    City ``i`` is the sample city (:func:`urbanrisk.datasets.load` ``"helsinki"``) with its
    DEM lowered by ``i * -dem_shift_m`` metres (so later cities are lower-lying and reached
    earlier by the sea); the shifted DEMs are written to ``folder`` by
    :func:`urbanrisk.datasets.shifted_dems`. Every city shares the demo's parameters
    (:data:`urbanrisk.profile.demo.DEMO_SETTINGS`). With ``broken=True`` one more city
    points at a file that is not a raster, to see how a failure is recorded.

    Parameters
    ----------
    folder : path-like
        Where the shifted DEMs are written.
    n_cities : int, default 4
        Number of working cities.
    dem_shift_m : float, default -0.2
        Elevation change from one city to the next.
    broken : bool, default False
        Add a city that fails.

    Returns
    -------
    dict
        The study config as a mapping, ready for :func:`run_study`.
    """
    layers = ("buildings", "roads", "green", "districts", "sea", "landcover", "population",
              "flood_depth", "lst")
    base = {k: dict(v) for k, v in DEMO_SETTINGS.items()}
    base["layers"] = {layer: str(datasets.get_path("helsinki", layer)) for layer in layers}
    dems = datasets.shifted_dems(folder, name="helsinki", n_cities=n_cities,
                                 dem_shift_m=dem_shift_m, broken=broken)
    cities = [
        {"name": key, "overrides": {
            "city": {"name": "Broken" if key == "broken" else f"City {i}"},
            "layers": {"dem": str(path)}}}
        for i, (key, path) in enumerate(dems.items())
    ]
    return {"study": {"name": "sample"}, "shared": base, "cities": cities}


# --------------------------------------------------------------------------------------
# One city (runs on a worker)
# --------------------------------------------------------------------------------------
def _config_digest(config: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()


def resume_key(config: Mapping[str, Any], input_files: Mapping[str, list[Path]]) -> dict[str, Any]:
    """Describe what a city's output depends on: its config, every input file, our version.

    A re-run of a study skips a city only when this is unchanged; its ``key`` is the SHA-256
    of the rest. Input files are hashed whole (SHA-256 of every byte), so a file changed in
    place (same name, size and even time stamp) is noticed.

    Parameters
    ----------
    config : mapping
        The city's merged config.
    input_files : mapping of str to list of pathlib.Path
        Layer → its files (``ProfileConfig.input_files()``).

    Returns
    -------
    dict
        ``config_sha256``, ``inputs`` (path → SHA-256), ``urbanrisk`` (version) and ``key``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> dem = pathlib.Path(tempfile.mkdtemp()) / "dem.tif"
    >>> _ = dem.write_bytes(b"heights")
    >>> before = resume_key({"city": {"name": "A"}}, {"dem": [dem]})["key"]
    >>> _ = dem.write_bytes(b"lowered")  # same size, changed in place
    >>> resume_key({"city": {"name": "A"}}, {"dem": [dem]})["key"] == before
    False
    """
    inputs = {str(path): file_sha256(path)
              for files in input_files.values() for path in files}
    record = {"config_sha256": _config_digest(config), "inputs": dict(sorted(inputs.items())),
              "urbanrisk": __version__}
    record["key"] = _config_digest(record)
    return record


def _is_complete(city_dir: Path, key: Mapping[str, Any], city: str) -> bool:
    marker = city_dir / COMPLETE_MARKER
    if not marker.is_file():
        return False
    try:
        done = json.loads(marker.read_text())
    except (OSError, ValueError):
        return False
    if done.get("key") == key["key"]:
        return True
    changed = [p for p, h in key["inputs"].items() if done.get("inputs", {}).get(p) != h]
    why = (f"input file(s) changed: {', '.join(Path(p).name for p in changed)}" if changed
           else "its config changed" if done.get("config_sha256") != key["config_sha256"]
           else "urbanrisk changed" if done.get("urbanrisk") != key["urbanrisk"]
           else "its outputs predate input tracking")
    logger.info("city %s runs again: %s since its last complete run", city, why)
    return False


def _one_line(exc: BaseException) -> str:
    """Word one city's failure: ours as it is, anything else on one line."""
    if isinstance(exc, UrbanRiskError):
        return str(exc)
    if isinstance(exc, OSError | MemoryError):  # the environment, not a bug
        if isinstance(exc, MemoryError):
            return "out of memory: run fewer workers or give each more (--memory-limit)"
        return str(output_error(exc, exc.filename or "?", action="use"))
    return (f"{type(exc).__name__}: {exc} (unexpected; run this city alone with "
            "`urbanrisk --debug profile` for the traceback)")


def _fetch_inputs(config: dict[str, Any], fetch: CityFetch, inputs_dir: str,
                  cache: str) -> tuple[dict[str, Any], str]:
    """Fetch a city's inputs (unless fetched before for the same request); return its config.

    The fetched ``city.toml`` goes between ``template ← shared`` and the overrides, as a
    city's config file does. The request is recorded beside it, so a re-run with the same
    request fetches nothing (and the files, unchanged, keep the city's resume key); a
    changed request (another box, catalogue, product list, or online after offline)
    fetches again.
    """
    folder = Path(inputs_dir)
    toml_path, request_path = folder / "city.toml", folder / FETCH_REQUEST
    request = fetch.request()
    try:
        done = json.loads(request_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        done = None
    if not (toml_path.is_file() and done == request):
        result = city_inputs(
            out=folder, bbox=fetch.bbox, place=fetch.place, name=config["city"]["name"],
            pbf=fetch.pbf, catalog=fetch.catalog, products=fetch.products, cache=cache,
            offline=fetch.offline, overwrite=True)
        if not result.layers:
            raise SourceUnavailableError(
                "no layer could be fetched: " + "; ".join(
                    f"{k}: {why}" for k, why in result.skipped.items()))
        if result.skipped:
            logger.warning("%s: not fetched: %s", config["city"]["name"], "; ".join(
                f"{k} ({why})" for k, why in result.skipped.items()))
        with atomic_path(request_path, overwrite=True) as tmp:
            tmp.write_text(json.dumps(request), encoding="utf-8")
    with toml_path.open("rb") as fh:
        fetched = tomllib.load(fh)
    return merge_configs(merge_configs(config, fetched), fetch.overrides), str(folder)


def _run_city(
    city: str, config: dict[str, Any], base_dir: str, out_dir: str, force: bool,
    fetch: CityFetch | None = None, inputs_dir: str | None = None, cache: str | None = None,
) -> CityOutcome:
    """Run and export one city's profile; never raises (errors become a failed outcome).

    A city whose profile ran but one of whose analyses failed is exported (what worked is
    kept) but recorded as failed at that analysis, and not marked complete. A city given by
    bbox or place (``fetch``) first has its inputs fetched into ``inputs_dir`` through the
    shared ``cache`` (stage ``fetch``).
    """
    start = time.perf_counter()
    city_dir = Path(out_dir)
    stage = "config"
    try:
        if fetch is not None:
            stage = "fetch"
            config, base_dir = _fetch_inputs(config, fetch, str(inputs_dir),
                                             str(cache or default_cache_dir()))
            stage = "config"
        # the layers' headers are probed as `urbanrisk check` does: the same clear message
        profile_config = config_from_dict(config, base_dir=base_dir, probe_files=True)
        key = resume_key(config, profile_config.input_files())
        if not force and _is_complete(city_dir, key, city):
            return CityOutcome(city, "skipped")
        stage = "run"
        profile = CityProfile(profile_config).run(progress=False)
        stage = "export"
        profile.export(city_dir, overwrite=True)
    except Exception as exc:  # one city's failure must not sink the study
        logger.warning("city %s failed at %s: %s", city, stage, exc,
                       exc_info=not isinstance(exc, UrbanRiskError))
        return CityOutcome(
            city,
            "failed",
            seconds=time.perf_counter() - start,
            stage=stage,
            error=type(exc).__name__,
            message=_one_line(exc),
        )
    failed = [r for r in profile.results.values() if r.status == "failed"]
    if failed:
        return CityOutcome(
            city,
            "failed",
            seconds=time.perf_counter() - start,
            stage=", ".join(r.name for r in failed),
            error="AnalysisFailed",
            message="; ".join(f"{r.name}: {r.reason}" for r in failed),
        )
    with atomic_path(city_dir / COMPLETE_MARKER, overwrite=True) as tmp:
        tmp.write_text(json.dumps({"city": city, **key}))
    return CityOutcome(city, "done", seconds=time.perf_counter() - start)


# --------------------------------------------------------------------------------------
# The study
# --------------------------------------------------------------------------------------
#: Dask settings of :func:`local_cluster`'s workers. The statistical profiler samples every
#: running task's stack each 10 ms for a dashboard the local cluster does not start, and
#: dask's ``MALLOC_TRIM_THRESHOLD_=65536`` also freezes glibc's mmap threshold at 128 KiB, so
#: every larger array is a fresh ``mmap``: together they cost a city ~13 % on a worker.
LOCAL_CLUSTER_CONFIG: dict[str, Any] = {
    "distributed.worker.profile.enabled": False,
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
}


def local_cluster(workers: int | None = None, memory_limit: str | None = None):
    """Start the local cluster :func:`run_study` uses by default.

    One single-threaded worker process per core (or ``workers``), with :data:`WORKER_ENV`,
    :data:`LOCAL_CLUSTER_CONFIG` and a GDAL block cache of :func:`gdal_cache_mb`, and no
    dashboard. Start it yourself to run several
    studies on one cluster (pass ``Client(cluster)`` to :func:`run_study`), and close it
    when done. Scripts that start it need the ``if __name__ == "__main__":`` guard.

    Parameters
    ----------
    workers : int, optional
        Worker processes (default: the machine's cores).
    memory_limit : str, optional
        Memory limit per worker, e.g. ``"2GiB"`` (default: dask's ``"auto"``, the
        machine's memory shared out).

    Returns
    -------
    dask.distributed.LocalCluster

    Raises
    ------
    InputValueError
        ``workers`` is not a positive integer or ``memory_limit`` is not a memory size.
    """
    import dask
    from dask.distributed import LocalCluster
    from distributed.worker_memory import parse_memory_limit

    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or workers < 1):
        raise InputValueError(f"workers must be a positive whole number, got {workers!r}.")
    try:
        limit = parse_memory_limit(memory_limit or "auto", 1, logger=logger)
    except (ValueError, TypeError) as exc:
        raise InputValueError(
            f"memory_limit {memory_limit!r} is not a memory size; give e.g. \"2GiB\" or "
            "\"800MiB\"."
        ) from exc
    env = {**WORKER_ENV, "GDAL_CACHEMAX": str(gdal_cache_mb(limit))}
    with dask.config.set(LOCAL_CLUSTER_CONFIG):
        return LocalCluster(
            n_workers=workers or max(1, os.cpu_count() or 1),
            threads_per_worker=1,
            processes=True,
            memory_limit=memory_limit or "auto",
            dashboard_address=None,
            env=env,
        )


def gdal_cache_mb(memory_limit_bytes: int | None) -> int:
    """GDAL block cache of a worker: 1/8 of its memory limit, between 16 and 512 MB.

    GDAL's default (5 % of the machine's memory in every process) is memory dask neither
    counts nor manages; with many workers it can exceed each worker's own limit.

    Examples
    --------
    >>> gdal_cache_mb(800 * 2**20), gdal_cache_mb(64 * 2**30), gdal_cache_mb(None)
    (100, 512, 512)
    """
    if memory_limit_bytes is None:
        return 512
    return int(min(512, max(16, memory_limit_bytes / 8 / 2**20)))


def _client(client: Any, workers: int | None, memory_limit: str | None,
            timeout_s: float = 10.0) -> tuple[Any, bool]:
    """Return ``(client, owned)``: the caller's client, one on ``address``, or a new local one."""
    from dask.distributed import Client  # optional dependency (urbanrisk[dask])

    if client is None:
        return Client(local_cluster(workers, memory_limit)), True
    if isinstance(client, str):
        return _connect(client, timeout_s), True
    return client, False


def _connect(address: str, timeout_s: float) -> Any:
    """Connect to a running scheduler, or raise :class:`SchedulerError` within ``timeout_s``."""
    from dask.distributed import Client  # optional dependency (urbanrisk[dask])
    from distributed.comm.addressing import parse_address, parse_host_port

    advice = ("Check that the scheduler runs (`dask scheduler`), its address and port "
              "(tcp://host:8786) and any firewall, or leave --scheduler out to use a local "
              "cluster.")
    try:
        scheme, location = parse_address(address)
        if scheme in ("tcp", "tls"):  # a plain socket first: a clear reason, no dask noise
            host, port = parse_host_port(location)
            socket.create_connection((host, port), timeout=timeout_s).close()
        _handshake(address, timeout_s)
        return Client(address, timeout=timeout_s)
    except socket.gaierror as exc:
        reason = f"the host name is unknown ({exc.strerror})"
    except ConnectionRefusedError:
        reason = "nothing listens on that port"
    except TimeoutError:
        reason = f"no answer within {timeout_s:g} s"
    except (ValueError, TypeError) as exc:
        reason = f"the address is not valid ({exc})"
    except MemoryError:  # a service answering with something that is not dask's protocol
        reason = "something answered there, but not a dask scheduler"
    except OSError as exc:
        reason = str(exc) or type(exc).__name__
    raise SchedulerError(f"cannot reach the dask scheduler at {address!r}: {reason}. {advice}")


def _handshake(address: str, timeout_s: float) -> None:
    """Greet the scheduler as dask does, bounded by ``timeout_s``.

    ``Client(address, timeout=...)`` waits without end on a port that accepts connections
    but never answers (another service, a half-open tunnel); this gives up in time.
    """
    import asyncio
    import concurrent.futures

    from distributed.comm import connect  # optional dependency (urbanrisk[dask])

    async def greet() -> None:
        comm = await asyncio.wait_for(connect(address, timeout=timeout_s), timeout_s)
        await comm.close()

    pool = concurrent.futures.ThreadPoolExecutor(1)  # its own event loop, even in Jupyter
    try:
        pool.submit(asyncio.run, greet()).result(timeout=timeout_s + 1)
    except concurrent.futures.TimeoutError as exc:
        raise TimeoutError from exc
    finally:
        pool.shutdown(wait=False)


def run_study(
    config: str | os.PathLike | Mapping[str, Any] | StudyConfig,
    *,
    out: str | os.PathLike,
    client: Any = None,
    workers: int | None = None,
    memory_limit: str | None = None,
    force: bool = False,
    progress: bool = True,
    connect_timeout_s: float = 10.0,
) -> StudyResult:
    """Run every city's profile of a study as tasks on dask.distributed.

    Parameters
    ----------
    config : path, mapping or StudyConfig
        The study (see :func:`load_study_config`).
    out : path-like
        Output folder; per-city outputs go to ``out/<city>/``.
    client : dask.distributed.Client or str, optional
        An existing client, or a scheduler address (``"tcp://host:8786"``). By default a
        :class:`~dask.distributed.LocalCluster` with one single-threaded worker process per
        core (or ``workers``) is started with :func:`local_cluster` and closed again.
    workers : int, optional
        Worker processes of the default local cluster.
    memory_limit : str, optional
        Memory limit per worker of the default local cluster (``"2GiB"``).
    force : bool, default False
        Redo cities whose outputs are already complete (and whose config, input files and
        urbanrisk version did not change: see :func:`resume_key`).
    progress : bool, default True
        Show a progress bar over cities.
    connect_timeout_s : float, default 10
        Give up on a ``client`` address that does not answer after this long.

    Returns
    -------
    StudyResult
        The concatenated indicator table and one outcome per city.

    Raises
    ------
    OutputExistsError
        Another study is writing to ``out`` right now.
    OutputError
        ``out`` cannot be written (read-only, no permission).
    SchedulerError
        The scheduler at ``client`` cannot be reached.
    """
    study = config if isinstance(config, StudyConfig) else load_study_config(config)
    out_dir = Path(out).resolve()
    with output_lock(out_dir):  # one study at a time in a folder
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise output_error(exc, out_dir, action="create") from exc
        for city in study.cities:
            remove_stale_temporaries(out_dir / city)
        outcomes = _run_cities(study, out_dir, client, workers, memory_limit, force, progress,
                               connect_timeout_s)
        return _finish_study(study, out_dir, [outcomes[c] for c in study.cities])


def _run_cities(study: StudyConfig, out_dir: Path, client: Any, workers: int | None,
                memory_limit: str | None, force: bool, progress: bool,
                timeout_s: float) -> dict[str, CityOutcome]:
    from dask.distributed import as_completed  # optional dependency (urbanrisk[dask])

    dask_client, owned = _client(client, workers, memory_limit, timeout_s)
    outcomes: dict[str, CityOutcome] = {}
    cache = str(study.cache or default_cache_dir())  # one cache for every worker
    try:
        futures = {
            dask_client.submit(
                _run_city,
                city,
                cfg,
                str(study.base_dirs[city]),
                str(out_dir / city),
                force,
                study.fetch.get(city),
                str(out_dir / INPUTS_DIR / city),
                cache,
                key=f"urbanrisk-city-{city}-{_config_digest(cfg)[:12]}",
                pure=False,
            ): city
            for city, cfg in study.cities.items()
        }
        bar = tqdm(
            total=len(futures), desc=f"study {study.name}", unit="city", disable=not progress
        )
        for future in as_completed(futures):
            city = futures[future]
            try:
                outcomes[city] = future.result()
            except Exception as exc:  # the worker itself died (memory, killed)
                outcomes[city] = CityOutcome(
                    city, "failed", stage="worker", error=type(exc).__name__, message=str(exc)
                )
            bar.update(1)
            bar.set_postfix_str(f"{city}: {outcomes[city].status}")
        bar.close()
    finally:
        if owned:
            dask_client.close()
            cluster = getattr(dask_client, "cluster", None)
            if cluster is not None:
                cluster.close()
    return outcomes


def _finish_study(study: StudyConfig, out_dir: Path, outcomes: list[CityOutcome]) -> StudyResult:
    """Concatenate the cities' indicators and write the study-wide outputs."""
    result = StudyResult(
        indicators=_concat_indicators(out_dir, outcomes), outcomes=outcomes, out=out_dir
    )
    _write_study_outputs(result, study)
    return result


def _concat_indicators(out_dir: Path, outcomes: list[CityOutcome]) -> pd.DataFrame:
    frames = []
    for o in outcomes:
        path = out_dir / o.city / "indicators.csv"
        if o.status in ("done", "skipped") and path.is_file():
            frames.append(pd.read_csv(path, keep_default_na=False, na_values=[""]))
    if not frames:
        return empty_indicator_table()
    return indicator_table(pd.concat(frames, ignore_index=True))


def _write_study_outputs(result: StudyResult, study: StudyConfig) -> None:
    out = result.out
    write_table(result.indicators, out / "indicators.csv", overwrite=True)
    write_table(result.indicators, out / "indicators.json", overwrite=True)
    write_table(result.failures, out / "failures.csv", overwrite=True)
    write_table(result.summary(), out / "cities.csv", overwrite=True)
    titles = {key: REGISTRY[key].title for key in KEY_INDICATORS if key in REGISTRY}
    # every city of the study, in its order: one not computed is drawn so, not as a zero
    names = [str(cfg.get("city", {}).get("name", cid)) for cid, cfg in study.cities.items()]
    figure = comparison_figure(result.indicators, selection=KEY_INDICATORS, titles=titles,
                               cities=names)
    for suffix in (".png", ".pdf"):
        with atomic_path(out / f"comparison{suffix}", overwrite=True) as tmp:
            figure.savefig(tmp, dpi=150, bbox_inches="tight")
    html = study_report_html(
        study.name, result.indicators, result.summary(), out / "comparison.png",
        definitions=registry_table(),
    )
    with atomic_path(out / "study_report.html", overwrite=True) as tmp:
        tmp.write_text(html, encoding="utf-8")


#: The indicators of the study's comparison figure (:func:`urbanrisk.maps.comparison_figure`)
#: and the rows chosen for each (column filters).
KEY_INDICATORS: dict[str, dict[str, Any]] = {
    "people_exposed": {"scenario": "RP100"},
    "ead": {},
    "people_heat_hotspot": {},
    "eca_share": {},
    "green_access_share": {},
    "sea_buildings": {"scenario": "SSP5-8.5 q0.5", "year": 2100},
}
