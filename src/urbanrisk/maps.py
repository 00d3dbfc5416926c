"""Maps a planner can print, and interactive maps for notebooks.

Static maps are drawn with matplotlib on a plain :class:`matplotlib.figure.Figure` (no
pyplot state, so they are safe in scripts, tests and dask workers). Every map carries a
title, a legend or colour bar with units, and, in a strip *below* the map so they never hide
data, a scale bar, a north arrow and the data credit. Colour scales are perceptually uniform
and monotonic in lightness (viridis, cividis), so the maps read in grayscale and for
colour-blind readers (Nuñez et al. 2018; Crameri et al. 2020); classes are told apart by
lightness and hatching, never by hue alone. Shares are drawn on their full 0–100 % range,
with the target marked on the colour bar, so 99 % does not look like a failure.

**Geographic context without the internet.** No map tile is fetched by default: a
:class:`MapContext` built from the city's own layers (:meth:`MapContext.from_layers`) draws
the sea and lakes in blue and names them, the district boundaries with their names, and the
major streets with the names of the longest ones. A web basemap is optional: pass
``basemap="OpenStreetMap.Mapnik"`` (an ``xyzservices`` name or provider) and, when
`contextily <https://contextily.readthedocs.io>`_ is installed and the tiles can be fetched,
they are drawn below the data; otherwise a warning says why and the map keeps its own
layers. Tests and CI never pass ``basemap``.

Every map function takes ``ax=`` to draw into an existing axes (a notebook composes several
maps in one figure), and ``title=`` and the legend labels default to something sensible.

:func:`save_map` writes PNG and PDF atomically. :func:`explore` gives an interactive folium
map of a vector or raster layer with the city's own layers below it; with ``tiles=None`` (the
default) no tile is fetched. The page still loads the Leaflet library (JavaScript and CSS)
from a public CDN, as every folium map does: without the internet the interactive map stays
blank, and the static maps are the offline view.

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
...     legend_label="Residents within 300 m of green space (%)", credit="© Example",
...     vmin=0, vmax=100, target=100)
>>> strip = fig.axes[0].child_axes[0]  # scale bar, north arrow and credit, under the map
>>> {"N", "© Example", "200 m"} <= {t.get_text() for t in strip.texts}
True
"""

from __future__ import annotations

import logging
import math
import os
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import matplotlib as mpl
import matplotlib.patheffects as pe
import numpy as np
import pandas as pd
import shapely
import xarray as xr
from matplotlib.colors import BoundaryNorm, ListedColormap, Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from rasterio.features import rasterize
from shapely.geometry import box as _box

from urbanrisk.errors import EmptyLayerError, InputValueError
from urbanrisk.layers import atomic_path, require_projected, require_same_crs

__all__ = [
    "SEQUENTIAL_CMAP",
    "DIVERGING_SAFE_CMAP",
    "MAJOR_ROADS",
    "MapContext",
    "new_map",
    "finish_map",
    "draw_context",
    "add_basemap",
    "add_scale_bar",
    "add_north_arrow",
    "add_credit",
    "plot_raster",
    "raster_map",
    "choropleth_map",
    "where_to_act_map",
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
#: OpenStreetMap ``highway`` classes drawn and named as major streets.
MAJOR_ROADS = ("motorway", "trunk", "primary", "secondary", "tertiary", "motorway_link",
               "trunk_link", "primary_link", "secondary_link", "pedestrian")

_LAND = "#ececec"
_WHITE = (1.0, 1.0, 1.0, 1.0)
_EDGE = "#444444"
_WATER = "#b9d3e8"
_WATER_EDGE = "#7fa6c8"
_WATER_TEXT = "#24557f"
_ROAD = "#ffffff"
_ROAD_CASING = "#a8a8a8"
_HALO = [pe.withStroke(linewidth=2.2, foreground="white")]
_LABEL_WIDTH = 34  # characters per line of a colour-bar label


# --------------------------------------------------------------------------------------
# The city's own layers as geographic context
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MapContext:
    """The city's own layers drawn under a map for orientation: no tiles, no network.

    Attributes
    ----------
    water : geopandas.GeoDataFrame, optional
        Sea and lake polygons, drawn blue and labelled with their ``label`` column (from
        ``name``; the sea layer unnamed is labelled "Sea").
    districts : geopandas.GeoDataFrame, optional
        District polygons: outlines and names.
    district_label : str, optional
        Column of ``districts`` holding the names (none drawn when absent).
    roads : geopandas.GeoDataFrame, optional
        Road centre lines; the major ones (``road_class`` in :data:`MAJOR_ROADS`, or every
        road when the layer has no such column) are drawn, and the longest named ones
        labelled.
    road_label : str, optional
        Column of ``roads`` holding street names (none labelled when absent).
    road_class : str, optional
        Column of ``roads`` holding the OSM ``highway`` class.
    buildings : geopandas.GeoDataFrame, optional
        Footprints drawn as thin outlines (heat map, sea-level map).
    max_street_labels : int, default 8
        At most this many street names per map.

    Examples
    --------
    >>> from shapely.geometry import box, LineString
    >>> sea = gpd.GeoDataFrame(geometry=[box(0, 500, 1000, 1000)], crs=3067)
    >>> roads = gpd.GeoDataFrame({"name": ["Main St"], "highway": ["primary"]},
    ...                          geometry=[LineString([(0, 100), (1000, 120)])], crs=3067)
    >>> ctx = MapContext.from_layers({"sea": sea, "roads": roads})
    >>> ctx
    MapContext(water: 1, districts: 0, roads: 1, buildings: 0)
    >>> ctx.water["label"].tolist()
    ['Sea']
    """

    water: gpd.GeoDataFrame | None = None
    districts: gpd.GeoDataFrame | None = None
    district_label: str | None = "name"
    roads: gpd.GeoDataFrame | None = None
    road_label: str | None = "name"
    road_class: str | None = "highway"
    buildings: gpd.GeoDataFrame | None = None
    max_street_labels: int = 8

    @classmethod
    def from_layers(
        cls,
        layers: Mapping[str, Any],
        *,
        district_label: str | None = "name",
        road_label: str | None = "name",
        buildings: bool = False,
    ) -> MapContext:
        """Pick the context layers out of a city's layers; missing ones are not drawn.

        The layers are ``sea`` and ``water`` (polygons), ``districts``, ``roads``, and
        ``buildings`` when asked for.

        Parameters
        ----------
        layers : mapping of str to layer
            The city's layers by their configuration name (e.g. ``CityProfile.layers``).
        district_label, road_label : str, optional
            Name columns of the districts and roads.
        buildings : bool, default False
            Also keep the footprints, drawn as outlines.
        """
        parts = []
        for key, default in (("sea", "Sea"), ("water", "")):
            gdf = layers.get(key)
            if not isinstance(gdf, gpd.GeoDataFrame) or len(gdf) == 0:
                continue
            polys = gdf[gdf.geom_type.isin(["Polygon", "MultiPolygon"])]
            if len(polys) == 0:
                continue
            names = (polys["name"].astype("string").fillna("") if "name" in polys.columns
                     else pd.Series("", index=polys.index, dtype="string"))
            names = names.where(names.str.len() > 0, default)
            part = gpd.GeoDataFrame({"label": names.astype(str).to_numpy()},
                                    geometry=polys.geometry.to_numpy(), crs=polys.crs)
            if parts:
                part = _to_crs(part, parts[0].crs)
            parts.append(part)
        water = (gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=parts[0].crs)
                 if parts else None)

        def vec(key: str) -> gpd.GeoDataFrame | None:
            gdf = layers.get(key)
            return gdf if isinstance(gdf, gpd.GeoDataFrame) and len(gdf) else None

        return cls(water=water, districts=vec("districts"), district_label=district_label,
                   roads=vec("roads"), road_label=road_label,
                   buildings=vec("buildings") if buildings else None)

    def __repr__(self) -> str:
        n = {k: 0 if getattr(self, k) is None else len(getattr(self, k))
             for k in ("water", "districts", "roads", "buildings")}
        return "MapContext(" + ", ".join(f"{k}: {v}" for k, v in n.items()) + ")"


