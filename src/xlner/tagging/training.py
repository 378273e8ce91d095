"""Fine-tuning a :class:`~xlner.tagging.tagger.TokenTagger`, with checkpoints and resumption.

Training is a plain PyTorch loop (AdamW, linear warm-up then decay, gradient clipping, bf16
autocast on GPUs and CPUs that compute in bf16 natively, batches of similar-length examples).
The example order of each epoch is a fixed function of the seed and the epoch, and checkpoints
hold the model, optimizer, scheduler and RNG states, so a run resumed from a checkpoint
continues exactly where the interrupted one stopped.

Layout of ``output_dir``: ``checkpoint-<8-digit step>/`` directories with a ``state.json``
(the newest ``keep_checkpoints`` are kept; other programs' ``checkpoint-*`` folders are never
read, replaced or deleted) and, when training finishes, the final tagger itself
(``TokenTagger.load(output_dir)``).
"""

from __future__ import annotations

import json
import logging
import math
import pickle
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from xlner.errors import InputError
from xlner.io import atomic_folder, atomic_write, remove_folder
from xlner.tagging.tagger import IGNORE, Chunk, TokenTagger
from xlner.tags import mark_unknown, spans_to_tags
from xlner.types import TaggedSentence

logger = logging.getLogger(__name__)

STATE_FILE = "state.json"
CHECKPOINT_PREFIX = "checkpoint-"
GROUP_WINDOW = 50  # batches sorted by length together under ``group_by_length``


# Fields added after checkpoints were first written, with the value that changes nothing.
_ADDED_FIELDS: dict[str, Any] = {"group_by_length": False, "max_steps": None}


@dataclass
class TrainConfig:
    """How to fine-tune. These defaults are the only ones: ``xlner train tagger`` and
    ``xlner benchmark model-transfer`` read theirs from here. They are the settings of the
    CPU-trained CoNLL-2003 tagger of BENCHMARKS.md (its "dev-2c (CPU, otherwise idle)" run).
    """

    epochs: int = 3
    # A step budget: the schedule (warm-up, then decay to 0) ends at this step, before the
    # last epoch if need be, and the tagger is saved there (``stop_after`` only pauses).
    max_steps: int | None = None
    batch_size: int = 32
    learning_rate: float = 1e-4
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    max_grad_norm: float = 1.0
    seed: int = 42
    checkpoint_every: int | None = 1000  # optimizer steps; every epoch end is one too
    keep_checkpoints: int = 1
    stop_after: int | None = None  # stop at this step (schedule unchanged), e.g. for time limits
    log_every: int = 50
    bf16: bool = True  # autocast where the device computes in bf16 natively (bf16_training)
    # Keep the input (word) embeddings fixed: for e5-small they are 96M of its 118M weights,
    # so AdamW gets several times faster on a CPU, and the multilingual vocabulary stays
    # shared with the languages absent from training (a common zero-shot transfer trick, and
    # much the better transfer in BENCHMARKS.md).
    freeze_embeddings: bool = True
    # Batches of chunks of similar length (shuffled, then sorted by length within windows of
    # GROUP_WINDOW batches, and the batches shuffled again): a step costs about 1.6x less
    # than with micro-batches alone, but batches are no longer mixed draws, and with it
    # CoNLL-2003 test F1 was 89.0 against 89.9 without (one run each, bf16 on a CPU).
    group_by_length: bool = False
    # Each batch runs as micro-batches of this many chunks of similar length, their gradients
    # summed: the same optimizer step as one padded pass over the batch, with less padding.
    micro_batch_size: int | None = 8

    def fingerprint(self, n_chunks: int, labels: Sequence[str]) -> dict[str, Any]:
        """Settings a resumed run must share with the run that wrote the checkpoint."""
        fields = asdict(self)
        # micro_batch_size changes rounding and dropout draws only, not what a step learns.
        volatile_fields = ("checkpoint_every", "keep_checkpoints", "stop_after", "log_every")
        for volatile in (*volatile_fields, "micro_batch_size"):
            fields.pop(volatile)
        for added, off in _ADDED_FIELDS.items():  # so that older checkpoints still resume
            if fields[added] == off:
                fields.pop(added)
        return {**fields, "n_chunks": n_chunks, "labels": list(labels)}


