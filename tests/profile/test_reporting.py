"""The reporting export: one sheet per framework, in its own layout, with missing inputs said."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from urbanrisk.profile.indicators import FRAMEWORKS, REGISTRY, registry_table
from urbanrisk.profile.reporting import (
    REPORTING_COLUMNS,
    SHEETS,
    framework_sheet,
    reporting_frame,
    write_reporting,
)

from ._demo import demo_export

openpyxl = pytest.importorskip("openpyxl")


def _rows():
    return reporting_frame([
        {"framework": "Sendai", "code": "C-1", "wording": "Direct economic loss ...",
         "basis": "modelled, RP100", "value": 2.0, "unit": "%", "parts": "C-3 + C-4",
         "missing": "C-2 (agriculture) not computed", "verified": "[P]"},
        {"framework": "Sendai", "code": "B-3", "basis": "modelled, RP100", "value": None,
         "unit": "people", "missing": "set reporting.persons_per_dwelling"},
        {"framework": "CBI-2021", "code": "CBI-2021 #10", "wording": "Regulation of quantity "
         "of water", "value": 45.0, "unit": "%", "score": 2, "max_score": 4},
        {"framework": "SDG", "code": "11.7.1", "value": None},
    ])


def test_every_registry_row_has_a_framework_and_code():
    t = registry_table()
    assert {"framework", "code", "verified"} <= set(t.columns)
    assert (t["framework"] != "").all() and (t["code"] != "").all()
    tagged = t[t["framework"] != "urbanrisk"]
    assert set(tagged["framework"]) <= set(FRAMEWORKS)
    assert ((tagged["verified"] != "") | tagged["code"].str.contains("total|maximum")).all()
    assert REGISTRY["sendai_b3"].code == "B-3" and REGISTRY["sdg_11_7_1_access"].framework == "SDG"
    assert REGISTRY["cbi2021_13_proximity_to_parks"].code == "CBI-2021 #13"


def test_a_row_without_value_says_why():
    t = _rows()
    assert tuple(t.columns) == REPORTING_COLUMNS
    assert t.loc[3, "missing"] == "not computed"
    assert t.loc[1, "missing"] == "set reporting.persons_per_dwelling"


def test_sheets_use_the_frameworks_layout():
    sheet = framework_sheet(_rows(), "Sendai")
    assert list(sheet.columns) == [h for h, _ in SHEETS["Sendai"][2]]
    assert sheet["Scenario"].tolist() == ["modelled, RP100"] * 2
    cbi = framework_sheet(_rows(), "CBI-2021")
    assert cbi.loc[0, "Score (0-4)"] == 2


def test_csv_and_workbook(tmp_path):
    files = write_reporting({"reporting_hazard": _rows(), "other": pd.DataFrame()}, tmp_path,
                            city="Tiny")
    names = sorted(p.name for p in files)
    assert names == ["cbi_2021.csv", "reporting.xlsx", "sdg.csv", "sendai.csv"]
    csv = pd.read_csv(tmp_path / "reporting" / "sendai.csv")
    assert csv.columns[0] == "Indicator" and np.isnan(csv.loc[1, "Value"])
    wb = openpyxl.load_workbook(tmp_path / "reporting" / "reporting.xlsx")
    assert wb.sheetnames == ["Sendai", "SDG 11.7.1", "CBI 2021"]
    ws = wb["Sendai"]
    cells = [[c.value for c in row] for row in ws.iter_rows()]
    assert cells[0][0].startswith("Tiny: Sendai Framework")
    assert any("MODELLED SCENARIO ESTIMATES" in str(r[0]) for r in cells)
    header = cells.index(["Indicator", "Description", "Scenario", "Value", "Unit",
                          "Computed from", "Not included / missing input",
                          "Definition verified"])
    assert cells[header + 1][3] == 2.0
    assert cells[header + 2][3] is None  # missing, not a zero
    assert write_reporting({"other": pd.DataFrame()}, tmp_path / "x") == []


def test_sample_city_profile_writes_the_reporting_sheets():
    profile, out = demo_export()
    folder = out / "reporting"
    assert (folder / "reporting.xlsx").is_file()
    sendai = pd.read_csv(folder / "sendai.csv")
    assert sendai["Scenario"].str.startswith("modelled, RP").all()
    c3 = sendai[sendai["Indicator"] == "C-3"]
    assert (c3["Value"] > 0).any()
    # the sample city gives no persons per dwelling: B-3 says so instead of 0
    b3 = sendai[sendai["Indicator"] == "B-3"]
    assert b3["Value"].isna().all()
    assert b3["Not included / missing input"].str.contains("persons_per_dwelling").all()
    cbi = pd.read_csv(folder / "cbi_2021.csv")
    assert "CBI-2021 #2" in cbi["Indicator"].tolist()
    table = profile.indicators
    assert (table.loc[table["indicator"] == "sendai_c3", "code"] == "C-3").all()
