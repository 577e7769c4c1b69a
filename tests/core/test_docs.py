from pathlib import Path

import pytest

from bot.core.docs import (
    DocsFormatError,
    load_docs_folder,
    localise_url,
    page_url,
    parse_page,
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
