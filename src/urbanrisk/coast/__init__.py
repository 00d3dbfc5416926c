"""Coastal retreat scenarios: which parts of a city the sea reaches, in which year.

* :mod:`~urbanrisk.coast.scenarios` — IPCC AR6 sea-level projections, land motion, vertical
  reference, surge;
* :mod:`~urbanrisk.coast.inundation` — connected inundation for all scenarios from one
  priority-flood pass, DEM-error probability, first flood year;
* :mod:`~urbanrisk.coast.shoreline` — transects, DSAS shoreline-change statistics,
  forecasts, Bruun rule;
* :mod:`~urbanrisk.coast.retreat` — retreat zones and the asset timeline.
"""

from urbanrisk.coast.inundation import (
    INUNDATION_CLASSES,
    annual_exceedance_probability,
    connection_level,
    first_flood_year,
    inundation_depth,
    inundation_extent,
    inundation_probability,
    inundation_probability_monte_carlo,
    multi_year_probability,
)
from urbanrisk.coast.retreat import (
    asset_connection_level,
    asset_timeline,
    erosion_setback,
    erosion_zones,
    retreat_zones,
)
from urbanrisk.coast.scenarios import (
    AR6_BASELINE,
    AR6_BASELINE_YEAR,
    AR6_QUANTILES,
    AR6_SCENARIOS,
    VerticalReference,
    ar6_global_mean_sea_level,
    interpolate_years,
    projection_from_table,
    reference_dem,
    relative_sea_level,
    select_projection,
    water_levels,
)
from urbanrisk.coast.shoreline import (
    bruun_retreat,
    cast_transects,
    closure_depth,
    decimal_years,
    forecast_shoreline,
    shoreline_change_statistics,
    shoreline_intersections,
)

__all__ = [
    "AR6_BASELINE",
    "AR6_BASELINE_YEAR",
    "AR6_QUANTILES",
    "AR6_SCENARIOS",
    "INUNDATION_CLASSES",
    "VerticalReference",
    "annual_exceedance_probability",
    "asset_connection_level",
    "asset_timeline",
    "erosion_setback",
    "erosion_zones",
    "retreat_zones",
    "bruun_retreat",
    "cast_transects",
    "closure_depth",
    "decimal_years",
    "forecast_shoreline",
    "shoreline_change_statistics",
    "shoreline_intersections",
    "ar6_global_mean_sea_level",
    "connection_level",
    "first_flood_year",
    "interpolate_years",
    "inundation_depth",
    "inundation_extent",
    "inundation_probability",
    "inundation_probability_monte_carlo",
    "multi_year_probability",
    "projection_from_table",
    "reference_dem",
    "relative_sea_level",
    "select_projection",
    "water_levels",
]
