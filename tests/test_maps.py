from __future__ import annotations

import geopandas as gpd
import matplotlib as mpl
import numpy as np
import pytest
from shapely.geometry import box

from urbanrisk import maps
from urbanrisk.errors import EmptyLayerError, InputValueError
from urbanrisk.layers import raster_from_array

GRID = {"crs": 3067, "transform": (10, 0, 385000, 0, -10, 6672000)}


@pytest.fixture
def depth():
    v = np.zeros((20, 30))
    v[:8, :] = np.linspace(0, 2, 30)
    v[0, 0] = np.nan
    return raster_from_array(v, units="m", name="flood_depth", **GRID)


@pytest.fixture
def buildings():
    return gpd.GeoDataFrame(
        {"first_year": [2045.0, 2090.0, np.nan], "v": [1.0, 5.0, np.nan],
         "name": ["a", "b", "c"]},
        geometry=[box(385010, 6671950, 385040, 6671980), box(385100, 6671850, 385150, 6671900),
                  box(385200, 6671820, 385250, 6671860)], crs=3067)


def _texts(fig):
    out = []
    for ax in fig.axes:
        out += [t.get_text() for t in ax.texts]
        out.append(ax.get_title())
        out.append(ax.get_ylabel())
    out.append(fig.get_suptitle() if hasattr(fig, "get_suptitle") else "")
    out += [t.get_text() for t in fig.texts]
    for leg in fig.legends + [ax.get_legend() for ax in fig.axes if ax.get_legend()]:
        out += [t.get_text() for t in leg.get_texts()]
    return out


def _has_furniture(fig, title, credit, units):
    texts = _texts(fig)
    assert title in texts, texts
    assert "N" in texts  # north arrow
    assert any(t.endswith(" m") or t.endswith(" km") for t in texts), texts  # scale bar
    assert credit in texts
    assert any(units in t for t in texts), (units, texts)


def test_flood_map_has_everything_a_printed_map_needs(depth, buildings):
    fig = maps.flood_map(depth, buildings, exposed=[True, False, False], title="Flood",
                         credit="© Test data")
    _has_furniture(fig, "Flood", "© Test data", "(m)")
    assert "Exposed building (1)" in _texts(fig)


def test_choropleth_and_first_year_maps(buildings):
    fig = maps.choropleth_map(buildings, "v", title="Damage", legend_label="EAD (EUR/yr)",
                              credit="© C")
    _has_furniture(fig, "Damage", "© C", "EUR/yr")
    assert "no data" in " ".join(_texts(fig))  # NaN zone labelled, not hidden
    fig = maps.first_year_map(buildings, column="first_year", years=[2050, 2100],
                              title="Sea", credit="© C")
    texts = _texts(fig)
    assert {"by 2050 (1)", "2051–2100 (1)", "not reached (1)"} <= set(texts)


def test_patches_map_marks_ranked_candidates(buildings):
    cand = buildings.iloc[:2].assign(rank=[1.0, np.nan])
    fig = maps.patches_map(buildings.iloc[:2], column="v", title="dPC", legend_label="dPC (%)",
                           credit="© C", candidates=cand, candidate_rank_column="rank")
    texts = _texts(fig)
    assert "#1" in texts and "#2" not in texts and "Candidate site (2)" in texts


def test_inundation_small_multiples(depth):
    panels = {(s, y): depth.where(depth > (0.5 if y == 2050 else 0.1)) for s in ("A", "B")
              for y in (2050, 2100)}
    fig = maps.inundation_map(panels, title="Sea", credit="© C", land=depth)
    titles = [ax.get_title() for ax in fig.axes]
    assert {"A, 2050", "A, 2100", "B, 2050", "B, 2100"} <= set(titles)
    assert "Water depth above ground (m)" in _texts(fig)
    with pytest.raises(EmptyLayerError):
        maps.inundation_map({}, title="x")


