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
        coverage=(0.0, 0.0, 0.0, 0.0, 0.2, 0.0),
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
        coverage=(0.7, 0.6, 0.5, 0.5, 0.9, 0.0),
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
    nothing = Candidate("https://x/c/", docs=0.02, faq=0.0, combined=0.02, page=0.02, coverage=(0, 0, 0, 0, 0.1, 0.0))
    _, weak_scores, _ = model.rank(_retrieval(nothing, replace(nothing, url="https://x/d/")))
    _, strong_scores, _ = model.rank(_weak_first_strong_second())
    # Without evidence the bot would not even suggest the page (default suggest threshold 0.35); with it, it would.
    assert weak_scores[0] < 0.35 < strong_scores[0]


def test_confidence_reads_the_message_language() -> None:
    """The same evidence in another language: only the language flags of the confidence features differ, and the
    shipped confidence model weighs them (the glossary and e5 leave some languages weaker than others)."""
    model = rerank.load()
    french, english = _weak_first_strong_second(), replace(_weak_first_strong_second(), lang="en")
    rows = {r.lang: rerank.candidate_features(r) for r in (french, english)}
    scores = model.scores(rows["fr"])
    fr = dict(zip(rerank.CONFIDENCE_FEATURES, rerank.confidence_features(scores, french, rows["fr"]), strict=True))
    en = dict(zip(rerank.CONFIDENCE_FEATURES, rerank.confidence_features(scores, english, rows["fr"]), strict=True))
    flags = [name for name in rerank.CONFIDENCE_FEATURES if name.startswith("lang_")]
    assert sorted(flags) == sorted(f"lang_{code}" for code in ("fr", "es", "it", "de", "pt", "id", "zh"))
    assert fr["lang_fr"] == 1.0 and sum(fr[name] for name in flags) == 1.0
    assert sum(en[name] for name in flags) == 0.0  # English is the reference level
    assert {k: v for k, v in fr.items() if k not in flags} == {k: v for k, v in en.items() if k not in flags}
    assert model.confidence(np.array(list(fr.values()))) != pytest.approx(model.confidence(np.array(list(en.values()))))


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


def test_packaged_artefact_has_a_semantic_pair() -> None:
    semantic = rerank.load().semantic
    assert semantic is not None and semantic.is_semantic
    assert semantic.coef.shape == (len(rerank.SEM_FEATURES),)
    assert semantic.conf_coef.shape == (len(rerank.SEM_CONFIDENCE_FEATURES),)


def _two_equal_candidates() -> Retrieval:
    # Lexically the same evidence, the first slightly ahead: the lexical pair keeps the index's order.
    a = Candidate(
        "https://x/a/",
        docs=0.3,
        faq=0.0,
        combined=0.3,
        page=0.3,
        section=0.3,
        summary=0.2,
        coverage=(0.3, 0.3, 0.2, 0.2, 0.6, 0.0),
    )
    return _retrieval(a, replace(a, url="https://x/b/", docs=0.29, combined=0.29, page=0.29))


def test_semantic_features_change_the_ranking() -> None:
    from bot.core.index import PageVectors

    model = rerank.load()
    retrieval = _two_equal_candidates()
    assert model.rank(retrieval)[0][0] == 0
    # The message's vector is close to page b and far from page a (and from the other pages of the site).
    rng = np.random.default_rng(0)
    others = rng.normal(size=(30, 16))
    matrix = np.vstack([[1.0] + [0.0] * 15, [0.0, 1.0] + [0.0] * 14, others / np.linalg.norm(others, axis=1)[:, None]])
    urls = ["https://x/a/", "https://x/b/", *(f"https://x/o{i}/" for i in range(30))]
    summaries_only = PageVectors.of(urls, matrix)
    query = np.array([0.1, 0.99] + [0.0] * 14)
    with pytest.raises(ValueError, match="section vectors"):
        rerank.page_similarities(retrieval, summaries_only, query)
    # Each page has two sections: its summary's direction, and a second one (page a's points away from the query).
    second = np.vstack([-matrix[0], matrix[1], matrix[2:]])
    vectors = PageVectors.of(urls, matrix, section_urls=urls + urls, section_matrix=np.vstack([matrix, second]))
    sims = rerank.page_similarities(retrieval, vectors, query)
    assert sims[1, 0] > sims[0, 0] and sims[1, 1] == 0.0  # page b is the closest page of all
    assert sims[1, 3] == pytest.approx(0.99) and sims[1, 4] == 0.0  # ... by its best section too
    order, scores, features = model.rank(retrieval, sims)
    assert order[0] == 1
    assert features["rerank_semantic"] == 1.0
    assert 0.0 <= scores[1] <= scores[0] <= 1.0
    # A lexical-only artefact ignores the similarities.
    assert replace(model, semantic=None).rank(retrieval, sims)[0][0] == 0


