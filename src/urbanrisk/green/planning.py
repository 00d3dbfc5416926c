"""Which new park helps most, and what losing an existing one would cost.

Candidate sites are ranked by the gain in Equivalent Connected Area (ECA, Saura et al.
2011) they would bring to the patch network; a set of ``k`` sites is chosen greedily,
recomputing the gains after each pick (adding one site changes what the next one adds).
Co-benefits given as data (residents in heat hot spots near the site, flood storage ...)
enter a documented weighted score. Existing patches are ranked by the ECA lost if they were
built over (their ``dPC``).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
import xarray as xr

from urbanrisk.errors import EmptyLayerError, InputValueError
from urbanrisk.green._inputs import patch_column, require_near
from urbanrisk.green._residents import resident_points, within_reach
from urbanrisk.green.graph import patch_graph
from urbanrisk.green.kernel import DispersalKernel, _require_kernel
from urbanrisk.green.metrics import equivalent_connected_area, node_importance
from urbanrisk.green.patches import patches_from_landcover
from urbanrisk.layers import (
    prepare_vector,
    require_number,
    require_numeric_column,
    require_positive,
)

__all__ = ["candidate_sites", "rank_candidates", "best_sites", "patch_loss", "residents_near"]

logger = logging.getLogger(__name__)


def _prepare(
    patches: gpd.GeoDataFrame, candidates: gpd.GeoDataFrame, quality: float,
    max_distance_m: float,
) -> tuple[gpd.GeoDataFrame, list]:
    patches = prepare_vector(patches, name="patches")
    candidates = prepare_vector(candidates, name="candidates", like=patches, overlap=False)
    # candidates beyond link range of every patch cannot join the network: wrong layer/CRS
    require_near(candidates, patches, max_distance_m, names=("patches", "candidates"))
    if "patch_id" not in patches.columns:
        raise InputValueError(
            "patches has no 'patch_id' column; build it with patches_from_polygons()."
        )
    attribute = patch_column(patches, "attribute")
    q = require_number(quality, name="quality", low=0.0, low_open=True, high=1.0)
    existing = shapely.union_all(patches.geometry.values)
    new_geoms = shapely.difference(candidates.geometry.values, existing)
    area = shapely.area(new_geoms)
    if np.any(area <= 0):
        rows = list(candidates.index[area <= 0][:10])
        raise InputValueError(
            f"Candidates {rows} add no new area (they lie inside existing patches)."
        )
    base_ids = set(patches["patch_id"].tolist())
    cand_ids = []
    rows = []
    for k, (label, g, a) in enumerate(zip(candidates.index, new_geoms, area, strict=True)):
        cid = f"candidate:{label}"
        while cid in base_ids:
            cid = f"candidate:{label}:{k}"
        cand_ids.append(cid)
        rows.append({"patch_id": cid, "area_m2": a, "attribute": a * q, "geometry": g})
    base = gpd.GeoDataFrame(
        {
            "patch_id": patches["patch_id"].to_numpy(),
            "area_m2": patches.geometry.area.to_numpy(),
            "attribute": attribute,
        },
        geometry=patches.geometry.values,
        crs=patches.crs,
    )
    allp = gpd.GeoDataFrame(
        pd.concat([base, gpd.GeoDataFrame(rows, geometry="geometry", crs=patches.crs)],
                  ignore_index=True),
        geometry="geometry",
        crs=patches.crs,
    )
    allp["patch_id"] = allp["patch_id"].astype(object)
    return allp, cand_ids


def candidate_sites(
    landcover: xr.DataArray,
    *,
    classes: Iterable[int],
    min_area_m2: float = 0.0,
) -> gpd.GeoDataFrame:
    """Candidate sites for new green space: parcels of the given land-cover classes.

    Cells of ``classes`` (e.g. vacant land, brownfield) that touch along an edge form one
    site (4-neighbourhood: two parcels meeting only at a corner are two sites, since each
    could be greened on its own); sites under ``min_area_m2`` are dropped. The input of
    :func:`rank_candidates` and :func:`best_sites`.

    Parameters
    ----------
    landcover : xarray.DataArray
        Land-cover class codes, as for :func:`patches_from_landcover` (nodata masked,
        whole codes, a CRS not in metres reprojected to UTM with nearest neighbour).
    classes : iterable of int
        Land-cover codes that could become green space.
    min_area_m2 : float, default 0
        Smallest site kept.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per site, index ``site`` (0, 1, ... in raster scan order): ``area_m2``,
        ``n_cells`` and the parcel polygon.

    Examples
    --------
    Two class-7 cells meeting only at a corner are two 100-m² sites; the 2-cell block is
    one 200-m² site:

    >>> import numpy as np
    >>> from urbanrisk.layers import raster_from_array
    >>> lc = raster_from_array(np.array([[7, 0, 7, 7], [0, 7, 0, 0]]), crs=3067,
    ...                        transform=(10, 0, 0, 0, -10, 20))
    >>> candidate_sites(lc, classes=[7])["area_m2"].tolist()
    [100.0, 200.0, 100.0]
    """
    sites = patches_from_landcover(landcover, habitat_classes=list(classes),
                                   min_area_m2=min_area_m2, connectivity=4)
    sites = sites.set_index("patch_id")[["area_m2", "n_cells", sites.geometry.name]]
    sites.index.name = "site"
    return sites


def _eca(graph: nx.Graph, nodes: list, kernel: DispersalKernel) -> float:
    return equivalent_connected_area(graph.subgraph(nodes), kernel=kernel)


def rank_candidates(
    patches: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    *,
    kernel: DispersalKernel,
    max_distance_m: float,
    quality: float = 1.0,
    co_benefits: pd.DataFrame | None = None,
    weights: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Rank candidate sites by the ECA each would add on its own.

    Each candidate (only its part outside existing patches, with ``attribute = area ×
    quality``) is added to the patch graph (edge-to-edge links up to
    ``max_distance_m``) and ``ECA`` recomputed exactly (Saura et al. 2011).

    Score. With co-benefits, every criterion ``c`` (``eca_gain_m2`` and each co-benefit
    column) is divided by its largest value over the candidates, so each lies in [0, 1],
    and ``score = sum_c w_c x_c / max(x_c) / sum_c w_c`` with the ``weights`` (default 1
    for every criterion). Without co-benefits the score is the normalised ECA gain.

    Parameters
    ----------
    patches : geopandas.GeoDataFrame
        Existing patches (``patch_id``, numeric ``attribute``); a CRS not in metres is
        reprojected to the local UTM zone (logged).
    candidates : geopandas.GeoDataFrame
        Proposed sites (polygons), reprojected to the patches' CRS; they must come within
        ``max_distance_m`` of the patches' extent (:class:`~urbanrisk.errors.NoOverlapError`).
    kernel : DispersalKernel
        Dispersal kernel.
    max_distance_m : float
        Link threshold of the patch graph (finite, > 0).
    quality : float, default 1
        Habitat quality of the new sites, in (0, 1].
    co_benefits : pandas.DataFrame, optional
        Numeric columns indexed like ``candidates`` (larger = better), e.g. from
        :func:`residents_near`; strings, NaN and infinities are refused.
    weights : mapping, optional
        Finite weight per criterion name (``"eca_gain_m2"`` and co-benefit columns).

    Returns
    -------
    geopandas.GeoDataFrame
        The candidates (same index labels, their columns and geometry), sorted by
        ``score`` (descending), with ``new_area_m2``, ``eca_m2`` (with the site),
        ``eca_gain_m2``, ``eca_gain_percent``, co-benefit columns, ``score``, ``rank``
        (a candidate column of the same name is replaced). ``attrs`` holds the kernel and
        the base ECA.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from urbanrisk.green import patches_from_polygons
    >>> parks = patches_from_polygons(gpd.GeoDataFrame(
    ...     geometry=[box(0, 0, 100, 100), box(400, 0, 500, 100)], crs=3067))
    >>> sites = gpd.GeoDataFrame({"name": ["between", "far"]},
    ...     geometry=[box(200, 0, 300, 100), box(2000, 0, 2100, 100)], crs=3067)
    >>> r = rank_candidates(parks, sites.set_index("name"),
    ...                     kernel=DispersalKernel(distance_m=200), max_distance_m=500)
    >>> r.index.tolist()
    ['between', 'far']
    """
    kernel = _require_kernel(kernel)
    thr = require_positive(max_distance_m, name="max_distance_m")
    allp, cand_ids = _prepare(patches, candidates, quality, thr)
    graph = patch_graph(allp, max_distance_m=thr)
    base_nodes = [n for n in graph.nodes if n not in set(cand_ids)]
    base = _eca(graph, base_nodes, kernel)
    rows = []
    for label, cid in zip(candidates.index, cand_ids, strict=True):
        eca = _eca(graph, base_nodes + [cid], kernel)
        rows.append((label, graph.nodes[cid]["area_m2"], eca, eca - base))
    out = pd.DataFrame(rows, columns=["candidate", "new_area_m2", "eca_m2", "eca_gain_m2"])
    out = out.set_index("candidate")
    out.index.name = candidates.index.name
    out["eca_gain_percent"] = 100.0 * out["eca_gain_m2"] / base
    out = _score(out, co_benefits, weights, candidates.index)
    keep = [c for c in candidates.columns if c not in out.columns]
    out = gpd.GeoDataFrame(candidates[keep].join(out, how="right"),
                           geometry=candidates.geometry.name, crs=candidates.crs)
    out.attrs.update({"kernel": kernel.as_dict(), "base_eca_m2": base,
                      "max_distance_m": thr})
    return out