@dataclass(frozen=True)
class TrainProgress:
    """Where a training run stands, as handed to ``fit``'s ``progress`` callback."""

    step: int
    total_steps: int  # where this run ends: the schedule's last step, or ``stop_after``
    loss: float  # mean training loss of the last ``log_every`` steps
    steps_per_second: float  # over the steps of this run (resumed steps excluded)

    @property
    def seconds_left(self) -> float:
        return (self.total_steps - self.step) / self.steps_per_second

    def __str__(self) -> str:
        return (
            f"step {self.step}/{self.total_steps}  loss {self.loss:.4f}  "
            f"{self.steps_per_second:.2f} steps/s  {_duration(self.seconds_left)} left"
        )


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def fit(  # noqa: C901, PLR0912, PLR0915
    tagger: TokenTagger,
    train: Sequence[TaggedSentence],
    *,
    dev: Sequence[TaggedSentence] | None = None,
    config: TrainConfig | None = None,
    output_dir: str | Path | None = None,
    resume: bool = True,
    progress: Callable[[TrainProgress], None] | None = None,
) -> list[dict[str, Any]]:
    """Fine-tune ``tagger`` in place; return one record per finished epoch (loss, dev F1).

    With ``output_dir``, checkpoints are written there and, if ``resume``, training restarts
    from the newest one (an InputError if it was made with other settings or data); without
    ``resume`` xlner's checkpoints there are deleted and training starts afresh. With ``dev``,
    span F1 on it is computed after each epoch. ``progress`` is called after the first step
    of the run, every ``log_every`` steps and after the last one (without it, these reports
    are logged at INFO).
    """
    import numpy as np
    import torch

    config = config or TrainConfig()
    chunks = training_chunks(tagger, train)
    if config.freeze_embeddings:
        tagger.model.get_input_embeddings().weight.requires_grad_(False)
    steps_per_epoch = math.ceil(len(chunks) / config.batch_size)
    total_steps = steps_per_epoch * config.epochs
    if config.max_steps is not None:
        total_steps = min(total_steps, config.max_steps)
    optimizer, scheduler = _optimizer(tagger.model, config, total_steps)
    fingerprint = config.fingerprint(len(chunks), tagger.labels)
    output = Path(output_dir) if output_dir is not None else None

    torch.manual_seed(config.seed)
    state: dict[str, Any] = {"step": 0, "history": [], "fingerprint": fingerprint}
    checkpoint = latest_checkpoint(output) if output is not None and resume else None
    if output is not None and not resume:
        remove_checkpoints(output)  # the run they belong to is being replaced
    if checkpoint is not None:
        state = _restore(checkpoint, tagger, optimizer, scheduler, fingerprint)
        logger.info("resuming from %s (step %d)", checkpoint, state["step"])

    use_bf16 = config.bf16 and bf16_training(tagger)
    end_step = min(total_steps, config.stop_after or total_steps)
    first_step, started = state["step"], time.perf_counter()
    running: list[float] = []
    epoch_batches: tuple[int, list[list[int]]] | None = None
    while state["step"] < total_steps:
        step = state["step"]
        epoch, index = divmod(step, steps_per_epoch)
        if epoch_batches is None or epoch_batches[0] != epoch:
            epoch_batches = epoch, _epoch_batches(chunks, config, epoch)
        batch = [chunks[i] for i in epoch_batches[1][index]]
        loss = _train_step(tagger, batch, optimizer, scheduler, config, use_bf16)
        running.append(loss)
        state["step"] = step = step + 1
        if (
            step == first_step + 1
            or step == end_step
            or (config.log_every and step % config.log_every == 0)
        ):
            rate = (step - first_step) / (time.perf_counter() - started)
            recent = float(np.mean(running[-(config.log_every or 50) :]))
            report = TrainProgress(step, end_step, recent, rate)
            if progress is not None:
                progress(report)
            else:
                logger.info("%s", report)
        epoch_done = step % steps_per_epoch == 0 or step == total_steps  # a cut last epoch
        if epoch_done:
            state["history"].append(_epoch_record(tagger, epoch, running, dev))
            running = []
        stopping = config.stop_after is not None and step >= config.stop_after
        due = config.checkpoint_every and step % config.checkpoint_every == 0
        if output is not None and (epoch_done or due or stopping):
            _save_checkpoint(output, tagger, optimizer, scheduler, state, config.keep_checkpoints)
        if stopping:
            return state["history"]
    if output is not None:
        tagger.save(output)
    return state["history"]