def _view(ax: Any) -> tuple[float, float, float, float]:
    x0, x1 = sorted(ax.get_xlim())
    y0, y1 = sorted(ax.get_ylim())
    return x0, y0, x1, y1


def _clip(gdf: gpd.GeoDataFrame, crs: Any, view: tuple[float, float, float, float]
          ) -> gpd.GeoDataFrame:
    """Return the part of ``gdf`` inside the view box, in ``crs``."""
    gdf = _to_crs(gdf, crs)
    x0, y0, x1, y1 = view
    sub = gdf.cx[x0:x1, y0:y1]
    if len(sub) == 0:
        return sub
    return sub.clip(_box(x0, y0, x1, y1))


def draw_context(
    ax: Any,
    context: MapContext | None,
    *,
    crs: Any,
    water: bool = True,
    districts: bool = True,
    district_names: bool = True,
    roads: bool = True,
    buildings: bool = True,
    water_zorder: float = 0.5,
) -> list[Any]:
    """Draw the context layers inside the current view of ``ax``; return legend handles.

    Call it after the data are drawn: the view (axis limits) is kept as the data set it.
    Water is drawn at ``water_zorder`` (below a raster, or above zone fills that include
    the sea), roads below the data, district names and street names on top with a white
    halo.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> sea = gpd.GeoDataFrame({"name": ["Gulf"]}, geometry=[box(0, 50, 100, 100)], crs=3067)
    >>> d = gpd.GeoDataFrame({"name": ["Old Town"]}, geometry=[box(0, 0, 100, 50)], crs=3067)
    >>> fig, ax = new_map()
    >>> _ = ax.set_xlim(0, 100); _ = ax.set_ylim(0, 100)
    >>> handles = draw_context(ax, MapContext(water=sea.assign(label=sea["name"]),
    ...                                        districts=d), crs=3067)
    >>> [h.get_label() for h in handles], sorted(t.get_text() for t in ax.texts)
    (['Water', 'District boundary'], ['Gulf', 'Old Town'])
    """
    if context is None:
        return []
    view = _view(ax)
    vw = view[2] - view[0]
    handles: list[Any] = []
    if water and context.water is not None:
        w = _clip(context.water, crs, view)
        if len(w):
            w.plot(ax=ax, facecolor=_WATER, edgecolor=_WATER_EDGE, linewidth=0.5,
                   zorder=water_zorder)
            handles.append(Patch(facecolor=_WATER, edgecolor=_WATER_EDGE, label="Water"))
            view_area = vw * (view[3] - view[1])
            named = w[w["label"].astype(str).str.len() > 0] if "label" in w else w.iloc[:0]
            if len(named):
                by_name = named.dissolve(by="label")
                by_name = by_name[by_name.area > 0.01 * view_area]
                for label, geom in by_name.geometry.items():
                    pt = geom.representative_point()
                    ax.text(pt.x, pt.y, str(label), ha="center", va="center", fontsize=8,
                            style="italic", color=_WATER_TEXT, zorder=9, path_effects=_HALO,
                            clip_on=True)
    if buildings and context.buildings is not None:
        b = _clip(context.buildings, crs, view)
        if len(b):
            b.plot(ax=ax, facecolor="none", edgecolor="#303030", linewidth=0.25, zorder=6)
            handles.append(Patch(facecolor="none", edgecolor="#303030", linewidth=0.5,
                                 label="Building"))
    if roads and context.roads is not None:
        r = context.roads
        if context.road_class and context.road_class in r.columns:
            r = r[r[context.road_class].astype(str).isin(MAJOR_ROADS)]
        r = _clip(r, crs, view) if len(r) else r
        r = r[r.geom_type.isin(["LineString", "MultiLineString"])] if len(r) else r
        if len(r):
            r.plot(ax=ax, color=_ROAD_CASING, linewidth=2.0, zorder=1.1)
            r.plot(ax=ax, color=_ROAD, linewidth=1.1, zorder=1.2)
            handles.append(Line2D([], [], color=_ROAD_CASING, linewidth=2.0,
                                  label="Major street"))
            if context.road_label and context.road_label in r.columns:
                _street_labels(ax, r, context.road_label, min_length=0.2 * vw,
                               limit=context.max_street_labels)
    if districts and context.districts is not None:
        d = _clip(context.districts, crs, view)
        if len(d):
            # shared edges once (drawn twice, a dashed line looks solid)
            edges = shapely.union_all(_to_crs(context.districts, crs).boundary.to_numpy())
            edges = shapely.intersection(edges, _box(*view))
            gpd.GeoSeries([edges], crs=crs).plot(ax=ax, color="#555555", linewidth=0.9,
                                                 linestyle=(0, (4, 2)), zorder=7)
            handles.append(Line2D([], [], color="#555555", linewidth=0.9,
                                  linestyle=(0, (4, 2)), label="District boundary"))
            col = context.district_label
            if district_names and col and col in d.columns:
                for _, row in d.iterrows():
                    pt = row.geometry.representative_point()
                    ax.text(pt.x, pt.y, str(row[col]), ha="center", va="center", fontsize=8,
                            fontweight="bold", color="#222222", zorder=9,
                            path_effects=_HALO, clip_on=True)
    ax.set_xlim(view[0], view[2])
    ax.set_ylim(view[1], view[3])
    return handles


