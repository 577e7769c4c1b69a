"""Localised labels of the Discord UI, one TOML file per language (loaded by bot.core.resources)."""
