"""The analysis steps of a city profile: each calls the public API of one analysis package.

Nothing here computes an analysis result itself. Each ``run_<analysis>`` function reads
the layers and parameters from the :class:`Context`, calls the public functions of
:mod:`urbanrisk.hazard`, :mod:`urbanrisk.green` or :mod:`urbanrisk.coast`, and records into
an :class:`~urbanrisk.profile.results.AnalysisResult`: indicator rows (made through the
registry), vector/raster/table results to export, maps to draw and method notes. The only
arithmetic done here is bookkeeping on their outputs (counting rows above a threshold,
summing a column, converting m² to km²).

The theme functions are plain imports, so a renamed function fails in CI and every
editor can follow the call. A step that lacks an input it needs raises
:class:`~urbanrisk.profile.results.AnalysisUnavailable`, and is skipped with that reason rather
than filled with made-up numbers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import xarray as xr

from urbanrisk.adapt import (
    Accommodate,
    Pathway,
    Protect,
    ProtectionStandard,
    Retreat,
    appraise,
    building_cells,
    fan_chart,
    flood_levels,
    pathways_map,
    risk_over_time,
    tipping_points,
)
from urbanrisk.coast import (
    VerticalReference,
    annual_years,
    ar6_global_mean_sea_level,
    asset_timeline,
    assets_reached,
    cast_transects,
    connection_level,
    inundation_area,
    inundation_depth,
    land_reached,
    points_seaward,
    reference_dem,
    relative_sea_level,
    sea_seed,
    shoreline_change_statistics,
    shoreline_intersections,
    summarize_rates,
    water_levels,
)
from urbanrisk.green import (
    LANDCOVER_ROLES,
    DispersalKernel,
    area_share,
    best_sites,
    candidate_sites,
    cbi_barriers,
    cbi_connectivity,
    cbi_natural_areas,
    cbi_spatial_index,
    green_access,
    landcover_role_areas,
    landscape_area,
    network_access,
    open_public_space_share,
    patch_graph,
    patch_importance,
    patches_from_landcover,
    patches_from_polygons,
    probability_of_connectivity,
    rank_candidates,
    recreation_per_1000,
    residents_near,
    residents_within,
)
from urbanrisk.hazard import (
    annual_loss_percent,
    asset_damage,
    building_damage_ratio,
    exposed_population,
    facilities_damaged,
    flood_building_exposure,
    flood_risk,
    flood_road_exposure,
    heat_exposure,
    hot_population_cells,
    hot_spot_area_m2,
    hot_spots,
    housing_impact,
    jrc_class_for_occupancy,
    jrc_curve,
    jrc_curves_for_occupancy,
    jrc_max_damage_for_occupancy,
    people_above,
    road_damage,
    sector_loss,
    sendai_indicators,
)
from urbanrisk.layers import prepare_raster
from urbanrisk.profile.config import ProfileConfig
from urbanrisk.profile.indicators import REGISTRY, indicator_row
from urbanrisk.profile.plan import NO_DAMAGE_VALUE, building_use_default, no_layer
from urbanrisk.profile.reporting import reporting_frame
from urbanrisk.profile.results import (
    AnalysisResult,
    AnalysisUnavailable,
    MapSpec,
    interrupted,
    slug,
)

logger = logging.getLogger(__name__)

#: Progress steps per analysis (for the progress bars).
STEP_COUNTS = {"hazard": 5, "heat": 2, "green": 7, "coast": 5, "shoreline": 2}


@dataclass
class Context:
    """What every step sees: the configuration, the input layers, earlier results."""

    config: ProfileConfig
    layers: dict[str, Any]
    results: dict[str, AnalysisResult]

    @property
    def city(self) -> str:
        """City name."""
        return self.config.city

    @property
    def credit(self) -> str:
        """Data credit for maps."""
        return self.config.credit


def rp_label(rp: Any) -> str:
    """Scenario label of a return period: ``RP100``."""
    return f"RP{int(rp)}"


def slr_label(scenario: str, quantile: float) -> str:
    """Scenario label of a sea-level projection: ``SSP5-8.5 q0.5``."""
    return f"{scenario} q{float(quantile):g}"


def _in_metres(da: xr.DataArray, name: str) -> xr.DataArray:
    """``da`` in metres (converted from any length unit), so ``*_m`` thresholds apply."""
    return prepare_raster(da, name=name, to_units="m",
                          allowed_dims=[d for d in da.dims if d not in ("y", "x")])


# ======================================================================================
# Flood hazard: exposure, damage, EAD
# ======================================================================================
def run_hazard(ctx: Context, res: AnalysisResult, tick: Callable[[int], Any]) -> None:
    """Count buildings, roads and people exposed per return period; damage and EAD."""
    sec = ctx.config.section("hazard")
    thr = float(sec["depth_threshold_m"])
    depth: xr.DataArray = ctx.layers["flood_depth"]
    if "return_period" not in depth.dims:
        raise AnalysisUnavailable(
            "flood_depth has no return_period dimension; give one file per return period "
            "in [layers.flood_depth] (e.g. 10 = \"rp10.tif\")"
        )
    if sec["return_periods"]:
        depth = depth.sel(return_period=sec["return_periods"])
    # depth_threshold_m and the flood_depth_m columns are in metres: so is the depth
    depth = _in_metres(depth, "flood_depth")
    buildings: gpd.GeoDataFrame | None = ctx.layers.get("buildings")
    city = ctx.city
    # hazard.nodata_is_dry: a NaN cell inside a flood map is dry (depth 0); outside the
    # map stays unknown (NaN) in any case
    dry = 0.0 if sec["nodata_is_dry"] else None
    left_out: list[str] = []
    zones, zc = _districts(ctx, res)

    # 1. buildings: exposed when the maximum depth over the footprint exceeds thr
    exposure = None
    if buildings is not None:
        exposure = flood_building_exposure(buildings, depth, threshold_m=thr, nodata_as=dry)
        for r in exposure.to_frame().itertuples():
            res.rows.append(indicator_row(city, "buildings_exposed", int(r.buildings_exposed),
                                          scenario=rp_label(r.return_period)))
        res.notes.append(
            f"A building is exposed when the maximum flood depth over its footprint exceeds "
            f"{thr:g} m, from exact cell coverage fractions (every cell the footprint touches "
            "counts, however small the overlap). " + _nodata_note(dry, "buildings")
        )
    else:
        left_out.append(no_layer("buildings exposed, damage and expected annual damage",
                                 "buildings"))
    tick(1)

    # 2. people
    if "population" in ctx.layers:
        people = people_above(ctx.layers["population"], depth, threshold=thr, nodata_as=dry)
        for r in people.itertuples():
            res.rows.append(indicator_row(city, "people_exposed", float(r.people_above),
                                          scenario=rp_label(r.return_period)))
        if zones is not None:
            res.tables["flood_people_by_district"] = exposed_population(
                ctx.layers["population"], depth, threshold=thr, zones=zones, zone_column=zc,
                nodata_as=dry)
        if buildings is None:
            res.notes.append(f"Residents are exposed where the flood depth exceeds {thr:g} m. "
                             + _nodata_note(dry, "population cells"))
    else:
        left_out.append(no_layer("people exposed", "population"))
    tick(1)

    # 3. roads
    if "roads" in ctx.layers:
        roads = flood_road_exposure(ctx.layers["roads"], depth, threshold_m=thr, nodata_as=dry)
        for r in roads.to_frame().itertuples():
            res.rows.append(indicator_row(city, "roads_exposed_km", float(r.exposed_length_km),
                                          scenario=rp_label(r.return_period)))
        res.tables["flood_road_exposure"] = roads.pieces
        res.vectors["roads"] = roads.per_road
    else:
        left_out.append(no_layer("roads exposed", "roads"))
    tick(1)

    # 4. damage and expected annual damage
    rps = [int(v) for v in depth["return_period"].values]
    rp_show = 100 if 100 in rps else rps[len(rps) // 2]
    risk = None
    buildings_out = None
    if exposure is not None:
        buildings_out = exposure.per_building
        if not sec["damage_column"] and not sec["country"]:
            left_out.append(NO_DAMAGE_VALUE)
            res.notes.append(
                "Damage and expected annual damage were not computed: set hazard.country "
                "(ISO3 code, for the JRC maximum damage values) or hazard.damage_column (a "
                "column of building values in EUR)."
            )
        else:
            try:
                risk = _flood_damage(ctx, res, exposure, zones, zc)
                buildings_out = buildings_out.join(risk.per_asset)
                use = ctx.config.section("columns")["building_use"]
                if use not in buildings.columns:
                    left_out.append(building_use_default(use))
            except AnalysisUnavailable as exc:
                left_out.append(f"damage and expected annual damage ({exc})")
                res.notes.append(f"Damage and expected annual damage were not computed: "
                                 f"{exc}.")
        res.vectors["buildings"] = buildings_out
    if zones is None:
        left_out.append(no_layer("results per district", "districts"))
    tick(1)
    for item in left_out:
        res.reason = _join_reason(res.reason, item)

    # 5. maps
    if exposure is not None:
        res.maps.append(MapSpec(
            "flood_depth_buildings",
            f"Flood depth of the {rp_show}-year event and the buildings it reaches.",
            lambda: _maps().flood_map(
                depth.sel(return_period=rp_show), buildings_out,
                exposed=exposure.exposed(rp_show),
                title=f"{city}: {rp_show}-year flood", credit=ctx.credit,
                context=_context(ctx),
            ),
        ))
    else:
        res.maps.append(MapSpec(
            "flood_depth",
            f"Flood depth of the {rp_show}-year event (no buildings given).",
            lambda: _maps().raster_map(
                depth.sel(return_period=rp_show).where(depth.sel(return_period=rp_show) > 0),
                title=f"{city}: {rp_show}-year flood", label="Flood depth (m)",
                credit=ctx.credit, background=zones, context=_context(ctx),
            ),
        ))
    if risk is not None and "flood_damage_by_district" in res.vectors:
        zout = res.vectors["flood_damage_by_district"]
        res.maps.append(MapSpec(
            "flood_ead_by_district",
            "Where to act: districts ranked by expected annual building damage from "
            "floods (EUR/yr); the first three outlined.",
            lambda: _maps().where_to_act_map(
                zout, "ead", title=f"{city}: where to act — expected annual flood damage",
                legend_label="Expected annual damage (EUR/yr)", credit=ctx.credit,
                label_column=_districts(ctx, res)[1], fmt="{:,.0f} EUR/yr",
                context=_context(ctx),
            ),
        ))
    tick(1)
    res.citations += [
        "Huizinga, J., de Moel, H., Szewczyk, W. (2017). Global flood depth-damage functions: "
        "methodology and the database with guidelines. JRC Technical Report EUR 28552 EN.",
    ]
    _reporting(res, "hazard", lambda: _reporting_hazard(ctx, res, depth, exposure, risk))


def _flood_damage(ctx: Context, res: AnalysisResult, exposure, zones, zc):
    """Damage per building and return period, EAD with bounds, per district (hazard API)."""
    sec = ctx.config.section("hazard")
    region = sec["curve_region"]
    city = ctx.city
    events = exposure.events
    use = ctx.config.section("columns")["building_use"]
    class_column = use if use in ctx.layers["buildings"].columns else None
    # a layer without the use column: every building is residential, and the result says so
    occupancy = events[class_column] if class_column else ["residential"]
    if class_column is None:
        res.notes.append(
            f"Buildings have no column {use!r} (columns.building_use): every building was "
            "taken as residential for its damage curve and value. Set columns.building_use "
            "to the column holding the use."
        )
    try:
        jrc = jrc_class_for_occupancy(occupancy)
    except ValueError as exc:  # InputValueError: an occupancy class without a JRC class
        raise AnalysisUnavailable(str(exc).rstrip(".")) from exc
    curves: Any = jrc_curves_for_occupancy(region, occupancy)
    kwargs: dict[str, Any] = {}
    if sec["damage_column"]:
        kwargs["value"] = sec["damage_column"]
        value_note = f"the building value in column {sec['damage_column']!r}"
    else:
        if not sec["country"]:
            raise AnalysisUnavailable(
                "set hazard.country (for JRC maximum damage values) or hazard.damage_column"
            )
        unit = jrc_max_damage_for_occupancy(sec["country"], occupancy)
        kwargs["unit_value"] = unit if class_column else unit["residential"]
        value_note = (f"footprint area × JRC maximum damage per m² for {sec['country']} "
                      "(structure and content, 2010 EUR)")
    if class_column is None:
        curves = curves["residential"]
    damaged = asset_damage(events, curves, intensity="wet_mean_depth_m",
                           fraction_wet="wet_fraction", class_column=class_column,
                           currency="EUR", **kwargs)
    risk = flood_risk(damaged, rule=sec["ead_rule"], zones=zones, zone_column=zc)
    for r in risk.damage.itertuples():
        res.rows.append(indicator_row(city, "damage", float(r.damage),
                                      scenario=rp_label(r.return_period)))
    res.rows += [
        indicator_row(city, "ead", risk.ead.total),
        indicator_row(city, "ead_lower", risk.bounds.lower.total),
        indicator_row(city, "ead_upper", risk.bounds.upper.total),
    ]
    if zones is not None:
        res.tables["flood_damage_by_district"] = risk.per_zone
        zout = zones.copy()
        key = zones[zc] if zc else zones.index.to_series()
        zout["ead"] = key.map(risk.zone_totals("ead")).astype(float).fillna(0.0).to_numpy()
        res.vectors["flood_damage_by_district"] = zout
    mapped = ", ".join(f"{occ} → {cls}" for occ, cls in jrc.items())
    res.notes.append(
        f"Damage of each building = value × JRC depth-damage fraction ({region}; occupancy "
        f"to JRC class: {mapped}) at the footprint's coverage-weighted mean depth over its "
        "wet part × the wet share of the footprint (Delft-FIAT's area rule). "
        f"Value: {value_note}. {risk.ead.description}. The bounds are the lower step sum "
        "(each interval at its more frequent event's damage, the rarest event's damage held "
        "beyond it) and the upper step sum (each interval at the larger of its two damages, "
        "the rarest event's damage held beyond it); no damage more often than the most "
        "frequent map in either."
    )
    return risk


def _join_reason(reason: str, item: str) -> str:
    """Add ``item`` to the "without ..." reason of an analysis that ran partly."""
    return f"{reason}; {item}" if reason else f"without {item}"


def _nodata_note(dry: float | None, what: str) -> str:
    if dry is not None:
        return (f"Nodata cells inside the flood maps are dry (depth 0, hazard.nodata_is_dry); "
                f"{what} outside the maps are unknown and not counted.")
    return (f"Nodata cells inside the flood maps are unknown (hazard.nodata_is_dry = false): "
            f"{what} on them or outside the maps are not counted.")


def _districts(ctx: Context, res: AnalysisResult) -> tuple[gpd.GeoDataFrame | None, str | None]:
    """Return the districts layer and its name column (``columns.district_name``), or None.

    A layer without the name column is used with districts named by their row number, and
    a note says so: never silently.
    """
    zones = ctx.layers.get("districts")
    if zones is None:
        return None, None
    col = ctx.config.section("columns")["district_name"]
    if col in zones.columns:
        return zones, col
    note = (f"Districts have no column {col!r} (columns.district_name): they are named by "
            "their row number. Set columns.district_name to the column holding the names.")
    if note not in res.notes:
        res.notes.append(note)
    return zones, None


def _maps():
    from urbanrisk import maps

    return maps


def _context(ctx: Context) -> Any:
    """Return the city's own water, districts and streets drawn under maps (no tiles)."""
    return _maps().MapContext.from_layers(
        ctx.layers, district_label=ctx.config.section("columns")["district_name"])