def training_chunks(tagger: TokenTagger, train: Sequence[TaggedSentence]) -> list[Chunk]:
    """The model inputs of ``train`` with their label ids; a word of unknown label (partial
    labels: ``sentence.unknown``, whatever span covers it) gets none, so the loss skips it.
    Chunks without a labelled word are left out."""
    tags = [mark_unknown(spans_to_tags(s.spans, len(s.tokens)), s.unknown) for s in train]
    chunks = tagger.chunks([s.tokens for s in train], tags)
    chunks = [chunk for chunk in chunks if any(label >= 0 for label in chunk.labels or [])]
    if not chunks:
        raise ValueError("no training example has a labelled subword")
    return chunks


def _optimizer(model: Any, config: TrainConfig, total_steps: int) -> tuple[Any, Any]:
    import torch
    from transformers import get_linear_schedule_with_warmup

    # No weight decay on biases and LayerNorm weights, as in BERT fine-tuning.
    decay: list[Any] = []  # torch parameters
    no_decay: list[Any] = []
    for parameter in model.parameters():
        if parameter.requires_grad:
            (no_decay if parameter.ndim < 2 else decay).append(parameter)
    optimizer = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": config.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=config.learning_rate,
    )
    warmup = int(config.warmup_ratio * total_steps)
    return optimizer, get_linear_schedule_with_warmup(optimizer, warmup, total_steps)


def _epoch_batches(chunks: Sequence[Chunk], config: TrainConfig, epoch: int) -> list[list[int]]:
    """The chunk indices of every batch of ``epoch``, in training order.

    A fresh generator per epoch makes the order independent of how the run was interrupted.
    """
    import numpy as np

    rng = np.random.default_rng([config.seed, epoch])
    order = rng.permutation(len(chunks))
    size = config.batch_size
    if not config.group_by_length:
        return [order[i : i + size].tolist() for i in range(0, len(order), size)]
    window = size * GROUP_WINDOW
    batches = []
    for start in range(0, len(order), window):
        part = sorted(order[start : start + window], key=lambda i: len(chunks[i].input_ids))
        batches += [part[i : i + size] for i in range(0, len(part), size)]
    return [[int(i) for i in batches[k]] for k in rng.permutation(len(batches))]


def _train_step(
    tagger: TokenTagger,
    batch: list[Chunk],
    optimizer: Any,
    scheduler: Any,
    config: TrainConfig,
    use_bf16: bool,
) -> float:
    """One optimizer step on ``batch``; returns its loss (mean over labelled subwords).

    The batch runs as micro-batches of similar length whose gradients add up to the batch's:
    the same step as one padded forward pass, with less padding to compute.
    """
    import torch

    tagger.model.train()
    labelled = sum(label >= 0 for chunk in batch for label in chunk.labels or [])
    total = 0.0
    for part in _micro_batches(batch, config.micro_batch_size):
        inputs = tagger.collate(part)
        labels = inputs.pop("labels")
        with torch.autocast(tagger.device_type, dtype=torch.bfloat16, enabled=use_bf16):
            logits = tagger.model(**inputs).logits
        loss = torch.nn.functional.cross_entropy(
            logits.float().flatten(0, 1), labels.flatten(), ignore_index=IGNORE, reduction="sum"
        )
        (loss / labelled).backward()
        total += float(loss.detach())
    if config.max_grad_norm:
        torch.nn.utils.clip_grad_norm_(tagger.model.parameters(), config.max_grad_norm)
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad(set_to_none=True)
    return total / labelled


