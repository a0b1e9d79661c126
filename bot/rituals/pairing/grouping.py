"""Groupings for any number of people: a greedy start, then swaps and moves between groups while they help.

Everything works on a weight matrix padded with one extra all-zero row and column (index n), so a
group with an empty seat can be a fixed-width row of member indices whose gaps point at n.
"""

from __future__ import annotations

import numpy as np

from bot.rituals.pairing.chains import improve_by_chains, relocate_trio
from bot.rituals.pairing.cycles import group_total, rotate_groups, shake
from bot.rituals.pairing.languages import clean_split, has_language_gap
from bot.rituals.pairing.objective import MAX_PENALTY, Objective, Scales
from bot.rituals.pairing.repair import repair_trio

MAX_PASSES = 12
"""Swap passes over everyone; in practice the search settles after two to four."""

MAX_STARTS = 6
START_BUDGET = 2_000_000
"""Starts × people² stays under this: six starts up to ~570 people, two at 1,000, one from ~1,400."""

CONFIRMING_STARTS = 2
"""Starts that must reach the same best tiers (language, repeats, bridges) before pairs stop searching."""

MAX_KICKS = 40
KICK_BUDGET = 200_000
"""Kicks for breakout groups while kicks × people² stays under this: 40 up to ~70 people, none past ~450."""

CHAIN_ROUNDS = 4
"""Alternations of chain search and swap search; each round is a pass of each."""

IMPROVE_BATCH_CELLS = 1 << 16
"""Most people × people scored in one numpy step of the swap search. Batches start at one person and
double while nobody in them can gain, so a pass that moves often wastes little, and a pass that moves
nobody (most of them, once the search settles) takes a few numpy calls instead of one per person."""

NO_MOVE = np.iinfo(np.int64).min
"""The gain of swapping with someone in one's own group, or of moving to a group that does not fit."""


