"""The doc index: one search over curated FAQ entries and docs sections, with a calibrated confidence.

Engine (see README, "Matching", for the measurements behind these choices):
- lexical: BM25 over three collections (docs sections, whole-page summaries, FAQ entries in all 8 languages),
  scored with precomputed per-term weight vectors in numpy, so a query costs a few vector adds per term;
- cross-lingual: queries keep their own words (FAQ entries carry phrasings in every language) and gain
  English terms from the domain glossary (to reach the English docs); Chinese is matched on bigrams;
- fuzzy (rapidfuzz): typo repair of unknown query words against the index vocabulary, and the similarity of
  the message to the closest FAQ phrasing in its language;
- confidence: a logistic function of rank-independent features (share of the query's IDF mass matched,
  margin over the runner-up, FAQ phrasing similarity, FAQ/docs agreement), fitted offline by
  `bench/calibrate.py`, so 0.7 means "about 70% of answers at this score were right" in every language.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from bot.core.bm25 import Bm25 as Bm25
from bot.core.docs import DocPage
from bot.core.faq import FaqEntry
from bot.core.faq_index import FaqIndex
from bot.core.page_index import FIELDS as FIELDS
from bot.core.page_index import IndexedPage, PageIndex
from bot.core.query_terms import QueryTerms
from bot.core.text import Vocabulary, _chunk_tokens, default_vocabulary, identifier_tokens

if TYPE_CHECKING:
    from bot.core.rerank import Reranker

# Logistic calibration (bench/calibrate.py prints a fresh fit): confidence = sigmoid(bias + w . features).
CALIBRATION: Mapping[str, float] = {
    "bias": -1.166,
    "coverage": 1.026,
    "margin": 4.039,
    "faq_similarity": 0.939,
    "agreement": 1.028,
}


@dataclass(frozen=True, slots=True)
class Match:
    """One ranked result: a page (or FAQ answer) with its calibrated confidence."""

    url: str  # canonical page URL (English), anchor allowed
    title: str
    score: float  # calibrated confidence, 0..1
    source: str  # "faq" or "docs"
    entry_id: str | None = None  # the FAQ entry when source == "faq"
    heading: str = ""  # best docs section heading
    raw: float = 0.0  # uncalibrated combined score, for diagnostics


@dataclass(frozen=True, slots=True)
class SearchResult:
    """Ranked matches plus the features the confidence was computed from (for `why` explanations)."""

    matches: tuple[Match, ...]
    features: Mapping[str, float] = field(default_factory=dict)

    @property
    def best(self) -> Match | None:
        """Return the top match, if any."""
        return self.matches[0] if self.matches else None


@dataclass(frozen=True, slots=True)
class Candidate:
    """One candidate page of a retrieval, with the score components the ranking and the re-ranker use."""

    url: str
    docs: float  # docs score (0 when the page is not among the docs candidates)
    faq: float  # best FAQ entry score for this URL (0 when no candidate entry links to it)
    combined: float  # the lexical ranking score
    heading: str = ""
    entry: str | None = None  # best FAQ entry linking here
    faq_similarity: float = 0.0  # fuzzy similarity of the message to that entry's closest phrasing
    faq_link: float = -1.0  # position of this URL among that entry's links (-1: none)
    page: float = 0.0  # docs page score even when the page was not a docs candidate
    section: float = 0.0  # best section score of the page
    summary: float = 0.0  # page summary score (title, description, headings, path)
    coverage: tuple[float, ...] = ()  # share of the query's IDF mass in FIELDS + body, then of its identifiers


@dataclass(frozen=True, slots=True)
class PageVectors:
    """Sentence-encoder vectors of the docs pages (L2-normalised rows) for the semantic re-ranker: one per page
    (its summary) and one per section (`sections`, with the page row of each in `section_page`)."""

    rows: Mapping[str, int]  # page URL (no anchor) -> row of `matrix`
    matrix: np.ndarray  # pages x dimensions, float32
    encoder: str = ""
    sections: np.ndarray | None = None  # sections x dimensions, float32, grouped by page (rows ascending)
    section_page: np.ndarray | None = None  # the `matrix` row of each section's page (int64, non-decreasing)
    urls: tuple[str, ...] = ()  # the page URL of each `matrix` row

    @classmethod
    def of(
        cls,
        urls: Sequence[str],
        matrix: np.ndarray,
        encoder: str = "",
        section_urls: Sequence[str] | None = None,
        section_matrix: np.ndarray | None = None,
    ) -> PageVectors:
        """Build from page URLs and their vectors, in the same order, and optionally the sections' page URLs and
        vectors (every section's page among `urls`)."""
        matrix = np.ascontiguousarray(matrix, dtype=np.float32)
        if matrix.ndim != 2 or len(urls) != matrix.shape[0]:
            raise ValueError(f"page vectors: {len(urls)} URLs for a matrix of shape {matrix.shape}")
        rows = {url: i for i, url in enumerate(urls)}
        if section_urls is None or section_matrix is None:
            return cls(rows, matrix, encoder, urls=tuple(urls))
        sections = np.ascontiguousarray(section_matrix, dtype=np.float32)
        if sections.ndim != 2 or len(section_urls) != sections.shape[0] or sections.shape[1] != matrix.shape[1]:
            raise ValueError(f"section vectors: {len(section_urls)} URLs for a matrix of shape {sections.shape}")
        try:
            page_of = np.array([rows[url] for url in section_urls], dtype=np.int64)
        except KeyError as exc:
            raise ValueError(f"section vectors: page {exc} has no page vector") from exc
        order = np.argsort(page_of, kind="stable")  # grouped by page, so a max per page is one reduceat
        return cls(rows, matrix, encoder, sections[order], page_of[order], tuple(urls))

    def best_sections(self, query: np.ndarray) -> np.ndarray | None:
        """Per page row, the highest cosine of the query with one of its sections (-1 for a page without sections);
        None without section vectors."""
        if self.sections is None or self.section_page is None or not len(self.section_page):
            return None
        # einsum, not BLAS: a product this size wakes OpenBLAS's threads (see bot/__init__.py); 0.4 ms either way.
        sims = np.einsum("ij,j->i", self.sections, np.asarray(query, dtype=np.float32))
        starts = np.flatnonzero(np.r_[True, self.section_page[1:] != self.section_page[:-1]])
        best = np.full(self.matrix.shape[0], -1.0, dtype=np.float64)
        best[self.section_page[starts]] = np.maximum.reduceat(sims, starts)
        return best


@dataclass(frozen=True, slots=True)
class Retrieval:
    """The lexical candidates of one message, best first, and the top match's calibration features."""

    lang: str
    tokens: Mapping[str, float]
    candidates: tuple[Candidate, ...]
    features: Mapping[str, float]


class DocIndex:
    """Search FAQ entries and docs pages together. Build it once with `DocIndex.build(...)`.

    The work is shared by three collaborators built here: `PageIndex` (docs sections and page summaries),
    `FaqIndex` (FAQ entries, phrasings and links) and `QueryTerms` (tokens, typo repair, weights, IDF ceiling);
    this class fuses their scores into ranked candidates and matches.
    """

    def __init__(
        self,
        pages: Sequence[DocPage],
        entries: Sequence[FaqEntry],
        placeholders: Mapping[str, str],
        site_url: str,
        vocabulary: Vocabulary | None = None,
    ) -> None:
        self.vocabulary = vocabulary or default_vocabulary()  # glossary + stopwords for indexing and queries
        self.docs = PageIndex(pages, self.vocabulary)
        self.pages: tuple[IndexedPage, ...] = self.docs.pages
        self.reranker: Reranker | None = None  # set by the engine when a trained artefact is available
        # Set once the page vectors are ready (possibly from another thread: one atomic attribute assignment).
        self.page_vectors: PageVectors | None = None
        self.faq = FaqIndex(entries, placeholders, site_url, self.vocabulary)
        self.entries = self.faq.entries
        self.query = QueryTerms(self.vocabulary, self.docs.sections, self.docs.summaries, self.faq.bm25)
        # Names kept from before the split (benchmarks and checks read them).
        self._summary_urls, self._page_id = self.docs.summary_urls, self.docs.page_id
        self._canonical, self._ceiling_idf = self.faq.canonical, self.query.ceiling_idf
        _chunk_tokens.cache_clear()  # the build filled it with docs words; queries start fresh (bounded LRU)

    @classmethod
    def build(
        cls,
        pages: Sequence[DocPage],
        entries: Sequence[FaqEntry],
        placeholders: Mapping[str, str],
        site_url: str,
        vocabulary: Vocabulary | None = None,
    ) -> DocIndex:
        """Build the index from parsed docs pages and FAQ entries (default vocabulary: the packaged glossary)."""
        return cls(pages, entries, placeholders, site_url, vocabulary)

    def canonical_link(self, entry: FaqEntry) -> str:
        """Return the absolute URL of an FAQ entry's first (best) link."""
        return self.faq.canonical(entry.links[0])

    def title_of(self, url: str) -> str:
        """Return the title of the docs page at `url`, or '' when it is not indexed."""
        return self.docs.title_of(url)

    def entry(self, entry_id: str) -> FaqEntry | None:
        """Return the FAQ entry with this id."""
        return self.faq.entry(entry_id)

    def attach_page_vectors(
        self,
        urls: Sequence[str],
        matrix: np.ndarray,
        encoder: str = "",
        *,
        section_urls: Sequence[str] | None = None,
        section_matrix: np.ndarray | None = None,
    ) -> None:
        """Attach the docs pages' sentence vectors, and their sections' (same encoder as the query vectors given to
        `search`)."""
        self.page_vectors = PageVectors.of(urls, matrix, encoder, section_urls, section_matrix)

    @property
    def semantic_ready(self) -> bool:
        """Whether a query vector given to `search` would be used (page and section vectors, a semantic
        re-ranker)."""
        return (
            self.page_vectors is not None
            and self.page_vectors.sections is not None
            and self.reranker is not None
            and self.reranker.semantic is not None
        )

    def search(
        self,
        text: str,
        lang: str = "en",
        limit: int = 5,
        title: str | None = None,
        vector: np.ndarray | None = None,
    ) -> SearchResult:
        """Return up to `limit` ranked page matches for a user message (and forum/issue title) in `lang`.

        With a re-ranker attached (`self.reranker`), a larger candidate pool is re-ordered by it and every
        `Match.score` is its calibrated probability that the page answers the message. With a query `vector` of
        the message (the sentence encoder's) and page vectors attached, the semantic re-ranker is used.
        """
        reranker = self.reranker
        vectors = self.page_vectors
        pool = max(limit, reranker.pool) if reranker is not None else limit
        best: np.ndarray | None = None  # the query's best section cosine per page: the semantic pair's evidence
        if (
            reranker is not None
            and reranker.semantic is not None
            and vector is not None
            and vectors is not None
            and float(np.dot(vector, vector)) > 1e-6  # an empty message embeds to zeros
        ):
            from bot.core.rerank import section_evidence

            # None without section vectors: the lexical pair then
            means = reranker.semantic.lang_means
            best = section_evidence(vectors, vector, reranker.semantic.adapter, means.get(lang) if means else None)
        neighbours: list[str] = []
        if best is not None and vectors is not None:
            from bot.core.rerank import semantic_neighbours

            neighbours = semantic_neighbours(vectors, best)
        retrieval = self.retrieve(text, lang, pool, title, fields=reranker is not None, also=neighbours)
        if not retrieval.candidates:
            return SearchResult((), retrieval.features)
        if reranker is not None:
            similarities = None
            if best is not None and vectors is not None and vector is not None:
                from bot.core.rerank import page_similarities

                similarities = page_similarities(retrieval, vectors, vector, best)
            order, scores, features = reranker.rank(retrieval, similarities)
            return SearchResult(
                self._matches(retrieval, order[:limit], scores[:limit]), {**retrieval.features, **features}
            )
        confidence = calibrate(retrieval.features)
        top = retrieval.candidates[0].combined
        # Lower ranks get the top confidence scaled by their raw-score ratio: comparable, never above #1.
        scores = [
            confidence if i == 0 else confidence * c.combined / max(top, 1e-9)
            for i, c in enumerate(retrieval.candidates)
        ]
        return SearchResult(self._matches(retrieval, range(len(retrieval.candidates)), scores), retrieval.features)

    def _matches(self, retrieval: Retrieval, order: Iterable[int], scores: Iterable[float]) -> tuple[Match, ...]:
        matches = []
        for position, score in zip(order, scores, strict=False):
            cand = retrieval.candidates[position]
            entry_id = cand.entry if cand.faq >= cand.docs else None
            source = "faq" if entry_id else "docs"
            title = self.title_of(cand.url) or (self._entry_title(entry_id) if entry_id else cand.url)
            matches.append(
                Match(cand.url, title, round(float(score), 4), source, entry_id, cand.heading, round(cand.combined, 4))
            )
        return tuple(matches)

    def _entry_title(self, entry_id: object) -> str:
        entry = self.entry(str(entry_id))
        return entry.title if entry else ""

    def retrieve(
        self,
        text: str,
        lang: str = "en",
        limit: int = 5,
        title: str | None = None,
        *,
        fields: bool = False,
        also: Sequence[str] = (),
    ) -> Retrieval:
        """Return the lexical candidates of a message in the index's own order, with their score components.

        `fields` adds, per candidate, the share of the query's IDF mass found in the page's title, headings,
        description, URL path and body (the re-ranker's features; ~0.1 ms). `also` names docs pages to add after
        the lexical candidates when they are not among them (the message's semantic neighbours), with the same
        score components.
        """
        tokens = self.query.weighted(text, lang, title)
        if title:
            text = f"{title}\n{text}"
        if not tokens or (not self.pages and not self.entries):
            return Retrieval(lang, {}, (), {"tokens": 0.0})
        # One ceiling for every collection, so "share of the query matched" is comparable between FAQ and docs.
        term_idf = {t: self._ceiling_idf(t) for t in tokens}
        ceiling = sum(w * term_idf[t] * (self.docs.sections.k1 + 1) for t, w in tokens.items()) or 1.0
        pool = _Pool()
        page_arrays = None  # per page: its score, its best section's and its summary's (None without pages)
        if self.pages:
            page_arrays, top_pages = self.docs.search(tokens, ceiling, limit + 5)
            for url, score, heading in top_pages:
                pool.offer(url, score, "docs", None, heading)
        faq_similarity: dict[int, float] = {}
        if self.entries:
            faq_similarity, links = self.faq.search(tokens, ceiling, text, lang, limit + 3)
            for url, score, entry_id, rank in links:
                pool.offer(url, score, "faq", entry_id, link=rank)
        ranked = pool.ranked(limit)
        known = {url.split("#", 1)[0] for url, _ in ranked}
        for url in also:
            if url not in known and url in self._page_id:
                known.add(url)
                ranked.append((url, {"docs": 0.0, "faq": 0.0, "heading": "", "entry": None, "link": -1.0}))
        if not ranked:
            return Retrieval(lang, tokens, (), {"tokens": float(len(tokens))})
        coverage = self.docs.field_coverage(tokens, term_idf) if fields and self.pages else None
        if coverage is not None:
            identifiers = self.docs.identifier_coverage(identifier_tokens(text))
            coverage = np.vstack([coverage, identifiers[None, :]])
        out: list[Candidate] = []
        for url, cand in ranked:
            docs, faq = float(cand["docs"] or 0), float(cand["faq"] or 0)
            entry = str(cand["entry"]) if cand["entry"] else None
            entry_index = self.faq.position.get(entry) if entry else None
            page_id = self._page_id.get(url.split("#", 1)[0])
            page = section = summary = 0.0
            page_coverage: tuple[float, ...] = ()
            if page_id is not None and page_arrays is not None:
                page, section, summary = (float(scores[page_id]) for scores in page_arrays)
                if coverage is not None:
                    page_coverage = tuple(float(v) for v in coverage[:, page_id])
            out.append(
                Candidate(
                    url=url,
                    docs=docs,
                    faq=faq,
                    combined=_combine(docs, faq),
                    heading=str(cand["heading"] or ""),
                    entry=entry,
                    faq_similarity=faq_similarity.get(entry_index, 0.0) if entry_index is not None else 0.0,
                    faq_link=float(cand["link"] or 0) if entry else -1.0,
                    page=page,
                    section=section,
                    summary=summary,
                    coverage=page_coverage,
                )
            )
        top = out[0]
        features = {
            "coverage": top.combined,
            "margin": top.combined - (out[1].combined if len(out) > 1 else 0.0),
            "faq_similarity": top.faq_similarity,
            "agreement": 1.0 if top.docs > 0 and top.faq > 0 else 0.0,
            "tokens": float(len(tokens)),
            "log_tokens": math.log(1 + len(tokens)),
        }
        return Retrieval(lang, tokens, tuple(out), features)


class _Pool:
    """The candidate pages of one retrieval: per URL, its best docs and FAQ scores and where they came from."""

    def __init__(self) -> None:
        self.candidates: dict[str, dict[str, float | str | None]] = {}

    def offer(
        self, url: str, score: float, source: str, entry_id: str | None, heading: str = "", link: int = 0
    ) -> None:
        """Keep `score` for `url` when it beats the page's current score from the same source."""
        current = self.candidates.get(url)
        if current is None:
            self.candidates[url] = {"docs": 0.0, "faq": 0.0, "heading": heading, "entry": None, "link": -1.0}
            current = self.candidates[url]
        if score > float(current[source] or 0.0):
            current[source] = score
            if source == "faq":
                current["entry"] = entry_id
                current["link"] = float(link)
            elif heading:
                current["heading"] = heading

    def ranked(self, limit: int) -> list[tuple[str, dict[str, float | str | None]]]:
        """Return the best `limit` candidates by combined score (ties in offer order)."""
        return sorted(
            self.candidates.items(),
            key=lambda item: -_combine(float(item[1]["docs"] or 0), float(item[1]["faq"] or 0)),
        )[:limit]


def _combine(docs: float, faq: float) -> float:
    return max(docs, faq) + 0.25 * min(docs, faq)


def calibrate(features: Mapping[str, float], weights: Mapping[str, float] = CALIBRATION) -> float:
    """Return the calibrated confidence (0..1) of a top match from its features."""
    z = weights["bias"] + sum(weights[name] * features.get(name, 0.0) for name in weights if name != "bias")
    return 1.0 / (1.0 + math.exp(-z))
