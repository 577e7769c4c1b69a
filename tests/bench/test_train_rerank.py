"""The re-ranker's training script: a community's own labelled questions join its training data."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bench import dataset, train_rerank
from tests.bench.conftest import OUR_QUESTIONS

DOCS = train_rerank.SHARED / "capgo-docs"
pytestmark = pytest.mark.skipif(
    not (dataset.EVAL.is_dir() and DOCS.is_dir()), reason="shared/eval or shared/capgo-docs not available"
)


def test_extra_labelled_questions_join_the_training_questions(
    ours: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    pytest.importorskip("sklearn")
    rows = OUR_QUESTIONS
    shared = len(dataset.load_split().part("train", "validation", kind="question"))
    extended = dataset.load_split(extra=[ours])
    in_training = len(extended.part("train", "validation", kind="question"))
    assert in_training == shared + 2  # both land outside the test split (one group: same page), or this proves nothing
    out = tmp_path / "rerank.npz"
    assert train_rerank.main(["--lexical-only", "--extra", str(ours), "--out", str(out)]) == 0
    table = capsys.readouterr().out
    assert re.search(rf"^\| all \| {in_training} \|", table, re.MULTILINE), table[:400]
    assert in_training - shared == sum(extended.split[f"local-ours-questions:{r['id']}"] != "test" for r in rows)
    assert out.exists()


def test_shipped_reranker_matches_the_training_script(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """The lexical pair is rebuilt from the labelled sets and compared with the shipped artefact; a copy with one
    weight nudged past the tolerance is reported stale. (The semantic pair needs the docs' section vectors, about
    11 minutes to embed on a fresh machine: `python3 dev.py train-rerank --check` checks it where they exist.)"""
    pytest.importorskip("sklearn")
    from bot.core import rerank

    shipped = rerank.load()
    meta_questions = len(dataset.load_split().part("train", "validation", kind="question"))
    with np.load(train_rerank.ARTEFACT_PATH) as data:
        meta = dict(zip(data["meta_keys"], data["meta_values"], strict=True))
    if int(meta.get("questions", -1)) != meta_questions:
        pytest.skip("the shipped re-ranker was trained on other data (train-rerank --extra ...)")
    assert train_rerank.main(["--check", "--lexical-only"]) == 0
    out = capsys.readouterr()
    assert "matches the training data" in out.out
    assert "not checked: the semantic pair" in out.err

    # Weights past the tolerance that rank the same (another CPU's round-off) pass on behaviour; a ranker that
    # orders the candidates otherwise is stale.
    nudged = replace(shipped, coef=shipped.coef + 10 * train_rerank.CHECK_TOLERANCE)
    index = train_rerank.build_index(vectors=False)
    questions = dataset.load_split().part("train", kind="question")[:40]
    same, gap, count = train_rerank.pair_behaviour(nudged, shipped, index, questions)
    assert (same, count) == (1.0, 40) and gap < 1e-4
    reversed_ranker = tmp_path / "rerank.npz"
    rerank.save(reversed_ranker, replace(shipped, coef=-shipped.coef), meta)
    assert train_rerank.main(["--check", "--lexical-only", "--out", str(reversed_ranker)]) == 1
    out = capsys.readouterr()
    assert "stale" in out.out and "MISMATCH lexical pair coef" in out.err and "ranks otherwise" in out.err
