"""A starting ``city.toml`` from a folder of rasters and vectors (``urbanrisk init``).

:func:`scan_folder` opens the header of every raster (GeoTIFF, ...) and every layer of every
vector file (GeoPackage, Shapefile, GeoJSON, FlatGeobuf) under a folder, and recognises
the layers of a city profile it can: by the file or layer name (``buildings``, ``dem``,
``flood_rp100_ft``; English and a few Finnish and German words), by the geometry type
(footprints are polygons, roads are lines), by the data type and tags of a raster
(whole-number class codes with a ``classes`` tag are land cover; a ``units`` tag of people
is a population grid, of degrees Celsius or kelvin a temperature) and by the columns of a
vector layer (``highway`` is a road layer, ``building`` a building layer). It reads each
file's CRS, units, nodata and columns.

:func:`init_config` turns what was found into the text of a commented TOML file, in which
every value that was **guessed** carries a ``# GUESSED: ...`` comment saying from what, and
everything that could not be guessed is a ``# TODO: ...`` line saying what to write.
:func:`write_config` writes it. ``urbanrisk check city.toml`` then says what each analysis
will compute and what it will leave out (:mod:`urbanrisk.profile.plan`).

Nothing is decided silently: a raster without a units tag gets a guessed ``units`` key
only when the name, the CRS or the values point at one (marked for review), and a coastal
DEM without a stated vertical datum leaves the coast analysis switched off with a TODO.

Examples
--------
>>> from urbanrisk import datasets
>>> found = scan_folder(datasets.get_path("helsinki", "dem").parent)
>>> sorted(f.layer for f in found if f.layer)[:4]
['buildings', 'coastline', 'dem', 'districts']
>>> result = init_config(datasets.get_path("helsinki", "dem").parent, city="Helsinki")
>>> 'country = "Finland"' in result.text, len(result.todos) > 0
(True, True)
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from urbanrisk.errors import ConfigError
from urbanrisk.hazard import JRC_CLASS_FOR_OCCUPANCY, jrc_construction_cost
from urbanrisk.profile.config import RASTER_LAYERS, RASTER_UNITS, VECTOR_LAYERS
from urbanrisk.units import normalize_units, quantity_of

__all__ = ["FoundFile", "InitResult", "scan_folder", "init_config", "write_config"]

RASTER_SUFFIXES = (".tif", ".tiff", ".vrt", ".img", ".asc", ".nc", ".jp2")
VECTOR_SUFFIXES = (".gpkg", ".shp", ".geojson", ".json", ".fgb", ".gml", ".kml", ".sqlite")

#: Words in a file or layer name that point at a layer (checked in this order).
NAME_HINTS: tuple[tuple[str, str], ...] = (
    ("flood_depth", r"flood|depth|inund|tulva|hochwasser|water_?depth"),
    ("shorelines", r"shorelines|historic.?shore|rantaviiva"),
    ("transects", r"transect"),
    ("baseline", r"baseline"),
    ("candidates", r"candidate|ehdok"),
    ("buildings", r"build|bldg|footprint|rakennu|gebaeude|gebäude"),
    ("railways", r"rail|tram|metro|rautatie|bahn"),
    ("roads", r"road|street|highway|katu|tiet|strasse|straße"),
    ("districts", r"district|neighbou?rhood|borough|ward|suburb|kaupunginosa|osa.?alue|"
                  r"admin|quarter|stadtteil|zone"),
    ("coastline", r"coast|shore|ranta"),
    ("sea", r"sea\b|sea_|ocean|meri|marine"),
    ("green", r"green|park|forest|wood|viher|metsä|metsa|gruen|grün"),
    ("water", r"water|lake|river|vesi|järvi|jarvi|joki"),
    ("dem", r"dem\b|dem_|dtm|dsm|elev|height|altitude|korkeus|terrain|gelände"),
    ("lst", r"lst|surface.?temp|temperature|thermal|heat|lämpö|lampo"),
    ("population", r"pop|inhabit|resident|asukas|väestö|vaesto|einwohner"),
    ("landcover", r"land.?cover|landcov|lulc|corine|clc|maanpeite|land.?use"),
)

_POLYGON_LAYERS = {"buildings", "green", "water", "sea", "districts", "candidates"}
_LINE_LAYERS = {"roads", "railways", "coastline", "shorelines", "baseline", "transects"}

#: Column names that mark a vector layer when its name says nothing (OSM tags and the like).
COLUMN_HINTS: tuple[tuple[str, str], ...] = (
    ("buildings", "building"),
    ("roads", "highway"),
    ("railways", "railway"),
)

_USE_COLUMNS = ("occupancy", "building_use", "use", "usage", "kayttotarkoitus",
                "käyttötarkoitus", "nutzung", "type", "class", "building")
_NAME_COLUMNS = ("name", "district_name", "district", "nimi", "name_en", "name_fi", "label",
                 "NAME", "Name")
_DATE_COLUMNS = ("date", "year", "survey_date", "datum", "vuosi")

_HABITAT_WORDS = r"park|grass|forest|tree|wood|scrub|meadow|wetland|heath|green|nature"
_CANDIDATE_WORDS = r"open land|bare|vacant|brownfield|unused|fallow"

_RP_RE = re.compile(r"(?:rp|hq|t|return_?period_?|_)(\d{1,5})(?:_?(?:y|yr|years?|a))?(?=\D|$)",
                    re.IGNORECASE)
_FEET_RE = re.compile(r"(?:^|[_\-. ])(ft|feet|foot|usft)(?:$|[_\-. ])", re.IGNORECASE)


@dataclass
class FoundFile:
    """One raster file or one layer of a vector file, as found in the folder.

    Attributes
    ----------
    path : pathlib.Path
        The file.
    kind : str
        ``"raster"`` or ``"vector"``.
    layer : str or None
        The profile layer it was recognised as (a key of ``[layers]``), or None.
    why : str
        How it was recognised (or why not).
    sublayer : str or None
        The layer inside a multi-layer vector file (GeoPackage).
    crs : str or None
        CRS as a string, None when the file has none.
    info : dict
        What was read: for rasters ``dtype``, ``count``, ``units``, ``nodata``, ``tags``,
        ``rotated``, ``sample``; for vectors ``geometry_type``, ``columns``, ``features``.
    return_period : int or None
        For a flood depth file, the return period read from its name.
    """

    path: Path
    kind: str
    layer: str | None = None
    why: str = ""
    sublayer: str | None = None
    crs: str | None = None
    info: dict[str, Any] = field(default_factory=dict)
    return_period: int | None = None


@dataclass
class InitResult:
    """What :func:`init_config` found and wrote.

    Attributes
    ----------
    text : str
        The TOML text, with ``# GUESSED`` and ``# TODO`` comments.
    found : list of FoundFile
        Every file (or vector layer) looked at.
    guesses : list of str
        Each value guessed, with from what (also comments in ``text``).
    todos : list of str
        Each thing left to the user (also comments in ``text``).
    """

    text: str
    found: list[FoundFile]
    guesses: list[str] = field(default_factory=list)
    todos: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------
# Scanning
# --------------------------------------------------------------------------------------
def scan_folder(folder: str | Path) -> list[FoundFile]:
    """Open the header of every raster and vector layer under ``folder`` and recognise it.

    Parameters
    ----------
    folder : str or path-like
        Folder to scan (with its sub-folders; hidden files and folders are skipped).

    Returns
    -------
    list of FoundFile
        One entry per raster file and per vector layer, sorted by path; ``layer`` is the
        profile layer it was recognised as, or None. Files that do not open are listed
        with the reason in ``why``.

    Raises
    ------
    ConfigError
        When ``folder`` is not a folder.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError([f"{folder} is not a folder; give the folder holding the city's "
                           "GeoTIFFs and GeoPackages"])
    out: list[FoundFile] = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts) or not path.is_file():
            continue
        suffix = path.suffix.lower()
        if suffix in RASTER_SUFFIXES:
            out.append(_scan_raster(path))
        elif suffix in VECTOR_SUFFIXES:
            out.extend(_scan_vector(path))
    return out


