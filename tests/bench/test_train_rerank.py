"""The re-ranker's training script: a community's own labelled questions join its training data."""

from __future__ import annotations

import re
from pathlib import Path

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
