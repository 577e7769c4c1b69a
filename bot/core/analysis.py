"""Analysis of one community message: language, intent, reproduction details and policy route.

Pure module: standard library + py3langid only (through :mod:`bot.core.langid`, which loads a compact copy of the
py3langid model restricted to our 8 languages). No I/O except that lazy, cached model load on first use; all
regular expressions are compiled once at import time and no global is mutated afterwards.

Pipeline (:func:`analyse`):

1. ``detect_language``: code fences, inline code, URLs, identifiers, numbers and common English tech loanwords are
   removed, then any Han character means ``zh``; otherwise a py3langid identifier restricted to :data:`LANGS`
   decides, helped for very short messages by a small table of distinctive words ("merci", "valeu", "mantap").
   Below :data:`MIN_LANG_CONFIDENCE` the hint (channel language) or ``"en"`` is returned.
2. ``find_details``: which of :data:`DETAILS` the message contains (see the function for the rules).
3. ``classify_intent``: chit-chat filters first (greetings, thanks, acks, laughter, job posts, announcements,
   maintainers' replies, suggestions to other users, "anyone here?", off-topic polls, jokes), then failure
   vocabulary or a pasted error => bug report, question cues => question, otherwise other.
4. ``classify_route``: a request only a human on the team can act on. Precedence when several match:
   ``incident > escalate > billing > account > out_of_scope`` (an outage explains everything else; an explicit
   escalation request already names the channel; billing and account are both staff-only and billing is the
   more frequent; out_of_scope is a refusal, so it only applies when nothing else does).

Vocabulary lives in :mod:`bot.core.analysis_lexicon`; everything is compiled once at import time.
"""

from __future__ import annotations

import functools
import logging
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

import numpy as np

from bot.core import analysis_lexicon as lex
from bot.core.classifier import ModelSet, load_models
from bot.core.features import hashed_features

log = logging.getLogger(__name__)

LANGS: tuple[str, ...] = ("en", "fr", "es", "it", "de", "pt", "id", "zh")
DETAILS: tuple[str, ...] = ("error", "code", "versions", "platform", "steps")
ROUTES: tuple[str, ...] = ("billing", "account", "out_of_scope", "incident", "escalate")

#: a bug report whose question probability reaches this is also a how-to question (answer it when sure)
ASKS_HOWTO_PROBABILITY = 0.3
#: below this confidence, :func:`detect_language` returns the hint (or "en")
MIN_LANG_CONFIDENCE = 0.35
#: messages with at most this many words get help from the short-word table
_SHORT_MESSAGE_WORDS = 4


class Intent(StrEnum):
    """What the author of a message wants."""

    QUESTION = "question"
    BUG_REPORT = "bug_report"
    CHITCHAT = "chitchat"
    OTHER = "other"


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
    intent_probabilities: Mapping[str, float] = field(default_factory=dict)
    route_probability: float = 0.0  # probability that the message needs a policy route at all


_HAN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

# =================================================================================================================
# Regex construction helpers
# =================================================================================================================
_FOLD = {
    "à": "a", "á": "a", "â": "a", "ã": "a", "ä": "a", "è": "e", "é": "e", "ê": "e", "ë": "e", "ì": "i", "í": "i",
    "î": "i", "ï": "i", "ò": "o", "ó": "o", "ô": "o", "õ": "o", "ö": "o", "ù": "u", "ú": "u", "û": "u", "ü": "u",
    "ç": "c", "ñ": "n",
}  # fmt: skip


def _fold(pattern: str) -> str:
    """Make accented letters optional: ``não`` -> ``n[ãa]o`` (inside a character class the base letter is added)."""
    out: list[str] = []
    in_class = False
    escaped = False
    for ch in pattern:
        if escaped:
            out.append(ch)
            escaped = False
            continue
        if ch == "\\":
            out.append(ch)
            escaped = True
            continue
        if ch == "[" and not in_class:
            in_class = True
        elif ch == "]" and in_class:
            in_class = False
        base = _FOLD.get(ch)
        if ch == "ß":
            out.append("ß" if in_class else "(?:ß|ss)")
        elif base is None:
            out.append(ch)
        elif in_class:
            out.append(ch + base)
        else:
            out.append(f"[{ch}{base}]")
    return "".join(out)