def _scan_raster(path: Path) -> FoundFile:
    import rasterio

    found = FoundFile(path=path, kind="raster")
    try:
        with rasterio.open(path) as ds:
            tags = ds.tags()
            units = tags.get("units") or tags.get("UNITS") or (ds.units or (None,))[0] or None
            t = tuple(ds.transform)[:6]
            sample = ds.read(1, out_shape=(min(ds.height, 64), min(ds.width, 64)),
                             masked=False) if ds.count else None
            found.crs = ds.crs.to_string() if ds.crs is not None else None
            found.info = {
                "dtype": ds.dtypes[0] if ds.count else None, "count": ds.count,
                "units": units, "nodata": ds.nodata, "tags": tags,
                "rotated": abs(t[1]) > 1e-9 * abs(t[0]) or abs(t[3]) > 1e-9 * abs(t[4]),
                "sample": sample,
            }
    except Exception as exc:  # noqa: BLE001 - any reason the file does not open
        found.why = f"does not open as a raster ({exc})"
        return found
    _recognise_raster(found)
    return found


def _scan_vector(path: Path) -> list[FoundFile]:
    import pyogrio

    try:
        listed = [(str(n), str(g)) for n, g in pyogrio.list_layers(path)]
    except Exception as exc:  # noqa: BLE001 - any reason the file does not open
        first = str(exc).split(";")[0].split(". ")[0][:120]
        return [FoundFile(path=path, kind="vector", why=f"does not open as a vector file "
                                                        f"({first})")]
    out = []
    for name, geom in listed:
        found = FoundFile(path=path, kind="vector", sublayer=name if len(listed) > 1
                          or path.suffix.lower() == ".gpkg" else None)
        try:
            info = pyogrio.read_info(path, layer=name)
        except Exception as exc:  # noqa: BLE001
            found.why = f"layer {name!r} does not open ({exc})"
            out.append(found)
            continue
        found.crs = info.get("crs")
        found.info = {"geometry_type": geom or str(info.get("geometry_type")),
                      "columns": [str(c) for c in info.get("fields", [])],
                      "features": int(info.get("features") or 0), "layer_name": name,
                      "layers_in_file": len(listed)}
        _recognise_vector(found)
        out.append(found)
    return out


