"""Multi-city studies on dask.distributed: config merging, failures, resume."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from urbanrisk.errors import ConfigError
from urbanrisk.study import (
    load_study_config,
    local_cluster,
    merge_configs,
    run_study,
    sample_study,
)


@pytest.fixture(scope="module")
def four_cities(tmp_path_factory):
    """Three cities made from the sample city with the DEM shifted, and one broken."""
    return sample_study(tmp_path_factory.mktemp("study"), n_cities=3, dem_shift_m=-0.3,
                        broken=True)


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("dask.distributed")
    with local_cluster(2, memory_limit="2GiB") as cluster, distributed.Client(cluster) as c:
        yield c


def test_local_cluster_worker_settings(client):
    """Single-threaded workers, no stack profiler, glibc's malloc defaults, bounded GDAL cache."""

    def settings():
        import os

        import dask

        return (
            os.environ.get("NUMBA_NUM_THREADS"),
            os.environ.get("MALLOC_TRIM_THRESHOLD_"),
            os.environ.get("GDAL_CACHEMAX"),
            dask.config.get("distributed.worker.profile.enabled"),
        )

    assert set(client.run(settings).values()) == {("1", None, "256", False)}
    assert set(client.nthreads().values()) == {1}


def test_study_records_failure_and_resumes(four_cities, client, tmp_path):
    config = four_cities
    out = tmp_path / "out"
    first = run_study(config, out=out, client=client, progress=False)
    status = first.summary().set_index("city")["status"].to_dict()
    assert status == {"city0": "done", "city1": "done", "city2": "done", "broken": "failed"}
    failure = first.failures.iloc[0]
    assert failure["city"] == "broken" and failure["stage"] == "config"  # probed as `check`
    assert failure["message"]
    # the concatenated table holds the three complete cities, with one schema
    assert set(first.indicators["city"]) == {"City 0", "City 1", "City 2"}
    for city in ("city0", "city1", "city2"):
        own = pd.read_csv(out / city / "indicators.csv")
        assert len(own) == (first.indicators["city"] == own["city"].iloc[0]).sum()
    # lowering the land never lowers the number of buildings exposed to the sea
    reached = first.indicators.query(
        "indicator == 'sea_buildings' and scenario == 'SSP5-8.5 q0.5' and year == 2150"
    ).set_index("city")["value"]
    assert reached["City 0"] <= reached["City 1"] <= reached["City 2"]
    for name in ("indicators.csv", "indicators.json", "failures.csv", "comparison.png",
                 "comparison.pdf", "study_report.html"):
        assert (out / name).is_file(), name
    html = (out / "study_report.html").read_text()
    assert "broken" in html and "data:image/png;base64," in html
    assert "People exposed" in html  # indicator titles from the registry, as plain data

    again = run_study(config, out=out, client=client, progress=False)
    status = again.summary().set_index("city")["status"].to_dict()
    assert status == {"city0": "skipped", "city1": "skipped", "city2": "skipped",
                      "broken": "failed"}
    pd.testing.assert_frame_equal(again.indicators, first.indicators)

    forced = run_study(config, out=out, client=client, force=True, progress=False)
    assert forced.summary()["status"].tolist() == ["done", "done", "done", "failed"]


def test_changed_city_config_is_rerun(four_cities, client, tmp_path):
    config = four_cities
    one = {**config, "cities": config["cities"][:1]}
    out = tmp_path / "out"
    assert run_study(one, out=out, client=client, progress=False).outcomes[0].status == "done"
    changed = copy.deepcopy(one)
    changed["cities"][0]["overrides"]["heat"] = {"hotspot_percentile": 80.0}
    assert run_study(changed, out=out, client=client, progress=False).outcomes[0].status == "done"


