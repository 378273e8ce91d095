import pytest
from hypothesis import given
from hypothesis import strategies as st

from xlner.tags import TagError, convert, spans_to_tags, tags_to_spans
from xlner.types import Span


def test_iob2_decodes_adjacent_entities():
    tags = ["B-PER", "I-PER", "B-PER", "O", "B-LOC"]
    assert tags_to_spans(tags) == [Span(0, 2, "PER"), Span(2, 3, "PER"), Span(4, 5, "LOC")]


def test_iob1_uses_b_only_between_same_class_neighbours():
    tags = ["I-PER", "I-PER", "B-PER", "I-LOC", "O", "I-ORG"]
    assert tags_to_spans(tags, "iob1") == [
        Span(0, 2, "PER"),
        Span(2, 3, "PER"),
        Span(3, 4, "LOC"),
        Span(5, 6, "ORG"),
    ]


def test_iob1_to_iob2():
    assert convert(["I-PER", "I-PER", "B-PER", "O"], "iob1", "iob2") == [
        "B-PER",
        "I-PER",
        "B-PER",
        "O",
    ]


def test_bioes_round_trip():
    spans = [Span(0, 1, "PER"), Span(1, 4, "ORG")]
    tags = spans_to_tags(spans, 5, "bioes")
    assert tags == ["S-PER", "B-ORG", "I-ORG", "E-ORG", "O"]
    assert tags_to_spans(tags, "bioes") == spans


def test_iob2_rejects_orphan_i_unless_repairing():
    with pytest.raises(TagError) as error:
        tags_to_spans(["O", "I-LOC"])
    assert error.value.position == 1
    assert tags_to_spans(["O", "I-LOC", "I-LOC"], repair=True) == [Span(1, 3, "LOC")]


def test_class_change_inside_entity_is_an_error_in_iob2():
    with pytest.raises(TagError):
        tags_to_spans(["B-PER", "I-LOC"])


@pytest.mark.parametrize("bad", ["PER", "B-", "X-PER", "b-PER", ""])
def test_malformed_tags(bad):
    with pytest.raises(TagError):
        tags_to_spans(["O", bad])


def test_unclosed_bioes_entity():
    with pytest.raises(TagError):
        tags_to_spans(["B-PER", "I-PER"], "bioes")


def test_overlapping_spans_cannot_be_encoded():
    with pytest.raises(ValueError):
        spans_to_tags([Span(0, 2, "PER"), Span(1, 3, "LOC")], 4)


@st.composite
def span_lists(draw):
    length = draw(st.integers(1, 12))
    spans, position = [], 0
    while position < length:
        if draw(st.booleans()):
            end = draw(st.integers(position + 1, length))
            spans.append(Span(position, end, draw(st.sampled_from(["PER", "LOC"]))))
            position = end
        else:
            position += 1
    return spans, length


@given(span_lists(), st.sampled_from(["iob1", "iob2", "bioes"]))
def test_every_scheme_round_trips(case, scheme):
    spans, length = case
    assert tags_to_spans(spans_to_tags(spans, length, scheme), scheme) == spans
