"""Hand-checked cases for the exact-allocation and ISO 8601 helpers of adam.synth."""

import numpy as np
import pytest

from adam.errors import UsageError
from adam.synth.allocate import (assign_levels, choose_exact, permuted_blocks, rank_within,
                                 round_counts, stratified_uniform)
from adam.synth.dtc import dtc, study_day, to_day


def test_round_counts_largest_remainder():
    # 194 discontinuations split 74% / 13% / 7.15% / 5.85%: 143.56, 25.22, 13.87, 11.35
    assert round_counts(194, (0.74, 0.13, 0.0715, 0.0585)).tolist() == [144, 25, 14, 11]
    assert round_counts(10, (1, 1, 1)).tolist() == [4, 3, 3]
    assert round_counts(0, (0.5, 0.5)).tolist() == [0, 0]


def test_rank_within_groups():
    groups = np.array([1, 0, 1, 0, 1])
    key = np.array([5.0, 2.0, 1.0, 3.0, 9.0])
    assert rank_within(groups, key).tolist() == [1, 0, 0, 1, 2]


def test_choose_exact_counts_and_candidates():
    rng = np.random.default_rng(0)
    groups = np.repeat([0, 1], 50)
    cand = np.arange(100) % 3 != 0
    sel = choose_exact(rng, cand, groups, {0: 7, 1: 30})
    assert sel[groups == 0].sum() == 7 and sel[groups == 1].sum() == 30
    assert not (sel & ~cand).any()
    with pytest.raises(UsageError, match="only 33 eligible"):
        choose_exact(rng, cand, groups, {1: 34})


def test_choose_exact_weights_favour_heavy():
    rng = np.random.default_rng(1)
    w = np.r_[np.full(500, 100.0), np.full(500, 1.0)]
    sel = choose_exact(rng, np.ones(1000, bool), np.zeros(1000, int), {0: 100}, weights=w)
    assert sel[:500].sum() > 95


def test_choose_exact_takes_the_smallest_keys_ties_by_position():
    """The chosen candidates of a group are those of its k smallest keys (the same
    random stream as rng.random), ties at the cut (zero weights: infinite keys) broken
    by position, as ranking all keys would."""
    groups = np.repeat([0, 1], 40)
    cand = np.arange(80) % 4 != 1
    w = np.where(np.arange(80) % 5 == 0, 0.0, 1.0 + np.arange(80) % 7)
    with np.errstate(divide="ignore"):
        key = -np.log(np.random.default_rng(9).random(80)) / w
    sel = choose_exact(np.random.default_rng(9), cand, groups, {0: 29, 1: 5}, weights=w)
    for g, k in ((0, 29), (1, 5)):
        idx = np.flatnonzero(cand & (groups == g))
        expected = idx[np.lexsort((idx, key[idx]))[:k]]         # by key, then position
        assert np.flatnonzero(sel & (groups == g)).tolist() == sorted(expected.tolist())
    assert np.isinf(key[np.flatnonzero(sel & (groups == 0))]).any()   # the cut fell in the ties


def test_record_order_is_the_lexsort():
    """Records by subject then keys: the fast path (subject sort leaving keys in order)
    and the fallback both give np.lexsort's permutation (missing keys last)."""
    from adam.synth.domains import _record_order

    rng = np.random.default_rng(3)
    for trial in range(200):
        n = int(rng.integers(0, 40))
        subj = rng.integers(0, 5, n).astype(float)
        keys = [rng.integers(0, 3, n).astype(float) for _ in range(int(rng.integers(0, 3)))]
        if trial % 3 == 0:
            keys = [np.where(rng.random(n) < 0.2, np.nan, k) for k in keys]
        if trial % 2 and n:                 # blocks already in order, rotated
            o = np.lexsort(tuple(reversed(keys)) + (subj,))
            cut = int(rng.integers(0, n + 1))
            subj, keys = np.roll(subj[o], cut), [np.roll(k[o], cut) for k in keys]
        assert _record_order(subj, keys).tolist() == np.lexsort(tuple(reversed(keys)) + (subj,)).tolist()


def test_assign_levels_exact_per_group():
    rng = np.random.default_rng(2)
    groups = np.repeat([0, 1], [395, 261])
    lev = assign_levels(rng, groups, {0: (0.85, 0.15), 1: (0.79, 0.21)})
    assert (lev[groups == 0] == 1).sum() == 59      # round(0.15 * 395) = 59.25 -> 59
    assert (lev[groups == 1] == 1).sum() == 55      # round(0.21 * 261) = 54.81 -> 55


def test_stratified_uniform_fills_every_bin_once():
    rng = np.random.default_rng(3)
    groups = np.repeat([0, 1], [40, 25])
    u = stratified_uniform(rng, groups)
    for g, m in ((0, 40), (1, 25)):
        assert sorted(np.floor(u[groups == g] * m).astype(int)) == list(range(m))


def test_permuted_blocks_hit_target_and_block_balance():
    rng = np.random.default_rng(4)
    strata = rng.integers(0, 12, 656)
    arm = permuted_blocks(rng, strata, 395)
    assert (arm == 0).sum() == 395
    for s in range(12):
        a = arm[strata == s]
        full = len(a) // 5 * 5
        assert (a[:full].reshape(-1, 5) == 0).sum(axis=1).tolist() == [3] * (full // 5)


def test_dtc_full_and_partial():
    days = np.array([to_day("2019-05-17"), np.nan, to_day("2020-02-29"), to_day("2021-12-31")])
    assert dtc(days).tolist()[0] == "2019-05-17"
    out = dtc(days, np.array(["M", "D", "D", "Y"], dtype=object))
    assert out[0] == "2019-05" and out[2] == "2020-02-29" and out[3] == "2021"
    assert np.isnan(out[1])


def test_study_day_has_no_day_zero():
    ref = np.full(3, float(to_day("2015-01-10")))
    days = np.array([to_day("2015-01-10"), to_day("2015-01-09"), to_day("2015-01-20")], dtype=float)
    assert study_day(days, ref).tolist() == [1.0, -1.0, 11.0]
