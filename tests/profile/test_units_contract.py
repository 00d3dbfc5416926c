"""The profile and ``urbanrisk check`` under the input contract (issue #12).

A flood depth in feet gives the metre answer through the API and through
``urbanrisk profile``; ``check`` refuses, naming the TOML key to set, what the run would
refuse (units, rotation, undeclared nodata, grids) and notes what it will convert.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from urbanrisk import datasets
from urbanrisk.cli import main
from urbanrisk.errors import ConfigError, GridError, UnitsError
from urbanrisk.layers import raster_from_array, write_raster
from urbanrisk.profile import CityProfile, config_from_dict, load_config
from urbanrisk.profile.core import load_layers

FT = 0.3048
#: hazard indicators the feet run must reproduce
COMPARED = ("buildings_exposed", "people_exposed", "damage", "ead", "ead_lower", "ead_upper")


@pytest.fixture(scope="module")
def city():
    return datasets.load("helsinki")


@pytest.fixture(scope="module")
def depth_m(city):
    """The sample city's flood depth (m) in float64, so feet convert back exactly."""
    da = city.flood_depth.astype("float64")
    da.attrs = dict(city.flood_depth.attrs)
    return da


@pytest.fixture(scope="module")
def depth_ft(depth_m):
    da = depth_m / FT
    da.attrs = {**depth_m.attrs, "units": "ft"}
    return da


def _hazard_table(table: pd.DataFrame) -> pd.Series:
    t = table[table["indicator"].isin(COMPARED)]
    return t.set_index(["indicator", t["scenario"].fillna("")])["value"].sort_index()


def _profile(city, depth, **hazard):
    layers = {"flood_depth": depth, "buildings": city.buildings,
              "population": city.population}
    p = CityProfile.from_layers("H", layers=layers, hazard={"country": "FIN", **hazard},
                                heat={"run": False})
    return p.run(progress=False)


def _assert_same(a: pd.Series, b: pd.Series) -> None:
    assert list(a.index) == list(b.index)
    assert len(a) == 3 * 4 + 3  # three indicators per return period, EAD and its bounds
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-9)


# --------------------------------------------------------------------------------------
# feet = metres
# --------------------------------------------------------------------------------------
def test_feet_depth_through_the_profile_api_gives_the_metre_answer(city, depth_m, depth_ft):
    metres = _profile(city, depth_m, depth_threshold_m=0.1)
    feet = _profile(city, depth_ft, depth_threshold_m=0.1)
    assert (feet.status()["status"] == metres.status()["status"]).all()
    _assert_same(_hazard_table(feet.indicators), _hazard_table(metres.indicators))
    # the depth the analyses saw is in metres, and the column names say so truthfully
    assert feet.layers["flood_depth"].attrs["units"] == "m"
    assert feet.layers["flood_depth"].attrs["converted_from_units"] == "ft"
    np.testing.assert_allclose(feet.vectors["buildings"]["flood_depth_m_max_rp100"],
                               metres.vectors["buildings"]["flood_depth_m_max_rp100"],
                               rtol=1e-9)
    # a threshold in metres is not read as feet: 0.1 m exposes fewer than 0.1 ft would
    assert _hazard_table(feet.indicators)[("people_exposed", "RP10")] > 0


def test_feet_depth_through_the_hazard_functions_the_profile_calls(city, depth_m, depth_ft):
    from urbanrisk.hazard import (
        asset_damage,
        expected_annual_damage,
        exposed_population,
        jrc_curve,
        jrc_max_damage_m2,
        polygon_exposure,
    )

    def run(depth):
        stats = polygon_exposure(city.buildings, depth, stats=("mean_above", "fraction_above"),
                                 threshold=0.0, column="depth")
        dmg = asset_damage(stats, jrc_curve("europe", "residential"),
                           intensity="depth_mean_above_0", fraction_wet="depth_fraction_above_0",
                           unit_value=jrc_max_damage_m2("FIN", "residential"))
        cols = [f"damage_rp{rp}" for rp in (10, 50, 100, 500)]
        ead = expected_annual_damage(dmg[cols]).total
        people = exposed_population(city.population, depth, threshold=0.1)  # metres
        wet = people[people["hazard_class"].astype(str).str.startswith(">")]
        return dmg[cols].sum().to_numpy(), ead, wet.groupby("return_period")["people"].sum()

    dm, em, pm = run(depth_m)
    df, ef, pf = run(depth_ft)
    np.testing.assert_allclose(df, dm, rtol=1e-9)
    assert ef == pytest.approx(em, rel=1e-9)
    np.testing.assert_allclose(pf.to_numpy(), pm.to_numpy(), rtol=1e-9)


