"""City profile configuration: a TOML file (or a dict) checked in full before any work.

A city is described by a TOML file naming its layers and the analyses to run with their
parameters. :func:`load_config` reads it with :mod:`tomllib`, resolves layer paths relative
to the file and checks everything at once: unknown sections and keys, missing files, wrong
types, values out of range, analyses asked for without the layers they need, and output
names that would leave the output folder. All problems are reported together in one
:class:`~urbanrisk.errors.ConfigError`, before any layer is read.

The same configuration can be built in Python with :func:`config_from_dict`, where layers
may be given as loaded ``GeoDataFrame`` / ``DataArray`` objects instead of paths.

Every section and key is described in :data:`SCHEMA`; ``docs/config.md`` documents them.

Examples
--------
>>> cfg = config_from_dict({"city": {"name": "Tiny"}, "green": {"dispersal_distance_m": 800}})
>>> cfg.city, cfg.section("green")["dispersal_distance_m"], cfg.section("green")["min_area_m2"]
('Tiny', 800.0, 1000.0)
>>> config_from_dict({"city": {"name": 3}, "hazard": {"colour": "red"}})
Traceback (most recent call last):
...
urbanrisk.errors.ConfigError: 2 problem(s):
  - city.name: expected a string, got 3 (int)
  - hazard: unknown key 'colour' (known: country, curve_region, damage_column, ...)
"""

from __future__ import annotations

import copy
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import geopandas as gpd
import numpy as np
import xarray as xr

from urbanrisk.errors import ConfigError
from urbanrisk.units import known_units, normalize_units, quantity_of

__all__ = [
    "SCHEMA",
    "VECTOR_LAYERS",
    "RASTER_LAYERS",
    "RASTER_UNITS",
    "ANALYSES",
    "Field",
    "LayerSource",
    "ProfileConfig",
    "load_config",
    "config_from_dict",
    "schema_markdown",
    "layer_units",
]

#: Vector layers a city may name in ``[layers]``.
VECTOR_LAYERS: dict[str, str] = {
    "buildings": "building footprints (Polygons); the use column (`columns.building_use`) "
    "selects damage curves",
    "roads": "road centrelines (LineStrings)",
    "railways": "railway lines (LineStrings); CBI barriers with green.cbi_railway_barriers",
    "green": "parks and forests (Polygons): habitat patches for the green analysis",
    "water": "water bodies (Polygons)",
    "coastline": "coastline (LineStrings)",
    "sea": "the sea (Polygons): where the sea connects to the land",
    "districts": "districts (Polygons; their names in `columns.district_name`): zones for "
    "aggregation",
    "candidates": "candidate sites for new green space (Polygons)",
    "facilities": "critical facilities (Points or Polygons) with a type column "
    "(`reporting.facility_type_column`): Sendai D-2/D-3/D-4",
    "protected_areas": "protected or secured natural areas (Polygons): CBI protected areas "
    "and recreation",
    "open_space": "open public space (Polygons) for SDG 11.7.1; default: the `green` layer",
    "shorelines": "dated historical shorelines (LineStrings with a date column)",
    "baseline": "onshore baseline for shoreline transects (LineString)",
    "transects": "ready-made shoreline transects (LineStrings, landward → seaward), "
    "instead of casting them from `baseline`",
}

#: Raster layers a city may name in ``[layers]``.
RASTER_LAYERS: dict[str, str] = {
    "dem": "elevation relative to the vertical datum of the coast section (a length)",
    "landcover": "land-cover class codes (whole numbers)",
    "population": "residents per cell (people)",
    "flood_depth": "flood depth (a length) with a `return_period` band dimension, or a table "
    "`{10 = \"rp10.tif\", 100 = \"rp100.tif\"}` of one file per return period",
    "lst": "land surface temperature (a temperature)",
}

#: Units each raster layer is converted to when it is read (``None``: class codes, kept).
#: The values may be in any unit of the same quantity (feet for metres, K for degC).
RASTER_UNITS: dict[str, str | None] = {
    "dem": "m",
    "landcover": None,
    "population": "people",
    "flood_depth": "m",
    "lst": "degC",
}

#: Keys of a raster layer's table in ``[layers]`` besides ``path``.
RASTER_KEYS: dict[str, str] = {
    "units": "Units of the values when the file has no units tag (e.g. `\"ft\"`). A file "
    "whose tag says otherwise is an error: one of the two claims is wrong.",
    "warp": "`true`: warp a rotated or sheared grid to north-up when reading (nearest "
    "neighbour, logged); without it a rotated file is refused.",
    "nodata": "A value that means no data when the file does not declare it (e.g. "
    "`-9999`); masked as well as the file's own declared nodata.",
}

_UNIT_EXAMPLES = {
    "m": '"m" (or "ft", "US_survey_ft", "cm": the units the values are in)',
    "degC": '"degC" (or "K", "degF")',
    "people": '"people"',
}

#: Analyses, their section and the layers each needs (all of one inner tuple).
ANALYSES: dict[str, tuple[str, ...]] = {
    "hazard": ("flood_depth",),  # buildings, roads, population: each optional
    "heat": ("lst", "population"),
    "green": (),  # green polygons or landcover + habitat_classes; checked separately
    "coast": ("dem",),
    "shoreline": ("shorelines", "baseline"),
    # and the extreme-level table of [adapt]; uses the coast analysis' connection level
    "adapt": ("dem", "buildings"),
}


@dataclass(frozen=True)
class Field:
    """One configuration key: its type, default, documentation and extra check."""

    kind: str  # str, int, float, bool, list[int], list[float], list[str], choice
    default: Any
    doc: str
    check: Callable[[Any], str | None] | None = None
    choices: tuple = ()


def _positive(v: Any) -> str | None:
    return None if v > 0 else f"must be > 0, got {v!r}"


def _non_negative(v: Any) -> str | None:
    return None if v >= 0 else f"must be >= 0, got {v!r}"


def _probability(v: Any) -> str | None:
    return None if 0 < v < 1 else f"must be strictly between 0 and 1, got {v!r}"


def _percentile(v: Any) -> str | None:
    return None if 0 < v < 100 else f"must be strictly between 0 and 100, got {v!r}"


def _positive_list(v: list) -> str | None:
    bad = [x for x in v if x <= 0]
    if bad:
        return f"must all be > 0, got {bad}"
    if len(set(v)) != len(v):
        return f"has duplicates: {v}"
    return None


def _quantiles(v: list) -> str | None:
    bad = [x for x in v if not 0 < x < 1]
    return f"quantiles must be strictly between 0 and 1, got {bad}" if bad else None


def _years(v: list) -> str | None:
    bad = [x for x in v if not 1900 <= x <= 2300]
    if bad:
        return f"years must lie in 1900..2300, got {bad}"
    return None if list(v) == sorted(set(v)) else f"must be increasing without repeats: {v}"


_SSP_RE = re.compile(r"^SSP\d-\d\.\d(\b.*)?$", re.IGNORECASE)


def _scenarios(v: list) -> str | None:
    bad = [s for s in v if not _SSP_RE.match(s)]
    return (
        None
        if not bad
        else f"scenario names look like 'SSP1-2.6' or 'SSP5-8.5', got {bad}"
    )