def group_sizes(count: int, size: int) -> list[int]:
    """How many people go in each group: `size`, with a few of size-1 or size+1 when it doesn't divide.

    Never a group of one unless there is only one person. Pairs with an odd count get one trio.
    """
    if count <= 0:
        return []
    best: list[int] | None = None
    for groups in sorted({max(count // size, 1), max(-(-count // size), 1)}):
        small, extra = divmod(count, groups)
        sizes = [small + 1] * extra + [small] * (groups - extra)
        if all(size - 1 <= s <= size + 1 and s >= 2 for s in sizes):
            off = sum(s != size for s in sizes)
            if best is None or off < sum(s != size for s in best):
                best = sizes
    if best is None:
        # Too few people for the size asked: keep them together rather than leave anyone alone.
        return [count]
    return sorted(best, key=lambda s: (s != size, -s))


def padded_matrix(objective: Objective, block_rows: int = 512) -> np.ndarray:
    """The objective's weight matrix with an extra zero row and column, built a block at a time."""
    n = len(objective)
    weights = np.zeros((n + 1, n + 1), dtype=np.int64)
    for start in range(0, n, block_rows):
        stop = min(start + block_rows, n)
        weights[start:stop, :n] = objective.matrix(slice(start, stop))
    return weights


def placement_order(objective: Objective, weights: np.ndarray) -> np.ndarray:
    """People with the fewest good partners (common language, never met) first; ties in seeded order."""
    n = len(objective)
    scales = objective.scales
    good = scales.language + MAX_PENALTY * scales.penalty
    choices = (weights[:n, :n] >= good).sum(axis=1)
    shuffle = np.random.default_rng(objective.seed).permutation(n)
    return np.lexsort((shuffle, choices))


def greedy_groups(weights: np.ndarray, sizes: list[int], order: np.ndarray) -> list[list[int]]:
    """Fill groups one at a time: the next person in `order` starts a group, then the best fit joins."""
    n = weights.shape[0] - 1
    free = np.ones(n, dtype=bool)
    cursor = 0
    groups: list[list[int]] = []
    for size in sizes:
        while not free[order[cursor]]:
            cursor += 1
        first = int(order[cursor])
        members = [first]
        free[first] = False
        fit = weights[first, :n].copy()
        while len(members) < size:
            candidate = int(np.argmax(np.where(free, fit, -1)))
            members.append(candidate)
            free[candidate] = False
            fit += weights[candidate, :n]
        groups.append(members)
    return groups


def improve(
    weights: np.ndarray, groups: list[list[int]], order: np.ndarray, best_partner: np.ndarray
) -> list[list[int]]:
    """Local search: swap two people between groups, or move one to a group one smaller, while it gains.

    A swap between two pairs is the classic 2-opt move; a move lets the one trio of an odd count
    travel to wherever it costs least. Each step takes the best move for one person, vectorised over
    everyone else. Someone already with partners as good as their best possible (`best_partner`, the
    largest weight in their row) is skipped: no move of theirs can gain that their partner's can't.
    """
    n = weights.shape[0] - 1
    if len(groups) < 2:
        return groups
    width = max(len(g) for g in groups)
    members = np.full((len(groups), width), n, dtype=np.int64)
    for g, group in enumerate(groups):
        members[g, : len(group)] = group
    sizes = np.array([len(g) for g in groups])
    group_of = np.empty(n, dtype=np.int64)
    for g, group in enumerate(groups):
        group_of[group] = g
    current = weights[np.arange(n)[:, None], members[group_of]].sum(axis=1)
    uneven = len(set(sizes.tolist())) > 1
    order = np.asarray(order, dtype=np.int64)
    for _ in range(MAX_PASSES):
        changed = False
        position, batch = 0, 1
        while position < len(order):
            # The skip test one at a time would make on reaching each person: until a move, it holds.
            rest = order[position:]
            worth = current[rest] < (sizes[group_of[rest]] - 1) * best_partner[rest]
            ahead = position + np.flatnonzero(worth)[:batch]
            if not len(ahead):
                break
            found = _first_move(weights, members, sizes, group_of, current, order[ahead], uneven)
            if found is None:
                position = int(ahead[-1]) + 1
                batch = min(2 * batch, max(1, IMPROVE_BATCH_CELLS // n))
                continue
            row, swap, move = found
            position, batch = int(ahead[row]) + 1, max(1, batch // 2)
            i = int(order[ahead[row]])
            home = int(group_of[i])
            changed = True
            if swap is not None:
                j = swap
                there = int(group_of[j])
                members[home][members[home] == i] = j
                members[there][members[there] == j] = i
                group_of[i], group_of[j] = there, home
                touched = (home, there)
            else:
                target = move
                members[home][members[home] == i] = n
                members[target][np.flatnonzero(members[target] == n)[0]] = i
                sizes[home] -= 1
                sizes[target] += 1
                group_of[i] = target
                touched = (home, target)
            for g in touched:
                for m in members[g][members[g] < n]:
                    current[m] = weights[m, members[g]].sum()
        if not changed:
            break
    return [[int(m) for m in row if m < n] for row in members]


def _first_move(
    weights: np.ndarray,
    members: np.ndarray,
    sizes: np.ndarray,
    group_of: np.ndarray,
    current: np.ndarray,
    people: np.ndarray,
    uneven: bool,
) -> tuple[int, int | None, int | None] | None:
    """The first of `people` with a gaining swap or move: (its row, swap partner or None, target group).

    For each person i, the best swap with anyone j in another group and, when sizes differ, the best
    move to a group one smaller than i's; the swap wins ties. All rows are scored at once on the same
    groups, one vectorised step for the lot.
    """
    n = len(group_of)
    rows = np.arange(len(people))
    home = group_of[people]
    with_group = weights[people[:, None, None], members[None, :, :]].sum(axis=2)
    gain = with_group[:, group_of] - 2 * weights[people, :n] + weights[members[home]].sum(axis=1)[:, :n]
    gain -= current[people][:, None] + current[None, :]
    gain[group_of[None, :] == home[:, None]] = NO_MOVE
    best = gain.argmax(axis=1)
    best_swap = gain[rows, best]
    best_move = np.zeros(len(people), dtype=np.int64)
    target = np.full(len(people), -1, dtype=np.int64)
    if uneven:
        fits = sizes[None, :] == (sizes[home] - 1)[:, None]
        move_gain = np.where(fits, with_group - current[people][:, None], NO_MOVE)
        best_target = move_gain.argmax(axis=1)
        any_fit = fits.any(axis=1)
        best_move = np.where(any_fit, move_gain[rows, best_target], 0)
        target = np.where(any_fit, best_target, -1)
    hits = np.flatnonzero((best_swap > 0) | (best_move > 0))
    if not len(hits):
        return None
    row = int(hits[0])
    if best_swap[row] >= best_move[row]:
        return row, int(best[row]), None
    return row, None, int(target[row])


def heuristic_groups(objective: Objective, sizes: list[int]) -> list[list[int]]:
    """A near-optimal grouping of everyone into groups of `sizes`, as participant indices.

    Small groups get several starts (a different placement order each) and keep the best: local
    search is cheap there, and a second start is what rescues the odd repeat a single one leaves.
    """
    weights = padded_matrix(objective)
    order = placement_order(objective, weights)
    best_partner = weights.max(axis=1)[:-1]
    starts = max(1, min(MAX_STARTS, START_BUDGET // len(objective) ** 2))
    rng = np.random.default_rng(objective.seed)
    best: tuple[int, list[list[int]]] | None = None
    # Pairs (and the one trio of an odd count) stop once two starts agree on every tier above the jitter:
    # most later starts only re-break ties. Measured against networkx's optimum on 90 workshops of 40-80:
    # 9 bridges short of 9,276 (every start: 6), no language gap or repeat more, 2.8x faster (test_matcher's
    # `..._all_but_a_few_bridges`). Breakout groups keep every start: their swap search settles less often.
    settle = sizes.count(3) <= 1 and all(s in (2, 3) for s in sizes)
    reached: list[tuple[int, int, int]] = []
    for start in range(starts):
        if start:
            # Keep the most constrained people early; shuffle within the rest.
            order = np.concatenate([order[: len(order) // 4], rng.permutation(order[len(order) // 4 :])])
        groups = _search(weights, sizes, order, best_partner, objective.scales)
        total = group_total(weights, groups) if starts > 1 else 0
        if best is None or total > best[0]:
            best = (total, groups)
        reached.append(objective.scales.above_jitter(total))
        if settle and reached.count(max(reached)) >= CONFIRMING_STARTS:
            break
    assert best is not None
    groups = best[1]
    n = len(objective)
    shares = weights[:n, :n] >= objective.scales.language
    if has_language_gap(shares, groups):
        # Local moves stopped short of a split where every group shares a language: look for one.
        split = clean_split(shares, sizes)
        if split is not None:
            polished = _search(weights, sizes, order, best_partner, objective.scales, start=split)
            if group_total(weights, polished) > group_total(weights, groups):
                groups = polished
    kicks = min(MAX_KICKS, KICK_BUDGET // len(objective) ** 2)
    if max(sizes) > 2 and kicks:

        def settle(trial: list[list[int]]) -> list[list[int]]:
            trial = improve(weights, trial, order, best_partner)
            if rotate_groups(weights, trial):
                trial = improve(weights, trial, order, best_partner)
            return trial

        groups = shake(weights, groups, settle, rng, kicks)
    return groups


def _search(
    weights: np.ndarray,
    sizes: list[int],
    order: np.ndarray,
    best_partner: np.ndarray,
    scales: Scales,
    start: list[list[int]] | None = None,
) -> list[list[int]]:
    """Local search from `start`, or from a greedy grouping in `order`."""
    groups = improve(weights, start or greedy_groups(weights, sizes, order), order, best_partner)
    for _ in range(CHAIN_ROUNDS):
        if not (improve_by_chains(weights, groups, order, best_partner) or rotate_groups(weights, groups)):
            break
        groups = improve(weights, groups, order, best_partner)
    # The trio moves scan everyone against every pair, so they wait until the cheaper moves settle.
    for _ in range(CHAIN_ROUNDS):
        if not (relocate_trio(weights, groups) or repair_trio(weights, groups, scales)):
            break
        groups = improve(weights, groups, order, best_partner)
        if improve_by_chains(weights, groups, order, best_partner):
            groups = improve(weights, groups, order, best_partner)
    return groups
