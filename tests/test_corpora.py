"""Readers and writers of corpus files: CoNLL, bitext, parallel TSV."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from xlner.corpora.bitext import (
    read_bitext,
    read_raw_lines,
    read_sentences,
    write_bitext,
    write_sentences,
)
from xlner.corpora.conll import detect_scheme, iter_conll, read_conll, write_conll
from xlner.corpora.lines import CorpusWarning
from xlner.corpora.parallel_tsv import (
    COLUMNS,
    ParallelRecord,
    join_with_ner,
    load_parallel,
    match_sentences,
    normalise,
    read_parallel_tsv,
    write_parallel_tsv,
)
from xlner.errors import InputError
from xlner.tags import spans_to_tags
from xlner.types import Span, TaggedSentence


def put(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def assert_input_error(exc: pytest.ExceptionInfo[InputError], path: Path, line: int | None):
    """The error names the file and the line, also in its message."""
    assert exc.value.path == str(path)
    assert exc.value.line == line
    where = f"{path}:{line}" if line is not None else str(path)
    assert str(exc.value).startswith(where + ": ")


def no_temp_files(directory: Path) -> bool:
    return not [p for p in directory.iterdir() if p.name.endswith(".tmp")]


# ---------------------------------------------------------------------------- CoNLL reading


def test_reads_space_and_tab_separated_tag_in_last_column(tmp_path):
    text = "EU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\nPeter NNP B-NP B-PER\n"
    path = put(tmp_path, "a.conll", text)
    sentences = read_conll(path)
    assert [s.tokens for s in sentences] == [["EU", "rejects"], ["Peter"]]
    assert sentences[0].spans == [Span(0, 1, "ORG")]
    assert sentences[1].spans == [Span(0, 1, "PER")]
    tabbed = put(tmp_path, "b.conll", "Peter\tB-PER\nspeaks\tO\n")
    assert read_conll(tabbed) == [TaggedSentence(["Peter", "speaks"], [Span(0, 1, "PER")])]


def test_token_and_tag_columns_can_be_chosen(tmp_path):
    path = put(tmp_path, "a.conll", "New B-LOC O\nYork I-LOC O\n")
    assert read_conll(path, tag_column=1)[0].spans == [Span(0, 2, "LOC")]
    assert read_conll(path)[0].spans == []
    with pytest.raises(InputError, match="no columns 0 and 5"):
        read_conll(path, tag_column=5)


def test_docstart_lines_and_blank_runs_are_skipped(tmp_path):
    text = (
        "-DOCSTART- -X- -X- O\n\nA x B-PER\n\n\n\n-DOCSTART- -X- -X- O\nB x O\n-DOCSTART- -X- O\n"
    )
    sentences = read_conll(put(tmp_path, "a.txt", "\n\n" + text + "\n\n"))
    assert [s.tokens for s in sentences] == [["A"], ["B"]]


def test_last_line_without_newline_crlf_and_bom(tmp_path):
    path = put(tmp_path, "a.txt", b"\xef\xbb\xbfParis B-LOC\r\nis O\r\n\r\nok O")
    assert [s.tokens for s in read_conll(path)] == [["Paris", "is"], ["ok"]]


def test_unicode_whitespace_separates_columns(tmp_path):
    path = put(tmp_path, "a.txt", "Paris\u00a0B-LOC\nis\u2003O\n")
    assert read_conll(path)[0] == TaggedSentence(["Paris", "is"], [Span(0, 1, "LOC")])


def test_one_column_line_is_an_error(tmp_path):
    path = put(tmp_path, "a.txt", "Paris B-LOC\nis O\nnice\n")
    with pytest.raises(InputError) as exc:
        read_conll(path)
    assert_input_error(exc, path, 3)
    assert "only one column" in exc.value.problem and "'nice'" in exc.value.problem


@pytest.mark.parametrize("tag", ["X-PER", "B-", "PER", "b-PER", "I_PER", "-"])
def test_tag_that_is_not_bio_is_an_error(tmp_path, tag):
    path = put(tmp_path, "a.txt", f"a O\n\nb O\nc {tag}\n")
    with pytest.raises(InputError) as exc:
        read_conll(path)
    assert_input_error(exc, path, 4)
    assert repr(tag) in exc.value.problem


def test_bioes_tags_in_an_iob2_file_are_an_error(tmp_path):
    path = put(tmp_path, "a.txt", "a O\nb S-PER\n")
    with pytest.raises(InputError) as exc:
        read_conll(path, "iob2")
    assert_input_error(exc, path, 2)
    assert "S-" in exc.value.problem


def test_bytes_that_are_not_utf8_name_their_line(tmp_path):
    path = put(tmp_path, "a.txt", b"a O\nb O\n\ncaf\xe9 O\nd O\n")
    with pytest.raises(InputError) as exc:
        read_conll(path)
    assert_input_error(exc, path, 4)
    assert "UTF-8" in exc.value.problem and "0xe9" in exc.value.problem


def test_changing_column_count_is_an_error(tmp_path):
    # The usual cause: a token with a space inside, which shifts the columns.
    path = put(tmp_path, "a.txt", "a O\nNew York B-LOC\n")
    with pytest.raises(InputError) as exc:
        read_conll(path)
    assert_input_error(exc, path, 2)
    assert "3 columns" in exc.value.problem


def test_orphan_i_tag_is_repaired_with_one_warning_per_file(tmp_path):
    path = put(tmp_path, "a.txt", "a O\nb I-PER\nc I-PER\n\nd B-LOC\ne I-PER\n")
    with pytest.warns(CorpusWarning) as record:
        sentences = read_conll(path)
    assert sentences[0].spans == [Span(1, 3, "PER")]
    assert sentences[1].spans == [Span(0, 1, "LOC"), Span(1, 2, "PER")]
    assert len(record) == 1
    message = str(record[0].message)
    assert message.startswith(f"{path}:2: ") and "2 I- tag(s)" in message


def test_orphan_i_tag_without_repair_is_an_error(tmp_path):
    path = put(tmp_path, "a.txt", "a O\n\nb O\nc I-PER\n")
    with pytest.raises(InputError) as exc:
        read_conll(path, repair=False)
    assert_input_error(exc, path, 4)
    assert "'I-PER'" in exc.value.problem


def test_empty_token_line_is_dropped_with_a_warning(tmp_path):
    # As in MasakhaNER 2.0 xho/train.txt: the token column is empty, only " O" remains.
    path = put(tmp_path, "a.txt", "a O\n O\nb B-PER\n\n O\nc O\n")
    with pytest.warns(CorpusWarning, match=r"a\.txt:2: dropped 2 line\(s\) with an empty token"):
        sentences = read_conll(path)
    assert sentences == [TaggedSentence(["a", "b"], [Span(1, 2, "PER")]), TaggedSentence(["c"])]
    with pytest.raises(InputError) as exc:
        read_conll(path, repair=False)
    assert_input_error(exc, path, 2)
    assert "empty token" in exc.value.problem


def test_empty_token_is_one_column_short_after_leading_whitespace(tmp_path):
    path = put(tmp_path, "a.txt", "EU NNP B-NP B-ORG\n NNP B-NP O\nx NN B-NP O\n")
    with pytest.warns(CorpusWarning, match="empty token"):
        assert read_conll(path)[0].tokens == ["EU", "x"]
    # Three columns missing is not an empty token but a broken line.
    path = put(tmp_path, "b.txt", "EU NNP B-NP B-ORG\n O\n")
    with pytest.raises(InputError, match="only one column") as exc:
        read_conll(path)
    assert_input_error(exc, path, 2)


def test_empty_token_with_a_bad_tag_is_still_an_error(tmp_path):
    path = put(tmp_path, "a.txt", "a O\n X-PER\n")
    with pytest.raises(InputError) as exc:
        read_conll(path)
    assert_input_error(exc, path, 2)


def test_clean_file_gives_no_warning(tmp_path):
    path = put(tmp_path, "a.txt", "a B-PER\nb I-PER\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_conll(path)


IOB1 = "The O\nEuropean I-ORG\nUnion I-ORG\nand O\nBonn I-LOC\nParis B-LOC\nLondon I-LOC\n"
IOB1_SPANS = [Span(1, 3, "ORG"), Span(4, 5, "LOC"), Span(5, 7, "LOC")]


def test_iob1_is_normalised_to_iob2(tmp_path):
    path = put(tmp_path, "a.txt", IOB1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # I- starts are legal IOB1: nothing to warn about
        sentence = read_conll(path, "iob1")[0]
    assert sentence.spans == IOB1_SPANS
    tags = spans_to_tags(sentence.spans, len(sentence.tokens))
    assert tags == ["O", "B-ORG", "I-ORG", "O", "B-LOC", "B-LOC", "I-LOC"]


def test_auto_detects_iob1_iob2_and_bioes(tmp_path):
    assert read_conll(put(tmp_path, "iob1.txt", IOB1), "auto")[0].spans == IOB1_SPANS
    bioes = "a B-PER\nb E-PER\nc S-LOC\nd O\n"
    assert read_conll(put(tmp_path, "bioes.txt", bioes), "auto")[0].spans == [
        Span(0, 2, "PER"),
        Span(2, 3, "LOC"),
    ]
    iob2 = "a B-PER\nb I-PER\nc B-PER\n"
    assert read_conll(put(tmp_path, "iob2.txt", iob2), "auto")[0].spans == [
        Span(0, 2, "PER"),
        Span(2, 3, "PER"),
    ]


def test_detect_scheme():
    assert detect_scheme([["O", "I-PER", "I-PER", "B-PER"]]) == "iob1"
    assert detect_scheme([["B-PER", "I-PER"], ["O"]]) == "iob2"
    assert detect_scheme([["O", "B-PER", "O", "I-LOC"]]) == "iob2"  # IOB2 with a stray I-
    assert detect_scheme([["S-PER"]]) == "bioes"
    assert detect_scheme([]) == "iob2"


def test_invalid_bioes_names_the_line(tmp_path):
    path = put(tmp_path, "a.txt", "a O\nb B-PER\nc O\n")
    with pytest.raises(InputError) as exc:
        read_conll(path, "bioes")
    assert_input_error(exc, path, 3)
    assert "BIOES" in exc.value.problem


def test_unknown_scheme_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="unknown scheme"):
        iter_conll(put(tmp_path, "a.txt", "a O\n"), "bilou")  # type: ignore[arg-type]


def test_iter_conll_is_lazy(tmp_path):
    path = put(tmp_path, "a.txt", "a O\n\nb O\n\nc\n")
    sentences = iter_conll(path)
    assert next(sentences).tokens == ["a"]
    with pytest.raises(InputError):
        list(sentences)


# ---------------------------------------------------------------------------- CoNLL writing

SENTENCES = [
    TaggedSentence(["Angela", "Merkel", "visits", "Paris"], [Span(0, 2, "PER"), Span(3, 4, "LOC")]),
    TaggedSentence(["No", "entities", "."]),
]


@pytest.mark.parametrize("scheme", ["iob1", "iob2", "bioes"])
def test_write_then_read_round_trips(tmp_path, scheme):
    path = tmp_path / "out.conll"
    write_conll(path, SENTENCES, scheme)
    assert read_conll(path, scheme) == SENTENCES


def test_written_file_is_iob2_token_space_tag(tmp_path):
    path = tmp_path / "out.conll"
    write_conll(path, SENTENCES[:1])
    assert path.read_text() == "Angela B-PER\nMerkel I-PER\nvisits O\nParis B-LOC\n\n"
    write_conll(path, SENTENCES[:1], sep="\t")
    assert path.read_text().startswith("Angela\tB-PER\n")


def test_extra_columns_hold_predictions(tmp_path):
    predicted = [
        TaggedSentence(SENTENCES[0].tokens, [Span(0, 1, "PER")]),
        TaggedSentence(SENTENCES[1].tokens, [Span(2, 3, "MISC")]),
    ]
    path = tmp_path / "out.conll"
    write_conll(path, SENTENCES, extra_columns=[predicted])
    assert path.read_text().splitlines()[:2] == ["Angela B-PER B-PER", "Merkel I-PER O"]
    assert read_conll(path, tag_column=1) == SENTENCES
    assert read_conll(path) == predicted


def test_extra_column_must_match(tmp_path):
    other = [TaggedSentence(["different"]), SENTENCES[1]]
    with pytest.raises(ValueError, match="sentence 0: an extra column has different tokens"):
        write_conll(tmp_path / "a", SENTENCES, extra_columns=[other])
    with pytest.raises(ValueError, match="sentence 1: an extra column has only 1 sentences"):
        write_conll(tmp_path / "b", SENTENCES, extra_columns=[SENTENCES[:1]])
    with pytest.raises(ValueError, match="an extra column has 3 sentences, expected 2"):
        write_conll(tmp_path / "c", SENTENCES, extra_columns=[[*SENTENCES, SENTENCES[0]]])
    assert not [p for p in tmp_path.iterdir()]
    assert no_temp_files(tmp_path)


@pytest.mark.parametrize("token", ["New York", "tab\there", "nb\u00a0sp", ""])
def test_writer_rejects_tokens_with_whitespace(tmp_path, token):
    sentences = [SENTENCES[1], TaggedSentence(["ok", token])]
    with pytest.raises(ValueError, match=r"sentence 1, token 1") as exc:
        write_conll(tmp_path / "out.conll", sentences)
    assert repr(token) in str(exc.value)


def test_failed_write_leaves_no_file_and_keeps_the_old_one(tmp_path):
    path = tmp_path / "out.conll"
    with pytest.raises(ValueError):
        write_conll(path, [SENTENCES[0], TaggedSentence(["bad token"])])
    assert not path.exists() and no_temp_files(tmp_path)
    path.write_text("previous\n")
    with pytest.raises(ValueError):
        write_conll(path, [SENTENCES[0], TaggedSentence([])])
    assert path.read_text() == "previous\n" and no_temp_files(tmp_path)


def test_writer_rejects_empty_sentence_and_bad_spans(tmp_path):
    with pytest.raises(ValueError, match="sentence 0 has no tokens"):
        write_conll(tmp_path / "a", [TaggedSentence([])])
    overlapping = TaggedSentence(["a", "b"], [Span(0, 2, "PER"), Span(1, 2, "LOC")])
    with pytest.raises(ValueError, match="sentence 0: .*overlaps"):
        write_conll(tmp_path / "a", [overlapping])


# ---------------------------------------------------------------------------- bitext


def test_bitext_round_trip(tmp_path):
    pairs = [(["Hello", "world", "."], ["Hallo", "Welt", "."]), (["a"], ["b", "c"])]
    write_bitext(tmp_path / "x.en", tmp_path / "x.de", pairs)
    assert read_bitext(tmp_path / "x.en", tmp_path / "x.de") == pairs
    assert (tmp_path / "x.en").read_text() == "Hello world .\na\n"


def test_sentences_split_on_any_whitespace(tmp_path):
    path = put(tmp_path, "a.txt", "a\u00a0b\tc  d\n")
    assert read_sentences(path) == [["a", "b", "c", "d"]]
    assert read_raw_lines(path) == ["a\u00a0b\tc  d"]


def test_lines_split_only_on_newline(tmp_path):
    # U+2028 and U+001C end a "line" for str.splitlines but are text inside MT data.
    path = put(tmp_path, "a.txt", "one\u2028two\x1cthree\nfour\n")
    assert read_raw_lines(path) == ["one\u2028two\x1cthree", "four"]


def test_bitext_line_count_mismatch_names_both_files(tmp_path):
    src = put(tmp_path, "a.en", "a\nb\nc\n")
    tgt = put(tmp_path, "a.lug", "x\ny\n")
    with pytest.raises(InputError) as exc:
        read_bitext(src, tgt)
    message = str(exc.value)
    assert f"{src} has 3 lines" in message and f"{tgt} has 2" in message
    longer = put(tmp_path, "b.lug", "x\ny\nz\nw\n")
    with pytest.raises(InputError, match=f"{src} has 3 lines, {longer} has 4") as exc:
        read_bitext(src, longer)
    assert_input_error(exc, src, None)  # reported against the shorter file


def test_empty_line_in_bitext_is_an_error_unless_allowed(tmp_path):
    src = put(tmp_path, "a.en", "a\nb\nc\n")
    tgt = put(tmp_path, "a.lug", "x\n  \nz\n")
    with pytest.raises(InputError) as exc:
        read_bitext(src, tgt)
    assert_input_error(exc, tgt, 2)
    assert "empty sentence" in exc.value.problem
    assert read_bitext(src, tgt, allow_empty=True)[1] == (["b"], [])


def test_bitext_bad_utf8(tmp_path):
    path = put(tmp_path, "a.txt", b"ok\n\xff\xfe\n")
    with pytest.raises(InputError) as exc:
        read_sentences(path)
    assert_input_error(exc, path, 2)


def test_sentence_writer_rejects_whitespace_tokens_atomically(tmp_path):
    with pytest.raises(ValueError, match="sentence 1, token 0"):
        write_sentences(tmp_path / "a.txt", [["ok"], ["not ok"]])
    assert not (tmp_path / "a.txt").exists() and no_temp_files(tmp_path)


# ---------------------------------------------------------------------------- parallel TSV

HEADER = "\t".join(COLUMNS) + "\n"
ROW0 = "test\t0\ten-lug\ttest\t0\ten\tAllied forces gained access.\tAllied forces yasobola.\n"
ROW1 = "test\t1\t\t\t\t\t\t\n"


def test_parallel_tsv_fields_are_typed(tmp_path):
    records = read_parallel_tsv(put(tmp_path, "lug.test.tsv", HEADER + ROW0 + ROW1))
    assert records[0] == ParallelRecord(
        "test", 0, "en-lug", "test", 0, "en", "Allied forces gained access.",
        "Allied forces yasobola.",
    )  # fmt: skip
    assert records[0].line == 2 and records[0].matched
    assert records[1] == ParallelRecord("test", 1) and not records[1].matched


def test_parallel_tsv_round_trip_is_byte_exact(tmp_path):
    text = HEADER + ROW0 + ROW1
    out = tmp_path / "out.tsv"
    write_parallel_tsv(out, read_parallel_tsv(put(tmp_path, "in.tsv", text)))
    assert out.read_text() == text


def test_parallel_tsv_wrong_column_count(tmp_path):
    path = put(tmp_path, "a.tsv", HEADER + ROW0 + "test\t1\ten-lug\n")
    with pytest.raises(InputError) as exc:
        read_parallel_tsv(path)
    assert_input_error(exc, path, 3)
    assert "3 tab-separated columns, expected 8" in exc.value.problem


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("test\tx\t\t\t\t\t\t\n", "ner_sent_idx is not a non-negative integer"),
        ("test\t1\ten-lug\ttest\t-2\ten\ta\tb\n", "mafand_line_idx is not"),
        ("test\t1\ten-lug\t\t\t\t\t\n", "needs all six"),
        ("\t1\t\t\t\t\t\t\n", "must not be empty"),
    ],
)
def test_parallel_tsv_bad_rows(tmp_path, row, problem):
    path = put(tmp_path, "a.tsv", HEADER + row)
    with pytest.raises(InputError, match=problem) as exc:
        read_parallel_tsv(path)
    assert_input_error(exc, path, 2)


def test_parallel_tsv_bad_header(tmp_path):
    path = put(tmp_path, "a.tsv", "a\tb\n")
    with pytest.raises(InputError) as exc:
        read_parallel_tsv(path)
    assert_input_error(exc, path, 1)


def test_normalise_ignores_tokenisation_case_and_punctuation():
    tokenised, raw = "Allied Forces yasobola okuketta .", "allied forces yasobola okuketta."
    assert normalise(tokenised) == normalise(raw)
    assert normalise("ﬁne") == normalise("fine")  # NFKC folds the ligature
    assert normalise("...") == ""


def test_match_sentences_prefers_test_then_dev_then_train():
    ner = [["Hello", ",", "world"], ["unseen"], ["."]]
    mafand = {
        "train": (["src-train"], ["hello world"]),
        "dev": (["src-dev", "punct"], ["Hello, world!", "?"]),
    }
    records = match_sentences(ner, mafand, ner_split="test", pair="en-xx", src_lang="en")
    assert records[0] == ParallelRecord(
        "test", 0, "en-xx", "dev", 0, "en", "src-dev", "Hello, world!"
    )
    # Unmatched, and a punctuation-only sentence is never matched by its empty key.
    assert records[1] == ParallelRecord("test", 1) and records[2] == ParallelRecord("test", 2)


def test_join_with_ner(tmp_path):
    tsv = put(tmp_path, "lug.test.tsv", HEADER + ROW0 + ROW1)
    ner = put(tmp_path, "test.txt", "Allied B-ORG\nforces I-ORG\nyasobola O\n.\tO\n\nx O\n")
    joined = load_parallel(tsv, ner)
    assert len(joined) == 1
    assert joined[0].target.spans == [Span(0, 2, "ORG")]
    assert joined[0].source_tokens == ["Allied", "forces", "gained", "access."]
    assert len(load_parallel(tsv, ner, matched_only=False)) == 2


def test_join_with_ner_checks_index_and_text(tmp_path):
    tsv = put(tmp_path, "lug.test.tsv", HEADER + ROW0)
    records = read_parallel_tsv(tsv)
    with pytest.raises(InputError, match="out of range: the NER file has 0") as exc:
        join_with_ner(records, [], tsv_path=tsv)
    assert_input_error(exc, tsv, 2)
    with pytest.raises(InputError, match="is not NER sentence 0") as exc:
        join_with_ner(records, [TaggedSentence(["other"])], tsv_path=tsv)
    assert_input_error(exc, tsv, 2)


# ---------------------------------------------------------------------------- real corpora


def test_europarl_has_799_parallel_sentences_per_language(require):
    counts = {}
    for lang in ("en", "de", "es", "it"):
        sentences = read_conll(require(f"europarl-ner/{lang}-europarl.test.conll02"), "auto")
        counts[lang] = len(sentences)
        assert all(sentence.tokens for sentence in sentences)
    assert counts == {"en": 799, "de": 799, "es": 799, "it": 799}


def test_conll2003_counts_and_scheme(require):
    test = require("conll2003/test.txt")
    sentences = read_conll(test, repair=False)  # strict: the file is clean IOB2
    assert len(sentences) == 3453
    assert sum(len(s.spans) for s in sentences) == 5648
    assert all(s.tokens[0] != "-DOCSTART-" for s in sentences)
    # The README of the original task says IOB1; this copy is IOB2 (B- after O throughout).
    tags = [s.split()[-1] for s in test.read_text().splitlines() if s and "DOCSTART" not in s]
    assert detect_scheme([tags]) == "iob2"
    assert read_conll(test, "auto") == sentences
    assert len(read_conll(require("conll2003/train.txt"))) == 14041
    assert len(read_conll(require("conll2003/valid.txt"))) == 3250


def test_masakhaner2_xho_train_empty_tokens_are_dropped(require):
    path = require("masakhaner2/xho/train.txt")
    with pytest.warns(CorpusWarning) as record:
        sentences = read_conll(path)
    messages = [str(w.message) for w in record]
    assert any(":44520: dropped 2 line(s) with an empty token" in m for m in messages)
    assert any("4 I- tag(s)" in m for m in messages)
    assert len(sentences) == 5718
    with pytest.raises(InputError) as exc:
        read_conll(path, repair=False)
    assert exc.value.line == 29346  # the first stray I- comes before the first empty token


def test_masakhaner2_parallel_joins_with_ner(require):
    tsv = require("masakhaner2-parallel/lug.test.tsv")
    joined = load_parallel(tsv, require("masakhaner2/lug/test.txt"))
    assert len(joined) == 1411
    assert len(read_parallel_tsv(tsv)) == 1412
    assert joined[0].record.src_lang == "en" and joined[0].target.spans
