"""Export a city profile: GeoPackage, COGs, indicator table, maps, manifest, HTML report.

Everything is first written into a hidden temporary folder beside the target, each file
through the atomic writers of :mod:`urbanrisk.layers`; only when every file is written is
the folder renamed into place. An interrupted export therefore never leaves a half-written
output folder. An existing folder is refused unless ``overwrite=True``, and even then only
a folder urbanrisk wrote before (it holds our ``manifest.json``) or an empty one is
replaced — never an unrelated folder — and only once the new result is complete.

The output folder is *claimed* (:func:`claim_output_folder`) before any work: a lock file
``.~<name>.lock`` beside it, held with the operating system's file lock, so of two runs
started together on one folder the second refuses at once with
:class:`~urbanrisk.errors.OutputExistsError`. The claim also checks that the location is
writable and has room for a rough size estimate, and removes the hidden temporary folders
that killed runs left behind (:func:`remove_stale_temporaries`). Operating-system errors
while writing (full or read-only disk, no permission, file too large) become an
:class:`~urbanrisk.errors.OutputError` naming the path and the error in plain words.

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

import contextlib
import datetime as _dt
import errno
import hashlib
import io
import json
import logging
import os
import platform
import re
import shutil
import socket
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import rasterio
import xarray as xr

from urbanrisk._progress import tqdm
from urbanrisk.errors import OutputError, OutputExistsError, UrbanRiskError
from urbanrisk.layers import atomic_path, output_error, write_raster, write_table, write_vector
from urbanrisk.maps import save_map
from urbanrisk.profile.indicators import registry_table
from urbanrisk.profile.reporting import reporting_sheets, sheet_titles, write_reporting
from urbanrisk.profile.results import interrupted, slug
from urbanrisk.report import ReportMap, profile_report_html
from urbanrisk.sources import Provenance, read_provenance

if TYPE_CHECKING:  # pragma: no cover - annotations only; core imports this module
    from urbanrisk.profile.core import CityProfile

__all__ = [
    "MANIFEST_NAME", "OutputClaim", "check_output_folder", "claim_output_folder",
    "estimate_output_bytes", "export_profile", "file_sha256", "output_lock",
    "package_versions", "remove_stale_temporaries",
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
    return slug(name) or "layer"


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


# --------------------------------------------------------------------------------------
# Claiming an output folder: a lock beside it, a temporary folder, stale temporaries
# --------------------------------------------------------------------------------------
#: Name of the file recording the process that writes a temporary folder (pid, host).
OWNER_NAME = ".urbanrisk-owner.json"

_TEMP_NAME = re.compile(r"^(?:old\.)?[0-9a-f]{8}$")
_HELD: dict[Path, OutputClaim] = {}  # claims held by this process, by target
_HELD_LOCK = threading.Lock()


def _process_start(pid: int) -> str | None:
    """Start time of process ``pid`` (Linux ``/proc``), to tell a reused pid from its owner."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()[19]  # field 22: starttime, in clock ticks