def _street_labels(ax: Any, roads: gpd.GeoDataFrame, column: str, *, min_length: float,
                   limit: int) -> None:
    """Name the longest continuous stretch of each of the ``limit`` longest named streets."""
    names = roads[column].astype("string")
    named = roads[names.notna() & (names.str.len() > 0)]
    if len(named) == 0 or limit <= 0:
        return
    best: list[tuple[float, str, Any]] = []
    for name, group in named.groupby(column):
        merged = shapely.line_merge(shapely.union_all(group.geometry.to_numpy()))
        parts = getattr(merged, "geoms", [merged])
        longest = max(parts, key=lambda g: g.length)
        if longest.length >= min_length:
            best.append((longest.length, str(name), longest))
    best.sort(key=lambda t: -t[0])
    for length, name, line in best[:limit]:
        mid = line.interpolate(0.5, normalized=True)
        a = line.interpolate(max(0.0, 0.5 - 0.05), normalized=True)
        b = line.interpolate(min(1.0, 0.5 + 0.05), normalized=True)
        angle = math.degrees(math.atan2(b.y - a.y, b.x - a.x))
        if angle > 90:
            angle -= 180
        elif angle < -90:
            angle += 180
        ax.text(mid.x, mid.y, name, ha="center", va="center", fontsize=6.5, color="#333333",
                rotation=angle, rotation_mode="anchor", transform_rotates_text=True,
                zorder=8, path_effects=_HALO, clip_on=True)
        del length


def add_basemap(ax: Any, basemap: Any, *, crs: Any) -> bool:
    """Draw web map tiles below the data when asked for and possible; return whether drawn.

    ``basemap`` is an ``xyzservices`` provider or its name (``"OpenStreetMap.Mapnik"``,
    ``"CartoDB.Positron"``). Tiles need `contextily` (``pip install contextily``) and the
    internet (contextily keeps fetched tiles in its cache). Without either, a warning says
    so and the map keeps the city's own layers: it never fails for want of tiles.

    Examples
    --------
    >>> fig, ax = new_map()
    >>> add_basemap(ax, None, crs=3067)
    False
    """
    if basemap is None or basemap is False:
        return False
    try:
        import contextily  # optional: only when a basemap is asked for
    except ImportError:
        logger.warning("basemap %r not drawn: it needs contextily (pip install contextily); "
                       "the map shows the city's own layers instead", basemap)
        return False
    view = _view(ax)
    try:
        source = basemap
        if isinstance(basemap, str):
            import xyzservices.providers as xyz  # installed with contextily

            source = xyz.query_name(basemap)
        contextily.add_basemap(ax, crs=crs, source=source, attribution_size=5, zorder=0)
    except Exception as exc:  # noqa: BLE001 - offline, a bad name, a tile server error
        logger.warning("basemap %r not drawn (%s: %s); the map shows the city's own layers "
                       "instead", basemap, type(exc).__name__, exc)
        return False
    finally:
        ax.set_xlim(view[0], view[2])
        ax.set_ylim(view[1], view[3])
    return True


# --------------------------------------------------------------------------------------
# Map furniture
# --------------------------------------------------------------------------------------
def new_map(*, figsize: tuple[float, float] = (8.0, 7.0), ax: Any = None
            ) -> tuple[Figure, Any]:
    """Make a figure with one equal-aspect axes, or use ``ax`` (and its figure).

    Examples
    --------
    >>> fig, ax = new_map()
    >>> ax.get_aspect()
    1.0
    >>> new_map(ax=ax)[1] is ax
    True
    """
    if ax is not None:
        ax.set_aspect("equal")
        return ax.figure, ax
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


def add_scale_bar(ax: Any, *, segments: int = 4, span: float | None = None) -> float:
    """Draw an alternating black/white scale bar in the lower left; return its length (m).

    ``ax`` is in a projected CRS in metres with equal aspect, or the furniture strip below a
    map whose x-limits are the map's (``span``: the map's width, default the x-range).

    Examples
    --------
    >>> fig, ax = new_map()
    >>> _ = ax.set_xlim(0, 5000); _ = ax.set_ylim(0, 5000)
    >>> add_scale_bar(ax)
    1000.0
    """
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    width = abs(x1 - x0) if span is None else span
    length = _nice_length(width)
    if length <= 0:
        return 0.0
    h = abs(y1 - y0) * (0.012 if span is None else 0.22)
    left = min(x0, x1) + width * 0.04
    bottom = min(y0, y1) + abs(y1 - y0) * (0.05 if span is None else 0.55)
    seg = length / segments
    for i in range(segments):
        ax.add_patch(
            Rectangle((left + i * seg, bottom), seg, h, facecolor="black" if i % 2 == 0 else
                      "white", edgecolor="black", linewidth=0.6, zorder=20, clip_on=False)
        )
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    ax.text(left + length + seg * 0.3, bottom + h / 2, label, ha="left", va="center",
            fontsize=7.5, zorder=20)
    return length


def add_north_arrow(ax: Any, *, xy: tuple[float, float] = (0.95, 0.95)) -> None:
    """Draw a north arrow (grid north of the projected CRS) with its tip at ``xy``.

    ``xy`` is in axes fraction; the arrow is a fixed 16 points long, so it reads the same
    in a map and in the thin strip under it.

    Examples
    --------
    >>> fig, ax = new_map()
    >>> add_north_arrow(ax)
    >>> ax.texts[0].get_text()
    'N'
    """
    ax.annotate(
        "N", xy=xy, xytext=(0, -16), xycoords="axes fraction", textcoords="offset points",
        ha="center", va="top", fontsize=9, fontweight="bold", zorder=21,
        annotation_clip=False,
        arrowprops={"arrowstyle": "-|>", "facecolor": "black", "edgecolor": "black",
                    "linewidth": 1.4, "shrinkA": 0, "shrinkB": 0},
    )


def add_credit(ax: Any, credit: str, *, xy: tuple[float, float] = (0.99, 0.01)) -> None:
    """Write the data credit at ``xy`` (axes fraction; default lower right corner).

    Examples
    --------
    >>> fig, ax = new_map()
    >>> add_credit(ax, "© OpenStreetMap contributors")
    >>> ax.texts[-1].get_text()
    '© OpenStreetMap contributors'
    """
    ax.text(xy[0], xy[1], textwrap.fill(credit, 80), transform=ax.transAxes, ha="right",
            va="bottom", fontsize=6.5, zorder=21, color="#333333")


def _strip(ax: Any) -> Any:
    """Add the furniture strip below a map: same x-range as the map, no frame."""
    strip = ax.inset_axes([0.0, -0.085, 1.0, 0.07])
    strip.set_xlim(ax.get_xlim())
    strip.set_ylim(0.0, 1.0)
    strip.set_axis_off()
    strip.set_label("furniture")
    return strip


def finish_map(ax: Any, *, title: str | None, credit: str = "", scale_bar: bool = True,
               fit: bool = True) -> Any:
    """Add the title and, below the map, scale bar, north arrow and credit; hide ticks.

    The scale bar (left), the north arrow (right) and the data credit (under them) sit in
    a strip under the map, outside the data. Returns the strip axes.

    Examples
    --------
    >>> fig, ax = new_map()
    >>> _ = ax.set_xlim(0, 100); _ = ax.set_ylim(0, 100)
    >>> strip = finish_map(ax, title="T", credit="© C")
    >>> ax.get_title(), sorted(t.get_text() for t in strip.texts)
    ('T', ['20 m', 'N', '© C'])
    """
    if title:
        ax.set_title(title, fontsize=12)
    _bare(ax)
    if fit:
        _fit_figure(ax)
    strip = _strip(ax)
    if scale_bar:
        x0, x1 = ax.get_xlim()
        add_scale_bar(strip, span=abs(x1 - x0))
    add_north_arrow(strip, xy=(0.97, 1.0))
    if credit:
        width_in = ax.figure.get_size_inches()[0] * 0.6
        strip.text(0.0, -0.05, textwrap.fill(credit, max(40, int(width_in * 17))),
                   transform=strip.transAxes, ha="left", va="top", fontsize=6.5,
                   color="#333333")
    return strip


