"""The triage pipeline: analyse a message, search the index, decide, render. Pure apart from the index build."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.core.analysis import (
    Analyser,
    Analysis,
    Encoder,
    Intent,
    default_analyser,
    embedding_text,
    empty_title,
    readable,
)
from bot.core.decision import Action, Decision, DecisionSettings, Incident, Role, ThreadState, decide
from bot.core.docs import DocPage, DocsFormatError, load_docs_folder, page_summary, section_passages
from bot.core.faq import FaqEntry, load_faq_folder
from bot.core.index import DocIndex, SearchResult
from bot.core.render import RenderContext, neutralise_mentions, render_decision
from bot.core.rerank import MIN_PAGES as RERANK_MIN_PAGES
from bot.core.rerank import load_optional as load_reranker

#: @here / @everyone ping a channel; they say nothing about the message ("@here is capgo down?" is "is capgo down?")
_BROADCAST_MENTION_RE = re.compile(r"(?<![\w<])@(?:here|everyone)\b[,:]?\s*")
MAX_MESSAGE_CHARS = 20_000  # longer input (a pasted log) is cut before analysis: Discord allows 4,000 anyway
#: Which messages get a query vector for the semantic re-ranker when the analyser's cascade skipped the encoder
#: (TriageEngine._needs_vector; always only answerable messages: question or bug report, no policy route).
#: Measured (grouped 5-fold CV of the 370 train+validation questions, `python -m bench.train_rerank --cv-only
#: --gates`; cost over the 200 dev messages x 2 rounds, engine as `build_engine` makes it, on the shared 2-core box):
#:
#: | rule    | right page first | top 3 | answered @0.70 | precision @0.70 | encoder calls/msg | mean ms | p99 ms |
#: |---------|------------------|-------|----------------|-----------------|-------------------|---------|--------|
#: | cascade | 0.705            | 0.873 | 0.38           | 0.866           | 0.32              | 13-14   | 73-82  |
#: | non_en  | 0.727            | 0.892 | 0.47           | 0.884           | 0.55              | 17-18   | 72-79  |
#: | band    | 0.705            | 0.878 | 0.47           | 0.884           | 0.65              | 26      | 113    |
#: | always  | 0.727            | 0.892 | 0.48           | 0.875           | 0.82              | 52-58   | 1,000+ |
#:
#: "non_en" gets all of what "always" gets (the English questions the cascade did not embed rank the same with or
#: without a vector: both rules reach 0.727 / 0.892) for +4 ms mean and no p99 change; "band" (a second, semantic
#: search when the lexical confidence is in GATE_BAND) costs more and gains less. "cascade" (never compute) is the
#: choice when latency matters most.
#:
#: Measured again with the section vectors and semantic neighbours (same commands; cost with OpenBLAS threads off,
#: 200 dev messages x 2 rounds): cascade 0.732 / 0.892, 0.43 answered at 0.873; non_en 0.754 / 0.914, 0.55 at 0.906,
#: 0.61 calls, 19.6 ms mean, 78 ms p99; always 0.762 / 0.911, 0.56 at 0.914, 0.84 calls, 27.7 ms, 95 ms. English now
#: gains a little from a vector (+0.008 first, 3 questions of 370), not enough for +41% time: non_en stays.
GATE_RULES = ("cascade", "non_en", "band", "always")
GATE_RULE = "non_en"
GATE_BAND = (0.30, 0.85)  # "band": lexical confidence in which a second, semantic search is worth ~20 ms


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
            "intent_probabilities": {k: round(v, 4) for k, v in self.analysis.intent_probabilities.items()},
            "route_probability": self.analysis.route_probability,
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
        encoder: Encoder | None = None,
        gate: str = GATE_RULE,
    ) -> None:
        self.index = index
        self.render_context = render_context
        self.settings = settings
        self.analyser = analyser or default_analyser()
        self.encoder = encoder  # computes a query vector the analyser's cascade skipped (see _needs_vector)
        if gate not in GATE_RULES:
            raise ValueError(f"gate must be one of {GATE_RULES}, got {gate!r}")
        self.gate = gate
        self.page_summaries: dict[str, str] = {}  # page URL -> summary text embedded as its page vector
        self.page_sections: dict[str, tuple[str, ...]] = {}  # page URL -> its sections' passages (section vectors)

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
        engine = cls(index, RenderContext(placeholders, docs_base_url, docs_locales), settings)
        # What the page vectors are computed from (the index releases page texts): the composition root embeds
        # them, ahead or in the background, and attaches them to the index (bot/services/page_vectors.py).
        engine.page_summaries = {page.url: page_summary(page) for page in pages}
        engine.page_sections = {page.url: section_passages(page) for page in pages}
        return engine

    @property
    def uses_encoder(self) -> bool:
        """Whether triage may call the sentence encoder (~20 ms): callers run it off their event loop then."""
        return self.analyser.encoder is not None or self.encoder is not None

    @property
    def wants_page_vectors(self) -> bool:
        """Whether page vectors would be used: a semantic re-ranker, an encoder, and none attached yet."""
        reranker = self.index.reranker
        return (
            self.encoder is not None
            and reranker is not None
            and reranker.semantic is not None
            and self.index.page_vectors is None
            and bool(self.page_summaries)
        )

    def _needs_vector(self, analysis: Analysis, lexical: SearchResult | None) -> bool:
        """Whether to embed a message the analyser did not embed, for the semantic re-ranker (~20 ms).

        Only messages the bot could answer (a question or bug report, no policy route) are considered; the rule is
        `self.gate` (default GATE_RULE; the measurements behind it are in the comment above GATE_RULES).
        """
        if analysis.route is not None or analysis.intent not in (Intent.QUESTION, Intent.BUG_REPORT):
            return False
        if self.gate == "always":
            return True
        if self.gate == "non_en":
            return analysis.lang != "en"
        if self.gate == "band" and lexical is not None and lexical.best is not None:
            return GATE_BAND[0] <= lexical.best.score < GATE_BAND[1]
        return False

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
        text = readable(_BROADCAST_MENTION_RE.sub("", text[:MAX_MESSAGE_CHARS]))
        if empty_title(title):  # "Help!" over a post: its words would weigh as the topic
            title = None
        analysis = self.analyser.analyse(text, title=title, lang_hint=lang_hint)
        vector = analysis.vector
        search = None
        if vector is None and self.encoder is not None and self.gate != "cascade" and self.index.semantic_ready:
            lexical = self.index.search(text, analysis.lang, title=title) if self.gate == "band" else None
            if self._needs_vector(analysis, lexical):
                vector = self.encoder.encode(embedding_text(text, title))
            else:
                search = lexical
        if search is None:
            search = self.index.search(text, analysis.lang, title=title, vector=vector)
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
