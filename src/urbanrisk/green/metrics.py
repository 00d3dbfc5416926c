"""Graph-based connectivity metrics of habitat patches.

Integral Index of Connectivity (IIC; Pascual-Hortal & Saura 2006), Probability of
Connectivity (PC; Saura & Pascual-Hortal 2007), Equivalent Connected Area (ECA; Saura et
al. 2011), the importance of every patch (dPC, dIIC) split into its intra, flux and
connector fractions (Saura & Rubio 2010), components at a distance threshold and the
component curve over all thresholds, betweenness-based corridor importance and circuit
theory on the patch graph (effective resistance, current-flow centrality; McRae et al.
2008).

All metrics take the :mod:`networkx` graph built by :func:`urbanrisk.green.patch_graph`
(nodes carry the patch ``attribute``, edges ``distance_m``). Sums over pairs run over
*ordered* pairs and include ``i = j`` (``p*_ii = 1``, ``nl_ii = 0``), as in Conefor
(Saura & Torné 2009), so a single isolated patch of area ``a`` has ``ECA = a``.
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass, field

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse import csgraph

from urbanrisk.errors import EmptyLayerError, InputValueError
from urbanrisk.green._engine import node_terms, prune_dominated
from urbanrisk.green.kernel import DispersalKernel, _require_kernel
from urbanrisk.layers import prepare_vector, require_number, require_numbers, require_positive

__all__ = [
    "AREA_UNITS_M2",
    "ConnectivityIndex",
    "LandscapeArea",
    "landscape_area",
    "patch_importance",
    "probability_of_connectivity",
    "integral_index_of_connectivity",
    "equivalent_connected_area",
    "node_importance",
    "components_at",
    "component_curve",
    "corridor_importance",
    "effective_resistance",
    "current_flow_centrality",
]

logger = logging.getLogger(__name__)


#: Square metres per unit of a node attribute that is an area (``attribute_units``).
AREA_UNITS_M2: dict[str, float] = {"m2": 1.0, "ha": 1e4, "km2": 1e6}


def _area_factor(attribute_units: str) -> float:
    """Square metres per attribute unit; refuses units that are not areas."""
    key = str(attribute_units).strip().lower().replace("^", "").replace("²", "2")
    if key not in AREA_UNITS_M2:
        raise InputValueError(
            f"attribute_units must be one of {sorted(AREA_UNITS_M2)} (the units of the node "
            f"attribute, an area × quality), got {attribute_units!r}. Patches from "
            "patches_from_polygons/patches_from_landcover carry 'attribute' in m2."
        )
    return AREA_UNITS_M2[key]


def _fmt_area(m2: float) -> str:
    return f"{m2 / 1e4:,.4g} ha" if math.isfinite(m2) else "nan"


@dataclass(frozen=True)
class LandscapeArea:
    """The landscape area ``A_L`` of PC and IIC, with where it came from.

    Attributes
    ----------
    area_m2 : float
        ``A_L`` in m².
    source : str
        ``"given"`` (a number passed by the user), ``"boundary"`` (the union of the
        boundary polygons) or ``"patch_bounds"`` (the bounding box of the patches).
    """

    area_m2: float
    source: str

    def __repr__(self) -> str:
        return f"LandscapeArea({_fmt_area(self.area_m2)}, source={self.source!r})"

    @property
    def description(self) -> str:
        """A phrase for a method note: ``"area of the boundary"``, ..."""
        return {
            "given": "given",
            "boundary": "area of the boundary",
            "patch_bounds": "bounding box of the habitat patches",
        }.get(self.source, self.source)


def landscape_area(
    patches: gpd.GeoDataFrame,
    *,
    boundary: gpd.GeoDataFrame | None = None,
    area_m2: float | None = None,
) -> LandscapeArea:
    """Choose ``A_L`` for PC/IIC: the given area, else the boundary, else the patches' box.

    The rule, in order: ``area_m2`` when given (> 0); otherwise the area of the union of
    ``boundary`` (e.g. the city's districts, overlaps counted once); otherwise the area of
    the bounding box of the patches. The last is a fallback only: it depends on where the
    outermost patches happen to lie, so PC values computed with it are not comparable
    between cities (ECA does not depend on ``A_L``).

    Parameters
    ----------
    patches : geopandas.GeoDataFrame
        Habitat patches; a CRS not in metres is reprojected to the local UTM zone (logged).
    boundary : geopandas.GeoDataFrame, optional
        Study-area polygons, reprojected to the patches' CRS; they must overlap the patches
        (:class:`~urbanrisk.errors.NoOverlapError`).
    area_m2 : float, optional
        ``A_L`` in m², finite and > 0; wins over ``boundary``.

    Returns
    -------
    LandscapeArea
        ``area_m2`` and ``source`` (``"given"``, ``"boundary"`` or ``"patch_bounds"``).

    Examples
    --------
    Two 10 × 10 m patches at (0, 0) and (30, 10): their box is 40 × 20 m = 800 m².

    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> p = gpd.GeoDataFrame(geometry=[box(0, 0, 10, 10), box(30, 10, 40, 20)], crs=3067)
    >>> landscape_area(p)
    LandscapeArea(0.08 ha, source='patch_bounds')
    >>> city = gpd.GeoDataFrame(geometry=[box(0, 0, 50, 50), box(50, 0, 100, 50)], crs=3067)
    >>> landscape_area(p, boundary=city).area_m2
    5000.0
    >>> landscape_area(p, boundary=city, area_m2=1e6).source
    'given'
    """
    patches = prepare_vector(patches, name="patches")
    if area_m2 is not None:
        return LandscapeArea(require_positive(area_m2, name="area_m2"), "given")
    if boundary is not None:
        boundary = prepare_vector(boundary, name="boundary", like=patches,
                                  like_name="patches")
        area = float(shapely.union_all(boundary.geometry.values).area)
        if area <= 0:
            raise InputValueError("The boundary has zero area.")
        return LandscapeArea(area, "boundary")
    x0, y0, x1, y1 = patches.total_bounds
    area = float((x1 - x0) * (y1 - y0))
    if area <= 0:
        raise InputValueError(
            "The patches' bounding box has zero area; give boundary= or area_m2=."
        )
    return LandscapeArea(area, "patch_bounds")


@dataclass(frozen=True)
class ConnectivityIndex:
    """A landscape connectivity index with everything needed to read it.

    Every ``_m2`` field is in square metres whatever the units of the node attribute
    (``attribute_units``); ``numerator`` alone stays in attribute units squared.

    Attributes
    ----------
    index : str
        ``"PC"`` or ``"IIC"``.
    value : float
        The index, ``numerator / A_L**2`` (``A_L`` in attribute units), in [0, 1].
    numerator : float
        ``sum_i sum_j a_i a_j p*_ij`` (PC) or ``sum_i sum_j a_i a_j / (1 + nl_ij)`` (IIC),
        in attribute units squared.
    eca_m2 : float
        Equivalent connected area, ``sqrt(numerator)`` (Saura et al. 2011), in m².
    landscape_area_m2 : float
        The ``A_L`` used, in m².
    kernel : dict or None
        The dispersal kernel (PC only), see :class:`DispersalKernel`.
    epsilon : float
        Truncation probability (0: exact).
    error_bound : float
        Certified bound on ``true value - value`` caused by the truncation (0 when exact).
    habitat_m2 : float
        Total habitat, ``sum_i a_i``, in m² (the largest ECA possible).
    eca_share : float
        ``eca_m2 / habitat_m2`` in [0, 1]: the share of the habitat that is connected
        (1 when all of it forms one fully connected patch; NaN without habitat).
    attribute_units : str
        Units of the node attribute (``"m2"``, ``"ha"`` or ``"km2"``).
    landscape_area_source : str or None
        Where ``A_L`` came from (:class:`LandscapeArea` ``source``); None for a plain
        number.
    """

    index: str
    value: float
    numerator: float
    eca_m2: float
    landscape_area_m2: float
    kernel: dict | None = field(default=None)
    epsilon: float = 0.0
    error_bound: float = 0.0
    habitat_m2: float = math.nan
    eca_share: float = math.nan
    attribute_units: str = "m2"
    landscape_area_source: str | None = None

    def to_frame(self) -> pd.DataFrame:
        """One row with every field (the kernel as ``kernel_distance_m``, ``kernel_probability``).

        Examples
        --------
        >>> ConnectivityIndex("IIC", 0.5, 2.0, 1.4, 2.0).to_frame().loc[0, "index"]
        'IIC'
        """
        row = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "kernel"}
        kern = self.kernel or {}
        row["kernel_distance_m"] = kern.get("distance_m", math.nan)
        row["kernel_probability"] = kern.get("probability", math.nan)
        return pd.DataFrame([row])

    def __repr__(self) -> str:
        parts = [f"{self.index}={self.value:.4g}", f"ECA={_fmt_area(self.eca_m2)}"]
        if math.isfinite(self.eca_share):
            parts.append(f"({100 * self.eca_share:.3g} % of habitat)")
        src = f" [{self.landscape_area_source}]" if self.landscape_area_source else ""
        parts.append(f"A_L={_fmt_area(self.landscape_area_m2)}{src}")
        if self.kernel:
            parts.append(f"kernel p={self.kernel['probability']:g} at "
                         f"{self.kernel['distance_m']:g} m")
        if self.epsilon:
            parts.append(f"epsilon={self.epsilon:g}")
        return "ConnectivityIndex(" + ", ".join(parts) + ")"

    def _repr_html_(self) -> str:
        return self.to_frame().T.rename(columns={0: self.index}).to_html()


# --------------------------------------------------------------------------------------
# Validation and conversion
# --------------------------------------------------------------------------------------
def _require_graph(graph: object) -> nx.Graph:
    if not isinstance(graph, nx.Graph):
        raise InputValueError(
            f"graph must be a networkx.Graph (see urbanrisk.green.patch_graph), got "
            f"{type(graph).__name__}."
        )
    if graph.is_directed():
        raise InputValueError("graph must be undirected; use graph.to_undirected().")
    if graph.number_of_nodes() == 0:
        raise EmptyLayerError(
            "The patch graph has no nodes: no habitat patch is left. Check the habitat "
            "classes and min_area_m2."
        )
    return graph


def _node_values(graph: nx.Graph, attribute: str) -> tuple[list, np.ndarray]:
    nodes = list(graph.nodes)
    try:
        raw = [graph.nodes[n][attribute] for n in nodes]
    except KeyError:
        raise InputValueError(
            f"Every node needs the attribute {attribute!r} (patch area or area × quality); "
            f"node attributes present: {sorted(next(iter(graph.nodes.values())).keys())}."
        ) from None
    # numbers only (a "100" string is refused, not read as 100), finite and >= 0
    a = require_numbers(np.array(raw, dtype=object if _mixed(raw) else None),
                        name=f"node attribute {attribute!r}", low=0.0)
    return nodes, a


def _mixed(values: list) -> bool:
    """Whether a list mixes strings (or other non-numbers) with numbers."""
    return any(isinstance(v, str | bytes | bool) or v is None for v in values)


def _edge_arrays(
    graph: nx.Graph, nodes: list, edge_length: str | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edge end indices and lengths (all 1 when ``edge_length`` is None)."""
    index = {n: i for i, n in enumerate(nodes)}
    m = graph.number_of_edges()
    u = np.empty(m, dtype=np.int64)
    v = np.empty(m, dtype=np.int64)
    d = np.ones(m, dtype=float)
    if edge_length is None:
        for e, (x, y) in enumerate(graph.edges()):
            u[e], v[e] = index[x], index[y]
        keep = u != v
        return u[keep], v[keep], d[keep]
    raw = []
    for e, (x, y, data) in enumerate(graph.edges(data=True)):
        if edge_length not in data:
            raise InputValueError(
                f"Edge ({x!r}, {y!r}) has no {edge_length!r} attribute; build the graph with "
                "urbanrisk.green.patch_graph or pass edge_length= naming the edge attribute "
                "that holds the link length."
            )
        u[e], v[e] = index[x], index[y]
        raw.append(data[edge_length])
    if m:
        d = require_numbers(np.array(raw, dtype=object if _mixed(raw) else None),
                            name=f"edge attribute {edge_length!r}", low=0.0)
    keep = u != v  # self-loops never shorten a path
    return u[keep], v[keep], d[keep]


def _csr(n: int, u: np.ndarray, v: np.ndarray, w: np.ndarray):
    """Symmetric CSR arrays (indptr, indices, weights), keeping the lightest parallel edge."""
    rows = np.concatenate([u, v])
    cols = np.concatenate([v, u])
    ww = np.concatenate([w, w])
    order = np.lexsort((ww, cols, rows))
    rows, cols, ww = rows[order], cols[order], ww[order]
    if rows.size:
        first = np.ones(rows.size, dtype=bool)
        first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
        rows, cols, ww = rows[first], cols[first], ww[first]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(indptr, rows + 1, 1)
    indptr = np.cumsum(indptr)
    return indptr, cols.astype(np.int64), ww.astype(float)


def _is_direct(graph: nx.Graph) -> bool:
    """Complete graph of centroid Euclidean distances: the best path is the direct link."""
    n = graph.number_of_nodes()
    return (
        graph.graph.get("distance") == "centroid"
        and graph.graph.get("max_distance_m") is None
        and graph.number_of_edges() == n * (n - 1) // 2
    )


def _threads() -> int:
    try:
        import numba

        return max(1, int(numba.get_num_threads()))
    except Exception:  # pragma: no cover
        return max(1, os.cpu_count() or 1)


def _terms(
    graph: nx.Graph,
    *,
    mode: int,
    kernel: DispersalKernel | None,
    epsilon: float,
    attribute: str,
    edge_length: str | None,
    connector: bool,
) -> tuple[list, np.ndarray, np.ndarray, np.ndarray]:
    """Nodes, attributes a, per-source sums s and connector numerators."""
    nodes, a = _node_values(graph, attribute)
    n = len(nodes)
    u, v, d = _edge_arrays(graph, nodes, edge_length if mode == 0 else None)
    if mode == 0:
        assert kernel is not None
        w = kernel.k * d
        limit = -math.log(epsilon) if epsilon > 0 else math.inf
        if _is_direct(graph):
            # Triangle inequality: exp(-k d_ij) >= prod of the link probabilities of any
            # other path, so p*_ij = p_ij and no pair depends on a third patch.
            p = np.zeros((n, n))
            p[u, v] = np.where(w <= limit, np.exp(-w), 0.0)
            p[v, u] = p[u, v]
            np.fill_diagonal(p, 1.0)
            return nodes, a, p @ a, np.zeros(n)
    else:
        w = np.ones_like(d)
        limit = math.inf
    indptr, indices, weights = _csr(n, u, v, w)
    if mode == 0 and indices.size:
        keep = prune_dominated(indptr, indices, weights)
        if not keep.all():
            rows = np.repeat(np.arange(n), np.diff(indptr))[keep]
            indices, weights = indices[keep], weights[keep]
            indptr = np.zeros(n + 1, dtype=np.int64)
            np.add.at(indptr, rows + 1, 1)
            indptr = np.cumsum(indptr)
    # relabel patches so that graph neighbours are close in memory (reverse Cuthill-McKee)
    perm = csgraph.reverse_cuthill_mckee(
        sp.csr_matrix((weights, indices, indptr), shape=(n, n)), symmetric_mode=True
    )
    pm = sp.csr_matrix((weights, indices, indptr), shape=(n, n))[perm][:, perm].tocsr()
    pm.sort_indices()
    s_p, conn_p = node_terms(
        pm.indptr.astype(np.int64), pm.indices.astype(np.int64), pm.data.astype(float),
        a[perm], float(limit), mode, bool(connector), min(_threads(), n),
    )
    s = np.empty(n)
    conn = np.empty(n)
    s[perm] = s_p
    conn[perm] = conn_p
    return nodes, a, s, conn


def _require_epsilon(epsilon: float) -> float:
    # the truncation probability: 0 is exact
    return require_number(epsilon, name="epsilon", low=0.0, high=1.0, high_open=True)


def _require_area(
    landscape_area_m2: float | LandscapeArea, a: np.ndarray, factor: float
) -> tuple[float, str | None]:
    """``A_L`` in m² and its source; warns when it is below the total habitat."""
    source = None
    if isinstance(landscape_area_m2, LandscapeArea):
        landscape_area_m2, source = landscape_area_m2.area_m2, landscape_area_m2.source
    area = require_positive(landscape_area_m2, name="landscape_area_m2")
    if area < a.sum() * factor * (1 - 1e-12):
        logger.warning(
            "landscape_area_m2 (%.6g m²) is smaller than the total patch attribute (%.6g "
            "m²): PC/IIC can exceed 1.",
            area,
            a.sum() * factor,
        )
    return area, source


def _index_result(
    index: str, a: np.ndarray, num: float, landscape_area_m2, attribute_units: str,
    **extra,
) -> ConnectivityIndex:
    """PC/IIC from the numerator (attribute units²): A_L converted, areas reported in m²."""
    factor = _area_factor(attribute_units)
    area_m2, source = _require_area(landscape_area_m2, a, factor)
    area_attr = area_m2 / factor
    habitat = float(a.sum()) * factor
    eca = math.sqrt(num) * factor
    if "error_bound" in extra:
        extra["error_bound"] = extra["error_bound"] / area_attr**2
    return ConnectivityIndex(
        index=index,
        value=num / area_attr**2,
        numerator=num,
        eca_m2=eca,
        landscape_area_m2=area_m2,
        habitat_m2=habitat,
        eca_share=eca / habitat if habitat > 0 else math.nan,
        attribute_units=next(k for k, v in AREA_UNITS_M2.items() if v == factor),
        landscape_area_source=source,
        **extra,
    )


# --------------------------------------------------------------------------------------
# Landscape indices
# --------------------------------------------------------------------------------------
def probability_of_connectivity(
    graph: nx.Graph,
    *,
    kernel: DispersalKernel,
    landscape_area_m2: float | LandscapeArea,
    epsilon: float = 0.0,
    attribute: str = "attribute",
    attribute_units: str = "m2",
    edge_length: str = "distance_m",
) -> ConnectivityIndex:
    r"""Probability of Connectivity (PC) of a patch graph.

    .. math:: PC = \frac{\sum_i \sum_j a_i a_j p^*_{ij}}{A_L^2}

    (Saura & Pascual-Hortal 2007, Landscape and Urban Planning 83:91-103, definition of
    PC), where ``p*_ij`` is the maximum product of link probabilities ``p = exp(-k d)``
    over all paths between ``i`` and ``j`` in the graph (``p*_ii = 1``; 0 when
    disconnected). It is found by Dijkstra on the weights ``-ln p = k d``.

    Parameters
    ----------
    graph : networkx.Graph
        Patch graph from :func:`patch_graph` (node ``attribute``, edge ``edge_length``).
    kernel : DispersalKernel
        Link probability as a function of distance.
    landscape_area_m2 : float or LandscapeArea
        ``A_L`` in m², the area of the study region (the maximum possible habitat); a
        :class:`LandscapeArea` from :func:`landscape_area` also records where it came
        from. Converted to ``attribute_units`` before dividing.
    epsilon : float, default 0
        Certified truncation: pairs whose best-path probability is below ``epsilon`` are
        dropped. The dropped amount is at most ``epsilon * (A² - sum a_i²) / A_L²`` with
        ``A = sum a_i``, reported as ``error_bound``. 0 computes exactly.
    attribute : str, default "attribute"
        Node attribute holding the habitat amount ``a_i`` (area × quality).
    attribute_units : {"m2", "ha", "km2"}, default "m2"
        Units of ``attribute``. Patches from :func:`patches_from_polygons` and
        :func:`patches_from_landcover` carry ``attribute`` (and ``area_m2``) in m².
    edge_length : str, default "distance_m"
        Edge attribute holding the link length (metres, or cost-weighted metres).

    Returns
    -------
    ConnectivityIndex
        ``value`` (PC), ``numerator``, ``eca_m2`` (ECA in m²), ``habitat_m2``,
        ``eca_share`` (ECA / habitat), the kernel, ``A_L`` and its source, the error bound.

    Examples
    --------
    Two 1-ha patches 100 m apart with ``p = 0.5`` at 100 m in a 10-ha landscape:
    ``PC = (1 + 1 + 2 * 0.5) ha² / 100 ha² = 0.03``.

    >>> import networkx as nx
    >>> g = nx.Graph()
    >>> g.add_nodes_from([(0, {"attribute": 1e4}), (1, {"attribute": 1e4})])
    >>> g.add_edge(0, 1, distance_m=100.0)
    >>> res = probability_of_connectivity(
    ...     g, kernel=DispersalKernel(distance_m=100.0), landscape_area_m2=1e5)
    >>> round(res.value, 12), round(res.eca_m2, 3), round(res.eca_share, 6)
    (0.03, 17320.508, 0.866025)

    The same graph with the attribute in hectares gives the same PC and ECA in m²:

    >>> nx.set_node_attributes(g, 1.0, "attribute")
    >>> ha = probability_of_connectivity(g, kernel=DispersalKernel(distance_m=100.0),
    ...                                  landscape_area_m2=1e5, attribute_units="ha")
    >>> round(ha.value, 12), round(ha.eca_m2, 3)
    (0.03, 17320.508)
    """
    graph = _require_graph(graph)
    kernel = _require_kernel(kernel)
    eps = _require_epsilon(epsilon)
    nodes, a, s, _ = _terms(
        graph, mode=0, kernel=kernel, epsilon=eps, attribute=attribute, edge_length=edge_length,
        connector=False,
    )
    num = float(a @ s)
    total = float(a.sum())
    return _index_result(
        "PC", a, num, landscape_area_m2, attribute_units,
        kernel=kernel.as_dict(),
        epsilon=eps,
        # divided by A_L² (attribute units) in _index_result
        error_bound=eps * max(total * total - float(a @ a), 0.0),
    )


def integral_index_of_connectivity(
    graph: nx.Graph,
    *,
    landscape_area_m2: float | LandscapeArea,
    attribute: str = "attribute",
    attribute_units: str = "m2",
) -> ConnectivityIndex:
    r"""Integral Index of Connectivity (IIC) of a patch graph.

    .. math:: IIC = \frac{\sum_i \sum_j a_i a_j / (1 + nl_{ij})}{A_L^2}

    (Pascual-Hortal & Saura 2006, Landscape Ecology 21:959-967, definition of IIC),
    ``nl_ij`` being the number of links on the shortest (fewest-links) path between
    ``i`` and ``j`` (``nl_ii = 0``; unreachable pairs contribute 0). Every edge of the
    graph is a link: build the graph with the dispersal threshold as ``max_distance_m``
    (pairs strictly closer are linked, as in Conefor).
    ``landscape_area_m2`` (m², or a :class:`LandscapeArea`) and ``attribute_units`` as in
    :func:`probability_of_connectivity`.

    Examples
    --------
    A chain of three 1-ha patches in a 10-ha landscape:
    ``(3 + 2 * 2 * 1/2 + 2 * 1/3) / 100 = 0.0566...``.

    >>> import networkx as nx
    >>> g = nx.path_graph(3)
    >>> nx.set_node_attributes(g, 1e4, "attribute")
    >>> nx.set_edge_attributes(g, 50.0, "distance_m")
    >>> round(integral_index_of_connectivity(g, landscape_area_m2=1e5).value, 6)
    0.056667
    """
    graph = _require_graph(graph)
    nodes, a, s, _ = _terms(
        graph, mode=1, kernel=None, epsilon=0.0, attribute=attribute, edge_length=None,
        connector=False,
    )
    return _index_result("IIC", a, float(a @ s), landscape_area_m2, attribute_units)


def equivalent_connected_area(
    graph: nx.Graph,
    *,
    kernel: DispersalKernel,
    epsilon: float = 0.0,
    attribute: str = "attribute",
    attribute_units: str = "m2",
    edge_length: str = "distance_m",
) -> float:
    """Equivalent Connected Area in m², ``ECA = sqrt(sum_i sum_j a_i a_j p*_ij)``.

    The area of a single patch that would give the same PC as the whole network (Saura et
    al. 2011, Ecological Indicators 11:407-416, definition of EC(PC)). Does not depend on
    ``A_L``; lies between the largest patch attribute and the total attribute. Returned in m², the
    attribute being converted from ``attribute_units`` (``"m2"``, ``"ha"``, ``"km2"``).

    Examples
    --------
    >>> import networkx as nx
    >>> g = nx.Graph()
    >>> g.add_nodes_from([(0, {"attribute": 4.0}), (1, {"attribute": 9.0})])
    >>> round(equivalent_connected_area(g, kernel=DispersalKernel(distance_m=100.0)), 9)
    9.848857802
    """
    graph = _require_graph(graph)
    kernel = _require_kernel(kernel)
    eps = _require_epsilon(epsilon)
    factor = _area_factor(attribute_units)
    _, a, s, _ = _terms(
        graph, mode=0, kernel=kernel, epsilon=eps, attribute=attribute, edge_length=edge_length,
        connector=False,
    )
    return math.sqrt(float(a @ s)) * factor


# --------------------------------------------------------------------------------------
# Node importance
# --------------------------------------------------------------------------------------
def node_importance(
    graph: nx.Graph,
    *,
    kernel: DispersalKernel | None = None,
    index: str = "PC",
    epsilon: float = 0.0,
    attribute: str = "attribute",
    edge_length: str = "distance_m",
) -> pd.DataFrame:
    r"""Rank every patch by ``dPC`` (or ``dIIC``), split into its three fractions.

    .. math::

        dPC_k = 100\,\frac{PC - PC_{\text{remove } k}}{PC}
              = dPC_{intra,k} + dPC_{flux,k} + dPC_{connector,k}

    with, writing ``N = sum_i sum_j a_i a_j p*_ij`` (Saura & Rubio 2010, Ecography
    33:523-537, the partition of dPC into fractions):

    - ``intra_k = 100 a_k² / N`` (the patch itself),
    - ``flux_k = 100 · 2 a_k sum_{j≠k} a_j p*_kj / N`` (flow starting or ending at ``k``),
    - ``connector_k = 100 sum_{i≠k} sum_{j≠k} a_i a_j (p*_ij - p*'_ij) / N``, ``p*'`` being
      the best-path probabilities once ``k`` is removed (``k`` as a stepping stone).

    ``A_L`` cancels out. The connector part is exact: only pairs whose best path from ``i``
    runs through ``k`` (``j`` below ``k`` in ``i``'s shortest-path tree) can change, and
    only those are recomputed (see :mod:`urbanrisk.green._engine`). With
    ``index="IIC"`` the same split is made for ``dIIC`` with ``1/(1 + nl_ij)`` in place of
    ``p*_ij``. On a complete graph of centroid Euclidean distances the direct link is
    always the best path, so the connector fraction is 0 and no path search is run.

    Parameters
    ----------
    graph : networkx.Graph
        Patch graph from :func:`patch_graph`.
    kernel : DispersalKernel, optional
        Required for ``index="PC"``.
    index : {"PC", "IIC"}
        Which index to decompose.
    epsilon : float, default 0
        PC only: drop pairs with best-path probability below ``epsilon``; the bound on the
        error of each ``dPC`` value (percentage points) is ``attrs["error_bound"]``.
    attribute : str, default "attribute"
        Node attribute holding the habitat amount ``a_i`` (area × quality).
    edge_length : str, default "distance_m"
        Edge attribute holding the link length (metres, or cost-weighted metres).

    Returns
    -------
    pandas.DataFrame
        Indexed by node (``patch_id``), columns ``dPC``, ``dPCintra``, ``dPCflux``,
        ``dPCconnector`` (or the ``dIIC`` names), in percent of the index.
        ``attrs`` holds ``kernel``, ``index``, ``numerator``, ``epsilon``, ``error_bound``.

    Examples
    --------
    A chain 0 - 1 - 2 of 1-unit patches, each link p = 0.5: ``N = 3 + 2(0.5 + 0.5 +
    0.25) = 5.5``. Removing the middle patch leaves ``N' = 2``, so ``dPC_1 = 100 · 3.5 /
    5.5``, of which intra ``100/5.5``, flux ``200/5.5`` and connector ``50/5.5``.

    >>> import networkx as nx
    >>> g = nx.path_graph(3)
    >>> nx.set_node_attributes(g, 1.0, "attribute")
    >>> nx.set_edge_attributes(g, 100.0, "distance_m")
    >>> imp = node_importance(g, kernel=DispersalKernel(distance_m=100.0))
    >>> (imp.loc[1] * 5.5).round(9).tolist()
    [350.0, 100.0, 200.0, 50.0]
    """
    graph = _require_graph(graph)
    idx = str(index).upper()
    if idx not in ("PC", "IIC"):
        raise InputValueError(f"index must be 'PC' or 'IIC', got {index!r}.")
    eps = _require_epsilon(epsilon)
    if idx == "PC":
        if kernel is None:
            raise InputValueError(
                "node_importance(index='PC') needs kernel=DispersalKernel(distance_m=..., "
                "probability=...)."
            )
        kernel = _require_kernel(kernel)
        nodes, a, s, conn = _terms(
            graph, mode=0, kernel=kernel, epsilon=eps, attribute=attribute,
            edge_length=edge_length, connector=True,
        )
    else:
        eps = 0.0
        nodes, a, s, conn = _terms(
            graph, mode=1, kernel=None, epsilon=0.0, attribute=attribute,
            edge_length=None, connector=True,
        )
    num = float(a @ s)
    if num <= 0:
        raise InputValueError(
            f"All patch attributes ({attribute!r}) are 0: the index is 0 and its "
            "decomposition undefined."
        )
    intra = 100.0 * a * a / num
    flux = 100.0 * 2.0 * a * (s - a) / num
    connector = 100.0 * conn / num
    name = "d" + idx
    out = pd.DataFrame(
        {
            name: intra + flux + connector,
            f"{name}intra": intra,
            f"{name}flux": flux,
            f"{name}connector": connector,
        },
        index=pd.Index(nodes, name=graph.graph.get("node_name", "patch_id")),
    )
    total = float(a.sum())
    bound_num = eps * max(total * total - float(a @ a), 0.0)
    out.attrs.update(
        {
            "index": idx,
            "kernel": kernel.as_dict() if (idx == "PC" and kernel is not None) else None,
            "numerator": num,
            "epsilon": eps,
            # |d dPC| <= 100 (B / N) (1 + (N - N'_k) / N) <= 200 B / N
            "error_bound": 200.0 * bound_num / num,
        }
    )
    return out


def patch_importance(
    patches: gpd.GeoDataFrame,
    graph: nx.Graph,
    *,
    kernel: DispersalKernel | None = None,
    index: str = "PC",
    epsilon: float = 0.0,
    attribute: str = "attribute",
    edge_length: str = "distance_m",
) -> gpd.GeoDataFrame:
    """Join ``dPC`` (or ``dIIC``) and its fractions onto the patches, on their index.

    :func:`node_importance` of ``graph`` joined onto ``patches`` by ``patch_id``, with the
    provenance of the computation (``index``, ``kernel``, ``numerator``, ``epsilon``,
    ``error_bound``) set on the result's ``attrs`` after the join, so it is not lost as
    in a plain ``patches.merge(...)``. Patches that are not nodes of the graph get NaN.

    Parameters
    ----------
    patches : geopandas.GeoDataFrame
        The patches the graph was built from (``patch_id`` column); a CRS not in metres is
        reprojected to the local UTM zone (logged).
    graph : networkx.Graph
        Their patch graph (:func:`patch_graph`).
    kernel, index, epsilon, attribute, edge_length
        As in :func:`node_importance`.

    Returns
    -------
    geopandas.GeoDataFrame
        ``patches`` (same index, same columns) plus ``dPC``, ``dPCintra``, ``dPCflux``,
        ``dPCconnector`` (or the ``dIIC`` names), in percent.

    Examples
    --------
    Two 1-ha squares 100 m apart, p = 0.5 at 100 m: ``N = 2 + 2 · 0.5 = 3`` ha², so each
    patch has intra ``100/3``, flux ``100/3`` and dPC ``200/3 %``.

    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from urbanrisk.green import DispersalKernel, patch_graph, patches_from_polygons
    >>> p = patches_from_polygons(gpd.GeoDataFrame(
    ...     geometry=[box(0, 0, 100, 100), box(200, 0, 300, 100)], crs=3067))
    >>> p.index = ["west", "east"]
    >>> imp = patch_importance(p, patch_graph(p, max_distance_m=500),
    ...                        kernel=DispersalKernel(distance_m=100.0))
    >>> imp["dPC"].round(4).to_dict(), imp.attrs["kernel"]["distance_m"]
    ({'west': 66.6667, 'east': 66.6667}, 100.0)
    """
    patches = prepare_vector(patches, name="patches")
    if "patch_id" not in patches.columns:
        raise InputValueError(
            "patches has no 'patch_id' column; build it with patches_from_polygons() or "
            "patches_from_landcover()."
        )
    imp = node_importance(graph, kernel=kernel, index=index, epsilon=epsilon,
                          attribute=attribute, edge_length=edge_length)
    joined = imp.reindex(patches["patch_id"].to_numpy())
    out = patches.copy()
    for col in imp.columns:
        out[col] = joined[col].to_numpy()
    out.attrs.update(imp.attrs)
    return out


# --------------------------------------------------------------------------------------
# Components
# --------------------------------------------------------------------------------------
def components_at(
    graph: nx.Graph,
    *,
    max_distance_m: float,
    edge_length: str = "distance_m",
    attribute: str = "attribute",
) -> pd.DataFrame:
    """Label the connected components when links up to ``max_distance_m`` count.

    Returns
    -------
    pandas.DataFrame
        One row per node (``patch_id``) with ``component`` (0 = the component with the
        largest total attribute) and ``component_attribute`` (its total attribute).

    Examples
    --------
    >>> import networkx as nx
    >>> g = nx.Graph()
    >>> g.add_nodes_from([(i, {"attribute": 1.0}) for i in range(3)])
    >>> g.add_edge(0, 1, distance_m=50.0); g.add_edge(1, 2, distance_m=500.0)
    >>> components_at(g, max_distance_m=100.0)["component"].tolist()
    [0, 0, 1]
    """
    graph = _require_graph(graph)
    thr = require_positive(max_distance_m, name="max_distance_m")
    nodes, a = _node_values(graph, attribute)
    u, v, d = _edge_arrays(graph, nodes, edge_length)
    keep = d <= thr
    n = len(nodes)
    adj = sp.coo_matrix((np.ones(keep.sum()), (u[keep], v[keep])), shape=(n, n))
    ncomp, labels = csgraph.connected_components(adj, directed=False)
    sums = np.bincount(labels, weights=a, minlength=ncomp)
    # rank by total attribute (desc), ties by first node
    first = np.full(ncomp, n)
    np.minimum.at(first, labels, np.arange(n))
    rank_order = np.lexsort((first, -sums))
    rank = np.empty(ncomp, dtype=int)
    rank[rank_order] = np.arange(ncomp)
    return pd.DataFrame(
        {"component": rank[labels], "component_attribute": sums[labels]},
        index=pd.Index(nodes, name="patch_id"),
    )


def component_curve(
    graph: nx.Graph,
    *,
    edge_length: str = "distance_m",
    attribute: str = "attribute",
) -> pd.DataFrame:
    """Count components and the largest one for every distance threshold at once.

    One Kruskal-style sweep over the edges sorted by length (union-find): each edge that
    joins two components is a threshold at which the picture changes. Planners read it as
    "how far must a species be able to move before the network holds together".

    Returns
    -------
    pandas.DataFrame
        Rows at ``threshold_m = 0`` and at each merging edge length: ``n_components``,
        ``largest_attribute`` (total attribute of the largest component),
        ``largest_fraction`` (of the total attribute).

    Examples
    --------
    >>> import networkx as nx
    >>> g = nx.Graph()
    >>> g.add_nodes_from([(i, {"attribute": 1.0}) for i in range(3)])
    >>> g.add_edge(0, 1, distance_m=50.0); g.add_edge(1, 2, distance_m=500.0)
    >>> component_curve(g)[["threshold_m", "n_components"]].values.tolist()
    [[0.0, 3.0], [50.0, 2.0], [500.0, 1.0]]
    """
    graph = _require_graph(graph)
    nodes, a = _node_values(graph, attribute)
    u, v, d = _edge_arrays(graph, nodes, edge_length)
    n = len(nodes)
    parent = np.arange(n)
    size = a.copy()

    def find(x: int) -> int:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    # edges of length 0 (touching patches) merge at threshold 0
    order = np.argsort(d, kind="stable")
    ncomp = n
    largest = float(a.max())
    rows: list[tuple[float, int, float]] = []
    total = float(a.sum())
    i = 0
    while i < len(order) and d[order[i]] <= 0:
        ru, rv = find(u[order[i]]), find(v[order[i]])
        if ru != rv:
            parent[rv] = ru
            size[ru] += size[rv]
            ncomp -= 1
            largest = max(largest, size[ru])
        i += 1
    rows.append((0.0, ncomp, largest))
    for e in order[i:]:
        ru, rv = find(u[e]), find(v[e])
        if ru == rv:
            continue
        parent[rv] = ru
        size[ru] += size[rv]
        ncomp -= 1
        largest = max(largest, float(size[ru]))
        if rows[-1][0] == d[e]:
            rows[-1] = (float(d[e]), ncomp, largest)
        else:
            rows.append((float(d[e]), ncomp, largest))
    out = pd.DataFrame(rows, columns=["threshold_m", "n_components", "largest_attribute"])
    out["largest_fraction"] = out["largest_attribute"] / total if total > 0 else np.nan
    return out


# --------------------------------------------------------------------------------------
# Corridors: betweenness and circuit theory
# --------------------------------------------------------------------------------------
def corridor_importance(
    graph: nx.Graph,
    *,
    kernel: DispersalKernel,
    edge_length: str = "distance_m",
    attribute: str = "attribute",
) -> pd.DataFrame:
    """Rate each link as a corridor by its attribute-weighted edge betweenness.

    For every ordered pair of patches the flow ``a_i a_j p*_ij`` is routed along the best
    (maximum-probability) path, and each link sums the flow it carries (the BC_PC of
    Bodin & Saura 2010, Ecological Modelling 221:2393-2405, applied to links). Ties between
    equally good paths share the flow, as in Brandes' algorithm. Pure Python over all
    sources (``n × links`` steps): meant for up to about a thousand patches.

    Returns
    -------
    pandas.DataFrame
        One row per link ``(u, v)``: ``distance_m``, ``probability``, ``flow`` and
        ``flow_fraction`` (of the total between-patch flow); sorted by flow, descending.
        ``attrs["kernel"]`` holds the kernel.

    Examples
    --------
    >>> import networkx as nx
    >>> g = nx.path_graph(3)
    >>> nx.set_node_attributes(g, 1.0, "attribute")
    >>> nx.set_edge_attributes(g, 100.0, "distance_m")
    >>> ci = corridor_importance(g, kernel=DispersalKernel(distance_m=100.0))
    >>> ci["flow"].round(6).tolist()   # 2 (0.5 + 0.25) per link
    [1.5, 1.5]
    """
    graph = _require_graph(graph)
    kernel = _require_kernel(kernel)
    nodes, a = _node_values(graph, attribute)
    u, v, d = _edge_arrays(graph, nodes, edge_length)
    n = len(nodes)
    w = kernel.k * d
    # tiny positive weights keep zero-length links in the sparse matrix
    wm = sp.csr_matrix((np.maximum(w, 1e-300), (u, v)), shape=(n, n))
    dist = csgraph.dijkstra(wm, directed=False)
    flow: dict[tuple[int, int], float] = {}
    # Brandes-style accumulation with sigma counts over the shortest-path DAG
    nbrs: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    for x, y, ww in zip(u, v, w, strict=True):
        nbrs[x].append((y, ww))
        nbrs[y].append((x, ww))
    tol = 1e-12
    for s in range(n):
        ds = dist[s]
        reach = np.flatnonzero(np.isfinite(ds))
        order = reach[np.argsort(ds[reach], kind="stable")]
        sigma = np.zeros(n)
        sigma[s] = 1.0
        preds: list[list[int]] = [[] for _ in range(n)]
        for x in order:
            for y, ww in nbrs[x]:
                if abs(ds[x] + ww - ds[y]) <= tol * max(1.0, ds[y]) and y != s:
                    if x not in preds[y]:
                        preds[y].append(x)
                        sigma[y] += sigma[x]
        delta = np.zeros(n)
        for x in order[::-1]:
            if x != s:
                # flow from s to x itself
                delta[x] += a[s] * a[x] * math.exp(-ds[x])
            for y in preds[x]:
                c = sigma[y] / sigma[x] * delta[x]
                key = (min(x, y), max(x, y))
                flow[key] = flow.get(key, 0.0) + c
                delta[y] += c
    rows = []
    for x, y, dd in zip(u, v, d, strict=True):
        key = (min(x, y), max(x, y))
        rows.append((nodes[x], nodes[y], dd, math.exp(-kernel.k * dd), flow.get(key, 0.0)))
    out = pd.DataFrame(rows, columns=["u", "v", "distance_m", "probability", "flow"])
    tot = out["flow"].sum()
    out["flow_fraction"] = out["flow"] / tot if tot > 0 else 0.0
    out = out.sort_values("flow", ascending=False, kind="stable").reset_index(drop=True)
    out.attrs["kernel"] = kernel.as_dict()
    return out


def _laplacian(
    graph: nx.Graph, nodes: list, edge_length: str, conductance: str | DispersalKernel
) -> sp.csr_matrix:
    u, v, d = _edge_arrays(graph, nodes, edge_length)
    if isinstance(conductance, DispersalKernel):
        c = np.exp(-conductance.k * d)
    elif conductance == "inverse_distance":
        if np.any(d <= 0):
            raise InputValueError(
                "conductance='inverse_distance' needs every link longer than 0 m; touching "
                "patches have distance 0. Merge them first or use a DispersalKernel."
            )
        c = 1.0 / d
    else:
        raise InputValueError(
            "conductance must be 'inverse_distance' or a DispersalKernel, got "
            f"{conductance!r}."
        )
    n = len(nodes)
    w = sp.coo_matrix((np.concatenate([c, c]), (np.concatenate([u, v]), np.concatenate([v, u]))),
                      shape=(n, n)).tocsr()
    deg = np.asarray(w.sum(axis=1)).ravel()
    return (sp.diags(deg) - w).tocsr()


def effective_resistance(
    graph: nx.Graph,
    *,
    conductance: str | DispersalKernel = "inverse_distance",
    edge_length: str = "distance_m",
) -> pd.DataFrame:
    """Effective resistance between every pair of patches (circuit theory).

    Each link is a resistor of conductance ``1 / d`` (``"inverse_distance"``: resistance =
    link length, as in Circuitscape's cost-as-resistance reading; McRae et al. 2008,
    Ecology 89:2712-2724) or ``p = exp(-k d)`` (a :class:`DispersalKernel`). With the graph
    Laplacian ``L`` and ``L⁺`` its pseudo-inverse per connected component,
    ``R_ij = L⁺_ii + L⁺_jj - 2 L⁺_ij`` (Klein & Randić 1993). Pairs in different components
    get ``inf``. Dense: meant for up to a few thousand patches.

    Returns
    -------
    pandas.DataFrame
        Square matrix indexed and labelled by patch id.

    Examples
    --------
    Two 100-m links in series: ``R_02 = 200``; a parallel 200-m link halves it to 100.

    >>> import networkx as nx
    >>> g = nx.Graph()
    >>> g.add_edge(0, 1, distance_m=100.0); g.add_edge(1, 2, distance_m=100.0)
    >>> round(float(effective_resistance(g).loc[0, 2]), 9)
    200.0
    >>> g.add_edge(0, 2, distance_m=200.0)
    >>> round(float(effective_resistance(g).loc[0, 2]), 9)
    100.0
    """
    graph = _require_graph(graph)
    nodes = list(graph.nodes)
    lap = _laplacian(graph, nodes, edge_length, conductance)
    n = len(nodes)
    ncomp, labels = csgraph.connected_components(lap, directed=False)
    r = np.full((n, n), np.inf)
    for c in range(ncomp):
        idx = np.flatnonzero(labels == c)
        if idx.size == 1:
            r[idx[0], idx[0]] = 0.0
            continue
        sub = lap[idx][:, idx].toarray()
        m = idx.size
        # L+ = (L + J/m)^-1 - J/m for a connected graph
        lp = np.linalg.inv(sub + np.full((m, m), 1.0 / m)) - 1.0 / m
        dg = np.diag(lp)
        r[np.ix_(idx, idx)] = dg[:, None] + dg[None, :] - 2 * lp
    np.fill_diagonal(r, 0.0)
    return pd.DataFrame(r, index=pd.Index(nodes, name="patch_id"), columns=nodes)


def current_flow_centrality(
    graph: nx.Graph,
    *,
    conductance: str | DispersalKernel = "inverse_distance",
    edge_length: str = "distance_m",
    normalized: bool = True,
) -> pd.Series:
    """Current-flow betweenness of every patch (random-walk betweenness).

    A unit current is injected at ``s`` and withdrawn at ``t`` for every pair; a node's
    centrality is the current through it, ``1/2 sum_j |V_i - V_j| c_ij``, summed over all
    pairs with ``i`` not an end point (Newman 2005, Social Networks 27:39-54; Brandes &
    Fleischer 2005). Computed per connected component from the dense Laplacian
    pseudo-inverse, with work of order ``m² × links`` for a component of ``m`` patches:
    meant for a few hundred patches. ``normalized`` divides by ``(n-1)(n-2)/2`` like
    networkx.

    Examples
    --------
    >>> import networkx as nx
    >>> g = nx.path_graph(3)
    >>> nx.set_edge_attributes(g, 1.0, "distance_m")
    >>> current_flow_centrality(g).round(12).tolist()
    [0.0, 1.0, 0.0]
    """
    graph = _require_graph(graph)
    nodes = list(graph.nodes)
    n = len(nodes)
    lap = _laplacian(graph, nodes, edge_length, conductance)
    ncomp, labels = csgraph.connected_components(lap, directed=False)
    cent = np.zeros(n)
    coo = sp.triu(lap, k=1).tocoo()
    for c in range(ncomp):
        idx = np.flatnonzero(labels == c)
        m = idx.size
        if m < 3:
            continue
        pos = {g_: k_ for k_, g_ in enumerate(idx)}
        sub = lap[idx][:, idx].toarray()
        lp = np.linalg.inv(sub + np.full((m, m), 1.0 / m)) - 1.0 / m
        sel = np.isin(coo.row, idx) & np.isin(coo.col, idx)
        eu = np.array([pos[x] for x in coo.row[sel]], dtype=int)
        ev = np.array([pos[x] for x in coo.col[sel]], dtype=int)
        ec = -coo.data[sel]
        # potentials for source s, sink t: V = lp[:, s] - lp[:, t]
        # edge current for pair (s,t): c_e |lp[u,s]-lp[v,s]-lp[u,t]+lp[v,t]|
        b = lp[eu, :] - lp[ev, :]  # (edges, m): b[e, s] = lp[u,s] - lp[v,s]
        through = np.zeros(m)
        for s in range(m):
            cur = ec[:, None] * np.abs(b[:, [s]] - b[:, s + 1:])  # (edges, pairs s<t)
            node_cur = np.zeros((m, cur.shape[1]))
            np.add.at(node_cur, eu, cur)
            np.add.at(node_cur, ev, cur)
            node_cur *= 0.5
            ts = np.arange(s + 1, m)
            # end points carry the full unit current, not counted
            node_cur[s, :] = 0.0
            node_cur[ts, np.arange(ts.size)] = 0.0
            through += node_cur.sum(axis=1)
        cent[idx] = through
    if normalized and n > 2:
        cent = cent / ((n - 1) * (n - 2) / 2.0)
    return pd.Series(cent, index=pd.Index(nodes, name="patch_id"), name="current_flow")
