from datetime import UTC, datetime

import pytest

from bot.core.decision import Action, Decision, Incident
from bot.core.faq import LEFTOVER_MARKER
from bot.core.index import Match
from bot.core.render import RenderContext, neutralise_mentions, render_decision, truncate
from bot.core.vocabulary import DETAILS, LANGS, POLICY_REPLY_ROUTES, Route
from tests.conftest import PLACEHOLDERS

CTX = RenderContext(PLACEHOLDERS, "https://example.com/", ("fr", "de"))
MATCH = Match("https://example.com/docs/guide/getting-started/", "Getting started", 0.9, "docs")


@pytest.mark.parametrize("lang", LANGS)
def test_every_reply_renders_in_every_language_without_markers(lang: str) -> None:
    decisions = [
        Decision(Action.ANSWER, "r", lang, match=MATCH),
        Decision(Action.REMIND, "r", lang, missing=DETAILS, suggestion=MATCH),
        Decision(Action.ESCALATE, "r", lang),
        Decision(
            Action.ROUTE, "r", lang, route="incident", incident=Incident("API down", "https://s", datetime.now(UTC))
        ),
        *(Decision(Action.ROUTE, "r", lang, route=r) for r in (*POLICY_REPLY_ROUTES, Route.INCIDENT)),
    ]
    for decision in decisions:
        text = render_decision(decision, CTX)
        assert text and len(text) <= 2000
        assert not LEFTOVER_MARKER.search(text), text
        assert "capgo" not in text.lower()


def test_answer_links_to_the_localised_docs() -> None:
    fr = render_decision(Decision(Action.ANSWER, "r", "fr", match=MATCH), CTX)
    assert "https://example.com/fr/docs/guide/getting-started/" in fr
    pt = render_decision(Decision(Action.ANSWER, "r", "pt", match=MATCH), CTX)
    assert "https://example.com/docs/guide/getting-started/" in pt  # no pt docs: English page


def test_reminder_lists_only_missing_details() -> None:
    text = render_decision(Decision(Action.REMIND, "r", "en", missing=("versions",)), CTX)
    assert text.count("- [ ]") == 1
    assert "widget-plugin" in text  # {plugin} filled in


def test_silent_renders_nothing() -> None:
    assert render_decision(Decision(Action.SILENT, "r", "en"), CTX) == ""


def test_mentions_are_neutralised() -> None:
    text = neutralise_mentions("hi @everyone and @here, <@123> <@&456> <#789>")
    assert "@everyone" not in text and "@here" not in text
    assert "<@123>" not in text and "<@&456>" not in text and "<#789>" not in text


def test_truncate_respects_the_limit() -> None:
    assert len(truncate("word " * 1000)) <= 2000
    assert truncate("short") == "short"


@pytest.mark.parametrize("lang", LANGS)
def test_the_escalation_route_without_official_support_names_the_email_and_no_button(lang: str) -> None:
    text = render_decision(Decision(Action.ROUTE, "r", lang, route="escalate"), CTX)
    assert PLACEHOLDERS["support_email"] in text
    assert "Ask staff" not in text and "/escalate" not in text
