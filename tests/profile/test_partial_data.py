"""Analyses run on what is there, and say what they left out (issue #18).

A tiny city on a 4 × 4 grid of 10 m cells, checkable by hand: the 10-year flood covers the
left column (0.5 m), the 100-year flood the two left columns (1.0 m); one resident per cell;
one road along the top row; two 8 × 8 m buildings, one in the flooded bottom-left cell.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import LineString, box

from urbanrisk.cli import EXIT_INCOMPLETE, EXIT_OK, main
from urbanrisk.layers import raster_from_array, write_raster
from urbanrisk.profile import CityProfile, load_config
from urbanrisk.profile.plan import NO_DAMAGE_VALUE, analysis_plan, building_use_default

T = (10.0, 0.0, 0.0, 0.0, -10.0, 40.0)


def _tiny_city(d: Path, *, buildings=True, use_column="use", district_column="nimi") -> dict:
    rp10 = np.zeros((4, 4))
    rp10[:, 0] = 0.5
    rp100 = np.zeros((4, 4))
    rp100[:, :2] = 1.0
    for name, values, units in (("rp10", rp10, "m"), ("rp100", rp100, "m"),
                                ("population", np.ones((4, 4)), "people")):
        write_raster(raster_from_array(values, crs=3067, transform=T, units=units),
                     d / f"{name}.tif", overwrite=True)
    gpd.GeoDataFrame({"highway": ["residential"]}, geometry=[LineString([(0, 35), (40, 35)])],
                     crs=3067).to_file(d / "roads.gpkg", layer="roads")
    districts = gpd.GeoDataFrame({district_column: ["West", "East"]},
                                 geometry=[box(0, 0, 20, 40), box(20, 0, 40, 40)], crs=3067)
    districts.to_file(d / "districts.gpkg", layer="districts")
    layers = {"flood_depth": {"10": "rp10.tif", "100": "rp100.tif"},
              "population": "population.tif", "roads": "roads.gpkg",
              "districts": "districts.gpkg"}
    if buildings:
        gpd.GeoDataFrame({use_column: ["residential", "commercial"]},
                         geometry=[box(1, 1, 9, 9), box(31, 31, 39, 39)],
                         crs=3067).to_file(d / "buildings.gpkg", layer="buildings")
        layers["buildings"] = "buildings.gpkg"
    return layers


def _toml(d: Path, layers: dict, **sections) -> Path:
    lines = ['[city]', 'name = "Tiny"', '[output]', 'maps = false', 'report = false',
             '[layers]']
    fd = layers.pop("flood_depth")
    lines += [f'{k} = "{v}"' for k, v in layers.items()]
    lines += ["[layers.flood_depth]"] + [f'{k} = "{v}"' for k, v in fd.items()]
    for sec, kv in sections.items():
        lines.append(f"[{sec}]")
        lines += [f"{k} = {v!r}".replace("'", '"').replace("True", "true")
                  .replace("False", "false") for k, v in kv.items()]
    (d / "city.toml").write_text("\n".join(lines) + "\n")
    return d / "city.toml"


def _value(profile, key, scenario):
    t = profile.indicators
    row = t[(t["indicator"] == key) & (t["scenario"] == scenario)]
    assert len(row) == 1, (key, scenario, t)
    return float(row["value"].iloc[0])


def test_flood_runs_people_and_roads_without_buildings(tmp_path):
    cfg = load_config(_toml(tmp_path, _tiny_city(tmp_path, buildings=False)))
    assert cfg.wants("hazard")
    p = CityProfile(cfg).run(progress=False)
    res = p.results["hazard"]
    assert res.status == "done"
    # by hand: 4 cells of one resident in the left column at RP10, 8 at RP100
    assert _value(p, "people_exposed", "RP10") == pytest.approx(4.0)
    assert _value(p, "people_exposed", "RP100") == pytest.approx(8.0)
    # the road's first 10 m cell is wet at RP10, its first two at RP100
    assert _value(p, "roads_exposed_km", "RP10") == pytest.approx(0.01)
    assert _value(p, "roads_exposed_km", "RP100") == pytest.approx(0.02)
    assert "buildings_exposed" not in set(p.indicators["indicator"])
    assert "no `buildings` layer" in res.reason
    # the check says the same before the run
    plan = {x.analysis: x for x in analysis_plan(cfg)}
    assert plan["hazard"].status == "runs partly"
    assert plan["hazard"].reason == res.reason
    assert p.outcome() == "partial"
    assert "flood_people_by_district" in p.tables


def test_without_country_damage_and_ead_are_said_to_be_missing(tmp_path):
    cfg = load_config(_toml(tmp_path, _tiny_city(tmp_path),
                            columns={"building_use": "use"}))
    p = CityProfile(cfg).run(progress=False)
    res = p.results["hazard"]
    assert res.status == "done"
    assert NO_DAMAGE_VALUE in res.reason
    assert any("hazard.country" in n for n in res.notes)
    assert not {"damage", "ead"} & set(p.indicators["indicator"])
    assert _value(p, "buildings_exposed", "RP10") == 1
    plan = {x.analysis: x for x in analysis_plan(cfg)}
    assert plan["hazard"].reason == res.reason
    assert p.outcome() == "partial"


def test_with_country_and_every_layer_the_flood_analysis_is_complete(tmp_path):
    cfg = load_config(_toml(tmp_path, _tiny_city(tmp_path), hazard={"country": "FIN"},
                            columns={"building_use": "use", "district_name": "nimi"}))
    plan = {x.analysis: x for x in analysis_plan(cfg)}
    assert plan["hazard"].status == "runs" and plan["hazard"].defaults == ()
    p = CityProfile(cfg).run(progress=False)
    assert p.results["hazard"].reason == ""
    assert _value(p, "damage", "RP100") > _value(p, "damage", "RP10") > 0
    assert p.outcome() == "complete"
    zones = set(p.tables["flood_damage_by_district"].iloc[:, 0])
    assert "West" in zones or "West" in set(p.tables["flood_damage_by_district"].to_numpy()
                                            .ravel())


def test_a_missing_building_use_column_is_reported_not_silently_defaulted(tmp_path):
    cfg = load_config(_toml(tmp_path, _tiny_city(tmp_path, use_column="kind"),
                            hazard={"country": "FIN"}))
    plan = {x.analysis: x for x in analysis_plan(cfg)}
    item = building_use_default("occupancy")
    assert item in plan["hazard"].reason
    assert any("kind" in d for d in plan["hazard"].defaults)  # lists the file's columns
    p = CityProfile(cfg).run(progress=False)
    res = p.results["hazard"]
    assert item in res.reason and res.reason == plan["hazard"].reason
    assert any("every building was taken as residential" in n for n in res.notes)
    # naming the column removes the default
    cfg2 = load_config(_toml(tmp_path, _tiny_city(tmp_path, use_column="kind"),
                             hazard={"country": "FIN"}, columns={"building_use": "kind"}))
    assert analysis_plan(cfg2)[0].status == "runs"


def test_a_missing_district_name_column_is_reported(tmp_path):
    cfg = load_config(_toml(tmp_path, _tiny_city(tmp_path, buildings=False)))
    plan = {x.analysis: x for x in analysis_plan(cfg)}
    assert any("no column 'name'" in d and "nimi" in d for d in plan["hazard"].defaults)
    p = CityProfile(cfg).run(progress=False)
    assert any("columns.district_name" in n for n in p.results["hazard"].notes)
    cfg2 = load_config(_toml(tmp_path, _tiny_city(tmp_path, buildings=False),
                             columns={"district_name": "nimi"}))
    assert not analysis_plan(cfg2)[0].defaults
    p2 = CityProfile(cfg2).run(progress=False)
    assert "West" in p2.tables["flood_people_by_district"].to_numpy().ravel()


def test_nodata_is_dry_false_is_a_reported_default(tmp_path):
    cfg = load_config(_toml(tmp_path, _tiny_city(tmp_path), hazard={"nodata_is_dry": False}))
    plan = {x.analysis: x for x in analysis_plan(cfg)}
    assert any("nodata_is_dry = false" in d for d in plan["hazard"].defaults)


def test_exit_codes_say_whether_everything_was_computed(tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    partial = _toml(a, _tiny_city(a, buildings=False), columns={"district_name": "nimi"})
    assert main(["profile", str(partial), "--out", str(a / "out"), "--no-progress"]) \
        == EXIT_INCOMPLETE
    assert "not everything asked for" in capsys.readouterr().err
    full = _toml(b, _tiny_city(b), hazard={"country": "FIN"},
                 columns={"building_use": "use", "district_name": "nimi"})
    assert main(["profile", str(full), "--out", str(b / "out"), "--no-progress"]) == EXIT_OK


def test_nothing_ran_is_not_success(tmp_path, capsys):
    (tmp_path / "city.toml").write_text('[city]\nname = "Empty"\n[output]\nmaps = false\n'
                                        'report = false\n')
    assert main(["profile", str(tmp_path / "city.toml"), "--out", str(tmp_path / "out"),
                 "--no-progress"]) == EXIT_INCOMPLETE
    assert "no analysis ran" in capsys.readouterr().err


def test_check_prints_each_analysis_with_what_it_leaves_out(tmp_path, capsys):
    cfg = _toml(tmp_path, _tiny_city(tmp_path, buildings=False))
    assert main(["check", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert "hazard     runs partly  without:" in out
    assert "- buildings exposed, damage and expected annual damage (no `buildings` layer)" \
        in out
    assert "heat       skipped      because layers not given: lst" in out
    assert "default: districts have no column 'name'" in out


def test_the_shipped_examples_pass_check(capsys):
    root = Path(__file__).resolve().parents[2] / "examples"
    for name in ("city.toml", "minimal.toml"):
        assert main(["check", str(root / name)]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "Minimal" in out and "runs partly" in out
