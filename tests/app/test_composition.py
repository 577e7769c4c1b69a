"""Composition: what build_deps wires, and the run-time holders (engine reloads, the persisted incident board)."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from bot.app.composition import IncidentBoard, build_deps
from bot.core.decision import Incident
from bot.core.triage import TriageEngine
from bot.services.store import SqliteStore
from bot.settings import load_settings

GUILD = 1_300_000_000_000_000_001


async def test_without_a_support_api_escalation_is_off_and_nothing_talks_to_the_network(
    tmp_path: Path, engine: TriageEngine
) -> None:
    store = await SqliteStore.open(tmp_path / "bot.db")
    try:
        deps = build_deps(load_settings({"STATUS_URL": "off"}, env_file=None), engine, store)
        assert deps.support is None and deps.outbox is None and deps.status is None
        assert deps.escalation.enabled is False
        assert deps.engine is engine
        with pytest.raises(AttributeError):
            deps.store = store  # type: ignore[misc]  # frozen: run-time state lives in the holders
    finally:
        await store.close()


async def test_with_a_support_api_the_service_and_the_outbox_share_the_client(
    tmp_path: Path, engine: TriageEngine
) -> None:
    settings = load_settings(
        {"SUPPORT_API_URL": "http://127.0.0.1:9", "SUPPORT_API_KEY": "k", "STATUS_URL": "off"}, env_file=None
    )
    store = await SqliteStore.open(tmp_path / "bot.db")
    try:
        async with aiohttp.ClientSession() as session:
            deps = build_deps(settings, engine, store, session)
            assert deps.escalation.enabled is True
            assert deps.escalation.support is deps.support and deps.escalation.outbox is deps.outbox
    finally:
        await store.close()


async def test_reload_swaps_the_engine_every_holder_reader_sees(tmp_path: Path, engine: TriageEngine) -> None:
    store = await SqliteStore.open(tmp_path / "bot.db")
    try:
        deps = build_deps(load_settings({"STATUS_URL": "off"}, env_file=None), engine, store)
        other = TriageEngine(engine.index, engine.render_context, engine.settings)
        assert deps.engines.replace(other) is engine
        assert deps.engine is other and deps.triage.engines.current is other
    finally:
        await store.close()


async def test_the_incident_board_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    store = await SqliteStore.open(path)
    board = IncidentBoard(store.incidents)
    incident = Incident("Update API degraded", "https://status.example.com/")
    assert await board.set(incident) is True
    assert await board.set(incident) is False
    await board.note_thread(42, GUILD)
    await board.note_thread(7, GUILD)
    await store.close()

    store = await SqliteStore.open(path)
    restored = IncidentBoard(store.incidents)
    await restored.restore()
    assert restored.current == incident
    assert await restored.take_notified([GUILD]) == [7, 42]
    await restored.set(None)
    await store.close()

    store = await SqliteStore.open(path)
    again = IncidentBoard(store.incidents)
    await again.restore()
    assert again.current is None and await again.take_notified([GUILD]) == []
    await store.close()


async def test_running_deps_opens_everything_and_closes_the_database(tmp_path: Path) -> None:
    from bot.app.composition import running_deps
    from bot.services.store import StoreError
    from tests.conftest import DATA

    settings = load_settings(
        {"DATABASE_PATH": str(tmp_path / "bot.db"), "FAQ_PATH": str(DATA / "faq"), "DOCS_PATH": str(DATA / "docs"),
         "STATUS_URL": "off", "SEMANTIC": "off"},
        env_file=None,
    )  # fmt: skip
    async with running_deps(settings) as deps:
        await deps.incidents.set(Incident("Update API degraded", "https://status.example.com/"))
        assert deps.engine.index.pages and deps.escalation.enabled is False
    with pytest.raises(StoreError):
        await deps.store.config.get_config(1)
    async with running_deps(settings) as again:  # the incident board as the previous run left it
        assert again.incident == Incident("Update API degraded", "https://status.example.com/")
