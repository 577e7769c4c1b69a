"""Tests of bot.core.analysis: language, structural details, the learned intent / route / steps models, the analyser.

The example messages are written for these tests (not copied from the evaluation sets). Language and the structural
details (error, code, versions, platform) are rules, tested example by example. Intent, route and steps come from
learned models, which are not expected to get every hand-written example right: each list is one test with an
accuracy floor set a little under what the shipped models score (the figure is in a comment), so a degraded model
fails. The real measurements are the benchmarks (``python -m bench quality``).
"""

from __future__ import annotations

import dataclasses
import time
import zlib
from datetime import datetime

import numpy as np
import pytest

from bot.core.analysis import (
    DETAILS,
    LANGS,
    ROUTES,
    Analyser,
    Analysis,
    Intent,
    analyse,
    default_analyser,
    detect_language,
    embedding_text,
    feature_ids,
    find_details,
    is_addressed,
    strip_formatting,
)
from bot.core.classifier import ModelSet, load_models
from bot.core.features import HASH_BITS, feature_strings
from bot.core.text import default_vocabulary
from bot.core.triage import TriageEngine

FENCE = "```"
STRUCTURAL = frozenset({"error", "code", "versions", "platform"})


def _share(hits: list[bool]) -> float:
    return sum(hits) / len(hits)


# ---------------------------------------------------------------------------------------------------------------
# Interface
# ---------------------------------------------------------------------------------------------------------------
def test_constants() -> None:
    assert LANGS == ("en", "fr", "es", "it", "de", "pt", "id", "zh")
    assert DETAILS == ("error", "code", "versions", "platform", "steps")
    assert ROUTES == ("billing", "account", "out_of_scope", "incident", "escalate")
    assert [i.value for i in Intent] == ["question", "bug_report", "chitchat", "other"]


def test_analysis_is_frozen_and_consistent() -> None:
    a = analyse("android 14, plugin 7.2.0: the update never applies")
    assert isinstance(a, Analysis)
    assert a.present == frozenset({"versions", "platform"})
    assert a.missing == ("error", "code", "steps")
    assert set(a.missing) | a.present == set(DETAILS)
    assert a.intent is Intent.BUG_REPORT
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.lang = "fr"  # type: ignore[misc]
    assert a.signals[0].startswith("lang=en (")
    assert a.signals[1].startswith("intent=bug_report (")
    assert set(a.intent_probabilities) == {"question", "bug_report", "chitchat"}
    assert sum(a.intent_probabilities.values()) == pytest.approx(1.0)
    assert a.intent_probabilities["bug_report"] == max(a.intent_probabilities.values())
    assert 0.0 <= a.route_probability <= 1.0


def test_signals_name_the_route() -> None:
    a = analyse("we were charged twice this month, please refund one payment")
    assert a.route == "billing"
    assert a.signals[-1].startswith("route=billing (billing ")


def test_title_is_prepended() -> None:
    without = analyse("Capacitor 6.1.0, plugin 6.2.3.")
    with_title = analyse("Capacitor 6.1.0, plugin 6.2.3.", title="bug: download never completes on Android 11")
    assert "platform" not in without.present
    assert "platform" in with_title.present
    assert with_title.intent is Intent.BUG_REPORT


def test_empty_text() -> None:
    for text in ("", "   "):
        a = analyse(text)
        assert a.lang == "en"
        assert a.intent is Intent.CHITCHAT
        assert a.present == frozenset()
        assert a.route is None


