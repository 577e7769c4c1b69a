"""A py3langid identifier restricted to the 8 community languages, loaded from a compact model file.

py3langid's own model covers 97 languages (~0.5 s and ~100 MB of peak memory to load); `data/langid8.npz`
keeps the same feature automaton and only our 8 class columns (see scripts/build_langid_model.py).
"""

from __future__ import annotations

import functools
import logging
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
            data["out_feat"].tolist(),
            norm_probs=True,
            tk_row=data["nextmove_row"].tolist(),
        )
    log.debug("language model loaded from %s", path)
    return identifier
