"""Fit the confidence calibration of the doc index (bot.core.index.CALIBRATION).

Training examples, each a query with the pages that answer it:
- every FAQ phrasing in all 8 languages, asked against an index built WITHOUT that phrasing (5 folds), so the
  entry is still there but the exact wording is not: held-out paraphrases in every language;
- the Discord-style dev questions and the real GitHub threads (docs answers).
For each, the top match's features are recorded with a label "the top page is correct". A logistic regression
(numpy, L2) maps features to the probability of being right; the table shows, per threshold, the share answered
and the precision, for choosing `answer_threshold` in the brand profile.

Usage: python -m bench calibrate [--write]   (--write prints the dict to paste into bot/core/index.py)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from bot.core.docs import load_docs_folder
from bot.core.faq import LANGS, FaqEntry, load_faq_folder
from bot.core.index import CALIBRATION, DocIndex, calibrate
from bot.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
FEATURES = [name for name in CALIBRATION if name != "bias"]
FOLDS = 5


def _examples(docs: Path, faq: Path, eval_dir: Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    settings = load_settings({}, env_file=None)
    values = settings.brand.placeholders(settings.docs_site.docs_url)
    pages = load_docs_folder(docs, settings.docs_site.base_url)
    entries = load_faq_folder(faq)
    rows: list[list[float]] = []
    labels: list[int] = []
    groups: list[str] = []

    def record(index: DocIndex, text: str, lang: str, gold: set[str], group: str, title: str | None = None) -> None:
        result = index.search(text, lang, title=title)
        if not result.matches:
            return
        rows.append([result.features[name] for name in FEATURES])
        labels.append(int(result.matches[0].url.split("#", 1)[0] in gold))
        groups.append(group)

    for fold in range(FOLDS):
        held: list[tuple[FaqEntry, str, str]] = []
        kept: list[FaqEntry] = []
        for entry in entries:
            questions = {}
            for lang in LANGS:
                phrasings = entry.questions[lang]
                out = [p for i, p in enumerate(phrasings) if i % FOLDS == fold and len(phrasings) > 1]
                held.extend((entry, lang, p) for p in out)
                questions[lang] = tuple(p for p in phrasings if p not in out) or phrasings
            kept.append(replace(entry, questions=questions))
        index = DocIndex.build(pages, kept, values, settings.brand.site_url)
        for entry, lang, phrasing in held:
            gold = {index._canonical(link) for link in entry.links}
            record(index, phrasing, lang, gold, f"faq-{lang}")
    index = DocIndex.build(pages, entries, values, settings.brand.site_url)
    for line in (eval_dir / "dev_discord_questions.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        record(index, row["text"], row["lang"], set(row["answer_docs"]), "dev-discord")
    for line in (eval_dir / "dev_real_questions.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row.get("answer_doc"):
            record(index, row["text"], "en", {row["answer_doc"]}, "dev-real", title=row["title"])
    return np.array(rows, dtype=np.float64), np.array(labels, dtype=np.float64), groups


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1.0, steps: int = 50) -> np.ndarray:
    """Return logistic-regression weights [bias, w...] fitted by Newton's method (IRLS) with an L2 penalty."""
    design = np.hstack([np.ones((len(x), 1)), x])
    weights = np.zeros(design.shape[1])
    penalty = l2 * np.eye(design.shape[1])
    penalty[0, 0] = 0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-design @ weights))
        gradient = design.T @ (p - y) + penalty @ weights
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + penalty
        step = np.linalg.solve(hessian, gradient)
        weights -= step
        if np.abs(step).max() < 1e-8:
            break
    return weights


def main(argv: Sequence[str] | None = None) -> int:
    """Fit and print the calibration and its threshold table."""
    parser = argparse.ArgumentParser(prog="python -m bench calibrate")
    parser.add_argument("--docs", type=Path, default=SHARED / "capgo-docs")
    parser.add_argument("--faq", type=Path, default=ROOT / "faq")
    parser.add_argument("--eval", type=Path, default=SHARED / "eval")
    args = parser.parse_args(argv)
    x, y, groups = _examples(args.docs, args.faq, args.eval)
    weights = fit(x, y)
    fitted = {"bias": round(float(weights[0]), 3)} | {
        name: round(float(w), 3) for name, w in zip(FEATURES, weights[1:], strict=True)
    }
    print(f"{len(y)} examples, {y.mean():.2f} with a correct top page\n")
    print("CALIBRATION =", json.dumps(fitted))
    current = np.array([calibrate(dict(zip(FEATURES, row, strict=True))) for row in x])
    new = np.array([calibrate(dict(zip(FEATURES, row, strict=True)), fitted) for row in x])
    for name, probs in (("current", current), ("fitted", new)):
        print(f"\n#### {name} calibration: per threshold, share answered / precision of answers\n")
        print("| threshold | all | FAQ paraphrases | dev Discord | dev real |")
        print("|---|---|---|---|---|")
        for threshold in (0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
            cells = []
            for group in (None, "faq", "dev-discord", "dev-real"):
                mask = np.array([group is None or g.startswith(group) for g in groups])
                answered = mask & (probs >= threshold)
                share = answered.sum() / max(mask.sum(), 1)
                precision = y[answered].mean() if answered.any() else float("nan")
                cells.append(f"{share:.2f} / {precision:.2f}")
            print(f"| {threshold:.1f} | " + " | ".join(cells) + " |")
        print("\nreliability (mean predicted vs observed, by decile of confidence):")
        order = np.argsort(probs)
        for chunk in np.array_split(order, 10):
            print(f"  predicted {probs[chunk].mean():.2f}  observed {y[chunk].mean():.2f}  (n={len(chunk)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
