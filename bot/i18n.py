"""The catalog of words: every sentence a person reads, loaded from prompts/<lang>/*.yaml.

Keys are `<file>.<path>` (`core.error.no_event`); placeholders are `{name}` and must be the same in every
language. A key missing in the reader's language falls back to English, and a test keeps that from
happening in a release.

A count that changes the words is written with its forms, `#` standing for the number:
`{count:# card|# cards}` (one|other), `{count:no cards|one card|# cards}` (zero|one|other), or four forms
(zero|one|two|other). Japanese
needs none: `{count}枚`.
"""

from __future__ import annotations

import logging
import string
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

log = logging.getLogger(__name__)

LANGUAGES = ("en", "ja")
FALLBACK = "en"


def normalise_locale(locale: str | None) -> str | None:
    """ "ja-JP", "ja_JP", "JA" -> "ja"; anything we do not speak -> None."""
    if not locale:
        return None
    lang = locale.replace("_", "-").split("-", 1)[0].lower()
    return lang if lang in LANGUAGES else None


def _flatten(prefix: str, node: Any, out: dict[str, Any]) -> None:
    if isinstance(node, Mapping):
        for key, value in node.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), value, out)
    else:
        out[prefix] = node


class _Words(string.Formatter):
    """str.format, plus plural forms in the format spec (see the module docstring)."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if "|" not in format_spec:
            return super().format_field(value, format_spec)
        forms = format_spec.split("|")
        number = int(value)
        if len(forms) >= 4:  # zero|one|two|other
            form = forms[min(number, 3)] if number >= 0 else forms[3]
        elif len(forms) == 3:
            form = forms[0] if number == 0 else forms[1] if number == 1 else forms[2]
        else:
            form = forms[0] if number == 1 else forms[-1]
        return form.replace("#", str(number))


_WORDS = _Words()


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class Catalog:
    def __init__(self, entries: Mapping[str, Mapping[str, Any]]) -> None:
        self._entries = {lang: dict(values) for lang, values in entries.items()}

    @classmethod
    def load(cls, extra_dirs: Iterable[Path] = ()) -> Catalog:
        root = resources.files("prompts")
        entries: dict[str, dict[str, Any]] = {lang: {} for lang in LANGUAGES}
        for lang in LANGUAGES:
            folder = root / lang
            for item in sorted(folder.iterdir(), key=lambda p: p.name):
                if item.name.endswith(".yaml") and item.is_file():
                    _flatten(
                        item.name[: -len(".yaml")],
                        yaml.safe_load(item.read_text("utf-8")) or {},
                        entries[lang],
                    )
        for extra in extra_dirs:
            for lang in LANGUAGES:
                for path in sorted((Path(extra) / lang).glob("*.yaml")):
                    _flatten(path.stem, yaml.safe_load(path.read_text("utf-8")) or {}, entries[lang])
        return cls(entries)

    def keys(self, lang: str) -> set[str]:
        return set(self._entries.get(lang, {}))

    def raw(self, lang: str, key: str) -> Any:
        """A structured entry (a list of categories, a template): the reader's language, else English."""
        lang = normalise_locale(lang) or FALLBACK
        if key in self._entries.get(lang, {}):
            return self._entries[lang][key]
        if key in self._entries[FALLBACK]:
            return self._entries[FALLBACK][key]
        raise KeyError(key)

    def has(self, key: str) -> bool:
        return key in self._entries[FALLBACK]

    def duration(self, lang: str | None, seconds: int) -> str:
        """ "3 min", "1 min 30 s", "90 s" in English; "3分", "1分30秒" in Japanese."""
        minutes, rest = divmod(int(seconds), 60)
        if minutes and rest:
            return self.text(lang, "core.duration.minutes_seconds", minutes=minutes, seconds=rest)
        if minutes:
            return self.text(lang, "core.duration.minutes", minutes=minutes)
        return self.text(lang, "core.duration.seconds", seconds=rest)

    def people(self, lang: str | None, names: Sequence[str]) -> str:
        """People's names (mentions) as one phrase, for a sentence that follows the last name with its own
        honorific: "@chie, @emi and @ken" in English; 「@chie さん、@emi さん、@ken」 in Japanese, where
        the sentence goes on 「… さん」. Every list of people a reader sees is joined here."""
        return self._joined(lang, names, "core.list.people_comma", "core.list.people_and")

    def listing(self, lang: str | None, items: Sequence[str]) -> str:
        """Things (event names, codes) as one phrase: "a, b and c"; 「a、b、c」."""
        return self._joined(lang, items, "core.list.comma", "core.list.and")

    def _joined(self, lang: str | None, items: Sequence[str], comma: str, last: str) -> str:
        items = list(items)
        if len(items) <= 1:
            return "".join(items)
        head = self.text(lang, comma).join(items[:-1])
        return self.text(lang, last, first=head, last=items[-1])

    def text(self, lang: str | None, key: str, **params: Any) -> str:
        lang = normalise_locale(lang) or FALLBACK
        try:
            template = self.raw(lang, key)
        except KeyError:
            log.error("missing prompt key %s", key)
            return key
        if not isinstance(template, str):
            raise TypeError(f"prompt {key} is not a sentence")
        try:
            return _WORDS.format(template, **params)
        except (KeyError, IndexError, ValueError, TypeError):
            log.error("prompt %s could not be filled with %s", key, sorted(params))
            return template
