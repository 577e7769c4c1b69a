"""Curated FAQ entries: load, validate and render (brand placeholders filled in)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.core.docs import DocsFormatError, split_front_matter
from bot.core.vocabulary import LANGS as LANGS  # re-exported: many callers import LANGS with the FAQ loader

# FAQ topics (the `category:` of an entry), not to be confused with support-request categories (vocabulary).
CATEGORIES = frozenset(
    {"policy", "setup", "live-updates", "channels", "cli", "console", "billing", "security", "hosting", "plugins"}
)
PLACEHOLDERS = frozenset(
    {
        "brand",
        "site_url",
        "docs_url",
        "console_url",
        "support_email",
        "support_policy_url",
        "sla_url",
        "premium_support_url",
        "status_url",
        "discord_url",
        "github_url",
        "cli",
        "plugin",
        "availability_url",
        "appflow_migration_url",
    }
)
MAX_ANSWER_CHARS = 600
_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_LINK = re.compile(r"^(?:https://[^\s/]+(?:/\S*)?|/[^\s]*|\{[a-z_]+\})$")
# Anything that looks like a template marker a renderer forgot: {x}, {{x}}, ${x}, %(x)s, __X_Y__.
LEFTOVER_MARKER = re.compile(r"\{\{?\s*[A-Za-z_][\w.]*\s*\}?\}|\$\{[^}]*\}|%\([a-z_]+\)s|__[A-Z][A-Z0-9_]*__")


class FaqFormatError(DocsFormatError):
    """An FAQ file is malformed; carries the file and line."""


@dataclass(frozen=True, slots=True)
class FaqEntry:
    """One curated question with its phrasings and short answers in every community language."""

    id: str
    title: str
    category: str
    links: tuple[str, ...]  # raw: site-relative paths, placeholders or absolute URLs
    tags: tuple[str, ...]
    questions: Mapping[str, tuple[str, ...]]
    answers: Mapping[str, str]
    path: str

    def answer(self, lang: str) -> str:
        """Return the raw answer in `lang`, falling back to English."""
        return self.answers.get(lang) or self.answers["en"]


def _line_of(source: str, key: str) -> int:
    match = re.search(rf"^\s*{re.escape(key)}\s*:", source, re.MULTILINE)
    return source[: match.start()].count("\n") + 1 if match else 1


# A placeholder is `{name}` with nothing else inside; code in answers (`{ channel: 'beta' }`) is left alone.
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


def _placeholders_in(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def parse_faq_entry(source: str, path: Path | str) -> FaqEntry:
    """Parse and validate one FAQ file; raise FaqFormatError naming the line and the problem."""
    try:
        meta, _, _ = split_front_matter(source, path)
    except DocsFormatError as exc:
        raise FaqFormatError(path, exc.line, exc.problem) from None
    if not meta:
        raise FaqFormatError(path, 1, "missing YAML front matter (a block between two '---' lines)")
    stem = Path(str(path)).stem

    def fail(key: str, problem: str) -> FaqFormatError:
        return FaqFormatError(path, _line_of(source, key), problem)

    for key in ("id", "title", "category", "links", "questions", "answers"):
        if key not in meta:
            raise fail("---", f"missing required key '{key}'")
    entry_id = meta["id"]
    if not isinstance(entry_id, str) or not _ID.match(entry_id):
        raise fail("id", "id must be lower-case kebab-case (a-z, 0-9, '-')")
    if entry_id != stem:
        raise fail("id", f"id '{entry_id}' must equal the file name '{stem}'")
    title = meta["title"]
    if not isinstance(title, str) or not title.strip():
        raise fail("title", "title must be a non-empty string")
    category = meta["category"]
    if category not in CATEGORIES:
        raise fail("category", f"category must be one of {', '.join(sorted(CATEGORIES))}")
    links = meta["links"]
    if not isinstance(links, list) or not links or not all(isinstance(link, str) for link in links):
        raise fail("links", "links must be a non-empty list of strings")
    for link in links:
        if not _LINK.match(link):
            raise fail("links", f"malformed link {link!r}: use https://..., a /site/path/ or a {{placeholder}}")
        unknown = _placeholders_in(link) - PLACEHOLDERS
        if unknown:
            raise fail("links", f"unknown placeholder {{{sorted(unknown)[0]}}} in link")
        if link.startswith("/") and not link.endswith("/"):
            raise fail("links", f"site path {link!r} must end with '/'")
    tags = meta.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(tag, (str, int, float)) for tag in tags):
        raise fail("tags", "tags must be a list of strings")

    questions_raw, answers_raw = meta["questions"], meta["answers"]
    if not isinstance(questions_raw, dict):
        raise fail("questions", "questions must map a language code to a list of phrasings")
    if not isinstance(answers_raw, dict):
        raise fail("answers", "answers must map a language code to a short answer")
    questions: dict[str, tuple[str, ...]] = {}
    answers: dict[str, str] = {}
    for lang in LANGS:
        phrasings = questions_raw.get(lang)
        if not isinstance(phrasings, list) or not phrasings:
            raise fail("questions", f"questions.{lang} is missing or empty (all of {', '.join(LANGS)} are required)")
        if not all(isinstance(q, str) and q.strip() for q in phrasings):
            raise fail(lang, f"questions.{lang} must be a list of non-empty strings")
        questions[lang] = tuple(q.strip() for q in phrasings)
        answer = answers_raw.get(lang)
        if not isinstance(answer, str) or not answer.strip():
            raise fail("answers", f"answers.{lang} is missing or empty (all of {', '.join(LANGS)} are required)")
        if len(answer) > MAX_ANSWER_CHARS:
            raise fail("answers", f"answers.{lang} is {len(answer)} characters; keep it under {MAX_ANSWER_CHARS}")
        unknown = _placeholders_in(answer) - PLACEHOLDERS
        if unknown:
            raise fail("answers", f"answers.{lang} uses unknown placeholder {{{sorted(unknown)[0]}}}")
        answers[lang] = answer.strip()
    extra = (set(questions_raw) | set(answers_raw)) - set(LANGS)
    if extra:
        raise fail("questions", f"unsupported language code '{sorted(extra)[0]}' (use {', '.join(LANGS)})")
    return FaqEntry(
        id=entry_id,
        title=title.strip(),
        category=category,
        links=tuple(links),
        tags=tuple(str(tag) for tag in tags),
        questions=questions,
        answers=answers,
        path=str(path),
    )


def load_faq_folder(root: Path, errors: list[DocsFormatError] | None = None) -> list[FaqEntry]:
    """Load every `*.md` entry in `root` (README.md excluded). Bad files go to `errors`, or raise if it is None."""
    if not root.is_dir():
        raise FaqFormatError(root, 0, "FAQ folder not found")
    entries: list[FaqEntry] = []
    seen: dict[str, str] = {}
    for path in sorted(root.glob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        try:
            entry = parse_faq_entry(path.read_text(encoding="utf-8"), path)
        except (FaqFormatError, UnicodeDecodeError) as exc:
            error = exc if isinstance(exc, FaqFormatError) else FaqFormatError(path, 1, "not UTF-8 text")
            if errors is None:
                raise error from None
            errors.append(error)
            continue
        if entry.id in seen:
            error = FaqFormatError(path, 1, f"duplicate id '{entry.id}' (also in {seen[entry.id]})")
            if errors is None:
                raise error
            errors.append(error)
            continue
        seen[entry.id] = str(path)
        entries.append(entry)
    return entries


def render(text: str, values: Mapping[str, str]) -> str:
    """Fill brand placeholders into `text`; raise ValueError if a placeholder is unknown or a marker survives."""
    unknown = _placeholders_in(text) - set(values)
    if unknown:
        raise ValueError(f"cannot render text: unknown placeholder {{{sorted(unknown)[0]}}}")
    rendered = _PLACEHOLDER.sub(lambda m: values[m.group(1)], text)
    leftover = LEFTOVER_MARKER.search(rendered)
    if leftover:
        raise ValueError(f"template marker {leftover.group(0)!r} survived rendering")
    return rendered


def resolve_link(link: str, values: Mapping[str, str], site_url: str) -> str:
    """Return the absolute URL of an FAQ link (placeholder, site-relative path or absolute URL)."""
    if link.startswith("{"):
        return render(link, values)
    if link.startswith("/"):
        return site_url.rstrip("/") + link
    return link
