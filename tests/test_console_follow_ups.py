"""The offline console's :edit and :reply: the self-updating reminder and follow-ups, as on Discord."""

from __future__ import annotations

import io

import pytest

from bot.cli import run_console
from bot.settings import load_settings
from tests.conftest import DATA

REPORT = "The update fails: the app crashes on every start and nothing works"


def console(*lines: str) -> str:
    settings = load_settings(
        {"FAQ_PATH": str(DATA / "faq"), "DOCS_PATH": str(DATA / "docs"), "SEMANTIC": "off", "STATUS_URL": "off"},
        env_file=None,
    )
    out = io.StringIO()
    run_console(settings, io.StringIO("\n".join([*lines, ":quit"]) + "\n"), out)
    return out.getvalue()


def test_an_edit_that_adds_details_shrinks_the_reminder_then_deletes_it() -> None:
    text = console(
        REPORT,
        ":edit The update fails on iOS 17 with plugin 6.2.1, it crashes all the time",
        ":edit On iOS 17 with plugin 6.2.1: I uploaded a bundle, killed the app and reopened it. "
        "Error: bundle download failed (HTTP 404) `await CapacitorUpdater.notifyAppReady()`",
    )
    assert "could you add" in text.split("you> ")[1]
    assert "(reminder edited)" in text
    assert "(reminder deleted" in text


def test_a_reply_in_the_thread_completes_the_reminder_and_an_unchanged_one_says_so() -> None:
    text = console(REPORT, ":reply thanks", ":reply iOS 17, plugin 6.2.1")
    assert "(reminder unchanged: still missing" in text
    assert "(reminder edited)" in text


def test_without_a_reminder_an_edit_changes_nothing_and_a_reply_is_a_follow_up() -> None:
    text = console(
        "How do I configure the widget update channel?",
        ":reply thanks, and how do I set up the beta channel?",
        ":edit x",
    )
    assert "(thread.bot_answered)" in text or "(thread.follow_up)" in text  # silent: the thread is a conversation
    assert "nothing to update" in text


@pytest.mark.parametrize("line", [":edit", ":reply"])
def test_follow_up_commands_explain_themselves(line: str) -> None:
    assert "usage: " + line + " TEXT" in console(line)
    assert "type a message first" in console(line + " hello")
