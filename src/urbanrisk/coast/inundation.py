"""Hydrologically connected inundation for any number of water levels from one pass.

NOAA's sea-level-rise viewer maps a water level L in two steps: cells at or below L, then
only those connected to the sea (NOAA Office for Coastal Management 2017, *Detailed Method
for Mapping Sea Level Rise Inundation*). Done per level, that is one connected-component
labelling per scenario, quantile and year. Here one **priority-flood** (Barnes, Lehman &
Mulla 2014) gives every cell its *connection level*: the lowest water level at which a path
of cells at or below the water joins it to the sea (the minimax path height from the sea).
Then, for any level L,

* connected inundation = ``connection_level <= L``;
* low-lying but not connected = ``height <= L`` and ``connection_level > L`` (NOAA's
  separate class);
* depth = ``L − height`` on the connected cells;
* the first year a cell is reached = the first year with ``level(t) >= connection_level``.

**Precision.** Every comparison of a water level with a height or a connection level is
made in the precision the heights are stored in: the level is first rounded to the raster's
float type (float32 for a float32 DEM) and the comparison ``height <= level`` is then exact.
A cell whose stored height equals the level as written (0.1 m in a float32 DEM and a level
of 0.1) is therefore *at* the water level and counts as reached, with depth 0; comparing the
float32 height 0.100000001 with the float64 level 0.1 would call it dry.

Heights and levels must be in the same vertical frame: pass the DEM through
:func:`urbanrisk.coast.reference_dem` and the levels through
:func:`urbanrisk.coast.water_levels` with the same :class:`~urbanrisk.coast.VerticalReference`;
the functions here refuse levels and DEMs whose ``attrs["vertical_reference"]`` differ.

Examples
--------
>>> import numpy as np
>>> from urbanrisk.layers import raster_from_array
>>> dem = raster_from_array(np.array([[0.0, 1.0, 3.0, 0.5]]), crs=3067,
...                         transform=(1, 0, 0, 0, -1, 1), units="m")
>>> conn = connection_level(dem, sea_level_m=0.0)
>>> conn.values.tolist()   # sea, 1 m, 3 m, behind the 3 m ridge
[[nan, 1.0, 3.0, 3.0]]
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import xarray as xr
from scipy.special import ndtr

from urbanrisk.coast._flood import _OFF4, _OFF8, first_years, priority_flood
from urbanrisk.errors import DimensionError, GridError, InputValueError, InsufficientMemoryError
from urbanrisk.layers import (
    is_dask_backed,
    prepare_raster,
    prepare_vector,
    require_number,
    require_numbers,
    require_numeric_column,
    require_positive,
    require_same_grid,
)
from urbanrisk.units import convert, normalize_units

__all__ = [
    "INUNDATION_CLASSES",
    "CONFIDENCE_CLASSES",
    "SEA_SEED_MIN_SHARE",
    "SeaSeed",
    "connection_level",
    "sea_seed",
    "land_reached",
    "inundation_area",
    "inundation_confidence",
    "inundation_extent",
    "inundation_depth",
    "inundation_probability",
    "inundation_probability_monte_carlo",
    "first_flood_year",
    "annual_exceedance_probability",
    "multi_year_probability",
]

logger = logging.getLogger(__name__)

#: Codes of :func:`inundation_extent`.
INUNDATION_CLASSES: dict[int, str] = {
    -1: "nodata",
    0: "dry",
    1: "connected inundation",
    2: "low-lying, not connected",
    3: "sea",
}

#: Codes of :func:`inundation_confidence` (NOAA's three confidence classes).
CONFIDENCE_CLASSES: dict[int, str] = {
    -1: "sea or nodata",
    0: "high-confidence dry",
    1: "low confidence",
    2: "high-confidence inundated",
}

#: An automatic sea seed (``sea_level_m=``) that finds fewer sea cells than this share of
#: the DEM's valid cells is reported with a warning (see :func:`sea_seed`).
SEA_SEED_MIN_SHARE = 0.01


def _in_precision(levels: object, dtype: object) -> np.ndarray:
    """Water levels rounded to the precision heights of ``dtype`` are stored in (float64 out).

    Comparing ``height <= level`` after this is the comparison in the heights' own
    precision (float32 → float64 is exact), so a height equal to the level is at it.
    """
    dt = np.dtype(dtype)
    lv = np.asarray(levels, dtype="float64")
    if np.issubdtype(dt, np.floating) and dt.itemsize < 8:
        return lv.astype(dt).astype("float64")
    return lv


# --------------------------------------------------------------------------------------
# Validation: thin calls into the one input contract of urbanrisk.layers
# --------------------------------------------------------------------------------------
def _check_dem(dem: xr.DataArray, name: str = "dem") -> xr.DataArray:
    """Return the DEM through :func:`~urbanrisk.layers.prepare_raster`, in metres.

    Declared nodata masked, feet converted, axes sorted north-up, stale transform
    recomputed, rotated grids refused, a CRS not in metres reprojected to UTM.
    """
    return prepare_raster(dem, name=name, to_units="m")


def _check_connection(
    connection: object, dem: xr.DataArray | None = None, *, name: str = "connection"
) -> xr.DataArray:
    """Return a connection level through the contract, on ``dem``'s grid if given."""
    if not _is_connection(connection):
        raise InputValueError(
            f"{name} must be the output of connection_level() (attrs['kind'] == "
            "'connection_level')."
        )
    conn = prepare_raster(connection, name=name, to_units="m", allow_empty=True)
    if dem is not None:
        try:
            require_same_grid(dem, conn, names=("dem", name))
        except GridError as err:
            raise GridError(
                f"{err} Better: compute the connection level from this DEM "
                "(connection_level(dem, ...)); a DEM not in metres is reprojected the same "
                "way in both calls."
            ) from None
    return conn


def _numeric_array(values: object, name: str) -> np.ndarray:
    """Values as floats; NaN and inf allowed (sea, never connected), strings refused."""
    arr = np.asarray(values.to_numpy() if hasattr(values, "to_numpy") else values)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
        require_numbers(arr, name=name)  # raises, naming the non-numeric values
    # float32 stays float32: the precision levels are compared in (see _in_precision)
    return arr.astype("float32" if arr.dtype == np.float32 else "float64")


def _levels_array(levels: float | Sequence[float] | xr.DataArray) -> xr.DataArray:
    """Water levels as a float DataArray in m; NaN, inf and strings refused."""
    if isinstance(levels, xr.DataArray):
        if "y" in levels.dims or "x" in levels.dims:
            raise DimensionError(
                "Water levels must be numbers per scenario/quantile/year, not rasters. For a "
                "spatially varying water surface, subtract it from the DEM with reference_dem."
            )
        vals = require_numbers(levels, name="water levels")
        out = levels.copy(data=vals.reshape(levels.shape))
        have = normalize_units(levels.attrs.get("units"))
        if have is not None and have != "m":
            out = out.copy(data=convert(vals, have, "m", name="water levels").reshape(
                levels.shape))
            out.attrs = {**levels.attrs, "units": "m", "converted_from_units": have}
            logger.info("water levels: converted from %s to m", have)
        return out
    if isinstance(levels, str | bytes | bool):
        require_number(levels, name="levels")  # raises
    arr = require_numbers(np.atleast_1d(np.asarray(levels)), name="levels")
    if arr.ndim != 1:
        raise InputValueError("levels must be a number, a 1-D sequence or a DataArray.")
    return xr.DataArray(arr, dims=("level",), coords={"level": arr}, attrs={"units": "m"})


