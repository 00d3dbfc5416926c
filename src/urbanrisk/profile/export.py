"""Export a city profile: GeoPackage, COGs, indicator table, maps, manifest, HTML report.

Everything is first written into a hidden temporary folder beside the target, each file
through the atomic writers of :mod:`urbanrisk.layers`; only when every file is written is
the folder renamed into place. An interrupted export therefore never leaves a half-written
output folder. An existing folder is refused unless ``overwrite=True``, and even then only
a folder urbanrisk wrote before (it holds our ``manifest.json``) or an empty one is
replaced — never an unrelated folder.

Layout of the output folder::

    manifest.json         versions, configuration, input file hashes, times, output hashes
    indicators.csv/.json  the tidy indicator table
    profile.gpkg          vector results, one layer each (name configurable)
    rasters/<name>.tif    raster results as Cloud-Optimized GeoTIFFs
    tables/<name>.csv     other tables (people per district, building timeline...)
    maps/<name>.png/.pdf  static maps
    report.html           one self-contained HTML report (name configurable)
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import io
import json
import logging
import os
import platform
import re
import shutil
import sys
import time
import uuid
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import rasterio
import xarray as xr
from tqdm.auto import tqdm

from urbanrisk.errors import OutputExistsError
from urbanrisk.layers import atomic_path, write_raster, write_table, write_vector
from urbanrisk.maps import save_map
from urbanrisk.profile.indicators import registry_table
from urbanrisk.report import ReportMap, profile_report_html

if TYPE_CHECKING:  # pragma: no cover - annotations only; core imports this module
    from urbanrisk.profile.core import CityProfile

__all__ = [
    "MANIFEST_NAME", "check_output_folder", "export_profile", "file_sha256",
    "package_versions",
]

logger = logging.getLogger(__name__)

#: Name of the run manifest inside an output folder.
MANIFEST_NAME = "manifest.json"

_PACKAGES = ("urbanrisk", "numpy", "pandas", "xarray", "rioxarray", "rasterio", "geopandas",
             "shapely", "pyproj", "pyogrio", "scipy", "networkx", "matplotlib", "numba",
             "exactextract", "tqdm")


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a file's bytes (hex).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> _ = p.write_bytes(b"abc")
    >>> file_sha256(p)[:12]
    'ba7816bf8f01'
    """
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def package_versions() -> dict[str, str]:
    """Versions of urbanrisk, GDAL and the packages it computes with."""
    out: dict[str, str] = {}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    out["gdal"] = rasterio.__gdal_version__
    return out


def _safe(name: str) -> str:
    """File-safe lower-case stem: ``"SSP5-8.5 q0.5"`` → ``"ssp5_8_5_q0_5"``."""
    return re.sub(r"[^a-z0-9]+", "_", str(name).lower()).strip("_") or "layer"


def _inside(root: Path, rel: str) -> Path:
    """``root / rel``, refusing anything that would leave ``root``."""
    path = (root / rel).resolve()
    if not path.is_relative_to(root.resolve()):
        raise OutputExistsError(f"refusing to write {rel!r} outside the output folder {root}")
    return path


