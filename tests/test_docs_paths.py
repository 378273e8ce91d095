"""Every repository path the README and docs/*.md cite exists.

A backticked token that looks like a path (it holds a ``/`` or ends in ``.py``, ``.md`` or
``.toml``) must name a file or folder from the repository root, from ``src/`` (module paths
such as ``xlner/engine/base.py``), from ``src/xlner/`` (``align/combined.py``), from
``src/xlner/configs/`` (``benchmarks/silver-quick.toml``) or from the document's own folder,
as the target of a relative Markdown link must. A bare file name (``corpus.py``) is a path
from one of those folders too: write ``project/corpus.py``. The README's layout tables list
every top-level module and folder of ``src/xlner/``, and nothing else.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BASES = ("", "src", "src/xlner", "src/xlner/configs")

FENCED = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
PARAGRAPH_BREAK = re.compile(r"\n\s*\n")  # a code span never crosses one
BACKTICKED = re.compile(r"`([^`]+)`")
LINK_TARGET = re.compile(r"\]\(([^)\s]+)\)")
PATH_LIKE = re.compile(r"/|\w\.(py|md|toml)$")
# Backticked text that is not a path of this repository: commands and code (spaces, quotes,
# `=`, brackets), placeholders and globs (`<lang>/`, `DIR/`, `*`), variables and URLs (`$`,
# `~`, `:`), options (`--a/--b`), absolute or relative-up paths (`/tmp/ray`, `../shared/data`).
NOT_A_PATH = re.compile(r"""[\s"'=()<>\[\]*?$~:|,]|^[-/.]|^[A-Z_]+/""")
# Folders that a run creates (in the working directory, or in an output folder).
OUTPUTS = ("runs/", "results/", "cache/", "shards/", "silver.hf/")
# Names written like paths that are not files: Hugging Face hub datasets, a provenance id.
NAMES = {"google/xtreme", "masakhane/masakhaner2", "mafand-mt/en-lug/train/17"}


def cited_paths(text: str) -> list[str]:
    """The backticked path-like tokens and the relative link targets of a Markdown text."""
    text = FENCED.sub("", text)
    # The text of a link (`[`toy_corpus.py`](examples/...)`) is not checked: its target is.
    spans = [m for part in PARAGRAPH_BREAK.split(text) for m in BACKTICKED.finditer(part)]
    code = [m.group(1) for m in spans if not m.string.startswith("](", m.end())]
    tokens = [t for t in code if PATH_LIKE.search(t)]
    tokens = [
        t
        for t in tokens
        if not NOT_A_PATH.search(t) and not t.startswith(OUTPUTS) and t not in NAMES
    ]
    # A target with a colon is a URL (https:, mailto:); "#section" alone is an anchor.
    links = [t.split("#")[0] for t in LINK_TARGET.findall(text) if ":" not in t]
    return tokens + [t for t in links if t]


def missing_paths(text: str, doc_dir: Path, root: Path = ROOT) -> list[str]:
    """The paths cited in ``text`` that resolve from none of the bases nor from ``doc_dir``."""
    bases = [root / base for base in BASES] + [doc_dir]
    return [p for p in cited_paths(text) if not any((b / p).exists() for b in bases)]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_cited_path_exists(doc):
    assert missing_paths(doc.read_text(encoding="utf-8"), doc.parent) == []


def test_a_missing_file_is_caught(tmp_path):
    (tmp_path / "src/xlner/align").mkdir(parents=True)
    (tmp_path / "src/xlner/align/base.py").write_text("")
    text = (
        "The interface is `align/base.py`, the backend `src/xlner/align/gone.py`, "
        "the sample [`gone.md`](docs/gone.md); `runs/x/`, `google/xtreme`, `<lang>/cache/`, "
        "[a site](https://example.org/a.py), [a section](#layout) and `xlner run CONFIG` "
        "are no paths.\n```\n`in/a/fence.py`\n```\n"
    )
    assert missing_paths(text, tmp_path, root=tmp_path) == [
        "src/xlner/align/gone.py",
        "docs/gone.md",
    ]


def test_a_bare_file_name_must_resolve_from_a_base(tmp_path):
    (tmp_path / "src/xlner/project").mkdir(parents=True)
    (tmp_path / "src/xlner/project/corpus.py").write_text("")
    text = "`corpus.py` and `project/corpus.py`"
    assert missing_paths(text, tmp_path, root=tmp_path) == ["corpus.py"]


def layout_entries(readme: str) -> set[str]:
    """The first-column names of the tables of the README's ``## Layout`` section."""
    section = readme.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([^`]+)` \|", section, re.MULTILINE))


def test_the_layout_lists_every_top_level_module_and_folder():
    package = ROOT / "src/xlner"
    modules = {p.name for p in package.glob("*.py") if p.name != "__init__.py"}
    folders = {f"{p.name}/" for p in package.iterdir() if p.is_dir() and p.name != "__pycache__"}
    listed = layout_entries((ROOT / "README.md").read_text(encoding="utf-8"))
    assert listed == modules | folders
