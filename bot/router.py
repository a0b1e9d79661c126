"""Routers and the handler context: how a ritual declares its commands, buttons, forms and timers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, bindparam, or_
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.actions import Action, DirectMessage, Form, Message, OpenForm, Post, Reply, Update
from bot.commands import MENTION_TOKEN, Arg, CommandSpec, Opt, Parsed, Role
from bot.errors import UserError
from bot.reader import event_languages, language_of, reader_language
from bot.store.db import insert_rows
from bot.store.models import Event, Facilitator, Member, Participant, Timer, TimerRef

if TYPE_CHECKING:
    from bot.core import Core

CommandHandler = Callable[["Ctx", Parsed], Awaitable[None]]
ButtonHandler = Callable[["Ctx", list[str]], Awaitable[None]]
FormHandler = Callable[["Ctx", list[str], Mapping[str, str]], Awaitable[None]]
TimerHandler = Callable[["Ctx", Timer], Awaitable[None]]
# Timers of one kind due at one moment, each with its own context (all on one session): Router.timers.
TimersHandler = Callable[[list[tuple["Ctx", Timer]]], Awaitable[None]]
SignalHandler = Callable[..., Awaitable[None]]


# Asked on most commands, so built once (building a select costs more CPU than running it).
IS_FACILITATOR = select(Facilitator.id).where(
    Facilitator.event_id == bindparam("event"), Facilitator.member_id == bindparam("member")
)
PARTICIPANT = select(Participant).where(
    Participant.event_id == bindparam("event"),
    Participant.member_id == bindparam("member"),
    Participant.status != "left",
)


@dataclass
class Router:
    """One ritual's routes. The core collects every router at start-up (bot/rituals/__init__.py)."""

    name: str
    # Anonymous rituals: the core writes no line per request (what was done, when), and the
    # delivery ids it keeps for them are as coarse as any other (bot/core.py).
    anonymous: bool = False
    commands: list[tuple[CommandSpec, CommandHandler]] = field(default_factory=list)
    buttons: dict[str, ButtonHandler] = field(default_factory=dict)
    forms: dict[str, FormHandler] = field(default_factory=dict)
    timers: dict[str, TimerHandler] = field(default_factory=dict)
    batched_timers: set[str] = field(default_factory=set)
    timer_sets: dict[str, TimersHandler] = field(default_factory=dict)
    signals: dict[str, list[SignalHandler]] = field(default_factory=dict)

    def command(
        self,
        name: str,
        *,
        args: Sequence[Arg] = (),
        options: Sequence[Opt] = (),
        role: Role = Role.ANYONE,
        needs_event: bool = True,
        help_key: str | None = None,
    ) -> Callable[[CommandHandler], CommandHandler]:
        spec = CommandSpec(name, tuple(args), tuple(options), role, needs_event, help_key)

        def register(handler: CommandHandler) -> CommandHandler:
            self.commands.append((spec, handler))
            return handler

        return register

    def button(self, prefix: str) -> Callable[[ButtonHandler], ButtonHandler]:
        """`prefix` is "ritual:verb"; the handler gets the rest of the id split on ":"."""

        def register(handler: ButtonHandler) -> ButtonHandler:
            self.buttons[prefix] = handler
            return handler

        return register

    def form(self, prefix: str) -> Callable[[FormHandler], FormHandler]:
        def register(handler: FormHandler) -> FormHandler:
            self.forms[prefix] = handler
            return handler

        return register

    def timer(self, kind: str, *, batched: bool = False) -> Callable[[TimerHandler], TimerHandler]:
        """`batched`: timers of this kind due at the same moment may run together in one transaction
        (Core.fire_timers), each claimed as it finishes rather than in a commit of its own before it
        starts. Only for a handler whose every effect is in its transaction and its actions (never
        `send_now`), and whose writes are guarded by a compare-and-set on the state it read (the step
        engine's `seq`): a timer cancelled under it has its actions dropped and changed nothing."""

        def register(handler: TimerHandler) -> TimerHandler:
            self.timers[kind] = handler
            if batched:
                self.batched_timers.add(kind)
            return handler

        return register

    def timers_together(self, kind: str) -> Callable[[TimersHandler], TimersHandler]:
        """Beside a batched `timer(kind)` handler: one that takes every timer of `kind` in a batch at once,
        each with its own context on the batch's one session, and does for all of them what the one-timer
        handler does for each, in a few set-based statements rather than a few statements each (25 groups
        of a talk hand over in one instant). It must leave the same rows and say the same things as the
        one-timer handler run on each in turn; the one-timer handler still runs a timer alone."""

        def register(handler: TimersHandler) -> TimersHandler:
            if kind not in self.batched_timers:
                raise ValueError(f"timer kind {kind!r} must be registered as batched first")
            self.timer_sets[kind] = handler
            return handler

        return register

    def on(self, signal: str) -> Callable[[SignalHandler], SignalHandler]:
        """Signals: event_ended(ctx, event, plan), participant_joined(ctx, event, participant),
        participant_left(ctx, event, participant), member_forgotten(ctx, member),
        talk_finished(ctx, event, talk_id) (once, when a timed talk ends: bot/rituals/talk),
        turns_finished(ctx, run) (a round of turns ended), board_revealed(ctx, event, board),
        and two that ask:

        - status_requested(ctx, event, viewer, lines): `event status` is being answered for `viewer` (a
          facilitator, or a participant who sees only their own place: check with
          `ctx.is_facilitator(event, viewer)`). Append localised lines to `lines` (`ctx.locale` is the
          viewer's language); add nothing when your ritual has nothing live.
        - end_requested(ctx, event, live): a facilitator typed `event end`. Append to `live` one
          localised line (in `ctx.locale`) for each part of your ritual the end would stop; if `live` is
          not empty the facilitator is asked to confirm, and `event_ended` follows only once they do."""

        def register(handler: SignalHandler) -> SignalHandler:
            self.signals.setdefault(signal, []).append(handler)
            return handler

        return register