def _sea_mask(sea: xr.DataArray, raw_dem: xr.DataArray, dem: xr.DataArray) -> np.ndarray:
    """Return a sea mask raster as booleans on the prepared DEM grid.

    Booleans or the numbers 0/1; NaN (or the declared nodata) means "not sea" (logged),
    anything else is refused. A mask without x/y coordinates is taken cell by cell on the
    DEM as given; one with coordinates must be on the DEM's grid.
    """
    if not (sea.dtype == bool or np.issubdtype(sea.dtype, np.number)):
        raise InputValueError(
            f"The sea mask holds {sea.dtype} values; give booleans (True = sea) or 0/1."
        )
    has_coords = all(d in sea.coords for d in ("y", "x"))
    if not has_coords:
        if "band" in raw_dem.dims and raw_dem.sizes["band"] == 1:
            raw_dem = raw_dem.squeeze("band", drop=True)
        if tuple(sea.dims) != ("y", "x") or sea.shape != raw_dem.shape:
            raise DimensionError(
                f"The sea mask {dict(sea.sizes)} must be on the DEM grid "
                f"{dict(raw_dem.sizes)}; rasterize sea polygons by passing them as a "
                "GeoDataFrame instead."
            )
        sea = raw_dem.copy(data=np.asarray(sea.values))
        sea.attrs = {}
        sea.encoding = {}
        sea.rio.write_nodata(None, inplace=True)  # a new object: no copy to set metadata
    elif sea.rio.crs is None:
        sea = sea.copy(deep=False)  # the caller's mask is not changed, nor copied whole
        sea.rio.write_crs(raw_dem.rio.crs, inplace=True)
    sea = sea.astype("float64")
    sea = prepare_raster(sea, name="sea", allow_empty=True)
    try:
        require_same_grid(dem, sea, names=("dem", "sea"))
    except GridError as err:
        raise GridError(
            f"{err} Or pass the sea as polygons (a GeoDataFrame), which are rasterized on "
            "the DEM grid."
        ) from None
    v = np.asarray(sea.values)
    finite = np.isfinite(v)
    bad = (finite & (v != 0) & (v != 1)) | np.isinf(v)
    if bad.any():
        raise InputValueError(
            f"The sea mask must hold booleans or 0/1 (1 = sea); it holds "
            f"{np.unique(v[bad])[:5].tolist()}. Threshold it first, e.g. sea = (mask == 1)."
        )
    n_nan = int(np.isnan(v).sum())
    if n_nan:
        logger.info("sea mask: %d NaN/nodata cells read as not sea", n_nan)
    return v == 1


def _check_reference(levels: xr.DataArray, *layers: xr.DataArray) -> None:
    """Refuse to combine levels and heights in different vertical frames."""
    tag = levels.attrs.get("vertical_reference")
    if tag is None:
        return
    for layer in layers:
        have = layer.attrs.get("vertical_reference")
        if have != tag:
            raise InputValueError(
                f"The water levels are {tag!r} but the {layer.name or 'DEM'} is "
                f"{'in an unstated reference' if have is None else repr(have)}. Pass the DEM "
                "through urbanrisk.coast.reference_dem(dem, reference) with the same "
                "VerticalReference used for water_levels (and compute the connection level "
                "from that DEM)."
            )


def _is_connection(da: object) -> bool:
    return isinstance(da, xr.DataArray) and da.attrs.get("kind") == "connection_level"


def _rasterize_lines(gdf: gpd.GeoDataFrame, dem: xr.DataArray, values: np.ndarray, fill: float,
                     merge: str) -> np.ndarray:
    from rasterio.features import rasterize

    out = np.full(dem.shape, fill, dtype="float64")
    transform = dem.rio.transform()
    for geom, v in zip(gdf.geometry, values, strict=True):
        mask = rasterize([(geom, 1)], out_shape=dem.shape, transform=transform, fill=0,
                         all_touched=True, dtype="uint8").astype(bool)
        if merge == "max":
            out[mask] = np.maximum(out[mask], v)
        else:
            out[mask] = np.minimum(out[mask], v)
    return out


# --------------------------------------------------------------------------------------
# Connection level
# --------------------------------------------------------------------------------------
#: Working memory of the priority-flood per cell, in bytes, besides the DEM itself: the
#: edited copy and the seeds (one DEM item each), the result (8), the closed flags (1), the
#: heap keys and indices (8 + 8) and the sea mask (1).
_FLOOD_BYTES_PER_CELL = 26


