"""The vocabularies are defined once (bot/core/vocabulary.py); every other name for them is the same object."""

import pytest

from bot.core import analysis, eligibility, faq, vocabulary
from bot.core.vocabulary import (
    DETAILS,
    LANGS,
    OPEN_CATEGORIES,
    POLICY_REPLY_ROUTES,
    REQUEST_CATEGORIES,
    ROUTES,
    TECHNICAL_CATEGORIES,
    Intent,
    RequestCategory,
    Route,
)
from bot.settings import load_settings


def test_values_are_the_stable_strings() -> None:
    assert LANGS == ("en", "fr", "es", "it", "de", "pt", "id", "zh")
    assert DETAILS == ("error", "code", "versions", "platform", "steps")
    assert ROUTES == ("billing", "account", "out_of_scope", "incident", "escalate")
    assert [i.value for i in Intent] == ["question", "bug_report", "chitchat", "other"]
    assert REQUEST_CATEGORIES == (
        "live_updates",
        "app_management",
        "analytics",
        "configuration",
        "troubleshooting",
        "billing",
        "account",
    )
    assert all(type(value) is str for value in (*ROUTES, *REQUEST_CATEGORIES, *TECHNICAL_CATEGORIES))


def test_enumerations_compare_as_their_strings() -> None:
    assert Route.OUT_OF_SCOPE == "out_of_scope" and f"route.{Route.INCIDENT}" == "route.incident"
    assert {"billing": 1}[RequestCategory.BILLING] == 1
    assert set(POLICY_REPLY_ROUTES) == set(ROUTES) - {Route.INCIDENT, Route.ESCALATE}


def test_technical_and_open_categories_partition_the_request_categories() -> None:
    assert set(TECHNICAL_CATEGORIES) | OPEN_CATEGORIES == set(REQUEST_CATEGORIES)
    assert set(TECHNICAL_CATEGORIES) & OPEN_CATEGORIES == set()
    assert frozenset({"billing", "account"}) == OPEN_CATEGORIES


@pytest.mark.parametrize("brand", ["capgo", "codepushgo"])
def test_brand_profiles_cover_technical_categories_only(brand: str) -> None:
    policy = load_settings({"BRAND": brand}, env_file=None).policy
    assert set(policy.covered_categories) <= set(TECHNICAL_CATEGORIES)
    assert set(policy.covered_categories) == set(TECHNICAL_CATEGORIES)  # the support policy covers them all


def test_every_other_name_is_the_same_object() -> None:
    assert faq.LANGS is analysis.LANGS is vocabulary.LANGS
    assert analysis.ROUTES is ROUTES and analysis.DETAILS is DETAILS and analysis.Intent is Intent
    assert eligibility.REQUEST_CATEGORIES is REQUEST_CATEGORIES and eligibility.OPEN_CATEGORIES is OPEN_CATEGORIES


def test_the_benchmarks_and_the_sandbox_use_the_vocabulary() -> None:
    from bench import dataset, quality, train_rerank
    from sandbox import validation

    assert dataset.ROUTES is ROUTES and dataset.DETAILS is DETAILS
    assert quality.LANGS is LANGS and train_rerank.LANGS is LANGS
    assert validation.CATEGORIES is REQUEST_CATEGORIES
