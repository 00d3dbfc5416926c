"""The HTML report renders from plain data and imports nothing from the profile."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from urbanrisk.errors import InputValueError
from urbanrisk.report import ReportMap, indicator_table_html, profile_report_html

TABLE = pd.DataFrame({
    "city": ["A", "A"], "theme": ["hazard", "green"], "indicator": ["ead", "eca_ha"],
    "scenario": [None, None], "year": [None, None], "value": [1234.0, 12.5],
    "unit": ["EUR/yr", "ha"], "source": ["s1", "s2"],
})
DEFINITIONS = pd.DataFrame({
    "key": ["ead", "eca_ha"], "title": ["Expected annual damage", "Connected area"],
    "unit": ["EUR/yr", "ha"], "definition": ["Damage per year.", "ECA."],
    "source": ["Olsen 2015", "Saura 2011"],
})
STATUS = pd.DataFrame({"analysis": ["hazard", "green"], "status": ["done", "failed"],
                       "reason": ["", "ValueError: boom"], "seconds": [1.0, 0.5]})


def test_report_package_does_not_import_the_profile():
    code = ("import sys, urbanrisk.report; "
            "print(sorted(m for m in sys.modules if m.startswith('urbanrisk.profile')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_profile_report_from_plain_data():
    png = b"\x89PNG\r\n\x1a\nfake"
    page = profile_report_html(
        "A", TABLE, analyses=STATUS, definitions=DEFINITIONS,
        methods={"hazard": ["Depth-damage curves of JRC."]},
        references=["Olsen 2015", "Olsen 2015", "Saura 2011"], credit="© OSM",
        maps=[ReportMap("flood_map", "Flood depth.", png)],
        failed_maps=[("heat_map", "no LST")],
        manifest={"created": "2026-12-03T00:00:00+00:00", "versions": {"numpy": "2.0"}},
    )
    assert "<h1>City risk profile: A</h1>" in page
    assert page.count('class="indicator-row"') == 2
    assert 'id="map-flood_map"' in page and "maps/flood_map.png" in page
    assert "heat_map (no LST)" in page
    assert "<h3>Flood hazard</h3>" in page and "Depth-damage curves of JRC." in page
    assert page.count("<li>Olsen 2015</li>") == 1  # references shown once
    assert "Expected annual damage" in page and "<i>Source: Saura 2011.</i>" in page
    assert "ValueError: boom" in page and "© OSM" in page and "numpy 2.0" in page


def test_indicator_table_without_definitions_shows_keys():
    html = indicator_table_html(TABLE, show_city=True)
    assert "<code>ead</code>" in html and 'title=""' in html
    assert "<td>A</td>" in html


def test_definitions_missing_columns_are_named():
    with pytest.raises(InputValueError, match="definition"):
        indicator_table_html(TABLE, definitions=DEFINITIONS.drop(columns=["definition"]))


def test_report_map_repr_is_short():
    assert repr(ReportMap("m", "c", b"12345")) == "ReportMap('m', 5 PNG bytes)"


# --- a report for planners -----------------------------------------------------------
PLANNER = pd.DataFrame({
    "city": ["A"] * 12,
    "theme": ["hazard"] * 4 + ["heat", "green", "green", "green"] + ["coast"] * 4,
    "indicator": ["buildings_exposed", "people_exposed", "ead", "sendai_b1",
                  "people_heat_hotspot", "green_access_share", "cbi1_score", "cbi2_score",
                  "sea_buildings", "sea_buildings", "sea_buildings", "sea_level_rise_m"],
    "scenario": ["RP100", "RP100", None, "modelled, RP100", None, None, None, None,
                 "SSP5-8.5 q0.17", "SSP5-8.5 q0.5", "SSP5-8.5 q0.83", "SSP5-8.5 q0.5"],
    "year": [None] * 8 + [2100] * 4,
    "value": [48.0, 1529.4, 391412.0, 10.0, 286.2, 99.4, 3.0, 2.0, 7.0, 12.0, 22.0, 0.77],
    "unit": ["buildings", "people", "EUR/yr", "people per 100,000", "people", "%", "points",
             "points", "buildings", "buildings", "buildings", "m"],
    "source": [""] * 12,
})


def test_scenario_codes_are_spelled_out():
    from urbanrisk.report.html import scenario_label

    assert scenario_label("RP10") == "10-year flood (10 % chance a year)"
    assert scenario_label("SSP1-2.6 q0.17") == (
        "SSP1-2.6 (low emissions), likely range, low end (17th percentile)")
    assert scenario_label("modelled, RP500") == "modelled, 500-year flood (0.2 % chance a year)"
    assert scenario_label("most probable (not named)") == "most probable (not named)"


def test_summary_findings_say_the_numbers_in_plain_words():
    from urbanrisk.report.html import summary_findings

    found = summary_findings(PLANNER)
    assert 3 <= len(found) <= 5
    flood, heat, green, sea, cbi = found
    assert "about 1,529 residents and 48 buildings" in flood and "391,412 EUR a year" in flood
    assert "about 286 residents live in heat hot spots" in heat
    assert "99.4 %" in green and "0.6 percentage points short of the WHO aim" in green
    assert "SSP5-8.5 (very high emissions)" in sea and "0.77 m higher" in sea
    assert "reach 12 buildings" in sea and "likely range 7–22 buildings" in sea
    assert cbi.endswith("natural areas 3 / 4 points, connectivity 2 / 4 points.")
    # a theme that did not run says nothing
    assert summary_findings(PLANNER[PLANNER["theme"] == "heat"]) == [
        "Heat: about 286 residents live in heat hot spots."]


def test_report_puts_summary_targets_and_where_to_act_first():
    where = pd.DataFrame({"District": ["Siltasaari", "Kluuvi"],
                          "Expected annual flood damage (EUR/yr)": [362925.0, 6371.0],
                          "Residents near green space (%)": [100.0, float("nan")]})
    png = b"\x89PNG\r\n\x1a\nfake"
    page = profile_report_html(
        "A", PLANNER, analyses=STATUS, where_to_act=where,
        where_to_act_map="flood_ead_by_district",
        maps=[ReportMap("flood_depth_buildings", "Flood.", png),
              ReportMap("flood_ead_by_district", "Where to act.", png),
              ReportMap("sea_inundation", "Sea.", png)],
    )
    order = [page.index(k) for k in ('id="summary"', 'id="targets"', 'id="where"',
                                     'id="map-flood_ead_by_district"', 'id="analyses-h"',
                                     'id="map-flood_depth_buildings"', "Reading the sea-level",
                                     'id="map-sea_inundation"', 'id="indicators-h"')]
    assert order == sorted(order)
    assert "<b>3 / 4 points</b>" in page and "<b>2 / 4 points</b>" in page
    assert "below by 0.6 points" in page
    assert '<td class="num">362,925</td>' in page and '<td class="num">—</td>' in page
    assert "48 buildings are wet in today&#x27;s 100-year flood" in page
    assert page.count('class="indicator-row"') == len(PLANNER)
    # the Sendai row is folded with the reporting rows, apart from the main results
    assert "Flood hazard: rows for reporting frameworks" in page


def test_sea_note_only_with_sea_maps():
    page = profile_report_html("A", TABLE, analyses=STATUS)
    assert "Reading the sea-level" not in page and 'id="where"' in page


def test_reporting_frameworks_section_shows_one_table_per_framework():
    t = pd.DataFrame({"city": ["A"], "theme": ["green"], "indicator": ["eca_ha"],
                      "scenario": [None], "year": [None], "value": [12.5], "unit": ["ha"],
                      "source": ["x"]})
    status = pd.DataFrame({"analysis": ["green"], "status": ["done"], "reason": [""],
                           "seconds": [0.1]})
    sheet = pd.DataFrame({"Indicator": ["11.7.1"], "Value": [41.25], "Unit": ["%"],
                          "Definition verified": ["[S]"]})
    page = profile_report_html("A", t, analyses=status,
                               reporting={"SDG": (("SDG 11.7.1 metadata",), sheet)})
    assert 'id="reporting"' in page and 'href="#reporting"' in page
    assert "SDG 11.7.1 metadata" in page and "41.25" in page and "[S]" in page
    assert 'id="reporting"' not in profile_report_html("A", t, analyses=status)
