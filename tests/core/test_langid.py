"""The compact 8-language model gives py3langid's own answers for our languages."""

import pytest
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from bot.core.langid import load_identifier
from bot.core.vocabulary import LANGS

SAMPLES = [
    "how do I roll back a bad bundle to the previous one",
    "comment je fais pour que mes testeurs soient sur le canal beta",
    "cómo hago para que la actualización se aplique apenas se descarga",
    "ogni quanto controlla gli aggiornamenti il plugin",
    "Wie kann ich das automatische Update komplett abschalten",
    "como faço pra mandar um update só pro android",
    "gimana cara bikin channel baru buat staging",
    "怎么给 iOS 和 Android 分别设置不同的默认渠道",
]


@pytest.fixture(scope="module")
def reference() -> LanguageIdentifier:
    full = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    full.set_languages(list(LANGS))
    return full


@pytest.mark.parametrize(("text", "lang"), list(zip(SAMPLES, LANGS, strict=True)))
def test_compact_model_matches_py3langid(reference: LanguageIdentifier, text: str, lang: str) -> None:
    mine, theirs = load_identifier().classify(text), reference.classify(text)
    assert mine[0] == theirs[0] == lang
    assert mine[1] == pytest.approx(theirs[1], abs=1e-4)
