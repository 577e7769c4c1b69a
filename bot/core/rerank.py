"""Learned re-ranker over the doc index's lexical candidates, and the calibrated answer confidence.

Inference is plain numpy: the weights come from ``bot/core/models/rerank.npz``, written by
``python -m bench.train_rerank`` (scikit-learn is used for training only). Two linear models:

- the ranker scores every (message, candidate page) pair from the index's own score components (rank, combined,
  docs/FAQ scores, section and summary scores, FAQ phrasing similarity) and the share of the query found in the
  page's title, headings, description, URL path and body, each also as a gap to the best candidate of the message;
- the confidence model maps the re-ranked list (top score, margin to the runner-up, softmax share of the top,
  the index's own calibrated confidence) to P(the top page answers the message), fitted on out-of-fold ranker
  scores so it is calibrated on messages the ranker did not see.

`Match.score` of the top match is that probability; lower matches get it scaled by their share of the softmax.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from bot.core.index import FIELDS, Retrieval, calibrate

log = logging.getLogger(__name__)

ARTEFACT = "rerank.npz"
FEATURE_VERSION = 2
POOL = 20  # candidates asked of the index and re-ranked
MIN_PAGES = 100  # fitted on a 513-page docs site: below this, the engine keeps the lexical ranking
COVERAGE = (*FIELDS, "body")

# Per-candidate features; the names are stored in the artefact and checked at load time.
_BASE = (
    "recip_rank",
    "log_rank",
    "combined",
    "combined_ratio",
    "docs",
    "faq",
    "has_docs",
    "has_faq",
    "agree",
    "faq_similarity",
    "faq_first_link",
    "faq_later_link",
    "page",
    "section",
    "summary",
    "is_page",
)
_GAPS = ("page", "section", "summary", "faq_similarity", *(f"cov_{name}" for name in COVERAGE))
_QUERY = ("non_en",)
_CROSS = tuple(f"non_en*{name}" for name in ("recip_rank", "faq", "cov_title", "cov_body", "gap_summary"))
FEATURES = (
    *_BASE,
    *(f"cov_{name}" for name in COVERAGE),
    *(f"gap_{name}" for name in _GAPS),
    *_QUERY,
    *_CROSS,
)
CONFIDENCE_FEATURES = (
    "top",
    "margin",
    "top_share",
    "index_confidence",
    "coverage",
    "log_tokens",
    "top_body",
    "top_title",
    "top_faq_similarity",
    "top_combined",
)


class RerankError(ValueError):
    """The re-ranker artefact is missing, corrupt or was built for other features."""


def candidate_features(retrieval: Retrieval) -> np.ndarray:
    """Return the feature matrix (candidates x FEATURES) of a retrieval, candidates in the index's order."""
    cands = retrieval.candidates
    n = len(cands)
    if not n:
        return np.zeros((0, len(FEATURES)), dtype=np.float64)
    top = max(cands[0].combined, 1e-9)
    rows = np.zeros((n, len(_BASE) + len(COVERAGE)), dtype=np.float64)
    for i, c in enumerate(cands):
        coverage = c.coverage or (0.0,) * len(COVERAGE)
        rows[i] = (
            1.0 / (1 + i),
            math.log1p(i),
            c.combined,
            c.combined / top,
            c.docs,
            c.faq,
            float(c.docs > 0),
            float(c.faq > 0),
            float(c.docs > 0 and c.faq > 0),
            c.faq_similarity,
            float(c.faq_link == 0),
            float(c.faq_link >= 1),
            c.page,
            c.section,
            c.summary,
            float(bool(c.coverage)),
            *coverage,
        )
    named = dict(zip((*_BASE, *(f"cov_{name}" for name in COVERAGE)), rows.T, strict=True))
    gaps = [named[name] - named[name].max() for name in _GAPS]
    non_en = 0.0 if retrieval.lang == "en" else 1.0
    query = [np.full(n, non_en)]
    cross = [non_en * named["recip_rank"], non_en * named["faq"], non_en * named["cov_title"]]
    cross += [non_en * named["cov_body"], non_en * gaps[_GAPS.index("summary")]]
    return np.column_stack([rows, *gaps, *query, *cross])


