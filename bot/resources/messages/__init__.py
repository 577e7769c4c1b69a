"""Localised texts of the bot's replies, one TOML file per language (loaded by bot.core.resources)."""
