"""Named corpora: the catalogue, one load verb, data directory, paths, fetching, derived data."""

from __future__ import annotations

import filecmp
import importlib
import io
import warnings
from pathlib import Path

import pytest

from xlner.corpora import (
    CorpusNotFound,
    FetchError,
    Origin,
    all_corpora,
    fetch,
    find,
    get_corpus,
    list_corpora,
    require,
    resolve_data_dir,
)
from xlner.corpora.conll import write_conll
from xlner.corpora.fetch import download, github_raw_url, mirror
from xlner.corpora.lines import CorpusWarning
from xlner.corpora.parallel_tsv import read_parallel_tsv, write_parallel_tsv
from xlner.registry import ComponentError, registry
from xlner.types import Span, TaggedSentence

EUROPARL = get_corpus("europarl-ner")
CONLL2003 = get_corpus("conll2003")
MASAKHANER2 = get_corpus("masakhaner2")
MAFAND = get_corpus("mafand-mt")
PARALLEL = get_corpus("masakhaner2-parallel")
BUILT_IN = [
    "conll",
    "conll2003",
    "europarl-ner",
    "hf",
    "mafand-mt",
    "masakhaner2",
    "masakhaner2-parallel",
]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """No test sees the developer's data directory or cache."""
    monkeypatch.delenv("XLNER_DATA", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def no_temp_files(directory: Path) -> bool:
    return not [p for p in directory.rglob("*") if p.name.endswith(".tmp")]


def write_file(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------- data directory


def test_precedence_argument_over_env_over_cache(monkeypatch, tmp_path):
    assert resolve_data_dir() == tmp_path / "home" / ".cache" / "xlner" / "data"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert resolve_data_dir() == tmp_path / "xdg" / "xlner" / "data"
    monkeypatch.setenv("XLNER_DATA", str(tmp_path / "env"))
    assert resolve_data_dir() == tmp_path / "env"
    assert resolve_data_dir(tmp_path / "arg") == tmp_path / "arg"
    assert resolve_data_dir(str(tmp_path / "arg")) == tmp_path / "arg"


def test_empty_env_and_relative_xdg_are_ignored(monkeypatch, tmp_path):
    monkeypatch.setenv("XLNER_DATA", "")
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    assert resolve_data_dir() == tmp_path / "home" / ".cache" / "xlner" / "data"


def test_corpus_methods_follow_the_env(monkeypatch, tmp_path):
    monkeypatch.setenv("XLNER_DATA", str(tmp_path / "env"))
    path = CONLL2003.path(split="test", must_exist=False)
    assert path == tmp_path / "env" / "conll2003" / "test.txt"


# ---------------------------------------------------------------------------- the catalogue


def test_catalogue_contents():
    assert registry.corpora.available() == BUILT_IN
    assert [corpus.name for corpus in all_corpora()] == BUILT_IN
    assert len(MASAKHANER2.choices("lang")) == 20
    assert len(MAFAND.choices("pair")) == 21
    assert len(MAFAND.files()) == 116
    for corpus in all_corpora():
        assert corpus.licence and corpus.title
        assert get_corpus(corpus.name) is corpus
        if corpus.files():
            assert corpus.citation and (corpus.origin is not None or corpus.derived_from)


def test_unknown_corpus_is_a_one_line_component_error():
    with pytest.raises(ComponentError) as exc:
        get_corpus("conll2002")
    message = str(exc.value)
    assert message.startswith("unknown corpus 'conll2002'; choose from conll, conll2003,")
    assert "did you mean 'conll2003'?" in message and "\n" not in message


def test_each_corpus_declares_its_parameters():
    assert EUROPARL.parameters == ("lang",)
    assert CONLL2003.parameters == ("split",)
    assert MASAKHANER2.parameters == ("lang", "split")
    assert PARALLEL.parameters == ("lang", "split")
    assert MAFAND.parameters == ("pair", "split", "lang")
    assert get_corpus("conll").parameters == ("path", "scheme")
    assert get_corpus("hf").parameters == ("path", "config", "split")
    assert EUROPARL.choices("lang") == ("en", "de", "es", "it")
    assert PARALLEL.choices("lang") == ("lug", "tsn", "twi", "ewe", "wol")
    assert get_corpus("conll").choices("path") is None  # any value
    # A choice may depend on the parameters before it.
    assert MAFAND.choices("split", pair="en-amh") == ("dev", "test")
    assert MAFAND.choices("lang", pair="fr-wol") == ("fr", "wol")


def test_parameters_in_picks_a_corpus_own_settings_from_a_config_section():
    data = {"corpus": "x", "lang": "de", "split": "test", "pivot": "en", "limit": 3}
    assert EUROPARL.parameters_in(data) == {"lang": "de"}
    assert MASAKHANER2.parameters_in(data) == {"lang": "de", "split": "test"}
    assert get_corpus("conll").parameters_in(data) == {}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: EUROPARL.relpath(lang="fr"),
            "corpus 'europarl-ner': unknown lang 'fr'; expected one of en, de, es, it",
        ),
        (
            lambda: CONLL2003.relpath(split="training"),
            "corpus 'conll2003': unknown split 'training'; expected one of train, valid, test",
        ),
        (lambda: MASAKHANER2.relpath(lang="eng", split="test"), "unknown lang 'eng'"),
        (
            lambda: MAFAND.relpath(pair="en-amh", split="train", lang="en"),
            "unknown split 'train' for pair en-amh; expected one of dev, test",
        ),
        (
            lambda: MAFAND.relpath(pair="en-lug", split="test", lang="fr"),
            "unknown lang 'fr' for pair en-lug, split test; expected one of en, lug",
        ),
        (lambda: PARALLEL.relpath(lang="hau", split="test"), "unknown lang 'hau'"),
        (
            lambda: MASAKHANER2.load(lang="lug"),
            "corpus 'masakhaner2' needs split \\(one of train, dev, test\\)",
        ),
        (
            lambda: EUROPARL.load(lang="de", split="test"),
            "corpus 'europarl-ner' has no parameter 'split'; its parameters: lang",
        ),
        (
            lambda: get_corpus("conll").load(path="x.conll", scheme="iob3"),
            "unknown scheme 'iob3'; expected one of auto, iob1, iob2, bioes",
        ),
    ],
)
def test_bad_parameters_are_one_line_value_errors(call, message):
    with pytest.raises(ValueError, match=message) as exc:
        call()
    assert isinstance(exc.value, ComponentError) and "\n" not in str(exc.value)


