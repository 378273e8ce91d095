"""``xlner demo``: the main job on the built-in sample, plus Europarl when it is present."""

from __future__ import annotations

from pathlib import Path

from xlner.bench import europarl as europarl_bench
from xlner.cli.common import DataDir, SignatureForm, SignatureOption, out, print_signature, say
from xlner.corpora import find
from xlner.evaluate import evaluate_spans
from xlner.pipeline.sample import load_sample
from xlner.presets import DEFAULT_PRESET, build_preset
from xlner.project.corpus import project_bitext, signature_fields
from xlner.signature import make_signature
from xlner.types import Span, Tokens


def demo(
    data_dir: DataDir = None, show: int = 5, signature: SignatureOption = SignatureForm.short
) -> None:
    """Project the built-in English entities onto Spanish, score them, then run Europarl."""
    english, spanish = load_sample()
    # What ``xlner project`` does with no options: the default preset.
    aligner, projector = build_preset(DEFAULT_PRESET)
    say(
        f"aligning the built-in sample: {len(english)} English-Spanish sentence pairs "
        f"(preset {DEFAULT_PRESET}: {aligner.name} aligner, {projector.name} projection)"
    )
    projected = project_bitext(english, [s.tokens for s in spanish], aligner, projector)
    for src, sentence in list(zip(english, projected, strict=True))[:show]:
        out.print(f"en  {bracketed(src.tokens, src.spans)}")
        out.print(
            f"es  {bracketed(sentence.tokens, [p.span for p in sentence.projected])}\n",
        )
    scores = evaluate_spans(
        [s.spans for s in spanish],
        [[p.span for p in s.projected] for s in projected],
        [len(s.tokens) for s in spanish],
    )
    out.print(f"sample projection F1 = {scores.f1:.1f}")
    signed = {"corpus": "sample/en-es", **signature_fields(aligner, projector)}
    # The preset's own components: the short form has no setting that differs from it.
    print_signature(make_signature(signed, preset=DEFAULT_PRESET), signature)
    out.print()
    _europarl(data_dir)


def _europarl(data_dir: Path | None) -> None:
    root = find("europarl-ner", data_dir)
    if root is None:
        say("Europarl-NER is not present: `xlner data fetch europarl-ner` adds its benchmark")
        return
    say("Europarl-NER found: projecting gold English entities onto de, es, it")
    result = europarl_bench.run_europarl(root, progress=say)
    out.print(europarl_bench.format_results(result))


def bracketed(tokens: Tokens, spans: list[Span]) -> str:
    """``[PER María López] visitó [LOC Madrid]``: entities inline, for reading."""
    words = list(tokens)
    for span in sorted(spans, reverse=True):
        words[span.start] = f"[{span.label} {words[span.start]}"
        words[span.end - 1] = f"{words[span.end - 1]}]"
    return " ".join(words)
