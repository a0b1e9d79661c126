"""The insight report's figures for one event and the community's earlier events: counts only.

Everything is read in a few grouped queries over all the events at once (no query per event or per
person), then computed here in plain Python, so the report of an event with 100 earlier events stays fast.
A figure knows how many people it describes, so whoever renders it can show "fewer than 3" instead.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from itertools import combinations
from math import comb
from statistics import median, pstdev

from sqlalchemy import case
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.compute import Compute
from bot.ledger import STAGES
from bot.rituals.barriers.models import BarrierBoard, BarrierCard
from bot.rituals.nudges.models import Nudge, NudgeAction
from bot.rituals.oneonone.models import OneOnOne, OneOnOneAnswer
from bot.rituals.pairing.models import PairingRound, PairingSeat
from bot.steps.models import Step, StepRun
from bot.store.history import ConnectionStageChange
from bot.store.models import Connection, Event, Participant

log = logging.getLogger(__name__)

FEWEST = 3  # a cell describing fewer people than this is shown as "fewer than 3"
DIMENSIONS = ("organisation", "region", "generation", "role")
# When each moment of the funnel is read, in days after the end. The nudges come at 1 day, 7 days and
# 30 days, moved out of quiet hours (up to half a day) and snoozed up to three times (a day each), so a
# moment is read once its nudge and those delays are over.
CHECKPOINTS = {"day1": 1, "week1": 11, "month1": 34}
THANKS_WITHIN = timedelta(hours=24)
TOP_CARDS = 3
# "Agreed to keep talking": both said yes (the mutual keep-talking step), or one proposed a chat and the
# other accepted it; either way both chose it, and a one-sided yes is never among these.
AGREED_VERBS = ("accepted", "mutual")
NOBODY = (frozenset(), "", "", "", "")  # the profile of a seat whose person has no participant row


@dataclass(frozen=True)
class Figure:
    """One cell. `per`: people one unit of `value` describes (1 a person, 2 a pair); 0 for figures that
    describe no countable people (minutes, a ratio). `value` None: not known yet or not applicable."""

    key: str
    value: float | None
    # count | share (a count and its rate of `whole`) | rate | ratio | number | minutes | seconds | gini
    # | text (a card's words, `value` its "me too") | pending (a moment of the funnel still ahead)
    kind: str = "count"
    per: int = 1
    earlier: float | None = None
    params: dict = field(default_factory=dict)
    text: str | None = None  # a card's words, for kind "text"
    people: float | None = None  # for a rate: the people its numerator describes
    whole: float | None = None  # for a share: what it is a share of (the event's links)

    @property
    def masked(self) -> bool:
        if self.kind == "rate":
            return self.people is not None and 0 < self.people < FEWEST
        return self.per > 0 and self.value is not None and 0 < self.value * self.per < FEWEST

    @property
    def earlier_masked(self) -> bool:
        """A median of earlier events' counts is masked by the same rule: it, too, is read as people."""
        if self.kind in ("rate", "share"):
            return False
        return self.per > 0 and self.earlier is not None and 0 < self.earlier * self.per < FEWEST


@dataclass(frozen=True)
class Section:
    key: str
    figures: list[Figure]


@dataclass(frozen=True)
class Report:
    event_id: int
    name: str
    tenant: str
    lang: str
    tz: str
    created_at: datetime
    ended_at: datetime | None
    now: datetime
    earlier_events: int
    sections: list[Section]

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)

    def figure(self, section: str, key: str, **params: object) -> Figure:
        return next(f for f in self.section(section).figures if f.key == key and f.params == params)


# -- reading ----------------------------------------------------------------------------------------------
@dataclass
class _Rows:
    """What the report needs of every event, read once."""

    participants: dict[int, list[tuple]] = field(default_factory=lambda: defaultdict(list))
    first_event: dict[int, datetime] = field(default_factory=dict)  # member -> their first event's start
    seats: dict[int, dict[tuple[int, int], list[int]]] = field(default_factory=lambda: defaultdict(dict))
    profiles: dict[int, dict[int, tuple]] = field(default_factory=lambda: defaultdict(dict))
    turns: dict[int, list[tuple]] = field(default_factory=lambda: defaultdict(list))
    boards: dict[int, list[tuple]] = field(default_factory=lambda: defaultdict(list))
    links: dict[int, list[tuple]] = field(default_factory=lambda: defaultdict(list))
    moves: dict[int, list[tuple]] = field(default_factory=lambda: defaultdict(list))
    acts: dict[int, list[tuple]] = field(default_factory=lambda: defaultdict(list))
    nudges: dict[int, tuple] = field(default_factory=dict)
    oneonones: dict[int, tuple[int, int, int]] = field(default_factory=dict)


