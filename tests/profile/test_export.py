"""End to end: the demo profile on the sample city, exported and read back."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
import rasterio

from tests.profile._demo import demo_export
from urbanrisk.errors import OutputExistsError
from urbanrisk.layers import read_raster, read_vector
from urbanrisk.profile import COLUMNS, CityProfile, demo_config, export_profile
from urbanrisk.profile.export import MANIFEST_NAME, file_sha256


@pytest.fixture(scope="module")
def demo():
    return demo_export()


@pytest.fixture(scope="module")
def table(demo):
    _, out = demo
    return pd.read_csv(out / "indicators.csv", keep_default_na=False, na_values=[""])


def _value(table, indicator, scenario=None, year=None):
    sel = table[table["indicator"] == indicator]
    if scenario is not None:
        sel = sel[sel["scenario"] == scenario]
    if year is not None:
        sel = sel[sel["year"] == year]
    assert len(sel) == 1, (indicator, scenario, year, sel)
    return float(sel["value"].iloc[0])


def test_every_expected_file_exists_and_opens(demo):
    profile, out = demo
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    for rel in ("indicators.csv", "indicators.json", "profile.gpkg", "report.html"):
        assert (out / rel).is_file(), rel
    # every file the manifest lists exists with that hash, and nothing else is there
    files = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    assert files - {MANIFEST_NAME} == set(manifest["outputs"])
    for rel, digest in manifest["outputs"].items():
        assert file_sha256(out / rel) == digest, rel
    # no temporary files left behind, beside or inside the folder
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".~")]
    assert not [p for p in out.rglob(".~*")]
    # vector layers
    layers = {name for name, _ in pyogrio.list_layers(out / "profile.gpkg")}
    assert set(profile.vectors) == layers
    for name in layers:
        gdf = read_vector(out / "profile.gpkg", layer=name)
        assert len(gdf) == len(profile.vectors[name]) and gdf.crs.to_epsg() == 3067
    # rasters are COGs that open with rasterio, with CRS and units
    tifs = sorted((out / "rasters").glob("*.tif"))
    assert tifs
    for tif in tifs:
        with rasterio.open(tif) as src:
            assert src.crs.to_epsg() == 3067
            assert src.tags().get("units")
            assert src.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG", tif
    # maps in both formats
    maps = {p.stem for p in (out / "maps").glob("*.png")}
    assert maps == {p.stem for p in (out / "maps").glob("*.pdf")}
    assert {m.name for m in profile.map_specs()} == maps
    for pdf in (out / "maps").glob("*.pdf"):
        assert pdf.read_bytes().startswith(b"%PDF")


def test_indicator_table_schema_and_json_copy(demo, table):
    _, out = demo
    assert tuple(table.columns) == COLUMNS
    assert (table["city"] == "Helsinki").all()
    as_json = pd.read_json(out / "indicators.json", orient="records")
    assert len(as_json) == len(table)
    assert np.allclose(as_json["value"].to_numpy(dtype=float),
                       table["value"].to_numpy(dtype=float), equal_nan=True)
    assert not table.duplicated(["indicator", "scenario", "year"]).any()


def test_counts_in_the_table_equal_counts_in_the_layers(demo, table):
    profile, out = demo
    if profile.results["hazard"].status != "done":
        pytest.skip(f"hazard analysis not run: {profile.results['hazard'].reason}")
    b = read_vector(out / "profile.gpkg", layer="buildings")
    thr = profile.config.section("hazard")["depth_threshold_m"]
    for rp in (10, 50, 100, 500):
        n = _value(table, "buildings_exposed", f"RP{rp}")
        assert n == int(b[f"flood_exposed_rp{rp}"].sum())
        assert n == int((b[f"flood_depth_m_max_rp{rp}"] > thr).sum())
        if f"damage_rp{rp}" in b:
            assert _value(table, "damage", f"RP{rp}") == pytest.approx(
                b[f"damage_rp{rp}"].sum(), rel=1e-9)
    if "ead" in b:
        assert _value(table, "ead") == pytest.approx(b["ead"].sum(), rel=1e-9)
        assert _value(table, "ead_lower") <= _value(table, "ead") <= _value(table, "ead_upper")
        by_zone = pd.read_csv(out / "tables" / "flood_damage_by_district.csv")
        assert by_zone.loc[by_zone["variable"] == "ead", "value"].sum() == pytest.approx(
            _value(table, "ead"), rel=1e-9)
    roads = read_vector(out / "profile.gpkg", layer="roads")
    assert _value(table, "roads_exposed_km", "RP100") == pytest.approx(
        roads["flood_exposed_length_m_rp100"].sum() / 1000, rel=1e-9)


def test_coast_counts_match_the_layers_and_rasters(demo, table):
    profile, out = demo
    if profile.results["coast"].status != "done":
        pytest.skip(f"coast analysis not run: {profile.results['coast'].reason}")
    sec = profile.config.section("coast")
    b = read_vector(out / "profile.gpkg", layer="buildings_coast")
    for s in sec["scenarios"]:
        for q in sec["quantiles"]:
            label = f"{s} q{q:g}"
            slug = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")
            depth = read_raster(out / "rasters" / f"sea_depth_{slug}.tif")
            assert depth.dims == ("year", "y", "x")
            cell = abs(float(np.prod(depth.rio.resolution())))
            for y in sec["years"]:
                n = _value(table, "sea_buildings", label, y)
                assert n == int((b[f"first_year_{slug}"] <= y).sum())
                wet = int(np.isfinite(depth.sel(year=y).values).sum())
                assert _value(table, "sea_area_km2", label, y) == pytest.approx(
                    wet * cell / 1e6, rel=1e-9, abs=1e-12)
            # more time never shrinks what the sea has reached
            series = [_value(table, "sea_buildings", label, y) for y in sec["years"]]
            assert series == sorted(series)


def test_heat_and_green_counts_match(demo, table):
    profile, out = demo
    if profile.results["heat"].status == "done":
        hot = read_raster(out / "rasters" / "heat_hot_spots.tif")
        cell = abs(float(np.prod(hot.rio.resolution())))
        assert _value(table, "heat_hotspot_area_km2") == pytest.approx(
            float((hot.values == 1).sum()) * cell / 1e6)
    if profile.results["green"].status == "done":
        p = read_vector(out / "profile.gpkg", layer="green_patches")
        assert _value(table, "habitat_patches") == len(p)
        assert _value(table, "habitat_area_ha") == pytest.approx(p["area_m2"].sum() / 1e4)
        assert _value(table, "eca_ha") <= _value(table, "habitat_area_ha") + 1e-9
        assert 0.0 <= _value(table, "pc") <= 1.0


def test_manifest_records_versions_config_inputs_and_time(demo):
    profile, out = demo
    m = json.loads((out / MANIFEST_NAME).read_text())
    assert m["city"] == "Helsinki"
    assert m["versions"]["urbanrisk"] and "numpy" in m["versions"] and "gdal" in m["versions"]
    assert m["created"] and m["run_seconds"] >= 0
    assert m["parameters"]["coast"]["dem_datum"] == "N2000"
    for layer, files in m["inputs"].items():
        for f in files:
            assert file_sha256(f["path"]) == f["sha256"], layer
    assert {"buildings", "dem", "flood_depth"} <= set(m["inputs"])
    assert [a["analysis"] for a in m["analyses"]] == list(profile.results)


def test_report_is_self_contained(demo):
    _, out = demo
    html = (out / "report.html").read_text()
    assert not re.search(r"""(src|href)=["']https?:""", html)
    assert "<link" not in html and "@import" not in html
    assert html.count("data:image/png;base64,") == len(list((out / "maps").glob("*.png")))
    assert 'id="indicators"' in html and "Huizinga" in html
    assert "OpenStreetMap" in html  # the data credit


