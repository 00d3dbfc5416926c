"""Habitat patches from a land-cover raster or from polygons, and gap merging.

A patch is one connected piece of habitat. Every function returns a new GeoDataFrame with
a stable ``patch_id`` (0, 1, ... in a deterministic order), ``area_m2`` and ``attribute``
(area × quality, the ``a_i`` of the connectivity indices; equal to the area when no quality
is given), in a projected CRS in metres.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

import geopandas as gpd
import numpy as np
import shapely
import xarray as xr
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from urbanrisk.errors import EmptyLayerError, InputValueError, InvalidGeometryError
from urbanrisk.green._inputs import label_structure, patch_column
from urbanrisk.layers import (
    cell_area_m2,
    grid_transform,
    prepare_raster,
    prepare_vector,
    require_class_codes,
    require_number,
    require_numeric_column,
    require_positive,
    require_probability,
)

__all__ = ["patches_from_landcover", "patches_from_polygons", "merge_patches"]

logger = logging.getLogger(__name__)


def _finish(
    geoms: Iterable, area: np.ndarray, attribute: np.ndarray, crs, min_area_m2: float,
    extra: dict | None = None, *, ids: np.ndarray | None = None, index=None,
) -> gpd.GeoDataFrame:
    """Patch table; ``ids``/``index`` keep the caller's ids and rows, else 0, 1, ..."""
    data = {"area_m2": np.asarray(area, float), "attribute": np.asarray(attribute, float)}
    data.update(extra or {})
    gdf = gpd.GeoDataFrame(data, geometry=list(geoms), crs=crs)
    if ids is not None:
        gdf.insert(0, "patch_id", ids)
    if index is not None:
        gdf.index = index
    keep = gdf["area_m2"] >= min_area_m2
    dropped = int((~keep).sum())
    if dropped:
        logger.info("%d patches smaller than %g m² dropped", dropped, min_area_m2)
    gdf = gdf.loc[keep]
    if index is None:
        gdf = gdf.reset_index(drop=True)
    if gdf.empty:
        raise EmptyLayerError(
            f"No habitat patch is left after dropping patches under min_area_m2={min_area_m2:g}"
            f" ({dropped} dropped). Lower min_area_m2 or check the habitat classes/polygons."
        )
    if ids is None:
        gdf.insert(0, "patch_id", np.arange(len(gdf), dtype=np.int64))
    return gdf


def _habitat_quality(habitat_classes: Iterable | Mapping) -> dict[int, float]:
    """``{class code: quality}`` from a list of codes or a mapping, every entry checked."""
    if isinstance(habitat_classes, str | bytes) or not isinstance(
        habitat_classes, Iterable | Mapping
    ):
        raise InputValueError(
            f"habitat_classes must list land-cover codes (or map code -> quality), got "
            f"{habitat_classes!r}."
        )
    items = (
        habitat_classes.items() if isinstance(habitat_classes, Mapping)
        else ((k, 1.0) for k in habitat_classes)
    )
    quality: dict[int, float] = {}
    for k, v in items:
        code = require_number(k, name="habitat class code")
        if code != round(code):
            raise InputValueError(
                f"habitat class code {k!r} is not a whole number; land-cover codes are."
            )
        quality[int(code)] = require_probability(v, name=f"quality of habitat class {k!r}")
    if not quality:
        raise InputValueError("habitat_classes is empty: name the land-cover codes of habitat.")
    return quality


