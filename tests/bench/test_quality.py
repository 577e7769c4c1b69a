"""The quality benchmark's figures (bench/quality.py): the reminder floor's what-if table, per-language answers."""

from __future__ import annotations

import pytest

from bench.dataset import Example
from bench.quality import measure, print_details, remind_floor_curve
from bot.core.vocabulary import DETAILS

PAGE = "https://capgo.app/docs/live-updates/differentials/"


def record(action: str, rule: str, p_bug: float, score: float = 0.2) -> dict:
    return {
        "action": action,
        "rule": rule,
        "intent_probabilities": {"bug_report": p_bug},
        "matches": [{"url": PAGE, "score": score}],
        "answer": PAGE if action == "answer" else None,
        "route": None,
        "missing": list(DETAILS),
    }


def test_the_floor_moves_only_the_messages_it_decides_on() -> None:
    nothing = dict.fromkeys(DETAILS, False)
    story = Example("s", "silence", "de", "Kleiner Erfahrungsbericht: Delta-Updates ...")
    report = Example("b", "bug", "en", "updates broke", present=nothing)
    question = Example("q", "question", "en", "how do delta updates work?", answer_docs=(PAGE,))
    chat = Example("c", "silence", "en", "lol same")
    pairs = [
        (story, record("silent", "remind.unsure", 0.54)),  # made at a floor of 0.55
        (report, record("remind", "remind.missing", 0.62)),
        (question, record("answer", "answer.unsure_report", 0.50, score=0.83)),
        (chat, record("silent", "intent", 0.01)),  # not a reminder candidate: never moves
    ]
    rows = {floor: rest for floor, *rest in remind_floor_curve(pairs, (0.0, 0.55, 0.7), answer_threshold=0.7)}
    # floor 0: everything that reads as a report is reminded (the story too, the question is not answered)
    assert rows[0.0] == [0.5, 1.0, 0.0, 0.0]
    # 0.55: the story is left alone, the question answered from its confident match, the report still reminded
    assert rows[0.55] == [1.0, 1.0, 1.0, 1.0]
    # 0.7: the detail-less report falls under the floor too (its match is weak: silent)
    assert rows[0.7] == [1.0, 0.0, 1.0, 1.0]


