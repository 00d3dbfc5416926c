"""Self-contained HTML reports: one file, maps embedded, no server and no network needed.

The page is built from ``template.html`` (inline CSS and a small inline script that marks
in ``<body data-images-loaded=...>`` whether every image decoded). Maps are embedded as
base64 PNG ``data:`` URIs; nothing is loaded from elsewhere.

The report takes plain data only: the tidy indicator table, a table of indicator
definitions, the analyses' status table, method notes and references as strings, and the
maps as PNG bytes (:class:`ReportMap`). It imports nothing from :mod:`urbanrisk.profile`;
:func:`urbanrisk.profile.export_profile` gathers that data from a run profile.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

import pandas as pd

from urbanrisk import __version__
from urbanrisk.errors import InputValueError

__all__ = ["ReportMap", "render_page", "indicator_table_html", "profile_report_html",
           "study_report_html", "png_data_uri"]

#: Columns of the indicator definitions table the report reads (one row per indicator).
DEFINITION_COLUMNS = ("key", "title", "unit", "definition", "source")

_THEME_TITLES = {
    "hazard": "Flood hazard",
    "heat": "Heat",
    "green": "Green space and biodiversity",
    "coast": "Sea-level rise",
    "shoreline": "Shoreline change",
    "adapt": "Adaptation pathways",
}

#: Map names (file stems) drawn in the "Adaptation pathways" section, not among the maps.
ADAPT_MAP_PREFIX = "adapt_"


@dataclass(frozen=True)
class ReportMap:
    """One map of a report: file stem, caption and the PNG image.

    Attributes
    ----------
    name : str
        File stem of the map (``maps/<name>.png`` in an export); also its HTML anchor.
    caption : str
        One-sentence caption.
    png : bytes
        The PNG image, embedded in the page.
    """

    name: str
    caption: str
    png: bytes

    def __repr__(self) -> str:
        return f"ReportMap({self.name!r}, {len(self.png):,} PNG bytes)"


def _esc(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _definitions(definitions: pd.DataFrame | None) -> dict[str, dict[str, Any]]:
    """Map indicator key → its definition record (title, unit, definition, source)."""
    if definitions is None or len(definitions) == 0:
        return {}
    missing = [c for c in DEFINITION_COLUMNS if c not in definitions.columns]
    if missing:
        raise InputValueError(
            f"the indicator definitions table lacks the columns {missing}; it needs "
            f"{list(DEFINITION_COLUMNS)} (as urbanrisk.profile.indicators.registry_table() "
            "returns)"
        )
    return {rec["key"]: rec for rec in definitions.to_dict(orient="records")}


def png_data_uri(data: bytes) -> str:
    """Return a ``data:image/png;base64,...`` URI for PNG bytes.

    Examples
    --------
    >>> png_data_uri(b"abc")
    'data:image/png;base64,YWJj'
    """
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def render_page(title: str, body: str) -> str:
    """Fill the report template with a title and an HTML body.

    Examples
    --------
    >>> page = render_page("T & Co", "<p>hi</p>")
    >>> "<title>T &amp; Co</title>" in page and "<p>hi</p>" in page
    True
    """
    text = resources.files("urbanrisk.report").joinpath("template.html").read_text("utf-8")
    return Template(text).substitute(title=_esc(title), body=body, version=_esc(__version__))


def _fmt(value: float, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    v = float(value)
    if unit in ("buildings", "patches", "transects"):
        return f"{v:,.0f}"
    if unit in ("people", "EUR", "EUR/yr"):
        return f"{v:,.0f}"
    if unit == "year":
        return f"{v:.0f}"
    if unit == "1":
        return f"{v:.4g}"
    if abs(v) >= 100:
        return f"{v:,.1f}"
    return f"{v:.3g}" if v != 0 else "0"


_SSP_WORDS = {
    "SSP1-1.9": "very low emissions",
    "SSP1-2.6": "low emissions",
    "SSP2-4.5": "intermediate emissions",
    "SSP3-7.0": "high emissions",
    "SSP5-8.5": "very high emissions",
}
_REPORTING_PREFIXES = ("sendai_", "scorecard_", "iso37", "cbi2014_", "cbi2021_", "sdg_")


def scenario_label(scenario: Any) -> str:
    """Spell out a scenario code for a reader who does not know the jargon.

    Return periods become "100-year flood (1 % chance a year)"; sea-level scenarios name
    the emissions pathway in the words of IPCC AR6 and the quantile as median or the ends
    of the likely range; parts joined by ``|`` or ``,`` are spelled out one by one.

    Examples
    --------
    >>> scenario_label("RP100")
    '100-year flood (1 % chance a year)'
    >>> scenario_label("SSP5-8.5 q0.5")
    'SSP5-8.5 (very high emissions), median'
    >>> scenario_label("protect | SSP1-2.6 q0.83")
    'protect | SSP1-2.6 (low emissions), likely range, high end (83rd percentile)'
    >>> scenario_label(None)
    ''
    """
    if scenario is None or (isinstance(scenario, float) and math.isnan(scenario)):
        return ""
    text = str(scenario)
    if " | " in text:
        return " | ".join(scenario_label(p) for p in text.split(" | "))
    if ", " in text:
        return ", ".join(scenario_label(p) for p in text.split(", "))
    if text.startswith("RP") and text[2:].isdigit():
        rp = int(text[2:])
        return f"{rp}-year flood ({100 / rp:.2g} % chance a year)"
    parts = text.split(" q")
    if len(parts) == 2 and parts[0] in _SSP_WORDS:
        try:
            q = float(parts[1])
        except ValueError:
            return text
        pct = _ordinal(round(q * 100))
        if abs(q - 0.5) < 1e-9:
            qs = "median"
        elif abs(q - 0.17) < 1e-9:  # IPCC AR6: the likely range is the 17th-83rd percentile
            qs = f"likely range, low end ({pct} percentile)"
        elif abs(q - 0.83) < 1e-9:
            qs = f"likely range, high end ({pct} percentile)"
        else:
            qs = f"{pct} percentile"
        return f"{parts[0]} ({_SSP_WORDS[parts[0]]}), {qs}"
    if text in _SSP_WORDS:
        return f"{text} ({_SSP_WORDS[text]})"
    return text


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _is_reporting(key: str, ind: Mapping[str, Any]) -> bool:
    framework = ind.get("framework")
    if isinstance(framework, str) and framework:
        return framework != "urbanrisk"
    return key.startswith(_REPORTING_PREFIXES)


def _indicator_rows(records: Sequence[Mapping[str, Any]], known: Mapping[str, Any],
                    show_city: bool) -> list[str]:
    rows = []
    for rec in records:
        ind = known.get(rec["indicator"], {})
        title = ind.get("title", rec["indicator"])
        defin = ind.get("definition", "")
        year = rec["year"]
        year_s = "" if year is None or pd.isna(year) else str(int(year))
        scen = rec["scenario"]
        scen_s = "" if scen is None or pd.isna(scen) else str(scen)
        plain = scenario_label(scen_s)
        scen_cell = _esc(plain) + (f"<br><code>{_esc(scen_s)}</code>" if plain != scen_s
                                   else "")
        cells = ([f"<td>{_esc(rec['city'])}</td>"] if show_city else []) + [
            f'<td title="{_esc(defin)}">{_esc(title)}<br><code>{_esc(rec["indicator"])}</code>'
            "</td>",
            f"<td>{scen_cell}</td>",
            f"<td>{_esc(year_s)}</td>",
            f'<td class="num">{_esc(_fmt(rec["value"], rec["unit"]))}</td>',
            f"<td>{_esc(rec['unit'])}</td>",
            f"<td>{_esc(rec['source'])}</td>",
        ]
        rows.append(f'<tr class="indicator-row">{"".join(cells)}</tr>')
    return rows


def indicator_table_html(
    table: pd.DataFrame,
    *,
    definitions: pd.DataFrame | None = None,
    table_id: str = "indicators",
    show_city: bool = False,
    collapsed: bool = False,
) -> str:
    """Render the indicator table as HTML, grouped by theme, scenarios spelled out.

    Parameters
    ----------
    table : pandas.DataFrame
        Tidy indicator table (columns city, theme, indicator, scenario, year, value, unit,
        source).
    definitions : pandas.DataFrame, optional
        One row per indicator with the columns key, title, unit, definition and source
        (``urbanrisk.profile.indicators.registry_table()``; a ``framework`` column, when
        present, splits each theme into its main results and the rows for reporting
        frameworks). Titles are shown, definitions as hover text; without it the
        indicator keys are shown alone.
    table_id : str, default "indicators"
        HTML id of the table (of the first one when ``collapsed``).
    show_city : bool, default False
        Add a city column (for studies).
    collapsed : bool, default False
        One folded section (``<details>``) per theme and group, with a plain heading and
        the number of values, instead of one long table.

    Returns
    -------
    str

    Examples
    --------
    >>> t = pd.DataFrame({"city": ["A"], "theme": ["green"], "indicator": ["eca_ha"],
    ...                   "scenario": [None], "year": [None], "value": [12.5],
    ...                   "unit": ["ha"], "source": [""]})
    >>> '<td class="num">12.5</td>' in indicator_table_html(t)
    True
    >>> "<details" in indicator_table_html(t, collapsed=True)
    True
    """
    known = _definitions(definitions)
    cols = (["City"] if show_city else []) + ["Indicator", "Scenario", "Year", "Value", "Unit",
                                              "Source"]
    head = "".join(f"<th>{c}</th>" for c in cols)
    records = table.to_dict(orient="records")
    if not collapsed:
        rows = []
        current = None
        for rec in records:
            theme = rec["theme"]
            if theme != current:
                rows.append(f'<tr class="theme-row"><td colspan="{len(cols)}">'
                             f"{_esc(_THEME_TITLES.get(theme, theme))}</td></tr>")
                current = theme
            rows += _indicator_rows([rec], known, show_city)
        return (f'<table id="{_esc(table_id)}" class="indicators"><thead><tr>{head}</tr>'
                f"</thead><tbody>{''.join(rows)}</tbody></table>")
    out = []
    first = True
    for theme in dict.fromkeys(r["theme"] for r in records):
        mine = [r for r in records if r["theme"] == theme]
        main = [r for r in mine if not _is_reporting(r["indicator"],
                                                     known.get(r["indicator"], {}))]
        rep = [r for r in mine if r not in main]
        name = _THEME_TITLES.get(theme, theme)
        for group, label in ((main, name), (rep, f"{name}: rows for reporting frameworks "
                                                   "(Sendai, ISO 37123, CBI, SDG, UNDRR)")):
            if not group:
                continue
            tid = f' id="{_esc(table_id)}"' if first else ""
            first = False
            out.append(
                f'<details class="indicator-group"><summary>{_esc(label)} '
                f'<span class="count">({len(group)} values)</span></summary>'
                f'<table{tid} class="indicators"><thead><tr>{head}</tr></thead><tbody>'
                + "".join(_indicator_rows(group, known, show_city))
                + "</tbody></table></details>")
    return "".join(out)


def _status_table(status: pd.DataFrame) -> str:
    rows = []
    for rec in status.to_dict(orient="records"):
        st = rec["status"]
        rows.append(
            f"<tr><td>{_esc(_THEME_TITLES.get(rec['analysis'], rec['analysis']))}</td>"
            f'<td class="status-{_esc(st)}">{_esc(st)}</td><td>{_esc(rec["reason"])}</td>'
            f'<td class="num">{rec["seconds"]:.1f}</td></tr>'
        )
    return ('<table id="analyses"><thead><tr><th>Analysis</th><th>Status</th><th>Reason</th>'
            f"<th>Seconds</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")


def _pick(table: pd.DataFrame, indicator: str, scenario: str | None = None,
          year: int | None = None) -> float | None:
    sel = table[table["indicator"] == indicator]
    if scenario is not None:
        sel = sel[sel["scenario"] == scenario]
    if year is not None:
        sel = sel[sel["year"] == year]
    if len(sel) != 1 or pd.isna(sel["value"].iloc[0]):
        return None
    return float(sel["value"].iloc[0])


#: The aim the WHO Regional Office for Europe (2016) sets out with its green-access
#: indicator: every resident within 300 m of a public green area of at least 0.5-1 ha.
WHO_ACCESS_AIM_PCT = 100.0


def _rp_shown(table: pd.DataFrame) -> str | None:
    rps = [s for s in table.loc[table["indicator"] == "buildings_exposed", "scenario"]
           if isinstance(s, str)]
    return "RP100" if "RP100" in rps else (rps[-1] if rps else None)


def _sea_pick(table: pd.DataFrame, indicator: str, year: int) -> tuple[str, dict[str, float]]:
    """Return the highest scenario's values for a year, by quantile label ("0.5")."""
    rows = table[(table["indicator"] == indicator) & (table["year"] == year)]
    if not len(rows):
        return "", {}
    scen = [str(x) for x in rows["scenario"]]
    names = sorted({x.split(" q")[0] for x in scen})
    high = names[-1]  # SSP5-8.5 sorts last of the AR6 names
    out = {}
    for rec in rows.to_dict(orient="records"):
        name, _, q = str(rec["scenario"]).partition(" q")
        if name == high and q:
            out[q] = float(rec["value"])
    return high, out


