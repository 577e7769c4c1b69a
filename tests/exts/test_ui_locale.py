"""The Discord UI in the member's language: the commands' translator, the keys the code uses, and end to end
(the real bot against the fake Discord): localised command descriptions after /sync, a French member's forms,
German buttons under a German answer."""

from __future__ import annotations

import ast
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import discord
import pytest
from discord import app_commands

from bot.core.decision import Incident
from bot.core.resources import UI_LIMITS, load_ui_texts
from bot.core.vocabulary import LANGS
from bot.exts.translator import LOCALE_LANGS, UiTranslator, lang_of_locale
from sandbox import run_sandbox
from tests.exts.test_e2e import running_bot, settled
from tests.exts.test_escalation_e2e import support_bot
from tests.fake_discord import FakeDiscord, point_discord_py_at

UI = load_ui_texts()
EXTS = Path(__file__).resolve().parents[2] / "bot" / "exts"
# Commands whose texts are not localised yet (none today); their catalogue keys exist, the code wraps its strings in
# locale_str when they are (then drop them from here; the tests below say so).
PENDING: dict[str, tuple[str, ...]] = {}
GERMAN_QUESTION = "wie initialisiere ich das Widget?"


# --- the translator ------------------------------------------------------------------------------------------------


def _context() -> app_commands.TranslationContext:
    return app_commands.TranslationContext(app_commands.TranslationContextLocation.other, None)


@pytest.mark.parametrize("locale", [discord.Locale(value) for value in LOCALE_LANGS])
async def test_the_translator_answers_from_the_catalogue_in_each_bot_language(locale: discord.Locale) -> None:
    translator = UiTranslator(UI)
    lang = LOCALE_LANGS[locale.value]
    for key in ("commands.link", "commands.faq.query", "menus.answer_with_faq"):
        string = app_commands.locale_str(UI.texts[key]["en"], key=key)
        assert await translator.translate(string, locale, _context()) == UI.texts[key][lang]


async def test_the_translator_says_none_for_other_locales_unknown_keys_and_plain_strings() -> None:
    translator = UiTranslator(UI)
    keyed = app_commands.locale_str("Link your account", key="commands.link")
    assert await translator.translate(keyed, discord.Locale.japanese, _context()) is None
    assert await translator.translate(keyed, discord.Locale.russian, _context()) is None
    unknown = app_commands.locale_str("Nothing", key="commands.no-such-command")
    assert await translator.translate(unknown, discord.Locale.french, _context()) is None
    plain = app_commands.locale_str("link")  # a command name: no key, stays English
    assert await translator.translate(plain, discord.Locale.french, _context()) is None


def test_every_bot_language_has_a_discord_locale() -> None:
    assert set(LOCALE_LANGS.values()) == set(LANGS)
    assert {locale.value for locale in discord.Locale} >= set(LOCALE_LANGS)


@pytest.mark.parametrize(
    ("locale", "lang"),
    [
        (discord.Locale.french, "fr"),
        (discord.Locale.spain_spanish, "es"),
        (discord.Locale.latin_american_spanish, "es"),
        (discord.Locale.brazil_portuguese, "pt"),
        (discord.Locale.taiwan_chinese, "zh"),
        (discord.Locale.chinese, "zh"),
        (discord.Locale.british_english, "en"),
        (discord.Locale.japanese, "en"),
        ("de", "de"),
        (None, "en"),
    ],
)
def test_the_language_of_a_locale(locale: discord.Locale | str | None, lang: str) -> None:
    assert lang_of_locale(locale) == lang


# --- the keys the code uses (AST scan of bot/exts) -----------------------------------------------------------------

UI_KEY = re.compile(rf"^(?:{'|'.join(UI_LIMITS)})\.[\w.-]+$")


def _exts_sources() -> Iterator[tuple[str, ast.AST]]:
    for path in sorted(EXTS.glob("*.py")):
        yield path.name, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def locale_str_keys() -> list[tuple[str, str, str]]:
    """(file, key, English text) of every `locale_str("English", key="...")` in bot/exts (also as `_T(...)`)."""
    found = []
    for name, tree in _exts_sources():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if called not in ("locale_str", "_T"):
                continue
            key = next((k.value for k in node.keywords if k.arg == "key"), None)
            assert isinstance(key, ast.Constant) and isinstance(key.value, str), f"{name}:{node.lineno}: no key"
            english = node.args[0]
            assert isinstance(english, ast.Constant) and isinstance(english.value, str), f"{name}:{node.lineno}"
            found.append((name, key.value, english.value))
    return found


