"""Message features for the learned classifiers: hashed character and word n-grams plus structural flags.

One function, :func:`hashed_features`, is used both by the training script (``bench/train.py``) and at run time, so
the two can never drift apart. Features are hashed (CRC-32, stable across processes and platforms, unlike
``hash()``) into a space of ``2**HASH_BITS`` ids; a trained model keeps only the ids it saw in training.

Character n-grams (2-4 characters, inside words padded with a space) carry most of the signal across the eight
languages: they see "factur" in "facture", "factura", "fattura", "faktur" alike, and Han text without word
boundaries. Word unigrams and bigrams add phrases ("open a ticket"). Structural flags (a fenced code block, a log
line, a version number, ...) come from rules that are precise by construction and are passed in by the caller.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Iterable
from itertools import pairwise

import numpy as np

HASH_BITS = 20
FEATURE_VERSION = 2  # bump when the featurisation changes: shipped models must then be retrained
MAX_NGRAM_CHARS = 1200  # the opening of a message says what it is; long pasted logs only add cost
_MASK = (1 << HASH_BITS) - 1
_CHAR_NGRAMS = (2, 3, 4)

_URL_RE = re.compile(r"(?:https?://|www\.)\S+")
_MENTION_RE = re.compile(r"<(?:a?:\w+:\d+|@[!&]?\d+|#\d+)>|@\w[\w.-]*")
_DIGITS_RE = re.compile(r"\d+")
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# A Han character is a word of its own (no spaces in Chinese), so word bigrams become character bigrams there.
_WORD_RE = re.compile(rf"[{_HAN}]|[^\W_{_HAN}]+(?:['’][^\W_{_HAN}]+)?|[?!¿？！]")


def normalise(text: str) -> str:
    """Lower-case, strip accents, and replace URLs, mentions and digit runs by placeholders."""
    text = _URL_RE.sub(" urlx ", text)
    text = _MENTION_RE.sub(" userx ", text)
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _DIGITS_RE.sub("0", text)


def feature_strings(text: str, flags: Iterable[str] = (), terms: Iterable[str] = ()) -> list[str]:
    """The feature names of a message (before hashing); for tests and for explaining a prediction.

    ``terms`` are English search terms of the message (its own English words and the glossary's translations of
    the others), so evidence learned from one language reaches the others.
    """
    norm = normalise(text[:MAX_NGRAM_CHARS])
    words = _WORD_RE.findall(norm)
    out = [f"f:{flag}" for flag in flags]
    out.extend(f"t:{term}" for term in terms)
    out.extend(f"w:{w}" for w in words)
    out.extend(f"b:{a} {b}" for a, b in pairwise(words))
    for word in words:
        padded = f" {word} "
        for n in _CHAR_NGRAMS:
            out.extend(f"c:{padded[i : i + n]}" for i in range(len(padded) - n + 1))
    if not words:
        out.append("f:no_words")
    return out


def hashed_features(text: str, flags: Iterable[str] = (), terms: Iterable[str] = ()) -> np.ndarray:
    """Sorted unique feature ids of a message (int64), in ``[0, 2**HASH_BITS)``."""
    ids = {zlib.crc32(s.encode("utf-8")) & _MASK for s in feature_strings(text, flags, terms)}
    return np.fromiter(sorted(ids), dtype=np.int64, count=len(ids))