def _score(out, co_benefits, weights, index) -> pd.DataFrame:
    criteria = ["eca_gain_m2"]
    if co_benefits is not None:
        cb = pd.DataFrame(co_benefits)
        missing = [i for i in index if i not in cb.index]
        if missing:
            raise InputValueError(
                f"co_benefits has no row for candidates {missing[:10]}; index it like "
                "candidates."
            )
        cb = cb.loc[list(index)]
        for col in cb.columns:
            out[col] = require_numeric_column(cb, col, name="co_benefits", allow_nan=False)
            criteria.append(col)
    w = {c: 1.0 for c in criteria}
    if weights:
        unknown = set(weights) - set(criteria)
        if unknown:
            raise InputValueError(f"weights name unknown criteria {sorted(unknown)}; known: "
                                  f"{criteria}.")
        w.update({k: require_number(v, name=f"weights[{k!r}]") for k, v in weights.items()})
    total_w = sum(w.values())
    if total_w <= 0:
        raise InputValueError("weights must sum to a positive number.")
    score = np.zeros(len(out))
    for c in criteria:
        top = out[c].max()
        if top > 0:
            score += w[c] * out[c].to_numpy(float) / top
    out["score"] = score / total_w
    out = out.sort_values("score", ascending=False, kind="stable")
    out["rank"] = np.arange(1, len(out) + 1)
    return out


