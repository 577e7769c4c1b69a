"""The triage pipeline: analyse a message, search the index, decide, render. Pure apart from the index build."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.core.analysis import Analyser, Analysis, default_analyser
from bot.core.decision import Action, Decision, DecisionSettings, Incident, Role, ThreadState, decide
from bot.core.docs import DocPage, DocsFormatError, load_docs_folder
from bot.core.faq import FaqEntry, load_faq_folder
from bot.core.index import DocIndex, SearchResult
from bot.core.render import RenderContext, neutralise_mentions, render_decision
from bot.core.rerank import MIN_PAGES as RERANK_MIN_PAGES
from bot.core.rerank import load_optional as load_reranker

MAX_MESSAGE_CHARS = 20_000  # longer input (a pasted log) is cut before analysis: Discord allows 4,000 anyway


@dataclass(frozen=True, slots=True)
class TriageResult:
    """Everything the pipeline worked out for one message."""

    analysis: Analysis
    search: SearchResult
    decision: Decision
    reply: str  # what the user would see ('' when silent)

    def as_record(self) -> dict[str, object]:
        """Return the stable JSON shape used by `python -m bot triage` and the benchmarks."""
        d = self.decision
        return {
            "action": d.action.value,
            "lang": self.analysis.lang,
            "intent": self.analysis.intent.value,
            "missing": list(self.analysis.missing),
            "route": self.analysis.route,
            "matches": [{"url": m.url, "title": m.title, "score": m.score} for m in self.search.matches[:5]],
            "answer": d.match.url if d.action is Action.ANSWER and d.match else None,
            "confidence": d.match.score if d.match else 0.0,
            "rule": d.rule,
            "reason": d.reason,
        }


class TriageEngine:
    """Holds the index and settings; `triage()` is the one entry point for a message."""

    def __init__(
        self,
        index: DocIndex,
        render_context: RenderContext,
        settings: DecisionSettings,
        analyser: Analyser | None = None,
    ) -> None:
        self.index = index
        self.render_context = render_context
        self.settings = settings
        self.analyser = analyser or default_analyser()

    @classmethod
    def from_folders(
        cls,
        *,
        faq_path: Path | None,
        docs_path: Path | None,
        placeholders: Mapping[str, str],
        site_url: str,
        docs_base_url: str,
        docs_locales: tuple[str, ...],
        url_rule: str,
        settings: DecisionSettings,
        progress: Callable[[int, int], None] | None = None,
    ) -> TriageEngine:
        """Load FAQ and docs folders (raising on the first bad file) and build the engine."""
        entries: list[FaqEntry] = load_faq_folder(faq_path) if faq_path is not None else []
        pages: list[DocPage] = []
        if docs_path is not None:
            pages = load_docs_folder(docs_path, docs_base_url, url_rule, progress=progress)
        if not entries and not pages:
            raise DocsFormatError(str(faq_path or docs_path), 0, "nothing to index: no FAQ entries and no docs pages")
        index = DocIndex.build(pages, entries, placeholders, site_url)
        if len(pages) >= RERANK_MIN_PAGES and entries:
            # The learned re-ranker and its confidence were fitted on FAQ + a full docs site; FAQ-only or a small
            # docs folder (its pool-relative features out of range) keeps the lexical order and calibration.
            index.reranker = load_reranker()
        return cls(index, RenderContext(placeholders, docs_base_url, docs_locales), settings)

    def triage(
        self,
        text: str,
        *,
        now: datetime,
        title: str | None = None,
        lang_hint: str | None = None,
        thread: ThreadState | None = None,
        author: Role = Role.MEMBER,
        incident: Incident | None = None,
        opted_out: bool = False,
        settings: DecisionSettings | None = None,
    ) -> TriageResult:
        """Decide what the bot does with one message and render the reply."""
        text = text[:MAX_MESSAGE_CHARS]
        analysis = self.analyser.analyse(text, title=title, lang_hint=lang_hint)
        search = self.index.search(text, analysis.lang, title=title)
        decision = decide(
            analysis,
            search,
            thread=thread or ThreadState(),
            author=author,
            incident=incident,
            settings=settings or self.settings,
            now=now,
            opted_out=opted_out,
        )
        entry = None
        if decision.action is Action.ANSWER and decision.match is not None and decision.match.entry_id:
            entry = self.index.entry(decision.match.entry_id)
        reply = neutralise_mentions(render_decision(decision, self.render_context, entry))
        return TriageResult(analysis, search, decision, reply)