def _name_of(found: FoundFile) -> str:
    parts = [found.path.stem]
    if found.sublayer and found.sublayer != found.path.stem:
        parts.append(found.sublayer)
    return " ".join(parts).lower()


def _by_name(text: str, allowed: Iterable[str]) -> str | None:
    allowed = set(allowed)
    for layer, pattern in NAME_HINTS:
        if layer in allowed and re.search(pattern, text, re.IGNORECASE):
            return layer
    return None


def _recognise_raster(found: FoundFile) -> None:
    info = found.info
    name = _name_of(found)
    units = normalize_units(info["units"])
    quantity = quantity_of(units) if units else None
    integer = info["dtype"] is not None and np.issubdtype(np.dtype(info["dtype"]), np.integer)
    layer = _by_name(name, RASTER_LAYERS)
    if layer is not None:
        found.why = f"name {found.path.name!r}"
    elif "classes" in info["tags"] or (units == "class"):
        layer, found.why = "landcover", "a `classes`/class units tag"
    elif quantity == "people":
        layer, found.why = "population", f"units tag {info['units']!r}"
    elif quantity == "temperature":
        layer, found.why = "lst", f"units tag {info['units']!r}"
    elif integer and info["count"] == 1 and _few_values(info["sample"]):
        layer, found.why = "landcover", "whole numbers with few distinct values"
    else:
        found.why = "not recognised by its name, tags or data type"
        return
    # a name that says one thing and a units tag of another quantity: trust neither
    want = RASTER_UNITS.get(layer)
    if want and quantity and quantity != quantity_of(want):
        found.why = (f"name says {layer} but the units tag {info['units']!r} is a "
                     f"{quantity}; not used")
        return
    found.layer = layer
    if layer == "flood_depth":
        m = _RP_RE.search(found.path.stem)
        found.return_period = int(m.group(1)) if m and int(m.group(1)) > 0 else None


def _few_values(sample: Any) -> bool:
    if sample is None:
        return False
    return len(np.unique(sample)) <= 64