def patches_from_landcover(
    landcover: xr.DataArray,
    *,
    habitat_classes: Iterable[int] | Mapping[int, float],
    min_area_m2: float = 0.0,
    connectivity: int = 8,
) -> gpd.GeoDataFrame:
    """Habitat patches from a land-cover raster.

    Cells whose class is in ``habitat_classes`` are habitat; touching habitat cells
    (8-neighbourhood by default, or 4 with ``connectivity=4``) form one patch, whatever their
    classes. Patches are numbered in raster scan order of their first cell.

    Parameters
    ----------
    landcover : xarray.DataArray
        Class codes (whole numbers; a float raster with NaN or a declared nodata for
        "no data" is fine), dims ``(y, x)``. It goes through
        :func:`urbanrisk.layers.prepare_raster`: declared nodata is masked (never a class),
        axes are sorted north-up, a rotated grid raises
        :class:`~urbanrisk.errors.GridError`, and a CRS not in metres is reprojected to
        the local UTM zone with nearest-neighbour resampling (logged).
    habitat_classes : iterable of int, or mapping class → quality
        Habitat class codes (whole numbers). With a mapping, each class has a quality
        weight in [0, 1] and the patch ``attribute`` is ``sum(cell area × quality)``.
    min_area_m2 : float, default 0
        Patches smaller than this are dropped.
    connectivity : {8, 4}, default 8
        Neighbourhood of a patch: with 8, cells touching only at a corner belong to the same
        patch; with 4, only cells sharing an edge do (the same parameter as
        :func:`~urbanrisk.green.effective_mesh_size`).

    Returns
    -------
    geopandas.GeoDataFrame
        ``patch_id``, ``area_m2`` (cells × cell area), ``attribute``, ``n_cells`` and the
        patch polygon (cell outlines dissolved).

    Raises
    ------
    InputValueError
        Non-integer class codes (3.4 is not class 3), a NaN or negative ``min_area_m2``,
        quality weights outside [0, 1], ``connectivity`` other than 4 or 8.
    GridError
        A rotated or sheared grid (warp it first: ``read_raster(path, warp=True)``).
    EmptyLayerError
        No habitat cell, or no patch at least ``min_area_m2``.

    Examples
    --------
    >>> import numpy as np
    >>> from urbanrisk.layers import raster_from_array
    >>> lc = raster_from_array(np.array([[1, 1, 0], [0, 0, 0], [0, 2, 2]]), crs=3067,
    ...                        transform=(10, 0, 0, 0, -10, 30))
    >>> p = patches_from_landcover(lc, habitat_classes={1: 1.0, 2: 0.5})
    >>> p[["patch_id", "area_m2", "attribute"]].values.tolist()
    [[0.0, 200.0, 200.0], [1.0, 200.0, 100.0]]
    """
    structure = label_structure(connectivity)
    landcover = prepare_raster(landcover, name="landcover")
    require_class_codes(landcover, name="landcover")
    min_area_m2 = require_positive(min_area_m2, name="min_area_m2", allow_zero=True)
    quality = _habitat_quality(habitat_classes)
    values = np.asarray(landcover.values)
    finite = np.isfinite(values) if np.issubdtype(values.dtype, np.floating) else True
    codes = np.where(finite, values, -(2**31)).astype(np.int64)
    habitat = np.isin(codes, list(quality)) & finite
    if not habitat.any():
        raise EmptyLayerError(
            f"No cell of landcover has a habitat class {sorted(quality)}; classes present: "
            f"{sorted(np.unique(codes[np.asarray(finite) & (codes > -(2**31))]).tolist())[:20]}."
        )
    labels, n = ndimage.label(habitat, structure=structure)
    transform = grid_transform(landcover)
    cell_area = cell_area_m2(landcover)
    qgrid = np.zeros(codes.shape)
    for code, q in quality.items():
        qgrid[codes == code] = q
    flat = labels.ravel()
    n_cells = np.bincount(flat, minlength=n + 1)[1:]
    attribute = np.bincount(flat, weights=qgrid.ravel(), minlength=n + 1)[1:] * cell_area
    import rasterio.features

    parts: list[list] = [[] for _ in range(n)]
    for geom, value in rasterio.features.shapes(
        labels.astype(np.int32), mask=labels > 0, connectivity=connectivity,
        transform=transform,
    ):
        parts[int(value) - 1].append(shapely.geometry.shape(geom))
    # cell outlines joined at corners (8-neighbourhood) give self-touching rings: repair
    geoms = shapely.make_valid(
        np.array([shapely.union_all(p) if len(p) > 1 else p[0] for p in parts], dtype=object)
    )
    return _finish(
        geoms, n_cells * cell_area, attribute, landcover.rio.crs, min_area_m2,
        extra={"n_cells": n_cells.astype(np.int64)},
    )