# ======================================================================================
# Heat
# ======================================================================================
def run_heat(ctx: Context, res: AnalysisResult, tick: Callable[[int], Any]) -> None:
    """Find heat hot spots and the people living in them."""
    pct = ctx.config.section("heat")["hotspot_percentile"]
    lst: xr.DataArray = ctx.layers["lst"]
    city = ctx.city
    hot = hot_spots(lst, percentile=pct)
    res.rows.append(indicator_row(city, "heat_hotspot_area_km2", hot_spot_area_m2(hot) / 1e6))
    res.rasters["heat_hot_spots"] = hot.rename("heat_hot_spots")
    tick(1)
    people = heat_exposure(ctx.layers["population"], lst, percentile=pct)
    res.rows.append(indicator_row(city, "people_heat_hotspot",
                                  float(people["people_in_hot_spots"].sum())))
    zones, zc = _districts(ctx, res)
    if zones is not None:
        by_zone = heat_exposure(ctx.layers["population"], lst, percentile=pct, zones=zones,
                                zone_column=zc)
        res.tables["heat_people_by_district"] = by_zone
    else:
        res.reason = _join_reason(res.reason, no_layer("people per district", "districts"))
    threshold = float(hot.attrs.get("threshold", np.nan))
    units = lst.attrs.get("units", "")
    res.maps.append(MapSpec(
        "heat_hot_spots",
        f"Land surface temperature; hot spots (above the {pct:g}th percentile, "
        f"{threshold:.1f} {units}) outlined.",
        lambda: _maps().raster_map(
            lst, title=f"{city}: land surface temperature and hot spots",
            label=f"Land surface temperature ({units})", cmap="cividis", credit=ctx.credit,
            outline=hot, outline_label="Heat hot spot",
            buildings=ctx.layers.get("buildings"), context=_context(ctx),
        ),
    ))
    tick(1)
    res.notes.append(
        f"Heat hot spots are the land-surface-temperature cells above the city's {pct:g}th "
        f"percentile ({threshold:.2f} {units}); residents in them are counted from the "
        "population grid shared by exact area (no one created or lost)."
    )


