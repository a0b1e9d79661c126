"""The `/tsunagari` command language: declarative specs, a tokenizer and a parser with typed errors.

The parser never raises anything but UserError, whatever text it is given; a hypothesis test holds it to
that. Chat clients rewrite what people type (smart quotes, `--` into an em dash, full-width spaces from
Japanese input), so the tokenizer folds those back before reading.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo, available_timezones

from bot.errors import Seconds, Usage, UserError

MAX_COMMAND_LENGTH = 4000
# The largest number any id or count column holds (PostgreSQL's INTEGER); a number a person types, or an
# id in a button, is checked against it before it can reach the database (which would overflow).
MAX_NUMBER = 2**31 - 1

ArgKind = Literal["text", "word", "user", "users", "number", "lang", "langs"]
OptKind = Literal["str", "duration", "int", "lang", "langs", "tz", "csv", "choice", "flag", "languages"]


class Role(IntEnum):
    ANYONE = 0
    PARTICIPANT = 1
    FACILITATOR = 2


@dataclass(frozen=True)
class Arg:
    name: str
    kind: ArgKind = "word"
    required: bool = False
    max_length: int = 200
    choices: tuple[str, ...] = ()
    metavar: str | None = None
    min: int = 0  # numbers; a value outside [min, max] is refused like one that is not a number
    max: int = MAX_NUMBER
    error_key: str | None = None  # numbers: the ritual's own words for a bad one (params value, min, max)


@dataclass(frozen=True)
class Opt:
    name: str
    kind: OptKind = "str"
    choices: tuple[str, ...] = ()
    min: int | None = None  # ints; for durations, seconds
    max: int | None = None
    max_length: int = 100
    metavar: str | None = None


@dataclass(frozen=True)
class CommandSpec:
    name: str  # "event start", "turns extend"
    args: tuple[Arg, ...] = ()
    options: tuple[Opt, ...] = ()
    role: Role = Role.ANYONE
    needs_event: bool = True
    help_key: str | None = None

    @property
    def usage(self) -> str:
        parts = [self.name]
        for arg in self.args:
            label = arg.metavar or ("|".join(arg.choices) if arg.choices else arg.name.upper())
            if arg.kind == "users":
                label = "@a @b …"
            elif arg.kind == "user":
                label = "@" + arg.name
            parts.append(label if arg.required else f"[{label}]")
        for opt in self.options:
            if opt.kind == "flag":
                parts.append(f"[--{opt.name}]")
            else:
                value = opt.metavar or ("|".join(opt.choices) if opt.choices else opt.name.upper())
                parts.append(f"[--{opt.name} {value}]")
        return "/tsunagari " + " ".join(parts)


@dataclass(frozen=True)
class Parsed:
    spec: CommandSpec
    values: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Any:
        return self.values.get(name)


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int
    quoted: bool


# One character for one, so a span found in the folded text fits the original (free text keeps its form).
# Full-width ASCII (ＡＢＣ, ３ｍ, ja，en, ＠bob) and the ideographic space read as ASCII; curly and
# Japanese quotes as straight ones.
_FOLD = str.maketrans(
    {
        **{chr(code): chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)},
        "\u3000": " ",
        "“": '"',
        "”": '"',
        "„": '"',
        "「": '"',
        "」": '"',
        "『": '"',
        "』": '"',
        "‘": "'",
        "’": "'",
        "‚": "'",
        "‛": "'",
    }
)
_DASH_PREFIX = re.compile(r"^(?:—|–|－－|ーー|―)(?=\w)")
MENTION_TOKEN = re.compile(r"^<@([^<>\s|]{1,120})(?:\|[^<>]*)?>$")
NAME_TOKEN = re.compile(r"^@([^\s@<>]{1,80})$")


def fold(text: str) -> str:
    """What people type, as the parser reads it: full-width ASCII as ASCII, curly quotes as straight."""
    return text.translate(_FOLD)


def _single_quote_end(text: str, start: int) -> int:
    """Where a single-quoted group opened at `start` closes: a quote followed by a space or the end.
    -1 when none does, and the quote is just a letter ('90s, don't)."""
    i = start + 1
    while (i := text.find("'", i)) >= 0:
        if i + 1 == len(text) or text[i + 1].isspace():
            return i if i > start + 1 else -1
        i += 1
    return -1


def tokenize(text: str) -> list[Token]:
    """Whitespace-separated tokens; double quotes group, and so do single quotes around words
    ('Spring's workshop'). An apostrophe inside a word is just a letter ("don't")."""
    text = fold(text)
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        if text[i] == '"':
            close = text.find('"', i + 1)
            if close < 0:
                raise UserError("core.error.unclosed_quote")
            tokens.append(Token(text[i + 1 : close], i, close + 1, True))
            i = close + 1
            continue
        if text[i] == "'" and (close := _single_quote_end(text, i)) > 0:
            tokens.append(Token(text[i + 1 : close], i, close + 1, True))
            i = close + 1
            continue
        start = i
        while i < n and not text[i].isspace() and text[i] != '"':
            i += 1
        word = _DASH_PREFIX.sub("--", text[start:i])
        tokens.append(Token(word, start, i, False))
    return tokens


@lru_cache(maxsize=1)
def _zones_by_lower() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


ZONE_ALIASES = {"jst": "Asia/Tokyo", "utc": "UTC", "gmt": "UTC", "pst": "America/Los_Angeles"}


def parse_zone(value: str) -> str:
    value = fold(value).strip()
    name = ZONE_ALIASES.get(value.lower()) or _zones_by_lower().get(value.lower())
    if not name:
        raise UserError("core.error.bad_zone", value=value[:64])
    ZoneInfo(name)
    return name


def known_zone(value: str | None) -> str | None:
    """A platform's zone hint as an IANA name we can use, or None (absent, unknown, malformed)."""
    if not value or len(value) > 64:
        return None
    return _zones_by_lower().get(value.lower())


_MINUTES = r"(?P<m>\d{1,5}(?:\.\d{1,3})?)\s*(?:m|min|mins|minutes?|分)"
_SECONDS = r"(?P<s>\d{1,6})\s*(?:s|sec|secs|seconds?|秒)"
_DURATIONS = (
    re.compile(r"^(?P<m>\d{1,5}(?:\.\d{1,3})?)$"),  # a bare number is minutes
    re.compile(f"^{_MINUTES}$"),
    re.compile(f"^{_SECONDS}$"),
    re.compile(f"^{_MINUTES}\\s*{_SECONDS}$"),
)


def parse_duration(value: str) -> int:
    """Seconds from "3", "3m", "90s", "1m30s", "1.5", "3分", "1分30秒", "３ｍ"; a bare number is minutes."""
    text = fold(value).strip().lower()
    for pattern in _DURATIONS:
        match = pattern.match(text)
        if match:
            groups = match.groupdict()
            minutes = float(groups.get("m") or 0)
            seconds = int(groups.get("s") or 0)
            if groups.get("m") and groups.get("s") and seconds >= 60:
                break
            return int(round(minutes * 60)) + seconds
    raise UserError("core.error.bad_duration", value=value[:40])


# ISO 639-1: the codes a profile's languages are checked against (`--languages xx` is a mistake).
LANGUAGE_CODES = frozenset(
    """aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de
    dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie
    ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg
    mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro
    ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty
    ug uk ur uz ve vi vo wa wo xh yi yo za zh zu""".split()
)
# Names people write for the languages the bot speaks, in either language, folded to lower case.
LANGUAGE_NAMES = {
    **dict.fromkeys(("ja", "jp", "jpn", "japanese", "nihongo", "日本語", "にほんご", "ニホンゴ", "日"), "ja"),
    **dict.fromkeys(("en", "eng", "english", "英語", "えいご", "エイゴ", "英"), "en"),
}


def split_list(raw: str) -> list[str]:
    """ "a, b", "a、b", "a，b" -> ["a", "b"]."""
    return [item.strip() for item in fold(raw).replace("、", ",").split(",") if item.strip()]


def language_code(raw: str) -> str | None:
    """A language as people write it ("JA", "jp", "日本語", "English", "pt-BR") -> its ISO code, or None."""
    text = fold(raw).strip().lower().replace("_", "-")
    if text in LANGUAGE_NAMES:
        return LANGUAGE_NAMES[text]
    base = text.split("-", 1)[0]
    return base if base in LANGUAGE_CODES else None


def parse_lang(raw: str) -> str:
    """One of the languages the bot speaks (`lang 日本語`, `--lang English`)."""
    lang = language_code(raw)
    if lang not in ("en", "ja"):
        raise UserError("core.error.bad_lang", value=raw[:20])
    return lang


def parse_event_languages(raw: str) -> str:
    """An event's languages, in the order its channel reads them: "ja,en" (each once: `ja,en,ja` is
    "ja,en"; `JA、English` is too). One the bot does not speak is a mistake, named in the answer."""
    codes: list[str] = []
    for item in split_list(raw)[:10]:
        code = language_code(item)
        if code not in ("en", "ja"):
            raise UserError("core.error.bad_event_lang", value=item[:20])
        if code not in codes:
            codes.append(code)
    if not codes:
        raise UserError("core.error.bad_event_lang", value=raw[:20])
    return ",".join(codes)


def parse_languages(raw: str) -> list[str]:
    """A profile's languages: each checked, each once, in the order given (`en,EN,ja` -> en, ja)."""
    codes: list[str] = []
    for item in split_list(raw)[:10]:
        code = language_code(item)
        if code is None:
            raise UserError("core.error.bad_language_code", value=item[:20])
        if code not in codes:
            codes.append(code)
    return codes


def _option_value(opt: Opt, raw: str) -> Any:
    if opt.kind == "str":
        if len(raw) > opt.max_length:
            raise UserError("core.error.too_long", field="--" + opt.name, max=opt.max_length, length=len(raw))
        return raw
    if opt.kind == "duration":
        seconds = parse_duration(raw)
        if (opt.min is not None and seconds < opt.min) or (opt.max is not None and seconds > opt.max):
            raise UserError(
                "core.error.duration_range",
                option=opt.name,
                min=Seconds(opt.min or 0),
                max=Seconds(opt.max or 0),
            )
        return seconds
    if opt.kind == "int":
        if not re.fullmatch(r"-?\d{1,6}", raw):
            raise UserError("core.error.bad_number", option=opt.name, value=raw[:20])
        number = int(raw)
        if (opt.min is not None and number < opt.min) or (opt.max is not None and number > opt.max):
            raise UserError("core.error.number_range", option=opt.name, min=opt.min, max=opt.max)
        return number
    if opt.kind == "lang":
        return parse_lang(raw)
    if opt.kind == "langs":
        return parse_event_languages(raw)
    if opt.kind == "tz":
        return parse_zone(raw)
    if opt.kind == "choice":
        if raw.lower() not in opt.choices:
            raise UserError(
                "core.error.bad_choice", option=opt.name, value=raw[:40], choices=", ".join(opt.choices)
            )
        return raw.lower()
    items = split_list(raw)
    if len(items) > 10 or any(len(item) > 50 for item in items):
        raise UserError("core.error.too_long", field="--" + opt.name, max=opt.max_length, length=len(raw))
    if opt.kind == "languages":
        return parse_languages(raw)
    if opt.kind == "csv" and opt.choices:
        bad = [item for item in items if item.lower() not in opt.choices]
        if bad:
            raise UserError(
                "core.error.bad_choice", option=opt.name, value=bad[0][:40], choices=", ".join(opt.choices)
            )
        items = [item.lower() for item in items]
    return items


# Japanese input methods type full-width digits (and ＃); nothing else counts as a digit here ("²" does
# to str.isdigit, and int() would refuse it).
_FULL_WIDTH_DIGITS = {0xFF10 + i: str(i) for i in range(10)} | {0xFF03: "#"}


def whole_number(raw: str) -> int | None:
    """What a person typed as a whole number ("3", "#3", full-width "３"), or None if it is not one.

    Only up to ten digits are read, so a huge number never becomes a huge int (nor trips Python's limit
    on converting long digit strings); `in_range` then says whether it fits."""
    text = raw.strip().translate(_FULL_WIDTH_DIGITS).removeprefix("#")
    if not re.fullmatch(r"[0-9]{1,10}", text):
        return None
    return int(text)


def record_id(raw: str | None) -> int | None:
    """An id, seq or position from a button, form or timer ("42"), or None if no column can hold it."""
    if raw is None or not re.fullmatch(r"[0-9]{1,10}", raw):
        return None
    number = int(raw)
    return number if number <= MAX_NUMBER else None


def _mention(token: Token) -> str | None:
    """`<@U123>` -> "<@U123>", `@bob` -> "@bob" (resolved by name later), anything else -> None."""
    if token.quoted:
        return None
    found = MENTION_TOKEN.match(token.text)
    if found:
        return f"<@{found.group(1)}>"
    if NAME_TOKEN.match(token.text):
        return token.text
    return None


class Parser:
    def __init__(self, specs: list[CommandSpec]) -> None:
        self.specs = {spec.name: spec for spec in specs}
        # platform -> how that platform shows a command's usage; an adapter whose commands look different
        # from the typed form (Discord's options) registers its own.
        self.usage_forms: dict[str, Callable[[CommandSpec], str]] = {}
        self._longest = max((len(name.split()) for name in self.specs), default=1)

    @property
    def groups(self) -> frozenset[str]:
        """First words that have subcommands (`turns`, `event`)."""
        return frozenset(name.split()[0] for name in self.specs if len(name.split()) > 1)

    def usage(self, spec: CommandSpec, platform: str) -> str:
        """A usage line in the form people type on `platform`: the form its adapter registered in
        `usage_forms` (Discord shows options, not `--flags`), else the typed form."""
        form = self.usage_forms.get(platform)
        return form(spec) if form else spec.usage

    def parse(self, text: str, check: Callable[[CommandSpec], None] | None = None) -> Parsed:
        """`check` sees the command before its values are read, so a refusal that does not depend on them
        (no event in this channel) comes before one that does (a wrong language)."""
        if len(text) > MAX_COMMAND_LENGTH:
            raise UserError("core.error.command_too_long", max=MAX_COMMAND_LENGTH, length=len(text))
        tokens = tokenize(text)
        if not tokens:
            return Parsed(self.specs["help"], {})
        spec, used = self._match(tokens)
        if check is not None:
            check(spec)
        return self._bind(spec, tokens[used:], text)

    def _match(self, tokens: list[Token]) -> tuple[CommandSpec, int]:
        words = [t.text.lower() for t in tokens[: self._longest]]
        for size in range(len(words), 0, -1):
            if any(t.quoted for t in tokens[:size]):
                continue
            spec = self.specs.get(" ".join(words[:size]))
            if spec:
                self._refuse_mistyped_subcommand(spec, tokens, size)
                return spec, size
        guess = difflib.get_close_matches(" ".join(words[:2]), self.specs, n=1) or difflib.get_close_matches(
            words[0], self.specs, n=1
        )
        # Name the word that was wrong: in `event strat` it is `strat`, not `event`.
        wrong = tokens[0]
        if len(tokens) > 1 and any(name.startswith(words[0] + " ") for name in self.specs):
            wrong = tokens[1]
        if guess:
            raise UserError("core.error.unknown_command_guess", command=wrong.text[:40], guess=guess[0])
        raise UserError("core.error.unknown_command", command=wrong.text[:40])

    def _refuse_mistyped_subcommand(self, spec: CommandSpec, tokens: list[Token], size: int) -> None:
        """`turns paus` is `turns` with a stray word; say `turns pause` was probably meant."""
        if size >= len(tokens) or tokens[size].quoted or tokens[size].text.startswith("-"):
            return
        if spec.args and spec.args[0].kind == "text":  # free text may start with any word
            return
        word = tokens[size].text
        if _mention(tokens[size]) or (spec.args and word.lower() in spec.args[0].choices):
            return
        family = [name for name in self.specs if name.startswith(spec.name + " ")]
        guess = difflib.get_close_matches(f"{spec.name} {word.lower()}", family, n=1, cutoff=0.8)
        if guess:
            raise UserError("core.error.unknown_command_guess", command=word[:40], guess=guess[0])

    def _bind(self, spec: CommandSpec, tokens: list[Token], text: str) -> Parsed:
        options = {opt.name: opt for opt in spec.options}
        values: dict[str, Any] = {}
        positional: list[Token] = []
        i = 0
        while i < len(tokens):
            token = tokens[i]
            if not token.quoted and token.text.startswith("--") and len(token.text) > 2:
                name, _, inline = token.text[2:].partition("=")
                opt = options.get(name.lower())
                if opt is None:
                    raise UserError(
                        "core.error.unknown_option",
                        option="--" + name[:30],
                        usage=Usage(spec.usage, spec.name),
                    )
                if opt.kind == "flag":
                    values[opt.name] = True
                elif inline:
                    values[opt.name] = _option_value(opt, inline)
                else:
                    if i + 1 >= len(tokens):
                        raise UserError(
                            "core.error.missing_value",
                            option="--" + opt.name,
                            usage=Usage(spec.usage, spec.name),
                        )
                    i += 1
                    values[opt.name] = _option_value(opt, tokens[i].text)
            else:
                positional.append(token)
            i += 1
        self._bind_positional(spec, positional, text, values)
        return Parsed(spec, values)

    def _bind_positional(
        self, spec: CommandSpec, tokens: list[Token], text: str, values: dict[str, Any]
    ) -> None:
        rest = list(tokens)
        for arg in spec.args:
            if arg.kind == "users":
                users = []
                while rest and (mention := _mention(rest[0])):
                    users.append(mention)
                    rest.pop(0)
                values[arg.name] = users
            elif arg.kind == "user":
                if rest:
                    mention = _mention(rest[0])
                    if mention is None:
                        raise UserError(
                            "core.error.expected_user",
                            value=rest[0].text[:40],
                            usage=Usage(spec.usage, spec.name),
                        )
                    values[arg.name] = mention
                    rest.pop(0)
            elif arg.kind == "word":
                if rest:
                    word = rest.pop(0).text
                    if arg.choices and word.lower() not in arg.choices:
                        raise UserError(
                            "core.error.bad_choice",
                            option=arg.name,
                            value=word[:40],
                            choices=", ".join(arg.choices),
                        )
                    values[arg.name] = word.lower() if arg.choices else word
            elif arg.kind == "number":
                if rest:
                    values[arg.name] = _number(spec, arg, rest.pop(0).text)
            elif arg.kind == "lang":
                if rest:
                    values[arg.name] = parse_lang(rest.pop(0).text)
            elif arg.kind == "langs":
                if rest:  # "ja,en" or "ja, en": the words as typed, up to the end
                    values[arg.name] = parse_event_languages(",".join(token.text for token in rest))
                    rest.clear()
            elif arg.kind == "text":
                if rest:
                    if len(rest) == 1 and rest[0].quoted:
                        value = rest[0].text
                    else:
                        # The words as typed: the quote folding maps one character to one, so the spans
                        # found in the folded text fit the original, brackets 「」 and all.
                        value = text[rest[0].start : rest[-1].end]
                    rest = []
                    value = value.strip()
                    if len(value) > arg.max_length:
                        raise UserError(
                            "core.error.too_long", field=arg.name, max=arg.max_length, length=len(value)
                        )
                    if value:
                        values[arg.name] = value
            if arg.required and values.get(arg.name) in (None, "", []):
                raise UserError(
                    "core.error.missing_arg",
                    arg=arg.metavar or arg.name.upper(),
                    usage=Usage(spec.usage, spec.name),
                )
        if rest:
            raise UserError(
                "core.error.unexpected", value=rest[0].text[:40], usage=Usage(spec.usage, spec.name)
            )


def _number(spec: CommandSpec, arg: Arg, raw: str) -> int:
    number = whole_number(raw)
    if number is None or not arg.min <= number <= arg.max:
        raise UserError(
            arg.error_key or "core.error.not_a_number",
            arg=arg.metavar or arg.name.upper(),
            value=raw[:20],
            min=arg.min,
            max=arg.max,
            usage=Usage(spec.usage, spec.name),
        )
    return number
