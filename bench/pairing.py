"""Benchmark of the pair matcher against networkx's exact matching on workshop-like groups.

Run `python bench/pairing.py` (or `--quick`). Prints a table per group size N, headed by what a
facilitator would notice: the bridge differences our pairs make against the exact optimum's (networkx's
max-weight matching on the same weighted graph), and the pairs with no common language, ours / the
optimum's; then repeated pairs, the share of pairs that bridge, our time (min/median/max of `--repeat`
runs, and the process's CPU time, which a busy shared machine inflates less), networkx's time (one run),
and last our total weight over the optimum's (a pair without a common language costs 0.04% of it: a
weight ratio near 1 alone proves little). Then
rounds without a repeat for fixed groups, against the counting bound (N-1 for an even group; for an odd
one with a trio each round, floor(N(N-1)/(N+3)): every round meets (N+3)/2 new pairs of the N(N-1)/2) and
the language bound for mixed-language ones. Then the event loop's lag while the heaviest jobs run (a task
asking to wake every 10 ms records how late it woke: p50/p99/worst), with the job on the loop itself, in
a thread, and in a worker process, as the bot runs it. `--stalls` also samples, from a thread, what the
loop's thread was doing whenever the probe did not wake for 40 ms (bench/stalls.py), under each row.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from itertools import combinations

import networkx as nx

from bot.compute import Compute
from bot.rituals.pairing.matcher import Participant, PastMeeting, build_objective, match, plan_rounds
from bot.rituals.pairing.trios import counting_bound

try:
    from bench.machine import loadavg
    from bench.stalls import StallSampler
except ModuleNotFoundError:  # run as `python bench/pairing.py`: bench/ itself is on the path
    from machine import loadavg  # type: ignore[no-redef]
    from stalls import StallSampler  # type: ignore[no-redef]

SIZES = (20, 50, 100, 200, 500, 1000, 2000, 5000)
QUICK_SIZES = (20, 50, 100, 200, 2000)
EXACT_BUDGET = 60.0
"""Seconds networkx may take beyond N=1000 (measured: ~45 s there); a size is skipped when the cubic
extrapolation of the last run exceeds it."""

REGIONS = ("Tokyo", "Osaka", "Fukuoka", "Sapporo", "Nagoya", "Singapore", "Seoul", "London")
GENERATIONS = ("20s", "30s", "40s", "50s", "60s")
ROLES = ("engineer", "designer", "sales", "hr", "manager", "researcher", "student", "founder")
INTERESTS = ("ai", "climate", "community", "careers", "music", "running", "food", "parenting", "books")


def workshop(n: int, seed: int, mixed_languages: bool = True) -> tuple[list[Participant], list[PastMeeting]]:
    """N people from a few big and many small organisations, mostly Japanese-speaking, some history."""
    rng = random.Random(seed)
    orgs = [f"org{k}" for k in range(max(4, n // 12))]
    org_weights = [1 / (k + 1) for k in range(len(orgs))]  # a few big companies, a long tail
    people = []
    for i in range(n):
        roll = rng.random()
        if not mixed_languages:
            languages = {"ja"} if roll < 0.7 else {"ja", "en"}
        else:
            languages = {"ja"} if roll < 0.6 else {"en"} if roll < 0.75 else {"ja", "en"}
        maybe = lambda values: None if rng.random() < 0.08 else rng.choice(values)  # noqa: E731
        people.append(
            Participant(
                key=f"u{i:05d}",
                languages=frozenset(languages),
                org=rng.choices(orgs, org_weights)[0],
                region=maybe(REGIONS),
                generation=maybe(GENERATIONS),
                role=maybe(ROLES),
                interests=frozenset(rng.sample(INTERESTS, 2)),
            )
        )
    colleagues: dict[str | None, list[Participant]] = {}
    for person in people:
        colleagues.setdefault(person.org, []).append(person)
    history = []
    for person in people:
        # Colleagues have often met, some many times; everyone has met a few strangers at earlier events.
        team = colleagues[person.org]
        met = rng.sample(team, min(5, len(team))) + [rng.choice(people) for _ in range(3)]
        for other in met:
            if other.key != person.key:
                history.append(PastMeeting(person.key, other.key, rng.randint(1, 6), rng.randint(1, 30)))
    return people, history


def summary(objective, groups) -> tuple[int, int, int, int, int]:
    """(weight, bridge differences, repeats, language mismatches, pairs that bridge) over all pairs."""
    weight = bridges = repeats = mismatches = bridging = 0
    for group in groups:
        for a, b in combinations(group, 2):
            tiers = objective.tiers(objective.index[a], objective.index[b])
            weight += objective.scales.fold(tiers)
            bridges += tiers.bridges
            repeats += tiers.penalty > 0
            mismatches += not tiers.shares_language
            bridging += tiers.bridges > 0
    return weight, bridges, repeats, mismatches, bridging


def exact(objective) -> tuple[float, list[tuple[str, str]]]:
    matrix = objective.matrix().tolist()
    keys = objective.keys
    graph = nx.Graph()
    graph.add_weighted_edges_from(
        (keys[i], keys[j], matrix[i][j]) for i in range(len(keys)) for j in range(i + 1, len(keys))
    )
    started = time.perf_counter()
    pairs = nx.max_weight_matching(graph, maxcardinality=True)
    return time.perf_counter() - started, [tuple(p) for p in pairs]


def pairing_table(sizes: tuple[int, ...], repeat: int) -> None:
    """What matters first: the bridges the pairs make and the pairs left without a common language, ours
    against the exact optimum's; then repeats, times (ours min/median/max of `repeat` runs; networkx once,
    it takes up to a minute), and last the total weight (a pair with no common language costs only a
    tiny fraction of it, which is why it is not the headline)."""
    print(f"\npairs against networkx's exact max-weight matching on the same graph; {loadavg()}")
    print(
        f"{'N':>5} {'bridges ours/opt':>17} {'no lang ours/opt':>17} {'repeats':>9} {'bridging':>9} "
        f"{'ours s min/med/max':>22} {'(cpu s)':>8} {'nx s':>8} {'weight/opt':>12}"
    )
    last_exact: tuple[int, float] | None = None
    for n in sizes:
        people, history = workshop(n, seed=n)
        times, cpus = [], []
        for _ in range(repeat):
            started, cpu_started = time.perf_counter(), time.process_time()
            result = match(people, history=history, seed=7)
            times.append(time.perf_counter() - started)
            cpus.append(time.process_time() - cpu_started)
        objective = build_objective(people, history=history, seed=7)
        weight, bridges, repeats, mismatches, bridging = summary(objective, [g.keys for g in result.groups])
        pair_total = len(result.pairs)
        nx_time = ratio = "-"
        bridge_ratio = f"{bridges}/-"
        opt_repeats = opt_mismatches = "-"
        predicted = last_exact and last_exact[1] * (n / last_exact[0]) ** 3
        if n <= 1000 or (predicted is not None and predicted < EXACT_BUDGET):
            seconds, pairs = exact(objective)
            best = summary(objective, pairs)
            last_exact = (n, seconds)
            nx_time, ratio = f"{seconds:.3f}", f"{weight / best[0]:.9f}"
            bridge_ratio = f"{bridges}/{best[1]}"
            opt_repeats, opt_mismatches = best[2], best[3]
        spread = f"{min(times):.3f}/{statistics.median(times):.3f}/{max(times):.3f}"
        print(
            f"{n:>5} {bridge_ratio:>17} {f'{mismatches}/{opt_mismatches}':>17} "
            f"{f'{repeats}/{opt_repeats}':>9} {bridging / pair_total:>9.1%} {spread:>22} "
            f"{f'({statistics.median(cpus):.3f})':>8} {nx_time:>8} {ratio:>12}"
        )


def rounds_without_repeat(rounds) -> int:
    seen: set[tuple[str, str]] = set()
    for r, matching in enumerate(rounds):
        pairs = {tuple(sorted(p)) for p in matching.pairs}
        if pairs & seen:
            return r
        seen |= pairs
    return len(rounds)


def language_bound(people: list[Participant]) -> int:
    """Rounds in which everyone can have a new partner they share a language with: at most the fewest
    such partners anyone has."""
    return min(
        sum(1 for other in people if other is not person and person.languages & other.languages)
        for person in people
    )


def rounds_table(sizes: tuple[int, ...]) -> None:
    print(
        "\nrounds without a repeat against the counting bound (even N: N-1; odd N with a trio each round: "
        f"floor(N(N-1)/(N+3))); {loadavg()}"
    )
    print(
        f"{'fixed group':>11} {'languages':>10} {'rounds without repeat':>22} {'bound':>6} "
        f"{'language bound':>15} {'seconds':>8}"
    )
    for n in sizes:
        for mixed in (False, True):
            people, _ = workshop(n, seed=1000 + n, mixed_languages=mixed)
            wanted = min(n - 1, 30) if n <= 60 else 30
            started = time.perf_counter()
            rounds = plan_rounds(people, rounds=max(wanted, counting_bound(n)), seed=7)
            seconds = time.perf_counter() - started
            label = "ja/en mix" if mixed else "shared"
            print(
                f"{n:>11} {label:>10} {rounds_without_repeat(rounds):>22} {counting_bound(n):>6} "
                f"{language_bound(people):>15} {seconds:>8.2f}"
            )


async def _lagged(  # noqa: ANN001
    fn, people, options: dict, mode: str, sampler: StallSampler | None = None
) -> tuple[float, list[float]]:
    """Run `fn(people, **options)` through Compute in `mode` while a task asks to wake every 10 ms; (seconds, lags in ms).
    Each wake ticks `sampler`, which watches while the job runs."""
    compute = Compute(mode=mode, timeout=600)
    if mode == "process":
        compute.start()
        await compute.run(len, ())  # the worker is up and has imported the matcher: not part of the job
    lags: list[float] = []
    running = True

    async def probe() -> None:
        while running:
            asked = time.perf_counter()
            await asyncio.sleep(0.01)
            lags.append((time.perf_counter() - asked - 0.01) * 1000)
            if sampler is not None:
                sampler.tick()

    task = asyncio.create_task(probe())
    await asyncio.sleep(0.05)
    if sampler is not None:
        sampler.start()
    started = time.perf_counter()
    await compute.run(fn, people, **options)
    seconds = time.perf_counter() - started
    if sampler is not None:
        sampler.stop()
    running = False
    await task
    compute.close()
    return seconds, lags


def lag_table(stalls: bool = False) -> None:
    print(f"\nevent-loop lag (a task asking to wake every 10 ms) while the job runs; {loadavg()}")
    print(f"{'job':<28} {'where':>8} {'seconds':>8} {'lag p50 ms':>11} {'p99 ms':>8} {'worst ms':>9}")
    odd, _ = workshop(51, seed=51, mixed_languages=False)
    room, history = workshop(2000, seed=2000)
    jobs = {
        "plan 30 rounds for 51": (plan_rounds, odd, {"rounds": 30, "seed": 7}),
        "match 2,000 people": (match, room, {"history": history, "seed": 7}),
    }
    for name, (fn, people, options) in jobs.items():
        for mode in ("inline", "thread", "process"):
            sampler = StallSampler() if stalls else None
            seconds, lags = asyncio.run(_lagged(fn, people, options, mode, sampler))
            lags.sort()
            p50, p99 = lags[len(lags) // 2], lags[min(len(lags) - 1, int(0.99 * len(lags)))]
            print(f"{name:<28} {mode:>8} {seconds:>8.2f} {p50:>11.1f} {p99:>8.1f} {lags[-1]:>9.1f}")
            if sampler is not None:
                sampler.print_report(top=3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller groups only, for a short run")
    parser.add_argument("--lag-only", action="store_true", help="only the event loop's lag table")
    parser.add_argument("--repeat", type=int, default=3, help="runs of our matcher per size")
    parser.add_argument("--stalls", action="store_true", help="sample the loop's stack when it stalls")
    args = parser.parse_args()
    if not args.lag_only:
        pairing_table(QUICK_SIZES if args.quick else SIZES, 1 if args.quick else args.repeat)
        rounds_table((20, 30, 31) if args.quick else (20, 30, 31, 50, 51, 60))
    lag_table(args.stalls)


if __name__ == "__main__":
    main()
