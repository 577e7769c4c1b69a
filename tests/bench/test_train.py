"""Tests of the training data split and of the shipped model artefact against the training script (bench/train.py).

Skipped when the labelled sets (``shared/eval``) are not available; the artefact check also needs scikit-learn.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from bench import dataset

pytestmark = pytest.mark.skipif(not dataset.EVAL.is_dir(), reason=f"{dataset.EVAL} not available")


@pytest.fixture(scope="module")
def split() -> dataset.Split:
    return dataset.load_split()


def test_split_is_stable_and_grouped(split: dataset.Split) -> None:
    uids = [e.uid for e in split.examples]
    assert len(uids) == len(set(uids))
    assert set(split.split) == set(uids) == set(split.group)
    assert set(split.split.values()) == set(dataset.SPLITS)
    members: dict[str, set[str]] = defaultdict(set)
    for uid, representative in split.group.items():
        members[representative].add(uid)
    for representative, group in members.items():
        assert representative == min(group)  # a group is named by its smallest uid
        assert len({split.split[uid] for uid in group}) == 1  # and never straddles two splits
    test_share = sum(s == "test" for s in split.split.values()) / len(uids)
    assert 0.12 <= test_share <= 0.30
    again = dataset.load_split()
    assert again.split == split.split and again.group == split.group
    assert [e.uid for e in again.examples] == uids


def test_folds_keep_groups_together(split: dataset.Split) -> None:
    pool = split.part("train", "validation")
    held_out: list[str] = []
    for kept, held in split.folds(pool, 5):
        assert not {split.group[e.uid] for e in kept} & {split.group[e.uid] for e in held}
        held_out.extend(e.uid for e in held)
    assert sorted(held_out) == sorted(e.uid for e in pool)  # every example is held out exactly once


def test_shipped_ngram_models_match_the_training_script(split: dataset.Split) -> None:
    pytest.importorskip("sklearn")
    from bench import train
    from bot.core.classifier import load_models

    params = load_models(train.OUT).meta["params"]
    assert isinstance(params, dict)
    pool = split.part("train", "validation")
    features = train.Features(pool)  # n-gram features only: the semantic models need the encoder
    built = {
        task.name: train.fit(task, pool, features, params[task.name]["C"], params[task.name]["class_weight"])
        for task in train.TASKS
    }
    assert set(built) == {"intent", "route", "steps"}
    assert train.compare(built, train.OUT) == []