def _recognise_vector(found: FoundFile) -> None:
    geom = found.info["geometry_type"].lower()
    family = ("polygon" if "polygon" in geom else "line" if "line" in geom
              else "point" if "point" in geom else "unknown")
    fitting = (_POLYGON_LAYERS if family == "polygon" else _LINE_LAYERS if family == "line"
               else set(VECTOR_LAYERS))
    layer = _by_name(_name_of(found), fitting)
    if layer is not None:
        found.layer, found.why = layer, f"name {found.sublayer or found.path.name!r}, " \
                                        f"{found.info['geometry_type']}"
    else:
        cols = {c.lower() for c in found.info["columns"]}
        for lay, col in COLUMN_HINTS:
            if col in cols and lay in fitting:
                found.layer, found.why = lay, f"column {col!r}, {found.info['geometry_type']}"
                break
    if found.layer is None:
        other = _by_name(_name_of(found), VECTOR_LAYERS)
        found.why = (f"name says {other} but the geometry is {found.info['geometry_type']}; "
                     "not used" if other else "not recognised by its name, geometry or "
                     "columns")
        return
    if found.layer == "coastline" and _pick(found.info["columns"], _DATE_COLUMNS):
        found.layer, found.why = "shorelines", found.why + ", a date column"


def _pick(columns: list[str], wanted: Iterable[str]) -> str | None:
    lower = {c.lower(): c for c in columns}
    for w in wanted:
        if w.lower() in lower:
            return lower[w.lower()]
    return None


