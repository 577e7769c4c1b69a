"""The Discord UI in the member's language: the command tree's translator and the language of a Discord locale.

Command, group and option descriptions and context-menu names are written in the code as
``app_commands.locale_str("English text", key="<table>.<name>")``; at `/sync` discord.py asks the translator for each
Discord locale, and the translator answers from the UI catalogue (`bot/resources/ui/<lang>.toml`). Slash-command and
option names carry no key, so they stay English (see the README). Button, select, modal and input labels are read
from the same catalogue when the bot sends them (`UiTexts.label`), in the language `lang_of_locale` gives for the
member's Discord locale, or in the language of the bot reply they sit under.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from types import MappingProxyType

import discord
from discord import app_commands

from bot.core.resources import UiTexts

log = logging.getLogger(__name__)

# Discord's locales of the bot's 8 languages (discord.Locale values). Both Spanish and both Chinese locales get
# the one text of their language.
LOCALE_LANGS: Mapping[str, str] = MappingProxyType(
    {
        "en-US": "en",
        "en-GB": "en",
        "fr": "fr",
        "es-ES": "es",
        "es-419": "es",
        "it": "it",
        "de": "de",
        "pt-BR": "pt",
        "id": "id",
        "zh-CN": "zh",
        "zh-TW": "zh",
    }
)


def lang_of_locale(locale: discord.Locale | str | None) -> str:
    """Return the bot language of a Discord locale (`interaction.locale`), English for any other locale."""
    value = locale.value if isinstance(locale, discord.Locale) else str(locale or "")
    return LOCALE_LANGS.get(value, "en")


class UiTranslator(app_commands.Translator):
    """Answers discord.py's translation requests from the UI catalogue: the text of the string's `key` in the
    locale's language; None (Discord then shows the English default) for a string without a key, a key the
    catalogue lacks, or a locale outside the bot's languages."""

    def __init__(self, ui: UiTexts) -> None:
        self.ui = ui

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        """Return the catalogue's text of `string` for `locale`, or None."""
        key = string.extras.get("key")
        lang = LOCALE_LANGS.get(locale.value)
        if not isinstance(key, str) or lang is None:
            return None
        by_lang = self.ui.texts.get(key)
        if by_lang is None:
            log.warning("no UI text %r for %s (%s): Discord shows the English default", key, locale.value, string)
            return None
        return by_lang.get(lang)
