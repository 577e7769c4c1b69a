"""Analysis of one community message: language, reproduction details, intent and policy route.

Rules only where they are exact by construction; learned models elsewhere (trained by ``python3 dev.py train``,
see :mod:`bench.train`, shipped in ``bot/core/models/understanding.npz``):

1. language: code, URLs, identifiers and numbers removed, any Han character means ``zh``, otherwise py3langid
   restricted to :data:`LANGS` (a compact copy of its model, :mod:`bot.core.langid`), helped for very short
   messages by distinctive words (``bot/resources/language/short_words.toml``);
2. details ``error``, ``code``, ``versions``, ``platform``: structural rules (a fenced block of code is code, a log
   line is an error, ``7.2.1`` after a product name is a version, a platform is named);
3. ``steps``, the intent (question / bug report / chit-chat) and the route (billing, account, out_of_scope,
   incident, escalate or none): logistic regression over hashed character and word n-grams, English terms from the
   glossary and the structural flags (:mod:`bot.core.features`), plus, when the optional encoder is installed, a
   multilingual sentence embedding (:mod:`bot.services.semantic`).

Pure module: no I/O except the cached loads of the language model, the short-word table and the model artefact.
"""

from __future__ import annotations

import functools
import logging
import math
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from itertools import zip_longest
from typing import TYPE_CHECKING, NamedTuple, Protocol

import numpy as np

from bot.core.classifier import ModelSet, load_models
from bot.core.features import MAX_NGRAM_CHARS, hashed_features
from bot.core.text import Vocabulary, default_vocabulary, word_tokens

# The vocabularies are defined in bot.core.vocabulary; re-exported here, where most callers import them.
from bot.core.vocabulary import DETAILS as DETAILS
from bot.core.vocabulary import LANGS as LANGS
from bot.core.vocabulary import ROUTES as ROUTES
from bot.core.vocabulary import Intent as Intent

if TYPE_CHECKING:  # imported at run time only when first needed (see _identifier)
    from py3langid.langid import LanguageIdentifier

log = logging.getLogger(__name__)


#: the sentence encoder reads this much of the prose: the opening says what a message is, and e5 time grows with
#: length (2 threads: p99 117 ms at 600 characters, 65 ms at 300)
MAX_EMBED_CHARS = 300
#: a bug report whose question probability reaches this is also a how-to question (answer it when sure)
ASKS_HOWTO_PROBABILITY = 0.3
#: below this confidence, :func:`detect_language` returns the hint (or "en")
MIN_LANG_CONFIDENCE = 0.35
#: messages with at most this many words get help from the short-word table
_SHORT_MESSAGE_WORDS = 4
# Below this py3langid probability the short words of bot/resources/language/short_words.toml vote too: py3langid
# reads "how do I delete a bundle?" as Italian (0.63). Labelled train + validation messages identified right at 0.6 /
# 0.8 / 0.9: 0.971 / 0.970 / 0.972 (with "que" a French and Portuguese word too); templated English how-to questions
# ("how do I delete a channel?", 490) wrong: 22 / 2 / 0, the other languages' templates unchanged.
_UNSURE_LANG_CONFIDENCE = 0.9


@dataclass(frozen=True, slots=True)
class Analysis:
    """Result of :func:`analyse` for one message."""

    lang: str
    lang_confidence: float
    intent: Intent
    present: frozenset[str]
    missing: tuple[str, ...]
    route: str | None
    signals: tuple[str, ...]
    asks_howto: bool = False  # phrased as a how-to / information question, even inside a bug report
    addressed: bool = False  # opens with a member mention ("@kev you have to ..."): said to that person
    intent_probabilities: Mapping[str, float] = field(default_factory=dict)
    route_probability: float = 0.0  # probability that the message needs a policy route at all
    # the message's sentence embedding when the analyser computed one (reused by retrieval), else None
    vector: np.ndarray | None = field(default=None, compare=False, repr=False)


_HAN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

# =================================================================================================================
# Regex construction helpers
# =================================================================================================================
_QUANTIFIER_START = frozenset("*+?{")


def _split_first_atom(frag: str) -> tuple[str, str] | None:
    """``("n", "[ãa]o")`` for ``n[ãa]o``: the leading literal or character class and the rest, if safe to factor."""
    if not frag or frag[0] in "()|\\.^$*+?{}":
        return None
    if frag[0] == "[":
        end = frag.find("]", 1)
        if end < 0 or "\\" in frag[: end + 1]:
            return None
        atom, rest = frag[: end + 1], frag[end + 1 :]
    else:
        atom, rest = frag[0], frag[1:]
    if rest[:1] in _QUANTIFIER_START:
        return None
    depth = 0  # a top-level "|" in the fragment would change meaning once the first atom is factored out
    escaped = in_class = False
    for ch in rest:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            return None
    return atom, rest


def _expand_leading_group(frag: str) -> list[str]:
    """``(?:do|does) x`` -> ``["do x", "does x"]`` when the leading group is a flat alternation without quantifier."""
    if not frag.startswith("(?:"):
        return [frag]
    end = frag.find(")", 3)
    body = frag[3:end] if end > 0 else ""
    if not body or any(ch in body for ch in "()[]\\") or frag[end + 1 : end + 2] in _QUANTIFIER_START:
        return [frag]
    rest = frag[end + 1 :]
    return [option + rest for option in body.split("|")]


def _alternation(frags: Iterable[str]) -> str:
    """Alternation of fragments built as a trie on leading literals: ``a(?:b(?:c|d)|e)|f``.

    The regex engine skips a branch whose first literal does not match the current character, so a trie tries a
    few dozen branches per position instead of hundreds (fragments that do not start with a literal are kept as
    they are).
    """
    groups: dict[str, list[str]] = {}
    misc: list[str] = []
    empty = False
    for option in dict.fromkeys(f for frag in frags for f in _expand_leading_group(frag)):
        if not option:
            empty = True
            continue
        split = _split_first_atom(option)
        if split is None:
            misc.append(f"(?:{option})")
        else:
            groups.setdefault(split[0], []).append(split[1])
    branches = [
        atom + (rests[0] if len(rests) == 1 else "(?:" + _alternation(rests) + ")") for atom, rests in groups.items()
    ]
    return "|".join(branches + misc + ([""] if empty else []))