# --------------------------------------------------------------------------------------
# Writing the TOML
# --------------------------------------------------------------------------------------
class _Toml:
    """Lines of a TOML file with their comments; the guesses and TODOs kept apart."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.guesses: list[str] = []
        self.todos: list[str] = []

    def add(self, line: str = "") -> None:
        self.lines.append(line)

    def value(self, key: str, value: Any, *, guessed: str = "", where: str = "") -> None:
        line = f"{key} = {_toml(value)}"
        if guessed:
            line += f"  # GUESSED: {guessed}; review"
            self.guesses.append(f"{where}.{key} = {_toml(value)} ({guessed})")
        self.lines.append(line)

    def todo(self, text: str, *, example: str = "", where: str = "") -> None:
        self.lines.append(f"# TODO: {text}")
        if example:
            self.lines.append(f"# {example}")
        self.todos.append(f"[{where}] {text}")


def _toml(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(_toml(x) for x in v) + "]"
    if isinstance(v, float):
        return f"{v:.10g}" if np.isfinite(v) and v != int(v) else f"{v:.1f}"
    return str(v)


def init_config(folder: str | Path, *, city: str | None = None,
                config_dir: str | Path | None = None) -> InitResult:
    """Scan ``folder`` and return the text of a commented starting ``city.toml``.

    Parameters
    ----------
    folder : str or path-like
        Folder of the city's rasters and vectors.
    city : str, optional
        City name; default: the folder's name (marked as guessed).
    config_dir : str or path-like, optional
        Folder the TOML will be written to (layer paths are relative to it); default
        ``folder``.

    Returns
    -------
    InitResult
        The text, what was found, the guesses and the TODOs.
    """
    folder = Path(folder)
    found = scan_folder(folder)
    base = Path(config_dir) if config_dir is not None else folder
    t = _Toml()
    t.add("# City profile configuration written by `urbanrisk init` from the files in")
    t.add(f"# {folder.resolve()}.")
    t.add("# Lines marked GUESSED were recognised from names, tags or values: check them.")
    t.add("# Lines marked TODO could not be guessed: fill them in, then run")
    t.add("#     urbanrisk check city.toml")
    t.add("# which says, for each analysis, what it will compute and what it leaves out.")
    t.add("# Every key is documented in the configuration reference (docs/config.md).")
    t.add("")
    t.add("[city]")
    if city:
        t.value("name", city)
    else:
        t.value("name", folder.resolve().name.replace("_", " ").title(),
                guessed="from the folder's name", where="city")
    t.todo("data credit printed on every map and in the report", where="city",
           example='credit = "© OpenStreetMap contributors; © City of ..."')
    t.add("")

    chosen: dict[str, list[FoundFile]] = {}
    for f in found:
        if f.layer:
            chosen.setdefault(f.layer, []).append(f)

    simple: list[tuple[str, FoundFile, str]] = []
    tables: list[tuple[str, list[FoundFile]]] = []
    for layer in [*VECTOR_LAYERS, *RASTER_LAYERS]:
        files = chosen.get(layer, [])
        if not files:
            continue
        if layer == "flood_depth":
            tables.append((layer, files))
        elif files[0].kind == "raster" and _raster_options(files[0], layer):
            tables.append((layer, files[:1]))
        else:
            simple.append((layer, files[0], _also(files)))

    t.add("[layers]")
    for layer, f, also in simple:
        rel = _rel(f.path, base)
        if f.sublayer and f.sublayer != layer and f.info.get("layers_in_file", 1) > 1:
            t.add(f"{layer} = {{ path = {_toml(rel)}, layer = {_toml(f.sublayer)} }}"
                  f"  # GUESSED: {f.why}; review{also}")
        else:
            t.add(f"{layer} = {_toml(rel)}  # GUESSED: {f.why}; review{also}")
        t.guesses.append(f"layers.{layer} = {rel} ({f.why})")
    missing = [k for k in [*VECTOR_LAYERS, *RASTER_LAYERS] if k not in chosen]
    if missing:
        t.add(f"# not found: {', '.join(missing)} (add any you have; see docs/config.md)")
    unknown = [f for f in found if not f.layer]
    for f in unknown:
        t.add(f"# not used: {_rel(f.path, base)}"
              + (f" (layer {f.sublayer})" if f.sublayer else "") + f": {f.why}")
    t.add("")
    for layer, files in tables:
        _raster_table(t, layer, files, base)

    _columns_section(t, chosen)
    _hazard_section(t, chosen, found)
    _green_section(t, chosen)
    _coast_section(t, chosen)
    _shoreline_section(t, chosen)
    return InitResult(text="\n".join(t.lines).rstrip() + "\n", found=found,
                      guesses=t.guesses, todos=t.todos)


def write_config(folder: str | Path, out: str | Path | None = None, *,
                 city: str | None = None, overwrite: bool = False) -> InitResult:
    """Scan ``folder`` and write a commented starting ``city.toml``.

    Parameters
    ----------
    folder : str or path-like
        Folder of the city's rasters and vectors.
    out : str or path-like, optional
        The TOML file to write; default ``folder / "city.toml"``.
    city : str, optional
        City name; default: the folder's name (marked as guessed).
    overwrite : bool, default False
        Replace an existing file.

    Returns
    -------
    InitResult

    Raises
    ------
    ConfigError
        When ``out`` exists and ``overwrite`` is False, or ``folder`` is not a folder.
    """
    out = Path(out) if out is not None else Path(folder) / "city.toml"
    if out.exists() and not overwrite:
        raise ConfigError([f"{out} exists; pass --overwrite (overwrite=True) to replace it, "
                           "or --out to write another file"])
    result = init_config(folder, city=city, config_dir=out.parent)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(result.text, encoding="utf-8")
    return result


def _rel(path: Path, base: Path) -> str:
    import os

    return Path(os.path.relpath(path.resolve(), base.resolve())).as_posix()


def _also(files: list[FoundFile]) -> str:
    if len(files) < 2:
        return ""
    return "; also found: " + ", ".join(f.path.name + (f":{f.sublayer}" if f.sublayer else "")
                                        for f in files[1:])


def _raster_options(f: FoundFile, layer: str) -> bool:
    return layer in RASTER_UNITS and (
        (RASTER_UNITS[layer] is not None and not f.info["units"]) or f.info["rotated"]
        or _sentinel(f) is not None)


_SENTINELS = (-9999.0, -99999.0, -32768.0, -32767.0, -3.4028234663852886e38)


def _sentinel(f: FoundFile) -> float | None:
    sample, nodata = f.info.get("sample"), f.info.get("nodata")
    if sample is None or not np.issubdtype(sample.dtype, np.number):
        return None
    for v in _SENTINELS:
        if (nodata is None or float(nodata) != v) and np.any(np.isclose(sample, v, rtol=1e-6,
                                                                        atol=0)):
            return v
    return None


def _raster_table(t: _Toml, layer: str, files: list[FoundFile], base: Path) -> None:
    where = f"layers.{layer}"
    t.add(f"[layers.{layer}]")
    f0 = files[0]
    if layer == "flood_depth":
        multi = f0.info["count"] > 1 and f0.info["tags"].get("urbanrisk_dim") == "return_period"
        by_rp = {f.return_period: f for f in files if f.return_period}
        if multi:
            t.value("path", _rel(f0.path, base), guessed=f"{f0.why}; bands are return "
                    f"periods {f0.info['tags'].get('urbanrisk_coords', '')}", where=where)
        elif by_rp:
            for rp in sorted(by_rp):
                t.value(str(rp), _rel(by_rp[rp].path, base),
                        guessed=f"{by_rp[rp].path.name}: return period {rp} from the name",
                        where=where)
            for f in files:
                if not f.return_period:
                    t.add(f"# not used: {_rel(f.path, base)} (no return period in its name)")
        else:
            t.todo("give one file per return period, e.g. 10 = \"rp10.tif\"; the return "
                   f"period could not be read from {', '.join(f.path.name for f in files)}",
                   where=where)
            t.add(f"# path = {_toml(_rel(f0.path, base))}")
    else:
        t.value("path", _rel(f0.path, base), guessed=f0.why + _also(files), where=where)
    _units_key(t, layer, f0, where)
    v = _sentinel(f0)
    if v is not None:
        t.value("nodata", v, guessed=f"{f0.path.name} holds {v:g} values but declares "
                f"{f0.info['nodata']} as nodata", where=where)
    if f0.info["rotated"]:
        t.value("warp", True, guessed=f"{f0.path.name} has a rotated grid: warped to north-up "
                "when read", where=where)
    t.add("")


def _units_key(t: _Toml, layer: str, f: FoundFile, where: str) -> None:
    want = RASTER_UNITS.get(layer)
    if want is None or f.info["units"]:
        return
    quantity = quantity_of(want)
    if quantity == "people":
        t.value("units", "people", guessed="no units tag; population counts are people",
                where=where)
        return
    if quantity == "temperature":
        sample = f.info["sample"]
        vals = sample[np.isfinite(sample)] if sample is not None else np.array([])
        if f.info["nodata"] is not None:
            vals = vals[vals != f.info["nodata"]]
        if vals.size:
            med = float(np.median(vals))
            guess = "K" if med > 200 else "degC"
            t.value("units", guess, guessed=f"no units tag; median value {med:.1f}",
                    where=where)
            return
        t.todo("units of the temperatures (\"degC\", \"K\" or \"degF\")", where=where,
               example='units = "degC"')
        return
    # a length: from the name, else from the CRS's linear unit
    if _FEET_RE.search(f.path.stem):
        t.value("units", "ft", guessed=f"no units tag; {f.path.name!r} says feet", where=where)
        return
    crs_unit = _crs_linear_unit(f.crs)
    if crs_unit in ("ft", "US_survey_ft"):
        t.value("units", crs_unit, guessed="no units tag; the CRS is in feet, so the values "
                "may be too", where=where)
        return
    t.todo("units of the values (\"m\", \"ft\", \"US_survey_ft\", \"cm\"): the file has no "
           "units tag", example='units = "m"', where=where)


def _crs_linear_unit(crs: str | None) -> str | None:
    if not crs:
        return None
    try:
        import pyproj

        c = pyproj.CRS.from_user_input(crs)
        if c.is_projected and c.axis_info:
            return normalize_units(c.axis_info[0].unit_name)
    except Exception:  # noqa: BLE001 - an unreadable CRS: no guess
        return None
    return None


def _columns_section(t: _Toml, chosen: dict[str, list[FoundFile]]) -> None:
    lines: list[tuple[str, str | None, str]] = []
    if "buildings" in chosen:
        cols = chosen["buildings"][0].info["columns"]
        use = _pick(cols, _USE_COLUMNS)
        lines.append(("building_use", use, f"column of `buildings` with the use "
                      f"({', '.join(sorted(JRC_CLASS_FOR_OCCUPANCY))}); columns: "
                      f"{', '.join(cols) or 'none'}"))
    if "districts" in chosen:
        cols = chosen["districts"][0].info["columns"]
        name = _pick(cols, _NAME_COLUMNS)
        lines.append(("district_name", name, f"column of `districts` with the names; "
                      f"columns: {', '.join(cols) or 'none'}"))
    if not lines:
        return
    t.add("[columns]")
    for key, col, what in lines:
        if col:
            t.value(key, col, guessed=what, where="columns")
        else:
            t.todo(f"{what}", example=f'{key} = "..."', where="columns")
    t.add("")


def _hazard_section(t: _Toml, chosen: dict[str, list[FoundFile]],
                    found: list[FoundFile]) -> None:
    if "flood_depth" not in chosen:
        return
    t.add("[hazard]")
    t.add("# nodata cells inside the flood maps are dry (depth 0); false: unknown")
    t.value("nodata_is_dry", True)
    if "buildings" in chosen:
        country = _country_from_crs([f.crs for f in found if f.crs])
        if country:
            t.value("country", country[0], guessed=f"from the CRS's area of use "
                    f"({country[1]})", where="hazard")
        else:
            t.todo("country (ISO3 code, e.g. \"FIN\") for the JRC maximum damage values, "
                   "or damage_column (building values in EUR); without either, damage and "
                   "expected annual damage are not computed", example='country = "..."',
                   where="hazard")
    t.add("")


def _country_from_crs(crss: list[str]) -> tuple[str, str] | None:
    """Return a country of the JRC cost table named in a CRS's area of use, and that area."""
    import pyproj

    for crs in dict.fromkeys(crss):
        try:
            area = pyproj.CRS.from_user_input(crs).area_of_use
        except Exception:  # noqa: BLE001 - an unreadable CRS: no guess
            continue
        if area is None:
            continue
        head = re.split(r"\s+-\s+|[;,(]", area.name)[0].strip()
        try:
            jrc_construction_cost(head, "residential")
        except Exception:  # noqa: BLE001 - not a country the JRC table knows
            continue
        return head, area.name
    return None


