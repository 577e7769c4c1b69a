"""Keep every promise: a text that names a button is sent with that button, on every path that sends it.

The scan reads every localised text (bot/resources/messages/*.toml and bot/resources/escalation/*.toml, through
bot/core/resources.py) for the labels of the bot's buttons, in the text's own language (labels are localised from
bot/resources/ui/<lang>.toml), so every language names the same buttons as English. Each text that names one is listed
in PROMISES with the buttons it promises, and the end-to-end tests below (the real bot against the fake Discord,
and the support API sandbox) check that every code path sending it attaches them.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from bot.core.decision import Incident
from bot.core.render import message
from bot.core.resources import load_escalation_texts, load_messages, load_ui_texts
from bot.core.vocabulary import LANGS
from bot.exts.escalation import AskStaffButton, EnterCodeButton, UnrelatedButton, _ContinueButton, created_text
from bot.exts.feedback import FeedbackButton
from bot.exts.watcher import UnrelatedToIncident
from sandbox import run_sandbox
from tests.exts.test_e2e import QUESTION, running_bot, settled
from tests.exts.test_escalation_e2e import PROBLEM, link, support_bot
from tests.fake_discord import FakeDiscord, point_discord_py_at

BUTTONS = ("Solved", "Not helpful", "Dismiss", "Ask staff", "My issue is unrelated", "Enter code", "Continue")
# The word "button" in each language: a text that speaks of a button must say which one.
BUTTON_WORDS = {
    "en": "button",
    "fr": "bouton",
    "es": "botón",
    "it": "pulsante",
    "de": "button",
    "pt": "botão",
    "id": "tombol",
    "zh": "按钮",
}
# (table, key) -> the buttons its text names. A new text naming a button must be added here, with a test below.
PROMISES: dict[tuple[str, str], frozenset[str]] = {
    ("messages", "answer.footer"): frozenset({"Solved", "Not helpful"}),
    ("messages", "route.incident_known"): frozenset({"My issue is unrelated"}),
    ("messages", "escalate.offer"): frozenset({"Ask staff"}),
    ("escalation", "incident.hold"): frozenset({"My issue is unrelated"}),
    ("escalation", "link.code_sent"): frozenset({"Enter code"}),
    ("escalation", "author.asked"): frozenset({"Ask staff"}),
}
MESSAGES = load_messages()
ESCALATION = load_escalation_texts()
UNRELATED_QUESTION = "is the api down for everyone? we all get 503"  # a question, routed to the incident notice
UNRELATED_REPORT = "the update downloads but never gets installed"  # a bug report during the incident
WANTS_A_TICKET = "I need official support, can I open a ticket with staff?"


def all_texts() -> Iterator[tuple[str, str, str, str]]:
    """(table, key, lang, text) of every localised text."""
    tables: dict[str, Any] = {
        "messages": MESSAGES.texts,
        "details": MESSAGES.details,
        "escalation": ESCALATION.messages,
        "detail_categories": ESCALATION.detail_categories,
        "severity": ESCALATION.severity,
    }
    for table, by_key in tables.items():
        for key, by_lang in by_key.items():
            for lang, text in by_lang.items():
                yield table, str(key), lang, text


UI = load_ui_texts()
# English label -> catalogue key of each button (the texts name a button by its label in their own language).
BUTTON_KEYS = {by_lang["en"]: key for key, by_lang in UI.texts.items() if key.startswith("buttons.")}


def named_buttons(text: str, lang: str = "en") -> frozenset[str]:
    """The buttons a text names (by their English label): each button's label in `lang`, in bold as the texts write
    it (a plain word may equal a label: Indonesian "Selesai" is both "done" and the Solved button)."""
    return frozenset(english for english in BUTTONS if f"**{UI.label(BUTTON_KEYS[english], lang)}**" in text)


def labels(msg: dict) -> list[str]:
    """The labels of a message's buttons."""
    return [c.get("label", "") for row in msg.get("components") or [] for c in row.get("components", [])]


# --- the texts -----------------------------------------------------------------------------------------------


def test_the_labels_are_those_of_the_bots_buttons() -> None:
    made = [
        *(FeedbackButton(kind, 1).item.label for kind in ("solved", "unhelpful", "dismiss")),
        AskStaffButton(1).item.label,
        UnrelatedToIncident(1).item.label,
        UnrelatedButton(None, None, None).label,  # type: ignore[arg-type]
        EnterCodeButton("v1").item.label,
        _ContinueButton(None).label,  # type: ignore[arg-type]
    ]
    assert set(made) == set(BUTTONS)


