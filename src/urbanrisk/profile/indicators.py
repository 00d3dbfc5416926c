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
>>> list(table.columns)
['city', 'theme', 'indicator', 'scenario', 'year', 'value', 'unit', 'source']
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

__all__ = [
    "COLUMNS",
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
)

#: Themes in the order the report shows them.
THEMES: tuple[str, ...] = ("hazard", "heat", "green", "coast", "shoreline")

_DTYPES = {
    "city": "string",
    "theme": "string",
    "indicator": "string",
    "scenario": "string",
    "year": "Int64",
    "value": "float64",
    "unit": "string",
    "source": "string",
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
    """

    key: str
    theme: str
    title: str
    unit: str
    definition: str
    source: str
    scenario: str = ""


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
    ),
    Indicator(
        "cbi1_score", "green", "CBI indicator 1 score", "points",
        "Scoring points (0–4) of indicator 1 in the edition `green.cbi_version` (2021 "
        "Handbook or 2014 User's Manual; the same bands in both, not verified in the "
        "primary text).",
        _GREEN + ".indicators; " + _CBI,
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
    ),
    Indicator(
        "cbi2_coherence_pct", "green", "CBI indicator 2: landscape coherence", "%",
        "100 × effective mesh size / total natural area = 100 × Σ A_g² / A_total²: the "
        "quantity the 2021 Handbook scores for indicator 2 (as computed by WRI, after "
        "Deslauriers et al. 2018).",
        _GREEN + ".indicators; " + _CBI,
    ),
    Indicator(
        "cbi2_score", "green", "CBI indicator 2 score", "points",
        "Scoring points (0–4) of indicator 2 in the edition `green.cbi_version`: 2021 "
        "scores the coherence (%), 2014 the effective mesh size (ha); not comparable. "
        "Bands not verified in the primary text (see the green user guide).",
        _GREEN + ".indicators; " + _CBI,
    ),
    Indicator(
        "green_access_share", "green", "Residents with access to green space", "%",
        "Share of residents living within the walking distance of a green area of at least "
        "the minimum size of the profile.",
        _GREEN + ".indicators",
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
    """Return the registry as a table (key, theme, title, unit, scenario, definition, source).

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
        "ones; `year` is set for coastal indicators. This page is generated from the "
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
    return "\n".join(lines).rstrip() + "\n"
