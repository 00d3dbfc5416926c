from __future__ import annotations

import textwrap
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from urbanrisk.errors import ConfigError
from urbanrisk.layers import raster_from_array, write_raster, write_vector
from urbanrisk.profile.config import SCHEMA, config_from_dict, load_config, schema_markdown

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture
def city_dir(tmp_path):
    """A folder with a tiny city: buildings, a DEM and a flood depth per return period."""
    data = tmp_path / "data"
    b = gpd.GeoDataFrame({"occupancy": ["residential"]}, geometry=[box(0, 0, 10, 10)],
                         crs=3067)
    write_vector(b, data / "buildings.gpkg", layer="buildings")
    for rp in (10, 100):
        d = raster_from_array(np.full((3, 3), rp / 100), crs=3067,
                              transform=(10, 0, 0, 0, -10, 30), units="m")
        write_raster(d, data / f"rp{rp}.tif")
    return tmp_path


def _write(folder: Path, text: str) -> Path:
    path = folder / "city.toml"
    path.write_text(textwrap.dedent(text))
    return path


def test_valid_config_paths_are_relative_to_the_file(city_dir, monkeypatch):
    monkeypatch.chdir("/")  # the working folder must not matter
    path = _write(city_dir, """
        [city]
        name = "Tiny"
        [layers]
        buildings = "data/buildings.gpkg"
        flood_depth = { 10 = "data/rp10.tif", 100 = "data/rp100.tif" }
        [hazard]
        depth_threshold_m = 0.2
        country = "FIN"
    """)
    cfg = load_config(path)
    assert cfg.city == "Tiny"
    assert cfg.layers["buildings"].path == city_dir / "data" / "buildings.gpkg"
    assert list(cfg.layers["flood_depth"].paths_by_return_period) == [10, 100]
    assert cfg.section("hazard")["depth_threshold_m"] == pytest.approx(0.2)
    assert cfg.section("hazard")["ead_rule"] == "trapezoid"  # default filled in
    assert cfg.wants("hazard") and not cfg.wants("green") and not cfg.wants("coast")


def test_three_mistakes_are_all_reported(city_dir):
    path = _write(city_dir, """
        [city]
        name = "Tiny"
        [layers]
        buildings = "data/missing.gpkg"
        [green]
        dispersal_distance_m = "far"
        [hazard]
        colour = "red"
    """)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    problems = info.value.problems
    assert len(problems) == 3, problems
    text = str(info.value)
    assert "3 problem(s)" in text and str(path) in text
    assert any("layers.buildings: file not found" in p and "missing.gpkg" in p
               for p in problems)
    assert any("green.dispersal_distance_m: expected a number, got 'far'" in p
               for p in problems)
    assert any("hazard: unknown key 'colour'" in p for p in problems)


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"city": {"name": "X"}, "hazrd": {}}, "unknown section [hazrd]"),
        ({"city": {}}, "city.name: missing"),
        ({"city": {"name": "X"}, "coast": {"years": [2100, 2050]}}, "must be increasing"),
        ({"city": {"name": "X"}, "coast": {"quantiles": [50]}}, "between 0 and 1"),
        ({"city": {"name": "X"}, "coast": {"scenarios": ["RCP8.5"]}}, "look like 'SSP1-2.6'"),
        ({"city": {"name": "X"}, "coast": {"connectivity": 6}}, "must be 4 or 8"),
        ({"city": {"name": "X"}, "green": {"min_area_m2": -1}}, "must be >= 0"),
        ({"city": {"name": "X"}, "green": {"dispersal_probability": 1.5}}, "between 0 and 1"),
        ({"city": {"name": "X"}, "green": {"top_candidates": 2.5}}, "expected an integer"),
        ({"city": {"name": "X"}, "output": {"maps": "yes"}}, "expected true or false"),
        ({"city": {"name": "X"}, "output": {"dpi": True}}, "expected an integer"),
        ({"city": {"name": "X"}, "hazard": {"ead_rule": "simpson"}}, "must be one of"),
        ({"city": {"name": "X"}, "hazard": {"return_periods": [10, 10]}}, "duplicates"),
        ({"city": {"name": "X"}, "hazard": {"run": True}}, "hazard.run = true needs layers"),
        ({"city": {"name": "X"}, "layers": {"rooftops": "a.gpkg"}}, "unknown layer"),
        ({"city": {"name": "X"}, "layers": {"dem": 3}}, "expected a file path"),
        ({"city": {"name": "X"}, "green": {"dispersal_distanse_m": 3}},
         "did you mean 'dispersal_distance_m'?"),
        ({"city": "X"}, "[city] must be a table"),
    ],
)
def test_each_kind_of_problem_is_reported(data, fragment):
    with pytest.raises(ConfigError) as info:
        config_from_dict(data)
    assert fragment in str(info.value)


