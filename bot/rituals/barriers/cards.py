"""What a card may say: its words cleaned and checked, and its category (the seeds' barriers, or other)."""

from __future__ import annotations

import re
import unicodedata

from bot.errors import UserError
from bot.i18n import LANGUAGES, Catalog
from bot.markup import neutral

MAX_TEXT = 1000
# Step 3 of the seeds: what makes connection hard. The words for each live in prompts/<lang>/barriers.yaml.
CATEGORIES = ("fear", "bias", "trust", "isolation", "dependence", "taboo", "other")
DEFAULT_CATEGORY = "other"

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_BLANK_LINES = re.compile(r"\n{3,}")
# A card is kept as typed. That it never pings anyone, links anywhere or reorders itself when revealed is
# the renderers' work (the card is marked as user text, bot/markup.py); a zero-width space slipped in
# after "<", as before, was itself an invisible character and left links and `@everyone` untouched.


def clean_text(raw: str) -> str:
    """The card's words, or a UserError naming what to fix. Never logs or echoes the text."""
    text = unicodedata.normalize("NFC", raw or "").replace("\r\n", "\n").replace("\r", "\n")
    text = neutral(_CONTROL.sub("", text.replace("\t", " ")))
    text = _BLANK_LINES.sub("\n\n", text).strip()
    if not text:
        raise UserError("barriers.error.empty")
    if len(text) > MAX_TEXT:
        raise UserError("barriers.error.too_long", length=len(text), max=MAX_TEXT)
    if not any(ch.isalnum() for ch in text):
        raise UserError("barriers.error.no_words")
    return text


def parse_category(value: str | None, catalog: Catalog) -> str:
    """A category key from its key or its label in either language ("fear", "Taboo and stigma", "期待と恐れ")."""
    if value is None or not value.strip():
        return DEFAULT_CATEGORY
    wanted = unicodedata.normalize("NFKC", value).strip().casefold()
    for key in CATEGORIES:
        if wanted == key:
            return key
        for lang in LANGUAGES:
            label = catalog.raw(lang, f"barriers.category.{key}")
            if wanted == unicodedata.normalize("NFKC", label).strip().casefold():
                return key
    raise UserError("barriers.error.bad_category", value=value.strip()[:40], choices=", ".join(CATEGORIES))
