"""HTML reports for planners: one self-contained file per city profile or study.

See :func:`profile_report_html` (written by :meth:`urbanrisk.profile.CityProfile.export`)
and :func:`study_report_html` (written by :func:`urbanrisk.study.run_study`).
"""

from urbanrisk.report.html import (
    indicator_table_html,
    png_data_uri,
    profile_report_html,
    render_page,
    study_report_html,
)

__all__ = [
    "indicator_table_html",
    "png_data_uri",
    "profile_report_html",
    "render_page",
    "study_report_html",
]