def summary_findings(table: pd.DataFrame) -> list[str]:
    """Three to five plain sentences a planner reads first, each from the indicator table.

    Nothing is said that the table does not hold: a theme that did not run adds no
    sentence. Ranges are given where the table has them (EAD bounds, the likely range of
    the sea-level projections).

    Examples
    --------
    >>> t = pd.DataFrame({"indicator": ["buildings_exposed", "people_exposed", "ead"],
    ...                   "scenario": ["RP100", "RP100", None], "year": [None] * 3,
    ...                   "value": [48.0, 1234.4, 9100.0]})
    >>> first = summary_findings(t)[0]
    >>> first[:76]
    'Flooding: in a 100-year flood (1 % chance a year), about 1,234 residents and'
    >>> first[first.index("Expected"):]
    'Expected building damage from floods: 9,100 EUR a year on average.'
    """
    out = []
    rp = _rp_shown(table)
    if rp is not None:
        b = _pick(table, "buildings_exposed", rp)
        p = _pick(table, "people_exposed", rp)
        who = [f"about {p:,.0f} residents"] if p is not None else []
        who += [f"{b:,.0f} buildings"] if b is not None else []
        txt = f"Flooding: in a {scenario_label(rp)}, " + " and ".join(who) + " are in " \
              "flooded areas."
        ead, lo, hi = (_pick(table, k) for k in ("ead", "ead_lower", "ead_upper"))
        if ead is not None:
            txt += f" Expected building damage from floods: {ead:,.0f} EUR a year on average"
            if lo is not None and hi is not None and hi > lo:
                txt += f" (between {lo:,.0f} and {hi:,.0f} EUR, depending on how the curve " \
                       "between the mapped floods is drawn)"
            txt += "."
        out.append(txt)
    elif _pick(table, "people_exposed", None) is not None:
        out.append(f"Flooding: about {_pick(table, 'people_exposed'):,.0f} residents live in "
                   "flooded areas.")
    heat = _pick(table, "people_heat_hotspot")
    if heat is not None:
        area = _pick(table, "heat_hotspot_area_km2")
        txt = f"Heat: about {heat:,.0f} residents live in heat hot spots"
        txt += (f" ({area:.2f} km² of the hottest ground)." if area is not None else ".")
        out.append(txt)
    acc = _pick(table, "green_access_share")
    if acc is not None:
        gap = WHO_ACCESS_AIM_PCT - acc
        verdict = ("meeting the WHO aim of every resident" if gap < 0.05 else
                   f"{gap:.1f} percentage points short of the WHO aim of every resident")
        out.append(f"Green space: {acc:.1f} % of residents live within walking distance of a "
                   f"large enough green area, {verdict}.")
    high, bld = _sea_pick(table, "sea_buildings", 2100)
    if bld:
        _, ppl = _sea_pick(table, "sea_people", 2100)
        _, rise = _sea_pick(table, "sea_level_rise_m", 2100)
        mid = bld.get("0.5", next(iter(bld.values())))
        txt = f"Sea-level rise: by 2100, under {scenario_label(high)}"
        if "0.5" in rise:
            txt += f", with the mean sea level {rise['0.5']:.2f} m higher"
        txt += f", the sea would permanently reach {mid:,.0f} buildings"
        if "0.5" in ppl:
            txt += f" and about {ppl['0.5']:,.0f} residents"
        if "0.17" in bld and "0.83" in bld:
            txt += f" (likely range {bld['0.17']:,.0f}–{bld['0.83']:,.0f} buildings)"
        out.append(txt + ".")
    one, two = _pick(table, "cbi1_score"), _pick(table, "cbi2_score")
    if one is not None or two is not None:
        parts = []
        if one is not None:
            parts.append(f"natural areas {one:.0f} / 4 points")
        if two is not None:
            parts.append(f"connectivity {two:.0f} / 4 points")
        out.append("Biodiversity (City Biodiversity Index): " + ", ".join(parts) + ".")
    return out[:5] if len(out) > 5 else out


