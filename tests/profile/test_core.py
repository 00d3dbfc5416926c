from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from urbanrisk.errors import ConfigError
from urbanrisk.layers import raster_from_array
from urbanrisk.profile import CityProfile, config_from_dict, run_profile
from urbanrisk.profile import steps as steps_mod


@pytest.fixture
def tiny_flood():
    """Three buildings, one in 1 m of water for both return periods, one dry, one at 0.3 m."""
    depth = np.zeros((2, 3, 3))
    depth[:, 0, 0] = 1.0
    depth[1, 0, 2] = 0.3
    fd = raster_from_array(depth, crs=3067, transform=(10, 0, 0, 0, -10, 30), units="m",
                           name="flood_depth", extra_dim="return_period",
                           extra_coords=[10, 100])
    b = gpd.GeoDataFrame(
        {"building_id": [1, 2, 3], "occupancy": ["residential", "commercial", "public"]},
        geometry=[box(2, 22, 8, 28), box(12, 2, 18, 8), box(22, 22, 28, 28)], crs=3067)
    return fd, b


def test_from_layers_runs_only_what_it_can(tiny_flood):
    fd, b = tiny_flood
    p = CityProfile.from_layers("Tiny", layers={"flood_depth": fd, "buildings": b},
                                hazard={"country": "FIN"}).run(progress=False)
    st = p.status().set_index("analysis")["status"].to_dict()
    assert st == {"hazard": "done", "heat": "skipped", "green": "skipped", "coast": "skipped",
                  "shoreline": "skipped", "adapt": "skipped"}
    t = p.indicators.set_index(["indicator", "scenario"])["value"]
    # hand count: RP10 only building 1 is wet; RP100 buildings 1 and 3
    assert t[("buildings_exposed", "RP10")] == 1
    assert t[("buildings_exposed", "RP100")] == 2
    # damage is zero for the dry building and positive for the wet one
    bl = p.vectors["buildings"]
    assert bl.loc[1, "damage_rp100"] == pytest.approx(0.0, abs=1e-9)
    assert bl.loc[0, "damage_rp100"] > 0
    assert t[("damage", "RP100")] == pytest.approx(bl["damage_rp100"].sum())


def test_threshold_is_respected(tiny_flood):
    fd, b = tiny_flood
    p = CityProfile.from_layers("Tiny", layers={"flood_depth": fd, "buildings": b},
                                hazard={"country": "FIN", "depth_threshold_m": 0.5})
    t = p.run(progress=False).indicators.set_index(["indicator", "scenario"])["value"]
    assert t[("buildings_exposed", "RP100")] == 1


def test_a_failing_analysis_is_recorded_and_the_others_still_run(tiny_flood, monkeypatch):
    fd, b = tiny_flood
    lst = raster_from_array(np.arange(9.0).reshape(3, 3), crs=3067,
                            transform=(10, 0, 0, 0, -10, 30), units="degC", name="lst")
    pop = raster_from_array(np.ones((3, 3)), crs=3067, transform=(10, 0, 0, 0, -10, 30),
                            units="people")

    def broken(ctx, res, tick):
        raise RuntimeError("something inside went wrong")

    monkeypatch.setattr(steps_mod, "run_hazard", broken)
    p = CityProfile.from_layers("Tiny", layers={"flood_depth": fd, "buildings": b,
                                                "lst": lst, "population": pop},
                                hazard={"country": "FIN"}).run(progress=False)
    st = p.status().set_index("analysis")
    assert st.loc["hazard", "status"] == "failed"
    assert "something inside went wrong" in st.loc["hazard", "reason"]
    assert st.loc["heat", "status"] == "done"
    assert set(p.indicators["theme"]) == {"heat"}


def test_profile_steps_import_the_theme_functions_plainly():
    """A renamed theme function fails at import (in CI), not as a skipped analysis."""
    import ast
    import inspect

    source = inspect.getsource(steps_mod)
    assert "importlib" not in source
    imported = {alias.name for node in ast.walk(ast.parse(source))
                if isinstance(node, ast.ImportFrom) and node.module in (
                    "urbanrisk.hazard", "urbanrisk.green", "urbanrisk.coast")
                for alias in node.names}
    themes = {"urbanrisk.hazard", "urbanrisk.green", "urbanrisk.coast"}
    modules = {node.module for node in ast.walk(ast.parse(source))
               if isinstance(node, ast.ImportFrom)}
    assert themes <= modules
    assert imported


def test_results_need_a_run_and_a_valid_config():
    p = CityProfile(config_from_dict({"city": {"name": "X"}}))
    with pytest.raises(ConfigError, match="not been run"):
        p.indicators  # noqa: B018
    with pytest.raises(ConfigError, match="needs a ProfileConfig"):
        CityProfile({"city": {"name": "X"}})


def test_run_profile_is_picklable_and_writes(tiny_flood, tmp_path):
    import pickle

    assert pickle.loads(pickle.dumps(run_profile)) is run_profile
    fd, b = tiny_flood
    cfg = {"city": {"name": "Tiny"}, "layers": {"flood_depth": fd, "buildings": b},
           "hazard": {"country": "FIN"}, "output": {"map_formats": ["png"]}}
    table = run_profile(cfg, tmp_path / "out")
    assert len(table) and (tmp_path / "out" / "indicators.csv").is_file()
    assert sorted(p.suffix for p in (tmp_path / "out" / "maps").iterdir()) == [".png"]
    from urbanrisk.errors import OutputExistsError

    with pytest.raises(OutputExistsError):  # refused before any work is done
        run_profile(cfg, tmp_path / "out")


def test_progress_bar_per_analysis_and_explore(tiny_flood, capsys):
    fd, b = tiny_flood
    p = CityProfile.from_layers("Tiny", layers={"flood_depth": fd, "buildings": b},
                                hazard={"country": "FIN"}).run(progress=True)
    err = capsys.readouterr().err
    assert "Tiny: hazard" in err and "5/5" in err
    assert "Tiny: coast" not in err  # skipped analyses get no bar
    m = p.explore("buildings", column="damage_rp100")
    html = m.get_root().render()
    assert "tileLayer(" not in html and "damage_rp100" in html
    with pytest.raises(ConfigError, match="no layer 'nope'"):
        p.explore("nope")


def test_chunked_profile_equals_in_memory_profile():
    """``[compute] chunk_cells``: every raster is read with dask; the indicators are the same."""
    import pandas as pd

    from tests.profile._demo import demo_export
    from urbanrisk.layers import is_dask_backed
    from urbanrisk.profile import demo_config

    eager, _ = demo_export()
    raw = {k: dict(v) for k, v in demo_config().raw.items()}
    raw["compute"] = {"chunk_cells": 40}
    lazy = CityProfile(config_from_dict(raw, source="chunked demo")).run(progress=False)
    rasters = [k for k, v in lazy.layers.items() if hasattr(v, "rio")]
    assert rasters and all(is_dask_backed(lazy.layers[k]) for k in rasters)
    assert (lazy.status()["status"] == eager.status()["status"]).all()
    pd.testing.assert_frame_equal(lazy.indicators, eager.indicators)
