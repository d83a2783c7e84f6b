"""Pages shared by every domain: home, fonts, language, helpers for forms."""