def confidence_features(scores: np.ndarray, retrieval: Retrieval, features: np.ndarray) -> np.ndarray:
    """Return CONFIDENCE_FEATURES for ranker scores (logits) of a retrieval's candidates and their feature rows.

    Besides the ranker's own certainty (top score, margin, softmax share), the absolute evidence for the top page
    (share of the query in its body and title, FAQ phrasing similarity) keeps an off-topic message whose one
    accidental match stands out from scoring high.
    """
    best = int(np.argmax(scores))
    row = dict(zip(FEATURES, features[best], strict=True))
    ordered = np.sort(scores)[::-1]
    top = float(ordered[0])
    second = float(ordered[1]) if len(ordered) > 1 else top - 5.0
    shifted = np.exp(ordered - top)
    return np.array(
        [
            top,
            top - second,
            1.0 / float(shifted.sum()),
            calibrate(retrieval.features),
            float(retrieval.features.get("coverage", 0.0)),
            float(retrieval.features.get("log_tokens", 0.0)),
            row["cov_body"],
            row["cov_title"],
            row["faq_similarity"],
            row["combined"],
        ],
        dtype=np.float64,
    )


@dataclass(frozen=True, slots=True)
class Reranker:
    """Standardised linear ranker plus a logistic confidence model (weights from the training artefact)."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    conf_mean: np.ndarray
    conf_scale: np.ndarray
    conf_coef: np.ndarray
    conf_bias: float
    pool: int = POOL

    def scores(self, features: np.ndarray) -> np.ndarray:
        """Return the ranking score (a logit, up to a per-message constant) of each candidate row."""
        return ((features - self.mean) / self.scale) @ self.coef

    def confidence(self, features: np.ndarray) -> float:
        """Return P(top page correct) from CONFIDENCE_FEATURES."""
        z = self.conf_bias + float(((features - self.conf_mean) / self.conf_scale) @ self.conf_coef)
        return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))

    def rank(self, retrieval: Retrieval) -> tuple[list[int], list[float], dict[str, float]]:
        """Return candidate positions best first, their calibrated scores, and the confidence features."""
        x = candidate_features(retrieval)
        scores = self.scores(x)
        # Stable order: ties keep the index's own order.
        order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
        conf_x = confidence_features(scores, retrieval, x)
        confidence = self.confidence(conf_x)
        top = scores[order[0]]
        # Lower ranks: the top confidence scaled by their softmax weight relative to the top (never above #1).
        out = [confidence * math.exp(max(float(scores[i] - top), -30.0)) for i in order]
        features = {f"rerank_{name}": float(v) for name, v in zip(CONFIDENCE_FEATURES, conf_x, strict=True)}
        features["rerank_confidence"] = confidence
        return order, out, features


def save(path: Path, reranker: Reranker, meta: Mapping[str, float | str] | None = None) -> None:
    """Write a re-ranker artefact (npz, no pickles)."""
    meta = dict(meta or {})
    np.savez(
        path,
        version=np.array(FEATURE_VERSION),
        features=np.array(FEATURES),
        confidence_features=np.array(CONFIDENCE_FEATURES),
        mean=reranker.mean,
        scale=reranker.scale,
        coef=reranker.coef,
        conf_mean=reranker.conf_mean,
        conf_scale=reranker.conf_scale,
        conf_coef=reranker.conf_coef,
        conf_bias=np.array(reranker.conf_bias),
        pool=np.array(reranker.pool),
        meta_keys=np.array(list(meta), dtype=str),
        meta_values=np.array([str(v) for v in meta.values()], dtype=str),
    )


def load(path: Path | None = None) -> Reranker:
    """Load the packaged artefact (or `path`), checking it was built for these features."""
    try:
        source = path if path is not None else resources.files("bot.core.models").joinpath(ARTEFACT)
        with source.open("rb") as handle, np.load(handle, allow_pickle=False) as data:
            if int(data["version"]) != FEATURE_VERSION or tuple(data["features"]) != FEATURES:
                raise RerankError(f"{ARTEFACT}: built for other features; retrain with python -m bench.train_rerank")
            if tuple(data["confidence_features"]) != CONFIDENCE_FEATURES:
                raise RerankError(f"{ARTEFACT}: built for other confidence features")
            arrays = {key: np.asarray(data[key], dtype=np.float64) for key in _ARRAYS}
            return Reranker(**arrays, conf_bias=float(data["conf_bias"]), pool=int(data["pool"]))
    except (OSError, KeyError, ValueError) as exc:
        if isinstance(exc, RerankError):
            raise
        raise RerankError(f"{ARTEFACT}: cannot load: {exc}") from exc


def load_optional(path: Path | None = None) -> Reranker | None:
    """Return the re-ranker, or None (logged) when the artefact is missing or stale: lexical order is the fallback."""
    try:
        return load(path)
    except RerankError as exc:
        log.warning("re-ranker disabled: %s", exc)
        return None


_ARRAYS: Sequence[str] = ("mean", "scale", "coef", "conf_mean", "conf_scale", "conf_coef")
