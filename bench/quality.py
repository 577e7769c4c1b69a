"""Quality benchmark on data the models were not fitted to: the test split, and grouped k-fold cross-validation.

Test split (see :mod:`bench.dataset`): the shipped bot, through its stable command line (`python -m bot triage
--jsonl`), on every labelled message of the test split; in the same run, two retrieval baselines (plain BM25 over
whole pages with bm25s, rapidfuzz over page titles). Cross-validation: for each of 5 grouped folds of train +
validation, the understanding models and the doc re-ranker (ranker, answer confidence, query adapter) are refitted
on the other folds (same hyper-parameters as the shipped ones) and the pipeline runs in-process on the held fold.

Both also report a probe (not a target of the issue): every message again with a greeting, a thanks or both
(``bench/labelled/politeness_probe.toml``), and the share whose decision a user would see unchanged.

Prints Markdown tables (paste them into the README and issue notes).

Usage: python -m bench quality [--no-cv] [--verbose]
"""

from __future__ import annotations

import argparse
import json
import math
import re
import subprocess
import sys
import tomllib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.dataset import Example, Split, casual_variant, load_split, stable_pick
from bot.core.vocabulary import DETAILS, LANGS, ROUTES

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
TARGETS = {
    "first": 0.80,
    "top3": 0.93,
    "weakest_first": 0.70,
    "precision": 0.92,
    "answer_rate": 0.55,
    "routing": 0.90,
    "remind": 0.90,
    "detail_f1": 0.92,
    "silence": 0.98,
    "real_first": 0.33,
    "real_top3": 0.58,
}
Record = dict
POLITENESS_PROBE = ROOT / "bench" / "labelled" / "politeness_probe.toml"
_URL_RE = re.compile(r"https?://\S+")
_WORD_RE = re.compile(r"[^\W\d_]{2,}")


def page(url: str | None) -> str | None:
    """Return `url` without its anchor."""
    return url.split("#", 1)[0] if url else url


def run_bot(items: Sequence[dict], docs: Path, faq: Path) -> list[Record]:
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


def item(example: Example) -> dict:
    """The bot's input for an example. The language label is NOT passed: the bot detects it, as on Discord."""
    return {"text": example.text, **({"title": example.title} if example.title else {})}


@dataclass(frozen=True, slots=True)
class Probe:
    """The phrases of ``bench/labelled/politeness_probe.toml``, per language."""

    greetings: dict[str, list[str]]
    thanks: dict[str, list[str]]
    titles: dict[str, list[str]]


def load_probe(path: Path = POLITENESS_PROBE) -> Probe:
    """The surface probe's phrases (greetings, thanks, titles that name no topic), per language."""
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    return Probe(*({lang: raw[key][lang] for lang in LANGS} for key in ("greetings", "thanks", "titles")))


