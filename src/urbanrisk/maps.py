"""Maps a planner can print, and interactive maps for notebooks.

Static maps are drawn with matplotlib on a plain :class:`matplotlib.figure.Figure` (no
pyplot state, so they are safe in scripts, tests and dask workers). Every map carries a
title, a legend or colour bar with units, a scale bar, a north arrow and a data credit.
Colour scales are perceptually uniform and monotonic in lightness (viridis, cividis), so
the maps read in grayscale and for colour-blind readers (Nuñez et al. 2018; Crameri et al.
2020); classes are told apart by lightness and hatching, never by hue alone.

:func:`save_map` writes PNG and PDF atomically. :func:`explore` gives an interactive folium
map of a vector or raster layer; with ``tiles=None`` nothing is fetched from the network.

Maps are drawn in a projected CRS in metres (the scale bar measures in map units). A layer
in degrees, in Web Mercator or in a projected CRS in feet (a US state plane) is reprojected
to its local UTM zone first, with a logged note (:func:`urbanrisk.layers.require_projected`),
as every analysis does; the layers drawn with it follow it.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> districts = gpd.GeoDataFrame({"name": ["a", "b"], "access_pct": [40.0, 90.0]},
...     geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)], crs=3067)
>>> fig = choropleth_map(districts, "access_pct", title="Green access",
...     legend_label="Residents within 300 m of green space (%)", credit="© Example")
>>> {"N", "© Example", "200 m"} <= {t.get_text() for t in fig.axes[0].texts}
True
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib as mpl
import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.colors import BoundaryNorm, ListedColormap, Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from urbanrisk.errors import EmptyLayerError, InputValueError
from urbanrisk.layers import atomic_path, require_projected, require_same_crs

__all__ = [
    "SEQUENTIAL_CMAP",
    "DIVERGING_SAFE_CMAP",
    "new_map",
    "finish_map",
    "add_scale_bar",
    "add_north_arrow",
    "add_credit",
    "plot_raster",
    "raster_map",
    "choropleth_map",
    "flood_map",
    "patches_map",
    "inundation_map",
    "first_year_map",
    "save_map",
    "explore",
    "comparison_figure",
]

logger = logging.getLogger(__name__)

#: Default sequential colour map (perceptually uniform, monotonic lightness).
SEQUENTIAL_CMAP = "viridis"
#: Second sequential map, optimised for colour-vision deficiency (Nuñez et al. 2018).
DIVERGING_SAFE_CMAP = "cividis"

_LAND = "#e8e8e8"
_WHITE = (1.0, 1.0, 1.0, 1.0)
_EDGE = "#444444"


# --------------------------------------------------------------------------------------
# Map furniture
# --------------------------------------------------------------------------------------
def new_map(*, figsize: tuple[float, float] = (8.0, 7.0)) -> tuple[Figure, Any]:
    """Make a figure with one equal-aspect axes, ready to draw layers on.

    Examples
    --------
    >>> fig, ax = new_map()
    >>> ax.get_aspect()
    1.0
    """
    fig = Figure(figsize=figsize, layout="constrained")
    ax = fig.add_subplot()
    ax.set_aspect("equal")
    return fig, ax


def _nice_length(span: float) -> float:
    """Largest 1/2/5 × 10^n not above a fifth of ``span``."""
    target = span / 5.0
    if target <= 0:
        return 0.0
    exp = math.floor(math.log10(target))
    for m in (5, 2, 1):
        if m * 10**exp <= target:
            return float(m * 10**exp)
    return float(10**exp)


def add_scale_bar(ax: Any, *, segments: int = 4) -> float:
    """Draw an alternating black/white scale bar in the lower left; return its length (m).

    The axes must be in a projected CRS in metres with equal aspect.

    Examples
    --------
    >>> fig, ax = new_map()
    >>> _ = ax.set_xlim(0, 5000); _ = ax.set_ylim(0, 5000)
    >>> add_scale_bar(ax)
    1000.0
    """
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = _nice_length(abs(x1 - x0))
    if length <= 0:
        return 0.0
    h = abs(y1 - y0) * 0.012
    left = x0 + abs(x1 - x0) * 0.04
    bottom = y0 + abs(y1 - y0) * 0.05
    seg = length / segments
    for i in range(segments):
        ax.add_patch(
            Rectangle((left + i * seg, bottom), seg, h, facecolor="black" if i % 2 == 0 else
                      "white", edgecolor="black", linewidth=0.6, zorder=20)
        )
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    ax.text(left + length / 2, bottom + 1.8 * h, label, ha="center", va="bottom", fontsize=7,
            zorder=20, bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.7,
                             "pad": 0.5})
    return length


def add_north_arrow(ax: Any) -> None:
    """Draw a north arrow (grid north of the projected CRS) in the upper right.

    Examples
    --------
    >>> fig, ax = new_map()
    >>> add_north_arrow(ax)
    >>> ax.texts[0].get_text()
    'N'
    """
    ax.annotate(
        "N", xy=(0.95, 0.95), xytext=(0.95, 0.84), xycoords="axes fraction",
        textcoords="axes fraction", ha="center", va="center", fontsize=11,
        fontweight="bold", zorder=21,
        arrowprops={"arrowstyle": "-|>", "facecolor": "black", "edgecolor": "black",
                    "linewidth": 1.5},
        bbox={"boxstyle": "circle,pad=0.2", "facecolor": "white", "edgecolor": "none",
              "alpha": 0.8},
    )


def add_credit(ax: Any, credit: str) -> None:
    """Write the data credit in the lower right corner of the map.

    Examples
    --------
    >>> fig, ax = new_map()
    >>> add_credit(ax, "© OpenStreetMap contributors")
    >>> ax.texts[-1].get_text()
    '© OpenStreetMap contributors'
    """
    ax.text(
        0.99, 0.01, credit, transform=ax.transAxes, ha="right", va="bottom", fontsize=6.5,
        zorder=21, bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1.5},
    )


def finish_map(ax: Any, *, title: str, credit: str = "", scale_bar: bool = True) -> None:
    """Add title, north arrow, scale bar and credit; hide the coordinate ticks.

    Examples
    --------
    >>> fig, ax = new_map()
    >>> _ = ax.set_xlim(0, 100); _ = ax.set_ylim(0, 100)
    >>> finish_map(ax, title="T", credit="© C")
    >>> ax.get_title()
    'T'
    """
    ax.set_title(title, fontsize=12)
    _bare(ax)
    _fit_figure(ax)
    add_north_arrow(ax)
    if credit:
        add_credit(ax, credit)
    if scale_bar:
        add_scale_bar(ax)


def _fit_figure(ax: Any, *, height_in: float = 7.0) -> None:
    """Size a one-map figure to the map's aspect (room for the colour bar beside it)."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    if abs(y1 - y0) <= 0 or abs(x1 - x0) <= 0:
        return
    aspect = abs(x1 - x0) / abs(y1 - y0)
    width = min(12.0, max(5.5, (height_in - 1.0) * aspect + 2.6))
    ax.figure.set_size_inches(width, height_in)


