"""The exception hierarchy of urbanrisk.

Every error the library raises on purpose derives from :class:`UrbanRiskError`, so a
notebook or a batch script can catch them all with one ``except``. Each message says what
was wrong *and* what to do about it. Where a standard Python exception already names the
category (``ValueError``, ``FileExistsError``), the urbanrisk class derives from it too, so
code written against the standard type keeps working.

Examples
--------
>>> from urbanrisk.errors import CRSMismatchError, UrbanRiskError
>>> issubclass(CRSMismatchError, UrbanRiskError)
True
"""

from __future__ import annotations

__all__ = [
    "UrbanRiskError",
    "CRSError",
    "MissingCRSError",
    "CRSMismatchError",
    "GeographicCRSError",
    "NoOverlapError",
    "EmptyLayerError",
    "InvalidGeometryError",
    "UnitsError",
    "DimensionError",
    "GridError",
    "InputValueError",
    "OutputExistsError",
    "OutputError",
    "SchedulerError",
    "ConfigError",
    "InsufficientMemoryError",
    "SourceUnavailableError",
]


class UrbanRiskError(Exception):
    """Base class of every error urbanrisk raises on purpose."""


class CRSError(UrbanRiskError, ValueError):
    """A problem with a layer's coordinate reference system."""


class MissingCRSError(CRSError):
    """A layer has no CRS; set one with ``.set_crs()`` or ``.rio.write_crs()``."""


class CRSMismatchError(CRSError):
    """Two layers that must share a CRS do not; the message names both CRSs."""


class GeographicCRSError(CRSError):
    """Metres are needed but the layer is in degrees (or in Web Mercator)."""


class NoOverlapError(UrbanRiskError, ValueError):
    """Two layers that must overlap do not; the message gives both extents."""


class EmptyLayerError(UrbanRiskError, ValueError):
    """A layer has no features, or a raster holds nodata everywhere."""


class InvalidGeometryError(UrbanRiskError, ValueError):
    """A vector layer holds invalid or empty geometries; the message lists them."""


class UnitsError(UrbanRiskError, ValueError):
    """Units are missing from ``attrs["units"]`` or are not the ones required."""


class DimensionError(UrbanRiskError, ValueError):
    """An array lacks a required dimension or has one it should not."""


class GridError(UrbanRiskError, ValueError):
    """A raster's grid cannot be used as it is (rotated, irregular, or not the grid required).

    Rotated or sheared transforms, coordinates that are irregular or repeat, and two rasters
    that must share a grid but do not (CRS, transform or shape).
    """


class InputValueError(UrbanRiskError, ValueError):
    """A parameter or data value is outside what the method accepts."""


class OutputExistsError(UrbanRiskError, FileExistsError):
    """An output file or folder already exists and ``overwrite=True`` was not given."""


class OutputError(UrbanRiskError, OSError):
    """The output location cannot be written: full, read-only, no permission, file too large.

    The message names the path and the reason in plain words; :attr:`errno` holds the
    operating system's error number (``errno.ENOSPC`` ...) when it is known, and
    :attr:`path` the file or folder that could not be written. Nothing half-written is left
    under the output's final name.

    Examples
    --------
    >>> import errno
    >>> exc = OutputError("cannot write /data/out: the disk is full", errno=errno.ENOSPC,
    ...                   path="/data/out")
    >>> isinstance(exc, OSError), exc.errno == errno.ENOSPC, str(exc)
    (True, True, 'cannot write /data/out: the disk is full')
    """

    def __init__(self, message: str, *, errno: int | None = None,
                 path: str | None = None) -> None:
        super().__init__(message)
        self.errno = errno
        self.path = path


class SchedulerError(UrbanRiskError, ConnectionError):
    """The dask scheduler of a study cannot be reached (address, port, firewall, not running)."""


class ConfigError(UrbanRiskError, ValueError):
    """A configuration file has problems; the message lists every one of them."""

    def __init__(self, problems: list[str] | str, source: str | None = None) -> None:
        if isinstance(problems, str):
            problems = [problems]
        self.problems = list(problems)
        self.source = source
        where = f" in {source}" if source else ""
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s){where}:\n{lines}")


class InsufficientMemoryError(UrbanRiskError, MemoryError):
    """An operation that needs a whole array in memory would not fit."""


class SourceUnavailableError(UrbanRiskError, RuntimeError):
    """Open data a city needs cannot be had: not cached and offline, or no source serves it.

    Raised by :mod:`urbanrisk.sources` (``urbanrisk fetch``): a layer missing from the cache
    in offline mode, a product no catalogue serves, no item covering the box, a place never
    geocoded. The message names the layer or product and what to do (run once online, pass
    a catalogue).
    """