def politely(example: Example, probe: Probe) -> dict | None:
    """The example's input with a greeting before its text, a thanks after it, or both (chosen by a stable hash of
    its id, phrases of its labelled language)."""
    lang = example.lang if example.lang in probe.greetings else "en"
    greetings, thanks = probe.greetings[lang], probe.thanks[lang]
    key = stable_pick("polite", example)
    greeting, closing = greetings[key // 3 % len(greetings)], thanks[key // 7 % len(thanks)]
    space = "" if example.lang == "zh" else " "
    text = [
        f"{greeting},{space}{example.text}",
        f"{example.text}{space}{closing}",
        f"{greeting}!{space}{example.text}{space}{closing}",
    ][key % 3]
    return item(example) | {"text": text}


def generically_titled(example: Example, probe: Probe) -> dict | None:
    """The example's input posted in a forum under a title that names no topic ("Help", "Je galère"); None for a
    message that has a title of its own."""
    if example.title:
        return None
    titles = probe.titles[example.lang if example.lang in probe.titles else "en"]
    return item(example) | {"title": titles[stable_pick("title", example) % len(titles)]}


def casually(example: Example, probe: Probe) -> dict | None:
    """The example typed casually (:func:`bench.dataset.casual_text`: no accents, capitals or closing question
    mark); None when that changes nothing (most Chinese messages)."""
    variant = casual_variant(example)
    return None if variant is None else item(variant)


#: (row label, outcome key, how a message is varied): the decision should not change.
PROBES: tuple[tuple[str, str, Callable[[Example, Probe], dict | None]], ...] = (
    ("decision unchanged with a greeting and a thanks", "politeness held", politely),
    ("decision unchanged under a forum title naming no topic", "generic title held", generically_titled),
    ("decision unchanged typed casually (no accents, capitals or question mark)", "casual held", casually),
)


def decision_of(record: Record) -> tuple:
    """What a user sees of a decision: the action, the page answered with and the route."""
    return record["action"], page(record.get("answer")), record.get("route")


def decision_held(pairs: Sequence[tuple[Example, Record]], varied: Sequence[Record | None]) -> dict[str, object]:
    """Share of messages whose decision (:func:`decision_of`) is the same once varied, overall and per kind of
    message; `varied[i]` is the record of `pairs[i]`'s example varied by a probe (None: the probe does not apply)."""
    kinds: dict[str, list[bool]] = defaultdict(list)
    per_uid = {}
    for (e, r), v in zip(pairs, varied, strict=True):
        if v is not None:
            per_uid[e.uid] = decision_of(r) == decision_of(v)
            kinds[e.kind].append(per_uid[e.uid])
    same = list(per_uid.values())
    return {
        "held": sum(same) / max(len(same), 1),
        "n": len(same),
        "by_kind": {kind: (sum(v) / len(v), len(v)) for kind, v in sorted(kinds.items())},
        "per_uid": per_uid,
    }


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


def ranking(ranked: Sequence[Sequence[str]], gold: Sequence[Sequence[str]]) -> tuple[float, float]:
    """Return (share with a correct page first, share with one in the top 3)."""
    first = sum(1 for r, g in zip(ranked, gold, strict=True) if r and page(r[0]) in g)
    top3 = sum(1 for r, g in zip(ranked, gold, strict=True) if any(page(u) in g for u in r[:3]))
    n = max(len(gold), 1)
    return first / n, top3 / n


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a proportion (95% by default): how far a share measured on `n` messages may be
    from the rate on messages like them. Unlike the normal approximation it stays inside 0-1 for small `n`."""
    if n <= 0:
        return 0.0, 1.0
    share = successes / n
    denominator = 1 + z * z / n
    centre = (share + z * z / (2 * n)) / denominator
    half = z * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def interval(share: float, n: int) -> str:
    """The 95% Wilson interval of `share` measured on `n` messages, as "0.62-0.89"."""
    low, high = wilson(round(share * n), n)
    return f"{low:.2f}-{high:.2f}"


def f1(tp: int, fp: int, fn: int) -> float:
    """F1 from counts (1.0 when there is nothing to find and nothing was found)."""
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0


def urls(record: Record) -> list[str]:
    """Ranked page URLs of a record."""
    return [m["url"] for m in record["matches"]]


def first_right(e: Example, r: Record) -> bool:
    """Whether the bot's first page answers the message (its retrieval, answered or not)."""
    return bool(r["matches"]) and page(urls(r)[0]) in e.answer_docs


def answer_right(e: Example, r: Record) -> bool:
    """Whether the page the bot answered with answers the message (False when it did not answer)."""
    return r["action"] == "answer" and page(r["answer"]) in e.answer_docs


def routed_right(e: Example, r: Record) -> bool:
    """Whether the bot took the message's labelled route (none included)."""
    return (r["route"] or None) == e.route


def _share_by_lang(flags: Iterable[tuple[str, bool]]) -> dict[str, float]:
    """The share of true flags per language, for the languages that have any."""
    by_lang: dict[str, list[bool]] = defaultdict(list)
    for lang, flag in flags:
        by_lang[lang].append(flag)
    return {lang: sum(v) / len(v) for lang, v in by_lang.items()}


def measure(pairs: Sequence[tuple[Example, Record]]) -> dict[str, object]:
    """Every figure of the issue table from (example, bot record) pairs."""
    by_kind: dict[str, list[tuple[Example, Record]]] = defaultdict(list)
    for e, r in pairs:
        by_kind[e.kind].append((e, r))
    out: dict[str, object] = {"n": {k: len(v) for k, v in by_kind.items()}}
    questions = by_kind["question"]
    out["first"], out["top3"] = ranking([urls(r) for _, r in questions], [e.answer_docs for e, _ in questions])
    per_lang: dict[str, tuple[int, float, float]] = {}
    answer_lang: dict[str, tuple[float, float | None]] = {}  # answer rate, share of the answers that are right
    for lang in LANGS:
        subset = [(e, r) for e, r in questions if e.lang == lang]
        if subset:
            first, top3 = ranking([urls(r) for _, r in subset], [e.answer_docs for e, _ in subset])
            per_lang[lang] = (len(subset), first, top3)
            done = [(e, r) for e, r in subset if r["action"] == "answer"]
            right = sum(answer_right(e, r) for e, r in done) / len(done) if done else None
            answer_lang[lang] = (len(done) / len(subset), right)
    out["per_lang"] = per_lang
    out["answer_lang"] = answer_lang
    out["weakest"] = min(per_lang.items(), key=lambda kv: kv[1][1]) if per_lang else ("-", (0, 0.0, 0.0))
    answered = [(e, r) for e, r in questions if r["action"] == "answer"]
    out["answer_rate"] = len(answered) / max(len(questions), 1)
    out["precision"] = sum(answer_right(e, r) for e, r in answered) / max(len(answered), 1)
    out["n_answered"] = len(answered)
    # Language identification decides the language of every reply; messages without words (emoji, a bare link) are
    # left out: they get the channel's language or English, by design.
    out["lang_id"] = _share_by_lang(
        (e.lang, r.get("lang") == e.lang)
        for e, r in pairs
        if e.kind != "real" and _WORD_RE.search(_URL_RE.sub(" ", e.query))
    )
    routing = by_kind["routing"]
    out["routing"] = sum(routed_right(e, r) for e, r in routing) / max(len(routing), 1)
    out["confusion"] = Counter((e.route or "none", r["route"] or "none") for e, r in routing)
    bugs = by_kind["bug"]
    lacking = [(e, r) for e, r in bugs if not any(e.present.values())]
    out["remind"] = sum(r["action"] == "remind" for _, r in lacking) / max(len(lacking), 1)
    out["n_lacking"] = len(lacking)
    detail_f1 = {}
    for detail in DETAILS:
        tp = sum(detail in r["missing"] and not e.present[detail] for e, r in bugs)
        fp = sum(detail in r["missing"] and e.present[detail] for e, r in bugs)
        fn = sum(detail not in r["missing"] and not e.present[detail] for e, r in bugs)
        detail_f1[detail] = f1(tp, fp, fn)
    out["detail_f1"] = detail_f1
    silence = by_kind["silence"]
    out["silence"] = sum(r["action"] == "silent" for _, r in silence) / max(len(silence), 1)
    out["silence_lang"] = _share_by_lang((e.lang, r["action"] == "silent") for e, r in silence)
    out["routing_lang"] = _share_by_lang((e.lang, routed_right(e, r)) for e, r in routing)
    real = [(e, r) for e, r in by_kind["real"] if e.answer_docs]
    out["real_first"], out["real_top3"] = ranking([urls(r) for _, r in real], [e.answer_docs for e, _ in real])
    out["n_real"] = len(real)
    return out


def outcomes(pairs: Sequence[tuple[Example, Record]]) -> dict[str, dict[str, bool]]:
    """Per measure, whether the bot got each message right (uid -> bool): the per-message form of :func:`measure`,
    for comparing two builds message by message (``--save-outcomes`` / ``--against``)."""
    out: dict[str, dict[str, bool]] = defaultdict(dict)
    for e, r in pairs:
        if e.kind in ("question", "real") and e.answer_docs:
            prefix = "" if e.kind == "question" else "real "
            out[prefix + "first"][e.uid] = first_right(e, r)
            out[prefix + "top 3"][e.uid] = any(page(u) in e.answer_docs for u in urls(r)[:3])
        if e.kind == "question":
            right = answer_right(e, r)
            out["answered right"][e.uid] = right
            out["no wrong answer"][e.uid] = right or r["action"] != "answer"
        elif e.kind == "routing":
            out["routing"][e.uid] = routed_right(e, r)
        elif e.kind == "silence":
            out["silence"][e.uid] = r["action"] == "silent"
        elif e.kind == "bug" and not any(e.present.values()):
            out["remind"][e.uid] = r["action"] == "remind"
    return dict(out)


def mcnemar(fixed: int, broken: int) -> float:
    """Two-sided exact McNemar p-value: how likely a split of the changed messages at least this uneven is when
    the two builds are equally good (a sign test on the discordant pairs)."""
    n = fixed + broken
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, k) for k in range(min(fixed, broken) + 1)) / 2**n
    return min(1.0, 2 * tail)


