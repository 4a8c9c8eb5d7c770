"""Train the learned stage from the corpus in train/corpus and write learned/data/model.npz.

    python -m train.fit [--out learned/data/model.npz]

Reproducible: the same corpus and package versions give the same file, byte for byte (no
randomness is involved: folds are by school, in name order, and the solver is deterministic).
CPU only, about a minute on two cores.

The thresholds are chosen on out-of-fold predictions (each school predicted by a model that
never saw it), never on the blind evaluation schools in bench/data/blind:
- review: the lowest at which at least REVIEW_PRECISION of the messages the learned stage adds
  to the rules core's flags really break the code (SLT are asked to look), and it flags at
  most ORDINARY_ADDED of the ordinary (not hard) clean messages the rules core let through;
- remind: the same with REMIND_PRECISION (the parent is reminded too).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold

from learned.features import ngrams, prepare
from learned.model import FLAG, SHIPPED, LinearModel
from rules import Category
from train.corpus import Example, corpus_digest, load_corpus

C = 16.0  # inverse regularisation, chosen on out-of-fold AUC (4: 0.974, 16: 0.976)
MIN_DF = 2  # an n-gram must occur in two messages to be learnt
KEEP = 40_000  # n-grams kept in the shipped model: those with the largest weights
FOLDS = 5
REVIEW_PRECISION = 0.97  # the precision a school should expect of every flag
REMIND_PRECISION = 0.985
ORDINARY_ADDED = 0.003  # ordinary messages the learned stage flags: at most three in 1,000
CATEGORIES = tuple(c.value for c in Category)
PROBES = (  # see info["probes"]
    "anyone know if it's PE tomorrow?",
    "she wants sacking, useless woman",
    "be a shame if her car got a few scratches",
    "thanks so much for the lift x",
    "that lot get everything handed to them",
)


def fit(
    examples: Sequence[Example], info: dict[str, object], *, categories: bool = True
) -> LinearModel:
    """Fit the flag output, keep its KEEP strongest n-grams, and fit the flag (and, with
    `categories`, each category) again on those alone, so the shipped model computes exactly
    what it was trained to."""
    texts = [e.prepared for e in examples] + [e.variant for e in examples]
    examples = [*examples, *examples]  # each message and its varied copy
    vectoriser = TfidfVectorizer(analyzer=ngrams, sublinear_tf=True, min_df=MIN_DF)
    weights = _fit_outputs(vectoriser.fit_transform(texts), examples, categories=False)[0]
    strongest = np.argsort(-np.abs(weights[:, 0]), kind="stable")[:KEEP]
    names = vectoriser.get_feature_names_out()
    kept = sorted(str(names[i]) for i in strongest)
    vectoriser = TfidfVectorizer(analyzer=ngrams, sublinear_tf=True, vocabulary=kept)
    weights, bias, models = _fit_outputs(
        vectoriser.fit_transform(texts), examples, categories=categories
    )
    probes = vectoriser.transform([prepare(text) for text in PROBES])
    # What scikit-learn itself makes of the probes, for tests/learned to hold the shipped
    # model's own arithmetic to.
    info = {
        **info,
        "probes": [
            [round(float(m.predict_proba(probes)[i, 1]), 6) for m in models]
            for i in range(len(PROBES))
        ],
    }
    return LinearModel(
        vocabulary={w: i for i, w in enumerate(kept)},
        idf=vectoriser.idf_.astype(np.float32),
        weights=weights.astype(np.float32),
        bias=bias.astype(np.float32),
        outputs=(FLAG, *CATEGORIES) if categories else (FLAG,),
        info=info,
    )


def _fit_outputs(
    x: object, examples: Sequence[Example], *, categories: bool
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], list[LogisticRegression]]:
    flagged = np.array([e.flag for e in examples])
    columns, bias, models = [], [], []
    targets = [(flagged, np.ones(len(examples), dtype=bool))]
    for category in CATEGORIES if categories else ():
        # Categories are learnt from the messages that break the code: which clause, not whether.
        targets.append((np.array([category in e.categories for e in examples]), flagged))
    for y, rows in targets:
        model = LogisticRegression(C=C, max_iter=3000).fit(x[rows], y[rows])  # type: ignore[index]
        columns.append(model.coef_[0])
        bias.append(model.intercept_[0])
        models.append(model)
    return np.stack(columns, axis=1), np.array(bias), models


def out_of_fold(examples: Sequence[Example]) -> npt.NDArray[np.float64]:
    """The flag probability of each example from a model trained without its school (the
    flag output alone: the thresholds are about it)."""
    scores = np.zeros(len(examples))
    groups = [e.school for e in examples]
    for train, held in GroupKFold(FOLDS).split(examples, groups=groups):
        model = fit([examples[i] for i in train], {}, categories=False)
        for i in held:
            scores[i] = model.probabilities(examples[i].prepared)[FLAG]
    return scores


@dataclass(frozen=True)
class AtThreshold:
    threshold: float
    added_precision: float  # of the messages the learned stage adds to the rules core's flags
    recall: float  # of both stages together
    ordinary_flagged: float  # share of ordinary (not hard) clean messages flagged by both
    ordinary_added: float  # share of them flagged by the learned stage and not the rules
    hard_flagged: float  # share of hard negatives flagged by both


def sweep(scores: npt.NDArray[np.float64], examples: Sequence[Example]) -> list[AtThreshold]:
    flag = np.array([e.flag for e in examples])
    rules = np.array([e.rules_flagged for e in examples])
    hard = np.array([e.hard for e in examples])
    out = []
    for th in np.round(np.arange(0.50, 1.0, 0.01), 2):
        learned = scores >= th
        added = learned & ~rules
        both = learned | rules
        out.append(
            AtThreshold(
                float(th),
                float((added & flag).sum() / max(1, added.sum())),
                float((both & flag).sum() / flag.sum()),
                float((both & ~flag & ~hard).sum() / max(1, (~flag & ~hard).sum())),
                float((added & ~flag & ~hard).sum() / max(1, (~flag & ~hard).sum())),
                float((both & ~flag & hard).sum() / max(1, (~flag & hard).sum())),
            )
        )
    return out


def threshold(points: Sequence[AtThreshold], precision: float) -> float:
    """The lowest threshold at which the messages added to the rules core's flags are at
    least `precision` right and at most ORDINARY_ADDED of ordinary messages are added."""
    for p in points:
        if p.added_precision >= precision and p.ordinary_added <= ORDINARY_ADDED:
            return p.threshold
    return 1.0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SHIPPED)
    parser.add_argument("--scores", type=Path, help="also write the out-of-fold scores (.npy)")
    args = parser.parse_args(argv)
    examples = load_corpus()
    print(f"{len(examples)} messages from {len({e.school for e in examples})} schools")
    scores = out_of_fold(examples)
    if args.scores:
        np.save(args.scores, scores)
    flag = np.array([e.flag for e in examples])
    points = sweep(scores, examples)
    print("out of fold: threshold, precision of what the learned stage adds, recall of both,")
    print("ordinary clean messages flagged by both and by the learned stage alone, hard negatives")
    for p in points[::5] + points[-5:]:
        print(
            f"  {p.threshold:.2f}  {p.added_precision:.3f}  {p.recall:.3f}  "
            f"{p.ordinary_flagged:.2%}  {p.ordinary_added:.2%}  {p.hard_flagged:.2%}"
        )
    review = threshold(points, REVIEW_PRECISION)
    remind = threshold(points, REMIND_PRECISION)
    auc = float(roc_auc_score(flag, scores))
    print(f"out-of-fold AUC {auc:.4f}; thresholds: review {review:.2f}, remind {remind:.2f}")
    info = {
        "thresholds": {"review": review, "remind": remind},
        "out_of_fold_auc": round(auc, 4),
        "corpus_sha256": corpus_digest(),
        "messages": len(examples),
        "trained_with": f"scikit-learn {sklearn.__version__}, numpy {np.__version__}",
        "settings": {"C": C, "min_df": MIN_DF, "keep": KEEP, "folds": FOLDS},
    }
    digest = fit(examples, info).save(args.out)
    print(f"wrote {args.out} (sha256 {digest})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
