"""Studies under faults: stale resumes, duplicate names, unreadable inputs, no scheduler.

Each test reproduces one fault of issue #15. The city runs call ``_run_city`` (what a worker
runs) on the small coast-only city, without a dask cluster, to stay fast.
"""

from __future__ import annotations

import socket
import time

import numpy as np
import pandas as pd
import pytest
import rasterio

from tests._small_city import small_city
from urbanrisk.errors import ConfigError, OutputExistsError, SchedulerError
from urbanrisk.maps import comparison_figure
from urbanrisk.profile import config_from_dict
from urbanrisk.profile.export import output_lock
from urbanrisk.study import COMPLETE_MARKER, _run_city, load_study_config, run_study


def _sea_area(city_dir) -> float:
    table = pd.read_csv(city_dir / "indicators.csv")
    return float(table.loc[table["indicator"] == "sea_area_km2", "value"].iloc[0])


def test_an_input_changed_in_place_reruns_the_city(tmp_path):
    """The issue's reproduction: lower a city's DEM by 3 m in place; the city runs again."""
    cfg = small_city(tmp_path / "in")
    out = tmp_path / "out" / "a"
    first = _run_city("a", cfg, str(tmp_path), str(out), False)
    assert first.status == "done"
    assert _run_city("a", cfg, str(tmp_path), str(out), False).status == "skipped"
    area_before = _sea_area(out)

    dem = tmp_path / "in" / "dem.tif"
    with rasterio.open(dem, "r+", IGNORE_COG_LAYOUT_BREAK="YES") as ds:
        ds.write(ds.read(1) - 3.0, 1)  # same file, same size, lower land
    again = _run_city("a", cfg, str(tmp_path), str(out), False)
    assert again.status == "done"
    assert _sea_area(out) > area_before  # the new DEM was used
    marker = pd.read_json(out / COMPLETE_MARKER, typ="series")
    assert str(dem) in marker["inputs"] and marker["urbanrisk"]
    assert _run_city("a", cfg, str(tmp_path), str(out), False).status == "skipped"


def test_a_new_urbanrisk_version_reruns_the_city(tmp_path, monkeypatch):
    import urbanrisk.study as study_mod

    cfg = small_city(tmp_path / "in")
    out = tmp_path / "out" / "a"
    assert _run_city("a", cfg, str(tmp_path), str(out), False).status == "done"
    monkeypatch.setattr(study_mod, "__version__", "99.0")
    assert _run_city("a", cfg, str(tmp_path), str(out), False).status == "done"


def test_duplicate_city_names_are_refused_at_config_time_naming_both(tmp_path):
    """Two cities with one ``[city] name``: refused before any city runs."""
    small_city(tmp_path)
    shared = {k: v for k, v in small_city(tmp_path).items() if k != "city"}
    study = {"study": {"name": "s"}, "shared": shared, "cities": [
        {"name": "a", "overrides": {"city": {"name": "Porto"}}},
        {"name": "b", "overrides": {"city": {"name": "Lisboa"}}},
        {"name": "c", "overrides": {"city": {"name": "Porto"}}},
        {"name": "a", "overrides": {"city": {"name": "Faro"}}},
    ]}
    with pytest.raises(ConfigError) as info:
        load_study_config(study)
    text = str(info.value)
    assert "cities[0] ('a') and cities[2] ('c') both have [city] name = 'Porto'" in text
    assert "city 'a' is listed twice, as cities[0] and cities[3]" in text


def test_a_city_whose_dem_is_not_a_raster_fails_with_the_check_message(tmp_path):
    cfg = small_city(tmp_path / "in")
    bad = tmp_path / "in" / "notes.tif"
    bad.write_text("this is not a GeoTIFF")
    cfg["layers"]["dem"] = str(bad)
    with pytest.raises(ConfigError) as check:  # what `urbanrisk check` says
        config_from_dict(cfg, base_dir=tmp_path, probe_files=True)
    outcome = _run_city("x", cfg, str(tmp_path), str(tmp_path / "out" / "x"), False)
    assert (outcome.status, outcome.stage, outcome.error) == ("failed", "config", "ConfigError")
    assert outcome.message == str(check.value)
    assert "Traceback" not in outcome.message and "notes.tif" in outcome.message


