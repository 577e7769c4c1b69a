"""Loaders for the data files shipped in `bot/resources/` (read through importlib.resources, so an installed
wheel finds them too). Each loader reads its files once per call: callers keep the result and pass it on.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.abc import Traversable
from importlib.resources import files
from types import MappingProxyType
from typing import Any, TypeVar

GLOSSARY_PACKAGE = "bot.resources.glossary"
MESSAGES_PACKAGE = "bot.resources.messages"
ESCALATION_PACKAGE = "bot.resources.escalation"
UI_PACKAGE = "bot.resources.ui"

_K = TypeVar("_K")


class ResourceError(ValueError):
    """A shipped data file is malformed; the message names the file and the reason."""


@dataclass(frozen=True, slots=True)
class Glossary:
    """Per-language domain glossary (phrase -> space-separated English search terms) and stopwords."""

    phrases: Mapping[str, Mapping[str, str]]
    stopwords: Mapping[str, frozenset[str]]

    @property
    def langs(self) -> tuple[str, ...]:
        """Return the languages with a glossary file, sorted."""
        return tuple(sorted(self.stopwords))


def load_glossary(folder: Traversable | None = None) -> Glossary:
    """Read every `<lang>.toml` of the glossary folder (default: the packaged `bot/resources/glossary/`).

    Each file holds a `[glossary]` table (phrase = "english terms") and `[stopwords] words = [...]`.
    Raises ResourceError naming the file when one is malformed.
    """
    folder = files(GLOSSARY_PACKAGE) if folder is None else folder
    phrases: dict[str, Mapping[str, str]] = {}
    stopwords: dict[str, frozenset[str]] = {}
    for path in sorted((p for p in folder.iterdir() if p.name.endswith(".toml")), key=lambda p: p.name):
        lang = path.name.removesuffix(".toml")
        phrases[lang], stopwords[lang] = _parse_glossary_file(path.name, path.read_text(encoding="utf-8"))
    if not stopwords:
        raise ResourceError(f"no glossary files (*.toml) in {folder}")
    return Glossary(MappingProxyType(phrases), MappingProxyType(stopwords))


def _parse_glossary_file(name: str, text: str) -> tuple[Mapping[str, str], frozenset[str]]:
    data = _toml(name, text)
    unknown = set(data) - {"glossary", "stopwords"}
    if unknown:
        raise ResourceError(f"{name}: unknown table(s) {sorted(unknown)}; expected [glossary] and [stopwords]")
    table = data.get("glossary")
    if not isinstance(table, dict):
        raise ResourceError(f"{name}: missing [glossary] table")
    for phrase, terms in table.items():
        if not phrase.strip():
            raise ResourceError(f"{name}: [glossary] has an empty phrase")
        if not isinstance(terms, str) or not terms.strip():
            raise ResourceError(f"{name}: [glossary] {phrase!r} must map to a non-empty string of English terms")
    stops = data.get("stopwords")
    words = stops.get("words") if isinstance(stops, dict) else None
    if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
        raise ResourceError(f"{name}: [stopwords] needs `words = [...]`, a list of non-empty strings")
    return MappingProxyType(dict(table)), frozenset(words)


@dataclass(frozen=True, slots=True)
class Messages:
    """Localised reply texts, by key then language: `texts[key][lang]`; `details[detail][lang]` are the checklist
    items of a reminder. Templates use {name} placeholders (filled by bot.core.faq.render)."""

    texts: Mapping[str, Mapping[str, str]]
    details: Mapping[str, Mapping[str, str]]


def load_messages(folder: Traversable | None = None) -> Messages:
    """Read every `<lang>.toml` of the messages folder (default: the packaged `bot/resources/messages/`).

    Each file holds a `[messages]` table (key = "text") and a `[details]` table (detail = "checklist item").
    Raises ResourceError naming the file when one is malformed.
    """
    folder = files(MESSAGES_PACKAGE) if folder is None else folder
    texts: dict[str, dict[str, str]] = {}
    details: dict[str, dict[str, str]] = {}
    paths = sorted((p for p in folder.iterdir() if p.name.endswith(".toml")), key=lambda p: p.name)
    if not paths:
        raise ResourceError(f"no message files (*.toml) in {folder}")
    for path in paths:
        lang = path.name.removesuffix(".toml")
        data = _toml(path.name, path.read_text(encoding="utf-8"))
        unknown = set(data) - {"messages", "details"}
        if unknown:
            raise ResourceError(f"{path.name}: unknown table(s) {sorted(unknown)}; expected [messages] and [details]")
        for table, into in (("messages", texts), ("details", details)):
            for key, text in _string_table(path.name, data, table).items():
                into.setdefault(key, {})[lang] = text
    return Messages(_frozen(texts), _frozen(details))


# The values the bot passes when it renders these escalation messages (besides the brand placeholders, which every
# message may use): part of the code's contract with the texts, not text, so it lives here rather than in a file.
ESCALATION_EXTRA_PLACEHOLDERS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "ticket.created": frozenset({"ticket_id", "where", "sla"}),
        "ticket.sent_later": frozenset({"ticket_id"}),
        "ticket.public": frozenset({"ticket_id"}),
        "ticket.solved": frozenset({"ticket_id"}),
        "whoami.linked": frozenset({"details"}),
    }
)
_ESCALATION_TABLES = ("messages", "detail_categories", "severity")


@dataclass(frozen=True, slots=True)
class EscalationTexts:
    """Localised texts of the official-support escalation, by key then language: `messages[key][lang]` (refusals,
    ticket and linking notices; {name} placeholders, see ESCALATION_EXTRA_PLACEHOLDERS), `detail_categories[code]
    [lang]` and `severity[level][lang]` (the form's labels). Keys keep the order of en.toml."""

    messages: Mapping[str, Mapping[str, str]]
    detail_categories: Mapping[str, Mapping[str, str]]
    severity: Mapping[int, Mapping[str, str]]


def load_escalation_texts(folder: Traversable | None = None) -> EscalationTexts:
    """Read every `<lang>.toml` of the escalation folder (default: the packaged `bot/resources/escalation/`).

    Each file holds a `[messages]`, a `[detail_categories]` and a `[severity]` table (level "1".."4" = "label").
    Raises ResourceError naming the file when one is malformed.
    """
    folder = files(ESCALATION_PACKAGE) if folder is None else folder
    tables: dict[str, dict[str, dict[str, str]]] = {table: {} for table in _ESCALATION_TABLES}
    # English first, so that the keys (hence the form's options) follow the order of en.toml.
    paths = sorted(
        (p for p in folder.iterdir() if p.name.endswith(".toml")), key=lambda p: (p.name != "en.toml", p.name)
    )
    if not paths:
        raise ResourceError(f"no escalation text files (*.toml) in {folder}")
    for path in paths:
        lang = path.name.removesuffix(".toml")
        data = _toml(path.name, path.read_text(encoding="utf-8"))
        unknown = set(data) - set(_ESCALATION_TABLES)
        if unknown:
            expected = ", ".join(f"[{table}]" for table in _ESCALATION_TABLES)
            raise ResourceError(f"{path.name}: unknown table(s) {sorted(unknown)}; expected {expected}")
        for table, into in tables.items():
            for key, text in _string_table(path.name, data, table).items():
                into.setdefault(key, {})[lang] = text
        for level in data["severity"]:
            if not (level.isascii() and level.isdigit()):
                raise ResourceError(f'{path.name}: [severity] key {level!r} must be a level number such as "1"')
    severity = {int(level): labels for level, labels in tables["severity"].items()}
    return EscalationTexts(_frozen(tables["messages"]), _frozen(tables["detail_categories"]), _frozen(severity))


# Discord's length limit for each table of the UI catalogue (part of the code's contract with Discord, not text):
# a longer label is refused by Discord when the bot sends it, so the loader refuses it first.
UI_LIMITS: Mapping[str, int] = MappingProxyType(
    {
        "commands": 100,  # descriptions of slash commands, groups and options
        "menus": 32,  # names of message context menus
        "buttons": 80,  # button labels
        "selects": 150,  # select placeholders
        "modals": 45,  # modal titles
        "inputs": 45,  # text-input labels
        "prompts": 2000,  # message text sent with a form
    }
)


@dataclass(frozen=True, slots=True)
class UiTexts:
    """Localised labels of the bot's Discord UI, by key then language: `texts["<table>.<name>"][lang]` (tables:
    UI_LIMITS). Command descriptions and context-menu names reach Discord through the command tree's translator;
    button, select, modal and input labels are read with `label` when the bot sends them."""

    texts: Mapping[str, Mapping[str, str]]

    def label(self, key: str, lang: str) -> str:
        """Return the text of `key` in `lang`, or in English when that language lacks it (KeyError: no such key)."""
        by_lang = self.texts[key]
        return by_lang.get(lang) or by_lang["en"]


def load_ui_texts(folder: Traversable | None = None) -> UiTexts:
    """Read every `<lang>.toml` of the UI folder (default: the packaged `bot/resources/ui/`).

    Each file holds some of the tables of UI_LIMITS (name = "label"); a label must be a non-empty string within
    Discord's limit for its table. Raises ResourceError naming the file when one is malformed.
    """
    folder = files(UI_PACKAGE) if folder is None else folder
    texts: dict[str, dict[str, str]] = {}
    paths = sorted((p for p in folder.iterdir() if p.name.endswith(".toml")), key=lambda p: p.name)
    if not paths:
        raise ResourceError(f"no UI text files (*.toml) in {folder}")
    for path in paths:
        lang = path.name.removesuffix(".toml")
        data = _toml(path.name, path.read_text(encoding="utf-8"))
        unknown = set(data) - set(UI_LIMITS)
        if unknown:
            expected = ", ".join(f"[{table}]" for table in UI_LIMITS)
            raise ResourceError(f"{path.name}: unknown table(s) {sorted(unknown)}; expected some of {expected}")
        for table in data:
            for key, text in _string_table(path.name, data, table).items():
                if len(text) > UI_LIMITS[table]:
                    raise ResourceError(
                        f"{path.name}: [{table}] {key!r} has {len(text)} characters; Discord allows {UI_LIMITS[table]}"
                    )
                texts.setdefault(f"{table}.{key}", {})[lang] = text
    return UiTexts(_frozen(texts))


def _string_table(name: str, data: Mapping[str, Any], table: str) -> dict[str, str]:
    values = data.get(table)
    if not isinstance(values, dict):
        raise ResourceError(f"{name}: missing [{table}] table")
    for key, text in values.items():
        if not isinstance(text, str) or not text.strip():
            raise ResourceError(f"{name}: [{table}] {key!r} must be a non-empty string")
    return values


def _frozen(table: dict[_K, dict[str, str]]) -> Mapping[_K, Mapping[str, str]]:
    return MappingProxyType({key: MappingProxyType(by_lang) for key, by_lang in table.items()})


def _toml(name: str, text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ResourceError(f"{name}: invalid TOML: {exc}") from None
