"""Measures of bot.core.analysis on the development sets in /work/shared/eval (Markdown table on stdout).

Usage: ``.venv/bin/python bench/analysis_dev.py [--eval-dir DIR] [--errors]``

* per detail precision / recall / F1 on dev_bug_reports.jsonl (target F1 >= 0.90 each)
* silence rate: share of dev_silence.jsonl analysed as chitchat or other (target >= 0.98)
* question sets: share of dev_discord_questions / dev_real_questions analysed as question or bug_report
* bug reports: share analysed as bug_report or question; reports without any detail analysed as bug_report
* routing accuracy on dev_routing.jsonl (target >= 0.90) and no-route rate on the other Discord sets (>= 0.97)
* language accuracy per language over all sets, without hint and with the labelled language as channel hint
* mean / p99 microseconds per analyse() call (model already loaded)
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

from bot.core.analysis import DETAILS, LANGS, Intent, analyse

DEFAULT_EVAL = Path("/work/shared/eval")
ANSWERABLE = (Intent.QUESTION, Intent.BUG_REPORT)
SILENT = (Intent.CHITCHAT, Intent.OTHER)


def load(eval_dir: Path, name: str) -> list[dict]:
    """Rows of one JSON-lines file."""
    with (eval_dir / name).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def rate(hits: int, total: int) -> str:
    """'0.975 (39/40)'."""
    return f"{hits / total:.3f} ({hits}/{total})" if total else "n/a"


def main() -> int:
    """Print the measure table; exit status 1 if a target is missed."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL)
    ap.add_argument("--errors", action="store_true", help="list the misclassified messages")
    args = ap.parse_args()
    sets = {
        name: load(args.eval_dir, f"dev_{name}.jsonl")
        for name in ("bug_reports", "silence", "discord_questions", "real_questions", "routing")
    }
    errors: list[str] = []
    failed: list[str] = []
    out: list[str] = ["| measure | value | target |", "|---|---|---|"]

    def row(measure: str, value: str, target: str = "", ok: bool | None = None) -> None:
        mark = "" if ok is None else (" ✅" if ok else " ❌")
        out.append(f"| {measure} | {value}{mark} | {target} |")
        if ok is False:
            failed.append(measure)

    # details
    counts = {d: [0, 0, 0] for d in DETAILS}  # tp fp fn
    for r in sets["bug_reports"]:
        a = analyse(r["text"], lang_hint=None)
        for d in DETAILS:
            gold, got = bool(r["present"][d]), d in a.present
            counts[d][0] += gold and got
            counts[d][1] += got and not gold
            counts[d][2] += gold and not got
            if gold != got:
                errors.append(f"detail {d}: gold={gold} got={got} [{r['id']}] {r['text'][:110]!r}")
    for d in DETAILS:
        tp, fp, fn = counts[d]
        p = tp / (tp + fp) if tp + fp else 1.0
        rc = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * p * rc / (p + rc) if p + rc else 0.0
        row(f"detail `{d}` P / R / F1", f"{p:.3f} / {rc:.3f} / {f1:.3f}", "F1 >= 0.90", f1 >= 0.90)

    # intents
    def intent_rate(name: str, allowed: tuple[Intent, ...], rows: list[dict] | None = None) -> tuple[int, int]:
        rows = sets[name] if rows is None else rows
        hits = 0
        for r in rows:
            a = analyse(r["text"], title=r.get("title"))
            if a.intent in allowed:
                hits += 1
            else:
                errors.append(f"intent {name}: got={a.intent.value} {a.signals[1]!r} {r['text'][:100]!r}")
        return hits, len(rows)

    h, n = intent_rate("silence", SILENT)
    row("silence: chitchat/other", rate(h, n), ">= 0.98", h / n >= 0.98)
    h, n = intent_rate("discord_questions", ANSWERABLE)
    row("discord questions: question/bug_report", rate(h, n), "1.00", h == n)
    h, n = intent_rate("real_questions", ANSWERABLE)
    row("real questions (GitHub): question/bug_report", rate(h, n), "1.00", h == n)
    h, n = intent_rate("bug_reports", ANSWERABLE)
    row("bug reports: bug_report/question", rate(h, n), "1.00", h == n)
    bare = [r for r in sets["bug_reports"] if not any(r["present"].values())]
    h, n = intent_rate("bug_reports", (Intent.BUG_REPORT,), bare)
    row("bug reports without details: bug_report", rate(h, n), "1.00", h == n)

    # routes
    hits = 0
    for r in sets["routing"]:
        a = analyse(r["text"])
        hits += a.route == r["route"]
        if a.route != r["route"]:
            errors.append(f"route: gold={r['route']} got={a.route} {a.signals[-1]!r} {r['text'][:100]!r}")
    n = len(sets["routing"])
    row("routing accuracy", rate(hits, n), ">= 0.90", hits / n >= 0.90)
    pool = sets["discord_questions"] + sets["bug_reports"] + sets["silence"]
    none = 0
    for r in pool:
        a = analyse(r["text"])
        none += a.route is None
        if a.route is not None:
            errors.append(f"false route {a.route}: {a.signals[-1]!r} {r['text'][:100]!r}")
    routed = len(pool) - none
    row(
        "false-route rate on questions + bugs + silence", rate(routed, len(pool)), "<= 0.03", routed / len(pool) <= 0.03
    )
    real_routes = sum(analyse(r["text"], title=r.get("title")).route is not None for r in sets["real_questions"])
    row("routes on real questions (GitHub, info)", f"{real_routes}/{len(sets['real_questions'])}", "few")

    # language
    per_lang: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # ok, ok with hint, total
    for name, rows in sets.items():
        for r in rows:
            text, title = r["text"], r.get("title")
            got = analyse(text, title=title).lang
            got_hint = analyse(text, title=title, lang_hint=r["lang"]).lang
            c = per_lang[r["lang"]]
            c[0] += got == r["lang"]
            c[1] += got_hint == r["lang"]
            c[2] += 1
            if got != r["lang"]:
                errors.append(f"lang {name}: gold={r['lang']} got={got} {text[:80]!r}")
    tot = [sum(c[i] for c in per_lang.values()) for i in range(3)]
    for lang in LANGS:
        ok, ok_hint, total = per_lang[lang]
        row(f"language `{lang}` accuracy (no hint / channel hint)", f"{rate(ok, total)} / {ok_hint / total:.3f}")
    row("language accuracy, all (no hint / channel hint)", f"{rate(tot[0], tot[2])} / {tot[1] / tot[2]:.3f}")

    # speed
    texts = [(r["text"], r.get("title")) for rows in sets.values() for r in rows]
    analyse("warm up")
    timings = []
    for _ in range(20):
        for text, title in texts:
            t0 = time.perf_counter_ns()
            analyse(text, title=title)
            timings.append((time.perf_counter_ns() - t0) / 1000)
    timings.sort()
    mean = statistics.fmean(timings)
    p99 = timings[int(len(timings) * 0.99) - 1]
    row("analyse() mean / p99 µs", f"{mean:.0f} / {p99:.0f}", "mean < 1000", mean < 1000)

    print("\n".join(out))
    if args.errors and errors:
        print("\nErrors:")
        for e in errors:
            print(" -", e)
    if failed:
        print(f"\nTargets missed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
