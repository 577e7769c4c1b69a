"""Page vectors for the semantic re-ranker: one e5 passage embedding per docs page and one per section, cached.

Embedding the 513 pages and 6,906 section passages of the docs site takes about 11 minutes on two cores, so vectors are
cached in an npz file keyed by (encoder name, sha256 of the passage text): a restart re-embeds only the passages
that changed. The bot
starts with the lexical re-ranker and attaches the vectors when they are ready (:func:`attach_in_background`);
the command line and the benchmarks compute them synchronously (:func:`attach`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from bot.core.index import DocIndex

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_CACHE = ROOT / ".cache" / "page-vectors.npz"
CHUNK = 32  # pages embedded between two cache saves (an interrupted build keeps its progress)


class PassageEncoder(Protocol):
    """What the cache needs of an encoder (see :class:`bot.services.semantic.E5Encoder`)."""

    name: str
    dimensions: int

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        """Embeddings of documents, shape (n, dimensions)."""
        ...


def text_key(text: str) -> str:
    """The cache key of one text: sha256 of its UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class VectorCache:
    """Text hash -> vector of one encoder, persisted in an npz file (no pickles)."""

    def __init__(self, path: Path, encoder_name: str, dimensions: int) -> None:
        self.path = path
        self.encoder_name = encoder_name
        self.dimensions = dimensions
        self.vectors: dict[str, np.ndarray] = {}
        self._load()

    def _load(self) -> None:
        try:
            with np.load(self.path, allow_pickle=False) as data:
                if str(data["encoder"]) != self.encoder_name or data["vectors"].shape[1:] != (self.dimensions,):
                    log.info("page vectors: %s was built by another encoder; rebuilding", self.path)
                    return
                keys = (str(k) for k in data["keys"])
                # One float32 matrix whose rows the dict views (no per-row copies, no second copy of the file).
                matrix = np.asarray(data["vectors"], dtype=np.float32)
                self.vectors = dict(zip(keys, matrix, strict=True))
        except FileNotFoundError:
            return
        except (OSError, KeyError, ValueError) as exc:
            log.warning("page vectors: unreadable cache %s (%s); rebuilding", self.path, exc)

    def save(self, keep: Sequence[str] | None = None) -> None:
        """Write the cache atomically (only the `keep` keys when given: pages gone from the docs are dropped)."""
        keys = [k for k in (keep if keep is not None else self.vectors) if k in self.vectors]
        matrix = np.vstack([self.vectors[k] for k in keys]) if keys else np.zeros((0, self.dimensions), np.float32)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(self.path.name + f".{os.getpid()}.tmp.npz")
        np.savez(partial, encoder=np.array(self.encoder_name), keys=np.array(keys, dtype=str), vectors=matrix)
        os.replace(partial, self.path)

    def missing(self, texts: Sequence[str]) -> list[str]:
        """The distinct texts of `texts` that have no cached vector, in order."""
        return [t for t in dict.fromkeys(texts) if text_key(t) not in self.vectors]


@dataclass(frozen=True, slots=True)
class EmbeddedPages:
    """The passage vectors of the docs pages: one per page summary, and one per section (with its page's URL)."""

    urls: tuple[str, ...]
    matrix: np.ndarray
    section_urls: tuple[str, ...]
    section_matrix: np.ndarray


def embed_pages(
    summaries: Mapping[str, str],
    encoder: PassageEncoder,
    cache_path: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    sections: Mapping[str, Sequence[str]] | None = None,
) -> EmbeddedPages:
    """Embed the page summaries, then the `sections` passages (page URL -> passages), only the texts absent from
    the cache (one cache for both: a text is a text); with `sections`, texts no page uses any more are dropped from
    it (without sections, nothing is dropped)."""
    cache = VectorCache(cache_path or DEFAULT_CACHE, encoder.name, encoder.dimensions)
    full, sections = bool(sections), sections or {}
    section_pairs = [(url, text) for url, texts in sections.items() for text in texts]
    texts = [*summaries.values(), *(text for _, text in section_pairs)]
    todo = cache.missing(texts)
    for start in range(0, len(todo), CHUNK):
        chunk = todo[start : start + CHUNK]
        vectors = np.asarray(encoder.encode_passages(chunk), dtype=np.float32)
        for text, vector in zip(chunk, vectors, strict=True):
            cache.vectors[text_key(text)] = vector
        cache.save()
        if progress is not None:
            progress(min(start + CHUNK, len(todo)), len(todo))
    keys = [text_key(t) for t in texts]
    # Only a build that names the sections knows every text in use: a summaries-only call (a probe, a test) must not
    # drop the section vectors, which take minutes to embed again.
    if full and (todo or len(cache.vectors) != len(set(keys))):
        cache.save(keep=keys)

    def stack(chosen: Sequence[str]) -> np.ndarray:
        if not chosen:
            return np.zeros((0, encoder.dimensions), np.float32)
        return np.vstack([cache.vectors[text_key(t)] for t in chosen])

    return EmbeddedPages(
        tuple(summaries),
        stack(list(summaries.values())),
        tuple(url for url, _ in section_pairs),
        stack([text for _, text in section_pairs]),
    )


def stderr_progress(done: int, total: int) -> None:
    """Progress line on stderr for the synchronous build."""
    sys.stderr.write(f"\rEmbedding docs pages for the semantic re-ranker: {done}/{total}")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def attach(
    index: DocIndex,
    summaries: Mapping[str, str],
    encoder: PassageEncoder,
    cache_path: Path | None = None,
    progress: Callable[[int, int], None] | None = stderr_progress,
    sections: Mapping[str, Sequence[str]] | None = None,
) -> None:
    """Compute (or load) the page and section vectors now and attach them to the index (command line,
    benchmarks). The semantic re-ranker needs the sections' too: without `sections` the index stays lexical."""
    started = time.perf_counter()
    pages = embed_pages(summaries, encoder, cache_path, progress, sections)
    index.attach_page_vectors(
        pages.urls,
        pages.matrix,
        encoder.name,
        section_urls=pages.section_urls if sections else None,
        section_matrix=pages.section_matrix if sections else None,
    )
    log.info(
        "page vectors attached: %d pages, %d sections in %.1f s",
        len(pages.urls),
        len(pages.section_urls),
        time.perf_counter() - started,
    )


def attach_in_background(
    index: DocIndex,
    summaries: Mapping[str, str],
    encoder: PassageEncoder,
    cache_path: Path | None = None,
    sections: Mapping[str, Sequence[str]] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> threading.Thread:
    """Start a daemon thread that builds the page vectors and attaches them; the index stays lexical until then.
    `progress` (passages embedded, passages to embed) is called from that thread after each chunk."""

    def run() -> None:
        try:
            attach(index, summaries, encoder, cache_path, progress=progress, sections=sections)
        except Exception:  # a failed build must not take the bot down: it keeps the lexical re-ranker
            log.exception("page vectors: build failed; the re-ranker stays lexical")

    thread = threading.Thread(target=run, name="page-vectors", daemon=True)
    thread.start()
    return thread