def test_bitext_corpus_refuses_load():
    with pytest.raises(ComponentError, match="'mafand-mt' is bitext without entity annotation"):
        MAFAND.load(pair="en-lug", split="test", lang="lug")


# ---------------------------------------------------------------------------- paths


def test_paths_of_each_corpus(tmp_path):
    def rel(path: Path) -> str:
        return path.relative_to(tmp_path).as_posix()

    kw = {"data_dir": tmp_path, "must_exist": False}
    assert rel(EUROPARL.path(lang="de", **kw)) == "europarl-ner/de-europarl.test.conll02"
    assert rel(CONLL2003.path(split="valid", **kw)) == "conll2003/valid.txt"
    assert rel(CONLL2003.path(split="dev", **kw)) == "conll2003/valid.txt"
    assert rel(MASAKHANER2.path(lang="lug", split="test", **kw)) == "masakhaner2/lug/test.txt"
    assert (
        rel(MAFAND.path(pair="en-lug", split="dev", lang="lug", **kw))
        == "mafand-mt/text_files/en-lug/dev.lug"
    )
    # The upstream folder of this one pair is spelled with an underscore; both spellings work.
    for pair in ("en-luo", "en_luo"):
        assert (
            rel(MAFAND.path(pair=pair, split="test", lang="en", **kw))
            == "mafand-mt/text_files/en_luo/test.en"
        )
    assert rel(PARALLEL.path(lang="ewe", split="dev", **kw)) == "masakhaner2-parallel/ewe.dev.tsv"