def _ft_city(tmp_path: Path, depth_ft, *, tag: bool) -> Path:
    """A config whose flood depth file is in feet (tagged, or stated by the units key)."""
    da = depth_ft.copy()
    if not tag:
        da.attrs = {k: v for k, v in da.attrs.items() if k != "units"}
    write_raster(da, tmp_path / "depth_ft.tif")
    units = "" if tag else 'units = "ft"'
    cfg = tmp_path / "city.toml"
    cfg.write_text(textwrap.dedent(f"""
        [city]
        name = "H"
        [layers]
        buildings = "{datasets.get_path('helsinki', 'buildings').as_posix()}"
        population = "{datasets.get_path('helsinki', 'population').as_posix()}"
        [layers.flood_depth]
        path = "depth_ft.tif"
        {units}
        [hazard]
        country = "FIN"
        depth_threshold_m = 0.1
        [output]
        maps = false
        report = false
    """))
    return cfg


@pytest.mark.parametrize("tag", [True, False], ids=["file-tag-ft", "toml-units-key-ft"])
def test_feet_depth_through_urbanrisk_profile_gives_the_metre_answer(
        city, depth_m, depth_ft, tmp_path, capsys, tag):
    cfg = _ft_city(tmp_path, depth_ft, tag=tag)
    assert main(["check", str(cfg)]) == 0
    assert "converted to m when read" in capsys.readouterr().out
    # exit 4: written, but the flood analysis ran partly (no roads, no districts; #18)
    assert main(["profile", str(cfg), "--out", str(tmp_path / "out"), "--no-progress"]) == 4
    table = pd.read_csv(tmp_path / "out" / "indicators.csv", keep_default_na=False,
                        na_values=[""])
    metres = _profile(city, depth_m, depth_threshold_m=0.1)
    _assert_same(_hazard_table(table), _hazard_table(metres.indicators))


def test_units_key_converts_on_reading(tmp_path):
    da = raster_from_array(np.array([[1.0, 10.0]]), crs=3067, transform=(1, 0, 0, 0, -1, 1))
    write_raster(da, tmp_path / "dem.tif")  # no units tag
    cfg = config_from_dict({"city": {"name": "X"}, "coast": {"run": False},
                            "layers": {"dem": {"path": "dem.tif", "units": "ft"}}},
                           base_dir=tmp_path, probe_files=True)
    dem = load_layers(cfg)["dem"]
    np.testing.assert_allclose(dem.values, [[0.3048, 3.048]])
    assert dem.attrs["units"] == "m" and dem.attrs["converted_from_units"] == "ft"


# --------------------------------------------------------------------------------------
# check: what the run would refuse is refused up front, naming the key
# --------------------------------------------------------------------------------------
def _config(folder: Path, layers: str, extra: str = "") -> Path:
    path = folder / "city.toml"
    path.write_text(textwrap.dedent('[city]\nname = "X"\n[layers]\n') + textwrap.dedent(layers)
                    + textwrap.dedent(extra))
    return path


def _pop(folder: Path, *, units: str | None) -> Path:
    da = raster_from_array(np.array([[3.0, 4.0]]), crs=3067, transform=(10, 0, 0, 0, -10, 10),
                           units=units)
    return write_raster(da, folder / "pop.tif")


