import pytest

from bot.core.docs import parse_page
from bot.core.index import Bm25, DocIndex, calibrate
from bot.core.text import fold, han_bigrams, identifier_tokens, query_tokens, stem, word_tokens


def test_identifiers_are_kept_whole_and_split() -> None:
    tokens = word_tokens("call notifyAppReady() then npx @capgo/cli bundle upload --delta-only")
    assert "notifyappready" in tokens and "notify" in tokens and "ready" in tokens
    assert "deltaonly" in tokens and "delta" in tokens
    assert "upload" in tokens


def test_fold_and_stem() -> None:
    assert fold("Mise À Jour") == "mise a jour"
    assert word_tokens("updates") == word_tokens("updated") == word_tokens("updating") == word_tokens("update")
    assert stem("status") == "status"


def test_chinese_gets_bigrams_and_glossary_terms() -> None:
    assert han_bigrams("回滚版本") == ["回滚", "滚版", "版本"]
    tokens = query_tokens("怎么回滚到上一个版本", "zh")
    assert "rollback" in tokens  # glossary: 回滚 -> rollback


@pytest.mark.parametrize(
    ("text", "lang", "english"),
    [
        ("comment faire un rollback de la mise à jour", "fr", "updat"),
        ("cómo subo un bundle desde el CI", "es", "upload"),
        ("wie lösche ich einen Kanal", "de", "channel"),
    ],
)
def test_glossary_adds_english_terms(text: str, lang: str, english: str) -> None:
    assert english in query_tokens(text, lang)


def test_bm25_prefers_the_document_with_the_rare_term() -> None:
    index = Bm25([["update", "channel"], ["update", "rollback"], ["update"]])
    scores = index.scores({"rollback": 1.0, "update": 1.0})
    assert int(scores.argmax()) == 1
    assert index.idf("rollback") > index.idf("update") > 0
    assert index.idf("unknown") == 0


def test_bm25_postings_are_the_term_slices_of_its_scores() -> None:
    index = Bm25([["update", "channel"], ["update", "rollback"], ["update", "update"], []])
    ids, weights = index.postings("update")
    assert ids.tolist() == [0, 1, 2]  # every document holding it, ascending
    assert weights[2] > weights[0] > 0  # tf 2 over tf 1 in documents of the same length
    assert index.scores({"update": 2.0}).tolist() == pytest.approx([*(2.0 * weights).tolist(), 0.0])
    assert index.postings("unknown") is None
    assert Bm25([]).scores({"update": 1.0}).size == 0


def test_calibration_is_monotonic_in_coverage() -> None:
    low = calibrate({"coverage": 0.1, "margin": 0.05, "faq_similarity": 0.3, "agreement": 0})
    high = calibrate({"coverage": 0.8, "margin": 0.05, "faq_similarity": 0.3, "agreement": 0})
    assert 0 < low < high < 1


def test_search_finds_faq_in_every_language(engine) -> None:
    for lang, text in [
        ("en", "how to init the widget"),
        ("fr", "comment initialiser le widget"),
        ("zh", "怎么初始化 widget"),
        ("de", "wie initialisiere ich das Widget"),
    ]:
        result = engine.index.search(text, lang)
        assert result.best is not None, lang
        assert result.best.url == "https://example.com/docs/guide/getting-started/", lang
        assert result.best.entry_id == "widget-init"


def test_search_handles_typos(engine) -> None:
    result = engine.index.search("where do I call Widget.inti frobnicaet", "en")
    assert result.best is not None and "getting-started" in result.best.url


def test_search_ranks_scores_descending_and_bounded(engine) -> None:
    result = engine.index.search("is the service down for everyone", "en")
    scores = [m.score for m in result.matches]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= s <= 1 for s in scores)
    assert result.best.url == "https://status.example.com/"


def test_search_of_nothing_useful_is_empty_or_unsure(engine) -> None:
    result = engine.index.search("🙂🙂🙂", "en")
    assert result.matches == ()


def test_long_log_is_searched_quickly_and_safely(engine) -> None:
    log = "E/Widget: frobnicate failed at Widget.init\n" * 2000
    result = engine.index.search(log, "en")
    assert result.best is not None


@pytest.mark.parametrize(
    ("text", "lang", "english"),
    [
        ("cómo desactivo las actualizaciones", "es", "disabl"),  # desactivo -> desactivar
        ("notificações automáticas", "pt", "automatic"),
        ("ich habe die Aktualisierungen deaktiviert", "de", "updat"),
    ],
)
def test_inflected_forms_reach_the_glossary(text: str, lang: str, english: str) -> None:
    assert english in query_tokens(text, lang)


def test_identifier_tokens_are_api_names_not_words_or_acronyms() -> None:
    found = identifier_tokens("¿setChannel o disable_prod_build? lee capacitor.config.ts, no MAU ni SSO, ni canal")
    assert found == {"setchannel", "disableprodbuild", "capacitorconfigts"}


def _identifier_index() -> DocIndex:
    pages = [
        parse_page(
            "---\ntitle: Channels\n---\nUsers pick a channel in the app.\n\n## From the app\n"
            "Call `setChannel()` to move the device to a channel.\n",
            "channels.md",
            "https://docs.example",
        ),
        parse_page(
            "---\ntitle: Channel settings\n---\nA channel can be the default one; devices choose it in the app.\n",
            "settings.md",
            "https://docs.example",
        ),
    ]
    return DocIndex.build(pages, [], {}, "https://docs.example")


def test_retrieval_reports_which_page_holds_the_messages_identifiers() -> None:
    # The last coverage entry (the re-ranker's cov_ident): share of the message's API names found in the page.
    index = _identifier_index()
    retrieval = index.retrieve("como uso setChannel para cambiar el canal desde la app?", "es", 5, fields=True)
    by_url = {c.url.split("#", 1)[0]: c.coverage[-1] for c in retrieval.candidates}
    assert by_url["https://docs.example/channels/"] == pytest.approx(1.0)
    assert by_url["https://docs.example/settings/"] == 0.0
    plain = index.retrieve("como elijo el canal desde la app?", "es", 5, fields=True)
    assert all(c.coverage[-1] == 0.0 for c in plain.candidates)  # no identifier named: no evidence either way
