"""A py3langid identifier restricted to the 8 community languages, loaded from a compact model file.

py3langid's own model covers 97 languages (~0.5 s and ~100 MB of peak memory to load); `data/langid8.npz`
keeps the same feature automaton and only our 8 class columns (see scripts/build_langid_model.py), its transition
table in 17 bits an entry: 20 MB in memory instead of py3langid's 38.
"""

from __future__ import annotations

import functools
import logging
from array import array
from collections import Counter
from pathlib import Path

import numpy as np
from py3langid.langid import RAW_FLOOR, LanguageIdentifier

log = logging.getLogger(__name__)

MODEL_PATH = Path(__file__).resolve().parent / "data" / "langid8.npz"


class CompactIdentifier(LanguageIdentifier):  # type: ignore[misc]  # py3langid ships no type hints
    """py3langid's identifier over a transition table split in two: the low 16 bits of each next state
    (array('H')) and its 17th bit, packed eight entries to a byte. Same walk, same scores."""

    def __init__(self, *args: object, high: bytes, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.tk_high = high

    def _raw_score(self, text: bytes) -> np.ndarray:
        low, high, rowbase, out = self.tk_nextmove, self.tk_high, self._rowbase, self.tk_output
        state = 0
        found: list[int] = []
        append = found.append
        for letter in text:
            i = rowbase[state] + letter
            state = low[i] | ((high[i >> 3] >> (i & 7)) & 1) << 16
            feature = out[state]
            if feature >= 0:
                append(feature)
        if found:
            scores: np.ndarray = self._sparse_score(Counter(found), self.nb_ptc)
            return scores
        return np.full(len(self.nb_classes), 0.0 if self._norm_probs else RAW_FLOOR, dtype=np.float32)


@functools.cache
def load_identifier(path: Path = MODEL_PATH) -> LanguageIdentifier:
    """Return the restricted identifier (normalised probabilities), built once per process."""
    with np.load(path, allow_pickle=False) as data:
        identifier = CompactIdentifier(
            np.asarray(data["ptc"]),
            np.asarray(data["pc"]),
            data["classes"].tolist(),
            # Stdlib arrays, not numpy ones: indexing one element of an array('H') is several times faster.
            array("H", data["nextmove_low"].tobytes()),
            # The per-state tables as stdlib arrays (py3langid's own type for tk_row), not lists: a list of
            # 104,583 Python ints is 4 MB where array('H') is 0.2 MB and array('i') 0.4 MB, with the same lookups.
            array("i", data["out_feat"].astype(np.int32).tobytes()),
            norm_probs=True,
            tk_row=array("H", data["nextmove_row"].astype(np.uint16).tobytes()),
            high=data["nextmove_high"].tobytes(),
        )
    log.debug("language model loaded from %s", path)
    return identifier
