"""Stored rounds and the roster they are drawn from: who is present, their profiles and who has met whom.

A round's seed is derived from the event, the round number and how often it was re-rolled: the same
workshop replays the same way (which the console scripts rely on), and a re-roll always draws anew.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import combinations
from typing import Any, TypeVar

from sqlalchemy import Integer, bindparam
from sqlmodel import col, delete, func, insert, select

from bot import ledger
from bot.compute import ComputeTimeout
from bot.errors import UserError
from bot.rituals.pairing.matcher import (
    Matching,
    Participant,
    PastMeeting,
    build_objective,
    describe,
    match,
    plan_rounds,
)
from bot.rituals.pairing.models import PairingRound, PairingSeat
from bot.rituals.pairing.objective import RECENT_WINDOW
from bot.router import Ctx
from bot.store.models import Event, Member
from bot.store.models import Participant as ParticipantRow

T = TypeVar("T")


@dataclass
class Roster:
    """The people present in an event, keyed for the matcher by platform user id.

    User ids, not database ids: they are the same on every backend and after a restore, so a seed
    replays the same round anywhere (database sequences skip numbers differently).
    """

    people: dict[str, Participant]
    members: dict[str, Member]
    profiles: dict[str, str]
    history: list[PastMeeting]

    @property
    def users(self) -> dict[str, str]:
        return {key: member.user_id for key, member in self.members.items()}


def round_seed(event_id: int, number: int, rerolls: int) -> int:
    # Stable across processes and small enough for a 32-bit column.
    return (event_id * 7919 + number * 104729 + rerolls * 1299709) % 2**31


def _split(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").replace("、", ",").split(",") if item.strip()]


def _fold(value: str | None) -> str | None:
    # "Fujitsu" and "fujitsu " are one organisation; only the matcher sees the folded form.
    return value.strip().casefold() or None if value else None


ROSTER_PAGE = 500
"""People read a statement. The ORM builds a row's two objects on the event loop: a room of 2,000 read in
one statement held it for ~40 ms in one go (bench/load.py's heavy room), every other room waiting. Page
by page, the loop serves them between pages; a room of up to 500 still takes one statement."""

_ROSTER = (
    select(ParticipantRow, Member)
    .join(Member, col(Member.id) == ParticipantRow.member_id)
    .where(
        ParticipantRow.event_id == bindparam("event"),
        ParticipantRow.status == "present",
        col(ParticipantRow.id) > bindparam("after"),
    )
    .order_by(col(ParticipantRow.id))
    .limit(bindparam("page", type_=Integer))
)
"""Built once: every `pairs` reads it, and building a select anew costs more CPU than running it."""


async def _present_rows(ctx: Ctx, event: Event) -> list[tuple[ParticipantRow, Member]]:
    rows: list[tuple[ParticipantRow, Member]] = []
    after = 0
    while True:
        size = ROSTER_PAGE
        page = (
            await ctx.session.exec(_ROSTER, params={"event": event.id, "after": after, "page": size})
        ).all()
        rows.extend(page)
        if len(page) < size:
            return rows
        after = page[-1][0].id


async def load_roster(ctx: Ctx, event: Event) -> Roster:
    people, members, profiles = {}, {}, {}
    for row, member in await _present_rows(ctx, event):
        key = member.user_id
        members[key] = member
        people[key] = Participant(
            key=key,
            languages=frozenset(lang.lower() for lang in _split(row.languages)),
            org=_fold(row.organisation),
            region=_fold(row.region),
            generation=_fold(row.generation),
            role=_fold(row.role),
            interests=frozenset(i.casefold() for i in _split(row.interests)),
        )
        profiles[key] = ", ".join(v for v in (row.organisation, row.region, row.generation, row.role) if v)
    met = await ledger.history(ctx.session, tenant=ctx.tenant, member_ids=[m.id for m in members.values()])
    user_of = {member.id: key for key, member in members.items()}
    history = [
        PastMeeting(user_of[a], user_of[b], times=times, ago=max(0, (ctx.now - last).days))
        for (a, b), (times, last) in met.items()
    ]
    return Roster(people, members, profiles, history)


async def unsent_rounds(ctx: Ctx, event: Event) -> list[PairingRound]:
    return list(
        (
            await ctx.session.exec(
                select(PairingRound)
                .where(
                    PairingRound.event_id == event.id, col(PairingRound.status).in_(("preview", "planned"))
                )
                .order_by(col(PairingRound.number))
            )
        ).all()
    )


async def drop_rounds(ctx: Ctx, rounds: list[PairingRound]) -> None:
    ids = [r.id for r in rounds]
    if ids:
        await ctx.session.exec(delete(PairingSeat).where(col(PairingSeat.round_id).in_(ids)))
        await ctx.session.exec(delete(PairingRound).where(col(PairingRound.id).in_(ids)))
        await ctx.session.flush()


async def next_number(ctx: Ctx, event: Event, *, sent_only: bool = False) -> int:
    """The next round's number; `sent_only`: as it will be once the unsent rounds are dropped."""
    query = select(func.max(PairingRound.number)).where(PairingRound.event_id == event.id)
    if sent_only:
        query = query.where(PairingRound.status == "sent")
    return ((await ctx.session.exec(query)).one() or 0) + 1


async def latest_round_id(ctx: Ctx, event: Event) -> int | None:
    """Changes whenever a round is stored for the event: a plan computed meanwhile checks it is still current."""
    return (
        await ctx.session.exec(select(func.max(PairingRound.id)).where(PairingRound.event_id == event.id))
    ).one()


async def store_plan(
    ctx: Ctx,
    event: Event,
    plan: tuple[Matching, ...],
    roster: Roster,
    *,
    first: int,
    size: int,
    bridge: tuple[str, ...],
    rerolls: int,
    preview: bool,
) -> list[PairingRound]:
    rows = []
    for offset, matching in enumerate(plan):
        row = PairingRound(
            tenant_id=ctx.tenant,
            event_id=event.id,
            number=first + offset,
            seed=matching.seed,
            size=size,
            bridge=",".join(bridge),
            rerolls=rerolls,
            status="preview" if preview and offset == 0 else "planned",
            created_at=ctx.now,
        )
        ctx.session.add(row)
        await ctx.session.flush()
        await seat_round(ctx, row, matching, roster)
        rows.append(row)
    return rows


async def seat_round(ctx: Ctx, row: PairingRound, matching: Matching, roster: Roster) -> None:
    """Everyone's seat in one INSERT of many rows: added one by one, the ORM inserts them a statement each
    on SQLite (to learn each id, which nothing here needs)."""
    await ctx.session.exec(delete(PairingSeat).where(PairingSeat.round_id == row.id))
    seats = [
        {
            "tenant_id": ctx.tenant,
            "round_id": row.id,
            "group_no": group_no,
            "member_id": roster.members[key].id,
        }
        for group_no, group in enumerate(matching.groups)
        for key in group.keys
        # A plan computed off the loop may name someone who left meanwhile: the round is matched again,
        # as it stands, when it is sent (stored_matching).
        if key in roster.members
    ]
    if seats:
        # As executemany parameters: one cached compilation, batched by SQLAlchemy. A multi-row
        # `.values(seats)` was compiled bind by bind on the event loop (0.9 s of CPU for 2,000 seats).
        await (await ctx.session.connection()).execute(insert(PairingSeat.__table__), seats)


async def plan_and_store(
    ctx: Ctx,
    event: Event,
    *,
    size: int,
    bridge: tuple[str, ...],
    rounds: int,
    rerolls: int,
    preview: bool,
    avoid: Iterable[tuple[str, str]] = (),
    roster: Roster | None = None,
) -> tuple[list[PairingRound], tuple[Matching, ...]]:
    """Plan `rounds` rounds for the people present and store them; `avoid` holds pairs a facilitator
    just re-rolled away from, weighed like an old meeting so a re-roll draws new pairs where it can.
    Returns the stored rows and the plan, whose first round describes itself for its introductions."""
    roster = roster or await load_roster(ctx, event)
    roster.history.extend(avoided(avoid))
    if len(roster.people) < 2:
        raise UserError("pairs.too_few", count=len(roster.people))
    first = await next_number(ctx, event)
    plan = await quickly(
        ctx,
        plan_rounds,
        list(roster.people.values()),
        rounds=rounds,
        bridge=bridge,
        history=roster.history,
        size=size,
        seed=round_seed(event.id, first, rerolls),
    )
    rows = await store_plan(
        ctx, event, plan, roster, first=first, size=size, bridge=bridge, rerolls=rerolls, preview=preview
    )
    return rows, plan


async def quickly(
    ctx: Ctx, fn: Callable[..., T], /, *args: Any, refusal: str = "pairs.planning_timeout", **kwargs: Any
) -> T:
    """A light match or plan (a round for a room, a few short rounds): off the event loop in the core's
    quick worker, awaited here. Over the time bound, the command is refused with `refusal` (words that
    say what to try instead) and nothing is stored."""
    try:
        return await ctx.core.compute.run_quick(fn, *args, **kwargs)
    except ComputeTimeout:
        raise UserError(refusal, seconds=f"{ctx.core.compute.timeout:g}") from None


def avoided(pairs: Iterable[tuple[str, str]]) -> list[PastMeeting]:
    return [PastMeeting(a, b, times=1, ago=RECENT_WINDOW) for a, b in pairs]


async def seated_pairs(ctx: Ctx, row: PairingRound) -> list[tuple[str, str]]:
    groups = await _seated_groups(ctx, row)
    return [pair for keys in groups.values() for pair in combinations(keys, 2)]


async def _seated_groups(ctx: Ctx, row: PairingRound) -> dict[int, list[str]]:
    seats = (
        await ctx.session.exec(
            select(PairingSeat.group_no, Member.user_id)
            .join(Member, col(Member.id) == PairingSeat.member_id)
            .where(PairingSeat.round_id == row.id)
        )
    ).all()
    groups: dict[int, list[str]] = {}
    for group_no, user_id in seats:
        groups.setdefault(group_no, []).append(user_id)
    return groups


async def stored_matching(ctx: Ctx, row: PairingRound, roster: Roster) -> Matching:
    """The stored round, described afresh (bridges, interests, repeats) for its introductions."""
    groups = await _seated_groups(ctx, row)
    seated = {key for keys in groups.values() for key in keys}
    people = list(roster.people.values())
    options = {"bridge": row.bridge.split(","), "history": roster.history, "size": row.size, "seed": row.seed}
    if seated != set(roster.people):
        # Someone left or stepped away since this round was planned: match it again as it stands now.
        fresh = await quickly(ctx, match, people, **options)
        await seat_round(ctx, row, fresh, roster)
        return fresh
    objective = build_objective(people, **options)
    stored = describe(objective, [[objective.index[k] for k in keys] for keys in groups.values()])
    if stored.repeats:
        # An earlier round was matched again after it was planned, and met pairs this one still holds.
        fresh = await quickly(ctx, match, people, **options)
        if fresh.weight > stored.weight:
            await seat_round(ctx, row, fresh, roster)
            return fresh
    return stored
