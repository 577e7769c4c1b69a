"""Text normalisation and tokenisation shared by the index and the analysis.

Tokens are accent-folded, lower-cased and lightly stemmed; code identifiers are kept whole *and* split
(`notifyAppReady` -> `notifyappready`, `notify`, `app`, `ready`); Chinese runs become glossary terms plus
character bigrams. Non-English words are mapped to English search terms through the domain glossary
(`bot/resources/glossary/<lang>.toml`), held by a :class:`Vocabulary` built once and passed to the index.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache

from bot.core.resources import Glossary, load_glossary

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN_RUN = re.compile(f"[{_HAN}]+")
_CHUNK = re.compile(r"[@\w][\w@./:-]*\w|\w", re.UNICODE)
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_SPLIT = re.compile(r"[^a-z0-9]+")
_URL = re.compile(r"https?://\S+")
# An identifier: camelCase, or words joined by _ . - (not an all-caps acronym such as MAU or SSO).
_IDENTIFIER = re.compile(r"[a-z][A-Z]|[A-Za-z0-9][_.-][A-Za-z]")


def fold(text: str) -> str:
    """Return `text` NFKC-normalised, lower-cased, with Latin diacritics removed (CJK untouched)."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFKC", stripped).lower().replace("ß", "ss")


def stem(token: str) -> str:
    """Return a light stem: English plural/verb endings only, enough to join 'updates'/'updated'/'updating'."""
    if len(token) <= 4 or not token.isalpha():
        return token
    for suffix, repl in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", "e"), ("s", "")):
        if token.endswith(suffix) and len(token) - len(suffix) >= 3:
            if suffix == "s" and token.endswith(("ss", "us", "is")):
                return token
            base = token[: -len(suffix)] + repl
            if suffix in ("ing", "ed") and len(base) > 3 and base[-1] == base[-2] and base[-1] not in "lsz":
                base = base[:-1]  # "dropped" -> "drop"
            return base
    return token


def _stem_e(token: str) -> str:
    # "update"/"updates"/"updated"/"updating" must meet: drop a final 'e' after stemming.
    stemmed = stem(token)
    return stemmed[:-1] if len(stemmed) > 4 and stemmed.endswith("e") else stemmed


def word_tokens(text: str, stopwords: frozenset[str] = frozenset()) -> list[str]:
    """Return search tokens for Latin-script text (identifiers kept whole and split, stems, no stopwords)."""
    tokens: list[str] = []
    for chunk in _CHUNK.findall(_URL.sub(" ", text)):
        tokens.extend(token for key, token in _chunk_tokens(chunk) if key is None or key not in stopwords)
    return tokens


def identifier_tokens(text: str) -> set[str]:
    """Return the whole-identifier tokens of `text` (``notifyAppReady`` -> ``notifyappready``,
    ``disable_prod_build`` -> ``disableprodbuild``): the compounds :func:`word_tokens` keeps whole besides their parts.
    Language-independent evidence: a Spanish question naming ``setChannel`` names the same API as the docs."""
    return {
        token
        for chunk in _CHUNK.findall(_URL.sub(" ", text))
        if _IDENTIFIER.search(chunk)
        for key, token in _chunk_tokens(chunk)
        if key is None and len(token) > 4 and not token.isdigit()
    }


@lru_cache(maxsize=50_000)
def _chunk_tokens(chunk: str) -> tuple[tuple[str | None, str], ...]:
    # (stopword key or None, token) pairs for one whitespace-free chunk. Cached: the docs repeat the same
    # words thousands of times, and folding/stemming them once is most of the index build time.
    parts = _CAMEL.findall(chunk) if any(c.isupper() for c in chunk[1:]) else []
    folded = fold(chunk) if not chunk.isascii() else chunk.lower()
    pieces = [p for p in _SPLIT.split(folded) if p]
    whole = "".join(pieces)
    out: list[tuple[str | None, str]] = []
    if len(pieces) > 1 or parts:
        if whole and len(whole) > 2:
            out.append((None, whole))
        subparts = sorted({fold(p) for p in parts} | set(pieces)) if parts else sorted(set(pieces))
        for piece in subparts:
            for p in _SPLIT.split(piece):
                if p and (len(p) > 1 or p.isdigit()):
                    out.append((p, _stem_e(p)))
    elif whole and (len(whole) > 1 or whole.isdigit()):
        out.append((whole, _stem_e(whole)))
    return tuple(out)


def han_bigrams(text: str) -> list[str]:
    """Return character bigrams (and lone characters) of every Chinese run in `text`."""
    grams: list[str] = []
    for run in _HAN_RUN.findall(text):
        if len(run) == 1:
            grams.append(run)
        grams.extend(run[i : i + 2] for i in range(len(run) - 1))
    return grams


@dataclass(frozen=True, slots=True)
class _GlossaryMatcher:
    pattern: re.Pattern[str] | None
    mapping: Mapping[str, str]
    by_prefix: Mapping[str, tuple[str, ...]]  # single-word keys by their first letters, for inflected forms


