"""Named corpora: data directory precedence, paths, missing corpora, fetching, derived data."""

from __future__ import annotations

import filecmp
import io
import warnings
from pathlib import Path

import pytest

from xlner.corpora import registry
from xlner.corpora.base import CorpusWarning
from xlner.corpora.parallel_tsv import read_parallel_tsv, write_parallel_tsv
from xlner.corpora.registry import (
    CONLL2003,
    CORPORA,
    EUROPARL_NER,
    MAFAND_MT,
    MASAKHANER2,
    MASAKHANER2_PARALLEL,
    CorpusNotFound,
    FetchError,
    Origin,
    build_parallel,
    build_parallel_corpus,
    fetch,
    find,
    get_corpus,
    github_raw_url,
    list_corpora,
    require,
    resolve_data_dir,
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """No test sees the developer's data directory or cache."""
    monkeypatch.delenv("XLNER_DATA", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def no_temp_files(directory: Path) -> bool:
    return not [p for p in directory.rglob("*") if p.name.endswith(".tmp")]


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
    path = CONLL2003.path("test", must_exist=False)
    assert path == tmp_path / "env" / "conll2003" / "test.txt"


# ---------------------------------------------------------------------------- paths


def test_paths_of_each_corpus(tmp_path):
    def rel(path: Path) -> str:
        return path.relative_to(tmp_path).as_posix()

    kw = {"data_dir": tmp_path, "must_exist": False}
    assert rel(EUROPARL_NER.path("de", **kw)) == "europarl-ner/de-europarl.test.conll02"
    assert rel(CONLL2003.path("valid", **kw)) == "conll2003/valid.txt"
    assert rel(CONLL2003.path("dev", **kw)) == "conll2003/valid.txt"
    assert rel(MASAKHANER2.path("lug", "test", **kw)) == "masakhaner2/lug/test.txt"
    assert (
        rel(MAFAND_MT.path("en-lug", "dev", "lug", **kw)) == "mafand-mt/text_files/en-lug/dev.lug"
    )
    # The upstream folder of this one pair is spelled with an underscore.
    assert (
        rel(MAFAND_MT.path("en-luo", "test", "en", **kw)) == "mafand-mt/text_files/en_luo/test.en"
    )
    assert rel(MASAKHANER2_PARALLEL.path("ewe", "dev", **kw)) == "masakhaner2-parallel/ewe.dev.tsv"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: EUROPARL_NER.relpath("fr"), "unknown language 'fr'; expected one of en, de"),
        (lambda: CONLL2003.relpath("training"), "unknown split 'training'"),
        (lambda: MASAKHANER2.relpath("eng", "test"), "unknown language 'eng'"),
        (lambda: MAFAND_MT.relpath("en-amh", "train", "en"), "unknown split of en-amh 'train'"),
        (lambda: MAFAND_MT.relpath("en-lug", "test", "fr"), "unknown language of en-lug 'fr'"),
        (lambda: MASAKHANER2_PARALLEL.relpath("hau", "test"), "unknown language 'hau'"),
    ],
)
def test_bad_parameters_are_value_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_registry_contents():
    assert list(CORPORA) == [
        "europarl-ner",
        "conll2003",
        "masakhaner2",
        "mafand-mt",
        "masakhaner2-parallel",
    ]
    assert len(MASAKHANER2.languages) == 20
    assert len(MAFAND_MT.pairs) == 21
    assert len(MAFAND_MT.files()) == 116
    for corpus in CORPORA.values():
        assert corpus.licence and corpus.citation
        assert corpus.origin is not None or corpus.derived_from
    with pytest.raises(ValueError, match="unknown corpus 'conll'; known: europarl-ner"):
        get_corpus("conll")


def test_origin_paths_and_urls():
    assert CONLL2003.origin_path("conll2003/test.txt") == "data/conll2003/en/raw/test.txt"
    assert (
        MAFAND_MT.origin_path("mafand-mt/text_files/en_luo/dev.luo")
        == "data/text_files/en_luo/dev.luo"
    )
    assert EUROPARL_NER.origin_path("europarl-ner/en-europarl.test.conll02") == (
        "en-europarl.test.conll02"
    )
    origin = Origin("masakhane-io/masakhane-ner", "ba5843cd", "MasakhaNER2.0/data")
    assert github_raw_url(origin, "MasakhaNER2.0/data/lug/test.txt") == (
        "https://raw.githubusercontent.com/masakhane-io/masakhane-ner/ba5843cd/"
        "MasakhaNER2.0/data/lug/test.txt"
    )
    assert github_raw_url(origin, "a b#c").endswith("/a%20b%23c")
    with pytest.raises(ValueError, match="derived"):
        MASAKHANER2_PARALLEL.origin_path("masakhaner2-parallel/lug.test.tsv")


# ---------------------------------------------------------------------------- missing corpora


def test_missing_corpus_says_where_it_looked_and_how_to_get_it(tmp_path):
    with pytest.raises(CorpusNotFound) as exc:
        CONLL2003.load("test", data_dir=tmp_path)
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
        MASAKHANER2.path("lug", "test")
    assert str(exc.value).endswith("xlner data fetch masakhaner2")
    monkeypatch.setenv("XLNER_DATA", str(tmp_path / "env"))
    with pytest.raises(CorpusNotFound, match=r"from \$XLNER_DATA"):
        MASAKHANER2.path("lug", "test")