@dataclass
class Ctx:
    """What a handler works with: one transaction, the caller, the channel's event, and the outbox."""

    core: Core
    session: AsyncSession
    tenant: str
    member: Member | None
    channel: str | None
    event: Event | None
    locale: str
    now: datetime
    actions: list[Action] = field(default_factory=list)
    new_timers: list[Timer | TimerRef] = field(default_factory=list)
    cancelled_timers: list[int] = field(default_factory=list)
    deferred: list[Callable[[Core], Awaitable[None]]] = field(default_factory=list)
    # The timer this context runs, while it is still pending (a batched timer is claimed when its handler
    # has finished): cancelling by key never cancels it under its own handler.
    firing: int | None = None
    # A run's steps (all of them, in order) as the step engine has just read them, while it tells the
    # run's presenter what changed: the presenter's own read of them (bot/steps/engine.py) needs no query.
    known_steps: dict[int, list[Any]] = field(default_factory=dict)

    # -- words --------------------------------------------------------------------------------------------
    def t(self, key: str, **params: Any) -> str:
        """In the caller's language."""
        return self.core.catalog.text(self.locale, key, **params)

    def t_in(self, locale: str, key: str, **params: Any) -> str:
        return self.core.catalog.text(locale, key, **params)

    def raw(self, locale: str, key: str) -> Any:
        return self.core.catalog.raw(locale, key)

    def people_in(self, locale: str, names: Sequence[str]) -> str:
        """Names joined as the reader's language joins them (Catalog.people)."""
        return self.core.catalog.people(locale, names)

    def locale_of(self, member: Member, event: Event | None = None, profile: str | None = None) -> str:
        """A reader's language (bot/reader.py), when their profile's languages are already at hand."""
        return language_of(
            member, profile=profile, event=event or self.event, default=self.core.settings.default_lang
        )

    async def language_for(self, member: Member, event: Event | None = None) -> str:
        """A reader's language (bot/reader.py), looking up their profile in `event` when it matters."""
        return await reader_language(
            self.session, member, event or self.event, self.core.settings.default_lang
        )

    def event_locale(self, event: Event | None = None) -> str:
        """The languages an event's channel posts are written in ("ja,en": each post in both, in that
        order); `ctx.t_in` given them renders every language (bot/i18n.py, Multi)."""
        event = event or self.event
        return ",".join(event_languages(event)) or self.locale if event else self.locale

    # -- actions ------------------------------------------------------------------------------------------
    def reply(self, key: str, **params: Any) -> None:
        self.reply_message(Message(self.t(key, **params)))

    def reply_message(self, message: Message) -> None:
        if self.member is None:
            raise RuntimeError("a timer has no caller to reply to")
        self.actions.append(Reply(self.member.user_id, self.channel, message))

    def post(self, message: Message, *, channel: str | None = None, ref: str | None = None) -> None:
        target = channel or (self.event.channel_id if self.event else self.channel)
        if target is None:
            raise RuntimeError("nowhere to post")
        self.actions.append(Post(target, message, ref))

    def dm(
        self, users: Sequence[str], message: Message, *, ref: str | None = None, near: str | None = None
    ) -> None:
        self.actions.append(DirectMessage(tuple(users), message, ref, near))

    def update(self, ref: str, message: Message) -> None:
        self.actions.append(Update(ref, message))

    def open_form(self, form: Form) -> None:
        if self.member is None:
            raise RuntimeError("a form opens only for the person who asked")
        self.actions.append(OpenForm(self.member.user_id, form))

    async def send_now(self, actions: Sequence[Action]) -> list:
        """Deliver at once and learn each action's fate (for nudges that must record a refused DM)."""
        return await self.core.outbox.send(self.tenant, actions)

    def later(self, job: Callable[[Core], Awaitable[None]]) -> None:
        """Run `job(core)` once this transaction has committed, after the command has answered: for work
        too slow to wait for (it computes off the loop, then finishes through `core.follow_up`)."""
        self.deferred.append(job)

    # -- time ---------------------------------------------------------------------------------------------
    async def schedule(
        self,
        kind: str,
        due_at: datetime,
        payload: Mapping[str, Any],
        *,
        key: str | None = None,
        member_id: int | None = None,
        created_at: datetime | None = None,
    ) -> Timer:
        """A durable timer, armed once this transaction commits. Payloads hold plain ids, never text.

        `created_at` (default: now) lets a ritual record a coarser time when the moment itself must not
        be kept (a barrier board's refresh is armed by a share)."""
        row = Timer(
            tenant_id=self.tenant,
            kind=kind,
            key=key,
            member_id=member_id,
            payload=dict(payload),
            due_at=due_at,
            created_at=created_at or self.now,
        )
        self.session.add(row)
        await self.session.flush()
        self.new_timers.append(row)
        return row

    async def schedule_many(
        self, timers: Sequence[tuple[str, datetime, Mapping[str, Any], str]]
    ) -> list[int]:
        """`schedule` for several keyed timers (kind, due at, payload, key) in one statement; their ids.

        The ORM would insert them one at a time on SQLite, to learn each id; a step's warning and end are
        scheduled together on every hand-off. One executemany (`insert_rows`: on SQLite its ids are read
        back by key, unique in a tenant). The rows are not loaded as models."""
        before = len(self.new_timers)
        await schedule_together([(self, timers)])
        return [timer.id for timer in self.new_timers[before:]]

    async def cancel_timers(self, key_prefix: str) -> int:
        """Cancel this tenant's pending timers whose key starts with `key_prefix`.

        A range on the key, not `LIKE 'prefix%'`: neither database can walk an index for a LIKE here
        (SQLite's is case-blind, PostgreSQL's needs the C collation), so it read every pending timer of
        the workspace on each hand-off. Compared byte by byte (SQLite's default; COLLATE "C" on
        PostgreSQL, as its index ix_timer_key_c is), the range holds exactly the keys with that prefix,
        and only the run's or board's own timers are read."""
        mine = [*_key_range(self.session, self.tenant, key_prefix), Timer.status == "pending"]
        if self.firing is not None:
            mine.append(Timer.id != self.firing)
        if not self.session.bind.dialect.update_returning:  # SQLite before 3.35: find them, then cancel
            ids = list((await self.session.exec(select(Timer.id).where(*mine))).all())
            await self.cancel_timer_ids(ids)
            return len(ids)
        # One UPDATE … RETURNING rather than a SELECT and an UPDATE: one statement less on each hand-off.
        rows = await self.session.exec(
            update(Timer).where(*mine).values(status="cancelled").returning(Timer.id)
        )
        ids = list(rows.scalars().all())
        self.cancelled_timers.extend(ids)
        return len(ids)

    async def cancel_timer_ids(self, ids: Sequence[int]) -> None:
        """Cancel these timers if still pending; their alarms are disarmed once this transaction commits."""
        ids = [timer_id for timer_id in ids if timer_id != self.firing]
        if ids:
            await self.session.exec(
                update(Timer)
                .where(col(Timer.id).in_(ids), Timer.status == "pending")
                .values(status="cancelled")
            )
            self.cancelled_timers.extend(ids)

    # -- people and roles ---------------------------------------------------------------------------------
    async def emit(self, signal: str, **params: Any) -> None:
        for handler in self.core.signal_handlers(signal):
            await handler(self, **params)

    async def resolve_user(self, mention: str) -> Member:
        """`<@id>` (the platform vouches for it) or `@name` (must be someone the bot has met here)."""
        found = MENTION_TOKEN.match(mention)
        if found:
            user_id = found.group(1)
            row = (
                await self.session.exec(
                    select(Member).where(Member.tenant_id == self.tenant, Member.user_id == user_id)
                )
            ).first()
            if row is None:
                row = Member(tenant_id=self.tenant, user_id=user_id, created_at=self.now)
                self.session.add(row)
                await self.session.flush()
            return row
        name = mention.lstrip("@")
        rows = (
            await self.session.exec(
                select(Member).where(Member.tenant_id == self.tenant, Member.user_id == name)
            )
        ).all() or (
            await self.session.exec(
                select(Member).where(Member.tenant_id == self.tenant, Member.display_name == name)
            )
        ).all()
        if len(rows) != 1:
            raise UserError("core.error.unknown_user", name=name[:40])
        return rows[0]

    async def resolve_users(self, mentions: Sequence[str]) -> list[Member]:
        """`resolve_user` for many at once (a round of turns names up to 30 people): the same member for
        each mention, in order, the same error for the first unknown name, in one SELECT (and one INSERT
        for people mentioned for the first time) rather than one or two a person."""
        user_ids = {found.group(1) for found in map(MENTION_TOKEN.match, mentions) if found}
        names = {m.lstrip("@") for m in mentions if not MENTION_TOKEN.match(m)}
        if not user_ids and not names:
            return []
        rows = (
            await self.session.exec(
                # The tenant inside each side of the OR: outside it, SQLite searched the name index on the
                # tenant alone, every member the workspace ever had (tests/test_flat_history.py).
                select(Member).where(
                    ((Member.tenant_id == self.tenant) & col(Member.user_id).in_(user_ids | names))
                    | ((Member.tenant_id == self.tenant) & col(Member.display_name).in_(names))
                )
            )
        ).all()
        by_user_id = {row.user_id: row for row in rows}
        new: list[Member] = []
        chosen = []
        for text in mentions:
            found = MENTION_TOKEN.match(text)
            if found:
                user_id = found.group(1)
                if user_id not in by_user_id:  # met for the first time: known from here on, as one by one
                    by_user_id[user_id] = Member(tenant_id=self.tenant, user_id=user_id, created_at=self.now)
                    new.append(by_user_id[user_id])
                chosen.append(by_user_id[user_id])
                continue
            name = text.lstrip("@")
            matches = (
                [by_user_id[name]] if name in by_user_id else [r for r in rows if r.display_name == name]
            )
            if len(matches) != 1:
                raise UserError("core.error.unknown_user", name=name[:40])
            chosen.append(matches[0])
        if new:
            self.session.add_all(new)
            await self.session.flush()
        return chosen

    async def is_facilitator(self, event: Event | None = None, member: Member | None = None) -> bool:
        event, member = event or self.event, member or self.member
        if event is None or member is None:
            return False
        row = (
            await self.session.exec(IS_FACILITATOR, params={"event": event.id, "member": member.id})
        ).first()
        return row is not None

    async def participant(
        self, event: Event | None = None, member: Member | None = None
    ) -> Participant | None:
        event, member = event or self.event, member or self.member
        if event is None or member is None:
            return None
        return (await self.session.exec(PARTICIPANT, params={"event": event.id, "member": member.id})).first()

    async def require_facilitator(self, event: Event | None = None, *, what: str = "") -> None:
        if not await self.is_facilitator(event):
            raise UserError("core.error.facilitator_only", command=what)

    async def require_participant(self, event: Event | None = None) -> None:
        # Participants first: they send most of an evening's commands (a share, a "Me too"), and for them
        # the facilitator read is then not needed.
        if not (await self.participant(event) or await self.is_facilitator(event)):
            raise UserError("core.error.join_first")


