"""The demo profile: the bundled sample city (Helsinki centre) with every analysis.

:func:`demo_config` returns the checked configuration ``urbanrisk demo`` runs; the layers
are the files of :mod:`urbanrisk.datasets`, so the manifest records their hashes.

Examples
--------
>>> cfg = demo_config()
>>> cfg.city, sorted(cfg.layers)[:3]
('Helsinki', ['buildings', 'coastline', 'dem'])
"""

from __future__ import annotations

from typing import Any

from urbanrisk.profile.config import ProfileConfig, config_from_dict

__all__ = ["DEMO_SETTINGS", "demo_config"]

#: The parameters of the demo (everything else takes its documented default).
DEMO_SETTINGS: dict[str, Any] = {
    "city": {
        "name": "Helsinki",
        "credit": "Vectors © OpenStreetMap contributors (ODbL); rasters synthetic "
        "(urbanrisk sample city)",
    },
    "hazard": {"depth_threshold_m": 0.0, "curve_region": "europe", "country": "FIN"},
    "heat": {"hotspot_percentile": 90.0},
    "green": {"min_area_m2": 500.0, "dispersal_distance_m": 300.0,
              "dispersal_probability": 0.5, "max_distance_m": 1000.0,
              "candidate_classes": [7], "candidate_min_area_m2": 2000.0},
    "coast": {"scenarios": ["SSP1-2.6", "SSP5-8.5"], "quantiles": [0.17, 0.5, 0.83],
              "years": [2050, 2100, 2150], "dem_datum": "N2000", "water_level_m": 0.0,
              "vertical_land_motion_mm_yr": 0.0},
    # Extreme still-water levels: SYNTHETIC, of the order published for the Helsinki tide
    # gauge (N2000; record about +1.5 m in 2005), not a fit to observations.
    "adapt": {"return_periods": [1, 10, 50, 100, 1000],
              "extreme_levels_m": [0.70, 1.10, 1.35, 1.45, 1.85],
              "extremes_source": "synthetic (plausible for the Helsinki tide gauge; not a fit "
              "to observations)",
              "discount": "green_book",
              "protect_crest_m": 2.0, "protect_year": 2030, "protect_cost_eur": 2.0e7,
              "protect_maintenance_share": 0.01, "protect_raise_m": 0.5,
              "protect_raise_year": 2080, "protect_raise_cost_eur": 1.0e7,
              "accommodate_raise_m": 0.5, "accommodate_zone": "Siltasaari",
              "accommodate_year": 2030, "accommodate_cost_per_m2_eur": 300.0,
              "retreat_zones": ["Siltasaari"], "retreat_year": 2060,
              "retreat_cost_per_m2_eur": 2000.0},
}

_LAYERS = ("buildings", "roads", "railways", "green", "water", "coastline", "sea",
           "districts", "dem", "landcover", "population", "flood_depth", "lst")


def demo_config(name: str = "helsinki") -> ProfileConfig:
    """Return the configuration of the sample city's full profile.

    Parameters
    ----------
    name : str, default "helsinki"
        Sample city (see :func:`urbanrisk.datasets.available`).

    Returns
    -------
    ProfileConfig
    """
    from urbanrisk import datasets

    data = {k: dict(v) for k, v in DEMO_SETTINGS.items()}
    data["layers"] = {}
    for layer in _LAYERS:
        try:
            path = datasets.get_path(name, layer)
        except Exception:  # noqa: BLE001 - a sample city without this layer
            continue
        if path.exists():
            data["layers"][layer] = str(path)
    return config_from_dict(data, source=f"urbanrisk demo ({name})")
