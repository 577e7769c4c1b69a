"""Quality benchmark: the five dev sets in shared/eval against the docs snapshot, with two baselines.

Runs the bot through its stable command line (`python -m bot triage --jsonl`), and in the same run:
- baseline A: plain rapidfuzz `process.extract` of the message over page titles;
- baseline B: plain BM25 (bm25s) over whole pages (title + text).
Prints Markdown tables (paste them into the README and issue notes).

Usage: python -m bench quality [--eval DIR] [--docs DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
DETAILS = ("error", "code", "versions", "platform", "steps")


def load_jsonl(path: Path) -> list[dict]:
    """Return the JSON objects of a JSON-lines file."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def page(url: str | None) -> str | None:
    """Return `url` without its anchor."""
    return url.split("#", 1)[0] if url else url


def run_bot(items: Sequence[dict], docs: Path, faq: Path) -> list[dict]:
    """Triage `items` through `python -m bot triage` and return its records in order."""
    payload = "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items)
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "triage", "--docs", str(docs), "--faq", str(faq), "--jsonl", "-"],
        input=payload,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"bot triage failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    records = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    if len(records) != len(items):
        raise SystemExit(f"bot triage returned {len(records)} records for {len(items)} inputs")
    return records


class Baselines:
    """The two reference searches, built over the same docs snapshot."""

    def __init__(self, docs: Path) -> None:
        import bm25s
        from rapidfuzz import process

        from bot.core.docs import load_docs_folder

        pages = load_docs_folder(docs, "https://capgo.app/")
        self.urls = [p.url for p in pages]
        self.titles = [p.title for p in pages]
        corpus = [
            p.title + "\n" + p.description + "\n" + "\n".join(s.heading + "\n" + s.text for s in p.sections)
            for p in pages
        ]
        self._bm25 = bm25s.BM25()
        self._bm25.index(bm25s.tokenize(corpus, stopwords="en", show_progress=False), show_progress=False)
        self._bm25s = bm25s
        self._process = process

    def rapidfuzz_titles(self, text: str) -> list[str]:
        """Return the top-5 page URLs by rapidfuzz similarity of the message to page titles."""
        hits = self._process.extract(text, self.titles, limit=5)
        return [self.urls[index] for _, _, index in hits]

    def bm25_pages(self, text: str) -> list[str]:
        """Return the top-5 page URLs by plain BM25 over whole pages."""
        tokens = self._bm25s.tokenize([text], stopwords="en", show_progress=False)
        if not tokens.vocab:
            return []
        results, _ = self._bm25.retrieve(tokens, k=5, show_progress=False)
        return [self.urls[int(i)] for i in results[0]]


def ranking_scores(ranked: Sequence[Sequence[str]], gold: Sequence[Sequence[str]]) -> tuple[float, float]:
    """Return (share with a correct page first, share with one in the top 3)."""
    first = sum(1 for r, g in zip(ranked, gold, strict=True) if r and page(r[0]) in g)
    top3 = sum(1 for r, g in zip(ranked, gold, strict=True) if any(page(u) in g for u in r[:3]))
    n = max(len(gold), 1)
    return first / n, top3 / n


