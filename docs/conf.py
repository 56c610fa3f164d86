"""Sphinx configuration of the skembed documentation.

Build (from the repository root, after ``pip install -e ".[docs]"``)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

or ``make -C docs html``.  The build needs no network access.
"""

import skembed

project = "skembed"
author = "skembed developers"
copyright = "skembed developers"
version = skembed.__version__
release = skembed.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

# -- API reference -------------------------------------------------------------
# Stub pages are generated at build time into api/generated/ (git-ignored).
autosummary_generate = True
autosummary_imported_members = False
autodoc_typehints = "none"
autodoc_member_order = "groupwise"
# numpydoc renders Parameters/Attributes/Returns; the class template lists the
# methods itself, so numpydoc must not add a second member table.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# -- Markdown (docs/benchmarks.md) ---------------------------------------------
myst_heading_anchors = 3

# -- HTML ----------------------------------------------------------------------
html_theme = "furo"
html_title = f"skembed {release}"
html_static_path = ["_static"]