def _available_memory_bytes() -> int | None:
    """Memory the OS can give without swapping (Linux MemAvailable), or None if unknown."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _require_memory_for_flood(dem: xr.DataArray) -> None:
    """Refuse, with the figure, a priority-flood that would not fit in memory.

    The flood is global (a cell's level can depend on any other cell), so it needs the
    whole DEM in memory even when the DEM is dask-backed.
    """
    item = max(np.dtype(dem.dtype).itemsize, 4)
    is_lazy = is_dask_backed(dem)
    need = dem.size * (_FLOOD_BYTES_PER_CELL + 2 * item + (item if is_lazy else 0))
    available = _available_memory_bytes()
    if available is not None and need > available:
        raise InsufficientMemoryError(
            f"the priority-flood of a {dem.shape[-2]} x {dem.shape[-1]} DEM needs about "
            f"{need / 2**30:.1f} GiB of memory and {available / 2**30:.1f} GiB is available. "
            "It needs the whole DEM at once (dask chunks do not help here): tile the study "
            "area along watersheds, coarsen the DEM (da.coarsen(x=2, y=2).mean()), or run "
            "it on a machine with more memory."
        )


def connection_level(
    dem: xr.DataArray,
    *,
    sea: xr.DataArray | gpd.GeoDataFrame | None = None,
    sea_level_m: float | None = None,
    connectivity: int = 8,
    barriers: gpd.GeoDataFrame | None = None,
    connectors: gpd.GeoDataFrame | None = None,
    barrier_crest_m: float = np.inf,
) -> xr.DataArray:
    """Lowest water level at which each cell is hydrologically connected to the sea.

    One Improved Priority-Flood pass (Barnes, Lehman & Mulla 2014, *Priority-flood: an
    optimal depression-filling and watershed-labeling algorithm*, Computers & Geosciences
    62, Algorithm 2) seeded at the sea: each cell receives the minimax height of the paths
    joining it to the sea, i.e. the height of the lowest sill between it and the sea, or its
    own height if higher. ``connection_level <= L`` is then exactly the set NOAA obtains by
    labelling the cells at or below ``L`` and keeping the components that touch the sea.

    Parameters
    ----------
    dem : xarray.DataArray
        Heights, dims ``(y, x)``, NaN where water cannot go (nodata), ``attrs["units"]`` m or
        another length unit (feet are converted to m). It passes through
        :func:`urbanrisk.layers.prepare_raster`: a declared nodata (e.g. -9999) is masked,
        south-up or unsorted axes are sorted, a rotated grid is refused
        (:class:`~urbanrisk.errors.GridError`; warp it with
        :func:`urbanrisk.layers.north_up`) and a DEM not in metres (degrees, feet) is
        reprojected to its UTM zone (the result is on that grid).
    sea : xarray.DataArray or geopandas.GeoDataFrame, optional
        The sea: a mask on the DEM grid holding booleans or 0/1 (1 = sea; NaN and the
        declared nodata are read as not sea, with a logged note; other values are refused),
        or sea polygons overlapping the DEM (cells whose centre lies inside are sea). A mask
        without x/y coordinates is read cell by cell on the DEM as given.
    sea_level_m : float, optional
        Instead of ``sea``: the sea is the water at or below this height (m, finite)
        connected to the raster edge (seeded at edge cells at or below it).
    connectivity : {4, 8}, default 8
        Neighbourhood through which water flows (8 includes diagonals).
    barriers : geopandas.GeoDataFrame, optional
        Levees and sea walls (lines): the cells they touch are raised to their crest, from a
        ``crest_m`` column or ``barrier_crest_m``.
    connectors : geopandas.GeoDataFrame, optional
        Culverts and channels (lines) that connect areas beneath embankments: the cells they
        touch let water through from the ``invert_m`` column (or, without it, the lowest
        ground height along the line). A connector cell's own ground is not lowered: it is
        reached at ``max(connection, ground)``. Barriers and connectors must overlap the DEM
        (:class:`~urbanrisk.errors.NoOverlapError`); their ``crest_m`` / ``invert_m`` columns
        must hold numbers (NaN: use the default).
    barrier_crest_m : float, default inf
        Crest height (m) of barriers without a ``crest_m`` value (inf: never overtopped).

    Returns
    -------
    xarray.DataArray
        Connection level in m (same vertical frame as ``dem``), NaN on sea and nodata cells,
        ``+inf`` where no path exists. ``attrs``: ``connectivity``, ``kind``,
        ``vertical_reference`` (copied from the DEM).

    Raises
    ------
    InputValueError
        No sea given (or both ``sea`` and ``sea_level_m``), no sea cell found, a sea mask
        holding values other than booleans/0/1/NaN, a NaN or infinite ``sea_level_m``;
        connectivity not 4 or 8.
    GridError
        A rotated DEM, or a sea mask with coordinates that is not on the DEM's grid.
    NoOverlapError
        Sea polygons, barriers or connectors that do not overlap the DEM.
    UnitsError
        A DEM without units or in units that are not a length.
    InsufficientMemoryError
        The flood needs the whole DEM in memory (dask chunks do not help) and would not
        fit; the message gives the figure.

    Examples
    --------
    A pocket at −0.5 m walled by a 2 m ring is below the sea but only connects at 2 m:

    >>> import numpy as np
    >>> from urbanrisk.layers import raster_from_array
    >>> z = np.array([[0.0, 1.0, 2.0, 2.0, 2.0],
    ...               [0.0, 1.0, 2.0, -0.5, 2.0],
    ...               [0.0, 1.0, 2.0, 2.0, 2.0]])
    >>> dem = raster_from_array(z, crs=3067, transform=(1, 0, 0, 0, -1, 3), units="m")
    >>> connection_level(dem, sea_level_m=0.0, connectivity=4).values[1].tolist()
    [nan, 1.0, 2.0, 2.0, 2.0]
    """
    out = _connection_level(*_connection_inputs(
        dem, sea=sea, sea_level_m=sea_level_m, connectivity=connectivity, barriers=barriers,
        connectors=connectors, barrier_crest_m=barrier_crest_m))
    seed = sea_seed(out)
    if seed.warning:
        logger.warning("%s", seed.warning)
    return out


@dataclass(frozen=True)
class SeaSeed:
    """Which cells the sea was seeded from, and how much sea that gave.

    Attributes
    ----------
    seed : str
        ``"sea polygons"``, ``"sea mask"`` or ``"edge cells at or below sea_level_m = … m"``.
    automatic : bool
        True for the edge-cell seed (``sea_level_m=``), False for a sea mask or polygons.
    seed_cells : int
        Cells the flood started from (mask cells, or edge cells at or below the level).
    sea_cells : int
        Cells that are sea in the result (seed cells, plus for the edge seed every cell
        connected to them at or below the level).
    sea_area_m2 : float
        ``sea_cells`` × cell area.
    sea_share : float
        ``sea_cells`` / valid DEM cells.
    warning : str
        Non-empty when the automatic seed found almost no sea (less than
        :data:`SEA_SEED_MIN_SHARE` of the DEM).
    """

    seed: str
    automatic: bool
    seed_cells: int
    sea_cells: int
    sea_area_m2: float
    sea_share: float
    warning: str = ""

    def to_frame(self) -> pd.DataFrame:
        """One row, one column per field."""
        return pd.DataFrame([asdict(self)])

    def _repr_html_(self) -> str:
        return self.to_frame().to_html(index=False)

    def describe(self) -> str:
        """One sentence for a report."""
        text = (f"The sea was seeded from the {self.seed} ({self.seed_cells} cells), giving "
                f"{self.sea_cells} sea cells ({self.sea_area_m2 / 1e6:.3g} km², "
                f"{100 * self.sea_share:.3g} % of the DEM).")
        return f"{text} Warning: {self.warning}" if self.warning else text


def sea_seed(connection: xr.DataArray) -> SeaSeed:
    """Report how the sea of a connection level was seeded (which cells, how many).

    The answer of a bathtub model depends strongly on where the sea is: edge cells at or
    below a level find only the sea that reaches the raster edge, while a sea mask or
    polygons fix it explicitly (on one real DEM the answer was 0.04 km² with one and
    146 km² with the other). The automatic edge
    seed is flagged with a ``warning`` when it finds less than :data:`SEA_SEED_MIN_SHARE`
    of the DEM's valid cells (:func:`connection_level` also logs it).

    Parameters
    ----------
    connection : xarray.DataArray
        Output of :func:`connection_level`.

    Returns
    -------
    SeaSeed

    Examples
    --------
    Only the corner cell of this 3 × 3 DEM is at or below 0 m on the edge:

    >>> import numpy as np
    >>> from urbanrisk.layers import raster_from_array
    >>> dem = raster_from_array(np.array([[0.0, 1.0, 1.0], [1.0, 2.0, 2.0], [1.0, 2.0, 2.0]]),
    ...                         crs=3067, transform=(10, 0, 0, 0, -10, 30), units="m")
    >>> s = sea_seed(connection_level(dem, sea_level_m=0.0))
    >>> s.seed_cells, s.sea_cells, s.sea_area_m2, round(s.sea_share, 3)
    (1, 1, 100.0, 0.111)
    """
    conn = _check_connection(connection)
    a = conn.attrs
    if "sea_seed" not in a:
        raise InputValueError(
            "This connection level carries no sea-seed record; recompute it with "
            "connection_level()."
        )
    from urbanrisk.layers import cell_area_m2

    valid = max(int(a["valid_cells"]), 1)
    sea_cells = int(a["sea_cells"])
    share = sea_cells / valid
    automatic = bool(int(a["sea_seed_automatic"]))
    area = sea_cells * cell_area_m2(conn)
    warning = ""
    if automatic and share < SEA_SEED_MIN_SHARE:
        warning = (
            f"the automatic sea seed ({a['sea_seed']}) found only {sea_cells} sea cells "
            f"({area / 1e6:.3g} km², {100 * share:.2g} % of the DEM). The sea may be masked "
            "as nodata, lie outside the DEM or the heights may be in another vertical "
            "reference; the inundated area depends strongly on the seed, so pass the sea "
            "as polygons or a mask (sea=...)."
        )
    return SeaSeed(seed=str(a["sea_seed"]), automatic=automatic,
                   seed_cells=int(a["sea_seed_cells"]), sea_cells=sea_cells,
                   sea_area_m2=float(area), sea_share=float(share), warning=warning)


def _connection_inputs(
    dem: xr.DataArray,
    *,
    sea: xr.DataArray | gpd.GeoDataFrame | None = None,
    sea_level_m: float | None = None,
    connectivity: int = 8,
    barriers: gpd.GeoDataFrame | None = None,
    connectors: gpd.GeoDataFrame | None = None,
    barrier_crest_m: float = np.inf,
) -> tuple:
    """Check every input of :func:`connection_level` once; return them ready to compute.

    Returns the prepared DEM, the sea mask (booleans on its grid) or ``None``, the sea
    level or ``None``, the connectivity, the barrier lines with their crests (or
    ``None``), the connector lines with their inverts (or ``None``) and the kind of sea
    seed (``"sea polygons"``, ``"sea mask"`` or ``"edge cells"``).
    """
    raw_dem = dem
    dem = _check_dem(dem)
    if isinstance(connectivity, bool) or connectivity not in (4, 8):
        raise InputValueError(f"connectivity must be 4 or 8, got {connectivity!r}.")
    if sea is not None and sea_level_m is not None:
        raise InputValueError("Give sea= or sea_level_m=, not both.")
    lvl = None if sea_level_m is None else require_number(sea_level_m, name="sea_level_m",
                                                          units="m")
    crest_default = require_number(barrier_crest_m, name="barrier_crest_m", allow_inf=True)
    if crest_default == -np.inf:
        raise InputValueError("barrier_crest_m must be a height in m or inf, got -inf.")
    walls = None
    if barriers is not None and len(barriers):
        b = prepare_vector(barriers, name="barriers", like=dem)
        if "crest_m" in b.columns:
            crest = require_numeric_column(b, "crest_m", name="barriers")
            crest = np.where(np.isnan(crest), crest_default, crest)
        else:
            crest = np.full(len(b), crest_default)
        walls = (b, crest)
    culverts = None
    if connectors is not None and len(connectors):
        c = prepare_vector(connectors, name="connectors", like=dem)
        if "invert_m" in c.columns:
            inv = require_numeric_column(c, "invert_m", name="connectors")
        else:
            inv = np.full(len(c), np.nan)
        culverts = (c, inv)
    mask = None
    seed_kind = "edge cells"
    if sea is not None:
        seed_kind = "sea polygons"
        if isinstance(sea, gpd.GeoDataFrame | gpd.GeoSeries):
            from rasterio.features import rasterize

            sg = prepare_vector(sea, name="sea", like=dem,
                                geom_types=("Polygon", "MultiPolygon"))
            mask = rasterize([(g, 1) for g in sg.geometry], out_shape=dem.shape,
                             transform=dem.rio.transform(), fill=0,
                             dtype="uint8").astype(bool)
        elif isinstance(sea, xr.DataArray):
            mask = _sea_mask(sea, raw_dem, dem)
            seed_kind = "sea mask"
        else:
            raise InputValueError("sea must be a boolean DataArray or a GeoDataFrame of polygons.")
    elif lvl is None:
        raise InputValueError(
            "Say where the sea is: pass sea= (mask or polygons) or sea_level_m= (edge cells at "
            "or below this height)."
        )
    return dem, mask, lvl, connectivity, walls, culverts, seed_kind


def _connection_level(
    dem: xr.DataArray,
    sea_mask: np.ndarray | None,
    lvl: float | None,
    connectivity: int,
    walls: tuple | None,
    culverts: tuple | None,
    seed_kind: str = "edge cells",
) -> xr.DataArray:
    """Compute the connection level on checked inputs (see :func:`_connection_inputs`)."""
    _require_memory_for_flood(dem)
    z = np.asarray(dem.values)
    if not np.issubdtype(z.dtype, np.floating):
        z = z.astype("float64")
    z = z.copy()
    ground = z.copy()

    if walls is not None:
        b, crest = walls
        raise_to = _rasterize_lines(b, dem, crest, -np.inf, "max")
        hit = np.isfinite(z) & (raise_to > -np.inf)
        z[hit] = np.maximum(z[hit], raise_to[hit]).astype(z.dtype)
        ground[hit] = z[hit]
        z[np.isinf(z)] = np.nan  # impassable crest: a wall
    if culverts is not None:
        c, inv = culverts
        inv = inv.copy()
        for i, geom in enumerate(c.geometry):
            if np.isnan(inv[i]):
                cells = _rasterize_lines(gpd.GeoDataFrame(geometry=[geom]), dem,
                                         np.array([1.0]), 0.0, "max") > 0
                vals = ground[cells & np.isfinite(ground)]
                inv[i] = float(vals.min()) if vals.size else np.nan
        lower_to = _rasterize_lines(c, dem, np.nan_to_num(inv, nan=np.inf), np.inf, "min")
        hit = np.isfinite(z) & np.isfinite(lower_to)
        z[hit] = np.minimum(z[hit], lower_to[hit]).astype(z.dtype)

    seeds = np.full(z.shape, np.nan, dtype=z.dtype)
    if sea_mask is not None:
        mask = sea_mask & ~np.isnan(ground)
        if not mask.any():
            raise InputValueError(
                "No sea cell found: the sea mask/polygons cover no valid DEM cell. Check that "
                "the sea overlaps the DEM (same CRS) or use sea_level_m= instead."
            )
        seeds[mask] = -np.inf
    else:
        edge = np.zeros(z.shape, bool)
        edge[0, :] = edge[-1, :] = edge[:, 0] = edge[:, -1] = True
        lvl_z = float(_in_precision(lvl, z.dtype))  # compared in the heights' precision
        mask = edge & (z <= lvl_z)
        if not mask.any():
            raise InputValueError(
                f"No sea cell found: no cell on the raster edge is at or below "
                f"sea_level_m={lvl:g} m (lowest edge height "
                f"{np.nanmin(np.where(edge, z, np.nan)):.2f} m). Raise sea_level_m, pass a sea "
                "mask or polygons, or check the DEM's vertical reference."
            )
        seeds[mask] = z[mask]

    offsets = _OFF8 if connectivity == 8 else _OFF4
    conn = priority_flood(z, seeds, offsets)
    # A connector cell is reached through the culvert but its ground is not lowered.
    conn = np.where(np.isnan(ground), np.nan, np.maximum(conn, ground))
    conn[np.isposinf(ground)] = np.inf  # never-overtopped barrier cells
    conn = conn.astype(z.dtype)
    if sea_mask is not None:
        conn[mask] = np.nan
        seed_label = seed_kind
    else:
        conn[conn <= lvl_z] = np.nan
        seed_label = f"edge cells at or below sea_level_m = {lvl:g} m"
    valid = int((~np.isnan(ground)).sum())
    sea_cells = int(np.isnan(conn).sum()) - (ground.size - valid)
    out = dem.copy(data=conn)
    out.name = "connection_level"
    out.attrs = {
        "units": "m",
        "kind": "connection_level",
        "connectivity": connectivity,
        "long_name": "lowest water level connecting the cell to the sea",
        "sea_seed": seed_label,
        "sea_seed_automatic": int(sea_mask is None),
        "sea_seed_cells": int(mask.sum()),
        "sea_cells": sea_cells,
        "valid_cells": valid,
    }
    if "vertical_reference" in dem.attrs:
        out.attrs["vertical_reference"] = dem.attrs["vertical_reference"]
    logger.info(
        "connection level: %d cells, %d sea, %d never connected",
        conn.size, int(np.isnan(conn).sum() - np.isnan(ground).sum()), int(np.isinf(conn).sum()),
    )
    return out


# --------------------------------------------------------------------------------------
# Extent, depth, probability
# --------------------------------------------------------------------------------------
def _stack_inputs(dem: xr.DataArray, connection: xr.DataArray, levels: xr.DataArray):
    """Heights, connection levels and water levels as arrays that broadcast together.

    The heights and connection levels keep their backing (numpy or dask), so a thresholded
    result of dask inputs stays lazy; the levels get two trailing axes for (y, x). Returns
    ``(z, c, level, level_z, level_c)``: ``level`` as given (for depths), ``level_z`` and
    ``level_c`` rounded to the precision of the heights and of the connection levels (for
    comparisons, see :func:`_in_precision`).
    """
    z = dem.data.astype("float64")
    c = connection.data.astype("float64")
    lv = np.asarray(levels.values, dtype="float64")
    shape = lv.shape + (1, 1)
    return (z, c, lv.reshape(shape), _in_precision(lv, dem.dtype).reshape(shape),
            _in_precision(lv, connection.dtype).reshape(shape))


def _wrap(values: np.ndarray, levels: xr.DataArray, grid: xr.DataArray, name: str,
          attrs: dict) -> xr.DataArray:
    dims = [*levels.dims, "y", "x"]
    coords = {d: levels[d] for d in levels.dims if d in levels.coords}
    coords.update({"y": grid["y"], "x": grid["x"]})
    out = xr.DataArray(values, dims=dims, coords=coords, name=name, attrs=attrs)
    # a new object: attach the grid in place (write_crs(...) without inplace copies it)
    out.rio.write_crs(grid.rio.crs, inplace=True)
    out.rio.write_transform(grid.rio.transform(), inplace=True)
    return out


def inundation_extent(
    dem: xr.DataArray,
    connection: xr.DataArray,
    levels: float | Sequence[float] | xr.DataArray,
) -> xr.DataArray:
    """Classes of :data:`INUNDATION_CLASSES` for every water level, from one connection level.

    1 = connected inundation (``connection_level <= L``), 2 = low-lying but not connected
    (``height <= L < connection_level``, NOAA's separate class), 0 = dry, 3 = sea,
    −1 = nodata.

    Parameters
    ----------
    dem : xarray.DataArray
        The heights the connection level was computed from (same input contract as in
        :func:`connection_level`: feet converted, nodata masked, rotated grids refused).
    connection : xarray.DataArray
        Output of :func:`connection_level`, on the (prepared) DEM's grid: same CRS, shape
        and transform, else :class:`~urbanrisk.errors.GridError`.
    levels : float, sequence or xarray.DataArray
        Water levels (m, same frame; a DataArray in another length unit is converted); a
        DataArray from :func:`~urbanrisk.coast.water_levels` keeps its dims
        (``scenario``, ``quantile``, ``year``, ...). NaN or infinite levels are refused.

    Returns
    -------
    xarray.DataArray
        int8, dims ``(*level dims, y, x)``; ``attrs["classes"]`` is the JSON code→name map.
        Dask-backed inputs give a lazy result (chunked like the inputs).

    Examples
    --------
    >>> import numpy as np
    >>> from urbanrisk.layers import raster_from_array
    >>> dem = raster_from_array(np.array([[0.0, 1.0, 3.0, 0.5]]), crs=3067,
    ...                         transform=(1, 0, 0, 0, -1, 1), units="m")
    >>> conn = connection_level(dem, sea_level_m=0.0)
    >>> inundation_extent(dem, conn, [1.0, 3.0]).values.tolist()
    [[[3, 1, 0, 2]], [[3, 1, 1, 1]]]
    """
    dem = _check_dem(dem)
    connection = _check_connection(connection, dem)
    lv_da = _levels_array(levels)
    _check_reference(lv_da, dem, connection)
    z, c, _, level_z, level_c = _stack_inputs(dem, connection, lv_da)
    base = np.where(np.isnan(z), -1, np.where(np.isnan(c), 3, 0)).astype("int8")
    land = base == 0
    conn = land & (c <= level_c)
    low = land & (z <= level_z) & ~conn
    out = np.where(conn, 1, np.where(low, 2, base)).astype("int8")
    return _wrap(out, lv_da, dem, "inundation_class",
                 {"classes": json.dumps({str(k): v for k, v in INUNDATION_CLASSES.items()}),
                  "units": "class"})


def inundation_depth(
    dem: xr.DataArray,
    connection: xr.DataArray,
    levels: float | Sequence[float] | xr.DataArray,
) -> xr.DataArray:
    """Water depth ``L − height`` on the connected inundated cells (NaN elsewhere).

    Parameters are those of :func:`inundation_extent`.

    Returns
    -------
    xarray.DataArray
        float32, m, dims ``(*level dims, y, x)``; lazy for dask-backed inputs.

    Examples
    --------
    >>> import numpy as np
    >>> from urbanrisk.layers import raster_from_array
    >>> dem = raster_from_array(np.array([[0.0, 1.0, 3.0, 0.5]]), crs=3067,
    ...                         transform=(1, 0, 0, 0, -1, 1), units="m")
    >>> conn = connection_level(dem, sea_level_m=0.0)
    >>> inundation_depth(dem, conn, 3.5).values.round(2).tolist()
    [[[nan, 2.5, 0.5, 3.0]]]
    """
    dem = _check_dem(dem)
    connection = _check_connection(connection, dem)
    lv_da = _levels_array(levels)
    _check_reference(lv_da, dem, connection)
    z, c, level, level_z, level_c = _stack_inputs(dem, connection, lv_da)
    # at the water level in the heights' precision: depth 0, never a float32 crumb below it
    out = np.where(c <= level_c, np.maximum(level_z - z, 0.0), np.nan).astype("float32")
    return _wrap(out, lv_da, dem, "flood_depth", {"units": "m"})


def land_reached(
    dem: xr.DataArray,
    connection: xr.DataArray,
    levels: float | Sequence[float] | xr.DataArray,
    *,
    present_level_m: float = 0.0,
) -> xr.DataArray:
    """Land newly reached by the sea at each level: connected now, not connected today.

    A cell is newly reached at level ``L`` when it is hydrologically connected to the sea at
    ``L`` (``connection_level <= L``) and was not at today's water level
    (``connection_level > present_level_m``). Cells already under connected water today
    (below the present level, next to a sea polygon or mask) are water, not land reached;
    a polder below the present level behind a dike is land, reached once the dike is
    overtopped. Comparisons are made in the heights' precision (see the module notes).

    Parameters
    ----------
    dem, connection, levels
        As in :func:`inundation_extent`.
    present_level_m : float, default 0
        Today's water level in the same frame (0 = the water surface of
        :func:`~urbanrisk.coast.reference_dem`, e.g. mean sea level 1995–2014).

    Returns
    -------
    xarray.DataArray
        float32, dims ``(*level dims, y, x)``: 1 = land newly reached, 0 = land not reached,
        NaN on the sea and nodata; ``attrs["units"] = "1"``. ``.sum(("y", "x"))`` counts
        the cells; :func:`inundation_area` gives the areas.

    Examples
    --------
    Sea, a cell at −0.2 m next to the sea polygon (water today), 0.5 m, 2 m:

    >>> import numpy as np
    >>> from urbanrisk.layers import raster_from_array
    >>> dem = raster_from_array(np.array([[-1.0, -0.2, 0.5, 2.0]]), crs=3067,
    ...                         transform=(10, 0, 0, 0, -10, 10), units="m")
    >>> conn = connection_level(dem, sea=dem.copy(data=[[1, 0, 0, 0]]))
    >>> land_reached(dem, conn, [0.0, 1.0]).values.tolist()
    [[[nan, 0.0, 0.0, 0.0]], [[nan, 0.0, 1.0, 0.0]]]
    """
    dem = _check_dem(dem)
    connection = _check_connection(connection, dem)
    present = require_number(present_level_m, name="present_level_m", units="m")
    lv_da = _levels_array(levels)
    _check_reference(lv_da, dem, connection)
    z, c, _, _, level_c = _stack_inputs(dem, connection, lv_da)
    today = float(_in_precision(present, connection.dtype))
    reached = (c <= level_c) & (c > today)
    out = np.where(np.isnan(c), np.nan, reached).astype("float32")
    return _wrap(out, lv_da, dem, "land_reached",
                 {"units": "1", "present_level_m": present})


def inundation_area(
    dem: xr.DataArray,
    connection: xr.DataArray,
    levels: float | Sequence[float] | xr.DataArray,
    *,
    present_level_m: float = 0.0,
) -> xr.Dataset:
    """Area of land newly reached by the sea, and of all the water, at each level (m²).

    Cell areas come from the grid (:func:`urbanrisk.layers.cell_area_m2`).

    * ``newly_reached_m2`` — land connected at the level and not connected at today's
      level (:func:`land_reached`): what a planner calls the area the sea takes;
    * ``water_today_m2`` — cells outside the sea seed connected at or below today's level
      (e.g. channels and lagoons below sea level next to a sea polygon);
    * ``sea_m2`` — the sea seed (sea mask/polygon cells, or the edge-seeded sea);
    * ``water_m2`` — all water at the level: ``sea_m2 + water_today_m2 +
      newly_reached_m2``.

    Parameters
    ----------
    dem, connection, levels
        As in :func:`inundation_extent`.
    present_level_m : float, default 0
        Today's water level in the same frame (see :func:`land_reached`).

    Returns
    -------
    xarray.Dataset
        The four areas with the level dims; ``attrs``: ``present_level_m``,
        ``cell_area_m2``, ``sea_seed`` (see :func:`sea_seed`). ``.to_dataframe()`` gives a
        tidy table.

    Examples
    --------
    The DEM of :func:`land_reached`, 10 m cells (100 m² each):

    >>> import numpy as np
    >>> from urbanrisk.layers import raster_from_array
    >>> dem = raster_from_array(np.array([[-1.0, -0.2, 0.5, 2.0]]), crs=3067,
    ...                         transform=(10, 0, 0, 0, -10, 10), units="m")
    >>> conn = connection_level(dem, sea=dem.copy(data=[[1, 0, 0, 0]]))
    >>> a = inundation_area(dem, conn, [0.0, 1.0])
    >>> a["newly_reached_m2"].values.tolist(), a["water_m2"].values.tolist()
    ([0.0, 100.0], [200.0, 300.0])
    """
    from urbanrisk.layers import cell_area_m2

    reached = land_reached(dem, connection, levels, present_level_m=present_level_m)
    connection = _check_connection(connection)
    cell = cell_area_m2(connection)
    c = connection.values.astype("float64")
    today = float(_in_precision(reached.attrs["present_level_m"], connection.dtype))
    seed = sea_seed(connection) if "sea_seed" in connection.attrs else None
    sea_cells = seed.sea_cells if seed is not None else int(np.isnan(c).sum())
    water_today = float((c <= today).sum()) * cell
    newly = (reached.sum(("y", "x")) * cell).reset_coords(drop=True)
    dims = [d for d in reached.dims if d not in ("y", "x")]
    coords = {d: reached[d] for d in dims if d in reached.coords}
    full = xr.DataArray(np.ones(newly.shape), dims=dims, coords=coords)
    ds = xr.Dataset({
        "newly_reached_m2": newly.astype("float64"),
        "water_today_m2": full * water_today,
        "sea_m2": full * (sea_cells * cell),
    })
    ds["water_m2"] = ds["sea_m2"] + ds["water_today_m2"] + ds["newly_reached_m2"]
    for v in ds.data_vars:
        ds[v].attrs["units"] = "m2"
    ds.attrs = {"present_level_m": reached.attrs["present_level_m"], "cell_area_m2": cell,
                "sea_seed": seed.seed if seed is not None else "unknown"}
    return ds


def inundation_confidence(
    connection: xr.DataArray,
    levels: float | Sequence[float] | xr.DataArray,
    *,
    dem_rmse_m: float,
    datum_rmse_m: float = 0.0,
    confidence: float = 0.8,
) -> xr.DataArray:
    """NOAA's three confidence classes of connected inundation.

    From the probability of :func:`inundation_probability`: ``2`` = high-confidence
    inundated (``P >= confidence``), ``0`` = high-confidence dry
    (``P <= 1 − confidence``), ``1`` = low confidence between, ``−1`` = sea or nodata
    (:data:`CONFIDENCE_CLASSES`). With the default 0.8 these are NOAA's classes: mapped
    correctly "more than 8 out of 10 times" as inundated or as dry (NOAA Office for
    Coastal Management 2017, *Detailed Method for Mapping Sea Level Rise Inundation*).

    Parameters
    ----------
    connection, levels, dem_rmse_m, datum_rmse_m
        As in :func:`inundation_probability`.
    confidence : float, default 0.8
        Level of the high-confidence classes, in (0.5, 1).

    Returns
    -------
    xarray.DataArray
        int8, dims ``(*level dims, y, x)``; ``attrs["classes"]`` the JSON code→name map.

    Examples
    --------
    σ = 0.25 m; a cell 0.3 m below the level (P = 0.885), one at it (0.5), one 0.3 m above
    (0.115):

    >>> import numpy as np
    >>> from urbanrisk.layers import raster_from_array
    >>> dem = raster_from_array(np.array([[0.0, 0.7, 1.0, 1.3]]), crs=3067,
    ...                         transform=(1, 0, 0, 0, -1, 1), units="m")
    >>> conn = connection_level(dem, sea_level_m=0.0)
    >>> inundation_confidence(conn, 1.0, dem_rmse_m=0.15, datum_rmse_m=0.2).values.tolist()
    [[[-1, 2, 1, 0]]]
    """
    level = require_number(confidence, name="confidence", low=0.5, high=1.0, low_open=True,
                           high_open=True)
    p = inundation_probability(connection, levels, dem_rmse_m=dem_rmse_m,
                               datum_rmse_m=datum_rmse_m)
    v = p.values
    out = np.where(np.isnan(v), -1, np.where(v >= level, 2, np.where(v <= 1 - level, 0, 1)))
    res = p.copy(data=out.astype("int8"))
    res.name = "inundation_confidence"
    res.attrs = {"units": "class", "confidence": level, "sigma_m": p.attrs["sigma_m"],
                 "classes": json.dumps({str(k): v for k, v in CONFIDENCE_CLASSES.items()})}
    return res


def inundation_probability(
    connection: xr.DataArray,
    levels: float | Sequence[float] | xr.DataArray,
    *,
    dem_rmse_m: float,
    datum_rmse_m: float = 0.0,
) -> xr.DataArray:
    """Probability of connected inundation from DEM and datum error (NOAA).

    NOAA's confidence mapping (NOAA Office for Coastal Management 2017, *Detailed Method for
    Mapping Sea Level Rise Inundation*; Schmid, Hadley & Waters 2014, *Mapping and portraying
    inundation uncertainty of bathtub-type models*, J. Coastal Research 30(3)) treats the
    height error as normal, combining the DEM's and the tidal-surface (VDatum) RMSE; here ``σ =
    sqrt(RMSE_dem² + RMSE_datum²)`` (the root-sum-square is the standard reading of
    "combined"), and ``P = Φ((L − z) / σ)``. Applied here to the connection level instead of
    the height: where a cell is directly connected (``connection == height``) it is NOAA's
    formula; behind a sill it is the probability that the sill is overtopped, an upper bound
    for the cell (the sill's and the cell's errors are taken as fully correlated). NOAA maps
    three classes: high-confidence inundated (``P >= 0.8``), high-confidence dry (``P <= 0.2``)
    and low confidence between; :func:`inundation_confidence` gives them. For independent cell
    errors use :func:`inundation_probability_monte_carlo`.

    Parameters
    ----------
    connection : xarray.DataArray
        Output of :func:`connection_level`.
    levels : float, sequence or xarray.DataArray
        Water levels (m).
    dem_rmse_m : float
        Vertical RMSE of the DEM (m), > 0.
    datum_rmse_m : float, default 0
        RMSE of the tidal/vertical datum transformation (m).

    Returns
    -------
    xarray.DataArray
        Probability in [0, 1], NaN on sea and nodata, dims ``(*level dims, y, x)``.

    Examples
    --------
    >>> import numpy as np
    >>> from urbanrisk.layers import raster_from_array
    >>> dem = raster_from_array(np.array([[0.0, 1.0, 1.2]]), crs=3067,
    ...                         transform=(1, 0, 0, 0, -1, 1), units="m")
    >>> conn = connection_level(dem, sea_level_m=0.0)
    >>> p = inundation_probability(conn, 1.0, dem_rmse_m=0.15, datum_rmse_m=0.2)
    >>> p.values.round(3).tolist()   # σ = 0.25 m: Φ(0) and Φ(−0.8)
    [[[nan, 0.5, 0.212]]]
    """
    connection = _check_connection(connection)
    s_dem = require_positive(dem_rmse_m, name="dem_rmse_m")
    s_dat = require_positive(datum_rmse_m, name="datum_rmse_m", allow_zero=True)
    sigma = float(np.hypot(s_dem, s_dat))
    lv_da = _levels_array(levels)
    _check_reference(lv_da, connection)
    lv = _in_precision(lv_da.values, connection.dtype)
    c = connection.values.astype("float64")
    with np.errstate(invalid="ignore"):
        p = ndtr((lv.reshape(lv.shape + (1, 1)) - c) / sigma)
    p = np.where(np.isnan(c), np.nan, p)
    return _wrap(p, lv_da, connection, "inundation_probability",
                 {"units": "1", "sigma_m": sigma})


def inundation_probability_monte_carlo(
    dem: xr.DataArray,
    levels: float | Sequence[float] | xr.DataArray,
    *,
    dem_rmse_m: float,
    datum_rmse_m: float = 0.0,
    n_realizations: int = 100,
    seed: int | None = None,
    **connection_kwargs,
) -> xr.DataArray:
    """Probability of connected inundation by Monte Carlo over DEM and datum error.

    Each realization adds independent normal noise ``N(0, RMSE_dem²)`` to every cell and one
    common offset ``N(0, RMSE_datum²)`` to the whole DEM, recomputes the connection level
    (one priority-flood each) and counts the cells connected at each level. With
    independent cell errors a sill is overtopped more easily than in the analytic
    (correlated) form, so the probabilities behind sills differ from
    :func:`inundation_probability`; directly connected cells agree.

    Parameters
    ----------
    dem, levels
        As in :func:`inundation_extent`.
    dem_rmse_m, datum_rmse_m : float
        Error standard deviations (m).
    n_realizations : int, default 100
        Number of realizations (the standard error of P is at most 0.5/sqrt(n)).
    seed : int, optional
        Seed of the random generator, for reproducible maps.
    **connection_kwargs
        Passed to :func:`connection_level` (``sea``, ``sea_level_m``, ``connectivity`` ...).

    Returns
    -------
    xarray.DataArray
        Fraction of realizations in which the cell is connected and inundated.

    Examples
    --------
    >>> import numpy as np
    >>> from urbanrisk.layers import raster_from_array
    >>> dem = raster_from_array(np.array([[0.0, 1.0, 5.0]]), crs=3067,
    ...                         transform=(1, 0, 0, 0, -1, 1), units="m")
    >>> p = inundation_probability_monte_carlo(dem, 1.0, dem_rmse_m=0.1, n_realizations=50,
    ...                                        seed=1, sea=dem < 0.5)
    >>> p.values[0, 0, 2].item()
    0.0
    """
    inputs = _connection_inputs(dem, **connection_kwargs)  # checked once, reused below
    dem = inputs[0]
    s_dem = require_positive(dem_rmse_m, name="dem_rmse_m")
    s_dat = require_positive(datum_rmse_m, name="datum_rmse_m", allow_zero=True)
    n_float = require_number(n_realizations, name="n_realizations", low=1)
    if n_float != int(n_float):
        raise InputValueError(f"n_realizations must be a whole number, got {n_realizations!r}.")
    n = int(n_float)
    lv_da = _levels_array(levels)
    _check_reference(lv_da, dem)
    lv = lv_da.values.astype("float64").ravel()
    rng = np.random.default_rng(seed)
    z = dem.values.astype("float64")
    counts = np.zeros((lv.size, *z.shape), dtype="int32")
    valid = np.zeros(z.shape, dtype=bool)
    for _ in range(n):
        noisy = z + rng.normal(0.0, s_dem, z.shape)
        if s_dat:
            noisy = noisy + rng.normal(0.0, s_dat)
        d = dem.copy(data=noisy)
        c = _connection_level(d, *inputs[1:]).values.astype("float64")
        valid |= ~np.isnan(c)
        for k, level in enumerate(lv):
            counts[k] += c <= level
    p = counts / n
    base = _connection_level(*inputs).values
    p = np.where(np.isnan(base), np.nan, p).reshape(lv_da.shape + z.shape)
    return _wrap(p.astype("float32"), lv_da, dem, "inundation_probability",
                 {"units": "1", "n_realizations": n})


# --------------------------------------------------------------------------------------
# Years and probabilities through time
# --------------------------------------------------------------------------------------
def _is_raster(da: xr.DataArray) -> bool:
    return "y" in da.dims and "x" in da.dims


def _check_years(years: object) -> None:
    yrs = require_numbers(years, name="year coordinate of the levels")
    if (yrs != np.round(yrs)).any():
        raise InputValueError(
            f"Years must be whole numbers, got {yrs[yrs != np.round(yrs)][:5].tolist()}."
        )


def _connection_values(connection: object) -> xr.DataArray:
    """Return connection levels of cells (a raster, through the contract) or of assets.

    NaN (sea, nodata, asset off the raster) and +inf (never connected) are meaningful;
    strings are refused.
    """
    if isinstance(connection, xr.DataArray):
        if _is_raster(connection):
            return _check_connection(connection)
        return connection.copy(data=_numeric_array(connection, "connection"))
    if isinstance(connection, pd.Series):
        out = xr.DataArray(_numeric_array(connection, "connection"), dims=("asset",),
                           coords={"asset": connection.index.to_numpy()})
        if "vertical_reference" in connection.attrs:
            out.attrs["vertical_reference"] = connection.attrs["vertical_reference"]
        return out
    return xr.DataArray(_numeric_array(connection, "connection"))


def first_flood_year(
    connection: xr.DataArray | pd.Series | np.ndarray,
    levels: xr.DataArray,
) -> xr.DataArray:
    """Find the first year each cell (or asset) is reached by connected inundation.

    For every combination of the level dims other than ``year`` (scenario, quantile, return
    period ...), the first year ``t`` with ``max_{t' <= t} level(t') >= connection``: the
    running maximum makes a level that falls again (land uplift faster than sea-level rise)
    count from the first year it was reached. Include a surge return level in ``levels``
    (see :func:`~urbanrisk.coast.water_levels`) to get the first year a given storm reaches
    the cell.

    Parameters
    ----------
    connection : xarray.DataArray, pandas.Series or numpy.ndarray
        Output of :func:`connection_level` (raster), or connection levels of assets (see
        :func:`~urbanrisk.coast.asset_connection_level`).
    levels : xarray.DataArray
        Water levels with a ``year`` dim.

    Returns
    -------
    xarray.DataArray
        Year (float; NaN when not reached within the years, on sea and nodata), dims
        ``(*other level dims, *connection dims)``.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> lv = xr.DataArray([0.1, 0.3, 0.2, 0.6], dims="year",
    ...                   coords={"year": [2030, 2050, 2070, 2100]})
    >>> first_flood_year(np.array([0.05, 0.25, 0.5, 2.0]), lv).values.tolist()
    [2030.0, 2050.0, 2100.0, nan]
    """
    if not isinstance(levels, xr.DataArray) or "year" not in levels.dims:
        raise DimensionError("levels must be a DataArray with a 'year' dimension.")
    levels = _levels_array(levels)
    _check_years(levels["year"].values)
    conn_da = _connection_values(connection)
    if isinstance(connection, xr.DataArray | pd.Series):
        _check_reference(levels, conn_da)
    years = np.asarray(levels["year"].values)
    if years.size > 1 and (np.diff(years) <= 0).any():
        levels = levels.sortby("year")
        years = np.asarray(levels["year"].values)
    other = [d for d in levels.dims if d != "year"]
    lv = _in_precision(levels.transpose(*other, "year").values, conn_da.dtype)
    flat = lv.reshape(-1, years.size)
    out = first_years(conn_da.values, flat, years)
    out = out.reshape(tuple(levels.sizes[d] for d in other) + conn_da.shape)
    coords = {d: levels[d] for d in other if d in levels.coords}
    coords.update({d: conn_da[d] for d in conn_da.dims if d in conn_da.coords})
    res = xr.DataArray(out, dims=[*other, *conn_da.dims], coords=coords, name="first_flood_year",
                       attrs={"units": "year"})
    if _is_raster(conn_da):
        # a new object: attach the grid in place (write_crs(...) without inplace copies it)
        res.rio.write_crs(conn_da.rio.crs, inplace=True)
        res.rio.write_transform(conn_da.rio.transform(), inplace=True)
    return res


def annual_exceedance_probability(
    connection: xr.DataArray | pd.Series | np.ndarray,
    sea_level: xr.DataArray,
    return_levels: Mapping[float, float] | pd.Series,
) -> xr.DataArray:
    """Annual probability that a storm tide connects and floods each cell or asset.

    The extreme still-water level above the (risen) mean water surface is described by its
    return levels ``{T: h_T}``; the annual exceedance probability of a level ``h`` is
    interpolated as ``log(1/T)`` linear in ``h`` (an exponential/Gumbel tail between the
    given points, extended with the end segments and capped at 1). In year ``t`` a cell with
    connection level ``c`` is flooded when the storm level exceeds ``c − sea_level(t)``, so
    ``p_t = AEP(c − sea_level(t))``. Combine years with :func:`multi_year_probability`.

    Parameters
    ----------
    connection : xarray.DataArray, pandas.Series or numpy.ndarray
        Connection levels (m).
    sea_level : xarray.DataArray
        Sea-level change with a ``year`` dim (m, same frame).
    return_levels : mapping or pandas.Series
        At least two ``{return_period_years: level_m}`` pairs.

    Returns
    -------
    xarray.DataArray
        Probability per year, dims ``(*sea_level dims, *connection dims)``.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> slr = xr.DataArray([0.0, 0.5], dims="year", coords={"year": [2020, 2100]})
    >>> p = annual_exceedance_probability(np.array([1.5]), slr, {10: 1.0, 100: 1.5})
    >>> p.values.round(3).ravel().tolist()   # 1 % today; the 10-year level by 2100
    [0.01, 0.1]
    """
    if not isinstance(sea_level, xr.DataArray) or "year" not in sea_level.dims:
        raise DimensionError("sea_level must be a DataArray with a 'year' dimension.")
    sea_level = _levels_array(sea_level)
    _check_years(sea_level["year"].values)
    rl = pd.Series(return_levels)
    rp = require_numbers(rl.index.to_numpy(), name="return periods of return_levels", low=1,
                         low_open=True)
    h_raw = require_numbers(rl, name="return_levels (m)")
    order = np.argsort(rp, kind="stable")
    rp, h = rp[order], h_raw[order]
    if len(rp) < 2:
        raise InputValueError("return_levels needs at least two return periods.")
    if (np.diff(h) <= 0).any():
        raise InputValueError("Return levels must increase with the return period.")
    log_aep = np.log(1.0 / rp)
    conn_da = _connection_values(connection)
    if isinstance(connection, xr.DataArray):
        _check_reference(sea_level, conn_da)
    need = (conn_da - sea_level).transpose(*sea_level.dims, *conn_da.dims)  # storm level needed
    x = need.values.astype("float64")
    slope_lo = (log_aep[1] - log_aep[0]) / (h[1] - h[0])
    slope_hi = (log_aep[-1] - log_aep[-2]) / (h[-1] - h[-2])
    la = np.interp(x, h, log_aep)
    la = np.where(x < h[0], log_aep[0] + slope_lo * (x - h[0]), la)
    la = np.where(x > h[-1], log_aep[-1] + slope_hi * (x - h[-1]), la)
    with np.errstate(over="ignore", invalid="ignore"):
        p = np.minimum(np.exp(la), 1.0)
    p = np.where(np.isnan(x), np.nan, p)
    p = np.where(np.isposinf(x), 0.0, p)
    out = need.copy(data=p)
    out.name = "annual_exceedance_probability"
    out.attrs = {"units": "1"}
    return out


def multi_year_probability(annual: xr.DataArray, *, dim: str = "year") -> xr.DataArray:
    """Probability of at least one flood over the years: ``1 − Π_t (1 − p_t)``.

    Years are taken as independent.

    Examples
    --------
    >>> import xarray as xr
    >>> p = xr.DataArray([0.01] * 30, dims="year")
    >>> round(float(multi_year_probability(p)), 4)   # 30 years of a 1 % flood
    0.2603
    """
    if not isinstance(annual, xr.DataArray):
        raise InputValueError("annual must be a DataArray of probabilities per year.")
    if dim not in annual.dims:
        raise DimensionError(f"annual has no {dim!r} dimension.")
    if not is_dask_backed(annual):
        require_numbers(annual, name="annual probabilities", low=0.0, high=1.0,
                        allow_nan=True)
    out = 1.0 - (1.0 - annual).prod(dim=dim, skipna=False)
    out.name = "probability_at_least_one_flood"
    out.attrs = {"units": "1"}
    return out
