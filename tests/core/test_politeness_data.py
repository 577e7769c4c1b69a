"""The politeness phrases (bot/resources/language/politeness.toml) are well-formed, cover every language, and the
analyser drops them only where they open or close a message that says something else."""

import tomllib
from importlib.resources import files

import pytest

from bot.core.analysis import analyse, empty_title, strip_politeness
from bot.core.vocabulary import LANGS

RAW = tomllib.loads(files("bot.resources.language").joinpath("politeness.toml").read_text("utf-8"))
FENCE = "```"


@pytest.mark.parametrize("key", ["greetings", "addressees", "thanks"])
def test_every_language_has_clean_phrases(key: str) -> None:
    assert set(RAW[key]) == set(LANGS)
    for lang, phrases in RAW[key].items():
        assert phrases, f"{key}.{lang} is empty"
        assert len(set(phrases)) == len(phrases), f"{key}.{lang} repeats a phrase"
        for phrase in phrases:
            assert phrase == phrase.lower() == " ".join(phrase.split()), f"{key}.{lang}: {phrase!r}"


@pytest.mark.parametrize(
    ("text", "core"),
    [
        (
            "hey everyone! the app keeps downloading the same update thanks in advance 🙏",
            "the app keeps downloading the same update",
        ),
        ("Salut tout le monde, comment on fait un rollback ? merci d'avance", "comment on fait un rollback ?"),
        ("Buenas tardes, la app no actualiza en android", "la app no actualiza en android"),
        ("hallo zusammen: Upload bleibt bei 99 % hängen. Danke!", "Upload bleibt bei 99 % hängen."),
        ("大家好，上传一直卡在 99% 的地方不动了，谢谢", "上传一直卡在 99% 的地方不动了，"),
    ],
)
def test_a_greeting_and_a_thanks_around_a_message_are_dropped(text: str, core: str) -> None:
    assert strip_politeness(text).strip() == core


@pytest.mark.parametrize(
    "text",
    [
        "thanks!",
        "hey everyone 👋",
        "thanks, it works now",  # what is left is too short to stand alone: the message stays as it is
        "history of the app shows nothing",  # "hi" only as a word of its own
        "yoga app crashes when I open it",
        "there is a bug thanks to the new version of the cli",  # thanks in the middle is not a closing
        "ty for the quick fix yesterday, all good",
    ],
)
def test_messages_that_are_not_wrapped_in_politeness_stay_as_they_are(text: str) -> None:
    assert strip_politeness(text) == text


def test_code_after_a_greeting_is_kept_whole() -> None:
    text = f"hello\n{FENCE}\nError: checksum mismatch\n{FENCE}\nupdate fails on every start"
    assert strip_politeness(text) == f"{FENCE}\nError: checksum mismatch\n{FENCE}\nupdate fails on every start"


def test_a_polite_bug_report_is_understood_as_the_plain_one() -> None:
    plain = "the app keeps downloading the same update over and over again"
    for polite in (f"hey folks! {plain} thanks in advance!!", f"hi all, {plain}. cheers", f"{plain} thx 🙏"):
        got, want = analyse(polite), analyse(plain)
        assert (got.intent, got.route, got.missing) == (want.intent, want.route, want.missing), polite
        assert got.intent_probabilities == pytest.approx(want.intent_probabilities, abs=0.02), polite


EMPTY = tomllib.loads(files("bot.resources.language").joinpath("empty_titles.toml").read_text("utf-8"))


def test_empty_title_words_cover_every_language() -> None:
    assert set(EMPTY["words"]) == set(LANGS)
    for lang, words in EMPTY["words"].items():
        listed = words.split()
        assert listed and len(set(listed)) == len(listed), f"{lang}: empty or repeated words"
        assert all(w == w.lower() for w in listed), f"{lang}: lower case only"


@pytest.mark.parametrize(
    ("title", "empty"),
    [
        ("Help!", True),
        ("Question", True),
        ("[Help] beginner question 🙏", True),
        ("Besoin d'aide svp", True),
        ("Ayuda por favor", True),
        ("求助", True),
        ("hi all, quick question", True),
        ("Upload problem", False),
        ("Question about channels", False),
        ("求助：上传失败", False),
        ("Error 503 on upload", False),
        ("", False),
    ],
)
def test_a_title_that_names_no_topic_is_empty(title: str, empty: bool) -> None:
    assert empty_title(title) is empty


def test_a_post_titled_help_is_triaged_as_the_untitled_message(engine, now) -> None:
    question = "How do I configure the widget update channel?"
    plain = engine.triage(question, now=now)
    for title in ("Help", "Need help please!", "Question"):
        titled = engine.triage(question, now=now, title=title)
        assert [(m.url, m.score) for m in titled.search.matches] == [(m.url, m.score) for m in plain.search.matches]
        assert titled.analysis.intent_probabilities == plain.analysis.intent_probabilities
    specific = engine.triage(question, now=now, title="Widget channels")
    assert specific.analysis.intent_probabilities != plain.analysis.intent_probabilities  # a real title still counts