def f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    """Return precision, recall and F1."""
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall, (2 * precision * recall / (precision + recall) if precision + recall else 0.0)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the quality benchmark and print its tables."""
    parser = argparse.ArgumentParser(prog="python -m bench quality")
    parser.add_argument("--eval", type=Path, default=SHARED / "eval")
    parser.add_argument("--docs", type=Path, default=SHARED / "capgo-docs")
    parser.add_argument("--faq", type=Path, default=ROOT / "faq")
    parser.add_argument("--verbose", action="store_true", help="list every miss")
    args = parser.parse_args(argv)

    questions = load_jsonl(args.eval / "dev_discord_questions.jsonl")
    real = [r for r in load_jsonl(args.eval / "dev_real_questions.jsonl") if r.get("answer_doc")]
    silence = load_jsonl(args.eval / "dev_silence.jsonl")
    bugs = load_jsonl(args.eval / "dev_bug_reports.jsonl")
    routing = load_jsonl(args.eval / "dev_routing.jsonl")

    def item(row: dict) -> dict:
        # The language label is NOT passed: the bot must detect it, as it would on Discord.
        return {"text": row["text"], **({"title": row["title"]} if row.get("title") else {})}

    sets = {"questions": questions, "real": real, "silence": silence, "bugs": bugs, "routing": routing}
    flat = [item(row) for rows in sets.values() for row in rows]
    records = run_bot(flat, args.docs, args.faq)
    out: dict[str, list[dict]] = {}
    offset = 0
    for name, rows in sets.items():
        out[name] = records[offset : offset + len(rows)]
        offset += len(rows)

    baselines = Baselines(args.docs)
    systems: dict[str, Callable[[dict, dict], list[str]]] = {
        "this bot": lambda row, rec: [m["url"] for m in rec["matches"]],
        "rapidfuzz titles": lambda row, rec: baselines.rapidfuzz_titles(_query(row)),
        "BM25 pages (bm25s)": lambda row, rec: baselines.bm25_pages(_query(row)),
    }
    q_gold = [r["answer_docs"] for r in questions]
    r_gold = [[r["answer_doc"]] for r in real]
    print("### Retrieval (correct page first / in top 3)\n")
    print("| system | Discord questions first | top 3 | real GitHub threads first | top 3 |")
    print("|---|---|---|---|---|")
    for name, ranker in systems.items():
        q = ranking_scores([ranker(r, rec) for r, rec in zip(questions, out["questions"], strict=True)], q_gold)
        g = ranking_scores([ranker(r, rec) for r, rec in zip(real, out["real"], strict=True)], r_gold)
        print(f"| {name} | {q[0]:.2f} | {q[1]:.2f} | {g[0]:.2f} | {g[1]:.2f} |")

    print("\n### Discord questions per language (this bot vs BM25 pages, correct page first)\n")
    by_lang: dict[str, list[int]] = defaultdict(list)
    for index, row in enumerate(questions):
        by_lang[row["lang"]].append(index)
    print("| lang | n | bot first | bot top 3 | BM25 first |")
    print("|---|---|---|---|---|")
    for lang in ("en", "fr", "es", "it", "de", "pt", "id", "zh"):
        idx = by_lang.get(lang, [])
        if not idx:
            continue
        gold = [q_gold[i] for i in idx]
        bot = ranking_scores([[m["url"] for m in out["questions"][i]["matches"]] for i in idx], gold)
        bm = ranking_scores([baselines.bm25_pages(questions[i]["text"]) for i in idx], gold)
        print(f"| {lang} | {len(idx)} | {bot[0]:.2f} | {bot[1]:.2f} | {bm[0]:.2f} |")

    answered = [(row, rec) for row, rec in zip(questions, out["questions"], strict=True) if rec["action"] == "answer"]
    correct = sum(1 for row, rec in answered if page(rec["answer"]) in row["answer_docs"])
    print("\n### Decisions\n")
    print("| measure | value | target |")
    print("|---|---|---|")
    print(f"| Discord questions answered on its own | {len(answered) / len(questions):.2f} | >= 0.60 |")
    print(f"| ... of which point at a correct page | {correct / max(len(answered), 1):.2f} | >= 0.90 |")
    silent = sum(1 for rec in out["silence"] if rec["action"] == "silent")
    print(f"| messages to ignore: silent | {silent / len(silence):.2f} | >= 0.98 |")
    route_ok = sum(1 for row, rec in zip(routing, out["routing"], strict=True) if rec["route"] == row["route"])
    print(f"| routing correct | {route_ok / len(routing):.2f} | >= 0.90 |")
    lacking = [(row, rec) for row, rec in zip(bugs, out["bugs"], strict=True) if not any(row["present"].values())]
    reminded = sum(1 for _, rec in lacking if rec["action"] == "remind")
    print(f"| reports lacking every detail: remind | {reminded / max(len(lacking), 1):.2f} | >= 0.90 |")

    print("\n### Reproduction details (missing-detail detection on bug reports)\n")
    print("| detail | precision | recall | F1 | target F1 |")
    print("|---|---|---|---|---|")
    for detail in DETAILS:
        tp = fp = fn = 0
        for row, rec in zip(bugs, out["bugs"], strict=True):
            # A detail is flagged missing when the bot would ask for it.
            flagged = detail in rec["missing"]
            truly_missing = not row["present"][detail]
            tp += flagged and truly_missing
            fp += flagged and not truly_missing
            fn += (not flagged) and truly_missing
        p, r, f = f1(tp, fp, fn)
        print(f"| {detail} missing | {p:.2f} | {r:.2f} | {f:.2f} | >= 0.90 |")

    if args.verbose:
        print("\n### Misses\n")
        for row, rec in zip(questions, out["questions"], strict=True):
            urls = [m["url"] for m in rec["matches"]]
            if not urls or page(urls[0]) not in row["answer_docs"]:
                print(
                    f"- Q {row['id']} {row['lang']} [{rec['action']} {rec['confidence']:.2f}] {row['text'][:70]!r}"
                    f"\n    got {urls[:3]}\n    want {row['answer_docs']}"
                )
        for row, rec in zip(real, out["real"], strict=True):
            urls = [m["url"] for m in rec["matches"]]
            if not urls or page(urls[0]) != row["answer_doc"]:
                print(f"- R {row['source']} {row['title'][:60]!r}\n    got {urls[:3]}\n    want {row['answer_doc']}")
        for row, rec in zip(silence, out["silence"], strict=True):
            if rec["action"] != "silent":
                print(f"- S {row['id']} {rec['action']} {row['text'][:70]!r} ({rec['reason']})")
        for row, rec in zip(routing, out["routing"], strict=True):
            if rec["route"] != row["route"]:
                print(f"- ROUTE {row['id']} want {row['route']} got {rec['route']} {row['text'][:60]!r}")
        for row, rec in zip(questions, out["questions"], strict=True):
            if rec["action"] == "answer" and page(rec["answer"]) not in row["answer_docs"]:
                print(f"- WRONG ANSWER {row['id']} {rec['confidence']:.2f} {rec['answer']} {row['text'][:60]!r}")
    return 0


def _query(row: dict) -> str:
    return f"{row['title']}\n{row['text']}" if row.get("title") else row["text"]


if __name__ == "__main__":
    sys.exit(main())
