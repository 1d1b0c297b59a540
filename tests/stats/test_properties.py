"""Properties that hold for any data: row order does not matter, recoding the treatment
flips the log hazard ratio, a stratum split of identical copies leaves the estimate."""

import numpy as np
from hypothesis import assume, given, settings, strategies as st

from adam.stats.cox import CoxPH
from adam.stats.km import KaplanMeier
from adam.stats.logrank import logrank_test


def sample(seed, n):
    rng = np.random.default_rng(seed)
    arm = rng.integers(0, 2, n)
    time = np.ceil(rng.exponential(20 * np.exp(0.4 * arm)))  # integer times: many ties
    event = (rng.random(n) < 0.7).astype(float)
    event[:2] = 1
    arm[:2] = [0, 1]
    return time, event, arm


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(8, 60))
def test_row_order_does_not_matter(seed, n):
    time, event, arm = sample(seed, n)
    perm = np.random.default_rng(seed + 1).permutation(n)
    a, b = KaplanMeier().fit(time, event), KaplanMeier().fit(time[perm], event[perm])
    np.testing.assert_allclose(a.table["surv"], b.table["surv"], rtol=1e-12)
    assert a.median == b.median or (np.isnan(a.median) and np.isnan(b.median))
    lr_a, lr_b = logrank_test(time, event, arm), logrank_test(time[perm], event[perm], arm[perm])
    np.testing.assert_allclose(lr_a.chisq, lr_b.chisq, rtol=1e-9, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(10, 60), ties=st.sampled_from(["efron", "breslow"]))
def test_recoding_treatment_flips_log_hr(seed, n, ties):
    time, event, arm = sample(seed, n)
    if event[arm == 0].sum() == 0 or event[arm == 1].sum() == 0:
        return
    a = CoxPH(ties=ties).fit(time, event, arm)
    assume(a.converged and abs(a.coef[0]) < 10)  # not a monotone likelihood
    b = CoxPH(ties=ties).fit(time, event, 1 - arm)
    np.testing.assert_allclose(a.coef, -b.coef, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(a.se, b.se, rtol=1e-6)


def test_stratifying_two_identical_copies_keeps_the_estimate():
    time, event, arm = sample(3, 40)
    one = CoxPH().fit(time, event, arm)
    two = CoxPH().fit(np.tile(time, 2), np.tile(event, 2), np.tile(arm, 2),
                      strata=np.repeat([0, 1], 40))
    np.testing.assert_allclose(two.coef, one.coef, rtol=1e-8)
    np.testing.assert_allclose(two.se, one.se / np.sqrt(2), rtol=1e-8)
    lr1 = logrank_test(time, event, arm)
    lr2 = logrank_test(np.tile(time, 2), np.tile(event, 2), np.tile(arm, 2), strata=np.repeat([0, 1], 40))
    np.testing.assert_allclose(lr2.chisq, 2 * lr1.chisq, rtol=1e-10)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(10, 50), ties=st.sampled_from(["efron", "breslow"]))
def test_splitting_follow_up_into_intervals_changes_nothing(seed, n, ties):
    """(0, t] versus (0, c], (c, t] with the event on the last piece (coxph agrees)."""
    time, event, arm = sample(seed, n)
    if event[arm == 0].sum() == 0 or event[arm == 1].sum() == 0:
        return
    cut = np.floor(time / 2)
    split = cut > 0
    start = np.concatenate([np.zeros(n), cut[split]])
    stop = np.concatenate([np.where(split, cut, time), time[split]])
    ev = np.concatenate([np.where(split, 0.0, event), event[split]])
    x = np.concatenate([arm, arm[split]])
    whole = CoxPH(ties=ties).fit(time, event, arm)
    assume(whole.converged and abs(whole.coef[0]) < 10)  # not a monotone likelihood
    pieces = CoxPH(ties=ties).fit(stop, ev, x, start=start)
    np.testing.assert_allclose(pieces.coef, whole.coef, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(pieces.se, whole.se, rtol=1e-8)
    np.testing.assert_allclose(pieces.loglik, whole.loglik, rtol=1e-10)
