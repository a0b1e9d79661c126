"""`Ctx.resolve_users` answers as `resolve_user` called once per mention would: the same members in the
same order, the same new members (created in mention order), the same error for the first unknown name."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from bot.errors import UserError
from bot.router import Ctx
from bot.store.models import Member
from tests.support import Chat

pytestmark = pytest.mark.db

TENANT = "console"


async def known(chat: Chat) -> None:
    """bob, carol (shown as "Cee") and dan (also shown as "Cee") have met the bot."""
    await chat.say("alice", '/tsunagari event start "Yorimichi"')
    for person in ("bob", "carol", "dan"):
        await chat.say(person, "/tsunagari join")
    async with chat.app.store.session() as session:
        for person in ("carol", "dan"):
            member = (await session.exec(select(Member).where(Member.user_id == person))).one()
            member.display_name = "Cee"
        bob = (await session.exec(select(Member).where(Member.user_id == "bob"))).one()
        bob.display_name = "Bobby"
        await session.commit()


async def one_by_one(chat: Chat, mentions: list[str]) -> list[tuple[str, int]] | str:
    """What the per-mention resolver gives (user ids, ids ranked), or its error key and name; rolled back."""
    async with chat.app.store.session() as session:
        ctx = Ctx(chat.app.core, session, TENANT, None, None, None, "en", chat.app.clock.now())
        try:
            members = [await ctx.resolve_user(text) for text in mentions]
            return _ranked(members)
        except UserError as error:
            return f"{error.key} {error.params['name']}"
        finally:
            await session.rollback()


async def batched(chat: Chat, mentions: list[str]) -> list[tuple[str, int]] | str:
    async with chat.app.store.session() as session:
        ctx = Ctx(chat.app.core, session, TENANT, None, None, None, "en", chat.app.clock.now())
        try:
            members = await ctx.resolve_users(mentions)
            return _ranked(members)
        except UserError as error:
            return f"{error.key} {error.params['name']}"
        finally:
            await session.rollback()


def _ranked(members: list[Member]) -> list[tuple[str, int]]:
    """User ids with each id's rank among those given: a PostgreSQL sequence does not roll back, so the
    two resolvers' new members get different ids, in the same order."""
    ranks = {member_id: rank for rank, member_id in enumerate(sorted({m.id for m in members}))}
    return [(m.user_id, ranks[m.id]) for m in members]


@pytest.mark.parametrize(
    "mentions",
    [
        [],
        ["@bob", "<@carol>", "@Bobby", "<@newcomer>", "<@dan|Dan>", "@newcomer", "<@second>", "<@newcomer>"],
        ["<@bob>", "@bob", "@bob"],
        ["@carol", "@nobody", "@also-nobody"],  # the first unknown name is the one named
        ["@bob", "@Cee"],  # two people shown as "Cee": ambiguous
        ["@later", "<@later>"],  # not known yet when named with @, only once mentioned
        ["<@later>", "@later"],
    ],
)
async def test_resolve_users_answers_as_resolve_user_one_by_one(chat: Chat, mentions: list[str]) -> None:
    await known(chat)
    expected = await one_by_one(chat, mentions)
    assert await batched(chat, mentions) == expected


async def test_resolve_users_creates_each_new_member_once(chat: Chat) -> None:
    await known(chat)
    async with chat.app.store.session() as session:
        ctx = Ctx(chat.app.core, session, TENANT, None, None, None, "en", chat.app.clock.now())
        members = await ctx.resolve_users(["<@zed>", "<@yan>", "<@zed>"])
        await session.commit()
    assert members[0] is members[2]
    async with chat.app.store.session() as session:
        new = (
            await session.exec(
                select(Member.user_id).where(col(Member.user_id).in_(["zed", "yan"])).order_by(col(Member.id))
            )
        ).all()
    assert new == ["zed", "yan"]