# =================================================================================================================
# Text segmentation
# =================================================================================================================
_FENCE_RE = re.compile(r"```(?:([A-Za-z0-9_+#.-]+)?[ \t]*\n)?(.*?)(?:```|\Z)", re.DOTALL)
_INLINE_RE = re.compile(r"`([^`\n]+)`")
_URL_RE = re.compile(r"(?:https?://|www\.)\S+")
_DISCORD_RE = re.compile(r"<(?:a?:\w+:\d+|@[!&]?\d+|#\d+)>")
# Discord's Markdown, which says nothing about what a message means: masked links keep their text; line prefixes
# (quote, heading, subtext) and emphasis markers go. The labelled sets hold almost none of it, so a bold question
# read differently from the same plain one (e5 read "**how do I set up encryption?**" closer to the key command page).
# Bounded lengths: an unclosed "[x](http://..." repeated must not scan to the end of the message from every bracket.
_MASKED_LINK_RE = re.compile(r"\[([^\[\]\n]{1,200})\]\(<?((?:https?://|www\.)[^()\s<>\[\]]{1,500})>?\)")
_FENCE_SPLIT_RE = re.compile(r"(```.*?(?:```|\Z))", re.DOTALL)
_LINE_MARK_RE = re.compile(r"(?m)^[ \t]*(?:>>> ?|> |>$|#{1,3} |-# )")
_EMPHASIS_RE = re.compile(r"\*\*|__|~~|\|\|")
# A single * or _ is emphasis only in pairs around words (*this*, _this_), not in 2 * 3, */5 or snake_case.
_SINGLE_EMPHASIS_RE = re.compile(r"(?<![\w*\\])([*_])(?=\w)([^*_\n]*?[\w?!.)])\1(?![\w*])")
# "???" and "!!1!" say no more than "?" and "!" (e5 and the FAQ's fuzzy match read them: one question in ten got
# another first page).
_PUNCTUATION_RUN_RE = re.compile(r"[?!？！][?!？！1]*[?!？！]")
_INLINE_SPLIT_RE = re.compile(r"(`[^`\n]+`)")


class _Parts(NamedTuple):
    text: str  # original
    fences: tuple[tuple[str, str], ...]  # (tag, body)
    prose: str  # fences removed, URLs removed, inline code kept
    plain: str  # prose without inline code (replaced by a space)
    inline: tuple[str, ...]


def strip_formatting(text: str) -> str:
    """`text` without Discord's formatting (emphasis, spoilers, quote and heading marks; a masked link becomes its
    text and URL), code blocks and inline code left as they are. Idempotent; the triage engine reads messages
    through it, so a bold question is searched and understood as the same plain one."""
    pieces = _FENCE_SPLIT_RE.split(text)
    return "".join(piece if i % 2 else _without_markdown(piece) for i, piece in enumerate(pieces))


def readable(text: str) -> str:
    """What the bot reads of a message, for search as for the learned models: without Discord's formatting
    (:func:`strip_formatting`) and without an opening greeting or closing thanks (:func:`strip_politeness`)."""
    return strip_politeness(strip_formatting(text))


def _without_markdown(prose: str) -> str:
    """`prose` (no code block in it) without formatting marks, inline code spans left as they are."""
    prose = _MASKED_LINK_RE.sub(r"\1 \2", prose)
    pieces = _INLINE_SPLIT_RE.split(_LINE_MARK_RE.sub("", prose))
    plain = (
        _PUNCTUATION_RUN_RE.sub(_one_mark, _SINGLE_EMPHASIS_RE.sub(r"\2", _EMPHASIS_RE.sub("", piece)))
        for piece in pieces[::2]
    )
    return "".join(piece for pair in zip_longest(plain, pieces[1::2], fillvalue="") for piece in pair)


def _one_mark(run: re.Match[str]) -> str:
    return "?" if any(c in "?？" for c in run.group(0)) else "!"


def _split(text: str) -> _Parts:
    text = readable(unicodedata.normalize("NFC", text))
    fences = tuple(((m.group(1) or "").lower(), m.group(2)) for m in _FENCE_RE.finditer(text))
    prose = _FENCE_RE.sub("\n", text)
    prose = _DISCORD_RE.sub(" ", _URL_RE.sub(" ", prose))
    inline = tuple(_INLINE_RE.findall(prose))
    plain = _INLINE_RE.sub(" ", prose)
    return _Parts(text, fences, prose, plain, inline)


# =================================================================================================================
# Language
# =================================================================================================================
@functools.cache
def _identifier() -> LanguageIdentifier:
    """py3langid identifier restricted to LANGS with normalised probabilities, built once on first use.

    Prefers the compact 8-language model of :mod:`bot.core.langid` (same automaton, 3x faster to load); falls back
    to py3langid's bundled model restricted with ``set_languages`` on a dedicated instance (never py3langid's
    module-level global).
    """
    try:
        from bot.core.langid import load_identifier

        identifier = load_identifier()
        if sorted(identifier.nb_classes) == sorted(LANGS):
            return identifier
        log.warning("compact language model has classes %s, using py3langid's model", identifier.nb_classes)
    except (ImportError, OSError, KeyError, ValueError) as exc:
        log.info("compact language model unavailable (%s), using py3langid's model", exc)
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    factory = getattr(LanguageIdentifier, "from_model_file", None) or LanguageIdentifier.from_pickled_model
    identifier = factory(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGS))
    log.debug("py3langid identifier loaded for %s", ",".join(LANGS))
    return identifier


