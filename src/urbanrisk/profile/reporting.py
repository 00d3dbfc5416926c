"""Reporting sheets: the indicators cities report, one sheet per framework, in its own wording.

The profile steps put the rows of each framework in a tidy *reporting table*
(:data:`REPORTING_COLUMNS`, built with :func:`reporting_frame`): one row per framework
code and scenario, with the framework's wording, the value, its unit, the 0-4 score where
the framework scores, what was summed, what is missing (never a silent zero) and the
verification tag of the definition. :func:`write_reporting` writes them as

- ``reporting/<framework>.csv``: one CSV per framework, in that framework's layout;
- ``reporting/reporting.xlsx``: the same, one sheet per framework (openpyxl, from the
  ``io`` extra; without it only the CSVs are written and a warning says so).

Sendai indicators are defined for **recorded** disasters: every Sendai and Scorecard row
computed from a hazard map carries its scenario (``"modelled, RP100"``), and the sheet
says that these are modelled estimates, not reported losses.

Examples
--------
>>> t = reporting_frame([{"framework": "SDG", "code": "11.7.1", "wording": "w",
...                       "value": 12.5, "unit": "%"}])
>>> list(t.columns)[:5], t.loc[0, "missing"]
(['framework', 'code', 'wording', 'basis', 'value'], '')
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from urbanrisk.layers import atomic_path, write_table
from urbanrisk.profile.indicators import FRAMEWORKS

__all__ = [
    "REPORTING_COLUMNS",
    "REPORTING_TABLES",
    "SHEETS",
    "reporting_frame",
    "framework_sheet",
    "reporting_sheets",
    "sheet_titles",
    "write_reporting",
]

logger = logging.getLogger(__name__)

#: Columns of a reporting table.
REPORTING_COLUMNS: tuple[str, ...] = (
    "framework", "code", "wording", "basis", "value", "unit", "score", "max_score",
    "parts", "missing", "verified", "key",
)

#: Names of the profile tables that hold reporting rows (one per analysis that adds them).
REPORTING_TABLES: tuple[str, ...] = ("reporting_hazard", "reporting_green")

_TAGS = ("Verification of the definition: [P] primary text read; [P-toc] only its table of "
         "contents; [S] secondary transcription; [U] unverified recall.")

#: Per framework: sheet name, title lines and the columns (header, reporting column).
SHEETS: dict[str, tuple[str, tuple[str, ...], tuple[tuple[str, str], ...]]] = {
    "Sendai": (
        "Sendai",
        ("Sendai Framework for Disaster Risk Reduction: monitoring indicators "
         "(UNGA A/71/644, 2017)",
         "MODELLED SCENARIO ESTIMATES from hazard maps, not losses of recorded disasters: "
         "each row names its scenario.", _TAGS),
        (("Indicator", "code"), ("Description", "wording"), ("Scenario", "basis"),
         ("Value", "value"), ("Unit", "unit"), ("Computed from", "parts"),
         ("Not included / missing input", "missing"), ("Definition verified", "verified")),
    ),
    "ISO 37123": (
        "ISO 37123",
        ("ISO 37123:2019 Sustainable cities and communities: indicators for resilient "
         "cities", "Measurement clauses were not read: see the verification column.", _TAGS),
        (("Clause", "code"), ("Indicator", "wording"), ("Basis", "basis"), ("Value", "value"),
         ("Unit", "unit"), ("Missing input", "missing"), ("Definition verified", "verified")),
    ),
    "ISO 37120": (
        "ISO 37120",
        ("ISO 37120 Sustainable cities and communities: indicators for city services and "
         "quality of life", _TAGS),
        (("Clause", "code"), ("Indicator", "wording"), ("Value", "value"), ("Unit", "unit"),
         ("Missing input", "missing"), ("Definition verified", "verified")),
    ),
    "UNDRR Scorecard": (
        "UNDRR Scorecard E2",
        ("UNDRR Disaster Resilience Scorecard for Cities, Preliminary Level (v1.0, 2017): "
         "Essential 2 evidence for the scenarios the city names",
         "For each hazard, as a minimum, the 'most probable' and 'most severe' "
         "consequences.", _TAGS),
        (("Question", "code"), ("Evidence", "wording"), ("Scenario", "basis"),
         ("Value", "value"), ("Unit", "unit"), ("Missing input", "missing"),
         ("Definition verified", "verified")),
    ),
    "SDG": (
        "SDG 11.7.1",
        ("SDG indicator 11.7.1: Average share of the built-up area of cities that is open "
         "space for public use for all, by sex, age and persons with disabilities "
         "(custodian UN-Habitat)", _TAGS),
        (("Indicator", "code"), ("Description", "wording"), ("Value", "value"),
         ("Unit", "unit"), ("Computed from", "parts"), ("Missing input", "missing"),
         ("Definition verified", "verified")),
    ),
    "WHO": (
        "WHO green access",
        ("WHO Regional Office for Europe (2016), Urban green spaces and health: suggested "
         "accessibility indicator", _TAGS),
        (("Indicator", "code"), ("Description", "wording"), ("Value", "value"),
         ("Unit", "unit"), ("Missing input", "missing"), ("Definition verified", "verified")),
    ),
    "CBI-2014": (
        "CBI 2014",
        ("Singapore Index on Cities' Biodiversity, User's Manual (Chan et al. 2014): "
         "indicators computable from maps", _TAGS),
        (("Indicator", "code"), ("Indicator title", "wording"), ("Value", "value"),
         ("Unit", "unit"), ("Score (0-4)", "score"), ("Maximum", "max_score"),
         ("Scoring bands", "parts"), ("Missing input", "missing"),
         ("Verification", "verified")),
    ),
    "CBI-2021": (
        "CBI 2021",
        ("Singapore Index on Cities' Biodiversity, Handbook (Chan et al. 2021, CBD "
         "Technical Series 98): indicators computable from maps", _TAGS),
        (("Indicator", "code"), ("Indicator title", "wording"), ("Value", "value"),
         ("Unit", "unit"), ("Score (0-4)", "score"), ("Maximum", "max_score"),
         ("Scoring bands", "parts"), ("Missing input", "missing"),
         ("Verification", "verified")),
    ),
}


def reporting_frame(rows: Iterable[dict] | pd.DataFrame) -> pd.DataFrame:
    """Build a reporting table with the standard columns (missing text columns empty).

    A row without a value must say why in ``missing``; one that does not gets
    ``"not computed"``, so an empty cell is never read as a zero.

    Examples
    --------
    >>> reporting_frame([{"framework": "Sendai", "code": "B-3", "value": None}]).loc[
    ...     0, "missing"]
    'not computed'
    """
    df = rows.copy() if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    df = df.reindex(columns=list(REPORTING_COLUMNS))
    for c in REPORTING_COLUMNS:
        if c in ("value", "score", "max_score"):
            continue
        df[c] = df[c].astype(object).where(df[c].notna(), "").astype(str)
    df["value"] = pd.to_numeric(df["value"], errors="coerce").astype(float)
    df["score"] = pd.to_numeric(df["score"], errors="coerce").astype("Int64")
    df["max_score"] = pd.to_numeric(df["max_score"], errors="coerce").astype("Int64")
    empty = df["value"].isna() & (df["missing"] == "")
    df.loc[empty, "missing"] = "not computed"
    return df


def framework_sheet(table: pd.DataFrame, framework: str) -> pd.DataFrame:
    """Return the rows of one framework in its layout: its column headers, in its order.

    Examples
    --------
    >>> t = reporting_frame([{"framework": "SDG", "code": "11.7.1", "wording": "w",
    ...                       "value": 12.5, "unit": "%"}])
    >>> list(framework_sheet(t, "SDG").columns)[:3]
    ['Indicator', 'Description', 'Value']
    """
    _, _, cols = SHEETS[framework]
    sel = table[table["framework"] == framework]
    return pd.DataFrame({header: sel[col].to_numpy() for header, col in cols})


def _file_stem(framework: str) -> str:
    return framework.lower().replace(" ", "_").replace("-", "_")


def reporting_sheets(tables: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """One sheet per framework, in the framework's own layout, from a profile's tables.

    The same sheets :func:`write_reporting` writes and the HTML report shows.

    Examples
    --------
    >>> t = reporting_frame([{"framework": "SDG", "code": "11.7.1", "wording": "w",
    ...                       "value": 12.5, "unit": "%", "verified": "[P]"}])
    >>> list(reporting_sheets({"reporting_green": t}))
    ['SDG']
    """
    parts = [reporting_frame(tables[name]) for name in REPORTING_TABLES if name in tables]
    if not parts:
        return {}
    table = pd.concat(parts, ignore_index=True)
    known = [f for f in FRAMEWORKS if f in SHEETS and (table["framework"] == f).any()]
    other = sorted(set(table["framework"]) - set(SHEETS))
    if other:
        logger.warning("reporting rows of frameworks without a sheet layout were left out: "
                       "%s", other)
    return {fw: framework_sheet(table, fw) for fw in known}


def sheet_titles(framework: str) -> tuple[str, ...]:
    """Title lines of a framework's sheet (source document, scenario warning, tags).

    Examples
    --------
    >>> sheet_titles("Sendai")[1].startswith("MODELLED")
    True
    """
    return SHEETS[framework][1] if framework in SHEETS else ()


def write_reporting(
    tables: Mapping[str, pd.DataFrame],
    folder: str | os.PathLike,
    *,
    city: str = "",
) -> list[Path]:
    """Write the reporting sheets of a profile's tables into ``folder/reporting``.

    Parameters
    ----------
    tables : mapping of str to pandas.DataFrame
        The profile's tables; those named in :data:`REPORTING_TABLES` are read (none:
        nothing is written).
    folder : path-like
        The output folder.
    city : str
        City name, written in each sheet's heading.

    Returns
    -------
    list of pathlib.Path
        The files written.

    Examples
    --------
    >>> import tempfile
    >>> t = reporting_frame([{"framework": "SDG", "code": "11.7.1", "wording": "w",
    ...                       "value": 12.5, "unit": "%", "verified": "[P]"}])
    >>> out = write_reporting({"reporting_green": t}, tempfile.mkdtemp(), city="Tiny")
    >>> sorted(p.name for p in out)
    ['reporting.xlsx', 'sdg.csv']
    """
    sheets = reporting_sheets(tables)
    if not sheets:
        return []
    target = Path(folder) / "reporting"
    written: list[Path] = []
    for fw, sheet in sheets.items():
        path = target / f"{_file_stem(fw)}.csv"
        write_table(sheet, path)
        written.append(path)
    xlsx = _write_xlsx(sheets, target / "reporting.xlsx", city)
    if xlsx is not None:
        written.append(xlsx)
    return written


def _write_xlsx(sheets: dict[str, pd.DataFrame], path: Path, city: str) -> Path | None:
    try:
        # optional dependency (the `io` extra): without it the CSVs are still written
        from openpyxl import Workbook
        from openpyxl.styles import Font
    except ImportError:
        logger.warning("openpyxl is not installed (pip install urbanrisk[io]): the reporting "
                       "workbook was not written, only the CSV files.")
        return None
    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    for fw, sheet in sheets.items():
        name, titles, _ = SHEETS[fw]
        ws = wb.create_sheet(name[:31])
        ws.append([f"{city}: {titles[0]}" if city else titles[0]])
        ws["A1"].font = bold
        for line in titles[1:]:
            ws.append([line])
        ws.append([])
        ws.append(list(sheet.columns))
        for cell in ws[ws.max_row]:
            cell.font = bold
        for rec in sheet.itertuples(index=False):
            ws.append([_cell(v) for v in rec])
        for col, header in zip(ws.iter_cols(min_row=ws.max_row - len(sheet)),
                               sheet.columns, strict=False):
            width = max([len(str(header))] + [len(str(c.value or "")) for c in col])
            ws.column_dimensions[col[0].column_letter].width = min(max(width + 2, 8), 60)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as p:
        wb.save(p)
    return path


def _cell(v):
    """Return a value openpyxl writes: NaN and NA as empty cells, numpy scalars as Python."""
    if v is None or v is pd.NA:
        return None
    if isinstance(v, float | np.floating) and np.isnan(v):
        return None
    if isinstance(v, np.generic):
        return v.item()
    return v