# ======================================================================================
# Green
# ======================================================================================
def run_green(ctx: Context, res: AnalysisResult, tick: Callable[[int], Any]) -> None:
    """Compute patches, PC/ECA, dPC, CBI 1-2, green access and candidate sites."""
    sec = ctx.config.section("green")
    city = ctx.city
    if sec["habitat_classes"] is not None:
        patches = patches_from_landcover(ctx.layers["landcover"],
                                         habitat_classes=sec["habitat_classes"],
                                         min_area_m2=sec["min_area_m2"])
        habitat_note = f"land-cover classes {sec['habitat_classes']}"
    else:
        patches = patches_from_polygons(ctx.layers["green"], min_area_m2=sec["min_area_m2"],
                                        make_valid=True, dissolve=True)
        habitat_note = "the green-area polygons (touching parts dissolved)"
    res.rows += [
        indicator_row(city, "habitat_patches", len(patches)),
        indicator_row(city, "habitat_area_ha", float(patches["area_m2"].sum()) / 1e4),
    ]
    tick(1)
    kernel = DispersalKernel(sec["dispersal_distance_m"], sec["dispersal_probability"])
    graph = patch_graph(patches, max_distance_m=sec["max_distance_m"], distance="edge")
    area_l = landscape_area(patches, boundary=_city_boundary(ctx, patches.crs),
                            area_m2=sec["landscape_area_m2"] or None)
    area_note = {"given": "given in the configuration",
                 "boundary": "area of the districts"}.get(area_l.source, area_l.description)
    pc = probability_of_connectivity(graph, kernel=kernel, landscape_area_m2=area_l)
    res.rows += [
        indicator_row(city, "pc", pc.value),
        indicator_row(city, "eca_ha", pc.eca_m2 / 1e4),
        indicator_row(city, "eca_share", 100.0 * pc.eca_share),
    ]
    tick(1)
    out = patch_importance(patches, graph, kernel=kernel)
    res.vectors["green_patches"] = out
    tick(1)
    missing: list[str] = []
    for label, part in (("CBI indicators 1-2", _cbi), ("green access", _green_access),
                        ("candidate sites", _candidates)):
        try:
            part(ctx, res, patches, graph, kernel)
        except AnalysisUnavailable as exc:
            missing.append(f"{label} ({exc})")
            res.notes.append(f"{label.capitalize()} not computed: {exc}.")
        except Exception as exc:  # noqa: BLE001 - one part failing keeps the others
            if interrupted(exc):
                raise KeyboardInterrupt from exc
            missing.append(f"{label} (failed: {type(exc).__name__}: {exc})")
            res.notes.append(f"{label.capitalize()} failed: {type(exc).__name__}: {exc}.")
            logger.warning("%s: %s failed: %s", city, label, exc)
        tick(1)
    if missing:
        res.reason = "without " + "; ".join(missing)
    cands = res.vectors.get("green_candidates")
    res.maps.append(MapSpec(
        "green_patches_dpc",
        "Habitat patches coloured by their importance for connectivity (dPC, % of PC lost "
        "if the patch were removed)" + ("; candidate sites hatched, the best ranked." if
                                        cands is not None else "."),
        lambda: _maps().patches_map(
            out, column="dPC", title=f"{city}: importance of green patches (dPC)",
            legend_label="dPC (% of PC lost without the patch)", credit=ctx.credit,
            candidates=cands,
            candidate_rank_column="greedy_step" if cands is not None else None,
            background=ctx.layers.get("districts"), context=_context(ctx),
        ),
    ))
    tick(1)
    res.notes.insert(0, (
        f"Habitat patches from {habitat_note}, patches under {sec['min_area_m2']:g} m² "
        f"dropped. Patch graph with edge-to-edge Euclidean distances up to "
        f"{sec['max_distance_m']:g} m; dispersal kernel p = "
        f"{sec['dispersal_probability']:g} at {sec['dispersal_distance_m']:g} m "
        f"(negative exponential). PC uses the landscape area A_L = "
        f"{area_l.area_m2 / 1e4:,.1f} ha ({area_note}); dPC and its intra, flux "
        "and connector fractions are exact."
    ))
    res.citations += [
        "Saura, S., Pascual-Hortal, L. (2007). A new habitat availability index to integrate "
        "connectivity in landscape conservation planning. Landscape and Urban Planning 83, "
        "91–103.",
        "Saura, S., Estreguil, C., Mouton, C., Rodríguez-Freire, M. (2011). Network analysis "
        "to assess landscape connectivity trends: application to European forests "
        "(1990–2000). Ecological Indicators 11, 407–416.",
        "Chan, L. et al. (2014). User's Manual on the Singapore Index on Cities' "
        "Biodiversity. National Parks Board, Singapore.",
    ]
    _reporting(res, "green", lambda: _reporting_green(ctx, res, patches))


def _city_boundary(ctx: Context, crs: Any) -> gpd.GeoDataFrame | None:
    if "districts" not in ctx.layers:
        return None
    return ctx.layers["districts"].to_crs(crs)


def _cbi(ctx: Context, res: AnalysisResult, patches, graph, kernel) -> None:
    """CBI indicators 1 and 2 on the habitat patches."""
    city_poly = _city_boundary(ctx, patches.crs)
    if city_poly is None:
        raise AnalysisUnavailable("CBI indicator 1 needs the city area: give `districts`")
    sec = ctx.config.section("green")
    version = sec["cbi_version"]
    one = cbi_natural_areas(patches, city_poly, version=version).set_index("indicator")
    barriers = cbi_barriers(
        ctx.layers.get("roads"),
        railways=ctx.layers.get("railways") if sec["cbi_railway_barriers"] else None,
    )
    two = cbi_connectivity(patches, version=version, gap_m=sec["gap_m"], barriers=barriers,
                           city=city_poly).set_index("indicator")
    res.rows += [
        indicator_row(ctx.city, "cbi1_natural_area_share",
                      one.at["cbi_1_natural_areas", "value"]),
        indicator_row(ctx.city, "cbi1_score", one.at["cbi_1_natural_areas", "score"]),
        indicator_row(ctx.city, "cbi2_connectivity_ha", two.at["effective_mesh_size", "value"]),
        indicator_row(ctx.city, "cbi2_coherence_pct", two.at["landscape_coherence", "value"]),
        indicator_row(ctx.city, "cbi2_score", two.at["cbi_2_connectivity", "score"]),
    ]
    res.tables["green_cbi"] = pd.concat([one, two]).reset_index()
    res.vectors["green_cbi_barriers"] = barriers
    res.notes.append(
        f"City Biodiversity Index ({version} edition: "
        + ("2021 Handbook, indicator 2 scored from the landscape coherence in %"
           if version == "2021" else "2014 User's Manual, indicator 2 scored from the "
           "effective mesh size in ha")
        + ") indicators 1 (natural area as a share of the city, the districts' area) and 2 "
        f"(groups of habitat patches less than {sec['gap_m']:g} m apart unless a barrier "
        f"lies between; {len(barriers)} barrier features: roads >= 15 m wide or > 5,000 "
        "vehicles/day, judged by OSM highway class (motorway to secondary) when neither is "
        "known, tunnels left out"
        + ("; railways" if sec["cbi_railway_barriers"] else "; railways not counted")
        + "). The scoring bands could not be verified in the primary texts."
    )