def comparison_rows(before: dict[str, dict[str, bool]], now: dict[str, dict[str, bool]]) -> list[tuple]:
    """(measure, n, share before, share now, fixed, broken, p) over the messages both runs measured."""
    rows = []
    for name, current in now.items():
        previous = before.get(name, {})
        shared = sorted(set(current) & set(previous))
        if not shared:
            continue
        fixed = sum(current[u] and not previous[u] for u in shared)
        broken = sum(previous[u] and not current[u] for u in shared)
        share_before = sum(previous[u] for u in shared) / len(shared)
        share_now = sum(current[u] for u in shared) / len(shared)
        rows.append((name, len(shared), share_before, share_now, fixed, broken, mcnemar(fixed, broken)))
    return rows


def print_comparison(path: Path, saved: dict, parts: dict[str, dict[str, dict[str, bool]]]) -> None:
    """The message-by-message comparison with a run saved by ``--save-outcomes``."""
    print(f"### Against {path} (commit {saved.get('commit', '?')})\n")
    print("Decide on the cross-validation rows; a change kept because of the test-split rows is tuned on them.\n")
    print("| part | measure | n | before | now | fixed | broken | McNemar p |\n|---|---|---|---|---|---|---|---|")
    for part, now in parts.items():
        for name, n, was, share, fixed, broken, p in comparison_rows(saved.get(part, {}), now):
            print(f"| {part} | {name} | {n} | {was:.3f} | {share:.3f} | {fixed} | {broken} | {p:.2f} |")
    print()


