"""The engine with and without page vectors: the semantic re-ranker is used only when both vectors exist."""

from __future__ import annotations

import hashlib
from datetime import datetime

import numpy as np
import pytest

from bot.core import rerank
from bot.core.triage import TriageEngine
from tests.conftest import build_test_engine


class CountingEncoder:
    """Deterministic unit vectors from a hash of the text; counts the query embeddings asked of it."""

    name = "fake"
    dimensions = 8

    def __init__(self) -> None:
        self.queries = 0

    @staticmethod
    def _vector(text: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")
        v = np.random.default_rng(seed).normal(size=8).astype(np.float32)
        return v / np.linalg.norm(v)

    def encode(self, text: str) -> np.ndarray:
        self.queries += 1
        return self._vector(text)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return np.vstack([self._vector(t) for t in texts])


@pytest.fixture
def engine_with_reranker() -> TriageEngine:
    engine = build_test_engine()
    engine.index.reranker = rerank.load()  # the small test site is below MIN_PAGES: attached by hand
    return engine


def test_engine_works_without_vectors(engine_with_reranker: TriageEngine, now: datetime) -> None:
    engine = engine_with_reranker
    encoder = CountingEncoder()
    engine.encoder = encoder
    engine.gate = "always"
    assert engine.wants_page_vectors and not engine.index.semantic_ready
    result = engine.triage("Comment installer le plugin ?", now=now)
    assert result.search.features.get("rerank_semantic") == 0.0
    assert encoder.queries == 0  # no page vectors yet: nothing to compare a query vector with


def test_engine_uses_the_semantic_pair_once_vectors_are_attached(
    engine_with_reranker: TriageEngine, now: datetime
) -> None:
    engine = engine_with_reranker
    encoder = CountingEncoder()
    engine.encoder = encoder
    summaries = engine.page_summaries
    engine.index.attach_page_vectors(list(summaries), encoder.encode_passages(list(summaries.values())))
    assert not engine.index.semantic_ready  # the semantic pair reads the sections' vectors too
    sections = [(url, text) for url, texts in engine.page_sections.items() for text in texts]
    engine.index.attach_page_vectors(
        list(summaries),
        encoder.encode_passages(list(summaries.values())),
        section_urls=[url for url, _ in sections],
        section_matrix=encoder.encode_passages([text for _, text in sections]),
    )
    assert engine.index.semantic_ready and not engine.wants_page_vectors
    english = engine.triage("How do I install the plugin?", now=now)
    assert english.search.features.get("rerank_semantic") == 0.0  # default gate: English stays lexical
    assert encoder.queries == 0
    french = engine.triage("Comment installer le plugin ?", now=now)
    assert french.search.features.get("rerank_semantic") == 1.0
    assert encoder.queries == 1
    engine.triage("merci beaucoup 🙂", now=now)  # chit-chat: never embedded for the search
    assert encoder.queries == 1
    engine.gate = "always"
    assert engine.triage("How do I install the plugin?", now=now).search.features.get("rerank_semantic") == 1.0


def test_unknown_gate_is_refused(engine_with_reranker: TriageEngine) -> None:
    with pytest.raises(ValueError):
        TriageEngine(
            engine_with_reranker.index,
            engine_with_reranker.render_context,
            engine_with_reranker.settings,
            gate="sometimes",
        )


def test_the_closest_pages_by_section_join_the_semantic_candidates(engine_with_reranker: TriageEngine) -> None:
    index = engine_with_reranker.index
    urls = [page.url for page in index.pages]
    # One section per page; the query is closest to the last page's section, then the one before it.
    dims = len(urls) + 1
    matrix = np.eye(len(urls), dims, dtype=np.float32)
    index.attach_page_vectors(urls, matrix, section_urls=urls, section_matrix=matrix)
    query = np.zeros(dims, dtype=np.float32)
    query[len(urls) - 1], query[len(urls) - 2] = 0.8, 0.6
    best = index.page_vectors.best_sections(query)
    assert best is not None
    assert rerank.semantic_neighbours(index.page_vectors, best, count=2) == [urls[-1], urls[-2]]
    text = "how do I initialise the widget?"
    lexical = {c.url.split("#", 1)[0] for c in index.retrieve(text, "en", 1, fields=True).candidates}
    far = next(url for url in reversed(urls) if url not in lexical)  # a page outside the (one) lexical candidate
    widened = index.retrieve(text, "en", 1, fields=True, also=[far, far])
    added = [c for c in widened.candidates if c.url == far]
    assert len(added) == 1 and widened.candidates[-1].url == far  # once, after the lexical candidates
    assert added[0].docs == 0.0 and added[0].faq == 0.0 and len(added[0].coverage) == len(rerank.COVERAGE)
