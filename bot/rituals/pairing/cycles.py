"""Moves for breakout groups beyond swaps: three-way rotations, and kicks that reshuffle a few groups.

A rotation: i takes j's seat, j takes k's, k takes i's.

A swap between two groups cannot move a person to where they fit when that strands someone else; a
rotation through a third group often can. It costs people² per person, so it runs on workshop-sized
groups only; beyond that the swap search alone decides.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

CYCLE_LIMIT = 100
"""Largest number of people the rotation search runs for (a million sums per pass at the limit)."""

CYCLE_PASSES = 6

ROTATION_BATCH_CELLS = 1 << 18
"""Most rotations scored in one numpy step (i's × people²): a whole workshop's screened i's at once,
where numpy's per-call cost dominates, in a block of a few megabytes that stays in cache."""

OUT = np.iinfo(np.int64).min // 8
"""The score of a move that is not a rotation through three groups: below any real gain, and three of
them added together still cannot wrap around int64."""


def rotate_groups(weights: np.ndarray, groups: list[list[int]]) -> bool:
    """Apply gaining three-way rotations to `groups` in place; True if any did."""
    n = weights.shape[0] - 1
    if n > CYCLE_LIMIT or len(groups) < 3:
        return False
    changed = False
    for _ in range(CYCLE_PASSES):
        if not _one_pass(weights, groups, n):
            break
        changed = True
    return changed


def _one_pass(weights: np.ndarray, groups: list[list[int]], n: int) -> bool:
    """Everyone in turn as i, each taking the best gaining rotation there is at that moment.

    Until one gains, the groups do not change, so everyone still to come is screened at once: each
    part of a rotation at its best separately bounds the whole, and an i whose bound is not positive
    has no gaining rotation. The rest get their i × j × k block of gains scored a few at a time,
    more each time none gains; the first i with a gaining rotation applies it and the pass resumes
    after that i, on the new groups, exactly as taking one i at a time would.
    """
    w = weights[:n, :n]
    changed = False
    i = 0
    while i < n:
        group_of = np.empty(n, dtype=np.int64)
        for g, group in enumerate(groups):
            group_of[group] = g
        # fit[x, g]: x's weights to everyone in group g; current[x]: to x's own group.
        fit = np.stack([w[:, group].sum(axis=1) for group in groups], axis=1)
        current = fit[np.arange(n), group_of]
        # j joins k's group minus k: only for j and k in different groups.
        middle = fit[:, group_of] - w
        middle[group_of[:, None] == group_of[None, :]] = OUT
        people = np.arange(i, n)
        home = group_of[people]
        elsewhere = group_of[None, :] != home[:, None]
        # i takes j's seat, j takes k's, k takes i's: each joins a group minus the one it replaces.
        i_moves = np.where(elsewhere, fit[people][:, group_of] - w[people] - current, OUT)
        k_moves = np.where(elsewhere, fit[:, home].T - w[:, people].T - current, OUT)
        bound = (i_moves + middle.max(axis=1)).max(axis=1) + k_moves.max(axis=1) - current[people]
        hopeful = np.flatnonzero(bound > 0)
        found = None
        batch, done = 1, 0
        while found is None and done < len(hopeful):
            rows = hopeful[done : done + batch]
            gain = i_moves[rows][:, :, None] + middle[None, :, :] + k_moves[rows][:, None, :]
            gain -= current[people[rows]][:, None, None]
            flat = gain.reshape(len(rows), n * n)
            best = flat.argmax(axis=1)
            hits = np.flatnonzero(flat[np.arange(len(rows)), best] > 0)
            if len(hits):
                found = int(hits[0])
            done += len(rows)
            batch = min(2 * batch, max(1, ROTATION_BATCH_CELLS // n**2))
        if found is None:
            break
        i = int(people[rows[found]])
        j, k = divmod(int(best[found]), n)
        a, b, c = int(group_of[i]), int(group_of[j]), int(group_of[k])
        groups[a] = [m for m in groups[a] if m != i] + [k]
        groups[b] = [m for m in groups[b] if m != j] + [i]
        groups[c] = [m for m in groups[c] if m != k] + [j]
        changed = True
        i += 1
    return changed


def group_total(weights: np.ndarray, groups: list[list[int]]) -> int:
    """Twice the sum of pair weights inside groups (each pair counted from both sides): for comparing.

    One gather over all groups at once: short groups are padded with the zero row and column.
    """
    n = weights.shape[0] - 1
    if not groups:
        return 0
    members = np.full((len(groups), max(len(g) for g in groups)), n, dtype=np.int64)
    for g, group in enumerate(groups):
        members[g, : len(group)] = group
    return int(weights[members[:, :, None], members[:, None, :]].sum())


def shake(
    weights: np.ndarray,
    groups: list[list[int]],
    settle: Callable[[list[list[int]]], list[list[int]]],
    rng: np.random.Generator,
    kicks: int,
) -> list[list[int]]:
    """Iterated local search: reshuffle three groups at random, settle again, keep it if it is better.

    Swaps and rotations stop in local optima that a repeat or a language gap can hide in; a kick that
    mixes whole groups and lets the search settle again is what finds the way out.
    """
    best, best_total = groups, group_total(weights, groups)
    for _ in range(kicks):
        trial = [list(group) for group in best]
        picked = rng.choice(len(trial), size=min(3, len(trial)), replace=False)
        people = [m for g in picked for m in trial[g]]
        rng.shuffle(people)
        for g in picked:
            size = len(trial[g])
            trial[g], people = people[:size], people[size:]
        trial = settle(trial)
        total = group_total(weights, trial)
        if total > best_total:
            best, best_total = trial, total
    return best