def test_check_refuses_a_population_grid_without_units_naming_the_key(tmp_path, capsys):
    _pop(tmp_path, units=None)
    cfg = _config(tmp_path, 'population = "pop.tif"\n')
    assert main(["check", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert '[layers.population] units = "people"' in err
    assert "read_raster" not in err and "attrs" not in err and '"m"' not in err
    # the run fails the same way, with the same advice
    with pytest.raises(ConfigError, match=r'\[layers.population\] units = "people"'):
        CityProfile.from_toml(cfg)
    raw = config_from_dict({"city": {"name": "X"}, "layers": {"population": "pop.tif"}},
                           base_dir=tmp_path)  # not probed: refused when read
    with pytest.raises(UnitsError, match=r'\[layers.population\] units = "people"'):
        load_layers(raw)
    # stating the units in the TOML makes it pass
    cfg = _config(tmp_path, '[layers.population]\npath = "pop.tif"\nunits = "people"\n')
    assert main(["check", str(cfg)]) == 0


def test_check_refuses_units_of_the_wrong_quantity_or_conflicting_with_the_tag(tmp_path):
    _pop(tmp_path, units="people")
    with pytest.raises(ConfigError, match="population must be in people"):
        config_from_dict({"city": {"name": "X"},
                          "layers": {"population": {"path": "pop.tif", "units": "m"}}},
                         base_dir=tmp_path)
    cfg = _config(tmp_path, '[layers.population]\npath = "pop.tif"\nunits = "persons"\n')
    assert load_config(cfg).layers["population"].units == "persons"  # same units, fine
    lst = raster_from_array(np.array([[300.0]]), crs=3067, transform=(10, 0, 0, 0, -10, 10),
                            units="K")
    write_raster(lst, tmp_path / "lst.tif")
    cfg = _config(tmp_path, '[layers.lst]\npath = "lst.tif"\nunits = "degC"\n')
    with pytest.raises(ConfigError, match=r"the file says its units are 'K' but "
                                          r"\[layers.lst\] units = 'degC'"):
        load_config(cfg)
    # a temperature in kelvin is converted
    cfg = _config(tmp_path, 'lst = "lst.tif"\n')
    assert load_layers(load_config(cfg))["lst"].values[0, 0] == pytest.approx(26.85)


def _rotated(folder: Path) -> Path:
    path = folder / "dem_rot.tif"
    t = Affine.translation(1000, 2000) * Affine.rotation(27) * Affine.scale(10, -10)
    with rasterio.open(path, "w", driver="GTiff", width=6, height=5, count=1, dtype="float64",
                       crs="EPSG:3067", transform=t) as dst:
        dst.write(np.arange(30.0).reshape(1, 5, 6))
        dst.update_tags(units="m")
    return path


def test_check_flags_a_rotated_raster_unless_warp_is_set(tmp_path, capsys):
    _rotated(tmp_path)
    cfg = _config(tmp_path, 'dem = "dem_rot.tif"\n', '[coast]\nrun = false\n')
    assert main(["check", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert "rotated" in err and "[layers.dem] warp = true" in err
    cfg = _config(tmp_path, '[layers.dem]\npath = "dem_rot.tif"\nwarp = true\n',
                  '[coast]\nrun = false\n')
    assert main(["check", str(cfg)]) == 0
    assert "warped to north-up" in capsys.readouterr().out
    dem = load_layers(load_config(cfg))["dem"]
    t = dem.rio.transform()
    assert t.b == pytest.approx(0.0, abs=1e-12) and t.d == pytest.approx(0.0, abs=1e-12)
    assert abs(t.a * t.e) == pytest.approx(100.0)  # same cell area as the rotated grid


def test_check_finds_an_undeclared_nodata_and_the_nodata_key_masks_it(tmp_path, capsys):
    da = raster_from_array(np.array([[1.0, -9999.0], [2.0, 3.0]]), crs=3067,
                           transform=(10, 0, 0, 0, -10, 20), units="m")
    path = tmp_path / "dem.tif"
    with rasterio.open(path, "w", driver="GTiff", width=2, height=2, count=1, dtype="float64",
                       crs="EPSG:3067", transform=da.rio.transform()) as dst:  # no nodata
        dst.write(da.values[None])
        dst.update_tags(units="m")
    cfg = _config(tmp_path, 'dem = "dem.tif"\n', '[coast]\nrun = false\n')
    assert main(["check", str(cfg)]) == 2
    assert "[layers.dem] nodata = -9999" in capsys.readouterr().err
    cfg = _config(tmp_path, '[layers.dem]\npath = "dem.tif"\nnodata = -9999\n',
                  '[coast]\nrun = false\n')
    dem = load_layers(load_config(cfg))["dem"]
    assert np.isnan(dem.values[0, 1]) and np.nanmax(dem.values) == pytest.approx(3.0)


def test_check_refuses_flood_depth_files_on_different_grids(tmp_path):
    for rp, x0 in ((10, 0.0), (100, 5000.0)):
        d = raster_from_array(np.full((2, 2), 0.5), crs=3067,
                              transform=(10, 0, x0, 0, -10, 20), units="m")
        write_raster(d, tmp_path / f"rp{rp}.tif")
    cfg = _config(tmp_path, 'flood_depth = { 10 = "rp10.tif", 100 = "rp100.tif" }\n')
    with pytest.raises(ConfigError, match=r"layers.flood_depth.100: rp100.tif is not on the "
                                          r"grid of rp10.tif"):
        load_config(cfg)
    raw = config_from_dict({"city": {"name": "X"}, "layers": {"flood_depth": {
        "10": "rp10.tif", "100": "rp100.tif"}}}, base_dir=tmp_path)
    with pytest.raises(GridError, match="layers.flood_depth.100"):
        load_layers(raw)  # never concatenated into a padded union of both extents


def test_units_and_options_of_a_per_return_period_table(tmp_path):
    for rp in (10, 100):
        d = raster_from_array(np.full((2, 2), rp / 10), crs=3067,
                              transform=(10, 0, 0, 0, -10, 20))
        write_raster(d, tmp_path / f"rp{rp}.tif")  # untagged: the table states feet
    cfg = _config(tmp_path, '[layers.flood_depth]\nunits = "ft"\n10 = "rp10.tif"\n'
                            '100 = "rp100.tif"\n')
    depth = load_layers(load_config(cfg))["flood_depth"]
    assert depth["return_period"].values.tolist() == [10, 100]
    np.testing.assert_allclose(depth.sel(return_period=100).values, 10 * FT)
    cfg = _config(tmp_path, 'flood_depth = { 10 = "rp10.tif", 100 = "rp100.tif" }\n')
    with pytest.raises(ConfigError, match=r'\[layers.flood_depth\] units = "m"'):
        load_config(cfg)  # no longer assumed to be metres


# --------------------------------------------------------------------------------------
# a city in a state-plane CRS (US survey feet)
# --------------------------------------------------------------------------------------
def test_state_plane_city_is_noted_reprojected_and_mapped(tmp_path, capsys, caplog):
    import logging

    from urbanrisk import maps

    x0, y0 = 985000.0, 200000.0  # New York Long Island, EPSG:2263 (US survey feet)
    depth = raster_from_array(np.array([[0.0, 2.0], [1.0, 0.5]]), crs="EPSG:2263",
                              transform=(50, 0, x0, 0, -50, y0), units="ft", name="depth")
    write_raster(depth.expand_dims(return_period=[100]), tmp_path / "depth.tif")
    b = gpd.GeoDataFrame({"occupancy": ["residential"]},
                         geometry=[box(x0 + 55, y0 - 95, x0 + 95, y0 - 55)], crs="EPSG:2263")
    b.to_file(tmp_path / "b.gpkg", layer="buildings")
    cfg = _config(tmp_path, 'flood_depth = "depth.tif"\nbuildings = "b.gpkg"\n',
                  '[hazard]\ncountry = "FIN"\n')
    assert main(["check", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert "depth.tif is in NAD83 / New York Long Island (ftUS)" in out
    assert out.count("reprojected to the local UTM zone") == 2
    layers = load_layers(load_config(cfg))
    assert layers["flood_depth"].rio.crs.to_epsg() == 32618
    assert layers["buildings"].crs.to_epsg() == 32618
    # maps of the state-plane layers themselves are drawn in metres, not refused
    with caplog.at_level(logging.INFO, logger="urbanrisk"):
        fig = maps.flood_map(depth, b, exposed=[True], title="state plane")
    assert "reprojected" in caplog.text
    strip = fig.axes[0].child_axes[0]  # scale bar and north arrow sit under the map
    bar = [t.get_text() for t in strip.texts if t.get_text().endswith(" m")]
    assert bar, "the scale bar is in metres"


# --------------------------------------------------------------------------------------
# invariants: the profile's answer does not depend on how the depth is stored
# --------------------------------------------------------------------------------------
def _tiny(depth_values: np.ndarray, *, units: str = "m", south_up: bool = False,
          nodata: bool = False):
    fd = raster_from_array(depth_values, crs=3067, transform=(10, 0, 0, 0, -10, 30),
                           units=units, name="flood_depth", extra_dim="return_period",
                           extra_coords=[10, 100])
    if nodata:
        fd = fd.fillna(-9999.0).rio.write_nodata(-9999.0)
    if south_up:
        fd = fd.sortby("y")
    b = gpd.GeoDataFrame({"occupancy": ["residential", "commercial", "public"]},
                         geometry=[box(2, 22, 8, 28), box(12, 2, 18, 8), box(22, 12, 28, 28)],
                         crs=3067)
    p = CityProfile.from_layers("T", layers={"flood_depth": fd, "buildings": b},
                                hazard={"country": "FIN", "depth_threshold_m": 0.2})
    return _hazard_table(p.run(progress=False).indicators)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    depth=st.lists(st.floats(0.0, 3.0), min_size=18, max_size=18),
    units=st.sampled_from([("m", 1.0), ("ft", FT), ("cm", 0.01), ("US survey foot",
                                                                   1200 / 3937)]),
    south_up=st.booleans(),
    nodata=st.booleans(),
)
def test_profile_answer_ignores_units_orientation_and_declared_nodata(depth, units, south_up,
                                                                      nodata):
    metres = np.array(depth).reshape(2, 3, 3)
    metres[:, 1, 1] = np.nan  # one cell without data
    name, factor = units
    expected = _tiny(metres)
    got = _tiny(metres / factor, units=name, south_up=south_up, nodata=nodata)
    assert list(got.index) == list(expected.index) and len(got) == 2 + 2 + 3
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-9, atol=1e-9)