def ui_keys_named_in_code() -> set[str]:
    """Every string constant in bot/exts shaped like a UI key ("buttons.solved", "commands.link"...)."""
    return {
        node.value
        for _, tree in _exts_sources()
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and UI_KEY.match(node.value)
    }


def test_every_locale_str_key_exists_and_its_english_is_the_catalogues() -> None:
    found = locale_str_keys()
    assert len(found) > 40  # the scan sees the commands
    for name, key, english in found:
        assert key in UI.texts, f"{name}: {key!r} is not in bot/resources/ui/"
        assert UI.texts[key]["en"] == english, f"{name}: {key!r} says {english!r} in the code"


def test_every_ui_key_named_in_the_code_exists_and_every_catalogue_key_is_used() -> None:
    named = ui_keys_named_in_code()
    assert named - set(UI.texts) == set()
    pending = {key for keys in PENDING.values() for key in keys}
    assert set(UI.texts) - named - pending == set(), "catalogue keys no code uses"
    assert not named & pending, "a pending command is now localised: remove it from PENDING"


# --- end to end ----------------------------------------------------------------------------------------------------


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        with point_discord_py_at(server):
            yield server
    server.assert_clean()


@pytest.fixture
async def sandbox():
    async with run_sandbox(db=":memory:", api_key="test-key") as running:
        yield running


def speak(fake: FakeDiscord, monkeypatch: pytest.MonkeyPatch, locales: dict[int, str]) -> None:
    """Give these members a Discord client in another language (the fake sends every interaction as en-US)."""
    dispatch = fake.dispatch

    async def localised(event: str, data: dict, **kwargs: Any) -> None:
        if event == "INTERACTION_CREATE":
            user = int(data["member"]["user"]["id"])
            data["locale"] = locales.get(user, data["locale"])
        await dispatch(event, data, **kwargs)

    monkeypatch.setattr(fake, "dispatch", localised)


def labels(components: list[dict]) -> list[str]:
    """Every label, placeholder and title in a components tree, in order."""
    found = []
    for component in components:
        found += [component[k] for k in ("label", "placeholder") if component.get(k)]
        found += labels(component.get("components") or [])
        if isinstance(component.get("component"), dict):
            found += labels([component["component"]])
    return found


