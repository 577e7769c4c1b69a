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
import re
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from rapidfuzz import fuzz, process

from bot.core.docs import DocPage
from bot.core.faq import FaqEntry, resolve_link
from bot.core.text import Vocabulary, _chunk_tokens, default_vocabulary, fold

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
MAX_QUERY_TOKENS = 64  # long logs: keep the rarest terms, the rest only add noise and time
_SECOND_LINK_FACTOR = 0.85
FUZZY_MAX_WORDS = 30
FUZZY_CANDIDATES = 15
UNKNOWN_TERM_IDF = 2.0  # weight of a query word absent from the index, in the coverage ceiling
SECTION_WEIGHT = 0.8  # page score = best section vs page summary (title, description, headings)
FAQ_WEIGHT = 0.7  # FAQ scores relative to docs scores before fusion
SECTION_K1, SECTION_B = 1.2, 0.75  # a grid over k1 0.9-2.0 and b 0.3-0.75 moved no measure by more than noise
FIELDS = ("title", "headings", "description", "path")  # page fields whose query coverage the re-ranker reads


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
    coverage: tuple[float, ...] = ()  # share of the query's IDF mass in FIELDS + body (when asked for)


@dataclass(frozen=True, slots=True)
class PageVectors:
    """Sentence-encoder vectors of the docs pages (L2-normalised rows) for the semantic re-ranker."""

    rows: Mapping[str, int]  # page URL (no anchor) -> row of `matrix`
    matrix: np.ndarray  # pages x dimensions, float32
    encoder: str = ""

    @classmethod
    def of(cls, urls: Sequence[str], matrix: np.ndarray, encoder: str = "") -> PageVectors:
        """Build from page URLs and their vectors, in the same order."""
        matrix = np.ascontiguousarray(matrix, dtype=np.float32)
        if matrix.ndim != 2 or len(urls) != matrix.shape[0]:
            raise ValueError(f"page vectors: {len(urls)} URLs for a matrix of shape {matrix.shape}")
        return cls({url: i for i, url in enumerate(urls)}, matrix, encoder)


@dataclass(frozen=True, slots=True)
class Retrieval:
    """The lexical candidates of one message, best first, and the top match's calibration features."""

    lang: str
    tokens: Mapping[str, float]
    candidates: tuple[Candidate, ...]
    features: Mapping[str, float]


class _FieldPostings:
    """Term -> flat positions (field * n_pages + page) of the pages whose field holds the term."""

    def __init__(self, pages: Sequence[Sequence[set[str]]], n_fields: int) -> None:
        n_pages = len(pages)
        gathered: dict[str, list[int]] = defaultdict(list)
        for page_id, fields in enumerate(pages):
            for field_id, terms in enumerate(fields[:n_fields]):
                for term in terms:
                    gathered[term].append(field_id * n_pages + page_id)
        self.postings = {term: np.array(ids, dtype=np.int32) for term, ids in gathered.items()}


