"""Sphinx configuration for the urbanrisk documentation."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import urbanrisk

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent

project = "urbanrisk"
author = "the urbanrisk developers"
copyright = "2026, the urbanrisk developers"  # noqa: A001
version = release = urbanrisk.__version__

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
]
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb", ".rst": "restructuredtext"}
exclude_patterns = ["_build", "**.ipynb_checkpoints", "gen_*.py"]

# Notebooks are committed without outputs (small diffs, nothing volatile). The docs build
# runs them once and keeps the results in a cache (jupyter-cache, under _build/), so the
# pages show their maps and tables; a notebook is run again only when its code changes.
# No network is needed: every notebook works on the bundled sample city. The multi-city
# study starts a local Dask cluster (a minute on two cores, already run by the test suite
# through nbmake): it is shown with its code only. A notebook that fails breaks the build.
nb_execution_mode = "cache"
nb_execution_timeout = 300
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_execution_excludepatterns = ["*05_multi_city_study*"]
# progress bars and log lines go to stderr: not part of the rendered page
nb_output_stderr = "remove"

autodoc_typehints = "none"
autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

html_theme = "pydata_sphinx_theme"
html_title = "urbanrisk"
html_theme_options = {
    "navigation_depth": 2,
    "show_toc_level": 2,
    "show_nav_level": 1,
    "collapse_navigation": False,
    "navbar_align": "left",
    "header_links_before_dropdown": 4,
}
templates_path = ["_templates"]
# the whole table of contents in the side menu of every page (see _templates/)
html_sidebars = {"**": ["sidebar-global.html"]}


def _copy_notebooks() -> None:
    """Render ../notebooks inside the docs tree (the copies are not committed)."""
    target = DOCS / "notebooks"
    target.mkdir(exist_ok=True)
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        shutil.copyfile(nb, target / nb.name)


def _generate_pages() -> None:
    """Pages written from the code (the indicator registry, ...)."""
    for script in sorted(DOCS.glob("gen_*.py")):
        subprocess.run([sys.executable, str(script)], check=True, cwd=DOCS)


_copy_notebooks()
_generate_pages()