def _bare(ax: Any) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")


def _land_background(ax: Any, da: xr.DataArray) -> None:
    """Light grey where ``da`` has data (land), white elsewhere (sea, water, nodata)."""
    base = xr.where(np.isfinite(da), 1.0, np.nan)
    base = base.rio.write_crs(da.rio.crs).rio.write_transform(da.rio.transform())
    plot_raster(ax, base, cmap="Greys", vmin=0, vmax=8, colorbar=False)


def _check_layer(layer: Any, name: str) -> Any:
    """Return ``layer`` in a CRS in metres (reprojected to local UTM, logged, if not)."""
    if isinstance(layer, gpd.GeoDataFrame | gpd.GeoSeries) and len(layer) == 0:
        raise EmptyLayerError(f"{name} has no features to map.")
    out = require_projected(layer, name=name)
    if out is not layer:
        logger.info("map of %s drawn in %s (metres), not in the layer's own CRS", name,
                    out.rio.crs if isinstance(out, xr.DataArray) else out.crs)
    return out


def _onto(da: xr.DataArray, like: xr.DataArray) -> xr.DataArray:
    """``da`` on the grid of ``like`` when ``like`` was reprojected for the map."""
    if da.rio.crs is not None and like.rio.crs is not None and da.rio.crs == like.rio.crs:
        return da
    src = da if np.issubdtype(da.dtype, np.floating) else da.astype("float64")
    return src.rio.reproject_match(like, nodata=np.nan)


def _to_crs(layer: gpd.GeoDataFrame, crs: Any) -> gpd.GeoDataFrame:
    if layer.crs is not None and crs is not None and not layer.crs.equals(crs):
        return layer.to_crs(crs)
    return layer


def _cmap(name: str, bad_alpha: float = 0.0) -> Any:
    return mpl.colormaps[name].with_extremes(bad=(1.0, 1.0, 1.0, bad_alpha))