def check_output_folder(folder: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Raise :class:`OutputExistsError` now if an export to ``folder`` would be refused.

    Call it before a long run, so a user learns about an existing folder at once.

    Examples
    --------
    >>> import tempfile
    >>> check_output_folder(tempfile.mkdtemp())  # an empty folder without overwrite
    Traceback (most recent call last):
    ...
    urbanrisk.errors.OutputExistsError: the output folder ... already exists. ...
    """
    target = Path(folder).expanduser().resolve()
    _check_target(target, overwrite)
    return target


def _check_target(target: Path, overwrite: bool) -> None:
    if not target.exists():
        return
    if not target.is_dir():
        raise OutputExistsError(f"{target} exists and is a file; choose a folder path.")
    if not overwrite:
        raise OutputExistsError(
            f"the output folder {target} already exists. Pass overwrite=True (or --overwrite) "
            "to replace it, or choose another folder."
        )
    if any(target.iterdir()) and not _is_ours(target):
        raise OutputExistsError(
            f"{target} is not empty and was not written by urbanrisk (no {MANIFEST_NAME} "
            "from a previous export); refusing to replace it even with overwrite=True. "
            "Choose a new or empty folder."
        )


def _is_ours(folder: Path) -> bool:
    try:
        return "urbanrisk" in json.loads((folder / MANIFEST_NAME).read_text()).get(
            "versions", {}
        )
    except (OSError, ValueError, AttributeError):
        return False


def _split_raster(name: str, da: xr.DataArray) -> list[tuple[str, xr.DataArray]]:
    """One raster per file: extra dims beyond one become part of the file name."""
    extra = [d for d in da.dims if d not in ("y", "x")]
    if len(extra) <= 1:
        return [(name, da)]
    out = []
    first = extra[0]
    for value in da[first].values:
        v = value.item() if hasattr(value, "item") else value
        sub = da.sel({first: value}, drop=True)
        sub.attrs = dict(da.attrs)
        out += _split_raster(f"{name}_{_safe(str(v))}", sub)
    return out


def export_profile(
    profile: CityProfile,
    folder: str | os.PathLike,
    *,
    overwrite: bool = False,
    progress: bool = False,
) -> Path:
    """Write every output of a run profile into ``folder``.

    Parameters
    ----------
    profile : CityProfile
        A profile after :meth:`~urbanrisk.profile.CityProfile.run`.
    folder : path-like
        Output folder (created; must not exist unless ``overwrite``).
    overwrite : bool, default False
        Replace a folder written by an earlier urbanrisk export.
    progress : bool, default False
        Show a progress bar over the files.

    Returns
    -------
    pathlib.Path
        The output folder.

    Raises
    ------
    OutputExistsError
        The folder exists and ``overwrite`` is false, or it was not written by urbanrisk.
    """
    profile._require_run()
    t0 = time.perf_counter()
    target = Path(folder).expanduser().resolve()
    _check_target(target, overwrite)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".~{target.name}.{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    out_cfg = profile.config.section("output")
    try:
        specs = profile.map_specs() if out_cfg["maps"] else []
        total = 3 + len(profile.vectors) + len(profile.rasters) + len(profile.tables) + len(specs)
        bar = tqdm(total=total, desc=f"{profile.city}: export", disable=not progress,
                   unit="file")
        table = profile.indicators
        write_table(table, _inside(tmp, "indicators.csv"))
        write_table(table, _inside(tmp, "indicators.json"))
        bar.update(1)
        gpkg = _inside(tmp, out_cfg["gpkg_name"])
        for name, gdf in profile.vectors.items():
            write_vector(gdf, gpkg, layer=_safe(name))
            bar.update(1)
        for name, da in profile.rasters.items():
            for fname, part in _split_raster(_safe(name), da):
                write_raster(part, _inside(tmp, f"rasters/{fname}.tif"))
            bar.update(1)
        for name, df in profile.tables.items():
            write_table(df, _inside(tmp, f"tables/{_safe(name)}.csv"))
            bar.update(1)
        figures: list[ReportMap] = []
        failed_maps: list[tuple[str, str]] = []
        for spec in specs:
            try:
                fig = spec.draw()
            except Exception as exc:  # a map failing must not lose the other outputs
                logger.warning("map %s could not be drawn: %s", spec.name, exc)
                failed_maps.append((spec.name, f"{type(exc).__name__}: {exc}"))
                continue
            paths = save_map(fig, _inside(tmp, f"maps/{_safe(spec.name)}"),
                             formats=out_cfg["map_formats"], dpi=out_cfg["dpi"])
            png = next((p for p in paths if p.suffix == ".png"), None)
            if png is None:  # the report needs a PNG even when only PDF was asked for
                buf = io.BytesIO()
                fig.savefig(buf, format="png", dpi=out_cfg["dpi"], metadata={"Software": None})
                data = buf.getvalue()
            else:
                data = png.read_bytes()
            figures.append(ReportMap(_safe(spec.name), spec.caption, data))
            bar.update(1)
        manifest = _manifest(profile)
        manifest["maps_not_drawn"] = dict(failed_maps)
        if out_cfg["report"]:
            html = _report(profile, figures, failed_maps, manifest)
            with atomic_path(_inside(tmp, out_cfg["report_name"])) as p:
                p.write_text(html, encoding="utf-8")
        bar.update(1)
        manifest["outputs"] = {
            str(p.relative_to(tmp)): file_sha256(p)
            for p in sorted(tmp.rglob("*")) if p.is_file()
        }
        manifest["export_seconds"] = round(time.perf_counter() - t0, 3)
        with atomic_path(_inside(tmp, MANIFEST_NAME)) as p:
            p.write_text(json.dumps(manifest, indent=1, default=str), encoding="utf-8")
        bar.update(1)
        bar.close()
        _swap(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    logger.info("%s: profile written to %s", profile.city, target)
    return target


def _report(profile: CityProfile, maps: list[ReportMap], failed_maps: list[tuple[str, str]],
            manifest: dict[str, Any]) -> str:
    """Render the HTML report from the plain data of a run profile."""
    done = [res for res in profile.results.values() if res.status == "done"]
    return profile_report_html(
        profile.city,
        profile.indicators,
        analyses=profile.status(),
        definitions=registry_table(),
        methods={res.name: list(res.notes) for res in done},
        references=[c for res in done for c in res.citations],
        credit=profile.config.credit,
        maps=maps,
        failed_maps=failed_maps,
        manifest=manifest,
    )


def _swap(tmp: Path, target: Path) -> None:
    """Rename ``tmp`` to ``target``, replacing an earlier export."""
    old = None
    if target.exists():
        old = target.parent / f".~{target.name}.old.{uuid.uuid4().hex[:8]}"
        os.replace(target, old)
    try:
        os.replace(tmp, target)
    except BaseException:
        if old is not None:
            os.replace(old, target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _manifest(profile: CityProfile) -> dict[str, Any]:
    cfg = profile.config
    inputs = {
        name: [{"path": str(p), "bytes": p.stat().st_size, "sha256": file_sha256(p)}
               for p in files]
        for name, files in cfg.input_files().items()
    }
    in_memory = sorted(k for k, v in cfg.layers.items() if v.data is not None)
    config_file = None
    if cfg.source is not None and Path(cfg.source).is_file():
        config_file = {"path": str(cfg.source), "sha256": file_sha256(cfg.source)}
    return {
        "city": profile.city,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "run_seconds": round(profile.seconds, 3),
        "versions": package_versions(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "config_file": config_file,
        "config": cfg.raw,
        "parameters": {k: {kk: vv for kk, vv in v.items() if kk != "auto"}
                       for k, v in cfg.sections.items()},
        "inputs": inputs,
        "inputs_in_memory": in_memory,
        "analyses": profile.status().to_dict(orient="records"),
    }
