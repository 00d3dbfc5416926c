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


def _all_axes(fig):
    """The figure's axes and their children (the furniture strip under each map)."""
    return [a for ax in fig.axes for a in (ax, *ax.child_axes)]


def _texts(fig):
    out = []
    for ax in _all_axes(fig):
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


# --- geographic context, furniture outside the data, composition -----------------------
@pytest.fixture
def context():
    from shapely.geometry import LineString

    sea = gpd.GeoDataFrame({"name": ["Gulf"]}, geometry=[box(385000, 6671920, 385300, 6672000)],
                           crs=3067)
    roads = gpd.GeoDataFrame(
        {"name": ["Long Street", "Alley", None], "highway": ["primary", "service", "primary"]},
        geometry=[LineString([(385000, 6671830), (385300, 6671835)]),
                  LineString([(385000, 6671850), (385300, 6671850)]),
                  LineString([(385100, 6671800), (385100, 6671900)])], crs=3067)
    districts = gpd.GeoDataFrame({"name": ["West", "East"]},
                                 geometry=[box(385000, 6671800, 385150, 6672000),
                                           box(385150, 6671800, 385300, 6672000)], crs=3067)
    return maps.MapContext.from_layers({"sea": sea, "roads": roads, "districts": districts})


def test_water_is_blue_and_named_not_no_data(depth, buildings, context):
    fig = maps.flood_map(depth, buildings, exposed=[True, False, False], context=context)
    texts = _texts(fig)
    assert "Water" in texts and "Gulf" in texts
    assert not any("no data" in t.lower() and "water" in t.lower() for t in texts)
    # the one NaN cell of the fixture lies under the sea polygon: it is water, not "no data"
    assert not any(t.startswith("No data") for t in texts)
    water = [c for c in fig.axes[0].collections if len(c.get_facecolor())
             and mpl.colors.to_hex(c.get_facecolor()[0]) == maps._WATER]
    assert water
    # without the sea layer the same cell is honest "no data"
    assert "No data (1 cells)" in _texts(maps.flood_map(depth, buildings))


def test_district_and_major_street_names(depth, context):
    texts = _texts(maps.raster_map(depth, context=context))
    assert {"West", "East", "Long Street"} <= set(texts)
    assert "Alley" not in texts  # a service road is not a major street


def test_scale_bar_and_north_arrow_sit_below_the_data(depth, buildings):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = maps.flood_map(depth, buildings, exposed=[True, False, False], credit="© T")
    FigureCanvasAgg(fig).draw()  # lay the figure out
    ax = fig.axes[0]
    strip = ax.child_axes[0]
    assert not any(t.get_text() == "N" for t in ax.texts)  # nothing on the data
    assert strip.get_position().y1 <= ax.get_position().y0 + 1e-6
    assert {"N", "© T"} <= {t.get_text() for t in strip.texts}


def test_long_colour_bar_label_is_wrapped_not_cut(buildings):
    label = "Residents within 300 m of a green area of at least one hectare (%)"
    fig = maps.choropleth_map(buildings, "v", legend_label=label)
    cb_label = fig.axes[1].get_ylabel()
    assert "\n" in cb_label and cb_label.replace("\n", " ") == label
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    box_ = fig.axes[1].yaxis.label.get_window_extent(renderer)
    assert box_.x1 <= fig.bbox.x1 and box_.y0 >= 0 and box_.y1 <= fig.bbox.y1


def test_share_on_0_100_with_target_and_no_residents(buildings):
    z = buildings.assign(pct=[99.0, 100.0, np.nan])
    fig = maps.choropleth_map(z, "pct", vmin=0, vmax=100, target=100, fmt="{:.0f} %",
                              target_label="the WHO aim", missing_label="no residents")
    assert [float(v) for v in fig.axes[1].get_ylim()] == [0.0, 100.0]
    texts = _texts(fig)
    assert "c\nno residents" in texts and "No residents (1)" in texts
    assert "Below the WHO aim (1)" in texts and "target" in texts
    assert not any("no data" in t for t in texts)
    # 99 % and 100 % get nearly the same colour on the 0-100 scale
    faces = fig.axes[0].collections[0].get_facecolor()
    assert np.abs(faces[0][:3] - faces[1][:3]).max() < 0.05


def test_every_map_takes_ax_and_needs_no_title_or_exposed(depth, buildings):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4), layout="constrained")
    a, b, c = fig.subplots(1, 3)
    assert maps.flood_map(depth, buildings, ax=a) is fig
    assert maps.raster_map(depth, ax=b) is fig
    assert maps.where_to_act_map(buildings, "v", ax=c) is fig
    assert a.get_title() == "flood_depth" and b.get_title() == "flood_depth"
    assert "Building (3)" in [t.get_text() for t in a.get_legend().get_texts()]
    assert [t.get_text() for t in c.texts][:2] == ["#2 a\n1", "#1 b\n5"]
    fig2 = Figure()
    axes = fig2.subplots(1, 2, squeeze=False)
    p = {("S1", 2100): depth, ("S2", 2100): depth}
    assert maps.inundation_map(p, ax=axes) is fig2
    fig3 = Figure()
    assert maps.patches_map(buildings, column="v", ax=fig3.add_subplot()) is fig3
    assert maps.first_year_map(buildings, column="first_year", ax=fig3.add_subplot(2, 1, 2)) \
        is fig3


def test_basemap_never_fetched_unless_asked_and_falls_back(depth, monkeypatch, caplog):
    import sys

    fig, ax = maps.new_map()
    assert maps.add_basemap(ax, None, crs=3067) is False
    monkeypatch.setitem(sys.modules, "contextily", None)  # not installed
    with caplog.at_level("WARNING", logger="urbanrisk.maps"):
        fig = maps.raster_map(depth, basemap="OpenStreetMap.Mapnik")
    assert "contextily" in caplog.text and fig.axes[0].get_title() == "flood_depth"

    class Offline:
        @staticmethod
        def add_basemap(*args, **kwargs):
            raise ConnectionError("no network")

    monkeypatch.setitem(sys.modules, "contextily", Offline)
    caplog.clear()
    with caplog.at_level("WARNING", logger="urbanrisk.maps"):
        ok = maps.add_basemap(ax, maps.MapContext(), crs=3067)
    assert ok is False and "no network" in caplog.text


def test_explore_draws_the_city_layers_with_no_tiles(depth, buildings, context):
    m = maps.explore(depth, context=context, name="depth")
    html = m.get_root().render()
    assert "tileLayer(" not in html and "imageOverlay" in html
    assert "Gulf" in html and "Long Street" in html and "West" in html
