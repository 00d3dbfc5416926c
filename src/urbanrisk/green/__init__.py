"""Green-space connectivity and biodiversity indicators.

Habitat patches from land cover or polygons (:mod:`~urbanrisk.green.patches`), the patch
graph (:mod:`~urbanrisk.green.graph`), connectivity metrics IIC, PC, ECA and dPC with its
fractions (:mod:`~urbanrisk.green.metrics`), fragmentation by effective mesh size
(:mod:`~urbanrisk.green.fragmentation`), least-cost corridors
(:mod:`~urbanrisk.green.corridors`), City Biodiversity Index indicators and access to green
space (:mod:`~urbanrisk.green.indicators`), and planning: which candidate sites add most
connectivity (:mod:`~urbanrisk.green.planning`). Reporting frameworks: every map-computable
indicator of the Singapore Index, both editions (:mod:`~urbanrisk.green.singapore`), and SDG
11.7.1 open public space with access along the street network (:mod:`~urbanrisk.green.sdg`).
"""

from urbanrisk.green.corridors import cost_distance, least_cost_corridor
from urbanrisk.green.fragmentation import effective_mesh_size, effective_mesh_size_raster
from urbanrisk.green.graph import least_cost_graph, patch_graph, patch_points
from urbanrisk.green.indicators import (
    CBI_BANDS,
    CBI_BARRIER_HIGHWAYS,
    CBIBands,
    GreenAccess,
    cbi_bands,
    cbi_barriers,
    cbi_connectivity,
    cbi_natural_areas,
    cbi_score_connectivity,
    cbi_score_natural_areas,
    green_access,
)
from urbanrisk.green.kernel import DispersalKernel
from urbanrisk.green.metrics import (
    ConnectivityIndex,
    LandscapeArea,
    component_curve,
    components_at,
    corridor_importance,
    current_flow_centrality,
    effective_resistance,
    equivalent_connected_area,
    integral_index_of_connectivity,
    landscape_area,
    node_importance,
    patch_importance,
    probability_of_connectivity,
)
from urbanrisk.green.patches import merge_patches, patches_from_landcover, patches_from_polygons
from urbanrisk.green.planning import (
    best_sites,
    candidate_sites,
    patch_loss,
    rank_candidates,
    residents_near,
)
from urbanrisk.green.sdg import (
    NetworkAccess,
    OpenSpaceShare,
    network_access,
    network_distance,
    open_public_space_share,
    street_graph,
)
from urbanrisk.green.singapore import (
    CBI_SPATIAL,
    CBI_SPATIAL_BANDS,
    LANDCOVER_ROLES,
    CBISpatialIndicator,
    area_share,
    cbi_spatial_index,
    cbi_spatial_score,
    landcover_role_areas,
    recreation_per_1000,
    residents_within,
)

__all__ = [
    "ConnectivityIndex",
    "CBI_SPATIAL",
    "CBI_SPATIAL_BANDS",
    "CBISpatialIndicator",
    "LANDCOVER_ROLES",
    "NetworkAccess",
    "OpenSpaceShare",
    "area_share",
    "cbi_spatial_index",
    "cbi_spatial_score",
    "landcover_role_areas",
    "network_access",
    "network_distance",
    "open_public_space_share",
    "recreation_per_1000",
    "residents_within",
    "street_graph",
    "DispersalKernel",
    "GreenAccess",
    "LandscapeArea",
    "best_sites",
    "candidate_sites",
    "CBI_BANDS",
    "CBI_BARRIER_HIGHWAYS",
    "CBIBands",
    "cbi_bands",
    "cbi_barriers",
    "cbi_connectivity",
    "cbi_natural_areas",
    "cbi_score_connectivity",
    "cbi_score_natural_areas",
    "cost_distance",
    "effective_mesh_size",
    "effective_mesh_size_raster",
    "green_access",
    "patch_loss",
    "rank_candidates",
    "residents_near",
    "least_cost_corridor",
    "least_cost_graph",
    "merge_patches",
    "patch_graph",
    "patch_points",
    "patches_from_landcover",
    "patches_from_polygons",
    "component_curve",
    "components_at",
    "corridor_importance",
    "current_flow_centrality",
    "effective_resistance",
    "equivalent_connected_area",
    "integral_index_of_connectivity",
    "landscape_area",
    "node_importance",
    "patch_importance",
    "probability_of_connectivity",
]