def _green_access(ctx: Context, res: AnalysisResult, patches, graph, kernel) -> None:
    """Share of residents within walking distance of a large enough green area."""
    if "population" not in ctx.layers and "buildings" not in ctx.layers:
        raise AnalysisUnavailable("green access needs `population` or `buildings`")
    sec = ctx.config.section("green")
    green_areas = ctx.layers["green"] if "green" in ctx.layers else patches
    zones = _city_boundary(ctx, green_areas.crs)
    _, zc = _districts(ctx, res)
    if zones is not None and zc is not None:
        zones = zones.set_index(zc)
    kwargs = ({"population": ctx.layers["population"]} if "population" in ctx.layers
              else {"buildings": ctx.layers["buildings"]})
    # without districts every resident counts (one citywide share)
    acc = green_access(green_areas, zones, walk_distance_m=sec["access_distance_m"],
                       min_area_m2=sec["access_min_area_m2"], **kwargs)
    res.rows.append(indicator_row(ctx.city, "green_access_share", 100.0 * acc.share))
    if acc.by_zone is not None:
        cols = ["residents", "residents_with_access", "share_with_access"]
        res.tables["green_access_by_district"] = (
            pd.DataFrame(acc.by_zone[cols]).rename_axis("zone").reset_index())
        zout = acc.by_zone.assign(green_access_pct=100.0 * acc.by_zone["share_with_access"])
        res.vectors["green_access_by_district"] = zout
        res.maps.append(MapSpec(
            "green_access_by_district",
            f"Share of residents within {sec['access_distance_m']:g} m of a green area of at "
            f"least {sec['access_min_area_m2'] / 1e4:g} ha, per district.",
            lambda: _maps().choropleth_map(
                zout, "green_access_pct", title=f"{ctx.city}: access to green space",
                legend_label=f"Residents within {sec['access_distance_m']:g} m of green "
                             "space (%)", credit=ctx.credit, fmt="{:.1f} %",
                vmin=0.0, vmax=100.0, target=100.0, target_label="the WHO aim (every resident)",
                missing_label="no residents", label_column=_districts(ctx, res)[1],
                context=_context(ctx),
            ),
        ))
    res.notes.append(
        f"Green access: residents whose home lies within {sec['access_distance_m']:g} m "
        f"(straight line) of a green area of at least {sec['access_min_area_m2']:g} m² "
        "(WHO Regional Office for Europe 2016 rule of thumb)."
    )


def _candidates(ctx: Context, res: AnalysisResult, patches, graph, kernel) -> None:
    """Rank candidate sites by ECA gain (with heat co-benefit) and pick the best k."""
    sec = ctx.config.section("green")
    if "candidates" in ctx.layers:
        cands = ctx.layers["candidates"].to_crs(patches.crs)
        source = "the candidates layer"
    elif sec["candidate_classes"] and "landcover" in ctx.layers:
        cands = candidate_sites(ctx.layers["landcover"], classes=sec["candidate_classes"],
                                min_area_m2=sec["candidate_min_area_m2"]).to_crs(patches.crs)
        source = (f"land-cover classes {sec['candidate_classes']} (parcels of at least "
                  f"{sec['candidate_min_area_m2']:g} m²)")
    else:
        raise AnalysisUnavailable("no candidate sites (give `candidates` or "
                                  "green.candidate_classes with `landcover`)")
    co = None
    heat = ctx.results.get("heat")
    if "population" in ctx.layers and heat is not None and heat.status == "done" \
            and "heat_hot_spots" in heat.rasters:
        hot = heat.rasters["heat_hot_spots"]
        pop = ctx.layers["population"]
        try:
            # a population cell counts as hot when at least half of it is hot-spot area
            where = hot_population_cells(hot, pop, min_share=0.5)
            co = pd.DataFrame({"residents_hot_near": residents_near(
                cands, pop, distance_m=sec["access_distance_m"], where=where)})
        except Exception as exc:  # noqa: BLE001 - the co-benefit is optional
            if interrupted(exc):
                raise KeyboardInterrupt from exc
            logger.warning("heat co-benefit of candidate sites not computed: %s", exc)
    ranked = rank_candidates(patches, cands, kernel=kernel,
                             max_distance_m=sec["max_distance_m"], co_benefits=co)
    k = min(int(sec["top_candidates"]), len(cands))
    picks = best_sites(patches, cands, k=k, kernel=kernel, max_distance_m=sec["max_distance_m"])
    out = ranked.join(picks.set_index("candidate")["step"].rename("greedy_step"))
    res.vectors["green_candidates"] = out
    res.tables["green_best_sites"] = picks
    res.rows.append(indicator_row(ctx.city, "best_candidate_eca_gain_ha",
                                  float(ranked["eca_gain_m2"].max()) / 1e4))
    res.notes.append(
        f"Candidate sites from {source}, ranked by the ECA each would add alone"
        + (" combined with the residents of heat hot spots (population cells at least half "
           "hot-spot area) within reach of the site (normalised criteria, equal weights)"
           if co is not None else "")
        + f"; the best {k} chosen greedily, gains recomputed after each pick."
    )