# ---------------------------------------------------------------------------------------------------------------
# Language
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("the bundle upload fails", "en"),
        ("is it possible to pin a version per device", "en"),
        ("le bundle ne se télécharge pas", "fr"),
        ("bonjour, j'ai un souci avec le channel", "fr"),
        ("merci !", "fr"),
        ("no funciona el update en ios", "es"),
        ("cómo configuro el canal?", "es"),
        ("gracias!", "es"),
        ("non funziona l'aggiornamento", "it"),
        ("ho un problema con la CLI", "it"),
        ("grazie!", "it"),
        ("das Update funktioniert nicht", "de"),
        ("ich bekomme einen Fehler beim Upload", "de"),
        ("danke!", "de"),
        ("o update não funciona", "pt"),
        ("tô com erro no upload", "pt"),
        ("obrigado!", "pt"),
        ("update nya ga jalan", "id"),
        ("gimana cara setting channel?", "id"),
        ("makasih!", "id"),
        ("更新失败", "zh"),
        ("上传的时候报错 401", "zh"),
        ("iOS 上 setChannel 一直没反应", "zh"),
    ],
)
def test_detect_language(text: str, lang: str) -> None:
    got, conf = detect_language(text)
    assert got == lang
    assert 0.0 <= conf <= 1.0


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        # py3langid alone: it (0.63), "delete" reads Italian; one English function word decides
        ("how do I delete a channel?", "en"),
        ("can I configure an api key?", "en"),
        ("can I unlink a device?", "en"),  # py3langid alone: id
        ("si può eliminare un canale?", "it"),  # py3langid alone: es
        # "qué" folded to "que" voted Spanish; "que" is French and Portuguese too, so it decides nothing
        ("o que significa esse status no canal?", "pt"),
    ],
)
def test_function_words_decide_where_py3langid_is_unsure(text: str, lang: str) -> None:
    assert detect_language(text)[0] == lang


@pytest.mark.parametrize("text", ["👍", "🙏🙏", "💯", "", "   ", "12345"])
def test_language_without_letters_falls_back(text: str) -> None:
    assert detect_language(text) == ("en", 0.0)
    assert detect_language(text, hint="de") == ("de", 0.0)


def test_language_of_code_only_falls_back_to_hint() -> None:
    code = f"{FENCE}ts\nconst current = await CapacitorUpdater.current()\n{FENCE}"
    assert detect_language(code, hint="fr")[0] == "fr"
    assert detect_language(code)[0] == "en"
    assert detect_language("https://capgo.app/docs/", hint="pt")[0] == "pt"


def test_language_low_confidence_uses_hint_and_ignores_unknown_hint() -> None:
    lang, conf = detect_language("ok", hint="it")
    assert lang == "it"
    assert conf < 0.5
    assert detect_language("ok", hint="xx")[0] == "en"


def test_language_ignores_code_urls_and_identifiers() -> None:
    text = f"bedanya `autoUpdate` sama 'atBackground' apa ya? https://capgo.app/docs\n{FENCE}\nCapacitorUpdater.set()\n{FENCE}"
    assert detect_language(text)[0] == "id"
    assert detect_language("iOS 上 setChannel 没效果 https://example.com/en/page")[0] == "zh"


