"""``xlner data list|fetch|show`` through the CLI, fetching from local file:// mirrors."""

from __future__ import annotations

import hashlib
import importlib
import re
import shutil
import sys
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from xlner.cli import app
from xlner.corpora import get_corpus
from xlner.registry import registry

# The module (``xlner.corpora.fetch`` the attribute is the function of that name).
pins_module = importlib.import_module("xlner.corpora.pins")

runner = CliRunner()
CONFIG = Path(__file__).resolve().parents[1] / "configs" / "translate-test" / "masakhaner-lug.toml"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    monkeypatch.delenv("XLNER_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def invoke(*args: str):
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output
    return result


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def pins(monkeypatch) -> dict[str, str]:
    """The pinned checksums, to which :func:`mirror_of` adds those of its made-up files."""
    table = dict(pins_module.pinned_checksums())
    monkeypatch.setattr(pins_module, "pinned_checksums", lambda: table)
    return table


def mirror_of(root: Path, name: str, text_for, pins: dict[str, str]) -> None:
    """Lay out every file of corpus ``name`` under ``root`` as raw.githubusercontent.com,
    each pinned as the file of the corpus."""
    corpus = get_corpus(name)
    for rel in corpus.files():
        origin = corpus.origin
        text = text_for(rel)
        write(root / origin.repo / origin.commit / corpus.origin_path(rel), text)
        pins[rel] = hashlib.sha256(text.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------- list


def test_list_names_every_corpus_with_its_state_and_parameters(tmp_path):
    result = invoke("data", "list", "--data-dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    for name in registry.corpora.available():
        assert re.search(rf"^{re.escape(name)} ", result.output, re.MULTILINE), name
    assert "missing 0/4 files" in result.output
    assert "xlner data fetch europarl-ner" in result.output
    assert "parameters: lang: en de es it" in result.output
    assert "parameters: path: any; scheme: auto iob1 iob2 bioes (default iob2)" in result.output
    assert "(bitext, no entities)" in result.output
    assert "xlner data fetch conll\n" not in result.output  # nothing to fetch there


# ---------------------------------------------------------------------------- fetch


def europarl_text(rel: str) -> str:
    return f"{rel.split('/')[-1][:2]}word B-PER\n\n"


def test_fetch_from_a_file_mirror_then_list_shows_it_present(tmp_path, pins):
    mirror_of(tmp_path / "mirror", "europarl-ner", europarl_text, pins)
    data = tmp_path / "data"
    args = ["--data-dir", str(data), "--mirror", (tmp_path / "mirror").as_uri()]
    result = invoke("data", "fetch", "europarl-ner", *args)
    assert result.exit_code == 0, result.output
    assert "europarl-ner: 4 file(s) written" in result.output
    assert get_corpus("europarl-ner").load(lang="it", data_dir=data)[0].tokens == ["itword"]
    local = data / "europarl-ner" / "it-europarl.test.conll02"
    local.write_text("mine O\n", encoding="utf-8")
    again = invoke("data", "fetch", "europarl-ner", *args)
    assert "already present" in again.output and "0 file(s) written" in again.output
    assert local.read_text(encoding="utf-8") == "mine O\n"
    overwritten = invoke("data", "fetch", "europarl-ner", "--overwrite", *args)
    assert "europarl-ner: 4 file(s) written" in overwritten.output
    assert local.read_text(encoding="utf-8") == "itword B-PER\n\n"
    listed = invoke("data", "list", "--data-dir", str(data))
    assert re.search(r"^europarl-ner +present 4/4 files", listed.output, re.MULTILINE)


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (["europarl-ner", "conll2002"], "unknown corpus 'conll2002'; choose from conll, conll2003"),
        (["conll"], "corpus 'conll' is not kept in the data directory"),
        (["hf"], "corpus 'hf' is not kept in the data directory"),
        (["masakhaner2-parallel"], "corpus 'masakhaner2' not found"),
        (["europarl-ner"], "could not download file://"),  # the mirror lacks it
    ],
)
def test_fetch_errors_are_one_line_messages(tmp_path, names, message):
    (tmp_path / "empty-mirror").mkdir()
    mirror = ["--mirror", (tmp_path / "empty-mirror").as_uri()]
    result = invoke("data", "fetch", *names, "--data-dir", str(tmp_path / "data"), *mirror)
    assert result.exit_code == 2
    assert f"error: {message}" in result.output


def test_an_unknown_name_among_several_stops_before_anything_is_fetched(tmp_path, pins):
    mirror_of(tmp_path / "mirror", "europarl-ner", europarl_text, pins)
    args = ["--data-dir", str(tmp_path / "data"), "--mirror", (tmp_path / "mirror").as_uri()]
    result = invoke("data", "fetch", "europarl-ner", "conll2002", *args)
    assert result.exit_code == 2 and "unknown corpus 'conll2002'" in result.output
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("planted", ["file", "folder"])
def test_fetch_refuses_a_symlink_planted_in_the_data_directory(tmp_path, pins, planted):
    mirror_of(tmp_path / "mirror", "europarl-ner", europarl_text, pins)
    data, victim = tmp_path / "data", tmp_path / "victim"
    victim.mkdir()
    (victim / "en-europarl.test.conll02").write_text("someone else's\n", encoding="utf-8")
    if planted == "file":
        (data / "europarl-ner").mkdir(parents=True)
        link = data / "europarl-ner" / "en-europarl.test.conll02"
        link.symlink_to(victim / "en-europarl.test.conll02")
    else:
        data.mkdir()
        link = data / "europarl-ner"
        link.symlink_to(victim)
    args = ["--data-dir", str(data), "--mirror", (tmp_path / "mirror").as_uri(), "--overwrite"]
    result = invoke("data", "fetch", "europarl-ner", *args)
    assert result.exit_code == 2
    assert f"error: {link} is a symlink; refusing to write" in result.output
    assert sorted(p.name for p in victim.iterdir()) == ["en-europarl.test.conll02"]
    assert (victim / "en-europarl.test.conll02").read_text(encoding="utf-8") == "someone else's\n"


def test_a_mirror_answering_with_error_pages_is_an_error(tmp_path):
    page = "<html><body>404 Not Found</body></html>\n"
    mirror_of(tmp_path / "mirror", "europarl-ner", lambda rel: page, {})  # not pinned
    data = tmp_path / "data"
    args = ["--data-dir", str(data), "--mirror", (tmp_path / "mirror").as_uri()]
    result = invoke("data", "fetch", "europarl-ner", *args)
    assert result.exit_code == 2
    assert "not the pinned file" in result.output and "nothing written" in result.output
    assert not (data / "europarl-ner").exists() or not any((data / "europarl-ner").iterdir())
    listed = invoke("data", "list", "--data-dir", str(data))
    assert re.search(r"^europarl-ner +missing 0/4 files", listed.output, re.MULTILINE)


def test_list_does_not_call_a_file_that_fails_its_checksum_present(tmp_path, shared_data):
    data = tmp_path / "data"
    shutil.copytree(shared_data / "europarl-ner", data / "europarl-ner")
    listed = invoke("data", "list", "--data-dir", str(data))
    assert re.search(r"^europarl-ner +present 4/4 files", listed.output, re.MULTILINE)
    (data / "europarl-ner" / "de-europarl.test.conll02").write_text("<html>\n", encoding="utf-8")
    listed = invoke("data", "list", "--data-dir", str(data))
    line = re.search(r"^europarl-ner +(.*)$", listed.output, re.MULTILINE)
    assert line is not None and "present" not in line.group(1)
    assert "damaged 4/4 files" in line.group(1) and "1 not the pinned file" in line.group(1)


def test_fetch_from_a_mirror_of_the_real_files_passes_their_checksums(tmp_path, shared_data):
    corpus = get_corpus("europarl-ner")
    mirror = tmp_path / "mirror"
    for rel in corpus.files():
        origin = corpus.origin
        where = mirror / origin.repo / origin.commit / corpus.origin_path(rel)
        where.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shared_data / rel, where)
    data = tmp_path / "data"
    result = invoke(
        "data", "fetch", "europarl-ner", "--data-dir", str(data), "--mirror", mirror.as_uri()
    )
    assert result.exit_code == 0, result.output
    listed = invoke("data", "list", "--data-dir", str(data))
    assert re.search(r"^europarl-ner +present 4/4 files", listed.output, re.MULTILINE)