def patches_from_polygons(
    polygons: gpd.GeoDataFrame,
    *,
    min_area_m2: float = 0.0,
    quality_column: str | None = None,
    dissolve: bool = False,
    id_column: str | None = None,
    make_valid: bool = False,
) -> gpd.GeoDataFrame:
    """Habitat patches from polygons (parks, forests): one patch per polygon by default.

    By default every input feature is one patch and keeps its id and its row of the
    input index, as Conefor and Makurhini take the nodes they are given: patches that
    touch (share an edge or a single corner) stay separate patches, linked in
    :func:`patch_graph` at distance 0. With ``dissolve=True``, overlapping or touching
    features (even at a single point) are dissolved into one patch, and the result says
    which inputs were merged (``n_parts``, ``merged_ids``; also logged). The City
    Biodiversity Index rule that groups natural areas less than 100 m apart is
    :func:`merge_patches`, not this.

    With ``quality_column`` (values in [0, 1]) the ``attribute`` is ``sum(area of the
    input polygon × its quality)`` over the input polygons forming the patch, so with
    ``dissolve=True`` overlaps between inputs are counted twice: resolve them first if
    quality matters. Without ``dissolve``, overlapping inputs are logged as a warning
    (their shared area counts in both patches).

    Parameters
    ----------
    polygons : geopandas.GeoDataFrame
        Polygon or MultiPolygon features. A CRS not in metres (degrees, Web Mercator,
        feet) is reprojected to the local UTM zone (logged).
    min_area_m2 : float, default 0
        Patches smaller than this are dropped (after dissolving, with ``dissolve``).
    quality_column : str, optional
        Numeric column of quality weights in [0, 1] (strings and NaN refused).
    dissolve : bool, default False
        Dissolve overlapping or touching features into one patch.
    id_column : str, optional
        Column of unique ids kept as ``patch_id`` (without ``dissolve``). Default: the
        ``patch_id`` column if there is one, else the row position 0, 1, ... of the
        feature in ``polygons``. With ``dissolve``, ``patch_id`` is new (0, 1, ... by the
        lowest input row in the patch) and ``merged_ids`` lists these input ids.
    make_valid : bool, default False
        Repair invalid geometries instead of raising.

    Returns
    -------
    geopandas.GeoDataFrame
        ``patch_id``, ``area_m2``, ``attribute``, ``n_parts`` (input features in the
        patch), ``merged_ids`` (their ids, comma-separated) and the geometry. Without
        ``dissolve`` the rows keep the input index (minus patches under
        ``min_area_m2``); with it the index is 0, 1, ...

    Raises
    ------
    InvalidGeometryError
        Non-polygon, empty or zero-area features (the rows are named).
    InputValueError
        ``id_column`` missing or with duplicated values.
    EmptyLayerError
        No feature, or no patch left after ``min_area_m2``.

    Examples
    --------
    Two parks touching along an edge stay two patches unless dissolved:

    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> parks = gpd.GeoDataFrame(geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10),
    ...                                    box(50, 0, 60, 5)], crs=3067)
    >>> patches_from_polygons(parks)[["patch_id", "area_m2"]].values.tolist()
    [[0.0, 100.0], [1.0, 100.0], [2.0, 50.0]]
    >>> p = patches_from_polygons(parks, dissolve=True)
    >>> p[["patch_id", "area_m2", "n_parts"]].values.tolist()
    [[0.0, 200.0, 2.0], [1.0, 50.0, 1.0]]
    >>> p["merged_ids"].tolist()
    ['0,1', '2']
    """
    polygons = prepare_vector(polygons, name="polygons", make_valid=make_valid)
    min_area_m2 = require_positive(min_area_m2, name="min_area_m2", allow_zero=True)
    if not isinstance(dissolve, bool | np.bool_):
        raise InputValueError(f"dissolve must be True or False, got {dissolve!r}.")
    geom = polygons.geometry.reset_index(drop=True)
    types = geom.geom_type
    not_poly = ~types.isin(["Polygon", "MultiPolygon"])
    if not_poly.any():
        rows = list(polygons.index[not_poly.to_numpy()][:10])
        raise InvalidGeometryError(
            f"polygons has {int(not_poly.sum())} non-polygon features (rows {rows}, types "
            f"{sorted(set(types[not_poly]))}). Keep only (Multi)Polygons, e.g. "
            "gdf[gdf.geom_type.isin(['Polygon', 'MultiPolygon'])]."
        )
    area = geom.area.to_numpy()
    if np.any(area <= 0):
        rows = list(polygons.index[area <= 0][:10])
        raise InvalidGeometryError(
            f"polygons has {int((area <= 0).sum())} features of zero area (rows {rows}). "
            "Remove them; a habitat patch needs an area."
        )
    if quality_column is not None:
        q = require_numeric_column(
            polygons, quality_column, name="polygons", allow_nan=False, low=0.0, high=1.0
        )
    else:
        q = np.ones(len(geom))
    ids = _input_ids(polygons, id_column)
    n = len(geom)
    if not dissolve:
        _warn_overlaps(geom.values, ids)
        return _finish(
            geom.values, area, area * q, polygons.crs, min_area_m2,
            extra={"n_parts": np.ones(n, dtype=np.int64),
                   "merged_ids": [str(i) for i in ids]},
            ids=ids, index=polygons.index,
        )
    # group touching/overlapping inputs
    tree = shapely.STRtree(geom.values)
    left, right = tree.query(geom.values, predicate="intersects")
    adj = coo_matrix((np.ones(left.size), (left, right)), shape=(n, n))
    ncomp, labels = connected_components(adj, directed=False)
    first = np.full(ncomp, n)
    np.minimum.at(first, labels, np.arange(n))
    order = np.argsort(first, kind="stable")
    rank = np.empty(ncomp, dtype=np.int64)
    rank[order] = np.arange(ncomp)
    labels = rank[labels]
    geoms, merged = [], []
    for c in range(ncomp):
        members = np.flatnonzero(labels == c)
        geoms.append(
            geom.values[members[0]] if members.size == 1
            else shapely.union_all(geom.values[members])
        )
        merged.append(",".join(str(i) for i in ids[members]))
    patch_area = np.array([g.area for g in geoms])
    attribute = np.bincount(labels, weights=area * q, minlength=ncomp)
    if quality_column is None:
        attribute = patch_area
    n_parts = np.bincount(labels, minlength=ncomp).astype(np.int64)
    if ncomp < n:
        groups = [m for m, k in zip(merged, n_parts, strict=True) if k > 1]
        logger.info(
            "dissolve: %d touching or overlapping input polygons merged into %d patches "
            "(%d polygons in, %d patches out); merged ids: %s%s",
            int(n_parts[n_parts > 1].sum()), len(groups), n, ncomp,
            "; ".join(groups[:10]), " ..." if len(groups) > 10 else "",
        )
    return _finish(geoms, patch_area, attribute, polygons.crs, min_area_m2,
                   extra={"n_parts": n_parts, "merged_ids": merged})


