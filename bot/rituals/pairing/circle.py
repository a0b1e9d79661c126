"""The circle method: a fixed group of even size m meets in m-1 rounds of pairs, no pair twice.

One person stays put, the others turn around a circle one seat per round; a round pairs seats that
face each other. Which person sits where is free, and that freedom is how the bridging objective
chooses among the many such schedules.
"""

from __future__ import annotations

import numpy as np


def circle_rounds(seating: list[int]) -> list[list[tuple[int, int]]]:
    """All m-1 rounds of pairs for the people in `seating` (m even), in circle order."""
    m = len(seating)
    if m < 2 or m % 2:
        raise ValueError("the circle method needs an even number of seats")
    fixed, turning = seating[0], seating[1:]
    ring = m - 1
    return [
        [(fixed, turning[r])] + [(turning[(r + k) % ring], turning[(r - k) % ring]) for k in range(1, m // 2)]
        for r in range(ring)
    ]


def seating_from_pairs(pairs: list[tuple[int, int]], rng: np.random.Generator) -> list[int]:
    """A seating whose first circle round is exactly `pairs`, the rest arranged at random.

    Seats k and ring-k face each other in the first round, so a pair placed on them meets first.
    """
    shuffled = [pairs[i] for i in rng.permutation(len(pairs))]
    shuffled = [(b, a) if rng.random() < 0.5 else (a, b) for a, b in shuffled]
    m = 2 * len(shuffled)
    ring = m - 1
    turning = [0] * ring
    (fixed, first), rest = shuffled[0], shuffled[1:]
    turning[0] = first
    for k, (a, b) in enumerate(rest, start=1):
        turning[k], turning[ring - k] = a, b
    return [fixed, *turning]