def _summary(table: pd.DataFrame) -> str:
    items = summary_findings(table)
    if not items:
        return "<p>No analysis produced indicators.</p>"
    return '<ul class="findings">' + "".join(f"<li>{_esc(t)}</li>" for t in items) + "</ul>"


def _targets(table: pd.DataFrame) -> str:
    """Scores and shares beside their targets: "3 / 4 points", "99.4 % of 100 %"."""
    rows = []
    for key, label in (("cbi1_score", "CBI 1: natural areas"),
                       ("cbi2_score", "CBI 2: connectivity of natural areas")):
        v = _pick(table, key)
        if v is not None:
            rows.append((label, f"{v:.0f} / 4 points", "4 points (the index's top band)",
                         "meets" if v >= 4 else "below"))
    for key, label in (("cbi2021_points", "CBI 2021: indicators computed from maps"),
                       ("cbi2014_points", "CBI 2014: indicators computed from maps")):
        v, m = _pick(table, key), _pick(table, key.replace("_points", "_max_points"))
        if v is not None and m is not None:
            rows.append((label, f"{v:.0f} / {m:.0f} points", f"{m:.0f} points",
                         "meets" if v >= m else "below"))
    acc = _pick(table, "green_access_share")
    if acc is not None:
        rows.append(("Residents near a large enough green area (WHO Europe 2016)",
                     f"{acc:.1f} %", f"{WHO_ACCESS_AIM_PCT:.0f} % (every resident)",
                     "meets" if acc >= WHO_ACCESS_AIM_PCT - 0.05 else
                     f"below by {WHO_ACCESS_AIM_PCT - acc:.1f} points"))
    if not rows:
        return ""
    body = "".join(
        f"<tr><td>{_esc(a)}</td><td class=\"num\"><b>{_esc(b)}</b></td><td>{_esc(c)}</td>"
        f'<td class="verdict">{_esc(d)}</td></tr>' for a, b, c, d in rows)
    return ('<table id="targets"><thead><tr><th>Measure</th><th>Result</th><th>Target</th>'
            f"<th>Against the target</th></tr></thead><tbody>{body}</tbody></table>")