def _fragments(
    table: lex.Lexicon, langs: Iterable[str] | None = None, actions: bool = False
) -> tuple[list[str], list[str], list[str]]:
    """Fragments of a lexicon, folded, with ``{A}`` expanded to that language's actions, in three lists:
    Latin (word-bounded on both sides), Chinese (no boundaries) and Chinese starting with a Latin word
    ("react 项目": bounded on the left only).
    """
    wanted = set(langs) if langs is not None else None
    latin: list[str] = []
    cjk: list[str] = []
    mixed: list[str] = []
    for lang, frags in table.items():
        if wanted is not None and lang not in wanted:
            continue
        for frag in frags:
            if actions:
                frag = frag.replace("{A}", "|".join(lex.STEP_ACTIONS[lang]))
            if lang != "zh":
                latin.append(_fold(frag))
                continue
            for option in _expand_leading_group(frag):
                first = option[:1]
                if not (first.isascii() and first.isalnum()):
                    cjk.append(option)
                elif _HAN_RE.search(option):
                    mixed.append(option)
                else:
                    latin.append(option)
    return latin, cjk, mixed


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


def _merge(*tables: lex.Lexicon) -> lex.Lexicon:
    """Union of lexicons (for one-pass prefilters)."""
    merged: dict[str, tuple[str, ...]] = {}
    for table in tables:
        for lang, frags in table.items():
            merged[lang] = merged.get(lang, ()) + frags
    return merged


def _lex_re(table: lex.Lexicon, langs: Iterable[str] | None = None, *, actions: bool = False) -> re.Pattern[str]:
    """One pattern for a lexicon: word-bounded Latin fragments, unbounded Chinese fragments.

    The pattern is case-sensitive and must be applied to lower-cased text: without ``re.IGNORECASE`` the regex
    engine skips alternatives whose first literal does not match, which makes these large alternations ~5x faster.
    """
    latin, cjk, mixed = _fragments(table, langs, actions)
    parts = []
    if latin:
        parts.append(r"(?<!\w)(?:" + _alternation(latin) + r")(?!\w)")
    if cjk:  # the lookahead makes non-Chinese positions fail after one character-class test
        parts.append("(?=[\u3000-\u9fff\uf900-\uffef])(?:" + _alternation(cjk) + ")")
    if mixed:
        parts.append(r"(?<![A-Za-z0-9_])(?:" + _alternation(mixed) + ")")
    return re.compile("|".join(parts) or r"(?!x)x")


# =================================================================================================================
# Text segmentation
# =================================================================================================================
_FENCE_RE = re.compile(r"```(?:([A-Za-z0-9_+#.-]+)?[ \t]*\n)?(.*?)(?:```|\Z)", re.DOTALL)
_INLINE_RE = re.compile(r"`([^`\n]+)`")
_URL_RE = re.compile(r"(?:https?://|www\.)\S+")
_DISCORD_RE = re.compile(r"<(?:a?:\w+:\d+|@[!&]?\d+|#\d+)>")


class _Parts(NamedTuple):
    text: str  # original
    fences: tuple[tuple[str, str], ...]  # (tag, body)
    prose: str  # fences removed, URLs removed, inline code kept
    plain: str  # prose without inline code (replaced by a space)
    inline: tuple[str, ...]


def _split(text: str) -> _Parts:
    text = unicodedata.normalize("NFC", text)
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
def _identifier():
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
_SHORT_WORD_RES = {lang: _lex_re(lex.SHORT_WORDS, (lang,)) for lang in lex.SHORT_WORDS}
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
    if len(words) <= _SHORT_MESSAGE_WORDS or conf < 0.6:
        votes = {code: len(rx.findall(sample)) for code, rx in _SHORT_WORD_RES.items()}
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
_LIST_ITEM_RE = re.compile(
    r"^[ \t]*(?:\d{1,2}[.)]|[-*•]|step\s*\d+\s*[:.)-]?)[ \t]+(\S.*)$", re.MULTILINE
)  # lower-cased
_STEP_HEADER_RE = _lex_re(lex.STEP_HEADER)
_STEP_ACTION_RE = _lex_re(lex.STEP_ACTIONS)
_STEP_FP_RE = _lex_re(lex.STEP_FIRST_PERSON, actions=True)
_STEP_SEQ_RE = _lex_re(lex.STEP_SEQUENCE)
_STEP_AFTER_RE = _lex_re(lex.STEP_AFTER, actions=True)


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


