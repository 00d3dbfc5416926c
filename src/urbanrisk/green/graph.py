"""The patch graph: nodes are habitat patches, edges the distances a species must cross.

Two ways to measure the distance between two patches:

- ``"edge"``: Euclidean edge-to-edge distance (0 for touching patches), found for the
  pairs within ``max_distance_m`` through a spatial index (``STRtree`` ``dwithin``), so
  the cost grows with the number of links, not with the square of the number of patches.
- ``"centroid"``: Euclidean distance between one point per patch. By default
  (``centroid="inside"``) that point is the centroid when it lies within the patch and
  otherwise a point on the patch's surface (GEOS ``PointOnSurface``), as Makurhini does
  (``st_centroid_within_poly``, `connectscape/Makurhini` ``R/st_centroid_within_poly.R``):
  the plain centroid of a C-shaped, ring-shaped or river-strip patch lies outside it.
  ``centroid="geometric"`` keeps the plain centroid. Without ``max_distance_m`` the graph
  is complete and, by the triangle inequality, the best path between two patches is
  always their direct link; the metrics use that and skip the path search.

Pairs are linked when their distance is **strictly less** than ``max_distance_m``, the
convention of Conefor and Makurhini (``dist < distance_threshold`` in Makurhini's
``R/get_sdist.R``); a pair exactly at the threshold is not linked.

:func:`least_cost_graph` measures distances over a resistance raster instead
(cost-distance from each patch; see :mod:`urbanrisk.green.corridors`).

Every graph is a plain :class:`networkx.Graph`: nodes are ``patch_id`` values with the
patches' columns as attributes (``area_m2``, ``attribute``, centroid ``x``, ``y``), edges
carry ``distance_m``; ``graph.graph`` records ``crs``, ``distance``, ``centroid`` and
``max_distance_m``. The node ``x``, ``y`` are the point the centroid distances use.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely
import xarray as xr

from urbanrisk.errors import InputValueError, InvalidGeometryError
from urbanrisk.layers import prepare_vector, require_numeric_column, require_positive

__all__ = ["patch_graph", "least_cost_graph", "patch_points"]

logger = logging.getLogger(__name__)


def _validate_patches(
    patches: gpd.GeoDataFrame, attribute: str, *, like: xr.DataArray | None = None
) -> gpd.GeoDataFrame:
    """Patches through the input contract, with ``patch_id`` and a numeric ``attribute``."""
    patches = prepare_vector(patches, name="patches", like=like,
                             like_name="resistance")
    for col in ("patch_id", attribute):
        if col not in patches.columns:
            raise InputValueError(
                f"patches has no {col!r} column; build it with "
                "urbanrisk.green.patches_from_polygons() or patches_from_landcover()."
            )
    require_numeric_column(patches, attribute, name="patches", allow_nan=False, low=0.0)
    if patches["patch_id"].duplicated().any():
        raise InputValueError("patch_id values must be unique.")
    if (patches.geometry.area <= 0).any():
        rows = list(patches.index[(patches.geometry.area <= 0).to_numpy()][:10])
        raise InvalidGeometryError(f"patches has zero-area geometries (rows {rows}).")
    return patches


def _py(value: object) -> object:
    """Plain Python scalar for numpy scalars (networkx node keys)."""
    return value.item() if hasattr(value, "item") else value


def _inside_points(geoms: np.ndarray, centroid: str) -> np.ndarray:
    """One point per geometry: the centroid, or (``"inside"``) a surface point if outside."""
    cent = shapely.centroid(geoms)
    if centroid == "geometric":
        return cent
    outside = ~shapely.within(cent, geoms)
    if outside.any():
        cent = cent.copy()
        cent[outside] = shapely.point_on_surface(geoms[outside])
        logger.info("%d of %d patch centroids lie outside their patch: a point on the "
                    "surface is used instead", int(outside.sum()), len(geoms))
    return cent


def patch_points(
    patches: gpd.GeoDataFrame, *, centroid: str = "inside"
) -> gpd.GeoSeries:
    """Return the point of each patch that centroid distances are measured from.

    ``centroid="inside"`` (default): the centroid when it lies within the patch (GEOS
    ``within``: strictly inside, not on the boundary), otherwise a point on the patch's
    surface (GEOS ``PointOnSurface``), as Makurhini's ``st_centroid_within_poly`` does
    (Conefor takes the nodes' coordinates from such a point). ``"geometric"``: the plain
    centroid, which lies outside C-shaped or ring-shaped patches.

    Parameters
    ----------
    patches : geopandas.GeoDataFrame
        Patch polygons, projected CRS (a CRS not in metres is reprojected to UTM, logged).
    centroid : {"inside", "geometric"}, default "inside"
        Which point.

    Returns
    -------
    geopandas.GeoSeries
        Points on the patches' index and CRS.

    Examples
    --------
    A C-shaped patch (a 30 × 30 m square without a 20 × 10 m notch on its right side):
    its centroid, ``x = (900·15 − 200·20) / 700 = 13.57``, ``y = 15``, falls in the notch;
    the point used instead lies in the patch.

    >>> import geopandas as gpd
    >>> from shapely.geometry import Polygon
    >>> c = Polygon([(0, 0), (30, 0), (30, 10), (10, 10), (10, 20), (30, 20), (30, 30),
    ...              (0, 30)])
    >>> p = gpd.GeoDataFrame(geometry=[c], crs=3067)
    >>> g = patch_points(p, centroid="geometric").iloc[0]
    >>> round(g.x, 2), round(g.y, 2), g.within(c)
    (13.57, 15.0, False)
    >>> patch_points(p).iloc[0].within(c)
    True
    """
    patches = prepare_vector(patches, name="patches")
    centroid = _centroid_mode(centroid)
    pts = _inside_points(np.asarray(patches.geometry.values), centroid)
    return gpd.GeoSeries(pts, index=patches.index, crs=patches.crs, name="point")


def _centroid_mode(centroid: object) -> str:
    if centroid not in ("inside", "geometric"):
        raise InputValueError(
            f"centroid must be 'inside' (centroid, or a point on the surface when the "
            f"centroid lies outside the patch) or 'geometric', got {centroid!r}."
        )
    return str(centroid)


def _nodes(graph: nx.Graph, patches: gpd.GeoDataFrame, centroid: str = "inside") -> None:
    cent = gpd.GeoSeries(_inside_points(np.asarray(patches.geometry.values), centroid))
    cols = [c for c in patches.columns if c != patches.geometry.name]
    records = patches[cols].to_dict("records")
    for rec, x, y in zip(records, cent.x, cent.y, strict=True):
        pid = rec["patch_id"]
        pid = pid.item() if hasattr(pid, "item") else pid
        attrs = {k: (v.item() if hasattr(v, "item") else v) for k, v in rec.items()}
        attrs.update({"x": float(x), "y": float(y)})
        graph.add_node(pid, **attrs)


def patch_graph(
    patches: gpd.GeoDataFrame,
    *,
    max_distance_m: float | None,
    distance: str = "edge",
    centroid: str = "inside",
    attribute: str = "attribute",
) -> nx.Graph:
    """Build the graph of patches linked when closer than ``max_distance_m``.

    Parameters
    ----------
    patches : geopandas.GeoDataFrame
        Patches with ``patch_id`` and ``attribute`` (see :func:`patches_from_polygons`).
        A CRS not in metres is reprojected to the local UTM zone (logged).
    max_distance_m : float or None
        Only pairs **strictly closer** than this are linked (``d < max_distance_m``, as in
        Conefor and Makurhini); a pair exactly at the threshold is not. ``None`` links
        every pair: fine for a few thousand patches with ``distance="centroid"`` (the
        metrics then skip the path search), quadratic in memory otherwise.
    distance : {"edge", "centroid"}
        Edge-to-edge or centroid-to-centroid Euclidean distance, in metres.
    centroid : {"inside", "geometric"}, default "inside"
        With ``distance="centroid"``: the point of each patch (see :func:`patch_points`).
        ``"inside"`` uses the centroid when it lies within the patch, else a point on
        the surface (Conefor/Makurhini); ``"geometric"`` the plain centroid, which lies
        outside C-shaped or ring-shaped patches.
    attribute : str, default "attribute"
        The node weight column (checked to exist and to hold finite numbers >= 0).

    Returns
    -------
    networkx.Graph
        Nodes ``patch_id`` with the patch columns, edges with ``distance_m``.

    Raises
    ------
    InputValueError
        ``max_distance_m`` <= 0, unknown ``distance`` or ``centroid``, missing columns.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from urbanrisk.green import patches_from_polygons
    >>> parks = patches_from_polygons(gpd.GeoDataFrame(
    ...     geometry=[box(0, 0, 10, 10), box(40, 0, 50, 10), box(500, 0, 510, 10)], crs=3067))
    >>> g = patch_graph(parks, max_distance_m=100)
    >>> sorted(g.edges(data="distance_m"))
    [(0, 1, 30.0)]

    The threshold is exclusive: 30 m apart is not "closer than 30 m".

    >>> patch_graph(parks, max_distance_m=30).number_of_edges()
    0
    """
    patches = _validate_patches(patches, attribute)
    if distance not in ("edge", "centroid"):
        raise InputValueError(f"distance must be 'edge' or 'centroid', got {distance!r}.")
    centroid = _centroid_mode(centroid)
    thr = None if max_distance_m is None else require_positive(
        max_distance_m, name="max_distance_m")
    graph = nx.Graph(crs=patches.crs.to_string(), distance=distance, centroid=centroid,
                     max_distance_m=thr)
    _nodes(graph, patches, centroid)
    ids = patches["patch_id"].to_numpy()
    n = len(ids)
    if distance == "centroid":
        geoms = _inside_points(np.asarray(patches.geometry.values), centroid)
    else:
        geoms = patches.geometry.values
    if thr is None:
        left, right = np.triu_indices(n, k=1)
    else:
        tree = shapely.STRtree(geoms)
        left, right = tree.query(geoms, predicate="dwithin", distance=thr)
        sel = left < right
        left, right = left[sel], right[sel]
    d = shapely.distance(np.asarray(geoms)[left], np.asarray(geoms)[right])
    if thr is not None:
        sel = d < thr  # strictly closer, as Conefor and Makurhini
        left, right, d = left[sel], right[sel], d[sel]
    graph.add_edges_from(
        (_py(ids[i]), _py(ids[j]), {"distance_m": float(dd)})
        for i, j, dd in zip(left, right, d, strict=True)
    )
    logger.info("patch graph: %d patches, %d links", n, graph.number_of_edges())
    return graph


def least_cost_graph(
    patches: gpd.GeoDataFrame,
    resistance: xr.DataArray,
    *,
    max_cost_m: float | None = None,
    attribute: str = "attribute",
) -> nx.Graph:
    """Build the patch graph with least-cost distances over a resistance raster.

    Method (the cost-distance of Graphab and ArcGIS): cells form a grid graph with links to
    their 8 neighbours; moving between two cells costs the mean of their resistances times
    the step length (the cell size, or √2 × cell size diagonally), so a resistance of 1
    everywhere gives Euclidean metres. For each patch, a multi-source Dijkstra starts at
    cost 0 from every cell whose centre lies inside the patch (or the cell holding its
    centroid, for patches smaller than a cell); the link cost to another patch is the
    least cost to reach any of that patch's cells. The edge attribute ``distance_m`` holds
    that cost in cost-weighted metres, so a :class:`DispersalKernel` applies to it as to a
    distance. Paths may cross other patches.

    Parameters
    ----------
    patches : geopandas.GeoDataFrame
        Patches (``patch_id``, ``attribute``); reprojected to the raster's CRS if needed,
        and must overlap it (:class:`~urbanrisk.errors.NoOverlapError`).
    resistance : xarray.DataArray
        Resistance per cell (> 0), dims ``(y, x)``, square cells. NaN cells (and the
        declared nodata) are impassable. Passed through
        :func:`urbanrisk.layers.prepare_raster`: a CRS not in metres is reprojected to
        UTM, a rotated grid raises :class:`~urbanrisk.errors.GridError`.
    max_cost_m : float, optional
        Only links costing strictly less than this are kept (the same rule as
        ``max_distance_m`` of :func:`patch_graph`); the search stops there (much faster).
    attribute : str, default "attribute"
        Node weight column.

    Raises
    ------
    InputValueError
        Resistance <= 0 anywhere, non-square cells, or a patch lying on NaN cells.
    NoOverlapError
        Patches and resistance raster do not overlap.

    Examples
    --------
    >>> import numpy as np, geopandas as gpd
    >>> from shapely.geometry import box
    >>> from urbanrisk.layers import raster_from_array
    >>> from urbanrisk.green import patches_from_polygons
    >>> r = raster_from_array(np.ones((1, 5)), crs=3067, transform=(10, 0, 0, 0, -10, 10))
    >>> parks = patches_from_polygons(gpd.GeoDataFrame(
    ...     geometry=[box(0, 0, 10, 10), box(40, 0, 50, 10)], crs=3067))
    >>> list(least_cost_graph(parks, r).edges(data="distance_m"))
    [(0, 1, 40.0)]
    """
    from urbanrisk.green.corridors import _cost_surfaces, _patch_cells, _validate_resistance

    res, values, cell = _validate_resistance(resistance)
    patches = _validate_patches(patches, attribute, like=res)
    limit = None if max_cost_m is None else require_positive(max_cost_m, name="max_cost_m")
    cells = _patch_cells(patches, res, values)
    ids = patches["patch_id"].to_numpy()
    graph = nx.Graph(
        crs=patches.crs.to_string(), distance="least_cost", max_distance_m=limit
    )
    _nodes(graph, patches)
    n = len(ids)
    # label grid: which patch owns each cell (-1 none); a cell may belong to one patch
    owner = np.full(values.size, -1, dtype=np.int64)
    for i, c in enumerate(cells):
        owner[c] = i
    for i, dist in enumerate(_cost_surfaces(values, cell, cells, limit=limit)):
        reached = np.isfinite(dist)
        others = owner[reached]
        dd = dist[reached]
        sel = others > i
        if not sel.any():
            continue
        best = np.full(n, np.inf)
        np.minimum.at(best, others[sel], dd[sel])
        keep = np.isfinite(best) if limit is None else best < limit
        for j in np.flatnonzero(keep):
            graph.add_edge(_py(ids[i]), _py(ids[j]), distance_m=float(best[j]))
    return graph