def _dpi(v: int) -> str | None:
    return None if 50 <= v <= 600 else f"must be in 50..600, got {v}"


#: The full schema: section → key → :class:`Field`.
SCHEMA: dict[str, dict[str, Field]] = {
    "city": {
        "name": Field("str", None, "City name, used in the indicator table and titles. "
                      "Required."),
        "credit": Field("str", "", "Data credit printed on every map and in the report, "
                        "e.g. \"© OpenStreetMap contributors; © City of Helsinki\"."),
    },
    "hazard": {
        "run": Field("bool", None, "Run the flood analysis; default: when `flood_depth` "
                     "is given. Buildings, roads and population are each optional: the "
                     "analysis runs on those given and says what it left out."),
        "return_periods": Field("list[int]", None, "Return periods (years) of "
                                "`flood_depth` to use; default: all of them.",
                                _positive_list),
        "depth_threshold_m": Field("float", 0.0, "A building, road cell or resident is "
                                   "exposed where the flood depth is above this (m).",
                                   _non_negative),
        "curve_region": Field("str", "Europe", "JRC depth-damage curve region "
                              "(Huizinga et al. 2017)."),
        "country": Field("str", "", "Country (ISO3, e.g. \"FIN\") for JRC maximum damage "
                         "values. Empty (and no `damage_column`): damage and expected annual "
                         "damage are not computed, and `check` and the report's analyses "
                         "table say so."),
        "nodata_is_dry": Field("bool", True, "Nodata cells inside the flood-depth maps are "
                               "dry (depth 0; passed as `nodata_as=0.0` to the exposure "
                               "functions). `false`: they stay unknown and what lies on them "
                               "is not counted (a logged warning gives the count)."),
        "damage_column": Field("str", "", "Column of `buildings` holding the value "
                               "exposed (EUR); empty: footprint area × JRC maximum "
                               "damage per m²."),
        "ead_rule": Field("choice", "trapezoid", "Integration rule of the expected "
                          "annual damage.", choices=("trapezoid", "lower_step", "log_linear")),
    },
    "heat": {
        "run": Field("bool", None, "Run the heat hot-spot analysis; default: when `lst` "
                     "and `population` are given."),
        "hotspot_percentile": Field("float", 90.0, "Cells above this percentile of the "
                                    "city's land surface temperature are hot spots.",
                                    _percentile),
    },
    "green": {
        "run": Field("bool", None, "Run the green connectivity analysis; default: when "
                     "`green` (or `landcover` with `habitat_classes`) is given."),
        "habitat_classes": Field("list[int]", None, "Land-cover codes treated as habitat "
                                 "(uses `landcover` instead of `green` polygons)."),
        "min_area_m2": Field("float", 1000.0, "Patches smaller than this are dropped "
                             "(m²).", _non_negative),
        "gap_m": Field("float", 100.0, "Patches closer than this are one group for CBI "
                       "indicator 2 unless a barrier lies between (CBI: 100 m).",
                       _non_negative),
        "cbi_version": Field("choice", "2021", "Edition of the City Biodiversity Index "
                             "that scores indicators 1-2: 2021 (Handbook; indicator 2 "
                             "scored from the landscape coherence, %) or 2014 (User's "
                             "Manual; from the effective mesh size, ha). The scores are "
                             "not comparable.", choices=("2021", "2014")),
        "cbi_railway_barriers": Field("bool", False, "Count the `railways` layer (tunnels "
                                      "left out) as barriers for CBI indicator 2; the "
                                      "manual does not name railways. Roads are barriers "
                                      "when >= 15 m wide or > 5,000 vehicles/day, judged by "
                                      "OSM highway class when neither is known "
                                      "(urbanrisk.green.cbi_barriers)."),
        "dispersal_distance_m": Field("float", 500.0, "Dispersal distance of the kernel "
                                      "(m).", _positive),
        "dispersal_probability": Field("float", 0.5, "Probability of dispersal at "
                                       "`dispersal_distance_m` (Conefor: 0.5, Graphab: "
                                       "0.05).", _probability),
        "max_distance_m": Field("float", 2000.0, "Only patches closer than this (edge "
                                "to edge, strictly less) are linked (m).", _positive),
        "landscape_area_m2": Field("float", 0.0, "Landscape area A_L of PC (m²); 0: the "
                                   "area of the districts, else the patches' bounding box.",
                                   _non_negative),
        "access_distance_m": Field("float", 300.0, "Walking distance to green space for "
                                   "the access indicator (m).", _positive),
        "access_min_area_m2": Field("float", 5000.0, "Minimum size of a green area that "
                                    "counts for access (m²; 0.5 ha).", _non_negative),
        "top_candidates": Field("int", 3, "Number of candidate sites to pick (greedy).",
                                _positive),
        "candidate_classes": Field("list[int]", None, "Without a `candidates` layer: "
                                   "land-cover classes whose parcels are candidate sites "
                                   "(e.g. open land)."),
        "candidate_min_area_m2": Field("float", 2000.0, "Smallest candidate parcel from "
                                       "`candidate_classes` (m²).", _non_negative),
    },
    "coast": {
        "run": Field("bool", None, "Run the coastal inundation analysis; default: when "
                     "`dem` is given."),
        "scenarios": Field("list[str]", ["SSP1-2.6", "SSP5-8.5"], "IPCC AR6 SSP "
                           "scenarios.", _scenarios),
        "quantiles": Field("list[float]", [0.5], "Quantiles of the projections (0.17, "
                           "0.5, 0.83).", _quantiles),
        "years": Field("list[int]", [2050, 2100], "Years to report.", _years),
        "dem_datum": Field("str", "", "Vertical datum of the DEM heights (e.g. "
                           "\"N2000\", \"NAVD88\"); required when the coast analysis "
                           "runs, so references are never mixed silently."),
        "water_level_m": Field("float", 0.0, "Present water surface (e.g. mean sea level "
                               "or MHHW) in the DEM's vertical datum (m)."),
        "water_surface_name": Field("str", "MSL", "What `water_level_m` is (MSL, MHHW...)."),
        "vertical_land_motion_mm_yr": Field("float", 0.0, "Vertical land motion (mm/yr, "
                                            "subsidence positive)."),
        "surge_m": Field("float", 0.0, "Extreme still-water level of the surge return "
                         "period, added on top of the sea level (m; 0: no surge). Passed "
                         "to urbanrisk.coast.water_levels as a single-number surge.",
                         _non_negative),
        "surge_return_period": Field("int", 100, "Return period (years) of `surge_m`.",
                                     _positive),
        "connectivity": Field("int", 8, "Cell connectivity of the flood fill (4 or 8).",
                              lambda v: None if v in (4, 8) else f"must be 4 or 8, got {v}"),
        "sea_edge_level_m": Field("float", 0.0, "Without a `sea` layer, the sea is the "
                                  "water connected to the DEM's edge cells at or below this "
                                  "height above the present water surface `water_level_m` "
                                  "(m). Ignored when a `sea` layer is given."),
    },
    "shoreline": {
        "run": Field("bool", None, "Run the shoreline change statistics; default: when "
                     "`shorelines` and `baseline` (or `transects`) are given."),
        "date_column": Field("str", "date", "Column of `shorelines` holding the date."),
        "transect_spacing_m": Field("float", 100.0, "Distance between transects (m).",
                                    _positive),
        "transect_length_m": Field("float", 500.0, "Length of each transect (m).",
                                   _positive),
        "seaward": Field("choice", "right", "Side of the baseline (looking along it) the "
                         "sea lies on; transects run from land to sea. Given wrongly, every "
                         "rate changes sign (the profile warns when a `sea` layer shows "
                         "transects pointing away from the sea).", choices=("right", "left")),
        "landward_m": Field("float", 0.0, "Length of each transect behind (landward of) the "
                            "baseline (m). Positions are measured from the transect's "
                            "landward start, so the baseline lies at this position. For an "
                            "offshore baseline, make it long enough to reach the shorelines.",
                            _non_negative),
        "uncertainty_m": Field("float", 0.0, "Position uncertainty of every shoreline (m; "
                               "0: unknown, no WLR).", _non_negative),
        "confidence_level": Field("float", 0.9, "Level of the LRR confidence interval "
                                  "(DSAS lets the user choose it).", _probability),
    },
    "adapt": {
        "run": Field("bool", None, "Run the adaptation pathways (urbanrisk.adapt); default: "
                     "when `dem` and `buildings` are given and `return_periods` is set. Uses "
                     "the coast analysis' scenarios, vertical reference, land motion and "
                     "connection level, and the hazard analysis' damage curves and values "
                     "(`hazard.curve_region`, `hazard.country` or `hazard.damage_column`)."),
        "return_periods": Field("list[int]", [], "Return periods (years) of the extreme "
                                "still-water level table.", _positive_list),
        "extreme_levels_m": Field("list[float]", [], "Extreme still-water level of each "
                                  "return period (m above the present water surface of "
                                  "`coast.water_level_m`), e.g. from a tide-gauge GEV fit "
                                  "(urbanrisk.adapt.fit_extremes) or COAST-RP."),
        "extremes_source": Field("str", "", "Where the extreme levels come from (shown in "
                                 "the report; say \"synthetic\" for made-up values)."),
        "years": Field("list[int]", list(range(2020, 2151, 10)), "Years assessed (damage, "
                       "EAD, tipping points); linear in between for present values.", _years),
        "report_years": Field("list[int]", [2050, 2100], "Years of the EAD indicator rows.",
                              _years),
        "quantiles": Field("list[float]", [0.17, 0.5, 0.83], "Quantiles of the sea-level "
                           "projections (the fan chart's band).", _quantiles),
        "attenuation_m_per_km": Field("float", 0.0, "Inland attenuation of the water level "
                                      "(m per km from the sea; 0: static flood).",
                                      _non_negative),
        "discount": Field("choice", "constant", "Discounting: a constant `discount_rate`, or "
                          "the UK Green Book's declining schedule (3.5 % to 1 %).",
                          choices=("constant", "green_book")),
        "discount_rate": Field("float", 0.035, "Constant discount rate (0.035 = 3.5 %).",
                               lambda v: None if 0 <= v < 1 else f"must be in [0, 1), got {v}"),
        "protection_standard_years": Field("int", 100, "Objective of the tipping points: the "
                                           "flood of this return period floods no building.",
                                           _positive),
        "protect_crest_m": Field("float", 0.0, "Crest of the flood defence of the protect "
                                 "pathway (m, frame of the DEM); 0: no protect pathway.",
                                 _non_negative),
        "protect_zone": Field("str", "", "District protected; empty: the whole city (a "
                              "barrier)."),
        "protect_year": Field("int", 2030, "Year the defence is built."),
        "protect_cost_eur": Field("float", 0.0, "Capital cost of the defence (EUR).",
                                  _non_negative),
        "protect_maintenance_share": Field("float", 0.01, "Yearly maintenance as a share of "
                                           "the capital cost.", _non_negative),
        "protect_raise_m": Field("float", 0.0, "Later raise of the crest (m); 0: none.",
                                 _non_negative),
        "protect_raise_year": Field("int", 2080, "Year of the raise."),
        "protect_raise_cost_eur": Field("float", 0.0, "Cost of the raise (EUR).",
                                        _non_negative),
        "accommodate_raise_m": Field("float", 0.0, "Height buildings are raised or "
                                     "floodproofed by in the accommodate pathway (m); 0: no "
                                     "accommodate pathway.", _non_negative),
        "accommodate_zone": Field("str", "", "District accommodated; empty: every building."),
        "accommodate_year": Field("int", 2030, "Year of the works."),
        "accommodate_cost_per_m2_eur": Field("float", 0.0, "Cost per m² of footprint (EUR).",
                                             _non_negative),
        "retreat_zones": Field("list[str]", [], "Districts vacated in the retreat pathway; "
                               "empty: no retreat pathway."),
        "retreat_year": Field("int", 2060, "Year the districts are vacated."),
        "retreat_cost_per_m2_eur": Field("float", 0.0, "Acquisition and demolition cost per "
                                         "m² of footprint (EUR).", _non_negative),
    },
    "columns": {
        "building_use": Field("str", "occupancy", "Column of `buildings` holding the "
                              "building use (residential, commercial, industrial, public, "
                              "other), which selects the JRC damage curve and value. A "
                              "layer without it: every building is taken as residential, "
                              "and `check` and the report say so."),
        "district_name": Field("str", "name", "Column of `districts` holding the district "
                               "name used in tables and maps. A layer without it: districts "
                               "are named by their row number, and `check` and the report "
                               "say so."),
    },
    "reporting": {
        "persons_per_dwelling": Field("float", 0.0, "Average persons per dwelling (the UNDRR "
                                      "Scorecard's \"Persons per unit\"), for Sendai B-3/B-4; "
                                      "0: unknown (B-3, B-4 and B-1 say so).", _non_negative),
        "dwellings_column": Field("str", "", "Column of `buildings` with the number of "
                                  "dwellings per building, for Sendai B-3/B-4; empty: "
                                  "unknown (not guessed)."),
        "destroyed_damage_ratio": Field("float", 0.5, "Damage ratio (damage / value) from "
                                        "which a dwelling counts as destroyed (\"no longer "
                                        "habitable\", DesInventar) for Sendai B-4; below it "
                                        "and above 0 it is damaged (B-3). A modelling choice: "
                                        "UNDRR gives no number.",
                                        lambda v: None if 0 < v <= 1
                                        else f"must be in (0, 1], got {v!r}"),
        "housing_classes": Field("list[str]", ["residential"], "Building uses of the housing "
                                 "sector (Sendai C-4, dwellings of B-3/B-4)."),
        "productive_classes": Field("list[str]", ["commercial", "industrial"], "Building "
                                    "uses of the productive assets (Sendai C-3)."),
        "road_cost_per_km": Field("float", 0.0, "Replacement cost of one km of road (EUR), "
                                  "for the roads part of Sendai C-5 (length × unit cost × "
                                  "JRC infrastructure damage); 0: unknown.", _non_negative),
        "city_product": Field("float", 0.0, "Gross city product (EUR/yr), for Sendai C-1 and "
                              "ISO 37123 5.2; 0: unknown.", _non_negative),
        "facility_type_column": Field("str", "type", "Column of `facilities` holding the "
                                      "facility type."),
        "health_types": Field("list[str]", ["hospital", "clinic", "doctors", "health_centre",
                                            "healthcare"],
                              "Facility types counted as health facilities (Sendai D-2)."),
        "education_types": Field("list[str]", ["school", "kindergarten", "college",
                                               "university"],
                                 "Facility types counted as educational facilities (Sendai "
                                 "D-3); every other facility counts in D-4."),
        "facility_depth_m": Field("float", 0.0, "A facility counts as damaged when the flood "
                                  "depth at it is above this (m).", _non_negative),
        "most_probable_rp": Field("int", 0, "Return period of the city's \"most probable\" "
                                  "scenario (UNDRR Scorecard Essential 2); 0: not named.",
                                  _non_negative),
        "most_severe_rp": Field("int", 0, "Return period of the city's \"most severe\" "
                                "scenario (UNDRR Scorecard Essential 2); 0: not named.",
                                _non_negative),
        "landcover_legend": Field("choice", "", "Default land-cover roles (natural, "
                                  "permeable, canopy, park, water) of a known legend; the "
                                  "*_classes keys below override them.",
                                  choices=("", "esa_worldcover", "corine")),
        "natural_classes": Field("list[int]", None, "Land-cover codes of natural areas."),
        "permeable_classes": Field("list[int]", None, "Land-cover codes of permeable land "
                                   "(CBI water regulation)."),
        "canopy_classes": Field("list[int]", None, "Land-cover codes of tree canopy."),
        "park_classes": Field("list[int]", None, "Land-cover codes of parks (CBI "
                              "recreation)."),
        "water_classes": Field("list[int]", None, "Land-cover codes of water (left out of "
                               "the terrestrial area)."),
        "street_width_m": Field("float", 0.0, "Street width (m) for the land allocated to "
                                "streets in SDG 11.7.1 (length × width); 0: not computed.",
                                _non_negative),
        "walk_distance_m": Field("float", 400.0, "SDG 11.7.1 walking distance along the "
                                 "street network (m).", _positive),
        "entrance_distance_m": Field("float", 20.0, "A street within this distance of an "
                                     "open space enters it (SDG 11.7.1 network access, m).",
                                     _non_negative),
    },
    "compute": {
        "chunk_cells": Field("int", 0, "Read every raster lazily with dask, in square chunks "
                             "of this many cells per side (e.g. 2048), so rasters larger "
                             "than memory are read a chunk at a time; 0 reads each raster "
                             "whole. The coastal flood fill still needs the whole DEM.",
                             _non_negative),
    },
    "output": {
        "maps": Field("bool", True, "Draw the static maps."),
        "map_formats": Field("list[str]", ["png", "pdf"], "Map file formats.",
                             lambda v: None if set(v) <= {"png", "pdf"} and v
                             else f"must be a non-empty subset of ['png', 'pdf'], got {v}"),
        "dpi": Field("int", 150, "Resolution of PNG maps.", _dpi),
        "report": Field("bool", True, "Write the HTML report."),
        "report_name": Field("str", "report.html", "Report file, relative to the output "
                             "folder."),
        "gpkg_name": Field("str", "profile.gpkg", "GeoPackage of vector results, "
                           "relative to the output folder."),
    },
}