def test_missing_derived_corpus_explains_how_it_is_made(tmp_path):
    with pytest.raises(CorpusNotFound) as exc:
        MASAKHANER2_PARALLEL.records("lug", "test", data_dir=tmp_path)
    message = str(exc.value)
    assert "derived from masakhaner2 and mafand-mt" in message
    assert "xlner data fetch masakhaner2-parallel" in message


def test_require_and_find(tmp_path):
    assert find("conll2003", tmp_path) is None
    with pytest.raises(CorpusNotFound, match="conll2003/train.txt does not exist"):
        require("conll2003", tmp_path)
    for rel in CONLL2003.files():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("a O\n")
    assert find("conll2003", tmp_path) == tmp_path == require("conll2003", tmp_path)
    with pytest.raises(ValueError, match="unknown corpus"):
        find("nope", tmp_path)


def test_presence_and_listing(tmp_path):
    for split in ("train", "valid"):
        path = CONLL2003.path(split, data_dir=tmp_path, must_exist=False)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("a O\n")
    assert not CONLL2003.is_present(tmp_path)
    assert CONLL2003.missing_files(tmp_path) == ["conll2003/test.txt"]
    (tmp_path / "conll2003" / "test.txt").write_text("a O\n")
    assert CONLL2003.is_present(tmp_path)
    rows = {row.name: row for row in list_corpora(tmp_path)}
    assert list(rows) == list(CORPORA)
    conll = rows["conll2003"]
    assert conll.present and (conll.files_present, conll.files_total) == (3, 3)
    assert conll.path == tmp_path / "conll2003"
    assert conll.origin.startswith("https://github.com/Hironsan/anago @ 0ffb4004")
    assert not rows["masakhaner2"].present and rows["masakhaner2"].files_present == 0
    assert rows["masakhaner2-parallel"].origin == "derived from masakhaner2 and mafand-mt"
    assert rows["mafand-mt"].licence == "CC BY-NC 4.0"


# ---------------------------------------------------------------------------- fetching


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


def test_fetch_with_a_fake_opener(tmp_path):
    opener = FakeOpener(europarl_pages())
    messages: list[str] = []
    written = fetch("europarl-ner", tmp_path, progress=messages.append, opener=opener)
    assert opener.requested == list(europarl_pages())
    assert written == [tmp_path / rel for rel in EUROPARL_NER.files()]
    assert EUROPARL_NER.is_present(tmp_path)
    assert EUROPARL_NER.load("de", data_dir=tmp_path)[0].tokens == ["Tokende"]
    assert len(messages) == 4 and "europarl-ner/en-europarl.test.conll02: 15 bytes" in messages[0]


def test_fetch_keeps_present_files_unless_overwrite(tmp_path):
    EUROPARL_NER.path("en", data_dir=tmp_path, must_exist=False).parent.mkdir(parents=True)
    local = EUROPARL_NER.path("en", data_dir=tmp_path, must_exist=False)
    local.write_text("mine O\n")
    opener = FakeOpener(europarl_pages())
    fetch("europarl-ner", tmp_path, progress=False, opener=opener)
    assert len(opener.requested) == 3 and local.read_text() == "mine O\n"
    fetch("europarl-ner", tmp_path, progress=False, opener=opener, overwrite=True)
    assert local.read_text() == "Tokenen\tB-PER\n\n"


def test_fetch_defaults_to_the_resolved_data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("XLNER_DATA", str(tmp_path / "env"))
    fetch("europarl-ner", progress=False, opener=FakeOpener(europarl_pages()))
    assert EUROPARL_NER.is_present()


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
        registry.download("https://x/y", dest, opener=lambda url: Truncated(b"short"))
    with pytest.raises(FetchError, match="not a UTF-8 text file"):
        registry.download("https://x/y", dest, opener=lambda url: io.BytesIO(b"\x89PNG\xff"))
    assert not dest.exists() and no_temp_files(tmp_path)


def test_fetch_from_file_urls_with_the_real_opener(tmp_path):
    mirror = tmp_path / "mirror"
    for split in ("train", "valid", "test"):
        path = mirror / "Hironsan/anago/data/conll2003/en/raw" / f"{split}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(f"-DOCSTART- -X- -X- O\n\n{split} NN B-NP O\n\n".encode())

    def url_for(origin: Origin, path: str) -> str:
        return (mirror / origin.repo / path).as_uri()

    fetch("conll2003", tmp_path / "data", progress=False, url_for=url_for)
    assert CONLL2003.load("valid", data_dir=tmp_path / "data")[0].tokens == ["valid"]
    with pytest.raises(FetchError, match="could not download file://"):
        fetch("europarl-ner", tmp_path / "data", progress=False, url_for=url_for)
    assert not (tmp_path / "data" / "europarl-ner").exists() or not any(
        (tmp_path / "data" / "europarl-ner").iterdir()
    )


