"""HTML reports for planners: one self-contained file per city profile or study.

See :func:`profile_report_html` (written by :meth:`urbanrisk.profile.CityProfile.export`)
and :func:`study_report_html` (written by :func:`urbanrisk.study.run_study`). Both take plain
data (tables, strings, PNG bytes); this package imports nothing from :mod:`urbanrisk.profile`.
"""

from urbanrisk.report.html import (
    ReportMap,
    indicator_table_html,
    png_data_uri,
    profile_report_html,
    render_page,
    study_report_html,
)

__all__ = [
    "ReportMap",
    "indicator_table_html",
    "png_data_uri",
    "profile_report_html",
    "render_page",
    "study_report_html",
]