def _input_ids(polygons: gpd.GeoDataFrame, id_column: str | None) -> np.ndarray:
    """Return the input ids: ``id_column``, else ``patch_id``, else row positions."""
    if id_column is None:
        if "patch_id" not in polygons.columns:
            return np.arange(len(polygons), dtype=np.int64)
        id_column = "patch_id"
    if id_column not in polygons.columns:
        raise InputValueError(
            f"id_column {id_column!r} is not a column of polygons ({list(polygons.columns)})."
        )
    ids = polygons[id_column]
    if ids.isna().any() or ids.duplicated().any():
        dup = ids[ids.duplicated(keep=False) | ids.isna()].tolist()[:10]
        raise InputValueError(
            f"polygons[{id_column!r}] must hold unique, non-missing ids (repeated or "
            f"missing: {dup}). Pass dissolve=True to merge features into new patches."
        )
    return ids.to_numpy()


def _warn_overlaps(geoms: np.ndarray, ids: np.ndarray) -> None:
    """Log the pairs of input features that overlap (a shared area, not just an edge)."""
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="overlaps")
    sel = left < right
    left, right = left[sel], right[sel]
    # "overlaps" misses a feature wholly inside another
    li, ri = tree.query(geoms, predicate="contains")
    sel = li != ri
    left = np.concatenate([left, li[sel]])
    right = np.concatenate([right, ri[sel]])
    if left.size:
        pairs = [f"{ids[i]}/{ids[j]}" for i, j in zip(left[:10], right[:10], strict=True)]
        logger.warning(
            "%d pairs of input polygons overlap (ids %s%s): their shared area counts in "
            "both patches. Pass dissolve=True to merge them, or resolve the overlaps.",
            left.size, ", ".join(pairs), " ..." if left.size > 10 else "",
        )


