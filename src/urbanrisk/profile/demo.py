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
