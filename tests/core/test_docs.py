from pathlib import Path

import pytest

from bot.core.docs import (
    SECTION_PASSAGE_CHARS,
    SECTION_WINDOW_STEP,
    SECTION_WINDOWS,
    DocPage,
    DocSection,
    DocsFormatError,
    load_docs_folder,
    localise_url,
    page_url,
    parse_page,
    section_passages,
    slugify,
    starlight_path,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "docs"


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        ("docs/plugins/updater/commonProblems.mdx", "docs/plugins/updater/commonproblems/"),
        ("docs/live-updates/index.mdx", "docs/live-updates/"),
        ("docs/faq.md", "docs/faq/"),
        ("index.md", ""),
    ],
)
def test_starlight_url_rule(relative: str, expected: str) -> None:
    assert starlight_path(relative) == expected


def test_page_url_and_locale() -> None:
    url = page_url("https://capgo.app/", "docs/live-updates/channels.mdx")
    assert url == "https://capgo.app/docs/live-updates/channels/"
    locales = ("fr", "de")
    assert localise_url(url, "https://capgo.app/", "fr", locales) == "https://capgo.app/fr/docs/live-updates/channels/"
    assert localise_url(url, "https://capgo.app/", "pt", locales) == url  # no Portuguese docs: English
    assert localise_url(url, "https://capgo.app/", "en", locales) == url


@pytest.mark.parametrize(
    ("heading", "slug"),
    [
        ("Update behavior", "update-behavior"),
        ("How a device picks a channel (precedence)", "how-a-device-picks-a-channel-precedence"),
        ("`setChannel()` usage", "setchannel-usage"),
    ],
)
def test_slugify(heading: str, slug: str) -> None:
    assert slugify(heading) == slug


def test_mdx_page_is_split_into_sections_with_components_stripped() -> None:
    source = (DATA / "docs" / "guide" / "getting-started.mdx").read_text()
    page = parse_page(source, "docs/guide/getting-started.mdx", "https://example.com/")
    assert page.title == "Getting started"
    assert page.url == "https://example.com/docs/guide/getting-started/"
    anchors = [s.anchor for s in page.sections]
    assert anchors == ["", "install-the-widget", "install-the-widget-1"]
    install = page.sections[1]
    assert "import" not in install.text and "<Steps>" not in install.text and "<Aside" not in install.text
    assert "Frobnicate carefully" in install.text  # component titles are content
    assert "Widget.init({ retries: 3 })" in install.text  # code is kept
    assert "## not a heading" in install.text
    assert install.url.endswith("#install-the-widget")


def test_folder_ingest_skips_repo_readme_and_uses_h1_title() -> None:
    seen = []
    pages = load_docs_folder(DATA, "https://example.com/", progress=lambda done, total: seen.append((done, total)))
    assert sorted(p.url for p in pages) == [
        "https://example.com/docs/",
        "https://example.com/docs/guide/getting-started/",
    ]
    home = next(p for p in pages if p.url.endswith("/docs/"))
    assert home.title == "Widget docs"
    assert seen[-1] == (2, 2)


def test_bad_front_matter_reports_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "bad.md").write_text("---\ntitle: ok\ndescription: [unclosed\n---\nbody\n")
    (tmp_path / "good.md").write_text("# Good\n")
    errors: list[DocsFormatError] = []
    pages = load_docs_folder(tmp_path, "https://example.com/", errors=errors)
    assert [p.title for p in pages] == ["Good"]
    assert len(errors) == 1 and errors[0].path.endswith("bad.md") and errors[0].line >= 2
    with pytest.raises(DocsFormatError, match=r"bad\.md"):
        load_docs_folder(tmp_path, "https://example.com/")


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DocsFormatError, match="docs folder not found"):
        load_docs_folder(tmp_path / "nope", "https://example.com/")


SNAPSHOT = Path(__file__).resolve().parents[3] / "shared" / "capgo-docs"


@pytest.mark.skipif(
    not SNAPSHOT.is_dir(), reason="needs the Capgo docs snapshot beside a development checkout (../shared/capgo-docs)"
)
def test_capgo_snapshot_ingests_every_page() -> None:
    pages = load_docs_folder(SNAPSHOT, "https://capgo.app/")
    assert len(pages) == 513
    urls = {p.url for p in pages}
    assert "https://capgo.app/docs/plugins/updater/commonproblems/" in urls
    assert "https://capgo.app/docs/live-updates/" in urls
    assert all(p.title for p in pages)


def _page_with(*sections: tuple[str, str]) -> DocPage:
    url = "https://capgo.app/docs/guide/"
    parts = tuple(DocSection(url, slugify(h), "Guide", h, text, "About it", "guide.md") for h, text in sections)
    return DocPage(url, "Guide", "About it", "guide.md", parts)


def test_section_passages_read_a_long_section_past_its_opening() -> None:
    words = " ".join(f"word{i:04d}" for i in range(400))  # 3,999 characters, every position distinct
    passages = section_passages(
        _page_with(("Setup", words), ("Tail", "x" * 700), ("Short", "a few words about it here"))
    )
    setup = [p for p in passages if p.startswith("Guide. Setup. ")]
    assert len(setup) == 1 + SECTION_WINDOWS  # the opening, then as many windows as allowed (the text is long)
    assert all(len(p) <= SECTION_PASSAGE_CHARS for p in passages)
    body = [p.removeprefix("Guide. Setup. ") for p in setup]
    assert words.startswith(body[0]) and body[1] == words[len(body[0]) : len(body[0]) + SECTION_WINDOW_STEP]
    assert all(b in words for b in body) and len(set(body)) == len(body)  # consecutive pieces, none repeated
    # 700 characters: the opening reads 586 of them; the 114 left are too few for a passage of their own
    assert [p for p in passages if p.startswith("Guide. Tail. ")] == [("Guide. Tail. " + "x" * 700)[:600]]
    assert "Guide. Short. a few words about it here" in passages


def test_section_passages_skip_headed_sections_without_text() -> None:
    passages = section_passages(_page_with(("Code only", "npm i"), ("Usage", "Call the method on start.")))
    assert passages == ("Guide. Usage. Call the method on start.",)