def _where_to_act(frame: pd.DataFrame | None, m: ReportMap | None, number: int) -> list[str]:
    out = ['<h2 id="where">Where to act</h2>']
    if frame is not None and len(frame):
        head = "".join(f"<th>{_esc(c)}</th>" for c in frame.columns)
        body = []
        for rec in frame.itertuples(index=False):
            cells = []
            for col, v in zip(frame.columns, rec, strict=True):
                if isinstance(v, float | int) and not isinstance(v, bool):
                    f = "{:,.1f}" if "%" in str(col) else "{:,.0f}"
                    cells.append(f'<td class="num">{"—" if pd.isna(v) else f.format(v)}'
                                 "</td>")
                else:
                    cells.append(f"<td>{_esc(v)}</td>")
            body.append("<tr>" + "".join(cells) + "</tr>")
        out.append('<table id="where-to-act"><thead><tr>' + head + "</tr></thead><tbody>"
                   + "".join(body) + "</tbody></table>")
        out.append("<p class=\"note\">Districts in the order of the first column's measure, "
                   "largest first; — : not computed for that district.</p>")
    if m is not None:
        out.append(_figure(m, f"Map {number}"))
    if len(out) == 1:
        out.append("<p>No district results: give a <code>districts</code> layer to rank "
                   "districts.</p>")
    return out


