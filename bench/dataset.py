"""Labelled messages and the fixed train / validation / test split every model and benchmark uses.

Sources: the development sets in ``shared/eval`` and the larger corpus in ``shared/eval/corpus``. Every labelled
message becomes one :class:`Example` with a stable ``uid`` (``set:id``).

The split rule (fixed once; never change it to move a figure):

1. Near-duplicates are grouped so that a scenario and its translations land in the same split: questions by the
   first page that answers them (a model must not see a page's questions in training and be tested on the same
   page), bug reports, routing and silence messages by shared rare tokens (the corpus reuses one pasted log or one
   scenario across languages). Groups are the connected components of those links.
2. A group's split is ``sha256(smallest uid of the group) mod 100``: < 60 train, < 80 validation, else test.

Models are fitted on train, tuned on train + validation (grouped k-fold), and reported on test. The test split is
read only by ``python -m bench quality``.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

# Defined once in bot.core.vocabulary; re-exported for the benchmarks and training scripts that import them here.
from bot.core.vocabulary import DETAILS as DETAILS
from bot.core.vocabulary import ROUTES as ROUTES

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT.parent / "shared" / "eval"
SPLITS = ("train", "validation", "test")

# Rare-token links: a token in at most this many messages of one set, and at least this many shared.
_RARE_MAX_DF = 8
_MIN_SHARED_RARE = 3
_MIN_RARE_JACCARD = 0.25
_TOKEN_RE = re.compile(r"[\w@/.:'-]{4,}|\d+(?:\.\d+)+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled message."""

    uid: str
    kind: str  # question | real | silence | bug | routing
    lang: str
    text: str
    title: str | None = None
    answer_docs: tuple[str, ...] = ()
    route: str | None = None
    present: dict[str, bool] = field(default_factory=dict)
    source: str = ""  # which file it came from

    @property
    def query(self) -> str:
        """Title and text as the bot sees a forum post."""
        return f"{self.title}\n{self.text}" if self.title else self.text


_CODE_SPAN_RE = re.compile(r"```.*?```|`[^`\n]*`", re.S)
_CAPITALISED_RE = re.compile(r"\b[A-ZÀ-Ý][a-zà-ÿ]+\b")
_CLOSING_QUESTION_RE = re.compile(r"\s*[?？]+(?=\s*$)")


def _casual_prose(prose: str) -> str:
    folded = "".join(c for c in unicodedata.normalize("NFD", prose) if not unicodedata.combining(c))
    folded = _CAPITALISED_RE.sub(lambda m: m.group(0).lower(), folded)
    return _CLOSING_QUESTION_RE.sub("", folded.replace("¿", "").replace("¡", ""))


def casual_text(text: str) -> str:
    """`text` typed as on a phone in a hurry: accents dropped, capitalised words lower-cased, no opening ``¿``/``¡``
    and no closing question mark; code spans, identifiers and acronyms (``iOS``, ``setChannel``) kept."""
    parts, last = [], 0
    for span in _CODE_SPAN_RE.finditer(text):
        parts += [_casual_prose(text[last : span.start()]), span.group(0)]
        last = span.end()
    return unicodedata.normalize("NFC", "".join([*parts, _casual_prose(text[last:])]))


def casual_variant(example: Example) -> Example | None:
    """The example with its text and title typed casually (:func:`casual_text`), same labels, id suffixed
    ``~casual``; None when that changes nothing (most Chinese messages)."""
    text = casual_text(example.text)
    title = casual_text(example.title) if example.title else example.title
    if text == example.text and title == example.title:
        return None
    return replace(example, uid=f"{example.uid}~casual", text=text, title=title)


@dataclass(frozen=True, slots=True)
class Politeness:
    """The greetings, addressees and thanks of ``bot/resources/language/politeness.toml``, per language."""

    greetings: dict[str, list[str]]
    addressees: dict[str, list[str]]
    thanks: dict[str, list[str]]


def load_politeness() -> Politeness:
    """The phrases the analyser drops (the same file, read through importlib.resources)."""
    raw = tomllib.loads(resources.files("bot.resources.language").joinpath("politeness.toml").read_text("utf-8"))
    return Politeness(raw["greetings"], raw["addressees"], raw["thanks"])


def stable_pick(salt: str, example: Example) -> int:
    """A number drawn from the example's id (sha256 of ``salt:uid``): the same choice on every machine and run."""
    return int(hashlib.sha256(f"{salt}:{example.uid}".encode()).hexdigest(), 16)