def test_answers_are_counted_per_language(capsys: pytest.CaptureFixture[str]) -> None:
    other = "https://capgo.app/docs/live-updates/channels/"
    pairs = [
        (Example(f"{lang}{i}", "question", lang, "wie geht das?", answer_docs=(PAGE,)), record(action, "x", 0.1))
        for lang, i, action in (("fr", 1, "answer"), ("fr", 2, "answer"), ("fr", 3, "silent"), ("de", 1, "silent"))
    ]
    pairs[1][1]["answer"] = other  # one of the two French answers is the wrong page
    for e, r in pairs:
        r["lang"] = e.lang
    pairs[2][1]["lang"] = "it"  # one French message identified as Italian
    # a message without words is not counted against language identification
    pairs.append((Example("de2", "silence", "de", "👍 https://capgo.app/de/docs/"), record("silent", "x", 0.1)))
    pairs[-1][1]["lang"] = "en"
    figures = measure(pairs)
    assert figures["answer_lang"] == {"fr": (pytest.approx(2 / 3), 0.5), "de": (0.0, None)}
    assert figures["lang_id"] == {"fr": pytest.approx(2 / 3), "de": 1.0}
    print_details(figures)
    rows = {line.split("|")[1].strip(): line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")}
    assert "answered | answers right" in rows["lang"]
    assert rows["fr"].split("|")[5:7] == [" 0.67 ", " 0.50 "]
    assert rows["de"].split("|")[5:7] == [" 0.00 ", " - "]
    assert "language identified" in rows["lang"]
    assert rows["fr"].split("|")[9] == " 0.67 "


def test_misses_list_names_each_kind_of_miss(capsys: pytest.CaptureFixture[str]) -> None:
    from bench.quality import _print_misses

    spoken = record("answer", "answer.confident", 0.1, score=0.9)
    routed = {**record("route", "route.billing", 0.1), "route": "billing", "reason": "billing"}
    right = record("answer", "answer.confident", 0.1, score=0.9)
    pairs = [
        (Example("s1", "silence", "en", "lol same"), {**spoken, "reason": "confident match"}),
        (Example("r1", "routing", "de", "Rechnung bitte", route="account"), routed),
        (Example("q1", "question", "en", "how do differentials work?", answer_docs=(PAGE,)), right),
    ]
    _print_misses(pairs, "Cross-validation misses")
    out = capsys.readouterr().out
    assert "### Cross-validation misses" in out
    assert "- SILENCE s1 answer 'lol same' (confident match)" in out
    assert "- ROUTE r1 want account got billing 'Rechnung bitte'" in out
    assert "q1" not in out  # answered by its page: not a miss


def test_wilson_interval_widens_as_the_sample_shrinks() -> None:
    from bench.quality import wilson

    # 7 of 12 (the French test-split questions of one build): a target of 0.70 is inside the interval
    low, high = wilson(7, 12)
    assert (round(low, 2), round(high, 2)) == (0.32, 0.81)
    assert low < 7 / 12 < high
    narrow = wilson(70, 120)
    assert high - low > narrow[1] - narrow[0] > 0
    # a perfect score still leaves room below it, and the interval never leaves 0-1
    assert wilson(5, 5)[1] == 1.0 and wilson(5, 5)[0] < 0.6
    assert wilson(0, 5)[0] == 0.0
    assert wilson(0, 0) == (0.0, 1.0)


def test_summary_prints_an_interval_beside_each_share(capsys: pytest.CaptureFixture[str]) -> None:
    from bench.quality import print_summary

    pairs = [
        (Example(f"q{i}", "question", "fr", "comment faire ?", answer_docs=(PAGE,)), record("answer", "a", 0.1, 0.9))
        for i in range(12)
    ]
    for _, r in pairs[7:]:
        r["matches"] = [{"url": "https://capgo.app/docs/faq/", "score": 0.9}]
        r["answer"] = "https://capgo.app/docs/faq/"
    print_summary("Test split", measure(pairs))
    rows = {
        line.split("|")[1].strip(): line.split("|") for line in capsys.readouterr().out.splitlines()[2:] if "|" in line
    }
    weakest = rows["weakest language, first (fr, n=12)"]
    assert weakest[2].strip() == "**0.58**"
    assert weakest[3].strip() == "0.32-0.81"
    assert rows["auto-answers that are right (precision, n=12) at answer rate"][3].strip() == "0.32-0.81 at 0.76-1.00"


def test_outcomes_compare_two_runs_message_by_message(capsys: pytest.CaptureFixture[str], tmp_path) -> None:
    import json

    from bench.quality import comparison_rows, mcnemar, outcomes, print_comparison

    question = Example("q", "question", "en", "how do delta updates work?", answer_docs=(PAGE,))
    chat = Example("c", "silence", "en", "lol same")
    before = outcomes([(question, record("silent", "x", 0.1)), (chat, record("answer", "x", 0.1, score=0.9))])
    now = outcomes([(question, record("answer", "x", 0.1, score=0.9)), (chat, record("silent", "x", 0.1))])
    assert before["first"] == {"q": True} and before["silence"] == {"c": False}
    assert before["answered right"] == {"q": False} and now["answered right"] == {"q": True}
    rows = {name: rest for name, *rest in comparison_rows(before, now)}
    assert rows["silence"] == [1, 0.0, 1.0, 1, 0, 1.0]  # one message fixed: far from evidence
    assert rows["first"] == [1, 1.0, 1.0, 0, 0, 1.0]
    # the exact sign test: 10 fixed against 0 broken is evidence, 6 against 4 is not
    assert mcnemar(10, 0) == pytest.approx(2 / 1024)
    assert mcnemar(6, 4) == pytest.approx(0.754, abs=1e-3)
    saved = tmp_path / "before.json"
    saved.write_text(json.dumps({"commit": "abc123", "cv": before}))
    print_comparison(saved, json.loads(saved.read_text()), {"cv": now})
    out = capsys.readouterr().out
    assert "(commit abc123)" in out
    assert "| cv | silence | 1 | 0.000 | 1.000 | 1 | 0 | 1.00 |" in out


def test_against_a_file_that_is_not_a_saved_run_is_a_clear_error(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    from bench.quality import main

    broken = tmp_path / "run.json"
    broken.write_text("{not json")
    with pytest.raises(SystemExit) as exit_info:
        main(["--against", str(broken), "--no-cv"])
    assert exit_info.value.code == 2
    assert "cannot read a saved run" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--save-outcomes", str(tmp_path / "missing" / "run.json"), "--no-cv"])
    assert "no such folder" in capsys.readouterr().err


def test_a_miss_never_reads_as_its_target() -> None:
    from bench.quality import mark

    assert mark(0.797, 0.80) == "**0.797**"  # two decimals would print the target itself, in bold
    assert mark(0.9297, 0.93) == "**0.929**"  # and so would three, rounded
    assert mark(0.58, 0.70) == "**0.58**"
    assert mark(0.80, 0.80) == "0.80"
    assert mark(0.9999, 0.98) == "1.00"


def test_probes_vary_each_message_the_same_way_every_run() -> None:
    from bench.quality import generically_titled, load_probe, politely

    probe = load_probe()
    question = Example("questions:q-1", "question", "de", "Wie lösche ich einen Kanal?")
    wrapped = politely(question, probe)
    assert wrapped is not None and wrapped == politely(question, probe)
    assert question.text in wrapped["text"] and wrapped["text"] != question.text
    greetings, thanks = probe.greetings["de"], probe.thanks["de"]
    assert any(wrapped["text"].startswith(g) for g in greetings) or any(wrapped["text"].endswith(t) for t in thanks)
    titled = generically_titled(question, probe)
    assert titled == {"text": question.text, "title": titled["title"]} and titled["title"] in probe.titles["de"]
    forum_post = Example("questions:q-2", "question", "de", "Wie lösche ich einen Kanal?", title="Kanal löschen")
    assert generically_titled(forum_post, probe) is None  # a post with a title of its own keeps it


def test_probes_stay_mostly_outside_the_analysers_lists() -> None:
    """The probe measures how the bot holds on wording it was not given: if its phrases were added to
    bot/resources/language/politeness.toml or empty_titles.toml, its rows would only measure the lists."""
    from bench.quality import load_probe
    from bot.core.analysis import empty_title, strip_politeness

    probe = load_probe()
    message = "the update never reaches the phones"
    phrases = [
        (g, t) for lang in probe.greetings for g, t in zip(probe.greetings[lang], probe.thanks[lang], strict=True)
    ]
    dropped = sum(strip_politeness(f"{g}, {message} {t}") == message for g, t in phrases)
    assert dropped <= len(phrases) // 2
    titles = [t for lang in probe.titles for t in probe.titles[lang]]
    assert sum(empty_title(t) for t in titles) <= len(titles) // 2 + 1


def test_decision_held_compares_what_the_user_sees() -> None:
    from bench.quality import decision_held

    question = Example("q", "question", "en", "how do delta updates work?", answer_docs=(PAGE,))
    report = Example("b", "bug", "en", "updates broke", present=dict.fromkeys(DETAILS, False))
    chat = Example("c", "silence", "en", "lol", title="own title")
    pairs = [
        (question, record("answer", "answer.confident", 0.1, 0.9)),
        (report, record("remind", "remind", 0.9)),
        (chat, record("silent", "intent", 0.0)),
    ]
    other_page = record("answer", "answer.confident", 0.1, 0.9) | {"answer": "https://capgo.app/docs/faq/"}
    held = decision_held(pairs, [other_page, record("remind", "remind.missing", 0.8), None])
    assert held["held"] == 0.5 and held["n"] == 2  # the message the probe does not apply to is not counted
    assert held["by_kind"] == {"bug": (1.0, 1), "question": (0.0, 1)}
    assert held["per_uid"] == {"q": False, "b": True}


def test_casual_typing_drops_accents_capitals_and_the_closing_question_mark_but_not_code() -> None:
    from bench.dataset import casual_text, casual_variant
    from bench.quality import casually, load_probe

    code = "```ts\nCapacitorUpdater.setChannel({ channel: 'Bêta' })\n```"
    text = f"¿Cómo configuro `setChannel` en iOS? Está en Capacitor 6 {code}?"
    assert casual_text(text) == f"como configuro `setChannel` en iOS? esta en capacitor 6 {code}"
    assert casual_text("Wie lösche ich einen Kanal ?") == "wie losche ich einen kanal"
    question = Example("questions:q-1", "question", "fr", "Où est le bouton ?", title="Paramètres", answer_docs=(PAGE,))
    twin = casual_variant(question)
    assert twin is not None and twin.uid == "questions:q-1~casual" and twin.answer_docs == question.answer_docs
    assert (twin.text, twin.title) == ("ou est le bouton", "parametres")
    assert casually(question, load_probe()) == {"text": "ou est le bouton", "title": "parametres"}
    assert casual_variant(Example("c", "silence", "zh", "多谢大佬")) is None  # nothing to change: the probe skips it


def test_polite_twins_keep_one_phrase_of_the_analysers_list_after_it_drops_the_other() -> None:
    from bench.dataset import load_politeness, polite_variant
    from bot.core.analysis import strip_politeness

    politeness = load_politeness()
    listed = {p.lower() for table in (politeness.greetings, politeness.thanks) for v in table.values() for p in v}
    for number in range(60):
        lang = ("en", "fr", "es", "it", "de", "pt", "id", "zh")[number % 8]
        report = Example(f"bugs:b-{number}", "bug", lang, "the app crashes at start", present={"steps": False})
        twin = polite_variant(report, politeness)
        assert twin is not None and twin.uid == f"bugs:b-{number}~polite" and twin.present == report.present
        read = strip_politeness(twin.text)
        assert read != "the app crashes at start" and "the app crashes at start" in read  # one layer stays
        extra = read.replace("the app crashes at start", " ").strip(" !,")
        # what stays is a phrase of the analyser's own list (a greeting may carry an addressee)
        assert any(extra.lower().startswith(p) or extra.lower().endswith(p) for p in listed), extra
    assert polite_variant(Example("s-1", "silence", "xx", "ok"), politeness) is not None  # unknown language: English


def test_polite_twins_work_with_a_language_that_has_one_phrase_or_none() -> None:
    from bench.dataset import Politeness, polite_variant

    lone = Politeness({"en": ["hi"], "fr": ["salut"]}, {"en": ["all"], "fr": ["à tous"]}, {"en": ["thanks"], "fr": []})
    for number in range(12):
        twin = polite_variant(Example(f"q-{number}", "question", "en", "how do I set a channel"), lone)
        assert twin is not None and "how do I set a channel" in twin.text
    # a language without thanks gets greetings only
    for number in range(12):
        twin = polite_variant(Example(f"f-{number}", "question", "fr", "comment changer de canal"), lone)
        assert twin is None or twin.text.endswith("comment changer de canal")
