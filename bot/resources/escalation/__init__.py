"""Localised texts of the official-support escalation, one TOML file per language (loaded by bot.core.resources)."""
