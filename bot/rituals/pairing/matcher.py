"""The pair matcher: who meets whom this round, or over several rounds, bridging backgrounds.

Pure and deterministic for a given seed: no database, no chat, no clock. `match` makes one round of
pairs (or breakout groups of 3 or 4); `plan_rounds` makes several with no pair meeting twice while the
group allows it. See `objective.py` for what "best" means.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from bot.rituals.pairing.circle import circle_rounds, seating_from_pairs
from bot.rituals.pairing.exact import EXACT_LIMIT, exact_groups
from bot.rituals.pairing.grouping import group_sizes, heuristic_groups
from bot.rituals.pairing.objective import (
    BRIDGE_ATTRIBUTES,
    MAX_PENALTY,
    Objective,
    Participant,
    PastMeeting,
)
from bot.rituals.pairing.trios import counting_bound, no_repeat_rounds

__all__ = [
    "BRIDGE_ATTRIBUTES",
    "Group",
    "Matching",
    "Objective",
    "Participant",
    "PastMeeting",
    "build_objective",
    "match",
    "plan_rounds",
]

GROUP_SIZES = (2, 3, 4)
SEATINGS_TRIED = 24
"""Circle schedules compared when planning rounds; each costs one pass over the rounds' pairs."""


@dataclass(frozen=True)
class Group:
    """One pair, trio or breakout group, and what the introduction can say about it.

    `bridged` lists the bridge attributes (in the order asked for) on which members differ;
    `shared_interests` are held by both of a pair, or by at least two members of a larger group, most
    shared first. `shares_language` is true when every two members have a language in common;
    `common_languages` are those stated by all. `repeats` counts pairs inside that met before.
    A group of one happens only when one person is present: there is nobody to meet, so callers
    should tell them so, open no conversation and record no Link.
    """

    keys: tuple[str, ...]
    bridged: tuple[str, ...]
    shared_interests: tuple[str, ...]
    common_languages: tuple[str, ...]
    shares_language: bool
    repeats: int
    weight: int

    @property
    def pairs(self) -> list[tuple[str, str]]:
        """Every two members: the Links a caller records for this group."""
        return list(combinations(self.keys, 2))


@dataclass(frozen=True)
class Matching:
    """One round: everyone placed in exactly one group; `weight` is the objective's total."""

    groups: tuple[Group, ...]
    seed: int
    bridge: tuple[str, ...]
    weight: int

    @property
    def pairs(self) -> list[tuple[str, str]]:
        """Every pair that meets this round, trios and larger groups expanded."""
        return [pair for group in self.groups for pair in group.pairs]

    @property
    def repeats(self) -> int:
        return sum(g.repeats for g in self.groups)