_SECTIONS_WITH_LAYERS = ("layers",)


@dataclass
class LayerSource:
    """Where a layer comes from.

    A file (with optional GeoPackage layer and units), one file per return period, or an
    object already in memory.
    """

    name: str
    path: Path | None = None
    layer: str | None = None
    units: str | None = None
    paths_by_return_period: dict[int, Path] | None = None
    data: Any = None
    warp: bool = False
    nodata: float | None = None

    def files(self) -> list[Path]:
        """Every input file this layer reads."""
        if self.paths_by_return_period:
            return list(self.paths_by_return_period.values())
        return [self.path] if self.path is not None else []


@dataclass
class ProfileConfig:
    """A checked city profile configuration.

    Use :func:`load_config` or :func:`config_from_dict` to build one. ``notes`` lists
    what reading the layers will do to them (convert units, reproject, warp), found when
    the files were probed.
    """

    city: str
    credit: str
    layers: dict[str, LayerSource]
    sections: dict[str, dict[str, Any]]
    source: Path | None = None
    raw: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def section(self, name: str) -> dict[str, Any]:
        """Return the validated values of a section, defaults filled in."""
        return self.sections[name]

    def wants(self, analysis: str) -> bool:
        """Whether the analysis runs (explicit ``run`` or the layers it needs are given)."""
        return bool(self.sections[analysis]["run"])

    def input_files(self) -> dict[str, list[Path]]:
        """Input files of every layer read from disk."""
        return {k: v.files() for k, v in self.layers.items() if v.files()}


