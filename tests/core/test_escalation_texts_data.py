"""Every shipped escalation text file (bot/resources/escalation/<lang>.toml) loads, matches English key for key
and placeholder for placeholder, and covers what the escalation code asks for."""

from importlib.resources import files
from pathlib import Path
from string import Formatter

import pytest

from bot.core.eligibility import FAILURES
from bot.core.faq import LEFTOVER_MARKER, render
from bot.core.resources import ESCALATION_EXTRA_PLACEHOLDERS, ESCALATION_PACKAGE, ResourceError, load_escalation_texts
from bot.core.vocabulary import LANGS, REQUEST_CATEGORIES
from tests.conftest import PLACEHOLDERS

TEXTS = load_escalation_texts()
BRAND_PLACEHOLDERS = {
    "brand",
    "support_email",
    "support_policy_url",
    "sla_url",
    "premium_support_url",
    "console_url",
    "status_url",
}
REQUIRED_KEYS = {
    *(f"refuse.{f}" for f in FAILURES),
    "billing.where",
    "ticket.created",
    "ticket.no_sla",
    "ticket.queued",
    "ticket.public",
    "ticket.sent_later",
    "ticket.solved",
    "incident.hold",
    "link.code_sent",
    "link.done",
    "link.invalid_code",
    "link.too_many",
    "link.unavailable",
    "unlink.done",
    "whoami.linked",
    "whoami.not_linked",
    "author.asked",
    "author.asked_volunteer",
}
TABLES = {"messages": TEXTS.messages, "detail_categories": TEXTS.detail_categories, "severity": TEXTS.severity}


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name is not None}


def test_one_file_per_bot_language_reachable_through_importlib_resources() -> None:
    names = {p.name for p in files(ESCALATION_PACKAGE).iterdir() if p.name.endswith(".toml")}
    assert names == {f"{lang}.toml" for lang in LANGS}
    assert "[severity]" in files(ESCALATION_PACKAGE).joinpath("en.toml").read_text(encoding="utf-8")


def test_the_keys_the_escalation_code_uses_are_there() -> None:
    assert set(TEXTS.messages) >= REQUIRED_KEYS
    assert set(ESCALATION_EXTRA_PLACEHOLDERS) <= set(TEXTS.messages)
    assert tuple(TEXTS.detail_categories) == REQUEST_CATEGORIES  # the form lists them in this order
    assert tuple(TEXTS.severity) == (1, 2, 3, 4)


@pytest.mark.parametrize("lang", LANGS)
def test_every_key_in_every_language_with_the_english_placeholders(lang: str) -> None:
    for name, table in TABLES.items():
        for key, texts in table.items():
            assert texts.get(lang, "").strip(), f"{lang}.toml lacks [{name}] {key!r}"
            assert placeholders(texts[lang]) == placeholders(texts["en"]), f"{lang}.toml [{name}] {key!r}"
    for name, table in TABLES.items():
        assert all(set(texts) == set(LANGS) for texts in table.values()), f"[{name}] has an unexpected language"


@pytest.mark.parametrize("lang", LANGS)
def test_messages_use_the_brand_and_the_declared_placeholders_and_render(lang: str) -> None:
    extra = {"ticket_id": "#1234", "sla": "2 business hours", "where": "by e-mail", "details": "- Plan: team"}
    for key, texts in TEXTS.messages.items():
        used = placeholders(texts[lang])
        declared = ESCALATION_EXTRA_PLACEHOLDERS.get(key, frozenset())
        assert used <= BRAND_PLACEHOLDERS | declared, (key, lang, used - BRAND_PLACEHOLDERS - declared)
        assert used >= declared, (key, lang, declared - used)
        text = render(texts[lang], {**PLACEHOLDERS, **extra})
        assert not LEFTOVER_MARKER.search(text), (key, lang)
        assert len(text) <= 2000
    for table in (TEXTS.detail_categories, TEXTS.severity):
        assert all(not placeholders(texts[lang]) for texts in table.values())


def test_link_code_sent_never_reveals_whether_the_address_exists() -> None:
    assert TEXTS.messages["link.code_sent"]["en"].startswith("If ")
    assert "10" in TEXTS.messages["link.code_sent"]["zh"]


GOOD = """[messages]
"ticket.solved" = "Solved {ticket_id}"

[detail_categories]
billing = "Billing"

[severity]
"1" = "Urgent"
"""


@pytest.mark.parametrize(
    ("mutation", "message"),
    [
        (lambda s: s.replace('"Solved {ticket_id}"', '"Solved {ticket_id}'), "invalid TOML"),
        (lambda s: s.replace("[severity]", "[severities]"), "unknown table"),
        (lambda s: s.replace('[severity]\n"1" = "Urgent"\n', ""), "missing \\[severity\\]"),
        (lambda s: s.replace('"Billing"', '" "'), "non-empty string"),
        (lambda s: s.replace('"Billing"', "[1]"), "non-empty string"),
        (lambda s: s.replace('"1" = ', '"urgent" = '), "level number"),
    ],
)
def test_malformed_file_is_reported_by_name(mutation, message: str, tmp_path: Path) -> None:
    (tmp_path / "en.toml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "fr.toml").write_text(GOOD, encoding="utf-8")
    texts = load_escalation_texts(tmp_path)
    assert texts.messages["ticket.solved"] == {"en": "Solved {ticket_id}", "fr": "Solved {ticket_id}"}
    assert texts.severity == {1: {"en": "Urgent", "fr": "Urgent"}}
    (tmp_path / "fr.toml").write_text(mutation(GOOD), encoding="utf-8")
    with pytest.raises(ResourceError, match=f"^fr\\.toml: .*{message}"):
        load_escalation_texts(tmp_path)


def test_keys_follow_the_order_of_the_english_file(tmp_path: Path) -> None:
    (tmp_path / "en.toml").write_text(GOOD.replace('"1" = "Urgent"', '"2" = "High"\n"1" = "Urgent"'), "utf-8")
    (tmp_path / "de.toml").write_text(GOOD.replace('"1" = "Urgent"', '"1" = "Dringend"\n"2" = "Hoch"'), "utf-8")
    assert tuple(load_escalation_texts(tmp_path).severity) == (2, 1)


def test_empty_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ResourceError, match="no escalation text files"):
        load_escalation_texts(tmp_path)
