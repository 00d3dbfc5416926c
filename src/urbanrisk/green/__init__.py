"""Green-space connectivity and biodiversity indicators.

Habitat patches from land cover or polygons (:mod:`~urbanrisk.green.patches`), the patch
graph (:mod:`~urbanrisk.green.graph`), connectivity metrics IIC, PC, ECA and dPC with its
fractions (:mod:`~urbanrisk.green.metrics`), fragmentation by effective mesh size
(:mod:`~urbanrisk.green.fragmentation`), least-cost corridors
(:mod:`~urbanrisk.green.corridors`), City Biodiversity Index indicators and access to green
space (:mod:`~urbanrisk.green.indicators`), and planning: which candidate sites add most
connectivity (:mod:`~urbanrisk.green.planning`).
"""

from urbanrisk.green.kernel import DispersalKernel
from urbanrisk.green.metrics import (
    ConnectivityIndex,
    component_curve,
    components_at,
    corridor_importance,
    current_flow_centrality,
    effective_resistance,
    equivalent_connected_area,
    integral_index_of_connectivity,
    node_importance,
    probability_of_connectivity,
)

__all__ = [
    "ConnectivityIndex",
    "DispersalKernel",
    "component_curve",
    "components_at",
    "corridor_importance",
    "current_flow_centrality",
    "effective_resistance",
    "equivalent_connected_area",
    "integral_index_of_connectivity",
    "node_importance",
    "probability_of_connectivity",
]