def test_origin_paths_and_urls():
    assert CONLL2003.origin_path("conll2003/test.txt") == "data/conll2003/en/raw/test.txt"
    assert (
        MAFAND.origin_path("mafand-mt/text_files/en_luo/dev.luo")
        == "data/text_files/en_luo/dev.luo"
    )
    assert EUROPARL.origin_path("europarl-ner/en-europarl.test.conll02") == (
        "en-europarl.test.conll02"
    )
    origin = Origin("masakhane-io/masakhane-ner", "ba5843cd", "MasakhaNER2.0/data")
    assert github_raw_url(origin, "MasakhaNER2.0/data/lug/test.txt") == (
        "https://raw.githubusercontent.com/masakhane-io/masakhane-ner/ba5843cd/"
        "MasakhaNER2.0/data/lug/test.txt"
    )
    assert github_raw_url(origin, "a b#c").endswith("/a%20b%23c")
    assert mirror("file:///srv/m/")(origin, "x.txt") == (
        "file:///srv/m/masakhane-io/masakhane-ner/ba5843cd/x.txt"
    )
    with pytest.raises(ValueError, match="derived"):
        PARALLEL.origin_path("masakhaner2-parallel/lug.test.tsv")


# ---------------------------------------------------------------------------- loading


def test_every_tagged_file_corpus_loads_with_the_one_verb(tmp_path):
    """A generic caller: the config's settings, filtered by the corpus's own parameters."""
    for corpus in (EUROPARL, CONLL2003, MASAKHANER2):
        combo = corpus.combinations()[0]
        write_file(tmp_path, corpus.relpath(**combo), f"{corpus.name} B-LOC\n\n")
        settings = {"corpus": corpus.name, "lang": "xx", "split": "yy", "pivot": "en", **combo}
        loaded = corpus.load(data_dir=tmp_path, **corpus.parameters_in(settings))
        assert loaded == [TaggedSentence([corpus.name], [Span(0, 1, "LOC")])]


def test_local_conll_file_corpus(tmp_path):
    path = tmp_path / "gold.conll"
    write_conll(path, [TaggedSentence(["Ana", "vive"], [Span(0, 1, "PER")])])
    conll = get_corpus("conll")
    assert conll.load(path=str(path)) == [TaggedSentence(["Ana", "vive"], [Span(0, 1, "PER")])]
    path.write_text("Ana B-PER\nLopez B-PER\n\n", encoding="utf-8")
    assert conll.load(path=path, scheme="iob1")[0].spans == [Span(0, 1, "PER"), Span(1, 2, "PER")]
    with pytest.raises(ComponentError, match="corpus 'conll' needs path"):
        conll.load()
    assert conll.files() == [] and conll.is_present(tmp_path)


def test_europarl_translations_carry_gold_on_both_sides(tmp_path):
    for lang, word in (("en", "Paris"), ("de", "Parisde")):
        write_file(tmp_path, EUROPARL.relpath(lang=lang), f"{word} B-LOC\nx O\n\n")
    rows = EUROPARL.load_translations(lang="de", data_dir=tmp_path)
    assert [(r.source_lang, r.source_text, r.target.tokens) for r in rows] == [
        ("en", "Paris x", ["Parisde", "x"])
    ]
    assert rows[0].source == TaggedSentence(["Paris", "x"], [Span(0, 1, "LOC")])
    write_file(tmp_path, EUROPARL.relpath(lang="es"), "a O\n\nb O\n\n")
    with pytest.raises(ValueError, match="not sentence-parallel"):
        EUROPARL.load_languages(("en", "es"), data_dir=tmp_path)
    with pytest.raises(ComponentError, match="'conll2003' has no translations"):
        CONLL2003.load_translations(split="test", data_dir=tmp_path)


def test_mafand_line_pairs_put_the_source_language_first(tmp_path):
    for split in ("train", "dev"):
        for side in ("en", "lug"):
            write_file(
                tmp_path, MAFAND.relpath(pair="en-lug", split=split, lang=side), f"{side} {split}\n"
            )
    assert MAFAND.line_pairs("en-lug", ["train", "dev"], source="eng", data_dir=tmp_path) == [
        ("en train", "lug train"),
        ("en dev", "lug dev"),
    ]
    assert MAFAND.line_pairs("en-lug", ["dev"], source="lug", data_dir=tmp_path) == [
        ("lug dev", "en dev")
    ]
    assert MAFAND.load_pairs("en-lug", "dev", data_dir=tmp_path) == [
        (["en", "dev"], ["lug", "dev"])
    ]
    assert MAFAND.pair_for("lug") == "en-lug"
    assert MAFAND.pair_for("luo") == "en-luo"
    assert MAFAND.pair_for("wol") == "fr-wol"
    assert MAFAND.pair_for("de") is None


