"""Domain glossary and stopwords, one TOML file per language (loaded by bot.core.resources)."""