async def _rows(session: AsyncSession, statement):  # noqa: ANN001, ANN202
    """Plain rows of a column SELECT, without the ORM's per-row bookkeeping (it is most of the time)."""
    return await (await session.connection()).execute(statement)


async def _read(session: AsyncSession, tenant: str, events: dict[int, Event]) -> _Rows:
    ids = sorted(events)
    rows = _Rows()
    started = {event_id: event.created_at for event_id, event in events.items()}
    for event_id, member_id, status, *profile in (
        await _rows(
            session,
            select(
                Participant.event_id,
                Participant.member_id,
                Participant.status,
                Participant.languages,
                Participant.organisation,
                Participant.region,
                Participant.generation,
                Participant.role,
            ).where(Participant.tenant_id == tenant, col(Participant.event_id).in_(ids)),
        )
    ).all():
        languages = _languages(profile[0])
        rows.participants[event_id].append((member_id, status, languages))
        # Normalised once here, not once per group and dimension in `_compute`.
        rows.profiles[event_id][member_id] = (languages, *(_value(v) for v in profile[1:]))
        if member_id not in rows.first_event or started[event_id] < rows.first_event[member_id]:
            rows.first_event[member_id] = started[event_id]

    for event_id, round_id, group_no, member_id in (
        await _rows(
            session,
            select(PairingRound.event_id, PairingRound.id, PairingSeat.group_no, PairingSeat.member_id)
            .join(PairingSeat, col(PairingSeat.round_id) == col(PairingRound.id))
            .where(
                PairingRound.tenant_id == tenant,
                col(PairingRound.event_id).in_(ids),
                PairingRound.status == "sent",
            ),
        )
    ).all():
        rows.seats[event_id].setdefault((round_id, group_no), []).append(member_id)

    for event_id, status, seconds, spoken in (
        await _rows(
            session,
            select(StepRun.event_id, Step.status, Step.seconds, Step.spoken)
            .join(Step, col(Step.run_id) == col(StepRun.id))
            .where(
                StepRun.tenant_id == tenant,
                col(StepRun.event_id).in_(ids),
                StepRun.ritual == "turns",
                Step.kind == "turn",
            ),
        )
    ).all():
        rows.turns[event_id].append((status, seconds or 0, spoken or 0))

    for event_id, board_id, min_cards, category, text, metoo, hidden in (
        await _rows(
            session,
            select(
                BarrierBoard.event_id,
                BarrierBoard.id,
                BarrierBoard.min_cards,
                BarrierCard.category,
                BarrierCard.text,
                BarrierCard.metoo,
                BarrierCard.hidden,
            )
            .join(BarrierCard, col(BarrierCard.board_id) == col(BarrierBoard.id))
            .where(
                BarrierBoard.tenant_id == tenant,
                col(BarrierBoard.event_id).in_(ids),
                col(BarrierBoard.status).in_(("revealed", "closed")),
            ),
        )
    ).all():
        rows.boards[event_id].append((board_id, min_cards, category, text, metoo, hidden))

    for event_id, connection_id, a, b in (
        await _rows(
            session,
            select(
                Connection.event_id,
                Connection.id,
                Connection.member_a_id,
                Connection.member_b_id,
            ).where(Connection.tenant_id == tenant, col(Connection.event_id).in_(ids)),
        )
    ).all():
        rows.links[event_id].append((connection_id, a, b))

    for event_id, connection_id, stage, day in (
        await _rows(
            session,
            select(
                ConnectionStageChange.event_id,
                ConnectionStageChange.connection_id,
                ConnectionStageChange.stage,
                ConnectionStageChange.day,
            )
            .where(ConnectionStageChange.tenant_id == tenant, col(ConnectionStageChange.event_id).in_(ids))
            .order_by(col(ConnectionStageChange.day), col(ConnectionStageChange.id)),
        )
    ).all():
        rows.moves[event_id].append((connection_id, stage, day))

    for event_id, member_id, other_id, verb, at in (
        await _rows(
            session,
            select(Nudge.event_id, Nudge.member_id, NudgeAction.other_id, NudgeAction.verb, NudgeAction.at)
            .join(NudgeAction, col(NudgeAction.nudge_id) == col(Nudge.id))
            .where(
                Nudge.tenant_id == tenant,
                col(Nudge.event_id).in_(ids),
                col(NudgeAction.verb).in_(("thanked", *AGREED_VERBS)),
            ),
        )
    ).all():
        rows.acts[event_id].append((member_id, other_id, verb, at))

    for event_id, delivered, snoozed, stopped, unreachable in (
        await _rows(
            session,
            select(
                Nudge.event_id,
                func.sum(case((col(Nudge.deliveries) > 0, 1), else_=0)),
                func.sum(case((col(Nudge.snoozes) > 0, 1), else_=0)),
                func.sum(case((col(Nudge.status) == "stopped", 1), else_=0)),
                func.sum(case((col(Nudge.status) == "unreachable", 1), else_=0)),
            )
            .where(Nudge.tenant_id == tenant, col(Nudge.event_id).in_(ids))
            .group_by(col(Nudge.event_id)),
        )
    ).all():
        rows.nudges[event_id] = (delivered or 0, snoozed or 0, stopped or 0, unreachable or 0)

    # One-on-ones begun in the event's channel, or by two people who met there, once it had begun.
    pairs_of: dict[tuple[int, int], list[int]] = defaultdict(list)
    for event_id, links in rows.links.items():
        for _, a, b in links:
            pairs_of[(a, b)].append(event_id)
    answers = dict(
        (
            await _rows(
                session,
                select(OneOnOneAnswer.oneonone_id, func.count())
                .join(OneOnOne, col(OneOnOne.id) == col(OneOnOneAnswer.oneonone_id))
                .where(OneOnOne.tenant_id == tenant, OneOnOneAnswer.field == "action")
                .group_by(col(OneOnOneAnswer.oneonone_id)),
            )
        ).all()
    )
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for oneonone_id, starter, partner, created, run_event, run_status in (
        await _rows(
            session,
            select(
                OneOnOne.id,
                OneOnOne.starter_id,
                OneOnOne.partner_id,
                OneOnOne.created_at,
                StepRun.event_id,
                StepRun.status,
            )
            .join(StepRun, col(StepRun.id) == col(OneOnOne.run_id))
            .where(OneOnOne.tenant_id == tenant),
        )
    ).all():
        owners = {run_event} if run_event in events else set()
        if starter is not None and partner is not None:
            pair = (min(starter, partner), max(starter, partner))
            owners.update(e for e in pairs_of.get(pair, []) if created >= started[e])
        for event_id in owners:
            counts[event_id][0] += 1
            counts[event_id][1] += run_status == "finished"
            counts[event_id][2] += answers.get(oneonone_id, 0)
    rows.oneonones = {event_id: tuple(c) for event_id, c in counts.items()}
    return rows