def test_colour_scales_read_in_grayscale():
    """The default colour maps are monotonic in lightness (so they print in grayscale)."""
    for name in (maps.SEQUENTIAL_CMAP, maps.DIVERGING_SAFE_CMAP, "viridis_r"):
        rgb = mpl.colormaps[name](np.linspace(0, 1, 64))[:, :3]
        luma = rgb @ np.array([0.299, 0.587, 0.114])
        d = np.diff(luma)
        assert (d > 0).all() or (d < 0).all(), name


def test_save_png_and_pdf_deterministically(depth, buildings, tmp_path):
    def draw():
        return maps.flood_map(depth, buildings, exposed=[True, False, False], title="F")

    fig = draw()
    a = maps.save_map(fig, tmp_path / "a" / "flood", dpi=60)
    b = maps.save_map(draw(), tmp_path / "b" / "flood", dpi=60)  # same map drawn again
    assert [p.suffix for p in a] == [".png", ".pdf"]
    assert a[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and a[1].read_bytes()[:4] == b"%PDF"
    for x, y in zip(a, b, strict=True):
        assert x.read_bytes() == y.read_bytes()
    from urbanrisk.errors import OutputExistsError

    with pytest.raises(OutputExistsError):
        maps.save_map(fig, tmp_path / "a" / "flood")
    with pytest.raises(InputValueError, match="png"):
        maps.save_map(fig, tmp_path / "c" / "flood", formats=["svg"])


def test_bad_inputs(depth, buildings):
    # a layer in degrees is no longer refused: it is drawn reprojected to UTM (metres)
    fig = maps.choropleth_map(buildings.to_crs(4326), "v", title="x", legend_label="y")
    assert fig.axes[0].get_title() == "x"
    with pytest.raises(EmptyLayerError):
        maps.choropleth_map(buildings.iloc[:0], "v", title="x", legend_label="y")
    with pytest.raises(InputValueError, match="one each"):
        maps.flood_map(depth, buildings, exposed=[True], title="x")
    with pytest.raises(InputValueError, match="no column"):
        maps.choropleth_map(buildings, "nope", title="x", legend_label="y")
    stacked = depth.expand_dims(return_period=[10, 100])
    with pytest.raises(InputValueError, match="2-D"):
        maps.raster_map(stacked, title="x")


def test_explore_is_offline_with_tiles_none(depth, buildings):
    m = maps.explore(buildings, column="v")
    html = m.get_root().render()
    assert "tile.openstreetmap" not in html and "tileLayer(" not in html
    m2 = maps.explore(depth, m=m, name="depth")
    html2 = m2.get_root().render()
    assert "imageOverlay" in html2 and "tileLayer(" not in html2
    assert "tile.openstreetmap" in maps.explore(buildings, tiles="OpenStreetMap").get_root(
    ).render()


def test_comparison_figure_groups_scenarios_and_skips_missing_indicators():
    import pandas as pd

    table = pd.DataFrame({
        "city": ["A", "B", "A", "B", "A"],
        "indicator": ["people_exposed"] * 4 + ["ead"],
        "scenario": ["RP10", "RP10", "RP100", "RP100", None],
        "year": [None] * 5,
        "value": [1.0, 2.0, 3.0, 4.0, 10.0],
        "unit": ["people"] * 4 + ["EUR/yr"],
    })
    fig = maps.comparison_figure(
        table, selection={"people_exposed": {}, "ead": {}, "eca_ha": {}},
        titles={"people_exposed": "People exposed"})
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["People exposed", "ead"]  # no eca_ha panel
    assert len(visible[0].patches) == 4  # 2 cities x 2 return periods
    assert [t.get_text() for t in visible[0].get_legend().get_texts()] == ["RP10", "RP100"]
    # B has no ead: a NaN bar, the city still on the axis
    assert [t.get_text() for t in visible[1].get_xticklabels()] == ["A", "B"]
    assert np.isnan(visible[1].patches[1].get_height())


def test_comparison_figure_with_nothing_to_compare():
    import pandas as pd

    table = pd.DataFrame(columns=["city", "indicator", "scenario", "year", "value", "unit"])
    fig = maps.comparison_figure(table, selection={"ead": {}})
    assert fig.axes[0].texts[0].get_text() == "no indicators to compare"
