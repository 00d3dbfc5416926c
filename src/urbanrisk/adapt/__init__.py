"""Adaptation pathways: coastal flood risk over time, options, economics, tipping points.

One layer above :mod:`urbanrisk.hazard` and :mod:`urbanrisk.coast` (which it uses and
which never import it) and below :mod:`urbanrisk.profile`:

- :mod:`~urbanrisk.adapt.levels` — extreme still-water levels (GEV/Gumbel fit) plus AR6
  sea-level rise and land motion → water level per scenario, quantile, year and return
  period; optional inland attenuation;
- :mod:`~urbanrisk.adapt.exposure` — footprint coverage computed once, depth statistics
  for every water level from the one connection-level raster;
- :mod:`~urbanrisk.adapt.options` — protect, accommodate, retreat, do nothing; pathways;
- :mod:`~urbanrisk.adapt.risk` — damage and expected annual damage over time;
- :mod:`~urbanrisk.adapt.economics` — discounting (constant or Green Book), NPV, BCR,
  regret;
- :mod:`~urbanrisk.adapt.tipping` — tipping points, pathways map, fan chart.

Examples
--------
>>> from urbanrisk import adapt
>>> round(adapt.present_value([100.0, 100.0], [2001, 2010], base_year=2000, rate=0.0), 6)
1000.0
"""

from urbanrisk.adapt.economics import (
    GREEN_BOOK_SCHEDULE,
    Appraisal,
    appraise,
    discount_factors,
    discount_rates,
    present_value,
)
from urbanrisk.adapt.exposure import (
    DEPTH_VARIABLES,
    BuildingCells,
    building_cells,
    building_depths,
)
from urbanrisk.adapt.levels import (
    DISTRIBUTIONS,
    ExtremeFit,
    distance_from_sea_m,
    extreme_levels,
    fit_extremes,
    flood_levels,
)
from urbanrisk.adapt.options import (
    OPTION_KINDS,
    Accommodate,
    DoNothing,
    Pathway,
    Protect,
    Retreat,
)
from urbanrisk.adapt.risk import CITY, RiskOverTime, risk_over_time
from urbanrisk.adapt.tipping import (
    EADLimit,
    FloodedShare,
    ProtectionStandard,
    fan_chart,
    pathways_map,
    tipping_points,
)

__all__ = [
    "CITY",
    "DEPTH_VARIABLES",
    "DISTRIBUTIONS",
    "GREEN_BOOK_SCHEDULE",
    "OPTION_KINDS",
    "Accommodate",
    "Appraisal",
    "BuildingCells",
    "DoNothing",
    "EADLimit",
    "ExtremeFit",
    "FloodedShare",
    "Pathway",
    "Protect",
    "ProtectionStandard",
    "Retreat",
    "RiskOverTime",
    "appraise",
    "building_cells",
    "building_depths",
    "discount_factors",
    "discount_rates",
    "distance_from_sea_m",
    "extreme_levels",
    "fan_chart",
    "fit_extremes",
    "flood_levels",
    "pathways_map",
    "present_value",
    "risk_over_time",
    "tipping_points",
]
