import tomllib

import pytest

from urbanrisk.cli import main
from urbanrisk.errors import InputValueError, OutputExistsError
from urbanrisk.layers import read_raster
from urbanrisk.profile import load_config
from urbanrisk.sources import Cache, city_inputs, read_provenance, sha256_of

from .conftest import BBOX

BBOX_ARG = ",".join(str(v) for v in BBOX)


@pytest.fixture(scope="module")
def fetched(tmp_path_factory, catalog, helsinki_pbf):
    """`urbanrisk fetch` on the fixture catalogue and Helsinki extract, as a user runs it."""
    root = tmp_path_factory.mktemp("fetch")
    code = main(["fetch", "--bbox", BBOX_ARG, "--out", str(root / "city"), "--name",
                 "Kluuvi", "--pbf", str(helsinki_pbf), "--catalog", str(catalog),
                 "--cache", str(root / "cache"), "--lst-dates", "2023-06-01/2023-08-31"])
    return code, root


@pytest.mark.slow
def test_fetch_writes_layers_and_a_config_that_checks(fetched, capsys):
    code, root = fetched
    assert code == 0  # every layer written (the box has no coastline: noted, not an error)
    city = root / "city"
    cfg = tomllib.loads((city / "city.toml").read_text())
    assert cfg["city"]["name"] == "Kluuvi"
    assert set(cfg["layers"]) == {"buildings", "roads", "railways", "green", "water",
                                  "landcover", "dem", "population", "flood_depth", "lst"}
    assert "© OpenStreetMap contributors (ODbL 1.0)" in cfg["city"]["credit"]
    assert "CC BY 4.0" in cfg["city"]["credit"]
    assert cfg["coast"]["dem_datum"] == "EGM2008"
    assert (city / "health.gpkg").is_file() and (city / "education.gpkg").is_file()
    assert main(["check", str(city / "city.toml")]) == 0
    loaded = load_config(city / "city.toml")
    assert loaded.wants("hazard") and loaded.wants("heat") and loaded.wants("green")
    prov = {p.layer: p for p in read_provenance(city / "provenance.json")}
    assert prov["lst"].items == ("LC09_clear",) and prov["roads"].licence == "ODbL 1.0"
    assert read_raster(city / "flood_depth.tif").attrs["credit"].startswith("JRC")


@pytest.mark.slow
def test_fetch_offline_reuses_the_cache_byte_for_byte(fetched, tmp_path, helsinki_pbf):
    _, root = fetched
    out = tmp_path / "again"
    code = main(["fetch", "--bbox", BBOX_ARG, "--out", str(out), "--pbf", str(helsinki_pbf),
                 "--catalog", str(tmp_path / "no-catalogue.json"), "--cache",
                 str(root / "cache"), "--offline", "--lst-dates", "2023-06-01/2023-08-31"])
    assert code == 0
    for name in ("dem.tif", "landcover.tif", "lst.tif", "population.tif"):
        assert sha256_of(out / name) == sha256_of(root / "city" / name)
    assert main(["check", str(out / "city.toml")]) == 0


@pytest.mark.slow
def test_profile_runs_end_to_end_on_the_fetched_city(fetched, tmp_path):
    _, root = fetched
    code = main(["profile", str(root / "city" / "city.toml"), "--out", str(tmp_path / "p"),
                 "--no-progress"])
    # 0, or 4 (no districts: per-district results and CBI are skipped, said in the report)
    assert code in (0, 4)
    assert (tmp_path / "p" / "report.html").is_file()
    html = (tmp_path / "p" / "report.html").read_text()
    assert "OpenStreetMap contributors" in html


def test_offline_with_nothing_cached_skips_and_says_why(tmp_path, capsys):
    code = main(["fetch", "--bbox", BBOX_ARG, "--out", str(tmp_path / "c"), "--cache",
                 str(tmp_path / "empty"), "--offline", "--products", "cop-dem-glo-30"])
    assert code == 3
    out = capsys.readouterr().out
    assert "dem" in out and "skipped" in out and "offline" in out
    cfg = tomllib.loads((tmp_path / "c" / "city.toml").read_text())
    assert cfg["layers"] == {}


def test_place_offline_without_cache_is_a_user_error(tmp_path, capsys):
    code = main(["fetch", "--place", "Kluuvi, Helsinki", "--out", str(tmp_path / "c"),
                 "--cache", str(tmp_path / "empty"), "--offline"])
    assert code == 2
    assert "never geocoded" in capsys.readouterr().err


def test_city_inputs_argument_errors(tmp_path):
    with pytest.raises(InputValueError, match="either bbox"):
        city_inputs(out=tmp_path)
    with pytest.raises(InputValueError, match="unknown products"):
        city_inputs(out=tmp_path, bbox=BBOX, products=["srtm"], cache=Cache(tmp_path))
    (tmp_path / "city.toml").write_text("")
    with pytest.raises(OutputExistsError, match="overwrite"):
        city_inputs(out=tmp_path, bbox=BBOX, products=[], osm=False, cache=Cache(tmp_path))