# --------------------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------------------
def plot_raster(
    ax: Any,
    da: xr.DataArray,
    *,
    cmap: str = SEQUENTIAL_CMAP,
    vmin: float | None = None,
    vmax: float | None = None,
    label: str | None = None,
    colorbar: bool = True,
    alpha: float = 1.0,
) -> Any:
    """Draw a 2-D raster (NaN transparent) with a colour bar labelled with its units.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Target axes.
    da : xarray.DataArray
        2-D ``(y, x)`` raster in a projected CRS.
    cmap : str, default "viridis"
        Colour map name.
    vmin, vmax : float, optional
        Colour limits; default: the data's finite range.
    label : str, optional
        Colour bar label; default: ``"<name> (<units>)"``.
    colorbar : bool, default True
        Draw the colour bar.
    alpha : float, default 1.0
        Opacity.

    Returns
    -------
    matplotlib.image.AxesImage

    Examples
    --------
    >>> from urbanrisk.layers import raster_from_array
    >>> da = raster_from_array(np.arange(4.0).reshape(2, 2), crs=3067,
    ...                        transform=(10, 0, 0, 0, -10, 20), units="m", name="depth")
    >>> fig, ax = new_map()
    >>> im = plot_raster(ax, da)
    >>> [float(v) for v in im.get_extent()], fig.axes[1].get_ylabel()
    ([0.0, 20.0, 0.0, 20.0], 'depth (m)')
    """
    if da.ndim != 2:
        raise InputValueError(
            f"plot_raster draws 2-D rasters; {da.name or 'raster'} has dims {da.dims}. "
            "Select one slice first, e.g. da.sel(return_period=100)."
        )
    da = da.transpose("y", "x")
    left, bottom, right, top = (float(v) for v in da.rio.bounds())
    values = np.asarray(da.values, dtype="float64")
    # rows of rioxarray rasters run north to south; flip if not
    origin = "upper"
    if da.sizes["y"] > 1 and float(da.y[0]) < float(da.y[-1]):
        origin = "lower"
    im = ax.imshow(
        np.ma.masked_invalid(values), extent=(left, right, bottom, top), origin=origin,
        cmap=_cmap(cmap), vmin=vmin, vmax=vmax, interpolation="nearest", alpha=alpha,
        zorder=1,
    )
    if colorbar:
        units = da.attrs.get("units")
        text = label or f"{da.name or 'value'}" + (f" ({units})" if units else "")
        cb = ax.figure.colorbar(im, ax=ax, shrink=0.7)
        cb.set_label(text)
    return im


def raster_map(
    da: xr.DataArray,
    *,
    title: str,
    credit: str = "",
    label: str | None = None,
    cmap: str = SEQUENTIAL_CMAP,
    background: gpd.GeoDataFrame | None = None,
    outline: xr.DataArray | None = None,
    outline_label: str = "Hot spot",
) -> Figure:
    """Map one 2-D raster, with an optional outline layer below it.

    ``outline`` is a 0/1 raster on the same grid whose 1-cells are outlined in black (e.g.
    heat hot spots), with ``outline_label`` in the legend.

    Examples
    --------
    >>> from urbanrisk.layers import raster_from_array
    >>> da = raster_from_array(np.ones((3, 3)), crs=3067,
    ...                        transform=(10, 0, 0, 0, -10, 30), units="degC", name="lst")
    >>> raster_map(da, title="Land surface temperature").axes[0].get_title()
    'Land surface temperature'
    """
    da = _check_layer(da, str(da.name or "raster"))
    fig, ax = new_map()
    if background is not None:
        _to_crs(background, da.rio.crs).plot(ax=ax, facecolor=_LAND, edgecolor="#999999",
                                              linewidth=0.4, zorder=0)
    plot_raster(ax, da, cmap=cmap, label=label)
    if outline is not None:
        outline = _onto(outline, da)
        mask = np.nan_to_num(np.asarray(outline.transpose("y", "x").values, dtype=float))
        if mask.any():
            ax.contour(outline["x"].values, outline["y"].values, mask, levels=[0.5],
                       colors="black", linewidths=0.9, zorder=5)
        fig.legend(handles=[Patch(facecolor="none", edgecolor="black",
                                  label=f"{outline_label} ({int(mask.sum())} cells)")],
                   loc="outside lower center", fontsize=8, frameon=False)
    finish_map(ax, title=title, credit=credit)
    return fig


def choropleth_map(
    zones: gpd.GeoDataFrame,
    column: str,
    *,
    title: str,
    legend_label: str,
    credit: str = "",
    cmap: str = DIVERGING_SAFE_CMAP,
    label_column: str | None = "name",
    fmt: str = "{:,.0f}",
) -> Figure:
    """Zones (districts) coloured by a value, each labelled with its value.

    Parameters
    ----------
    zones : geopandas.GeoDataFrame
        Polygons with ``column``; projected CRS.
    column : str
        Numeric column to map.
    title : str
        Map title.
    legend_label : str
        Colour bar label, with units.
    credit : str, optional
        Data credit.
    cmap : str, default "cividis"
        Colour map.
    label_column : str, optional
        Column of zone names printed with the value (skipped if absent).
    fmt : str, default "{:,.0f}"
        Format of the printed values.

    Returns
    -------
    matplotlib.figure.Figure
    """
    zones = _check_layer(zones, "zones")
    if column not in zones.columns:
        raise InputValueError(f"zones has no column {column!r}; columns: {list(zones.columns)}")
    fig, ax = new_map()
    values = zones[column].astype(float)
    finite = values[np.isfinite(values)]
    norm = Normalize(
        vmin=float(finite.min()) if len(finite) else 0.0,
        vmax=float(finite.max()) if len(finite) and finite.max() > finite.min() else
        (float(finite.max()) + 1.0 if len(finite) else 1.0),
    )
    cm = _cmap(cmap)
    zones.plot(ax=ax, color=[cm(norm(v)) if np.isfinite(v) else _WHITE for v in values],
               edgecolor=_EDGE, linewidth=0.6, hatch=None, zorder=1)
    if (~np.isfinite(values)).any():
        zones[~np.isfinite(values)].plot(ax=ax, facecolor="white", edgecolor=_EDGE,
                                         hatch="//", linewidth=0.6, zorder=2)
    sm = mpl.cm.ScalarMappable(norm=norm, cmap=cm)
    cb = fig.colorbar(sm, ax=ax, shrink=0.7)
    cb.set_label(legend_label)
    for idx, row in zones.iterrows():
        v = values.loc[idx]
        pt = row.geometry.representative_point()
        name = str(row[label_column]) + "\n" if label_column and label_column in zones else ""
        txt = fmt.format(v) if np.isfinite(v) else "no data"
        ax.text(pt.x, pt.y, f"{name}{txt}", ha="center", va="center", fontsize=7, zorder=5,
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.7, "pad": 1})
    finish_map(ax, title=title, credit=credit)
    return fig