def merge_patches(
    patches: gpd.GeoDataFrame,
    *,
    gap_m: float = 100.0,
    barriers: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Merge patches less than ``gap_m`` apart unless a barrier lies between them.

    This is the grouping rule of City Biodiversity Index indicator 2 (Chan et al. 2014,
    User's Manual on the Singapore Index on Cities' Biodiversity, indicator 2, p. 12):
    two natural areas less than 100 m apart count as connected unless an anthropogenic
    barrier separates them: a road 15 m wide or more or carrying more than 5,000 cars a
    day, a highly modified river, a heavily concretised canal, a heavily built-up area or
    another artificial structure the city considers a barrier (build them with
    :func:`urbanrisk.green.cbi_barriers`). Here "separates" means the barrier layer
    crosses the shortest straight line between the two patch edges. Groups are closed
    transitively (A near B, B near C → one patch).

    Parameters
    ----------
    patches : geopandas.GeoDataFrame
        Output of :func:`patches_from_polygons` / :func:`patches_from_landcover`
        (``area_m2``, ``attribute``).
    gap_m : float, default 100
        Patches whose edge-to-edge distance is strictly below this are joined.
    barriers : geopandas.GeoDataFrame, optional
        Lines (or polygons, e.g. built-up areas) that break a link; reprojected to the
        patches' CRS if needed.

    Returns
    -------
    geopandas.GeoDataFrame
        ``patch_id`` (new, ordered by the lowest old id), ``area_m2`` and ``attribute``
        (sums), ``n_parts``, ``merged_ids`` (old ids, comma-separated) and the merged
        geometry (a MultiPolygon for groups of separate parts).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import LineString, box
    >>> parks = patches_from_polygons(gpd.GeoDataFrame(
    ...     geometry=[box(0, 0, 10, 10), box(60, 0, 70, 10), box(300, 0, 310, 10)], crs=3067))
    >>> merge_patches(parks, gap_m=100)["merged_ids"].tolist()
    ['0,1', '2']
    >>> road = gpd.GeoDataFrame(geometry=[LineString([(35, -50), (35, 50)])], crs=3067)
    >>> merge_patches(parks, gap_m=100, barriers=road)["merged_ids"].tolist()
    ['0', '1', '2']
    """
    patches = prepare_vector(patches, name="patches")
    gap = require_positive(gap_m, name="gap_m")
    area_m2, attribute = (patch_column(patches, col) for col in ("area_m2", "attribute"))
    if barriers is not None and len(barriers):
        # a barrier far from every patch blocks nothing: no overlap required
        barriers = prepare_vector(barriers, name="barriers", like=patches, overlap=False)
    geom = patches.geometry.values
    n = len(geom)
    tree = shapely.STRtree(geom)
    left, right = tree.query(geom, predicate="dwithin", distance=gap)
    sel = left < right
    left, right = left[sel], right[sel]
    dist = shapely.distance(geom[left], geom[right])
    sel = dist < gap
    left, right = left[sel], right[sel]
    if barriers is not None and len(barriers) and left.size:
        lines = shapely.shortest_line(geom[left], geom[right])
        btree = shapely.STRtree(barriers.geometry.values)
        li, _ = btree.query(lines, predicate="intersects")
        blocked = np.zeros(left.size, bool)
        blocked[np.unique(li)] = True
        logger.info("%d of %d short gaps are crossed by a barrier", int(blocked.sum()),
                    left.size)
        left, right = left[~blocked], right[~blocked]
    adj = coo_matrix((np.ones(left.size), (left, right)), shape=(n, n))
    ncomp, labels = connected_components(adj, directed=False)
    ids = patches["patch_id"].to_numpy() if "patch_id" in patches else np.arange(n)
    first = np.full(ncomp, n)
    np.minimum.at(first, labels, np.arange(n))
    rank = np.empty(ncomp, dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(ncomp)
    labels = rank[labels]
    geoms, merged = [], []
    for c in range(ncomp):
        members = np.flatnonzero(labels == c)
        geoms.append(geom[members[0]] if members.size == 1 else shapely.union_all(geom[members]))
        merged.append(",".join(str(i) for i in ids[members]))
    area = np.bincount(labels, weights=area_m2, minlength=ncomp)
    attr = np.bincount(labels, weights=attribute, minlength=ncomp)
    out = gpd.GeoDataFrame(
        {
            "patch_id": np.arange(ncomp, dtype=np.int64),
            "area_m2": area,
            "attribute": attr,
            "n_parts": np.bincount(labels, minlength=ncomp).astype(np.int64),
            "merged_ids": merged,
        },
        geometry=geoms,
        crs=patches.crs,
    )
    return out