def test_semantic_pair_round_trips(tmp_path: Path) -> None:
    model = rerank.load()
    path = tmp_path / "both.npz"
    rerank.save(path, model)
    loaded = rerank.load(path)
    assert loaded.semantic is not None and model.semantic is not None
    assert np.array_equal(loaded.semantic.coef, model.semantic.coef)
    rerank.save(path, replace(model, semantic=None))
    assert rerank.load(path).semantic is None


def test_best_section_of_each_page_whatever_the_order_of_the_sections() -> None:
    from bot.core.index import PageVectors

    pages = np.eye(3, 4, dtype=np.float32)
    # Sections listed out of page order; page c has none.
    section_urls = ["b", "a", "b", "a"]
    sections = np.array([[0, 1, 0, 0], [0.6, 0, 0, 0.8], [0, 0.6, 0, 0.8], [1, 0, 0, 0]], dtype=np.float32)
    vectors = PageVectors.of(["a", "b", "c"], pages, section_urls=section_urls, section_matrix=sections)
    best = vectors.best_sections(np.array([0, 0, 0, 1], dtype=np.float32))
    assert best is not None
    assert best.tolist() == pytest.approx([0.8, 0.8, -1.0])
    assert PageVectors.of(["a", "b", "c"], pages).best_sections(np.ones(4)) is None
    with pytest.raises(ValueError, match="page 'd'"):
        PageVectors.of(["a", "b", "c"], pages, section_urls=["d"], section_matrix=sections[:1])


def test_query_adapter_learns_a_mapping_and_stays_near_identity_without_data() -> None:
    eye = rerank.fit_adapter(np.zeros((0, 4)), np.zeros((0, 4)))
    assert np.allclose(eye, np.eye(4))
    # Questions along axis 0 are answered by passages along axis 1.
    queries = np.tile([1.0, 0.0, 0.0, 0.0], (50, 1))
    targets = np.tile([0.0, 1.0, 0.0, 0.0], (50, 1))
    adapter = rerank.fit_adapter(queries, targets, ridge=1.0)
    mapped = rerank.adapted(adapter, np.array([1.0, 0.0, 0.0, 0.0]))
    assert mapped[1] > 0.9 and np.linalg.norm(mapped) == pytest.approx(1.0)
    untouched = rerank.adapted(adapter, np.array([0.0, 0.0, 1.0, 0.0]))  # no data there: left as it was
    assert untouched == pytest.approx([0.0, 0.0, 1.0, 0.0])


def test_section_evidence_mixes_the_adapted_query() -> None:
    from bot.core.index import PageVectors

    pages = np.eye(2, 4, dtype=np.float32)
    vectors = PageVectors.of(["a", "b"], pages, section_urls=["a", "b"], section_matrix=pages)
    query = np.array([1.0, 0.0, 0.0, 0.0], dtype=np.float32)
    plain = rerank.section_evidence(vectors, query)
    assert plain is not None and plain.tolist() == pytest.approx([1.0, 0.0])
    swap = np.array([[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], dtype=np.float64)
    mixed = rerank.section_evidence(vectors, query, swap)
    assert mixed is not None
    expected = (1 - rerank.ADAPTER_MIX) * np.array([1.0, 0.0]) + rerank.ADAPTER_MIX * np.array([0.0, 1.0])
    assert mixed.tolist() == pytest.approx(expected.tolist())
    # An adapter for vectors of another size (another encoder) is not applied.
    other = rerank.section_evidence(vectors, query, np.eye(8))
    assert other is not None and other.tolist() == pytest.approx([1.0, 0.0])


def test_query_adapter_round_trips_and_a_malformed_one_is_refused(tmp_path: Path) -> None:
    model = rerank.load()
    assert model.semantic is not None and model.semantic.adapter is not None
    assert model.semantic.adapter.shape == (384, 384)  # multilingual-e5-small
    path = tmp_path / "adapter.npz"
    rerank.save(path, model)
    loaded = rerank.load(path).semantic
    assert loaded is not None and loaded.adapter is not None
    assert np.allclose(loaded.adapter, model.semantic.adapter, atol=1e-6)
    rerank.save(path, replace(model, semantic=replace(model.semantic, adapter=np.ones((3, 4)))))
    with pytest.raises(rerank.RerankError, match="adapter"):
        rerank.load(path)


def test_centring_removes_part_of_the_language_mean() -> None:
    from bot.core.index import PageVectors

    query = np.array([0.6, 0.8, 0.0], dtype=np.float32)
    mean = np.array([0.0, 0.8, 0.0])
    out = rerank.centred(query, mean)
    expected = query - rerank.CENTERING * mean
    assert out == pytest.approx(expected / np.linalg.norm(expected))
    assert rerank.centred(query, None) is query
    assert rerank.centred(query, np.zeros(5)) is query  # a mean of another encoder is not applied
    # The section evidence reads the centred query: with the language's component gone, page b wins.
    pages = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]], dtype=np.float32)
    vectors = PageVectors.of(["a", "b"], pages, section_urls=["a", "b"], section_matrix=pages)
    plain = rerank.section_evidence(vectors, query)
    shifted = rerank.section_evidence(vectors, query, mean=np.array([0.0, 4.0, 0.0]))
    assert plain is not None and shifted is not None
    assert plain[0] > plain[1] and shifted[1] > shifted[0]