def test_progress_goes_to_stderr(tmp_path, capsys):
    fetch("europarl-ner", tmp_path, opener=FakeOpener(europarl_pages()))
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 4


# ---------------------------------------------------------------------------- derived corpus


def make_sources(root: Path) -> None:
    """Tiny stand-ins for masakhaner2 and mafand-mt, enough to build the parallel corpus."""
    for lang in MASAKHANER2_PARALLEL.languages:
        pair = registry.mafand_pair_for(lang)
        for split in ("train", "dev", "test"):
            ner = MASAKHANER2.path(lang, split, data_dir=root, must_exist=False)
            ner.parent.mkdir(parents=True, exist_ok=True)
            ner.write_text(f"Kampala B-LOC\n{split} O\n. O\n\nunmatched O\n")
            for side in pair.split("-"):
                text = f"Kampala {split}.\n" if side == lang else f"source {split}\n"
                mafand = MAFAND_MT.path(pair, split, side, data_dir=root, must_exist=False)
                mafand.parent.mkdir(parents=True, exist_ok=True)
                mafand.write_text("other line\n" + text)


def test_fetch_parallel_builds_it_from_its_sources(tmp_path):
    with pytest.raises(CorpusNotFound, match="masakhaner2"):
        fetch("masakhaner2-parallel", tmp_path, progress=False)
    assert not (tmp_path / "masakhaner2-parallel").exists()
    make_sources(tmp_path)
    messages: list[str] = []
    written = fetch("masakhaner2-parallel", tmp_path, progress=messages.append)
    assert len(written) == 15 and MASAKHANER2_PARALLEL.is_present(tmp_path)
    assert "masakhaner2-parallel/lug.train.tsv: 1/2 sentences matched" in messages
    records = MASAKHANER2_PARALLEL.records("wol", "dev", data_dir=tmp_path)
    assert [r.matched for r in records] == [True, False]
    assert (records[0].mafand_pair, records[0].mafand_split, records[0].mafand_line_idx) == (
        "fr-wol",
        "dev",
        1,
    )
    assert records[0].source_sentence == "source dev" and records[0].src_lang == "fr"
    joined = MASAKHANER2_PARALLEL.load("wol", "dev", data_dir=tmp_path)
    assert [s.target.tokens for s in joined] == [["Kampala", "dev", "."]]


def test_build_parallel_corpus_keeps_existing_files(tmp_path):
    make_sources(tmp_path)
    build_parallel_corpus(tmp_path, progress=False)
    tsv = MASAKHANER2_PARALLEL.path("lug", "test", data_dir=tmp_path)
    write_parallel_tsv(tsv, read_parallel_tsv(tsv)[:1])
    assert build_parallel_corpus(tmp_path, progress=False) == []
    assert len(read_parallel_tsv(tsv)) == 1
    assert len(build_parallel_corpus(tmp_path, progress=False, overwrite=True)) == 15


def test_mafand_pair_for():
    assert registry.mafand_pair_for("lug") == "en-lug"
    assert registry.mafand_pair_for("luo") == "en-luo"
    assert registry.mafand_pair_for("wol") == "fr-wol"
    with pytest.raises(ValueError, match="no MAFAND-MT pair"):
        registry.mafand_pair_for("kik")


# ---------------------------------------------------------------------------- real corpora


def test_real_data_is_listed_present(shared_data):
    rows = list_corpora(shared_data)
    assert {row.name: row.present for row in rows} == dict.fromkeys(CORPORA, True)


def test_real_corpora_load(shared_data):
    counts = {
        lang: len(EUROPARL_NER.load(lang, data_dir=shared_data)) for lang in EUROPARL_NER.languages
    }
    assert counts == {"en": 799, "de": 799, "es": 799, "it": 799}
    assert len(CONLL2003.load("test", data_dir=shared_data)) == 3453
    assert len(MAFAND_MT.load("en-luo", "dev", data_dir=shared_data)) == 1500
    with warnings.catch_warnings():
        warnings.simplefilter("error", CorpusWarning)
        assert len(MASAKHANER2.load("lug", "test", data_dir=shared_data)) == 1412


@pytest.mark.parametrize("lang", ["lug", "tsn", "twi", "ewe", "wol"])
def test_build_parallel_reproduces_the_shipped_test_files(shared_data, tmp_path, lang):
    shipped = MASAKHANER2_PARALLEL.path(lang, "test", data_dir=shared_data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CorpusWarning)
        records = build_parallel(lang, "test", shared_data)
    write_parallel_tsv(tmp_path / "built.tsv", records)
    assert filecmp.cmp(tmp_path / "built.tsv", shipped, shallow=False)


def test_fetch_real_corpus_from_a_local_mirror(shared_data, tmp_path):
    """Fetch Europarl-NER through file:// URLs laid out like raw.githubusercontent.com."""

    def url_for(origin: Origin, path: str) -> str:
        return (shared_data / "europarl-ner" / path).as_uri()

    fetch("europarl-ner", tmp_path, progress=False, url_for=url_for)
    for rel in EUROPARL_NER.files():
        assert filecmp.cmp(tmp_path / rel, shared_data / rel, shallow=False)
