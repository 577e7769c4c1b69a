"""A py3langid identifier restricted to the 8 community languages, loaded from a compact model file.

py3langid's own model covers 97 languages (~0.5 s and ~100 MB of peak memory to load); `data/langid8.npz`
keeps the same feature automaton and only our 8 class columns (see scripts/build_langid_model.py).
"""

from __future__ import annotations

import functools
import logging
from array import array
from pathlib import Path

import numpy as np
from py3langid.langid import LanguageIdentifier

log = logging.getLogger(__name__)

MODEL_PATH = Path(__file__).resolve().parent / "data" / "langid8.npz"


@functools.cache
def load_identifier(path: Path = MODEL_PATH) -> LanguageIdentifier:
    """Return the restricted identifier (normalised probabilities), built once per process."""
    with np.load(path, allow_pickle=False) as data:
        identifier = LanguageIdentifier(
            np.asarray(data["ptc"]),
            np.asarray(data["pc"]),
            data["classes"].tolist(),
            # The transition table stays a numpy array: converting it to array('I') as py3langid does would
            # hold a second 40 MB copy at start-up, for ~10% faster lookups we do not need.
            data["nextmove"],
            # The per-state tables as stdlib arrays (py3langid's own type for tk_row), not lists: a list of
            # 104,583 Python ints is 4 MB where array('H') is 0.2 MB and array('i') 0.4 MB, with the same lookups.
            array("i", data["out_feat"].astype(np.int32).tobytes()),
            norm_probs=True,
            tk_row=array("H", data["nextmove_row"].astype(np.uint16).tobytes()),
        )
    log.debug("language model loaded from %s", path)
    return identifier