def _classes(f: FoundFile) -> dict[int, str]:
    raw = f.info["tags"].get("classes")
    if not raw:
        return {}
    try:
        return {int(k): str(v) for k, v in json.loads(raw).items()}
    except (ValueError, TypeError, AttributeError):
        return {}


def _green_section(t: _Toml, chosen: dict[str, list[FoundFile]]) -> None:
    if "landcover" not in chosen or ("green" in chosen and "candidates" in chosen):
        return
    classes = _classes(chosen["landcover"][0])
    shown = ", ".join(f"{k} = {v}" for k, v in classes.items())
    t.add("[green]")
    if "green" not in chosen:
        hab = [k for k, v in classes.items() if re.search(_HABITAT_WORDS, v, re.IGNORECASE)]
        if hab:
            t.value("habitat_classes", hab, guessed=f"classes tag: {shown}", where="green")
        else:
            t.todo("land-cover codes that are habitat (no `green` polygons found)",
                   example="habitat_classes = [3, 4]", where="green")
    if "candidates" not in chosen:
        cand = [k for k, v in classes.items()
                if re.search(_CANDIDATE_WORDS, v, re.IGNORECASE)]
        if cand:
            t.value("candidate_classes", cand, guessed=f"classes tag: {shown}",
                    where="green")
        else:
            t.todo("land-cover codes of open land where a park could be made (candidate "
                   "sites)", example="candidate_classes = [7]", where="green")
    t.add("")


