"""The analysis steps of a city profile: each calls the public API of one analysis package.

Nothing here computes an analysis result itself. Each ``run_<analysis>`` function reads
the layers and parameters from the :class:`Context`, calls the public functions of
:mod:`urbanrisk.hazard`, :mod:`urbanrisk.green` or :mod:`urbanrisk.coast`, and records into
an :class:`~urbanrisk.profile.core.AnalysisResult`: indicator rows (made through the
registry), vector/raster/table results to export, maps to draw and method notes. The only
arithmetic done here is bookkeeping on their outputs (counting rows above a threshold,
summing a column, converting m² to km²).

The theme functions are plain imports, so a renamed function fails in CI and every
editor can follow the call. A step that lacks an input it needs raises
:class:`~urbanrisk.profile.core.AnalysisUnavailable`, and is skipped with that reason rather
than filled with made-up numbers.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import xarray as xr

from urbanrisk.coast import (
    VerticalReference,
    ar6_global_mean_sea_level,
    asset_connection_level,
    cast_transects,
    connection_level,
    first_flood_year,
    inundation_depth,
    inundation_extent,
    reference_dem,
    relative_sea_level,
    shoreline_change_statistics,
    shoreline_intersections,
    water_levels,
)
from urbanrisk.green import (
    DispersalKernel,
    best_sites,
    cbi_connectivity,
    cbi_natural_areas,
    green_access,
    node_importance,
    patch_graph,
    patches_from_landcover,
    patches_from_polygons,
    probability_of_connectivity,
    rank_candidates,
    residents_near,
)
from urbanrisk.hazard import (
    aggregate,
    asset_damage,
    ead_bounds,
    expected_annual_damage,
    exposed_population,
    heat_exposure,
    hot_spots,
    jrc_curve,
    jrc_max_damage_m2,
    line_exposure,
    polygon_exposure,
)
from urbanrisk.profile.config import ProfileConfig
from urbanrisk.profile.core import AnalysisResult, AnalysisUnavailable, MapSpec
from urbanrisk.profile.indicators import indicator_row

logger = logging.getLogger(__name__)

#: Progress steps per analysis (for the progress bars).
STEP_COUNTS = {"hazard": 5, "heat": 2, "green": 6, "coast": 5, "shoreline": 2}


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


def slug(text: str) -> str:
    """File/column-safe lower-case name: ``"SSP5-8.5 q0.5"`` → ``"ssp5_8_5_q0_5"``."""
    return re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_")


def rp_label(rp: Any) -> str:
    """Scenario label of a return period: ``RP100``."""
    return f"RP{int(rp)}"


def slr_label(scenario: str, quantile: float) -> str:
    """Scenario label of a sea-level projection: ``SSP5-8.5 q0.5``."""
    return f"{scenario} q{float(quantile):g}"


def _cell_area_m2(da: xr.DataArray) -> float:
    from urbanrisk.layers import cell_area_m2

    return cell_area_m2(da)


def _in_metres(da: xr.DataArray, name: str) -> xr.DataArray:
    """``da`` in metres (converted from any length unit), so ``*_m`` thresholds apply."""
    from urbanrisk.layers import prepare_raster

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
    rps = [int(r) for r in depth["return_period"].values]
    buildings: gpd.GeoDataFrame = ctx.layers["buildings"]
    city = ctx.city

    # 1. buildings: exact footprint statistics for every return period in one pass
    stats = polygon_exposure(buildings, depth, stats=("max", "mean", "fraction_above",
                                                      "mean_above"),
                             threshold=0.0, column="flood_depth_m")
    tick(1)
    for rp in rps:
        col = f"flood_depth_m_max_rp{rp}"
        flag = f"flood_exposed_rp{rp}"
        stats[flag] = stats[col].to_numpy() > thr
        res.rows.append(indicator_row(city, "buildings_exposed", int(stats[flag].sum()),
                                      scenario=rp_label(rp)))
    res.notes.append(
        f"A building is exposed when the maximum flood depth over its footprint exceeds "
        f"{thr:g} m, from exact cell coverage fractions (every cell the footprint touches "
        "counts, however small the overlap)."
    )

    # 2. people
    people = exposed_population(ctx.layers["population"], depth, threshold=thr) \
        if "population" in ctx.layers else None
    if people is not None:
        above = people[people["hazard_class"].astype(str).str.startswith(">")]
        per_rp = above.groupby("return_period")["people"].sum()
        for rp in rps:
            res.rows.append(indicator_row(city, "people_exposed", float(per_rp.get(rp, 0.0)),
                                          scenario=rp_label(rp)))
        if "districts" in ctx.layers:
            zones = ctx.layers["districts"]
            zc = "name" if "name" in zones.columns else None
            by_zone = exposed_population(ctx.layers["population"], depth, threshold=thr,
                                         zones=zones, zone_column=zc)
            res.tables["flood_people_by_district"] = by_zone
    tick(1)

    # 3. roads
    if "roads" in ctx.layers:
        roads = ctx.layers["roads"]
        pieces = line_exposure(roads, depth, bins=[thr])
        wet = pieces[pieces["hazard_class"].astype(str).str.startswith(">")]
        per_rp = wet.groupby("return_period")["length_m"].sum()
        for rp in rps:
            res.rows.append(indicator_row(city, "roads_exposed_km",
                                          float(per_rp.get(rp, 0.0)) / 1000.0,
                                          scenario=rp_label(rp)))
        res.tables["flood_road_exposure"] = pieces
        per_road = wet.pivot_table(index="feature", columns="return_period", values="length_m",
                                   aggfunc="sum").reindex(roads.index).fillna(0.0)
        roads_out = roads.copy()
        for rp in rps:
            roads_out[f"flood_exposed_length_m_rp{rp}"] = (
                per_road[rp].to_numpy() if rp in per_road.columns else 0.0
            )
        res.vectors["roads"] = roads_out
    tick(1)

    # 4. damage and expected annual damage
    rp_show = 100 if 100 in rps else rps[len(rps) // 2]
    try:
        damage_cols = _flood_damage(ctx, res, stats, depth, rps)
    except AnalysisUnavailable as exc:
        res.notes.append(f"Damage and expected annual damage were not computed: {exc}.")
        damage_cols = None
    tick(1)
    res.vectors["buildings"] = stats

    # 5. maps
    res.maps.append(MapSpec(
        "flood_depth_buildings",
        f"Flood depth of the {rp_show}-year event and the buildings it reaches.",
        lambda: _maps().flood_map(
            depth.sel(return_period=rp_show), stats,
            exposed=stats[f"flood_exposed_rp{rp_show}"].to_numpy(),
            title=f"{city}: {rp_show}-year flood", credit=ctx.credit,
        ),
    ))
    if damage_cols is not None and "flood_damage_by_district" in res.vectors:
        zones = res.vectors["flood_damage_by_district"]
        res.maps.append(MapSpec(
            "flood_ead_by_district",
            "Expected annual building damage per district.",
            lambda: _maps().choropleth_map(
                zones, "ead", title=f"{city}: expected annual flood damage",
                legend_label="Expected annual damage (EUR/yr)", credit=ctx.credit,
            ),
        ))
    tick(1)
    res.citations += [
        "Huizinga, J., de Moel, H., Szewczyk, W. (2017). Global flood depth-damage functions: "
        "methodology and the database with guidelines. JRC Technical Report EUR 28552 EN.",
    ]


#: Occupancy classes of buildings without a JRC curve of their own use this JRC class.
JRC_CLASS_FOR = {"residential": "residential", "commercial": "commercial",
                 "industrial": "industrial", "public": "commercial", "other": "commercial"}


def _flood_damage(ctx: Context, res: AnalysisResult, stats: gpd.GeoDataFrame,
                  depth: xr.DataArray, rps: list[int]) -> list[str]:
    """Damage per building and return period, EAD with bounds, per district (hazard API)."""
    sec = ctx.config.section("hazard")
    region = sec["curve_region"]
    city = ctx.city
    if "occupancy" in stats.columns:
        classes = sorted({str(c) for c in stats["occupancy"].dropna().unique()})
        unknown = [c for c in classes if c not in JRC_CLASS_FOR]
        if unknown:
            raise AnalysisUnavailable(
                f"buildings have occupancy classes without a JRC curve: {unknown}; use "
                f"{sorted(JRC_CLASS_FOR)}"
            )
        jrc = {c: JRC_CLASS_FOR[c] for c in classes}
        class_column: str | None = "occupancy"
        curves: Any = {c: jrc_curve(region, j) for c, j in jrc.items()}
    else:
        jrc, class_column = {"residential": "residential"}, None
        curves = jrc_curve(region, "residential")
    kwargs: dict[str, Any] = {}
    if sec["damage_column"]:
        kwargs["value"] = sec["damage_column"]
        value_note = f"the building value in column {sec['damage_column']!r}"
    else:
        if not sec["country"]:
            raise AnalysisUnavailable(
                "set hazard.country (for JRC maximum damage values) or hazard.damage_column"
            )
        unit = {c: jrc_max_damage_m2(sec["country"], j) for c, j in jrc.items()}
        kwargs["unit_value"] = unit if class_column else unit["residential"]
        value_note = (f"footprint area × JRC maximum damage per m² for {sec['country']} "
                      "(structure and content, 2010 EUR)")
    damaged = asset_damage(
        stats, curves, intensity=f"flood_depth_m_mean_above_{thr_label(0.0)}",
        fraction_wet=f"flood_depth_m_fraction_above_{thr_label(0.0)}",
        class_column=class_column, intensity_units=depth.attrs["units"], **kwargs,
    )
    dcols = [f"damage_rp{rp}" for rp in rps]
    for rp, col in zip(rps, dcols, strict=True):
        stats[col] = damaged[col].to_numpy()
        res.rows.append(indicator_row(city, "damage", float(np.nansum(damaged[col])),
                                      scenario=rp_label(rp)))
    ead = expected_annual_damage(damaged[dcols], rule=sec["ead_rule"])
    bounds = ead_bounds(damaged[dcols])
    stats["ead"] = ead.per_asset.to_numpy() if ead.per_asset is not None else np.nan
    res.rows += [
        indicator_row(city, "ead", ead.total),
        indicator_row(city, "ead_lower", bounds.lower.total),
        indicator_row(city, "ead_upper", bounds.upper.total),
    ]
    if "districts" in ctx.layers:
        zones = ctx.layers["districts"]
        zc = "name" if "name" in zones.columns else None
        agg = aggregate(stats, ["ead", *dcols], zones=zones, zone_column=zc)
        res.tables["flood_damage_by_district"] = agg
        ead_by_zone = agg[agg["variable"] == "ead"].set_index("zone")["value"]
        key = zones[zc] if zc else zones.index.to_series()
        zout = zones.copy()
        zout["ead"] = key.map(ead_by_zone).astype(float).fillna(0.0).to_numpy()
        res.vectors["flood_damage_by_district"] = zout
    res.notes.append(
        f"Damage of each building = value × JRC depth-damage fraction ({region}, occupancy "
        "class; public and other buildings use the commercial curve) at the footprint's "
        "coverage-weighted mean depth × the wet share of the footprint (Delft-FIAT's "
        f"area rule). Value: {value_note}. Expected annual damage integrates damage over "
        f"annual exceedance probability with the {ead.rule} rule and {ead.tail} tail; the "
        "bounds are the lower and upper step sums over the mapped return periods (upper "
        "bound with the largest event's damage held beyond the rarest map)."
    )
    return dcols


def thr_label(t: float) -> str:
    """Threshold as it appears in hazard column names (``0``, ``0.5``)."""
    return f"{t:g}"


def _maps():
    from urbanrisk import maps

    return maps


# ======================================================================================
# Heat
# ======================================================================================
def run_heat(ctx: Context, res: AnalysisResult, tick: Callable[[int], Any]) -> None:
    """Find heat hot spots and the people living in them."""
    pct = ctx.config.section("heat")["hotspot_percentile"]
    lst: xr.DataArray = ctx.layers["lst"]
    city = ctx.city
    hot = hot_spots(lst, percentile=pct)
    area_km2 = float((hot == 1).sum()) * _cell_area_m2(hot) / 1e6
    res.rows.append(indicator_row(city, "heat_hotspot_area_km2", area_km2))
    res.rasters["heat_hot_spots"] = hot.rename("heat_hot_spots")
    tick(1)
    people = heat_exposure(ctx.layers["population"], lst, percentile=pct)
    res.rows.append(indicator_row(city, "people_heat_hotspot",
                                  float(people["people_in_hot_spots"].sum())))
    zones = None
    if "districts" in ctx.layers:
        zones = ctx.layers["districts"]
        zc = "name" if "name" in zones.columns else None
        by_zone = heat_exposure(ctx.layers["population"], lst, percentile=pct, zones=zones,
                                zone_column=zc)
        res.tables["heat_people_by_district"] = by_zone
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
#: OSM highway classes treated as barriers between green patches (CBI indicator 2).
MAJOR_ROADS = ("motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link",
               "secondary", "secondary_link")


def _landscape_area_m2(ctx: Context, patches: gpd.GeoDataFrame) -> tuple[float, str]:
    sec = ctx.config.section("green")
    if sec["landscape_area_m2"]:
        return float(sec["landscape_area_m2"]), "given in the configuration"
    if "districts" in ctx.layers:
        d = ctx.layers["districts"].to_crs(patches.crs)
        return float(d.union_all().area), "area of the districts"
    x0, y0, x1, y1 = patches.total_bounds
    return float((x1 - x0) * (y1 - y0)), "bounding box of the habitat patches"


def _barriers(ctx: Context) -> gpd.GeoDataFrame | None:
    parts = []
    if "roads" in ctx.layers and "highway" in ctx.layers["roads"].columns:
        roads = ctx.layers["roads"]
        parts.append(roads[roads["highway"].isin(MAJOR_ROADS)][["geometry"]])
    if "railways" in ctx.layers:
        parts.append(ctx.layers["railways"][["geometry"]])
    parts = [p for p in parts if len(p)]
    if not parts:
        return None
    crs = parts[0].crs
    return gpd.GeoDataFrame(pd.concat([p.to_crs(crs) for p in parts], ignore_index=True),
                            crs=crs)


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
                                        make_valid=True)
        habitat_note = "the green-area polygons (touching parts dissolved)"
    res.rows += [
        indicator_row(city, "habitat_patches", len(patches)),
        indicator_row(city, "habitat_area_ha", float(patches["area_m2"].sum()) / 1e4),
    ]
    tick(1)
    kernel = DispersalKernel(sec["dispersal_distance_m"], sec["dispersal_probability"])
    graph = patch_graph(patches, max_distance_m=sec["max_distance_m"], distance="edge")
    area_l, area_note = _landscape_area_m2(ctx, patches)
    pc = probability_of_connectivity(graph, kernel=kernel, landscape_area_m2=area_l)
    total_attr = float(patches["attribute"].sum())
    res.rows += [
        indicator_row(city, "pc", pc.value),
        indicator_row(city, "eca_ha", pc.eca_m2 / 1e4),
        indicator_row(city, "eca_share", 100.0 * pc.eca_m2 / total_attr),
    ]
    tick(1)
    imp = node_importance(graph, kernel=kernel)
    out = patches.merge(imp, left_on="patch_id", right_index=True, how="left")
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
            background=ctx.layers.get("districts"),
        ),
    ))
    tick(1)
    res.notes.insert(0, (
        f"Habitat patches from {habitat_note}, patches under {sec['min_area_m2']:g} m² "
        f"dropped. Patch graph with edge-to-edge Euclidean distances up to "
        f"{sec['max_distance_m']:g} m; dispersal kernel p = "
        f"{sec['dispersal_probability']:g} at {sec['dispersal_distance_m']:g} m "
        f"(negative exponential). PC uses the landscape area A_L = {area_l / 1e4:,.1f} ha "
        f"({area_note}); dPC and its intra, flux and connector fractions are exact."
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
    one = cbi_natural_areas(patches, city_poly)
    row1 = one[one["indicator"] == "cbi_1_natural_areas"].iloc[0]
    barriers = _barriers(ctx)
    two = cbi_connectivity(patches, gap_m=sec["gap_m"],
                           barriers=None if barriers is None else barriers.to_crs(patches.crs),
                           city=city_poly)
    row2 = two[two["indicator"] == "cbi_2_connectivity"].iloc[0]
    res.rows += [
        indicator_row(ctx.city, "cbi1_natural_area_share", float(row1["value"])),
        indicator_row(ctx.city, "cbi1_score", float(row1["score"])),
        indicator_row(ctx.city, "cbi2_connectivity_ha", float(row2["value"])),
        indicator_row(ctx.city, "cbi2_score", float(row2["score"])),
    ]
    res.tables["green_cbi"] = pd.concat([one, two], ignore_index=True)
    res.notes.append(
        "City Biodiversity Index indicators 1 (natural area as a share of the city, the "
        "districts' area) and 2 (effective mesh size of groups of habitat patches less than "
        f"{sec['gap_m']:g} m apart unless a major road or railway lies between, over the "
        "total natural area), each with its scoring points from the CBI User's Manual."
    )


def _green_access(ctx: Context, res: AnalysisResult, patches, graph, kernel) -> None:
    """Share of residents within walking distance of a large enough green area."""
    if "population" not in ctx.layers and "buildings" not in ctx.layers:
        raise AnalysisUnavailable("green access needs `population` or `buildings`")
    sec = ctx.config.section("green")
    green_areas = ctx.layers["green"] if "green" in ctx.layers else patches
    zones = _city_boundary(ctx, green_areas.crs)
    zone_column = "name" if zones is not None and "name" in zones.columns else None
    if zones is None:
        x0, y0, x1, y1 = green_areas.total_bounds
        from shapely.geometry import box

        zones = gpd.GeoDataFrame({"name": [ctx.city]}, geometry=[box(x0, y0, x1, y1)],
                                 crs=green_areas.crs)
        zone_column = "name"
    kwargs = ({"population": ctx.layers["population"]} if "population" in ctx.layers
              else {"buildings": ctx.layers["buildings"]})
    acc = green_access(green_areas, zones, walk_distance_m=sec["access_distance_m"],
                       min_area_m2=sec["access_min_area_m2"], zone_column=zone_column,
                       **kwargs)
    total = float(acc["residents"].sum())
    share = 100.0 * float(acc["residents_with_access"].sum()) / total if total > 0 else np.nan
    res.rows.append(indicator_row(ctx.city, "green_access_share", share))
    res.tables["green_access_by_district"] = acc
    if "districts" in ctx.layers:
        zout = zones.copy()
        key = zout[zone_column] if zone_column else zout.index.to_series()
        by = acc.set_index("zone")["share_with_access"]
        zout["green_access_pct"] = 100.0 * key.map(by).astype(float).to_numpy()
        res.vectors["green_access_by_district"] = zout
        res.maps.append(MapSpec(
            "green_access_by_district",
            f"Share of residents within {sec['access_distance_m']:g} m of a green area of at "
            f"least {sec['access_min_area_m2'] / 1e4:g} ha, per district.",
            lambda: _maps().choropleth_map(
                zout, "green_access_pct", title=f"{ctx.city}: access to green space",
                legend_label=f"Residents within {sec['access_distance_m']:g} m of green "
                             "space (%)", credit=ctx.credit, fmt="{:.0f} %",
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
        cands = patches_from_landcover(ctx.layers["landcover"],
                                       habitat_classes=sec["candidate_classes"],
                                       min_area_m2=sec["candidate_min_area_m2"],
                                       diagonal=False).to_crs(patches.crs)
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
            from rasterio.enums import Resampling

            # a population cell counts as hot when most of it is hot-spot area
            share = hot.rio.reproject_match(pop, resampling=Resampling.average)
            where = share >= 0.5
            co = pd.DataFrame({"residents_hot_near": residents_near(
                cands, pop, distance_m=sec["access_distance_m"], where=where)})
        except Exception as exc:  # noqa: BLE001 - the co-benefit is optional
            logger.warning("heat co-benefit of candidate sites not computed: %s", exc)
    ranked = rank_candidates(patches, cands, kernel=kernel,
                             max_distance_m=sec["max_distance_m"], co_benefits=co)
    k = min(int(sec["top_candidates"]), len(cands))
    picks = best_sites(patches, cands, k=k, kernel=kernel, max_distance_m=sec["max_distance_m"])
    out = cands.join(ranked.drop(columns=[c for c in ranked.columns if c in cands.columns]))
    out["greedy_step"] = np.nan
    out.loc[picks["candidate"].to_numpy(), "greedy_step"] = picks["step"].to_numpy()
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
    sea = ctx.layers.get("sea")
    conn = connection_level(dem, sea=sea, sea_level_m=None if sea is not None else 0.0,
                            connectivity=sec["connectivity"])
    tick(1)

    # sea level at every year from the first projection year, for first-year-reached
    all_years = list(range(min(2020, years[0]), years[-1] + 1))
    proj = ar6_global_mean_sea_level(scenarios=scenarios, quantiles=quantiles, years=all_years)
    proj = relative_sea_level(proj, vertical_land_motion_mm_per_yr=sec[
        "vertical_land_motion_mm_yr"])
    surge = {int(sec["surge_return_period"]): sec["surge_m"]} if sec["surge_m"] > 0 else None
    levels_all = water_levels(proj, reference=ref, surge=surge)
    if "return_period" in levels_all.dims:
        levels_all = levels_all.squeeze("return_period", drop=True)
    levels = levels_all.sel(year=years)
    tick(1)

    depth = inundation_depth(dem, conn, levels)
    extent = inundation_extent(dem, conn, levels)
    tick(1)
    cell = _cell_area_m2(dem)
    connected = (extent == 1)
    area = connected.sum(("y", "x")) * cell / 1e6

    pop_people = None
    if "population" in ctx.layers:
        pop_people = exposed_population(ctx.layers["population"],
                                        depth.where(connected, 0.0).rename("sea_depth"),
                                        threshold=0.0)
        pop_people = pop_people[pop_people["hazard_class"].astype(str).str.startswith(">")]

    bld = None
    if "buildings" in ctx.layers:
        buildings = ctx.layers["buildings"]
        bconn = asset_connection_level(buildings, conn)
        first = first_flood_year(bconn.to_numpy(), levels_all)
        bld = buildings.copy()
        bld["sea_connection_level_m"] = bconn.to_numpy()
        for s in scenarios:
            for q in quantiles:
                col = f"first_year_{slug(slr_label(s, q))}"
                bld[col] = first.sel(scenario=s, quantile=q).to_numpy()
        res.vectors["buildings_coast"] = bld
        res.tables["coast_building_timeline"] = _timeline(bld, scenarios, quantiles)
    tick(1)

    for s in scenarios:
        for q in quantiles:
            label = slr_label(s, q)
            for y in years:
                res.rows.append(indicator_row(city, "sea_level_rise_m",
                                              float(proj.sel(scenario=s, quantile=q, year=y)),
                                              scenario=label, year=y))
                res.rows.append(indicator_row(city, "sea_area_km2",
                                              float(area.sel(scenario=s, quantile=q, year=y)),
                                              scenario=label, year=y))
                if pop_people is not None:
                    sel = pop_people[(pop_people["scenario"] == s)
                                     & np.isclose(pop_people["quantile"], q)
                                     & (pop_people["year"] == y)]
                    res.rows.append(indicator_row(city, "sea_people", float(sel["people"].sum()),
                                                  scenario=label, year=y))
                if bld is not None:
                    col = f"first_year_{slug(label)}"
                    n = int((bld[col].to_numpy() <= y).sum())
                    res.rows.append(indicator_row(city, "sea_buildings", n, scenario=label,
                                                  year=y))

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
                                       outlines=ctx.layers.get("buildings")),
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
                                                 f"{s_show}", credit=ctx.credit),
        ))
    tick(1)
    res.notes.append(
        f"Sea level: IPCC AR6 global mean projections (relative to 1995–2014) for "
        f"{', '.join(scenarios)}, quantiles {', '.join(f'{q:g}' for q in quantiles)}, "
        f"linear between published years, plus vertical land motion "
        f"{sec['vertical_land_motion_mm_yr']:g} mm/yr"
        + (f" and a {sec['surge_return_period']}-year surge of {sec['surge_m']:g} m"
           if surge else "")
        + f"; DEM heights taken above {ref.describe()}. Land is reached when it is "
        "hydrologically connected to the sea at that level (priority-flood, "
        f"{sec['connectivity']}-connectivity); low-lying cells that are not connected are "
        "not counted. A building is reached when any part of its footprint is."
    )
    res.citations += [
        "Fox-Kemper, B. et al. (2021). Ocean, Cryosphere and Sea Level Change. In Climate "
        "Change 2021: The Physical Science Basis (IPCC AR6 WG1), Chapter 9, Table 9.9.",
        "Barnes, R., Lehman, C., Mulla, D. (2014). Priority-flood: An optimal "
        "depression-filling and watershed-labeling algorithm for digital elevation models. "
        "Computers & Geosciences 62, 117–127.",
        "NOAA Office for Coastal Management (2017). Detailed Method for Mapping Sea Level Rise "
        "Inundation.",
    ]


def _timeline(bld: gpd.GeoDataFrame, scenarios: list[str], quantiles: list[float]
              ) -> pd.DataFrame:
    """Tidy building timeline: one row per building, scenario and quantile reached."""
    idcol = "building_id" if "building_id" in bld.columns else None
    frames = []
    for s in scenarios:
        for q in quantiles:
            col = f"first_year_{slug(slr_label(s, q))}"
            reached = bld[np.isfinite(bld[col].to_numpy())]
            frames.append(pd.DataFrame({
                "building": reached[idcol].to_numpy() if idcol else reached.index.to_numpy(),
                "scenario": s,
                "quantile": q,
                "first_year": reached[col].astype(int).to_numpy(),
            }))
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return out.sort_values(["scenario", "quantile", "first_year", "building"],
                           kind="stable").reset_index(drop=True)


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
                                   length_m=sec["transect_length_m"], seaward=sec["seaward"])
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
    lrr = stats_t["LRR_m_per_yr"].to_numpy(dtype=float)
    ok = lrr[np.isfinite(lrr)]
    res.rows.append(indicator_row(city, "shoreline_transects", len(ok)))
    if len(ok):
        res.rows += [
            indicator_row(city, "shoreline_lrr_median_m_yr", float(np.median(ok))),
            indicator_row(city, "shoreline_lrr_min_m_yr", float(ok.min())),
            indicator_row(city, "shoreline_eroding_share", 100.0 * float((ok < 0).mean())),
        ]
    res.maps.append(MapSpec(
        "shoreline_change",
        "Transects coloured by the linear regression rate of shoreline change (negative = "
        "erosion).",
        lambda: _maps().choropleth_map(
            tr.assign(geometry=tr.geometry.buffer(max(sec["transect_spacing_m"] / 6, 2.0))),
            "LRR_m_per_yr", title=f"{city}: shoreline change rate",
            legend_label="Linear regression rate (m/yr)", credit=ctx.credit,
            label_column=None, fmt="{:.2f}",
        ),
    ))
    tick(1)
    res.notes.append(
        f"Shoreline positions along {len(transects)} transects from "
        f"{len(shorelines)} dated shorelines; DSAS statistics (NSM, SCE, EPR, LRR with "
        f"{sec['confidence_level']:.0%} confidence interval) per transect with at least 3 "
        "shorelines. Negative rates are erosion."
    )
    res.citations.append(
        "Himmelstoss, E.A., Henderson, R.E., Kratzmann, M.G., Farris, A.S. (2021). Digital "
        "Shoreline Analysis System (DSAS) version 5.1 user guide. USGS Open-File Report "
        "2021–1091."
    )
