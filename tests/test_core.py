"""The core's promises: one transaction per event, retries act once, tenants never see each other."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect, text
from sqlmodel import select

from bot.actions import Reply
from bot.bootstrap import build
from bot.clock import VirtualClock
from bot.commands import Arg
from bot.config import Settings
from bot.errors import UserError
from bot.events import ButtonPressed, Caller, CommandInvoked, FormSubmitted
from bot.markup import unmark
from bot.router import Router
from bot.store.models import Event, Participant, Tenant
from tests.support import Chat, statements_sent

pytestmark = pytest.mark.db

half_done = Router("probe")


@half_done.command("probe half", args=[Arg("name", "text")], needs_event=False)
async def _write_then_refuse(ctx, args) -> None:  # noqa: ANN001
    ctx.session.add(Tenant(id="written-by-probe", platform="probe", created_at=ctx.now))
    await ctx.session.flush()
    raise UserError("core.error.no_channel")


@pytest.fixture
async def app(database_url: str):
    application = build(
        Settings().model_copy(update={"database_url": database_url}),
        clock=VirtualClock(datetime(2026, 1, 15, tzinfo=UTC)),
        extra_routers=[half_done],
    )
    await application.start()
    yield application
    await application.close()


def alice(tenant: str = "slack:T1", channel: str = "C1", locale: str | None = None) -> Caller:
    return Caller(tenant, "U_ALICE", channel, locale, "alice")


async def test_a_retried_request_acts_once(app) -> None:  # noqa: ANN001
    event = CommandInvoked(alice(), 'event start "Retry Night"', request_id="Ev01")
    first = await app.core.handle(event)
    again = await app.core.handle(event)
    assert "**Retry Night** has started" in unmark(first[0].message.text)
    assert again == []  # what Slack's retry gets: nothing new shows up
    async with app.store.session() as session:
        assert len((await session.exec(select(Event))).all()) == 1


async def test_a_refused_command_leaves_nothing_half_written(app) -> None:  # noqa: ANN001
    actions = await app.core.handle(CommandInvoked(alice(), "probe half x"))
    assert isinstance(actions[0], Reply)
    assert actions[0].message.text.startswith("Please run this in the channel")
    async with app.store.session() as session:
        assert await session.get(Tenant, "written-by-probe") is None


async def test_an_event_in_one_workspace_is_invisible_from_another(app) -> None:  # noqa: ANN001
    await app.core.handle(CommandInvoked(alice("slack:T1", "C1"), 'event start "Tenant One"'))
    stranger = Caller("slack:T2", "U_ALICE", "C1", None, "alice")
    actions = await app.core.handle(CommandInvoked(stranger, "join"))
    assert "There is no event in this channel yet" in actions[0].message.text
    async with app.store.session() as session:
        assert (await session.exec(select(Participant))).all() == []


async def test_the_callers_platform_language_answers_until_they_choose_one(app) -> None:  # noqa: ANN001
    actions = await app.core.handle(CommandInvoked(alice(locale="ja-JP"), "join"))
    assert "まだイベントが始まっていません" in actions[0].message.text
    await app.core.handle(CommandInvoked(alice(locale="ja-JP"), "lang en"))
    actions = await app.core.handle(CommandInvoked(alice(locale="ja-JP"), "join"))
    assert "There is no event in this channel yet" in actions[0].message.text


async def test_a_button_or_form_nobody_knows_does_nothing_and_says_so(app) -> None:  # noqa: ANN001
    for event in (
        ButtonPressed(alice(), "turns:next:999999"),
        ButtonPressed(alice(), ":::"),
        FormSubmitted(alice(), "nothing:here", {"x": "y"}),
    ):
        actions = await app.core.handle(event)
        assert "no longer exists, so nothing happened" in actions[0].message.text


async def test_a_huge_form_value_is_refused_clearly(app) -> None:  # noqa: ANN001
    await app.core.handle(CommandInvoked(alice(), 'event start "Forms"'))
    await app.core.handle(CommandInvoked(alice(), "join"))
    actions = await app.core.handle(
        FormSubmitted(alice(), "people:profile:1", {"organisation": "x" * 20_000})
    )
    assert "form is 20000 characters long; the limit is 10000" in actions[0].message.text


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=st.text(max_size=200))
async def test_any_command_text_gets_an_answer_and_never_an_exception(app, text: str) -> None:  # noqa: ANN001
    actions = await app.core.handle(CommandInvoked(alice(channel="C-fuzz"), text))
    assert actions, "every command gets an answer"


async def test_forget_me_leaves_no_row_that_names_the_caller(chat: Chat) -> None:
    await chat.say("alice", '/tsunagari event start "Forgetting"')
    await chat.say("zoe", "/tsunagari join --org Zoetrope --region Kyoto --interests zither")
    await chat.say("zoe", "/tsunagari tz Asia/Tokyo")
    await chat.say("alice", "/tsunagari facilitators add @zoe")
    lines = await chat.say("zoe", "/tsunagari forget-me confirm")
    assert any("Everything Tsunagari held about you has been deleted" in line for line in lines)
    hits = await scan_database(chat, ["zoe", "Zoetrope", "zither"])
    assert hits == [], f"rows still name the forgotten member: {hits}"


async def scan_database(chat: Chat, needles: list[str]) -> list[str]:
    """Every value of every column of every table, searched for each needle."""
    found = []
    async with chat.app.store.engine.connect() as connection:
        tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        for table in tables:
            rows = (await connection.execute(text(f'SELECT * FROM "{table}"'))).all()
            for row in rows:
                for value in row:
                    for needle in needles:
                        if value is not None and needle.lower() in str(value).lower():
                            found.append(f"{table}: {value!r}")
    return found


async def test_the_migrations_build_exactly_the_tables_the_models_describe(database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    import bot.store.tables  # noqa: F401
    from bot.store.db import Store

    store = Store(database_url)
    try:
        await store.upgrade()
        async with store.engine.connect() as connection:
            diff = await connection.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(sync, opts={"compare_type": False}), SQLModel.metadata
                )
            )
    finally:
        await store.close()
    assert diff == [], f"models and migrations differ; write a migration: {diff}"


def test_two_rituals_cannot_claim_the_same_button_or_timer_kind() -> None:
    first, second = Router("first"), Router("second")
    for router in (first, second):
        router.timer("shared.ring")(lambda ctx, timer: None)
    with pytest.raises(ValueError, match="timer kind 'shared.ring' is registered twice"):
        build(
            Settings().model_copy(update={"database_url": "sqlite+aiosqlite://"}),
            extra_routers=[first, second],
        )


async def test_a_duration_out_of_range_is_answered_in_the_readers_words(app) -> None:  # noqa: ANN001
    await app.core.handle(CommandInvoked(alice(), 'event start "Durations"'))
    english = await app.core.handle(CommandInvoked(alice(), "turns --minutes 999"))
    japanese = await app.core.handle(CommandInvoked(alice(locale="ja"), "turns --minutes 10s"))
    assert english[0].message.text == "--minutes must be between 30 s and 30 min."
    assert japanese[0].message.text == "`--minutes` は30秒から30分の間で指定してください。"


async def test_a_known_participant_is_found_with_the_event_and_their_language_in_one_statement(
    chat: Chat,
) -> None:
    """Before any ritual runs, a command from someone known, in their event's channel, costs one read: who
    they are, the channel's open event, and the languages of their profile there (what a Japanese-only
    participant's replies are written in). It was three, on every command of every room."""
    await chat.say("alice", '/tsunagari event start "One read" --lang en,ja')
    await chat.say("kenji", "/tsunagari join --org Musubi --languages ja")
    with statements_sent(chat.app.store) as statements:
        lines = await chat.say("kenji", "/tsunagari join --org Musubi --languages ja")
    sent = [" ".join(sql.split()).upper() for sql, _ in statements]
    assert (
        lines[0] == "[09:00] kenji only | すでに「One read」に参加しています。"
    )  # in his profile's language
    before_delivery = sent[: next(i for i, s in enumerate(sent) if "INSERT INTO PROCESSED_REQUEST" in s)]
    assert len(before_delivery) == 1, before_delivery
    assert "FROM MEMBER LEFT OUTER JOIN EVENT" in before_delivery[0]