# -- computing --------------------------------------------------------------------------------------------
def gini(values: list[float]) -> float | None:
    """0: everyone spoke as long; near 1: one person held the floor."""
    values = sorted(v for v in values if v >= 0)
    total = sum(values)
    if len(values) < 2 or total == 0:
        return None
    weighted = sum((i + 1) * v for i, v in enumerate(values))
    return (2 * weighted) / (len(values) * total) - (len(values) + 1) / len(values)


def crosses(values: list[str | None]) -> bool:
    """A group crosses a dimension when at least two of its members gave different values."""
    return len({v.strip().lower() for v in values if v and v.strip()}) >= 2


def random_crossing(room: list[str | None], size: int) -> float:
    """The chance that `size` people drawn at random from `room` cross: exact, by counting subsets."""
    return _random_crossing(Counter(_value(v) for v in room if _value(v)), len(room), size)


def _value(value: str | None) -> str:
    return value.strip().lower() if value else ""


def _random_crossing(counts: Counter, n: int, size: int) -> float:
    """A group does not cross when every member who gave a value gave the same one (or nobody gave one):
    the subsets drawn only from "no value" plus one value v, summed over v, less the double-counted
    all-"no value" subsets. `counts`: how many gave each value; `n`: the room's size."""
    if size > n or size < 2:
        return 0.0
    unknown = n - sum(counts.values())
    alike = sum(comb(unknown + c, size) - comb(unknown, size) for c in counts.values()) + comb(unknown, size)
    return 1 - alike / comb(n, size)


