"""A split where every group shares a language, found by search when local moves cannot reach one.

Sharing a language is the objective's first tier, and with several languages it is a puzzle: each group
must be a clique of the "has a language in common" graph. Local moves (swaps, rotations, kicks) climb the
weights and can stop where reaching a clean split needs five people to change groups at once, none of
those moves useful alone. When the search leaves a group without a common language, this backtracking
search looks for any clean split (the most constrained person first, each group grown from people who
share a language with everyone already in it) within a budget of steps; the local search then polishes
that split on the lower tiers, and the better of the two groupings is kept.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import numpy as np

SEARCH_WORK = 250_000
"""Groups tried × people, before giving up: 5,000 groups for 50 people (about 10 ms), fewer for more. A
planted clean split that local moves missed was found in 10; when no clean split exists (25 Japanese and
25 English speakers with one bilingual, in trios) the search spends its whole budget, so it is kept small."""


class _OutOfSteps(Exception):
    pass


def has_language_gap(shares: np.ndarray, groups: list[list[int]]) -> bool:
    """True if some group holds two people without a language in common."""
    return any(not shares[a, b] for group in groups for i, a in enumerate(group) for b in group[i + 1 :])


def clean_split(shares: np.ndarray, sizes: list[int], steps: int | None = None) -> list[list[int]] | None:
    """Everyone in groups of `sizes` (a multiset) with every two members sharing a language, or None
    when there is none or none was found within `steps` groups tried (by default SEARCH_WORK / people)."""
    n = len(shares)
    if steps is None:
        steps = SEARCH_WORK // max(n, 1)
    if sum(sizes) != n:
        raise ValueError("the sizes must add up to everyone")
    # talks[i] has bit j set when i and j share a language (packed a row at a time, not bit by bit).
    rows = np.packbits(shares, axis=1, bitorder="little")
    talks = [int.from_bytes(rows[i].tobytes(), "little") & ~(1 << i) for i in range(n)]
    left = Counter(sizes)
    budget = [steps]

    def cliques(candidates: int, count: int) -> Iterator[list[int]]:
        """Each set of `count` people from the bitmask `candidates` who all share a language pairwise."""
        if count == 0:
            yield []
            return
        while candidates.bit_count() >= count:
            low = candidates & -candidates
            j = low.bit_length() - 1
            candidates ^= low
            for rest in cliques(candidates & talks[j], count - 1):
                yield [j, *rest]

    def place(free: int) -> list[list[int]] | None:
        if not free:
            return []
        smallest = min(size for size, count in left.items() if count)
        # The most constrained free person goes first: fewest free people they can talk with.
        person, reach = -1, n + 1
        rest = free
        while rest:
            low = rest & -rest
            i = low.bit_length() - 1
            rest ^= low
            count = (talks[i] & free).bit_count()
            if count < smallest - 1:
                return None  # they can never fill a group: this branch is dead
            if count < reach:
                person, reach = i, count
        others = talks[person] & free
        for size in sorted((size for size, count in left.items() if count), reverse=True):
            for mates in cliques(others, size - 1):
                budget[0] -= 1
                if budget[0] < 0:
                    raise _OutOfSteps
                group = [person, *mates]
                mask = sum(1 << m for m in group)
                left[size] -= 1
                placed = place(free & ~mask)
                left[size] += 1
                if placed is not None:
                    return [group, *placed]
        return None

    try:
        return place((1 << n) - 1)
    except _OutOfSteps:
        return None
