"""Data credits of the input layers: from provenance.json beside them, or their tags."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd

from tests.profile._demo import demo_export
from urbanrisk import datasets
from urbanrisk.layers import raster_from_array, write_raster
from urbanrisk.profile import config_from_dict
from urbanrisk.profile.export import _credits
from urbanrisk.report import profile_report_html
from urbanrisk.sources import Provenance, write_provenance

OSM = dict(product="osm", source="OpenStreetMap extract Helsinki.osm.pbf",
           version="Helsinki.osm.pbf sha256:1a2b3c4d", accessed="2026-12-04",
           licence="ODbL 1.0", credit="© OpenStreetMap contributors")


def _city(tmp_path):
    """buildings and roads fetched (provenance.json), a tagged DEM elsewhere, an untagged one."""
    fetched = tmp_path / "fetched"
    fetched.mkdir()
    for layer in ("buildings", "roads"):
        shutil.copyfile(datasets.get_path("helsinki", layer), fetched / f"{layer}.gpkg")
    write_provenance([Provenance(layer=k, items=("Helsinki.osm.pbf",), **OSM)
                      for k in ("buildings", "roads", "water")],  # water: not an input here
                     fetched / "provenance.json")
    own = tmp_path / "own"
    own.mkdir()
    dem = raster_from_array(np.zeros((2, 2)), crs=3067, transform=(10, 0, 0, 0, -10, 20),
                            units="m", name="dem")
    dem.attrs.update(source="Copernicus DEM GLO-30", licence="Copernicus DEM licence",
                     credit="© DLR e.V. and © Airbus", version="GLO-30", accessed="2026-12-01")
    write_raster(dem, own / "dem.tif")
    shutil.copyfile(datasets.get_path("helsinki", "population"), own / "population.tif")
    # a dem.tif beside a provenance.json that does not list it must not borrow a record
    return config_from_dict({
        "city": {"name": "T"}, "coast": {"run": False},
        "layers": {"buildings": {"path": str(fetched / "buildings.gpkg"), "layer": "buildings"},
                   "roads": str(fetched / "roads.gpkg"), "dem": str(own / "dem.tif"),
                   "population": str(own / "population.tif")},
    })


def test_credits_per_layer_from_provenance_and_tags(tmp_path):
    got = _credits(_city(tmp_path))
    rows = pd.DataFrame(got["credits"]).set_index("layer")
    assert list(rows.index) == ["buildings", "roads", "dem"]
    assert rows.loc["buildings", "licence"] == "ODbL 1.0"
    assert rows.loc["buildings", "items"] == ["Helsinki.osm.pbf"]
    assert rows.loc["buildings", "recorded_in"].endswith("fetched/provenance.json")
    assert rows.loc["dem", "recorded_in"] == "file tags"
    assert rows.loc["dem", "credit"] == "© DLR e.V. and © Airbus"
    # the sample population raster states no licence: listed as missing, not guessed
    assert got["credits_missing"] == ["population"]
    assert got["data_credits"] == [
        "© OpenStreetMap contributors (ODbL 1.0) — buildings, roads: OpenStreetMap extract "
        "Helsinki.osm.pbf, version Helsinki.osm.pbf sha256:1a2b3c4d, accessed 2026-12-04",
        "© DLR e.V. and © Airbus (Copernicus DEM licence) — dem: Copernicus DEM GLO-30, "
        "version GLO-30, accessed 2026-12-01",
    ]
    json.dumps(got)  # plain data: the manifest is JSON


def test_an_unreadable_provenance_file_falls_back_to_tags(tmp_path, caplog):
    cfg = _city(tmp_path)
    (tmp_path / "fetched" / "provenance.json").write_text("{not json")
    got = _credits(cfg)
    assert [r["layer"] for r in got["credits"]] == ["dem"]
    assert got["credits_missing"] == ["buildings", "population", "roads"]
    assert "unreadable" in caplog.text


def test_report_lists_the_data_credits():
    t = pd.DataFrame({"city": ["A"], "theme": ["green"], "indicator": ["eca_ha"],
                      "scenario": [None], "year": [None], "value": [1.0], "unit": ["ha"],
                      "source": ["x"]})
    status = pd.DataFrame({"analysis": ["green"], "status": ["done"], "reason": [""],
                           "seconds": [0.1]})
    page = profile_report_html("A", t, analyses=status, manifest={
        "data_credits": ["© OpenStreetMap contributors (ODbL 1.0) — roads: x"]})
    assert '<ol class="data-credits"><li>© OpenStreetMap contributors (ODbL 1.0) — roads: x' \
        in page


def test_demo_manifest_states_that_the_sample_data_carry_no_licence():
    _, out = demo_export()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["credits"] == [] and manifest["data_credits"] == []
    assert "dem" in manifest["credits_missing"] and "buildings" in manifest["credits_missing"]