def test_a_mirror_given_as_a_path_is_a_one_line_error(tmp_path):
    result = invoke(
        "data", "fetch", "europarl-ner", "--data-dir", str(tmp_path), "--mirror", "/srv/m"
    )
    assert result.exit_code == 2
    assert "error: --mirror '/srv/m' is not an http://, https:// or file:// URL" in result.output
    assert "file:///srv/m" in result.output


def test_the_fetch_line_of_the_masakhaner_config_works(tmp_path, pins):
    """The comment of masakhaner-lug.toml names the command that gets its corpora."""
    lines = re.findall(r"^#\s+(xlner data fetch .+)$", CONFIG.read_text(), re.MULTILINE)
    assert len(lines) == 1
    names = lines[0].split()[3:]
    assert names == ["masakhaner2", "mafand-mt", "masakhaner2-parallel"]

    def ner_text(rel: str) -> str:
        return "Kampala B-LOC\nkiri O\n.\tO\n\n"

    def mafand_text(rel: str) -> str:
        return "Kampala kiri.\n" if not rel.endswith((".en", ".fr")) else "Kampala is there.\n"

    mirror = tmp_path / "mirror"
    mirror_of(mirror, "masakhaner2", ner_text, pins)
    mirror_of(mirror, "mafand-mt", mafand_text, pins)
    data = tmp_path / "data"
    result = invoke("data", "fetch", *names, "--data-dir", str(data), "--mirror", mirror.as_uri())
    assert result.exit_code == 0, result.output
    assert "masakhaner2-parallel: 15 file(s) written" in result.output
    # The config's [data] loads through the catalogue with the corpus's own parameters.
    settings = tomllib.loads(CONFIG.read_text())["data"]
    corpus = get_corpus(settings["corpus"])
    loaded = corpus.load(data_dir=data, **corpus.parameters_in(settings))
    assert [s.tokens for s in loaded] == [["Kampala", "kiri", "."]]
    shown = invoke(
        "data", "show", "masakhaner2-parallel", "lang=lug", "split=test", "--data-dir", str(data)
    )
    assert shown.exit_code == 0, shown.output
    assert "masakhaner2-parallel lang=lug split=test: 1 sentences, 3 tokens; entities: LOC 1" in (
        shown.output
    )
    assert "[LOC Kampala] kiri ." in shown.output