def test_every_text_naming_a_button_is_a_listed_promise_in_every_language() -> None:
    found: dict[tuple[str, str], dict[str, frozenset[str]]] = {}
    for table, key, lang, text in all_texts():
        names = named_buttons(text, lang)
        if names:
            found.setdefault((table, key), {})[lang] = names
    assert {where: by_lang.get("en") for where, by_lang in found.items()} == PROMISES
    for where, by_lang in found.items():
        assert by_lang == dict.fromkeys(LANGS, PROMISES[where]), where  # the same buttons, in every language


def test_a_text_that_speaks_of_a_button_says_which() -> None:
    vague = [
        (table, key, lang)
        for table, key, lang, text in all_texts()
        if BUTTON_WORDS[lang] in text.lower() and not named_buttons(text, lang)
    ]
    assert vague == []


# --- the paths that send them ----------------------------------------------------------------------------------


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


def promised(bot: Any, table: str, key: str, lang: str = "en", **values: str) -> str:
    """The text of a promise as the bot renders it for its brand."""
    texts = bot.deps.escalation_texts.messages if table == "escalation" else None
    return message(key, lang, bot.deps.engine.render_context, table=texts, **values)


def assert_kept(msg: dict, text: str, where: tuple[str, str]) -> None:
    assert text in msg["content"], (where, msg["content"])
    assert PROMISES[where] <= set(labels(msg)), (where, labels(msg))


async def recorded(bot: Any, reply_id: int) -> None:
    for _ in range(500):
        if await bot.deps.store.replies.get_reply(reply_id) is not None:
            return
        await asyncio.sleep(0.01)
    raise TimeoutError(f"reply {reply_id} was never recorded")


async def test_every_answer_carries_solved_and_not_helpful_and_they_work(fake: FakeDiscord, tmp_path: Path) -> None:
    other = fake.add_text_channel("off-watch")
    async with running_bot(fake, tmp_path) as bot:
        guild = bot.get_guild(fake.guild_id)
        bot.tree.copy_global_to(guild=guild)
        await bot.tree.sync(guild=guild)
        general, alice, vera = fake.channel_id("general"), fake.user_id("alice"), fake.user_id("vera")
        footer = promised(bot, "messages", "answer.footer")
        where = ("messages", "answer.footer")
        # 1. The watcher's answer.
        await fake.user_sends(general, alice, QUESTION)
        assert_kept(await settled(fake, bot, general), footer, where)
        # 2. /faq, addressed to a member: the buttons work (the post is recorded as an answer to that member).
        faq = await fake.slash_command(general, vera, "faq", {"query": "faq:widget-init", "user": alice})
        posted = (await faq.wait_response())["data"]
        assert_kept(posted, footer, where)
        post_id = int(faq.original_message_id or 0)
        await recorded(bot, post_id)
        solved = next(c["custom_id"] for row in posted["components"] for c in row["components"]
                      if c["label"] == "Solved")  # fmt: skip
        pressed = await (await fake.click_button(general, alice, post_id, solved)).wait_response()
        assert pressed["data"]["content"] == "Thanks! Marked as solved."
        # 3. "Answer with FAQ" on a message: the buttons (and Not helpful's alternatives) work.
        asked = await fake.user_sends(other, alice, "where do I call Widget.init")
        menu = await fake.context_menu(other, vera, "Answer with FAQ", asked["id"])
        picker = (await menu.wait_response())["data"]
        select = picker["components"][0]["components"][0]["custom_id"]
        await (await fake.select(other, vera, menu.original_message_id, select, ["0"])).wait_response()
        reply = await fake.wait_for_message(other, lambda m: m.get("message_reference") is not None)
        assert_kept(reply, footer, where)
        await recorded(bot, int(reply["id"]))
        unhelpful = await fake.click_button(other, alice, int(reply["id"]), f"triage:unhelpful:{asked['id']}")
        assert (await unhelpful.wait_response())["type"] == 5
        assert "no longer tracked" not in (await unhelpful.wait_followup())["content"]
        stranger = await fake.click_button(other, fake.add_user("mallory"), int(reply["id"]),
                                           f"triage:solved:{asked['id']}")  # fmt: skip
        assert "Only the person who asked" in (await stranger.wait_response())["data"]["content"]


