"""The shipped model file: hash-checked, computing what scikit-learn computed when it was
trained, and agreeing with the corpus it was trained on."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from learned.features import prepare
from learned.model import FLAG, SHIPPED, LinearModel, ModelFileError
from train.corpus import corpus_digest


@pytest.fixture(scope="module")
def model() -> LinearModel:
    return LinearModel.load()


def test_the_shipped_model_computes_what_its_training_library_computed(model: LinearModel) -> None:
    # train.fit stores scikit-learn's own probabilities for these probes in the model's info:
    # the bot's numpy arithmetic (idf, sublinear tf, L2 norm, weights) must give the same.
    from train.fit import PROBES

    expected = model.info["probes"]
    assert len(expected) == len(PROBES)
    for text, wanted in zip(PROBES, expected, strict=True):
        got = model.probabilities(prepare(text))
        assert [got[name] for name in model.outputs] == pytest.approx(wanted, abs=2e-5), text


def test_the_shipped_model_was_trained_on_the_corpus_as_it_is(model: LinearModel) -> None:
    assert model.info["corpus_sha256"] == corpus_digest(), (
        "train/corpus changed since the model was trained: run `make train`"
    )


def test_thresholds_were_chosen_and_review_comes_before_remind(model: LinearModel) -> None:
    thresholds = model.info["thresholds"]
    assert 0.5 <= thresholds["review"] <= thresholds["remind"] < 1.0


def test_a_saved_model_loads_back_identical(model: LinearModel, tmp_path: Path) -> None:
    path = tmp_path / "model.npz"
    small = dataclasses.replace(model, info={**model.info, "note": "copy"})
    small.save(path)
    again = LinearModel.load(path)
    assert again.vocabulary == model.vocabulary
    assert again.outputs == model.outputs
    assert np.array_equal(again.weights, model.weights)
    assert again.info["note"] == "copy"
    text = prepare("Miss Hughes is a useless idiot and should be sacked")
    assert again.probabilities(text) == model.probabilities(text)


def test_a_damaged_model_file_is_refused_with_its_name(model: LinearModel, tmp_path: Path) -> None:
    path = tmp_path / "model.npz"
    model.save(path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match=r"model\.npz does not match model\.sha256"):
        LinearModel.load(path)


def test_a_missing_hash_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.npz"
    path.write_bytes(SHIPPED.read_bytes())
    with pytest.raises(ModelFileError, match="cannot read the model"):
        LinearModel.load(path)


def test_an_empty_message_scores_from_the_bias_alone(model: LinearModel) -> None:
    p = model.probabilities("")
    assert p[FLAG] == pytest.approx(1 / (1 + np.exp(-float(model.bias[0]))))
