"""Buildings in the coastal flood: footprint coverage once, depths for every water level.

:func:`building_cells` computes the exact cell coverage of every footprint on the DEM grid
once (the clipping of :func:`urbanrisk.hazard.polygon_exposure`) and keeps, for each
covered cell, its height, its connection level and its distance from the sea.
:func:`building_depths` then gives the footprint depth statistics for any number of water
levels (scenario × quantile × year × return period) without drawing a single depth map:
the connected depth of a cell is ``L − height`` where ``connection_level <= L``
(:func:`urbanrisk.coast.inundation_depth`), evaluated only on the covered cells.

The statistics are those of :func:`urbanrisk.hazard.flood_building_exposure` — maximum
depth, coverage-weighted mean depth, mean depth over the wet part and wet share of the
footprint — with cells not connected to the sea dry (depth 0), and they equal, bit for bit,
:func:`~urbanrisk.hazard.polygon_exposure` of :func:`~urbanrisk.coast.inundation_depth`
map by map (``nodata_as=0``; checked by the tests and ``benchmarks/bench_adapt.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import xarray as xr

from urbanrisk.adapt import _kernels
from urbanrisk.adapt.levels import distance_from_sea_m
from urbanrisk.errors import InputValueError
from urbanrisk.hazard._grid import grid_of, polygon_coverage
from urbanrisk.layers import (
    prepare_raster,
    prepare_vector,
    require_number,
    require_numbers,
    require_same_grid,
)

__all__ = ["BuildingCells", "building_cells", "building_depths", "DEPTH_VARIABLES"]

logger = logging.getLogger(__name__)

#: Variables of :func:`building_depths` (those of ``flood_building_exposure``).
DEPTH_VARIABLES = ("max_depth_m", "mean_depth_m", "wet_mean_depth_m", "wet_fraction")

#: Water levels evaluated per call of the kernel (bounds the memory of the outputs).
_CHUNK = 64


@dataclass(frozen=True, repr=False)
class BuildingCells:
    """Footprints on a DEM grid, ready for any number of water levels.

    Attributes
    ----------
    index : pandas.Index
        The buildings' index labels, in input order.
    zone : numpy.ndarray
        Zone name of each building (``None`` outside every zone).
    zones : tuple of str
        Zone names, in the order of the zones layer.
    footprint_area_m2 : numpy.ndarray
        Area of each footprint (m², in the DEM's metric CRS).
    vertical_reference : str or None
        Frame of the heights (``attrs["vertical_reference"]`` of the DEM).
    attenuation_m_per_km : float
        Water-level drop per km from the sea applied to every level (0: static).
    crs : object
        CRS of the DEM grid.
    """

    index: pd.Index
    zone: np.ndarray
    zones: tuple
    footprint_area_m2: np.ndarray
    vertical_reference: str | None
    attenuation_m_per_km: float
    crs: object
    _z: np.ndarray
    _c: np.ndarray
    _frac: np.ndarray
    _dist_km: np.ndarray
    _starts: np.ndarray
    _counts: np.ndarray
    _area_cells: np.ndarray
    _wsum: np.ndarray
    _min_c: np.ndarray
    _z_f32: bool
    _c_f32: bool

    @property
    def n(self) -> int:
        """Number of buildings."""
        return len(self.index)

    @property
    def n_cells(self) -> int:
        """Number of (building, cell) pairs with a positive coverage."""
        return int(self._z.size)

    def in_zone(self, zone: str | None) -> np.ndarray:
        """Boolean per building: in ``zone`` (every building for ``None``)."""
        if zone is None:
            return np.ones(self.n, bool)
        if zone not in self.zones:
            raise InputValueError(f"Unknown zone {zone!r}; zones are {list(self.zones)}.")
        return self.zone == zone

    def stats(self, levels: np.ndarray, shift_m: np.ndarray | None = None) -> dict:
        """Depth statistics ``(len(levels), n)`` per variable; ``shift_m`` raises floors."""
        lv = np.ascontiguousarray(np.asarray(levels, dtype=np.float64).ravel())
        shift = np.zeros(self.n) if shift_m is None else np.asarray(shift_m, np.float64)
        out = {v: np.empty((lv.size, self.n)) for v in DEPTH_VARIABLES}
        for a in range(0, lv.size, _CHUNK):
            b = min(a + _CHUNK, lv.size)
            _kernels.depth_stats(
                lv[a:b], self._z, self._c, self._frac, self._dist_km,
                float(self.attenuation_m_per_km), self._starts, self._counts,
                self._area_cells, self._wsum, self._min_c, shift, self._z_f32, self._c_f32,
                out["max_depth_m"][a:b], out["mean_depth_m"][a:b],
                out["wet_mean_depth_m"][a:b], out["wet_fraction"][a:b])
        return out

    def __repr__(self) -> str:
        return (f"BuildingCells({self.n} buildings, {self.n_cells} covered cells, "
                f"{len(self.zones)} zones, attenuation {self.attenuation_m_per_km:g} m/km)")


def building_cells(
    buildings: gpd.GeoDataFrame,
    dem: xr.DataArray,
    connection: xr.DataArray,
    *,
    zones: gpd.GeoDataFrame | None = None,
    zone_column: str | None = None,
    attenuation_m_per_km: float = 0.0,
    make_valid: bool = False,
) -> BuildingCells:
    """Exact footprint coverage on the DEM grid, computed once for every water level.

    Parameters
    ----------
    buildings : geopandas.GeoDataFrame
        Footprints (Polygon / MultiPolygon); reprojected to the DEM's CRS.
    dem : xarray.DataArray
        Heights above the baseline water surface (:func:`urbanrisk.coast.reference_dem`),
        through the input contract (nodata masked, feet converted, rotated grids refused).
    connection : xarray.DataArray
        :func:`urbanrisk.coast.connection_level` of that DEM (same grid).
    zones : geopandas.GeoDataFrame, optional
        Districts; a building belongs to the zone holding its representative point (as
        :func:`urbanrisk.hazard.aggregate` counts it).
    zone_column : str, optional
        Column naming the zones; default the zones' index.
    attenuation_m_per_km : float, default 0
        Inland attenuation: the water level at a cell is ``L − a · d`` with ``d`` its
        distance from the sea in km (:func:`~urbanrisk.adapt.distance_from_sea_m`); 0 is
        the static (bathtub) flood of :func:`urbanrisk.coast.inundation_depth`. A cell is
        wet when its connection level is at or below its attenuated level.
    make_valid : bool, default False
        Repair invalid footprints instead of raising.

    Returns
    -------
    BuildingCells

    Examples
    --------
    A 10 m footprint on two 10 m cells of a slope (0.5 and 1.5 m), sea on the left:

    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from urbanrisk.layers import raster_from_array
    >>> from urbanrisk.coast import connection_level
    >>> dem = raster_from_array(np.array([[-1.0, 0.5, 1.5]]), crs=3067,
    ...                         transform=(10, 0, 0, 0, -10, 10), units="m")
    >>> conn = connection_level(dem, sea_level_m=0.0)
    >>> b = gpd.GeoDataFrame(geometry=[box(15, 0, 25, 10)], crs=3067)
    >>> cells = building_cells(b, dem, conn)
    >>> cells
    BuildingCells(1 buildings, 2 covered cells, 0 zones, attenuation 0 m/km)
    >>> d = building_depths(cells, [1.0, 2.0])
    >>> d["mean_depth_m"].values.round(3).tolist(), d["wet_fraction"].values.tolist()
    ([[0.25], [1.0]], [[0.5], [1.0]])
    """
    a = require_number(attenuation_m_per_km, name="attenuation_m_per_km", low=0.0)
    z_da = prepare_raster(dem, name="dem", to_units="m")
    c_da = prepare_raster(connection, name="connection", to_units="m", allow_empty=True)
    if c_da.attrs.get("kind") != "connection_level":
        raise InputValueError(
            "connection must be the output of urbanrisk.coast.connection_level(dem, ...)."
        )
    require_same_grid(z_da, c_da, names=("dem", "connection"))
    polys = prepare_vector(buildings, name="buildings", like=z_da,
                           geom_types=("Polygon", "MultiPolygon"), make_valid=make_valid)
    cov = polygon_coverage(polys.geometry.to_numpy(), grid_of(z_da))
    zv, cv = np.asarray(z_da.values), np.asarray(c_da.values)
    z = zv[cov.row, cov.col].astype(np.float64)
    c = cv[cov.row, cov.col].astype(np.float64)
    if a > 0:
        dist = distance_from_sea_m(z_da, c_da).values[cov.row, cov.col] / 1000.0
        dist = np.nan_to_num(dist.astype(np.float64), nan=0.0)
    else:
        dist = np.zeros(z.size)
    counts = np.bincount(cov.geom, minlength=cov.n).astype(np.int64)
    starts = np.zeros(cov.n, np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    zone, names = _zones_of(polys, zones, zone_column)
    wsum, min_c = _kernels.footprint_sums(c, cov.frac.astype(np.float64), starts, counts)
    return BuildingCells(
        index=buildings.index, zone=zone, zones=names,
        footprint_area_m2=polys.geometry.area.to_numpy(dtype=float),
        vertical_reference=z_da.attrs.get("vertical_reference"),
        attenuation_m_per_km=a, crs=z_da.rio.crs,
        _z=np.ascontiguousarray(z), _c=np.ascontiguousarray(c),
        _frac=np.ascontiguousarray(cov.frac, dtype=np.float64),
        _dist_km=np.ascontiguousarray(dist), _starts=starts, _counts=counts,
        _area_cells=np.asarray(cov.area_cells, dtype=np.float64), _wsum=wsum, _min_c=min_c,
        _z_f32=bool(z_da.dtype == np.float32), _c_f32=bool(c_da.dtype == np.float32),
    )


def _zones_of(polys: gpd.GeoDataFrame, zones: gpd.GeoDataFrame | None,
              zone_column: str | None) -> tuple[np.ndarray, tuple]:
    """Zone name of each building (its representative point), and the zone names."""
    zone = np.full(len(polys), None, dtype=object)
    if zones is None:
        return zone, ()
    z = prepare_vector(zones, name="zones", like=polys, geom_types=("Polygon", "MultiPolygon"))
    if zone_column is not None and zone_column not in z.columns:
        raise InputValueError(f"zone_column {zone_column!r} is not a column of zones.")
    names = [str(v) for v in (z[zone_column] if zone_column else z.index)]
    if len(set(names)) != len(names):
        raise InputValueError("Zone names must be unique.")
    pts = gpd.GeoDataFrame(geometry=polys.geometry.representative_point().to_numpy(),
                           crs=polys.crs)
    hit = gpd.sjoin(pts, gpd.GeoDataFrame({"_zone": names}, geometry=z.geometry.to_numpy(),
                                          crs=z.crs), how="left", predicate="within")
    hit = hit[~hit.index.duplicated(keep="first")]
    zone[:] = hit["_zone"].reindex(range(len(polys))).to_numpy(dtype=object)
    zone = np.array([None if (isinstance(v, float) and np.isnan(v)) else v for v in zone],
                    dtype=object)
    return zone, tuple(names)


def _levels_da(levels: float | Sequence[float] | xr.DataArray,
               cells: BuildingCells) -> xr.DataArray:
    if isinstance(levels, xr.DataArray):
        vals = require_numbers(levels, name="water levels")
        units = levels.attrs.get("units", "m")
        if units != "m":
            raise InputValueError(f"Water levels must be in m, got {units!r}.")
        tag = levels.attrs.get("vertical_reference")
        if tag is not None and cells.vertical_reference is not None \
                and tag != cells.vertical_reference:
            raise InputValueError(
                f"The water levels are {tag!r} but the DEM is {cells.vertical_reference!r}; "
                "use the same VerticalReference for reference_dem and flood_levels."
            )
        return levels.copy(data=vals.reshape(levels.shape))
    arr = require_numbers(np.atleast_1d(np.asarray(levels, dtype=float)), name="levels")
    if arr.ndim != 1:
        raise InputValueError("levels must be a number, a 1-D sequence or a DataArray.")
    return xr.DataArray(arr, dims=("level",), coords={"level": arr}, attrs={"units": "m"})


def building_depths(
    cells: BuildingCells,
    levels: float | Sequence[float] | xr.DataArray,
    *,
    raise_m: Sequence[float] | np.ndarray | None = None,
) -> xr.Dataset:
    """Footprint depth statistics for every water level, from the coverage computed once.

    Parameters
    ----------
    cells : BuildingCells
        From :func:`building_cells`.
    levels : float, sequence or xarray.DataArray
        Water levels (m, the DEM's frame); a DataArray from :func:`flood_levels` keeps its
        dims (``scenario``, ``quantile``, ``year``, ``return_period``).
    raise_m : sequence of float, optional
        Height each building's floor is raised by (accommodation): every cell's depth is
        lowered by it, floored at 0, before the statistics.

    Returns
    -------
    xarray.Dataset
        :data:`DEPTH_VARIABLES` with dims ``(*level dims, building)``; buildings outside
        the DEM get NaN; ``attrs["attenuation_m_per_km"]``.
    """
    if not isinstance(cells, BuildingCells):
        raise InputValueError("cells must come from building_cells(buildings, dem, connection).")
    lv = _levels_da(levels, cells)
    shift = None
    if raise_m is not None:
        shift = require_numbers(np.asarray(raise_m, dtype=float), name="raise_m", low=0.0)
        if shift.shape != (cells.n,):
            raise InputValueError(f"raise_m needs one height per building ({cells.n}).")
    res = cells.stats(lv.values.ravel(), shift)
    dims = (*lv.dims, "building")
    coords = {d: lv[d] for d in lv.dims if d in lv.coords}
    coords["building"] = cells.index.to_numpy()
    ds = xr.Dataset({
        v: xr.DataArray(res[v].reshape(*lv.shape, cells.n), dims=dims, coords=coords,
                        attrs={"units": "1" if v == "wet_fraction" else "m"})
        for v in DEPTH_VARIABLES
    })
    ds.attrs["attenuation_m_per_km"] = cells.attenuation_m_per_km
    return ds
