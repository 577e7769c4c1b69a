"""White-label: no brand's users see another brand's names (bot/core/brand_check.py, and the shipped content)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app.composition import build_engine
from bot.cli import main
from bot.core.brand_check import BrandMarks, docs_brand_report, find_leaks
from bot.core.decision import Action, Decision
from bot.core.index import Match
from bot.core.render import render_decision
from bot.core.triage import TriageEngine
from bot.core.vocabulary import LANGS
from bot.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = ROOT.parent / "shared" / "capgo-docs"  # Capgo's docs (a development checkout beside shared/)
EVAL = ROOT.parent / "shared" / "eval" / "dev_discord_questions.jsonl"
BRANDS = ("capgo", "codepushgo")
NOW = datetime(2026, 3, 9, 12, tzinfo=UTC)


def settings_for(brand: str, docs: Path | None = None) -> Settings:
    env = {"BRAND": brand, "SEMANTIC": "off", "STATUS_URL": "off"}
    if docs is not None:
        env["DOCS_PATH"] = str(docs)
    return load_settings(env, env_file=None)


def marks_of(brand: str) -> BrandMarks:
    settings = settings_for(brand)
    return BrandMarks.from_values(brand, settings.brand.placeholders(settings.docs_site.docs_url))


MARKS = {brand: marks_of(brand) for brand in BRANDS}
EVERY = list(MARKS.values())


# --- the check itself -----------------------------------------------------------------------------------------


def test_marks_come_from_the_profiles() -> None:
    capgo, cpg = MARKS["capgo"], MARKS["codepushgo"]
    assert (capgo.names, capgo.domains, capgo.scopes, capgo.paths) == (
        ("Capgo",),
        ("capgo.app",),
        ("@capgo/",),
        ("github.com/Cap-go",),
    )
    assert cpg.names == ("CodePushGo",) and cpg.domains == ("codepushgo.com",) and cpg.scopes == ("@codepushgo/",)
    # a shared host is no brand's domain; the organisation on it is
    odd = BrandMarks.from_values("acme", {"brand": "Acme Updates", "github_url": "https://github.com/acme-inc",
                                          "site_url": "https://acme.io", "support_email": "help@mail.acme.io",
                                          "cli": "npx acme-cli"})  # fmt: skip
    assert odd.names == ("Acme Updates", "acme") and odd.domains == ("acme.io",) and odd.scopes == ()
    assert odd.paths == ("github.com/acme-inc",)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Run `npx @capgo/cli@latest bundle upload`", ["@capgo/"]),
        ("Docs: https://codepushgo.com/docs/capgo-availability/", ["Capgo"]),
        ("set CAPGO_TOKEN in the CI secrets", ["Capgo"]),
        ("see https://capgo.app/docs/ and github.com/Cap-go/capgo", ["capgo.app", "github.com/Cap-go", "Capgo"]),
        ("The docs cover this in **Introduction to Capgo Build**:", ["Capgo"]),
        ("Capgo", ["Capgo"]),
        ("mycapgoose and capgoing are other words", []),
        ("CodePushGo works with Microsoft CodePush migrations", []),  # its own name, and another product
        ("npx @codepushgo/cli@latest doctor, https://status.codepushgo.com/", []),
        ("", []),
    ],
)
def test_find_leaks_for_codepushgo(text: str, found: list[str]) -> None:
    leaks = find_leaks(text, MARKS["codepushgo"], EVERY)
    assert [leak.mark for leak in leaks] == found
    assert all(leak.brand == "capgo" and text[leak.start :].lower().startswith(leak.found.lower()) for leak in leaks)


def test_find_leaks_for_capgo_and_never_the_own_brand() -> None:
    assert [leak.mark for leak in find_leaks("Moving from CodePushGo? see codepushgo.com", MARKS["capgo"], EVERY)] == [
        "CodePushGo",
        "codepushgo.com",
    ]
    assert find_leaks("npx @capgo/cli@latest, https://capgo.app/docs/, Capgo", MARKS["capgo"], EVERY) == []
    # a brand whose name contains another's: its own text is not the other's
    big = BrandMarks("capgoplus", "Capgo Plus", ("Capgo Plus",), ("capgoplus.io",))
    assert find_leaks("Welcome to Capgo Plus (capgoplus.io)", big, [*EVERY, big]) == []
    assert [leak.brand for leak in find_leaks("Welcome to Capgo Plus, not Capgo", big, [*EVERY, big])] == ["capgo"]


def test_a_leak_describes_itself_with_context() -> None:
    text = "Docs: https://codepushgo.com/docs/capgo-availability/"
    [leak] = find_leaks(text, MARKS["codepushgo"], EVERY)
    assert leak.describe(text).startswith("names capgo ('capgo' in ")
    assert "capgo-availability" in leak.describe(text)


def test_docs_report_counts_pages_that_name_another_brand() -> None:
    pages = [
        ("Channels", "https://codepushgo.com/docs/live-updates/channels/"),
        ("What Happens When Capgo is Unavailable", "https://codepushgo.com/docs/capgo-availability/"),
        ("Migrating", "https://codepushgo.com/docs/upgrade/from-appflow-to-capgo/"),
    ]
    report = docs_brand_report(pages, MARKS["codepushgo"], EVERY)
    assert (report.pages, report.naming_other, report.brands, report.mismatch) == (3, 2, ("capgo",), True)
    assert report.examples[0][0] == "What Happens When Capgo is Unavailable"
    assert not docs_brand_report(pages[:1], MARKS["codepushgo"], EVERY).mismatch


# --- rendered answers, per brand against its own docs ------------------------------------------------------------


def sample_questions(engine: TriageEngine) -> list[tuple[str, str]]:
    """(text, lang): one FAQ phrasing per entry in English and in a rotating other language, plus the dev Discord
    questions when the shared evaluation set is beside the checkout."""
    sample = []
    for i, entry in enumerate(engine.index.entries):
        other = LANGS[1 + i % (len(LANGS) - 1)]
        sample += [(entry.questions["en"][0], "en"), (entry.questions[other][-1], other)]
    if EVAL.is_file():
        for line in EVAL.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            sample.append((item["text"], item.get("lang", "en")))
    return sample


def leaks_in_replies(brand: str, docs: Path | None) -> list[tuple[str, str]]:
    """Everything a brand's users would see for the sample: the bot's reply, the top matches' titles and links
    (the volunteers' /faq suggestions and Answer with FAQ picker), and every FAQ entry posted by a volunteer."""
    settings = settings_for(brand, docs)
    engine = build_engine(settings, page_vectors="off")
    own = MARKS[brand]
    found: list[tuple[str, str]] = []

    def scan(what: str, text: str) -> None:
        found.extend((what, leak.describe(text)) for leak in find_leaks(text, own, EVERY))

    for text, lang in sample_questions(engine):
        result = engine.triage(text, now=NOW, lang_hint=lang)
        scan(f"reply to {text!r}", result.reply)
        for match in result.search.matches:
            scan(f"match title for {text!r}", match.title)
            scan(f"match link for {text!r}", match.url)
    ctx = engine.render_context
    for entry in engine.index.entries:
        scan(f"title of {entry.id}", entry.title)
        match = Match(engine.index.canonical_link(entry), entry.title, 1.0, "faq", entry.id)
        for lang in LANGS:
            post = render_decision(Decision(Action.ANSWER, "posted by a volunteer", lang, match=match), ctx, entry)
            scan(f"/faq {entry.id} ({lang})", post)
    return found


@pytest.mark.parametrize(
    ("brand", "docs"),
    [
        pytest.param("capgo", SNAPSHOT, marks=pytest.mark.skipif(not SNAPSHOT.is_dir(), reason="no docs snapshot")),
        ("capgo", None),
        # No CodePushGo docs ship with the project: its deployment points DOCS_PATH at its own; FAQ-only here.
        ("codepushgo", None),
    ],
)
def test_answers_name_no_other_brand(brand: str, docs: Path | None) -> None:
    assert leaks_in_replies(brand, docs) == []


@pytest.mark.skipif(not SNAPSHOT.is_dir(), reason="needs the Capgo docs snapshot beside the checkout")
def test_another_brands_docs_folder_is_caught() -> None:
    """The reported bug: CodePushGo with Capgo's docs shows Capgo titles and paths. The scan finds it, and `check`
    warns that the docs folder is per brand."""
    leaks = leaks_in_replies("codepushgo", SNAPSHOT)
    assert any("match title" in what for what, _ in leaks) and any("reply to" in what for what, _ in leaks)
    out = io.StringIO()
    main(["--brand", "codepushgo", "check", "--docs", str(SNAPSHOT)], out=out)
    warning = [line for line in out.getvalue().splitlines() if line.startswith("warning:")]
    assert len(warning) == 1 and "name another brand (capgo)" in warning[0] and "DOCS_PATH" in warning[0]
    out = io.StringIO()
    assert main(["--brand", "capgo", "check", "--docs", str(SNAPSHOT)], out=out) == 0
    assert "warning:" not in out.getvalue()


def test_check_reports_an_faq_link_that_names_a_brand(tmp_path: Path) -> None:
    source = (ROOT / "faq" / "policy-over-plan.md").read_text(encoding="utf-8")
    (tmp_path / "policy-over-plan.md").write_text(
        source.replace('  - "{support_policy_url}"\n', "  - /docs/capgo-availability/\n", 1), encoding="utf-8"
    )
    out = io.StringIO()
    assert main(["check", "--faq", str(tmp_path)], out=out) == 1
    [problem] = [line for line in out.getvalue().splitlines() if "names" in line]
    assert "policy-over-plan.md:1: link /docs/capgo-availability/ for brand codepushgo names capgo" in problem
