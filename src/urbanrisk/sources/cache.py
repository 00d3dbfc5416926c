"""A disk cache of fetched layers, keyed by product, version and bounding box.

Each entry is a folder ``<root>/<product>/<version>/<bbox>-<grid>/`` holding the layer
files and ``entry.json``: the key, the SHA-256 of every file and the layer's
:class:`~urbanrisk.sources.provenance.Provenance`. An entry is used only when every
checksum matches; a damaged entry is fetched again (or, offline, refused). Re-runs and the
cities of a study reuse the entries, so a layer is downloaded once.

Examples
--------
>>> import tempfile, pathlib
>>> from urbanrisk.sources.provenance import Provenance
>>> cache = Cache(pathlib.Path(tempfile.mkdtemp()))
>>> key = CacheKey("esa-worldcover", "v200", (24.93, 60.165, 24.955, 60.175), "EPSG:32635 10m")
>>> cache.get(key) is None
True
>>> def write(folder):
...     _ = (folder / "landcover.tif").write_bytes(b"not really a tif")
>>> prov = Provenance("landcover", "esa-worldcover", "ESA", "v200", "2026-12-04",
...                   "CC BY 4.0", "ESA WorldCover")
>>> entry = cache.put(key, write, prov)
>>> [p.name for p in cache.get(key).files], cache.get(key).provenance.version
(['landcover.tif'], 'v200')
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from urbanrisk.errors import SourceUnavailableError
from urbanrisk.sources.area import BBox, bbox_key
from urbanrisk.sources.provenance import Provenance

__all__ = ["Cache", "CacheKey", "CacheEntry", "sha256_of", "default_cache_dir"]

logger = logging.getLogger(__name__)


def default_cache_dir() -> Path:
    """``$URBANRISK_CACHE``, else ``$XDG_CACHE_HOME/urbanrisk``, else ``~/.cache/urbanrisk``."""
    env = os.environ.get("URBANRISK_CACHE")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "urbanrisk"


def sha256_of(path: str | os.PathLike, *, block: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(block):
            h.update(chunk)
    return h.hexdigest()


def _safe(part: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in part) or "-"


@dataclass(frozen=True)
class CacheKey:
    """What identifies a cached layer.

    Attributes
    ----------
    product : str
        Product key (``"esa-worldcover"``, ``"osm"``).
    version : str
        Product version, or for OSM the checksum of the extract.
    bbox : tuple of 4 floats
        The WGS 84 box the layer was fetched for.
    grid : str
        Everything else the content depends on (target CRS and cell size, date range).
    """

    product: str
    version: str
    bbox: BBox
    grid: str = ""

    def folder(self) -> Path:
        """Relative folder of the entry."""
        digest = hashlib.sha256(self.grid.encode()).hexdigest()[:10]
        return Path(_safe(self.product)) / _safe(self.version) / (
            f"{bbox_key(self.bbox)}-{digest}")

    def to_dict(self) -> dict:
        """Plain mapping for ``entry.json``."""
        return {"product": self.product, "version": self.version, "bbox": list(self.bbox),
                "grid": self.grid}


@dataclass(frozen=True)
class CacheEntry:
    """A verified cache entry: its files and the provenance of the layer."""

    folder: Path
    files: list[Path]
    provenance: Provenance


class Cache:
    """Cached layers on disk, verified by SHA-256 checksums.

    Parameters
    ----------
    root : str or path-like, optional
        Folder of the cache; default :func:`default_cache_dir`.
    offline : bool, default False
        Use only what is cached: :meth:`require` raises
        :class:`~urbanrisk.errors.SourceUnavailableError`
        for a missing entry instead of letting the caller fetch it.
    """

    def __init__(self, root: str | os.PathLike | None = None, *, offline: bool = False):
        self.root = Path(root) if root is not None else default_cache_dir()
        self.offline = offline

    def __repr__(self) -> str:
        return f"Cache({str(self.root)!r}, offline={self.offline})"

    def get(self, key: CacheKey) -> CacheEntry | None:
        """Return the entry of ``key`` if present and every checksum matches, else ``None``."""
        folder = self.root / key.folder()
        meta = folder / "entry.json"
        if not meta.is_file():
            return None
        try:
            data = json.loads(meta.read_text(encoding="utf-8"))
            files = []
            for name, digest in data["sha256"].items():
                p = folder / name
                if not p.is_file() or sha256_of(p) != digest:
                    logger.warning("cache entry %s: %s is missing or damaged (checksum); it "
                                   "will be fetched again", folder, name)
                    return None
                files.append(p)
            return CacheEntry(folder, files, Provenance.from_dict(data["provenance"]))
        except (KeyError, TypeError, ValueError) as exc:
            logger.warning("cache entry %s is unreadable (%s); it will be fetched again",
                           folder, exc)
            return None

    def require(self, key: CacheKey) -> CacheEntry | None:
        """Like :meth:`get`, but offline a missing entry raises.

        Raises
        ------
        SourceUnavailableError
            Offline, when ``key`` is not cached (or its checksums do not match).
        """
        entry = self.get(key)
        if entry is None and self.offline:
            raise SourceUnavailableError(
                f"{key.product} {key.version} for bbox {bbox_key(key.bbox)} is not in the "
                f"cache {self.root} (or its checksum does not match) and offline mode reads "
                "only the cache; run once without --offline (offline=False) to fetch it")
        return entry

    def put(
        self, key: CacheKey, write: Callable[[Path], None], provenance: Provenance
    ) -> CacheEntry:
        """Store a layer: ``write(folder)`` writes its files into a fresh folder.

        The folder is filled beside the cache and renamed into place, so an interrupted
        fetch leaves no half entry; checksums are computed from the written files. Several
        processes may share a cache (the workers of a study): when another one stored a
        valid entry for ``key`` meanwhile, that entry is kept and returned; a damaged one
        is replaced.
        """
        target = self.root / key.folder()
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".~entry.", dir=target.parent))
        try:
            write(tmp)
            sums = {p.name: sha256_of(p) for p in sorted(tmp.iterdir()) if p.is_file()}
            meta = {"key": key.to_dict(), "sha256": sums, "provenance": provenance.to_dict()}
            (tmp / "entry.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False),
                                            encoding="utf-8")
            if target.exists():
                stored = self.get(key)
                if stored is not None:  # another process stored it meanwhile: keep theirs
                    return stored
                shutil.rmtree(target, ignore_errors=True)
            try:
                os.replace(tmp, target)
            except OSError:  # another process renamed its entry into place first
                stored = self.get(key)
                if stored is None:
                    raise
                return stored
        finally:
            if tmp.exists():
                shutil.rmtree(tmp)
        entry = self.get(key)
        assert entry is not None
        return entry
