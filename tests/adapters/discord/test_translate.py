"""Interaction data (as Discord sends it) becomes the core's events; plain data, no client."""

from __future__ import annotations

import pytest

from adapters.discord import custom_ids
from adapters.discord import translate as tr
from adapters.discord.surface import by_path
from adapters.discord.surface import surface as surface
from adapters.discord.surface import usage as surface_usage
from adapters.discord.translate import (
    button_event,
    caller,
    form_event,
    form_values,
    guild_of,
    quote,
)
from bot.commands import Arg, CommandSpec, Opt, tokenize
from bot.events import ButtonPressed, Caller, CommandInvoked, FormSubmitted
from bot.rituals import all_routers

# The core's own commands, and a turns ritual shaped like DESIGN.md's (a command that is also a group),
# kept apart so the tests read the same before and after the real turns ritual lands.
CORE = [spec for router in all_routers() for spec, _ in router.commands]
SAMPLE = [
    CommandSpec(
        "turns",
        args=(Arg("speakers", "users"),),
        options=(
            Opt("minutes", "duration"),
            Opt("order", "choice", choices=("random", "given")),
            Opt("mute-others", "flag"),
        ),
    ),
    CommandSpec("turns next"),
    CommandSpec("turns extend", args=(Arg("minutes"),)),
    CommandSpec("pairs", options=(Opt("size", "int", min=2, max=4), Opt("rounds", "int"))),
]
SPECS = CORE + [spec for spec in SAMPLE if spec.name not in {c.name for c in CORE}]
PATHS = by_path(surface(CORE)) | by_path(surface(SAMPLE))


def command_text(data: dict) -> str:
    return tr.command_text(data, PATHS)


WHO = Caller(tenant="discord:42", user="7", channel="100", locale="ja", name="Aiko")


def slash(*path: str, **options: object) -> dict:
    """The `data` of an application-command interaction for `/tsunagari <path> <options>`."""
    leaf = []
    for name, value in options.items():
        if isinstance(value, tuple):  # (type, value)
            leaf.append({"name": name, "type": value[0], "value": value[1]})
        else:
            kind = {bool: 5, int: 4}.get(type(value), 3)
            leaf.append({"name": name, "type": kind, "value": value})
    for depth, name in reversed(list(enumerate(path))):
        leaf = [{"name": name, "type": 1 if depth == len(path) - 1 else 2, "options": leaf}]
    return {"id": "1", "name": "tsunagari", "type": 1, "options": leaf}


def test_turns_start_reads_as_the_core_turns_command():
    data = slash("turns", "start", speakers="<@1> <@2>", minutes="3")
    assert command_text(data) == "turns <@1> <@2> --minutes 3"


def test_flags_follow_positionals_in_declared_order_whatever_order_discord_sends():
    data = slash("event", "start", tz="Asia/Tokyo", lang="ja", name="Yorimichi January")
    assert command_text(data) == 'event start "Yorimichi January" --lang ja --tz Asia/Tokyo'


def test_user_option_becomes_a_mention():
    # `handover` is also a group (`handover accept`), so Discord shows the offer as `handover start`.
    data = slash("handover", "start", user=(6, "555"))
    assert command_text(data) == "handover <@555>"


def test_boolean_switch_is_a_bare_flag_only_when_true():
    on = slash("turns", "start", **{"mute-others": True})
    off = slash("turns", "start", **{"mute-others": False})
    assert command_text(on) == "turns --mute-others"
    assert command_text(off) == "turns"


def test_voice_names_the_people_in_the_callers_voice_channel():
    data = slash("turns", "start", voice=True, minutes="3")
    assert tr.wants_voice(data, PATHS)
    assert tr.command_text(data, PATHS, ["11", "12"]) == "turns <@11> <@12> --minutes 3"


def test_voice_leaves_people_named_by_hand_alone_and_is_no_core_flag():
    data = slash("turns", "start", voice=True, speakers="<@5>")
    assert tr.command_text(data, PATHS, ["11"]) == "turns <@5>"
    assert not tr.wants_voice(slash("turns", "start", voice=False), PATHS)


def test_voice_is_offered_on_the_real_turns_command():
    [start] = [sub for sub in surface(CORE) if sub.core_words == ("turns",)]
    assert [o.kind for o in start.options if o.name == "voice"] == ["voice"]


def test_subcommand_without_options_is_its_words():
    assert command_text(slash("turns", "next")) == "turns next"
    assert command_text(slash("forget-me")) == "forget-me"
    assert command_text(slash("lang", lang="ja")) == "lang ja"


def test_extend_takes_its_minutes_positionally():
    assert command_text(slash("turns", "extend", minutes="1m30s")) == "turns extend 1m30s"


