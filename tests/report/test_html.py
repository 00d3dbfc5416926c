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