def _commit() -> str:
    """The checked-out commit, marked when the working tree has changes (what a saved run was measured on)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
        dirty = subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True, cwd=ROOT)
    except OSError:
        return "?"
    return (head.stdout.strip() or "?") + ("+changes" if dirty.stdout.strip() else "")


def reliability(pairs: Sequence[tuple[Example, Record]], bins: int = 10) -> tuple[float, list[tuple]]:
    """Expected calibration error of the top match's confidence on questions, and the reliability rows."""
    rows = [(r["matches"][0]["score"], first_right(e, r)) for e, r in pairs if e.kind == "question" and r["matches"]]
    table = []
    ece = 0.0
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        inside = [(c, ok) for c, ok in rows if low <= c < high or (b == bins - 1 and c == 1.0)]
        if not inside:
            continue
        conf = sum(c for c, _ in inside) / len(inside)
        acc = sum(ok for _, ok in inside) / len(inside)
        ece += len(inside) / len(rows) * abs(conf - acc)
        table.append((f"{low:.1f}-{high:.1f}", len(inside), conf, acc))
    return ece, table


def precision_curve(pairs: Sequence[tuple[Example, Record]], thresholds: Sequence[float]) -> list[tuple]:
    """(threshold, answer rate, precision) of answering the top match when its confidence reaches the threshold."""
    rows = [
        (r["matches"][0]["score"] if r["matches"] else 0.0, first_right(e, r)) for e, r in pairs if e.kind == "question"
    ]
    out = []
    for t in thresholds:
        chosen = [ok for c, ok in rows if c >= t]
        out.append((t, len(chosen) / max(len(rows), 1), sum(chosen) / max(len(chosen), 1)))
    return out


#: the decision's rules for a bug report missing details: reminded, or (below the reminder floor) answered or left
#: alone; together they are every message the floor decides on, whatever floor the records were made with
REMIND_RULES = frozenset({"remind.missing", "remind.unsure", "answer.unsure_report"})


