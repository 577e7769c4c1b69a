"""Hostile and odd input never crashes the pipeline and always yields one valid, limited, ping-free reply."""

import random
from datetime import UTC, datetime

import pytest

from bot.core.decision import Action

NOW = datetime(2026, 11, 22, tzinfo=UTC)
ODD = [
    "",
    " ",
    "\x00\x01\x02",
    "@everyone @here <@123> <@&456> <#789> how do I initialise the widget?",
    "a" * 50_000,
    "```" * 1000,
    "Z̸̡̢̛̗̗̖͕͎̰͓͕̯̳̦̅̈́̓́͗̋̕a̴̡̛̬̬̗̻̪͓̺̼͔̲̋̈́͊͌̈́̌͘͝l̵̢̛̲̦̱̜̥̠͇͙̱͒̈́̿g̸̨̛̙̥̥̺̼͓͔͈̓̿̌̿̐̌͐̚ő̴̧̱͙͇͇̯͚̫͕͓͆̿̊͌̌̚",
    "\u202etxet lanigiro\u202c widget init",
    "🙂" * 3000,
    "SELECT * FROM users; DROP TABLE decision; --",
    "{brand} {support_email} __CAPGO_KEEP_0__ ${x} %(y)s",
    "\n".join(f"E/Widget: frame {i} at Widget.init(Widget.java:{i})" for i in range(3000)),
    "ｗｉｄｇｅｔ ｉｎｉｔ？",
    "怎么" * 5000,
    "[x](http://a" * 1700,  # unclosed masked links: formatting removal must stay linear
    "*a _b ~~||" * 2000,
    "> " * 10_000,
]


@pytest.mark.parametrize("text", ODD, ids=range(len(ODD)))
def test_odd_messages(engine, text: str) -> None:
    result = engine.triage(text, now=NOW, title=text[:100] or None)
    assert result.decision.action in set(Action)
    assert result.decision.reason
    assert len(result.reply) <= 2000
    assert "@everyone" not in result.reply and "@here" not in result.reply
    assert "{brand}" not in result.reply


def test_random_unicode_never_crashes(engine) -> None:
    rng = random.Random(12345)
    alphabet = [chr(c) for c in (*range(32, 127), *range(0x00C0, 0x0250), *range(0x4E00, 0x4E80), 0x200B, 0x202E)]
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 400)))
        record = engine.triage(text, now=NOW).as_record()
        assert record["action"] in {"answer", "remind", "route", "escalate", "silent"}
        assert set(record["missing"]) <= {"error", "code", "versions", "platform", "steps"}


@pytest.mark.parametrize("ping", ["@here ", "@everyone ", "@here: ", "@everyone, "])
def test_broadcast_mentions_do_not_change_the_decision(engine, ping: str) -> None:
    now = datetime.now(UTC)
    for text in ("is the service down? nothing works", "how do I initialise the widget?", "thanks a lot!"):
        assert engine.triage(ping + text, now=now).as_record() == engine.triage(text, now=now).as_record()