# ---------------------------------------------------------------------------- missing corpora


def test_missing_corpus_says_where_it_looked_and_how_to_get_it(tmp_path):
    with pytest.raises(CorpusNotFound) as exc:
        CONLL2003.load(split="test", data_dir=tmp_path)
    message = str(exc.value)
    assert str(tmp_path / "conll2003" / "test.txt") in message
    assert f"data directory {tmp_path}, given explicitly" in message
    assert "Hironsan/anago @ 0ffb4004, data/conll2003/en/raw" in message
    assert "research use only" in message
    assert f"xlner data fetch conll2003 --data-dir {tmp_path}" in message
    assert isinstance(exc.value, FileNotFoundError)
    assert exc.value.data_dir == tmp_path and exc.value.corpus is CONLL2003


def test_missing_corpus_names_env_and_cache(monkeypatch, tmp_path):
    with pytest.raises(CorpusNotFound, match=r"the user cache; set \$XLNER_DATA") as exc:
        MASAKHANER2.path(lang="lug", split="test")
    assert str(exc.value).endswith("xlner data fetch masakhaner2")
    monkeypatch.setenv("XLNER_DATA", str(tmp_path / "env"))
    with pytest.raises(CorpusNotFound, match=r"from \$XLNER_DATA"):
        MASAKHANER2.path(lang="lug", split="test")


def test_missing_derived_corpus_explains_how_it_is_made(tmp_path):
    with pytest.raises(CorpusNotFound) as exc:
        PARALLEL.records("lug", "test", data_dir=tmp_path)
    message = str(exc.value)
    assert "derived from masakhaner2 and mafand-mt" in message
    assert "xlner data fetch masakhaner2-parallel" in message


def test_require_and_find(tmp_path):
    assert find("conll2003", tmp_path) is None
    with pytest.raises(CorpusNotFound, match="conll2003/train.txt does not exist"):
        require("conll2003", tmp_path)
    for rel in CONLL2003.files():
        write_file(tmp_path, rel, "a O\n")
    assert find("conll2003", tmp_path) == tmp_path == require("conll2003", tmp_path)
    with pytest.raises(ValueError, match="unknown corpus"):
        find("nope", tmp_path)


@pytest.mark.usefixtures("unpinned")
def test_presence_and_listing(tmp_path):
    for split in ("train", "valid"):
        write_file(tmp_path, CONLL2003.relpath(split=split), "a O\n")
    assert not CONLL2003.is_present(tmp_path)
    assert CONLL2003.missing_files(tmp_path) == ["conll2003/test.txt"]
    (tmp_path / "conll2003" / "test.txt").write_text("a O\n")
    assert CONLL2003.is_present(tmp_path)
    rows = {row.name: row for row in list_corpora(tmp_path)}
    assert list(rows) == BUILT_IN
    conll = rows["conll2003"]
    assert conll.present and (conll.files_present, conll.files_total) == (3, 3)
    assert conll.path == tmp_path / "conll2003"
    assert conll.origin.startswith("https://github.com/Hironsan/anago @ 0ffb4004")
    assert conll.parameters == "split: train valid test"
    assert not rows["masakhaner2"].present and rows["masakhaner2"].files_present == 0
    assert rows["masakhaner2-parallel"].origin == "derived from masakhaner2 and mafand-mt"
    assert rows["mafand-mt"].licence == "CC BY-NC 4.0" and not rows["mafand-mt"].tagged
    # Corpora read from where their parameters point have no files here.
    assert rows["conll"].files_total == 0 and not rows["conll"].present
    assert (
        rows["hf"].parameters == "path: any; config: any (default none); split: any (default test)"
    )


# ---------------------------------------------------------------------------- fetching


@pytest.fixture
def unpinned(monkeypatch) -> None:
    """Made-up corpus files, served without the pins of the real ones (tests of how files
    are fetched; the pins themselves are tested in test_data_cli.py)."""
    monkeypatch.setattr(importlib.import_module("xlner.corpora.pins"), "pinned_checksums", dict)


class FakeOpener:
    """Serves bytes by URL, records requests, and can fail on chosen URLs."""

    def __init__(self, pages: dict[str, bytes], fail_on: str | None = None) -> None:
        self.pages = pages
        self.fail_on = fail_on
        self.requested: list[str] = []

    def __call__(self, url: str) -> io.BytesIO:
        self.requested.append(url)
        if self.fail_on is not None and self.fail_on in url:
            raise ConnectionResetError("connection reset by peer")
        return io.BytesIO(self.pages[url])


