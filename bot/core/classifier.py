"""Linear classifiers over hashed message features, loaded from the artefact that ``python3 dev.py train`` writes.

Inference is plain numpy (the training script uses scikit-learn; the bot does not need it). A model keeps only the
feature ids it saw in training, sorted, with one weight row each; a message's score for every class is the sum of
its known features' rows (each feature weighs ``1/sqrt(number of features)``, as in training) plus the bias.

A semantic model may also carry a :class:`KernelModel` (a support-vector machine with an RBF kernel over the sentence
embedding alone) whose class probabilities are blended with the linear ones: on routing it halves the messages given
a route they do not need (see :mod:`bench.train`).
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
class KernelModel:
    """A multi-class RBF support-vector machine with Platt-scaled one-against-one probabilities, as libsvm (and
    scikit-learn's ``SVC(probability=True)``) computes them; classes are ``0 .. k-1`` in the owner's class order."""

    support: np.ndarray  # float32, (support vectors, embedding dimensions), grouped by class
    counts: np.ndarray  # int64, (k,): support vectors per class
    dual: np.ndarray  # float64, (k - 1, support vectors): libsvm's one-against-one coefficients
    intercept: np.ndarray  # float64, (k (k - 1) / 2,): one per pair (i, j), i < j, in row order
    prob_a: np.ndarray  # float64, (pairs,): Platt sigmoid slope per pair
    prob_b: np.ndarray  # float64, (pairs,): Platt sigmoid offset per pair
    gamma: float

    def pair_probabilities(self, vector: np.ndarray) -> np.ndarray:
        """(k, k) matrix r with r[i, j] = P(class i | class i or j) for the message's embedding."""
        x = vector.astype(np.float32)
        squared = np.einsum("ij,ij->i", self.support, self.support) - 2.0 * (self.support @ x) + float(x @ x)
        kernel = np.exp(-self.gamma * np.maximum(squared, 0.0).astype(np.float64))
        k = self.counts.size
        # partial[row, c]: class c's support vectors weighted by coefficient row `row`; pair (i, j) (i < j) adds
        # class i's under row j - 1 and class j's under row i (libsvm's layout).
        starts = np.concatenate([[0], np.cumsum(self.counts)[:-1]])
        partial = np.add.reduceat(self.dual * kernel, starts, axis=1)
        first, second = np.triu_indices(k, 1)
        decision = partial[second - 1, first] + partial[first, second] + self.intercept
        f = decision * self.prob_a + self.prob_b
        p = np.where(f >= 0, np.exp(-np.abs(f)) / (1.0 + np.exp(-np.abs(f))), 1.0 / (1.0 + np.exp(-np.abs(f))))
        p = np.clip(p, 1e-7, 1.0 - 1e-7)
        r = np.zeros((k, k))
        r[first, second] = p
        r[second, first] = 1.0 - p
        return r

    def probabilities(self, vector: np.ndarray) -> np.ndarray:
        """Class probabilities: libsvm's pairwise coupling (Wu, Lin and Weng 2004, method 2) of the pair estimates."""
        r = self.pair_probabilities(vector)
        k = r.shape[0]
        q = -r.T * r  # q[t, j] = -r[j, t] r[t, j]
        np.fill_diagonal(q, (r**2).sum(axis=0) - np.diag(r) ** 2)
        p = np.full(k, 1.0 / k)
        for _ in range(max(100, k)):
            qp = q @ p
            pqp = float(p @ qp)
            if float(np.max(np.abs(qp - pqp))) < 0.005 / k:
                break
            for t in range(k):
                diff = (pqp - qp[t]) / q[t, t]
                p[t] += diff
                pqp = (pqp + diff * (diff * q[t, t] + 2 * qp[t])) / (1 + diff) ** 2
                qp = (qp + diff * q[t]) / (1 + diff)
                p /= 1 + diff
        return p


@dataclass(frozen=True, slots=True)
class LinearModel:
    """One multinomial (``len(classes) > 1``) or binary (one column, sigmoid) linear model."""

    name: str
    classes: tuple[str, ...]
    feature_ids: np.ndarray  # sorted int64, shape (k,)
    weights: np.ndarray  # float32, shape (k, columns)
    bias: np.ndarray  # float32, shape (columns,)
    dense: np.ndarray | None = None  # float32, shape (embedding dimensions, columns): a semantic model's weights
    kernel: KernelModel | None = None  # a semantic model's kernel machine over the embedding, blended in
    kernel_mix: float = 0.0  # the kernel machine's share of the probabilities

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
        """Class probabilities (softmax, or sigmoid for a binary model with one column), blended with the kernel
        machine's when the model has one."""
        scores = self.decision(ids, vector)
        if scores.size == 1:
            p = 1.0 / (1.0 + math.exp(-float(scores[0])))
            probs = np.array([1.0 - p, p])
        else:
            probs = np.exp(scores - scores.max())
            probs /= probs.sum()
        if self.kernel is not None and vector is not None:
            probs = (1.0 - self.kernel_mix) * probs + self.kernel_mix * self.kernel.probabilities(vector)
        return {label: float(p) for label, p in zip(self.classes, probs, strict=True)}


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
    kernels: dict[str, dict[str, float]] = {}
    header = {
        "feature_version": FEATURE_VERSION, "hash_bits": HASH_BITS, **meta, "models": model_classes, "kernels": kernels
    }  # fmt: skip
    for name, model in sorted(models.items()):
        model_classes[name] = list(model.classes)
        arrays[f"{name}.ids"] = model.feature_ids.astype(np.int64)
        arrays[f"{name}.weights"] = model.weights.astype(np.float32)
        arrays[f"{name}.bias"] = model.bias.astype(np.float32)
        if model.dense is not None:
            arrays[f"{name}.dense"] = model.dense.astype(np.float32)
        if model.kernel is not None:
            kernels[name] = {"gamma": model.kernel.gamma, "mix": model.kernel_mix}
            for part in _KERNEL_ARRAYS:
                arrays[f"{name}.kernel.{part}"] = getattr(model.kernel, part)
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
        kernels = meta.get("kernels", {})
        models = {
            name: LinearModel(
                name,
                tuple(classes),
                arrays[f"{name}.ids"],
                arrays[f"{name}.weights"].astype(np.float32),
                arrays[f"{name}.bias"].astype(np.float64),
                arrays.get(f"{name}.dense"),
                _load_kernel(arrays, name, kernels[name], len(classes)) if name in kernels else None,
                float(kernels[name]["mix"]) if name in kernels else 0.0,
            )
            for name, classes in meta["models"].items()
        }
    except (KeyError, UnicodeDecodeError, json.JSONDecodeError, TypeError) as exc:
        raise ModelError(f"the model artefact {source} is incomplete: {exc!r} (run: python3 dev.py train)") from exc
    return ModelSet(models, {k: v for k, v in meta.items() if k not in ("models", "kernels")})


_KERNEL_ARRAYS = ("support", "counts", "dual", "intercept", "prob_a", "prob_b")


def _load_kernel(arrays: Mapping[str, np.ndarray], name: str, header: Mapping[str, float], classes: int) -> KernelModel:
    parts = {part: arrays[f"{name}.kernel.{part}"] for part in _KERNEL_ARRAYS}
    kernel = KernelModel(
        parts["support"].astype(np.float32),
        parts["counts"].astype(np.int64),
        parts["dual"].astype(np.float64),
        parts["intercept"].astype(np.float64),
        parts["prob_a"].astype(np.float64),
        parts["prob_b"].astype(np.float64),
        float(header["gamma"]),
    )
    pairs = classes * (classes - 1) // 2
    consistent = (
        kernel.counts.shape == (classes,)
        and int(kernel.counts.sum()) == kernel.support.shape[0]
        and kernel.dual.shape == (classes - 1, kernel.support.shape[0])
        and kernel.intercept.shape == kernel.prob_a.shape == kernel.prob_b.shape == (pairs,)
    )
    if not consistent:
        raise ModelError(f"the {name} model's kernel machine has inconsistent shapes (run: python3 dev.py train)")
    return kernel