def _sea_explanation(table: pd.DataFrame) -> str:
    """How the sea-level maps differ from the flood map (mean level vs return period)."""
    rp = _rp_shown(table)
    b_flood = _pick(table, "buildings_exposed", rp) if rp else None
    high, bld = _sea_pick(table, "sea_buildings", 2100)
    example = ""
    if b_flood is not None and bld:
        mid = bld.get("0.5", next(iter(bld.values())))
        example = (f" That is why the numbers differ: {b_flood:,.0f} buildings are wet in "
                   f"today's {scenario_label(rp)}, {mid:,.0f} are reached by the mean sea of "
                   f"2100 under {high}.")
    return ('<p class="explain"><b>Reading the sea-level maps.</b> They show where the '
            "<i>mean</i> sea level projected for a year (IPCC AR6, by emissions scenario) "
            "would reach land that is connected to the sea: a slow, lasting change, with no "
            "storm on top. The flood map shows something else: a <i>temporary</i> flood of "
            "a given return period (a 100-year flood has a 1 % chance each year) under "
            "today's conditions." + _esc(example) + " Storm floods on top of a higher sea "
            "are assessed under Adaptation pathways when that analysis ran.</p>")


def _figure(m: ReportMap, label: str) -> str:
    return (f'<figure id="map-{_esc(m.name)}"><img src="{png_data_uri(m.png)}" '
            f'alt="{_esc(m.caption)}"><figcaption>{_esc(label)}. {_esc(m.caption)} '
            f"(files <code>maps/{_esc(m.name)}.png</code>, <code>.pdf</code>)"
            "</figcaption></figure>")


def _has_adaptation(table: pd.DataFrame, maps: Sequence[ReportMap]) -> bool:
    """Whether the report has an "Adaptation pathways" section."""
    return any(m.name.startswith(ADAPT_MAP_PREFIX) for m in maps) or (
        "theme" in table.columns and bool((table["theme"] == "adapt").any()))


