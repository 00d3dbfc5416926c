"""City risk profile: compose the hazard, green and coast analyses for one city.

A city is described by a TOML configuration (:mod:`urbanrisk.profile.config`), or built in
Python from loaded layers (:meth:`CityProfile.from_layers`). :meth:`CityProfile.run` calls
the public functions of :mod:`urbanrisk.hazard`, :mod:`urbanrisk.green` and
:mod:`urbanrisk.coast` (see :mod:`urbanrisk.profile.steps`) and keeps every result;
:attr:`CityProfile.indicators` is the tidy indicator table whose indicators are defined once
in :mod:`urbanrisk.profile.indicators`; :meth:`CityProfile.export` writes GeoPackage, COGs,
tables, maps, a manifest and the HTML report. :func:`run_profile` is the plain per-city
entry point (picklable, for dask workers).

Examples
--------
>>> from urbanrisk.profile import demo_config, CityProfile
>>> profile = CityProfile(demo_config())
>>> profile.city
'Helsinki'
"""

from urbanrisk.profile.config import ProfileConfig, config_from_dict, load_config
from urbanrisk.profile.core import AnalysisResult, CityProfile, load_layers, run_profile
from urbanrisk.profile.demo import demo_config
from urbanrisk.profile.export import export_profile
from urbanrisk.profile.indicators import (
    COLUMNS,
    REGISTRY,
    Indicator,
    empty_indicator_table,
    indicator_row,
    indicator_table,
    registry_markdown,
)

__all__ = [
    "COLUMNS",
    "REGISTRY",
    "AnalysisResult",
    "CityProfile",
    "Indicator",
    "ProfileConfig",
    "config_from_dict",
    "demo_config",
    "empty_indicator_table",
    "export_profile",
    "indicator_row",
    "indicator_table",
    "load_config",
    "load_layers",
    "registry_markdown",
    "run_profile",
]
