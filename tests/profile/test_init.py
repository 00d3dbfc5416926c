"""``urbanrisk init``: a starting city.toml from a folder of files (issue #18)."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from shapely.geometry import LineString, box

from urbanrisk import datasets
from urbanrisk.cli import main
from urbanrisk.errors import ConfigError
from urbanrisk.profile import load_config
from urbanrisk.profile.init import init_config, scan_folder, write_config
from urbanrisk.profile.plan import analysis_plan

SAMPLE = datasets.get_path("helsinki", "dem").parent
T = rasterio.transform.Affine(10.0, 0.0, 385500.0, 0.0, -10.0, 6673100.0)


def _write(path: Path, values: np.ndarray, *, tags: dict | None = None, nodata=None,
           crs="EPSG:3067", transform=T) -> Path:
    with rasterio.open(path, "w", driver="GTiff", height=values.shape[0],
                       width=values.shape[1], count=1, dtype=values.dtype, crs=crs,
                       transform=transform, nodata=nodata) as ds:
        ds.write(values, 1)
        if tags:
            ds.update_tags(**tags)
    return path


def _sample_without_buildings_feet_flood(d: Path) -> Path:
    """The issue's scenario: the sample city without buildings, flood depth in feet."""
    for name in ("roads.gpkg", "districts.gpkg", "population.tif", "green.gpkg", "sea.gpkg"):
        shutil.copy(SAMPLE / name, d / name)
    with rasterio.open(SAMPLE / "flood_depth.tif") as ds:
        prof = ds.profile | {"count": 1}
        for band, rp in enumerate((10, 50, 100, 500), start=1):
            with rasterio.open(d / f"depth_rp{rp}_ft.tif", "w", **prof) as out:
                out.write((ds.read(band) / 0.3048).astype("float32"), 1)  # no units tag
    return d


def test_the_sample_city_is_recognised_by_name_and_geometry():
    found = {f.layer: f for f in scan_folder(SAMPLE) if f.layer}
    assert set(found) >= {"buildings", "roads", "railways", "green", "water", "coastline",
                          "sea", "districts", "dem", "landcover", "population",
                          "flood_depth", "lst"}
    assert found["buildings"].info["geometry_type"].endswith("Polygon")
    assert "occupancy" in found["buildings"].info["columns"]
    assert found["flood_depth"].info["tags"]["urbanrisk_dim"] == "return_period"
    assert found["dem"].crs == "EPSG:3067"


def test_layers_recognised_by_tags_dtype_and_columns(tmp_path):
    _write(tmp_path / "grid_a.tif", np.ones((3, 3), "float32"), tags={"units": "people"})
    _write(tmp_path / "grid_b.tif", np.array([[1, 2], [3, 3]], "uint8"),
           tags={"classes": '{"1": "built-up", "3": "park", "4": "vacant open land"}'})
    _write(tmp_path / "grid_c.tif", np.full((3, 3), 301.0, "float32"), tags={"units": "K"})
    gpd.GeoDataFrame({"highway": ["primary"]}, geometry=[LineString([(0, 0), (9, 9)])],
                     crs=3067).to_file(tmp_path / "osm_lines.gpkg")
    # a name that says buildings with line geometry is not taken for buildings
    gpd.GeoDataFrame(geometry=[LineString([(0, 0), (1, 1)])], crs=3067).to_file(
        tmp_path / "buildings_outline.gpkg")
    found = {f.path.name: f for f in scan_folder(tmp_path)}
    assert found["grid_a.tif"].layer == "population"
    assert found["grid_b.tif"].layer == "landcover"
    assert found["grid_c.tif"].layer == "lst"
    assert found["osm_lines.gpkg"].layer == "roads"
    assert found["buildings_outline.gpkg"].layer is None
    assert "geometry is LineString" in found["buildings_outline.gpkg"].why
    text = init_config(tmp_path, city="X").text
    assert "habitat_classes = [3]" in text  # from the classes tag, marked GUESSED
    assert "candidate_classes = [4]" in text