def load_config(path: str | Path, *, probe_files: bool = True) -> ProfileConfig:
    r"""Read and check a city TOML file; layer paths are relative to the file.

    Parameters
    ----------
    path : str or path-like
        The ``.toml`` file.
    probe_files : bool, default True
        Also open every layer file's header (rasterio / pyogrio) and check what the run
        will need, so a configuration that loads does not fail at run time for an input
        reason: unreadable files, missing GeoPackage layers, files without a CRS, raster
        units (the file's tag or the layer's ``units`` key, of the quantity the analyses
        need), values that look like an undeclared nodata (``nodata`` key), rotated grids
        (refused unless ``warp = true``), multi-band files, and flood-depth files per
        return period on different grids. A CRS not in metres is not a problem: it is
        reprojected when read, and :attr:`ProfileConfig.notes` says so.

    Returns
    -------
    ProfileConfig

    Raises
    ------
    ConfigError
        Listing every problem found (missing file, TOML syntax, unknown keys, wrong types,
        missing layer files, layer contents the run would refuse, inconsistent analyses,
        output names outside the folder), each naming the key to set.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "city.toml").write_text('[city]\nname = "X"\n[layers]\nlst = "lst.tif"\n')
    >>> load_config(d / "city.toml")
    Traceback (most recent call last):
    ...
    urbanrisk.errors.ConfigError: 1 problem(s) in .../city.toml:
      - layers.lst: file not found: .../lst.tif
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(
            [f"config file not found: {path}. Give the path of a city .toml file "
             "(see docs/config.md)."]
        )
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"not valid TOML: {exc}"], source=str(path)) from None
    return config_from_dict(data, base_dir=path.parent, source=path, probe_files=probe_files)


def config_from_dict(
    data: Mapping[str, Any],
    *,
    base_dir: str | Path | None = None,
    source: str | Path | None = None,
    probe_files: bool = False,
) -> ProfileConfig:
    """Check a configuration given as a mapping (the parsed TOML, or built in Python).

    Parameters
    ----------
    data : mapping
        Sections as in the TOML file. In ``layers``, values may also be loaded
        :class:`geopandas.GeoDataFrame` / :class:`xarray.DataArray` objects.
    base_dir : str or path-like, optional
        Folder relative layer paths start from; default: the current folder.
    source : str or path-like, optional
        Name of the file, for messages.
    probe_files : bool, default False
        Also open every layer file's header and check it (see :func:`load_config`);
        otherwise only their existence is checked and a file the run cannot use fails
        when the layers are read.

    Returns
    -------
    ProfileConfig

    Raises
    ------
    ConfigError
        Listing every problem found.
    """
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    problems: list[str] = []
    if not isinstance(data, Mapping):
        raise ConfigError([f"the configuration must be a table, got {type(data).__name__}"])
    known = set(SCHEMA) | set(_SECTIONS_WITH_LAYERS)
    for key in data:
        if key not in known:
            problems.append(
                f"unknown section [{key}] (known: {', '.join(sorted(known))})"
            )

    sections: dict[str, dict[str, Any]] = {}
    for name, fields in SCHEMA.items():
        raw = data.get(name, {})
        if not isinstance(raw, Mapping):
            problems.append(f"[{name}] must be a table, got {_typename(raw)}")
            raw = {}
        sections[name] = _check_section(name, raw, fields, problems)

    city = sections["city"]["name"]
    city_raw = data.get("city")
    if not isinstance(city_raw, Mapping) or "name" not in city_raw:
        problems.append('city.name: missing; add [city] name = "..."')

    raw_layers = data.get("layers", {})
    if not isinstance(raw_layers, Mapping):
        problems.append(f"[layers] must be a table, got {_typename(raw_layers)}")
        raw_layers = {}
    notes: list[str] = []
    layers = _check_layers(raw_layers, base, problems, probe_files, notes)

    _check_analyses(data, sections, layers, problems)
    _check_output_names(sections["output"], problems)

    if problems:
        raise ConfigError(problems, source=str(source) if source is not None else None)
    raw_copy = {
        k: (
            {lk: _describe_layer(lv) for lk, lv in v.items()}
            if k == "layers"
            else copy.deepcopy(v)
        )
        for k, v in data.items()
    }
    return ProfileConfig(
        city=city,
        credit=sections["city"]["credit"],
        layers=layers,
        sections=sections,
        source=Path(source) if source is not None else None,
        raw=raw_copy,
        notes=notes,
    )


def _describe_layer(value: Any) -> Any:
    if isinstance(value, gpd.GeoDataFrame | xr.DataArray):
        return f"<in-memory {type(value).__name__}>"
    return copy.deepcopy(value)


def _typename(v: Any) -> str:
    return type(v).__name__


def _check_value(where: str, value: Any, f: Field) -> tuple[Any, str | None]:
    """Return (converted value, problem or None)."""
    kind = f.kind
    if kind == "str" or kind == "choice":
        if not isinstance(value, str):
            return None, f"{where}: expected a string, got {value!r} ({_typename(value)})"
        if kind == "choice" and value not in f.choices:
            return None, f"{where}: must be one of {list(f.choices)}, got {value!r}"
        return value, None
    if kind == "bool":
        if not isinstance(value, bool):
            return None, f"{where}: expected true or false, got {value!r} ({_typename(value)})"
        return value, None
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            return None, f"{where}: expected an integer, got {value!r} ({_typename(value)})"
        return value, None
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None, f"{where}: expected a number, got {value!r} ({_typename(value)})"
        return float(value), None
    if kind.startswith("list["):
        inner = kind[5:-1]
        if not isinstance(value, list):
            return None, f"{where}: expected a list of {inner}, got {value!r} ({_typename(value)})"
        out = []
        for i, item in enumerate(value):
            conv, prob = _check_value(f"{where}[{i}]", item, Field(inner, None, ""))
            if prob:
                return None, prob
            out.append(conv)
        return out, None
    raise AssertionError(kind)  # pragma: no cover


def _check_section(
    name: str, raw: Mapping[str, Any], fields: dict[str, Field], problems: list[str]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in raw:
        if key not in fields:
            known = sorted(k for k in fields if k != "run")
            shown = ", ".join(known[:3]) + (", ..." if len(known) > 3 else "")
            hint = _close_match(key, list(fields))
            problems.append(
                f"{name}: unknown key {key!r} ({hint or 'known: ' + shown})"
            )
    for key, f in fields.items():
        if key in raw:
            value, prob = _check_value(f"{name}.{key}", raw[key], f)
            if prob is None and f.check is not None:
                msg = f.check(value)
                if msg:
                    prob = f"{name}.{key}: {msg}"
            if prob:
                problems.append(prob)
                value = copy.deepcopy(f.default)
            out[key] = value
        else:
            out[key] = copy.deepcopy(f.default)
    return out


def _close_match(key: str, candidates: list[str]) -> str | None:
    import difflib

    match = difflib.get_close_matches(key, candidates, n=1, cutoff=0.75)
    return f"did you mean {match[0]!r}?" if match else None


def _resolve(base: Path, value: str) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() else (base / p)


def layer_units(
    name: str, tag: str | None, key: str | None, *, in_memory: bool = False
) -> tuple[str | None, str | None]:
    """Units of raster layer ``name`` from its file tag and the ``units`` key of the TOML.

    The key only supplies units a file does not state; a tag and a key that disagree are a
    problem (one of the two claims is wrong). The units must measure the quantity the
    analyses need (:data:`RASTER_UNITS`): a length for ``flood_depth`` and ``dem``, a
    temperature for ``lst``, people for ``population``.

    Parameters
    ----------
    name : str
        Layer name (a key of :data:`RASTER_LAYERS`).
    tag : str, optional
        Units stated by the file (or ``attrs["units"]`` of an in-memory raster).
    key : str, optional
        The layer's ``units`` key in ``[layers]``.
    in_memory : bool, default False
        The layer was given as a DataArray: the fix is ``da.attrs["units"]``, not a key.

    Returns
    -------
    tuple
        ``(units, problem)``: the units (normalised) or ``None``, and a sentence saying
        what is wrong and which key to set, or ``None``.

    Examples
    --------
    >>> layer_units("flood_depth", None, "feet")
    ('ft', None)
    >>> layer_units("population", None, None)[1]
    'has no units; state them in the city TOML: [layers.population] units = "people"'
    >>> layer_units("population", "m", None)[1]
    "is in 'm' (a length), but population must be in people: ..."
    """
    t, k = normalize_units(tag), normalize_units(key)
    if t is not None and k is not None and t != k:
        return t, (
            f"the file says its units are {tag!r} but [layers.{name}] units = {key!r}; one "
            "of the two is wrong: remove the units key (the file states its units) or fix "
            "the file's units tag"
        )
    units = t or k
    want = RASTER_UNITS.get(name)
    if want is None:
        return units, None
    example = _UNIT_EXAMPLES[want]
    how = (f"set da.attrs['units'] = {example.split(' ')[0]}" if in_memory
           else f"state them in the city TOML: [layers.{name}] units = {example}")
    if units is None:
        return None, f"has no units; {how}"
    need = quantity_of(want)
    have = quantity_of(units)
    if have != need:
        what = f"a {have}" if have else "not a unit urbanrisk converts"
        fix = (f"set da.attrs['units'] to one of {known_units(need)}" if in_memory else
               f"[layers.{name}] units must be one of {known_units(need)}, the units the "
               "values are in")
        return units, f"is in {units!r} ({what}), but {name} must be in {need}: {fix}"
    return units, None


def _check_layers(
    raw: Mapping[str, Any],
    base: Path,
    problems: list[str],
    probe: bool = False,
    notes: list[str] | None = None,
) -> dict[str, LayerSource]:
    notes = [] if notes is None else notes
    layers: dict[str, LayerSource] = {}
    extents: dict[str, tuple[Any, tuple]] = {}  # layer -> (CRS, bounds), for the overlap check
    known = {**VECTOR_LAYERS, **RASTER_LAYERS}
    for name, value in raw.items():
        where = f"layers.{name}"
        if name not in known:
            hint = _close_match(name, list(known))
            problems.append(
                f"{where}: unknown layer {name!r} "
                f"({hint or 'known: ' + ', '.join(sorted(known))})"
            )
            continue
        is_raster = name in RASTER_LAYERS
        if isinstance(value, gpd.GeoDataFrame | xr.DataArray):
            want = xr.DataArray if is_raster else gpd.GeoDataFrame
            if not isinstance(value, want):
                problems.append(
                    f"{where}: expected a {want.__name__}, got a {type(value).__name__}"
                )
                continue
            layers[name] = LayerSource(name=name, data=value)
            if probe:
                extents[name] = _data_extent(value)
            continue
        if isinstance(value, str):
            value = {"path": value}
        if not isinstance(value, Mapping):
            problems.append(
                f"{where}: expected a file path or a table {{path = ..., layer = ...}}, "
                f"got {value!r} ({_typename(value)})"
            )
            continue
        by_rp_table = name == "flood_depth" and any(str(k).isdigit() for k in value)
        allowed = ({"path", *RASTER_KEYS} if is_raster else {"path", "layer"})
        if by_rp_table:
            allowed = set(RASTER_KEYS)
        for k in value:
            if k not in allowed and not (by_rp_table and str(k).isdigit()):
                known_keys = sorted(allowed) + (["<return period>"] if by_rp_table else [])
                problems.append(f"{where}: unknown key {k!r} (known: {', '.join(known_keys)})")
        opts = _layer_options(name, value, is_raster, problems)
        if by_rp_table:
            by_rp: dict[int, Path] = {}
            for rp, p in value.items():
                if not str(rp).isdigit():
                    continue
                if not isinstance(p, str):
                    problems.append(f"{where}.{rp}: expected a file path, got {p!r}")
                    continue
                path = _resolve(base, p)
                if not path.is_file():
                    problems.append(f"{where}.{rp}: file not found: {path}")
                by_rp[int(rp)] = path
            if int(min(by_rp, default=1)) <= 0:
                problems.append(f"{where}: return periods must be > 0, got {sorted(by_rp)}")
            src = LayerSource(name=name, paths_by_return_period=dict(sorted(by_rp.items())),
                              **opts)
            if probe:
                _probe_rasters(src, problems, notes, extents)
            layers[name] = src
            continue
        p = value.get("path")
        if not isinstance(p, str):
            problems.append(f"{where}.path: expected a file path, got {p!r}")
            continue
        layer = value.get("layer")
        if layer is not None and not isinstance(layer, str):
            problems.append(f"{where}.layer: expected a string, got {layer!r} "
                            f"({_typename(layer)})")
            layer = None
        path = _resolve(base, p)
        src = LayerSource(name=name, path=path, layer=layer if not is_raster else None, **opts)
        if not path.exists():
            problems.append(f"{where}: file not found: {path}")
        elif probe and is_raster:
            _probe_rasters(src, problems, notes, extents)
        elif probe and (prob := _probe_vector(path, layer, where, notes, extents)):
            problems.append(f"{where}: {prob}")
        layers[name] = src
    problems += _disjoint_layers(extents)
    return layers


def _layer_options(
    name: str, value: Mapping[str, Any], is_raster: bool, problems: list[str]
) -> dict[str, Any]:
    """Return the checked ``units``, ``warp`` and ``nodata`` keys of a raster layer."""
    where = f"layers.{name}"
    opts: dict[str, Any] = {}
    if not is_raster:
        return opts
    units = value.get("units")
    if units is not None:
        if not isinstance(units, str):
            problems.append(f"{where}.units: expected a string, got {units!r} "
                            f"({_typename(units)})")
        else:
            opts["units"] = units
            _, prob = layer_units(name, None, units)
            if prob and RASTER_UNITS.get(name) is not None:
                problems.append(f"{where}.units: {prob}")
    warp = value.get("warp")
    if warp is not None:
        if not isinstance(warp, bool):
            problems.append(f"{where}.warp: expected true or false, got {warp!r} "
                            f"({_typename(warp)})")
        else:
            opts["warp"] = warp
    nodata = value.get("nodata")
    if nodata is not None:
        if isinstance(nodata, bool) or not isinstance(nodata, int | float) \
                or not np.isfinite(nodata):
            problems.append(f"{where}.nodata: expected a finite number (e.g. -9999), got "
                            f"{nodata!r}")
        else:
            opts["nodata"] = float(nodata)
    return opts


#: Values files use for "no data" without always declaring it.
_NODATA_SENTINELS = (-9999.0, -99999.0, -32768.0, -32767.0, -3.4028234663852886e38)


def _probe_rasters(src: LayerSource, problems: list[str], notes: list[str],
                   extents: dict[str, tuple[Any, tuple]] | None = None) -> None:
    """Open the header of every file of a raster layer and check what the run will need.

    Units (tag or key, and of the right quantity), declared nodata (and sentinel values
    that look like an undeclared one, from a decimated sample), rotation (refused unless
    ``warp = true``), CRS (a CRS not in metres is noted: it will be reprojected), bands
    and, for one file per return period, that every file is on the same grid.
    """
    import rasterio

    files = (
        [(f"layers.{src.name}.{rp}", p) for rp, p in src.paths_by_return_period.items()]
        if src.paths_by_return_period
        else [(f"layers.{src.name}", src.path)]
    )
    grids: list[tuple[str, Path, Any, tuple, tuple]] = []
    for where, path in files:
        if path is None or not path.is_file():
            continue
        try:
            with rasterio.open(path) as ds:
                header = _raster_header(ds)
        except Exception as exc:  # noqa: BLE001 - any reason the file does not open
            problems.append(f"{where}: {path} cannot be read as a raster ({exc})")
            continue
        problems += [f"{where}: {p}" for p in _raster_problems(src, path, header)]
        notes += [f"{where}: {n}" for n in _raster_notes(src, path, header)]
        if header["crs"] is not None:
            grids.append((where, path, header["crs"], header["shape"], header["transform"]))
            if extents is not None and src.name not in extents:
                extents[src.name] = (header["crs"], header["bounds"])
    for where, path, crs, shape, transform in grids[1:]:
        w0, p0, crs0, shape0, t0 = grids[0]
        same_t = np.allclose(transform, t0, rtol=1e-9, atol=1e-6 * max(abs(t0[0]), 1e-9))
        if crs != crs0 or shape != shape0 or not same_t:
            problems.append(
                f"{where}: {path.name} is not on the grid of {p0.name} ({w0}): "
                f"{shape[0]} x {shape[1]} cells, transform {tuple(round(v, 6) for v in transform)}"
                f", {crs} vs {shape0[0]} x {shape0[1]}, {tuple(round(v, 6) for v in t0)}, "
                f"{crs0}. Resample them onto one grid (e.g. gdalwarp -te/-tr, or "
                "da.rio.reproject_match(reference))"
            )


def _raster_header(ds: Any) -> dict[str, Any]:
    tags = ds.tags()
    unit_type = (ds.units or (None,))[0] if ds.count else None
    h, w = ds.height, ds.width
    sample = None
    if ds.count:
        try:
            sample = ds.read(1, out_shape=(min(h, 64), min(w, 64)), masked=False)
        except Exception:  # noqa: BLE001 - the sample is only for a hint
            sample = None
    return {
        "crs": ds.crs.to_string() if ds.crs is not None else None,
        "bounds": tuple(ds.bounds),
        "units": tags.get("units") or tags.get("UNITS") or unit_type or None,
        "nodata": ds.nodata,
        "transform": tuple(ds.transform)[:6],
        "shape": (h, w),
        "count": ds.count,
        "extra_dim": tags.get("urbanrisk_dim"),
        "sample": sample,
    }


def _rotated(t: tuple) -> bool:
    a, b, _, d, e, _ = t
    scale = max(abs(a), abs(e), abs(b), abs(d))
    return abs(b) > 1e-6 * scale or abs(d) > 1e-6 * scale


def _raster_problems(src: LayerSource, path: Path, header: dict[str, Any]) -> list[str]:
    name = src.name
    out: list[str] = []
    if header["crs"] is None:
        out.append(f"{path} has no CRS; set it in the file (e.g. gdal_edit.py -a_srs "
                   "EPSG:nnnn with the real code of your data)")
    _, prob = layer_units(name, header["units"], src.units)
    if prob:
        out.append(f"{path.name} {prob}" if prob.startswith(("has ", "is ")) else prob)
    if _rotated(header["transform"]) and not src.warp:
        a, _, _, d, _, _ = header["transform"]
        angle = float(np.degrees(np.arctan2(d, a)))
        out.append(
            f"{path.name} has a rotated or sheared grid (about {angle:.1f} degrees), so areas "
            f"and distances on it would be wrong; set [layers.{name}] warp = true to warp it "
            "to north-up when it is read"
        )
    sample = header["sample"]
    if sample is not None and np.issubdtype(sample.dtype, np.number):
        masked = {float(header["nodata"])} if header["nodata"] is not None else set()
        if src.nodata is not None:
            masked.add(src.nodata)
        found = [v for v in _NODATA_SENTINELS
                 if v not in masked and np.any(np.isclose(sample, v, rtol=1e-6, atol=0))]
        if found:
            v = found[0]
            shown = f"{v:g}" if abs(v) < 1e30 else f"{v:.8g}"
            out.append(
                f"{path.name} holds {shown} values that look like no data, but the file "
                f"declares {'no nodata' if header['nodata'] is None else header['nodata']}; "
                f"set [layers.{name}] nodata = {shown} (or declare it in the file: "
                f"gdal_edit.py -a_nodata {shown})"
            )
    if name == "flood_depth" and not src.paths_by_return_period \
            and header["extra_dim"] != "return_period":
        out.append(
            f"{path.name} has {header['count']} band(s) but no return_period dimension; give "
            "one file per return period: [layers.flood_depth] 10 = \"rp10.tif\", "
            "100 = \"rp100.tif\""
        )
    elif header["count"] > 1 and header["extra_dim"] is None:
        out.append(f"{path.name} has {header['count']} bands; {name} must be one band. "
                   "Extract it first (gdal_translate -b 1 in.tif out.tif)")
    return out


def _raster_notes(src: LayerSource, path: Path, header: dict[str, Any]) -> list[str]:
    notes: list[str] = []
    units, _ = layer_units(src.name, header["units"], src.units)
    want = RASTER_UNITS.get(src.name)
    if units and want and units != want and quantity_of(units) == quantity_of(want):
        notes.append(f"{path.name} is in {units}: converted to {want} when read")
    if src.units and not header["units"]:
        notes.append(f"{path.name} has no units tag: units = {src.units!r} from the config")
    if src.warp and _rotated(header["transform"]):
        notes.append(f"{path.name} has a rotated grid: warped to north-up when read")
    if src.nodata is not None and header["nodata"] is not None \
            and float(header["nodata"]) != src.nodata:
        notes.append(f"{path.name} declares nodata {header['nodata']:g}; it and "
                     f"nodata = {src.nodata:g} from the config are both masked")
    crs_note = _crs_note(header["crs"])
    if crs_note:
        notes.append(f"{path.name} {crs_note}")
    return notes


def _crs_note(crs: str | None) -> str | None:
    """'is in ... : will be reprojected' for a CRS not in metres, else None."""
    if not crs:
        return None
    import pyproj

    from urbanrisk.layers import _is_metric

    c = pyproj.CRS.from_user_input(crs)
    if _is_metric(c):
        return None
    unit = "degrees" if c.is_geographic else (
        c.axis_info[0].unit_name if c.axis_info else "its own units")
    return (f"is in {c.name} ({unit}): reprojected to the local UTM zone (metres) when "
            "read")


def _probe_vector(path: Path, layer: str | None, where: str, notes: list[str],
                  extents: dict[str, tuple[Any, tuple]] | None = None) -> str | None:
    """Open a vector file's header only: a problem sentence, or None when it reads."""
    if path.suffix.lower() in (".parquet", ".geoparquet"):
        return None
    try:
        import pyogrio

        if layer is not None:
            names = [n for n, _ in pyogrio.list_layers(path)]
            if layer not in names:
                return f"{path} has no layer {layer!r} (layers: {', '.join(names)})"
        elif path.suffix.lower() == ".gpkg":
            names = [n for n, _ in pyogrio.list_layers(path)]
            layer = where.split(".")[-1] if where.split(".")[-1] in names else None
        info = pyogrio.read_info(path, layer=layer)
        if not info.get("crs"):
            return f"{path} has no CRS; set it with gdf.set_crs(...) and save it again"
        note = _crs_note(info["crs"])
        if note:
            notes.append(f"{where}: {path.name} {note}")
        bounds = info.get("total_bounds")
        if extents is not None and bounds is not None and np.all(np.isfinite(bounds)):
            extents[where.split(".")[-1]] = (info["crs"], tuple(bounds))
    except Exception as exc:  # noqa: BLE001 - any reason the file does not open
        return f"{path} cannot be read as a vector layer ({exc})"
    return None