def _has_steps(text: str) -> bool:
    """``text`` is lower-cased prose (code removed)."""
    if (":" in text or "：" in text or "步骤" in text or "reproduc" in text) and _STEP_HEADER_RE.search(text):
        return True
    n_actions = len(_STEP_ACTION_RE.findall(text))
    if not n_actions:  # every other rule needs an action verb
        return False
    items = _LIST_ITEM_RE.findall(text)
    if len(items) >= 2 and sum(1 for it in items if _STEP_ACTION_RE.search(it) or _SHELL_LINE_RE.match(it)) >= 2:
        return True
    if _STEP_AFTER_RE.search(text):
        return True
    if _STEP_FP_RE.search(text) and (n_actions >= 2 or _STEP_SEQ_RE.search(text)):
        return True
    return n_actions >= 3 and bool(_STEP_SEQ_RE.search(text))


def _details(parts: _Parts, *, with_steps: bool = True) -> frozenset[str]:
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
    if with_steps and _has_steps(parts.plain.lower()):
        found.add("steps")
    return frozenset(found)


_LENGTH_BUCKETS = (0, 2, 5, 10, 20, 40, 80)


def _feature_ids(parts: _Parts, lang: str, present: frozenset[str], has_title: bool) -> np.ndarray:
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
    return hashed_features(parts.prose, flags)