class Bm25:
    """Okapi BM25 with per-term weight vectors precomputed at build time."""

    def __init__(self, documents: Iterable[Sequence[str]], k1: float = 1.2, b: float = 0.75) -> None:
        self.k1 = k1
        # Postings are gathered as flat int arrays (term id, doc id, tf) rather than per-term Python lists:
        # a fraction of the memory at build time on large docs folders.
        term_ids: dict[str, int] = {}
        post_term, post_doc, post_tf = array("i"), array("i"), array("i")
        lengths = array("i")
        for doc_id, doc in enumerate(documents):
            lengths.append(len(doc))
            for term, tf in Counter(doc).items():
                post_term.append(term_ids.setdefault(term, len(term_ids)))
                post_doc.append(doc_id)
                post_tf.append(tf)
        self.size = len(lengths)
        length = np.frombuffer(lengths, dtype=np.int32).astype(np.float32) if self.size else np.ones(1, np.float32)
        average = float(length.mean()) if self.size else 1.0
        norm = k1 * (1 - b + b * length / max(average, 1e-9))
        terms_arr = np.frombuffer(post_term, dtype=np.int32) if post_term else np.zeros(0, np.int32)
        docs_arr = np.frombuffer(post_doc, dtype=np.int32) if post_doc else np.zeros(0, np.int32)
        tfs_arr = np.frombuffer(post_tf, dtype=np.int32).astype(np.float32) if post_tf else np.zeros(0, np.float32)
        order = np.argsort(terms_arr, kind="stable")
        bounds = np.searchsorted(terms_arr[order], np.arange(len(term_ids) + 1))
        self.terms: dict[str, tuple[np.ndarray, np.ndarray, float]] = {}
        for term, term_id in term_ids.items():
            rows = order[bounds[term_id] : bounds[term_id + 1]]
            ids = docs_arr[rows]
            freqs = tfs_arr[rows]
            idf = math.log(1 + (self.size - len(ids) + 0.5) / (len(ids) + 0.5))
            weights = (idf * freqs * (k1 + 1) / (freqs + norm[ids])).astype(np.float32)
            self.terms[term] = (ids.copy(), weights, idf)

    def idf(self, term: str) -> float:
        """Return the IDF of `term` (0 when unknown)."""
        entry = self.terms.get(term)
        return entry[2] if entry else 0.0

    def scores(self, terms: Mapping[str, float]) -> np.ndarray:
        """Return the BM25 score of every document for weighted query terms."""
        total = np.zeros(self.size, dtype=np.float32)
        for term, weight in terms.items():
            entry = self.terms.get(term)
            if entry is not None:
                total[entry[0]] += weight * entry[1]
        return total


@dataclass(frozen=True, slots=True)
class _Page:
    url: str
    title: str
    section_ids: tuple[int, ...]


