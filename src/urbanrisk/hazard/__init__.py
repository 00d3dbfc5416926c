"""Hazard exposure and impact: which assets and people sit in which hazard, what it costs.

- :mod:`urbanrisk.hazard.exposure`: sample rasters at points, exact zonal statistics of
  footprints, exposed length of lines, people exposed from a population grid.
- :mod:`urbanrisk.hazard.curves`: vulnerability (damage) curves, including the JRC global
  flood depth-damage functions (Huizinga et al. 2017).
- :mod:`urbanrisk.hazard.impact`: damage per asset, exceedance curve and expected annual
  damage over return periods, aggregation by zone and class.
- :mod:`urbanrisk.hazard.heat`: heat hot spots and the people living in them.

Examples
--------
>>> from urbanrisk import hazard
>>> float(hazard.jrc_curve("europe", "residential")(1.0))
0.4
"""

from urbanrisk.hazard.curves import (
    JRC_CITATION,
    JRC_OCCUPANCIES,
    JRC_REGIONS,
    DamageCurve,
    jrc_construction_cost,
    jrc_curve,
    jrc_curves,
    jrc_max_damage_m2,
)
from urbanrisk.hazard.exposure import (
    coverage_fractions,
    exposed_population,
    line_exposure,
    polygon_exposure,
    population_weighted_hazard,
    sample_points,
)
from urbanrisk.hazard.heat import heat_exposure, hot_spot_threshold, hot_spots
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

__all__ = [
    "DamageCurve",
    "EADBounds",
    "EADResult",
    "EAD_RULES",
    "EAD_TAILS",
    "JRC_CITATION",
    "JRC_OCCUPANCIES",
    "JRC_REGIONS",
    "aggregate",
    "asset_damage",
    "coverage_fractions",
    "ead_bounds",
    "exceedance_curve",
    "expected_annual_damage",
    "exposed_population",
    "heat_exposure",
    "hot_spot_threshold",
    "hot_spots",
    "jrc_construction_cost",
    "jrc_curve",
    "jrc_curves",
    "jrc_max_damage_m2",
    "line_exposure",
    "polygon_exposure",
    "population_weighted_hazard",
    "sample_points",
]
