"""The command parser: what people type, including what chat clients do to it, and arbitrary text."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.commands import Arg, CommandSpec, Opt, Parser, Role, fold, parse_duration, tokenize
from bot.errors import UserError
from bot.rituals import all_routers

SPECS = [spec for router in all_routers() for spec, _ in router.commands]
PARSER = Parser(
    SPECS
    + [
        CommandSpec(
            "probe",
            (Arg("people", "users"), Arg("words", "text")),
            (
                Opt("minutes", "duration", min=30, max=1800),
                Opt("size", "int", min=2, max=4),
                Opt("fast", "flag"),
            ),
            Role.ANYONE,
            False,
        ),
    ]
)


def error_of(text: str) -> UserError:
    with pytest.raises(UserError) as caught:
        PARSER.parse(text)
    return caught.value


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("3", 180),
        ("90s", 90),
        ("3m", 180),
        ("1m30s", 90),
        ("1.5", 90),
        ("3分", 180),
        ("1分30秒", 90),
        ("2 min", 120),
    ],
)
def test_durations_people_write(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "abc", "-3", "2h", "1m90s", "3 minutes 4", "∞"])
def test_a_wrong_duration_is_named_in_the_answer(text: str) -> None:
    with pytest.raises(UserError) as caught:
        parse_duration(text)
    assert caught.value.key == "core.error.bad_duration"


def test_a_duration_out_of_range_says_the_range() -> None:
    error = error_of("probe --minutes 999")
    assert error.key == "core.error.duration_range"
    assert (error.params["min"], error.params["max"]) == (30, 1800)
    assert error_of("probe --minutes 0").key == "core.error.duration_range"


def test_smart_quotes_em_dashes_and_japanese_brackets_are_read_as_typed() -> None:
    parsed = PARSER.parse("event start “Yorimichi January” —lang ja")
    assert parsed["name"] == "Yorimichi January" and parsed["lang"] == "ja"
    parsed = PARSER.parse("event start 「ヨリミチ部　1月」")
    assert parsed["name"] == "ヨリミチ部 1月"


def test_free_text_keeps_apostrophes_and_inner_quotes() -> None:
    parsed = PARSER.parse('probe I don\'t know "how" to start --fast')
    assert parsed["words"] == 'I don\'t know "how" to start'
    assert parsed["fast"] is True


def test_free_text_keeps_japanese_brackets_as_typed() -> None:
    assert PARSER.parse("probe 「助けて」と言えない --fast")["words"] == "「助けて」と言えない"
    assert PARSER.parse("probe 弱さを　見せられない")["words"] == "弱さを　見せられない"


def test_mentions_in_platform_and_console_forms() -> None:
    parsed = PARSER.parse("probe <@U123|bob> @carol hello --size 3")
    assert parsed["people"] == ["<@U123>", "@carol"]
    assert parsed["words"] == "hello" and parsed["size"] == 3


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("evnt start x", "core.error.unknown_command_guess"),
        ("zzzzzz", "core.error.unknown_command"),
        ("event start", "core.error.missing_arg"),
        ("event start x --lang", "core.error.missing_value"),
        ("event start x --lang fr", "core.error.bad_event_lang"),
        ("event start x --lang ja,fr", "core.error.bad_event_lang"),
        ("event start x --lang ,", "core.error.bad_event_lang"),
        ("event start x --tz Mars/Olympus", "core.error.bad_zone"),
        ("event start x --colour red", "core.error.unknown_option"),
        ('event start "unclosed', "core.error.unclosed_quote"),
        ("probe --size two", "core.error.bad_number"),
        ("probe --size 9", "core.error.number_range"),
        ("facilitators add bob", "core.error.expected_user"),
        ("lang fr", "core.error.bad_lang"),
        ("join --languages xx", "core.error.bad_language_code"),
        ("x" * 4001, "core.error.command_too_long"),
    ],
)
def test_each_mistake_gets_its_own_answer(text: str, key: str) -> None:
    assert error_of(text).key == key


def test_empty_text_is_help() -> None:
    assert PARSER.parse("   ").spec.name == "help"


def test_zone_names_are_found_whatever_their_case() -> None:
    assert PARSER.parse("event start x --tz asia/tokyo")["tz"] == "Asia/Tokyo"
    assert PARSER.parse("event start x --tz JST")["tz"] == "Asia/Tokyo"


def test_tokens_remember_where_they_were() -> None:
    tokens = tokenize('a "b c" d')
    assert [(t.text, t.quoted) for t in tokens] == [("a", False), ("b c", True), ("d", False)]


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    st.text(max_size=300)
    | st.lists(
        st.sampled_from(
            [
                "event",
                "start",
                "join",
                "--org",
                "--lang",
                "ja",
                "--tz",
                '"',
                "“",
                "「",
                "<@U1>",
                "@bob",
                "—lang",
                "--",
                "=",
                "turns",
                "--minutes",
                "3m",
                "forget-me",
                "confirm",
                "\u3000",
                "x" * 90,
            ]
        ),
        max_size=12,
    ).map(" ".join)
)
def test_any_text_parses_or_gets_a_localised_answer(text: str) -> None:
    try:
        PARSER.parse(text)
    except UserError as error:
        assert error.key.startswith("core.error.")


NUMBERS = Parser(
    [CommandSpec("pick", (Arg("n", "number", required=True, min=1, max=50),), (), Role.ANYONE, False)]
)


@pytest.mark.parametrize(
    ("typed", "number"), [("3", 3), ("#3", 3), ("３", 3), ("０５", 5), ("50", 50), ("1", 1)]
)
def test_a_number_argument_reads_what_people_type(typed: str, number: int) -> None:
    assert NUMBERS.parse(f"pick {typed}")["n"] == number


@pytest.mark.parametrize(
    "typed", ["0", "51", "99999999999999999999", "9" * 3000, "-1", "²", "3.5", "three", "1e3", "٣"]
)
def test_a_number_argument_out_of_range_or_not_a_number_is_refused_before_it_goes_anywhere(
    typed: str,
) -> None:
    with pytest.raises(UserError) as caught:
        NUMBERS.parse(f"pick {typed}")
    assert caught.value.key == "core.error.not_a_number"
    assert (caught.value.params["min"], caught.value.params["max"]) == (1, 50)
    assert len(caught.value.params["value"]) <= 20


def test_single_curly_quotes_group_like_straight_ones() -> None:
    curly = PARSER.parse("event start ‘Spring’s workshop’ --lang ja")
    straight = PARSER.parse("event start 'Spring's workshop' --lang ja")
    assert curly["name"] == straight["name"] == "Spring's workshop"
    # An apostrophe that opens no group is a letter, as before.
    assert PARSER.parse("probe '90s music --fast")["words"] == "'90s music"


def test_full_width_digits_letters_commas_and_spaces_read_as_ascii() -> None:
    assert PARSER.parse("probe --minutes ３ｍ")["minutes"] == 180
    assert PARSER.parse("join　－－languages ja，ＥＮ")["languages"] == ["ja", "en"]
    assert PARSER.parse("ｔｕｒｎｓ --minutes ２")["minutes"] == 120
    assert PARSER.parse("tz ａｓｉａ/ｔｏｋｙｏ")["zone"] == "asia/tokyo"


@pytest.mark.parametrize(
    ("typed", "code"),
    [("ja", "ja"), ("JA", "ja"), ("jp", "ja"), ("日本語", "ja"), ("Japanese", "ja"), ("English", "en")],
)
def test_languages_as_people_name_them(typed: str, code: str) -> None:
    assert PARSER.parse(f"lang {typed}")["lang"] == code


def test_profile_languages_are_checked_and_stored_once_each() -> None:
    assert PARSER.parse("join --languages en,EN,ja")["languages"] == ["en", "ja"]
    assert PARSER.parse("join --languages 日本語、English,ko")["languages"] == ["ja", "en", "ko"]
    error = error_of("join --languages ja,xx")
    assert error.key == "core.error.bad_language_code" and error.params["value"] == "xx"


@pytest.mark.parametrize(
    ("text", "wrong", "guess"),
    [
        ("event strat x", "strat", "event start"),
        ("turns paus", "paus", "turns pause"),
        ("evnt start x", "evnt", "event start"),
        ("oneonone actoin call Emi", "actoin", "oneonone action"),
    ],
)
def test_a_typo_names_the_word_that_was_wrong(text: str, wrong: str, guess: str) -> None:
    error = error_of(text)
    assert error.key == "core.error.unknown_command_guess"
    assert (error.params["command"], error.params["guess"]) == (wrong, guess)


def test_a_subcommand_family_still_takes_its_own_arguments() -> None:
    assert PARSER.parse("turns @bob @carol")["people"] == ["@bob", "@carol"]
    assert PARSER.parse("turns pause").spec.name == "turns pause"


VALID_COMMANDS = [
    'event start "Yorimichi January" --lang ja --tz Asia/Tokyo',
    "event start 'Spring's workshop'",
    "join --org Fujitsu --region Tokyo --languages ja,en --interests music,community",
    "turns @bob @carol --minutes 3m --order given",
    "turns extend 2",
    'barriers share "I fear looking foolish" --category fear',
    "barriers open What holds you back? --min 3",
    "pairs --size 3 --bridge org,region --rounds 2",
    "oneonone <@U123> --minutes 1m30s",
    "lang ja",
    "tz Asia/Tokyo",
    "probe <@U1> hello there --minutes 90s --size 2 --fast",
]
_FULL_WIDTH = {chr(code - 0xFEE0): chr(code) for code in range(0xFF01, 0xFF5F)}


@st.composite
def typed_variant(draw: st.DrawFn) -> tuple[str, str]:
    """A valid command, and the same command as a Japanese keyboard or a chat client may write it."""
    text = draw(st.sampled_from(VALID_COMMANDS))
    out, opening = [], True
    for char in text:
        if char == " ":
            out.append(draw(st.sampled_from([" ", "\u3000"])))
        elif char == '"':
            out.append(draw(st.sampled_from(["“", "「", '"'] if opening else ["”", "」", '"'])))
            opening = not opening
        elif char == "'":
            out.append(draw(st.sampled_from(["‘", "’", "'"])))
        elif char in _FULL_WIDTH and draw(st.booleans()):
            out.append(_FULL_WIDTH[char])
        else:
            out.append(char)
    return text, "".join(out)


def _as_read(parsed) -> tuple:
    def folded(value):
        if isinstance(value, str):
            return fold(value)
        if isinstance(value, list):
            return [folded(item) for item in value]
        return value

    return parsed.spec.name, {name: folded(value) for name, value in parsed.values.items()}


@settings(max_examples=300, deadline=None)
@given(typed_variant())
def test_full_width_and_curly_quoted_commands_parse_as_their_ascii_form(pair: tuple[str, str]) -> None:
    ascii_text, typed = pair
    assert _as_read(PARSER.parse(typed)) == _as_read(PARSER.parse(ascii_text))


def test_usage_lines_follow_the_form_a_platform_registered_else_the_typed_one() -> None:
    specs = {spec.name: spec for spec in SPECS}
    parser = Parser(SPECS)
    assert parser.usage(specs["turns"], "slack").startswith("/tsunagari turns [@a @b …] [--minutes 3]")
    parser.usage_forms["discord"] = lambda spec: "shown " + spec.name
    assert parser.usage(specs["turns"], "discord") == "shown turns"
    assert parser.usage(specs["turns"], "console") == specs["turns"].usage