def europarl_pages() -> dict[str, bytes]:
    repo = "ixa-ehu/ner-evaluation-corpus-europarl"
    base = f"https://raw.githubusercontent.com/{repo}/40e84e215a35c7e46c1b169ad88ab55108a8b0de"
    return {
        f"{base}/{lang}-europarl.test.conll02": f"Token{lang}\tB-PER\n\n".encode()
        for lang in ("en", "de", "es", "it")
    }


@pytest.mark.usefixtures("unpinned")
def test_fetch_with_a_fake_opener(tmp_path):
    opener = FakeOpener(europarl_pages())
    messages: list[str] = []
    written = fetch("europarl-ner", tmp_path, progress=messages.append, opener=opener)
    assert opener.requested == list(europarl_pages())
    assert written == [tmp_path / rel for rel in EUROPARL.files()]
    assert EUROPARL.is_present(tmp_path)
    assert EUROPARL.load(lang="de", data_dir=tmp_path)[0].tokens == ["Tokende"]
    assert len(messages) == 4 and "europarl-ner/en-europarl.test.conll02: 15 bytes" in messages[0]


@pytest.mark.usefixtures("unpinned")
def test_fetch_keeps_present_files_unless_overwrite(tmp_path):
    local = write_file(tmp_path, EUROPARL.relpath(lang="en"), "mine O\n")
    opener = FakeOpener(europarl_pages())
    fetch("europarl-ner", tmp_path, progress=False, opener=opener)
    assert len(opener.requested) == 3 and local.read_text() == "mine O\n"
    fetch("europarl-ner", tmp_path, progress=False, opener=opener, overwrite=True)
    assert local.read_text() == "Tokenen\tB-PER\n\n"


@pytest.mark.usefixtures("unpinned")
def test_fetch_defaults_to_the_resolved_data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("XLNER_DATA", str(tmp_path / "env"))
    fetch("europarl-ner", progress=False, opener=FakeOpener(europarl_pages()))
    assert EUROPARL.is_present()


def test_corpora_without_files_have_nothing_to_fetch(tmp_path):
    for name in ("conll", "hf"):
        with pytest.raises(FetchError, match=f"corpus '{name}' is not kept in the data directory"):
            fetch(name, tmp_path, progress=False)
    assert not any(tmp_path.iterdir())


@pytest.mark.usefixtures("unpinned")
def test_failed_download_leaves_only_complete_files(tmp_path):
    opener = FakeOpener(europarl_pages(), fail_on="es-europarl")
    with pytest.raises(FetchError, match="could not download .*es-europarl.*connection reset"):
        fetch("europarl-ner", tmp_path, progress=False, opener=opener)
    folder = tmp_path / "europarl-ner"
    assert sorted(p.name for p in folder.iterdir()) == [
        "de-europarl.test.conll02",
        "en-europarl.test.conll02",
    ]
    assert no_temp_files(tmp_path)
    # Running it again fetches only what is missing.
    opener = FakeOpener(europarl_pages())
    fetch("europarl-ner", tmp_path, progress=False, opener=opener)
    assert [url.rsplit("/", 1)[1][:2] for url in opener.requested] == ["es", "it"]


class Truncated(io.BytesIO):
    """A response whose Content-Length promises more than the body holds."""

    headers = {"Content-Length": "1000"}


def test_truncated_or_binary_download_writes_nothing(tmp_path):
    dest = tmp_path / "x" / "file.txt"
    with pytest.raises(FetchError, match="got 5 bytes, the server announced 1000"):
        download("https://x/y", dest, opener=lambda url: Truncated(b"short"))
    with pytest.raises(FetchError, match="not a UTF-8 text file"):
        download("https://x/y", dest, opener=lambda url: io.BytesIO(b"\x89PNG\xff"))
    assert not dest.exists() and no_temp_files(tmp_path)