def test_skipped_analyses_have_no_rows_and_a_reason(demo, table):
    profile, _ = demo
    status = profile.status()
    for rec in status.to_dict(orient="records"):
        if rec["status"] == "skipped":
            assert rec["reason"]
            assert not (table["theme"] == rec["analysis"]).any()
    shore = status.set_index("analysis").loc["shoreline"]
    assert shore["status"] == "skipped" and "shorelines" in shore["reason"]


def test_two_runs_are_identical(demo, tmp_path):
    """Determinism: same indicator table and the same raster bytes."""
    _, first = demo
    second = CityProfile(demo_config()).run(progress=False).export(tmp_path / "again")
    assert (first / "indicators.csv").read_bytes() == (second / "indicators.csv").read_bytes()
    r1 = sorted(p.relative_to(first) for p in (first / "rasters").glob("*.tif"))
    r2 = sorted(p.relative_to(second) for p in (second / "rasters").glob("*.tif"))
    assert r1 == r2 and r1
    for rel in r1:
        assert (first / rel).read_bytes() == (second / rel).read_bytes(), rel
    m1 = json.loads((first / MANIFEST_NAME).read_text())
    m2 = json.loads((second / MANIFEST_NAME).read_text())
    for key in ("inputs", "parameters", "config", "versions"):
        assert m1[key] == m2[key]


def test_existing_folders_are_refused_unless_overwrite(demo, tmp_path):
    profile, _ = demo
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(OutputExistsError, match="already exists"):
        export_profile(profile, out)
    # an empty folder may be replaced with overwrite
    export_profile(profile, out, overwrite=True)
    assert (out / MANIFEST_NAME).is_file()
    stale = out / "stale.txt"
    stale.write_text("from an earlier run")
    export_profile(profile, out, overwrite=True)  # our own folder: replaced whole
    assert not stale.exists() and (out / MANIFEST_NAME).is_file()
    foreign = tmp_path / "thesis"
    foreign.mkdir()
    (foreign / "chapter1.tex").write_text("precious")
    with pytest.raises(OutputExistsError, match="not written by urbanrisk"):
        export_profile(profile, foreign, overwrite=True)
    assert (foreign / "chapter1.tex").read_text() == "precious"
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    with pytest.raises(OutputExistsError, match="is a file"):
        export_profile(profile, a_file, overwrite=True)


def test_a_failing_export_leaves_nothing_behind(demo, tmp_path, monkeypatch):
    profile, _ = demo
    import urbanrisk.profile.export as export_mod

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(export_mod, "write_raster", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        export_profile(profile, tmp_path / "broken")
    assert list(tmp_path.iterdir()) == []


def test_outputs_stay_inside_the_folder():
    from urbanrisk.profile.export import _inside

    root = Path("/tmp/urbanrisk-out")
    assert _inside(root, "maps/a.png") == (root / "maps" / "a.png").resolve()
    with pytest.raises(OutputExistsError, match="outside the output folder"):
        _inside(root, "../elsewhere.png")