class DocIndex:
    """Search FAQ entries and docs pages together. Build it once with `DocIndex.build(...)`."""

    def __init__(
        self,
        pages: Sequence[DocPage],
        entries: Sequence[FaqEntry],
        placeholders: Mapping[str, str],
        site_url: str,
        vocabulary: Vocabulary | None = None,
    ) -> None:
        self.entries = list(entries)
        self._entry_position = {entry.id: position for position, entry in enumerate(self.entries)}
        self._placeholders = dict(placeholders)
        self._site_url = site_url
        self.vocabulary = vocabulary or default_vocabulary()  # glossary + stopwords for indexing and queries
        document_tokens = self.vocabulary.document_tokens
        self._page_by_url: dict[str, _Page] = {}
        self._page_titles: dict[str, str] = {}
        self._section_meta: list[tuple[str, str, str]] = []  # (page url, anchor, heading)
        self._summary_urls: list[str] = []
        summary_docs: list[list[str]] = []
        field_tokens: list[list[set[str]]] = []  # per page: title, headings, description, URL path tokens

        def section_documents() -> Iterator[list[str]]:
            # A generator, so the tokens of thousands of sections never sit in memory all at once.
            for page in pages:
                first = len(self._section_meta)
                for section in page.sections:
                    self._section_meta.append((page.url, section.anchor, section.heading))
                    yield document_tokens([page.title, section.heading, section.heading, section.text])
                self._page_by_url[page.url] = _Page(page.url, page.title, tuple(range(first, len(self._section_meta))))
                self._page_titles[page.url] = page.title
                headings = " ".join(s.heading for s in page.sections)
                path_words = " ".join(page.url.rstrip("/").rsplit("/", 3)[-3:])
                field_tokens.append(
                    [set(document_tokens([text])) for text in (page.title, headings, page.description, path_words)]
                )
                summary_docs.append(
                    document_tokens([page.title, page.title, page.title, page.description, headings, path_words])
                )
                self._summary_urls.append(page.url)

        self._sections = Bm25(section_documents(), k1=SECTION_K1, b=SECTION_B)
        self._summaries = Bm25(summary_docs)
        # Only what search and rendering need is kept: page texts are released once indexed.
        self.pages: tuple[_Page, ...] = tuple(self._page_by_url.values())
        url_to_page_id = {url: i for i, url in enumerate(self._summary_urls)}
        self._section_page = np.array([url_to_page_id[m[0]] for m in self._section_meta], dtype=np.int32)
        self._page_id = url_to_page_id
        self._fields = _FieldPostings(field_tokens, len(FIELDS))
        self._term_pages: dict[str, np.ndarray] = {}
        self.reranker: Reranker | None = None  # set by the engine when a trained artefact is available
        # Set once the page vectors are ready (possibly from another thread: one atomic attribute assignment).
        self.page_vectors: PageVectors | None = None

        faq_docs: list[list[str]] = []
        self._faq_links: list[tuple[str, ...]] = []
        self._faq_phrasings: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for entry_id, entry in enumerate(self.entries):
            parts = [entry.title, entry.title, " ".join(entry.tags), " ".join(entry.tags)]
            tokens = document_tokens(parts)
            for lang, phrasings in entry.questions.items():
                tokens.extend(document_tokens(phrasings, lang))
                for phrasing in phrasings:
                    self._faq_phrasings[lang].append((_fuzzy_form(phrasing), entry_id))
            faq_docs.append(tokens)
            self._faq_links.append(tuple(self._canonical(link) for link in entry.links))
        self._faq = Bm25(faq_docs)
        self._vocab_by_initial: dict[str, list[str]] = defaultdict(list)
        for term in sorted(set(self._sections.terms) | set(self._faq.terms)):  # sorted: ties repair the same way
            if len(term) >= 5 and term.isalpha() and term.isascii():
                self._vocab_by_initial[term[0]].append(term)
        self._known_terms = frozenset(self._sections.terms) | frozenset(self._faq.terms)
        self._entry_phrasings: dict[tuple[int, str], list[str]] = defaultdict(list)
        for lang, choices in self._faq_phrasings.items():
            for form, entry_id in choices:
                self._entry_phrasings[(entry_id, lang)].append(form)
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

    def _canonical(self, link: str) -> str:
        return resolve_link(link, self._placeholders, self._site_url)

    def canonical_link(self, entry: FaqEntry) -> str:
        """Return the absolute URL of an FAQ entry's first (best) link."""
        return self._canonical(entry.links[0])

    def title_of(self, url: str) -> str:
        """Return the title of the docs page at `url`, or '' when it is not indexed."""
        return self._page_titles.get(url.split("#", 1)[0], "")

    def entry(self, entry_id: str) -> FaqEntry | None:
        """Return the FAQ entry with this id."""
        position = self._entry_position.get(entry_id)
        return None if position is None else self.entries[position]

    def _repair_typos(self, tokens: list[str]) -> list[str]:
        repaired = list(tokens)
        known = self._known_terms
        for token in dict.fromkeys(tokens):  # insertion order: the result must not depend on the hash seed
            if len(token) < 5 or token in known or not token.isalpha() or not token.isascii():
                continue
            candidates = self._vocab_by_initial.get(token[0])
            if not candidates:
                continue
            best = process.extractOne(token, candidates, scorer=fuzz.ratio, score_cutoff=84)
            if best is not None:
                repaired.append(best[0])
        return repaired

    def _weigh(self, tokens: list[str], title_tokens: list[str]) -> dict[str, float]:
        # Repeated words and words of a forum/issue title say more about the topic than a passing mention.
        counts = Counter(tokens)
        weights = {t: 1.0 + math.log(c) for t, c in counts.items()}
        for t in dict.fromkeys(title_tokens):
            weights[t] = weights.get(t, 0.0) + 1.0
        if len(weights) > MAX_QUERY_TOKENS:
            rarity = {t: max(self._sections.idf(t), self._faq.idf(t)) * w for t, w in weights.items()}
            weights = {t: weights[t] for t in sorted(weights, key=lambda t: -rarity[t])[:MAX_QUERY_TOKENS]}
        return weights

    def attach_page_vectors(self, urls: Sequence[str], matrix: np.ndarray, encoder: str = "") -> None:
        """Attach the docs pages' sentence vectors (same encoder as the query vectors given to `search`)."""
        self.page_vectors = PageVectors.of(urls, matrix, encoder)

    @property
    def semantic_ready(self) -> bool:
        """Whether a query vector given to `search` would be used (page vectors and a semantic re-ranker)."""
        return self.page_vectors is not None and self.reranker is not None and self.reranker.semantic is not None

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
        retrieval = self.retrieve(text, lang, pool, title, fields=reranker is not None)
        if not retrieval.candidates:
            return SearchResult((), retrieval.features)
        if reranker is not None:
            similarities = None
            if (
                vector is not None
                and vectors is not None
                and reranker.semantic is not None
                and float(np.dot(vector, vector)) > 1e-6  # an empty message embeds to zeros
            ):
                from bot.core.rerank import page_similarities

                similarities = page_similarities(retrieval, vectors, vector)
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

    def retrieve(
        self, text: str, lang: str = "en", limit: int = 5, title: str | None = None, *, fields: bool = False
    ) -> Retrieval:
        """Return the lexical candidates of a message in the index's own order, with their score components.

        `fields` adds, per candidate, the share of the query's IDF mass found in the page's title, headings,
        description, URL path and body (the re-ranker's features; ~0.1 ms).
        """
        query_tokens = self.vocabulary.query_tokens
        title_tokens = self._repair_typos(query_tokens(title, lang)) if title else []
        tokens = self._weigh(self._repair_typos(query_tokens(text, lang)) + title_tokens, title_tokens)
        if title:
            text = f"{title}\n{text}"
        if not tokens or (not self.pages and not self.entries):
            return Retrieval(lang, {}, (), {"tokens": 0.0})
        candidates: dict[str, dict[str, float | str | None]] = {}

        def offer(url: str, score: float, source: str, entry_id: str | None, heading: str = "", link: int = 0) -> None:
            current = candidates.get(url)
            if current is None:
                candidates[url] = {"docs": 0.0, "faq": 0.0, "heading": heading, "entry": None, "link": -1.0}
                current = candidates[url]
            if score > float(current[source] or 0.0):
                current[source] = score
                if source == "faq":
                    current["entry"] = entry_id
                    current["link"] = float(link)
                elif heading:
                    current["heading"] = heading

        # One ceiling for every collection, so "share of the query matched" is comparable between FAQ and docs.
        # A word no document knows counts as a rare word the index cannot match (it lowers the share), unless it is
        # a Chinese bigram (most bigrams of a sentence are not words) or a number.
        term_idf = {t: self._ceiling_idf(t) for t in tokens}
        ceiling = sum(w * term_idf[t] * (self._sections.k1 + 1) for t, w in tokens.items()) or 1.0
        # Per page: its score, its best section's and its summary's (None without pages).
        page_arrays: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        if self.pages:
            section_scores = self._sections.scores(tokens) / ceiling
            summary_scores = self._summaries.scores(tokens) / ceiling
            page_best = np.zeros(len(self._summary_urls), dtype=np.float32)
            np.maximum.at(page_best, self._section_page, section_scores)
            page_scores = SECTION_WEIGHT * page_best + (1 - SECTION_WEIGHT) * summary_scores
            page_arrays = (page_scores, page_best, summary_scores)
            for page_id in np.argsort(-page_scores)[: limit + 5]:
                if page_scores[page_id] <= 0:
                    break
                url = self._summary_urls[page_id]
                offer(url, float(page_scores[page_id]), "docs", None, self._best_heading(page_id, section_scores))
        faq_similarity: dict[int, float] = {}
        if self.entries:
            faq_scores = self._faq.scores(tokens) / ceiling
            # Fuzzy similarity re-scores the lexical candidates only: comparing the message with every phrasing
            # in two languages costs ~1 ms, the top candidates a tenth of that, and ranks the same on the dev sets.
            fuzzy_pool = [int(i) for i in np.argsort(-faq_scores)[:FUZZY_CANDIDATES] if faq_scores[i] > 0]
            faq_similarity = self._fuzzy_faq(text, lang, fuzzy_pool)
            for entry_id, similarity in faq_similarity.items():
                faq_scores[entry_id] = max(faq_scores[entry_id], 0.5 * faq_scores[entry_id] + 0.5 * similarity)
            for entry_id in np.argsort(-faq_scores)[: limit + 3]:
                score = FAQ_WEIGHT * float(faq_scores[entry_id])
                if score <= 0:
                    break
                for rank, url in enumerate(self._faq_links[entry_id][:3]):
                    offer(url, score * (_SECOND_LINK_FACTOR**rank), "faq", self.entries[entry_id].id, link=rank)

        ranked = sorted(
            candidates.items(),
            key=lambda item: -_combine(float(item[1]["docs"] or 0), float(item[1]["faq"] or 0)),
        )[:limit]
        if not ranked:
            return Retrieval(lang, tokens, (), {"tokens": float(len(tokens))})
        coverage = self._field_coverage(tokens, term_idf) if fields and self.pages else None
        out: list[Candidate] = []
        for url, cand in ranked:
            docs, faq = float(cand["docs"] or 0), float(cand["faq"] or 0)
            entry = str(cand["entry"]) if cand["entry"] else None
            entry_index = self._entry_position.get(entry) if entry else None
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

    def _field_coverage(self, tokens: Mapping[str, float], term_idf: Mapping[str, float]) -> np.ndarray:
        # Share of the query's IDF mass present in each page field: rows FIELDS (+ body), columns pages.
        total = sum(w * term_idf[t] for t, w in tokens.items()) or 1.0
        n_pages = len(self._summary_urls)
        out = np.zeros(len(FIELDS) * n_pages + n_pages, dtype=np.float32)
        body = out[len(FIELDS) * n_pages :]
        for term, weight in tokens.items():
            value = weight * term_idf[term] / total
            if value <= 0:
                continue
            flat = self._fields.postings.get(term)
            if flat is not None:
                out[flat] += value
            section = self._sections.terms.get(term)
            if section is not None:
                body[self._sections_pages(term, section[0])] += value
        return out.reshape(len(FIELDS) + 1, n_pages)

    def _sections_pages(self, term: str, section_ids: np.ndarray) -> np.ndarray:
        # Distinct pages holding a term (cached per term: the docs vocabulary is bounded).
        pages = self._term_pages.get(term)
        if pages is None:
            pages = np.unique(self._section_page[section_ids])
            self._term_pages[term] = pages
        return pages

    def _ceiling_idf(self, term: str) -> float:
        known = max(self._sections.idf(term), self._faq.idf(term), self._summaries.idf(term))
        return known or (UNKNOWN_TERM_IDF if _counts_when_unknown(term) else 0.0)

    def _entry_title(self, entry_id: object) -> str:
        entry = self.entry(str(entry_id))
        return entry.title if entry else ""

    def _best_heading(self, page_id: int, section_scores: np.ndarray) -> str:
        page = self._page_by_url[self._summary_urls[page_id]]
        ids = page.section_ids
        best = ids[int(np.argmax(section_scores[list(ids)]))]  # first of the best, as max() picked
        return self._section_meta[best][2]

    def _fuzzy_faq(self, text: str, lang: str, candidates: Iterable[int]) -> dict[int, float]:
        query = _fuzzy_form(text)
        # Whole-question similarity only means something for question-sized messages: on a long report,
        # token-set similarity is high against any phrasing whose few words happen to appear in it.
        if not query or len(query.split()) > FUZZY_MAX_WORDS:
            return {}
        best: dict[int, float] = {}
        for entry_id in candidates:
            for phrasing_lang in {lang, "en"}:
                phrasings = self._entry_phrasings.get((entry_id, phrasing_lang))
                if not phrasings:
                    continue
                scorer = fuzz.ratio if phrasing_lang == "zh" else fuzz.token_set_ratio
                hit = process.extractOne(query, phrasings, scorer=scorer, processor=None, score_cutoff=50)
                if hit is not None:
                    best[entry_id] = max(best.get(entry_id, 0.0), hit[1] / 100.0)
        return best


def _counts_when_unknown(term: str) -> bool:
    return term.isascii() and not term.isdigit() and len(term) > 2


def _fuzzy_form(text: str) -> str:
    # The fuzzy scorer compares whole questions: cap length so a pasted log does not dominate.
    return re.sub(r"\s+", " ", fold(text)).strip()[:300]


def _combine(docs: float, faq: float) -> float:
    return max(docs, faq) + 0.25 * min(docs, faq)


def calibrate(features: Mapping[str, float], weights: Mapping[str, float] = CALIBRATION) -> float:
    """Return the calibrated confidence (0..1) of a top match from its features."""
    z = weights["bias"] + sum(weights[name] * features.get(name, 0.0) for name in weights if name != "bias")
    return 1.0 / (1.0 + math.exp(-z))