# ======================================================================================
# Coast
# ======================================================================================
def run_coast(ctx: Context, res: AnalysisResult, tick: Callable[[int], Any]) -> None:
    """Map connected inundation per scenario/quantile/year and the first year reached."""
    sec = ctx.config.section("coast")
    city = ctx.city
    scenarios, quantiles, years = sec["scenarios"], sec["quantiles"], sec["years"]

    ref = VerticalReference(dem_datum=sec["dem_datum"], water_surface=sec["water_level_m"],
                            water_surface_name=sec["water_surface_name"])
    dem = reference_dem(ctx.layers["dem"], ref)
    # the sea: the `sea` layer if given, else the DEM edge cells at or below today's surface
    sea = ctx.layers.get("sea")
    conn = connection_level(dem, sea=sea,
                            sea_level_m=None if sea is not None else sec["sea_edge_level_m"],
                            connectivity=sec["connectivity"])
    seed = sea_seed(conn)
    tick(1)

    # annual levels (first year reached to the year); the reporting years are among them
    proj = ar6_global_mean_sea_level(scenarios=scenarios, quantiles=quantiles,
                                     years=annual_years(years))
    proj = relative_sea_level(proj, vertical_land_motion_mm_per_yr=sec[
        "vertical_land_motion_mm_yr"])
    levels_all = water_levels(proj, reference=ref, surge=sec["surge_m"],
                              surge_return_period=sec["surge_return_period"])
    levels = levels_all.sel(year=years)
    tick(1)

    depth = inundation_depth(dem, conn, levels)
    reached = land_reached(dem, conn, levels)
    area = inundation_area(dem, conn, levels)
    res.tables["coast_area"] = area.to_dataframe().reset_index()
    tick(1)

    people = None
    if "population" in ctx.layers:
        people = exposed_population(ctx.layers["population"], reached, threshold=0.0,
                                    labels=["not reached", "reached"])
        people = people[people["hazard_class"] == "reached"].set_index(
            ["scenario", "quantile", "year"])["people"]

    bld = counts = None
    if "buildings" in ctx.layers:
        timeline = asset_timeline(ctx.layers["buildings"], conn, levels_all)
        counts = assets_reached(timeline, years).set_index(
            ["scenario", "quantile", "year"])["assets_reached"]
        bld = ctx.layers["buildings"].copy()
        for (s, q), g in timeline.groupby(["scenario", "quantile"], sort=False):
            per = g.set_index("asset_id").reindex(bld.index)
            bld["sea_connection_level_m"] = per["connection_level_m"].to_numpy()
            bld[f"first_year_{slug(slr_label(s, q))}"] = per["first_year"].to_numpy()
        res.vectors["buildings_coast"] = bld
        res.tables["coast_building_timeline"] = timeline
    left_out = [no_layer(what, layer) for layer, what in
                (("population", "people reached"), ("buildings", "buildings reached"))
                if layer not in ctx.layers]
    for item in left_out:
        res.reason = _join_reason(res.reason, item)
    tick(1)

    for s in levels["scenario"].values:
        for q in levels["quantile"].values:
            label = slr_label(s, q)
            for y in years:
                at = {"scenario": s, "quantile": q, "year": y}
                res.rows.append(indicator_row(city, "sea_level_rise_m", float(proj.sel(**at)),
                                              scenario=label, year=y))
                res.rows.append(indicator_row(
                    city, "sea_area_km2", float(area["newly_reached_m2"].sel(**at)) / 1e6,
                    scenario=label, year=y))
                if people is not None:
                    res.rows.append(indicator_row(city, "sea_people",
                                                  float(people.get((s, q, y), 0.0)),
                                                  scenario=label, year=y))
                if counts is not None:
                    res.rows.append(indicator_row(city, "sea_buildings",
                                                  int(counts.loc[(s, q, y)]),
                                                  scenario=label, year=y))

    # rasters: connection level, and depth per scenario/quantile with year bands
    res.rasters["sea_connection_level"] = conn
    # water above ground is in the units of the DEM heights (metres once read)
    depth_units = depth.attrs.get("units") or dem.attrs["units"]
    for s in scenarios:
        for q in quantiles:
            d = depth.sel(scenario=s, quantile=q, drop=True).rename(
                f"sea_depth_{slug(slr_label(s, q))}")
            d.attrs["units"] = depth_units
            res.rasters[f"sea_depth_{slug(slr_label(s, q))}"] = d
    q_show = min(quantiles, key=lambda v: abs(v - 0.5))
    panels = {(s, y): depth.sel(scenario=s, quantile=q_show, year=y, drop=True)
              for s in scenarios[:2] for y in years[-3:]}
    res.maps.append(MapSpec(
        "sea_inundation",
        f"Land reached by the sea (connected inundation, quantile {q_show:g}) by scenario and "
        "year; colour is the water depth above ground.",
        lambda: _maps().inundation_map(panels, title=f"{city}: land reached by the sea",
                                       credit=ctx.credit, land=dem.where(dem > 0),
                                       outlines=ctx.layers.get("buildings"),
                                       context=_context(ctx)),
    ))
    if bld is not None:
        s_show = scenarios[-1]
        col = f"first_year_{slug(slr_label(s_show, q_show))}"
        res.maps.append(MapSpec(
            "sea_first_year_buildings",
            f"First year each building is reached by the sea under {s_show} "
            f"(quantile {q_show:g}).",
            lambda: _maps().first_year_map(bld, column=col, years=years,
                                           title=f"{city}: first year reached by the sea, "
                                                 f"{s_show}", credit=ctx.credit,
                                           context=_context(ctx)),
        ))
    tick(1)
    published = proj.attrs["published_years"].strip("[]")  # a JSON list of years
    res.notes.append(
        f"Sea level: IPCC AR6 WG1 Table 9.9 global mean projections (relative to 1995–2014) "
        f"for {', '.join(scenarios)}, quantiles {', '.join(f'{q:g}' for q in quantiles)}, "
        f"published for {published}; every other year (including the annual levels behind "
        "the first year a building is reached) is interpolated linearly by urbanrisk and is "
        f"not an AR6 value. Plus vertical land motion "
        f"{sec['vertical_land_motion_mm_yr']:g} mm/yr"
        + (f" and a {sec['surge_return_period']}-year surge of {sec['surge_m']:g} m"
           if sec["surge_m"] > 0 else "")
        + f"; DEM heights taken {ref.describe()}. Land is reached when it is "
        "hydrologically connected to the sea at that level (priority-flood, "
        f"{sec['connectivity']}-connectivity); low-lying cells that are not connected are "
        "not counted. The area reached is land newly reached: connected at the level and "
        "not at today's water level; the sea, the water already connected today and the "
        "total water are in the table coast_area. A building is reached when any part of "
        "its footprint is."
    )
    res.notes.append(seed.describe())
    res.citations += [
        "Fox-Kemper, B. et al. (2021). Ocean, Cryosphere and Sea Level Change. In Climate "
        "Change 2021: The Physical Science Basis (IPCC AR6 WG1), Chapter 9, Table 9.9.",
        "Barnes, R., Lehman, C., Mulla, D. (2014). Priority-flood: An optimal "
        "depression-filling and watershed-labeling algorithm for digital elevation models. "
        "Computers & Geosciences 62, 117–127.",
        "NOAA Office for Coastal Management (2017). Detailed Method for Mapping Sea Level Rise "
        "Inundation.",
    ]


# ======================================================================================
# Shoreline
# ======================================================================================
def run_shoreline(ctx: Context, res: AnalysisResult, tick: Callable[[int], Any]) -> None:
    """Compute DSAS statistics over transects of dated shorelines."""
    sec = ctx.config.section("shoreline")
    city = ctx.city
    shorelines = ctx.layers["shorelines"]
    baseline = ctx.layers.get("baseline")
    if "transects" in ctx.layers:
        transects = ctx.layers["transects"].to_crs(shorelines.crs)
    else:
        transects = cast_transects(baseline.to_crs(shorelines.crs),
                                   spacing_m=sec["transect_spacing_m"],
                                   length_m=sec["transect_length_m"], seaward=sec["seaward"],
                                   landward_m=sec["landward_m"])
    if "sea" in ctx.layers:  # a flipped sea side flips the sign of every rate
        away = ~points_seaward(transects, ctx.layers["sea"])
        if away.any():
            msg = (f"{int(away.sum())} of {len(away)} transects point away from the sea layer: "
                   "their rates have the wrong sign. Check shoreline.seaward (and "
                   "shoreline.landward_m for an offshore baseline) or the transects' "
                   "direction (landward → seaward).")
            logger.warning(msg)
            res.notes.append(f"Warning: {msg}")
    unc = sec["uncertainty_m"] if sec["uncertainty_m"] > 0 else None
    inter = shoreline_intersections(transects, shorelines, date_column=sec["date_column"],
                                    uncertainty_m=unc,
                                    baseline=None if "transects" in ctx.layers else baseline)
    tick(1)
    stats = shoreline_change_statistics(inter, confidence_level=sec["confidence_level"])
    idcol = "transect_id" if "transect_id" in transects.columns else None
    stats_t = stats.reset_index() if "transect_id" not in stats.columns else stats
    tr = transects.merge(stats_t, left_on=idcol, right_on="transect_id", how="left") \
        if idcol else transects.join(stats)
    res.vectors["transects"] = tr
    res.tables["shoreline_statistics"] = stats_t
    lrr = summarize_rates(stats_t, rate="LRR_m_per_yr")
    res.rows.append(indicator_row(city, "shoreline_transects", lrr.transects))
    if lrr.transects:
        res.rows += [
            indicator_row(city, "shoreline_lrr_median_m_yr", lrr.median_m_per_yr),
            indicator_row(city, "shoreline_lrr_min_m_yr", lrr.min_m_per_yr),
            indicator_row(city, "shoreline_eroding_share", lrr.eroding_percent),
        ]
    res.maps.append(MapSpec(
        "shoreline_change",
        "Transects coloured by the linear regression rate of shoreline change (negative = "
        "erosion).",
        lambda: _maps().choropleth_map(
            tr.assign(geometry=tr.geometry.buffer(max(sec["transect_spacing_m"] / 6, 2.0))),
            "LRR_m_per_yr", title=f"{city}: shoreline change rate",
            legend_label="Linear regression rate (m/yr)", credit=ctx.credit,
            label_column=None, fmt="{:.2f}", context=_context(ctx),
        ),
    ))
    tick(1)
    res.notes.append(
        f"Shoreline positions along {len(transects)} transects from "
        f"{len(shorelines)} dated shorelines; DSAS statistics (NSM, SCE, EPR, LRR with "
        f"{sec['confidence_level']:.0%} confidence interval) per transect with at least 3 "
        "shorelines. Positions are measured from each transect's landward start; negative "
        "rates are erosion."
    )
    res.citations += [
        "Himmelstoss, E.A., Henderson, R.E., Kratzmann, M.G., Farris, A.S. (2018). Digital "
        "Shoreline Analysis System (DSAS) version 5.0 user guide. USGS Open-File Report "
        "2018–1179. doi:10.3133/ofr20181179.",
        "Himmelstoss, E.A., Henderson, R.E., Kratzmann, M.G., Farris, A.S. (2021). Digital "
        "Shoreline Analysis System (DSAS) version 5.1 user guide. USGS Open-File Report "
        "2021–1091. doi:10.3133/ofr20211091.",
    ]


