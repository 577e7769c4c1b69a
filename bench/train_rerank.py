"""Train the doc re-ranker and its answer confidence (bot/core/rerank.py), and report grouped 5-fold CV figures.

Reads only the train + validation questions of the fixed split (bench/dataset.py); the test split is never read
unless ``--test`` is given, which prints one final figure and must not be iterated on.

For every question the index returns its top ``POOL`` lexical candidates with their score components; each
(question, candidate) pair is labelled "the page answers it". The ranker is an L2 logistic regression over
standardised features (pointwise); the confidence model is a logistic regression on the re-ranked list, fitted on
out-of-fold ranker scores. Both are exported as plain arrays to bot/core/models/rerank.npz.

Usage:
  python -m bench.train_rerank            # CV tables (current index vs re-ranker), then write the artefact
  python -m bench.train_rerank --cv-only  # tables only
"""

from __future__ import annotations

import argparse
import math
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from bench.dataset import Example, Split, load_split
from bot.core import rerank
from bot.core.analysis import detect_language
from bot.core.index import DocIndex, Retrieval

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
ARTEFACT_PATH = ROOT / "bot" / "core" / "models" / rerank.ARTEFACT
LANGS = ("en", "fr", "es", "it", "de", "pt", "id", "zh")
RANKER_C = 1.0  # L2 strength (sklearn C); CV over 0.01-10 and pools 10-30 moved first-page by < 0.05
CONFIDENCE_C = 1.0
# No-answer messages in the confidence fit teach "weak evidence -> low"; weighed down to keep questions calibrated.
NEGATIVE_WEIGHT = 0.5
FOLDS = 5
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


def build_index(docs: Path = SHARED / "capgo-docs", faq: Path = ROOT / "faq") -> DocIndex:
    """Build the bot's index over a docs folder and FAQ folder, without a re-ranker."""
    from bot.cli import build_engine
    from bot.settings import load_settings

    index = build_engine(load_settings({}, env_file=None), faq=faq, docs=docs).index
    index.reranker = None
    return index


def page(url: str) -> str:
    """Return `url` without its anchor."""
    return url.split("#", 1)[0]


def collect(index: DocIndex, examples: Sequence[Example], pool: int = rerank.POOL) -> list[Query]:
    """Return the labelled candidates of every example (language detected as the bot does)."""
    saved, index.reranker = index.reranker, None
    out = []
    try:
        for example in examples:
            lang, _ = detect_language(example.query)
            gold = frozenset(example.answer_docs)
            retrieval = index.retrieve(example.text, lang, pool, example.title, fields=True)
            base = index.search(example.text, lang, title=example.title)
            x = rerank.candidate_features(retrieval)
            y = np.array([float(page(c.url) in gold) for c in retrieval.candidates])
            urls = tuple(m.url for m in base.matches)
            confidence = base.matches[0].score if base.matches else 0.0
            out.append(Query(example.uid, lang, gold, retrieval, x, y, urls, confidence))
    finally:
        index.reranker = saved
    return out


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


