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
        # One flat array of doc ids and one of weights, grouped by term, each term a slice of them: a pair of
        # small arrays per term took 10 MB for the 25,417 terms of the Capgo docs and FAQ (ndarray headers, not data).
        self._ids = docs_arr[order]
        freqs = tfs_arr[order]
        counts = np.diff(bounds)
        idfs = [math.log(1 + (self.size - n + 0.5) / (n + 0.5)) for n in counts.tolist()]
        idf_each = np.repeat(np.array(idfs, dtype=np.float32), counts)
        # Same float32 operations, in the same order, as term by term: the weights are bit-identical.
        self._weights = (idf_each * freqs * np.float32(k1 + 1) / (freqs + norm[self._ids])).astype(np.float32)
        self._bounds = array("q", bounds.tolist())
        self._idfs = array("d", idfs)
        self.terms: dict[str, int] = term_ids  # term -> its slice of the postings (see `postings`)

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        """The doc ids holding `term` (ascending) and their BM25 weights, or None when unknown."""
        term_id = self.terms.get(term)
        if term_id is None:
            return None
        start, end = self._bounds[term_id], self._bounds[term_id + 1]
        return self._ids[start:end], self._weights[start:end]

    def idf(self, term: str) -> float:
        """Return the IDF of `term` (0 when unknown)."""
        term_id = self.terms.get(term)
        return self._idfs[term_id] if term_id is not None else 0.0

    def scores(self, terms: Mapping[str, float]) -> np.ndarray:
        """Return the BM25 score of every document for weighted query terms."""
        total = np.zeros(self.size, dtype=np.float32)
        for term, weight in terms.items():
            entry = self.postings(term)
            if entry is not None:
                total[entry[0]] += weight * entry[1]
        return total
