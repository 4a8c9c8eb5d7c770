"""The learned second opinion beside the rules core: a small linear model over character and
word n-grams, trained on the project's corpus (`make train`) and shipped as one hash-checked
file. Pure and synchronous like `rules`; loaded once, and safe to share between threads."""

from learned.detector import Detector, Evaluator
from learned.model import LinearModel, ModelFileError
from learned.stage import LearnedStage, Opinion

__all__ = ["Detector", "Evaluator", "LearnedStage", "LinearModel", "ModelFileError", "Opinion"]