def test_language_means_round_trip_and_a_malformed_table_is_refused(tmp_path: Path) -> None:
    model = rerank.load()
    assert model.semantic is not None and model.semantic.lang_means
    assert set(model.semantic.lang_means) <= {"en", "fr", "es", "it", "de", "pt", "id", "zh"}
    assert all(v.shape == (384,) for v in model.semantic.lang_means.values())
    path = tmp_path / "means.npz"
    rerank.save(path, model)
    loaded = rerank.load(path).semantic
    assert loaded is not None and loaded.lang_means is not None
    for lang, mean in model.semantic.lang_means.items():
        assert np.allclose(loaded.lang_means[lang], mean, atol=1e-6)
    with np.load(path) as data:
        arrays = {key: data[key] for key in data.files}
    arrays["sem_lang_means"] = arrays["sem_lang_means"][:2]
    np.savez(path, **arrays)
    with pytest.raises(rerank.RerankError, match="language means"):
        rerank.load(path)


@pytest.mark.parametrize(
    ("urls", "order", "expected"),
    [
        # getting-started first, its index page second: the index page is shown first
        (["https://x/docs/nfc/getting-started/", "https://x/docs/nfc/", "https://x/docs/b/"], [0, 1, 2], [1, 0, 2]),
        # the index page third (within the window), anchors ignored
        (["https://x/docs/a/", "https://x/docs/nfc/#install", "https://x/docs/nfc/getting-started/#usage"], [2, 0, 1],
         [1, 2, 0]),
        # the index page beyond the window: unchanged
        (["https://x/docs/nfc/getting-started/", "https://x/a/", "https://x/b/", "https://x/docs/nfc/"], [0, 1, 2, 3],
         [0, 1, 2, 3]),
        # another section's index page: unchanged
        (["https://x/docs/nfc/getting-started/", "https://x/docs/nfc-reader/"], [0, 1], [0, 1]),
        # the index page first already, or no getting-started page first: unchanged
        (["https://x/docs/nfc/", "https://x/docs/nfc/getting-started/"], [0, 1], [0, 1]),
        ([], [], []),
    ],
)  # fmt: skip
def test_index_page_is_shown_before_its_getting_started_page(
    urls: list[str], order: list[int], expected: list[int]
) -> None:
    assert rerank.index_page_first(urls, order) == expected


def test_rank_shows_the_index_page_first_with_the_top_confidence() -> None:
    gs = Candidate("https://x/docs/nfc/getting-started/", docs=0.4, faq=0.0, combined=0.4, page=0.4, section=0.4,
                   summary=0.3, coverage=(0.5, 0.5, 0.5, 0.5, 0.8, 0.0))  # fmt: skip
    index = replace(gs, url="https://x/docs/nfc/", docs=0.1, combined=0.1, page=0.1, section=0.1, summary=0.1)
    model = rerank.load()
    scores_alone = model.scores(rerank.candidate_features(_retrieval(gs, index)))
    assert scores_alone[0] > scores_alone[1]  # the ranker alone prefers the getting-started page
    order, scores, _ = model.rank(_retrieval(gs, index))
    assert order == [1, 0]
    assert scores[0] >= scores[1]  # positions keep their scores: the top confidence goes with the first page
