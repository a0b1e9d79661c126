"""The exact best grouping of a small group, by dynamic programming over who is still unplaced.

Workshops of a dozen people are common; for them the matcher need not be approximately right.
"""

from __future__ import annotations

from collections import Counter
from functools import cache
from itertools import combinations

EXACT_LIMIT = 12
"""Up to this many people the grouping is solved exactly; the state space is at most 2**12."""


def exact_groups(weights: list[list[int]], sizes: list[int]) -> list[list[int]]:
    """The grouping into groups of `sizes` with the largest sum of pair weights inside groups.

    `weights` is a full symmetric matrix of Python ints. Ties go to the first grouping found, so the
    answer is deterministic.
    """
    n = len(weights)
    if n == 0:
        return []
    full = (1 << n) - 1
    start = tuple(sorted(Counter(sizes).items()))

    @cache
    def best(placed: int, left: tuple[tuple[int, int], ...]) -> tuple[int, tuple[tuple[int, ...], ...]]:
        if placed == full:
            return 0, ()
        first = (~placed & (placed + 1)).bit_length() - 1
        rest = [j for j in range(first + 1, n) if not placed >> j & 1]
        answer: tuple[int, tuple[tuple[int, ...], ...]] | None = None
        for k, (size, count) in enumerate(left):
            fewer = left[:k] + (((size, count - 1),) if count > 1 else ()) + left[k + 1 :]
            for others in combinations(rest, size - 1):
                group = (first, *others)
                inside = sum(weights[a][b] for a, b in combinations(group, 2))
                mask = placed
                for m in group:
                    mask |= 1 << m
                value, groups = best(mask, fewer)
                if answer is None or inside + value > answer[0]:
                    answer = (inside + value, (group, *groups))
        assert answer is not None, "sizes must add up to the number of people"
        return answer

    return [list(group) for group in best(0, start)[1]]
