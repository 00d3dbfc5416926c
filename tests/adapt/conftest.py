"""Small hand-checkable coastal cities for the adapt tests."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from shapely.geometry import box

from urbanrisk.coast import connection_level, projection_from_table
from urbanrisk.layers import raster_from_array


def tilted_plane(nx: int = 12, ny: int = 4, slope_m_per_cell: float = 0.1,
                 cell_m: float = 10.0):
    """Heights 0.1, 0.2, ... m rising away from a sea column on the left (x = 0)."""
    z = np.tile(np.arange(nx, dtype=float) * slope_m_per_cell, (ny, 1))
    z[:, 0] = -1.0
    dem = raster_from_array(z, crs=3067, transform=(cell_m, 0, 0, 0, -cell_m, ny * cell_m),
                            units="m")
    return dem, connection_level(dem, sea_level_m=0.0)


def linear_projection(rates_m_per_yr: dict, years=range(2020, 2121)) -> xr.DataArray:
    """A projection of one's own: 0 m in 2020 rising at a constant rate per scenario."""
    rows = [{"scenario": s, "quantile": 0.5, "year": y, "value": r * (y - 2020)}
            for s, r in rates_m_per_yr.items() for y in years]
    return projection_from_table(pd.DataFrame(rows), value_column="value")


def levels_array(values: np.ndarray, *, scenarios, years, rps, quantiles=(0.5,)):
    """Levels DataArray (scenario, quantile, year, return_period) from a 4-D array."""
    return xr.DataArray(np.asarray(values, float),
                        dims=("scenario", "quantile", "year", "return_period"),
                        coords={"scenario": list(scenarios), "quantile": list(quantiles),
                                "year": list(years), "return_period": list(rps)},
                        attrs={"units": "m"})


@pytest.fixture
def plane():
    return tilted_plane()


@pytest.fixture
def two_zone_city():
    """Tilted plane, 6 one-cell buildings in two zones (west: x < 60 m, east: beyond)."""
    dem, conn = tilted_plane()
    xs = [10, 30, 50, 70, 90, 100]
    b = gpd.GeoDataFrame({"occupancy": "residential", "residents": [2.0] * 6},
                         geometry=[box(x, 10, x + 10, 20) for x in xs], crs=3067)
    zones = gpd.GeoDataFrame({"name": ["west", "east"]},
                             geometry=[box(0, 0, 60, 40), box(60, 0, 120, 40)], crs=3067)
    return dem, conn, b, zones
