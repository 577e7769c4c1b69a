"""The decision: one pure function from everything known about a message to exactly one action.

A wrong auto-answer is worse than silence: every path that is not sure ends in `silent`, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from bot.core.analysis import Analysis, Intent
from bot.core.index import Match, SearchResult
from bot.core.vocabulary import POLICY_REPLY_ROUTES, Route


class Action(StrEnum):
    """What the bot does with a message."""

    ANSWER = "answer"
    REMIND = "remind"
    ROUTE = "route"
    ESCALATE = "escalate"
    SILENT = "silent"


class Role(StrEnum):
    """Who wrote the message, as far as triage cares."""

    MEMBER = "member"
    VOLUNTEER = "volunteer"
    STAFF = "staff"
    BOT = "bot"


@dataclass(frozen=True, slots=True)
class ThreadState:
    """What already happened in the conversation the message belongs to.

    There is no "a helper already replied" state: the bot triages a thread's first message as it arrives, before
    anyone can reply, and later messages are follow-ups (`is_follow_up`), which it never answers.
    """

    bot_answered: bool = False  # the bot already posted an answer here
    is_follow_up: bool = False  # a later message in someone else's thread, or a reply to another message
    last_reminder_at: datetime | None = None  # last reminder sent to this author
    channel_last_reply_at: datetime | None = None  # last bot reply in this channel (text channels only)


@dataclass(frozen=True, slots=True)
class Incident:
    """A platform incident known from the status page."""

    title: str
    url: str
    since: datetime | None = None


@dataclass(frozen=True, slots=True)
class DecisionSettings:
    """Thresholds and periods; values come from settings, never from this module."""

    answer_threshold: float = 0.70
    suggest_threshold: float = 0.35
    remind_min_missing: int = 2
    # A reminder is unprompted speech: below this P(bug report) the report is only answered when the docs are sure.
    remind_min_probability: float = 0.0
    reminder_period: timedelta = timedelta(hours=12)
    channel_cooldown: timedelta = timedelta(seconds=0)
    # Official support configured (a support API): an escalation request is offered the ticket form; otherwise the
    # reply routes it to the support e-mail.
    official_support: bool = True


@dataclass(frozen=True, slots=True)
class Decision:
    """Exactly one action, and why."""

    action: Action
    reason: str
    lang: str
    match: Match | None = None
    missing: tuple[str, ...] = ()
    route: str | None = None
    suggestion: Match | None = None  # a related page offered alongside a reminder
    incident: Incident | None = None
    rule: str = ""  # short machine-readable rule id, e.g. "answer.confident"
    alternatives: tuple[Match, ...] = field(default=())


def decide(
    analysis: Analysis,
    search: SearchResult,
    *,
    thread: ThreadState,
    author: Role,
    incident: Incident | None,
    settings: DecisionSettings,
    now: datetime,
    opted_out: bool = False,
) -> Decision:
    """Return the single action to take on a message."""
    lang = analysis.lang
    best = search.best
    alternatives = search.matches[1:]

    def silent(rule: str, reason: str) -> Decision:
        return Decision(
            Action.SILENT,
            reason,
            lang,
            match=best,
            rule=rule,
            route=analysis.route,
            missing=analysis.missing,
            alternatives=alternatives,
        )

    if author is Role.BOT:
        return silent("author.bot", "the author is a bot or webhook")
    if author in (Role.STAFF, Role.VOLUNTEER):
        return silent("author.helper", f"the author is {author.value}: the bot never answers helpers")
    if opted_out:
        return silent("author.opted_out", "the author opted out of bot replies")
    # The route model is trained on chit-chat too, so a route is decided before the intent: "I want my account
    # deleted" is a request for the team whatever the intent model thinks of its phrasing.
    route = analysis.route
    if route == Route.INCIDENT or (incident is not None and analysis.intent is Intent.BUG_REPORT and route is None):
        known = f"known incident '{incident.title}'" if incident else "no incident known: pointing to the status page"
        why = "the service looks down for several users" if route == Route.INCIDENT else "bug report during an incident"
        return Decision(
            Action.ROUTE,
            f"{why}; {known}",
            lang,
            route=Route.INCIDENT.value,
            incident=incident,
            rule="route.incident",
            missing=analysis.missing,
            match=best,
        )
    if route == Route.ESCALATE and not settings.official_support:
        return Decision(
            Action.ROUTE,
            "the author asks for official support; no support API here, so the reply gives the support e-mail",
            lang,
            route=route,
            rule="route.escalate",
            missing=analysis.missing,
            match=best,
        )
    if route == Route.ESCALATE:
        return Decision(
            Action.ESCALATE,
            "the author asks for official support",
            lang,
            route=route,
            rule="route.escalate",
            missing=analysis.missing,
            match=best,
        )
    if route in POLICY_REPLY_ROUTES:
        reasons: dict[str, str] = {
            Route.BILLING: "a billing request only the team can act on (billing help is open to every customer)",
            Route.ACCOUNT: "an account request only the team can act on (account help is open to every customer)",
            Route.OUT_OF_SCOPE: "asks for work official support does not cover (own app code or third-party software)",
        }
        return Decision(
            Action.ROUTE, reasons[route], lang, route=route, rule=f"route.{route}", missing=analysis.missing, match=best
        )

    if analysis.addressed:
        # "@kev you have to bump the version first": one member helping another; a reminder or an answer would
        # talk over them (replies to a message are follow-ups for the same reason).
        return silent("conversation.addressed", "said to another member (it opens with a mention)")
    if analysis.intent in (Intent.CHITCHAT, Intent.OTHER):
        return silent("intent", f"not a question or bug report ({analysis.intent.value})")
    if thread.bot_answered:
        return silent("thread.bot_answered", "the bot already answered in this thread")
    if thread.channel_last_reply_at is not None and now - thread.channel_last_reply_at < settings.channel_cooldown:
        return silent("channel.cooldown", "the bot replied in this channel moments ago (channel cooldown)")
    if thread.is_follow_up:
        return silent("thread.follow_up", "a follow-up inside a conversation, not a new question")

    confident = best is not None and best.score >= settings.answer_threshold
    wants_details = analysis.intent is Intent.BUG_REPORT and len(analysis.missing) >= settings.remind_min_missing
    bug_probability = analysis.intent_probabilities.get(Intent.BUG_REPORT.value, 1.0)
    if wants_details and bug_probability < settings.remind_min_probability:
        unsure = f"P(bug report) {bug_probability:.2f} < {settings.remind_min_probability:.2f}"
        if confident:
            reason = f"unsure it is a bug report ({unsure}); confident match"
            return _answer(analysis, search, reason, rule="answer.unsure_report")
        return silent("remind.unsure", f"details missing, but unsure it is a bug report ({unsure})")
    if wants_details:
        if analysis.asks_howto and confident:
            # "uploads keep timing out, is there a more reliable upload option?": the question has a documented
            # answer; asking for a stack trace first would be unhelpful.
            return _answer(analysis, search, "a how-to question inside a problem report, with a confident answer")
        recently = thread.last_reminder_at is not None and now - thread.last_reminder_at < settings.reminder_period
        if recently:
            if confident:
                return _answer(analysis, search, "bug report; reminded recently, so answering from the docs")
            return silent("remind.cooldown", "details missing but this author was reminded recently")
        suggestion = best if best is not None and best.score >= settings.answer_threshold else None
        return Decision(
            Action.REMIND,
            f"bug report missing {len(analysis.missing)} of 5 reproduction details: {', '.join(analysis.missing)}",
            lang,
            match=best,
            missing=analysis.missing,
            suggestion=suggestion,
            rule="remind.missing",
            alternatives=alternatives,
        )
    if best is None:
        return silent("match.none", "no FAQ entry or docs page matched")
    if confident:
        return _answer(analysis, search, f"confident match ({best.score:.2f} >= {settings.answer_threshold:.2f})")
    return silent(
        "match.unsure",
        f"best match '{best.title}' scored {best.score:.2f}, "
        f"below the answer threshold {settings.answer_threshold:.2f}",
    )


def _answer(analysis: Analysis, search: SearchResult, reason: str, rule: str = "answer.confident") -> Decision:
    best = search.best
    assert best is not None
    return Decision(
        Action.ANSWER,
        reason,
        analysis.lang,
        match=best,
        missing=analysis.missing,
        rule=rule,
        alternatives=search.matches[1:],
    )
