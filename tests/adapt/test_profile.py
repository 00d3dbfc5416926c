"""The adapt analysis inside a city profile, its indicator rows and its report section."""

from urbanrisk import datasets
from urbanrisk.profile import CityProfile
from urbanrisk.profile.demo import DEMO_SETTINGS
from urbanrisk.report.html import ReportMap, profile_report_html

LAYERS = ("dem", "buildings", "districts", "sea")


def _profile(**adapt):
    layers = {k: str(datasets.get_path("helsinki", k)) for k in LAYERS}
    sections = {"coast": dict(DEMO_SETTINGS["coast"], quantiles=[0.5]),
                "hazard": {"country": "FIN", "curve_region": "europe"},
                "adapt": {**DEMO_SETTINGS["adapt"], "quantiles": [0.5],
                          "years": [2020, 2050, 2100, 2150], **adapt}}
    return CityProfile.from_layers("Helsinki", layers=layers, **sections)


def test_profile_runs_the_pathways_and_reports_them():
    p = _profile().run(progress=False)
    st = p.status().set_index("analysis")
    assert st.loc["adapt", "status"] == "done", st.loc["adapt", "reason"]
    ind = p.indicators[p.indicators["theme"] == "adapt"]
    ead = ind[ind["indicator"] == "adapt_ead_eur_yr"]
    assert set(ead["year"]) == {2050, 2100} and set(ead["scenario"]) == {
        "SSP1-2.6 q0.5", "SSP5-8.5 q0.5"}
    hi = ead.set_index(["scenario", "year"])["value"]
    assert hi[("SSP5-8.5 q0.5", 2100)] >= hi[("SSP1-2.6 q0.5", 2100)] > 0
    npv = ind[ind["indicator"] == "adapt_npv_eur"]["scenario"].tolist()
    for pathway in ("protect", "retreat", "accommodate"):
        assert any(s.startswith(f"{pathway} | ") for s in npv)
    tip = ind[ind["indicator"] == "adapt_tipping_year"]["scenario"]
    assert any(s.startswith("do nothing | all | ") for s in tip)
    assert {"adapt_ead", "adapt_appraisal", "adapt_tipping", "adapt_costs"} <= set(p.tables)
    maps = [ReportMap(m.name, m.caption, b"\x89PNG") for m in p.map_specs()
            if m.name.startswith("adapt_")]
    assert [m.name for m in maps] == ["adapt_ead_fan", "adapt_pathways"]
    page = profile_report_html("Helsinki", p.indicators, analyses=p.status(), maps=maps)
    for anchor in ('id="adaptation"', 'id="adapt-options"', 'id="adapt-tipping"',
                   'id="map-adapt_pathways"', 'href="#adaptation"'):
        assert anchor in page


def test_without_a_level_table_the_analysis_does_not_run():
    p = _profile(return_periods=[], extreme_levels_m=[])
    assert not p.config.wants("adapt")
    p.config.section("coast")["run"] = False  # only the reason is checked here
    assert "adapt.return_periods" in p._why_not("adapt")


def test_report_without_adaptation_has_no_section():
    import pandas as pd

    t = pd.DataFrame({"city": ["A"], "theme": ["green"], "indicator": ["eca_ha"],
                      "scenario": [None], "year": [None], "value": [1.0], "unit": ["ha"],
                      "source": [""]})
    status = pd.DataFrame({"analysis": ["green"], "status": ["done"], "reason": [""],
                           "seconds": [0.1]})
    page = profile_report_html("A", t, analyses=status)
    assert "adaptation" not in page
