"""Every shipped UI text file (bot/resources/ui/<lang>.toml) loads, has every key of English in every language,
fits Discord's limits, and the loader reports a malformed file by name."""

import re
from importlib.resources import files
from pathlib import Path

import pytest

from bot.core.resources import (
    UI_LIMITS,
    UI_PACKAGE,
    ResourceError,
    load_escalation_texts,
    load_messages,
    load_ui_texts,
)
from bot.core.vocabulary import LANGS

UI = load_ui_texts()
# Discord's own limits (https://discord.com/developers/docs): the loader's table must not be looser.
DISCORD_LIMITS = {"commands": 100, "menus": 32, "buttons": 80, "selects": 150, "modals": 45, "inputs": 45}


def table_of(key: str) -> str:
    return key.split(".", 1)[0]


def test_one_file_per_bot_language_reachable_through_importlib_resources() -> None:
    names = {p.name for p in files(UI_PACKAGE).iterdir() if p.name.endswith(".toml")}
    assert names == {f"{lang}.toml" for lang in LANGS}


def test_every_table_is_used_and_the_limits_are_discords() -> None:
    assert {table_of(key) for key in UI.texts} == set(UI_LIMITS)
    for table, limit in DISCORD_LIMITS.items():
        assert UI_LIMITS[table] == limit, table
    assert UI_LIMITS["prompts"] <= 2000  # a message


@pytest.mark.parametrize("lang", LANGS)
def test_every_key_in_every_language_within_discords_limits(lang: str) -> None:
    for key, by_lang in UI.texts.items():
        text = by_lang.get(lang, "")
        assert text.strip() == text and text, f"{lang}.toml lacks {key!r} (or it is blank or padded)"
        assert len(text) <= UI_LIMITS[table_of(key)], (lang, key, len(text))
        assert "{" not in text and "}" not in text, (lang, key)  # UI texts take no placeholders
    assert all(set(by_lang) == set(LANGS) for by_lang in UI.texts.values()), "a key has an unexpected language"


@pytest.mark.parametrize("lang", LANGS)
def test_menu_names_and_button_labels_are_distinct_within_a_language(lang: str) -> None:
    for table in ("menus", "buttons"):
        labels = [by_lang[lang] for key, by_lang in UI.texts.items() if table_of(key) == table]
        assert len(labels) == len(set(labels)), (lang, table, labels)


@pytest.mark.parametrize("lang", LANGS)
def test_the_form_prompt_names_the_continue_button_by_its_label(lang: str) -> None:
    assert f"**{UI.label('buttons.continue', lang)}**" in UI.label("prompts.form", lang)


@pytest.mark.parametrize("lang", [lang for lang in LANGS if lang != "en"])
def test_the_other_languages_are_translated(lang: str) -> None:
    same = [key for key, by_lang in UI.texts.items() if by_lang[lang] == by_lang["en"]]
    # Words that are the same in several languages ("App", "Code", "Tag"...) are fine; whole sentences are not.
    assert all(len(UI.texts[key]["en"]) <= 12 for key in same), (lang, same)


def test_label_falls_back_to_english_and_an_unknown_key_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "en.toml").write_text('[buttons]\nsolved = "Solved"\ndismiss = "Dismiss"\n', encoding="utf-8")
    (tmp_path / "fr.toml").write_text('[buttons]\nsolved = "Résolu"\n', encoding="utf-8")
    ui = load_ui_texts(tmp_path)
    assert ui.label("buttons.solved", "fr") == "Résolu"
    assert ui.label("buttons.dismiss", "fr") == "Dismiss"
    assert ui.label("buttons.solved", "ja") == "Solved"
    with pytest.raises(KeyError):
        ui.label("buttons.nope", "en")


GOOD = """[buttons]
solved = "Solved"

[modals]
link = "Link your account"
"""


@pytest.mark.parametrize(
    ("mutation", "message"),
    [
        (lambda s: s.replace('"Solved"', '"Solved'), "invalid TOML"),
        (lambda s: s.replace("[modals]", "[dialogs]"), "unknown table"),
        (lambda s: s.replace('"Solved"', '" "'), "non-empty string"),
        (lambda s: s.replace('"Solved"', "[1]"), "non-empty string"),
        (lambda s: s.replace('"Link your account"', '"' + "x" * 46 + '"'), "46 characters; Discord allows 45"),
        (lambda s: s.replace('"Solved"', '"' + "x" * 81 + '"'), "81 characters; Discord allows 80"),
    ],
)
def test_malformed_file_is_reported_by_name(mutation, message: str, tmp_path: Path) -> None:
    (tmp_path / "en.toml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "fr.toml").write_text(GOOD, encoding="utf-8")
    assert load_ui_texts(tmp_path).texts["modals.link"] == {"en": "Link your account", "fr": "Link your account"}
    (tmp_path / "fr.toml").write_text(mutation(GOOD), encoding="utf-8")
    with pytest.raises(ResourceError, match=f"^fr\\.toml: .*{message}"):
        load_ui_texts(tmp_path)


def test_empty_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ResourceError, match="no UI text files"):
        load_ui_texts(tmp_path)


# --- the reply texts that name a button ----------------------------------------------------------------------------

BOLD = re.compile(r"\*\*(.+?)\*\*")


def _texts_naming_buttons() -> list[tuple[str, str, dict[str, str]]]:
    """(table, key, text by language) of every reply text whose English names a button label in bold."""
    english_buttons = {by_lang["en"] for key, by_lang in UI.texts.items() if table_of(key) == "buttons"}
    found = []
    messages, escalation = load_messages(), load_escalation_texts()
    for table, by_key in (("messages", messages.texts), ("escalation", escalation.messages)):
        for key, by_lang in by_key.items():
            if english_buttons & set(BOLD.findall(by_lang["en"])):
                found.append((table, key, dict(by_lang)))
    return found


def test_reply_texts_name_buttons_in_bold() -> None:
    named = {(table, key) for table, key, _ in _texts_naming_buttons()}
    assert ("messages", "answer.footer") in named and ("escalation", "link.code_sent") in named


@pytest.mark.parametrize("lang", [lang for lang in LANGS if lang != "en"])
def test_reply_texts_name_the_buttons_by_their_label_in_the_same_language(lang: str) -> None:
    key_of = {by_lang["en"]: key for key, by_lang in UI.texts.items() if table_of(key) == "buttons"}
    wrong = []
    for table, key, by_lang in _texts_naming_buttons():
        for english in set(BOLD.findall(by_lang["en"])) & set(key_of):
            if f"**{UI.label(key_of[english], lang)}**" not in by_lang[lang]:
                wrong.append((table, key, english))
    assert wrong == []
