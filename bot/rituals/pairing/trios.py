"""Rounds for an odd group: where the trio sits so that no two people meet twice for as long as possible.

The circle method gives an odd group N rounds of pairs with one person left over, who joins a pair as
the trio; but the trio's two extra pairs are pairs the circle meets later, so repeats begin after about
four fifths of the rounds. Counting pairs allows more: each round meets (N+3)/2 of the N(N-1)/2 pairs,
so up to floor(N(N-1)/(N+3)) rounds (27 for 31 people, where the circle seating gets 22-24).

This reaches for that bound with a tabu search over seatings: start from the circle plan, and while two
people meet twice (or meet someone they met before, or share no language), move one of them to another
group of the same round, choosing the move that removes the most such meetings. Deterministic for a
seed and bounded in steps, not seconds, so the same workshop replays the same way on any machine.
"""

from __future__ import annotations

import random
from itertools import combinations

Plan = list[list[list[int]]]

STEPS_PER_ROUND = 1000
"""Search steps allowed per round of the target (measured: 31 people reach 26 rounds in a few hundred)."""
TABU_TENURE = 12


def counting_bound(n: int) -> int:
    """The most rounds of pairs (one trio when odd) in which no two of n people meet twice."""
    if n < 2:
        return 0
    return n - 1 if n % 2 == 0 else n * (n - 1) // (n + 3)


def no_repeat_rounds(
    n: int, start: Plan, forbidden: set[tuple[int, int]], rounds: int, seed: int
) -> Plan | None:
    """`rounds` rounds (from the first rounds of `start`, same group sizes) in which no pair meets twice
    and no `forbidden` pair meets at all; None if the search does not find one within its steps."""
    if rounds > len(start):
        return None
    plan = [[list(group) for group in groups] for groups in start[:rounds]]
    rng = random.Random(seed)
    count = [[0] * n for _ in range(n)]
    for a, b in forbidden:
        count[a][b] = count[b][a] = 1  # counted as used once already: any meeting costs
    where: list[list[int]] = []  # where[r][person] = index of their group in round r
    for groups in plan:
        seat = [0] * n
        for g, group in enumerate(groups):
            for person in group:
                seat[person] = g
            for a, b in combinations(group, 2):
                count[a][b] += 1
                count[b][a] += 1
        where.append(seat)

    def cost() -> int:
        return sum(max(0, count[a][b] - 1) for a in range(n) for b in range(a + 1, n))

    current = cost()
    tabu: dict[tuple[int, int], int] = {}
    for step in range(STEPS_PER_ROUND * rounds):
        if current == 0:
            return plan
        # A meeting that costs: one of its two people moves.
        clashes = [
            (r, a)
            for r, groups in enumerate(plan)
            for group in groups
            for a, b in combinations(group, 2)
            if count[a][b] > 1
        ]
        r, a = rng.choice(clashes)
        best: tuple[int, float] | None = None
        move = None
        for u in plan[r][where[r][a]]:  # anyone of the clashing group may move
            g1 = where[r][u]
            first = plan[r][g1]
            for w in range(n):
                g2 = where[r][w]
                if g2 == g1:
                    continue
                delta = 0
                for x in first:
                    if x != u:
                        delta += (count[w][x] > 0) - (count[u][x] > 1)
                for y in plan[r][g2]:
                    if y != w:
                        delta += (count[u][y] > 0) - (count[w][y] > 1)
                if (tabu.get((r, u), -1) >= step or tabu.get((r, w), -1) >= step) and current + delta > 0:
                    continue
                key = (delta, rng.random())
                if best is None or key < best:
                    best, move = key, (u, w)
        if move is None:
            continue
        u, w = move
        g1, g2 = where[r][u], where[r][w]
        first, second = plan[r][g1], plan[r][g2]
        for x in first:
            if x != u:
                count[u][x] -= 1
                count[x][u] -= 1
                count[w][x] += 1
                count[x][w] += 1
        for y in second:
            if y != w:
                count[w][y] -= 1
                count[y][w] -= 1
                count[u][y] += 1
                count[y][u] += 1
        first[first.index(u)] = w
        second[second.index(w)] = u
        where[r][u], where[r][w] = g2, g1
        current += best[0]
        tenure = TABU_TENURE + rng.randrange(TABU_TENURE)
        tabu[(r, u)] = tabu[(r, w)] = step + tenure
    return plan if current == 0 else None
