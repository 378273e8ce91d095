import numpy as np
import pytest

from xlner.bench.model_transfer import save_probabilities
from xlner.project import make_projector
from xlner.tagging.precomputed import PrecomputedTagger
from xlner.types import Span, TaggedSentence

LABELS = ["O", "B-PER", "I-PER"]


def test_saved_probabilities_drive_the_tagger_score(tmp_path):
    sentences = [TaggedSentence(["Ana", "lee"]), TaggedSentence(["hoy", "vino", "Juan", "Gil"])]
    probs = [
        np.array([[0.1, 0.9, 0.0], [0.9, 0.05, 0.05]]),
        np.array([[0.9, 0.1, 0.0], [0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]]),
    ]
    save_probabilities(tmp_path / "p.npz", sentences, probs, LABELS)
    tagger = PrecomputedTagger()
    tagger.add(tmp_path / "p.npz", sentences)
    assert tagger.labels == LABELS
    assert np.allclose(tagger.predict_proba([["hoy", "vino", "Juan", "Gil"]])[0], probs[1], 1e-3)
    # Without any alignment link the tagger score alone finds "Juan Gil".
    projector = make_projector("match", score="tagger", solver="greedy", tagger=tagger)
    (projected,) = projector.project(["John", "Gil"], [Span(0, 2, "PER")], sentences[1].tokens, [])
    assert projected.span == Span(2, 4, "PER")
    with pytest.raises(KeyError, match="no saved probabilities"):
        tagger.predict_proba([["unknown"]])


def test_mismatched_files_are_refused(tmp_path):
    sentences = [TaggedSentence(["a", "b"])]
    save_probabilities(tmp_path / "p.npz", sentences, [np.ones((2, 3)) / 3], LABELS)
    with pytest.raises(ValueError, match="1 sentences, expected 2"):
        PrecomputedTagger().add(tmp_path / "p.npz", sentences * 2)
    with pytest.raises(ValueError, match="3 words was saved with 2"):
        PrecomputedTagger().add(tmp_path / "p.npz", [TaggedSentence(["a", "b", "c"])])
