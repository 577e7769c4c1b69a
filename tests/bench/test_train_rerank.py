"""The re-ranker's training script: a community's own labelled questions join its training data."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bench import dataset, train_rerank

DOCS = train_rerank.SHARED / "capgo-docs"
pytestmark = pytest.mark.skipif(
    not (dataset.EVAL.is_dir() and DOCS.is_dir()), reason="shared/eval or shared/capgo-docs not available"
)


def test_extra_labelled_questions_join_the_training_questions(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    pytest.importorskip("sklearn")
    ours = tmp_path / "ours"
    ours.mkdir()
    rows = [
        {"id": "q1", "lang": "en", "text": "how do I pin a device to the beta channel?",
         "answer_docs": ["https://capgo.app/docs/live-updates/channels/"]},
        {"id": "q2", "lang": "fr", "text": "comment forcer un appareil sur le canal beta ?",
         "answer_docs": ["https://capgo.app/docs/live-updates/channels/"]},
    ]  # fmt: skip
    (ours / "questions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
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