# ---------------------------------------------------------------------------- show


def test_show_a_local_conll_file(tmp_path):
    path = tmp_path / "gold.conll"
    path.write_text("Ana B-PER\nvive O\n\nLima B-LOC\n\n", encoding="utf-8")
    result = invoke("data", "show", "conll", f"path={path}", "--examples", "1")
    assert result.exit_code == 0, result.output
    assert f"conll path={path} scheme=iob2: 2 sentences, 3 tokens; entities: LOC 1, PER 1" in (
        result.output
    )
    assert "[PER Ana] vive" in result.output and "[LOC Lima]" not in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope"], "unknown corpus 'nope'; choose from conll"),
        (
            ["masakhaner2", "lang=lug", "split=tst"],
            "unknown split 'tst'; expected one of train, dev, test; did you mean 'test'?",
        ),
        (["masakhaner2", "lang=lug"], "corpus 'masakhaner2' needs split (one of train, dev, test)"),
        (
            ["europarl-ner", "lang=de", "split=test"],
            "corpus 'europarl-ner' has no parameter 'split'",
        ),
        (["europarl-ner", "lang"], "parameter 'lang' is not key=value"),
        (["mafand-mt", "pair=en-lug"], "corpus 'mafand-mt' is bitext without entity annotation"),
        (["conll", "path=missing.conll"], "corpus 'conll': missing.conll does not exist"),
        (["europarl-ner", "lang=de"], "corpus 'europarl-ner' not found"),
    ],
)
def test_show_errors_are_messages_without_traceback(tmp_path, args, message):
    result = invoke("data", "show", *args, "--data-dir", str(tmp_path))
    assert result.exit_code == 2
    assert result.output.startswith("error: ") and message in result.output


# ---------------------------------------------------------------------------- a new corpus


@pytest.fixture
def toy_corpus(monkeypatch):
    """docs/examples' toy corpus, found in a copy of the catalogue, dropped afterwards."""
    examples = Path(__file__).resolve().parents[1] / "docs" / "examples"
    monkeypatch.syspath_prepend(str(examples))
    monkeypatch.delitem(sys.modules, "xlner_examples.toy_corpus", raising=False)
    registry.corpora.all()  # built-ins imported now register for good, not into the copy
    monkeypatch.setattr(registry.corpora, "_entries", dict(registry.corpora._entries))
    monkeypatch.setattr(registry.corpora, "packages", registry.corpora.packages)
    monkeypatch.setattr(registry.corpora, "_found", None)
    registry.corpora.add_package("xlner_examples")
    return get_corpus("toy-ner")


def test_adding_a_corpus_is_one_new_file(toy_corpus, tmp_path, pins):
    assert toy_corpus.parameters == ("lang",) and toy_corpus.files() == [
        "toy-ner/xx/test.conll",
        "toy-ner/yy/test.conll",
    ]
    mirror = tmp_path / "mirror"
    mirror_of(mirror, "toy-ner", lambda rel: f"{rel.split('/')[1]} B-ORG\n\n", pins)
    data = tmp_path / "data"
    listed = invoke("data", "list", "--data-dir", str(data))
    assert re.search(r"^toy-ner +missing 0/2 files", listed.output, re.MULTILINE)
    assert "xlner data fetch toy-ner" in listed.output
    fetched = invoke(
        "data", "fetch", "toy-ner", "--data-dir", str(data), "--mirror", mirror.as_uri()
    )
    assert fetched.exit_code == 0, fetched.output
    loaded = get_corpus("toy-ner").load(data_dir=data, **toy_corpus.parameters_in({"lang": "yy"}))
    assert [(s.tokens, [span.label for span in s.spans]) for s in loaded] == [(["yy"], ["ORG"])]
    listed = invoke("data", "list", "--data-dir", str(data))
    assert re.search(r"^toy-ner +present 2/2 files", listed.output, re.MULTILINE)
    shown = invoke("data", "show", "toy-ner", "lang=zz", "--data-dir", str(data))
    assert "error: corpus 'toy-ner': unknown lang 'zz'; expected one of xx, yy" in shown.output


def test_the_example_corpus_leaves_the_catalogue_as_it_was():
    assert "toy-ner" not in registry.corpora
