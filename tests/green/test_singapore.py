"""Singapore Index (CBI), both editions: map indicators, scores at every band edge, totals."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from urbanrisk.errors import InputValueError
from urbanrisk.green import (
    CBI_SPATIAL_BANDS,
    area_share,
    cbi_connectivity,
    cbi_spatial_index,
    cbi_spatial_score,
    landcover_role_areas,
    recreation_per_1000,
)
from urbanrisk.layers import raster_from_array

# (name, version): [(value, points)] at and around every printed band edge
EDGES = {
    ("protected_areas", "2014"): [(1.39, 0), (1.4, 1), (7.3, 1), (7.4, 2), (11.1, 2),
                                  (11.2, 3), (19.4, 3), (19.5, 4)],
    ("protected_areas", "2021"): [(0.99, 0), (1.0, 1), (6.0, 1), (6.1, 2), (11.0, 2),
                                  (11.1, 3), (17.0, 3), (17.01, 4)],
    ("permeable_areas", "2014"): [(33.0, 0), (33.1, 1), (39.7, 1), (39.8, 2), (64.2, 2),
                                  (64.3, 3), (66.8, 3), (66.9, 4)],
    ("permeable_areas", "2021"): [(29.9, 0), (30.0, 1), (39.9, 1), (40.0, 2), (49.9, 2),
                                  (50.0, 3), (59.9, 3), (60.0, 4)],
    ("tree_canopy", "2014"): [(10.4, 0), (10.5, 1), (19.1, 1), (19.2, 2), (29.0, 2),
                              (29.1, 3), (59.7, 3), (59.8, 4)],
    ("tree_canopy", "2021"): [(9.9, 0), (10.1, 1), (24.9, 1), (25.0, 2), (39.9, 2),
                              (40.0, 3), (54.9, 3), (55.0, 4)],
    ("recreation", "2014"): [(0.09, 0), (0.1, 1), (0.3, 1), (0.4, 2), (0.6, 2), (0.7, 3),
                             (0.9, 3), (0.91, 4)],
    ("recreation", "2021"): [(0.09, 0), (0.1, 1), (0.3, 1), (0.4, 2), (0.6, 2), (0.7, 3),
                             (0.9, 3), (0.91, 4)],
    ("proximity_to_parks", "2021"): [(29.9, 0), (30.0, 1), (49.9, 1), (50.0, 2), (69.9, 2),
                                     (70.0, 3), (89.9, 3), (90.0, 4)],
}


@pytest.mark.parametrize("key", sorted(EDGES))
def test_scores_at_every_band_edge(key):
    name, version = key
    got = [cbi_spatial_score(name, v, version=version) for v, _ in EDGES[key]]
    assert got == [p for _, p in EDGES[key]]


def test_every_band_carries_a_verification_tag():
    for (name, version), b in CBI_SPATIAL_BANDS.items():
        assert b.verified.startswith(("[U]", "[S]")), (name, version)
    with pytest.raises(InputValueError, match="no map-computable"):
        cbi_spatial_score("proximity_to_parks", 50.0, version="2014")


def test_landcover_roles_overlap():
    # 3 × 2 cells of 10 m: 1 forest, 2 grass, 3 cropland, 4 water, 5 built-up, 1 forest
    lc = raster_from_array(np.array([[1, 2, 3], [4, 5, 1]]), crs=3067,
                           transform=(10, 0, 0, 0, -10, 20))
    city = gpd.GeoDataFrame(geometry=[box(0, 0, 30, 20)], crs=3067)
    roles = {"natural": [1, 2], "permeable": [1, 2, 3], "canopy": [1], "water": [4]}
    a = landcover_role_areas(lc, city, roles=roles)
    assert a[["natural", "permeable", "canopy", "water", "city", "terrestrial"]].tolist() \
        == [300.0, 400.0, 200.0, 100.0, 600.0, 500.0]
    assert area_share(a["permeable"], a["terrestrial"]) == pytest.approx(80.0)
    assert area_share(a["canopy"], a["terrestrial"]) == pytest.approx(40.0)
    with pytest.raises(InputValueError, match="roles"):
        landcover_role_areas(lc, city, roles={"forest": [1]})


def test_2014_and_2021_connectivity_of_the_same_city():
    # two 100 ha squares 5 km apart: meff = (100² + 100²) / 200 = 100 ha (2014: 0 points);
    # coherence = 100 × 2 × 100² / 200² = 50 % (2021: 2 points)
    side = 1000.0
    nat = gpd.GeoDataFrame(geometry=[box(0, 0, side, side), box(6000, 0, 6000 + side, side)],
                           crs=3067)
    scored = {}
    for version in ("2014", "2021"):
        t = cbi_connectivity(nat, version=version).set_index("indicator")
        value = t.at["cbi_2_connectivity", "value"]
        idx = cbi_spatial_index({"connectivity": value}, version=version).set_index("name")
        scored[version] = (round(float(value), 6), int(idx.at["connectivity", "score"]))
    assert scored == {"2014": (100.0, 0), "2021": (50.0, 2)}


def test_index_totals_only_computed_indicators():
    t = cbi_spatial_index({"natural_areas": 25.0, "tree_canopy": 20.0, "recreation": None},
                          version="2014", missing={"recreation": "needs population"})
    t = t.set_index("name")
    assert t.at["total", "score"] == 4 + 2 and t.at["total", "max_score"] == 8
    assert t.at["recreation", "missing"] == "needs population"
    assert pd.isna(t.at["recreation", "score"]) and np.isnan(t.at["recreation", "value"])
    assert "proximity_to_parks" not in t.index  # no 2014 indicator
    assert t.at["tree_canopy", "code"] == "CBI-2014 #12"


def test_recreation_per_1000_persons():
    assert recreation_per_1000(120_000.0, 60_000) == pytest.approx(0.2)
