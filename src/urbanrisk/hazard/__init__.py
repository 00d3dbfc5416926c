"""Hazard exposure and impact: which assets and people sit in which hazard, what it costs.

- :mod:`urbanrisk.hazard.exposure`: sample rasters at points, exact zonal statistics of
  footprints, exposed length of lines, people exposed from a population grid.
- :mod:`urbanrisk.hazard.curves`: vulnerability (damage) curves, including the JRC global
  flood depth-damage functions (Huizinga et al. 2017).
- :mod:`urbanrisk.hazard.impact`: damage per asset, exceedance curve and expected annual
  damage over return periods, aggregation by zone and class.
- :mod:`urbanrisk.hazard.heat`: heat hot spots and the people living in them.
"""

from urbanrisk.hazard.exposure import (
    coverage_fractions,
    exposed_population,
    line_exposure,
    polygon_exposure,
    population_weighted_hazard,
    sample_points,
)

__all__ = [
    "coverage_fractions",
    "exposed_population",
    "line_exposure",
    "polygon_exposure",
    "population_weighted_hazard",
    "sample_points",
]