def _key_range(session: AsyncSession, tenant: str, key_prefix: str) -> list:
    """A tenant's timer keys that start with `key_prefix`, as a range the key index can walk
    (Ctx.cancel_timers says why not LIKE)."""
    if not key_prefix:
        raise ValueError("a timer key prefix must not be empty")
    upper = key_prefix[:-1] + chr(ord(key_prefix[-1]) + 1)
    key = col(Timer.key)
    if session.bind.dialect.name == "postgresql":
        key = key.collate("C")
    return [Timer.tenant_id == tenant, key >= key_prefix, key < upper]


async def cancel_timers_together(items: Sequence[tuple[Ctx, str]]) -> None:
    """`ctx.cancel_timers(prefix)` for each (ctx, prefix), all on one session, in one UPDATE … RETURNING:
    the timers the contexts are firing are spared, and each cancelled id goes to the context whose
    prefix it matched (its alarm is disarmed when that context is armed)."""
    if not items:
        return
    session = items[0][0].session
    if not session.bind.dialect.update_returning:  # SQLite before 3.35
        for ctx, prefix in items:
            await ctx.cancel_timers(prefix)
        return
    firing = [ctx.firing for ctx, _ in items if ctx.firing is not None]
    ranges = [and_(*_key_range(session, ctx.tenant, prefix)) for ctx, prefix in items]
    where = [or_(*ranges), Timer.status == "pending"]
    if firing:
        where.append(col(Timer.id).not_in(firing))
    rows = await session.exec(
        update(Timer).where(*where).values(status="cancelled").returning(Timer.id, Timer.tenant_id, Timer.key)
    )
    owners = {(ctx.tenant, prefix): ctx for ctx, prefix in items}
    for timer_id, tenant, key in rows.all():
        owner = next(ctx for (t, prefix), ctx in owners.items() if t == tenant and key.startswith(prefix))
        owner.cancelled_timers.append(timer_id)