def polite_variant(example: Example, politeness: Politeness) -> Example | None:
    """The example with two greetings before its text, two thanks after it, or both (``"hey! hola a todos, ...
    gracias! muchas gracias"``), phrases of its language chosen by a stable hash of its id, same labels, id suffixed
    ``~polite``; None when the analyser would read it as it reads the example.

    Two of each because the analyser drops one opening greeting and one closing thanks (:func:`bot.core.analysis.
    strip_politeness`): the other one stays, so a model learns that a greeting or a thanks, which the labelled
    messages almost never hold outside chit-chat, does not make a bug report or a question chit-chat. Only the
    analyser's own list is used, never the probe's phrases (``bench/labelled/politeness_probe.toml``), so the
    probe row still measures wording the models never learned from."""
    from bot.core.analysis import strip_politeness

    lang = example.lang if example.lang in politeness.greetings else "en"
    greetings, addressees, thanks = (
        table.get(lang, []) for table in (politeness.greetings, politeness.addressees, politeness.thanks)
    )
    key = stable_pick("polite-twin", example) >> 192  # its first 8 bytes: the draw the shipped models learned from

    def two(phrases: list[str], shift: int) -> tuple[str, str]:
        """Two different phrases of the list (the same one twice when a language has only one)."""
        first = key // shift % len(phrases)
        if len(phrases) < 2:
            return phrases[first], phrases[first]
        return phrases[first], phrases[(first + 1 + key // (shift * 7) % (len(phrases) - 1)) % len(phrases)]

    text = example.text
    if key % 3 != 1 and greetings:
        outer, inner = two(greetings, 3)
        if key // 5 % 2 and addressees:
            inner = f"{inner} {addressees[key // 11 % len(addressees)]}"
        text = f"{outer}! {inner}, {text}"
    if key % 3 != 0 and thanks:
        first, last = two(thanks, 13)
        text = f"{text} {first}! {last}"
    if strip_politeness(text) == strip_politeness(example.text):
        return None
    return replace(example, uid=f"{example.uid}~polite", text=text)


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_examples(eval_dir: Path = EVAL, extra: Sequence[Path] = ()) -> list[Example]:
    """Every labelled message of the dev sets and the corpus, in file order, then of each `extra` folder.

    An extra folder holds a community's own labelled messages in the corpus format (``questions.jsonl``,
    ``routing.jsonl``, ``silence.jsonl``, ``bug_reports.jsonl``; any may be missing), e.g. lines written by
    ``python -m bot export-gaps`` and labelled by a person. Their ids are prefixed with the folder name, so they
    get splits of their own by the same rule and the existing split never moves.
    """
    out: list[Example] = []
    corpus = eval_dir / "corpus"

    def add(kind: str, source: str, rows: Iterable[dict], uid_key: str = "id") -> None:
        for row in rows:
            answers = row.get("answer_docs") or ([row["answer_doc"]] if row.get("answer_doc") else [])
            out.append(
                Example(
                    uid=f"{source}:{row[uid_key]}",
                    kind=kind,
                    lang=row.get("lang", "en"),
                    text=row["text"],
                    title=row.get("title") or None,
                    answer_docs=tuple(a.split("#", 1)[0] for a in answers),
                    route=row.get("route"),
                    present=dict(row.get("present") or {}),
                    source=source,
                )
            )

    add("question", "dev_questions", _jsonl(eval_dir / "dev_discord_questions.jsonl"))
    add("real", "dev_real", _jsonl(eval_dir / "dev_real_questions.jsonl"), uid_key="source")
    add("silence", "dev_silence", _jsonl(eval_dir / "dev_silence.jsonl"))
    add("bug", "dev_bugs", _jsonl(eval_dir / "dev_bug_reports.jsonl"))
    add("routing", "dev_routing", _jsonl(eval_dir / "dev_routing.jsonl"))
    if corpus.is_dir():
        add("question", "questions", _jsonl(corpus / "questions.jsonl"))
        add("routing", "routing", _jsonl(corpus / "routing.jsonl"))
        add("silence", "silence", _jsonl(corpus / "silence.jsonl"))
        add("bug", "bugs", _jsonl(corpus / "bug_reports.jsonl"))
    for folder in extra:
        if not folder.is_dir():
            raise SystemExit(f"labelled folder not found: {folder}")
        files = {"questions.jsonl": "question", "routing.jsonl": "routing", "silence.jsonl": "silence",
                 "bug_reports.jsonl": "bug"}  # fmt: skip
        found = [name for name in files if (folder / name).is_file()]
        if not found:
            raise SystemExit(f"{folder}: no questions.jsonl, routing.jsonl, silence.jsonl or bug_reports.jsonl")
        for name in found:
            try:
                rows = _jsonl(folder / name)
            except json.JSONDecodeError as exc:
                raise SystemExit(f"{folder / name}:{exc.lineno}: not valid JSON ({exc.msg})") from None
            missing = [i for i, row in enumerate(rows, 1) if "id" not in row or "text" not in row]
            if missing:
                raise SystemExit(f"{folder / name}:{missing[0]}: every line needs an id and a text")
            add(files[name], f"local-{folder.name}-{name.split('.')[0]}", rows)
    return out


class _UnionFind:
    def __init__(self, items: Iterable[str]) -> None:
        self.parent = {item: item for item in items}

    def find(self, item: str) -> str:
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _rare_tokens(examples: list[Example]) -> list[set[str]]:
    tokens = [{t.lower().strip(".:'-") for t in _TOKEN_RE.findall(e.query)} for e in examples]
    df = Counter(t for s in tokens for t in s)
    return [{t for t in s if 1 < df[t] <= _RARE_MAX_DF and len(t) >= 4} for s in tokens]


def groups(examples: list[Example]) -> dict[str, str]:
    """Map every uid to its group's representative (the smallest uid of the group)."""
    uf = _UnionFind(e.uid for e in examples)
    by_page: dict[str, str] = {}
    for e in examples:
        if e.answer_docs:
            first = e.answer_docs[0]
            if first in by_page:
                uf.union(e.uid, by_page[first])
            else:
                by_page[first] = e.uid
    # Rare-token links within each kind family (bug reports with bug reports, ...).
    families: dict[str, list[Example]] = {}
    for e in examples:
        families.setdefault("question" if e.kind in ("question", "real") else e.kind, []).append(e)
    for members in families.values():
        rare = _rare_tokens(members)
        for i in range(len(members)):
            if not rare[i]:
                continue
            for j in range(i + 1, len(members)):
                shared = rare[i] & rare[j]
                if len(shared) >= _MIN_SHARED_RARE and len(shared) / len(rare[i] | rare[j]) >= _MIN_RARE_JACCARD:
                    uf.union(members[i].uid, members[j].uid)
    return {e.uid: uf.find(e.uid) for e in examples}


def split_of_group(representative: str) -> str:
    """The split of a group, from a stable hash of its representative uid."""
    bucket = int(hashlib.sha256(representative.encode("utf-8")).hexdigest(), 16) % 100
    return "train" if bucket < 60 else "validation" if bucket < 80 else "test"


@dataclass(frozen=True, slots=True)
class Split:
    """The examples with their split and group."""

    examples: tuple[Example, ...]
    split: dict[str, str]  # uid -> train | validation | test
    group: dict[str, str]  # uid -> group representative

    def part(self, *names: str, kind: str | None = None) -> list[Example]:
        """The examples in the named splits, optionally of one kind."""
        return [e for e in self.examples if self.split[e.uid] in names and (kind is None or e.kind == kind)]

    def folds(self, examples: list[Example], k: int = 5) -> Iterator[tuple[list[Example], list[Example]]]:
        """Grouped k-fold over `examples`: no group is on both sides of a fold."""
        for fold in range(k):
            held = [e for e in examples if _fold_of(self.group[e.uid], k) == fold]
            kept = [e for e in examples if _fold_of(self.group[e.uid], k) != fold]
            yield kept, held


def _fold_of(representative: str, k: int) -> int:
    return int(hashlib.sha256(("fold:" + representative).encode("utf-8")).hexdigest(), 16) % k


def load_split(eval_dir: Path = EVAL, extra: Sequence[Path] = ()) -> Split:
    """Load every labelled example (plus `extra` labelled folders) and assign its split."""
    examples = load_examples(eval_dir, extra)
    # A community's own messages are grouped among themselves only: linking them to the shared sets could merge two
    # existing groups (or change a group's smallest uid) and move the fixed split.
    local = [e for e in examples if e.source.startswith("local-")]
    group = groups([e for e in examples if not e.source.startswith("local-")]) | groups(local)
    return Split(tuple(examples), {uid: split_of_group(rep) for uid, rep in group.items()}, group)


def main() -> int:
    """Print the split's sizes per set (``python -m bench.dataset``)."""
    split = load_split()
    counts: Counter[tuple[str, str]] = Counter((e.source, split.split[e.uid]) for e in split.examples)
    sizes = Counter(split.group.values())
    print("| set | train | validation | test |")
    print("|---|---|---|---|")
    for source in dict.fromkeys(e.source for e in split.examples):
        print(f"| {source} | " + " | ".join(str(counts[(source, s)]) for s in SPLITS) + " |")
    singletons = sum(1 for v in sizes.values() if v == 1)
    print(f"\n{len(sizes)} groups; largest {max(sizes.values())}; singletons {singletons}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
