"""bench quality's cross-validated retrieval: each fold's re-ranker never saw that fold's labels."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from bench import dataset, train_rerank

DOCS = train_rerank.SHARED / "capgo-docs"
pytestmark = pytest.mark.skipif(
    not (dataset.EVAL.is_dir() and DOCS.is_dir()), reason="shared/eval or shared/capgo-docs not available"
)
ARRAYS = ("mean", "scale", "coef", "conf_mean", "conf_scale", "conf_coef", "conf_bias")


def test_a_fold_s_reranker_does_not_depend_on_that_fold_s_labels() -> None:
    """Relabel every question of fold 0 with a wrong page: fold 0's re-ranker (ranker and nested confidence) must
    come out identical, the other folds' must change: the held fold reaches its model through no path."""
    pytest.importorskip("sklearn")
    split = dataset.load_split()
    index = train_rerank.build_index(vectors=False)  # lexical pair: no encoder, no adapter
    before = train_rerank.fold_rerankers(split, index, None)
    assert sorted(before) == list(range(train_rerank.FOLDS))
    assert all(model.semantic is None for model in before.values())

    questions = split.part("train", "validation", kind="question")
    held = {e.uid for _, fold_zero in [next(iter(split.folds(questions)))] for e in fold_zero}
    assert held  # fold 0 holds questions, or this proves nothing
    wrong = ("https://capgo.app/docs/faq/",)
    relabelled = tuple(
        replace(e, answer_docs=wrong if e.answer_docs != wrong else ("https://capgo.app/docs/getting-started/",))
        if e.uid in held
        else e
        for e in split.examples
    )
    after = train_rerank.fold_rerankers(replace(split, examples=relabelled), index, None)

    for key in ARRAYS:
        assert np.array_equal(getattr(before[0], key), getattr(after[0], key)), key
    changed = [fold for fold in range(1, train_rerank.FOLDS) if not np.array_equal(before[fold].coef, after[fold].coef)]
    assert changed == list(range(1, train_rerank.FOLDS))
