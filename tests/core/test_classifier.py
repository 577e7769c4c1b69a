"""Tests of bot.core.classifier: the linear models' inference and the artefact's format."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pytest

from bot.core.classifier import KernelModel, LinearModel, ModelError, ModelSet, load_models, save_models
from bot.core.features import FEATURE_VERSION, HASH_BITS

TRAIN = re.escape("python3 dev.py train")  # every ModelError says how to rebuild the artefact


def _multinomial(dense: bool = False) -> LinearModel:
    weights = np.array([[1.0, -1.0, 0.0], [0.5, 0.5, -2.0], [-1.0, 2.0, 0.0]], np.float32)
    return LinearModel(
        "intent+sem" if dense else "intent",
        ("question", "bug_report", "chitchat"),
        np.array([3, 17, 40], np.int64),
        weights,
        np.array([0.1, 0.0, -0.1], np.float64),
        np.array([[0.3, -0.3, 0.0], [0.0, 1.0, -1.0]], np.float32) if dense else None,
    )


def _binary() -> LinearModel:
    return LinearModel(
        "steps", ("no", "yes"), np.array([5, 9], np.int64), np.array([[2.0], [-1.0]], np.float32), np.array([-0.5])
    )


def _kernel() -> KernelModel:
    """A three-class kernel machine over 2-d embeddings: one support vector per class, at (1, 0), (0, 1), (-1, 0);
    each pair's decision favours the class whose support vector is nearer, with Platt slope -2."""
    # libsvm layout: for pair (i, j), class i's coefficients are in row j - 1, class j's in row i (each pair: K_i - K_j)
    dual = np.array([[1.0, -1.0, -1.0], [1.0, 1.0, -1.0]])
    return KernelModel(
        np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]], np.float32),
        np.array([1, 1, 1], np.int64),
        dual,
        np.zeros(3),
        np.full(3, -2.0),
        np.zeros(3),
        1.0,
    )


def test_kernel_machine_prefers_the_class_of_the_nearest_support_vector() -> None:
    kernel = _kernel()
    for vector, nearest in (([0.9, 0.1], 0), ([0.1, 0.9], 1), ([-0.9, -0.1], 2)):
        probs = kernel.probabilities(np.array(vector, np.float32))
        assert probs.sum() == pytest.approx(1.0)
        assert int(np.argmax(probs)) == nearest
        pairs = kernel.pair_probabilities(np.array(vector, np.float32))
        assert pairs + pairs.T == pytest.approx(1.0 - np.eye(3))  # r[i, j] + r[j, i] = 1
    # Symmetric evidence, symmetric probabilities: halfway between classes 0 and 2 they tie.
    tie = kernel.probabilities(np.array([0.0, -1.0], np.float32))
    assert tie[0] == pytest.approx(tie[2], abs=2e-3)  # the coupling iterates to a tolerance of 0.005 / k


def test_semantic_model_blends_its_kernel_machine() -> None:
    base = _multinomial(dense=True)
    blended = dataclasses.replace(base, kernel=_kernel(), kernel_mix=0.7)
    ids, vector = np.array([3], np.int64), np.array([0.1, 0.9], np.float32)
    linear = np.array(list(base.probabilities(ids, vector).values()))
    kernel = blended.kernel.probabilities(vector) if blended.kernel else None
    assert kernel is not None
    got = np.array(list(blended.probabilities(ids, vector).values()))
    assert got == pytest.approx(0.3 * linear + 0.7 * kernel)
    assert got.sum() == pytest.approx(1.0)


def test_multinomial_probabilities_sum_to_one() -> None:
    model = _multinomial()
    for ids in (np.array([3, 40], np.int64), np.array([1, 2, 99], np.int64), np.zeros(0, np.int64)):
        probs = model.probabilities(ids)
        assert list(probs) == ["question", "bug_report", "chitchat"]
        assert sum(probs.values()) == pytest.approx(1.0)
        assert all(0.0 < p < 1.0 for p in probs.values())
    # known features move the scores (each weighs 1/sqrt(number of features)); unknown ones are ignored
    assert (
        model.probabilities(np.array([40], np.int64))["bug_report"]
        > model.probabilities(np.zeros(0, np.int64))["bug_report"]
    )
    assert model.decision(np.array([1, 40, 10**6], np.int64)) == pytest.approx(
        np.array([0.1, 0.0, -0.1]) + np.array([-1.0, 2.0, 0.0]) / np.sqrt(3)
    )


def test_binary_probabilities_sum_to_one() -> None:
    model = _binary()
    probs = model.probabilities(np.array([5], np.int64))
    assert list(probs) == ["no", "yes"]
    assert sum(probs.values()) == pytest.approx(1.0)
    assert probs["yes"] == pytest.approx(1.0 / (1.0 + np.exp(-1.5)))