def _data_extent(value: gpd.GeoDataFrame | xr.DataArray) -> tuple[Any, tuple]:
    """(CRS, bounds) of a layer given as data; (None, ()) when it has no CRS or no extent."""
    if isinstance(value, gpd.GeoDataFrame):
        return value.crs, (tuple(value.total_bounds) if len(value) else ())
    try:
        return value.rio.crs, tuple(value.rio.bounds())
    except Exception:  # noqa: BLE001 - no x/y grid: the run reports it
        return None, ()


def _disjoint_layers(extents: Mapping[str, tuple[Any, tuple]]) -> list[str]:
    """Problems for layers that lie far apart, compared in longitude/latitude.

    Two layers lie far apart when the gap between their extents is larger than the larger
    extent (and than 0.01 degrees, about a kilometre): the signature of a wrong CRS tag or of
    another city's file. A layer far from all others is named once; otherwise each such
    pair is named. Layers that merely miss each other (a baseline beside the sea polygon, a
    flood model of the next district) are left to the analysis that uses both, which
    raises a ``NoOverlapError`` naming them.
    """
    import pyproj

    boxes: dict[str, tuple[float, float, float, float]] = {}
    for name, (crs, bounds) in extents.items():
        if crs is None or len(bounds) != 4 or not np.all(np.isfinite(bounds)):
            continue
        try:
            to_ll = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
            boxes[name] = to_ll.transform_bounds(*bounds, densify_pts=21)
        except Exception:  # noqa: BLE001 - an unusual CRS: leave it to the run
            continue

    def meet(a: tuple, b: tuple) -> bool:
        pad = max(a[2] - a[0], a[3] - a[1], b[2] - b[0], b[3] - b[1], 0.01)
        return a[0] <= b[2] + pad and b[0] <= a[2] + pad and a[1] <= b[3] + pad \
            and b[1] <= a[3] + pad

    def show(box: tuple) -> str:
        return (f"longitude {box[0]:.4f} to {box[2]:.4f}, latitude {box[1]:.4f} to "
                f"{box[3]:.4f}")

    names = sorted(boxes)
    out: list[str] = []
    alone = [n for n in names if len(names) > 1
             and not any(meet(boxes[n], boxes[m]) for m in names if m != n)]
    if alone and len(alone) < len(names):
        for n in alone:
            others = [m for m in names if m not in alone]
            out.append(
                f"layers.{n} lies far from every other layer: it covers {show(boxes[n])}, "
                "while "
                f"{', '.join('layers.' + m for m in others)} cover "
                f"{show(_union(boxes[m] for m in others))}. Check the CRS of its file "
                "(a wrong CRS tag moves a layer elsewhere) and that it is the right city"
            )
        return out
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if not meet(boxes[a], boxes[b]):
                out.append(
                    f"layers.{a} and layers.{b} lie far apart ({show(boxes[a])}; "
                    f"{show(boxes[b])}). Check the CRS of both files and that they are "
                    "the same city"
                )
    return out


