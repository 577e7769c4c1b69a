"""Query preparation for the doc index: vocabulary tokens, typo repair, term weights and the coverage ceiling."""

from __future__ import annotations

import math
from collections import Counter, defaultdict

from rapidfuzz import fuzz, process

from bot.core.bm25 import Bm25
from bot.core.text import Vocabulary

MAX_QUERY_TOKENS = 64  # long logs: keep the rarest terms, the rest only add noise and time
# Weight of a query word absent from the index, in the coverage ceiling. Such words are mostly the community's own (a
# French verb, a product name, a greeting the list lacks), not rare words the docs miss: at 2.0 they sank the answer
# confidence of questions whose page was right (grouped CV, re-ranker retrained at each value: answered right 0.530 /
# 0.541 / 0.527 / 0.524 at 0.5 / 1.0 / 1.5 / 2.0; precision at the threshold unchanged or better).
UNKNOWN_TERM_IDF = 1.0


class QueryTerms:
    """Turn a message (and its forum/issue title) into weighted index terms, repairing typos against the index."""

    def __init__(self, vocabulary: Vocabulary, sections: Bm25, summaries: Bm25, faq: Bm25) -> None:
        self.vocabulary = vocabulary
        self._sections, self._summaries, self._faq = sections, summaries, faq
        self._vocab_by_initial: dict[str, list[str]] = defaultdict(list)
        for term in sorted(set(sections.terms) | set(faq.terms)):  # sorted: ties repair the same way
            if len(term) >= 5 and term.isalpha() and term.isascii():
                self._vocab_by_initial[term[0]].append(term)
        self._known_terms = frozenset(sections.terms) | frozenset(faq.terms)

    def weighted(self, text: str, lang: str, title: str | None = None) -> dict[str, float]:
        """Return the message's index terms with their weights (title words weigh more)."""
        query_tokens = self.vocabulary.query_tokens
        title_tokens = self.repair_typos(query_tokens(title, lang)) if title else []
        return self.weigh(self.repair_typos(query_tokens(text, lang)) + title_tokens, title_tokens)

    def repair_typos(self, tokens: list[str]) -> list[str]:
        """Return `tokens` plus, for each unknown word, the closest index word with the same initial (if close)."""
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

    def weigh(self, tokens: list[str], title_tokens: list[str]) -> dict[str, float]:
        """Weigh terms: repeated words and words of a forum/issue title say more about the topic than a mention."""
        counts = Counter(tokens)
        weights = {t: 1.0 + math.log(c) for t, c in counts.items()}
        for t in dict.fromkeys(title_tokens):
            weights[t] = weights.get(t, 0.0) + 1.0
        if len(weights) > MAX_QUERY_TOKENS:
            rarity = {t: max(self._sections.idf(t), self._faq.idf(t)) * w for t, w in weights.items()}
            weights = {t: weights[t] for t in sorted(weights, key=lambda t: -rarity[t])[:MAX_QUERY_TOKENS]}
        return weights

    def ceiling_idf(self, term: str) -> float:
        """Return the IDF a term counts for in the coverage ceiling (the same for every collection).

        A word no document knows counts as a rare word the index cannot match (it lowers the share), unless it is
        a Chinese bigram (most bigrams of a sentence are not words) or a number.
        """
        known = max(self._sections.idf(term), self._faq.idf(term), self._summaries.idf(term))
        return known or (UNKNOWN_TERM_IDF if _counts_when_unknown(term) else 0.0)


def _counts_when_unknown(term: str) -> bool:
    return term.isascii() and not term.isdigit() and len(term) > 2
