"""`urbanrisk check` (load_config with probe_files) finds layers that lie far apart."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest

from urbanrisk.errors import ConfigError
from urbanrisk.profile.config import config_from_dict, load_config

SAMPLE = Path(__file__).resolve().parents[2] / "data_samples" / "helsinki"


def _write(tmp_path: Path, layers: dict[str, str]) -> Path:
    lines = ['[city]', 'name = "Overlap"', '', '[layers]']
    lines += [f'{k} = "{v}"' for k, v in layers.items()]
    path = tmp_path / "city.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_sample_layers_overlap(tmp_path):
    path = _write(tmp_path, {
        "flood_depth": str(SAMPLE / "flood_depth.tif"),
        "population": str(SAMPLE / "population.tif"),
        "buildings": str(SAMPLE / "buildings.gpkg"),
        "roads": str(SAMPLE / "roads.gpkg"),
    })
    assert load_config(path).city == "Overlap"


def test_mislabelled_crs_is_named(tmp_path):
    # the sample roads in EPSG:3067 coordinates, tagged as UTM 33N: they land ~ 400 km west
    roads = gpd.read_file(SAMPLE / "roads.gpkg").set_crs(32633, allow_override=True)
    roads.to_file(tmp_path / "roads.gpkg", layer="roads")
    path = _write(tmp_path, {
        "flood_depth": str(SAMPLE / "flood_depth.tif"),
        "population": str(SAMPLE / "population.tif"),
        "roads": str(tmp_path / "roads.gpkg"),
    })
    with pytest.raises(ConfigError) as err:
        load_config(path)
    text = str(err.value)
    assert "layers.roads lies far from every other layer" in text
    assert "layers.flood_depth" in text and "Check the CRS" in text
    assert "layers.population lies far" not in text  # only the odd one out is named


def test_two_disjoint_layers_name_the_pair(tmp_path):
    roads = gpd.read_file(SAMPLE / "roads.gpkg").set_crs(32633, allow_override=True)
    roads.to_file(tmp_path / "roads.gpkg", layer="roads")
    path = _write(tmp_path, {"flood_depth": str(SAMPLE / "flood_depth.tif"),
                             "roads": str(tmp_path / "roads.gpkg")})
    with pytest.raises(ConfigError, match="layers.flood_depth and layers.roads lie far apart"):
        load_config(path)


def test_layers_given_as_data_are_checked(tmp_path):
    roads = gpd.read_file(SAMPLE / "roads.gpkg")
    far = roads.set_geometry(roads.translate(xoff=5e5))  # 500 km east, same CRS
    data = {"city": {"name": "Data"}, "layers": {"roads": far,
                                                 "flood_depth": str(SAMPLE / "flood_depth.tif")}}
    with pytest.raises(ConfigError, match="lie far apart"):
        config_from_dict(data, base_dir=tmp_path, probe_files=True)
    data["layers"]["roads"] = roads
    config_from_dict(data, base_dir=tmp_path, probe_files=True)


def test_layers_that_merely_miss_each_other_are_left_to_the_run(tmp_path):
    roads = gpd.read_file(SAMPLE / "roads.gpkg")
    beside = roads.set_geometry(roads.translate(xoff=1000.0))  # just east of the flood grid
    data = {"city": {"name": "Beside"},
            "layers": {"roads": beside, "flood_depth": str(SAMPLE / "flood_depth.tif")}}
    config_from_dict(data, base_dir=tmp_path, probe_files=True)
