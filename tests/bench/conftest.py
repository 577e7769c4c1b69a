"""Shared fixtures of the training-script tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

#: Two labelled questions about one page (one group: they land in the same split).
OUR_QUESTIONS = [
    {"id": "q1", "lang": "en", "text": "how do I pin a device to the beta channel?",
     "answer_docs": ["https://capgo.app/docs/live-updates/channels/"]},
    {"id": "q2", "lang": "fr", "text": "comment forcer un appareil sur le canal beta ?",
     "answer_docs": ["https://capgo.app/docs/live-updates/channels/"]},
]  # fmt: skip


@pytest.fixture
def ours(tmp_path: Path) -> Path:
    """A community's labelled folder (as `--extra` takes it) holding :data:`OUR_QUESTIONS`."""
    folder = tmp_path / "ours"
    folder.mkdir()
    text = "".join(json.dumps(r) + "\n" for r in OUR_QUESTIONS)
    (folder / "questions.jsonl").write_text(text, encoding="utf-8")
    return folder
