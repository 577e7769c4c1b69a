"""Ingest a folder of Markdown/MDX documentation into searchable sections with public URLs.

Pure: the caller reads files (or passes `load_docs_folder` a path and gets plain data back); no network.
MDX imports and JSX components are stripped to their text (attribute values such as `title="..."` are kept,
because Starlight puts real content in `<Aside title>`, `<TabItem label>`, `<LinkCard title description>`).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

log = logging.getLogger(__name__)

# The C loader is ~10x faster and matters for start-up time on large docs folders.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Repository meta files at the root of a docs folder are not documentation pages.
_ROOT_META_FILES = {"readme.md", "license.md", "contributing.md", "changelog.md"}

DOC_SUFFIXES = (".md", ".mdx", ".markdown")


class DocsFormatError(ValueError):
    """A docs file cannot be read; carries the file and line."""

    def __init__(self, path: Path | str, line: int, problem: str) -> None:
        super().__init__(f"{path}:{line}: {problem}")
        self.path = str(path)
        self.line = line
        self.problem = problem


@dataclass(frozen=True, slots=True)
class DocSection:
    """One heading-delimited section of a docs page."""

    page_url: str  # canonical public URL of the page (English, no anchor)
    anchor: str  # heading slug ("" for the page intro)
    page_title: str
    heading: str  # "" for the intro section
    text: str  # plain text of the section, code kept
    description: str  # the page's front-matter description
    path: str  # page path relative to the docs root, e.g. "docs/live-updates/channels.mdx"

    @property
    def url(self) -> str:
        """Return the section URL (page URL + anchor)."""
        return f"{self.page_url}#{self.anchor}" if self.anchor else self.page_url


@dataclass(frozen=True, slots=True)
class DocPage:
    """A parsed docs page: its sections in order."""

    url: str
    title: str
    description: str
    path: str
    sections: tuple[DocSection, ...]


def _site_path(relative: str, *, lower: bool) -> str:
    stem = re.sub(r"\.(md|mdx|markdown)$", "", relative.replace("\\", "/"), flags=re.IGNORECASE)
    parts = [p for p in stem.split("/") if p]
    if parts and parts[-1].lower() == "index":
        parts.pop()
    path = "/".join(parts)
    return (path.lower() if lower else path) + "/" if parts else ""


def starlight_path(relative: str) -> str:
    """Return the site path of a docs file by Starlight's rule: drop extension and final index, lower-case."""
    return _site_path(relative, lower=True)


def keep_case_path(relative: str) -> str:
    """Return the site path of a docs file, keeping the case (for sites that do not lower-case)."""
    return _site_path(relative, lower=False)


URL_RULES: dict[str, Callable[[str], str]] = {"starlight": starlight_path, "keep-case": keep_case_path}


def page_url(base_url: str, relative: str, rule: str = "starlight", locale: str | None = None) -> str:
    """Return the public URL of the docs file at `relative`, optionally under a locale prefix."""
    site_path = URL_RULES[rule](relative)
    prefix = f"{locale}/" if locale else ""
    return base_url.rstrip("/") + "/" + prefix + site_path


def localise_url(url: str, base_url: str, locale: str | None, locales: tuple[str, ...]) -> str:
    """Return `url` on the docs site in `locale` when the site serves that locale, else `url` unchanged."""
    base = base_url.rstrip("/") + "/"
    if not locale or locale == "en" or locale not in locales or not url.startswith(base):
        return url
    rest = url[len(base) :]
    if rest.split("/", 1)[0] in locales:
        return url
    return f"{base}{locale}/{rest}"


def slugify(heading: str) -> str:
    """Return the GitHub/Starlight-style anchor slug of a heading."""
    text = unicodedata.normalize("NFC", heading).strip().lower()
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"[`*_~]|\[|\]|\(.*?\)", lambda m: "" if m.group(0) in "`*~[]" else m.group(0), text)
    text = re.sub(r"[^\w\- ]", "", text, flags=re.UNICODE)
    return text.replace(" ", "-")


_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)