def remind_floor_curve(
    pairs: Sequence[tuple[Example, Record]], floors: Sequence[float], answer_threshold: float
) -> list[tuple]:
    """(floor, silence, remind when every detail is missing, answer rate, precision) had the decision used each
    reminder floor (``remind_min_probability``): a report under the floor is answered when its top match reaches
    `answer_threshold`, otherwise left alone, as :func:`bot.core.decision.decide` does."""
    out = []
    for floor in floors:
        moved = []
        for e, r in pairs:
            if r["rule"] in REMIND_RULES:
                if r["intent_probabilities"].get("bug_report", 1.0) >= floor:
                    action = "remind"
                else:
                    confident = bool(r["matches"]) and r["matches"][0]["score"] >= answer_threshold
                    action = "answer" if confident else "silent"
                answer = r["matches"][0]["url"] if action == "answer" else None
                r = {**r, "action": action, "answer": answer}
            moved.append((e, r))
        m = measure(moved)
        out.append((floor, m["silence"], m["remind"], m["answer_rate"], m["precision"]))
    return out


def mark(value: float, target: float) -> str:
    """The value, in bold when it misses its target (cut to three decimals when two would read as the target)."""
    if value >= target - 1e-9:
        return f"{value:.2f}"
    # Rounded to the target's two decimals, a miss would print the target itself: show it cut to three.
    shown = f"{value:.2f}" if f"{value:.2f}" != f"{target:.2f}" else f"{math.floor(value * 1000) / 1000:.3f}"
    return f"**{shown}**"


def print_summary(title: str, m: dict, baseline: dict | None = None, probes: dict[str, dict] | None = None) -> None:
    """The issue's table for one evaluation, with the 95% interval of every share measured on a count of messages
    (a target inside the interval is not missed or met beyond doubt)."""
    t = TARGETS
    print(f"### {title}\n")
    head = "| measure | bot | 95% interval | target |" + (" BM25 pages |" if baseline else "")
    print(head)
    print("|---|---|---|---|" + ("---|" if baseline else ""))

    def row(name: str, value: str, spread: str, target: str, base: str = "") -> None:
        print(f"| {name} | {value} | {spread} | {target} |" + (f" {base} |" if baseline else ""))

    n = m["n"]
    questions = n.get("question", 0)
    row(
        f"Discord questions (n={questions}): right page first / in top 3",
        f"{mark(m['first'], t['first'])} / {mark(m['top3'], t['top3'])}",
        f"{interval(m['first'], questions)} / {interval(m['top3'], questions)}",
        ">= 0.80 / >= 0.93",
        f"{baseline['first']:.2f} / {baseline['top3']:.2f}" if baseline else "",
    )

    def share(label: str, value: float, target_key: str, count: int, target: str) -> None:
        row(label, mark(value, t[target_key]), interval(value, count), target)

    lang, (count, first, _) = m["weakest"]
    share(f"weakest language, first ({lang}, n={count})", first, "weakest_first", count, ">= 0.70 every language")
    row(
        f"auto-answers that are right (precision, n={m['n_answered']}) at answer rate",
        f"{mark(m['precision'], t['precision'])} at {mark(m['answer_rate'], t['answer_rate'])}",
        f"{interval(m['precision'], m['n_answered'])} at {interval(m['answer_rate'], questions)}",
        ">= 0.92 at >= 0.55",
    )
    routing, lacking, silence = n.get("routing", 0), m["n_lacking"], n.get("silence", 0)
    share(f"policy routing accuracy (n={routing})", m["routing"], "routing", routing, ">= 0.90")
    share(f"remind when every detail is missing (n={lacking})", m["remind"], "remind", lacking, ">= 0.90")
    worst = min(m["detail_f1"].items(), key=lambda kv: kv[1])
    row(f"worst per-detail F1, missing details ({worst[0]})", mark(worst[1], t["detail_f1"]), "", ">= 0.92")
    share(f"silence on chit-chat (n={silence})", m["silence"], "silence", silence, ">= 0.98")
    row(
        f"real GitHub threads first / top 3 (n={m['n_real']})",
        f"{mark(m['real_first'], t['real_first'])} / {mark(m['real_top3'], t['real_top3'])}",
        f"{interval(m['real_first'], m['n_real'])} / {interval(m['real_top3'], m['n_real'])}",
        ">= 0.33 / >= 0.58",
        f"{baseline['real_first']:.2f} / {baseline['real_top3']:.2f}" if baseline else "",
    )
    for label, held in (probes or {}).items():
        row(f"{label} (n={held['n']})", f"{held['held']:.2f}", interval(held["held"], held["n"]), "(probe, no target)")
    print()
    for label, held in (probes or {}).items():
        kinds = ", ".join(f"{kind} {share:.2f} (n={n})" for kind, (share, n) in held["by_kind"].items())
        print(f"{label[0].upper()}{label[1:]}, by kind of message: {kinds}.\n")


