"""Okapi BM25 over token lists, with per-term weight vectors precomputed at build time (see bot/core/index.py)."""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import numpy as np


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
