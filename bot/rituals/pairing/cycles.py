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
    w = weights[:n, :n]
    changed, stale = False, True
    for i in range(n):
        if stale:
            group_of = np.empty(n, dtype=np.int64)
            for g, group in enumerate(groups):
                group_of[group] = g
            # fit[x, g]: x's weights to everyone in group g; current[x]: to x's own group.
            fit = np.stack([w[:, group].sum(axis=1) for group in groups], axis=1)
            current = fit[np.arange(n), group_of]
            stale = False
        home = group_of[i]
        # i takes j's seat, j takes k's, k takes i's: each joins a group minus the one it replaces.
        i_moves = fit[i, group_of] - w[i] - current
        k_moves = fit[:, home] - w[:, i] - current
        gain = i_moves[:, None] + (fit[:, group_of] - w) + k_moves[None, :] - current[i]
        valid = (
            (group_of[:, None] != group_of[None, :])
            & (group_of[:, None] != home)
            & (group_of[None, :] != home)
        )
        gain[~valid] = np.iinfo(np.int64).min // 4
        j, k = (int(x) for x in np.unravel_index(int(np.argmax(gain)), gain.shape))
        if gain[j, k] <= 0:
            continue
        a, b, c = int(home), int(group_of[j]), int(group_of[k])
        groups[a] = [m for m in groups[a] if m != i] + [k]
        groups[b] = [m for m in groups[b] if m != j] + [i]
        groups[c] = [m for m in groups[c] if m != k] + [j]
        changed = stale = True
    return changed


def group_total(weights: np.ndarray, groups: list[list[int]]) -> int:
    """Twice the sum of pair weights inside groups (each pair counted from both sides): for comparing."""
    return sum(int(weights[np.ix_(group, group)].sum()) for group in groups)


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