# ======================================================================================
# Reporting frameworks (Sendai, ISO 37123/37120, UNDRR Scorecard, SDG 11.7.1, CBI)
# ======================================================================================
def _reporting(res: AnalysisResult, what: str, part: Callable[[], None]) -> None:
    """Add the framework rows of an analysis; a failure there keeps the analysis' results."""
    try:
        part()
    except Exception as exc:  # noqa: BLE001 - the reporting rows are an addition
        if interrupted(exc):
            raise KeyboardInterrupt from exc
        logger.warning("%s reporting rows failed: %s", what, exc)
        res.notes.append(f"The reporting-framework rows of the {what} analysis failed: "
                         f"{type(exc).__name__}: {exc}.")
        res.reason = _join_reason(res.reason, "reporting frameworks (failed)")


def _report_row(res: AnalysisResult, city: str, key: str, value: Any, *, basis: str = "",
                parts: str = "", missing: str = "", needs: str = "", score: Any = None,
                max_score: Any = None, wording: str | None = None) -> dict:
    """One reporting row (and its indicator row) for registry indicator ``key``.

    ``missing`` is always shown (parts left out of a sum); ``needs`` only when there is no
    value (the input that is missing).
    """
    ind = REGISTRY[key]
    v = np.nan if value is None else float(value)
    if np.isnan(v) and needs:
        missing = "; ".join(m for m in (missing, needs) if m)
    res.rows.append(indicator_row(city, key, v, scenario=basis or None))
    return {"framework": ind.framework, "code": ind.code, "wording": wording or ind.title,
            "basis": basis, "value": v, "unit": ind.unit, "score": score,
            "max_score": max_score, "parts": parts,
            "missing": missing, "verified": ind.verified,
            "key": key}


def _reporting_hazard(ctx: Context, res: AnalysisResult, depth: xr.DataArray, exposure,
                      risk) -> None:
    """Sendai, ISO 37123 5.2 and Scorecard Essential 2 rows from the flood results."""
    rep = ctx.config.section("reporting")
    hz = ctx.config.section("hazard")
    city = ctx.city
    rps = [float(v) for v in depth["return_period"].values]
    dry = 0.0 if hz.get("nodata_is_dry", True) else None
    why: dict[str, str] = {}
    housing = productive = roads = facilities = None
    if exposure is None or risk is None:
        for code in ("B-3", "B-4", "C-3", "C-4"):
            why[code] = "needs buildings with damage (hazard.country or hazard.damage_column)"
    else:
        use = ctx.config.sections.get("columns", {}).get("building_use", "occupancy")
        events = exposure.events
        cls = use if use in events.columns else None
        curves: Any = jrc_curves_for_occupancy(hz["curve_region"],
                                               events[cls] if cls else ["residential"])
        ratio = building_damage_ratio(events, curves if cls else curves["residential"],
                                      class_column=cls)
        key = ["feature", "return_period"]
        damage = risk.per_event.set_index(key)["damage"].reindex(
            pd.MultiIndex.from_frame(events[key])).to_numpy()
        table = events.assign(damage_ratio=ratio.to_numpy(), damage=damage)
        dw = rep["dwellings_column"] or None
        if dw is not None and dw not in events.columns:
            why["B-3"] = why["B-4"] = f"buildings have no column {dw!r} (dwellings_column)"
            dw = None
        elif dw is None:
            why["B-3"] = why["B-4"] = "set reporting.dwellings_column"
        if not rep["persons_per_dwelling"]:
            why["B-3"] = why["B-4"] = "; ".join(
                x for x in (why.get("B-3"), "set reporting.persons_per_dwelling") if x)
        housing = housing_impact(table, destroyed_ratio=rep["destroyed_damage_ratio"],
                                 dwellings=dw,
                                 persons_per_dwelling=rep["persons_per_dwelling"] or None,
                                 class_column=cls,
                                 housing_classes=rep["housing_classes"] if cls else None)
        if cls is not None:
            productive = sector_loss(table, classes=rep["productive_classes"],
                                     class_column=cls)
        else:
            why["C-3"] = f"buildings have no use column {use!r}: all taken as housing"
    if "roads" in ctx.layers and rep["road_cost_per_km"] > 0:
        roads = road_damage(ctx.layers["roads"], depth,
                            curve=jrc_curve(hz["curve_region"], "infrastructure"),
                            unit_cost_per_km=rep["road_cost_per_km"], nodata_as=dry)
    else:
        why["C-5"] = ("needs `roads` and reporting.road_cost_per_km" if "roads" not in
                      ctx.layers else "set reporting.road_cost_per_km")
    if "facilities" in ctx.layers:
        facilities = facilities_damaged(
            ctx.layers["facilities"], depth, type_column=rep["facility_type_column"],
            threshold_m=rep["facility_depth_m"], health_types=rep["health_types"],
            education_types=rep["education_types"], nodata_as=dry)
    pop = float(ctx.layers["population"].sum()) if "population" in ctx.layers else None
    est = sendai_indicators(
        rps, housing=housing, productive=productive,
        infrastructure={"roads": roads} if roads is not None else None,
        facilities=facilities, city_product=rep["city_product"] or None, population=pop,
        currency="EUR", missing=why)
    rows = [_report_row(res, city, f"sendai_{r.code.lower().replace('-', '')}", r.value,
                        basis=r.basis, parts=r.parts, missing=r.missing, wording=r.wording)
            for r in est.table.itertuples()]
    ead = risk.ead.total if risk is not None else None
    gdp = rep["city_product"] or None
    rows.append(_report_row(
        res, city, "iso37123_5_2",
        annual_loss_percent(ead, gdp) if ead is not None and gdp else None,
        basis="modelled EAD",
        missing="; ".join(m for m in ("" if ead is not None else "needs the expected "
                                      "annual damage", "" if gdp else
                                      "set reporting.city_product") if m)))
    people = {r["scenario"]: r["value"] for r in res.rows
              if r["indicator"] == "people_exposed"}
    counts = exposure.to_frame().set_index("return_period")["buildings_exposed"] \
        if exposure is not None else None
    loss = risk.damage.set_index("return_period")["damage"] if risk is not None else None
    edu = facilities[facilities["category"] == "education"].set_index("return_period") \
        if facilities is not None else None
    for label, rp in (("most probable", rep["most_probable_rp"]),
                      ("most severe", rep["most_severe_rp"])):
        if not rp or float(rp) not in rps:
            miss = (f"set reporting.{label.replace(' ', '_')}_rp" if not rp
                    else f"no flood map for RP{rp}")
            for key in ("scorecard_p2_3_people", "scorecard_p2_3_buildings",
                        "scorecard_p2_3_loss", "scorecard_p8_8_education"):
                rows.append(_report_row(res, city, key, None, basis=f"{label} (not named)",
                                        missing=miss))
            continue
        basis = f"{label}, modelled RP{rp}"
        road_loss = float(roads.set_index("return_period").loc[rp, "loss"]) \
            if roads is not None else 0.0
        rows += [
            _report_row(res, city, "scorecard_p2_3_people", people.get(rp_label(rp)),
                        basis=basis, needs="needs `population`"),
            _report_row(res, city, "scorecard_p2_3_buildings",
                        counts.loc[rp] if counts is not None else None, basis=basis,
                        needs="needs `buildings`"),
            _report_row(res, city, "scorecard_p2_3_loss",
                        float(loss.loc[rp]) + road_loss if loss is not None else None,
                        basis=basis, parts="buildings" + (" + roads" if roads is not None
                                                          else ""),
                        needs="needs building damage"),
            _report_row(res, city, "scorecard_p8_8_education",
                        100.0 * edu.loc[rp, "damaged"] / edu.loc[rp, "facilities"]
                        if edu is not None and edu.loc[rp, "facilities"] > 0 else None,
                        basis=basis, needs="needs `facilities` with educational types"),
        ]
    res.tables["reporting_hazard"] = reporting_frame(rows)
    res.notes.append(
        "Reporting frameworks: Sendai B-1, B-3/B-4, C-1, C-3 to C-5 and D-2 to D-4 are "
        "modelled estimates for each flood map (labelled 'modelled, RP…'), not losses of "
        "recorded disasters; a dwelling is destroyed from a damage ratio of "
        f"{rep['destroyed_damage_ratio']:g} (a modelling choice). Missing inputs are named "
        "in the reporting sheets, never filled with zeros."
    )