async def schedule_together(
    items: Sequence[tuple[Ctx, Sequence[tuple[str, datetime, Mapping[str, Any], str]]]],
) -> None:
    """`ctx.schedule_many(timers)` for each (ctx, timers), all on one session, in one executemany."""
    items = [(ctx, timers) for ctx, timers in items if timers]
    if not items:
        return
    rows, owners = [], []
    for ctx, timers in items:
        for kind, due_at, payload, key in timers:
            if not key:
                raise ValueError("timers scheduled together need keys of their own")
            rows.append(
                {
                    "tenant_id": ctx.tenant,
                    "kind": kind,
                    "key": key,
                    "payload": dict(payload),
                    "due_at": due_at,
                    "created_at": ctx.now,
                }
            )
            owners.append(ctx)
    if len({(row["tenant_id"], row["key"]) for row in rows}) != len(rows):
        raise ValueError("timers scheduled together need keys of their own")
    # One executemany of a statement built once (a multi-row VALUES statement was compiled anew for each
    # number of rows); the ids come back in the order given.
    ids = await insert_rows(items[0][0].session, Timer, rows, key=("tenant_id", "key"))
    for ctx, row, timer_id in zip(owners, rows, ids, strict=True):
        ctx.new_timers.append(TimerRef(timer_id, row["due_at"]))
