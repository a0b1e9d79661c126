"""The authorisation matrix: every command and every button, by a facilitator, a participant, a stranger
and a member of another tenant. It enumerates what the core has registered, so a ritual added later is
covered without touching this file.

The database is snapshotted (every table but the bookkeeping ones the core writes for any caller) before
and after each attempt that must be refused, and must not change.
"""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from adapters.console.adapter import TENANT
from bot.commands import CommandSpec, Role
from bot.events import ButtonPressed, Caller, CommandInvoked, FormSubmitted
from tests.support import Chat

pytestmark = pytest.mark.db

# Rows any caller may cause: their tenant and member row, and the request id that dedupes retries.
BOOKKEEPING = {"tenant", "member", "processed_request", "alembic_version"}
SETUP = """
alice: /tsunagari event start "Matrix" --lang en
bob: /tsunagari join --org Acme --region Tokyo --generation 30s --languages en
carol: /tsunagari join --org Beta --region Osaka --generation 20s --languages en
dan: /tsunagari join --org Gamma --region Kyoto --generation 40s --languages en
"""


def sample_args(spec: CommandSpec) -> str:
    """The least a command needs to get past the parser, so the role check is what answers."""
    words = []
    for arg in spec.args:
        if not arg.required:
            continue
        if arg.kind in ("user", "users"):
            words.append("@carol")
        elif arg.choices:
            words.append(arg.choices[0])
        elif arg.kind == "number":
            words.append(str(arg.min or 1))
        else:
            words.append("x")
    return " ".join([spec.name, *words])


async def tables_and_columns(chat: Chat) -> dict[str, list[str]]:
    async with chat.app.store.engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: {
                t: [c["name"] for c in inspect(sync).get_columns(t)] for t in inspect(sync).get_table_names()
            }
        )


async def snapshot(chat: Chat, tenant: str = TENANT) -> dict[str, list[tuple]]:
    """Every row of `tenant` in every table but the bookkeeping ones."""
    columns = await tables_and_columns(chat)
    async with chat.app.store.engine.connect() as connection:
        state = {}
        for table in sorted(set(columns) - BOOKKEEPING):
            rows = (
                await connection.execute(text(f'SELECT * FROM "{table}" WHERE tenant_id = :t'), {"t": tenant})
            ).all()
            state[table] = sorted(tuple(map(str, row)) for row in rows)
        return state


async def test_every_table_is_scoped_by_tenant(chat: Chat) -> None:
    columns = await tables_and_columns(chat)
    unscoped = [
        table
        for table, names in columns.items()
        if table not in ("alembic_version", "tenant") and "tenant_id" not in names
    ]
    assert unscoped == [], "tables without a tenant_id column"


@pytest.fixture
async def workshop(chat: Chat) -> Chat:
    await chat.play(SETUP)
    return chat


def facilitator_only(chat: Chat) -> list[CommandSpec]:
    return [spec for spec in chat.app.core.specs.values() if spec.role == Role.FACILITATOR]


async def test_every_facilitator_command_refuses_participants_and_strangers(workshop: Chat) -> None:
    specs = facilitator_only(workshop)
    assert {"event end", "facilitators add", "handover"} <= {spec.name for spec in specs}
    for spec in specs:
        for who in ("bob", "zed"):  # a participant, then a stranger who never joined
            before = await snapshot(workshop)
            lines = await workshop.say(who, "/tsunagari " + sample_args(spec))
            assert any(f"Only a facilitator of this event can run `{spec.name}`" in line for line in lines), (
                spec.name,
                who,
                lines,
            )
            assert await snapshot(workshop) == before, f"{spec.name} by {who} changed something"


async def test_every_participant_command_asks_a_stranger_to_join_first(workshop: Chat) -> None:
    for spec in (s for s in workshop.app.core.specs.values() if s.role == Role.PARTICIPANT):
        before = await snapshot(workshop)
        lines = await workshop.say("zed", "/tsunagari " + sample_args(spec))
        assert any("Join the event first" in line for line in lines), (spec.name, lines)
        assert await snapshot(workshop) == before


async def test_another_tenant_sees_no_event_and_changes_nothing(workshop: Chat) -> None:
    """A member of another workspace, in a channel with the same id, reaches nothing of this one."""
    core = workshop.app.core
    before = await snapshot(workshop)
    for spec in core.specs.values():
        if spec.name == "event start":
            continue  # tried last: once the other tenant has an event of its own, "no event" no longer holds
        actions = await core.handle(
            CommandInvoked(Caller("slack:OTHER", "alice", "#main"), sample_args(spec))
        )
        if spec.needs_event:
            assert "There is no event in this channel yet" in actions[0].message.text, spec.name
    await core.handle(CommandInvoked(Caller("slack:OTHER", "alice", "#main"), "event start Elsewhere"))
    for spec in core.specs.values():  # now with an event of its own, in a channel of the same name
        await core.handle(CommandInvoked(Caller("slack:OTHER", "alice", "#main"), sample_args(spec)))
    assert await snapshot(workshop) == before


async def test_no_button_or_form_acts_for_another_tenant_or_a_stranger(workshop: Chat) -> None:
    """Every button and form prefix, with the ids of this workshop's rows, pressed from outside."""
    core = workshop.app.core
    ids = ["1", "1:1", "1:0", "1:1:1", "2", "0"]
    outsiders = [
        Caller("slack:OTHER", "alice", "#main"),
        Caller("slack:OTHER", "mallory", "#main"),
        Caller(TENANT, "zed", "#main"),
    ]
    for prefix in list(core.button_handlers) + list(core.form_handlers):
        for suffix in ids:
            for caller in outsiders:
                if caller.tenant == TENANT and prefix in ("people:profile",):
                    continue  # zed may open a profile form only to be told to join (checked below)
                before = await snapshot(workshop)
                event = (
                    ButtonPressed(caller, f"{prefix}:{suffix}")
                    if prefix in core.button_handlers
                    else FormSubmitted(caller, f"{prefix}:{suffix}", {"text": "x"})
                )
                actions = await core.handle(event)
                assert actions, f"{prefix}:{suffix} by {caller.user}@{caller.tenant} got no answer"
                replies = [a.message.text for a in actions if hasattr(a, "message")]
                assert not any("Something went wrong" in r for r in replies), (prefix, suffix, replies)
                assert await snapshot(workshop) == before, (
                    f"{prefix}:{suffix} by {caller.user}@{caller.tenant}"
                )


async def test_forgetting_someone_else_by_their_button_does_nothing(workshop: Chat) -> None:
    lines = await workshop.say("bob", "/tsunagari forget-me")
    assert any("[Forget me]" in line for line in lines)
    before = await snapshot(workshop)
    # carol presses a copy of bob's button (its id names bob's member row).
    core = workshop.app.core
    action_id = next(
        b.action_id
        for s in workshop.runner.world.shown
        if s.message
        for b in s.message.buttons
        if b.action_id.startswith("people:forget")
    )
    actions = await core.handle(ButtonPressed(Caller(TENANT, "carol", "#main"), action_id))
    assert "no longer exists, so nothing happened" in actions[0].message.text
    assert await snapshot(workshop) == before