def fit_ranker(queries: Sequence[Query], c: float = RANKER_C) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fit the pointwise ranker on the candidates of `queries`; return (mean, scale, coef)."""
    answerable = [q for q in queries if len(q.y) and q.gold]  # messages with no answer train the confidence only
    x = np.vstack([q.x for q in answerable])
    y = np.concatenate([q.y for q in answerable])
    mean, scale, coef, _ = fit_logistic(x, y, c)
    return mean, scale, coef


def fit_confidence(
    xs: np.ndarray, ys: np.ndarray, answerable: np.ndarray, c: float = CONFIDENCE_C
) -> tuple[np.ndarray, ...]:
    """Fit the confidence model (no-answer messages weigh NEGATIVE_WEIGHT); return (mean, scale, coef, bias)."""
    weight = np.where(answerable, 1.0, NEGATIVE_WEIGHT)
    mean, scale, coef, bias = fit_logistic(xs, ys, c, weight)
    return mean, scale, coef, np.array(bias)


def _reranker(ranker: Sequence[np.ndarray], confidence: Sequence[np.ndarray] | None = None) -> rerank.Reranker:
    n = len(rerank.CONFIDENCE_FEATURES)
    conf = confidence or (np.zeros(n), np.ones(n), np.zeros(n), np.array(0.0))
    return rerank.Reranker(*ranker, conf[0], conf[1], conf[2], float(conf[3]))


def ranked_urls(model: rerank.Reranker, query: Query) -> tuple[list[str], np.ndarray]:
    """Return the candidate URLs re-ranked by `model` and their scores."""
    if not len(query.y):
        return [], np.zeros(0)
    scores = model.scores(query.x)
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    return [query.retrieval.candidates[i].url for i in order], scores


def out_of_fold(split: Split, queries: Sequence[Query], examples: Sequence[Example], c: float = RANKER_C) -> dict:
    """Grouped k-fold: re-ranked URLs, confidence features and labels for every query, each from a model that
    did not see its fold. Also returns the fold of every query (for the nested confidence fit)."""
    by_uid = {q.uid: q for q in queries}
    urls: dict[str, list[str]] = {}
    conf_x: dict[str, np.ndarray] = {}
    fold_of: dict[str, int] = {}
    for fold, (kept, held) in enumerate(split.folds(list(examples), k=FOLDS)):
        model = _reranker(fit_ranker([by_uid[e.uid] for e in kept], c))
        for e in held:
            q = by_uid[e.uid]
            fold_of[q.uid] = fold
            ranked, scores = ranked_urls(model, q)
            urls[q.uid] = ranked
            if len(scores):
                conf_x[q.uid] = rerank.confidence_features(scores, q.retrieval, q.x)
    return {"urls": urls, "conf_x": conf_x, "fold": fold_of}


def hit_table(queries: Sequence[Query], systems: dict[str, dict[str, Sequence[str]]]) -> list[str]:
    """Return Markdown rows: first / top 3 per language for each system, and the ratio to the first system."""
    names = list(systems)
    lines = ["| lang | n | " + " | ".join(f"{n} first | {n} top3" for n in names) + " | ratio first | ratio top3 |"]
    lines.append("|---" * (2 + 2 * len(names) + 2) + "|")
    groups: dict[str, list[Query]] = defaultdict(list)
    for q in queries:
        groups["all"].append(q)
        groups[q.lang].append(q)
    for lang in ("all", *LANGS):
        members = groups.get(lang)
        if not members:
            continue
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


def evaluate(split: Split, queries: Sequence[Query], examples: Sequence[Example], c: float = RANKER_C) -> dict:
    """Print the CV tables; return the out-of-fold confidence features and labels (for the final fit)."""
    oof = out_of_fold(split, queries, examples, c)
    questions = [q for q in queries if q.gold]
    systems = {
        "index": {q.uid: list(q.baseline) for q in questions},
        "rerank": {q.uid: oof["urls"].get(q.uid, []) for q in questions},
    }
    print(f"### Grouped {FOLDS}-fold CV on train+validation questions (n={len(questions)}, ranker C={c})\n")
    print("\n".join(hit_table(questions, systems)))
    # Confidence: nested over the same folds, fitted on out-of-fold ranker features (questions + no-answer messages).
    xs, ys, folds, labelled = _confidence_data(queries, oof)
    is_question = answerable = np.array([bool(q.gold) for q in labelled])
    p = np.zeros(len(ys))
    for fold in range(FOLDS):
        kept = folds != fold
        mean, scale, coef, bias = fit_confidence(xs[kept], ys[kept], answerable[kept])
        p[folds == fold] = 1 / (1 + np.exp(-(float(bias) + ((xs[folds == fold] - mean) / scale) @ coef)))
    base_p = np.array([q.baseline_confidence for q in labelled])
    base_y = np.array([float(bool(q.baseline) and page(q.baseline[0]) in q.gold) for q in labelled])
    for name, probs, labels in (("current index confidence", base_p, base_y), ("re-ranker confidence", p, ys)):
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
    return {"conf_x": xs, "conf_y": ys, "answerable": answerable}


def train(
    split: Split | None = None, index: DocIndex | None = None, *, c: float = RANKER_C, report: bool = True
) -> rerank.Reranker:
    """Fit the ranker on every train+validation question and the confidence on out-of-fold scores."""
    split = split or load_split()
    index = index or build_index()
    examples = split.part("train", "validation", kind="question") + negatives(split)
    queries = collect(index, examples)
    if report:
        oof = evaluate(split, queries, examples, c)
        xs, ys, answerable = oof["conf_x"], oof["conf_y"], oof["answerable"]
    else:
        xs, ys, _, labelled = _confidence_data(queries, out_of_fold(split, queries, examples, c))
        answerable = np.array([bool(q.gold) for q in labelled])
    return _reranker(fit_ranker(queries, c), fit_confidence(xs, ys, answerable))


def test_figure(model: rerank.Reranker, split: Split, index: DocIndex) -> None:
    """Print ONE aggregate figure on the test split (never per item; do not iterate on it)."""
    examples = split.part("test", kind="question")
    queries = collect(index, examples)
    systems = {
        "index": {q.uid: list(q.baseline) for q in queries},
        "rerank": {q.uid: ranked_urls(model, q)[0] for q in queries},
    }
    print("\n### Test split (final figure, aggregate only)\n")
    print("\n".join(hit_table(queries, systems)))


def main(argv: Sequence[str] | None = None) -> int:
    """Report CV figures and write the artefact."""
    parser = argparse.ArgumentParser(prog="python -m bench.train_rerank")
    parser.add_argument("--cv-only", action="store_true", help="print the CV tables, write nothing")
    parser.add_argument("--c", type=float, default=RANKER_C, help="ranker L2 strength (sklearn C)")
    parser.add_argument("--out", type=Path, default=ARTEFACT_PATH)
    parser.add_argument("--test", action="store_true", help="also print the one final test figure")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    split = load_split()
    index = build_index()
    model = train(split, index, c=args.c, report=True)
    if not args.cv_only:
        meta = {"questions": len(split.part("train", "validation", kind="question")), "c": args.c}
        rerank.save(args.out, replace(model, pool=rerank.POOL), meta)
        print(f"\nwrote {args.out}")
    if args.test:
        test_figure(model, split, index)
    print(f"\n({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