def _union(boxes: Any) -> tuple[float, float, float, float]:
    arr = np.array(list(boxes), dtype=float)
    return (arr[:, 0].min(), arr[:, 1].min(), arr[:, 2].max(), arr[:, 3].max())


def _check_analyses(
    data: Mapping[str, Any],
    sections: dict[str, dict[str, Any]],
    layers: dict[str, LayerSource],
    problems: list[str],
) -> None:
    """Decide ``run`` for each analysis; explicit ``run = true`` needs its layers."""
    for analysis, needed in ANALYSES.items():
        sec = sections[analysis]
        if analysis == "green":
            needed = ("landcover",) if sec["habitat_classes"] is not None else ("green",)
        if analysis == "shoreline" and "transects" in layers:
            needed = ("shorelines",)
        missing = [n for n in needed if n not in layers]
        if analysis == "adapt" and not sec["return_periods"]:
            missing.append("the extreme-level table (adapt.return_periods)")
        explicit = sec["run"]
        if analysis == "coast" and (explicit or (explicit is None and not missing)) \
                and not sec["dem_datum"]:
            problems.append(
                'coast.dem_datum: state the vertical datum of the DEM heights (e.g. '
                'dem_datum = "N2000"), or set coast.run = false'
            )
        if explicit is None:
            sec["run"] = not missing
            sec["auto"] = True
        else:
            sec["auto"] = False
            if explicit and missing:
                problems.append(
                    f"{analysis}.run = true needs layers {', '.join(missing)}; add them to "
                    f"[layers] or set run = false"
                )


