"""Data files shipped with the bot (read through importlib.resources)."""