_LETTER_WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
# whole tokens holding identifiers, paths, versions, numbers, CLI flags or 'quoted' option values
_LANG_NOISE_RE = re.compile(
    r"(?<!\S)(?:\S*?(?:\w[./@_\\]\w|[a-z][A-Z]|\d)|--?[A-Za-z]|['\"‘“][^\s'\"’”]{1,40}['\"’”])\S*"
)
# English tech words used in every language; removed unless nothing else is left (applied to lower-cased text)
_LOANWORDS_RE = re.compile(
    r"(?<!\w)(?:apps?|bundles?|updates?|updater|upload(?:s|ed)?|download|plugins?|android|ios|iphone|channels?|cli|api|"
    r"keys?|builds?|dashboard|devices?|live|capgo|capacitor|ionic|react|angular|vue|production|staging|beta|delta|"
    r"encryption|login|logs?|sync|web|webview|splash|rollback|rollout|self-?assign|default|debug|release|store|setting|"
    r"ci|cd|ok|okay|lol|emulator|simulator|console|npm|npx|json|config|mau|sdk|native|crash|bug|zip|url|id|ids|"
    r"flavors?|testers?|auto|manual|mode|token|server|backend|frontend|github|dev|devs|checksum|listener|event)(?!\w)"
)


@functools.cache
def _short_words() -> dict[str, frozenset[str]]:
    """Distinctive words of very short messages per language (``bot/resources/language/short_words.toml``)."""
    raw = tomllib.loads(resources.files("bot.resources.language").joinpath("short_words.toml").read_text("utf-8"))
    table = raw.get("short_words")
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise ValueError('short_words.toml: expected a [short_words] table of lang = "words ..." strings')
    out = {}
    for lang, words in table.items():
        forms = {w.lower() for w in words.split()}
        out[lang] = frozenset(
            forms | {unicodedata.normalize("NFKD", w).encode("ascii", "ignore").decode() for w in forms}
        )
    return out


