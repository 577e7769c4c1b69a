"""Triage assistant for a product's community Discord."""

import os

# NumPy's OpenBLAS starts a thread per core for a matrix-vector product of a few thousand rows (the docs' section
# vectors) and keeps them spinning after it returns, where they compete with the sentence encoder's OpenMP threads
# on the same cores: measured on 2 cores, triage with SEMANTIC=on took 53 ms a message instead of 21. The bot's
# matrices are small, so one BLAS thread loses nothing. Set before NumPy is first imported (an operator's own
# OPENBLAS_NUM_THREADS wins); bot/core/index.py also keeps its largest product off BLAS.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
