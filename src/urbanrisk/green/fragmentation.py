r"""Effective mesh size (Jaeger 2000), from polygons or from a raster.

The effective mesh size is the expected area reachable from a random point of the
reporting zone without crossing a barrier:

.. math:: m_{eff} = \frac{1}{A_t} \sum_i A_i^2

(Jaeger 2000, Landscape Ecology 15:115-130, eq. 4), ``A_t`` the area of the reporting zone
and ``A_i`` the areas of the unfragmented patches inside it (the *cutting-out* procedure,
CUT). Patches cut by the zone's boundary are then counted only by their inner part, which
punishes small zones. The *cross-boundary connections* procedure (CBC; Moser et al. 2007,
Landscape Ecology 22:447-459, eq. 2) keeps the link to the rest of the patch:

.. math:: m_{eff}^{CBC} = \frac{1}{A_t} \sum_i A_i \, A_i^{cmpl}

with ``A_i^{cmpl}`` the complete area of the patch, inside and outside the zone.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import xarray as xr
from scipy import ndimage

from urbanrisk.errors import InputValueError
from urbanrisk.green._inputs import label_structure
from urbanrisk.layers import cell_area_m2, grid_transform, prepare_raster, prepare_vector

__all__ = ["effective_mesh_size", "effective_mesh_size_raster"]

logger = logging.getLogger(__name__)


def _mesh_size_m2(
    inner_m2: np.ndarray, total_area_m2: float, complete_m2: np.ndarray | None = None
) -> float:
    """Compute the effective mesh size once for all callers (CUT, or CBC with ``complete_m2``).

    ``sum_i A_i A_i^cmpl / A_t`` (``A_i^cmpl = A_i`` for CUT). Used by the polygon and
    raster functions here and by CBI indicator 2 (whose ``A_t`` is the natural area).
    """
    inner = np.asarray(inner_m2, dtype=float)
    other = inner if complete_m2 is None else np.asarray(complete_m2, dtype=float)
    return float(np.sum(inner * other)) / float(total_area_m2)


def _table(zones_index, geometry, crs, at, meff, method) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "total_area_m2": at,
            "effective_mesh_size_m2": meff,
            "effective_mesh_size_ha": np.asarray(meff) / 1e4,
            "method": method,
        },
        geometry=list(geometry),
        crs=crs,
        index=zones_index,
    )


def effective_mesh_size(
    patches: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    *,
    cross_boundary: bool = False,
) -> gpd.GeoDataFrame:
    """Compute the effective mesh size of polygon patches in each reporting zone.

    Parameters
    ----------
    patches : geopandas.GeoDataFrame
        The unfragmented areas (habitat patches, or the land between barriers), one
        polygon per patch, extending beyond the zones where they do (needed by CBC).
        Overlapping patches are not merged: dissolve them first. A CRS not in metres is
        reprojected to the local UTM zone (logged).
    zones : geopandas.GeoDataFrame
        Reporting zones (a city boundary, districts); ``A_t`` is each zone's area.
        Reprojected to the patches' CRS; they must overlap the patches
        (:class:`~urbanrisk.errors.NoOverlapError`): a zone layer in the wrong place is
        refused, not reported as a mesh size of 0.
    cross_boundary : bool, default False
        Use the CBC procedure (Moser et al. 2007) instead of CUT.

    Returns
    -------
    geopandas.GeoDataFrame
        On the index of ``zones``, with their geometry (in the patches' CRS):
        ``total_area_m2`` (A_t), ``effective_mesh_size_m2``, ``effective_mesh_size_ha``
        and ``method`` (``"CUT"`` or ``"CBC"``).

    Examples
    --------
    Two 10 × 10 m patches in a 40 × 10 m zone, one half outside:
    CUT ``(100² + 50²) / 400 = 31.25``; CBC ``(100² + 50 × 100) / 400 = 37.5``.

    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> p = gpd.GeoDataFrame(geometry=[box(0, 0, 10, 10), box(35, 0, 45, 10)], crs=3067)
    >>> u = gpd.GeoDataFrame(geometry=[box(0, 0, 40, 10)], crs=3067)
    >>> effective_mesh_size(p, u)["effective_mesh_size_m2"].tolist()
    [31.25]
    >>> effective_mesh_size(p, u, cross_boundary=True)["effective_mesh_size_m2"].tolist()
    [37.5]
    """
    patches = prepare_vector(patches, name="patches")
    zones = prepare_vector(zones, name="zones", like=patches, like_name="patches")
    pg = patches.geometry.values
    full = shapely.area(pg)
    tree = shapely.STRtree(pg)
    at, meff = [], []
    for zg in zones.geometry.values:
        a_t = zg.area
        if a_t <= 0:
            raise InputValueError("A reporting zone has zero area; remove it.")
        idx = tree.query(zg, predicate="intersects")
        inner = shapely.area(shapely.intersection(pg[idx], zg))
        at.append(a_t)
        meff.append(_mesh_size_m2(inner, a_t, full[idx] if cross_boundary else None))
    return _table(zones.index, zones.geometry.values, zones.crs, at, meff,
                  "CBC" if cross_boundary else "CUT")


def effective_mesh_size_raster(
    habitat: xr.DataArray,
    *,
    zones: gpd.GeoDataFrame | None = None,
    cross_boundary: bool = False,
    connectivity: int = 8,
) -> gpd.GeoDataFrame:
    """Compute the effective mesh size of a habitat raster, whole or per reporting zone.

    Patches are connected groups of habitat cells (non-zero values; 8-neighbourhood by
    default, as pylandstats'). Cells that are NaN lie outside the landscape. A cell
    belongs to a zone when its centre lies inside it; ``A_t`` counts the zone's non-NaN
    cells (the whole raster's when ``zones`` is None, as in pylandstats).

    Parameters
    ----------
    habitat : xarray.DataArray
        1 (or any non-zero value) for habitat, 0 otherwise, NaN (or the declared nodata)
        outside. Passed through :func:`urbanrisk.layers.prepare_raster`: axes sorted
        north-up, a rotated grid refused (:class:`~urbanrisk.errors.GridError`), a CRS not
        in metres reprojected to UTM (nearest neighbour, logged).
    zones : geopandas.GeoDataFrame, optional
        Reporting zones, reprojected to the raster's CRS; they must overlap it
        (:class:`~urbanrisk.errors.NoOverlapError`). By default the whole raster is one
        zone.
    cross_boundary : bool, default False
        CBC procedure: each inner part is weighted by its patch's complete area on the
        raster.
    connectivity : {4, 8}, default 8
        Cells touching only at a corner belong to the same patch with 8 (the
        ``connectivity`` of :func:`urbanrisk.coast.inundation_extent`).

    Returns
    -------
    geopandas.GeoDataFrame
        As :func:`effective_mesh_size`; without ``zones`` one row ``"all"`` whose
        geometry is the raster's extent.

    Examples
    --------
    >>> import numpy as np
    >>> from urbanrisk.layers import raster_from_array
    >>> h = raster_from_array(np.array([[1, 1, 0, 1]]), crs=3067,
    ...                       transform=(10, 0, 0, 0, -10, 10))
    >>> effective_mesh_size_raster(h)["effective_mesh_size_m2"].tolist()   # (200²+100²)/400
    [125.0]
    """
    habitat = prepare_raster(habitat, name="habitat")
    structure = label_structure(connectivity)
    vals = np.asarray(habitat.values, dtype=float)
    valid = np.isfinite(vals)
    mask = valid & (np.where(valid, vals, 0) != 0)
    labels, n = ndimage.label(mask, structure=structure)
    t = grid_transform(habitat)
    cell = cell_area_m2(habitat)
    full = np.bincount(labels.ravel(), minlength=n + 1).astype(float) * cell
    if zones is None:
        inside_sets = [np.ones(vals.shape, bool)]
        index = pd.Index(["all"], name="zone")
        geometry = [shapely.box(*habitat.rio.bounds())]
    else:
        zones = prepare_vector(zones, name="zones", like=habitat, like_name="habitat")
        ys = t.f + t.e * (np.arange(vals.shape[0]) + 0.5)
        xs = t.c + t.a * (np.arange(vals.shape[1]) + 0.5)
        gx, gy = np.meshgrid(xs, ys)
        inside_sets = [shapely.contains_xy(g, gx, gy) for g in zones.geometry.values]
        index = zones.index
        geometry = zones.geometry.values
    at, meff = [], []
    for inside in inside_sets:
        a_t = float(np.sum(valid & inside)) * cell
        if a_t <= 0:
            raise InputValueError("A reporting zone covers no valid raster cell.")
        lab = labels[inside & mask]
        inner = np.bincount(lab, minlength=n + 1).astype(float) * cell
        inner[0] = 0.0
        at.append(a_t)
        meff.append(_mesh_size_m2(inner, a_t, full if cross_boundary else None))
    return _table(index, geometry, habitat.rio.crs, at, meff,
                  "CBC" if cross_boundary else "CUT")
