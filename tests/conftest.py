"""Shared fixtures: a small, stable FAQ and docs set (tests never depend on the shipped faq/ content)."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core.decision import DecisionSettings
from bot.core.triage import TriageEngine

DATA = Path(__file__).resolve().parent / "data"
PLACEHOLDERS = {
    "brand": "Widgetly",
    "site_url": "https://example.com",
    "docs_url": "https://example.com/docs/",
    "console_url": "https://console.example.com",
    "support_email": "help@example.com",
    "support_policy_url": "https://example.com/support-policy/",
    "sla_url": "https://example.com/sla/",
    "premium_support_url": "https://example.com/premium/",
    "status_url": "https://status.example.com/",
    "discord_url": "https://discord.example.com",
    "github_url": "https://github.com/example",
    "cli": "npx widget-cli",
    "plugin": "widget-plugin",
}


def build_test_engine() -> TriageEngine:
    """The engine over the small test FAQ and docs (tests never depend on the shipped content)."""
    return TriageEngine.from_folders(
        faq_path=DATA / "faq",
        docs_path=DATA / "docs",
        placeholders=PLACEHOLDERS,
        site_url="https://example.com",
        docs_base_url="https://example.com/",
        docs_locales=("fr", "de"),
        url_rule="starlight",
        settings=DecisionSettings(answer_threshold=0.5, suggest_threshold=0.3, remind_min_missing=2),
    )


@pytest.fixture(scope="session")
def engine() -> TriageEngine:
    return build_test_engine()


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any in-process attempt to resolve a host other than the loopback: tests never leave this machine."""
    import socket

    real = socket.getaddrinfo

    def guarded(host, *args, **kwargs):  # type: ignore[no-untyped-def]
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name not in ("localhost", "::1", "") and not name.startswith("127.") and host is not None:
            raise OSError(f"test tried to reach {name!r}: only the loopback is allowed")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)