def test_semantic_model_needs_the_vector() -> None:
    model = _multinomial(dense=True)
    assert model.semantic and not _multinomial().semantic
    ids = np.array([3], np.int64)
    with pytest.raises(ValueError, match="embedding"):
        model.probabilities(ids)
    with_vector = model.probabilities(ids, np.array([1.0, 0.0], np.float32))
    assert sum(with_vector.values()) == pytest.approx(1.0)
    assert with_vector != pytest.approx(model.probabilities(ids, np.array([0.0, 1.0], np.float32)))


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    models = {m.name: m for m in (_multinomial(), _multinomial(dense=True), _binary())}
    path = tmp_path / "models.npz"
    save_models(path, models, {"route_threshold": 0.4, "params": {"intent": {"C": 8.0}}})
    loaded = load_models(path)
    assert set(loaded.models) == set(models)
    for name, model in models.items():
        got = loaded[name]
        assert got.name == name and got.classes == model.classes
        assert np.array_equal(got.feature_ids, model.feature_ids)
        assert np.array_equal(got.weights, model.weights)
        assert np.allclose(got.bias, model.bias)
        assert (got.dense is None) == (model.dense is None)
        if model.dense is not None:
            assert np.array_equal(got.dense, model.dense)
        ids = np.array([3, 5, 17], np.int64)
        vector = np.array([0.6, 0.8], np.float32) if model.semantic else None
        assert got.probabilities(ids, vector) == pytest.approx(model.probabilities(ids, vector))
    assert loaded.meta["route_threshold"] == 0.4
    assert loaded.meta["params"] == {"intent": {"C": 8.0}}
    assert loaded.meta["feature_version"] == FEATURE_VERSION and loaded.meta["hash_bits"] == HASH_BITS
    assert loaded.get("route") is None
    with pytest.raises(ModelError, match=TRAIN):
        loaded["route"]


def test_kernel_machine_round_trips_and_bad_shapes_are_refused(tmp_path: Path) -> None:
    blended = dataclasses.replace(_multinomial(dense=True), kernel=_kernel(), kernel_mix=0.7)
    path = tmp_path / "models.npz"
    save_models(path, {blended.name: blended, "steps": _binary()}, {})
    loaded = load_models(path)
    got = loaded[blended.name]
    assert got.kernel is not None and got.kernel_mix == 0.7 and loaded["steps"].kernel is None
    ids, vector = np.array([3, 17], np.int64), np.array([0.6, 0.8], np.float32)
    assert got.probabilities(ids, vector) == pytest.approx(blended.probabilities(ids, vector))
    assert "kernels" not in loaded.meta
    # A kernel machine whose coefficients do not match its support vectors is refused at load, naming the model.
    broken = dataclasses.replace(blended, kernel=dataclasses.replace(_kernel(), dual=np.zeros((2, 2))))
    save_models(path, {broken.name: broken}, {})
    with pytest.raises(ModelError, match=r"intent\+sem model's kernel machine has inconsistent shapes"):
        load_models(path)


def test_save_is_deterministic(tmp_path: Path) -> None:
    models = {"steps": _binary()}
    save_models(tmp_path / "a.npz", models, {"x": 1})
    save_models(tmp_path / "b.npz", models, {"x": 1})
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()


@pytest.mark.parametrize("content", [b"", b"not a zip file", b"PK\x03\x04 truncated"])
def test_corrupt_artefact_raises_model_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "models.npz"
    path.write_bytes(content)
    with pytest.raises(ModelError, match=TRAIN):
        load_models(path)


def test_damaged_artefact_raises_model_error(tmp_path: Path) -> None:
    path = tmp_path / "models.npz"
    save_models(path, {m.name: m for m in (_multinomial(), _binary())}, {})
    data = path.read_bytes()
    for damaged in (data[: len(data) // 2], data[:100] + bytes(b ^ 0xFF for b in data[100:300]) + data[300:]):
        path.write_bytes(damaged)
        with pytest.raises(ModelError, match=TRAIN):
            load_models(path)


def test_missing_artefact_raises_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=TRAIN):
        load_models(tmp_path / "absent.npz")


def test_artefact_for_other_features_or_incomplete_raises_model_error(tmp_path: Path) -> None:
    path = tmp_path / "models.npz"
    save_models(path, {"steps": _binary()}, {"feature_version": FEATURE_VERSION + 1})
    with pytest.raises(ModelError, match=r"features v.*python3 dev\.py train"):
        load_models(path)
    header = {"feature_version": FEATURE_VERSION, "hash_bits": HASH_BITS, "models": {"steps": ["no", "yes"]}}
    np.savez(path, meta=np.frombuffer(json.dumps(header).encode(), dtype=np.uint8))  # no weight arrays
    with pytest.raises(ModelError, match="incomplete.*" + TRAIN):
        load_models(path)


def test_shipped_artefact_has_every_model() -> None:
    shipped = load_models()
    assert isinstance(shipped, ModelSet)
    for name in ("intent", "route", "steps"):
        assert not shipped[name].semantic
        assert np.all(np.diff(shipped[name].feature_ids) > 0)
        assert shipped[name].feature_ids.max() < 2**HASH_BITS
    assert shipped["intent"].classes == ("question", "bug_report", "chitchat")
    assert shipped["route"].classes == ("none", "billing", "account", "out_of_scope", "incident", "escalate")
    assert shipped["steps"].classes == ("no", "yes")
    assert isinstance(shipped.meta["params"], dict)