def feature_ids(text: str, title: str | None = None, lang_hint: str | None = None) -> np.ndarray:
    """The learned classifiers' input for a message (used by the training script and by :class:`Analyser`)."""
    full = f"{title.strip()}\n\n{text}" if title and title.strip() else text
    parts = _split(full or "")
    lang, _ = _detect(parts.plain, lang_hint)
    return _feature_ids(parts, lang, _details(parts, with_steps=False), bool(title and title.strip()))


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
    * ``steps``: what the user did: a "steps:" header, a list of at least two actions, "after + action"
      ("après avoir uploadé", "abis upload", "上传新包后"), or first-person narration of actions with another action or
      a sequencing word ("I call it, kill the app, reopen", "fiz o upload, fechei"). A bare symptom is not steps.
    """
    return _details(_split(text or ""))


# =================================================================================================================
# Intent
# =================================================================================================================
_FAILURE_RE = _lex_re(lex.FAILURE)
_NO_PROBLEM_RE = re.compile(
    _fold(
        r"(?<!\w)(?:no (?:problem|issue|worries)|not a problem|pas de (?:souci|problème)|sans (?:souci|problème)|"
        r"ningún problema|sin problema|nessun problema|kein problem|sem problema|tidak masalah|ga masalah|"
        r"gak masalah|nggak masalah)(?!\w)|没问题|没有问题"
    ),
)
_ASK_RE = _lex_re(lex.ASK_ANY)
_QWORD_RES = {
    lang: re.compile(r"(?:^|[.!?。！？\n]\s*)(?:" + "|".join(map(_fold, words)) + r")(?!\w|['’]t\b)")
    for lang, words in lex.QUESTION_WORDS.items()
    if words
}
_QMARK_RE = re.compile(r"[?？¿]")
_PHATIC_RE = _lex_re(lex.PHATIC)
_PRESENCE_RE = _lex_re(lex.PRESENCE)
_JOBS_RE = _lex_re(lex.JOBS)
_ANNOUNCE_RE = _lex_re(lex.ANNOUNCE)
_MAINTAINER_RE = _lex_re(lex.MAINTAINER)
_SUGGEST_START_RE = re.compile(
    r"^\s*(?:@\S+\s*)?(?:"
    + "|".join(f for lang in lex.SUGGEST_START for f in map(_fold, lex.SUGGEST_START[lang]))
    + r")(?!\w)",
)
_SUGGEST_ANY_RE = _lex_re(lex.SUGGEST_ANY)
_POLL_RE = _lex_re(lex.POLL)
_BECAUSE_RE = re.compile(
    r"[?？]\s*(?:" + "|".join(_fold(w) for ws in lex.JOKE_BECAUSE.values() for w in ws) + r")(?!\w)"
)
_SMALL_TALK_RE = _lex_re(lex.SMALL_TALK)
# one pass telling whether any of the (rarer) chit-chat patterns can match
_RESOLVED_RE = _lex_re(lex.RESOLVED)
_ASK_AUTHOR_RE = _lex_re(lex.ASK_AUTHOR)
_DOCS_POINTER_RE = _lex_re(lex.DOCS_POINTER)
_HOLIDAYS_RE = _lex_re(lex.HOLIDAYS)
_JOKES_RE = _lex_re(lex.JOKES)
_PRODUCT_STRICT_RE = _lex_re(lex.PRODUCT_STRICT)
_CONTRAST_RE = re.compile(
    _fold(r"(?<!\w)(?:but|still|however|mais|toujours|pero|sigue|ma|però|aber|immer noch|mas|ainda|tapi|masih)(?!\w)")
    + "|但是|还是|仍然"
)
# one pass telling whether any of the (rarer) chit-chat patterns can match
_CHITCHAT_ANY_RE = _lex_re(
    _merge(
        lex.JOBS,
        lex.ANNOUNCE,
        lex.MAINTAINER,
        lex.SUGGEST_ANY,
        lex.PRESENCE,
        lex.SMALL_TALK,
        lex.POLL,
        lex.RESOLVED,
        lex.ASK_AUTHOR,
        lex.DOCS_POINTER,
        lex.HOLIDAYS,
        lex.JOKES,
    )
)
#: longer messages cannot be only greetings/thanks
_PHATIC_MAX_WORDS = 24
# camelCase / snake_case / dotted identifiers and CLI flags make a message technical
_IDENTIFIER_RE = re.compile(r"\b[a-z]+[A-Z]\w*|\b[A-Za-z]+_\w+|\b\w+\.\w+\(|(?<![\w-])--?[a-z][\w-]+|\b[A-Z]{2,}\b")
#: a question without any technical or product word and at most this long is off-topic
_OFF_TOPIC_MAX_WORDS = 20
#: replies inside a conversation and suggestions are short; long messages matching them are real reports
_REPLY_MAX_WORDS = 40
_FIRST_PERSON_SINGULAR_RE = re.compile(r"(?<!\w)(?:i|my|i'm|i've)(?!\w)")
_PRODUCT_RE = _lex_re(lex.PRODUCT)
_TECH_RE = _lex_re(lex.TECH)
_EMOJI_ONLY_RE = re.compile(r"^[\W\d_]*$")
_LAUGH_RE = re.compile(r"^\s*(?:k{3,}|(?:ha){2,}h?|(?:he){2,}|(?:ja){2,}|(?:je){2,}|(?:wk){2,}\w*|(?:rs){2,}|lol+|lmao|"
                       r"mdr|ptdr|xd+|哈{2,}|呵{2,}|嘿{2,}|233+)[\s!.\W]*$", re.IGNORECASE)  # fmt: skip
_TITLE_BUG_RE = re.compile(r"^\s*(?:\[?bug\]?\s*[:\]-]|fix\s*:|\[(?:android|ios)\])", re.IGNORECASE)
_TITLE_FEATURE_RE = re.compile(
    r"^\s*(?:\[?feat(?:ure)?(?:\s+request)?\]?\s*[:\]-]|feature request|feedback\s*:|add\s|allow\s|support\s|"
    r"improve\s|request\s*:|proposal\s*:|suggestion\s*:|docs?\s*:)",
    re.IGNORECASE,
)
_HOWTO_RE = re.compile(  # how-to phrasing (lower-cased text)
    _fold(
        r"(?<!\w)(?:how (?:do|can|should|would|could) (?:i|we|one|you)|how to|is there (?:a|any)|is it possible|"
        r"what(?:'s| is) the (?:best|fastest|right|recommended|easiest) way|(?:fastest|best|easiest) way|any way to|"
        r"comment (?:faire|je|on|puis-je|peut-on)|est-ce qu'on peut|c[oó]mo (?:hago|puedo|se)|se puede|"
        r"hay (?:alguna )?(?:forma|manera)|come (?:posso|faccio|si)|c'è (?:un )?modo|si può|"
        r"wie (?:kann|könnte) (?:ich|man)|gibt es (?:eine|einen) (?:möglichkeit|weg)|"
        r"como (?:faço|posso|que eu)|tem como|dá pra|gimana cara|"
        r"bagaimana cara|caranya|possible to)(?!\w)|怎么|如何|能不能|有没有办法"
    ),
)
# informational questions ("how does X work", "what does X mean"): never off-topic small talk
_INFO_QUESTION_RE = re.compile(
    _fold(
        r"(?<!\w)(?:how (?:does|do|is|are|did|can|could|should|would) (?:the|it|this|that|a|an|my|our|your|one|i|we)|"
        r"what (?:does|do|is|are|should|would|happens)|what'?s the|why (?:does|do|is|are|did|doesn'?t|isn'?t|won'?t)|"
        r"where (?:do|can|should|is|are)|which (?:version|plan|option|method|flag)|"
        r"(?:que|qu'est-ce) (?:signifie|veut dire)|qu'est-ce qu|c'est quoi|quelle est|quel est|pourquoi|"
        r"où (?:est|sont|se)|"
        r"qu[eé] (?:significa|es|pasa)|por qu[eé]|d[oó]nde|cu[aá]l es|che cos|cosa (?:significa|succede|vuol dire)|"
        r"perch[eé]|dove|qual è|was (?:bedeutet|ist|passiert)|warum|wieso|wo (?:finde|ist|sind)|welche\w*|"
        r"o que (?:é|significa|acontece)|por que|onde|qual (?:é|a)|apa (?:itu|maksud|arti|bedanya)|kenapa|mengapa|"
        r"di ?mana)(?!\w)|什么是|是什么|什么意思|为什么|在哪"
    ),
)
_CONDITIONAL_RE = re.compile(
    _fold(r"(?<!\w)(?:if|when|whenever|si|se|wenn|falls|kalau|jika|kalo|quando|cuando|lorsque|quand)(?!\w)|如果|要是"),
)
_WORDS_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


def _n_words(text: str) -> int:
    """Latin words + Han characters / 2 (rounded up)."""
    han = len(_HAN_RE.findall(text))
    latin = len(_WORDS_RE.findall(_HAN_RE.sub(" ", text)))
    return latin + math.ceil(han / 2)


def _quote(m: re.Match[str] | None) -> str:
    return repr(m.group(0).strip()[:40]) if m else ""


def _is_conditional(text: str, m: re.Match[str]) -> bool:
    """True when the failure word sits in an if/when clause ("what happens if the upload fails?")."""
    start = max(0, m.start() - 45)
    window = text[start : m.start()]
    return bool(_CONDITIONAL_RE.search(window)) and not re.search(r"[.!\n]", window[-20:])


def _chitchat_reason(plain: str, lower: str, present: frozenset[str]) -> str | None:
    """Reason string if the message is chit-chat the bot must not answer, else None."""
    if _EMOJI_ONLY_RE.match(plain):
        return "no words"
    if _LAUGH_RE.match(lower):
        return "laughter"
    n_words = _n_words(plain)
    if "error" not in present and n_words <= _REPLY_MAX_WORDS and (m := _SUGGEST_START_RE.match(lower)):
        return f"suggestion to another user {_quote(m)}"
    if _CHITCHAT_ANY_RE.search(lower):
        if m := _JOBS_RE.search(lower):
            return f"job post {_quote(m)}"
        if (m := _ANNOUNCE_RE.search(lower)) and not _FIRST_PERSON_SINGULAR_RE.search(lower):
            return f"announcement {_quote(m)}"
        if n_words <= _REPLY_MAX_WORDS and (m := _MAINTAINER_RE.search(lower)):
            return f"reply in a conversation {_quote(m)}"
        if "error" not in present and n_words <= _REPLY_MAX_WORDS and (m := _SUGGEST_ANY_RE.search(lower)):
            return f"suggestion to another user {_quote(m)}"
        if n_words <= _REPLY_MAX_WORDS and (m := _ASK_AUTHOR_RE.search(lower)):
            return f"asks the author for details {_quote(m)}"
        if n_words <= _REPLY_MAX_WORDS and "error" not in present and (m := _DOCS_POINTER_RE.search(lower)):
            return f"points to the docs {_quote(m)}"
        if (
            n_words <= _REPLY_MAX_WORDS
            and (m := _RESOLVED_RE.search(lower))
            and not _QMARK_RE.search(lower)
            and not _CONTRAST_RE.search(lower, m.end())
        ):
            return f"problem solved {_quote(m)}"
        if n_words <= 15 and (m := _HOLIDAYS_RE.search(lower)):
            return f"greetings {_quote(m)}"
        if (m := _PRESENCE_RE.search(lower)) and n_words <= 6:
            return f"presence ping {_quote(m)}"
        if (m := _SMALL_TALK_RE.search(lower)) and not _PRODUCT_STRICT_RE.search(lower) and not _TECH_RE.search(lower):
            return f"small talk {_quote(m)}"
        if (m := _POLL_RE.search(lower)) and not _PRODUCT_STRICT_RE.search(lower):
            return f"off-topic poll {_quote(m)}"
        if (m := _JOKES_RE.search(lower)) and not _PRODUCT_STRICT_RE.search(lower):
            return f"joke {_quote(m)}"
    if (
        ("?" in lower or "？" in lower)
        and n_words <= 30
        and _BECAUSE_RE.search(lower)
        and not _PRODUCT_STRICT_RE.search(lower)
    ):
        return "joke / rhetorical question"
    if n_words <= _PHATIC_MAX_WORDS and (m := _PHATIC_RE.search(lower)):
        rest = _n_words(_PHATIC_RE.sub(" ", lower))
        if (rest <= 2 or (rest <= 3 and n_words >= 8)) and not _FAILURE_RE.search(_NO_PROBLEM_RE.sub(" ", lower)):
            return f"greeting/thanks/ack {_quote(m)}"
    return None


def _classify_intent(
    parts: _Parts, lang: str, present: frozenset[str], title: str | None = None, *, routed: bool = False
) -> tuple[Intent, str]:
    """Intent and reason; ``routed`` tells that the message is a request for staff (see :func:`classify_route`)."""
    plain = parts.plain.strip()
    lower = plain.lower()
    if not _WORDS_RE.search(plain) and not _HAN_RE.search(plain):
        if "error" in present:
            return Intent.BUG_REPORT, "pasted error output"
        if "code" in present:
            return Intent.OTHER, "code without text"
        return Intent.CHITCHAT, "no words"
    reason = _chitchat_reason(plain, lower, present)
    if reason:
        return Intent.CHITCHAT, reason
    failure = _FAILURE_RE.search(_NO_PROBLEM_RE.sub(" ", lower))
    ask = _QMARK_RE.search(plain) or _ASK_RE.search(lower)
    qword = _QWORD_RES.get(lang)
    if not ask and qword is not None:
        ask = qword.search(lower)
    head = (title or plain).lstrip()
    if _TITLE_BUG_RE.match(head):
        return Intent.BUG_REPORT, "bug report title"
    if failure or "error" in present:
        howto = _HOWTO_RE.search(lower) if failure and ask and not present & {"error", "steps"} else None
        if howto and _is_conditional(lower, failure):
            return Intent.QUESTION, f"how-to with hypothetical failure {_quote(failure)}"
        if howto and howto.start() < failure.start():
            return Intent.QUESTION, f"how-to {_quote(howto)}"
        if failure:
            return Intent.BUG_REPORT, f"failure {_quote(failure)}"
        return Intent.BUG_REPORT, "pasted error"
    if ask:
        if (
            not routed
            and _n_words(plain) <= _OFF_TOPIC_MAX_WORDS
            and not present
            and not parts.inline
            and not _IDENTIFIER_RE.search(plain)
            and not _HOWTO_RE.search(lower)
            and not _INFO_QUESTION_RE.search(lower)
            and not _TECH_RE.search(lower)
            and not _PRODUCT_RE.search(lower)
        ):
            return Intent.CHITCHAT, f"off-topic question {_quote(ask)}"
        return Intent.QUESTION, f"ask {_quote(ask)}"
    if "steps" in present and present & {"platform", "versions", "code"}:
        return Intent.BUG_REPORT, "reproduction steps"
    if _TITLE_FEATURE_RE.match(head):
        return Intent.QUESTION, "feature request"
    if present & {"code", "versions"} and _n_words(plain) >= 6:
        return Intent.QUESTION, "technical statement with details"
    if routed:  # "I want my account deleted", "need an invoice with our VAT number": a request to the team
        return Intent.QUESTION, "request for the team"
    return Intent.OTHER, "no ask"


def classify_intent(text: str, lang: str, present: frozenset[str]) -> tuple[Intent, str]:
    """Intent of ``text`` (already identified as ``lang``, with details ``present``) and a short reason.

    A statement that carries a policy route ("Ich möchte meinen Account löschen lassen.") is a request, so it is a
    question rather than ``other``.
    """
    parts = _split(text or "")
    return _classify_intent(parts, lang, present, routed=_classify_route(parts)[0] is not None)


# =================================================================================================================
# Route
# =================================================================================================================
_BILLING_RE = _lex_re(lex.ROUTE_BILLING)
_BILLING_HOWTO_RE = _lex_re(lex.ROUTE_BILLING_HOWTO)
_ACCOUNT_RE = _lex_re(lex.ROUTE_ACCOUNT)
_OOS_REQUEST_WORK_RE = re.compile(
    "(?:"
    + _lex_re(lex.ROUTE_OUT_OF_SCOPE).pattern
    + r")[^.?!\n。？！]{0,60}?(?:"
    + _lex_re(lex.OOS_WORK).pattern
    + ")",
)
_OOS_OBJECT_RE = _lex_re(lex.OOS_OBJECT)
_INCIDENT_DIRECT_RE = _lex_re(lex.ROUTE_INCIDENT_DIRECT)
_INCIDENT_TEAM_RE = _lex_re(lex.ROUTE_INCIDENT_TEAM)
_INCIDENT_SIDE_RE = _lex_re(lex.ROUTE_INCIDENT_SIDE)
_INCIDENT_5XX_RE = re.compile(
    r"(?<![\d.])5\d\d(?![\d.])|(?<!\w)(?:bad gateway|service unavailable|gateway time-?out|internal server error|"
    r"spin(?:s|ning)? forever|loading forever|charge (?:à l'infini|indéfiniment))"
)
_ESCALATE_EXPLICIT_RE = _lex_re(lex.ROUTE_ESCALATE_EXPLICIT)
_ESCALATE_TIER_RE = _lex_re(lex.ROUTE_ESCALATE_TIER)
_ESCALATE_URGENT_RE = _lex_re(lex.ROUTE_ESCALATE_URGENT)


_ROUTE_ANY_RE = _lex_re(
    _merge(
        lex.ROUTE_BILLING,
        lex.ROUTE_ACCOUNT,
        lex.ROUTE_INCIDENT_DIRECT,
        lex.ROUTE_INCIDENT_TEAM,
        lex.ROUTE_ESCALATE_EXPLICIT,
        lex.ROUTE_ESCALATE_TIER,
        lex.OOS_OBJECT,
    )
)


def _classify_route(parts: _Parts) -> tuple[str | None, str]:
    text = parts.plain.lower()
    if not _ROUTE_ANY_RE.search(text):  # one pass for the common case: no route vocabulary at all
        return None, ""
    # incident: the service looks down for everyone
    if m := _INCIDENT_DIRECT_RE.search(text):
        return "incident", _quote(m)
    team = _INCIDENT_TEAM_RE.search(text)
    if team and (_INCIDENT_5XX_RE.search(text) or _INCIDENT_SIDE_RE.search(text)):
        return "incident", _quote(team)
    # escalate: explicit request for official support / ticket / direct contact, or paying tier + urgency
    if m := _ESCALATE_EXPLICIT_RE.search(text):
        return "escalate", _quote(m)
    tier = _ESCALATE_TIER_RE.search(text)
    if tier and (urgent := _ESCALATE_URGENT_RE.search(text)):
        return "escalate", f"{_quote(tier)} + {_quote(urgent)}"
    # billing / account
    if (m := _BILLING_RE.search(text)) and not _BILLING_HOWTO_RE.search(text):
        return "billing", _quote(m)
    if m := _ACCOUNT_RE.search(text):
        return "account", _quote(m)
    # out of scope: asks the team to work on the user's own code
    if (m := _OOS_REQUEST_WORK_RE.search(text)) and (obj := _OOS_OBJECT_RE.search(text)):
        return "out_of_scope", f"{_quote(m)} + {_quote(obj)}"
    return None, ""


def classify_route(text: str, lang: str) -> tuple[str | None, str]:
    """Policy route of ``text`` (one of :data:`ROUTES`, or None) and a short reason.

    Only requests a human on the team must act on get a route; how-to questions about the same topics (plans, MAU,
    invoices in the console) get None so the doc search answers them. Code blocks and inline code are ignored
    (pasted CLI output such as "please contact support" is not a request). ``lang`` is accepted for symmetry: the
    vocabulary of all languages is always applied, because short messages are often misidentified.
    """
    del lang
    return _classify_route(_split(text or ""))


# =================================================================================================================
# Entry point
# =================================================================================================================
class Analyser:
    """Language, details, intent and route of a message: rules where they are exact, learned models elsewhere.

    Language is py3langid's (restricted to :data:`LANGS`); ``error``, ``code``, ``versions`` and ``platform`` are
    structural rules (a fenced block of code is code, ``7.2.1`` is a version); ``steps``, the intent and the policy
    route come from the linear models trained by ``python3 dev.py train`` (see :mod:`bench.train`).
    """

    def __init__(self, models: ModelSet, route_threshold: float | None = None) -> None:
        self.intent_model = models["intent"]
        self.route_model = models["route"]
        self.steps_model = models["steps"]
        tuned = models.meta.get("route_threshold", 0.5)
        self.route_threshold = float(route_threshold if route_threshold is not None else tuned)  # type: ignore[arg-type]

    def analyse(self, text: str, title: str | None = None, lang_hint: str | None = None) -> Analysis:
        """Analyse one message (``title``, e.g. a forum post title, is prepended to the text)."""
        text = text or ""
        has_title = bool(title and title.strip())
        full = f"{title.strip()}\n\n{text}" if title and has_title else text
        parts = _split(full)
        lang, conf = _detect(parts.plain, lang_hint)
        present = set(_details(parts, with_steps=False))
        ids = _feature_ids(parts, lang, frozenset(present), has_title)
        steps = self.steps_model.probabilities(ids)["yes"]
        if steps >= 0.5:
            present.add("steps")
        intents = self.intent_model.probabilities(ids)
        intent = Intent(max(intents, key=intents.__getitem__))
        routes = self.route_model.probabilities(ids)
        best_route = max((r for r in routes if r != "none"), key=routes.__getitem__)
        route = best_route if 1.0 - routes["none"] >= self.route_threshold else None
        signals = [f"lang={lang} ({conf:.2f})", f"intent={intent.value} ({intents[intent.value]:.2f})"]
        if present:
            signals.append("details=" + ",".join(d for d in DETAILS if d in present))
        signals.append(f"route={route or 'none'} ({best_route} {1.0 - routes['none']:.2f})")
        return Analysis(
            asks_howto=intents["question"] >= ASKS_HOWTO_PROBABILITY,
            lang=lang,
            lang_confidence=round(conf, 4),
            intent=intent,
            present=frozenset(present),
            missing=tuple(d for d in DETAILS if d not in present),
            route=route,
            signals=tuple(signals),
            intent_probabilities=intents,
            route_probability=round(1.0 - routes["none"], 4),
        )


@functools.cache
def default_analyser() -> Analyser:
    """The analyser with the shipped models (loaded once)."""
    return Analyser(load_models())


def analyse(text: str, title: str | None = None, lang_hint: str | None = None) -> Analysis:
    """Analyse one message with the shipped models (see :class:`Analyser`)."""
    return default_analyser().analyse(text, title, lang_hint)