def build_objective(
    participants: Sequence[Participant],
    *,
    bridge: Iterable[str] = BRIDGE_ATTRIBUTES,
    history: Iterable[PastMeeting] = (),
    size: int = 2,
    seed: int = 0,
) -> Objective:
    """The exact weights `match` maximises for these arguments (for tests and the benchmark)."""
    sizes = group_sizes(len(participants), _checked(size))
    pairs = sum(s * (s - 1) // 2 for s in sizes)
    return Objective(participants, bridge=tuple(bridge), history=tuple(history), pair_count=pairs, seed=seed)


def match(
    participants: Sequence[Participant],
    *,
    bridge: Iterable[str] = BRIDGE_ATTRIBUTES,
    history: Iterable[PastMeeting] = (),
    size: int = 2,
    seed: int = 0,
) -> Matching:
    """One round of pairs (`size=2`, one trio on an odd count) or breakout groups of 3 or 4.

    Lexicographically best, in this order: every pair shares a language; nobody meets someone they
    met before (then: as rarely and as long ago as possible); as many bridge-attribute differences as
    possible; seeded jitter. Exact up to EXACT_LIMIT people, a near-optimal local search beyond.
    """
    objective = build_objective(participants, bridge=bridge, history=history, size=size, seed=seed)
    sizes = group_sizes(len(objective), size)
    return describe(objective, _arrange(objective, sizes))


def _checked(size: int) -> int:
    if size not in GROUP_SIZES:
        raise ValueError(f"group size must be one of {GROUP_SIZES}, not {size}")
    return size


def _arrange(objective: Objective, sizes: list[int]) -> list[list[int]]:
    if len(objective) <= 1:
        return [[0]] if len(objective) else []
    if len(objective) <= EXACT_LIMIT:
        return exact_groups(objective.matrix().tolist(), sizes)
    return heuristic_groups(objective, sizes)


def describe(objective: Objective, groups: Iterable[Iterable[int]]) -> Matching:
    """The result type for index groups under `objective`: keys, bridges, interests, weights."""
    described = sorted((_describe_group(objective, sorted(group)) for group in groups), key=lambda g: g.keys)
    return Matching(
        groups=tuple(described),
        seed=objective.seed,
        bridge=objective.bridge,
        weight=sum(g.weight for g in described),
    )


def _describe_group(objective: Objective, members: list[int]) -> Group:
    people = [objective.participants[i] for i in members]
    tiers = [objective.tiers(a, b) for a, b in combinations(members, 2)]
    bridged = tuple(
        name
        for name in objective.bridge
        if len({getattr(p, name) for p in people if getattr(p, name) is not None}) > 1
    )
    held = Counter(interest for p in people for interest in p.interests)
    shared = tuple(sorted((i for i, c in held.items() if c >= 2), key=lambda i: (-held[i], i)))
    stated = [p.languages for p in people if p.languages]
    common = tuple(sorted(frozenset.intersection(*stated))) if stated else ()
    return Group(
        keys=tuple(p.key for p in people),
        bridged=bridged,
        shared_interests=shared,
        common_languages=common,
        shares_language=all(t.shares_language for t in tiers),
        repeats=sum(t.penalty > 0 for t in tiers),
        weight=sum(objective.scales.fold(t) for t in tiers),
    )


def plan_rounds(
    participants: Sequence[Participant],
    *,
    rounds: int,
    bridge: Iterable[str] = BRIDGE_ATTRIBUTES,
    history: Iterable[PastMeeting] = (),
    size: int = 2,
    seed: int = 0,
) -> tuple[Matching, ...]:
    """`rounds` rounds at once, no pair meeting twice (nor again after `history`) while avoidable.

    Each round is matched in turn with the earlier ones counted as the most recent meetings. For
    pairs that greedy plan can paint itself into a corner after a handful of rounds, so it is weighed
    against circle-method schedules (a fixed even group gets all N-1 rounds without a repeat; an odd
    one N rounds, the person with the bye joining a pair as the trio) and the better plan is kept.
    Each returned round's `repeats` counts meetings in `history` or in earlier rounds of the plan.
    """
    _checked(size)
    history = tuple(history)
    if rounds < 1:
        return ()
    base = build_objective(participants, bridge=bridge, history=history, size=size, seed=seed)
    sizes = group_sizes(len(base), size)
    # The first round's objective, built once for its matching and its description: the base itself where
    # no pair appears twice in `history` (what the ledger reads: a row a pair), as aggregating changes nothing.
    opening = base if _one_meeting_a_pair(history) else _round_objective(base, history, [])
    first = _arrange(opening, sizes)
    plans = []
    if size == 2 and len(base) >= 4 and rounds > 1:
        plans.append(_circle_plan(base, first, rounds))
        if len(base) % 2:
            trio_plan = _trio_plan(base, history, plans[0], rounds, sizes)
            if trio_plan is not None:
                plans.append(trio_plan)
    # The greedy plan stops as soon as it is sure to lose: repeats and mismatches only ever grow.
    good_enough = _plan_key(base, plans[0])[:2] if plans else None
    plan = [first]
    while len(plan) < rounds and (good_enough is None or _plan_key(base, plan)[:2] <= good_enough):
        plan.append(_arrange(_round_objective(base, history, plan), sizes))
    if good_enough is None or _plan_key(base, plan)[:2] <= good_enough:
        plans.append(plan)
    # Rounds free of any repeat come first (a repeat is avoidable until then), then the fewest repeats.
    best = min(plans, key=lambda plan: _choice_key(base, plan))
    return tuple(
        describe(_round_objective(base, history, best[:r]) if r else opening, groups)
        for r, groups in enumerate(best)
    )


def _trio_plan(
    base: Objective, history: tuple[PastMeeting, ...], circle: list, rounds: int, sizes: list[int]
) -> list | None:
    """For an odd group, rounds free of repeats beyond what the circle seating reaches (trios.py), the
    rest matched in turn; None when the circle plan already reaches as far as asked or the search fails.

    It aims one below the counting bound: at the bound itself the search seldom succeeds in its steps."""
    n = len(base)
    forbidden = set(base.penalties) | {
        (a, b) for a, b in combinations(range(n), 2) if not base.tiers(a, b).shares_language
    }
    # Nobody can have more clean rounds than people they may still meet.
    partners = [n - 1] * n
    for a, b in forbidden:
        partners[a] -= 1
        partners[b] -= 1
    target = min(rounds, counting_bound(n) - 1, min(partners))
    if _clean_rounds(base, circle) >= target:
        return None
    for reach in (target, target - 1):
        found = no_repeat_rounds(n, circle, forbidden, reach, seed=base.seed)
        if found is not None:
            break
    else:
        return None
    plan = found
    while len(plan) < rounds:
        plan.append(_arrange(_round_objective(base, history, plan), sizes))
    return plan


def _choice_key(base: Objective, plan: list) -> tuple[int, int, int, int]:
    mismatches, repeats, weight = _plan_key(base, plan)
    return mismatches, -_clean_rounds(base, plan), repeats, weight


def _clean_rounds(base: Objective, plan: list) -> int:
    """How many rounds from the first have no repeat (of history or of an earlier round)."""
    seen = set(base.penalties)
    for r, groups in enumerate(plan):
        pairs = {(a, b) for group in groups for a, b in combinations(sorted(group), 2)}
        if pairs & seen:
            return r
        seen |= pairs
    return len(plan)


def _one_meeting_a_pair(history: tuple[PastMeeting, ...]) -> bool:
    pairs = {(m.a, m.b) if m.a < m.b else (m.b, m.a) for m in history}
    return len(pairs) == len(history)


def _round_objective(base: Objective, history: tuple[PastMeeting, ...], earlier: list) -> Objective:
    """The objective for the next round: `history` aged by the earlier rounds, which count as recent."""
    met: dict[tuple[str, str], list[int]] = {}
    for meeting in history:
        pair = (min(meeting.a, meeting.b), max(meeting.a, meeting.b))
        times, ago = met.get(pair, [0, 10**9])
        met[pair] = [times + meeting.times, min(ago, meeting.ago + len(earlier))]
    for r, groups in enumerate(earlier):
        for group in groups:
            for a, b in combinations(sorted(group), 2):
                pair = (base.keys[a], base.keys[b])
                times, ago = met.get(pair, [0, 10**9])
                met[pair] = [times + 1, min(ago, len(earlier) - r)]
    meetings = tuple(PastMeeting(a, b, times, ago) for (a, b), (times, ago) in met.items())
    return Objective(
        base.participants, bridge=base.bridge, history=meetings, pair_count=base.pair_count, seed=base.seed
    )


def _plan_key(base: Objective, plan: list[list[list[int]]]) -> tuple[int, int, int]:
    """Plans compare on language mismatches, then meetings that repeat, then total weight."""
    mismatches = repeats = weight = 0
    seen = set(base.penalties)
    for groups in plan:
        for group in groups:
            for a, b in combinations(sorted(group), 2):
                tiers = base.tiers(a, b)
                mismatches += not tiers.shares_language
                repeats += (a, b) in seen
                seen.add((a, b))
                weight += base.scales.fold(tiers)
    return mismatches, repeats, -weight


def _circle_plan(base: Objective, first_round: list[list[int]], rounds: int) -> list[list[list[int]]]:
    """The best of several circle schedules, its best rounds first; the first seating replays `first_round`."""
    n = len(base)
    bye = n  # the padded index: an odd group gets an empty seat, and whoever faces it has the bye
    weights = np.zeros((n + 1, n + 1), dtype=np.int64)
    weights[:n, :n] = base.matrix()
    pairs: list[tuple[int, int]] = []
    for group in first_round:
        pairs.append((group[0], group[1]))
        if len(group) == 3:
            pairs.append((group[2], bye))
    rng = np.random.default_rng(base.seed)
    best: tuple[tuple[int, int, int], list[list[list[int]]]] | None = None
    for attempt in range(SEATINGS_TRIED):
        seating = seating_from_pairs(pairs, rng)
        if attempt >= SEATINGS_TRIED // 2:
            seating = [seating[i] for i in rng.permutation(len(seating))]
        schedule = circle_rounds(seating)
        scored = sorted(schedule, key=lambda pairs: _round_key(base, weights, _without_bye(pairs, bye)))
        chosen = _seat_byes(base, weights, [scored[r % len(scored)] for r in range(rounds)], bye)
        key = _plan_key(base, chosen)
        if best is None or key < best[0]:
            best = (key, chosen)
    assert best is not None
    return best[1]


def _without_bye(pairs: list[tuple[int, int]], bye: int) -> list[list[int]]:
    return [[a, b] for a, b in pairs if bye not in (a, b)]


def _seat_byes(
    base: Objective, weights: np.ndarray, schedule: list[list[tuple[int, int]]], bye: int
) -> list[list[list[int]]]:
    """Whoever faces the empty seat joins a pair as the trio.

    Every pair of the circle meets in some round, so a trio always repeats one later or earlier; pick
    partners not yet met whose own circle round comes as late as possible, so the rounds without any
    repeat run as long as they can.
    """
    when: dict[tuple[int, int], int] = {}
    for r, pairs in enumerate(schedule):
        for a, b in pairs:
            when[(min(a, b), max(a, b))] = r
    met = set(base.penalties)
    plan: list[list[list[int]]] = []
    for r, pairs in enumerate(schedule):
        groups = _without_bye(pairs, bye)
        alone = [a if b == bye else b for a, b in pairs if bye in (a, b)]
        if alone:
            x = alone[0]

            def cost(group: list[int], x: int = x, r: int = r) -> tuple[int, int, int]:
                links = [(min(x, m), max(x, m)) for m in group]
                again = sum(link in met for link in links)
                soonest = min(
                    when.get(link, r) - r if when.get(link, r) > r else len(schedule) for link in links
                )
                return again, -soonest, -int(weights[x, group].sum())

            min(groups, key=cost).append(x)
        for group in groups:
            met.update((min(a, b), max(a, b)) for a, b in combinations(group, 2))
        plan.append(groups)
    return plan


def _round_key(base: Objective, weights: np.ndarray, groups: list[list[int]]) -> tuple[int, int, int]:
    language, penalty = base.scales.language, base.scales.penalty
    values = np.array([weights[a, b] for group in groups for a, b in combinations(group, 2)], dtype=np.int64)
    mismatches = int((values < language).sum())
    repeats = int(((values % language) // penalty < MAX_PENALTY).sum())
    return mismatches, repeats, -int(values.sum())