def _owner_record() -> dict[str, Any]:
    from urbanrisk import __version__

    return {"urbanrisk": __version__, "pid": os.getpid(), "host": socket.gethostname(),
            "process_start": _process_start(os.getpid()),
            "started": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")}


def _owner_alive(owner: Mapping[str, Any]) -> bool | None:
    """Whether the process of an owner record runs; ``None`` when it cannot be told."""
    if owner.get("host") != socket.gethostname() or not isinstance(owner.get("pid"), int):
        return None
    if sys.platform == "win32":  # os.kill(pid, 0) would end the process there
        return None
    pid = owner["pid"]
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # a process of another user has this pid
        pass
    except OSError:  # no such call here (Windows): cannot tell
        return None
    recorded, now = owner.get("process_start"), _process_start(pid)
    return not (recorded and now and recorded != now)  # a new process reusing the pid


def _read_owner(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and "urbanrisk" in data else {}


def _write_owner(folder: Path) -> None:
    (folder / OWNER_NAME).write_text(json.dumps(_owner_record()), encoding="utf-8")


def _describe_owner(owner: Mapping[str, Any]) -> str:
    if not owner:
        return "another urbanrisk run"
    return (f"another urbanrisk run (process {owner.get('pid')} on {owner.get('host')}, "
            f"started {owner.get('started')})")


def remove_stale_temporaries(folder: str | os.PathLike) -> list[Path]:
    """Remove the hidden temporary folders that killed runs left beside ``folder``.

    An export writes into ``.~<name>.<8 hex digits>`` beside the output folder (and moves
    an output it replaces to ``.~<name>.old.<8 hex digits>``), recording its process and
    host in ``.urbanrisk-owner.json`` inside. A run killed outright (power cut,
    ``kill -9``, out of memory) leaves it behind. Only such folders are touched, and only
    when their process is gone from this host; a folder of a live process, of another
    host or without an owner record is left and logged. A replaced output whose new
    result never arrived (the output folder is missing) is put back instead of removed.
    :func:`claim_output_folder` calls this on every claim.

    Parameters
    ----------
    folder : path-like
        The output folder (which need not exist).

    Returns
    -------
    list of pathlib.Path
        The temporary folders removed or put back.

    Examples
    --------
    >>> import json, os, tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> stale = root / ".~out.0123abcd"
    >>> stale.mkdir()
    >>> owner = {"urbanrisk": "0.1", "pid": 2**22 + 1, "host": __import__("socket").gethostname()}
    >>> _ = (stale / ".urbanrisk-owner.json").write_text(json.dumps(owner))
    >>> [p.name for p in remove_stale_temporaries(root / "out")], stale.exists()
    (['.~out.0123abcd'], False)
    """
    target = Path(folder).expanduser().resolve()
    prefix = f".~{target.name}."
    done: list[Path] = []
    try:
        entries = [p for p in target.parent.iterdir() if p.name.startswith(prefix)]
    except OSError:
        return done
    for path in sorted(entries):
        if not _TEMP_NAME.match(path.name[len(prefix):]) or not path.is_dir():
            continue
        owner = _read_owner(path / OWNER_NAME)
        alive = _owner_alive(owner) if owner else None
        if alive is not False:
            why = ("it has no owner record" if not owner else
                   f"{_describe_owner(owner)} may still use it" if alive is None else
                   f"{_describe_owner(owner)} is writing it")
            logger.warning("left the temporary folder %s: %s; remove it by hand if no run "
                           "is writing to %s", path, why, target)
            continue
        try:
            if path.name[len(prefix):].startswith("old.") and not target.exists():
                os.replace(path, target)  # the replaced output, its successor never came
                (target / OWNER_NAME).unlink(missing_ok=True)
                logger.warning("put back %s, left aside by a run that was killed while "
                               "replacing it", target)
            else:
                shutil.rmtree(path)
                logger.warning("removed %s, left by a killed run (process %s on %s)",
                               path, owner.get("pid"), owner.get("host"))
        except OSError as exc:
            logger.warning("could not remove the stale temporary folder %s: %s", path, exc)
            continue
        done.append(path)
    return done


def _try_lock(fd: int) -> bool:
    """Take an exclusive lock on an open file without waiting; ``False`` if it is held."""
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError as exc:  # ENOLCK, EOPNOTSUPP: a file system without locks
        logger.warning("file locks are not available where %s lies (%s); two runs writing "
                       "to one output folder at once will not be detected", fd, exc)
    return True


class _Lock:
    """The lock file ``.~<name>.lock`` beside a folder, held with an OS file lock."""

    def __init__(self, target: Path) -> None:
        self.path = target.parent / f".~{target.name}.lock"
        self.target = target
        self.fd: int | None = None
        for _ in range(20):
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:  # the folder is named, not our hidden lock file
                raise output_error(OSError(exc.errno, exc.strerror), target.parent,
                                   action="create a lock in") from exc
            if not _try_lock(fd):
                try:
                    owner = json.loads(os.pread(fd, 4096, 0) or b"{}")
                except (OSError, ValueError, AttributeError):  # no os.pread on Windows
                    owner = {}
                os.close(fd)
                raise OutputExistsError(
                    f"{_describe_owner(owner)} is writing to {target} right now. Wait for it "
                    "to finish, or choose another output folder."
                )
            try:  # the previous holder may have removed the file between open and lock
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except OSError:
                same = False
            if same:
                self.fd = fd
                break
            os.close(fd)
        else:  # pragma: no cover - twenty lost races in a row
            raise OutputExistsError(f"could not take the lock {self.path}; try again.")
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(_owner_record()).encode(), 0)
        except OSError as exc:
            self.release()
            raise output_error(exc, self.path) from exc

    def release(self) -> None:
        if self.fd is None:
            return
        try:
            self.path.unlink(missing_ok=True)  # while still held: no one else locked it
        except OSError:
            pass
        os.close(self.fd)
        self.fd = None


@contextlib.contextmanager
def output_lock(folder: str | os.PathLike) -> Iterator[Path]:
    """Hold the lock of an output folder for the block; refuse at once if another run has it.

    The lock is the file ``.~<name>.lock`` beside ``folder`` (created, and removed again
    when the block ends), held with the operating system's file lock — released by the
    system even when the process is killed, so a lock is never left stale.
    :func:`claim_output_folder` takes it for one city; :func:`urbanrisk.study.run_study`
    for the study's folder.

    Raises
    ------
    OutputExistsError
        Another run holds the lock; the message names its process, host and start.
    OutputError
        The lock file cannot be created (read-only disk, no permission).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "study"
    >>> with output_lock(out):
    ...     with output_lock(out):
    ...         pass
    Traceback (most recent call last):
    ...
    urbanrisk.errors.OutputExistsError: another urbanrisk run (process ...) is writing to ...
    """
    target = Path(folder).expanduser().resolve()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise output_error(exc, target.parent, action="create") from exc
    lock = _Lock(target)
    try:
        yield target
    finally:
        lock.release()


class OutputClaim:
    """An output folder claimed by this process (see :func:`claim_output_folder`).

    Attributes
    ----------
    target : pathlib.Path
        The output folder.
    overwrite : bool
        Whether an earlier urbanrisk output there may be replaced.
    """

    def __init__(self, target: Path, overwrite: bool, lock: _Lock) -> None:
        self.target = target
        self.overwrite = overwrite
        self._lock = lock
        self._thread = threading.get_ident()
        self._tmp: Path | None = None

    def temporary_folder(self) -> Path:
        """Return the hidden temporary folder beside the target (made, recording this process)."""
        if self._tmp is not None and self._tmp.is_dir():
            return self._tmp
        tmp = self.target.parent / f".~{self.target.name}.{uuid.uuid4().hex[:8]}"
        try:
            tmp.mkdir()
            _write_owner(tmp)
        except OSError as exc:  # the output is named, not our hidden temporary folder
            shutil.rmtree(tmp, ignore_errors=True)
            raise output_error(OSError(exc.errno, exc.strerror), self.target) from exc
        self._tmp = tmp
        return tmp

    def commit(self, tmp: Path) -> None:
        """Rename the complete ``tmp`` into place, replacing an earlier output."""
        _check_target(self.target, self.overwrite)
        try:
            _swap(tmp, self.target)
        except OSError as exc:
            raise output_error(exc, self.target, action="replace") from exc
        self._tmp = None

    def release(self) -> None:
        """Remove an unused temporary folder and release the lock."""
        with _HELD_LOCK:
            if _HELD.get(self.target) is self:
                del _HELD[self.target]
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
        self._lock.release()

    def __enter__(self) -> OutputClaim:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"OutputClaim({str(self.target)!r}, overwrite={self.overwrite})"


def estimate_output_bytes(config: Any) -> int:
    """Estimate the size of a profile's outputs, roughly: twice its input files, plus 16 MiB.

    The outputs hold rasters on the inputs' grids (several per scenario and year, compressed),
    the vector results, the maps and the report (maps embedded, ~2 MB for the sample city).
    The estimate only guards against a run that could not possibly be written; a disk
    filling up during the export is still reported clearly.

    Parameters
    ----------
    config : ProfileConfig
        The checked city configuration.

    Returns
    -------
    int
        Bytes.

    Examples
    --------
    >>> from urbanrisk.profile import demo_config
    >>> 16 * 2**20 < estimate_output_bytes(demo_config()) < 32 * 2**20
    True
    """
    size = 0
    for files in config.input_files().values():
        for path in files:
            try:
                size += Path(path).stat().st_size
            except OSError:
                continue
    return 2 * size + (16 << 20)


def claim_output_folder(
    folder: str | os.PathLike,
    *,
    overwrite: bool = False,
    need_bytes: int = 0,
) -> OutputClaim:
    """Claim an output folder before a long run: lock, refusal, writability and space.

    Of two runs claiming one folder at once, the second refuses at once. The claim checks
    what :func:`check_output_folder` checks, then that the location is writable (it makes
    the hidden temporary folder the export will fill) and that the disk has ``need_bytes``
    free, and removes the temporary folders killed runs left there
    (:func:`remove_stale_temporaries`). :func:`export_profile` into the claimed folder (from
    the same thread) uses the claim; release it with :meth:`OutputClaim.release` or a
    ``with`` block.

    Parameters
    ----------
    folder : path-like
        The output folder.
    overwrite : bool, default False
        Whether an earlier urbanrisk output there may be replaced (once the new one is
        complete).
    need_bytes : int, default 0
        Free space needed, e.g. :func:`estimate_output_bytes`.

    Returns
    -------
    OutputClaim

    Raises
    ------
    OutputExistsError
        Another run holds the folder, or it exists and may not be replaced.
    OutputError
        The location is not writable (read-only, no permission) or the disk has less
        than ``need_bytes`` free; the message names the path and the reason.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "helsinki"
    >>> with claim_output_folder(out) as claim:
    ...     claim_output_folder(out)
    Traceback (most recent call last):
    ...
    urbanrisk.errors.OutputExistsError: another urbanrisk run (process ...) is writing to ...
    """
    target = Path(folder).expanduser().resolve()
    _check_target(target, overwrite)  # at once, before waiting on anything
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise output_error(exc, target.parent, action="create") from exc
    claim = OutputClaim(target, overwrite, _Lock(target))
    try:
        _check_target(target, overwrite)  # again, now that no one else can write it
        remove_stale_temporaries(target)
        claim.temporary_folder()  # proves the location writable
        free = shutil.disk_usage(target.parent).free
        if free < need_bytes:
            raise OutputError(
                f"cannot write {target}: the disk has {_size(free)} free and the "
                f"outputs need about {_size(need_bytes)} (a rough estimate: twice "
                "the input files, plus maps and report). Free some space or choose an "
                "output folder on another disk.", errno=errno.ENOSPC, path=str(target))
    except BaseException:
        claim.release()
        raise
    with _HELD_LOCK:
        _HELD[target] = claim
    return claim


def _size(n: int) -> str:
    """Bytes in words: ``_size(48 * 1024)`` → ``'48 KiB'``."""
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:,.0f} {unit}"
    return f"{n} bytes"