@lru_cache(maxsize=512)
def _languages(text: str | None) -> frozenset[str]:
    """A room repeats a handful of language lists: each is parsed once per process."""
    return frozenset(code.strip().lower() for code in (text or "").split(",") if code.strip())


@dataclass
class _Figures:
    """One event's raw figures, before masking and comparing."""

    values: dict[str, float | None] = field(default_factory=dict)
    categories: dict[str, tuple[int, int]] = field(default_factory=dict)
    languages: dict[str, int] = field(default_factory=dict)
    top_cards: list[tuple[str, int]] = field(default_factory=list)


def _compute(event: Dated, rows: _Rows, now: datetime) -> _Figures:
    out = _Figures()
    v = out.values
    people = rows.participants.get(event.id, [])
    v["joined"] = len(people)
    v["stayed"] = sum(1 for _, status, _ in people if status != "left")
    v["first_time"] = sum(1 for member, _, _ in people if rows.first_event.get(member) == event.created_at)
    v["returning"] = v["joined"] - v["first_time"]
    out.languages = dict(Counter(code for _, _, langs in people for code in langs))

    # Bridging: each group of each round, against the same room split at random into the same sizes.
    profiles = rows.profiles.get(event.id, {})
    rounds: dict[int, list[list[int]]] = defaultdict(list)
    for (round_id, _), members in rows.seats.get(event.id, {}).items():
        rounds[round_id].append(members)
    groups = [g for r in rounds.values() for g in r if len(g) >= 2]
    v["groups"] = len(groups)
    no_language = 0
    for index, dimension in enumerate(DIMENSIONS, start=1):
        crossed = expected = 0.0
        for round_groups in rounds.values():
            room = [profiles.get(m, NOBODY)[index] for g in round_groups for m in g]
            counts = Counter(v for v in room if v)
            chance = {
                size: _random_crossing(counts, len(room), size) for size in {len(g) for g in round_groups}
            }
            for members in round_groups:
                if len(members) < 2:
                    continue
                crossed += len({profiles.get(m, NOBODY)[index] for m in members} - {""}) >= 2
                expected += chance[len(members)]
        v[f"cross_{dimension}"] = crossed
        v[f"random_{dimension}"] = round(expected, 2) if groups else None
        v[f"lift_{dimension}"] = crossed / expected if expected else None
    for members in groups:
        for a, b in combinations(members, 2):
            la, lb = profiles.get(a, NOBODY)[0], profiles.get(b, NOBODY)[0]
            no_language += bool(la and lb and not la & lb)
    v["no_language"] = no_language if groups else None

    # Airtime in turn rounds.
    turns = rows.turns.get(event.id, [])
    spoken = [s for status, _, s in turns if s > 0]
    v["turns"] = len(spoken)
    v["minutes"] = round(sum(spoken) / 60, 1) if turns else None
    v["mean_seconds"] = round(sum(spoken) / len(spoken)) if spoken else None
    v["spread_seconds"] = round(pstdev(spoken)) if len(spoken) >= 2 else None
    g = gini(spoken)
    v["gini"] = round(g, 2) if g is not None else None
    v["early"] = sum(1 for status, planned, s in turns if status in ("done", "next") and s < planned)
    v["skipped"] = sum(1 for status, _, _ in turns if status in ("skipped", "left"))

    # The board: only boards that reached their minimum, and never a hidden card.
    by_board: dict[int, list[tuple]] = defaultdict(list)
    for board_id, min_cards, category, text, metoo, hidden in rows.boards.get(event.id, []):
        by_board[board_id].append((min_cards, category, text, metoo, hidden))
    cards: list[tuple[str, str, int]] = []
    for board in by_board.values():
        if len(board) >= board[0][0]:
            cards.extend((category, text, metoo) for _, category, text, metoo, hidden in board if not hidden)
    categories: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for category, _, metoo in cards:
        categories[category][0] += 1
        categories[category][1] += metoo
    out.categories = {c: (n, m) for c, (n, m) in categories.items()}
    v["cards"] = len(cards)
    v["metoo"] = sum(m for _, _, m in cards)
    out.top_cards = [
        (text, metoo) for _, text, metoo in sorted(cards, key=lambda c: (-c[2], c[1]))[:TOP_CARDS] if metoo
    ]

    # The funnel, at each moment after the end.
    links = rows.links.get(event.id, [])
    v["links"] = len(links)
    thanked: dict[tuple[int, int], datetime] = {}
    agreed: dict[tuple[int, int], datetime] = {}
    for member, other, verb, at in rows.acts.get(event.id, []):
        pair = (min(member, other), max(member, other))
        target = thanked if verb == "thanked" else agreed
        target[pair] = min(at, target.get(pair, at))
    moves: dict[int, list[tuple]] = defaultdict(list)
    for connection_id, stage, day in rows.moves.get(event.id, []):
        moves[connection_id].append((stage, day))
    end = event.ended_at
    for moment, days in CHECKPOINTS.items():
        due = end + timedelta(days=days) if end else None
        reached = due is not None and due <= now
        at = due if reached else now
        v[f"reached_{moment}"] = 1 if reached else 0
        day = at.date()
        pairs = [(min(a, b), max(a, b)) for _, a, b in links]
        v[f"thanked_{moment}"] = (
            sum(1 for p in pairs if p in thanked and end and thanked[p] <= end + THANKS_WITHIN) if end else 0
        )
        v[f"agreed_{moment}"] = sum(1 for p in pairs if p in agreed and agreed[p] <= at)
        stages = Counter()
        for connection_id, *_ in links:
            stage = "link"
            for moved_to, moved_on in moves.get(connection_id, []):
                if moved_on <= day:
                    stage = moved_to
            stages[stage] += 1
        # The funnel counts a stage and every stage beyond it: a Relationship was a Connection once.
        for index, stage in enumerate(STAGES[1:], start=1):
            v[f"{stage}_{moment}"] = sum(stages[s] for s in STAGES[index:])

    delivered, snoozed, stopped, unreachable = rows.nudges.get(event.id, (0, 0, 0, 0))
    v.update(delivered=delivered, snoozed=snoozed, stopped=stopped, unreachable=unreachable)
    started, finished, actions = rows.oneonones.get(event.id, (0, 0, 0))
    v.update(oneonones=started, oneonones_finished=finished, actions=actions)
    return out


