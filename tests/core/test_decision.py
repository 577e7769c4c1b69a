from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.analysis import DETAILS, Analysis, Intent
from bot.core.decision import Action, DecisionSettings, Incident, Role, ThreadState, decide
from bot.core.index import Match, SearchResult

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
SETTINGS = DecisionSettings(answer_threshold=0.65, remind_min_missing=2, reminder_period=timedelta(hours=12))


def analysis(
    intent: Intent = Intent.QUESTION, present: tuple[str, ...] = DETAILS, route: str | None = None, lang: str = "en"
) -> Analysis:
    missing = tuple(d for d in DETAILS if d not in present)
    return Analysis(lang, 0.99, intent, frozenset(present), missing, route, ())


def search(score: float | None) -> SearchResult:
    if score is None:
        return SearchResult(())
    return SearchResult(
        (Match("https://x/docs/a/", "A", score, "faq", "a"), Match("https://x/docs/b/", "B", score / 2, "docs"))
    )


def run(a: Analysis, s: SearchResult, **kw):
    defaults = {"thread": ThreadState(), "author": Role.MEMBER, "incident": None, "settings": SETTINGS, "now": NOW}
    return decide(a, s, **(defaults | kw))


@pytest.mark.parametrize(
    ("kwargs", "a", "s", "action", "rule"),
    [
        ({}, analysis(), search(0.9), Action.ANSWER, "answer.confident"),
        ({}, analysis(), search(0.5), Action.SILENT, "match.unsure"),
        ({}, analysis(), search(None), Action.SILENT, "match.none"),
        ({"author": Role.BOT}, analysis(), search(0.9), Action.SILENT, "author.bot"),
        ({"author": Role.VOLUNTEER}, analysis(), search(0.9), Action.SILENT, "author.helper"),
        ({"author": Role.STAFF}, analysis(), search(0.9), Action.SILENT, "author.helper"),
        ({"opted_out": True}, analysis(), search(0.9), Action.SILENT, "author.opted_out"),
        ({"thread": ThreadState(bot_answered=True)}, analysis(), search(0.9), Action.SILENT, "thread.bot_answered"),
        ({"thread": ThreadState(is_follow_up=True)}, analysis(), search(0.9), Action.SILENT, "thread.follow_up"),
        ({}, analysis(Intent.CHITCHAT), search(0.99), Action.SILENT, "intent"),
        ({}, analysis(Intent.BUG_REPORT, present=()), search(0.2), Action.REMIND, "remind.missing"),
        (
            {},
            analysis(Intent.BUG_REPORT, present=("error", "code", "versions", "platform")),
            search(0.9),
            Action.ANSWER,
            "answer.confident",
        ),
        ({}, analysis(route="billing"), search(0.9), Action.ROUTE, "route.billing"),
        ({}, analysis(route="account"), search(0.9), Action.ROUTE, "route.account"),
        ({}, analysis(route="out_of_scope"), search(0.9), Action.ROUTE, "route.out_of_scope"),
        ({}, analysis(route="incident"), search(0.9), Action.ROUTE, "route.incident"),
        ({}, analysis(route="escalate"), search(0.9), Action.ESCALATE, "route.escalate"),
        (
            {"incident": Incident("API degraded", "https://status")},
            analysis(Intent.BUG_REPORT, present=()),
            search(0.2),
            Action.ROUTE,
            "route.incident",
        ),
    ],
)
def test_decision_table(kwargs, a, s, action: Action, rule: str) -> None:
    decision = run(a, s, **kwargs)
    assert decision.action is action
    assert decision.rule == rule
    assert decision.reason  # every decision, silence included, says why


def test_reminder_asks_only_for_missing_details_and_respects_the_period() -> None:
    a = analysis(Intent.BUG_REPORT, present=("platform", "code"))
    decision = run(a, search(0.2))
    assert decision.action is Action.REMIND and decision.missing == ("error", "versions", "steps")
    recent = ThreadState(last_reminder_at=NOW - timedelta(hours=1))
    assert run(a, search(0.2), thread=recent).rule == "remind.cooldown"
    old = ThreadState(last_reminder_at=NOW - timedelta(hours=13))
    assert run(a, search(0.2), thread=old).action is Action.REMIND


