"""Turn a Decision into the text a user sees: localised, brand placeholders filled, within Discord's limits."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache

from bot.core.decision import Action, Decision
from bot.core.docs import localise_url
from bot.core.faq import FaqEntry, render
from bot.core.resources import EscalationTexts, Messages, load_escalation_texts, load_messages

DISCORD_MESSAGE_LIMIT = 2000
_MASS_MENTION = re.compile(r"@(everyone|here)")
_MENTION = re.compile(r"<(@[!&]?|#)(\d+)>")


@cache
def default_messages() -> Messages:
    """Return the packaged reply texts (bot/resources/messages/), loaded on first call."""
    return load_messages()


@cache
def default_escalation_texts() -> EscalationTexts:
    """Return the packaged escalation texts (bot/resources/escalation/), loaded on first call."""
    return load_escalation_texts()


@dataclass(frozen=True, slots=True)
class RenderContext:
    """Brand values, docs-site facts and the localised texts needed to render replies."""

    placeholders: Mapping[str, str]
    docs_base_url: str
    docs_locales: tuple[str, ...]
    messages: Messages = field(default_factory=default_messages)


def message(
    key: str, lang: str, ctx: RenderContext, *, table: Mapping[str, Mapping[str, str]] | None = None, **values: str
) -> str:
    """Return the localised text `key` of `table` (default: the context's messages) in `lang` (English fallback)
    with placeholders filled."""
    texts = (ctx.messages.texts if table is None else table)[key]
    template = texts.get(lang) or texts["en"]
    # Render with sentinels first so the leftover-marker check covers our template, not user-supplied values
    # (a docs title may legitimately contain braces); then put the values in.
    sentinels = {name: f"\x00{i}\x00" for i, name in enumerate(values)}
    text = render(template, {**ctx.placeholders, **sentinels})
    for name, sentinel in sentinels.items():
        text = text.replace(sentinel, values[name])
    return text


def neutralise_mentions(text: str) -> str:
    """Return `text` with @everyone/@here and user/role/channel mentions made inert (zero-width joiner)."""
    text = _MASS_MENTION.sub("@\u200b\\1", text)
    return _MENTION.sub(lambda m: f"<{m.group(1)}\u200b{m.group(2)}>", text)


def truncate(text: str, limit: int = DISCORD_MESSAGE_LIMIT) -> str:
    """Return `text` cut to `limit` characters at a line or word boundary, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    boundary = max(cut.rfind("\n"), cut.rfind(" "))
    if boundary > limit * 0.6:
        cut = cut[:boundary]
    return cut.rstrip() + "…"


def link_for(url: str, lang: str, ctx: RenderContext) -> str:
    """Return the docs link in the user's language when the docs site serves that locale."""
    return localise_url(url, ctx.docs_base_url, lang, ctx.docs_locales)


def render_decision(decision: Decision, ctx: RenderContext, entry: FaqEntry | None = None) -> str:
    """Return the reply text for a decision ('' for silent)."""
    lang = decision.lang
    if decision.action is Action.SILENT:
        return ""
    if decision.action is Action.ANSWER and decision.match is not None:
        match = decision.match
        lines = []
        if entry is not None:
            lines += [message("answer.intro", lang, ctx), render(entry.answer(lang), ctx.placeholders)]
        else:
            lines.append(message("answer.docs_intro", lang, ctx, title=match.title))
        lines.append(message("answer.link", lang, ctx, url=link_for(match.url, lang, ctx)))
        lines.append(message("answer.footer", lang, ctx))
        return truncate("\n".join(lines))
    if decision.action is Action.REMIND:
        lines = [message("remind.intro", lang, ctx)]
        for detail in decision.missing:
            labels = ctx.messages.details[detail]
            label = labels.get(lang) or labels["en"]
            lines.append(f"- [ ] {render(label, ctx.placeholders)}")
        if decision.suggestion is not None:
            suggestion = decision.suggestion
            url = link_for(suggestion.url, lang, ctx)
            lines.append(message("remind.also_see", lang, ctx, title=suggestion.title, url=url))
        lines.append(message("remind.footer", lang, ctx))
        return truncate("\n".join(lines))
    if decision.action is Action.ROUTE:
        if decision.route == "incident" and decision.incident is not None:
            return truncate(message("route.incident_known", lang, ctx, incident=decision.incident.title))
        return truncate(message(f"route.{decision.route}", lang, ctx))
    if decision.action is Action.ESCALATE:
        return truncate(message("escalate.offer", lang, ctx))
    raise ValueError(f"cannot render action {decision.action}")