def _held_claim(target: Path) -> OutputClaim | None:
    with _HELD_LOCK:
        claim = _HELD.get(target)
    return claim if claim is not None and claim._thread == threading.get_ident() else None


def _translate(exc: OSError, tmp: Path, target: Path) -> BaseException:
    """Turn an OSError met while writing ``tmp`` into an OutputError naming the final path."""
    if isinstance(exc, UrbanRiskError):
        return exc
    name = str(exc.filename or "")
    if name and not name.startswith(str(tmp)):
        return exc  # not an output (an input file read for the manifest): as it is
    where = target / Path(name).relative_to(tmp) if name else target
    return output_error(OSError(exc.errno, exc.strerror or str(exc)), where)


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
        The folder exists and ``overwrite`` is false, or it was not written by urbanrisk,
        or another run is writing to it.
    OutputError
        The folder cannot be written (read-only, full, no permission, file too large);
        nothing is left under its name, and an earlier output replaced with ``overwrite``
        is kept.

    Notes
    -----
    The folder is claimed with :func:`claim_output_folder` unless this thread holds a claim
    on it already (as ``urbanrisk profile`` does from before the run).
    """
    profile._require_run()
    t0 = time.perf_counter()
    target = Path(folder).expanduser().resolve()
    claim = _held_claim(target)
    owned = claim is None
    if claim is None:
        claim = claim_output_folder(target, overwrite=overwrite,
                                    need_bytes=estimate_output_bytes(profile.config))
    else:
        _check_target(target, overwrite)
    out_cfg = profile.config.section("output")
    tmp = target
    try:
        tmp = claim.temporary_folder()
        _write_outputs(profile, tmp, out_cfg, progress, t0)
        claim.commit(tmp)
        (target / OWNER_NAME).unlink(missing_ok=True)
    except OSError as exc:
        raise _translate(exc, tmp, target) from exc
    finally:
        if owned:
            claim.release()
    logger.info("%s: profile written to %s", profile.city, target)
    return target


def _write_outputs(profile: CityProfile, tmp: Path, out_cfg: Mapping[str, Any],
                   progress: bool, t0: float) -> None:
    """Write every output file into the temporary folder ``tmp``; removed on any error."""
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
        write_reporting(profile.tables, tmp, city=profile.city)
        figures: list[ReportMap] = []
        failed_maps: list[tuple[str, str]] = []
        for spec in specs:
            try:
                fig = spec.draw()
            except Exception as exc:  # a map failing must not lose the other outputs
                if interrupted(exc):  # Ctrl-C inside compiled code: not the map's fault
                    raise
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
            for p in sorted(tmp.rglob("*")) if p.is_file() and p.name != OWNER_NAME
        }
        manifest["export_seconds"] = round(time.perf_counter() - t0, 3)
        with atomic_path(_inside(tmp, MANIFEST_NAME)) as p:
            p.write_text(json.dumps(manifest, indent=1, default=str), encoding="utf-8")
        bar.update(1)
        bar.close()
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


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
        where_to_act=_where_to_act(profile),
        where_to_act_map="flood_ead_by_district",
        reporting={fw: (sheet_titles(fw), sheet)
                   for fw, sheet in reporting_sheets(profile.tables).items()},
    )


def _where_to_act(profile: CityProfile) -> pd.DataFrame | None:
    """One row per district from the per-district results, ranked by flood damage.

    Plain gathering of what the analyses wrote (no new numbers): expected annual damage,
    residents in flooded areas of the return period the report shows (100 years when
    mapped), residents in heat hot spots and the share near green space.
    """
    tables, vectors = profile.tables, profile.vectors
    name_col = profile.config.section("columns")["district_name"]
    cols: dict[str, pd.Series] = {}
    dmg = vectors.get("flood_damage_by_district")
    if dmg is not None and "ead" in dmg.columns and name_col in dmg.columns:
        cols["Expected annual flood damage (EUR/yr)"] = (
            dmg.set_index(dmg[name_col].astype(str))["ead"].astype(float))
    people = tables.get("flood_people_by_district")
    if people is not None and len(people):
        rps = sorted(people["return_period"].dropna().unique())
        rp = 100 if 100 in rps else (rps[-1] if rps else None)
        wet = people[(people["return_period"] == rp) & people["class_lower"].notna()
                     & (people["class_lower"] >= 0)] if rp is not None else people.iloc[:0]
        if len(wet):
            cols[f"Residents in flooded areas, {int(rp)}-year flood"] = (
                wet.groupby(wet["zone"].astype(str))["people"].sum())
    heat = tables.get("heat_people_by_district")
    if heat is not None and "people_in_hot_spots" in heat.columns:
        cols["Residents in heat hot spots"] = (
            heat.set_index(heat["zone"].astype(str))["people_in_hot_spots"].astype(float))
    green = tables.get("green_access_by_district")
    if green is not None and "share_with_access" in green.columns:
        cols["Residents near green space (%)"] = (
            100.0 * green.set_index(green["zone"].astype(str))["share_with_access"])
    if not cols:
        return None
    frame = pd.DataFrame(cols)
    frame = frame.sort_values(list(frame.columns[:2]), ascending=False, na_position="last")
    return frame.rename_axis("District").reset_index()


def _swap(tmp: Path, target: Path) -> None:
    """Rename ``tmp`` to ``target``, replacing an earlier export."""
    old = None
    if target.exists():
        old = target.parent / f".~{target.name}.old.{uuid.uuid4().hex[:8]}"
        _write_owner(target)  # so a run killed before the end puts it back
        os.replace(target, old)
    try:
        os.replace(tmp, target)
    except BaseException:
        if old is not None:
            os.replace(old, target)
            (target / OWNER_NAME).unlink(missing_ok=True)
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
        **_credits(cfg),
        "analyses": profile.status().to_dict(orient="records"),
    }


#: File that ``urbanrisk fetch`` writes beside the layers: where each comes from.
PROVENANCE_NAME = "provenance.json"
_CREDIT_FIELDS = ("product", "source", "version", "accessed", "licence", "credit", "url",
                  "notes")


def _credits(cfg: Any) -> dict[str, Any]:
    """Collect the data credits of the input layers, for the manifest and the report.

    A layer's record is the :class:`~urbanrisk.sources.Provenance` of its file in the
    ``provenance.json`` beside it (as ``urbanrisk fetch`` writes them, matched by the
    file's name or GeoPackage layer), else the ``licence``/``credit`` tags of a raster file
    (or the attrs of a layer given in memory). Returns ``credits`` (one row per layer file
    with a known source), ``data_credits`` (one line per source, for the report) and
    ``credits_missing`` (layers whose source is not recorded).
    """
    rows: list[dict[str, Any]] = []
    missing: list[str] = []
    beside: dict[Path, dict[str, Provenance]] = {}
    for name, src in cfg.layers.items():
        if src.data is not None:
            found = _from_tags(getattr(src.data, "attrs", {}) or {})
            if found:
                rows.append({"layer": name, "file": None, **found,
                             "recorded_in": "layer attributes"})
            else:
                missing.append(name)
            continue
        for path in src.files():
            path = Path(path)
            if path.parent not in beside:
                beside[path.parent] = _read_beside(path.parent / PROVENANCE_NAME)
            records = beside[path.parent]
            rec = records.get(src.layer or path.stem) or records.get(path.stem)
            if rec is not None:
                rows.append({"layer": name, "file": path.name,
                             **{k: getattr(rec, k) for k in _CREDIT_FIELDS},
                             "items": list(rec.items),
                             "recorded_in": str(path.parent / PROVENANCE_NAME)})
                continue
            found = _from_tags(_raster_tags(path))
            if found:
                rows.append({"layer": name, "file": path.name, **found,
                             "recorded_in": "file tags"})
            elif name not in missing:
                missing.append(name)
    return {"credits": rows, "data_credits": _credit_lines(rows),
            "credits_missing": sorted(missing)}


def _read_beside(path: Path) -> dict[str, Provenance]:
    if not path.is_file():
        return {}
    try:
        return {r.layer: r for r in read_provenance(path)}
    except (OSError, ValueError, TypeError, KeyError) as exc:
        logger.warning("%s is unreadable (%s); the layers beside it are credited from their "
                       "tags only", path, exc)
        return {}


def _raster_tags(path: Path) -> Mapping[str, Any]:
    if path.suffix.lower() not in (".tif", ".tiff", ".vrt", ".nc", ".img", ".asc"):
        return {}
    try:
        with rasterio.open(path) as ds:
            return ds.tags()
    except rasterio.errors.RasterioError:
        return {}


def _from_tags(tags: Mapping[str, Any]) -> dict[str, Any]:
    """Credit fields from a raster's tags (``source``, ``licence`` ...); {} when none is stated."""
    licence = tags.get("licence") or tags.get("license")
    if not (licence or tags.get("credit")):
        return {}
    found = {k: str(tags.get(k, "")) for k in _CREDIT_FIELDS}
    found["licence"] = str(licence or "")
    return {**found, "items": []}


def _credit_lines(rows: list[dict[str, Any]]) -> list[str]:
    """One line per source: credit and licence, then the layers, source, version, access date.

    Examples
    --------
    >>> row = {"credit": "© OpenStreetMap contributors", "licence": "ODbL 1.0",
    ...        "source": "OpenStreetMap extract Helsinki.osm.pbf", "version": "sha256:1a2b",
    ...        "accessed": "2026-12-04"}
    >>> _credit_lines([{**row, "layer": "buildings"}, {**row, "layer": "roads"}])
    ['© OpenStreetMap contributors (ODbL 1.0) — buildings, roads: OpenStreetMap extract \
Helsinki.osm.pbf, version sha256:1a2b, accessed 2026-12-04']
    """
    groups: dict[tuple[str, ...], list[str]] = {}
    for r in rows:
        key = tuple(str(r.get(k) or "") for k in ("credit", "licence", "source", "version",
                                                   "accessed"))
        layers = groups.setdefault(key, [])
        if r["layer"] not in layers:
            layers.append(r["layer"])
    lines = []
    for (credit, licence, source, version, accessed), layers in groups.items():
        head = credit or source
        head += f" ({licence})" if licence else " (licence not stated)"
        tail = ", ".join(part for part in (
            source if credit else "", f"version {version}" if version else "",
            f"accessed {accessed}" if accessed else "") if part)
        lines.append(f"{head} — {', '.join(layers)}" + (f": {tail}" if tail else ""))
    return lines