def test_merge_order_template_shared_city_overrides(tmp_path):
    (tmp_path / "template.toml").write_text(
        '[city]\nname = "T"\n[green]\nmin_area_m2 = 100.0\ndispersal_distance_m = 300.0\n'
    )
    (tmp_path / "b.toml").write_text('[city]\nname = "B"\n[green]\nmin_area_m2 = 5.0\n')
    (tmp_path / "study.toml").write_text(
        '[study]\nname = "s"\ntemplate = "template.toml"\n'
        "[shared.green]\ndispersal_distance_m = 800.0\n"
        '[[cities]]\nname = "a"\n[cities.overrides.green]\nmin_area_m2 = 50.0\n'
        '[[cities]]\nname = "b"\nconfig = "b.toml"\n'
    )
    study = load_study_config(tmp_path / "study.toml")
    assert study.cities["a"]["green"] == {"min_area_m2": 50.0, "dispersal_distance_m": 800.0}
    assert study.cities["a"]["city"]["name"] == "T"
    assert study.cities["b"]["green"]["min_area_m2"] == 5.0
    assert study.cities["b"]["city"]["name"] == "B"
    assert study.base_dirs["b"] == tmp_path


def test_study_config_reports_every_problem(tmp_path):
    (tmp_path / "study.toml").write_text(
        '[study]\nname = "s"\ncolour = "red"\n'
        '[[cities]]\nname = "a"\nconfig = "missing.toml"\n'
        '[[cities]]\nname = "a"\nconfig = "missing.toml"\n'
        '[[cities]]\nname = "c"\nflavour = 1\n'
    )
    with pytest.raises(ConfigError) as info:
        load_study_config(tmp_path / "study.toml")
    problems = info.value.problems
    assert any("study.colour" in p for p in problems)
    assert any("missing.toml" in p for p in problems)
    assert any("listed twice" in p for p in problems)
    assert any("flavour" in p for p in problems)
    assert any("neither a config file nor a study template" in p for p in problems)


def test_sample_study_cities_differ(tmp_path):
    from urbanrisk.layers import read_raster
    from urbanrisk.profile.demo import DEMO_SETTINGS

    config = sample_study(tmp_path, n_cities=2, dem_shift_m=-0.5, broken=True)
    study = load_study_config(config)
    assert list(study.cities) == ["city0", "city1", "broken"]
    assert [c["city"]["name"] for c in study.cities.values()] == ["City 0", "City 1", "Broken"]
    assert study.cities["city1"]["green"] == DEMO_SETTINGS["green"]
    dems = [read_raster(study.cities[c]["layers"]["dem"]) for c in ("city0", "city1")]
    np.testing.assert_allclose((dems[0] - dems[1]).values, 0.5, rtol=1e-6)
    assert study.cities["city0"]["layers"]["buildings"] == study.cities["city1"]["layers"][
        "buildings"]


def test_comparison_figure_of_key_indicators(tmp_path):
    from urbanrisk.maps import comparison_figure
    from urbanrisk.profile.indicators import REGISTRY, indicator_row, indicator_table
    from urbanrisk.study import KEY_INDICATORS

    table = indicator_table([indicator_row("A", "ead", 10.0), indicator_row("B", "ead", 30.0)])
    titles = {k: REGISTRY[k].title for k in KEY_INDICATORS}
    fig = comparison_figure(table, selection=KEY_INDICATORS, titles=titles)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == [REGISTRY["ead"].title]
    assert [t.get_text() for t in visible[0].get_xticklabels()] == ["A", "B"]


def test_merge_configs_does_not_change_inputs():
    base = {"a": {"b": [1]}}
    merged = merge_configs(base, {"a": {"c": 2}})
    merged["a"]["b"].append(3)
    assert base == {"a": {"b": [1]}}
    assert np.array_equal(merged["a"]["b"], [1, 3])


@pytest.mark.parametrize("kwargs", [{"workers": 0}, {"workers": 1.5}, {"memory_limit": "lots"}])
def test_local_cluster_refuses_bad_settings(kwargs):
    from urbanrisk.errors import InputValueError

    with pytest.raises(InputValueError, match="workers|memory size"):
        local_cluster(**kwargs)