@pytest.mark.parametrize("name", ["../report.html", "/tmp/report.html", "a/../../r.html",
                                  "C:/x/report.html", "report.txt"])
def test_outputs_never_leave_the_output_folder(name):
    with pytest.raises(ConfigError) as info:
        config_from_dict({"city": {"name": "X"}, "output": {"report_name": name}})
    assert "output.report_name" in str(info.value)


def test_nested_output_names_inside_the_folder_are_fine():
    cfg = config_from_dict({"city": {"name": "X"},
                            "output": {"report_name": "html/city.html"}})
    assert cfg.section("output")["report_name"] == "html/city.html"


def test_inputs_outside_the_config_folder_are_allowed(city_dir, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("cfg")
    path = _write(elsewhere, f"""
        [city]
        name = "X"
        [layers]
        buildings = "{(city_dir / 'data' / 'buildings.gpkg').as_posix()}"
        green = "../{city_dir.name}/data/buildings.gpkg"
    """)
    cfg = load_config(path)
    assert cfg.layers["buildings"].path.is_file()
    assert cfg.layers["green"].path.resolve() == (city_dir / "data" / "buildings.gpkg")


def test_bad_toml_and_missing_file_are_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[city\nname = 'x'")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)


def test_coast_needs_a_stated_vertical_datum():
    dem = raster_from_array(np.zeros((2, 2)), crs=3067, transform=(1, 0, 0, 0, -1, 2),
                            units="m")
    with pytest.raises(ConfigError, match="coast.dem_datum"):
        config_from_dict({"city": {"name": "X"}, "layers": {"dem": dem}})
    cfg = config_from_dict({"city": {"name": "X"}, "layers": {"dem": dem},
                            "coast": {"run": False}})
    assert not cfg.wants("coast")


def test_in_memory_layers_and_wrong_kinds():
    parks = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)], crs=3067)
    cfg = config_from_dict({"city": {"name": "X"}, "layers": {"green": parks}})
    assert cfg.layers["green"].data is parks and cfg.wants("green")
    assert cfg.raw["layers"]["green"] == "<in-memory GeoDataFrame>"
    with pytest.raises(ConfigError, match="expected a DataArray"):
        config_from_dict({"city": {"name": "X"}, "layers": {"dem": parks}})


def test_every_key_is_documented():
    md = schema_markdown()
    for section, fields in SCHEMA.items():
        assert f"`[{section}]`" in md
        for key in fields:
            assert f"| `{key}` |" in md
    cfg_doc = DOCS / "config.md"
    if not cfg_doc.exists():
        pytest.skip(f"{cfg_doc} not written yet")
    text = cfg_doc.read_text()
    missing = [f"{s}.{k}" for s, f in SCHEMA.items() for k in f if f"`{k}`" not in text]
    assert not missing, f"docs/config.md does not mention {missing}"


def test_unreadable_files_and_missing_gpkg_layers_are_reported_up_front(city_dir):
    (city_dir / "data" / "junk.tif").write_text("not a raster")
    path = _write(city_dir, """
        [city]
        name = "X"
        [layers]
        buildings = { path = "data/buildings.gpkg", layer = "roofs" }
        lst = "data/junk.tif"
        roads = "data/rp10.tif"
    """)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    text = str(info.value)
    assert "3 problem(s)" in text
    assert "has no layer 'roofs' (layers: buildings)" in text
    assert "layers.lst:" in text and "cannot be read as a raster" in text
    assert "layers.roads:" in text and "cannot be read as a vector layer" in text