# ---------------------------------------------------------------------------------------------------------------
# Structural details (rules: every example must pass; ``steps`` is the learned model's, tested below)
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # error
        (f"getting this when uploading:\n{FENCE}\nError: Bundle already exists\n{FENCE}", {"error"}),
        ("npx @capgo/cli bundle upload fails with `Error: Request failed with status code 413`", {"error"}),
        ("the CLI prints ✖ Upload failed, nothing else", {"error"}),
        ("Xcode console shows: [Capgo] Cannot find bundle with id abc123", {"error", "platform"}),
        (f"{FENCE}\n2024-05-01 10:00:01.123 ERROR CapacitorUpdater download failed\n{FENCE}", {"error"}),
        (
            f"logcat\n{FENCE}\nE/AndroidRuntime: FATAL EXCEPTION: main\n"
            f"    at com.getcapacitor.Bridge.reload(Bridge.java:210)\n{FENCE}",
            {"error", "platform"},
        ),
        ("error 500 when I hit the updates endpoint", {"error"}),
        ("上传的时候报错：bundle 已存在", {"error"}),
        # code
        (
            f'my config:\n{FENCE}json\n{{ "plugins": {{ "CapacitorUpdater": {{ "autoUpdate": false }} }} }}\n{FENCE}',
            {"code"},
        ),
        (
            f"{FENCE}\nimport {{ CapacitorUpdater }} from '@capgo/capacitor-updater'\n"
            f"CapacitorUpdater.notifyAppReady()\n{FENCE}\nand it still rolls back",
            {"code"},
        ),
        ("I'm calling `await CapacitorUpdater.set({ id: bundle.id })` right after download", {"code"}),
        # a lone shell command / doctor output is not code
        (f"{FENCE}bash\nnpx @capgo/cli@latest bundle upload --channel beta\n{FENCE}", set()),
        (
            f"output of cap doctor:\n{FENCE}\n💊   Capacitor Doctor  💊\n"
            f"Latest Dependencies:\n  @capacitor/cli: 6.1.0\n{FENCE}",
            {"versions"},
        ),
        # versions
        ("after upgrading to 7.30.0 the app shows a blank page on iOS 17.4", {"versions", "platform"}),
        ("using capacitor 6 with the updater plugin 6.2.x", {"versions"}),
        ("@capgo/capacitor-updater@8.1.0 on a Pixel 7", {"versions", "platform"}),
        ("Android 13 (Samsung S21), updater 7.9.1, Capacitor 7.2.0", {"versions", "platform"}),
        ("it worked on 6.x but fails on 7.x", {"versions"}),
        ("bundle is 12.5 MB, upload takes 30 s", set()),
        ("l'app reste bloquée sur le splash après la mise à jour sur android 12", {"versions", "platform"}),
        # platform
        ("happens on web only, works in the Android emulator", {"platform"}),
        ("Electron build doesn't get updates", {"platform"}),
        ("on iPadOS it never downloads", {"platform"}),
        ("安卓上更新没效果", {"platform"}),
        ("the plugin does not apply the bundle, help", set()),
        ("let me know if the latest version fixes it", set()),  # "let me" is not JavaScript
        ("Steps:\n- install the app from TestFlight\n- upload a new bundle\n- open the app twice", {"platform"}),
        ("1. build the app\n2. run it on a simulator\n3. call setChannel('beta')", {"platform"}),
        ("dopo aver caricato il bundle l'app su android resta bianca", {"platform"}),
        ("setelah upload bundle, aplikasi di android blank", {"platform"}),
        ("上传后 iOS 上白屏", {"platform"}),
    ],
)
def test_find_structural_details(text: str, expected: set[str]) -> None:
    assert find_details(text) & STRUCTURAL == frozenset(expected)


def test_find_details_agrees_with_analyse() -> None:
    text = "Android 13, updater 7.9.1: I upload a bundle, kill the app and reopen it, still the old version"
    assert find_details(text) == analyse(text).present


# ---------------------------------------------------------------------------------------------------------------
# Steps (learned)
# ---------------------------------------------------------------------------------------------------------------
WITH_STEPS = [
    "Steps:\n- install the app from TestFlight\n- upload a new bundle\n- open the app twice",
    "1. build the app\n2. run it on a simulator\n3. call setChannel('beta')",
    "I'm calling `await CapacitorUpdater.set({ id: bundle.id })` right after download",
    "j'upload le bundle, je ferme l'app et je la rouvre : toujours l'ancienne version",
    "Ich habe das Bundle hochgeladen und die App neu gestartet, aber nichts passiert",
    "ho caricato il bundle e poi ho riavviato l'app ma niente",
    "subí el bundle, cerré la app y la volví a abrir, sigue igual",
    "subi o bundle novo, fechei o app e abri de novo e nada",
    "aku upload bundle terus tutup aplikasi, pas dibuka lagi masih versi lama",
    "我上传了新版本，然后重启 app，还是旧版本",
    "dopo aver caricato il bundle l'app su android resta bianca",
    "setelah upload bundle, aplikasi di android blank",
    "上传后 iOS 上白屏",
]
WITHOUT_STEPS = [  # bare symptoms and conditions are not steps
    "the app crashes when it updates",
    "updates stopped working yesterday",
    "la app se queda en blanco después de actualizar",
    "upload bundle gagal terus",
    "the plugin does not apply the bundle, help",
    "Electron build doesn't get updates",
    "it worked on 6.x but fails on 7.x",
    "on iPadOS it never downloads",
]


