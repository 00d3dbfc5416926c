"""The indicator registry: every indicator of a city profile, defined once.

Each :class:`Indicator` carries its theme, unit, definition and source; rows of the
indicator table are made only through :func:`indicator_row`, which looks the indicator up
here, so units and sources can never drift between cities. The table has the same columns
and dtypes for every city (:data:`COLUMNS`), so tables of many cities concatenate.

The documentation page of the indicators is generated from this registry
(:func:`registry_markdown`, called by ``docs/gen_indicators.py``).

Examples
--------
>>> from urbanrisk.profile.indicators import indicator_row, indicator_table
>>> table = indicator_table([
...     indicator_row("Helsinki", "buildings_exposed", 12, scenario="RP100"),
...     indicator_row("Helsinki", "green_access_share", 81.5),
... ])
>>> list(table.columns)  # doctest: +NORMALIZE_WHITESPACE
['city', 'theme', 'indicator', 'scenario', 'year', 'value', 'unit', 'source',
 'framework', 'code']
>>> table.loc[0, "unit"], table.loc[1, "theme"]
('buildings', 'green')
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from urbanrisk.errors import InputValueError
from urbanrisk.green.singapore import CBI_SPATIAL, CBI_SPATIAL_BANDS

__all__ = [
    "COLUMNS",
    "FRAMEWORKS",
    "THEMES",
    "Indicator",
    "REGISTRY",
    "indicator_row",
    "indicator_table",
    "empty_indicator_table",
    "registry_table",
    "registry_markdown",
]

#: Columns of every indicator table, in order.
COLUMNS: tuple[str, ...] = (
    "city", "theme", "indicator", "scenario", "year", "value", "unit", "source",
    "framework", "code",
)

#: Reporting frameworks, in the order the reporting export writes them.
FRAMEWORKS: tuple[str, ...] = (
    "Sendai", "ISO 37123", "UNDRR Scorecard", "SDG", "WHO", "ISO 37120", "CBI-2014",
    "CBI-2021", "CBI",
)

#: Themes in the order the report shows them.
THEMES: tuple[str, ...] = ("hazard", "heat", "green", "coast", "shoreline", "adapt")

_DTYPES = {
    "city": "string",
    "theme": "string",
    "indicator": "string",
    "scenario": "string",
    "year": "Int64",
    "value": "float64",
    "unit": "string",
    "source": "string",
    "framework": "string",
    "code": "string",
}


@dataclass(frozen=True)
class Indicator:
    """One indicator of the city profile.

    Parameters
    ----------
    key : str
        Identifier used in the ``indicator`` column.
    theme : str
        One of :data:`THEMES`.
    title : str
        Short human-readable name.
    unit : str
        Unit of ``value``.
    definition : str
        What is counted or measured, precisely enough to recompute it.
    source : str
        Method and function of urbanrisk that computes it, with its citation.
    scenario : str
        What the ``scenario`` column holds for this indicator (empty if unused).
    framework : str
        Reporting framework of the indicator (:data:`FRAMEWORKS`): ``"Sendai"``,
        ``"SDG"``, ``"CBI-2014"``, ``"CBI-2021"``, ``"ISO 37123"``, ``"UNDRR Scorecard"``
        ...; ``"urbanrisk"`` for the library's own indicators.
    code : str
        The framework's code (``"B-3"``, ``"11.7.1"``, ``"CBI-2021 #13"``, ``"5.2"``); the
        key for urbanrisk's own indicators.
    verified : str
        How the framework's definition was verified (tags of
        ``references/reporting_frameworks.md``: ``[P]`` primary text read, ``[P-toc]`` its
        table of contents only, ``[S]`` a secondary transcription, ``[U]`` unverified
        recall); empty for urbanrisk's own indicators.
    """

    key: str
    theme: str
    title: str
    unit: str
    definition: str
    source: str
    scenario: str = ""
    framework: str = "urbanrisk"
    code: str = ""
    verified: str = ""


_HAZ_EXPOSURE = "urbanrisk.hazard.exposure"
_HAZ_IMPACT = "urbanrisk.hazard.impact; JRC global depth-damage curves (Huizinga et al. 2017)"
_GREEN = "urbanrisk.green"
_CBI = ("CBI Handbook (Chan et al. 2021, CBD Technical Series 98) or User's Manual "
        "(Chan et al. 2014)")
_COAST = "urbanrisk.coast; IPCC AR6 WG1 Table 9.9 (Fox-Kemper et al. 2021)"
_SHORE = "urbanrisk.coast.shoreline; USGS DSAS (Himmelstoss et al. 2021)"
_RP = "return period, e.g. RP100"
_SLR = "SSP scenario and quantile, e.g. 'SSP5-8.5 q0.5'"

_INDICATORS: list[Indicator] = [
    # --- flood hazard -----------------------------------------------------------------
    Indicator(
        "buildings_exposed", "hazard", "Buildings exposed to flooding", "buildings",
        "Number of buildings whose footprint has a maximum flood depth above the depth "
        "threshold of the profile (exact cell coverage, not the cell-centre rule).",
        _HAZ_EXPOSURE, _RP,
    ),
    Indicator(
        "people_exposed", "hazard", "People exposed to flooding", "people",
        "Residents of the population grid living in cells where the flood depth is above the "
        "depth threshold (hazard resampled to the population grid without creating or losing "
        "people).",
        _HAZ_EXPOSURE, _RP,
    ),
    Indicator(
        "roads_exposed_km", "hazard", "Road length exposed to flooding", "km",
        "Length of the road network lying in cells whose flood depth is above the depth "
        "threshold, lines split exactly at cell boundaries.",
        _HAZ_EXPOSURE, _RP,
    ),
    Indicator(
        "damage", "hazard", "Building damage", "EUR",
        "Sum over buildings of value × damage fraction from the JRC depth-damage curve of "
        "its occupancy class at the mean depth over the wet part of its footprint, × the wet "
        "share of the footprint (Delft-FIAT's area rule), for the event of the given return "
        "period.",
        _HAZ_IMPACT, _RP,
    ),
    Indicator(
        "ead", "hazard", "Expected annual damage", "EUR/yr",
        "Integral of building damage over annual exceedance probability (the rule named in "
        "the method notes), summed over buildings.",
        _HAZ_IMPACT,
    ),
    Indicator(
        "ead_lower", "hazard", "Expected annual damage, lower bound", "EUR/yr",
        "Lower bound of the expected annual damage: each probability interval between two "
        "mapped return periods takes the damage of its more frequent event, the damage of "
        "the largest return period is held beyond the largest return period (to "
        "probability 0), and events more frequent than the smallest return period do no "
        "damage (CLIMADA's EAD).",
        _HAZ_IMPACT,
    ),
    Indicator(
        "ead_upper", "hazard", "Expected annual damage, upper bound", "EUR/yr",
        "Upper bound of the expected annual damage: each probability interval between two "
        "mapped return periods takes the larger of its two events' damages (the rarer "
        "event's for a damage growing with the return period), the damage of the largest "
        "return period is held beyond it (to probability 0), and events more frequent than "
        "the smallest return period do no damage, as for the lower bound.",
        _HAZ_IMPACT,
    ),
    # --- heat ---------------------------------------------------------------------------
    Indicator(
        "heat_hotspot_area_km2", "heat", "Area of heat hot spots", "km2",
        "Area of land-surface-temperature cells classified as hot spots (above the city's "
        "percentile threshold of the profile).",
        "urbanrisk.hazard.heat (hot-spot classification)",
    ),
    Indicator(
        "people_heat_hotspot", "heat", "People in heat hot spots", "people",
        "Residents of the population grid living in heat hot-spot cells.",
        "urbanrisk.hazard.heat",
    ),
    # --- green ---------------------------------------------------------------------------
    Indicator(
        "habitat_patches", "green", "Habitat patches", "patches",
        "Number of habitat patches after dissolving touching parts and dropping patches "
        "smaller than the minimum area.",
        _GREEN + ".patches",
    ),
    Indicator(
        "habitat_area_ha", "green", "Habitat area", "ha",
        "Total area of the habitat patches.",
        _GREEN + ".patches",
    ),
    Indicator(
        "pc", "green", "Probability of Connectivity (PC)", "1",
        "PC = Σ_i Σ_j a_i a_j p*_ij / A_L², with p*_ij the maximum product probability over "
        "all paths and p_ij = exp(−k d_ij) from the dispersal kernel; A_L the landscape "
        "(city) area (Saura & Pascual-Hortal 2007, definition of PC).",
        _GREEN + ".metrics; Saura & Pascual-Hortal (2007)",
    ),
    Indicator(
        "eca_ha", "green", "Equivalent Connected Area (ECA)", "ha",
        "ECA = sqrt(Σ_i Σ_j a_i a_j p*_ij): the area of a single patch that would give the "
        "same connectivity (Saura et al. 2011).",
        _GREEN + ".metrics; Saura et al. (2011)",
    ),
    Indicator(
        "eca_share", "green", "ECA as share of habitat area", "%",
        "100 × ECA / total habitat area: 100 % when all habitat is one connected patch.",
        _GREEN + ".metrics; Saura et al. (2011)",
    ),
    Indicator(
        "cbi1_natural_area_share", "green", "CBI indicator 1: proportion of natural areas", "%",
        "100 × natural area / city area (Singapore Index on Cities' Biodiversity, indicator 1).",
        _GREEN + ".indicators; " + _CBI,
        framework="CBI", code="#1 (edition of green.cbi_version)",
        verified="[S] formula (manual as transcribed)",
    ),
    Indicator(
        "cbi1_score", "green", "CBI indicator 1 score", "points",
        "Scoring points (0–4) of indicator 1 in the edition `green.cbi_version` (2021 "
        "Handbook or 2014 User's Manual; the same bands in both, not verified in the "
        "primary text).",
        _GREEN + ".indicators; " + _CBI,
        framework="CBI", code="#1 score (edition of green.cbi_version)",
        verified="[U] 2014 bands; [S] 2021 bands",
    ),
    Indicator(
        "cbi2_connectivity_ha", "green", "CBI indicator 2: connectivity (effective mesh size)",
        "ha",
        "Effective mesh size of natural areas: Σ A_g² / A_total over groups of patches less "
        "than 100 m apart unless a barrier separates them, A_total the total natural area "
        "(CBI indicator 2 of the 2014 User's Manual; Jaeger 2000). Barriers: roads ≥ 15 m "
        "wide or > 5,000 vehicles/day (OSM highway class when unknown), railways only if "
        "`green.cbi_railway_barriers`.",
        _GREEN + ".indicators; " + _CBI,
        framework="CBI-2014", code="CBI-2014 #2",
        verified="[S] formula; 100 m rule and barriers [S]",
    ),
    Indicator(
        "cbi2_coherence_pct", "green", "CBI indicator 2: landscape coherence", "%",
        "100 × effective mesh size / total natural area = 100 × Σ A_g² / A_total²: the "
        "quantity the 2021 Handbook scores for indicator 2 (as computed by WRI, after "
        "Deslauriers et al. 2018).",
        _GREEN + ".indicators; " + _CBI,
        framework="CBI-2021", code="CBI-2021 #2",
        verified="[S] (WRI, after Deslauriers et al. 2018)",
    ),
    Indicator(
        "cbi2_score", "green", "CBI indicator 2 score", "points",
        "Scoring points (0–4) of indicator 2 in the edition `green.cbi_version`: 2021 "
        "scores the coherence (%), 2014 the effective mesh size (ha); not comparable. "
        "Bands not verified in the primary text (see the green user guide).",
        _GREEN + ".indicators; " + _CBI,
        framework="CBI", code="#2 score (edition of green.cbi_version)",
        verified="[U] 2014 bands; [S] 2021 bands",
    ),
    Indicator(
        "green_access_share", "green", "Residents with access to green space", "%",
        "Share of residents living within the walking distance of a green area of at least "
        "the minimum size of the profile.",
        _GREEN + ".indicators",
        framework="WHO", code="300 m straight-line access (2016)",
        verified="[U] threshold recalled; WHO 2016 report read to its abstract only",
    ),
    Indicator(
        "best_candidate_eca_gain_ha", "green", "ECA gain of the best candidate site", "ha",
        "Increase of ECA if the best-ranked candidate site were made habitat.",
        _GREEN + ".planning",
    ),
    # --- coast ---------------------------------------------------------------------------
    Indicator(
        "sea_level_rise_m", "coast", "Sea-level rise", "m",
        "Sea-level rise relative to 1995–2014 at the year, including vertical land motion "
        "(IPCC AR6 global mean, interpolated between published years).",
        _COAST, _SLR,
    ),
    Indicator(
        "sea_area_km2", "coast", "Area reached by the sea", "km2",
        "Land area (cells above the present water level) hydrologically connected to the sea "
        "and below the projected water level (priority-flood, Barnes et al. 2014).",
        _COAST, _SLR,
    ),
    Indicator(
        "sea_people", "coast", "People reached by the sea", "people",
        "Residents of the population grid living in land cells reached by the sea.",
        _COAST, _SLR,
    ),
    Indicator(
        "sea_buildings", "coast", "Buildings reached by the sea", "buildings",
        "Number of buildings first reached by the sea in or before the year.",
        _COAST, _SLR,
    ),
    # --- shoreline -----------------------------------------------------------------------
    Indicator(
        "shoreline_transects", "shoreline", "Transects with a trend", "transects",
        "Number of transects with enough dated shoreline intersections for a linear "
        "regression rate.",
        _SHORE,
    ),
    Indicator(
        "shoreline_lrr_median_m_yr", "shoreline", "Median shoreline change rate (LRR)", "m/yr",
        "Median over transects of the linear regression rate of shoreline position; "
        "negative = erosion (landward), positive = accretion.",
        _SHORE,
    ),
    Indicator(
        "shoreline_lrr_min_m_yr", "shoreline", "Fastest erosion rate (LRR)", "m/yr",
        "Minimum over transects of the linear regression rate (the most eroding transect).",
        _SHORE,
    ),
    Indicator(
        "shoreline_eroding_share", "shoreline", "Share of eroding transects", "%",
        "Share of transects whose linear regression rate is negative.",
        _SHORE,
    ),
]

# --- reporting frameworks -------------------------------------------------------------
_SENDAI = "urbanrisk.hazard.sendai; Sendai Framework indicators, UNGA A/71/644 (2017)"
_MODELLED = "modelled scenario, e.g. 'modelled, RP100'"
_SCORECARD = ("UNDRR Disaster Resilience Scorecard for Cities, Preliminary Level Assessment "
              "Tool v1.0 (2017)")
_SCORECARD_SCENARIO = "'most probable, modelled RP10' or 'most severe, modelled RP500'"


def _sendai(code: str, title: str, unit: str, definition: str, verified: str) -> Indicator:
    return Indicator(f"sendai_{code.lower().replace('-', '')}", "hazard",
                     f"Sendai {code} (modelled): {title}", unit, definition, _SENDAI,
                     _MODELLED, framework="Sendai", code=code, verified=verified)


def _cbi_rows() -> list[Indicator]:
    rows = []
    for version in ("2014", "2021"):
        for name, ind in CBI_SPATIAL.items():
            num = ind.number_2014 if version == "2014" else ind.number_2021
            if num is None:
                continue
            bands = CBI_SPATIAL_BANDS[(name, version)]
            code = f"CBI-{version} #{num}"
            src = f"urbanrisk.green.singapore; {bands.source}"
            key = f"cbi{version}_{num:02d}_{name}"
            rows.append(Indicator(
                key, "green", f"{code}: {ind.title}", bands.unit,
                f"{ind.formula}.", src, framework=f"CBI-{version}", code=code,
                verified=f"[S] formula (secondary transcription); bands {bands.verified}",
            ))
            rows.append(Indicator(
                f"{key}_score", "green", f"{code} score", "points",
                f"Points (0-4) of {code}; bands {bands.printed} (a value in a gap between "
                "printed bands scores the lower band).", src, framework=f"CBI-{version}",
                code=f"{code} score", verified=bands.verified,
            ))
        rows.append(Indicator(
            f"cbi{version}_points", "green", f"CBI-{version}: points of the computed map "
            "indicators", "points",
            "Sum of the scores of the map indicators that could be computed; out of "
            f"cbi{version}_max_points (the full index has "
            f"{92 if version == '2014' else 112} points).",
            "urbanrisk.green.singapore", framework=f"CBI-{version}",
            code=f"CBI-{version} total", verified="",
        ))
        rows.append(Indicator(
            f"cbi{version}_max_points", "green", f"CBI-{version}: maximum points of the "
            "computed map indicators", "points", "4 × the number of computed map indicators.",
            "urbanrisk.green.singapore", framework=f"CBI-{version}",
            code=f"CBI-{version} maximum", verified="",
        ))
    return rows


_INDICATORS += [
    _sendai("B-1", "directly affected people per 100,000", "people per 100,000",
            "(B-3 + B-4) / city population × 100,000: the computable parts of B-1 "
            "(\"Number of directly affected people attributed to disasters, per 100,000 "
            "population\"). B-2 (injured or ill) and B-5 (livelihoods) are not modelled; "
            "the composition B-1 = B-2 + B-3 + B-4 + B-5 was not read in the UNDRR "
            "technical guidance.", "[P] wording; [U] composition"),
    _sendai("B-3", "people in damaged dwellings", "people",
            "\"Number of people whose damaged dwellings were attributed to disasters\": "
            "dwellings of housing-sector buildings with a damage ratio above 0 and below "
            "reporting.destroyed_damage_ratio, × reporting.persons_per_dwelling.", "[P]"),
    _sendai("B-4", "people in destroyed dwellings", "people",
            "\"Number of people whose destroyed dwellings were attributed to disasters\": "
            "dwellings of housing-sector buildings with a damage ratio at or above "
            "reporting.destroyed_damage_ratio (no longer habitable, DesInventar's "
            "definition; the ratio is a modelling choice), × persons per dwelling.", "[P]"),
    _sendai("C-1", "direct economic loss relative to city product", "%",
            "100 × (C-2 + C-3 + C-4 + C-5 + C-6) / city product (SDG 1.5.2 formula, with "
            "the city product in place of the global GDP), over the parts computed (C-2 and "
            "C-6 are not modelled).",
            "[P] wording and SDG formula; [U] city product as denominator"),
    _sendai("C-3", "direct loss of productive assets", "EUR",
            "Damage of the buildings of reporting.productive_classes (JRC curves, as "
            "`damage`).", "[P]"),
    _sendai("C-4", "direct loss in the housing sector", "EUR",
            "Damage of the buildings of reporting.housing_classes (JRC curves, as "
            "`damage`).", "[P]"),
    _sendai("C-5", "direct loss of critical infrastructure", "EUR",
            "Roads: Σ length (km) × reporting.road_cost_per_km × JRC infrastructure "
            "depth-damage fraction, roads split at cell boundaries.", "[P]"),
    _sendai("D-2", "health facilities damaged or destroyed", "facilities",
            "Facilities of reporting.health_types in water deeper than "
            "reporting.facility_depth_m.", "[S]"),
    _sendai("D-3", "educational facilities damaged or destroyed", "facilities",
            "Facilities of reporting.education_types in water deeper than "
            "reporting.facility_depth_m.", "[S]"),
    _sendai("D-4", "other critical facilities damaged or destroyed", "facilities",
            "Every other facility of the `facilities` layer in water deeper than "
            "reporting.facility_depth_m.", "[S]"),
    Indicator(
        "iso37123_5_2", "hazard", "ISO 37123 5.2: average annual disaster loss as a "
        "percentage of city product", "%",
        "100 × expected annual damage (ead) / reporting.city_product. Only the title of 5.2 "
        "was read; its numerator and denominator clauses (5.2.2) were not.",
        "urbanrisk.hazard.sendai.annual_loss_percent; ISO 37123:2019 §5.2", "modelled EAD",
        framework="ISO 37123", code="5.2",
        verified="[P-toc] title; [U] measurement clauses",
    ),
    Indicator(
        "scorecard_p2_3_people", "hazard", "Scorecard P2.3: people exposed in a named "
        "scenario", "people",
        "Residents in water deeper than the depth threshold in the scenario the city names "
        "most probable or most severe (reporting.most_probable_rp, most_severe_rp).",
        _SCORECARD, _SCORECARD_SCENARIO, framework="UNDRR Scorecard", code="P2.3",
        verified="[P] question; the scenario numbers it asks for are urbanrisk's reading",
    ),
    Indicator(
        "scorecard_p2_3_buildings", "hazard", "Scorecard P2.3: buildings exposed in a "
        "named scenario", "buildings", "Buildings exposed (buildings_exposed) in the named "
        "scenario.", _SCORECARD, _SCORECARD_SCENARIO, framework="UNDRR Scorecard",
        code="P2.3", verified="[P] question; [U] which numbers",
    ),
    Indicator(
        "scorecard_p2_3_loss", "hazard", "Scorecard P2.3: direct economic loss in a named "
        "scenario", "EUR", "Building damage (damage) plus road damage of the named scenario.",
        _SCORECARD, _SCORECARD_SCENARIO, framework="UNDRR Scorecard", code="P2.3",
        verified="[P] question; [U] which numbers",
    ),
    Indicator(
        "scorecard_p8_8_education", "hazard", "Scorecard P8.8: education structures at risk",
        "%", "\"% of education structures at risk of damage from 'most probable' and 'most "
        "severe' scenarios\": 100 × educational facilities damaged (D-3) / educational "
        "facilities.", _SCORECARD, _SCORECARD_SCENARIO, framework="UNDRR Scorecard",
        code="P8.8", verified="[P]",
    ),
    Indicator(
        "sdg_11_7_1_open_space", "green", "SDG 11.7.1: open public space and streets, share "
        "of the city", "%",
        "100 × (open public space + land allocated to streets) / city area; streets as "
        "length × reporting.street_width_m; open space from `open_space` (else `green`); "
        "the city is the districts' area (the metadata asks for the built-up area per the "
        "Degree of Urbanisation).",
        "urbanrisk.green.sdg.open_public_space_share; UN SDG metadata 11.7.1",
        framework="SDG", code="11.7.1", verified="[P]",
    ),
    Indicator(
        "sdg_11_7_1_access", "green", "SDG 11.7.1: residents within 400 m walk of open "
        "public space", "%",
        "100 × residents within reporting.walk_distance_m (400 m) of an open public space "
        "along the street network (`roads`, multi-source Dijkstra) / residents. How "
        "residents and open spaces join the network is urbanrisk's choice (nearest street; "
        "entrances where a street comes within reporting.entrance_distance_m).",
        "urbanrisk.green.sdg.network_access; UN SDG metadata 11.7.1",
        framework="SDG", code="11.7.1 (access)", verified="[P] 400 m network rule",
    ),
    Indicator(
        "iso37123_8_8", "green", "ISO 37123 8.8: city land area covered by tree canopy", "%",
        "100 × area of reporting.canopy_classes / city area (land cover). Title [S]; the "
        "measurement clause was not read.",
        "urbanrisk.green.singapore; ISO 37123:2019 §8.8", framework="ISO 37123", code="8.8",
        verified="[S] title; [U] formula",
    ),
    Indicator(
        "iso37123_21_2", "green", "ISO 37123 21.2: pervious land as a percentage of city "
        "land area", "%",
        "100 × area of reporting.permeable_classes / terrestrial city area (land cover; "
        "porous pavement is not visible in land cover). Title [S]; the measurement clause "
        "was not read.", "urbanrisk.green.singapore; ISO 37123:2019 §21.2",
        framework="ISO 37123", code="21.2", verified="[S] title; [U] formula",
    ),
    Indicator(
        "iso37120_green_area", "green", "ISO 37120: green area (hectares) per 100 000 "
        "population", "ha per 100,000",
        "Green area (ha, the `green` layer inside the city, dissolved) / (population / "
        "100,000). ISO 37120:2014 19.1 (21.1 in the 2018 edition [U]); what counts as "
        "green area was not read.", "urbanrisk.green.singapore; ISO 37120:2014 §19.1",
        framework="ISO 37120", code="19.1 (2014)", verified="[S] title and formula pattern",
    ),
]
_INDICATORS += _cbi_rows()

# --- adaptation pathways (urbanrisk.adapt) ----------------------------------------------
_ADAPT = ("urbanrisk.adapt; IPCC AR6 WG1 Table 9.9 (Fox-Kemper et al. 2021); Dynamic "
          "Adaptive Policy Pathways (Haasnoot et al. 2013)")
_PATHWAY_SLR = "pathway and SSP scenario and quantile, e.g. 'protect | SSP5-8.5 q0.5'"
_INDICATORS += [
    Indicator(
        "adapt_ead_eur_yr", "adapt", "Coastal expected annual damage without adaptation",
        "EUR/yr",
        "Expected annual building damage from coastal floods in the year, doing nothing: "
        "extreme still-water levels of adapt.return_periods plus relative sea-level rise, "
        "connected flood depth over exact footprints, JRC depth-damage curves, integrated "
        "over annual exceedance probability by the hazard.ead_rule rule (flat rare tail).",
        _ADAPT, _SLR,
    ),
    Indicator(
        "adapt_npv_eur", "adapt", "Net present value of an adaptation pathway", "EUR",
        "Present value of the expected annual damage avoided against doing nothing minus "
        "the present value of the pathway's costs, over the years of adapt.years, "
        "discounted as adapt.discount says (constant rate or UK Green Book schedule).",
        _ADAPT, _PATHWAY_SLR,
    ),
    Indicator(
        "adapt_bcr", "adapt", "Benefit-cost ratio of an adaptation pathway", "1",
        "Present value of the damage avoided against doing nothing / present value of the "
        "pathway's costs (same discounting as adapt_npv_eur).",
        _ADAPT, _PATHWAY_SLR,
    ),
    Indicator(
        "adapt_tipping_year", "adapt", "Adaptation tipping point (protection standard)",
        "year",
        "First year, from the year the pathway's first option is in place, in which the "
        "flood of return period adapt.protection_standard_years floods a standing building "
        "of the zone (maximum depth above hazard.depth_threshold_m); empty when the "
        "standard holds through the last year of adapt.years.",
        _ADAPT, "pathway, zone ('all': the city) and SSP scenario and quantile, e.g. "
        "'protect | all | SSP5-8.5 q0.5'",
    ),
]

#: Every indicator, by key.
REGISTRY: dict[str, Indicator] = {ind.key: ind for ind in _INDICATORS}
if len(REGISTRY) != len(_INDICATORS):  # pragma: no cover - guards edits of the list
    raise RuntimeError("duplicate indicator key in the registry")


def indicator_row(
    city: str,
    key: str,
    value: float,
    *,
    scenario: str | None = None,
    year: int | None = None,
) -> dict:
    """One row of the indicator table, with theme, unit and source from the registry.

    Parameters
    ----------
    city : str
        City name.
    key : str
        Indicator key in :data:`REGISTRY`.
    value : float
        The value, in the registry's unit.
    scenario : str, optional
        Return period (``"RP100"``) or sea-level scenario and quantile.
    year : int, optional
        Year the value refers to.

    Raises
    ------
    InputValueError
        For an unknown indicator key.

    Examples
    --------
    >>> indicator_row("Oslo", "ead", 1.5e6)["unit"]
    'EUR/yr'
    """
    try:
        ind = REGISTRY[key]
    except KeyError:
        raise InputValueError(
            f"unknown indicator {key!r}; add it to urbanrisk.profile.indicators.REGISTRY "
            f"first. Known: {', '.join(sorted(REGISTRY))}."
        ) from None
    return {
        "city": city,
        "theme": ind.theme,
        "indicator": key,
        "scenario": scenario,
        "year": None if year is None else int(year),
        "value": float(value) if value is not None else np.nan,
        "unit": ind.unit,
        "source": ind.source,
        "framework": ind.framework,
        "code": ind.code or key,
    }


def empty_indicator_table() -> pd.DataFrame:
    """Make an indicator table with no rows and the standard columns and dtypes.

    Examples
    --------
    >>> empty_indicator_table().dtypes["year"]
    Int64Dtype()
    """
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in _DTYPES.items()})


def indicator_table(rows: Iterable[dict] | pd.DataFrame) -> pd.DataFrame:
    """Build the tidy indicator table from rows made by :func:`indicator_row`.

    ``rows`` may also be a table with the standard columns (e.g. several cities' tables
    concatenated, or one read back from CSV); it is given the standard dtypes and order.
    Rows are sorted by theme (in :data:`THEMES` order), then registry order, scenario and
    year, so the table of a given city is always the same bytes when written.

    Examples
    --------
    >>> t = indicator_table([indicator_row("A", "pc", 0.1), indicator_row("A", "ead", 5.0)])
    >>> t["indicator"].tolist()
    ['ead', 'pc']
    """
    if isinstance(rows, pd.DataFrame):
        df = rows.reindex(columns=list(COLUMNS)).copy()
        if df.empty:
            return empty_indicator_table()
    else:
        rows = list(rows)
        if not rows:
            return empty_indicator_table()
        df = pd.DataFrame(rows, columns=list(COLUMNS))
    df = df.astype(_DTYPES)
    order = {k: i for i, k in enumerate(REGISTRY)}
    theme_order = {t: i for i, t in enumerate(THEMES)}
    df["_t"] = df["theme"].map(theme_order)
    df["_k"] = df["indicator"].map(order)
    df["_s"] = df["scenario"].fillna("").map(_natural)
    df["_y"] = df["year"].fillna(-1)
    df["_k"] = df["_k"].fillna(len(order))
    df["_t"] = df["_t"].fillna(len(theme_order))
    df = df.sort_values(["city", "_t", "_k", "_s", "_y"], kind="stable")
    df = df.drop(columns=["_t", "_k", "_s", "_y"]).reset_index(drop=True)
    return df.astype(_DTYPES)


def _natural(text: str) -> str:
    """Sort key with whole numbers zero-padded: RP10 < RP50 < RP100, q0.17 < q0.5."""
    return re.sub(r"(?<![.\d])\d+", lambda m: m.group().zfill(10), str(text))


def registry_table() -> pd.DataFrame:
    """Return the registry as a table.

    Columns: key, theme, title, unit, scenario, definition, source, framework, code and
    verified (how the framework's definition was verified).

    Examples
    --------
    >>> "eca_ha" in registry_table()["key"].tolist()
    True
    """
    return pd.DataFrame(
        [
            {
                "key": i.key,
                "theme": i.theme,
                "title": i.title,
                "unit": i.unit,
                "scenario": i.scenario,
                "definition": i.definition,
                "source": i.source,
                "framework": i.framework,
                "code": i.code or i.key,
                "verified": i.verified,
            }
            for i in _INDICATORS
        ]
    )


def registry_markdown() -> str:
    """Render the indicator definitions as a MyST Markdown page (``docs/indicators.md``).

    Examples
    --------
    >>> registry_markdown().splitlines()[0]
    '# Indicators'
    """
    lines = [
        "# Indicators",
        "",
        "<!-- Generated by docs/gen_indicators.py from urbanrisk.profile.indicators.REGISTRY;",
        "     do not edit by hand. -->",
        "",
        "Every city profile produces a tidy indicator table with the columns "
        + ", ".join(f"`{c}`" for c in COLUMNS)
        + ". The schema is the same for every city, so the tables of many cities "
        "concatenate. The `scenario` column holds the return period (`RP100`) for flood "
        "indicators and the sea-level scenario and quantile (`SSP5-8.5 q0.5`) for coastal "
        "ones; `year` is set for coastal indicators. `framework` and `code` name the "
        "reporting framework and its code for the indicators that fill one (Sendai, SDG "
        "11.7.1, the Singapore Index, ISO 37120/37123, the UNDRR Scorecard; `urbanrisk` "
        "and the key for the library's own); the verification tags say how the framework's "
        "definition was checked ([P] primary text, [P-toc] its table of contents only, [S] "
        "a secondary transcription, [U] unverified), see "
        "[Reporting frameworks](user_guide/reporting.md). This page is generated from the "
        "registry in `urbanrisk.profile.indicators`; `urbanrisk indicators` prints the same "
        "list.",
        "",
    ]
    for theme in THEMES:
        members = [i for i in _INDICATORS if i.theme == theme]
        if not members:
            continue
        lines += [f"## {theme.capitalize()}", ""]
        for i in members:
            lines += [
                f"### `{i.key}`",
                "",
                f"**{i.title}** — unit: `{i.unit}`"
                + (f"; scenario: {i.scenario}" if i.scenario else ""),
                "",
                i.definition,
                "",
                f"*Source:* {i.source}",
                "",
            ]
            if i.framework != "urbanrisk":
                lines += [
                    f"*Framework:* {i.framework}, code `{i.code}`"
                    + (f"; *definition verified:* {i.verified}" if i.verified else ""),
                    "",
                ]
    return "\n".join(lines).rstrip() + "\n"
