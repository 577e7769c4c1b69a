"""The docs side of the doc index: BM25 over docs sections and whole-page summaries, page fields, best headings.

`DocIndex` (bot/core/index.py) owns one and fuses its page scores with the FAQ side's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from bot.core.bm25 import Bm25
from bot.core.docs import DocPage
from bot.core.text import Vocabulary

SECTION_WEIGHT = 0.8  # page score = best section vs page summary (title, description, headings)
SECTION_K1, SECTION_B = 1.2, 0.75  # a grid over k1 0.9-2.0 and b 0.3-0.75 moved no measure by more than noise
FIELDS = ("title", "headings", "description", "path")  # page fields whose query coverage the re-ranker reads

# Per page: its score, its best section's score and its summary's score (arrays indexed by page id).
PageArrays = tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True, slots=True)
class IndexedPage:
    """What the index keeps of a docs page once its text is released: URL, title and its sections' ids."""

    url: str
    title: str
    section_ids: tuple[int, ...]


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


class PageIndex:
    """Score docs pages for weighted query terms: best section and page summary, plus per-field coverage."""

    def __init__(self, pages: Sequence[DocPage], vocabulary: Vocabulary) -> None:
        document_tokens = vocabulary.document_tokens
        self.page_by_url: dict[str, IndexedPage] = {}
        self.page_titles: dict[str, str] = {}
        self.section_meta: list[tuple[str, str, str]] = []  # (page url, anchor, heading)
        self.summary_urls: list[str] = []  # page id -> page URL
        summary_docs: list[list[str]] = []
        field_tokens: list[list[set[str]]] = []  # per page: title, headings, description, URL path tokens

        def section_documents() -> Iterator[list[str]]:
            # A generator, so the tokens of thousands of sections never sit in memory all at once.
            for page in pages:
                first = len(self.section_meta)
                for section in page.sections:
                    self.section_meta.append((page.url, section.anchor, section.heading))
                    yield document_tokens([page.title, section.heading, section.heading, section.text])
                self.page_by_url[page.url] = IndexedPage(
                    page.url, page.title, tuple(range(first, len(self.section_meta)))
                )
                self.page_titles[page.url] = page.title
                headings = " ".join(s.heading for s in page.sections)
                path_words = " ".join(page.url.rstrip("/").rsplit("/", 3)[-3:])
                field_tokens.append(
                    [set(document_tokens([text])) for text in (page.title, headings, page.description, path_words)]
                )
                summary_docs.append(
                    document_tokens([page.title, page.title, page.title, page.description, headings, path_words])
                )
                self.summary_urls.append(page.url)

        self.sections = Bm25(section_documents(), k1=SECTION_K1, b=SECTION_B)
        self.summaries = Bm25(summary_docs)
        # Only what search and rendering need is kept: page texts are released once indexed.
        self.pages: tuple[IndexedPage, ...] = tuple(self.page_by_url.values())
        self.page_id = {url: i for i, url in enumerate(self.summary_urls)}  # page URL -> page id
        self._section_page = np.array([self.page_id[m[0]] for m in self.section_meta], dtype=np.int32)
        self._fields = _FieldPostings(field_tokens, len(FIELDS))
        self._term_pages: dict[str, np.ndarray] = {}

    def title_of(self, url: str) -> str:
        """Return the title of the docs page at `url`, or '' when it is not indexed."""
        return self.page_titles.get(url.split("#", 1)[0], "")

    def search(
        self, tokens: Mapping[str, float], ceiling: float, limit: int
    ) -> tuple[PageArrays, list[tuple[str, float, str]]]:
        """Return the per-page score arrays and the best `limit` pages (URL, score, best heading), best first.

        Scores are divided by `ceiling` (the query's maximal score), so they read as the share of the query matched.
        """
        section_scores = self.sections.scores(tokens) / ceiling
        summary_scores = self.summaries.scores(tokens) / ceiling
        page_best = np.zeros(len(self.summary_urls), dtype=np.float32)
        np.maximum.at(page_best, self._section_page, section_scores)
        page_scores = SECTION_WEIGHT * page_best + (1 - SECTION_WEIGHT) * summary_scores
        top: list[tuple[str, float, str]] = []
        for page_id in np.argsort(-page_scores)[:limit]:
            if page_scores[page_id] <= 0:
                break
            url = self.summary_urls[page_id]
            top.append((url, float(page_scores[page_id]), self._best_heading(page_id, section_scores)))
        return (page_scores, page_best, summary_scores), top

    def _best_heading(self, page_id: int, section_scores: np.ndarray) -> str:
        page = self.page_by_url[self.summary_urls[page_id]]
        ids = page.section_ids
        best = ids[int(np.argmax(section_scores[list(ids)]))]  # first of the best, as max() picked
        return self.section_meta[best][2]

    def field_coverage(self, tokens: Mapping[str, float], term_idf: Mapping[str, float]) -> np.ndarray:
        """Share of the query's IDF mass present in each page field: rows FIELDS (+ body), columns pages."""
        total = sum(w * term_idf[t] for t, w in tokens.items()) or 1.0
        n_pages = len(self.summary_urls)
        out = np.zeros(len(FIELDS) * n_pages + n_pages, dtype=np.float32)
        body = out[len(FIELDS) * n_pages :]
        for term, weight in tokens.items():
            value = weight * term_idf[term] / total
            if value <= 0:
                continue
            flat = self._fields.postings.get(term)
            if flat is not None:
                out[flat] += value
            section = self.sections.postings(term)
            if section is not None:
                body[self._sections_pages(term, section[0])] += value
        return out.reshape(len(FIELDS) + 1, n_pages)

    def identifier_coverage(self, identifiers: Iterable[str]) -> np.ndarray:
        """Per page, the IDF-weighted share of the message's identifiers (:func:`identifier_tokens`) that the docs
        know which the page's body holds; zeros when the message names none the docs know."""
        n_pages = len(self.summary_urls)
        out = np.zeros(n_pages, dtype=np.float32)
        total = 0.0
        for term in identifiers:
            section = self.sections.postings(term)
            if section is None:
                continue
            weight = self.sections.idf(term)
            total += weight
            out[self._sections_pages(term, section[0])] += weight
        return out / total if total > 0 else out

    def _sections_pages(self, term: str, section_ids: np.ndarray) -> np.ndarray:
        # Distinct pages holding a term (cached per term: the docs vocabulary is bounded).
        pages = self._term_pages.get(term)
        if pages is None:
            pages = np.unique(self._section_page[section_ids])
            self._term_pages[term] = pages
        return pages