def test_steps_accuracy() -> None:
    hits = ["steps" in find_details(t) for t in WITH_STEPS]
    hits += ["steps" not in find_details(t) for t in WITHOUT_STEPS]
    # shipped n-gram model: 16/21 = 0.76 (all 8 without steps right; 8/13 with steps)
    assert _share(hits) >= 0.71


# ---------------------------------------------------------------------------------------------------------------
# Intent (learned)
# ---------------------------------------------------------------------------------------------------------------
CHITCHAT_MESSAGES = [
    "bonjour à tous 👋",
    "Hallo zusammen!",
    "olá pessoal, tudo bem?",
    "大家好",
    "merci pour ton aide !",
    "grazie, ora funziona!",
    "makasih banyak gan, udah bisa",
    "好的，谢谢",
    "jajajaja",
    "wkwkwk",
    "😂😂😂",
    "Nous recrutons un développeur mobile Ionic/Capacitor à Lyon, envoyez-moi un MP",
    "Estamos contratando dev mobile React Native/Capacitor, remoto. Interessados chamem no privado",
    "Thanks for reporting, this is fixed in 7.43.0. Can you upgrade and let us know?",
    "Danke für die Meldung! Ist in 7.50.1 behoben, kannst du bitte updaten und Bescheid geben?",
    "感谢反馈，已在 7.48.0 修复，请更新后确认",
    "what version of the plugin are you using?",
    "can you share your capacitor.config.ts?",
    "tu peux m'envoyer ton app id en DM ?",
    "have you tried running npx cap sync after the build?",
    "versuch mal die App komplett neu zu installieren",
    "coba hapus cache terus build ulang",
    "had the same issue, upgrading to the latest cli fixed it for me",
    "never mind, it was my fault, wrong api key 🤦",
    "ya lo solucioné, era un problema de mi config",
    "anyone around?",
    "有人吗",
    "anyone know a good hosting for strapi?",
    "qualcuno ha esperienza con il nuovo iPhone 16? vale la pena?",
    "why did the developer go broke? because he used up all his cache",
    "🚀 Capgo CLI 8.2 is out with faster uploads, changelog in #announcements",
    "Happy new year everyone 🎉",
    "https://github.com/Cap-go/capgo/issues/1234",
    "how's everyone doing today?",
    "Should be fixed in the latest version, let me know if it still happens",
    "does anyone here use windsurf or cursor? which one is better?",
    # statements that ask nothing
    "ok found it",
    "I just shipped our app with capgo 🚀",
    "we use the manual mode in production",
    "Thanks for the report! Fixed in 7.41.2, could you update and confirm? The refund is on its way.",
]
QUESTIONS = [
    "how do I enable delta updates from the CLI?",
    "comment désactiver l'auto update pour un channel ?",
    "¿se puede usar capgo con capacitor 5?",
    "come faccio a impostare il canale di default per ios?",
    "Wie lösche ich alte Bundles automatisch?",
    "dá pra usar o capgo com Nuxt?",
    "gimana cara rollback ke versi sebelumnya?",
    "怎么在 CI 里自动上传 bundle？",
    "Hat jemand Erfahrung mit Capgo und Nx Monorepos?",  # a poll about the product is a real question
    "wondering if capgo supports capacitor 8",
    "quelle est la différence entre next et set",
    "question about channels",
    "请问怎么关闭自动更新",
    "how do I roll back to the previous version?",
    "how do I initialise the widget?",  # no product vocabulary: the how-to phrasing is enough
    "Wie funktioniert die Verschlüsselung?",
    "You should add a GET option for updateUrl, static hosts only support GET",
    "how do I configure the rollback if the new bundle crashes at startup?",  # a hypothetical failure
    "Ich möchte meinen Account samt Daten löschen lassen.",  # a request to staff
]
BUG_REPORTS = [
    "upload keeps failing with timeout",
    "setChannel does nothing",
    "getting 401 on bundle upload",
    "mon bundle ne s'installe pas sur iOS",
    "la actualización no se aplica en iOS 17",
    "l'aggiornamento non viene applicato",
    "nach dem Update stürzt die App ab",
    "o app fecha sozinho depois da atualização",
    "aplikasi force close setelah update",
    "更新之后应用闪退",
    "users get the previous version after a restart",
    f"{FENCE}\nTypeError: CapacitorUpdater.setChannel is not a function\n{FENCE}",
    "the update is downloaded but nothing changes. why?",
    "the app crashes on startup, how do I fix it?",
    "updates don't install on android",
    "the downloaded bundle is never applied",
    f'my config:\n{FENCE}json\n{{"autoUpdate": true}}\n{FENCE}\nthe bundle is always rolled back',
    "the bundle upload fails",
]