@functools.cache
def _politeness() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The leading-greeting and closing-thanks patterns of ``bot/resources/language/politeness.toml`` (phrases of
    every language at once: the language is not known yet when a message is split)."""
    raw = tomllib.loads(resources.files("bot.resources.language").joinpath("politeness.toml").read_text("utf-8"))
    phrases: dict[str, list[str]] = {}
    for key in ("greetings", "addressees", "thanks"):
        table = raw.get(key)
        if not isinstance(table, dict) or not all(
            isinstance(v, list) and all(isinstance(p, str) and p.strip() for p in v) for v in table.values()
        ):
            raise ValueError(f'politeness.toml: expected a [{key}] table of lang = ["phrase", ...] lists')
        # Longest first: "buenas tardes" before "buenas" (the greeting pattern is not anchored at its end).
        unique = {p.strip().lower() for v in table.values() for p in v}
        phrases[key] = sorted(unique, key=lambda p: (-len(p), p))

    def alternation(key: str) -> str:
        return "|".join(re.escape(p) for p in phrases[key])

    lead = rf"^\s*(?:{alternation('greetings')})(?:[\s,]+(?:{alternation('addressees')}))?(?!\w){_POLITE_TAIL}"
    tail = rf"(?<![^\W\d_])(?:{alternation('thanks')}){_POLITE_TAIL}$"
    return re.compile(lead, re.IGNORECASE), re.compile(tail, re.IGNORECASE)


# What may follow a greeting or a thanks: spaces, punctuation and the emoji people add ("merci d'avance 🙏").
_POLITE_TAIL = r"[\s,.!:;~…！，。、\u2600-\u27bf\U0001f300-\U0001faff]*"
MIN_POLITE_REMAINDER_WORDS = 3
_CLOSING_WINDOW = 120  # characters: the longest thanks phrase with its punctuation and emoji fits many times


def strip_politeness(text: str) -> str:
    """`text` without one opening greeting ("hey everyone!") and one closing thanks ("thanks in advance 🙏"), if at
    least :data:`MIN_POLITE_REMAINDER_WORDS` words (six Han characters) remain; otherwise `text` unchanged."""
    lead, tail = _politeness()
    opening = lead.match(text)
    core = text[opening.end() :] if opening else text
    # A closing thanks is short: searched in the last characters only (a pasted log must not cost a scan of its
    # whole length per phrase); the look-behind still sees the character before that window.
    closing = tail.search(core, max(0, len(core) - _CLOSING_WINDOW))
    if closing:
        core = core[: closing.start()]
    if not opening and not closing:
        return text
    if len(core.split()) >= MIN_POLITE_REMAINDER_WORDS or len(_HAN_RE.findall(core)) >= 6:
        return core.strip()
    return text


@functools.cache
def _empty_title_words() -> frozenset[str]:
    """Words of a title that say nothing of its topic (``bot/resources/language/empty_titles.toml``, every
    language at once)."""
    raw = tomllib.loads(resources.files("bot.resources.language").joinpath("empty_titles.toml").read_text("utf-8"))
    table = raw.get("words")
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise ValueError('empty_titles.toml: expected a [words] table of lang = "words ..." strings')
    return frozenset(w.lower() for words in table.values() for w in words.split())


_TITLE_WORD_RE = re.compile(r"[^\W\d_]+")


def empty_title(title: str | None) -> bool:
    """Whether a forum-post title says nothing of its topic ("Help!", "Question", "Besoin d'aide svp", "求助"): only
    words of ``empty_titles.toml``, greetings, punctuation, numbers and emoji. Such a title is read as no title."""
    if not title or not title.strip():
        return False
    text = strip_formatting(title).lower()
    lead, _ = _politeness()
    text = lead.sub(" ", text, count=1)
    words = _empty_title_words()
    for han in sorted((w for w in words if _HAN_RE.match(w)), key=len, reverse=True):
        text = text.replace(han, " ")
    if _HAN_RE.search(text):
        return False
    return all(word in words for word in _TITLE_WORD_RE.findall(text))


_PT_LAUGH_RE = re.compile(r"^\s*k{3,}\s*$|^\s*(?:rs){2,}\s*$")
#: langid cost grows with the length; the first words are enough
_MAX_LANG_CHARS = 300


def _fallback(hint: str | None) -> str:
    return hint if hint in LANGS else "en"


def detect_language(text: str, hint: str | None = None) -> tuple[str, float]:
    """Identify the language of ``text`` among :data:`LANGS`; returns ``(lang, confidence 0..1)``.

    Code, URLs, identifiers and numbers are removed first. Any Han character means ``zh``. Messages without letters
    (emoji, code only) or identified with a confidence below :data:`MIN_LANG_CONFIDENCE` get ``hint`` (if it is one
    of :data:`LANGS`) or ``"en"``, with the low confidence.
    """
    return _detect(_split(text or "").plain, hint)


def _detect(plain: str, hint: str | None) -> tuple[str, float]:
    """:func:`detect_language` on text already stripped of code blocks, inline code, URLs and mentions."""
    lowered = _LANG_NOISE_RE.sub(" ", plain).lower()
    han = len(_HAN_RE.findall(lowered))
    if han:
        return "zh", 1.0 if han >= 2 else 0.8
    if _PT_LAUGH_RE.match(lowered):
        return "pt", 0.6
    words = _LETTER_WORD_RE.findall(_LOANWORDS_RE.sub(" ", lowered)) or _LETTER_WORD_RE.findall(lowered)
    if sum(len(w) for w in words) < 2:
        return _fallback(hint), 0.0
    sample = " ".join(words)[:_MAX_LANG_CHARS]
    lang, conf = _identifier().classify(sample)
    conf = float(conf)
    if len(words) <= _SHORT_MESSAGE_WORDS or conf < _UNSURE_LANG_CONFIDENCE:
        votes = {code: sum(1 for w in words if w in table) for code, table in _short_words().items()}
        best = max(votes, key=votes.__getitem__)
        ranked = sorted(votes.values(), reverse=True)
        if ranked[0] > 0 and ranked[0] > ranked[1] and best != lang:
            lang, conf = best, min(0.9, 0.45 + 0.15 * ranked[0])
        elif ranked[0] > 0 and best == lang:
            conf = max(conf, min(0.9, 0.45 + 0.15 * ranked[0]))
    if conf < MIN_LANG_CONFIDENCE:
        return _fallback(hint), conf
    return lang, conf


# =================================================================================================================
# Details
# =================================================================================================================
_LOG_LINE_RE = re.compile(
    r"""^[ \t]*(?:                                                # -- at the start of a line --
        [VDIWEF]/[\w.$ -]{1,40}(?:\(\s*\d+\))?\s*:               # logcat brief format  E/Capgo:
        |\d\d-\d\d\s+\d\d:\d\d:\d\d[.\d]*\s                      # logcat threadtime
        |\d{4}-\d\d-\d\d[ T]\d\d:\d\d                             # timestamps
        |[\w.-]+\s{2,}[VDIWEF]\s{2,}                              # Android Studio  Capacitor-updater  E  ...
        |at\s+[\w$.<>/]+\s*\(                                     # java/js stack frame
        |at\s+\S+:\d+:\d+                                         # js stack frame without function
        |\[[\w .:-]{2,30}\]\s*\S                                  # [Capgo] ... / [error] ...
        |⚡️|To\sNative\s*->|Result\s*->                          # Capacitor console
        |(?:ERROR|WARN(?:ING)?|FATAL|INFO|DEBUG|VERBOSE)\b         # level prefixes
        |[✖✗❌×]\s*\S                                             # CLI failure marks
        |(?:Uncaught|Unhandled)\b
        |(?:\w+\s)?(?:[Ee]rror|[Ff]atal|[Ee]xception|[Ff]ailed|[Ff]ailure|[Ww]arning)\s*[:!]
        |[\w-]+:\s+(?:[Ee]rror|[Ff]ailed|[Ww]arning)\b
    )
    |\.(?:java|kt|swift|m|mm|js|ts|tsx|dart):\d+\)?[ \t]*$    # file:line at the end of a frame
    |npm\s+ERR!|Traceback\s\(most\srecent\scall\slast\)|Error\sDomain=|errorMessage|"error"\s*:|Caused\sby:
    |Fatal\sException|BUILD\sFAILED|(?<=[a-z])(?:Exception|Error)\b\s*:
    """,
    re.MULTILINE | re.VERBOSE,
)
_EXCEPTION_NAME_RE = re.compile(r"\b[A-Z][a-z]\w*(?:Exception|Error)\b")  # NoClassDefFoundError, TypeError
# applied to lower-cased text
_ERROR_PROSE_RE = re.compile(
    r"""(?<!\w)(?:
        (?:error|erreur|errore|fehler|erro|err)\s*[:：]\s*\S
        |(?:status(?:\s*code)?|http|error|erreur|errore|fehler|erro|errors|erreurs|errori)\s*[:=]?\s*[45]\d\d\b
        |[45]\d\d\s+(?:bad\s+request|unauthorized|forbidden|not\s+found|internal\s+server\s+error|bad\s+gateway|
           service\s+unavailable|gateway\s+time-?out|error|errors|erreurs?|errore|fehler|erro)
        |(?:bad\s+gateway|service\s+unavailable|gateway\s+time-?out|internal\s+server\s+error)\b
        |(?:get|got|getting|returns?|returned|gives?|giving|throws?|da|dá|recebo|bekomme|kriege|ottengo|obtengo|dapet)
           \s+(?:an?\s+|un\s+|une\s+|uno\s+|ein\s+)?(?:http\s+)?[45]\d\d\b
        |(?:error|erreur|errore|fehler\w*|erro)[^\n"“«„「`]{0,25}["“«„「`][^"”»“」`\n]{6,}
        |(?:console|logs?|logcat|xcode|terminal|output|cli|devtools|debugger)\s+(?:shows?|says?|prints?|outputs?|
           displays?|affiche|dit|muestra|dice|mostra|zeigt|sagt|mostra|nunjukin|bilang)\s*:\s*\S
        |\[(?:capgo|capacitor[\w/-]*|error|err|warn(?:ing)?|fatal)\]\s*\S
    )
    |[✖❌]|(?:报错|错误|日志显示|控制台显示)(?:\s*[:：]|[^\n"“「`]{0,10}["“「`][^"”」`\n]{4,})
    """,
    re.VERBOSE,
)
_ERROR_WORDS_RE = re.compile(
    r"\b(?:error|exception|failed|failure|cannot|can't|unable|not found|denied|invalid|unknown option|undefined|"
    r"null object|timeout|refused|rejected)\b",
    re.IGNORECASE,
)
_SHELL_LINE_RE = re.compile(
    r"^\s*(?:\$\s*|>\s+)?(?:npx|npm|yarn|pnpm|bunx|bun|cap|ionic|capgo|git|cd|ls|cat|gradle|\./gradlew|gradlew|pod|"
    r"xcodebuild|xcrun|adb|brew|sudo|node|deno|curl|wget|rm|mkdir|cp|mv|flutter|fastlane)\b",
    re.IGNORECASE,
)
_CODE_LINE_RE = re.compile(
    r"""^\s*(?:import|export|const|let|var|function|class|interface|type|enum|async|await|return|if\s*\(|for\s*\(|
        while\s*\(|public|private|protected|override|fun|func|val|def|@objc|@Override|\#import|\#include|package|
        plugins\s*\{|android\s*\{|dependencies\s*\{|implementation\s|try\s*\{|catch\s*\(|new\s+\w)\b
    |=>|\)\s*\{\s*$|;\s*$|^\s*[{}\[\]()]+\s*[,;]?\s*$
    |\w\.\w+\([^)]*\)\s*;?\s*$
    |^\s*["']?[\w.@/-]+["']?\s*:\s*(?:["'`{\[\d-]|true\b|false\b|null\b|\w+\s*[,}]|\w+\(|\w+\.\w+)
    |<\/?[A-Za-z][\w:.-]*(?:\s[^<>]*)?\/?>
    |^\s*[\w.]+\s*=\s*\S
    """,
    re.MULTILINE | re.VERBOSE,
)
_CODE_STRONG_RE = re.compile(  # code syntax that prose does not produce (also used on unfenced text)
    r"""(?:^|[\s`(])(?:const|let|var)\s+[\w{\[]+\s*(?::\s*\w+\s*)?=
    |(?:^|[\s`])import\s+(?:\{|\*|\w+\s+from\b|type\b|["'])|(?:^|[\s`])export\s+(?:default|const|function|class|\{)
    |(?:^|[\s`(])await\s+[\w.]+\(|(?:^|[\s`])function\s*\w*\s*\(|(?:^|[\s`])class\s+\w+\s*(?:\{|extends\b)
    |=>|\w\.\w+\(\s*[{'"\[]|\{\s*["']?\w+["']?\s*:\s*\S|\w\([^()\n]*\)\s*;|^\s*[\w.]+\s*=\s*[\w'"{\[(]
    |<\w+[^<>]*\s\w+=["'][^<>]*>
    """,
    re.MULTILINE | re.VERBOSE,
)
_DOCTOR_RE = re.compile(r"(?i:capacitor doctor|latest dependencies|installed dependencies)|💊")
_CODE_TAGS = frozenset(
    [
        "ts",
        "typescript",
        "js",
        "javascript",
        "jsx",
        "tsx",
        "json",
        "json5",
        "jsonc",
        "kotlin",
        "kt",
        "java",
        "swift",
        "objc",
        "objective-c",
        "objectivec",
        "xml",
        "yaml",
        "yml",
        "gradle",
        "groovy",
        "html",
        "vue",
        "svelte",
        "py",
        "python",
        "dart",
        "plist",
        "toml",
        "properties",
        "ini",
        "css",
        "scss",
        "c",
        "cpp",
        "csharp",
        "cs",
        "go",
        "rust",
        "rb",
        "ruby",
        "php",
        "sql",
        "env",
        "dotenv",
    ]
)
_SHELL_TAGS = frozenset(["bash", "sh", "shell", "zsh", "console", "cmd", "powershell", "ps", "ps1", "terminal", "fish"])
_LOG_TAGS = frozenset(["log", "logs", "text", "txt", "logcat", "output", "plaintext", "stacktrace", "trace"])

_VERSION_RE = re.compile(
    r"(?<![A-Za-z0-9_.:/#-])(?P<pre>[v@^~]|version\s?|ver\.?\s?)?(?P<num>\d{1,4}(?:\.(?:\d{1,4}|x)){1,3})"
    r"(?P<suf>-[0-9A-Za-z.]+)?(?![\w.]*\d)(?P<unit>\s*(?:%|mb|kb|gb|ms|sec|seconds?|mins?|minutes?|h\b|px|€|\$|"
    r"x\b|fps|mo\b|go\b))?"
)  # applied to lower-cased text
_VERSION_CONTEXT_RE = re.compile(
    r"(?:capacitor|cap|plugin|plugins|updater|capacitor-updater|cli|@capgo/[\w-]+|@capacitor/[\w-]+|core|ios|ipados|"
    r"android|api|sdk|version|versions|versión|versione|versão|versi|xcode|node|npm|ionic|angular|react|vue|gradle|"
    r"kotlin|swift|chrome|safari|macos|windows|electron|webview|inappbrowser|social-login|插件|版本|系统)"
)  # applied to lower-cased text
_OS_VERSION_RE = re.compile(  # applied to lower-cased text
    r"(?<![\w-])(?:"
    + _alternation(
        [
            *[
                "android",
                "ios",
                "ipados",
                "sdk",
                "capacitor",
                "cap",
                "plugin",
                "updater",
                "cli",
                "xcode",
                "node",
                "ionic",
                "angular",
                "electron",
                "macos",
                "chrome",
                "safari",
                "webview",
                "targetsdk",
                "minsdk",
                "compilesdk",
            ],
            r"api(?:\s+level)?",
        ]
    )
    + r")\s?v?\d{1,3}(?![\d%])(?!\s?(?:mb|kb|gb|ms|min|sec|times|users|devices|%|x\b))|(?<![\w.])v\d{1,3}(?![\w.])"
)
_PACKAGE_VERSION_RE = re.compile(r"""["']@?[\w./-]+["']\s*:\s*["'][\^~>=<]*\d+\.\d+""")
_IP_RE = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
_PLATFORM_RE = re.compile(  # applied to lower-cased text
    r"(?<![\w-])(?:"
    + _alternation(
        [
            *[
                "ios",
                "ipados",
                "iphone",
                "ipad",
                "android",
                "electron",
                "pwa",
                "emulator",
                "emulators",
                "emulador",
                "emuladores",
                "emulatore",
                "emulatoren",
                "simulator",
                "simulators",
                "simulador",
                "simuladores",
                "simulatore",
                "simulatoren",
                "xcode",
                "logcat",
                "testflight",
                "safari",
                "chrome",
                "browser",
                "browsers",
                "navigateur",
                "navegador",
                "samsung",
                "huawei",
                "xiaomi",
                "oneplus",
                "galaxy",
                "harmonyos",
            ],
            r"android\s+studio",
            r"play\s+store",
            r"google\s+play",
            r"app\s+store",
            r"pixel\s?\d",
            r"(?:on|for|in|sur|en|su|auf|im|no|na|di|em|pada|the)\s+(?:the\s+)?web",
            r"web\s+(?:platform|browser|version|build\s+only)",
            r"(?:ios|android)\s*(?:,|/|and|or|&|e|y|et|und|o|ou|dan)\s*web",
        ]
    )
    + r")(?![\w-])|安卓|苹果手机|浏览器|模拟器|鸿蒙"
)


def _line_kind(line: str) -> str:
    if not line.strip():
        return "blank"
    if _LOG_LINE_RE.search(line):
        return "log"
    if _SHELL_LINE_RE.match(line):
        return "shell"
    if _CODE_LINE_RE.search(line):
        return "code"
    return "other"


def _fence_kind(tag: str, body: str) -> str:
    """Classify a fenced block: code, log, shell, doctor or empty."""
    if not body.strip():
        return "empty"
    if _DOCTOR_RE.search(body):
        return "doctor"
    kinds = [_line_kind(line) for line in body.splitlines()]
    n_log, n_code = kinds.count("log"), kinds.count("code")
    n_shell, n_other = kinds.count("shell"), kinds.count("other")
    if tag in _CODE_TAGS:
        return "log" if n_log and not n_code else "code"
    if tag in _LOG_TAGS:
        return "log"
    if n_log and n_log >= n_code:
        return "log"
    if n_code and (n_code >= n_other or _CODE_STRONG_RE.search(body)):
        return "code"
    if tag in _SHELL_TAGS or (n_shell and n_shell >= n_other):
        return "shell"
    return "log"  # pasted output that is neither code nor a command


def _is_version(m: re.Match[str], text: str) -> bool:
    num = m.group("num")
    if m.group("unit") or _IP_RE.match(num):
        return False
    parts = num.split(".")
    if len(parts) == 3 and len(parts[2]) == 4 and int(parts[0] or 0) <= 31:  # 12.03.2024
        return False
    if m.group("pre") or num.endswith(".x") or len(parts) >= 3:
        return True
    before = text[max(0, m.start() - 30) : m.start()]
    return bool(_VERSION_CONTEXT_RE.search(before))


def _has_versions(parts: _Parts, fence_kinds: list[str]) -> bool:
    scan = [parts.prose] + [body for (_, body), kind in zip(parts.fences, fence_kinds, strict=True) if kind != "code"]
    for chunk in scan:
        chunk = chunk.lower()
        if _OS_VERSION_RE.search(chunk):
            return True
        if any(_is_version(m, chunk) for m in _VERSION_RE.finditer(chunk)):
            return True
    return any(_PACKAGE_VERSION_RE.search(body) for (_, body), kind in zip(parts.fences, fence_kinds, strict=True)
               if kind == "code")  # fmt: skip


def _has_error(parts: _Parts, fence_kinds: list[str]) -> bool:
    if "log" in fence_kinds:
        return True
    if _LOG_LINE_RE.search(parts.plain) or _EXCEPTION_NAME_RE.search(parts.prose):
        return True
    if _ERROR_PROSE_RE.search(parts.prose.lower()):
        return True
    for span in parts.inline:
        if _LOG_LINE_RE.search(span) or (_ERROR_WORDS_RE.search(span) and len(span.split()) >= 3):
            return True
    return False


def _has_code(parts: _Parts, fence_kinds: list[str]) -> bool:
    if "code" in fence_kinds:
        return True
    if any(_CODE_STRONG_RE.search(span) for span in parts.inline):
        return True
    lines = [ln for ln in parts.plain.splitlines() if _CODE_STRONG_RE.search(ln) and not _LOG_LINE_RE.search(ln)]
    return bool(lines)


def _details(parts: _Parts) -> frozenset[str]:
    """The structural details (error, code, versions, platform); ``steps`` is the learned model's."""
    kinds = [_fence_kind(tag, body) for tag, body in parts.fences]
    found = set()
    if _has_error(parts, kinds):
        found.add("error")
    if _has_code(parts, kinds):
        found.add("code")
    if _has_versions(parts, kinds):
        found.add("versions")
    platform_text = "\n".join([parts.plain, *(b for (_, b), k in zip(parts.fences, kinds, strict=True) if k != "code")])
    if _PLATFORM_RE.search(platform_text.lower()):
        found.add("platform")
    return frozenset(found)


_LENGTH_BUCKETS = (0, 2, 5, 10, 20, 40, 80)


def _feature_ids(
    parts: _Parts, lang: str, present: frozenset[str], has_title: bool, vocabulary: Vocabulary
) -> np.ndarray:
    """Hashed features of a message for the learned classifiers (see :mod:`bot.core.features`)."""
    kinds = {_fence_kind(tag, body) for tag, body in parts.fences}
    n_words = _n_words(parts.plain)
    bucket = sum(1 for edge in _LENGTH_BUCKETS if n_words > edge)
    flags = [f"lang:{lang}", f"len:{bucket}", *(f"has:{d}" for d in sorted(present)), *(f"fence:{k}" for k in kinds)]
    checks = {
        "inline": bool(parts.inline),
        "url": bool(_URL_RE.search(parts.text)),
        "mention": bool(_DISCORD_RE.search(parts.text)) or parts.text.lstrip().startswith("@"),
        "qmark": bool(_QMARK_RE.search(parts.plain)),
        "title": has_title,
        "log_line": bool(_LOG_LINE_RE.search(parts.plain)),
        "exception": bool(_EXCEPTION_NAME_RE.search(parts.prose)),
        "identifier": bool(_IDENTIFIER_RE.search(parts.plain)),
        "no_words": bool(_EMOJI_ONLY_RE.match(parts.plain)),
    }
    flags.extend(name for name, on in checks.items() if on)
    sample = parts.plain[:MAX_NGRAM_CHARS]
    terms = set(word_tokens(sample, vocabulary.stopwords(lang)))
    if lang != "en":
        terms.update(vocabulary.translate_terms(sample, lang))
    return hashed_features(parts.prose, flags, sorted(terms))


def _gate(value: object) -> tuple[float, float]:
    """(chit-chat probability, route threshold) of a chit-chat gate from the artefact's metadata; off when absent."""
    if not isinstance(value, Mapping):
        return (1.01, 0.0)
    return (float(value.get("chitchat", 1.01)), float(value.get("route", 0.0)))


# A member mention opening the message: Discord's <@id> / <@!id>, or a typed @name (the console, pasted chats). Not
# a role (<@&id>), @everyone/@here, nor an npm scope (@capgo/cli) or a package version (@8.46.0).
_ADDRESSED_RE = re.compile(r"^\s*(?:<@!?\d+>|@(?!everyone\b|here\b)[^\W\d][^\s@/<>:,]{0,31}(?=[\s,:]))")


def is_addressed(text: str) -> bool:
    """Whether a message opens by naming a member: said to that person, a conversation the bot stays out of."""
    return bool(_ADDRESSED_RE.match(text or ""))


def embedding_text(text: str, title: str | None = None) -> str:
    """What the sentence encoder reads of a message: title and prose, without code blocks and URLs."""
    full = f"{title.strip()}\n\n{text}" if title and title.strip() else text
    return _split(full or "").prose.strip()[:MAX_EMBED_CHARS]


def feature_ids(
    text: str, title: str | None = None, lang_hint: str | None = None, vocabulary: Vocabulary | None = None
) -> np.ndarray:
    """The learned classifiers' input for a message (used by the training script and by :class:`Analyser`)."""
    full = f"{title.strip()}\n\n{text}" if title and title.strip() else text
    parts = _split(full or "")
    lang, _ = _detect(parts.plain, lang_hint)
    has_title = bool(title and title.strip())
    return _feature_ids(parts, lang, _details(parts), has_title, vocabulary or default_vocabulary())


def find_details(text: str) -> frozenset[str]:
    """Reproduction details present in ``text`` (subset of :data:`DETAILS`).

    * ``error``: a pasted log line, stack trace, exception name, ``Error: ...`` message, CLI failure mark (✖) or an
      HTTP 4xx/5xx status; a fenced block that is neither code nor a shell command counts as pasted output.
    * ``code``: a fenced block of code/config (by language tag or syntax), or code syntax in prose/inline code
      (``await x.y({..})``, ``const``, ``=>``, JSON objects). A lone shell command or ``cap doctor`` output is not
      code.
    * ``versions``: a semver-like number (``7.2.5``, ``7.x``, ``v7``, ``@8.46.0``) or a two-part number after a
      product/OS word, or an OS/product name followed by a number (``Android 14``, ``Capacitor 7``). Numbers inside
      code are ignored (bundle versions), except package.json dependencies.
    * ``platform``: iOS/Android/web/Electron named. Also counted: devices (iPhone, Pixel, Samsung), emulator
      (Android) / simulator (iOS), Xcode and TestFlight/App Store (iOS), logcat and Play Store (Android), browser
      (web).
    * ``steps`` (learned, see :class:`Analyser`): what the user did, an action sequence ("uploaded, killed the app,
      reopened"); a bare symptom or a condition ("crashes on resume") is not steps.
    """
    return default_analyser().analyse(text or "").present


# =================================================================================================================
# Shape of a message (flags for the learned models)
# =================================================================================================================
_QMARK_RE = re.compile(r"[?？¿]")
# camelCase / snake_case / dotted identifiers and CLI flags make a message technical
_IDENTIFIER_RE = re.compile(r"\b[a-z]+[A-Z]\w*|\b[A-Za-z]+_\w+|\b\w+\.\w+\(|(?<![\w-])--?[a-z][\w-]+|\b[A-Z]{2,}\b")
_EMOJI_ONLY_RE = re.compile(r"^[\W\d_]*$")
_WORDS_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


def _n_words(text: str) -> int:
    """Latin words + Han characters / 2 (rounded up)."""
    han = len(_HAN_RE.findall(text))
    latin = len(_WORDS_RE.findall(_HAN_RE.sub(" ", text)))
    return latin + math.ceil(han / 2)


# =================================================================================================================
# Entry point
# =================================================================================================================
class Analyser:
    """Language, details, intent and route of a message: rules where they are exact, learned models elsewhere.

    Language is py3langid's (restricted to :data:`LANGS`); ``error``, ``code``, ``versions`` and ``platform`` are
    structural rules (a fenced block of code is code, ``7.2.1`` is a version); ``steps``, the intent and the policy
    route come from the linear models trained by ``python3 dev.py train`` (see :mod:`bench.train`). With an
    encoder, the n-gram models answer alone when they are sure (cascade thresholds from the artefact) and the
    semantic models, which also read the message's sentence embedding, decide the rest.
    """

    def __init__(
        self,
        models: ModelSet,
        *,
        encoder: Encoder | None = None,
        route_threshold: float | None = None,
        vocabulary: Vocabulary | None = None,
    ) -> None:
        self.vocabulary = vocabulary or default_vocabulary()
        semantic = encoder is not None and all(models.get(f"{name}+sem") for name in ("intent", "route", "steps"))
        self.encoder = encoder if semantic else None
        suffix = "+sem" if semantic else ""
        self.intent_model = models[f"intent{suffix}"]
        self.route_model = models[f"route{suffix}"]
        self.steps_model = models[f"steps{suffix}"]
        tuned = models.meta.get(f"route_threshold{suffix}", models.meta.get("route_threshold", 0.5))
        self.route_threshold = float(route_threshold if route_threshold is not None else tuned)
        self.ngram_intent, self.ngram_route, self.ngram_steps = models["intent"], models["route"], models["steps"]
        self.ngram_route_threshold = float(
            route_threshold if route_threshold is not None else models.meta.get("route_threshold", 0.5)
        )
        # Chit-chat gate (bench/train.py `tune_chat_gate`): a message the intent model takes for chit-chat with at
        # least probability "chitchat" needs P(route) >= "route" to be routed ("we use beta and production channels
        # for a year now, smooth" is a story, not a request). Absent from older artefacts: off.
        self.chat_gate = _gate(models.meta.get(f"chat_gate{suffix}"))
        self.ngram_chat_gate = _gate(models.meta.get("chat_gate"))
        if route_threshold is not None:  # an explicit threshold (tests, calibration) means exactly that threshold
            self.chat_gate = self.ngram_chat_gate = (1.01, 0.0)
        # Cascade (semantic only): when the n-gram models are this sure, the encoder is skipped.
        cascade = models.meta.get("cascade") or {}
        self.intent_sure = float(cascade.get("intent_sure", 1.01)) if semantic else 1.01
        self.none_sure = float(cascade.get("none_sure", 1.01)) if semantic else 1.01

    @property
    def semantic(self) -> bool:
        """Whether the sentence-embedding models are in use."""
        return self.encoder is not None

    def analyse(self, text: str, title: str | None = None, lang_hint: str | None = None) -> Analysis:
        """Analyse one message (``title``, e.g. a forum post title, is prepended to the text)."""
        text = text or ""
        has_title = bool(title and title.strip())
        full = f"{title.strip()}\n\n{text}" if title and has_title else text
        parts = _split(full)
        lang, conf = _detect(parts.plain, lang_hint)
        present = set(_details(parts))
        ids = _feature_ids(parts, lang, frozenset(present), has_title, self.vocabulary)
        intents = self.ngram_intent.probabilities(ids)
        routes = self.ngram_route.probabilities(ids)
        steps_model, vector, route_threshold, gate = (
            self.ngram_steps,
            None,
            self.ngram_route_threshold,
            self.ngram_chat_gate,
        )
        sure = max(intents.values()) >= self.intent_sure and routes["none"] >= self.none_sure
        if self.encoder is not None and not sure:
            # The n-gram models are unsure: the sentence embedding decides (about 20 ms; see the cascade in
            # bench/train.py for how often and what it buys).
            prose = parts.prose.strip()[:MAX_EMBED_CHARS]
            vector = self.encoder.encode(prose) if prose else np.zeros(self.encoder.dimensions, np.float32)
            steps_model, route_threshold, gate = self.steps_model, self.route_threshold, self.chat_gate
            intents = self.intent_model.probabilities(ids, vector)
            routes = self.route_model.probabilities(ids, vector)
        steps = steps_model.probabilities(ids, vector)["yes"]
        if steps >= 0.5:
            present.add("steps")
        intent = Intent(max(intents, key=intents.__getitem__))
        best_route = max((r for r in routes if r != "none"), key=routes.__getitem__)
        if intents.get("chitchat", 0.0) >= gate[0]:
            route_threshold = max(route_threshold, gate[1])
        route = best_route if 1.0 - routes["none"] >= route_threshold else None
        signals = [
            f"lang={lang} ({conf:.2f})",
            f"intent={intent.value} ({intents[intent.value]:.2f}, {'semantic' if vector is not None else 'n-gram'})",
        ]
        if present:
            signals.append("details=" + ",".join(d for d in DETAILS if d in present))
        signals.append(f"route={route or 'none'} ({best_route} {1.0 - routes['none']:.2f})")
        return Analysis(
            asks_howto=intents["question"] >= ASKS_HOWTO_PROBABILITY,
            addressed=is_addressed(text),
            lang=lang,
            lang_confidence=round(conf, 4),
            intent=intent,
            present=frozenset(present),
            missing=tuple(d for d in DETAILS if d not in present),
            route=route,
            signals=tuple(signals),
            intent_probabilities=intents,
            route_probability=round(1.0 - routes["none"], 4),
            vector=vector,
        )


class Encoder(Protocol):
    """A sentence encoder (see :mod:`bot.services.semantic`): L2-normalised vectors of ``dimensions`` floats."""

    dimensions: int

    def encode(self, text: str) -> np.ndarray:
        """Embedding of one message."""
        ...


@functools.cache
def default_analyser() -> Analyser:
    """The analyser with the shipped models, without sentence embeddings (loaded once).

    The composition root (``bot.cli.build_engine``) builds the semantic analyser; this default serves callers that
    only need a quick analysis (volunteer commands' language detection, tests).
    """
    return Analyser(load_models())


def analyse(text: str, title: str | None = None, lang_hint: str | None = None) -> Analysis:
    """Analyse one message with the shipped models (see :class:`Analyser`)."""
    return default_analyser().analyse(text, title, lang_hint)
