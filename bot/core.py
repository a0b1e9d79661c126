"""The core: turns an inbound event into actions, inside one transaction, in the caller's language."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from sqlalchemy import and_, bindparam
from sqlmodel import col, select, update

from bot.actions import Action, Message, Reply
from bot.clock import Clock
from bot.commands import CommandSpec, Parser, Role, known_zone, record_id
from bot.compute import Compute
from bot.config import Settings
from bot.errors import Seconds, Usage, UserError
from bot.events import ButtonPressed, Caller, CommandInvoked, FormSubmitted, InboundEvent
from bot.i18n import Catalog, normalise_locale
from bot.markup import bold, user_text
from bot.router import Ctx, Router
from bot.store import requests
from bot.store.db import Store, insert_ignore
from bot.store.models import Event, Member, Participant, ProcessedRequest, Tenant, Timer

if TYPE_CHECKING:
    from bot.outbox import Outbox
    from bot.scheduler import Timers

log = logging.getLogger(__name__)

MAX_FORM_VALUE = 10_000
TOGETHER_AT_MOST = 200  # timers handed to one Router.timers_together call


class _NoEvent(Exception):
    """The command needs an open event and the channel has none (raised before its values are read)."""


# The statement every command starts with, built once: building a select costs more CPU than sending it
# (coercing its clauses, then its cache key: ~0.5 ms here, against ~0.3 ms to run a built one).
_MINE = (Member.tenant_id == bindparam("tenant"), Member.user_id == bindparam("user"))
HELLO = select(Member).where(*_MINE)
"""A caller outside any channel (a DM): their member row."""
HELLO_IN_CHANNEL = (
    select(Member, Event, Participant.languages)
    .select_from(Member)
    .outerjoin(
        Event,
        and_(
            Event.tenant_id == bindparam("tenant"),
            Event.channel_id == bindparam("channel"),
            Event.status == "open",
        ),
    )
    .outerjoin(Participant, and_(Participant.event_id == Event.id, Participant.member_id == Member.id))
    .where(*_MINE)
    .limit(1)
)
"""A caller in a channel: their member row, the channel's open event, and the languages of their profile
in it (None where there is no event, or they have not joined it)."""


def _who(caller: Caller) -> dict[str, str]:
    who = {"tenant": caller.tenant, "user": caller.user}
    return {**who, "channel": caller.channel} if caller.channel else who


class Core:
    def __init__(
        self,
        *,
        settings: Settings,
        store: Store,
        clock: Clock,
        catalog: Catalog,
        routers: Iterable[Router],
        outbox: Outbox,
        timers: Timers | None = None,
        compute: Compute | None = None,
    ) -> None:
        self.settings, self.store, self.clock, self.catalog = settings, store, clock, catalog
        self.outbox = outbox
        self.timers = timers
        self.compute = compute or Compute(mode="inline")
        # Work a handler handed on (`ctx.later`): it runs after the command has answered.
        self._jobs: set[asyncio.Task] = set()
        self.routers = list(routers)
        self.specs = {}
        self.command_handlers = {}
        self.button_handlers = {}
        self.form_handlers = {}
        self.timer_handlers = {}
        self.batched_timers: set[str] = set()  # kinds whose timers due together run in one transaction
        self.timer_sets: dict = {}  # kind -> the handler that takes all of a batch's timers of that kind
        # Tenants whose row is known to exist (committed): tenants are never deleted, so after the first
        # command from a workspace or guild the upsert that would create it is skipped.
        self._known_tenants: set[str] = set()
        self._request_key = requests.digest_key(settings)
        # Routes of anonymous rituals: a line per request would date each share, so none is written.
        self._anonymous: set[str] = set()
        for router in self.routers:
            for spec, handler in router.commands:
                if spec.name in self.specs:
                    raise ValueError(f"command {spec.name!r} is registered twice")
                self.specs[spec.name] = spec
                self.command_handlers[spec.name] = handler
                if router.anonymous:
                    self._anonymous.add(spec.name)
            # A second ritual claiming a button prefix or timer kind would silently take over the first's.
            for what, table, routes in (
                ("button", self.button_handlers, router.buttons),
                ("form", self.form_handlers, router.forms),
                ("timer kind", self.timer_handlers, router.timers),
            ):
                for key, handler in routes.items():
                    if key in table:
                        raise ValueError(f"{what} {key!r} is registered twice")
                    table[key] = handler
                    if router.anonymous:
                        self._anonymous.add(key)
            self.batched_timers |= router.batched_timers
            self.timer_sets.update(router.timer_sets)
        self.parser = Parser(list(self.specs.values()))

    def signal_handlers(self, signal: str) -> list:
        return [handler for router in self.routers for handler in router.signals.get(signal, [])]

    # -- inbound ------------------------------------------------------------------------------------------
    async def handle(self, event: InboundEvent) -> list[Action]:
        caller = event.caller
        locale = normalise_locale(caller.locale) or self.settings.default_lang
        ctx: Ctx | None = None
        async with self.store.session() as session:
            try:
                ctx = await self._context(session, caller)
                locale = ctx.locale
                if event.request_id and not await self._first_delivery(ctx, event.request_id):
                    # DEBUG: at the default level a line at the moment of a retried share would date it.
                    log.debug("duplicate delivery ignored")
                    await session.rollback()
                    return []
                await self._dispatch(ctx, event)
                await session.commit()
                self._known_tenants.add(ctx.tenant)
            except UserError as error:
                await session.rollback()
                # A handler may learn the reader's language late (a button in a DM names its event).
                locale = ctx.locale if ctx is not None else locale
                return [self._error_reply(caller, locale, error.key, error.params)]
            except Exception:
                await session.rollback()
                # The type and route only: an exception's text can carry what a participant typed.
                log.exception("handling %s failed", type(event).__name__)
                return [self._error_reply(caller, locale, "core.error.internal", {})]
        self._arm(ctx)
        for job in ctx.deferred:
            self._spawn(job)
        return ctx.actions

    # -- work that answers later ------------------------------------------------------------------------------
    def _spawn(self, job: Callable[[Core], Awaitable[None]]) -> None:
        task = asyncio.get_running_loop().create_task(self._run_job(job))
        self._jobs.add(task)
        task.add_done_callback(self._jobs.discard)

    async def _run_job(self, job: Callable[[Core], Awaitable[None]]) -> None:
        try:
            await job(self)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("a deferred job failed")

    async def settle(self) -> None:
        """Wait until every deferred job has finished (console scripts and tests: a deterministic order)."""
        while self._jobs:
            await asyncio.gather(*list(self._jobs), return_exceptions=True)

    async def cancel_jobs(self) -> None:
        """At shutdown: jobs still computing are dropped; they write only in their last transaction."""
        for task in list(self._jobs):
            task.cancel()
        await asyncio.gather(*list(self._jobs), return_exceptions=True)
        if self._jobs:
            log.info("%d deferred jobs dropped at shutdown", len(self._jobs))

    async def follow_up(self, caller: Caller, step: Callable[[Ctx], Awaitable[None]]) -> list[Action]:
        """Finish a deferred job for `caller`: `step` runs in a transaction of its own, as a command's
        handler does (a UserError rolls it back and answers the caller), and its actions are delivered."""
        ctx: Ctx | None = None
        async with self.store.session() as session:
            try:
                ctx = await self._context(session, caller)
                await step(ctx)
                await session.commit()
            except UserError as error:
                await session.rollback()
                locale = ctx.locale if ctx is not None else self.settings.default_lang
                actions = [self._error_reply(caller, locale, error.key, error.params)]
                await self.outbox.send(caller.tenant, actions)
                return actions
            except Exception:
                await session.rollback()
                log.exception("a deferred job's follow-up failed")
                locale = ctx.locale if ctx is not None else self.settings.default_lang
                actions = [self._error_reply(caller, locale, "core.error.internal", {})]
                await self.outbox.send(caller.tenant, actions)
                return actions
        self._arm(ctx)
        if ctx.actions:
            await self.outbox.send(caller.tenant, ctx.actions)
        return ctx.actions

    def _error_reply(self, caller: Caller, locale: str, key: str, params: dict) -> Reply:
        platform = caller.tenant.split(":", 1)[0]
        params = {name: self._shown(locale, platform, value) for name, value in params.items()}
        return Reply(caller.user, caller.channel, Message(self.catalog.text(locale, key, **params)))

    def _shown(self, locale: str, platform: str, value):
        if isinstance(value, Seconds):
            return self.catalog.duration(locale, value)
        if isinstance(value, Usage) and value.command in self.specs:
            return self.parser.usage(self.specs[value.command], platform)
        return value

    async def _context(self, session, caller: Caller) -> Ctx:
        now = self.clock.now()
        if caller.tenant not in self._known_tenants:
            await insert_ignore(
                session,
                Tenant,
                {"id": caller.tenant, "platform": caller.tenant.split(":", 1)[0], "created_at": now},
                ["id"],
            )
        # Almost every command comes from someone already known: look first, create only when missing
        # (insert-ignore, so two first commands at once from the same person both find the one row). One
        # round trip brings the person, the channel's open event and their profile's languages in it
        # (what their language falls back to): three statements before, on every command.
        hello, who = (HELLO_IN_CHANNEL if caller.channel else HELLO), _who(caller)
        found = (await session.exec(hello, params=who)).first()
        if found is None:
            await insert_ignore(
                session,
                Member,
                {"tenant_id": caller.tenant, "user_id": caller.user, "created_at": now},
                ["tenant_id", "user_id"],
            )
            found = (await session.exec(hello, params=who)).one()
        member, event, profile = found if caller.channel else (found, None, None)
        if caller.name and member.display_name != caller.name[:120]:
            member.display_name = caller.name[:120]
        hint = normalise_locale(caller.locale)
        if hint and member.locale_hint != hint:
            member.locale_hint = hint
        zone = known_zone(caller.tz)
        if zone and member.tz_hint != zone:
            member.tz_hint = zone
        ctx = Ctx(self, session, caller.tenant, member, caller.channel, event, "en", now)
        if event is not None:
            ctx.locale = ctx.locale_of(member, event, profile)
        else:  # outside an event, their language falls back to their last event's profile
            ctx.locale = await ctx.language_for(member)
        return ctx

    async def _first_delivery(self, ctx: Ctx, request_id: str) -> bool:
        # A keyed digest and the hour, not the platform's id and the second: a Discord id is a snowflake
        # that carries its millisecond, and either would date each share long after its board closed.
        inserted = await insert_ignore(
            ctx.session,
            ProcessedRequest,
            {
                "tenant_id": ctx.tenant,
                "request_id": requests.digest(self._request_key, ctx.tenant, request_id),
                "seen_at": requests.coarse(ctx.now),
            },
            ["tenant_id", "request_id"],
        )
        return inserted == 1

    def _log_route(self, kind: str, route: str, ident: str, tenant: str) -> None:
        """One INFO line per request, except for anonymous rituals: at no level does a line say what was
        done there, or (by its own time) when."""
        if route not in self._anonymous:
            log.info("%s %s in %s", kind, ident[:100], tenant)

    @staticmethod
    async def _require_role(ctx: Ctx, spec: CommandSpec) -> None:
        if spec.role == Role.FACILITATOR:
            await ctx.require_facilitator(what=spec.name)
        elif spec.role == Role.PARTICIPANT:
            await ctx.require_participant()

    async def _dispatch(self, ctx: Ctx, event: InboundEvent) -> None:
        if isinstance(event, CommandInvoked):
            matched: list[CommandSpec] = []

            def needs_an_event(spec: CommandSpec) -> None:
                matched.append(spec)
                if spec.needs_event and ctx.event is None:
                    raise _NoEvent

            # No event here is said first, then who may use the command, and only then what was wrong
            # with its values: a stranger's `event lang x` is refused as a stranger, not taught languages.
            try:
                parsed = self.parser.parse(event.text, check=needs_an_event)
            except _NoEvent:
                await self._no_event(ctx)  # always raises: "not started yet", or that it ended
                raise
            except UserError:
                if matched:
                    await self._require_role(ctx, matched[0])
                raise
            spec = parsed.spec
            await self._require_role(ctx, spec)
            self._log_route("command", spec.name, spec.name, ctx.tenant)
            await self.command_handlers[spec.name](ctx, parsed)
        elif isinstance(event, ButtonPressed):
            handler, route, rest = self._route(self.button_handlers, event.action_id)
            self._log_route("button", route, event.action_id, ctx.tenant)
            await handler(ctx, rest)
        elif isinstance(event, FormSubmitted):
            handler, route, rest = self._route(self.form_handlers, event.form_id)
            if event.fields is not None:
                unknown = [str(name) for name in event.values if name not in event.fields]
                if unknown:
                    raise UserError(
                        "core.error.unknown_field", field=unknown[0][:40], fields=", ".join(event.fields)
                    )
            values = {str(k)[:100]: str(v) for k, v in list(event.values.items())[:20]}
            if any(len(v) > MAX_FORM_VALUE for v in values.values()):
                raise UserError(
                    "core.error.too_long",
                    field="form",
                    max=MAX_FORM_VALUE,
                    length=max(len(v) for v in values.values()),
                )
            self._log_route("form", route, event.form_id, ctx.tenant)
            await handler(ctx, rest, values)
        else:
            raise TypeError(f"unsupported event {type(event).__name__}")

    @staticmethod
    async def _no_event(ctx: Ctx) -> None:
        """No open event here: "not started yet" only where none ever was; after one ended, that it ended."""
        last = None
        if ctx.channel:
            last = (
                await ctx.session.exec(
                    select(Event)
                    .where(Event.tenant_id == ctx.tenant, Event.channel_id == ctx.channel)
                    .order_by(col(Event.id).desc())
                    .limit(1)
                )
            ).first()
        if last is None:
            raise UserError("core.error.no_event")
        raise UserError("core.error.event_ended", name=bold(user_text(last.name)))

    @staticmethod
    def _route(handlers: dict, ident: str):
        parts = ident[:200].split(":")
        if any(part.isdigit() and record_id(part) is None for part in parts):
            # Ids in our buttons are record ids, seqs and positions; a forged or garbled one that no
            # column can hold ("99999999999999999999", "²") would overflow at the database.
            raise UserError("core.error.stale_button")
        for size in range(len(parts), 0, -1):
            route = ":".join(parts[:size])
            handler = handlers.get(route)
            if handler:
                return handler, route, parts[size:]
        raise UserError("core.error.stale_button")

    # -- timers -------------------------------------------------------------------------------------------
    async def run_timer(self, timer: Timer) -> None:
        """Run a claimed timer's handler; its state changes and the row's `done` commit together."""
        handler = self.timer_handlers.get(timer.kind)
        async with self.store.session() as session:
            ctx = Ctx(
                self, session, timer.tenant_id, None, None, None, self.settings.default_lang, self.clock.now()
            )
            try:
                if handler is None:
                    raise LookupError(f"no handler for timer kind {timer.kind}")
                await handler(ctx, timer)
                await session.exec(
                    update(Timer).where(Timer.id == timer.id).values(status="done", fired_at=ctx.now)
                )
                await session.commit()
            except Exception:
                await session.rollback()
                log.exception("timer %s (%s) failed", timer.id, timer.kind)
                await session.exec(
                    update(Timer).where(Timer.id == timer.id).values(status="failed", fired_at=ctx.now)
                )
                await session.commit()
                return
        self._arm(ctx)
        if ctx.actions:
            await self.outbox.send(timer.tenant_id, ctx.actions)

    async def fire_batched(self, timer_ids: Sequence[int]) -> tuple[list[int], list[int]]:
        """Fire the due timers among `timer_ids` whose kind is batched (Router.timer) in one transaction;
        returns the ids of those (they are no longer pending) and the ids of the due timers of other
        kinds, for the caller to claim and run one at a time (Timers.fire). The other ids were not due.

        Each batched timer's handler runs in turn, then its row goes from pending to done in the same
        transaction (guarded, so a timer cancelled or taken meanwhile has its actions dropped); one commit
        for all, then every group's actions are delivered. Nothing is committed before the handlers have
        run: a crash mid-batch leaves every row pending, fired once after a restart, never lost and never
        twice (each run's `seq` compare-and-set is unchanged). A handler that raises rolls the batch back,
        and its timers run again one at a time, so only the failing one is marked failed."""
        if not timer_ids:
            return [], []
        now = self.clock.now()
        async with self.store.session() as session:
            rows = list(
                (
                    await session.exec(
                        select(Timer)
                        .where(
                            col(Timer.id).in_(list(timer_ids)), Timer.status == "pending", Timer.due_at <= now
                        )
                        .order_by(col(Timer.due_at), col(Timer.id))
                    )
                ).all()
            )
        batch = [timer for timer in rows if timer.kind in self.batched_timers]
        rest = [timer.id for timer in rows if timer.kind not in self.batched_timers]
        if batch:
            await self._run_batch(batch)
        return [timer.id for timer in batch], rest

    async def _run_batch(self, timers: list[Timer]) -> int:
        ran: list[Ctx] = []
        # One moment for the whole batch: the groups' next ends fall due together again, so the next
        # hand-off is one batch too (each its own now would spread them by the batch's length).
        now = self.clock.now()
        async with self.store.session() as session:
            try:
                # Timers of one kind next to each other in the batch's order run together when their kind
                # has a handler for a set of them (Router.timers_together); otherwise one after another.
                for kind, group in itertools.groupby(timers, key=lambda timer: timer.kind):
                    items = []
                    for timer in group:
                        ctx = Ctx(
                            self,
                            session,
                            timer.tenant_id,
                            None,
                            None,
                            None,
                            self.settings.default_lang,
                            now,
                        )
                        ctx.firing = timer.id
                        items.append((ctx, timer))
                    together = self.timer_sets.get(kind)
                    if together is not None and len(items) > 1:
                        # Bounded, so a statement's list of runs and key ranges stays far below SQLite's
                        # expression depth (1,000) however many alarms ring in one instant.
                        for start in range(0, len(items), TOGETHER_AT_MOST):
                            await together(items[start : start + TOGETHER_AT_MOST])
                    else:
                        for ctx, timer in items:
                            await self.timer_handlers[kind](ctx, timer)
                    ran.extend(ctx for ctx, _ in items)
                # Claimed last, all in one statement, and only what is still pending: a timer cancelled or
                # fired elsewhere while its handler ran changed nothing (its run's `seq` had moved).
                claimed = await self._claim_done(session, [timer.id for timer in timers], now)
                await session.commit()
            except Exception:
                await session.rollback()
                if len(timers) > 1:
                    log.warning("a batch of %d timers failed: running them one at a time", len(timers))
                    return sum([await self._run_batch([timer]) for timer in timers])
                [timer] = timers
                log.exception("timer %s (%s) failed", timer.id, timer.kind)
                await session.exec(
                    update(Timer)
                    .where(Timer.id == timer.id, Timer.status == "pending")
                    .values(status="failed", fired_at=self.clock.now())
                )
                await session.commit()
                return 0
        done = [ctx for ctx in ran if ctx.firing in claimed]
        for ctx in ran:
            if ctx.firing not in claimed:
                log.info("timer %s was no longer pending once its handler ran: not delivered", ctx.firing)
        for ctx in done:
            self._arm(ctx)
        sent = await asyncio.gather(
            *(self.outbox.send(ctx.tenant, ctx.actions) for ctx in done if ctx.actions),
            return_exceptions=True,
        )
        for result in sent:
            if isinstance(result, Exception):
                log.error("a timer's actions could not be delivered", exc_info=result)
        return len(done)

    @staticmethod
    async def _claim_done(session, ids: list[int], now) -> set[int]:  # noqa: ANN001
        """Mark these timers done if still pending; the ids that were."""
        still = (col(Timer.id).in_(ids), Timer.status == "pending")
        if session.bind.dialect.update_returning:
            result = await session.exec(
                update(Timer).where(*still).values(status="done", fired_at=now).returning(Timer.id)
            )
            return set(result.scalars().all())
        claimed = set()  # SQLite before 3.35: one by one, to learn which
        for timer_id in ids:
            result = await session.exec(
                update(Timer).where(Timer.id == timer_id, *still).values(status="done", fired_at=now)
            )
            if result.rowcount == 1:
                claimed.add(timer_id)
        return claimed

    def _arm(self, ctx: Ctx) -> None:
        if self.timers is not None:
            self.timers.armed(ctx.new_timers, ctx.cancelled_timers)