@pytest.mark.usefixtures("unpinned")
def test_fetch_from_file_urls_with_the_real_opener(tmp_path):
    mirror_dir = tmp_path / "mirror"
    for split in ("train", "valid", "test"):
        rel = f"Hironsan/anago/0ffb4004/data/conll2003/en/raw/{split}.txt"
        write_file(mirror_dir, rel, f"-DOCSTART- -X- -X- O\n\n{split} NN B-NP O\n\n")
    url_for = mirror(mirror_dir.as_uri())
    fetch("conll2003", tmp_path / "data", progress=False, url_for=url_for)
    assert CONLL2003.load(split="valid", data_dir=tmp_path / "data")[0].tokens == ["valid"]
    with pytest.raises(FetchError, match="could not download file://"):
        fetch("europarl-ner", tmp_path / "data", progress=False, url_for=url_for)
    assert not (tmp_path / "data" / "europarl-ner").exists() or not any(
        (tmp_path / "data" / "europarl-ner").iterdir()
    )


@pytest.mark.usefixtures("unpinned")
def test_progress_goes_to_stderr(tmp_path, capsys):
    fetch("europarl-ner", tmp_path, opener=FakeOpener(europarl_pages()))
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 4


# ---------------------------------------------------------------------------- derived corpus


def make_sources(root: Path) -> None:
    """Tiny stand-ins for masakhaner2 and mafand-mt, enough to build the parallel corpus."""
    for lang in PARALLEL.choices("lang"):
        pair = MAFAND.pair_for(lang)
        for split in ("train", "dev", "test"):
            rel = MASAKHANER2.relpath(lang=lang, split=split)
            write_file(root, rel, f"Kampala B-LOC\n{split} O\n. O\n\nunmatched O\n")
            for side in pair.split("-"):
                text = f"Kampala {split}.\n" if side == lang else f"source {split}\n"
                write_file(
                    root, MAFAND.relpath(pair=pair, split=split, lang=side), "other line\n" + text
                )


def test_fetch_parallel_builds_it_from_its_sources(tmp_path):
    with pytest.raises(CorpusNotFound, match="masakhaner2"):
        fetch("masakhaner2-parallel", tmp_path, progress=False)
    assert not (tmp_path / "masakhaner2-parallel").exists()
    make_sources(tmp_path)
    messages: list[str] = []
    written = fetch("masakhaner2-parallel", tmp_path, progress=messages.append)
    assert len(written) == 15 and PARALLEL.is_present(tmp_path)
    assert "masakhaner2-parallel/lug.train.tsv: 1/2 sentences matched" in messages
    records = PARALLEL.records("wol", "dev", data_dir=tmp_path)
    assert [r.matched for r in records] == [True, False]
    assert (records[0].mafand_pair, records[0].mafand_split, records[0].mafand_line_idx) == (
        "fr-wol",
        "dev",
        1,
    )
    assert records[0].source_sentence == "source dev" and records[0].src_lang == "fr"
    joined = PARALLEL.load_parallel(lang="wol", split="dev", data_dir=tmp_path)
    assert [s.target.tokens for s in joined] == [["Kampala", "dev", "."]]
    # ``load`` gives the tagged sentences that have a translation, as every corpus does.
    assert PARALLEL.load(lang="wol", split="dev", data_dir=tmp_path) == [joined[0].target]
    rows = PARALLEL.load_translations(lang="wol", split="dev", data_dir=tmp_path)
    assert [(r.source_text, r.source_lang, r.source) for r in rows] == [("source dev", "fr", None)]
    assert PARALLEL.translation_pairs("wol", ["dev", "test"], data_dir=tmp_path) == [
        ("source dev", "Kampala dev."),
        ("source test", "Kampala test."),
    ]


def test_build_parallel_keeps_existing_files(tmp_path):
    make_sources(tmp_path)
    fetch("masakhaner2-parallel", tmp_path, progress=False)
    tsv = PARALLEL.path(lang="lug", split="test", data_dir=tmp_path)
    write_parallel_tsv(tsv, read_parallel_tsv(tsv)[:1])
    assert fetch("masakhaner2-parallel", tmp_path, progress=False) == []
    assert len(read_parallel_tsv(tsv)) == 1
    assert len(fetch("masakhaner2-parallel", tmp_path, progress=False, overwrite=True)) == 15


def test_match_needs_a_mafand_pair(tmp_path):
    with pytest.raises(ValueError, match="no MAFAND-MT pair has 'kik'"):
        PARALLEL.match("kik", "test", tmp_path)


