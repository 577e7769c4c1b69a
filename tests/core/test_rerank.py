"""The learned re-ranker: artefact, inference on constructed candidates, deterministic training."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bot.core import rerank
from bot.core.index import Candidate, Retrieval

FEATURES = {"coverage": 0.3, "margin": 0.01, "faq_similarity": 0.0, "agreement": 0.0, "log_tokens": 2.0}


def _retrieval(*candidates: Candidate, lang: str = "fr") -> Retrieval:
    return Retrieval(lang, {"rollback": 1.0}, candidates, FEATURES)


def _weak_first_strong_second() -> Retrieval:
    # The lexical order puts a page matching one common word first; the second page is what an FAQ entry in the
    # user's language points at, and its title, headings and body hold most of the query.
    weak = Candidate(
        "https://x/a/",
        docs=0.31,
        faq=0.0,
        combined=0.31,
        page=0.31,
        section=0.3,
        summary=0.05,
        coverage=(0.0, 0.0, 0.0, 0.0, 0.2),
    )
    strong = Candidate(
        "https://x/b/",
        docs=0.2,
        faq=0.28,
        combined=0.30,
        entry="b",
        faq_similarity=0.9,
        faq_link=0.0,
        page=0.2,
        section=0.2,
        summary=0.3,
        coverage=(0.7, 0.6, 0.5, 0.5, 0.9),
    )
    return _retrieval(weak, strong)


def test_packaged_artefact_loads_with_these_features() -> None:
    model = rerank.load()
    assert model.coef.shape == (len(rerank.FEATURES),)
    assert model.conf_coef.shape == (len(rerank.CONFIDENCE_FEATURES),)
    assert model.pool >= 5
    assert np.all(model.scale > 0)


def test_reranker_moves_the_supported_candidate_up() -> None:
    order, scores, features = rerank.load().rank(_weak_first_strong_second())
    assert order[0] == 1
    assert 0.0 <= scores[1] <= scores[0] <= 1.0
    assert features["rerank_confidence"] == pytest.approx(scores[0])


def test_confidence_is_low_without_evidence() -> None:
    model = rerank.load()
    nothing = Candidate("https://x/c/", docs=0.02, faq=0.0, combined=0.02, page=0.02, coverage=(0, 0, 0, 0, 0.1))
    _, weak_scores, _ = model.rank(_retrieval(nothing, replace(nothing, url="https://x/d/")))
    _, strong_scores, _ = model.rank(_weak_first_strong_second())
    assert weak_scores[0] < 0.5 < strong_scores[0]


def test_stale_or_missing_artefact_is_refused(tmp_path: Path) -> None:
    model = rerank.load()
    good = tmp_path / "ok.npz"
    rerank.save(good, model)
    assert np.array_equal(rerank.load(good).coef, model.coef)
    stale = tmp_path / "stale.npz"
    np.savez(stale, version=np.array(rerank.FEATURE_VERSION), features=np.array(["other"]))
    with pytest.raises(rerank.RerankError):
        rerank.load(stale)
    assert rerank.load_optional(tmp_path / "missing.npz") is None


def test_training_is_deterministic_on_a_fixed_input() -> None:
    pytest.importorskip("sklearn")
    from bench.train_rerank import Query, fit_ranker

    rng = np.random.default_rng(0)
    queries = []
    for i in range(12):
        x = rng.normal(size=(6, len(rerank.FEATURES)))
        y = np.zeros(6)
        y[i % 6] = 1.0
        x[i % 6, 0] += 2.0  # the correct candidate has a higher first feature
        queries.append(Query(f"q{i}", "en", frozenset({"u"}), _retrieval(), x, y, (), 0.0))
    first = fit_ranker(queries)
    second = fit_ranker(list(queries))
    for a, b in zip(first, second, strict=True):
        assert np.array_equal(a, b)
    assert first[2][0] > 0  # it learned the signal
