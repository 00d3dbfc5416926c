from __future__ import annotations

import numpy as np
import pytest

from urbanrisk.layers import raster_from_array


@pytest.fixture(scope="module")
def grid10():
    """10 x 10 raster of 1 m cells, x 0..10, y 0..10 (row 0 at the top), value 10*row + col."""
    rows, cols = np.mgrid[0:10, 0:10]
    values = (10.0 * rows + cols).astype(np.float64)
    return raster_from_array(
        values, crs=3067, transform=(1, 0, 0, 0, -1, 10), units="m", name="flood_depth"
    )


@pytest.fixture(scope="module")
def depth_rp():
    """3 return periods on a 20 x 30 grid of 5 m cells; depth grows with return period."""
    rng = np.random.default_rng(0)
    base = rng.gamma(1.0, 0.5, size=(20, 30))
    base[rng.random((20, 30)) < 0.3] = 0.0
    values = np.stack([base, base * 1.5 + 0.1, base * 2.2 + 0.3]).astype(np.float32)
    values[:, 0, 0] = np.nan
    return raster_from_array(
        values, crs=3067, transform=(5, 0, 385000, 0, -5, 6672100), units="m",
        name="flood_depth", extra_dim="return_period", extra_coords=[10, 100, 1000],
    )
