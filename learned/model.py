"""The shipped model: a linear model over TF-IDF weighted n-grams, one output saying whether a
message breaks the code and one per category, loaded from a single hash-checked file.

Scoring is a few dictionary lookups and one small matrix product per message, with numpy only,
so the bot needs none of the packages the model was trained with (`pip install
schoolgate[train]`, `make train`).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from learned.features import ngrams

DATA = Path(__file__).with_name("data")
SHIPPED = DATA / "model.npz"
FLAG = "flag"  # the output saying whether the message breaks the code at all


class ModelFileError(RuntimeError):
    """The model file is missing, damaged or not the one its hash file names."""


@dataclass(frozen=True, slots=True)
class LinearModel:
    vocabulary: dict[str, int]
    idf: npt.NDArray[np.float32]  # one per n-gram
    weights: npt.NDArray[np.float32]  # n-grams x outputs
    bias: npt.NDArray[np.float32]  # one per output
    outputs: tuple[str, ...]  # FLAG first, then the categories
    info: dict[str, Any]  # thresholds and how the model was made

    def probabilities(self, prepared: str) -> dict[str, float]:
        """Each output's probability for one prepared piece of text."""
        counts = Counter(i for g in ngrams(prepared) if (i := self.vocabulary.get(g)) is not None)
        z = self.bias.astype(np.float64)
        if counts:
            index = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
            x = tf * self.idf[index]
            x /= math.sqrt(float(x @ x))
            z = z + x @ self.weights[index]
        return {
            name: 1.0 / (1.0 + math.exp(-float(v))) for name, v in zip(self.outputs, z, strict=True)
        }

    def save(self, path: Path) -> str:
        """Write the model and its hash file; returns the file's sha256."""
        words = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        with path.open("wb") as f:
            np.savez_compressed(
                f,
                vocabulary=np.array("\n".join(words)),
                idf=self.idf.astype(np.float32),
                weights=self.weights.astype(np.float32),
                bias=self.bias.astype(np.float32),
                outputs=np.array("\n".join(self.outputs)),
                info=np.array(json.dumps(self.info, sort_keys=True)),
            )
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        path.with_suffix(".sha256").write_text(f"{digest}  {path.name}\n", encoding="utf-8")
        return digest

    @classmethod
    def load(cls, path: Path = SHIPPED) -> LinearModel:
        try:
            data = path.read_bytes()
            expected = path.with_suffix(".sha256").read_text(encoding="utf-8").split()[0]
        except (OSError, IndexError) as e:
            raise ModelFileError(f"cannot read the model {path} or its hash file: {e}") from e
        if hashlib.sha256(data).hexdigest() != expected:
            raise ModelFileError(f"{path} does not match {path.with_suffix('.sha256').name}")
        with np.load(path, allow_pickle=False) as npz:
            words = str(npz["vocabulary"]).split("\n")
            return cls(
                vocabulary={w: i for i, w in enumerate(words)},
                idf=npz["idf"],
                weights=npz["weights"],
                bias=npz["bias"],
                outputs=tuple(str(npz["outputs"]).split("\n")),
                info=json.loads(str(npz["info"])),
            )