def _fit_figure(ax: Any, *, height_in: float = 7.0) -> None:
    """Size a one-map figure to the map's aspect (room for the colour bar beside it)."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    if abs(y1 - y0) <= 0 or abs(x1 - x0) <= 0:
        return
    aspect = abs(x1 - x0) / abs(y1 - y0)
    width = min(12.0, max(6.5, (height_in - 1.0) * aspect + 3.2))
    ax.figure.set_size_inches(width, height_in)


def _bare(ax: Any) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")


def _wrap(label: str) -> str:
    """Break a long colour-bar label so it is never cut at the figure edge."""
    return textwrap.fill(str(label), _LABEL_WIDTH)


def _land_background(ax: Any, da: xr.DataArray) -> None:
    """Light grey where ``da`` has data (land); nothing elsewhere (water or no data)."""
    base = xr.where(np.isfinite(da), 1.0, np.nan)
    base = base.rio.write_crs(da.rio.crs).rio.write_transform(da.rio.transform())
    plot_raster(ax, base, cmap="Greys", vmin=0, vmax=12, colorbar=False, zorder=0.8)


def _no_data_cells(da: xr.DataArray, water: gpd.GeoDataFrame | None) -> int:
    """Cells of ``da`` without a value that no water polygon covers (true no data)."""
    empty = ~np.isfinite(np.asarray(da.transpose("y", "x").values, dtype=float))
    if not empty.any():
        return 0
    if water is not None and len(water):
        w = _to_crs(water, da.rio.crs)
        wet = rasterize(((g, 1) for g in w.geometry if g is not None and not g.is_empty),
                        out_shape=empty.shape, transform=da.rio.transform(), fill=0,
                        dtype="uint8").astype(bool)
        empty &= ~wet
    return int(empty.sum())


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


def _cmap(name: Any, bad_alpha: float = 0.0) -> Any:
    cm = name if isinstance(name, mpl.colors.Colormap) else mpl.colormaps[name]
    return cm.with_extremes(bad=(1.0, 1.0, 1.0, bad_alpha))


def _legend(fig: Figure, ax: Any, handles: list[Any], *, own: bool, ncols: int = 3) -> None:
    """Legend under the map (outside the data): below the figure, or the axes when shared."""
    if not handles:
        return
    if own:
        fig.legend(handles=handles, loc="outside lower center", ncols=min(ncols, len(handles)),
                   fontsize=8, frameon=False)
    else:
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.09),
                  ncols=min(ncols, len(handles)), fontsize=7, frameon=False)


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
    zorder: float = 1.0,
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
    zorder : float, default 1.0
        Drawing order.

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
        zorder=zorder,
    )
    if colorbar:
        units = da.attrs.get("units")
        text = label or f"{da.name or 'value'}" + (f" ({units})" if units else "")
        cb = ax.figure.colorbar(im, ax=ax, shrink=0.7)
        cb.set_label(_wrap(text))
    return im


def raster_map(
    da: xr.DataArray,
    *,
    title: str | None = None,
    credit: str = "",
    label: str | None = None,
    cmap: str = SEQUENTIAL_CMAP,
    vmin: float | None = None,
    vmax: float | None = None,
    background: gpd.GeoDataFrame | None = None,
    outline: xr.DataArray | None = None,
    outline_label: str = "Hot spot",
    buildings: gpd.GeoDataFrame | None = None,
    context: MapContext | None = None,
    basemap: Any = None,
    ax: Any = None,
) -> Figure:
    """Map one 2-D raster, with the city's context, building outlines and an outline layer.

    Parameters
    ----------
    da : xarray.DataArray
        2-D raster in a projected CRS.
    title : str, optional
        Map title (default: the raster's name).
    credit, label, cmap : str
        Data credit, colour-bar label (default ``"<name> (<units>)"``), colour map.
    vmin, vmax : float, optional
        Colour limits.
    background : geopandas.GeoDataFrame, optional
        Polygons drawn light grey below the raster (e.g. the districts).
    outline : xarray.DataArray, optional
        A 0/1 raster on the same grid whose 1-cells are outlined in black (e.g. heat hot
        spots), with ``outline_label`` in the legend.
    buildings : geopandas.GeoDataFrame, optional
        Footprints drawn as thin outlines over the raster.
    context : MapContext, optional
        The city's water, districts and streets for orientation.
    basemap : str or provider, optional
        Web tiles below the data (see :func:`add_basemap`); never fetched by default.
    ax : matplotlib.axes.Axes, optional
        Draw into this axes (its figure is returned) instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from urbanrisk.layers import raster_from_array
    >>> da = raster_from_array(np.ones((3, 3)), crs=3067,
    ...                        transform=(10, 0, 0, 0, -10, 30), units="degC", name="lst")
    >>> raster_map(da, title="Land surface temperature").axes[0].get_title()
    'Land surface temperature'
    """
    da = _check_layer(da, str(da.name or "raster"))
    own = ax is None
    fig, ax = new_map(ax=ax)
    crs = da.rio.crs
    if background is not None:
        _to_crs(background, crs).plot(ax=ax, facecolor=_LAND, edgecolor="#999999",
                                      linewidth=0.4, zorder=0)
    plot_raster(ax, da, cmap=cmap, label=label, vmin=vmin, vmax=vmax)
    handles: list[Any] = []
    if outline is not None:
        outline = _onto(outline, da)
        mask = np.nan_to_num(np.asarray(outline.transpose("y", "x").values, dtype=float))
        if mask.any():
            ax.contour(outline["x"].values, outline["y"].values, mask, levels=[0.5],
                       colors="black", linewidths=1.1, zorder=8)
        handles.append(Patch(facecolor="none", edgecolor="black", linewidth=1.1,
                             label=f"{outline_label} ({int(mask.sum())} cells)"))
    if buildings is not None and len(buildings):
        _to_crs(buildings, crs).plot(ax=ax, facecolor="none", edgecolor="#303030",
                                     linewidth=0.25, zorder=6)
        handles.append(Patch(facecolor="none", edgecolor="#303030", label="Building"))
    add_basemap(ax, basemap, crs=crs)
    # water over the raster: a map of the city's land (heat, depth) reads as land and sea
    handles += draw_context(ax, context, crs=crs, water_zorder=1.5)
    _legend(fig, ax, handles, own=own)
    finish_map(ax, title=title if title is not None else str(da.name or ""), credit=credit,
               fit=own)
    return fig


def _zone_names(zones: gpd.GeoDataFrame, label_column: str | None) -> pd.Series | None:
    """Zone names from ``label_column``, or from the index when it is named so."""
    if not label_column:
        return None
    if label_column in zones.columns:
        return zones[label_column]
    if zones.index.name == label_column:
        return pd.Series(zones.index, index=zones.index)
    return None


def _value_norm(values: pd.Series, vmin: float | None, vmax: float | None) -> Normalize:
    finite = values[np.isfinite(values)]
    lo = float(finite.min()) if len(finite) else 0.0
    hi = float(finite.max()) if len(finite) else 1.0
    lo = lo if vmin is None else float(vmin)
    hi = hi if vmax is None else float(vmax)
    if hi <= lo:
        hi = lo + 1.0
    return Normalize(vmin=lo, vmax=hi)


def choropleth_map(
    zones: gpd.GeoDataFrame,
    column: str,
    *,
    title: str | None = None,
    legend_label: str | None = None,
    credit: str = "",
    cmap: str = DIVERGING_SAFE_CMAP,
    label_column: str | None = "name",
    fmt: str = "{:,.0f}",
    vmin: float | None = None,
    vmax: float | None = None,
    target: float | None = None,
    target_label: str = "the target",
    missing_label: str = "no data",
    context: MapContext | None = None,
    basemap: Any = None,
    ax: Any = None,
) -> Figure:
    r"""Zones (districts) coloured by a value, each labelled with its name and value.

    Parameters
    ----------
    zones : geopandas.GeoDataFrame
        Polygons with ``column``; projected CRS.
    column : str
        Numeric column to map.
    title : str, optional
        Map title (default: the column name).
    legend_label : str, optional
        Colour bar label, with units (default: the column name).
    credit : str, optional
        Data credit.
    cmap : str, default "cividis"
        Colour map.
    label_column : str, optional
        Column of zone names printed with the value (skipped if absent).
    fmt : str, default "{:,.0f}"
        Format of the printed values.
    vmin, vmax : float, optional
        Colour range; default the data's range. Give ``vmin=0, vmax=100`` for a share in %
        so that small differences near 100 % do not look like large ones.
    target : float, optional
        A target value, marked on the colour bar; zones below it are outlined in bold.
    target_label : str, default "the target"
        What the target is, for the legend ("Below the target (2)").
    missing_label : str, default "no data"
        Label of zones without a value, drawn hatched: say why when it is known
        (``"no residents"`` for a share of residents in a district where nobody lives).
    context : MapContext, optional
        Water (drawn over the zones, so sea inside a district reads as sea) and streets.
    basemap : str or provider, optional
        Web tiles (see :func:`add_basemap`); never fetched by default.
    ax : matplotlib.axes.Axes, optional
        Draw into this axes instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    A district where nobody lives has no share: it says so, rather than "no data".

    >>> from shapely.geometry import box
    >>> z = gpd.GeoDataFrame({"name": ["a", "b"], "pct": [99.0, np.nan]},
    ...     geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)], crs=3067)
    >>> fig = choropleth_map(z, "pct", vmin=0, vmax=100, target=100, fmt="{:.0f} %",
    ...                      missing_label="no residents")
    >>> sorted(t.get_text() for t in fig.axes[0].texts)
    ['a\n99 %', 'b\nno residents']
    >>> [float(v) for v in fig.axes[1].get_ylim()]
    [0.0, 100.0]
    """
    zones = _check_layer(zones, "zones")
    if column not in zones.columns:
        raise InputValueError(f"zones has no column {column!r}; columns: {list(zones.columns)}")
    own = ax is None
    fig, ax = new_map(ax=ax)
    values = zones[column].astype(float)
    norm = _value_norm(values, vmin, vmax)
    cm = _cmap(cmap)
    ok = np.isfinite(values).to_numpy()
    if ok.any():
        zones[ok].plot(ax=ax, color=[cm(norm(v)) for v in values[ok]], edgecolor=_EDGE,
                       linewidth=0.6, zorder=1)
    handles: list[Any] = []
    if (~ok).any():
        zones[~ok].plot(ax=ax, facecolor="white", edgecolor=_EDGE, hatch="//", linewidth=0.6,
                        zorder=2)
        handles.append(Patch(facecolor="white", edgecolor=_EDGE, hatch="//",
                             label=f"{missing_label.capitalize()} ({int((~ok).sum())})"))
    sm = mpl.cm.ScalarMappable(norm=norm, cmap=cm)
    cb = fig.colorbar(sm, ax=ax, shrink=0.7)
    cb.set_label(_wrap(legend_label or column))
    if target is not None:
        below = ok & (values.to_numpy() < float(target))
        cb.ax.axhline(float(target), color="black", linewidth=2.0)
        cb.ax.text(-0.15, float(target), "target", transform=cb.ax.get_yaxis_transform(),
                   ha="right", va="center", fontsize=7, fontweight="bold", clip_on=False)
        if below.any():
            zones[below].plot(ax=ax, facecolor="none", edgecolor="black", linewidth=1.4,
                              linestyle=(0, (3, 1.5)), zorder=3)
        handles.append(Line2D([], [], color="black", linewidth=1.4, linestyle=(0, (3, 1.5)),
                              label=f"Below {target_label} ({int(below.sum())})"))
    add_basemap(ax, basemap, crs=zones.crs)
    handles += draw_context(ax, context, crs=zones.crs, districts=False, water_zorder=1.5)
    names = _zone_names(zones, label_column)
    for idx, row in zones.iterrows():
        v = values.loc[idx]
        pt = row.geometry.representative_point()
        name = str(names.loc[idx]) + "\n" if names is not None else ""
        txt = fmt.format(v) if np.isfinite(v) else missing_label
        ax.text(pt.x, pt.y, f"{name}{txt}", ha="center", va="center", fontsize=7.5, zorder=9,
                path_effects=_HALO)
    _legend(fig, ax, handles, own=own)
    finish_map(ax, title=title if title is not None else column, credit=credit, fit=own)
    return fig


def where_to_act_map(
    zones: gpd.GeoDataFrame,
    column: str,
    *,
    title: str | None = None,
    legend_label: str | None = None,
    label_column: str | None = "name",
    fmt: str = "{:,.0f}",
    top: int = 3,
    credit: str = "",
    context: MapContext | None = None,
    basemap: Any = None,
    ax: Any = None,
) -> Figure:
    r"""Zones ranked by a value, the ``top`` first numbered and outlined: where to act first.

    Zones are coloured by the value (darker = more) and labelled ``#rank name``; zones with
    a value of zero or none are left light and unranked.

    Parameters
    ----------
    zones : geopandas.GeoDataFrame
        Polygons with ``column`` (e.g. expected annual damage per district).
    column : str
        The value ranked, largest first.
    title, legend_label : str, optional
        Title and colour-bar label (default: the column name).
    label_column : str, optional
        Zone names.
    fmt : str, default "{:,.0f}"
        Format of the value under the name.
    top : int, default 3
        How many zones are outlined as the first places to act.
    credit : str, optional
        Data credit.
    context, basemap, ax
        As in :func:`choropleth_map`.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> z = gpd.GeoDataFrame({"name": ["a", "b", "c"], "ead": [10.0, 300.0, 0.0]},
    ...     geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100), box(200, 0, 300, 100)],
    ...     crs=3067)
    >>> fig = where_to_act_map(z, "ead", top=1)
    >>> sorted(t.get_text() for t in fig.axes[0].texts)
    ['#1 b\n300', '#2 a\n10', 'c\n0']
    """
    zones = _check_layer(zones, "zones")
    if column not in zones.columns:
        raise InputValueError(f"zones has no column {column!r}; columns: {list(zones.columns)}")
    own = ax is None
    fig, ax = new_map(ax=ax)
    values = zones[column].astype(float)
    positive = values.where(values > 0)
    rank = positive.rank(ascending=False, method="min")
    cm = _cmap("YlOrRd")  # sequential, monotonic lightness: reads in grayscale
    norm = _value_norm(positive.fillna(0.0), 0.0, None)
    colours = [cm(norm(v)) if np.isfinite(v) else mpl.colors.to_rgba("#f4f4f4") for v in positive]
    zones.plot(ax=ax, color=colours, edgecolor=_EDGE, linewidth=0.6, zorder=1)
    first = rank <= top
    if first.any():
        zones[first.to_numpy()].plot(ax=ax, facecolor="none", edgecolor="black",
                                     linewidth=2.4, zorder=3)
    cb = fig.colorbar(mpl.cm.ScalarMappable(norm=norm, cmap=cm), ax=ax, shrink=0.7)
    cb.set_label(_wrap(legend_label or column))
    add_basemap(ax, basemap, crs=zones.crs)
    handles = draw_context(ax, context, crs=zones.crs, districts=False, water_zorder=1.5)
    handles.insert(0, Patch(facecolor="none", edgecolor="black", linewidth=2.4,
                            label=f"First {int(first.sum())} to act on"))
    names = _zone_names(zones, label_column)
    for idx, row in zones.iterrows():
        pt = row.geometry.representative_point()
        name = str(names.loc[idx]) if names is not None else ""
        r = rank.loc[idx]
        head = f"#{int(r)} {name}".strip() if np.isfinite(r) else name
        v = values.loc[idx]
        ax.text(pt.x, pt.y, f"{head}\n{fmt.format(v) if np.isfinite(v) else 'no data'}",
                ha="center", va="center", fontsize=8 if np.isfinite(r) else 7, zorder=9,
                fontweight="bold" if np.isfinite(r) and r <= top else "normal",
                path_effects=_HALO)
    _legend(fig, ax, handles, own=own)
    finish_map(ax, title=title if title is not None else column, credit=credit, fit=own)
    return fig


def flood_map(
    depth: xr.DataArray,
    buildings: gpd.GeoDataFrame | None = None,
    *,
    exposed: Sequence[bool] | np.ndarray | None = None,
    title: str | None = None,
    credit: str = "",
    label: str = "Flood depth (m)",
    context: MapContext | None = None,
    basemap: Any = None,
    ax: Any = None,
) -> Figure:
    """Flood depth over land, water in blue, and the buildings it reaches outlined in black.

    Parameters
    ----------
    depth : xarray.DataArray
        2-D flood depth (m), one return period.
    buildings : geopandas.GeoDataFrame, optional
        Building footprints.
    exposed : sequence of bool, optional
        One flag per building: drawn dark with a heavy outline when true, light grey
        otherwise. Without it every building is drawn light grey.
    title, credit, label : str
        Title, data credit, colour bar label.
    context : MapContext, optional
        Water (drawn blue and named: cells without a depth there are water, not "no
        data"), districts and streets.
    basemap : str or provider, optional
        Web tiles (see :func:`add_basemap`); never fetched by default.
    ax : matplotlib.axes.Axes, optional
        Draw into this axes instead of a new figure.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> from urbanrisk.layers import raster_from_array
    >>> d = raster_from_array(np.array([[0.0, 1.0], [0.5, np.nan]]), crs=3067,
    ...                       transform=(10, 0, 0, 0, -10, 20), units="m", name="depth")
    >>> b = gpd.GeoDataFrame(geometry=[box(1, 1, 4, 4), box(12, 12, 18, 18)], crs=3067)
    >>> fig = flood_map(d, b, exposed=[False, True], title="100-year flood")
    >>> [t.get_text() for t in fig.legends[0].get_texts()]
    ['Exposed building (1)', 'Other building (1)', 'Dry land', 'No data (1 cells)']
    """
    depth = _check_layer(depth, str(depth.name or "flood depth"))
    crs = depth.rio.crs
    own = ax is None
    fig, ax = new_map(ax=ax)
    vmax = float(np.nanmax(depth.values)) if np.isfinite(depth.values).any() else 1.0
    _land_background(ax, depth)
    plot_raster(ax, depth.where(depth > 0), cmap="viridis_r", vmin=0.0, vmax=max(vmax, 1e-6),
                label=label)
    handles: list[Any] = []
    if buildings is not None:
        buildings = _to_crs(_check_layer(buildings, "buildings"), crs)
        flags = (np.zeros(len(buildings), dtype=bool) if exposed is None
                 else np.asarray(exposed, dtype=bool))
        if len(flags) != len(buildings):
            raise InputValueError(
                f"exposed has {len(flags)} flags for {len(buildings)} buildings; give one "
                "each."
            )
        if (~flags).any():
            buildings[~flags].plot(ax=ax, facecolor="#d0d0d0", edgecolor="#808080",
                                   linewidth=0.3, zorder=3)
        if flags.any():
            buildings[flags].plot(ax=ax, facecolor="#222222", edgecolor="black",
                                  linewidth=0.8, zorder=4)
        if exposed is not None:
            handles.append(Patch(facecolor="#222222", edgecolor="black",
                                 label=f"Exposed building ({int(flags.sum())})"))
        handles.append(Patch(facecolor="#d0d0d0", edgecolor="#808080",
                             label=f"{'Other building' if exposed is not None else 'Building'}"
                                   f" ({int((~flags).sum())})"))
    handles.append(Patch(facecolor=mpl.colormaps["Greys"](1 / 12), edgecolor="#bbbbbb",
                         label="Dry land"))
    add_basemap(ax, basemap, crs=crs)
    handles += draw_context(ax, context, crs=crs, water_zorder=0.5)
    missing = _no_data_cells(depth, context.water if context is not None else None)
    if missing:
        handles.append(Patch(facecolor="white", edgecolor="#808080",
                             label=f"No data ({missing} cells)"))
    _legend(fig, ax, handles, own=own)
    finish_map(ax, title=title if title is not None else str(depth.name or "Flood depth"),
               credit=credit, fit=own)
    return fig


def patches_map(
    patches: gpd.GeoDataFrame,
    *,
    column: str,
    title: str | None = None,
    legend_label: str | None = None,
    credit: str = "",
    candidates: gpd.GeoDataFrame | None = None,
    candidate_rank_column: str | None = None,
    background: gpd.GeoDataFrame | None = None,
    context: MapContext | None = None,
    basemap: Any = None,
    ax: Any = None,
) -> Figure:
    """Habitat patches coloured by a value (e.g. dPC), with candidate sites hatched.

    Parameters
    ----------
    patches : geopandas.GeoDataFrame
        Patch polygons with ``column``.
    column : str
        Value to colour by (e.g. ``"dPC"``).
    title, legend_label : str, optional
        Title and colour bar label with units (default: the column name).
    credit : str, optional
        Data credit.
    candidates : geopandas.GeoDataFrame, optional
        Candidate sites, drawn hatched; if ``candidate_rank_column`` is given, sites with
        a rank are labelled ``#1``, ``#2``...
    candidate_rank_column : str, optional
        Column of candidate ranks (NaN = not selected).
    background : geopandas.GeoDataFrame, optional
        Outline layer (districts) drawn below.
    context, basemap, ax
        As in :func:`raster_map`.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from shapely.geometry import box
    >>> p = gpd.GeoDataFrame({"dPC": [5.0, 60.0]},
    ...     geometry=[box(0, 0, 50, 50), box(100, 0, 200, 100)], crs=3067)
    >>> patches_map(p, column="dPC").axes[0].get_title()
    'dPC'
    """
    patches = _check_layer(patches, "patches")
    if column not in patches.columns:
        raise InputValueError(f"patches has no column {column!r}")
    own = ax is None
    fig, ax = new_map(ax=ax)
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
    cb.set_label(_wrap(legend_label or column))
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
                            fontweight="bold", zorder=10,
                            bbox={"facecolor": "white", "edgecolor": "black", "pad": 1.5})
    add_basemap(ax, basemap, crs=patches.crs)
    handles += draw_context(ax, context, crs=patches.crs, water_zorder=0.5)
    _legend(fig, ax, handles, own=own)
    finish_map(ax, title=title if title is not None else column, credit=credit, fit=own)
    return fig


def inundation_map(
    panels: Mapping[tuple[str, int], xr.DataArray],
    *,
    title: str | None = None,
    credit: str = "",
    land: xr.DataArray | None = None,
    outlines: gpd.GeoDataFrame | None = None,
    label: str = "Water depth above ground (m)",
    context: MapContext | None = None,
    ax: Any = None,
) -> Figure:
    """Small multiples of inundation depth: one row per scenario, one column per year.

    Parameters
    ----------
    panels : mapping of (scenario label, year) to xarray.DataArray
        2-D inundation depth (m; NaN or 0 = dry) per panel, all on one grid.
    title, credit, label : str
        Overall title (optional), data credit and colour bar label.
    land : xarray.DataArray, optional
        Any raster of the same grid whose finite cells are land today (e.g. the DEM above
        the present water level); drawn light grey, and its other cells blue as water
        today (the sea and land at or below today's water level).
    outlines : geopandas.GeoDataFrame, optional
        Outlines drawn thinly on every panel for orientation (e.g. buildings).
    context : MapContext, optional
        Water polygons, district names (first panel only) and streets.
    ax : array of matplotlib.axes.Axes, optional
        Axes to draw into, one per panel, shaped (scenarios, years) (a single axes for a
        single panel); by default a new figure.

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
    crs = first.rio.crs
    vmax = max(
        (float(np.nanmax(d.values)) for d in panels.values() if np.isfinite(d.values).any()),
        default=1.0,
    )
    vmax = max(vmax, 1e-6)
    nr, nc = len(scen), len(years)
    x0, y0, x1, y1 = (float(v) for v in first.rio.bounds())
    if ax is None:
        panel_w = min(5.0, max(1.8, 3.4 * (x1 - x0) / max(y1 - y0, 1e-9)))
        fig = Figure(figsize=(panel_w * nc + 1.8, 3.4 * nr + 1.4), layout="constrained")
        axes = fig.subplots(nr, nc, squeeze=False)
    else:
        axes = np.asarray(ax, dtype=object).reshape(nr, nc)
        fig = axes[0][0].figure
    water_today = None
    if land is not None:
        water_today = xr.where(np.isfinite(land), np.nan, 1.0)
        water_today = water_today.rio.write_crs(crs).rio.write_transform(
            land.rio.transform())
    im = None
    context_handles: list[Any] = []
    for i, s in enumerate(scen):
        for j, y in enumerate(years):
            a = axes[i][j]
            a.set_aspect("equal")
            if land is not None:
                _land_background(a, land)
                plot_raster(a, water_today, cmap=ListedColormap([_WATER]), colorbar=False,
                            zorder=0.6)
            if outlines is not None:
                _to_crs(outlines, crs).plot(ax=a, facecolor="none", edgecolor="#777777",
                                            linewidth=0.2, zorder=4)
            da = panels.get((s, y))
            if da is None:
                a.set_title(f"{s}, {y}: not computed", fontsize=9)
                continue
            wet = da.where(da > 0)
            im = plot_raster(a, wet, cmap="viridis_r", vmin=0.0, vmax=vmax, colorbar=False,
                             zorder=2)
            a.set_xlim(x0, x1)
            a.set_ylim(y0, y1)
            hs = draw_context(a, context, crs=crs, district_names=(i == 0 and j == 0),
                              roads=False, water_zorder=0.7)
            context_handles = context_handles or hs
            a.set_title(f"{s}, {y}", fontsize=10)
            _bare(a)
    for row in axes:
        for a in row:
            _bare(a)
    strip = _strip(axes[-1][0])
    add_scale_bar(strip, span=x1 - x0)
    add_north_arrow(strip if nc == 1 else _strip(axes[-1][-1]), xy=(0.97, 1.0))
    if im is not None:
        cb = fig.colorbar(im, ax=axes, shrink=0.6)
        cb.set_label(_wrap(label))
    handles = []
    if land is not None:
        handles += [
            Patch(facecolor=mpl.colormaps["Greys"](1 / 12), edgecolor="#bbbbbb",
                  label="Land, dry"),
            Patch(facecolor=_WATER, edgecolor=_WATER_EDGE,
                  label="Water today (sea, or at/below today's level)"),
        ]
    handles += [h for h in context_handles if h.get_label() != "Water" or land is None]
    if handles:
        fig.legend(handles=handles, loc="outside lower left", ncols=min(3, len(handles)),
                   fontsize=8, frameon=False)
    if title:
        fig.suptitle(title, fontsize=12)
    if credit:
        # wrapped to one panel's width: a wider text would widen the first column
        chars = max(30, int(16 * axes[-1][0].figure.get_size_inches()[0] / (nc + 0.6)))
        strip.text(0.0, -0.05, textwrap.fill(credit, chars), transform=strip.transAxes,
                   ha="left", va="top", fontsize=6.5, color="#333333")
    return fig


def first_year_map(
    buildings: gpd.GeoDataFrame,
    *,
    column: str,
    title: str | None = None,
    years: Sequence[int] | None = None,
    credit: str = "",
    background: gpd.GeoDataFrame | None = None,
    context: MapContext | None = None,
    basemap: Any = None,
    ax: Any = None,
) -> Figure:
    """Map buildings coloured by the first year the sea reaches them (never: grey).

    Parameters
    ----------
    buildings : geopandas.GeoDataFrame
        Footprints with ``column`` holding a year or NaN.
    column : str
        First-year column.
    title : str, optional
        Title (default: "First year reached by the sea").
    years : sequence of int, optional
        Class breaks (the years of the scenario); default: the distinct years present.
    credit : str, optional
        Data credit.
    background : geopandas.GeoDataFrame, optional
        Outline layer below.
    context, basemap, ax
        As in :func:`raster_map`.

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
    own = ax is None
    fig, ax = new_map(ax=ax)
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
    add_basemap(ax, basemap, crs=buildings.crs)
    context_handles = draw_context(ax, context, crs=buildings.crs, buildings=False,
                                   water_zorder=0.5)
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8,
              framealpha=0.9, title="First year reached", title_fontsize=8)
    if context_handles:
        fig.legend(handles=context_handles, loc="outside lower center",
                   ncols=len(context_handles), fontsize=8, frameon=False)
    finish_map(ax, title=title if title is not None else "First year reached by the sea",
               credit=credit, fit=own)
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
    context: MapContext | None = None,
    **kwargs: Any,
) -> Any:
    """Make an interactive folium map of a vector or raster layer, with no tiles by default.

    With ``tiles=None`` no map tile is fetched; give ``context`` (the city's own water,
    districts and streets, :meth:`MapContext.from_layers`) so the map is not a layer on a
    blank page. What still needs the internet: folium pages load the Leaflet library
    (JavaScript and CSS) from a public CDN, so without a connection the interactive map
    shows nothing; use the static maps (:func:`flood_map` ...) offline.

    Parameters
    ----------
    layer : geopandas.GeoDataFrame or xarray.DataArray
        Vector layer (drawn with :meth:`geopandas.GeoDataFrame.explore`) or 2-D raster
        (reprojected to EPSG:4326, coloured with ``cmap`` and laid as an image overlay).
    column : str, optional
        Vector column to colour by.
    tiles : str, optional
        Background tiles; ``None`` (the default) fetches none. Pass ``"OpenStreetMap"`` for
        a web base map (needs the internet).
    m : folium.Map, optional
        Add to this map instead of making a new one.
    name : str, optional
        Layer name in the layer control.
    cmap : str, default "viridis"
        Colour map.
    opacity : float, default 0.7
        Raster overlay opacity.
    context : MapContext, optional
        The city's water (blue), district boundaries (with names as tooltips) and major
        streets, drawn below the layer.
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
    >>> sea = gpd.GeoDataFrame({"label": ["Sea"]},
    ...                        geometry=[box(385000, 6672000, 386000, 6673000)], crs=3067)
    >>> m = explore(gdf, column="v", context=MapContext(water=sea))
    >>> html = m.get_root().render()
    >>> "tile.openstreetmap" in html, "Sea" in html
    (False, True)
    """
    import folium  # optional dependency (urbanrisk[viz])

    if not isinstance(layer, gpd.GeoDataFrame | gpd.GeoSeries | xr.DataArray):
        raise InputValueError(f"explore takes a GeoDataFrame or DataArray, got {type(layer)}")
    if isinstance(layer, xr.DataArray) and layer.ndim != 2:
        raise InputValueError(
            f"explore draws 2-D rasters; {layer.name or 'raster'} has dims {layer.dims}. "
            "Select one slice first."
        )
    if m is None:
        m = folium.Map(tiles=tiles, control_scale=True)
        if isinstance(layer, xr.DataArray):
            w, s, e, n = (float(v) for v in layer.rio.transform_bounds("EPSG:4326"))
        else:
            w, s, e, n = (float(v) for v in layer.to_crs(4326).total_bounds)
        m.fit_bounds([[s, w], [n, e]])
    if context is not None:
        _explore_context(m, context)
    if isinstance(layer, gpd.GeoDataFrame | gpd.GeoSeries):
        return layer.explore(m=m, column=column, cmap=cmap, name=name, **kwargs)
    da = layer.rio.reproject("EPSG:4326", nodata=np.nan)
    vals = np.asarray(da.values, dtype=float)
    finite = np.isfinite(vals)
    lo = float(np.nanmin(vals)) if finite.any() else 0.0
    hi = float(np.nanmax(vals)) if finite.any() else 1.0
    rgba = mpl.colormaps[cmap](Normalize(lo, hi if hi > lo else lo + 1)(np.where(finite, vals,
                                                                                  lo)))
    rgba[..., 3] = np.where(finite, opacity, 0.0)
    w, s, e, n = (float(v) for v in da.rio.bounds())
    folium.raster_layers.ImageOverlay(
        image=rgba, bounds=[[s, w], [n, e]], name=name or str(layer.name or "raster"),
        origin="upper" if float(da.y[0]) > float(da.y[-1]) else "lower",
    ).add_to(m)
    return m


def _explore_context(m: Any, context: MapContext) -> None:
    """Add the context layers as GeoJSON under an interactive map."""
    import folium  # optional dependency (urbanrisk[viz])

    if context.water is not None and len(context.water):
        w = context.water.to_crs(4326)
        folium.GeoJson(
            w[["label", "geometry"]], name="Water",
            style_function=lambda _: {"fillColor": _WATER, "color": _WATER_EDGE,
                                      "weight": 1, "fillOpacity": 1.0},
            tooltip=folium.GeoJsonTooltip(["label"], labels=False),
        ).add_to(m)
    if context.roads is not None and len(context.roads):
        r = context.roads
        if context.road_class and context.road_class in r.columns:
            r = r[r[context.road_class].astype(str).isin(MAJOR_ROADS)]
        keep = [c for c in (context.road_label,) if c and c in r.columns]
        if len(r):
            folium.GeoJson(
                r[keep + ["geometry"]].to_crs(4326), name="Major streets",
                style_function=lambda _: {"color": "#888888", "weight": 3},
                tooltip=folium.GeoJsonTooltip(keep, labels=False) if keep else None,
            ).add_to(m)
    if context.districts is not None and len(context.districts):
        d = context.districts
        keep = [c for c in (context.district_label,) if c and c in d.columns]
        folium.GeoJson(
            d[keep + ["geometry"]].to_crs(4326), name="Districts",
            style_function=lambda _: {"fillOpacity": 0.0, "color": "#555555", "weight": 2,
                                      "dashArray": "6 3"},
            tooltip=folium.GeoJsonTooltip(keep, labels=False) if keep else None,
        ).add_to(m)


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
