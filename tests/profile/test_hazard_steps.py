"""The hazard steps of the profile call the hazard functions and keep dry apart from unknown."""

from __future__ import annotations

import numpy as np
import pytest

from urbanrisk.hazard import ead_bounds
from urbanrisk.profile.indicators import REGISTRY

from ._demo import demo_export


def test_ead_bound_definitions_say_what_ead_bounds_computes():
    """#14: the registry (and so docs/indicators.md) states the computed bounds."""
    lower = REGISTRY["ead_lower"].definition
    upper = REGISTRY["ead_upper"].definition
    assert "held beyond the largest return period" in lower
    assert "larger of its two" in upper and "probability 1" not in upper
    # the definitions, by hand: D = 50, 20, 400 at T = 2, 10, 100 (not monotone)
    # lower = 50*.4 + 20*.09 + 400*.01 = 25.8; upper = 50*.4 + 400*.09 + 400*.01 = 60
    b = ead_bounds([50.0, 20.0, 400.0], [2, 10, 100])
    assert (b.lower.total, b.upper.total) == pytest.approx((25.8, 60.0))


def test_demo_buildings_on_dry_cells_have_zero_damage_not_nan():
    """#14: the profile declares flood-map nodata as dry (depth 0, damage 0)."""
    profile, _ = demo_export()
    res = profile.results["hazard"]
    if res.status != "done":
        pytest.skip(f"hazard analysis not run: {res.reason}")
    b = res.vectors["buildings"]
    for col in [c for c in b.columns if c.startswith(("damage_rp", "flood_depth_m_max_rp"))]:
        assert not b[col].isna().any(), col
    assert not b["ead"].isna().any()
    assert (b["ead_lower"] <= b["ead"] + 1e-9).all() and (b["ead"] <= b["ead_upper"] + 1e-9).all()
    dry = b["flood_depth_m_max_rp500"].to_numpy() == 0
    assert dry.any()
    np.testing.assert_array_equal(b.loc[dry, "damage_rp500"].to_numpy(), 0.0)