def flood_map(
    depth: xr.DataArray,
    buildings: gpd.GeoDataFrame,
    *,
    exposed: Sequence[bool] | np.ndarray,
    title: str,
    credit: str = "",
    label: str = "Flood depth (m)",
) -> Figure:
    """Flood depth with the buildings exposed to it outlined in black.

    Parameters
    ----------
    depth : xarray.DataArray
        2-D flood depth (m), one return period.
    buildings : geopandas.GeoDataFrame
        Building footprints.
    exposed : sequence of bool
        One flag per building: drawn dark with a heavy outline when true, light grey
        otherwise.
    title, credit, label : str
        Title, data credit, colour bar label.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> from urbanrisk.layers import raster_from_array
    >>> d = raster_from_array(np.array([[0.0, 1.0], [0.5, np.nan]]), crs=3067,
    ...                       transform=(10, 0, 0, 0, -10, 20), units="m", name="depth")
    >>> b = gpd.GeoDataFrame(geometry=[box(1, 1, 4, 4), box(12, 12, 18, 18)], crs=3067)
    >>> fig = flood_map(d, b, exposed=[False, True], title="100-year flood")
    >>> [t.get_text() for t in fig.legends[0].get_texts()][:2]
    ['Exposed building (1)', 'Other building (1)']
    """
    depth = _check_layer(depth, str(depth.name or "flood depth"))
    buildings = _to_crs(_check_layer(buildings, "buildings"), depth.rio.crs)
    flags = np.asarray(exposed, dtype=bool)
    if len(flags) != len(buildings):
        raise InputValueError(
            f"exposed has {len(flags)} flags for {len(buildings)} buildings; give one each."
        )
    fig, ax = new_map()
    vmax = float(np.nanmax(depth.values)) if np.isfinite(depth.values).any() else 1.0
    _land_background(ax, depth)
    plot_raster(ax, depth.where(depth > 0), cmap="viridis_r", vmin=0.0, vmax=max(vmax, 1e-6),
                label=label)
    if (~flags).any():
        buildings[~flags].plot(ax=ax, facecolor="#d0d0d0", edgecolor="#808080",
                               linewidth=0.3, zorder=3)
    if flags.any():
        buildings[flags].plot(ax=ax, facecolor="#222222", edgecolor="black", linewidth=0.8,
                              zorder=4)
    handles = [
        Patch(facecolor="#222222", edgecolor="black", label=f"Exposed building ({flags.sum()})"),
        Patch(facecolor="#d0d0d0", edgecolor="#808080",
              label=f"Other building ({(~flags).sum()})"),
        Patch(facecolor=mpl.colormaps["Greys"](1 / 8), edgecolor="none", label="Dry land"),
        Patch(facecolor="white", edgecolor="#808080", label="Water / no data"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=2, fontsize=8,
               frameon=False)
    finish_map(ax, title=title, credit=credit)
    return fig


def patches_map(
    patches: gpd.GeoDataFrame,
    *,
    column: str,
    title: str,
    legend_label: str,
    credit: str = "",
    candidates: gpd.GeoDataFrame | None = None,
    candidate_rank_column: str | None = None,
    background: gpd.GeoDataFrame | None = None,
) -> Figure:
    """Habitat patches coloured by a value (e.g. dPC), with candidate sites hatched.

    Parameters
    ----------
    patches : geopandas.GeoDataFrame
        Patch polygons with ``column``.
    column : str
        Value to colour by (e.g. ``"dPC"``).
    title, legend_label, credit : str
        Title, colour bar label with units, data credit.
    candidates : geopandas.GeoDataFrame, optional
        Candidate sites, drawn hatched; if ``candidate_rank_column`` is given, sites with
        a rank are labelled ``#1``, ``#2``...
    candidate_rank_column : str, optional
        Column of candidate ranks (NaN = not selected).
    background : geopandas.GeoDataFrame, optional
        Outline layer (districts) drawn below.

    Returns
    -------
    matplotlib.figure.Figure
    """
    patches = _check_layer(patches, "patches")
    if column not in patches.columns:
        raise InputValueError(f"patches has no column {column!r}")
    fig, ax = new_map()
    if background is not None:
        _to_crs(background, patches.crs).plot(ax=ax, facecolor=_LAND, edgecolor="#999999",
                                              linewidth=0.4, zorder=0)
    values = patches[column].astype(float)
    finite = values[np.isfinite(values)]
    vmax = float(finite.max()) if len(finite) and finite.max() > 0 else 1.0
    norm = Normalize(vmin=0.0, vmax=vmax)
    cm = _cmap(SEQUENTIAL_CMAP)
    patches.plot(ax=ax, color=[cm(norm(v)) if np.isfinite(v) else _WHITE for v in values],
                 edgecolor=_EDGE, linewidth=0.3, zorder=2)
    cb = fig.colorbar(mpl.cm.ScalarMappable(norm=norm, cmap=cm), ax=ax, shrink=0.7)
    cb.set_label(legend_label)
    handles = []
    if candidates is not None and len(candidates):
        cand = _to_crs(candidates, patches.crs)
        cand.plot(ax=ax, facecolor="none", edgecolor="black", hatch="xxx", linewidth=0.8,
                  zorder=3)
        handles.append(Patch(facecolor="white", edgecolor="black", hatch="xxx",
                             label=f"Candidate site ({len(cand)})"))
        if candidate_rank_column and candidate_rank_column in cand:
            for _, row in cand.iterrows():
                r = row[candidate_rank_column]
                if r is not None and np.isfinite(float(r)):
                    pt = row.geometry.representative_point()
                    ax.text(pt.x, pt.y, f"#{int(r)}", ha="center", va="center", fontsize=9,
                            fontweight="bold", zorder=6,
                            bbox={"facecolor": "white", "edgecolor": "black", "pad": 1.5})
    if handles:
        ax.legend(handles=handles, loc="upper left", fontsize=8, framealpha=0.9)
    finish_map(ax, title=title, credit=credit)
    return fig


def inundation_map(
    panels: Mapping[tuple[str, int], xr.DataArray],
    *,
    title: str,
    credit: str = "",
    land: xr.DataArray | None = None,
    outlines: gpd.GeoDataFrame | None = None,
    label: str = "Water depth above ground (m)",
) -> Figure:
    """Small multiples of inundation depth: one row per scenario, one column per year.

    Parameters
    ----------
    panels : mapping of (scenario label, year) to xarray.DataArray
        2-D inundation depth (m; NaN or 0 = dry) per panel, all on one grid.
    title, credit, label : str
        Overall title, data credit and colour bar label.
    land : xarray.DataArray, optional
        Any raster of the same grid whose finite cells are land (e.g. the DEM above the
        present water level); drawn light grey below the water.
    outlines : geopandas.GeoDataFrame, optional
        Outlines drawn thinly on every panel for orientation (e.g. buildings).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from urbanrisk.layers import raster_from_array
    >>> g = dict(crs=3067, transform=(10, 0, 0, 0, -10, 20), units="m")
    >>> p = {("SSP1-2.6", 2100): raster_from_array(np.array([[0.2, 0], [0, 0]]), **g),
    ...      ("SSP5-8.5", 2100): raster_from_array(np.array([[0.9, 0.3], [0, 0]]), **g)}
    >>> fig = inundation_map(p, title="Sea reach")
    >>> [a.get_title() for a in fig.axes[:2]]
    ['SSP1-2.6, 2100', 'SSP5-8.5, 2100']
    """
    if not panels:
        raise EmptyLayerError("inundation_map needs at least one panel.")
    scen = list(dict.fromkeys(k[0] for k in panels))
    years = list(dict.fromkeys(k[1] for k in panels))
    first = next(iter(panels.values()))
    for k, da in panels.items():
        require_same_crs(first, da, names=("inundation", f"inundation {k}"))
    metric = _check_layer(first, "inundation")
    if metric is not first:  # every panel (and the land) onto the reprojected grid
        panels = {k: _onto(da, metric) for k, da in panels.items()}
        land = _onto(land, metric) if land is not None else None
        first = metric
    vmax = max(
        (float(np.nanmax(d.values)) for d in panels.values() if np.isfinite(d.values).any()),
        default=1.0,
    )
    vmax = max(vmax, 1e-6)
    nr, nc = len(scen), len(years)
    x0, y0, x1, y1 = (float(v) for v in first.rio.bounds())
    panel_w = min(5.0, max(1.8, 3.4 * (x1 - x0) / max(y1 - y0, 1e-9)))
    fig = Figure(figsize=(panel_w * nc + 1.6, 3.4 * nr + 1.0), layout="constrained")
    axes = fig.subplots(nr, nc, squeeze=False)
    im = None
    for i, s in enumerate(scen):
        for j, y in enumerate(years):
            ax = axes[i][j]
            ax.set_aspect("equal")
            if land is not None:
                _land_background(ax, land)
            if outlines is not None:
                _to_crs(outlines, first.rio.crs).plot(ax=ax, facecolor="none",
                                                      edgecolor="#777777", linewidth=0.2,
                                                      zorder=4)
            da = panels.get((s, y))
            if da is None:
                ax.set_title(f"{s}, {y}: not computed", fontsize=9)
                continue
            wet = da.where(da > 0)
            im = plot_raster(ax, wet, cmap="viridis_r", vmin=0.0, vmax=vmax, colorbar=False)
            ax.set_title(f"{s}, {y}", fontsize=10)
            _bare(ax)
            if i == 0 and j == 0:
                add_scale_bar(ax)
            if i == 0 and j == nc - 1:
                add_north_arrow(ax)
    for row in axes:
        for ax in row:
            _bare(ax)
    if im is not None:
        cb = fig.colorbar(im, ax=axes, shrink=0.6)
        cb.set_label(label)
    if land is not None:
        fig.legend(handles=[
            Patch(facecolor=mpl.colormaps["Greys"](1 / 8), edgecolor="none", label="Dry land"),
            Patch(facecolor="white", edgecolor="#808080", label="Sea / no data"),
        ], loc="outside lower left", ncols=2, fontsize=8, frameon=False)
    fig.suptitle(title, fontsize=12)
    if credit:
        fig.text(0.99, 0.005, credit, ha="right", va="bottom", fontsize=6.5)
    return fig


def first_year_map(
    buildings: gpd.GeoDataFrame,
    *,
    column: str,
    title: str,
    years: Sequence[int] | None = None,
    credit: str = "",
    background: gpd.GeoDataFrame | None = None,
) -> Figure:
    """Map buildings coloured by the first year the sea reaches them (never: grey).

    Parameters
    ----------
    buildings : geopandas.GeoDataFrame
        Footprints with ``column`` holding a year or NaN.
    column : str
        First-year column.
    title, credit : str
        Title and data credit.
    years : sequence of int, optional
        Class breaks (the years of the scenario); default: the distinct years present.
    background : geopandas.GeoDataFrame, optional
        Outline layer below.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> b = gpd.GeoDataFrame({"y": [2040.0, np.nan, 2090.0]},
    ...     geometry=[box(0, 0, 5, 5), box(10, 0, 15, 5), box(20, 0, 25, 5)], crs=3067)
    >>> fig = first_year_map(b, column="y", title="First year reached")
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['by 2040 (1)', '2041–2090 (1)', 'not reached (1)']
    """
    buildings = _check_layer(buildings, "buildings")
    vals = buildings[column].astype(float).to_numpy()
    reached = np.isfinite(vals)
    if years is None:
        years = sorted({int(v) for v in vals[reached]})
    years = sorted(int(y) for y in years)
    fig, ax = new_map()
    if background is not None:
        _to_crs(background, buildings.crs).plot(ax=ax, facecolor=_LAND, edgecolor="#999999",
                                                linewidth=0.4, zorder=0)
    handles = []
    if (~reached).any():
        buildings[~reached].plot(ax=ax, facecolor="#dddddd", edgecolor="#999999",
                                 linewidth=0.2, zorder=2)
    if years:
        cm = ListedColormap(mpl.colormaps["viridis"](np.linspace(0.0, 0.9, len(years))))
        bounds = [-np.inf] + years
        norm = BoundaryNorm(bounds, cm.N) if len(years) > 1 else None
        for k, y in enumerate(years):
            lo = bounds[k]
            sel = reached & (vals > lo) & (vals <= y)
            color = cm(k) if norm is not None else cm(0)
            if sel.any():
                buildings[sel].plot(ax=ax, facecolor=color, edgecolor="black", linewidth=0.3,
                                    zorder=3)
            span = f"by {y}" if k == 0 else f"{int(lo) + 1}–{y}"
            handles.append(Patch(facecolor=color, edgecolor="black",
                                 label=f"{span} ({int(sel.sum())})"))
    handles.append(Patch(facecolor="#dddddd", edgecolor="#999999",
                         label=f"not reached ({int((~reached).sum())})"))
    ax.legend(handles=handles, loc="upper left", fontsize=8, framealpha=0.9,
              title="First year reached", title_fontsize=8)
    finish_map(ax, title=title, credit=credit)
    return fig


# --------------------------------------------------------------------------------------
# Saving
# --------------------------------------------------------------------------------------
def save_map(
    fig: Figure,
    path: str | os.PathLike,
    *,
    formats: Sequence[str] = ("png", "pdf"),
    dpi: int = 150,
    overwrite: bool = False,
) -> list[Path]:
    """Write a figure as PNG and/or PDF beside ``path`` (its suffix is replaced), atomically.

    PDF files carry no creation date, so the same map gives the same bytes.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> fig, ax = new_map(figsize=(2, 2))
    >>> out = save_map(fig, pathlib.Path(tempfile.mkdtemp()) / "m", formats=["png"], dpi=50)
    >>> [p.suffix for p in out]
    ['.png']
    """
    written = []
    base = Path(path)
    for fmt in formats:
        fmt = fmt.lower()
        if fmt not in ("png", "pdf"):
            raise InputValueError(f"map formats are 'png' and 'pdf', got {fmt!r}")
        target = base.with_suffix(f".{fmt}")
        meta = {"CreationDate": None} if fmt == "pdf" else {"Software": None}
        with atomic_path(target, overwrite=overwrite) as tmp:
            fig.savefig(tmp, format=fmt, dpi=dpi, metadata=meta)
        written.append(target)
    return written


# --------------------------------------------------------------------------------------
# Interactive
# --------------------------------------------------------------------------------------
def explore(
    layer: gpd.GeoDataFrame | xr.DataArray,
    *,
    column: str | None = None,
    tiles: str | None = None,
    m: Any = None,
    name: str | None = None,
    cmap: str = SEQUENTIAL_CMAP,
    opacity: float = 0.7,
    **kwargs: Any,
) -> Any:
    """Make an interactive folium map of a vector or raster layer, offline-safe.

    Parameters
    ----------
    layer : geopandas.GeoDataFrame or xarray.DataArray
        Vector layer (drawn with :meth:`geopandas.GeoDataFrame.explore`) or 2-D raster
        (reprojected to EPSG:4326, coloured with ``cmap`` and laid as an image overlay).
    column : str, optional
        Vector column to colour by.
    tiles : str, optional
        Background tiles; ``None`` (the default) fetches nothing, so the map works
        offline and in CI. Pass ``"OpenStreetMap"`` for a base map.
    m : folium.Map, optional
        Add to this map instead of making a new one.
    name : str, optional
        Layer name in the layer control.
    cmap : str, default "viridis"
        Colour map.
    opacity : float, default 0.7
        Raster overlay opacity.
    **kwargs
        Passed to :meth:`geopandas.GeoDataFrame.explore`.

    Returns
    -------
    folium.Map

    Examples
    --------
    >>> from shapely.geometry import box
    >>> gdf = gpd.GeoDataFrame({"v": [1.0]}, geometry=[box(385000, 6671000, 386000, 6672000)],
    ...                        crs=3067)
    >>> m = explore(gdf, column="v")
    >>> "tile.openstreetmap" in m.get_root().render()
    False
    """
    import folium

    if isinstance(layer, gpd.GeoDataFrame | gpd.GeoSeries):
        if m is None:
            return layer.explore(column=column, tiles=tiles, cmap=cmap, name=name, **kwargs)
        return layer.explore(m=m, column=column, cmap=cmap, name=name, **kwargs)
    if not isinstance(layer, xr.DataArray):
        raise InputValueError(f"explore takes a GeoDataFrame or DataArray, got {type(layer)}")
    if layer.ndim != 2:
        raise InputValueError(
            f"explore draws 2-D rasters; {layer.name or 'raster'} has dims {layer.dims}. "
            "Select one slice first."
        )
    da = layer.rio.reproject("EPSG:4326", nodata=np.nan)
    vals = np.asarray(da.values, dtype=float)
    finite = np.isfinite(vals)
    lo = float(np.nanmin(vals)) if finite.any() else 0.0
    hi = float(np.nanmax(vals)) if finite.any() else 1.0
    rgba = mpl.colormaps[cmap](Normalize(lo, hi if hi > lo else lo + 1)(np.where(finite, vals,
                                                                                  lo)))
    rgba[..., 3] = np.where(finite, opacity, 0.0)
    w, s, e, n = (float(v) for v in da.rio.bounds())
    if m is None:
        m = folium.Map(tiles=tiles)
        m.fit_bounds([[s, w], [n, e]])
    folium.raster_layers.ImageOverlay(
        image=rgba, bounds=[[s, w], [n, e]], name=name or str(layer.name or "raster"),
        origin="upper" if float(da.y[0]) > float(da.y[-1]) else "lower",
    ).add_to(m)
    return m


def comparison_figure(
    indicators: pd.DataFrame,
    *,
    selection: Mapping[str, Mapping[str, Any]],
    titles: Mapping[str, str] | None = None,
    cities: Sequence[str] | None = None,
) -> Figure:
    """Bar charts of chosen indicators, cities side by side (one panel per indicator).

    A city without a value for a bar (its analysis did not run, or the city failed) is
    marked *not computed* in grey where its bar would stand; a value of zero is a bar
    labelled ``0``, so the two never look alike.

    Parameters
    ----------
    indicators : pandas.DataFrame
        A tidy indicator table (columns city, indicator, scenario, year, value, unit), e.g.
        the concatenated table of a study.
    selection : mapping
        Indicator → column filters choosing its rows, e.g. ``{"people_exposed":
        {"scenario": "RP100"}, "ead": {}}``. Where several rows per city remain (scenarios,
        years), they are drawn as grouped bars labelled by scenario and year. Indicators
        with no rows get no panel.
    titles : mapping of str to str, optional
        Indicator → panel title (default: the indicator key).
    cities : sequence of str, optional
        The cities to show, in order (default: those in ``indicators``); give every city of
        a study so the ones not computed show as such.

    Returns
    -------
    matplotlib.figure.Figure
        A plain figure (no pyplot state): save it with :func:`save_map` or
        ``fig.savefig``.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"city": ["A", "B"], "indicator": ["ead", "ead"],
    ...                       "scenario": [None, None], "year": [None, None],
    ...                       "value": [10.0, 30.0], "unit": ["EUR/yr", "EUR/yr"]})
    >>> fig = comparison_figure(table, selection={"ead": {}},
    ...                         titles={"ead": "Expected annual damage"})
    >>> [t.get_text() for t in fig.axes[0].get_xticklabels()], fig.axes[0].get_title()
    (['A', 'B'], 'Expected annual damage')

    A city that failed is named, and marked, rather than drawn as an empty bar:

    >>> fig = comparison_figure(table, selection={"ead": {}}, cities=["A", "B", "C"])
    >>> [t.get_text() for t in fig.axes[0].texts]
    ['not computed']

    Raises
    ------
    InputValueError
        A city has two rows for one bar (two cities share a name).
    """
    titles = {} if titles is None else titles
    panels = []
    for key, filters in selection.items():
        rows = indicators[indicators["indicator"] == key]
        for column, wanted in filters.items():
            rows = rows[rows[column] == wanted]
        if len(rows):
            panels.append((key, rows))
    ncols = min(3, max(1, len(panels)))
    nrows = max(1, -(-len(panels) // ncols))
    fig = Figure(figsize=(4.2 * ncols, 3.4 * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    if cities is None:
        cities = list(dict.fromkeys(indicators["city"].astype(str)))
    else:
        cities = [str(c) for c in dict.fromkeys(cities)]
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    if not panels:
        axes[0, 0].set_visible(True)
        axes[0, 0].text(0.5, 0.5, "no indicators to compare", ha="center", va="center")
        axes[0, 0].set_axis_off()
    for ax, (key, rows) in zip(axes.flat, panels, strict=False):
        series = rows.assign(
            label=rows["scenario"].fillna("").astype(str)
            + rows["year"].map(lambda y: "" if pd.isna(y) else f" {int(y)}")
        )
        labels = list(dict.fromkeys(series["label"]))
        width = 0.8 / len(labels)
        colors = mpl.colormaps["cividis"](np.linspace(0.15, 0.85, len(labels)))
        computed = np.zeros(len(cities), dtype=bool)
        for i, (label, color) in enumerate(zip(labels, colors, strict=True)):
            part = series[series["label"] == label]
            twice = part["city"].astype(str)[part["city"].astype(str).duplicated()]
            if len(twice):
                raise InputValueError(
                    f"indicator {key!r} ({label.strip() or 'no scenario'}) has more than one "
                    f"row for city {twice.iloc[0]!r}: two cities share that name. Give each "
                    "city its own [city] name."
                )
            part = part.set_index(part["city"].astype(str))["value"]
            values = np.array([part.get(c, np.nan) for c in cities], dtype=float)
            computed |= np.isfinite(values)
            x = np.arange(len(cities)) + (i - (len(labels) - 1) / 2) * width
            ax.bar(x, values, width=width, color=color, edgecolor="black", linewidth=0.5,
                   label=label.strip() or None)
            for xi, v in zip(x, values, strict=True):
                if v == 0:  # a true zero: say so, a flat bar is invisible
                    ax.annotate("0", (xi, 0), xytext=(0, 2), textcoords="offset points",
                                ha="center", va="bottom", fontsize=7)
        for j in np.flatnonzero(~computed):
            ax.axvspan(j - 0.4, j + 0.4, facecolor="0.92", hatch="//", edgecolor="0.7",
                       linewidth=0)
            ax.text(j, 0.5, "not computed", transform=ax.get_xaxis_transform(), rotation=90,
                    ha="center", va="center", fontsize=7, color="0.35", style="italic")
        ax.set_title(titles.get(key, key), fontsize=9)
        ax.set_ylabel(str(rows["unit"].iloc[0]))
        ax.set_xticks(np.arange(len(cities)), cities, rotation=30, ha="right")
        if len(labels) > 1:
            ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
