"""Linear classifiers over hashed message features, loaded from the artefact that ``python3 dev.py train`` writes.

Inference is plain numpy (the training script uses scikit-learn; the bot does not need it). A model keeps only the
feature ids it saw in training, sorted, with one weight row each; a message's score for every class is the sum of
its known features' rows (each feature weighs ``1/sqrt(number of features)``, as in training) plus the bias.
"""

from __future__ import annotations

import json
import math
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, cast

import numpy as np

from bot.core.features import FEATURE_VERSION, HASH_BITS

ARTEFACT = "understanding.npz"


class ModelError(ValueError):
    """The model artefact is missing, corrupt or was built for other features."""


@dataclass(frozen=True, slots=True)
class LinearModel:
    """One multinomial (``len(classes) > 1``) or binary (one column, sigmoid) linear model."""

    name: str
    classes: tuple[str, ...]
    feature_ids: np.ndarray  # sorted int64, shape (k,)
    weights: np.ndarray  # float32, shape (k, columns)
    bias: np.ndarray  # float32, shape (columns,)
    dense: np.ndarray | None = None  # float32, shape (embedding dimensions, columns): a semantic model's weights

    @property
    def semantic(self) -> bool:
        """Whether the model also reads a sentence embedding of the message."""
        return self.dense is not None

    def decision(self, ids: np.ndarray, vector: np.ndarray | None = None) -> np.ndarray:
        """Raw class scores of a message given its sorted unique feature ids (and its embedding, if semantic)."""
        scores = self.bias.astype(np.float64)
        if ids.size:
            pos = np.searchsorted(self.feature_ids, ids)
            pos[pos >= self.feature_ids.size] = 0
            known = pos[self.feature_ids[pos] == ids]
            scores = scores + self.weights[known].sum(axis=0, dtype=np.float64) / math.sqrt(ids.size)
        if self.dense is not None:
            if vector is None:
                raise ValueError(f"the {self.name} model needs the message's embedding")
            scores = scores + vector.astype(np.float64) @ self.dense
        return scores

    def probabilities(self, ids: np.ndarray, vector: np.ndarray | None = None) -> dict[str, float]:
        """Class probabilities (softmax, or sigmoid for a binary model with one column)."""
        scores = self.decision(ids, vector)
        if scores.size == 1:
            p = 1.0 / (1.0 + math.exp(-float(scores[0])))
            return {self.classes[0]: 1.0 - p, self.classes[1]: p}
        scores = scores - scores.max()
        exp = np.exp(scores)
        exp /= exp.sum()
        return {label: float(p) for label, p in zip(self.classes, exp, strict=True)}


@dataclass(frozen=True, slots=True)
class ModelSet:
    """Every model of the artefact, by name, with the metadata written at training time."""

    models: Mapping[str, LinearModel]
    meta: Mapping[str, Any]  # the JSON header as written at training time (thresholds, cascade, cv figures)

    def get(self, name: str) -> LinearModel | None:
        """The named model, or None when the artefact has none."""
        return self.models.get(name)

    def __getitem__(self, name: str) -> LinearModel:
        try:
            return self.models[name]
        except KeyError:
            raise ModelError(f"the model artefact has no {name!r} model (run: python3 dev.py train)") from None


def save_models(path: Path, models: Mapping[str, LinearModel], meta: Mapping[str, object]) -> None:
    """Write models and metadata to one ``.npz`` file (deterministic bytes for the same inputs)."""
    arrays: dict[str, np.ndarray] = {}
    model_classes: dict[str, list[str]] = {}
    header = {"feature_version": FEATURE_VERSION, "hash_bits": HASH_BITS, **meta, "models": model_classes}
    for name, model in sorted(models.items()):
        model_classes[name] = list(model.classes)
        arrays[f"{name}.ids"] = model.feature_ids.astype(np.int64)
        arrays[f"{name}.weights"] = model.weights.astype(np.float32)
        arrays[f"{name}.bias"] = model.bias.astype(np.float32)
        if model.dense is not None:
            arrays[f"{name}.dense"] = model.dense.astype(np.float32)
    arrays["meta"] = np.frombuffer(json.dumps(header, sort_keys=True).encode("utf-8"), dtype=np.uint8)
    with path.open("wb") as handle:
        # The keys are "<model>.<part>" and "meta", never savez_compressed's `allow_pickle` keyword, which is what
        # mypy objects to in a `**dict[str, ndarray]`.
        np.savez_compressed(handle, **cast("dict[str, Any]", arrays))


def load_models(path: Path | None = None) -> ModelSet:
    """Load the artefact (default: the one shipped in ``bot/core/models``), checking it matches the features."""
    source = path if path is not None else resources.files("bot.core.models").joinpath(ARTEFACT)
    try:
        with source.open("rb") as handle, np.load(handle, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as exc:  # missing, empty, damaged
        raise ModelError(f"cannot read the model artefact {source}: {exc} (run: python3 dev.py train)") from exc
    try:
        meta = json.loads(arrays["meta"].tobytes().decode("utf-8"))
        if meta["feature_version"] != FEATURE_VERSION or meta["hash_bits"] != HASH_BITS:
            raise ModelError(
                f"the model artefact {source} was trained for features v{meta['feature_version']}, "
                f"this code computes v{FEATURE_VERSION} (run: python3 dev.py train)"
            )
        models = {
            name: LinearModel(
                name,
                tuple(classes),
                arrays[f"{name}.ids"],
                arrays[f"{name}.weights"].astype(np.float32),
                arrays[f"{name}.bias"].astype(np.float64),
                arrays.get(f"{name}.dense"),
            )
            for name, classes in meta["models"].items()
        }
    except (KeyError, UnicodeDecodeError, json.JSONDecodeError, TypeError) as exc:
        raise ModelError(f"the model artefact {source} is incomplete: {exc!r} (run: python3 dev.py train)") from exc
    return ModelSet(models, {k: v for k, v in meta.items() if k != "models"})
