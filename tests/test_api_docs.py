"""docs/api.rst lists every public name of skembed."""

import pathlib
import re

import skembed
from skembed import datasets, keyed_vectors, metrics, model_selection, recommend

API = pathlib.Path(__file__).parent.parent / "docs" / "api.rst"


def test_api_reference_lists_every_public_name():
    listed = set(re.findall(r"^   ([A-Za-z_][A-Za-z0-9_]*)$", API.read_text(), re.MULTILINE))
    public = {name for name in skembed.__all__ if name not in ("__version__", "metrics")}
    for module in (keyed_vectors, recommend, metrics, model_selection, datasets):
        public |= set(module.__all__)
    assert not public - listed, f"add to docs/api.rst: {sorted(public - listed)}"
    assert not listed - public, f"not public, yet in docs/api.rst: {sorted(listed - public)}"