def split_front_matter(source: str, path: Path | str = "<text>") -> tuple[dict[str, Any], str, int]:
    """Return (front matter dict, body, line number where the body starts)."""
    match = _FRONT_MATTER.match(source)
    if not match:
        return {}, source, 1
    try:
        data = yaml.load(match.group(1), Loader=_YAML_LOADER) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = (mark.line + 2) if mark else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise DocsFormatError(path, line, f"front matter is not valid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise DocsFormatError(path, 2, "front matter must be a mapping of keys to values")
    body_start = source[: match.end()].count("\n") + 1
    return data, source[match.end() :], body_start


_IMPORT = re.compile(r"^\s*(import|export)\s.*?$", re.MULTILINE)
_JSX_ATTR = re.compile(r"""(\w+)=(?:"([^"]*)"|'([^']*)'|\{["'`]([^"'`]*)["'`]\})""")
_JSX_TAG = re.compile(r"</?[A-Za-z][\w.]*(?:\s+[^<>]*?)?/?>", re.DOTALL)
_TEXT_ATTRS = {"title", "label", "description", "alt", "summary", "heading", "caption"}
_FENCE = re.compile(r"^(\s*)(```+|~~~+)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_HTML_COMMENT = re.compile(r"<!--.*?-->|\{/\*.*?\*/\}", re.DOTALL)


def _strip_jsx(line: str) -> str:
    def replace(match: re.Match[str]) -> str:
        texts = [
            next(g for g in groups[1:] if g is not None)
            for groups in _JSX_ATTR.findall(match.group(0))
            if groups[0].lower() in _TEXT_ATTRS
        ]
        return (" " + " ".join(texts) + " ") if texts else " "

    return _JSX_TAG.sub(replace, line)


def _clean_markdown_line(line: str) -> str:
    line = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", line)  # images -> alt text
    line = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", line)  # links -> their text
    line = _strip_jsx(line)
    line = re.sub(r"^\s*(?:[-*+]|\d+\.)\s+", "", line)
    line = re.sub(r"^\s*>\s?", "", line)
    line = line.replace("**", "").replace("__", "")
    return line.rstrip()


def parse_page(source: str, relative: str, base_url: str, rule: str = "starlight") -> DocPage:
    """Parse one Markdown/MDX page into sections (an intro section, then one per `##`..`######` heading)."""
    meta, body, _ = split_front_matter(source, relative)
    url = page_url(base_url, relative, rule)
    body = _HTML_COMMENT.sub("", _IMPORT.sub("", body))
    title = str(meta.get("title") or "").strip()
    description = str(meta.get("description") or "").strip()

    sections: list[DocSection] = []
    heading, anchor = "", ""
    lines: list[str] = []
    seen_anchors: dict[str, int] = {}
    fence: str | None = None

    def flush() -> None:
        text = "\n".join(line for line in lines if line.strip())
        if text or heading:
            sections.append(DocSection(url, anchor, title, heading, text, description, relative))

    for raw in body.splitlines():
        fence_match = _FENCE.match(raw)
        if fence is not None:
            if fence_match and fence_match.group(2).startswith(fence):
                fence = None
            else:
                lines.append(raw.rstrip())
            continue
        if fence_match:
            fence = fence_match.group(2)
            continue
        heading_match = _HEADING.match(raw)
        if heading_match and len(heading_match.group(1)) >= 1:
            level = len(heading_match.group(1))
            if level == 1 and not title:
                title = _clean_markdown_line(heading_match.group(2))
                continue
            flush()
            heading = _clean_markdown_line(heading_match.group(2)).strip()
            slug = slugify(heading)
            count = seen_anchors.get(slug, 0)
            seen_anchors[slug] = count + 1
            anchor = slug if count == 0 else f"{slug}-{count}"
            lines = []
            continue
        lines.append(_clean_markdown_line(raw))
    flush()
    if not title:
        title = relative.rsplit("/", 1)[-1].rsplit(".", 1)[0].replace("-", " ").title()
        sections = [DocSection(s.page_url, s.anchor, title, s.heading, s.text, s.description, s.path) for s in sections]
    if not sections:
        sections.append(DocSection(url, "", title, "", description, description, relative))
    return DocPage(url, title, description, relative, tuple(sections))


def page_summary(page: DocPage) -> str:
    """What the sentence encoder reads of a docs page (the re-ranker's page vectors): title, description, headings
    and the opening 300 characters, cut at 1,200 characters (e5 reads ~512 tokens; the opening says what it is)."""
    headings = "; ".join(s.heading for s in page.sections if s.heading)
    opening = page.sections[0].text[:300] if page.sections else ""
    return f"{page.title}. {page.description} {headings}. {opening}"[:1200]


SECTION_PASSAGE_CHARS = 600  # e5-small reads ~128 words of a section well; the heading and opening say what it is
MIN_SECTION_CHARS = 20  # a headed section with less text than this (a heading over a code block) adds nothing
# A long section also gets passages for what follows its opening (each again under the page title and heading), so
# an answer in its fourth paragraph has a vector too: 1,245 more passages over the 513-page docs (5,661 -> 6,906).
# Grouped CV, re-ranker (`train-rerank --cv-only`), first / top 3 / precision at answer rate 0.55, none then 1 / 2 / 4
# windows: 0.792 / 0.924 / 0.917; 0.781 / 0.932 / 0.936; 0.789 / 0.927 / 0.936; 0.789 / 0.930 / 0.931. End to end
# (`bench quality`, CV, 4 windows against none): answered right 0.514 -> 0.524, no wrong answer 0.951 -> 0.962, real
# threads top 3 0.43 -> 0.49, silence 0.967 -> 0.974, first page 0.789 -> 0.786 (7 fixed, 8 broken).
SECTION_WINDOWS = 4
SECTION_WINDOW_STEP = 450  # characters of section text per further passage (with the prefix, within 600)
MIN_WINDOW_CHARS = 150  # a shorter tail is left to the passage before it


def section_passages(page: DocPage) -> tuple[str, ...]:
    """What the sentence encoder reads of each section of a docs page (the re-ranker's section vectors): page title
    and heading (the intro: title and description) and the section's opening, 600 characters at most; then, for a
    long section, up to :data:`SECTION_WINDOWS` passages of what follows, under the same title and heading. A page
    has at least one passage (its summary when no section has text)."""
    out = []
    for section in page.sections:
        if section.heading:
            if len(section.text.strip()) < MIN_SECTION_CHARS:
                continue
            prefix = f"{page.title}. {section.heading}. "
        else:
            prefix = f"{page.title}. {page.description} "
        out.append((prefix + section.text)[:SECTION_PASSAGE_CHARS])
        start = SECTION_PASSAGE_CHARS - len(prefix)  # where the opening passage stopped reading the section
        for _ in range(SECTION_WINDOWS):
            if start < 0 or len(section.text) - start < MIN_WINDOW_CHARS:
                break
            out.append((prefix + section.text[start : start + SECTION_WINDOW_STEP])[:SECTION_PASSAGE_CHARS])
            start += SECTION_WINDOW_STEP
    return tuple(out) or (page_summary(page),)


def iter_doc_files(root: Path) -> Iterator[Path]:
    """Yield every Markdown/MDX file under `root`, sorted, skipping hidden folders and node_modules."""
    for path in sorted(root.rglob("*")):
        rel_parts = path.relative_to(root).parts
        if any(part.startswith(".") or part == "node_modules" for part in rel_parts):
            continue
        if len(rel_parts) == 1 and path.name.lower() in _ROOT_META_FILES:
            continue
        if path.is_file() and path.suffix.lower() in DOC_SUFFIXES:
            yield path


def load_docs_folder(
    root: Path,
    base_url: str,
    rule: str = "starlight",
    progress: Callable[[int, int], None] | None = None,
    errors: list[DocsFormatError] | None = None,
) -> list[DocPage]:
    """Parse every docs file under `root`. Bad files are collected in `errors` (or raised if it is None)."""
    if not root.is_dir():
        raise DocsFormatError(root, 0, "docs folder not found")
    files = list(iter_doc_files(root))
    pages: list[DocPage] = []
    for number, path in enumerate(files, start=1):
        relative = path.relative_to(root).as_posix()
        try:
            source = path.read_text(encoding="utf-8")
            pages.append(parse_page(source, relative, base_url, rule))
        except UnicodeDecodeError as exc:
            error = DocsFormatError(path, 1, f"not UTF-8 text ({exc.reason})")
            if errors is None:
                raise error from None
            errors.append(error)
        except DocsFormatError as exc:
            error = DocsFormatError(path, exc.line, exc.problem)
            if errors is None:
                raise error from None
            errors.append(error)
        if progress is not None:
            progress(number, len(files))
    log.debug("parsed %d docs pages from %s", len(pages), root)
    return pages