def test_init_on_the_sample_city_passes_check_with_guesses_marked(tmp_path):
    for f in SAMPLE.iterdir():
        if f.suffix in (".gpkg", ".tif"):
            shutil.copy(f, tmp_path / f.name)
    result = write_config(tmp_path, city="Helsinki")
    text = (tmp_path / "city.toml").read_text()
    data = tomllib.loads(text)
    assert data["layers"]["buildings"] == "buildings.gpkg"
    assert data["columns"] == {"building_use": "occupancy", "district_name": "name"}
    assert data["hazard"]["country"] == "Finland"  # from EPSG:3067's area of use
    assert "# GUESSED: from the CRS's area of use" in text
    # the DEM's vertical datum cannot be read from EPSG:3067: coast off, with a TODO
    assert data["coast"]["run"] is False
    assert any("vertical datum" in t for t in result.todos)
    assert "# TODO: vertical datum" in text
    cfg = load_config(tmp_path / "city.toml")
    plan = {p.analysis: p for p in analysis_plan(cfg)}
    assert plan["hazard"].status == "runs" and plan["heat"].status == "runs"
    assert plan["coast"].status == "disabled"
    with pytest.raises(ConfigError, match="exists"):
        write_config(tmp_path)


def test_issue_scenario_without_buildings_and_flood_in_feet(tmp_path, capsys):
    d = _sample_without_buildings_feet_flood(tmp_path)
    assert main(["init", str(d), "--city", "Helsinki"]) == 0
    out = capsys.readouterr().out
    assert "next: urbanrisk check" in out
    data = tomllib.loads((d / "city.toml").read_text())
    flood = data["layers"]["flood_depth"]
    assert flood["units"] == "ft"  # from the names, marked for review
    assert flood["100"] == "depth_rp100_ft.tif" and len(flood) == 5
    assert main(["check", str(d / "city.toml")]) == 0
    out = capsys.readouterr().out
    assert "is in ft: converted to m when read" in out
    assert "hazard     runs partly  without:" in out
    assert "(no `buildings` layer)" in out
    # the people exposed equal those computed from the metres file (an independent read)
    from urbanrisk.hazard import people_above
    from urbanrisk.layers import read_raster
    from urbanrisk.profile import CityProfile

    with (d / "city.toml").open("a") as f:  # the flood analysis is enough here
        f.write("\n[green]\nrun = false\n")
    p = CityProfile(load_config(d / "city.toml")).run(progress=False)
    got = p.indicators.query("indicator == 'people_exposed'").set_index("scenario")["value"]
    ref = people_above(read_raster(SAMPLE / "population.tif", name="population"),
                       read_raster(SAMPLE / "flood_depth.tif", name="flood_depth"),
                       threshold=0.0, nodata_as=0.0)
    for r in ref.itertuples():
        assert got[f"RP{int(r.return_period)}"] == pytest.approx(r.people_above, rel=1e-5)


def test_units_nodata_and_rotation_are_guessed_or_left_as_todo(tmp_path):
    dem = np.full((4, 4), 5.0, "float32")
    dem[0, 0] = -9999.0  # an undeclared nodata sentinel
    _write(tmp_path / "dem.tif", dem)
    rotated = rasterio.transform.Affine(10.0, 1.0, 385500.0, 1.0, -10.0, 6673100.0)
    _write(tmp_path / "lst.tif", np.full((3, 3), 25.0, "float32"), transform=rotated)
    result = init_config(tmp_path, city="X")
    data = tomllib.loads(result.text)
    assert data["layers"]["dem"]["nodata"] == -9999.0
    assert "units" not in data["layers"]["dem"]  # metres CRS, no tag: not assumed
    assert any("layers.dem" in t and "units" in t for t in result.todos)
    assert data["layers"]["lst"]["units"] == "degC"  # median 25: guessed, marked
    assert data["layers"]["lst"]["warp"] is True
    assert "# GUESSED: no units tag; median value 25.0" in result.text


def test_init_refuses_a_missing_folder_and_an_existing_file(tmp_path, capsys):
    assert main(["init", str(tmp_path / "nope")]) == 2
    assert "is not a folder" in capsys.readouterr().err
    (tmp_path / "city.toml").write_text("")
    assert main(["init", str(tmp_path)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)], crs=3067).to_file(tmp_path / "parks.gpkg")
    assert main(["init", str(tmp_path), "--overwrite", "--city", "Y"]) == 0
    assert tomllib.loads((tmp_path / "city.toml").read_text())["layers"]["green"] == \
        "parks.gpkg"
