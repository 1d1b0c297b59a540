"""Exact-count allocation: give exactly k of n subjects a property, by construction.

All helpers are vectorized and driven by a ``numpy.random.Generator`` so that the same
seed gives the same allocation.
"""

from __future__ import annotations

import numpy as np

from adam.errors import UsageError


def round_counts(total: int, shares) -> np.ndarray:
    """Split ``total`` into integer counts proportional to ``shares`` (largest remainder)."""
    shares = np.asarray(shares, dtype=float)
    raw = total * shares / shares.sum()
    counts = np.floor(raw).astype(np.int64)
    short = total - counts.sum()
    if short > 0:
        counts[np.argsort(-(raw - counts), kind="stable")[:short]] += 1
    return counts


def scaled(count: int, published_n: int, n: int) -> int:
    """A published count re-expressed for a trial of ``n`` instead of ``published_n``."""
    return int(round(count * n / published_n)) if n != published_n else int(count)


def rank_within(groups: np.ndarray, key: np.ndarray) -> np.ndarray:
    """0-based rank of ``key`` inside each group (ties broken by position)."""
    order = np.lexsort((key, groups))
    g_sorted = groups[order]
    starts = np.r_[0, np.flatnonzero(g_sorted[1:] != g_sorted[:-1]) + 1]
    run_start = np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    ranks = np.empty(len(order), dtype=np.int64)
    ranks[order] = np.arange(len(order)) - run_start
    return ranks


def choose_exact(rng: np.random.Generator, candidates: np.ndarray, groups: np.ndarray,
                 k: dict, what: str = "subjects", weights: np.ndarray | None = None) -> np.ndarray:
    """Boolean mask selecting exactly ``k[g]`` candidates in each group ``g``.

    Selection is uniformly random among candidates, or tilted by non-negative ``weights``
    (Efraimidis-Spirakis keys; a zero weight is an infinite key, chosen last): the ``k[g]``
    smallest keys of the group's candidates,
    ties broken by position (found by partition, not a sort). Raises
    :class:`UsageError` when a group has fewer candidates than requested (the trial is
    too small for the published proportions).
    """
    n = len(candidates)
    u = rng.random(n)
    with np.errstate(divide="ignore"):
        key = -np.log(u) / weights if weights is not None else u
    chosen = np.zeros(n, dtype=bool)
    for g, kg in k.items():
        idx = np.flatnonzero(candidates & (groups == g))
        if kg > len(idx):
            raise UsageError(f"cannot assign {kg} {what} in group {g}: only {len(idx)} eligible; "
                             "use a larger n_subjects")
        if kg <= 0:
            continue
        keys = key[idx]
        cut = np.partition(keys, kg - 1)[kg - 1]           # the k-th smallest key
        below = keys < cut
        ties = np.flatnonzero(keys == cut)[:kg - int(below.sum())]
        chosen[idx[below]] = True
        chosen[idx[ties]] = True
    return chosen


def assign_levels(rng: np.random.Generator, groups: np.ndarray, shares: dict) -> np.ndarray:
    """Integer level per subject with exact counts per group.

    ``shares[g]`` is a sequence of level shares for group ``g``; the subjects of the group
    get ``round_counts(n_g, shares[g])`` of each level in random order."""
    out = np.full(len(groups), -1, dtype=np.int64)
    for g, sh in shares.items():
        idx = np.flatnonzero(groups == g)
        levels = np.repeat(np.arange(len(sh)), round_counts(len(idx), sh))
        out[idx] = rng.permutation(levels)
    return out


def stratified_uniform(rng: np.random.Generator, groups: np.ndarray, score: np.ndarray | None = None,
                       rho: float = 0.0) -> np.ndarray:
    """Uniforms whose empirical distribution within each group is almost exactly U(0, 1).

    Subject i of a group of size m gets ``(r_i + V_i) / m`` where r is a rank and V ~ U(0,1):
    each value is marginally uniform, but the group's values fill the m equal-width bins
    once each, so quantile-transformed times reproduce their target distribution with
    little sampling noise. With a ``score`` the ranks follow ``rho * score + noise``
    (a rank copula): high scores get high uniforms, i.e. long times.
    """
    n = len(groups)
    noise = rng.standard_normal(n)
    latent = noise if score is None else rho * score + np.sqrt(max(1 - rho ** 2, 0.0)) * noise
    ranks = rank_within(groups, latent)
    sizes = np.bincount(groups)
    return (ranks + rng.random(n)) / sizes[groups]


def permuted_blocks(rng: np.random.Generator, strata: np.ndarray, n_first: int,
                    block: tuple[int, int] = (3, 2)) -> np.ndarray:
    """Arm index (0 first arm, 1 second) by permuted blocks within strata, in enrollment order.

    Subjects are taken in array order (enrollment order). Each stratum is filled with
    blocks of ``block[0]`` first-arm and ``block[1]`` second-arm slots in random order.
    The last, incomplete block of each stratum is truncated so that the first arm gets
    exactly ``n_first`` subjects overall (or as close as the truncations allow, which is
    exact for the published trial sizes).
    """
    a, b = block
    size = a + b
    n = len(strata)
    pos = rank_within(strata, np.arange(n, dtype=float))
    counts = np.bincount(strata)
    full = counts // size
    rest = counts - full * size
    lo, hi = np.maximum(0, rest - b), np.minimum(a, rest)
    need = n_first - a * full.sum() - lo.sum()
    extra = np.zeros_like(rest)
    room = hi - lo
    for s in rng.permutation(len(counts)):
        take = min(max(need, 0), room[s])
        extra[s] = take
        need -= take
    k_last = lo + extra                    # first-arm slots in each stratum's last block
    n_blocks = full + (rest > 0)
    # a random key per slot; the k lowest keys of a block are its first-arm slots
    block_id = pos // size
    block_start = np.r_[0, np.cumsum(n_blocks)[:-1]]
    gid = block_start[strata] + block_id
    is_last = (block_id == full[strata]) & (rest[strata] > 0)
    k_block = np.where(is_last, k_last[strata], a)
    r = rank_within(gid, rng.random(n))
    return np.where(r < k_block, 0, 1).astype(np.int64)