async def test_synced_commands_carry_localised_descriptions_and_english_names(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    async with running_bot(fake, tmp_path) as bot:
        guild = bot.get_guild(fake.guild_id)
        bot.tree.copy_global_to(guild=guild)
        await bot.tree.sync(guild=guild)
        synced = fake.commands[fake.guild_id]
    locales = set(LOCALE_LANGS)
    slash = [c for c in synced if c["type"] == 1]
    menus = [c for c in synced if c["type"] == 3]
    assert {c["name"] for c in slash} >= {"faq", "config", "bot-replies", "link", "escalate", "sync"}
    assert len(menus) == 4

    def check(entry: dict[str, Any], where: str) -> None:
        localised = entry.get("description_localizations") or {}
        assert set(localised) == locales, where
        assert localised["en-US"] == entry["description"], where  # the code's English is the catalogue's
        assert localised["fr"] != entry["description"], where
        assert all(0 < len(text) <= 100 for text in localised.values()), where

    for command in slash:
        assert not command.get("name_localizations"), command["name"]  # names stay English
        if command["name"] in PENDING:
            continue
        check(command, command["name"])
        for option in command.get("options") or []:
            check(option, f"{command['name']} {option['name']}")
            assert not option.get("name_localizations")
            for sub in option.get("options") or []:  # /config's subcommands' options
                check(sub, f"{command['name']} {option['name']} {sub['name']}")
    for menu in menus:
        names = menu.get("name_localizations") or {}
        assert set(names) == locales and names["en-US"] == menu["name"], menu["name"]
        assert names["de"] != menu["name"] and all(len(n) <= 32 for n in names.values())
    link = next(c for c in slash if c["name"] == "link")
    assert link["description_localizations"]["fr"] == UI.label("commands.link", "fr")
    assert link["description_localizations"]["zh-TW"] == UI.label("commands.link", "zh")


async def test_an_answer_in_german_has_german_buttons_with_the_same_custom_ids(
    fake: FakeDiscord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = fake.add_text_channel("off-watch")
    alice, vera = fake.user_id("alice"), fake.user_id("vera")
    speak(fake, monkeypatch, {vera: "fr"})
    async with running_bot(fake, tmp_path) as bot:
        general = fake.channel_id("general")
        asked = await fake.user_sends(general, alice, GERMAN_QUESTION)
        reply = await settled(fake, bot, general)
        assert "Widget.init()" in reply["content"]
        assert labels(reply["components"]) == ["Gelöst", "Nicht hilfreich", "Entfernen"]
        custom_ids = [c["custom_id"] for row in reply["components"] for c in row["components"]]
        assert custom_ids == [f"triage:{kind}:{asked['id']}" for kind in ("solved", "unhelpful", "dismiss")]
        pressed = await fake.click_button(general, alice, int(reply["id"]), custom_ids[0])
        assert (await pressed.wait_response())["data"]["flags"] & 64  # rebuilt from its custom id: it works
        # A French volunteer answers a German message: the picker speaks French, the posted answer German.
        guild = bot.get_guild(fake.guild_id)
        bot.tree.copy_global_to(guild=guild)
        await bot.tree.sync(guild=guild)
        german = await fake.user_sends(other, alice, "wo rufe ich Widget.init auf")
        menu = await fake.context_menu(other, vera, "Answer with FAQ", german["id"])
        picker = (await menu.wait_response())["data"]
        assert labels(picker["components"])[0] == UI.label("selects.answer", "fr")
        select = picker["components"][0]["components"][0]["custom_id"]
        await (await fake.select(other, vera, menu.original_message_id, select, ["0"])).wait_response()
        posted = await fake.wait_for_message(other, lambda m: m.get("message_reference") is not None)
        assert labels(posted["components"]) == ["Gelöst", "Nicht hilfreich", "Entfernen"]


async def test_an_english_member_keeps_the_english_forms(fake: FakeDiscord, sandbox, tmp_path: Path) -> None:
    async with support_bot(fake, tmp_path, sandbox.base_url):
        opened = await fake.slash_command(fake.channel_id("general"), fake.user_id("alice"), "link", {})
        modal = (await opened.wait_response())["data"]
        assert modal["title"] == "Link your account" and labels(modal["components"]) == [
            "Account e-mail",
            "you@company.com",
        ]


async def test_a_french_member_gets_french_forms_and_buttons(
    fake: FakeDiscord, sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = fake.user_id("alice")
    speak(fake, monkeypatch, {alice: "fr"})
    fr = {key: by_lang["fr"] for key, by_lang in UI.texts.items()}
    async with support_bot(fake, tmp_path, sandbox.base_url) as bot:
        general = fake.channel_id("general")
        # /link: the e-mail form, then the "Enter code" button and the code form, in French.
        opened = await fake.slash_command(general, alice, "link", {})
        modal = (await opened.wait_response())["data"]
        assert modal["title"] == fr["modals.link"] == "Associer votre compte"
        assert labels(modal["components"])[0] == fr["inputs.email"]
        submitted = await fake.submit_modal(general, alice, "link:email-form", {"link:email": "team@demo.test"})
        sent = await submitted.wait_followup()
        assert labels(sent["components"]) == [fr["buttons.enter_code"]]
        assert sent["components"][0]["components"][0]["custom_id"].startswith("link:code:")
        code_form = await fake.click_button(
            general, alice, int(submitted.original_message_id), sent["components"][0]["components"][0]["custom_id"]
        )
        code_modal = (await code_form.wait_response())["data"]
        assert code_modal["title"] == fr["modals.code"] and labels(code_modal["components"]) == [fr["inputs.code"]]
        code = sandbox.last_code("team@demo.test")
        await (await fake.submit_modal(general, alice, "link:code-form", {"link:code": code})).wait_followup()
        # /escalate during an incident: "My issue is unrelated", then the form and its text form, in French.
        await bot.deps.incidents.set(Incident("Update API degraded", "https://status.capgo.app/"))
        escalate = await fake.slash_command(general, alice, "escalate", {})
        held = (await escalate.wait_response())["data"]
        assert labels(held["components"]) == [fr["buttons.unrelated"]]
        unrelated = held["components"][0]["components"][0]["custom_id"]
        pressed = await fake.click_button(general, alice, int(escalate.original_message_id or 0), unrelated)
        form = await pressed.wait_followup()
        assert form["content"] == fr["prompts.form"]
        assert labels(form["components"])[0] == fr["selects.app"]
        assert {fr["selects.category"], fr["selects.severity"], fr["buttons.continue"]} <= set(
            labels(form["components"])
        )
        text_form = await fake.click_button(general, alice, int(pressed.original_message_id or 0), "esc:continue")
        modal = (await text_form.wait_response())["data"]
        assert modal["title"] == fr["modals.escalation"]
        assert labels(modal["components"])[:2] == [fr["inputs.summary"], fr["inputs.details"]]
