"""The city risk profile: run the analyses a configuration asks for and keep the results.

:class:`CityProfile` holds no analysis of its own: each step in
:mod:`urbanrisk.profile.steps` calls the public functions of :mod:`urbanrisk.hazard`,
:mod:`urbanrisk.green` and :mod:`urbanrisk.coast`, and turns their results into indicator
rows (through the registry), layers to export, maps and method notes. An analysis whose
layers are missing, or whose functions are not available in this version of urbanrisk, is
skipped and the reason is kept; an analysis that fails is recorded as failed with its
error message, and the others still run.

:func:`run_profile` is the plain, picklable per-city entry point (used by
:mod:`urbanrisk.study` on dask workers): config in, exported folder and indicator table out.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> parks = gpd.GeoDataFrame(geometry=[box(0, 0, 100, 100)], crs=3067)
>>> p = CityProfile.from_layers("Tiny", layers={"green": parks}, green={"run": False})
>>> p.run(progress=False).status()["analysis"].tolist()
['hazard', 'heat', 'green', 'coast', 'shoreline', 'adapt']
>>> p.status()["status"].tolist()
['skipped', 'skipped', 'skipped', 'skipped', 'skipped', 'skipped']
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import xarray as xr

from urbanrisk._progress import tqdm
from urbanrisk.errors import ConfigError
from urbanrisk.maps import explore as explore_map
from urbanrisk.profile import steps
from urbanrisk.profile.config import (
    ANALYSES,
    RASTER_LAYERS,
    RASTER_UNITS,
    LayerSource,
    ProfileConfig,
    config_from_dict,
    layer_units,
    load_config,
)
from urbanrisk.profile.export import check_output_folder, export_profile
from urbanrisk.profile.indicators import indicator_table
from urbanrisk.profile.results import (
    AnalysisResult,
    AnalysisUnavailable,
    MapSpec,
    interrupted,
)

__all__ = [
    "AnalysisResult",
    "MapSpec",
    "CityProfile",
    "AnalysisUnavailable",
    "load_layers",
    "run_profile",
]

logger = logging.getLogger(__name__)


def load_layers(config: ProfileConfig) -> dict[str, gpd.GeoDataFrame | xr.DataArray]:
    """Read every layer the configuration names, through the input contract.

    Every raster goes through :func:`urbanrisk.layers.prepare_raster`: the declared nodata
    (and the layer's ``nodata`` key) masked, a rotated grid warped with ``warp = true``
    (refused otherwise), a CRS not in metres reprojected to the local UTM zone, and the
    values converted to the units the analyses compute in (:data:`RASTER_UNITS`: flood
    depth and DEM in metres, land surface temperature in degC, population in people),
    from the file's units tag or the layer's ``units`` key. A flood depth given as one
    file per return period is stacked along a ``return_period`` dimension (the files
    must share one grid). Vector layers in a CRS not in metres are reprojected to the
    local UTM zone. With ``[compute] chunk_cells`` set, rasters are read as dask arrays
    in chunks of that many cells per side.

    Parameters
    ----------
    config : ProfileConfig
        Checked configuration.

    Returns
    -------
    dict
        Layer name → GeoDataFrame or DataArray.

    Raises
    ------
    UrbanRiskError
        The contract's error for a layer it refuses, its message starting with the
        layer's key (``layers.population: ...``) and naming the key to set.
    """
    cells = int(config.section("compute")["chunk_cells"])
    chunks = {"x": cells, "y": cells} if cells else None
    out: dict[str, gpd.GeoDataFrame | xr.DataArray] = {}
    for name, src in config.layers.items():
        out[name] = _read_layer(name, src, chunks)
    return out


def _read_layer(name: str, src: LayerSource, chunks):
    from urbanrisk.layers import read_vector, require_projected

    if name in RASTER_LAYERS:
        if src.data is not None:
            return _prepare_raster_layer(name, src, src.data, where=f"layers.{name}")
        if src.paths_by_return_period:
            return _read_by_return_period(name, src, chunks)
        return _read_raster_file(name, src, src.path, chunks, where=f"layers.{name}")
    if src.data is not None:
        gdf = src.data
    else:
        layer = src.layer
        if layer is None and src.path is not None and src.path.suffix.lower() == ".gpkg":
            import pyogrio

            names = [n for n, _ in pyogrio.list_layers(src.path)]
            layer = name if name in names else None
        gdf = read_vector(src.path, layer=layer)
    with _naming(f"layers.{name}"):
        return require_projected(gdf, name=f"layers.{name}")


def _read_raster_file(name: str, src: LayerSource, path: Path, chunks, *, where: str):
    from urbanrisk.layers import read_raster

    with _naming(where):
        da = read_raster(path, name=name, chunks=chunks, warp=src.warp)
    return _prepare_raster_layer(name, src, da, where=where, path=path)


def _read_by_return_period(name: str, src: LayerSource, chunks) -> xr.DataArray:
    from urbanrisk.layers import require_same_grid

    rps = list(src.paths_by_return_period)
    parts = [
        _read_raster_file(name, src, p, chunks, where=f"layers.{name}.{rp}")
        for rp, p in src.paths_by_return_period.items()
    ]
    for rp, part in zip(rps[1:], parts[1:], strict=True):
        with _naming(f"layers.{name}.{rp}"):
            require_same_grid(parts[0], part, names=(f"layers.{name}.{rps[0]}",
                                                     f"layers.{name}.{rp}"))
    # same grid checked: the coordinates of the first file stand for all (no outer join)
    da = xr.concat(parts, dim=pd.Index(rps, name="return_period"), join="override",
                   combine_attrs="override")
    da.attrs = dict(parts[0].attrs)
    da.name = name
    return da.rio.write_crs(parts[0].rio.crs)


def _prepare_raster_layer(name: str, src: LayerSource, da: xr.DataArray, *, where: str,
                          path: Path | None = None) -> xr.DataArray:
    """Units from the file's tag or the ``units`` key, then the input contract."""
    import numpy as np

    from urbanrisk.errors import UnitsError
    from urbanrisk.layers import prepare_raster, require_class_codes

    if not isinstance(da, xr.DataArray):
        raise ConfigError([f"{where}: expected a DataArray, got {type(da).__name__}"])
    units, problem = layer_units(name, da.attrs.get("units"), src.units,
                                 in_memory=src.data is not None)
    if problem:
        file = f"{path.name} " if path is not None and problem.startswith(("has ", "is ")) \
            else ""
        raise UnitsError(f"{where}: {file}{problem}")
    if src.nodata is not None:
        # declared like a file's own nodata, so the contract masks it (NaN from here on)
        da = da.rio.write_nodata(src.nodata, encoded=False)
    dims = ("return_period", "band") if name == "flood_depth" else ()
    if "return_period" in da.dims:
        da = da.assign_coords(return_period=da["return_period"].astype(int))
    with _naming(where):
        da = prepare_raster(da, name=name, units=units if "units" not in da.attrs else None,
                            to_units=RASTER_UNITS[name], allowed_dims=dims, warp=src.warp)
        if name == "landcover":
            require_class_codes(da, name=where)
    if name == "landcover":
        units = da.attrs.get("units", "class")
        attrs = dict(da.attrs)
        da = da.fillna(0).astype(np.int32)
        da.attrs = attrs
        da.attrs["units"] = units
    return da


@contextlib.contextmanager
def _naming(where: str):
    """Re-raise the contract's errors with the layer's config key in front."""
    from urbanrisk.errors import UrbanRiskError

    try:
        yield
    except ConfigError:
        raise
    except UrbanRiskError as exc:
        msg = str(exc)
        if msg.startswith(where):
            raise
        if "rotated" in msg:
            table = ".".join(where.split(".")[:2])  # layers.flood_depth.10 -> its table
            msg += f" In the city TOML: [{table}] warp = true."
        raise type(exc)(f"{where}: {msg}") from exc


class CityProfile:
    """Runs the analyses of one city and keeps every result.

    Parameters
    ----------
    config : ProfileConfig
        A checked configuration (:func:`~urbanrisk.profile.load_config`,
        :func:`~urbanrisk.profile.config_from_dict`, :meth:`from_layers`).

    Attributes
    ----------
    config : ProfileConfig
        The configuration.
    layers : dict
        The input layers, once :meth:`run` has read them.
    results : dict of str to AnalysisResult
        One entry per analysis (hazard, heat, green, coast, shoreline, adapt), in that order.
    """

    def __init__(self, config: ProfileConfig) -> None:
        if not isinstance(config, ProfileConfig):
            raise ConfigError(
                [f"CityProfile needs a ProfileConfig, got {type(config).__name__}; use "
                 "load_config(path) or config_from_dict(mapping)"]
            )
        self.config = config
        self.layers: dict[str, Any] = {}
        self.results: dict[str, AnalysisResult] = {}
        self.started: float | None = None
        self.seconds: float = 0.0

    @property
    def city(self) -> str:
        """City name."""
        return self.config.city

    @classmethod
    def from_toml(cls, path: str | os.PathLike) -> CityProfile:
        """Make a profile from a city TOML file (checked in full first)."""
        return cls(load_config(path))

    @classmethod
    def from_layers(
        cls,
        city: str,
        *,
        layers: Mapping[str, Any],
        credit: str = "",
        **sections: Mapping[str, Any],
    ) -> CityProfile:
        """Make a profile from layers already loaded in Python.

        Parameters
        ----------
        city : str
            City name.
        layers : mapping
            Layer name (see ``docs/config.md``) → GeoDataFrame, DataArray or file path.
        credit : str, optional
            Data credit for maps and the report.
        **sections : mapping
            Parameters per section, e.g. ``green={"dispersal_distance_m": 800}``.

        Returns
        -------
        CityProfile
        """
        data = {"city": {"name": city, "credit": credit}, "layers": dict(layers), **sections}
        return cls(config_from_dict(data))

    # ----------------------------------------------------------------------------------
    def run(self, *, progress: bool = True) -> CityProfile:
        """Read the layers and run every analysis the configuration asks for.

        Parameters
        ----------
        progress : bool, default True
            Show one progress bar per analysis (tqdm, on stderr).

        Returns
        -------
        CityProfile
            ``self``, with :attr:`results` filled.
        """
        t0 = time.perf_counter()
        self.started = time.time()
        self.layers = load_layers(self.config)
        self.results = {}
        context = steps.Context(self.config, self.layers, self.results)
        for name in ANALYSES:
            res = AnalysisResult(name)
            self.results[name] = res
            if not self.config.wants(name):
                res.reason = self._why_not(name)
                logger.info("%s: %s skipped (%s)", self.city, name, res.reason)
                continue
            step = getattr(steps, f"run_{name}")
            bar = _bar(f"{self.city}: {name}", steps.STEP_COUNTS.get(name, 1), progress)
            s0 = time.perf_counter()
            try:
                step(context, res, bar.update)
                res.status = "done"
            except AnalysisUnavailable as exc:
                res.status, res.reason = "skipped", str(exc)
                logger.warning("%s: %s skipped: %s", self.city, name, exc)
            except Exception as exc:  # recorded, shown in the report; others still run
                if interrupted(exc):  # Ctrl-C inside compiled code: stop, not "failed"
                    raise KeyboardInterrupt from exc
                res.status = "failed"
                res.reason = f"{type(exc).__name__}: {exc}"
                res.rows, res.maps = [], []
                logger.warning("%s: %s failed: %s", self.city, name, res.reason,
                               exc_info=logger.isEnabledFor(logging.DEBUG))
            finally:
                res.seconds = time.perf_counter() - s0
                bar.close()
        self.seconds = time.perf_counter() - t0
        return self

    def _why_not(self, name: str) -> str:
        sec = self.config.section(name)
        if not sec.get("auto", False):
            return "disabled in the configuration (run = false)"
        needed = ANALYSES[name]
        if name == "green":
            needed = ("landcover",) if sec["habitat_classes"] is not None else ("green",)
        if name == "shoreline" and "transects" in self.config.layers:
            needed = ("shorelines",)
        missing = [n for n in needed if n not in self.config.layers]
        if name == "adapt" and not missing and not sec["return_periods"]:
            return ("no extreme still-water levels: set adapt.return_periods and "
                    "adapt.extreme_levels_m")
        return f"layers not given: {', '.join(missing)}"

    def _require_run(self) -> None:
        if not self.results:
            raise ConfigError(["the profile has not been run yet; call profile.run() first"])

    # ----------------------------------------------------------------------------------
    @property
    def indicators(self) -> pd.DataFrame:
        """The tidy indicator table (same columns for every city)."""
        self._require_run()
        return indicator_table(r for res in self.results.values() for r in res.rows)

    @property
    def vectors(self) -> dict[str, gpd.GeoDataFrame]:
        """Every vector result, by layer name."""
        return {k: v for res in self.results.values() for k, v in res.vectors.items()}

    @property
    def rasters(self) -> dict[str, xr.DataArray]:
        """Every raster result, by name."""
        return {k: v for res in self.results.values() for k, v in res.rasters.items()}

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table result (damage per district, asset timeline...), by name."""
        return {k: v for res in self.results.values() for k, v in res.tables.items()}

    def status(self) -> pd.DataFrame:
        """One row per analysis: status (done, skipped, failed), reason and seconds.

        The reason of a skipped or failed analysis says why; that of a done analysis, when
        not empty, what it left out for want of data (``"without ..."``): it ran partly.
        """
        self._require_run()
        return pd.DataFrame(
            [
                {"analysis": r.name, "status": r.status, "reason": r.reason,
                 "seconds": round(r.seconds, 2)}
                for r in self.results.values()
            ]
        )

    def outcome(self) -> str:
        """Whether everything asked for was computed.

        Returns
        -------
        str
            ``"failed"`` when an analysis failed; ``"nothing"`` when no analysis ran (no
            layers for any, or every one skipped); ``"partial"`` when an analysis the
            configuration asks for (its layers given, or ``run = true``) was skipped or ran
            partly (a ``done`` analysis whose ``reason`` says what it left out, e.g.
            ``"without people exposed (no `population` layer)"``); else ``"complete"``.
            Analyses switched off with ``run = false`` or without any of their layers are
            not asked for. The command line turns these into its exit codes.

        Examples
        --------
        >>> import geopandas as gpd
        >>> from shapely.geometry import box
        >>> parks = gpd.GeoDataFrame(geometry=[box(0, 0, 100, 100)], crs=3067)
        >>> CityProfile.from_layers("Tiny", layers={"green": parks},
        ...                         green={"run": False}).run(progress=False).outcome()
        'nothing'
        """
        self._require_run()
        results = list(self.results.values())
        if any(r.status == "failed" for r in results):
            return "failed"
        if not any(r.status == "done" for r in results):
            return "nothing"
        asked = [r for r in results if self.config.wants(r.name)]
        if any(r.status != "done" or r.reason for r in asked):
            return "partial"
        return "complete"

    def map_specs(self) -> list[MapSpec]:
        """Return the maps of the profile, to draw with ``spec.draw()``."""
        return [m for res in self.results.values() for m in res.maps]

    def maps(self) -> dict[str, Any]:
        """Draw every map; map name → :class:`matplotlib.figure.Figure`."""
        return {m.name: m.draw() for m in self.map_specs()}

    def explore(self, layer: str, *, column: str | None = None, tiles: str | None = None,
                **kwargs: Any) -> Any:
        """Interactive folium map of one result or input layer (offline with ``tiles=None``)."""
        pool = {**self.layers, **self.vectors, **self.rasters}
        if layer not in pool:
            raise ConfigError([f"no layer {layer!r}; available: {', '.join(sorted(pool))}"])
        return explore_map(pool[layer], column=column, tiles=tiles, **kwargs)

    def export(self, folder: str | os.PathLike, *, overwrite: bool = False,
               progress: bool = False) -> Path:
        """Write every output to ``folder``.

        See :func:`urbanrisk.profile.export.export_profile`.
        """
        return export_profile(self, folder, overwrite=overwrite, progress=progress)

    def __repr__(self) -> str:
        done = [n for n, r in self.results.items() if r.status == "done"]
        return f"CityProfile({self.city!r}; done: {', '.join(done) or 'not run'})"


def _bar(desc: str, total: int, enabled: bool):
    return tqdm(total=total, desc=desc, disable=not enabled, leave=True, unit="step")


def run_profile(
    config: ProfileConfig | Mapping[str, Any] | str | os.PathLike,
    out: str | os.PathLike | None = None,
    *,
    overwrite: bool = False,
    progress: bool = False,
    base_dir: str | os.PathLike | None = None,
) -> pd.DataFrame:
    """Run one city's profile and export it: the plain per-city entry point.

    A top-level function of picklable arguments, so :mod:`dask.distributed` workers can
    run it.

    Parameters
    ----------
    config : ProfileConfig, mapping or path
        The city (a TOML path, a parsed mapping, or a checked config).
    out : path-like, optional
        Output folder; nothing is written when omitted.
    overwrite : bool, default False
        Replace an existing output folder written by urbanrisk.
    progress : bool, default False
        Show progress bars.
    base_dir : path-like, optional
        Folder relative paths of a mapping start from.

    Returns
    -------
    pandas.DataFrame
        The indicator table.
    """
    if isinstance(config, ProfileConfig):
        cfg = config
    elif isinstance(config, Mapping):
        cfg = config_from_dict(config, base_dir=base_dir)
    else:
        cfg = load_config(config)
    if out is not None:
        check_output_folder(out, overwrite=overwrite)
    profile = CityProfile(cfg).run(progress=progress)
    if out is not None:
        profile.export(out, overwrite=overwrite, progress=progress)
    return profile.indicators
