"""The code of README.md and the user guide runs, and prints what it says.

Every ```python / ```pycon block of README.md and every ``.. code-block::
python`` / ``pycon`` block of docs/user_guide/*.rst is a test.  The blocks of
one file run in order in one namespace (a block may use the names of the
blocks above it), in a temporary working directory.  A block whose first
line is ``>>>`` is a doctest: its expected output is compared (``...``
matches anything, whitespace is normalised); any other block must run
without an exception.  (RST literal blocks, ``::``, and other languages,
such as ``bash``, are not run.)

A block that cannot run here (a data set outside the repository, a Dask
cluster, minutes of training) is marked, on the line just before it, with

- ``.. docs-test: skip -- <reason>`` (an RST comment: invisible in the
  rendered page), or
- ``<!-- docs-test: skip -- <reason> -->`` in Markdown;

the reason is required and shows in the test report as the skip reason.
A block that needs an optional package is marked
``.. docs-test: needs <module>[, <module>]`` (or the Markdown comment): it runs
where the modules import and is skipped where they do not.
"""

import doctest
import importlib.util
import io
import re
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs" / "user_guide").glob("*.rst"))]
SKIP = re.compile(r"^\s*(?:\.\.|<!--)\s*docs-test:\s*skip\s*--\s*(?P<reason>.*?)\s*(?:-->)?\s*$")
NEEDS = re.compile(
    r"^\s*(?:\.\.|<!--)\s*docs-test:\s*needs\s+(?P<modules>[\w., ]+?)\s*(?:-->)?\s*$")
RUN_LANGUAGES = {"python", "pycon"}


class Block:
    def __init__(self, path, line, language, code, skip):
        self.path, self.line, self.language, self.code, self.skip = (
            path, line, language, code, skip)

    @property
    def name(self):
        return f"{self.path.relative_to(ROOT)}:{self.line}"

    @property
    def is_doctest(self):
        return self.code.lstrip().startswith(">>>")


def _missing(modules):
    return [m for m in modules if importlib.util.find_spec(m) is None]


def _skip_reason(lines, index):
    """Reason of a skip marker on the last non-blank line before ``index``
    (or of a ``needs`` marker whose modules are missing here)."""
    for line in reversed(lines[:index]):
        if line.strip():
            needs = NEEDS.match(line)
            if needs is not None:
                missing = _missing([m.strip() for m in needs["modules"].split(",")])
                return f"needs {', '.join(missing)}, not installed" if missing else None
            match = SKIP.match(line)
            if match is None:
                return None
            if not match["reason"]:
                raise ValueError(f"a docs-test skip marker needs a reason: {line.strip()!r}")
            return match["reason"]
    return None


def markdown_blocks(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks, i = [], 0
    while i < len(lines):
        fence = re.match(r"^```\s*(\w*)\s*$", lines[i])
        if fence is None:
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
        if fence[1] in RUN_LANGUAGES:
            blocks.append(Block(path, i + 2, fence[1], "\n".join(lines[i + 1:end]) + "\n",
                                _skip_reason(lines, i)))
        i = end + 1
    return blocks


def rst_blocks(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks = []
    for i, line in enumerate(lines):
        directive = re.match(r"^(\s*)\.\. code-block::\s*(\w+)\s*$", line)
        if directive is None:
            continue
        indent = len(directive[1])
        j = i + 1
        while j < len(lines) and re.match(r"^\s+:\w[\w-]*:", lines[j]):  # options
            j += 1
        while j < len(lines) and not lines[j].strip():
            j += 1
        start = j  # the first line of code
        while j < len(lines) and (not lines[j].strip()
                                  or len(lines[j]) - len(lines[j].lstrip()) > indent):
            j += 1
        if directive[2] in RUN_LANGUAGES:
            code = textwrap.dedent("\n".join(lines[start:j])).strip("\n") + "\n"
            blocks.append(Block(path, start + 1, directive[2], code, _skip_reason(lines, i)))
    return blocks


def all_blocks():
    return [b for p in DOCUMENTS
            for b in (markdown_blocks(p) if p.suffix == ".md" else rst_blocks(p))]


BLOCKS = all_blocks()


class _Document:
    """The namespace of one file and how many of its blocks have run."""

    def __init__(self, folder):
        self.namespace = {"__name__": "__docs__"}
        self.done = 0
        self.folder = folder


_documents = {}


def _run(block):
    if block.is_doctest:
        parser = doctest.DocTestParser()
        test = parser.get_doctest(block.code, _documents[block.path].namespace, block.name,
                                  str(block.path), block.line - 1)
        runner = doctest.DocTestRunner(
            optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        out = io.StringIO()
        runner.run(test, out=out.write, clear_globs=False)
        if runner.failures:
            pytest.fail(f"{block.name}: the block prints something else\n{out.getvalue()}",
                        pytrace=False)
    else:
        code = compile("\n" * (block.line - 1) + block.code, str(block.path), "exec")
        exec(code, _documents[block.path].namespace)


@pytest.mark.parametrize("block", BLOCKS, ids=[b.name for b in BLOCKS])
def test_documented_code_runs(block, tmp_path_factory, monkeypatch):
    if block.path not in _documents:
        _documents[block.path] = _Document(tmp_path_factory.mktemp("docs"))
    document = _documents[block.path]
    monkeypatch.chdir(document.folder)
    mine = [b for b in BLOCKS if b.path == block.path]
    index = mine.index(block)
    while document.done < index:  # the blocks above run first (once), when selected alone
        earlier = mine[document.done]
        document.done += 1
        if earlier.skip is None:
            _run(earlier)
    if block.skip is not None:
        pytest.skip(block.skip)
    if document.done == index:
        document.done += 1
        _run(block)


def test_the_runner_finds_blocks_and_markers(tmp_path):
    rst = tmp_path / "x.rst"
    rst.write_text("Title\n\n.. docs-test: skip -- needs data\n\n.. code-block:: python\n\n"
                   "   a = 1\n   b = 2\n\ntext\n\n.. code-block:: pycon\n\n   >>> 1 + 1\n"
                   "   2\n\n.. code-block:: bash\n\n   ls\n")
    blocks = rst_blocks(rst)
    assert [(b.line, b.skip, b.is_doctest) for b in blocks] == [
        (7, "needs data", False), (14, None, True)]
    assert blocks[0].code == "a = 1\nb = 2\n"
    md = tmp_path / "x.md"
    md.write_text("<!-- docs-test: skip -- a GloVe file -->\n```python\nx = 1\n```\n\n"
                  "```pycon\n>>> 2\n2\n```\n```bash\nls\n```\n")
    assert [(b.line, b.skip, b.code) for b in markdown_blocks(md)] == [
        (3, "a GloVe file", "x = 1\n"), (7, None, ">>> 2\n2\n")]
    # a block that needs optional modules runs only where they import
    needs = tmp_path / "y.rst"
    needs.write_text(".. docs-test: needs json, re\n\n.. code-block:: python\n\n   a = 1\n\n"
                     ".. docs-test: needs json, no_such_module_here\n\n"
                     ".. code-block:: python\n\n   b = 2\n")
    assert [b.skip for b in rst_blocks(needs)] == [
        None, "needs no_such_module_here, not installed"]
