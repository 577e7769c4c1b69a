"""Every shipped FAQ entry parses, is complete in 8 languages, and renders without leftover markers."""

from pathlib import Path

import pytest

from bot.core.brand_check import BrandMarks, find_leaks
from bot.core.docs import load_docs_folder
from bot.core.faq import LANGS, LEFTOVER_MARKER, load_faq_folder, parse_faq_entry, render, resolve_link
from bot.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
FAQ = ROOT / "faq"
SNAPSHOT = ROOT.parent / "shared" / "capgo-docs"
ENTRIES = load_faq_folder(FAQ)
BRANDS = {key: load_settings({"BRAND": key}, env_file=None) for key in ("capgo", "codepushgo")}


def test_enough_entries_with_unique_ids() -> None:
    ids = [e.id for e in ENTRIES]
    assert len(ids) == len(set(ids))
    assert len([e for e in ENTRIES if e.category != "policy"]) >= 40
    assert len([e for e in ENTRIES if e.category == "policy"]) >= 12


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
@pytest.mark.parametrize("brand", sorted(BRANDS))
def test_entry_renders_in_every_language_without_markers(entry, brand: str) -> None:
    settings = BRANDS[brand]
    values = settings.brand.placeholders(settings.docs_site.docs_url)
    for lang in LANGS:
        assert entry.questions[lang], f"no {lang} phrasing"
        text = render(entry.answers[lang], values)
        assert not LEFTOVER_MARKER.search(text)
        if brand == "codepushgo":
            assert "capgo" not in text.lower(), f"{lang} answer names the other brand"
    for link in entry.links:
        url = resolve_link(link, values, settings.brand.site_url)
        assert url.startswith("https://") and " " not in url


def test_no_entry_names_another_brand_once_rendered() -> None:
    """Titles, answers and links serve every brand: rendered for one, none may name another (a link such as
    /docs/capgo-availability/ would show under CodePushGo's URL)."""
    values = {key: s.brand.placeholders(s.docs_site.docs_url) for key, s in BRANDS.items()}
    marks = {key: BrandMarks.from_values(key, v) for key, v in values.items()}
    leaks = []
    for brand, settings in BRANDS.items():
        shown = [
            (entry.id, text)
            for entry in ENTRIES
            for text in (
                entry.title,
                *(render(entry.answers[lang], values[brand]) for lang in LANGS),
                *(resolve_link(link, values[brand], settings.brand.site_url) for link in entry.links),
            )
        ]
        leaks += [(brand, entry_id, text) for entry_id, text in shown if find_leaks(text, marks[brand], marks.values())]
    assert leaks == []


def test_policy_entries_cover_the_support_policy() -> None:
    text = " ".join(e.id + " " + " ".join(e.tags) + " " + e.answers["en"] for e in ENTRIES if e.category == "policy")
    for topic in (
        "status",
        "sla",
        "premium",
        "billing",
        "eligib",
        "not-covered",
        "official",
        "3 seconds",
        "cancel",
        "developer",
    ):
        assert topic.lower() in text.lower(), f"no policy entry covers {topic!r}"


@pytest.mark.skipif(not SNAPSHOT.is_dir(), reason="docs snapshot not beside the project")
def test_docs_links_point_at_real_pages() -> None:
    urls = {p.url for p in load_docs_folder(SNAPSHOT, "https://capgo.app/")}
    values = BRANDS["capgo"].brand.placeholders("https://capgo.app/docs/")
    broken = [
        (e.id, link)
        for e in ENTRIES
        for link in e.links
        if link.startswith("/docs/") and resolve_link(link, values, "https://capgo.app") not in urls
    ]
    assert broken == []


@pytest.mark.parametrize(
    ("mutation", "message"),
    [
        (lambda s: s.replace("id: sample", "id: Sample"), "kebab-case"),
        (lambda s: s.replace('  zh: ["怎么样"]\n', ""), "questions.zh is missing"),
        (lambda s: s.replace("{brand} rocks", "{brnd} rocks"), "unknown placeholder"),
        (lambda s: s.replace("- /docs/x/", "- /docs/x"), "must end with '/'"),
        (lambda s: s.replace("- /docs/x/", "- not a url"), "malformed link"),
        (lambda s: s.replace("category: setup", "category: misc"), "category must be one of"),
        (lambda s: s.replace("title: Sample", "title: ''"), "title must be"),
        (lambda s: s.replace("---\n", "", 1), "missing YAML front matter"),
        (lambda s: s.replace("tags: [a]", "tags: [a\n"), "not valid YAML"),
    ],
)
def test_bad_entry_is_reported_with_line(mutation, message: str, tmp_path: Path) -> None:
    questions = "\n".join(f'  {lang}: ["q {lang}"]' for lang in LANGS if lang != "zh") + '\n  zh: ["怎么样"]\n'
    answers = "\n".join(f"  {lang}: '{{brand}} rocks {lang}'" for lang in LANGS)
    good = (
        "---\nid: sample\ntitle: Sample\ncategory: setup\nlinks:\n  - /docs/x/\ntags: [a]\n"
        f"questions:\n{questions}answers:\n{answers}\n---\n"
    )
    parse_faq_entry(good, tmp_path / "sample.md")  # the unmutated entry is valid
    with pytest.raises(ValueError, match=message) as info:
        parse_faq_entry(mutation(good), tmp_path / "sample.md")
    assert "sample.md:" in str(info.value)


def test_render_refuses_leftovers() -> None:
    with pytest.raises(ValueError, match="unknown placeholder"):
        render("see {nope}", {"brand": "X"})
    with pytest.raises(ValueError, match="survived"):
        render("see __CAPGO_KEEP_0__", {"brand": "X"})
    with pytest.raises(ValueError, match="unknown placeholder"):
        render("hello ${name}", {})
    with pytest.raises(ValueError, match="survived"):
        render("hello %(name)s", {})
    assert render("{brand} ok", {"brand": "X"}) == "X ok"
