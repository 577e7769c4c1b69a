"""The FAQ side of the doc index: BM25 over FAQ entries (all languages), phrasing similarity, canonical links.

`DocIndex` (bot/core/index.py) owns one and fuses its entry scores with the docs side's.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
from rapidfuzz import fuzz, process

from bot.core.bm25 import Bm25
from bot.core.faq import FaqEntry, resolve_link
from bot.core.text import Vocabulary, fold

FAQ_WEIGHT = 0.7  # FAQ scores relative to docs scores before fusion
SECOND_LINK_FACTOR = 0.85  # an entry's second (third) link scores this (squared) of its first
FUZZY_MAX_WORDS = 30
FUZZY_CANDIDATES = 15


class FaqIndex:
    """Score FAQ entries for weighted query terms and the message's similarity to their phrasings."""

    def __init__(
        self, entries: Sequence[FaqEntry], placeholders: Mapping[str, str], site_url: str, vocabulary: Vocabulary
    ) -> None:
        document_tokens = vocabulary.document_tokens
        self.entries = list(entries)
        self.position = {entry.id: position for position, entry in enumerate(self.entries)}  # entry id -> position
        self.placeholders = dict(placeholders)
        self.site_url = site_url
        faq_docs: list[list[str]] = []
        self.links: list[tuple[str, ...]] = []  # per entry: its canonical link URLs, best first
        phrasings_by_lang: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for entry_id, entry in enumerate(self.entries):
            parts = [entry.title, entry.title, " ".join(entry.tags), " ".join(entry.tags)]
            tokens = document_tokens(parts)
            for lang, phrasings in entry.questions.items():
                tokens.extend(document_tokens(phrasings, lang))
                for phrasing in phrasings:
                    phrasings_by_lang[lang].append((_fuzzy_form(phrasing), entry_id))
            faq_docs.append(tokens)
            self.links.append(tuple(self.canonical(link) for link in entry.links))
        self.bm25 = Bm25(faq_docs)
        self._entry_phrasings: dict[tuple[int, str], list[str]] = defaultdict(list)
        for lang, choices in phrasings_by_lang.items():
            for form, entry_id in choices:
                self._entry_phrasings[(entry_id, lang)].append(form)

    def canonical(self, link: str) -> str:
        """Return the absolute URL of an FAQ link (placeholders filled in, relative to the site)."""
        return resolve_link(link, self.placeholders, self.site_url)

    def entry(self, entry_id: str) -> FaqEntry | None:
        """Return the FAQ entry with this id."""
        position = self.position.get(entry_id)
        return None if position is None else self.entries[position]

    def search(
        self, tokens: Mapping[str, float], ceiling: float, text: str, lang: str, limit: int
    ) -> tuple[dict[int, float], list[tuple[str, float, str, int]]]:
        """Return the fuzzy phrasing similarity per entry position, and the links of the best `limit` entries.

        Links come as (URL, weighted score, entry id, rank among the entry's links), best entry first.
        """
        faq_scores = self.bm25.scores(tokens) / ceiling
        # Fuzzy similarity re-scores the lexical candidates only: comparing the message with every phrasing
        # in two languages costs ~1 ms, the top candidates a tenth of that, and ranks the same on the dev sets.
        fuzzy_pool = [int(i) for i in np.argsort(-faq_scores)[:FUZZY_CANDIDATES] if faq_scores[i] > 0]
        similarity = self._fuzzy(text, lang, fuzzy_pool)
        for entry_id, value in similarity.items():
            faq_scores[entry_id] = max(faq_scores[entry_id], 0.5 * faq_scores[entry_id] + 0.5 * value)
        links: list[tuple[str, float, str, int]] = []
        for entry_id in np.argsort(-faq_scores)[:limit]:
            score = FAQ_WEIGHT * float(faq_scores[entry_id])
            if score <= 0:
                break
            for rank, url in enumerate(self.links[entry_id][:3]):
                links.append((url, score * (SECOND_LINK_FACTOR**rank), self.entries[entry_id].id, rank))
        return similarity, links

    def _fuzzy(self, text: str, lang: str, candidates: Iterable[int]) -> dict[int, float]:
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


def _fuzzy_form(text: str) -> str:
    # The fuzzy scorer compares whole questions: cap length so a pasted log does not dominate.
    return re.sub(r"\s+", " ", fold(text)).strip()[:300]
