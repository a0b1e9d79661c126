"""The catalog of words: every sentence a person reads, loaded from prompts/<lang>/*.yaml.

Keys are `<file>.<path>` (`core.error.no_event`); placeholders are `{name}` and must be the same in every
language. A key missing in the reader's language falls back to English, and a test keeps that from
happening in a release.

A count that changes the words is written with its forms, `#` standing for the number:
`{count:# card|# cards}` (one|other), `{count:no cards|one card|# cards}` (zero|one|other), or four forms
(zero|one|two|other). Japanese
needs none: `{count}枚`.

A bilingual room (an event started with `--lang ja,en`) asks for several languages at once: `text("ja,en",
key)` is a `Multi`, one sentence per language, that reads as each language's line in turn (see `Multi`).
"""

from __future__ import annotations

import functools
import logging
import os
import string
from collections.abc import Callable, Iterable, Mapping, Sequence
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


@functools.lru_cache(maxsize=512)
def languages_in(value: str | None) -> tuple[str, ...]:
    """ "ja,en" -> ("ja", "en"): the languages we speak in a comma-separated list, each once, in order.

    Remembered: every sentence a command says asks it again of the same few values ("en", "ja", "ja,en")."""
    if not value:
        return ()
    found = (normalise_locale(part.strip()) for part in value.replace("、", ",").split(","))
    return tuple(dict.fromkeys(lang for lang in found if lang))


# A line whose versions together are at most this long reads best on one line: "次へ / Next".
INLINE_WIDTH = 60
INLINE_SEPARATOR = " / "


def _width(text: str) -> int:
    """Columns on a screen: a Japanese character is about two Latin ones wide."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


class Multi(str):
    """One sentence in several languages, for a post everyone in a bilingual room reads.

    As a str it is the compact rendering: line by line, each line in every language in the order
    given, a line that reads the same in all of them (a name, a card, a mention) once, and short lines
    side by side ("次へ / Next") rather than stacked. Each language's own sentence stays at hand
    (`part`), so a Multi given as a parameter to another sentence, added to a str or joining others
    fills each language with its own words (a duration, a list separator), never with both.
    """

    parts: dict[str, str]

    def __new__(cls, parts: Mapping[str, str]) -> Multi:
        parts = {lang: str(text) for lang, text in parts.items()}
        self = super().__new__(cls, _stacked(list(parts.values())))
        self.parts = parts
        return self

    def part(self, lang: str) -> str:
        return self.parts.get(lang, next(iter(self.parts.values()), ""))

    def inline(self, limit: int | None = None, separator: str = INLINE_SEPARATOR) -> str:
        """Every language on one line ("次へ / Next"), within `limit` characters (a button's label):
        when the whole does not fit, each language is cut short alike and marked with an ellipsis."""
        texts = list(dict.fromkeys(" ".join(text.split()) for text in self.parts.values()))
        whole = separator.join(texts)
        if limit is None or len(whole) <= limit:
            return whole
        room = max(1, (limit - len(separator) * (len(texts) - 1)) // len(texts))
        return separator.join(t if len(t) <= room else t[: room - 1] + "…" for t in texts)[:limit]

    def _each(self, other: Any, combine: Callable[[str, str], str]) -> Multi:
        return Multi({lang: combine(text, part_of(other, lang)) for lang, text in self.parts.items()})

    def __add__(self, other: Any) -> Multi:
        if not isinstance(other, str):
            return NotImplemented
        return self._each(other, lambda mine, theirs: mine + theirs)

    def __radd__(self, other: Any) -> Multi:
        if not isinstance(other, str):
            return NotImplemented
        return self._each(other, lambda mine, theirs: theirs + mine)

    def join(self, items: Iterable[str]) -> Multi:  # type: ignore[override]
        items = list(items)
        return Multi(
            {lang: text.join(part_of(item, lang) for item in items) for lang, text in self.parts.items()}
        )

    def lower(self) -> Multi:  # type: ignore[override]
        return Multi({lang: text.lower() for lang, text in self.parts.items()})

    def strip(self, chars: str | None = None) -> Multi:  # type: ignore[override]
        return Multi({lang: text.strip(chars) for lang, text in self.parts.items()})

    def __reduce__(self):  # a Multi crossing to a worker process stays one
        return (Multi, (self.parts,))


def part_of(value: Any, lang: str) -> Any:
    """`value` as the reader of `lang` sees it: a Multi's own sentence in that language, else as it is."""
    return value.part(lang) if isinstance(value, Multi) else value


def _stacked(texts: list[str]) -> str:
    """Several languages' versions of a text, line by line (see Multi). Versions with as many lines as
    each other interleave line by line; otherwise each version is a paragraph of its own."""
    texts = list(dict.fromkeys(texts))
    if len(texts) == 1:
        return texts[0]
    rows = [text.split("\n") for text in texts]
    if len({len(lines) for lines in rows}) != 1:
        return "\n".join(texts)
    out: list[str] = []
    for versions in zip(*rows, strict=True):
        distinct = list(dict.fromkeys(versions))
        if len(distinct) == 1:
            out.append(distinct[0])
        elif sum(_width(v) for v in distinct) <= INLINE_WIDTH and all(v.strip() for v in distinct):
            out.append(_side_by_side(distinct))
        else:
            out.extend(distinct)
    return "\n".join(out)


def _side_by_side(versions: list[str]) -> str:
    """ "• 次へ / Next": what every version starts with (a bullet, an indent, a name and a space) once."""
    shared = os.path.commonprefix(versions)
    shared = shared[: max(shared.rfind(" "), shared.rfind("\u3000")) + 1]
    return shared + INLINE_SEPARATOR.join(v[len(shared) :] for v in versions)


def inline(value: Any, limit: int | None = None) -> Any:
    """A label or a title: a Multi on one line within `limit`; anything else as it is."""
    return value.inline(limit) if isinstance(value, Multi) else value


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
        """A structured entry (a list of categories, a template): the reader's language, else English.
        For several languages ("ja,en"), the first's: a list is not read in two languages at once."""
        lang = (languages_in(lang) or (FALLBACK,))[0]
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
        """`key` in `lang`, filled with `params`; for several languages ("ja,en"), a Multi of each."""
        several = languages_in(lang) or (FALLBACK,)
        texts = {
            one: self._text(one, key, {name: part_of(value, one) for name, value in params.items()})
            for one in several
        }
        return Multi(texts) if len(texts) > 1 else texts[several[0]]

    def _text(self, lang: str, key: str, params: Mapping[str, Any]) -> str:
        try:
            template = self.raw(lang, key)
        except KeyError:
            log.error("missing prompt key %s", key)
            return key
        if not isinstance(template, str):
            raise TypeError(f"prompt {key} is not a sentence")
        try:
            # string.Formatter is pure Python (~4 µs a sentence here, ~0.7 µs for str.format): only a
            # template that may hold a plural form (`{count:one|other}`) needs it. A round of 2,000 people
            # writes ~16,000 sentences on the loop.
            if "|" in template:
                return _WORDS.format(template, **params)
            return template.format(**params)
        except (KeyError, IndexError, ValueError, TypeError):
            log.error("prompt %s could not be filled with %s", key, sorted(params))
            return template