def test_chitchat_accuracy() -> None:
    # shipped n-gram model: 25/40 = 0.625 (replies to others' questions are often taken for questions)
    assert _share([analyse(t).intent is Intent.CHITCHAT for t in CHITCHAT_MESSAGES]) >= 0.6


def test_question_accuracy() -> None:
    # shipped n-gram model: 15/19 = 0.79 (14/19 before the polite twins)
    assert _share([analyse(t).intent is Intent.QUESTION for t in QUESTIONS]) >= 0.68


def test_bug_report_accuracy() -> None:
    # shipped n-gram model: 13/18 = 0.72 (14/18 before the polite twins: the config-plus-symptom report below is now
    # chit-chat by 0.41 to 0.40; the grouped CV rows of bench quality are the measure, this list only guards against
    # a broken model)
    assert _share([analyse(t).intent is Intent.BUG_REPORT for t in BUG_REPORTS]) >= 0.7


# ---------------------------------------------------------------------------------------------------------------
# Route (learned)
# ---------------------------------------------------------------------------------------------------------------
ROUTED = [
    ("Hi, I was charged twice this month for the Maker plan, can you refund one of them?", "billing"),
    ("We need the invoice to show our company address and VAT ID, can you reissue it?", "billing"),
    ("Bonjour, mon paiement a été refusé alors que ma carte est valide, que faire ?", "billing"),
    ("Me cobraron después de cancelar la suscripción, ¿me pueden devolver el dinero?", "billing"),
    ("Können wir per Überweisung zahlen? Unsere Buchhaltung akzeptiert keine Kreditkarten.", "billing"),
    ("能开发票吗？公司报销需要", "billing"),
    ("I lost access to the email I signed up with, how can I get back into my account?", "account"),
    ("please delete my account and all associated data (GDPR request)", "account"),
    ("Je voudrais changer l'adresse e-mail de mon compte", "account"),
    ("¿Cómo transfiero la propiedad de la organización a otro usuario? me voy de la empresa", "account"),
    ("Quero excluir minha conta e todos os dados", "account"),
    ("我想注销账号", "account"),
    ("can you move my app from my personal org to the company org?", "account"),
    ("is capgo down? dashboard won't load for me and my colleagues", "incident"),
    ("la API devuelve 502 a todo el equipo desde hace 20 minutos", "incident"),
    ("Gibt es gerade eine Störung? Uploads schlagen bei uns allen fehl", "incident"),
    ("capgo 服务是不是挂了？我们整个团队都上传不了", "incident"),
    ("We're an Enterprise customer and need to open a support ticket, production updates are broken", "escalate"),
    ("Somos clientes de pago (plan Team) y necesitamos hablar con soporte urgentemente", "escalate"),
    ("Wir sind zahlender Kunde (Team-Plan), bitte eröffnet ein Support-Ticket, das ist dringend", "escalate"),
    ("can you debug our angular app? the router breaks after login, I can share the repo", "out_of_scope"),
    ("¿pueden revisar nuestro código de Vue? tenemos una fuga de memoria", "out_of_scope"),
    ("vocês podem corrigir o nosso backend em Node? o endpoint de login dá timeout", "out_of_scope"),
    ("can you patch the third-party camera plugin we use? it crashes on android 14", "out_of_scope"),
    ("can you debug why our vue app freezes when we open the settings page?", "out_of_scope"),
    ("tolong bantu perbaiki bug di pustaka pihak ketiga yang kami pakai", "out_of_scope"),
]
NOT_ROUTED = [
    "how does MAU billing work?",
    "where do I download my invoices?",
    "how do I upgrade to the Team plan?",
    "does capgo switch my plan automatically when I go over the limit?",
    "what happens if we cancel, do the apps keep working?",
    "is capgo GDPR compliant?",
    "can I have multiple orgs with one account?",
    "the update is not applied for all my users on android",
    "upload fails with 500 Internal Server Error",
    "is there a status page?",
    "The CLI says: `please contact support if the issue persists`. Upload fails every time.",
    "after I changed the email of my account the CLI login fails",
    "the invoice page in the dashboard shows a blank screen",
    "can you add support for HarmonyOS?",
    "our enterprise app needs SSO, is it supported?",
    "Thanks for the report! Fixed in 7.41.2, could you update and confirm? The refund is on its way.",
]