_SAFE_NAME = re.compile(r"^[A-Za-z0-9_.\-/ ]+$")


def _inside_output(where: str, name: str, suffix: str, problems: list[str]) -> None:
    p = PurePosixPath(name.replace("\\", "/"))
    if p.is_absolute() or re.match(r"^[A-Za-z]:", name) or ".." in p.parts or not p.parts:
        problems.append(
            f"{where}: {name!r} must be a relative path inside the output folder (no '..', "
            "no absolute path)"
        )
        return
    if not _SAFE_NAME.match(name):
        problems.append(f"{where}: {name!r} may use only letters, digits, '_', '-', '.', '/'")
    if p.suffix.lower() != suffix:
        problems.append(f"{where}: {name!r} must end in {suffix}")


def _check_output_names(out: dict[str, Any], problems: list[str]) -> None:
    _inside_output("output.report_name", out["report_name"], ".html", problems)
    _inside_output("output.gpkg_name", out["gpkg_name"], ".gpkg", problems)


def schema_markdown() -> str:
    """Render the configuration keys as Markdown tables (one per section).

    Examples
    --------
    >>> "| `dispersal_distance_m` |" in schema_markdown()
    True
    """
    lines: list[str] = []
    for name, fields in SCHEMA.items():
        lines += [f"### `[{name}]`", "", "| key | type | default | meaning |",
                  "|---|---|---|---|"]
        for key, f in fields.items():
            default = "—" if f.default is None else f"`{_toml_repr(f.default)}`"
            kind = "one of " + ", ".join(f"`{c}`" for c in f.choices) if f.choices else f.kind
            lines.append(f"| `{key}` | {kind} | {default} | {f.doc} |")
        lines.append("")
    lines += ["### `[layers]`", "", "| layer | kind | what | read in |", "|---|---|---|---|"]
    for key, doc in VECTOR_LAYERS.items():
        lines.append(f"| `{key}` | vector | {doc} | — |")
    for key, doc in RASTER_LAYERS.items():
        want = RASTER_UNITS[key]
        others = [f"`{u}`" for u in known_units(quantity_of(want)) if u != want] if want else []
        units = (f"`{want}`" + (f", converted from {', '.join(others)}" if others else "")
                 if want else "class codes, not converted")
        lines.append(f"| `{key}` | raster | {doc} | {units} |")
    lines += ["", "A layer is a path, or a table with `path` and:", "",
              "| key | layers | meaning |", "|---|---|---|",
              "| `layer` | vector | Layer of a multi-layer file (GeoPackage); default: the "
              "layer named like the key, else the first. |"]
    for key, doc in RASTER_KEYS.items():
        lines.append(f"| `{key}` | raster | {doc} |")
    return "\n".join(lines) + "\n"


def _toml_repr(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, list):
        return "[" + ", ".join(_toml_repr(x) for x in v) + "]"
    return repr(v)
