"""Fuzzing the edges: random platform payloads, random action ids and random command text.

No unhandled exception, never the core's "something went wrong", and an id that names nothing changes
no row.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.console.adapter import TENANT
from adapters.discord import translate as discord_translate
from adapters.discord.surface import by_path, surface
from bot.events import ButtonPressed, Caller, CommandInvoked, FormSubmitted
from tests.security.test_authorisation import SETUP, snapshot
from tests.support import Chat

pytestmark = pytest.mark.db
FUZZ = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
INTERNAL = "Something went wrong on our side"

ids = st.one_of(
    st.text(max_size=120),
    st.lists(
        st.sampled_from(
            [
                "turns",
                "next",
                "barriers",
                "metoo",
                "pairs",
                "send",
                "reroll",
                "people",
                "forget",
                "oneonone",
                "pair",
                "nudges",
                "accept",
                "connections",
                "set",
                "1",
                "2",
                "0",
                "-1",
                "999999999999",
                "x",
                "",
                "link",
            ]
        ),
        max_size=6,
    ).map(":".join),
)
option_values = st.one_of(st.text(max_size=60), st.integers(), st.booleans(), st.none())


def discord_options(depth: int = 2) -> st.SearchStrategy:
    leaf = st.fixed_dictionaries(
        {"name": st.text(min_size=1, max_size=20), "type": st.integers(3, 11), "value": option_values}
    )
    if depth == 0:
        return leaf
    nested = st.fixed_dictionaries(
        {
            "name": st.text(min_size=1, max_size=20),
            "type": st.sampled_from([1, 2]),
            "options": st.lists(discord_options(depth - 1), max_size=4),
        }
    )
    return st.one_of(leaf, nested)


@pytest.fixture
async def workshop(chat: Chat) -> Chat:
    await chat.play(SETUP)
    return chat


@FUZZ
@given(
    action_id=ids,
    form_id=ids,
    values=st.dictionaries(st.text(max_size=20), st.text(max_size=200), max_size=6),
    tenant=st.sampled_from([TENANT, "slack:OTHER", "discord:1"]),
    user=st.sampled_from(["bob", "zed", "alice"]),
)
async def test_random_button_and_form_ids_change_nothing_and_always_answer(
    workshop: Chat, action_id: str, form_id: str, values: dict, tenant: str, user: str
) -> None:
    core = workshop.app.core
    before = await snapshot(workshop)
    for event in (
        ButtonPressed(Caller(tenant, user, "#main"), action_id),
        FormSubmitted(Caller(tenant, user, "#main"), form_id, values),
    ):
        actions = await core.handle(event)
        texts = [a.message.text for a in actions if hasattr(a, "message")]
        assert not any(INTERNAL in t for t in texts), (event, texts)
    # A random id may still be a real one (bob's own profile form): only then may something change.
    if not any(action_id.startswith(p) or form_id.startswith(p) for p in ("people:profile", "people:forget")):
        assert await snapshot(workshop) == before


@FUZZ
@given(
    data=st.fixed_dictionaries(
        {"name": st.just("tsunagari"), "options": st.lists(discord_options(), max_size=3)}
    )
)
async def test_random_discord_command_payloads_become_text_the_core_always_answers(
    workshop: Chat, data: dict
) -> None:
    paths = by_path(surface(workshop.app.core.specs.values()))
    text = discord_translate.command_text(data, paths)
    actions = await workshop.app.core.handle(CommandInvoked(Caller("discord:1", "U1", "C1", "ja"), text))
    assert actions
    assert not any(INTERNAL in a.message.text for a in actions if hasattr(a, "message"))


@settings(max_examples=300, deadline=None)
@given(
    components=st.lists(
        st.recursive(
            st.fixed_dictionaries({"custom_id": st.text(max_size=30), "value": option_values}),
            lambda inner: st.fixed_dictionaries(
                {"type": st.integers(1, 18), "components": st.lists(inner, max_size=4)}
            ),
            max_leaves=8,
        ),
        max_size=5,
    ),
    custom_id=st.text(max_size=120),
)
def test_random_discord_modal_submissions_translate_without_error(components: list, custom_id: str) -> None:
    event = discord_translate.form_event(custom_id, components, Caller("discord:1", "U1"), "r1")
    assert all(isinstance(v, str) for v in event.values.values())