def _build_matcher(lang: str, table: Mapping[str, str]) -> _GlossaryMatcher:
    mapping: dict[str, str] = {}
    for key, value in table.items():
        mapping.setdefault(fold(key).strip(), value)
    if not mapping:
        return _GlossaryMatcher(None, mapping, {})
    keys = sorted(mapping, key=len, reverse=True)
    alternation = "|".join(re.escape(k) for k in keys)
    # Chinese has no spaces: glossary terms match anywhere (longest first); elsewhere only whole words.
    bounded = alternation if lang == "zh" else rf"(?<![\w])(?:{alternation})(?![\w])"
    pattern = re.compile(f"(?:{bounded})")
    by_prefix: dict[str, list[str]] = {}
    if lang != "zh":
        for key in mapping:
            if " " not in key and len(key) >= _PREFIX:
                by_prefix.setdefault(key[:_PREFIX], []).append(key)
    return _GlossaryMatcher(pattern, mapping, {k: tuple(v) for k, v in by_prefix.items()})


_PREFIX = 5
_WORD = re.compile(r"\w+")


def _inflected_key(word: str, matcher: _GlossaryMatcher) -> str | None:
    """Return the glossary key `word` is an inflected form of (desactivo -> desactivar, automaticas -> automatica).

    Glossaries list base forms; users write plurals, genders and conjugations. A key qualifies when it shares all
    but the last few letters with the word (the ending is what inflection changes).
    """
    if len(word) < _PREFIX + 1:
        return None
    best, best_len = None, 0
    for key in matcher.by_prefix.get(word[:_PREFIX], ()):
        common = 0
        for a, b in zip(word, key, strict=False):
            if a != b:
                break
            common += 1
        if common >= max(_PREFIX, min(len(word), len(key)) - 3) and common > best_len:
            best, best_len = key, common
    return best


class Vocabulary:
    """Glossary-aware tokeniser: stopwords and glossary translations per language.

    Build it once from a :class:`~bot.core.resources.Glossary` (the index does) and share it; each language's
    matcher (one compiled regex) and folded stopword set are built on first use.
    """

    def __init__(self, glossary: Glossary) -> None:
        self.glossary = glossary
        self._matchers: dict[str, _GlossaryMatcher] = {}
        self._stopwords: dict[str, frozenset[str]] = {}

    def _matcher(self, lang: str) -> _GlossaryMatcher:
        matcher = self._matchers.get(lang)
        if matcher is None:
            matcher = self._matchers[lang] = _build_matcher(lang, self.glossary.phrases.get(lang, {}))
        return matcher

    def translate_terms(self, text: str, lang: str) -> list[str]:
        """Return English search tokens for the glossary phrases found in `text` (language `lang`)."""
        matcher = self._matcher(lang)
        if matcher.pattern is None:
            return []
        english: list[str] = []
        folded = fold(text)
        covered: list[tuple[int, int]] = []
        for match in matcher.pattern.finditer(folded):
            english.extend(word_tokens(matcher.mapping[match.group(0)]))
            covered.append(match.span())
        if matcher.by_prefix:
            for word in _WORD.finditer(folded):
                if any(start <= word.start() < end for start, end in covered):
                    continue
                key = _inflected_key(word.group(0), matcher)
                if key is not None:
                    english.extend(word_tokens(matcher.mapping[key]))
        return english

    def stopwords(self, lang: str) -> frozenset[str]:
        """Return the folded stopword set of `lang` (English ones always included)."""
        words = self._stopwords.get(lang)
        if words is None:
            table = self.glossary.stopwords
            merged = table.get("en", frozenset()) | table.get(lang, frozenset())
            words = self._stopwords[lang] = frozenset(fold(w) for w in merged)
        return words

    def query_tokens(self, text: str, lang: str) -> list[str]:
        """Return the tokens of a user message: its own words, Chinese bigrams and glossary translations."""
        stops = self.stopwords(lang)
        tokens = word_tokens(text, stops)
        tokens.extend(g for g in han_bigrams(text) if g not in stops)
        if lang != "en":
            tokens.extend(self.translate_terms(text, lang))
        return tokens

    def document_tokens(self, parts: Iterable[str], lang: str = "en") -> list[str]:
        """Return the tokens of indexed text (docs sections, FAQ phrasings)."""
        stops = self.stopwords(lang)
        tokens: list[str] = []
        for part in parts:
            tokens.extend(word_tokens(part, stops))
            tokens.extend(g for g in han_bigrams(part) if g not in stops)
        return tokens


@cache
def default_vocabulary() -> Vocabulary:
    """Return the vocabulary of the packaged glossary, loaded on first call (for callers without an index)."""
    return Vocabulary(load_glossary())


# Conveniences over the packaged glossary; the index uses the Vocabulary it was built with.
def translate_terms(text: str, lang: str) -> list[str]:
    """Return English search tokens for the glossary phrases found in `text` (packaged glossary)."""
    return default_vocabulary().translate_terms(text, lang)


def stopwords(lang: str) -> frozenset[str]:
    """Return the folded stopword set of `lang` (packaged glossary; English ones always included)."""
    return default_vocabulary().stopwords(lang)


def query_tokens(text: str, lang: str) -> list[str]:
    """Return the tokens of a user message (packaged glossary); see :meth:`Vocabulary.query_tokens`."""
    return default_vocabulary().query_tokens(text, lang)


def document_tokens(parts: Iterable[str], lang: str = "en") -> list[str]:
    """Return the tokens of indexed text (packaged glossary); see :meth:`Vocabulary.document_tokens`."""
    return default_vocabulary().document_tokens(parts, lang)