# ---------------------------------------------------------------------------- real corpora


def test_real_data_is_listed_present(shared_data):
    rows = list_corpora(shared_data)
    assert {row.name: row.present for row in rows if row.files_total} == dict.fromkeys(
        ["conll2003", "europarl-ner", "mafand-mt", "masakhaner2", "masakhaner2-parallel"], True
    )


def test_real_corpora_load(shared_data):
    counts = {
        lang: len(EUROPARL.load(lang=lang, data_dir=shared_data))
        for lang in EUROPARL.choices("lang")
    }
    assert counts == {"en": 799, "de": 799, "es": 799, "it": 799}
    assert len(CONLL2003.load(split="test", data_dir=shared_data)) == 3453
    assert len(MAFAND.load_pairs("en-luo", "dev", data_dir=shared_data)) == 1500
    with warnings.catch_warnings():
        warnings.simplefilter("error", CorpusWarning)
        assert len(MASAKHANER2.load(lang="lug", split="test", data_dir=shared_data)) == 1412


@pytest.mark.parametrize("lang", ["lug", "tsn", "twi", "ewe", "wol"])
def test_build_parallel_reproduces_the_shipped_test_files(shared_data, tmp_path, lang):
    shipped = PARALLEL.path(lang=lang, split="test", data_dir=shared_data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CorpusWarning)
        records = PARALLEL.match(lang, "test", shared_data)
    write_parallel_tsv(tmp_path / "built.tsv", records)
    assert filecmp.cmp(tmp_path / "built.tsv", shipped, shallow=False)


def test_fetch_real_corpus_from_a_local_mirror(shared_data, tmp_path):
    """Fetch Europarl-NER through file:// URLs laid out like raw.githubusercontent.com."""

    def url_for(origin: Origin, path: str) -> str:
        return (shared_data / "europarl-ner" / path).as_uri()

    fetch("europarl-ner", tmp_path, progress=False, url_for=url_for)
    for rel in EUROPARL.files():
        assert filecmp.cmp(tmp_path / rel, shared_data / rel, shallow=False)


# ---------------------------------------------------------------------------- callers


@pytest.mark.parametrize("corpus", ["conll2003", "nope"])
def test_a_study_dataset_needs_a_corpus_with_translations(corpus):
    from xlner.config import merge
    from xlner.study.config import load_study_config, parse_config

    raw = merge(load_study_config().raw, {"datasets": {"europarl": {"corpus": corpus}}})
    with pytest.raises(
        ValueError,
        match="datasets.europarl: corpus must be one of europarl-ner, masakhaner2-parallel$",
    ):
        parse_config(raw)


def test_the_study_loads_gold_translations_through_the_catalogue(tmp_path):
    from xlner.study.config import AlignerSpec, DatasetSpec
    from xlner.study.data import load_dataset

    for lang, word in (("en", "Rome"), ("it", "Roma")):
        write_file(tmp_path, EUROPARL.relpath(lang=lang), f"{word} B-LOC\n\n")
    spec = DatasetSpec("europarl", "europarl-ner", ["it"], [AlignerSpec("eflomal")])
    (data,) = load_dataset(spec, tmp_path, progress=lambda message: None)
    assert (data.language, data.source_language, data.source_entities) == ("it", "en", "gold")
    assert data.pairs == [(["Rome"], ["Roma"])] and data.extra == {}
    assert data.target[0].spans == [Span(0, 1, "LOC")]


def test_the_study_adds_the_mafand_training_split_as_extra_bitext(tmp_path):
    from xlner.study.data import _mafand_extra

    assert _mafand_extra("lug", tmp_path) == {}  # mafand-mt is not there
    make_sources(tmp_path)
    for combo in MAFAND.combinations():  # the rest of mafand-mt, so that it is present
        path = MAFAND.path(data_dir=tmp_path, must_exist=False, **combo)
        if not path.exists():
            write_file(tmp_path, MAFAND.relpath(**combo), "x\n")
    assert _mafand_extra("lug", tmp_path) == {
        "mafand-train": [
            (["other", "line"], ["other", "line"]),
            (["source", "train"], ["Kampala", "train", "."]),
        ]
    }
    assert _mafand_extra("de", tmp_path) == {}  # no MAFAND-MT pair