def best_sites(
    patches: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    *,
    k: int,
    kernel: DispersalKernel,
    max_distance_m: float,
    quality: float = 1.0,
) -> pd.DataFrame:
    """Choose ``k`` sites greedily, each the largest ECA gain given the ones already chosen.

    ECA is not additive: two sites side by side may add less (or, as stepping stones,
    more) than the sum of their gains alone, so the gains are recomputed after each pick.
    Greedy selection is not guaranteed optimal; it is the standard practical method
    (e.g. Saura & Rubio 2010 for sequential prioritisation).

    Returns
    -------
    pandas.DataFrame
        One row per pick in order: ``step``, ``candidate`` (index label), ``eca_m2``
        after the pick, ``eca_gain_m2`` of that pick. ``attrs["base_eca_m2"]``.

    Examples
    --------
    Two stepping stones between two parks (the first a little larger, so it is picked
    first; alone, the two would tie by symmetry) and a far-away plot:

    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from urbanrisk.green import patches_from_polygons
    >>> parks = patches_from_polygons(gpd.GeoDataFrame(
    ...     geometry=[box(0, 0, 100, 100), box(600, 0, 700, 100)], crs=3067))
    >>> sites = gpd.GeoDataFrame(geometry=[box(200, 0, 300, 120), box(400, 0, 500, 100),
    ...                                     box(5000, 0, 5010, 10)], crs=3067)
    >>> best_sites(parks, sites, k=2, kernel=DispersalKernel(distance_m=200),
    ...            max_distance_m=300)["candidate"].tolist()
    [0, 1]
    """
    kernel = _require_kernel(kernel)
    thr = require_positive(max_distance_m, name="max_distance_m")
    if require_number(k, name="k", low=1.0) != int(k):
        raise InputValueError(f"k must be a positive integer, got {k!r}.")
    k = min(int(k), len(candidates))
    allp, cand_ids = _prepare(patches, candidates, quality, thr)
    graph = patch_graph(allp, max_distance_m=thr)
    chosen: list = [n for n in graph.nodes if n not in set(cand_ids)]
    current = _eca(graph, chosen, kernel)
    base = current
    left = dict(zip(cand_ids, candidates.index, strict=True))
    rows = []
    for step in range(1, k + 1):
        best = None
        for cid in left:
            eca = _eca(graph, chosen + [cid], kernel)
            if best is None or eca > best[1]:
                best = (cid, eca)
        cid, eca = best
        rows.append((step, left.pop(cid), eca, eca - current))
        chosen.append(cid)
        current = eca
    out = pd.DataFrame(rows, columns=["step", "candidate", "eca_m2", "eca_gain_m2"])
    out.attrs.update({"kernel": kernel.as_dict(), "base_eca_m2": base})
    return out


