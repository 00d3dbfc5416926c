"""Hazard exposure and impact: which assets and people sit in which hazard, what it costs.

- :mod:`urbanrisk.hazard.exposure`: sample rasters at points, exact zonal statistics of
  footprints, exposed length of lines, people exposed from a population grid.
- :mod:`urbanrisk.hazard.curves`: vulnerability (damage) curves, including the JRC global
  flood depth-damage functions (Huizinga et al. 2017).
- :mod:`urbanrisk.hazard.impact`: damage per asset, exceedance curve and expected annual
  damage over return periods, aggregation by zone and class.
- :mod:`urbanrisk.hazard.heat`: heat hot spots and the people living in them.
- :mod:`urbanrisk.hazard.sendai`: Sendai Framework indicators (B-1, B-3/B-4, C-1, C-3 to
  C-5, D-2 to D-4) and ISO 37123 §5.2 as modelled scenario estimates.
- :mod:`urbanrisk.hazard.flood`: the decisions of a flood profile (which buildings and
  roads are exposed, damage and EAD per asset and zone) as functions with typed results.

Examples
--------
>>> from urbanrisk import hazard
>>> float(hazard.jrc_curve("europe", "residential")(1.0))
0.4
"""

from urbanrisk.hazard.curves import (
    JRC_CITATION,
    JRC_CLASS_FOR_OCCUPANCY,
    JRC_OCCUPANCIES,
    JRC_REGIONS,
    DamageCurve,
    jrc_class_for_occupancy,
    jrc_construction_cost,
    jrc_curve,
    jrc_curves,
    jrc_curves_for_occupancy,
    jrc_max_damage_for_occupancy,
    jrc_max_damage_m2,
)
from urbanrisk.hazard.exposure import (
    coverage_fractions,
    exposed_population,
    line_exposure,
    people_above,
    polygon_exposure,
    population_weighted_hazard,
    sample_points,
)
from urbanrisk.hazard.flood import (
    BuildingExposure,
    FloodRisk,
    RoadExposure,
    flood_building_exposure,
    flood_risk,
    flood_road_exposure,
)
from urbanrisk.hazard.heat import (
    heat_exposure,
    hot_population_cells,
    hot_spot_area_m2,
    hot_spot_threshold,
    hot_spots,
)
from urbanrisk.hazard.impact import (
    EAD_RULES,
    EAD_TAILS,
    EADBounds,
    EADResult,
    aggregate,
    asset_damage,
    ead_bounds,
    exceedance_curve,
    expected_annual_damage,
)
from urbanrisk.hazard.sendai import (
    SENDAI_INDICATORS,
    SendaiEstimates,
    SendaiIndicator,
    annual_loss_percent,
    building_damage_ratio,
    damage_states,
    facilities_damaged,
    housing_impact,
    road_damage,
    scenario_label,
    sector_loss,
    sendai_indicators,
)

__all__ = [
    "BuildingExposure",
    "DamageCurve",
    "EADBounds",
    "EADResult",
    "EAD_RULES",
    "EAD_TAILS",
    "FloodRisk",
    "JRC_CITATION",
    "JRC_CLASS_FOR_OCCUPANCY",
    "JRC_OCCUPANCIES",
    "JRC_REGIONS",
    "RoadExposure",
    "SENDAI_INDICATORS",
    "SendaiEstimates",
    "SendaiIndicator",
    "annual_loss_percent",
    "building_damage_ratio",
    "damage_states",
    "facilities_damaged",
    "housing_impact",
    "road_damage",
    "scenario_label",
    "sector_loss",
    "sendai_indicators",
    "aggregate",
    "asset_damage",
    "coverage_fractions",
    "ead_bounds",
    "exceedance_curve",
    "expected_annual_damage",
    "exposed_population",
    "flood_building_exposure",
    "flood_risk",
    "flood_road_exposure",
    "heat_exposure",
    "hot_population_cells",
    "hot_spot_area_m2",
    "hot_spot_threshold",
    "hot_spots",
    "jrc_class_for_occupancy",
    "jrc_construction_cost",
    "jrc_curve",
    "jrc_curves",
    "jrc_curves_for_occupancy",
    "jrc_max_damage_for_occupancy",
    "jrc_max_damage_m2",
    "line_exposure",
    "people_above",
    "polygon_exposure",
    "population_weighted_hazard",
    "sample_points",
]