def _coast_section(t: _Toml, chosen: dict[str, list[FoundFile]]) -> None:
    if "dem" not in chosen:
        return
    t.add("[coast]")
    datum = _vertical_datum(chosen["dem"][0].crs)
    if datum:
        t.value("dem_datum", datum, guessed="the DEM's compound CRS", where="coast")
    else:
        t.todo("vertical datum of the DEM heights (e.g. \"N2000\", \"NAVD88\", \"EVRF2007\"),"
               " then remove `run = false`", example='dem_datum = "..."', where="coast")
        t.value("run", False)
    if "sea" not in chosen:
        t.add("# no `sea` layer found: the sea is the water connected to the DEM's edge "
              "cells at or below sea_edge_level_m")
    t.add("")


def _vertical_datum(crs: str | None) -> str | None:
    if not crs:
        return None
    try:
        import pyproj

        for sub in pyproj.CRS.from_user_input(crs).sub_crs_list:
            if sub.is_vertical:
                return sub.name.replace(" height", "").replace(" depth", "").strip()
    except Exception:  # noqa: BLE001 - an unreadable CRS: no guess
        return None
    return None


def _shoreline_section(t: _Toml, chosen: dict[str, list[FoundFile]]) -> None:
    if "shorelines" not in chosen:
        return
    cols = chosen["shorelines"][0].info["columns"]
    date = _pick(cols, _DATE_COLUMNS)
    t.add("[shoreline]")
    if date:
        t.value("date_column", date, guessed=f"columns: {', '.join(cols)}",
                where="shoreline")
    else:
        t.todo(f"column of `shorelines` holding the date; columns: {', '.join(cols)}",
               example='date_column = "..."', where="shoreline")
    if "baseline" not in chosen and "transects" not in chosen:
        t.todo("an onshore `baseline` (LineString) or ready-made `transects` layer; without "
               "either the shoreline analysis is skipped", where="shoreline")
    t.add("")
