"""Repair for an odd count: move the trio along an alternating path to where it leaves no pair without a
common language (then: none that met before), when the group allows it.

Local moves can strand a trio: with three Korean speakers among thirteen, only a Korean trio lets everyone
share a language, and reaching it takes several coordinated re-pairings, each useless alone. This is a
breadth-first search over such re-pairings, on the graph of "good" pairs only.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from bot.rituals.pairing.objective import MAX_PENALTY, Scales


def repair_trio(weights: np.ndarray, groups: list[list[int]], scales: Scales) -> bool:
    """Improve `groups` (pairs and one trio) in place if an alternating path removes a bad pair."""
    n = weights.shape[0] - 1
    trios = [g for g, group in enumerate(groups) if len(group) == 3]
    if len(trios) != 1 or any(len(group) not in (2, 3) for group in groups):
        return False
    inside = np.array(
        [weights[a, b] for group in groups for i, a in enumerate(group) for b in group[i + 1 :]]
    )
    if (inside >= scales.language).all() and (
        (inside % scales.language) // scales.penalty == MAX_PENALTY
    ).all():
        return False  # every pair already shares a language and is new: nothing for a path to remove
    block = weights[:n, :n]
    shares = block >= scales.language
    fresh = (block % scales.language) // scales.penalty == MAX_PENALTY
    for good in (shares, shares & fresh):
        found = _path(good, groups, trios[0])
        if found is not None:
            before = _total(weights, groups)
            candidate = _apply(groups, trios[0], *found)
            if _total(weights, candidate) > before:
                groups[:] = candidate
                return True
    return False


def _total(weights: np.ndarray, groups: list[list[int]]) -> int:
    return sum(int(weights[a, b]) for group in groups for i, a in enumerate(group) for b in group[i + 1 :])


def _path(
    good: np.ndarray, groups: list[list[int]], trio_slot: int
) -> tuple[int, list[tuple[int, int]], int] | None:
    """(released trio member, the (taken, displaced) links, the pair slot the last one joins) or None.

    Releasing member t from the trio, t takes c (c's partner d is displaced), d takes e, ... and the last
    one displaced joins a pair as its third. It helps when the trio loses a bad pair by letting t go, or
    when the path breaks up a bad pair on its way.
    """
    n = good.shape[0]
    mate = np.full(n, -1, dtype=np.int64)
    slot = np.full(n, -1, dtype=np.int64)
    pair_slots = [g for g, group in enumerate(groups) if len(group) == 2]
    first = np.array([groups[g][0] for g in pair_slots], dtype=np.int64)
    second = np.array([groups[g][1] for g in pair_slots], dtype=np.int64)
    mate[first], mate[second] = second, first
    slot[first] = slot[second] = pair_slots
    paired = mate >= 0
    trio = groups[trio_slot]
    for k in range(3):
        released, stay = trio[k], [trio[(k + 1) % 3], trio[(k + 2) % 3]]
        visited = ~paired.copy()
        helped = not (good[released, stay[0]] and good[released, stay[1]])
        parents: dict[int, tuple[int, int] | None] = {released: None}
        queue = deque([(released, helped)])
        while queue:
            person, helped = queue.popleft()
            if helped:
                joinable = good[person, first] & good[person, second] & ~visited[first] & ~visited[second]
                if joinable.any():
                    links = []
                    at = person
                    while parents[at] is not None:
                        before, taken = parents[at]
                        links.append((taken, at))
                        at = before
                    return released, links[::-1], pair_slots[int(np.argmax(joinable))]
            for taken in np.flatnonzero(good[person] & ~visited):
                displaced = int(mate[taken])
                visited[[taken, displaced]] = True
                parents[displaced] = (person, int(taken))
                queue.append((displaced, helped or not good[taken, displaced]))
    return None


def _apply(
    groups: list[list[int]], trio_slot: int, released: int, links: list[tuple[int, int]], target: int
) -> list[list[int]]:
    groups = [list(group) for group in groups]
    groups[trio_slot] = [m for m in groups[trio_slot] if m != released]
    seat_of = {m: g for g, group in enumerate(groups) if len(group) == 2 for m in group}
    current = released
    for taken, displaced in links:
        groups[seat_of[taken]] = [current, taken]
        current = displaced
    groups[target] = [*groups[target], current]
    return groups