async def test_every_known_incident_notice_offers_my_issue_is_unrelated(fake: FakeDiscord, tmp_path: Path) -> None:
    async with running_bot(fake, tmp_path) as bot:
        incident = Incident("Update API degraded", "https://status.capgo.app/")
        await bot.deps.incidents.set(incident)
        general, where = fake.channel_id("general"), ("messages", "route.incident_known")
        notice = promised(bot, *where, incident=incident.title)
        for author, text in ((fake.user_id("alice"), UNRELATED_QUESTION), (fake.add_user("bob"), UNRELATED_REPORT)):
            sent = await fake.user_sends(general, author, text)
            reply = await settled(fake, bot, general, lambda m, s=sent: m["message_reference"]["message_id"] == s["id"])
            assert_kept(reply, notice, where)
            mine = await fake.click_button(general, author, int(reply["id"]), f"triage:unrelated:{sent['id']}")
            assert (await mine.wait_response())["data"]["flags"] & 64


async def test_official_support_texts_carry_their_buttons(fake: FakeDiscord, sandbox, tmp_path: Path) -> None:
    alice, vera, bob = fake.user_id("alice"), fake.user_id("vera"), fake.add_user("bob")
    async with support_bot(fake, tmp_path, sandbox.base_url) as bot:
        general = fake.channel_id("general")
        # escalate.offer under a request for official support: Ask staff.
        await fake.user_sends(general, alice, WANTS_A_TICKET)
        offer = await fake.wait_for_message(general)
        assert_kept(offer, promised(bot, "messages", "escalate.offer"), ("messages", "escalate.offer"))
        # link.code_sent: Enter code (the rest of /link is the shared helper's).
        opened = await (await fake.slash_command(general, bob, "link", {})).wait_response()
        assert opened["type"] == 9
        submitted = await fake.submit_modal(general, bob, "link:email-form", {"link:email": "team@demo.test"})
        code_sent = await submitted.wait_followup()
        assert_kept(code_sent, promised(bot, "escalation", "link.code_sent"), ("escalation", "link.code_sent"))
        # author.asked: a volunteer's "Escalate for the author" asks under the message with Ask staff.
        problem = await fake.user_sends(general, alice, PROBLEM)
        menu = await fake.context_menu(general, vera, "Escalate for the author", problem["id"])
        await menu.wait_followup()
        asked = await fake.wait_for_message(
            general, lambda m: (m.get("message_reference") or {}).get("message_id") == problem["id"]
            and m.get("content", "").startswith(f"<@{alice}>")
        )  # fmt: skip
        assert_kept(asked, promised(bot, "escalation", "author.asked"), ("escalation", "author.asked"))
        # incident.hold: /escalate during an incident holds the form back with My issue is unrelated.
        await link(fake, sandbox, alice, "team@demo.test")
        await bot.deps.incidents.set(Incident("Update API degraded", "https://status.capgo.app/"))
        escalate = await fake.slash_command(general, alice, "escalate", {})
        held = (await escalate.wait_response())["data"]
        assert_kept(held, promised(bot, "escalation", "incident.hold"), ("escalation", "incident.hold"))
        # The form's own prompt (code text, English) names Continue, and the form has it.
        unrelated = next(c["custom_id"] for row in held["components"] for c in row["components"])
        pressed = await fake.click_button(general, alice, int(escalate.original_message_id or 0), unrelated)
        form = await pressed.wait_followup()
        assert "Continue" in named_buttons(form["content"]) and "Continue" in labels(form)


# --- the ticket confirmation ------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("sla", [None, "1 hour, 24/7", "2 business hours.", "1 business day"])
def test_the_ticket_confirmation_never_ends_with_two_stops(lang: str, sla: str | None) -> None:
    from bot.core.render import RenderContext

    ctx = RenderContext({"brand": "Capgo", "console_url": "https://console.capgo.app"}, "https://capgo.app/", ())
    deps = SimpleNamespace(
        tickets=SimpleNamespace(sla_text=lambda row: sla),
        engine=SimpleNamespace(render_context=ctx),
        escalation_texts=ESCALATION,
    )
    row = SimpleNamespace(ticket_id="T-1001", lang=lang)
    text = created_text(deps, row, "<#123>")  # type: ignore[arg-type]
    assert "T-1001" in text and "<#123>" in text
    assert ".." not in text and "。。" not in text and not re.search(r"[.。]\s*[.。]$", text)
    if sla is not None:
        assert sla.rstrip(".") in text