def _landcover_roles(rep: dict) -> dict[str, list[int]]:
    roles = {k: list(v) for k, v in LANDCOVER_ROLES.get(rep["landcover_legend"], {}).items()}
    for role in ("natural", "permeable", "canopy", "park", "water"):
        if rep[f"{role}_classes"] is not None:
            roles[role] = list(rep[f"{role}_classes"])
    return roles


def _reporting_green(ctx: Context, res: AnalysisResult, patches: gpd.GeoDataFrame) -> None:
    """SDG 11.7.1, WHO, ISO 37123/37120 green and both CBI editions' map indicators."""
    rep = ctx.config.section("reporting")
    city = ctx.city
    why: dict[str, str] = {}
    values: dict[str, float | None] = {}
    boundary = _city_boundary(ctx, patches.crs)
    pop_grid = ctx.layers.get("population")
    pop = float(pop_grid.sum()) if pop_grid is not None else None
    spaces = ctx.layers.get("open_space", ctx.layers.get("green", patches))

    def attempt(name: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - one indicator failing keeps the others
            if interrupted(exc):
                raise KeyboardInterrupt from exc
            why[name] = f"failed: {type(exc).__name__}: {exc}"
            logger.warning("%s: %s failed: %s", city, name, exc)
            return None

    areas = None
    roles = _landcover_roles(rep)
    if boundary is None:
        for name in ("protected_areas", "permeable_areas", "tree_canopy", "recreation"):
            why[name] = "needs `districts` (the city area)"
    elif "landcover" in ctx.layers and roles:
        areas = attempt("landcover", lambda: landcover_role_areas(ctx.layers["landcover"],
                                                                  boundary, roles=roles))
    cbi = res.tables.get("green_cbi")
    if cbi is not None:
        t = cbi.set_index("indicator")["value"]
        values["natural_areas"] = float(t["cbi_1_natural_areas"])
        conn = {"2014": float(t["effective_mesh_size"]),
                "2021": float(t["landscape_coherence"])}
    else:
        conn = {}
        why["natural_areas"] = why["connectivity"] = "CBI indicators 1-2 were not computed"
    if boundary is not None and "protected_areas" in ctx.layers:
        one = attempt("protected_areas", lambda: cbi_natural_areas(
            ctx.layers["protected_areas"], boundary).set_index("indicator"))
        if one is not None:
            values["protected_areas"] = float(one.at["cbi_1_natural_areas", "value"])
    elif boundary is not None:
        why["protected_areas"] = "needs a `protected_areas` layer"
    for name, role in (("permeable_areas", "permeable"), ("tree_canopy", "canopy")):
        if areas is not None and role in roles:
            values[name] = area_share(areas[role], areas["terrestrial"])
        elif boundary is not None:
            why.setdefault(name, f"needs `landcover` and reporting.{role}_classes (or "
                                 "reporting.landcover_legend)")
    park_m2 = None
    if boundary is not None:
        green_in = attempt("recreation", lambda: cbi_natural_areas(spaces, boundary)
                           .set_index("indicator").at["natural_area", "value"])
        park_m2 = None if green_in is None else float(green_in)
    if park_m2 is not None and pop:
        values["recreation"] = recreation_per_1000(park_m2, pop)
    elif boundary is not None:
        why.setdefault("recreation", "needs `population`")
    if pop_grid is not None:
        near = attempt("proximity_to_parks", lambda: residents_within(
            spaces, distance_m=400.0, population=pop_grid))
        if near is not None and near[1] > 0:
            values["proximity_to_parks"] = 100.0 * near[0] / near[1]
    else:
        why["proximity_to_parks"] = "needs `population`"
    rows = []
    for version in ("2014", "2021"):
        index = cbi_spatial_index({**values, "connectivity": conn.get(version)},
                                  version=version, missing=why)
        for r in index.itertuples():
            score = None if pd.isna(r.score) else int(r.score)
            if r.name == "total":
                rows.append(_report_row(res, city, f"cbi{version}_points", r.score,
                                        wording=r.title, score=score,
                                        max_score=r.max_score))
                rows.append(_report_row(res, city, f"cbi{version}_max_points", r.max_score,
                                        wording=r.title))
                continue
            key = f"cbi{version}_{int(r.code.split('#')[1]):02d}_{r.name}"
            rows.append(_report_row(res, city, key, r.value, wording=r.title, score=score,
                                    max_score=4, parts=r.bands, missing=r.missing))
            if score is not None:
                res.rows.append(indicator_row(city, f"{key}_score", score))
    # SDG 11.7.1
    if boundary is not None and "roads" in ctx.layers and rep["street_width_m"] > 0:
        share = attempt("sdg_share", lambda: open_public_space_share(
            spaces, ctx.layers["roads"], boundary, street_width_m=rep["street_width_m"]))
        rows.append(_report_row(res, city, "sdg_11_7_1_open_space",
                                None if share is None else share.percent,
                                parts=None if share is None else
                                f"open space {share.open_space_percent:.2f} % + streets "
                                f"({share.street_width})", missing=why.get("sdg_share", "")))
    else:
        rows.append(_report_row(res, city, "sdg_11_7_1_open_space", None,
                                missing="needs `districts`, `roads` and "
                                        "reporting.street_width_m"))
    if "roads" in ctx.layers and pop_grid is not None:
        acc = attempt("sdg_access", lambda: network_access(
            spaces, ctx.layers["roads"], population=pop_grid,
            walk_distance_m=rep["walk_distance_m"],
            entrance_distance_m=rep["entrance_distance_m"]))
        rows.append(_report_row(res, city, "sdg_11_7_1_access",
                                None if acc is None else 100.0 * acc.share,
                                parts=f"{rep['walk_distance_m']:g} m along `roads`",
                                missing=why.get("sdg_access", "")))
    else:
        rows.append(_report_row(res, city, "sdg_11_7_1_access", None,
                                missing="needs `roads` and `population`"))
    who = next((r["value"] for r in res.rows if r["indicator"] == "green_access_share"), None)
    ind = REGISTRY["green_access_share"]
    rows.append({"framework": ind.framework, "code": ind.code, "wording": ind.title,
                 "value": who, "unit": ind.unit, "verified": ind.verified,
                 "missing": "" if who is not None else "green access was not computed",
                 "key": "green_access_share"})
    # ISO 37123 8.8 / 21.2 and ISO 37120 green area
    for key, role in (("iso37123_8_8", "canopy"), ("iso37123_21_2", "permeable")):
        ok = areas is not None and role in roles
        rows.append(_report_row(res, city, key, area_share(areas[role], areas["terrestrial"])
                                if ok else None,
                                needs=f"needs `landcover` and reporting.{role}_classes"))
    rows.append(_report_row(res, city, "iso37120_green_area",
                            park_m2 / 1e4 / (pop / 1e5) if park_m2 is not None and pop
                            else None, needs="needs `districts` and `population`"))
    res.tables["reporting_green"] = reporting_frame(rows)


# ======================================================================================
# Adaptation pathways
# ======================================================================================
def run_adapt(ctx: Context, res: AnalysisResult, tick: Callable[[int], Any]) -> None:
    """Coastal EAD over time, protect / accommodate / retreat pathways, NPV, tipping points."""
    sec = ctx.config.section("adapt")
    csec = ctx.config.section("coast")
    city = ctx.city
    coast = ctx.results.get("coast")
    if coast is None or coast.status != "done" or "sea_connection_level" not in coast.rasters:
        raise AnalysisUnavailable("the coast analysis did not run; the adaptation pathways "
                                  "need its connection level (coast.run and coast.dem_datum)")
    rps, lv_m = sec["return_periods"], sec["extreme_levels_m"]
    if len(rps) != len(lv_m):
        raise AnalysisUnavailable(
            f"adapt.return_periods has {len(rps)} values and adapt.extreme_levels_m "
            f"{len(lv_m)}: give one level per return period")
    ref = VerticalReference(dem_datum=csec["dem_datum"], water_surface=csec["water_level_m"],
                            water_surface_name=csec["water_surface_name"])
    dem = reference_dem(ctx.layers["dem"], ref)
    buildings: gpd.GeoDataFrame = ctx.layers["buildings"]
    zones, zc = _districts(ctx, res)
    cells = building_cells(buildings, dem, coast.rasters["sea_connection_level"], zones=zones,
                           zone_column=zc, attenuation_m_per_km=sec["attenuation_m_per_km"])
    levels = flood_levels(dict(zip(rps, lv_m, strict=True)), reference=ref,
                          scenarios=csec["scenarios"], quantiles=sec["quantiles"],
                          years=sec["years"],
                          vertical_land_motion_mm_per_yr=csec["vertical_land_motion_mm_yr"])

    # damage curves and values: those of the hazard analysis (JRC, by building use)
    hsec = ctx.config.section("hazard")
    use = ctx.config.section("columns")["building_use"]
    occupancy = buildings[use] if use in buildings.columns else pd.Series(
        "residential", index=buildings.index)
    try:
        jrc_class_for_occupancy(occupancy)
    except ValueError as exc:
        raise AnalysisUnavailable(str(exc).rstrip(".")) from exc
    curves = jrc_curves_for_occupancy(hsec["curve_region"], occupancy)
    if hsec["damage_column"]:
        values = buildings[hsec["damage_column"]]
    elif hsec["country"]:
        unit = jrc_max_damage_for_occupancy(hsec["country"], occupancy)
        values = occupancy.map(unit).astype(float) * cells.footprint_area_m2
    else:
        raise AnalysisUnavailable("set hazard.country (for JRC maximum damage values) or "
                                  "hazard.damage_column")

    paths = [Pathway("do nothing")]
    zone_or_city = {"": None}
    if sec["protect_crest_m"] > 0:
        acts = [Protect(sec["protect_crest_m"], sec["protect_year"],
                        cost_eur=sec["protect_cost_eur"],
                        maintenance_share_per_yr=sec["protect_maintenance_share"],
                        zone=zone_or_city.get(sec["protect_zone"], sec["protect_zone"]))]
        if sec["protect_raise_m"] > 0:
            acts.append(Protect(sec["protect_crest_m"] + sec["protect_raise_m"],
                                sec["protect_raise_year"], cost_eur=sec["protect_raise_cost_eur"],
                                maintenance_share_per_yr=sec["protect_maintenance_share"],
                                zone=acts[0].zone, name="raise defence"))
        paths.append(Pathway("protect", tuple(acts)))
    if sec["accommodate_raise_m"] > 0:
        paths.append(Pathway("accommodate", (Accommodate(
            sec["accommodate_raise_m"], sec["accommodate_year"],
            cost_per_m2_eur=sec["accommodate_cost_per_m2_eur"],
            zone=zone_or_city.get(sec["accommodate_zone"], sec["accommodate_zone"])),)))
    if sec["retreat_zones"]:
        paths.append(Pathway("retreat", tuple(
            Retreat(sec["retreat_year"], zone=z, cost_per_m2_eur=sec["retreat_cost_per_m2_eur"])
            for z in sec["retreat_zones"])))
    risk = risk_over_time(cells, levels, values=values, curves=curves,
                          classes=occupancy.to_numpy(), pathways=paths,
                          depth_threshold_m=hsec["depth_threshold_m"], rule=hsec["ead_rule"])
    rate = "green_book" if sec["discount"] == "green_book" else sec["discount_rate"]
    appraisal = appraise(risk, rate=rate)
    objective = ProtectionStandard(sec["protection_standard_years"])
    tipping = tipping_points(risk, [objective])

    # indicator rows
    city_ead = risk.ead[(risk.ead["zone"] == "all") & (risk.ead["pathway"] == risk.baseline)]
    for r in city_ead[city_ead["year"].isin(sec["report_years"])].itertuples():
        res.rows.append(indicator_row(city, "adapt_ead_eur_yr", float(r.ead),
                                      scenario=slr_label(r.scenario, r.quantile), year=r.year))
    for r in appraisal.table[appraisal.table["pathway"] != risk.baseline].itertuples():
        label = f"{r.pathway} | {slr_label(r.scenario, r.quantile)}"
        res.rows.append(indicator_row(city, "adapt_npv_eur", float(r.npv), scenario=label))
        res.rows.append(indicator_row(city, "adapt_bcr", float(r.bcr), scenario=label))
    qs = np.asarray(sec["quantiles"], dtype=float)
    q_mid = float(qs[np.argmin(np.abs(qs - 0.5))])
    for r in tipping[np.isclose(tipping["quantile"], q_mid)].itertuples():
        res.rows.append(indicator_row(
            city, "adapt_tipping_year", float(r.tipping_year),
            scenario=f"{r.pathway} | {r.zone} | {slr_label(r.scenario, r.quantile)}"))
    res.tables["adapt_ead"] = risk.ead
    res.tables["adapt_events"] = risk.events
    res.tables["adapt_costs"] = risk.costs
    res.tables["adapt_appraisal"] = appraisal.table
    res.tables["adapt_tipping"] = tipping

    res.maps.append(MapSpec(
        "adapt_ead_fan",
        "Expected annual building damage from coastal floods over time without adaptation, "
        "per sea-level scenario: median line and the band between the quantiles.",
        lambda: fan_chart(risk, title=f"{city}: expected annual coastal flood damage"),
    ))
    res.maps.append(MapSpec(
        "adapt_pathways",
        f"Adaptation pathways (metro map): each line a pathway, its options as stations, "
        f"and the year the {objective.label} objective fails under each scenario "
        f"(quantile {q_mid:g}).",
        lambda: pathways_map(tipping, risk.pathways, quantile=q_mid,
                             title=f"{city}: adaptation pathways"),
    ))
    source = sec["extremes_source"] or "not stated"
    res.notes.append(
        "Coastal flood risk over time: extreme still-water levels "
        + ", ".join(f"T={t:g} y {v:.2f} m" for t, v in zip(rps, lv_m, strict=True))
        + f" (source: {source}; heights {ref.describe()}), plus the coast analysis' relative "
        f"sea-level rise for each year of {sec['years'][0]}–{sec['years'][-1]}; connected "
        "flood depth over exact building footprints (coverage computed once for every "
        "level), damage by the hazard analysis' JRC curves and values, "
        f"{risk.rule}."
        + (f" Water levels attenuated by {sec['attenuation_m_per_km']:g} m per km from the "
           "sea." if sec["attenuation_m_per_km"] > 0 else "")
    )
    res.notes.append(
        "Pathways: " + "; ".join(f"{p.name}: {p.describe()}" for p in risk.pathways)
        + f". Costs and residual damage discounted with {appraisal.discount}; NPV = damage "
        "avoided against doing nothing minus costs; regret = a pathway's cost plus residual "
        "damage minus the lowest of any pathway in the same scenario and quantile. Pathway "
        f"with the smallest largest regret over the scenarios: {appraisal.minimax_regret}. "
        f"Tipping point: first year the {objective.label} objective fails, from the year a "
        "pathway's first option is in place."
    )
    res.citations += [
        "Haasnoot, M., Kwakkel, J.H., Walker, W.E., ter Maat, J. (2013). Dynamic adaptive "
        "policy pathways: A method for crafting robust decisions for a deeply uncertain "
        "world. Global Environmental Change 23(2), 485–498.",
        "Kwadijk, J.C.J. et al. (2010). Using adaptation tipping points to prepare for "
        "climate change and sea level rise: a case study in the Netherlands. WIREs Climate "
        "Change 1(5), 729–740.",
        "HM Treasury (2022). The Green Book: Central Government Guidance on Appraisal and "
        "Evaluation (declining long-term discount rate, Table 8).",
    ]
    tick(1)