def print_details(m: dict, bm25_lang: dict[str, float] | None = None) -> None:
    """Per-language rows, per-detail F1 and the route confusion matrix."""
    print(
        "| lang | questions | first | top 3 |"
        + (" BM25 first |" if bm25_lang else "")
        + " answered | answers right | routing | silence | language identified |"
    )
    print("|---|---|---|---|" + ("---|" if bm25_lang else "") + "---|---|---|---|---|")

    def cell(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    for lang in LANGS:
        count, first, top3 = m["per_lang"].get(lang, (0, 0.0, 0.0))
        base = f" {bm25_lang.get(lang, 0.0):.2f} |" if bm25_lang else ""
        rate, right = m["answer_lang"].get(lang, (None, None))
        print(
            f"| {lang} | {count} | {first:.2f} | {top3:.2f} |{base} {cell(rate)} | {cell(right)} | "
            f"{cell(m['routing_lang'].get(lang))} | {cell(m['silence_lang'].get(lang))} | "
            f"{cell(m['lang_id'].get(lang))} |"
        )
    print("\n| detail | F1 (missing) |\n|---|---|")
    for detail, value in m["detail_f1"].items():
        print(f"| {detail} | {value:.2f} |")
    labels = ("none", *ROUTES)
    print("\nRoute confusion (rows: label, columns: bot)\n")
    print("| label \\ bot | " + " | ".join(labels) + " |")
    print("|---|" + "---|" * len(labels))
    for gold in labels:
        print(f"| {gold} | " + " | ".join(str(m["confusion"].get((gold, p), 0)) for p in labels) + " |")
    print()


def cross_validated(
    split: Split, docs: Path, faq: Path, varied: dict[str, list[Record | None]] | None = None
) -> list[tuple[Example, Record]]:
    """Pipeline records on train + validation, each fold run with models fitted on the other folds: the
    understanding models and (when the shipped one loads) the doc re-ranker with its query adapter. With `varied`,
    for every probe of :data:`PROBES` (by outcome key) the record of each message varied by it (None where it does
    not apply), in the same order."""
    from bench.train import FOLDS, TASKS, Features, fit_with
    from bench.train_rerank import fold_rerankers, query_vectors
    from bot.cli import build_analyser, build_engine
    from bot.core.analysis import Analyser
    from bot.core.classifier import ModelSet, load_models
    from bot.settings import load_settings

    settings = load_settings({"STATUS_URL": "off"}, env_file=None)
    shipped = load_models()
    encoder = build_analyser(settings).encoder
    suffix = "+sem" if encoder is not None else ""
    params = shipped.meta.get("params", {})
    pool = list(split.part("train", "validation"))
    features = Features(pool, encoder)
    engine = build_engine(settings, faq=faq, docs=docs)
    rerankers = {}
    if engine.index.reranker is not None:  # else the lexical order, as the bot would run
        vectors = query_vectors(pool) if engine.index.page_vectors is not None else None
        rerankers = fold_rerankers(split, engine.index, vectors)
    now = datetime.now(UTC)
    probe = load_probe()
    pairs: list[tuple[Example, Record]] = []
    for fold, (kept, held) in enumerate(split.folds(pool, FOLDS)):
        if rerankers:
            engine.index.reranker = rerankers[fold]
        models = {}
        for task in TASKS:
            for semantic in (False, True) if suffix else (False,):
                name = task.name + ("+sem" if semantic else "")
                models[name] = fit_with(task, kept, features, params[name], semantic)
        engine.analyser = Analyser(ModelSet(models, shipped.meta), encoder=encoder)
        for e in held:
            result = engine.triage(e.text, now=now, title=e.title)
            pairs.append((e, result.as_record()))
            for _, key, vary in PROBES if varied is not None else ():
                variant = vary(e, probe)
                varied.setdefault(key, []).append(
                    None
                    if variant is None
                    else engine.triage(variant["text"], now=now, title=variant.get("title")).as_record()
                )
    return pairs


def main(argv: Sequence[str] | None = None) -> int:
    """Run the quality benchmark and print its tables."""
    parser = argparse.ArgumentParser(prog="python -m bench quality")
    parser.add_argument("--eval", type=Path, default=SHARED / "eval")
    parser.add_argument("--docs", type=Path, default=SHARED / "capgo-docs")
    parser.add_argument("--faq", type=Path, default=ROOT / "faq")
    parser.add_argument("--no-cv", action="store_true", help="skip the cross-validated run (test split only)")
    parser.add_argument(
        "--extra",
        type=Path,
        action="append",
        default=[],
        metavar="DIR",
        help="also evaluate a folder of your own labelled messages (as given to train)",
    )
    parser.add_argument(
        "--verbose", action="store_true", help="list every miss: of the test split, and of cross-validation (to study)"
    )
    parser.add_argument(
        "--save-outcomes", type=Path, metavar="FILE", help="write whether each message was right, per measure (JSON)"
    )
    parser.add_argument(
        "--against",
        type=Path,
        metavar="FILE",
        help="compare message by message with a run saved by --save-outcomes: fixed, broken, McNemar p",
    )
    args = parser.parse_args(argv)
    if args.save_outcomes and not args.save_outcomes.parent.is_dir():  # checked now, not after a minutes-long run
        parser.error(f"--save-outcomes {args.save_outcomes}: no such folder {args.save_outcomes.parent}")
    saved = None
    if args.against:
        try:
            saved = json.loads(args.against.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            parser.error(f"--against {args.against}: cannot read a saved run ({exc})")
        if not isinstance(saved, dict):
            parser.error(f"--against {args.against}: not a run saved by --save-outcomes")

    split = load_split(args.eval, args.extra)
    test = split.part("test")
    probe = load_probe()
    # One run for the messages and their probe variants (one start-up).
    variants = {key: [vary(e, probe) for e in test] for _, key, vary in PROBES}
    extra = [v for vs in variants.values() for v in vs if v is not None]
    every = run_bot([item(e) for e in test] + extra, args.docs, args.faq)
    records, rest = every[: len(test)], iter(every[len(test) :])
    pairs = list(zip(test, records, strict=True))
    m = measure(pairs)
    probes = {
        label: decision_held(pairs, [None if v is None else next(rest) for v in variants[key]])
        for label, key, _ in PROBES
    }

    baselines = Baselines(args.docs)
    systems: dict[str, Callable[[Example], list[str]]] = {
        "BM25 pages (bm25s)": lambda e: baselines.bm25_pages(e.query),
        "rapidfuzz titles": lambda e: baselines.rapidfuzz_titles(e.query),
    }
    base_pairs = {
        name: [(e, {"matches": [{"url": u, "score": 0.0} for u in rank(e)], "action": "silent", "answer": None,
                    "route": None, "missing": []}) for e in test if e.kind in ("question", "real")]
        for name, rank in systems.items()
    }  # fmt: skip
    bm25 = measure(base_pairs["BM25 pages (bm25s)"])
    counts = Counter(split.split.values())
    print(
        f"Split: {counts['train']} train / {counts['validation']} validation / {counts['test']} test messages "
        f"(bench/dataset.py; grouped, stable hash). Models: bot/core/models, trained on train + validation.\n"
    )
    print_summary("Test split (never used for fitting or tuning)", m, bm25, probes)
    print("Per language, test split:\n")
    print_details(m, {lang: v[1] for lang, v in bm25["per_lang"].items()})
    print("### Retrieval baselines, test split (first / top 3)\n")
    print("| system | Discord questions | real GitHub threads |\n|---|---|---|")
    print(f"| this bot | {m['first']:.2f} / {m['top3']:.2f} | {m['real_first']:.2f} / {m['real_top3']:.2f} |")
    for name, bp in base_pairs.items():
        b = measure(bp)
        print(f"| {name} | {b['first']:.2f} / {b['top3']:.2f} | {b['real_first']:.2f} / {b['real_top3']:.2f} |")
    ece, table = reliability(pairs)
    print(f"\n### Answer confidence, test split: reliability (ECE {ece:.3f})\n")
    print("| confidence | questions | mean confidence | right page first |\n|---|---|---|---|")
    for label, count, conf, acc in table:
        print(f"| {label} | {count} | {conf:.2f} | {acc:.2f} |")
    print("\n| threshold | answer rate | precision |\n|---|---|---|")
    for t, rate, precision in precision_curve(pairs, (0.5, 0.6, 0.7, 0.8, 0.9)):
        print(f"| {t:.2f} | {rate:.2f} | {precision:.2f} |")
    print()

    cv_pairs: list[tuple[Example, Record]] = []
    if not args.no_cv:
        cv_varied: dict[str, list[Record | None]] = {}
        cv_pairs = cross_validated(split, args.docs, args.faq, cv_varied)
        cv = measure(cv_pairs)
        cv_probes = {label: decision_held(cv_pairs, cv_varied[key]) for label, key, _ in PROBES}
        print_summary(
            "Grouped 5-fold cross-validation on train + validation (understanding models and re-ranker refitted)",
            cv,
            probes=cv_probes,
        )
        print("Per language, cross-validation:\n")
        print_details(cv)
        print("Answer threshold under cross-validation (choose ANSWER_THRESHOLD here, never on the test split):\n")
        print("| threshold | answer rate | precision |\n|---|---|---|")
        for t, rate, precision in precision_curve(cv_pairs, (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8)):
            print(f"| {t:.2f} | {rate:.2f} | {precision:.2f} |")
        print()
        from bot.settings import load_settings

        triage = load_settings({}, env_file=None).triage
        print(
            "Reminder floor under cross-validation (triage.remind_min_probability, now "
            f"{triage.remind_min_probability:.2f}; choose it here):\n"
        )
        print("| P(bug report) floor | silence | remind | answer rate | precision |\n|---|---|---|---|---|")
        floors = (0.0, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7)
        for floor, silence, remind, rate, precision in remind_floor_curve(cv_pairs, floors, triage.answer_threshold):
            print(f"| {floor:.2f} | {silence:.3f} | {remind:.3f} | {rate:.3f} | {precision:.3f} |")
        print()

    keys = {label: key for label, key, _ in PROBES}
    parts = {"test": outcomes(pairs) | {keys[label]: held["per_uid"] for label, held in probes.items()}}
    if cv_pairs:
        parts["cv"] = outcomes(cv_pairs) | {keys[label]: held["per_uid"] for label, held in cv_probes.items()}
    if saved is not None:
        print_comparison(args.against, saved, parts)
    if args.save_outcomes:
        args.save_outcomes.write_text(json.dumps({"commit": _commit(), **parts}, indent=1, sort_keys=True) + "\n")
        print(f"outcomes saved to {args.save_outcomes}")
    if args.verbose:
        # Study the cross-validation misses, not the test split's: what is changed because of a test miss is tuned
        # on the test split.
        _print_misses(pairs, "Test-split misses (for the record: never change anything because of one)")
        if cv_pairs:
            _print_misses(cv_pairs, "Cross-validation misses (train + validation, each from models fitted without it)")
    return 0


def _print_misses(pairs: Sequence[tuple[Example, Record]], title: str) -> None:
    """One line per question not answered by its page first, misrouted message, chit-chat the bot spoke to, and
    detail-less report it did not remind."""
    print(f"\n### {title}\n")
    for e, r in pairs:
        text = e.query[:80].replace("\n", " ")
        if e.kind == "question" and not first_right(e, r):
            print(f"- Q {e.uid} {e.lang} [{r['action']} {r['confidence']:.2f}] {text!r}\n    got {urls(r)[:3]}")
        elif e.kind == "routing" and not routed_right(e, r):
            print(f"- ROUTE {e.uid} want {e.route} got {r['route']} {text!r}")
        elif e.kind == "silence" and r["action"] != "silent":
            print(f"- SILENCE {e.uid} {r['action']} {text!r} ({r['reason']})")
        elif e.kind == "bug" and not any(e.present.values()) and r["action"] != "remind":
            print(f"- REMIND {e.uid} {r['action']} {text!r} ({r['reason']})")


if __name__ == "__main__":
    sys.exit(main())
