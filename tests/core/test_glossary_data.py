"""Every shipped glossary file (bot/resources/glossary/<lang>.toml) loads, is well-formed and covers every language."""

from collections import Counter
from importlib.resources import files
from pathlib import Path

import pytest

from bot.core.index import DocIndex
from bot.core.resources import GLOSSARY_PACKAGE, ResourceError, load_glossary
from bot.core.text import Vocabulary, fold, word_tokens
from bot.core.vocabulary import LANGS

GLOSSARY = load_glossary()


def test_one_file_per_bot_language() -> None:
    names = {p.name for p in files(GLOSSARY_PACKAGE).iterdir() if p.name.endswith(".toml")}
    assert names == {f"{lang}.toml" for lang in LANGS}
    assert set(GLOSSARY.langs) == set(LANGS)


def test_data_is_reachable_through_importlib_resources() -> None:
    resource = files(GLOSSARY_PACKAGE).joinpath("fr.toml")
    assert resource.is_file()
    assert "[glossary]" in resource.read_text(encoding="utf-8")
    assert GLOSSARY.phrases["fr"]["mise à jour"] == "update"


@pytest.mark.parametrize("lang", LANGS)
def test_phrases_are_clean(lang: str) -> None:
    phrases = GLOSSARY.phrases[lang]
    if lang == "en":
        assert not phrases  # the docs are English: nothing to translate
        return
    assert len(phrases) >= 100
    for phrase, terms in phrases.items():
        assert phrase and phrase == phrase.lower() == " ".join(phrase.split()), f"{lang}: phrase {phrase!r}"
        assert terms and terms == " ".join(terms.split()), f"{lang}: {phrase!r} -> {terms!r}"
        assert word_tokens(terms), f"{lang}: {phrase!r} -> {terms!r} gives no search term"


@pytest.mark.parametrize("lang", LANGS)
def test_no_duplicate_phrases_after_folding(lang: str) -> None:
    # Matching ignores case and accents: a second spelling of a phrase would be dead data (the first one wins).
    counts = Counter(fold(phrase).strip() for phrase in GLOSSARY.phrases[lang])
    assert [phrase for phrase, n in counts.items() if n > 1] == []


@pytest.mark.parametrize("lang", LANGS)
def test_stopwords_are_single_words(lang: str) -> None:
    words = GLOSSARY.stopwords[lang]
    assert isinstance(words, frozenset) and len(words) >= 50
    for word in words:
        assert word and word == word.lower() and len(word.split()) == 1 and word == word.strip(), f"{lang}: {word!r}"


GOOD = '# test\n[glossary]\n"mise à jour" = "update"\n\n[stopwords]\nwords = ["le", "la"]\n'


@pytest.mark.parametrize(
    ("mutation", "message"),
    [
        (lambda s: s.replace('= "update"', "= "), "invalid TOML"),
        (lambda s: s.replace('"mise à jour" = "update"\n', '"maj" = "update"\n"maj" = "update"\n'), "invalid TOML"),
        (lambda s: s.replace("[glossary]", "[glosary]"), "unknown table"),
        (lambda s: s.replace("[glossary]\n", "").replace('"mise à jour" = "update"\n', ""), "missing \\[glossary\\]"),
        (lambda s: s.replace('"update"', '""'), "non-empty string"),
        (lambda s: s.replace('"update"', "3"), "non-empty string"),
        (lambda s: s.replace('"mise à jour"', '" "'), "empty phrase"),
        (lambda s: s.replace("words =", "word ="), "\\[stopwords\\] needs"),
        (lambda s: s.replace('["le", "la"]', '["le", 2]'), "\\[stopwords\\] needs"),
    ],
)
def test_malformed_file_is_reported_by_name(mutation, message: str, tmp_path: Path) -> None:
    (tmp_path / "en.toml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "fr.toml").write_text(GOOD, encoding="utf-8")
    assert load_glossary(tmp_path).phrases["fr"] == {"mise à jour": "update"}  # the unmutated file is valid
    (tmp_path / "fr.toml").write_text(mutation(GOOD), encoding="utf-8")
    with pytest.raises(ResourceError, match=f"^fr\\.toml: .*{message}"):
        load_glossary(tmp_path)


def test_empty_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ResourceError, match="no glossary files"):
        load_glossary(tmp_path)


def test_vocabulary_uses_the_glossary_it_is_given(tmp_path: Path) -> None:
    (tmp_path / "en.toml").write_text('[glossary]\n[stopwords]\nwords = ["the"]\n', encoding="utf-8")
    (tmp_path / "fr.toml").write_text(GOOD.replace('"update"', '"frobnicate"'), encoding="utf-8")
    vocabulary = Vocabulary(load_glossary(tmp_path))
    assert "frobnicat" in vocabulary.query_tokens("la mise a jour", "fr")
    assert "la" not in vocabulary.query_tokens("la mise a jour", "fr")
    assert vocabulary.document_tokens(["the update"]) == ["updat"]
    index = DocIndex.build([], [], {}, "https://example.com", vocabulary)
    assert index.vocabulary is vocabulary