def _median(values: list[float | None]) -> float | None:
    known = [x for x in values if x is not None]
    return median(known) if known else None


def _rate(part: float | None, whole: float | None) -> float | None:
    return part / whole if part is not None and whole else None


# -- assembling -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Dated:
    """What the figures need of an event, as plain values: a worker process gets these, not ORM rows."""

    id: int
    name: str
    tenant_id: str
    lang: str
    tz: str
    created_at: datetime
    ended_at: datetime | None

    @classmethod
    def of(cls, event: Event) -> Dated:
        return cls(
            event.id, event.name, event.tenant_id, event.lang, event.tz, event.created_at, event.ended_at
        )


@dataclass(frozen=True)
class Reading:
    """Everything the report reads from the database, in one picklable value (`assemble` computes)."""

    event: Dated
    earlier: tuple[Dated, ...]
    rows: _Rows
    now: datetime


async def read_report(session: AsyncSession, event: Event, *, now: datetime) -> Reading:
    """The report's reads: a few grouped queries over the event and the community's earlier events."""
    earlier = (
        await session.exec(
            select(Event).where(Event.tenant_id == event.tenant_id, col(Event.created_at) < event.created_at)
        )
    ).all()
    events = {e.id: e for e in earlier} | {event.id: event}
    rows = await _read(session, event.tenant_id, events)
    return Reading(Dated.of(event), tuple(Dated.of(e) for e in earlier), rows, now)


async def build_report(
    session: AsyncSession, event: Event, *, now: datetime, compute: Compute | None = None
) -> Report:
    """The report of `event`, each figure beside the median of the community's earlier events. The figures
    of 100 earlier events are a few hundred ms of pure Python: with `compute` they are worked out in its
    worker (a ComputeTimeout past its bound), so the loop that serves every other room is never held."""
    reading = await read_report(session, event, now=now)
    if compute is None:
        return assemble(reading)
    return await compute.run(assemble, reading)