def _adaptation_section(table: pd.DataFrame, maps: Sequence[ReportMap], *,
                        first: int = 1) -> list[str]:
    """Return the "Adaptation pathways" section: its figures and the options table.

    Built only from the indicator rows of the ``adapt`` theme (NPV and BCR per pathway and
    scenario, tipping years) and the maps named ``adapt_*``; nothing when there are none.
    """
    if not _has_adaptation(table, maps):
        return []
    rows = table[table["theme"] == "adapt"] if "theme" in table.columns else table.iloc[:0]
    out = ['<h2 id="adaptation">Adaptation pathways</h2>',
           "<p>Coastal flood risk over time under each sea-level scenario, and what protecting, "
           "accommodating or retreating costs against the damage it avoids (present values; "
           "method under <a href=\"#methods\">Methods</a>).</p>"]
    for i, m in enumerate(maps, first):
        out.append(
            f'<figure id="map-{_esc(m.name)}"><img src="{png_data_uri(m.png)}" '
            f'alt="{_esc(m.caption)}"><figcaption>Figure {i}. {_esc(m.caption)} '
            f"(files <code>maps/{_esc(m.name)}.png</code>, <code>.pdf</code>)"
            "</figcaption></figure>"
        )
    econ = rows[rows["indicator"].isin(["adapt_npv_eur", "adapt_bcr"])]
    if len(econ):
        wide = econ.pivot_table(index="scenario", columns="indicator", values="value",
                                sort=False)
        body = "".join(
            f"<tr><td>{_esc(label)}</td>"
            f'<td class="num">{_esc(_fmt(r.get("adapt_npv_eur", math.nan), "EUR"))}</td>'
            f'<td class="num">{_esc(_fmt(r.get("adapt_bcr", math.nan), "1"))}</td></tr>'
            for label, r in wide.iterrows())
        out.append('<table id="adapt-options"><thead><tr><th>Pathway | scenario</th>'
                   "<th>Net present value (EUR)</th><th>Benefit–cost ratio</th></tr></thead>"
                   f"<tbody>{body}</tbody></table>")
    tip = rows[rows["indicator"] == "adapt_tipping_year"]
    if len(tip):
        body = "".join(
            f"<tr><td>{_esc(rec['scenario'])}</td>"
            f'<td class="num">{_esc(_fmt(rec["value"], "year"))}</td></tr>'
            for rec in tip.to_dict(orient="records"))
        out.append("<p>Tipping points: the first year each pathway stops meeting the "
                   "protection standard (— : it holds through the last year assessed).</p>"
                   '<table id="adapt-tipping"><thead><tr><th>Pathway | zone | scenario</th>'
                   f"<th>Tipping year</th></tr></thead><tbody>{body}</tbody></table>")
    return out


def _list(items: Iterable[str], cls: str = "") -> str:
    items = list(items)
    if not items:
        return ""
    c = f' class="{cls}"' if cls else ""
    return f"<ol{c}>" + "".join(f"<li>{_esc(i)}</li>" for i in items) + "</ol>"


def _reporting_section(
    reporting: Mapping[str, tuple[Sequence[str], pd.DataFrame]],
) -> list[str]:
    """One table per reporting framework, as its sheet in the reporting export."""
    if not reporting:
        return []
    out = ['<h2 id="reporting">Reporting frameworks</h2>',
           "<p>The indicators cities report, computed from the maps exactly as each framework "
           "defines them, in the framework's own wording (also in "
           "<code>reporting/</code> as CSV and a workbook). Values from hazard maps are "
           "modelled scenario estimates, not recorded losses; an empty value names the input "
           "it needs. The last column says how the definition was verified.</p>"]
    for framework, (titles, sheet) in reporting.items():
        head = "".join(f"<th>{_esc(c)}</th>" for c in sheet.columns)
        rows = []
        for rec in sheet.itertuples(index=False):
            cells = []
            for v in rec:
                if isinstance(v, float | int) and not isinstance(v, bool):
                    text = "" if pd.isna(v) else f"{v:,.4g}"
                    cells.append(f'<td class="num">{_esc(text)}</td>')
                else:
                    cells.append(f"<td>{_esc('' if v is None or v is pd.NA else str(v))}</td>")
            rows.append(f"<tr>{''.join(cells)}</tr>")
        out.append(
            f'<details class="indicator-group"><summary>{_esc(framework)} '
            f'<span class="count">({len(sheet)} rows)</span></summary>'
            + "".join(f'<p class="note">{_esc(t)}</p>' for t in titles)
            + f'<table class="indicators"><thead><tr>{head}</tr></thead><tbody>'
            + "".join(rows) + "</tbody></table></details>")
    return out


