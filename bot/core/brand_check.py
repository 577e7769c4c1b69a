"""White-label check: find another brand's names in what a brand's users would see (pure).

One FAQ and one code base serve every brand (Capgo, CodePushGo, ...); brand-specific text is written as
placeholders and filled from the brand profile. A leak is another brand's mark in a rendered answer, a title or a
link: its name or key ("Capgo", "capgo"), a domain of its URLs or e-mail ("capgo.app"), an npm scope of its CLI or
plugin ("@capgo/") or its GitHub organisation ("github.com/Cap-go"). The marks come from the brand profiles
(:meth:`BrandMarks.from_values` takes the same values the FAQ placeholders are filled with), so nothing here names
a brand.

Matching is case-insensitive; a name only counts as a whole word (letters and digits around it end it), so
"capgo" is found in "CAPGO_TOKEN", "@capgo/cli" and "capgo-availability" but not in "mycapgoose". Text that belongs
to the checking brand itself is never reported, even when another brand's mark is part of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

# Hosts many brands share: a URL on them says nothing about the brand (its path may: see `paths`).
SHARED_HOSTS = frozenset({"github.com", "discord.com", "discord.gg", "npmjs.com", "www.npmjs.com", "gitlab.com"})
_SCOPE = re.compile(r"@[a-z0-9][a-z0-9._-]*/", re.IGNORECASE)
_EMAIL_DOMAIN = re.compile(r"@([a-z0-9.-]+\.[a-z]{2,})$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class BrandMarks:
    """What identifies one brand in a text: names (whole words), domains, package scopes and repository paths."""

    key: str
    name: str
    names: tuple[str, ...]
    domains: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()

    @classmethod
    def from_values(cls, key: str, values: Mapping[str, str]) -> BrandMarks:
        """Build the marks from a brand's placeholder values (`brand`, the `*_url`s, `support_email`, `cli`,
        `plugin`: what `Brand.placeholders()` returns)."""
        name = values.get("brand", key)
        names = _unique([name, key])
        domains: list[str] = []
        paths: list[str] = []
        for field, value in values.items():
            if field == "support_email":
                found = _EMAIL_DOMAIN.search(value.strip())
                if found:
                    domains.append(_registrable(found.group(1)))
                continue
            if not value.startswith(("https://", "http://")):
                continue
            parts = urlsplit(value)
            host = (parts.hostname or "").lower()
            if not host:
                continue
            if host in SHARED_HOSTS:
                owner = parts.path.strip("/").split("/")[0]
                if owner:
                    paths.append(f"{host}/{owner}")
            else:
                domains.append(_registrable(host))
        scopes = [m.group(0) for field in ("cli", "plugin") for m in _SCOPE.finditer(values.get(field, ""))]
        return cls(key, name, names, _unique(domains), _unique(scopes), _unique(paths))

    def patterns(self) -> list[tuple[str, re.Pattern[str]]]:
        """(mark, compiled pattern) pairs, longest mark first (so the most specific one is reported)."""
        marks: list[tuple[str, str]] = []
        for word in self.names:
            marks.append((word, r"(?<![0-9a-z])" + r"\s+".join(map(re.escape, word.split())) + r"(?![0-9a-z])"))
        for domain in self.domains:
            marks.append((domain, r"(?<![0-9a-z-])" + re.escape(domain) + r"(?![0-9a-z-])"))
        for mark in (*self.scopes, *self.paths):
            end = r"(?![0-9a-z-])" if mark[-1:].isalnum() else ""  # "@capgo/" is a prefix: anything may follow
            marks.append((mark, r"(?<![0-9a-z])" + re.escape(mark) + end))
        marks.sort(key=lambda m: -len(m[0]))
        return [(mark, re.compile(pattern, re.IGNORECASE)) for mark, pattern in marks]


@dataclass(frozen=True, slots=True)
class Leak:
    """One occurrence of another brand's mark: which brand, which mark, the text as written and where."""

    brand: str  # the other brand's key
    mark: str  # the mark that matched (e.g. "@capgo/")
    found: str  # the matched text as written (e.g. "@Capgo/")
    start: int  # offset in the checked text

    def describe(self, text: str, width: int = 30) -> str:
        """A short human description with some context: `names Capgo ('... /docs/capgo-availability/ ...')`."""
        lo, hi = max(0, self.start - width), min(len(text), self.start + len(self.found) + width)
        snippet = ("..." if lo else "") + " ".join(text[lo:hi].split()) + ("..." if hi < len(text) else "")
        return f"names {self.brand} ({self.found!r} in {snippet!r})"


def find_leaks(text: str, own: BrandMarks, others: Iterable[BrandMarks]) -> list[Leak]:
    """Return the other brands' marks in `text`, in text order, one per place (the longest mark wins)."""
    taken = [m.span() for _, pattern in own.patterns() for m in pattern.finditer(text)]
    leaks: list[Leak] = []
    for other in others:
        if other.key == own.key:
            continue
        for mark, pattern in other.patterns():
            for m in pattern.finditer(text):
                if any(m.start() < end and start < m.end() for start, end in taken):
                    continue
                taken.append(m.span())
                leaks.append(Leak(other.key, mark, m.group(0), m.start()))
    return sorted(leaks, key=lambda leak: leak.start)


@dataclass(frozen=True, slots=True)
class DocsBrandReport:
    """How many docs pages name another brand in their title or URL, with a few examples (title, url, leak)."""

    pages: int
    naming_other: int
    examples: tuple[tuple[str, str, Leak], ...]
    brands: tuple[str, ...]  # keys of the brands named, most named first

    @property
    def mismatch(self) -> bool:
        """True when some page names another brand: the docs folder is probably not this brand's."""
        return self.naming_other > 0


def docs_brand_report(
    pages: Iterable[tuple[str, str]], own: BrandMarks, others: Sequence[BrandMarks], examples: int = 3
) -> DocsBrandReport:
    """Check docs pages, given as (title, url), for another brand's marks in what users see of them: their title
    (quoted in answers and volunteer lists) and their URL (the answer's link)."""
    total = 0
    hits: list[tuple[str, str, Leak]] = []
    named: dict[str, int] = {}
    for title, url in pages:
        total += 1
        leaks = find_leaks(title, own, others) or find_leaks(url, own, others)
        if not leaks:
            continue
        hits.append((title, url, leaks[0]))
        for key in {leak.brand for leak in leaks}:
            named[key] = named.get(key, 0) + 1
    brands = tuple(sorted(named, key=lambda key: (-named[key], key)))
    return DocsBrandReport(total, len(hits), tuple(hits[:examples]), brands)


def _registrable(host: str) -> str:
    """The domain a brand owns for a host: its last two labels ("status.capgo.app" -> "capgo.app")."""
    labels = host.lower().strip(".").split(".")
    return ".".join(labels[-2:])


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for value in values:
        if value and value.lower() not in seen:
            seen[value.lower()] = value
    return tuple(seen.values())
