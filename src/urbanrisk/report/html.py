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


def indicator_table_html(
    table: pd.DataFrame,
    *,
    definitions: pd.DataFrame | None = None,
    table_id: str = "indicators",
    show_city: bool = False,
) -> str:
    """Render the indicator table as an HTML table grouped by theme.

    Parameters
    ----------
    table : pandas.DataFrame
        Tidy indicator table (columns city, theme, indicator, scenario, year, value, unit,
        source).
    definitions : pandas.DataFrame, optional
        One row per indicator with the columns key, title, unit, definition and source
        (``urbanrisk.profile.indicators.registry_table()``). Titles are shown, definitions
        as hover text; without it the indicator keys are shown alone.
    table_id : str, default "indicators"
        HTML id of the table.
    show_city : bool, default False
        Add a city column (for studies).

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
    """
    known = _definitions(definitions)
    cols = (["City"] if show_city else []) + ["Indicator", "Scenario", "Year", "Value", "Unit",
                                              "Source"]
    head = "".join(f"<th>{c}</th>" for c in cols)
    rows = []
    current = None
    for rec in table.to_dict(orient="records"):
        theme = rec["theme"]
        if theme != current:
            rows.append(f'<tr class="theme-row"><td colspan="{len(cols)}">'
                        f"{_esc(_THEME_TITLES.get(theme, theme))}</td></tr>")
            current = theme
        ind = known.get(rec["indicator"], {})
        title = ind.get("title", rec["indicator"])
        defin = ind.get("definition", "")
        year = rec["year"]
        year_s = "" if year is None or pd.isna(year) else str(int(year))
        scen = rec["scenario"]
        scen_s = "" if scen is None or pd.isna(scen) else str(scen)
        cells = ([f"<td>{_esc(rec['city'])}</td>"] if show_city else []) + [
            f'<td title="{_esc(defin)}">{_esc(title)}<br><code>{_esc(rec["indicator"])}</code>'
            "</td>",
            f"<td>{_esc(scen_s)}</td>",
            f"<td>{_esc(year_s)}</td>",
            f'<td class="num">{_esc(_fmt(rec["value"], rec["unit"]))}</td>',
            f"<td>{_esc(rec['unit'])}</td>",
            f"<td>{_esc(rec['source'])}</td>",
        ]
        rows.append(f'<tr class="indicator-row">{"".join(cells)}</tr>')
    return (f'<table id="{_esc(table_id)}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")


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


def _glance(table: pd.DataFrame) -> str:
    """Write a few plain sentences from the indicator table (nothing not in it)."""
    out = []
    rps = [s for s in table.loc[table["indicator"] == "buildings_exposed", "scenario"]
           if isinstance(s, str)]
    rp = "RP100" if "RP100" in rps else (rps[-1] if rps else None)
    if rp is not None:
        b = _pick(table, "buildings_exposed", rp)
        p = _pick(table, "people_exposed", rp)
        txt = f"In the {rp[2:]}-year flood, {b:,.0f} buildings"
        txt += f" and about {p:,.0f} residents are exposed." if p is not None else " are exposed."
        ead, lo, hi = (_pick(table, k) for k in ("ead", "ead_lower", "ead_upper"))
        if ead is not None:
            txt += f" Expected annual building damage: {ead:,.0f} EUR/yr"
            if lo is not None and hi is not None:
                txt += f" (bounds {lo:,.0f}–{hi:,.0f})"
            txt += "."
        out.append(txt)
    heat = _pick(table, "people_heat_hotspot")
    if heat is not None:
        out.append(f"About {heat:,.0f} residents live in heat hot spots.")
    eca, share = _pick(table, "eca_ha"), _pick(table, "eca_share")
    if eca is not None:
        txt = f"The green network's equivalent connected area is {eca:,.1f} ha"
        txt += f" ({share:.0f} % of the habitat area)." if share is not None else "."
        acc = _pick(table, "green_access_share")
        if acc is not None:
            txt += f" {acc:.0f} % of residents live near a large enough green area."
        out.append(txt)
    sea = table[(table["indicator"] == "sea_buildings")]
    if len(sea):
        last = sea[sea["year"] == sea["year"].max()]
        parts = [f"{rec['scenario']}: {rec['value']:,.0f}" for rec in
                 last.to_dict(orient="records")]
        out.append(f"Buildings reached by the sea by {int(sea['year'].max())} — "
                   + "; ".join(parts) + ".")
    lrr = _pick(table, "shoreline_lrr_median_m_yr")
    if lrr is not None:
        out.append(f"Median shoreline change rate: {lrr:+.2f} m/yr (negative = erosion).")
    if not out:
        return "<p>No analysis produced indicators.</p>"
    return "<ul>" + "".join(f"<li>{_esc(t)}</li>" for t in out) + "</ul>"


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
) -> str:
    """Render the HTML report of one city profile from plain data.

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
        The run manifest; creation time, input hashes and versions are summarised.

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
    parts = [
        f"<header><h1>City risk profile: {_esc(city)}</h1>",
        f'<p class="subtitle">Produced by urbanrisk {_esc(__version__)}'
        + (f" on {_esc(manifest['created'])}" if manifest.get("created") else "")
        + ". Every number below is computed from the input layers listed under "
        "<a href=\"#credits\">Data and credits</a>.</p></header>",
        '<nav><ul><li><a href="#glance">At a glance</a></li>'
        '<li><a href="#analyses-h">Analyses run</a></li>'
        '<li><a href="#maps">Maps</a></li>'
        + ('<li><a href="#adaptation">Adaptation pathways</a></li>'
           if _has_adaptation(table, maps) else "")
        + '<li><a href="#indicators-h">Indicators</a></li>'
        '<li><a href="#methods">Methods and references</a></li>'
        '<li><a href="#definitions">Indicator definitions</a></li>'
        '<li><a href="#credits">Data and credits</a></li></ul></nav>',
        '<h2 id="glance">At a glance</h2>',
        _glance(table),
        '<h2 id="analyses-h">Analyses run</h2>',
        "<p>Analyses that were skipped or failed have no rows in the indicator table; "
        "their numbers are not estimated.</p>",
        _status_table(analyses),
        '<h2 id="maps">Maps</h2>',
    ]
    adapt_maps = [m for m in maps if m.name.startswith(ADAPT_MAP_PREFIX)]
    maps = [m for m in maps if not m.name.startswith(ADAPT_MAP_PREFIX)]
    if not maps:
        parts.append("<p>No maps were drawn.</p>")
    for i, m in enumerate(maps, 1):
        parts.append(
            f'<figure id="map-{_esc(m.name)}"><img src="{png_data_uri(m.png)}" '
            f'alt="{_esc(m.caption)}"><figcaption>Map {i}. {_esc(m.caption)} '
            f"(files <code>maps/{_esc(m.name)}.png</code>, <code>.pdf</code>)"
            "</figcaption></figure>"
        )
    if failed_maps:
        parts.append("<p>Maps not drawn: " + "; ".join(
            f"{_esc(n)} ({_esc(r)})" for n, r in failed_maps) + "</p>")
    parts += _adaptation_section(table, adapt_maps, first=len(maps) + 1)
    parts += [
        '<h2 id="indicators-h">Indicators</h2>',
        f"<p>{len(table)} values (also in <code>indicators.csv</code> and "
        "<code>indicators.json</code>). Hover over an indicator for its definition.</p>",
        indicator_table_html(table, definitions=definitions),
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