def profile_report_html(
    city: str,
    indicators: pd.DataFrame,
    *,
    analyses: pd.DataFrame,
    definitions: pd.DataFrame | None = None,
    methods: Mapping[str, Sequence[str]] | None = None,
    references: Sequence[str] = (),
    credit: str = "",
    maps: Sequence[ReportMap] = (),
    failed_maps: Sequence[tuple[str, str]] = (),
    manifest: Mapping[str, Any] | None = None,
    where_to_act: pd.DataFrame | None = None,
    where_to_act_map: str | None = None,
    reporting: Mapping[str, tuple[Sequence[str], pd.DataFrame]] | None = None,
) -> str:
    """Render the HTML report of one city profile from plain data.

    The first screen is for a planner: a summary of three to five findings with their
    numbers (:func:`summary_findings`), the scores against their targets, then where to
    act (a map and a table of districts ranked). The details follow: analyses run, maps
    (the sea-level maps with a note on how they differ from the flood map), the
    indicators grouped by theme and folded, methods, definitions and credits.

    Parameters
    ----------
    city : str
        City name.
    indicators : pandas.DataFrame
        The tidy indicator table.
    analyses : pandas.DataFrame
        One row per analysis: analysis, status (done, skipped, failed), reason, seconds.
    definitions : pandas.DataFrame, optional
        Indicator definitions (see :func:`indicator_table_html`); every indicator of the
        table should have one.
    methods : mapping of str to sequence of str, optional
        Analysis name → its method notes, for the analyses that ran, in report order.
    references : sequence of str, optional
        Literature cited by the methods (duplicates are shown once).
    credit : str, optional
        Data credit.
    maps : sequence of ReportMap, optional
        Maps, embedded in order.
    failed_maps : sequence of (str, str), optional
        Maps that could not be drawn, with the reason.
    manifest : mapping, optional
        The run manifest; creation time, input hashes and versions are summarised, and its
        ``data_credits`` (one line per source of the input layers) listed.
    reporting : mapping of str to (sequence of str, pandas.DataFrame), optional
        Framework name → its sheet's title lines and the sheet, in the framework's own
        layout and wording (``urbanrisk.profile.reporting.reporting_sheets``); shown as
        one table per framework in a "Reporting frameworks" section.

    Returns
    -------
    str
        The complete page.

    Examples
    --------
    >>> t = pd.DataFrame({"city": ["A"], "theme": ["green"], "indicator": ["eca_ha"],
    ...                   "scenario": [None], "year": [None], "value": [12.5],
    ...                   "unit": ["ha"], "source": ["x"]})
    >>> status = pd.DataFrame({"analysis": ["green"], "status": ["done"], "reason": [""],
    ...                        "seconds": [0.1]})
    >>> page = profile_report_html("A", t, analyses=status,
    ...                            methods={"green": ["Patches from parks."]})
    >>> "<h1>City risk profile: A</h1>" in page and "Patches from parks." in page
    True
    """
    table = indicators
    known = _definitions(definitions)
    manifest = manifest or {}
    adapt_maps = [m for m in maps if m.name.startswith(ADAPT_MAP_PREFIX)]
    maps = [m for m in maps if not m.name.startswith(ADAPT_MAP_PREFIX)]
    act_map = next((m for m in maps if m.name == where_to_act_map), None)
    maps = [m for m in maps if m is not act_map]
    created = manifest.get("created")
    parts = [
        f"<header><h1>City risk profile: {_esc(city)}</h1>",
        f'<p class="subtitle">Produced by urbanrisk {_esc(__version__)}'
        + (f" on {_esc(str(created)[:10])}" if created else "")
        + ". Every number below is computed from the input layers listed under "
        "<a href=\"#credits\">Data and credits</a>.</p></header>",
        '<section id="summary"><h2 id="glance">Summary</h2>',
        _summary(table),
        _targets(table),
        "</section>",
        '<nav><ul><li><a href="#where">Where to act</a></li>'
        '<li><a href="#analyses-h">Analyses run</a></li>'
        '<li><a href="#maps">Maps</a></li>'
        + ('<li><a href="#adaptation">Adaptation pathways</a></li>'
           if _has_adaptation(table, adapt_maps) else "")
        + ('<li><a href="#reporting">Reporting frameworks</a></li>' if reporting else "")
        + '<li><a href="#indicators-h">All indicators</a></li>'
        '<li><a href="#methods">Methods and references</a></li>'
        '<li><a href="#definitions">Indicator definitions</a></li>'
        '<li><a href="#credits">Data and credits</a></li></ul></nav>',
    ]
    parts += _where_to_act(where_to_act, act_map, 1)
    first = 2 if act_map is not None else 1
    parts += [
        '<h2 id="analyses-h">Analyses run</h2>',
        "<p>Analyses that were skipped or failed have no rows in the indicator table; "
        "their numbers are not estimated. An analysis that ran without some of its data "
        "says what it left out.</p>",
        _status_table(analyses),
        '<h2 id="maps">Maps</h2>',
    ]
    if not maps and act_map is None:
        parts.append("<p>No maps were drawn.</p>")
    explained = False
    for i, m in enumerate(maps, first):
        if m.name.startswith("sea_") and not explained:
            parts.append(_sea_explanation(table))
            explained = True
        parts.append(_figure(m, f"Map {i}"))
    if failed_maps:
        parts.append("<p>Maps not drawn: " + "; ".join(
            f"{_esc(n)} ({_esc(r)})" for n, r in failed_maps) + "</p>")
    parts += _adaptation_section(table, adapt_maps, first=first + len(maps))
    parts += _reporting_section(reporting or {})
    parts += [
        '<h2 id="indicators-h">All indicators</h2>',
        f"<p>{len(table)} values, grouped by theme: open a group to see its rows (also in "
        "<code>indicators.csv</code> and <code>indicators.json</code>). Scenarios are spelled "
        "out, their code below; hover over an indicator for its definition.</p>",
        '<p class="note"><b>Scenario codes.</b> <code>RP100</code>: the flood with a 100-year '
        "return period, which has a 1 % chance of happening in any year. "
        "<code>SSP1-2.6</code>, <code>SSP5-8.5</code>: the IPCC AR6 emissions pathways (low, "
        "very high emissions). <code>q0.5</code>: the median projection; <code>q0.17</code>"
        " and <code>q0.83</code>: the ends of the IPCC <i>likely</i> range.</p>",
        indicator_table_html(table, definitions=definitions, collapsed=True),
        '<h2 id="methods">Methods and references</h2>',
    ]
    for name, notes in (methods or {}).items():
        parts.append(f"<h3>{_esc(_THEME_TITLES.get(name, name))}</h3>")
        parts += [f'<p class="note">{_esc(n)}</p>' for n in notes]
    citations = list(dict.fromkeys(references))
    if citations:
        parts += ["<h3>References</h3>", _list(citations, "refs")]
    parts.append('<h2 id="definitions">Indicator definitions</h2><dl>')
    for key in dict.fromkeys(table["indicator"].tolist()):
        ind = known.get(key, {})
        parts.append(f"<dt><b>{_esc(ind.get('title', key))}</b> (<code>{_esc(key)}</code>, "
                     f"{_esc(ind.get('unit', ''))})</dt><dd>{_esc(ind.get('definition', ''))} "
                     f"<i>Source: {_esc(ind.get('source', ''))}.</i></dd>")
    parts.append("</dl>")
    parts.append('<h2 id="credits">Data and credits</h2>')
    if credit:
        parts.append(f"<p>{_esc(credit)}</p>")
    if manifest.get("data_credits"):  # one line per source of the input layers
        parts += ["<p>Sources of the input layers:</p>",
                  _list(manifest["data_credits"], "data-credits")]
    inputs = manifest.get("inputs", {})
    if inputs:
        rows = "".join(
            f"<tr><td>{_esc(layer)}</td><td>{_esc(Path(f['path']).name)}</td>"
            f"<td><code>{_esc(f['sha256'][:16])}…</code></td></tr>"
            for layer, files in inputs.items() for f in files
        )
        parts.append('<table id="inputs"><thead><tr><th>Layer</th><th>File</th>'
                     f"<th>SHA-256</th></tr></thead><tbody>{rows}</tbody></table>")
    versions = manifest.get("versions", {})
    if versions:
        parts.append("<p>Software: " + ", ".join(
            f"{_esc(k)} {_esc(v)}" for k, v in versions.items()) + ".</p>")
    parts.append("<footer>Generated by urbanrisk. Colour scales are perceptually uniform "
                 "(viridis, cividis) and read in grayscale and for colour-blind readers. "
                 "The full run manifest is in <code>manifest.json</code>.</footer>")
    return render_page(f"City risk profile: {city}", "\n".join(parts))


