"""Every shipped message file (bot/resources/messages/<lang>.toml) loads and matches English key for key."""

from importlib.resources import files
from pathlib import Path
from string import Formatter

import pytest

from bot.core.resources import MESSAGES_PACKAGE, ResourceError, load_messages
from bot.core.vocabulary import LANGS

MESSAGES = load_messages()


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name is not None}


def test_one_file_per_bot_language_reachable_through_importlib_resources() -> None:
    names = {p.name for p in files(MESSAGES_PACKAGE).iterdir() if p.name.endswith(".toml")}
    assert names == {f"{lang}.toml" for lang in LANGS}
    assert "[messages]" in files(MESSAGES_PACKAGE).joinpath("en.toml").read_text(encoding="utf-8")


def test_the_replies_and_checklist_items_are_there() -> None:
    assert {"answer.intro", "answer.link", "remind.intro", "escalate.offer"} <= set(MESSAGES.texts)
    assert set(MESSAGES.details) == {"error", "code", "versions", "platform", "steps"}


@pytest.mark.parametrize("lang", LANGS)
def test_every_key_in_every_language_with_the_english_placeholders(lang: str) -> None:
    for table in (MESSAGES.texts, MESSAGES.details):
        for key, texts in table.items():
            assert texts.get(lang, "").strip(), f"{lang}.toml lacks {key!r}"
            assert placeholders(texts[lang]) == placeholders(texts["en"]), f"{lang}.toml {key!r}: placeholders"


GOOD = '[messages]\n"answer.link" = "Docs: {url}"\n\n[details]\nerror = "The error"\n'


@pytest.mark.parametrize(
    ("mutation", "message"),
    [
        (lambda s: s.replace('"Docs: {url}"', '"Docs: {url}'), "invalid TOML"),
        (lambda s: s.replace("[details]", "[detail]"), "unknown table"),
        (lambda s: s.replace('[details]\nerror = "The error"\n', ""), "missing \\[details\\]"),
        (lambda s: s.replace('"The error"', '" "'), "non-empty string"),
        (lambda s: s.replace('"The error"', "[1]"), "non-empty string"),
    ],
)
def test_malformed_file_is_reported_by_name(mutation, message: str, tmp_path: Path) -> None:
    (tmp_path / "en.toml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "fr.toml").write_text(GOOD, encoding="utf-8")
    assert load_messages(tmp_path).texts["answer.link"] == {"en": "Docs: {url}", "fr": "Docs: {url}"}
    (tmp_path / "fr.toml").write_text(mutation(GOOD), encoding="utf-8")
    with pytest.raises(ResourceError, match=f"^fr\\.toml: .*{message}"):
        load_messages(tmp_path)


def test_empty_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ResourceError, match="no message files"):
        load_messages(tmp_path)
