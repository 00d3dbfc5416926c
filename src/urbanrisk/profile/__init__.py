"""City risk profile: compose the hazard, green and coast analyses for one city.

A city is described by a TOML configuration (:mod:`urbanrisk.profile.config`); the indicator
registry (:mod:`urbanrisk.profile.indicators`) defines every indicator once.
"""

from urbanrisk.profile.config import ProfileConfig, config_from_dict, load_config
from urbanrisk.profile.indicators import COLUMNS, REGISTRY, indicator_row, indicator_table

__all__ = [
    "COLUMNS",
    "REGISTRY",
    "ProfileConfig",
    "config_from_dict",
    "indicator_row",
    "indicator_table",
    "load_config",
]
