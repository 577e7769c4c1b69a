"""Learned re-ranker over the doc index's lexical candidates, and the calibrated answer confidence.

Inference is plain numpy: the weights come from ``bot/core/models/rerank.npz``, written by
``python -m bench.train_rerank`` (scikit-learn is used for training only). Two linear models:

- the ranker scores every (message, candidate page) pair from the index's own score components (rank, combined,
  docs/FAQ scores, section and summary scores, FAQ phrasing similarity) and the share of the query found in the
  page's title, headings, description, URL path and body, and the share of its API identifiers (``setChannel``,
  ``disable_prod_build``: the same in every language) found in the page, each also as a gap to the best candidate;
- the confidence model maps the re-ranked list (top score, margin to the runner-up, softmax share of the top,
  the index's own calibrated confidence) to P(the top page answers the message), fitted on out-of-fold ranker
  scores so it is calibrated on messages the ranker did not see.

`Match.score` of the top match is that probability; lower matches get it scaled by their share of the softmax.

The artefact holds two such pairs, trained with the same protocol: the lexical one above, and a semantic one whose
ranker also reads the e5 cosine between the message and each candidate page (:data:`SEMANTIC_FEATURES`) and
whose confidence also reads the top page's cosine. The semantic pair is used only when the index has page vectors
and the message has a query vector (:meth:`Reranker.rank` with ``similarities``); otherwise the lexical pair.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from bot.core.index import FIELDS, PageVectors, Retrieval, calibrate
from bot.core.vocabulary import LANGS

log = logging.getLogger(__name__)

ARTEFACT = "rerank.npz"
FEATURE_VERSION = 4
POOL = 20  # candidates asked of the index and re-ranked
# Pages added to the semantic pair's candidates: the message's closest pages by their best section, when not among
# the lexical ones (grouped CV, first page / top 3: none 0.749 / 0.892, 3 pages 0.759 / 0.908, 5 0.759 / 0.911,
# 10 0.765 / 0.911; the right page was in the pool for 0.951 of the questions, 0.986 with 10).
SEMANTIC_NEIGHBOURS = 10
# The semantic pair's section evidence mixes the query's best-section cosines with those of the query mapped by a
# learned linear adapter (ridge regression from training questions to the best section of their answer page: it
# learns how Discord questions, in eight languages, sit in e5 space against the docs' passages). Grouped CV, the
# adapter fitted out of fold: first page / top 3 0.762 / 0.911 -> 0.776 / 0.922, precision at rate 0.55 0.912 ->
# 0.922 (mix 0.3 / 0.5 / 0.7 / 1.0: first 0.776 / 0.776 / 0.770 / 0.762; ridge 2 / 8: 0.776 / 0.778).
ADAPTER_MIX = 0.5
ADAPTER_RIDGE = 2.0
# Before both, the query vector loses a quarter of its language's mean message vector (from the training messages
# of that language): e5 vectors carry a language component that pulls a French question towards whatever is
# French, not towards the English docs. Grouped CV (adapter out of fold), first / top 3 and the weakest language's
# first, at 0 / 0.25 / 0.5 / 0.75: 0.776 / 0.922, de 0.63; 0.786 / 0.927, de 0.67; 0.768 / 0.932, es 0.65;
# 0.759 / 0.927, es 0.65 (precision at rate 0.55: 0.922 / 0.917 / 0.922 / -).
CENTERING = 0.25
MIN_PAGES = 100  # fitted on a 513-page docs site: below this, the engine keeps the lexical ranking
# A section's index page (".../nfc/") and its getting-started page (".../nfc/getting-started/") answer the same
# catalogue question ("is there a plugin to read NFC tags?") and read alike to every feature. When the ranking puts
# the getting-started page first with the index page close behind, the index page (the overview that links to
# the rest) is shown first. The labelled sets treat either as right for such questions but name the index page
# alone 34 times and the getting-started page alone 6 times; a learned "getting-started with its index among the
# candidates" feature did not pick this up (grouped CV first 0.786 either way), the convention does: 0.786 -> 0.797
# (5 questions gained, 1 lost), the same with the index within the top 2, 3 or 5.
INDEX_WINDOW = 3
_GETTING_STARTED = "getting-started/"
# "ident": the message's identifiers in the page body (bot/core/text.py identifier_tokens). Grouped CV against the
# same build without it (bench quality --against): first page 2 fixed / 0 broken, top 3 2 / 1, silence 1 / 0,
# answered right 0 / 1; re-ranker CV first 0.789 -> 0.795 (es 0.650 -> 0.675), precision at rate 0.55 0.926 -> 0.922.
COVERAGE = (*FIELDS, "body", "ident")

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
# Semantic candidate features (e5 cosine of the message with the candidate page's summary): the cosine, its gap to
# the best candidate, the page's rank by cosine among all pages and among the candidates, crossed with non-English
# (where the glossary leaves the lexical match weakest), whether the page has a vector at all; then the best cosine
# with one of the page's sections, its gap, and the page's rank by it among the candidates and among all pages
# (grouped CV, first page: 0.727 with the summary alone, 0.751 with the sections; a section names what a page's
# summary only lists).
SEMANTIC_FEATURES = (
    "cos",
    "gap_cos",
    "recip_rank_cos_all",
    "recip_rank_cos",
    "non_en*cos",
    "non_en*gap_cos",
    "has_vector",
    "sec_cos",
    "gap_sec_cos",
    "recip_rank_sec_cos",
    "recip_rank_sec_cos_all",
)
# The message's language (English: none set). The same evidence means less in some languages: with the glossary
# and e5 alone, a Spanish top page at confidence 0.75 is right less often than an English one (grouped CV, nested,
# semantic pair: ECE on questions 0.127 -> 0.113, precision at answer rate 0.55 0.922 -> 0.926; end to end in
# bench quality's CV 0.916 -> 0.932. Precision at 0.70 per language before: en 0.94, es 0.81, fr 0.81, pt 0.96).
_LANG_FLAGS = tuple(f"lang_{code}" for code in LANGS if code != "en")
SEMANTIC_CONFIDENCE_EXTRA = ("top_cos", "top_gap_cos", "best_cos", "top_sec_cos", "top_gap_sec_cos")
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
    *_LANG_FLAGS,
)


SEM_FEATURES = (*FEATURES, *SEMANTIC_FEATURES)
SEM_CONFIDENCE_FEATURES = (*CONFIDENCE_FEATURES, *SEMANTIC_CONFIDENCE_EXTRA)


class RerankError(ValueError):
    """The re-ranker artefact is missing, corrupt or was built for other features."""


def _unit(vector: np.ndarray) -> np.ndarray:
    """`vector` L2-normalised (a zero vector stays zero), float32 like the page vectors."""
    norm = float(np.linalg.norm(vector))
    return (vector / norm if norm > 1e-12 else vector).astype(np.float32)


def adapted(adapter: np.ndarray, query: np.ndarray) -> np.ndarray:
    """The query vector mapped by a learned adapter (dimensions x dimensions), L2-normalised, float32."""
    return _unit(adapter @ np.asarray(query, dtype=np.float64))


def centred(query: np.ndarray, mean: np.ndarray | None) -> np.ndarray:
    """The query vector minus :data:`CENTERING` times its language's mean vector, L2-normalised (unchanged without
    a mean, or with one of another size)."""
    if mean is None or np.shape(mean) != np.shape(query):
        return query
    return _unit(np.asarray(query, dtype=np.float64) - CENTERING * np.asarray(mean, dtype=np.float64))


def section_evidence(
    vectors: PageVectors, query: np.ndarray, adapter: np.ndarray | None = None, mean: np.ndarray | None = None
) -> np.ndarray | None:
    """Per page row, the semantic pair's section evidence for a query: its best-section cosines
    (:meth:`PageVectors.best_sections`), mixed (:data:`ADAPTER_MIX`) with those of the adapted query when the
    artefact has an adapter; the query first centred on its language's `mean` (:func:`centred`) when given. None
    without section vectors."""
    query = centred(query, mean)
    best = vectors.best_sections(query)
    if best is None or adapter is None or adapter.shape[1] != np.shape(query)[-1]:  # (another encoder: no adapter)
        return best
    mapped = vectors.best_sections(adapted(adapter, query))
    assert mapped is not None  # same section matrix
    return (1.0 - ADAPTER_MIX) * best + ADAPTER_MIX * mapped


def fit_adapter(queries: np.ndarray, targets: np.ndarray, ridge: float = ADAPTER_RIDGE) -> np.ndarray:
    """The adapter W minimising ||W q - t||^2 over (query, target) rows plus ridge * ||W - I||^2 (closed form):
    the identity when there is no data, pulled towards the targets as data grows."""
    q = np.asarray(queries, dtype=np.float64)
    t = np.asarray(targets, dtype=np.float64)
    eye = np.eye(q.shape[1])
    adapter: np.ndarray = np.linalg.solve(q.T @ q + ridge * eye, q.T @ t + ridge * eye).T
    return adapter


def semantic_neighbours(vectors: PageVectors, best: np.ndarray, count: int = SEMANTIC_NEIGHBOURS) -> list[str]:
    """The `count` docs pages closest to a query by their best section (best first), from that query's
    :meth:`PageVectors.best_sections`."""
    if not count:
        return []
    top = np.argsort(-best, kind="stable")[:count]
    return [vectors.urls[int(row)] for row in top]


def page_similarities(
    retrieval: Retrieval, vectors: PageVectors, query: np.ndarray, best: np.ndarray | None = None
) -> np.ndarray:
    """Return (candidates x 5): e5 cosine of the query vector with each candidate page's summary, that page's rank by
    cosine among all pages (0 = closest), 1 when the page has a vector (an FAQ link outside the docs has none), the
    best cosine with one of the page's sections, and the page's rank by that among all pages. Needs section
    vectors (:class:`PageVectors` ``sections``); `best`: the query's :meth:`PageVectors.best_sections`, when the
    caller has it already."""
    best = vectors.best_sections(query) if best is None else best
    if best is None:
        raise ValueError("page_similarities needs section vectors")
    sims = vectors.matrix @ np.asarray(query, dtype=np.float32)
    out = np.zeros((len(retrieval.candidates), 5), dtype=np.float64)
    floor = float(sims.min()) if len(sims) else 0.0
    section_floor = float(best.min()) if len(best) else 0.0
    for i, cand in enumerate(retrieval.candidates):
        row = vectors.rows.get(cand.url.split("#", 1)[0])
        if row is None:
            out[i] = (floor, len(sims), 0.0, section_floor, len(sims))
        else:
            out[i] = (
                float(sims[row]),
                float(np.count_nonzero(sims > sims[row])),
                1.0,
                float(best[row]),
                float(np.count_nonzero(best > best[row])),
            )
    return out


def candidate_features(retrieval: Retrieval, similarities: np.ndarray | None = None) -> np.ndarray:
    """Return the feature matrix (candidates x FEATURES) of a retrieval, candidates in the index's order.

    With `similarities` (from :func:`page_similarities`), the columns are SEM_FEATURES.
    """
    cands = retrieval.candidates
    n = len(cands)
    if not n:
        return np.zeros((0, len(FEATURES if similarities is None else SEM_FEATURES)), dtype=np.float64)
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
    if similarities is None:
        return np.column_stack([rows, *gaps, *query, *cross])
    cos, rank_all, has = similarities[:, 0], similarities[:, 1], similarities[:, 2]
    gap_cos = cos - cos.max()
    rank_cands = np.argsort(np.argsort(-cos, kind="stable"), kind="stable")
    semantic = [cos, gap_cos, 1.0 / (1.0 + rank_all), 1.0 / (1.0 + rank_cands), non_en * cos, non_en * gap_cos, has]
    sec, sec_rank_all = similarities[:, 3], similarities[:, 4]
    sec_rank_cands = np.argsort(np.argsort(-sec, kind="stable"), kind="stable")
    semantic += [sec, sec - sec.max(), 1.0 / (1.0 + sec_rank_cands), 1.0 / (1.0 + sec_rank_all)]
    return np.column_stack([rows, *gaps, *query, *cross, *semantic])


def index_page_first(urls: Sequence[str], order: list[int], window: int = INDEX_WINDOW) -> list[int]:
    """`order` (positions into `urls`, best first) with a section's index page moved to the front when the first
    page is that section's getting-started page and the index page is within the first `window` (see
    :data:`INDEX_WINDOW`); otherwise `order` unchanged."""
    if not order:
        return order
    first = urls[order[0]].split("#", 1)[0]
    if not first.endswith("/" + _GETTING_STARTED):
        return order
    index = first[: -len(_GETTING_STARTED)]
    for position in range(1, min(window, len(order))):
        if urls[order[position]].split("#", 1)[0] == index:
            return [order[position], *order[:position], *order[position + 1 :]]
    return order


def confidence_features(scores: np.ndarray, retrieval: Retrieval, features: np.ndarray) -> np.ndarray:
    """Return CONFIDENCE_FEATURES (SEM_CONFIDENCE_FEATURES for SEM_FEATURES rows) for ranker scores (logits) of a
    retrieval's candidates and their feature rows.

    Besides the ranker's own certainty (top score, margin, softmax share), the absolute evidence for the top page
    (share of the query in its body and title, FAQ phrasing similarity) keeps an off-topic message whose one
    accidental match stands out from scoring high.
    """
    best = int(np.argmax(scores))
    semantic = features.shape[1] == len(SEM_FEATURES)
    row = dict(zip(SEM_FEATURES if semantic else FEATURES, features[best], strict=True))
    ordered = np.sort(scores)[::-1]
    top = float(ordered[0])
    second = float(ordered[1]) if len(ordered) > 1 else top - 5.0
    shifted = np.exp(ordered - top)
    extra = []
    if semantic:
        cos = features[:, len(FEATURES)]
        extra = [row["cos"], row["gap_cos"], float(cos.max()), row["sec_cos"], row["gap_sec_cos"]]
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
            *(float(retrieval.lang == code) for code in LANGS if code != "en"),
            *extra,
        ],
        dtype=np.float64,
    )


@dataclass(frozen=True, slots=True)
class Reranker:
    """Standardised linear ranker plus a logistic confidence model (weights from the training artefact).

    `semantic` is the pair trained with SEM_FEATURES, used by :meth:`rank` when similarities are given.
    """

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    conf_mean: np.ndarray
    conf_scale: np.ndarray
    conf_coef: np.ndarray
    conf_bias: float
    pool: int = POOL
    semantic: Reranker | None = None
    adapter: np.ndarray | None = None  # the semantic pair's query adapter (see section_evidence)
    lang_means: Mapping[str, np.ndarray] | None = None  # language -> mean query vector (see centred)

    @property
    def is_semantic(self) -> bool:
        """Whether this pair reads SEM_FEATURES (its coefficients say so)."""
        return len(self.coef) == len(SEM_FEATURES)

    def scores(self, features: np.ndarray) -> np.ndarray:
        """Return the ranking score (a logit, up to a per-message constant) of each candidate row."""
        scores: np.ndarray = ((features - self.mean) / self.scale) @ self.coef
        return scores

    def confidence(self, features: np.ndarray) -> float:
        """Return P(top page correct) from CONFIDENCE_FEATURES."""
        z = self.conf_bias + float(((features - self.conf_mean) / self.conf_scale) @ self.conf_coef)
        return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))

    def rank(
        self, retrieval: Retrieval, similarities: np.ndarray | None = None
    ) -> tuple[list[int], list[float], dict[str, float]]:
        """Return candidate positions best first, their calibrated scores, and the confidence features.

        With `similarities` (:func:`page_similarities`) and a semantic pair, the semantic pair ranks and scores.
        """
        if similarities is not None and self.semantic is not None:
            return self.semantic.rank(retrieval, similarities)
        x = candidate_features(retrieval, similarities if self.is_semantic else None)
        scores = self.scores(x)
        # Stable order: ties keep the index's own order.
        order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
        conf_x = confidence_features(scores, retrieval, x)
        confidence = self.confidence(conf_x)
        top = scores[order[0]]
        # Lower ranks: the top confidence scaled by their softmax weight relative to the top (never above #1).
        out = [confidence * math.exp(max(float(scores[i] - top), -30.0)) for i in order]
        # Positions keep their scores: the index page takes over the first place, and its confidence.
        order = index_page_first([c.url for c in retrieval.candidates], order)
        names = SEM_CONFIDENCE_FEATURES if self.is_semantic else CONFIDENCE_FEATURES
        features = {f"rerank_{name}": float(v) for name, v in zip(names, conf_x, strict=True)}
        features["rerank_confidence"] = confidence
        features["rerank_semantic"] = float(self.is_semantic)
        return order, out, features


def save(path: Path, reranker: Reranker, meta: Mapping[str, float | str] | None = None) -> None:
    """Write a re-ranker artefact (npz, no pickles): the lexical pair, and the semantic pair under ``sem_`` keys."""
    meta = dict(meta or {})
    semantic = {}
    if reranker.semantic is not None:
        sem = reranker.semantic
        semantic = {f"sem_{key}": getattr(sem, key) for key in ARRAYS}
        semantic |= {"sem_conf_bias": np.array(sem.conf_bias), "sem_features": np.array(SEM_FEATURES)}
        semantic["sem_confidence_features"] = np.array(SEM_CONFIDENCE_FEATURES)
        if sem.adapter is not None:
            semantic["sem_adapter"] = sem.adapter.astype(np.float32)
        if sem.lang_means:
            codes = sorted(sem.lang_means)
            semantic["sem_lang_codes"] = np.array(codes, dtype=str)
            semantic["sem_lang_means"] = np.vstack([sem.lang_means[code] for code in codes]).astype(np.float32)
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
        **semantic,
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
            arrays: dict[str, np.ndarray] = {key: np.asarray(data[key], dtype=np.float64) for key in ARRAYS}
            pool = int(data["pool"])
            semantic = None
            if "sem_coef" in data.files:
                if tuple(data["sem_features"]) != SEM_FEATURES:
                    raise RerankError(f"{ARTEFACT}: semantic model built for other features; retrain")
                if tuple(data["sem_confidence_features"]) != SEM_CONFIDENCE_FEATURES:
                    raise RerankError(f"{ARTEFACT}: semantic model built for other confidence features; retrain")
                sem: dict[str, np.ndarray] = {key: np.asarray(data[f"sem_{key}"], dtype=np.float64) for key in ARRAYS}
                adapter = np.asarray(data["sem_adapter"], dtype=np.float64) if "sem_adapter" in data.files else None
                if adapter is not None and (adapter.ndim != 2 or adapter.shape[0] != adapter.shape[1]):
                    raise RerankError(f"{ARTEFACT}: query adapter of shape {adapter.shape}; retrain")
                means = None
                if "sem_lang_means" in data.files:
                    codes = [str(code) for code in data["sem_lang_codes"]]
                    matrix = np.asarray(data["sem_lang_means"], dtype=np.float64)
                    if matrix.ndim != 2 or matrix.shape[0] != len(codes):
                        raise RerankError(f"{ARTEFACT}: language means of shape {matrix.shape}; retrain")
                    means = dict(zip(codes, matrix, strict=True))
                semantic = Reranker(
                    **sem,
                    conf_bias=float(data["sem_conf_bias"]),
                    pool=pool,
                    semantic=None,
                    adapter=adapter,
                    lang_means=means,
                )
            return Reranker(
                **arrays,
                conf_bias=float(data["conf_bias"]),
                pool=pool,
                semantic=semantic,
                adapter=None,
                lang_means=None,
            )
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


#: the per-pair arrays of the artefact (the semantic pair stores them under ``sem_`` keys)
ARRAYS: Sequence[str] = ("mean", "scale", "coef", "conf_mean", "conf_scale", "conf_coef")