def study_report_html(
    name: str,
    indicators: pd.DataFrame,
    summary: pd.DataFrame,
    figure: str | Path | bytes | None = None,
    *,
    definitions: pd.DataFrame | None = None,
) -> str:
    """Render the HTML report of a multi-city study: status per city, the figure, all indicators.

    Parameters
    ----------
    name : str
        Study name.
    indicators : pandas.DataFrame
        Concatenated indicator table of every city.
    summary : pandas.DataFrame
        One row per city (any columns, e.g. city, status, stage, message, seconds).
    figure : path or bytes, optional
        PNG comparison figure, embedded.
    definitions : pandas.DataFrame, optional
        Indicator definitions (see :func:`indicator_table_html`).

    Returns
    -------
    str

    Examples
    --------
    >>> table = pd.DataFrame(columns=["city", "theme", "indicator", "scenario", "year",
    ...                               "value", "unit", "source"])
    >>> page = study_report_html("s", table, pd.DataFrame({"city": ["a"]}))
    >>> "<h1>Study: s</h1>" in page
    True
    """
    head = "".join(f"<th>{_esc(c)}</th>" for c in summary.columns)
    body_rows = "".join(
        "<tr>" + "".join(f"<td>{_esc('' if pd.isna(v) else v)}</td>" for v in rec) + "</tr>"
        for rec in summary.itertuples(index=False)
    )
    parts = [
        f"<h1>Study: {_esc(name)}</h1>",
        f'<p class="subtitle">{_esc(len(summary))} cities; generated '
        f"{_esc(_dt.date.today().isoformat())}.</p>",
        "<h2>Cities</h2>",
        f'<table id="cities"><thead><tr>{head}</tr></thead><tbody>{body_rows}</tbody></table>',
    ]
    if figure is not None:
        data = figure if isinstance(figure, bytes) else Path(figure).read_bytes()
        parts.append(f'<figure><img src="{png_data_uri(data)}" alt="Key indicators by city">'
                     "<figcaption>Key indicators, cities side by side.</figcaption></figure>")
    parts += ["<h2>Indicators</h2>", indicator_table_html(indicators, definitions=definitions,
                                                         show_city=True)]
    return render_page(f"Study: {name}", "\n".join(parts))