def test_an_unexpected_error_is_one_line_not_a_traceback(tmp_path, monkeypatch):
    import urbanrisk.study as study_mod

    def broken(self, **kwargs):
        raise KeyError("dem")

    monkeypatch.setattr(study_mod.CityProfile, "run", broken)
    outcome = _run_city("x", small_city(tmp_path), str(tmp_path), str(tmp_path / "x"), False)
    assert outcome.stage == "run" and "\n" not in outcome.message
    assert outcome.message.startswith("KeyError: 'dem'") and "--debug" in outcome.message


def test_comparison_figure_shows_not_computed_apart_from_zero():
    table = pd.DataFrame({
        "city": ["Zero", "Some"], "indicator": ["ead", "ead"], "scenario": [None, None],
        "year": [None, None], "value": [0.0, 12.5], "unit": ["EUR/yr", "EUR/yr"]})
    fig = comparison_figure(table, selection={"ead": {}}, cities=["Zero", "Failed", "Some"])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Zero", "Failed", "Some"]
    marks = {t.get_text(): t for t in ax.texts}
    assert sorted(marks) == ["0", "not computed"]  # a zero is labelled, a failure marked
    assert marks["not computed"].get_position()[0] == pytest.approx(1.0)  # the failed city
    assert marks["0"].xy[0] == pytest.approx(0.0)  # at the city whose value is zero
    heights = [p.get_height() for p in ax.patches if p.get_width() == pytest.approx(0.8)]
    assert heights[0] == pytest.approx(0.0) and np.isnan(heights[1])


def test_comparison_figure_refuses_two_cities_with_one_name():
    table = pd.DataFrame({
        "city": ["Porto", "Porto"], "indicator": ["ead", "ead"], "scenario": [None, None],
        "year": [None, None], "value": [1.0, 2.0], "unit": ["EUR/yr", "EUR/yr"]})
    from urbanrisk.errors import InputValueError

    with pytest.raises(InputValueError, match="more than one row for city 'Porto'"):
        comparison_figure(table, selection={"ead": {}})


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def one_city(tmp_path):
    return {"study": {"name": "s"}, "shared": small_city(tmp_path / "in"),
            "cities": [{"name": "a"}]}


def test_an_unreachable_scheduler_is_a_clear_error_within_the_timeout(one_city, tmp_path):
    pytest.importorskip("dask.distributed")
    address = f"tcp://127.0.0.1:{_closed_port()}"
    t0 = time.perf_counter()
    with pytest.raises(SchedulerError, match=rf"{address}'?: nothing listens on that port"):
        run_study(one_city, out=tmp_path / "out", client=address, progress=False,
                  connect_timeout_s=1.0)
    assert time.perf_counter() - t0 < 1.5
    assert not (tmp_path / ".~out.lock").exists()  # the study's lock was released


def test_a_scheduler_that_never_answers_times_out(one_city, tmp_path):
    pytest.importorskip("dask.distributed")
    with socket.socket() as server:  # accepts connections (the kernel does), never speaks
        server.bind(("127.0.0.1", 0))
        server.listen()
        address = f"tcp://127.0.0.1:{server.getsockname()[1]}"
        t0 = time.perf_counter()
        with pytest.raises(SchedulerError, match="cannot reach the dask scheduler"):
            run_study(one_city, out=tmp_path / "out", client=address, progress=False,
                      connect_timeout_s=0.5)
        assert time.perf_counter() - t0 < 5


def test_a_bad_scheduler_address_is_a_clear_error(one_city, tmp_path):
    pytest.importorskip("dask.distributed")
    with pytest.raises(SchedulerError, match="the address is not valid"):
        run_study(one_city, out=tmp_path / "out", client="localhost:port", progress=False)


def test_a_second_study_on_the_same_folder_is_refused_at_once(one_city, tmp_path):
    with output_lock(tmp_path / "out"):
        with pytest.raises(OutputExistsError, match="is writing to"):
            run_study(one_city, out=tmp_path / "out", client="tcp://127.0.0.1:1",
                      progress=False)
