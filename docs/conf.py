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

# Notebooks are executed by the test suite (pytest --nbmake); here they are rendered as
# committed, so the docs build needs no kernel and no network.
nb_execution_mode = "off"

autodoc_typehints = "none"
autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

html_theme = "pydata_sphinx_theme"
html_title = "urbanrisk"
html_theme_options = {"navigation_depth": 2, "show_toc_level": 2}


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