def _micro_batches(batch: list[Chunk], size: int | None) -> list[list[Chunk]]:
    """``batch`` sorted by length and cut into pieces of ``size`` (one piece if None)."""
    if not size or size >= len(batch):
        return [batch]
    ordered = sorted(batch, key=lambda chunk: len(chunk.input_ids))
    return [ordered[i : i + size] for i in range(0, len(ordered), size)]


def bf16_training(tagger: TokenTagger) -> bool:
    """Whether ``bf16`` autocast pays on the tagger's device: CUDA GPUs with bf16 support and
    CPUs that compute in bf16 natively (AVX512-BF16 or AMX; 2.6x faster a step on 2 AMD EPYC
    cores with AVX512-BF16, BENCHMARKS.md); elsewhere bf16 would be emulated, and slower."""
    import torch

    from xlner.encoders.base import cpu_supports_bf16

    if tagger.device_type == "cuda":
        return torch.cuda.is_bf16_supported()
    return tagger.device_type == "cpu" and cpu_supports_bf16()


def _epoch_record(
    tagger: TokenTagger, epoch: int, losses: list[float], dev: Sequence[TaggedSentence] | None
) -> dict[str, Any]:
    import numpy as np

    record: dict[str, Any] = {
        "epoch": epoch + 1,
        "loss": float(np.mean(losses)) if losses else None,
    }
    if dev:
        from xlner.evaluate import evaluate_spans

        predicted = tagger.predict_spans([s.tokens for s in dev])
        scores = evaluate_spans([s.spans for s in dev], predicted, [len(s.tokens) for s in dev])
        record.update(dev_f1=scores.f1, dev_precision=scores.precision, dev_recall=scores.recall)
    logger.info("epoch %s", record)
    return record


# ---------------------------------------------------------------------------- checkpoints


def latest_checkpoint(output_dir: str | Path | None) -> Path | None:
    """xlner's complete checkpoint with the highest step under ``output_dir``, if any.

    Another trainer's ``checkpoint-*`` folders are not xlner's and are ignored; a
    ``state.json`` of xlner's that cannot be read is an InputError naming it.
    """
    if output_dir is None or not Path(output_dir).is_dir():
        return None
    found = [path for path in _named_checkpoints(Path(output_dir)) if _state(path) is not None]
    return max(found, key=_checkpoint_step, default=None)


def is_checkpoint(path: Path) -> bool:
    """One of xlner's checkpoints: named ``checkpoint-<8-digit step>``, holding a
    ``state.json`` of xlner's with that step (what may be replaced or deleted)."""
    if not _has_checkpoint_name(path):
        return False
    try:
        return _state(path) is not None
    except InputError:
        return False


def remove_checkpoints(output: Path) -> None:
    """Delete xlner's checkpoints in ``output`` (a restart); other folders stay."""
    for path in _named_checkpoints(output):
        remove_folder(path, ours=is_checkpoint)


_CHECKPOINT_NAME = re.compile(rf"^{CHECKPOINT_PREFIX}(\d{{8,}})$")
_STATE_FIELDS = ("step", "history", "fingerprint")


def _named_checkpoints(output: Path) -> list[Path]:
    return [path for path in output.glob(f"{CHECKPOINT_PREFIX}*") if _has_checkpoint_name(path)]


def _has_checkpoint_name(path: Path) -> bool:
    return bool(_CHECKPOINT_NAME.match(path.name)) and path.is_dir() and not path.is_symlink()


def _checkpoint_step(path: Path) -> int:
    return int(path.name[len(CHECKPOINT_PREFIX) :])


def _state(checkpoint: Path) -> dict[str, Any] | None:
    """The training state in ``checkpoint``; None when it holds no state of xlner's (none
    at all, or another program's JSON), an InputError when it is cut or unreadable."""
    path = checkpoint / STATE_FILE
    if not path.is_file():
        return None
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        problem = f"not a readable training state ({type(error).__name__}: cut or changed?)"
        raise InputError(path, None, f"{problem}; {_START_AFRESH}") from None
    if not (isinstance(state, dict) and all(field in state for field in _STATE_FIELDS)):
        return None
    if state["step"] != _checkpoint_step(checkpoint):
        return None
    return state