def test_route_accuracy() -> None:
    # shipped n-gram model: 21/26 = 0.81
    assert _share([analyse(t).route == route for t, route in ROUTED]) >= 0.76


def test_no_route_accuracy() -> None:
    # shipped n-gram model: 12/16 = 0.75
    assert _share([analyse(t).route is None for t in NOT_ROUTED]) >= 0.68


# ---------------------------------------------------------------------------------------------------------------
# Features of the learned models
# ---------------------------------------------------------------------------------------------------------------
def test_feature_ids_are_deterministic_sorted_unique_and_in_range() -> None:
    text = "mon bundle ne s'installe pas sur iOS 17 après `npx cap sync`\n```\nE/Capgo: failed\n```"
    ids = feature_ids(text, title="Mise à jour")
    assert ids.dtype == np.int64
    assert ids.size > 50
    assert np.array_equal(ids, feature_ids(text, title="Mise à jour"))
    assert np.all(np.diff(ids) > 0)  # sorted, unique
    assert ids.min() >= 0 and ids.max() < 2**HASH_BITS
    assert not np.array_equal(ids, feature_ids(text))  # the title is read (and flagged)
    assert feature_ids("").size > 0  # flags only: language, length, no words


def _feature_id(name: str) -> int:
    return zlib.crc32(name.encode("utf-8")) & ((1 << HASH_BITS) - 1)


def test_glossary_terms_carry_french_words_to_english() -> None:
    text = "la mise à jour ne marche pas"
    terms = default_vocabulary().translate_terms(text, "fr")
    update = next(t for t in terms if "update".startswith(t))  # glossary terms are stemmed ("updat")
    strings = feature_strings(text, ["lang:fr"], terms)
    assert f"t:{update}" in strings
    assert "f:lang:fr" in strings and "w:mise" in strings and "b:a jour" in strings and "c: mi" in strings
    assert _feature_id(f"t:{update}") in set(feature_ids(text).tolist())
    assert _feature_id(f"t:{update}") not in set(feature_ids("la page ne marche pas").tolist())


def test_embedding_text_is_title_and_prose_without_code_or_urls() -> None:
    text = f"it fails, see https://example.com/x\n{FENCE}\nconst a = 1\n{FENCE}\nand then nothing"
    got = embedding_text(text, title="Upload broken")
    assert got.startswith("Upload broken\n\nit fails, see")
    assert "example.com" not in got and "const a" not in got and got.endswith("and then nothing")
    assert len(embedding_text("word " * 1000)) <= 600


PLAIN_QUESTION = "how do I set up end-to-end encryption for my bundles? we use the cloud"