def test_how_to_question_inside_a_report_is_answered_when_confident() -> None:
    a = Analysis("en", 0.99, Intent.BUG_REPORT, frozenset(), DETAILS, None, (), asks_howto=True)
    assert run(a, search(0.9)).rule == "answer.confident"
    assert run(a, search(0.3)).action is Action.REMIND  # unsure: ask for details instead


def test_channel_cooldown() -> None:
    cooled = DecisionSettings(answer_threshold=0.65, channel_cooldown=timedelta(seconds=30))
    recent = ThreadState(channel_last_reply_at=NOW - timedelta(seconds=5))
    assert run(analysis(), search(0.9), thread=recent, settings=cooled).rule == "channel.cooldown"
    later = ThreadState(channel_last_reply_at=NOW - timedelta(seconds=31))
    assert run(analysis(), search(0.9), thread=later, settings=cooled).action is Action.ANSWER


def test_threshold_is_a_setting() -> None:
    strict = DecisionSettings(answer_threshold=0.95)
    assert run(analysis(), search(0.9), settings=strict).action is Action.SILENT
    assert run(analysis(), search(0.9)).action is Action.ANSWER


def test_reminder_offers_a_confident_page_alongside() -> None:
    decision = run(analysis(Intent.BUG_REPORT, present=()), search(0.9))
    assert decision.action is Action.REMIND and decision.suggestion is not None
    assert run(analysis(Intent.BUG_REPORT, present=()), search(0.3)).suggestion is None


def test_without_official_support_an_escalation_request_is_routed_to_the_support_email() -> None:
    settings = DecisionSettings(official_support=False)
    d = run(analysis(route="escalate"), search(0.9), settings=settings)
    assert (d.action, d.route, d.rule) == (Action.ROUTE, "escalate", "route.escalate")
    assert run(analysis(route="escalate"), search(0.9)).action is Action.ESCALATE


def test_a_message_said_to_another_member_gets_no_reminder_or_answer_but_its_route_still_holds() -> None:
    report = replace(analysis(Intent.BUG_REPORT, present=()), addressed=True)
    decision = run(report, search(0.9))
    assert (decision.action, decision.rule) == (Action.SILENT, "conversation.addressed")
    assert run(replace(report, addressed=False), search(0.9)).rule == "remind.missing"
    billing = replace(analysis(route="billing"), addressed=True)  # "@staff I was charged twice": still the team's
    assert run(billing, search(0.9)).rule == "route.billing"


@pytest.mark.parametrize(
    ("probabilities", "score", "action", "rule"),
    [
        ({"bug_report": 0.49, "chitchat": 0.44, "question": 0.07}, 0.2, Action.SILENT, "remind.unsure"),
        ({"bug_report": 0.49, "chitchat": 0.44, "question": 0.07}, 0.9, Action.ANSWER, "answer.unsure_report"),
        ({"bug_report": 0.55, "chitchat": 0.40, "question": 0.05}, 0.2, Action.REMIND, "remind.missing"),
        ({}, 0.2, Action.REMIND, "remind.missing"),  # no model probabilities: the intent alone decides
    ],
)
def test_reminder_needs_the_intent_model_to_be_fairly_sure(
    probabilities: dict[str, float], score: float, action: Action, rule: str
) -> None:
    a = replace(analysis(Intent.BUG_REPORT, present=()), intent_probabilities=probabilities)
    decision = run(a, search(score), settings=replace(SETTINGS, remind_min_probability=0.55))
    assert (decision.action, decision.rule) == (action, rule)
    if probabilities and probabilities["bug_report"] < 0.55:
        assert "unsure it is a bug report (P(bug report) 0.49 < 0.55)" in decision.reason
    # The floor is a setting: at 0 (the DecisionSettings default) every such report is reminded.
    assert run(a, search(score)).action is Action.REMIND