def patch_loss(
    graph: nx.Graph,
    *,
    kernel: DispersalKernel,
    epsilon: float = 0.0,
) -> pd.DataFrame:
    """Rank existing patches by the connectivity lost if each were built over.

    ``dPC`` and its fractions (:func:`node_importance`) with the ECA that would remain,
    ``ECA_k = sqrt(N (1 - dPC_k / 100))``, and the loss ``ECA - ECA_k`` in m².

    Examples
    --------
    >>> import networkx as nx
    >>> g = nx.path_graph(3)
    >>> nx.set_node_attributes(g, 1.0, "attribute")
    >>> nx.set_edge_attributes(g, 100.0, "distance_m")
    >>> patch_loss(g, kernel=DispersalKernel(distance_m=100.0)).index.tolist()[0]
    1
    """
    imp = node_importance(graph, kernel=kernel, epsilon=epsilon)
    num = imp.attrs["numerator"]
    eca = math.sqrt(num)
    remaining = np.sqrt(np.maximum(num * (1.0 - imp["dPC"].to_numpy() / 100.0), 0.0))
    out = imp.copy()
    out["eca_after_m2"] = remaining
    out["eca_loss_m2"] = eca - remaining
    out = out.sort_values("dPC", ascending=False, kind="stable")
    out["rank"] = np.arange(1, len(out) + 1)
    out.attrs.update(imp.attrs)
    out.attrs["eca_m2"] = eca
    return out


def residents_near(
    sites: gpd.GeoDataFrame,
    population: xr.DataArray,
    *,
    distance_m: float = 300.0,
    where: xr.DataArray | None = None,
) -> pd.Series:
    """Residents living within ``distance_m`` of each site, optionally only where ``where``.

    A co-benefit for :func:`rank_candidates`: e.g. ``where = lst >= lst.quantile(0.9)``
    counts residents of heat hot spots who would gain a park within 300 m. A cell counts
    when its centre lies within ``distance_m`` of the site's edge: the same rule as
    :func:`green_access` (one implementation), counted per site instead of per resident.

    Parameters
    ----------
    sites : geopandas.GeoDataFrame
        Candidate sites; a CRS not in metres is reprojected to UTM (logged).
    population : xarray.DataArray
        People per cell, units people (other or missing units raise
        :class:`~urbanrisk.errors.UnitsError`); declared nodata masked, rotated grid
        refused (:class:`~urbanrisk.errors.GridError`). The sites must come within
        ``distance_m`` of its extent (:class:`~urbanrisk.errors.NoOverlapError`); its cell
        centres are transformed exactly to the sites' metric CRS, counts never resampled.
    distance_m : float, default 300
        Distance from the site edge (finite, > 0).
    where : xarray.DataArray, optional
        Boolean mask (or 1/0 with NaN for no data) of cells to count, on the population
        grid: same CRS and transform (:class:`~urbanrisk.errors.GridError` otherwise).

    Returns
    -------
    pandas.Series
        ``residents_near`` indexed like ``sites``.

    Examples
    --------
    >>> import numpy as np, geopandas as gpd
    >>> from shapely.geometry import box
    >>> from urbanrisk.layers import raster_from_array
    >>> pop = raster_from_array(np.array([[5.0, 7.0, 9.0]]), crs=3067,
    ...                         transform=(200, 0, 0, 0, -200, 200), units="people")
    >>> site = gpd.GeoDataFrame(geometry=[box(0, 0, 10, 10)], crs=3067)
    >>> residents_near(site, pop).tolist(), residents_near(site, pop, distance_m=400).tolist()
    ([5.0], [12.0])
    """
    s = prepare_vector(sites, name="sites")
    d = require_positive(distance_m, name="distance_m")
    pts, w = resident_points(s, population=population, buildings=None, weight_column=None,
                             target_name="sites", reach_m=d, where=where)
    si, pi = within_reach(s.geometry.values, pts, d)
    total = np.bincount(si, weights=w[pi], minlength=len(s))
    if not np.isfinite(total).all():
        raise EmptyLayerError("population holds no finite values near the sites.")
    return pd.Series(total, index=sites.index, name="residents_near")