@pytest.mark.parametrize(
    "formatted",
    [
        "**how do I set up end-to-end encryption for my bundles?** we use the cloud",
        "how do I set up *end-to-end* encryption for my __bundles__? ~~we use the cloud~~",
        "# how do I set up end-to-end encryption for my bundles?\n-# we use the cloud",
        "> how do I set up end-to-end encryption for my bundles?\n>>> we use the cloud",
        "how do I set up ||end-to-end encryption|| for my _bundles_? we use the cloud",
        "how do I set up end-to-end encryption for my bundles??!? we use the cloud",
    ],
)
def test_discord_formatting_does_not_change_what_a_message_means(formatted: str) -> None:
    plain = analyse(PLAIN_QUESTION)
    got = analyse(formatted)
    assert " ".join(embedding_text(formatted).split()) == PLAIN_QUESTION
    assert np.array_equal(feature_ids(formatted), feature_ids(PLAIN_QUESTION))
    assert (got.lang, got.intent, got.route, got.missing) == (plain.lang, plain.intent, plain.route, plain.missing)


def test_a_masked_link_keeps_its_text() -> None:
    linked = "how do I set up [end-to-end encryption](<https://capgo.app/docs/x>) for my bundles? we use the cloud"
    assert " ".join(embedding_text(linked).split()) == PLAIN_QUESTION


def test_strip_formatting_keeps_code_blocks_and_is_idempotent() -> None:
    text = f"**upload fails**\n> see below\n{FENCE}\n*** Terminating app\n> not a quote\n{FENCE}\n_thanks_"
    once = strip_formatting(text)
    assert once == f"upload fails\nsee below\n{FENCE}\n*** Terminating app\n> not a quote\n{FENCE}\nthanks"
    assert strip_formatting(once) == once


def test_a_bold_question_is_triaged_as_the_plain_one(engine: TriageEngine, now: datetime) -> None:
    question = "How do I configure the widget update channel?"
    plain = engine.triage(question, now=now)
    bold = engine.triage(f"**{question}**", now=now)
    assert plain.search.matches, "the test docs answer this question"
    assert [(m.url, m.score) for m in bold.search.matches] == [(m.url, m.score) for m in plain.search.matches]
    assert bold.decision.action is plain.decision.action


def test_formatting_marks_inside_code_and_identifiers_are_kept() -> None:
    text = "glob `**/*.js` and reset_when_update, not a * b"
    assert embedding_text(text) == text
    assert embedding_text("*/5 * * * * cron and 2 * 3") == "*/5 * * * * cron and 2 * 3"


# ---------------------------------------------------------------------------------------------------------------
# Analyser: semantic models with an encoder, n-gram models without
# ---------------------------------------------------------------------------------------------------------------
class FakeEncoder:
    """A sentence encoder that returns one fixed unit vector and records what it was asked to encode."""

    def __init__(self, dimensions: int) -> None:
        self.dimensions = dimensions
        self.vector = np.zeros(dimensions, np.float32)
        self.vector[0] = 1.0
        self.seen: list[str] = []

    def encode(self, text: str) -> np.ndarray:
        self.seen.append(text)
        return self.vector


def _always_semantic(models: ModelSet) -> ModelSet:
    """The shipped models without the cascade, so the encoder is consulted for every message."""
    return ModelSet(models.models, {k: v for k, v in models.meta.items() if k != "cascade"})


def test_analyser_with_an_encoder_uses_the_semantic_models() -> None:
    models = load_models()
    dense = models["intent+sem"].dense
    assert dense is not None
    encoder = FakeEncoder(dense.shape[0])
    analyser = Analyser(_always_semantic(models), encoder=encoder)
    assert analyser.semantic
    assert analyser.intent_model is models["intent+sem"]
    assert analyser.route_model is models["route+sem"]
    assert analyser.steps_model is models["steps+sem"]
    text = "the widget crashes every time I open the app, no idea why"
    a = analyser.analyse(text, title="Widget crashes")
    assert encoder.seen == [embedding_text(text, title="Widget crashes")]
    assert a.signals[1].endswith(", semantic)")
    expected = models["intent+sem"].probabilities(feature_ids(text, title="Widget crashes"), encoder.vector)
    assert a.intent_probabilities == pytest.approx(expected)
    assert a.intent_probabilities != pytest.approx(analyse(text, title="Widget crashes").intent_probabilities)
    assert a.present & STRUCTURAL == analyse(text, title="Widget crashes").present & STRUCTURAL