# How to leave a checkpoint behind, for messages (``fit``'s ``resume=False`` in the API).
_START_AFRESH = (
    "train into another folder, or start afresh with `xlner train tagger --restart` "
    "(resume=False in the API)"
)


def _rng_state() -> dict[str, Any]:
    import torch

    state: dict[str, Any] = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _save_checkpoint(
    output: Path, tagger: TokenTagger, optimizer: Any, scheduler: Any, state: dict, keep: int
) -> None:
    import torch

    final = output / f"{CHECKPOINT_PREFIX}{state['step']:08d}"
    # Built in a staging folder and swapped in: a crash mid-save never leaves a checkpoint
    # that looks complete.
    with atomic_folder(final, ours=is_checkpoint, what="an xlner checkpoint") as staging:
        torch.save(tagger.model.state_dict(), staging / "model.pt")
        torch.save(optimizer.state_dict(), staging / "optimizer.pt")
        torch.save(scheduler.state_dict(), staging / "scheduler.pt")
        torch.save(_rng_state(), staging / "rng.pt")
        with atomic_write(staging / STATE_FILE) as out:
            out.write(json.dumps(state, indent=2, ensure_ascii=False) + "\n")
    # Only xlner's own checkpoints, by step: never another trainer's checkpoint-* folders.
    ours = sorted((p for p in _named_checkpoints(output) if is_checkpoint(p)), key=_checkpoint_step)
    for old in ours[: max(len(ours) - max(keep, 1), 0)]:
        remove_folder(old, ours=is_checkpoint)


def _restore(
    checkpoint: Path, tagger: TokenTagger, optimizer: Any, scheduler: Any, fingerprint: dict
) -> dict[str, Any]:
    import torch

    state = _state(checkpoint)
    assert state is not None  # latest_checkpoint found it
    if state.get("fingerprint") != fingerprint:
        raise InputError(
            checkpoint, None, f"was written with other settings or data; {_START_AFRESH}"
        )
    device = next(tagger.model.parameters()).device
    with _applying(checkpoint / "model.pt"):
        tagger.model.load_state_dict(_load_tensors(checkpoint / "model.pt", device))
    with _applying(checkpoint / "optimizer.pt"):
        optimizer.load_state_dict(_load_tensors(checkpoint / "optimizer.pt", device))
    with _applying(checkpoint / "scheduler.pt"):
        scheduler.load_state_dict(_load_tensors(checkpoint / "scheduler.pt"))
    with _applying(checkpoint / "rng.pt"):
        rng = _load_tensors(checkpoint / "rng.pt")
        torch.set_rng_state(rng["torch"])
        if "cuda" in rng and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(rng["cuda"])
    return state


@contextmanager
def _applying(path: Path) -> Iterator[None]:
    """A checkpoint file whose content does not fit this run (another model's weights, a
    dict of other tensors) is a one-line InputError naming it."""
    try:
        yield
    except (KeyError, TypeError, ValueError, RuntimeError, IndexError, AttributeError) as error:
        if isinstance(error, InputError):
            raise
        problem = f"does not hold this training run's state ({type(error).__name__})"
        raise InputError(path, None, f"{problem}; {_START_AFRESH}") from None


def _load_tensors(path: Path, device: Any = None) -> Any:
    """Load a checkpoint file that may hold only tensors and plain data, never code.

    ``weights_only=True`` makes torch's unpickler refuse every other object, so a pickle
    planted in a checkpoint folder is reported instead of being run. Everything xlner saves
    (state dicts, the scheduler's numbers, RNG byte tensors) passes.
    """
    import torch

    try:
        return torch.load(path, map_location=device, weights_only=True)
    except pickle.UnpicklingError:
        problem = "holds objects other than tensors and plain data; refusing to load it"
    except (RuntimeError, EOFError, OSError) as error:
        problem = f"not a readable checkpoint file ({type(error).__name__})"
    raise InputError(path, None, f"{problem}; {_START_AFRESH}")
