"""Page-vector cache: round trip, only changed pages re-embedded, another encoder rebuilds, background attach."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from bot.services import page_vectors


class FakeEncoder:
    """Deterministic vectors from a hash of the text; counts what it was asked to embed."""

    dimensions = 8

    def __init__(self, name: str = "fake-v1") -> None:
        self.name = name
        self.passages: list[str] = []

    @staticmethod
    def vector(text: str) -> np.ndarray:
        """A deterministic unit vector of `text`."""
        seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")
        v = np.random.default_rng(seed).normal(size=FakeEncoder.dimensions).astype(np.float32)
        return v / np.linalg.norm(v)

    def encode(self, text: str) -> np.ndarray:
        """Query vector."""
        return self.vector("query: " + text)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        """Passage vectors."""
        self.passages.extend(texts)
        return np.vstack([self.vector(t) for t in texts])


SUMMARIES = {f"https://x/{i}/": f"Page {i}. About topic {i}." for i in range(5)}


def test_cache_round_trips_and_reembeds_only_changed_pages(tmp_path: Path) -> None:
    cache = tmp_path / "pv.npz"
    first = FakeEncoder()
    embedded = page_vectors.embed_pages(SUMMARIES, first, cache)
    urls, matrix = embedded.urls, embedded.matrix
    assert urls == tuple(SUMMARIES)
    assert matrix.shape == (5, 8)
    assert len(first.passages) == 5
    assert np.allclose(matrix[2], FakeEncoder.vector(SUMMARIES["https://x/2/"]))

    again = FakeEncoder()
    reloaded = page_vectors.embed_pages(SUMMARIES, again, cache).matrix
    assert again.passages == []
    assert np.array_equal(reloaded, matrix)

    changed = dict(SUMMARIES)
    changed["https://x/3/"] = "Page 3, rewritten."
    del changed["https://x/4/"]
    third = FakeEncoder()
    embedded = page_vectors.embed_pages(changed, third, cache, sections=dict.fromkeys(changed, ()))  # prunes
    urls, updated = embedded.urls, embedded.matrix
    assert third.passages == ["Page 3, rewritten."]
    assert len(urls) == 4
    assert np.array_equal(updated[:3], matrix[:3])
    assert len(page_vectors.VectorCache(cache, "fake-v1", 8).vectors) == 4  # the removed page left the cache


def test_another_encoder_or_a_corrupt_file_rebuilds(tmp_path: Path) -> None:
    cache = tmp_path / "pv.npz"
    page_vectors.embed_pages(SUMMARIES, FakeEncoder(), cache)
    other = FakeEncoder("fake-v2")
    page_vectors.embed_pages(SUMMARIES, other, cache)
    assert len(other.passages) == 5
    cache.write_bytes(b"not an npz")
    fresh = FakeEncoder("fake-v2")
    page_vectors.embed_pages(SUMMARIES, fresh, cache)
    assert len(fresh.passages) == 5


class _Index:
    page_vectors = None

    def attach_page_vectors(self, urls, matrix, encoder: str = "", **sections) -> None:  # type: ignore[no-untyped-def]
        self.page_vectors = (urls, matrix, sections)


def test_background_attach_sets_the_vectors(tmp_path: Path) -> None:
    index = _Index()
    sections = {url: (f"{text} first section", f"{text} second section") for url, text in SUMMARIES.items()}
    encoder = FakeEncoder()
    thread = page_vectors.attach_in_background(index, SUMMARIES, encoder, tmp_path / "pv.npz", sections=sections)  # type: ignore[arg-type]
    thread.join(timeout=10)
    assert index.page_vectors is not None
    _urls, matrix, attached = index.page_vectors
    assert matrix.shape == (5, 8) and attached["section_matrix"].shape == (10, 8)
    assert attached["section_urls"] == tuple(url for url in SUMMARIES for _ in range(2))
    assert len(encoder.passages) == 15  # summaries and sections share one cache: each text embedded once


def test_sections_share_the_cache_with_the_summaries(tmp_path: Path) -> None:
    cache = tmp_path / "pv.npz"
    sections = {url: (text,) for url, text in SUMMARIES.items()}  # a one-section page: the same text as its summary
    first = FakeEncoder()
    embedded = page_vectors.embed_pages(SUMMARIES, first, cache, sections=sections)
    assert len(first.passages) == 5
    assert np.array_equal(embedded.matrix, embedded.section_matrix)
    again = FakeEncoder()
    page_vectors.embed_pages(
        SUMMARIES, again, cache, sections={url: (*texts, "new") for url, texts in sections.items()}
    )
    assert again.passages == ["new"]  # only the text the cache lacks


def test_a_build_without_sections_keeps_the_cached_section_vectors(tmp_path: Path) -> None:
    cache = tmp_path / "pv.npz"
    sections = {url: (f"{text} Section A.", f"{text} Section B.") for url, text in SUMMARIES.items()}
    page_vectors.embed_pages(SUMMARIES, FakeEncoder(), cache, sections=sections)
    page_vectors.embed_pages(SUMMARIES, FakeEncoder(), cache)  # summaries only: must not prune the sections
    again = FakeEncoder()
    page_vectors.embed_pages(SUMMARIES, again, cache, sections=sections)
    assert again.passages == []
