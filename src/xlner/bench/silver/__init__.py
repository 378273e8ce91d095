"""The silver benchmark: a tagger trained on projected MAFAND-MT for each MasakhaNER 2.0 language.

Per language, four stages, each in a folder of its own under ``run_root/<lang>`` named by the
key of everything that determines it (``silver-<key>``, ``train-<key>``, ...), so a finished
stage is read back (its ``stage.json``), never recomputed, and a change of setting starts a
new folder beside the old one:

1. ``silver``: the silver job of ``xlner silver`` (:func:`xlner.silver.runner.run_silver`)
   on the language's MAFAND-MT pair (all its splits; English or
   French source, as the corpus has it) minus the MasakhaNER 2.0 test sentences, then the
   silver F1 of the kept sentences that are MasakhaNER train/dev sentences against their gold
   (:mod:`xlner.bench.silver_quality`). Tagging and alignment resume batch by batch.
2. ``train``: a tagger trained on the silver file, continued from the source tagger or fresh
   from an encoder (``train.init``), with TrainConfig's fields (``train.config``); it resumes
   from its checkpoints.
3. ``evaluate``: its F1 on MasakhaNER 2.0 test (and dev, which is never trained on), DATE and
   MISC dropped.
4. ``transfer``: model transfer, the source tagger applied to the same test set as is.

Three stages run only where a config asks for them: ``degrade`` (between ``silver`` and
``train``: the silver data made worse to a requested silver F1, for the crossover study,
:mod:`.degrade`), ``ensemble`` (after ``transfer``: the silver tagger and model transfer as
one probability ensemble, the silver tagger's weight chosen on dev) and ``vote`` (where the
sentences have a human translation: the silver tagger, translate-test projection and model
transfer vote on each sentence's spans, the setting chosen on dev, :mod:`.vote`).

A language whose row file (``row-<key>.json``) has the key of the current settings is read
back whole. Tagging and alignment are cached in ``run_root/<lang>/cache``, shared by the
language's silver stages. Beside the measured columns, each row carries translate-test F1
from a results file of ``benchmarks/masakhaner.py`` (where a language has one) and the
published anchors of the config. The settings are data: ``configs/benchmarks/silver.toml``;
another config names only what differs from it (or from the config it ``extends``).

A config with a ``[variants]`` table is an ablation (:func:`run_ablation`): the rows of every
variant, and how the tagger's test F1 follows the silver F1 across them
(:func:`quality_study`).

The modules: :mod:`.config` (the settings, their variants, each language's :class:`Plan`),
:mod:`.stages` (the stage keys, :func:`run_stage` and the four stages as library calls, a
language's row), :mod:`.report` (columns, averages, the quality study, the tables) and
:mod:`.benchmark` (the run over languages and variants).
"""

from xlner.bench.silver.benchmark import Scope, run_ablation, run_silver
from xlner.bench.silver.config import (
    BASE,
    DEFAULT_CONFIG,
    FREE_TABLES,
    INITS,
    LANGUAGES,
    Plan,
    load_settings,
    load_variants,
    plan,
)
from xlner.bench.silver.report import (
    anchors,
    averages,
    cells,
    format_ablation,
    format_results,
    quality_study,
    read_translate_test,
)
from xlner.bench.silver.silver_only import format_silver_only, run_silver_only
from xlner.bench.silver.stages import (
    CACHE_DIR,
    ENSEMBLE_WEIGHTS,
    STAGE_FILE,
    STAGES,
    Work,
    degrade_stage,
    ensemble_stage,
    evaluate_stage,
    prepare,
    rebased,
    row_key,
    row_name,
    run_language,
    run_stage,
    score,
    silver_settings,
    silver_stage,
    train_stage,
    transfer_stage,
)
from xlner.bench.silver.vote import vote_stage

__all__ = [
    "BASE",
    "CACHE_DIR",
    "DEFAULT_CONFIG",
    "ENSEMBLE_WEIGHTS",
    "FREE_TABLES",
    "INITS",
    "LANGUAGES",
    "STAGES",
    "STAGE_FILE",
    "Plan",
    "Scope",
    "Work",
    "anchors",
    "averages",
    "cells",
    "degrade_stage",
    "ensemble_stage",
    "evaluate_stage",
    "format_ablation",
    "format_results",
    "format_silver_only",
    "load_settings",
    "load_variants",
    "plan",
    "prepare",
    "quality_study",
    "read_translate_test",
    "rebased",
    "row_key",
    "row_name",
    "run_ablation",
    "run_language",
    "run_silver",
    "run_silver_only",
    "run_stage",
    "score",
    "silver_settings",
    "silver_stage",
    "train_stage",
    "transfer_stage",
    "vote_stage",
]
