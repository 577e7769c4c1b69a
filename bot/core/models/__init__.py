"""Trained model artefacts (written by `python3 dev.py train`)."""