def test_analyser_without_an_encoder_uses_the_ngram_models() -> None:
    models = load_models()
    analyser = Analyser(models)
    assert not analyser.semantic
    assert analyser.intent_model is models["intent"]
    assert analyser.route_model is models["route"]
    assert analyser.steps_model is models["steps"]
    text = "la actualización no se aplica en iOS 17"
    a = analyser.analyse(text)
    assert a.signals[1].endswith(", n-gram)")
    assert a.intent_probabilities == pytest.approx(models["intent"].probabilities(feature_ids(text)))
    assert a == default_analyser().analyse(text)


def test_analyser_falls_back_when_the_artefact_has_no_semantic_models() -> None:
    models = load_models()
    ngram_only = ModelSet({k: m for k, m in models.models.items() if not k.endswith("+sem")}, models.meta)
    encoder = FakeEncoder(8)
    analyser = Analyser(ngram_only, encoder=encoder)
    assert not analyser.semantic
    analyser.analyse("the widget crashes every time I open the app, no idea why")
    assert encoder.seen == []


def test_route_threshold_override() -> None:
    text = "we were charged twice this month, please refund one payment"
    assert Analyser(load_models(), route_threshold=0.0).analyse("hello there").route is not None
    assert Analyser(load_models(), route_threshold=1.01).analyse(text).route is None


# ---------------------------------------------------------------------------------------------------------------
# Performance (generous bound: the bench reports the real figure)
# ---------------------------------------------------------------------------------------------------------------
def test_analyse_is_fast() -> None:
    texts = CHITCHAT_MESSAGES * 3
    analyse("warm up the language model")
    start = time.perf_counter()
    for text in texts:
        analyse(text)
    mean_ms = (time.perf_counter() - start) / len(texts) * 1000
    assert mean_ms < 5.0


@pytest.mark.parametrize(
    ("text", "addressed"),
    [
        ("@kev you have to bump the version first", True),
        ("<@123456789> you forgot notifyAppReady", True),
        ("<@!123456789>, try this", True),
        ("@小王 你 notifyAppReady 调用太晚了", True),
        ("@lena: das liegt am Kanal", True),
        ("<@&4242> our app is down", False),  # a role: said to the team
        ("@everyone new release", False),
        ("@capgo/cli 7.0 upload fails", False),  # an npm scope
        ("@capgo/capacitor-updater@8.46.0 crashes on Android 10", False),
        ("thanks @kev, that fixed it", False),  # a mention later in the message
        ("how do I initialise the widget?", False),
    ],
)
def test_a_message_opening_with_a_member_mention_is_said_to_that_member(text: str, addressed: bool) -> None:
    assert is_addressed(text) is addressed
    assert analyse(text).addressed is addressed


def test_chit_chat_gate_from_the_artefact_holds_back_a_route() -> None:
    shipped = load_models()
    text = "I was charged twice this month, please refund one of the payments"
    plain = Analyser(ModelSet(shipped.models, {**shipped.meta, "chat_gate": None}))
    assert plain.analyse(text).route == "billing"
    # A gate that applies to every message (P(chit-chat) >= 0) and asks for more than certainty routes nothing.
    closed = Analyser(ModelSet(shipped.models, {**shipped.meta, "chat_gate": {"chitchat": 0.0, "route": 1.01}}))
    assert closed.analyse(text).route is None
    # An explicit route threshold (tests, calibration) is that threshold alone.
    explicit = Analyser(ModelSet(shipped.models, {**shipped.meta, "chat_gate": {"chitchat": 0.0, "route": 1.01}}),
                        route_threshold=0.5)  # fmt: skip
    assert explicit.analyse(text).route == "billing"