def assemble(reading: Reading) -> Report:
    """The figures from what was read: CPU only, no database (runs in the compute worker)."""
    event, earlier, rows, now = reading.event, reading.earlier, reading.rows, reading.now
    mine = _compute(event, rows, now)
    others = [_compute(e, rows, now) for e in earlier]
    v = mine.values

    def med(key: str) -> float | None:
        return _median([o.values.get(key) for o in others])

    def count(key: str, per: int = 1, **params: object) -> Figure:
        return Figure(key, v.get(key), "count", per, med(key), params)

    came = [
        count("joined"),
        count("stayed"),
        count("first_time"),
        count("returning"),
        *[
            Figure("language", n, "count", 1, None, {"code": code})
            for code, n in sorted(mine.languages.items(), key=lambda item: (-item[1], item[0]))
        ],
    ]
    # A section with nothing to count (no pair round, no round of turns, no board that reached its
    # minimum) says "nothing yet" rather than a column of zeros and dashes.
    bridging = [count("groups", 2)] if v.get("groups") else []
    for dimension in DIMENSIONS if bridging else ():
        bridging += [
            count(f"cross_{dimension}", 2),
            Figure(
                f"random_{dimension}", v.get(f"random_{dimension}"), "number", 0, med(f"random_{dimension}")
            ),
            Figure(f"lift_{dimension}", v.get(f"lift_{dimension}"), "ratio", 0, med(f"lift_{dimension}")),
        ]
    if bridging:
        bridging.append(count("no_language", 2))
    airtime = [
        count("turns"),
        Figure("minutes", v.get("minutes"), "minutes", 0, med("minutes")),
        # A mean, a spread and a Gini of fewer than 3 turns would be one or two people's own figures.
        *[
            Figure(key, v.get(key) if (v.get("turns") or 0) >= FEWEST else None, kind, 0, med(key))
            for key, kind in (("mean_seconds", "seconds"), ("spread_seconds", "seconds"), ("gini", "gini"))
        ],
        count("early"),
        count("skipped"),
    ]
    if not v.get("turns") and not v.get("skipped"):
        airtime = []
    board = [count("cards"), count("metoo")] if v.get("cards") else []
    for category, (cards, metoo) in sorted(mine.categories.items()):
        board.append(Figure("category_cards", cards, "count", 1, None, {"category": category}))
        board.append(Figure("category_metoo", metoo, "count", 1, None, {"category": category}))
    board += [
        Figure("top_card", metoo, "text", 1, None, {"rank": rank}, text=text)
        for rank, (text, metoo) in enumerate(mine.top_cards, start=1)
    ]
    funnel = [count("links", 2)]

    def share(step: str, moment: str) -> Figure:
        """A step of the funnel: how many links, and what share of all the event's links."""
        key = f"{step}_{moment}"
        earlier_rate = _median([_rate(o.values.get(key), o.values.get("links")) for o in others])
        return Figure(step, v.get(key), "share", 2, earlier_rate, {"moment": moment}, whole=v.get("links"))

    for moment in CHECKPOINTS:
        if not v.get(f"reached_{moment}"):
            funnel.append(Figure("not_yet", None, "pending", 0, None, {"moment": moment}))
            continue
        # Thanks have one moment of their own (within 24 hours); the later steps are read at each.
        steps = ("thanked", "agreed", *STAGES[1:]) if moment == "day1" else ("agreed", *STAGES[1:])
        funnel += [share(step, moment) for step in steps]
    followup = [
        count("delivered"),
        count("snoozed"),
        count("stopped"),
        count("unreachable"),
        count("oneonones", 2),
        count("oneonones_finished", 2),
        count("actions"),
    ]
    return Report(
        event_id=event.id,
        name=event.name,
        tenant=event.tenant_id,
        lang=event.lang,
        tz=event.tz,
        created_at=event.created_at,
        ended_at=event.ended_at,
        now=now,
        earlier_events=len(earlier),
        sections=[
            Section("came", came),
            Section("bridging", bridging),
            Section("airtime", airtime),
            Section("board", board),
            Section("funnel", funnel),
            Section("followup", followup),
        ],
    )