def test_free_text_with_quotes_stays_one_argument():
    data = slash("barriers", "share", text='I fear "looking foolish"', category="fear")
    assert command_text(data) == 'barriers share "I fear ″looking foolish″" --category fear'


def test_japanese_corner_brackets_do_not_split_the_argument():
    data = slash("barriers", "share", text="「助けて」と言えない")
    assert command_text(data) == "barriers share ｢助けて｣と言えない"


def test_integer_options_are_written_as_numbers():
    assert command_text(slash("pairs", size=3, rounds=2)) == "pairs --size 3 --rounds 2"


def test_an_option_the_surface_does_not_know_is_passed_on_as_a_flag():
    assert command_text(slash("report", since_week="2")) == "report --since-week 2"


def test_every_core_command_has_a_discord_path_that_reads_back_as_its_name():
    paths = by_path(surface(CORE))
    for spec in CORE:
        [sub] = [s for s in paths.values() if " ".join(s.core_words) == spec.name]
        assert tr.command_text(slash(*sub.path), paths) == spec.name


def test_event_start_text_tokenizes_back_to_the_values_given():
    text = command_text(slash("event", "start", name="Yorimichi 「January」", tz="Asia/Tokyo"))
    assert [t.text for t in tokenize(text)] == ["event", "start", "Yorimichi ｢January｣", "--tz", "Asia/Tokyo"]


@pytest.mark.parametrize("word", ["plain", "two words", "back\\slash", "don't", "", "全角\u3000空白"])
def test_quote_keeps_a_value_without_quote_marks_as_it_is(word):
    quoted = quote(word)
    assert quoted in (word, f'"{word}"')


def test_caller_is_scoped_by_guild_and_keeps_the_locale():
    who = caller(guild_id=42, user_id=7, channel_id=100, locale="ja", name="Aiko")
    assert who == WHO
    assert guild_of(who.tenant) == 42
    assert guild_of("slack:T1") is None


def test_caller_outside_any_guild_is_refused():
    with pytest.raises(ValueError):
        caller(guild_id=None, user_id=7, channel_id=None)


def test_command_event_carries_the_interaction_id():
    from adapters.discord.translate import command_event

    event = command_event(slash("join", org="Fujitsu"), PATHS, WHO, "9001")
    assert event == CommandInvoked(caller=WHO, text="join --org Fujitsu", request_id="9001")


def test_button_custom_id_is_the_core_action_id():
    assert button_event("turns:next:42", WHO, "1") == ButtonPressed(WHO, "turns:next:42", "1")


def test_dm_button_custom_id_gives_back_the_core_id_and_the_guild():
    wrapped = custom_ids.wrap("nudges:snooze:9", 42)
    assert wrapped == "g42|nudges:snooze:9"
    assert custom_ids.unwrap(wrapped) == ("42", "nudges:snooze:9")
    assert button_event(wrapped, WHO, None).action_id == "nudges:snooze:9"


def test_a_wrapped_id_that_would_pass_100_characters_stays_unwrapped():
    core = "turns:next:" + "9" * 89
    assert len(core) == 100
    assert custom_ids.wrap(core, 123456789012345678) == core


def test_modal_values_from_labels_and_from_action_rows():
    components = [
        {"type": 18, "component": {"type": 4, "custom_id": "text", "value": "I fear looking foolish"}},
        {"type": 1, "components": [{"type": 4, "custom_id": "note", "value": ""}]},
        {"type": 18, "component": {"type": 3, "custom_id": "category", "values": ["fear"]}},
        {"type": 18, "component": {"type": 3, "custom_id": "empty", "values": []}},
    ]
    assert form_values(components) == {
        "text": "I fear looking foolish",
        "note": "",
        "category": "fear",
        "empty": "",
    }


def test_form_event_uses_the_core_form_id():
    components = [{"type": 18, "component": {"type": 4, "custom_id": "text", "value": "x"}}]
    event = form_event("g42|barriers:share:7", components, WHO, "5")
    assert event == FormSubmitted(WHO, "barriers:share:7", {"text": "x"}, "5")


def test_usage_lines_on_discord_show_discords_form() -> None:
    """Help and error lines name the command as Discord shows it, by the same path rule as the tree."""
    specs = {spec.name: spec for router in all_routers() for spec, _ in router.commands}
    groups = {name.split()[0] for name in specs if len(name.split()) > 1}
    assert surface_usage(specs["turns"], groups).startswith(
        "/tsunagari turns start [people:@a @b …] [minutes:3]"
    )
    assert surface_usage(specs["oneonone action"], groups) == "/tsunagari oneonone action text:TEXT"
    assert {s.path for s in surface(specs.values())} >= {
        tuple(surface_usage(spec, groups).split()[1:3]) for spec in specs.values() if " " in spec.name
    }
