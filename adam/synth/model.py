"""Subject-level latent history of a TOURMALINE twin: one numpy array per fact.

:func:`simulate` returns a dict of equally long arrays (one element per randomized
subject, in enrollment order) plus a few (n, 4) arrays for therapy lines. Days are integer
day numbers since 1970-01-01 stored as float (NaN = none). The domain builders in
:mod:`adam.synth.domains` only format these facts. The model is described in the
:mod:`adam.synth` docstring.

On-study deaths: a death on treatment or up to ``Profile.on_study_days`` (30) days after
the last dose is an on-study death, reported with a fatal AE; the report counts them
(MM4: 11 ixazomib, 6 placebo), so the twin has exactly ``on_treatment_deaths`` of them
(drawn among the PFS events before the last planned dose; they stop treatment that day)
and every other death lies after the window. Two paths could put one inside: a death
without progression shortly after completing 26 cycles, and a progressor without a next
line whose survival after PD (drawn from PD + 14 days) is short, e.g. one who stopped for
progression, or for an AE shortly before it. Such a death moves to the window's first day
after (last dose + 31): at most 30 days for the former, 16 for the latter, only for those
patients (0-2 of 706 per MM4 seed, none at the default seed); the deaths per arm stay
exact because the per-arm survival scale is solved with that bound. Moving the last dose
earlier instead would change the completers' 26 cycles, and counting such deaths as
on-study deaths would break the published count.
"""

from __future__ import annotations

import numpy as np

from adam.errors import UsageError
from adam.synth.allocate import (assign_levels, choose_exact, permuted_blocks, round_counts,
                                 scaled, stratified_uniform)
from adam.synth.dtc import to_day
from adam.synth.profiles import MONTH, THERAPY_CLASSES, Profile

IXA, PBO, NOT_TREATED = 0, 1, 2
MAX_LINES = 4
CYCLE = 28
LAST_PLANNED_DOSE = 25 * CYCLE + 14          # day offset of the last dose of cycle 26
NEVER = 1.0e6                                # days to an event that never comes (past any cutoff)
EOT_REASONS = ("COMPLETED", "PROGRESSIVE DISEASE", "ADVERSE EVENT", "WITHDRAWAL BY SUBJECT",
               "OTHER")


def weibull_days(u: np.ndarray, median_months, shape) -> np.ndarray:
    """Inverse CDF of a Weibull with the given median (months) at ``u``, in days (>= 1)."""
    t = np.asarray(median_months) * MONTH * (-np.log2(1.0 - u)) ** (1.0 / np.asarray(shape))
    return np.maximum(t, 1.0)


def simulate(profile: Profile, n_subjects: int | None, seed: int) -> dict:
    """Latent subject histories for ``profile`` (``n_subjects`` randomized, default the
    published N), deterministic in ``seed``."""
    n = profile.n_published if n_subjects is None else int(n_subjects)
    if n < 20:
        raise UsageError(f"n_subjects must be at least 20, not {n}", variable="n_subjects")
    rng = np.random.default_rng(seed)
    s = {"n": n}
    _enroll(s, profile, rng)
    _baseline(s, profile, rng)
    _first_line(s, profile, rng)
    _follow_up(s, profile, rng)
    _next_lines(s, profile, rng)
    _survival(s, profile, rng)
    _lines_and_classes(s, profile, rng)
    _new_malignancies(s, profile, rng)
    return s


def _sc(profile: Profile, count: int, denom: int, n_group: int) -> int:
    """Published ``count`` of ``denom`` re-expressed for a group of ``n_group``."""
    return scaled(count, denom, n_group)


def _enroll(s, p: Profile, rng):
    n = s["n"]
    start, end = to_day(p.accrual[0]), to_day(p.accrual[1])
    s["rand"] = np.sort(np.floor(start + rng.random(n) * (end - start)))
    sh = p.strata_shares
    g0 = np.zeros(n, dtype=np.int64)
    s["pi_exposed"] = assign_levels(rng, g0, {0: (1 - sh["pi_exposed"], sh["pi_exposed"])}) == 1
    s["iss"] = assign_levels(rng, g0, {0: sh["iss"]})                       # 0 I, 1 II, 2 III
    s["resp"] = assign_levels(rng, g0, {0: sh["response"]})                 # 0 CR, 1 VGPR, 2 PR
    if p.is_mm4:
        s["old"] = assign_levels(rng, g0, {0: (1 - sh["age75"], sh["age75"])}) == 1
        strata = (s["pi_exposed"] * 8 + (s["iss"] > 0) * 4 + s["old"] * 2 + (s["resp"] == 2))
    else:
        s["old"] = np.zeros(n, dtype=bool)
        strata = s["pi_exposed"] * 6 + (s["iss"] > 0) * 3 + s["resp"]
    s["stratum"] = strata.astype(np.int64)
    s["arm"] = permuted_blocks(rng, s["stratum"], scaled(p.n_itt[0], p.n_published, n))
    arm = s["arm"]
    n_arm = np.bincount(arm, minlength=2)
    nt = choose_exact(rng, np.ones(n, bool), arm,
                      {a: _sc(p, p.never_treated[a], p.n_itt[a], n_arm[a]) for a in (0, 1)},
                      "never-treated subjects")
    k_x = _sc(p, p.crossover, p.n_itt[1], n_arm[1])
    cross = choose_exact(rng, ~nt & (arm == PBO), arm, {PBO: k_x, IXA: 0}, "crossovers")
    s["actual"] = np.where(nt, NOT_TREATED, np.where(cross, IXA, arm))
    s["treated"] = ~nt


def _baseline(s, p: Profile, rng):
    n, arm = s["n"], s["arm"]
    age = np.empty(n)
    for a in (0, 1):
        idx = np.flatnonzero(arm == a)
        m = len(idx)
        old = s["old"][idx]
        p_old = old.mean()
        lo, hi = p.age_knots
        med = p.median_age[a] + 0.5
        if p.is_mm4:
            xs, ys = [0.0, 0.5, 1.0 - p_old, 1.0], [lo, med, 75.0, hi]
        else:
            xs, ys = [0.0, 0.5, 1.0], [lo, med, hi]
        order = np.lexsort((rng.random(m), old))         # the >=75 stratum takes the top ranks
        grid = np.interp((np.arange(m) + 0.5) / m, xs, ys)
        age[idx[order]] = np.floor(grid)
    s["age"] = age
    s["male"] = assign_levels(rng, arm, {a: (0.42, 0.58) for a in (0, 1)}) == 1
    s["race"] = assign_levels(rng, arm, {a: (0.76, 0.16, 0.03, 0.05) for a in (0, 1)})
    s["hispanic"] = rng.random(n) < 0.04
    s["high_risk"] = assign_levels(rng, arm, {a: (1 - p.high_risk[a], p.high_risk[a])
                                              for a in (0, 1)}) == 1
    # which high-risk abnormality: 0 del(17p), 1 t(4;14), 2 t(14;16); a second one sometimes
    s["cyto_main"] = rng.choice(3, size=n, p=(0.45, 0.45, 0.10))
    s["cyto_second"] = np.where(rng.random(n) < 0.15, (s["cyto_main"] + 1) % 3, -1)
    mrd = p.mrd
    shares = {a: (p.n_itt[a] - mrd["tested"][a], mrd["positive"][a], mrd["negative"][a],
                  mrd["tested"][a] - mrd["positive"][a] - mrd["negative"][a]) for a in (0, 1)}
    s["mrd"] = assign_levels(rng, arm, shares)          # 0 untested, 1 pos, 2 neg, 3 no result
    s["frail"] = (assign_levels(rng, arm, {a: (1 - p.frail[a], p.frail[a]) for a in (0, 1)}) == 1
                  if p.frail else np.zeros(n, dtype=bool))
    # prognostic score (higher = better prognosis), standardized
    score = (-0.9 * s["high_risk"] - 0.5 * (s["iss"] == 2) - 0.2 * (s["iss"] == 1)
             + 0.5 * (s["mrd"] == 2) - 0.2 * (s["mrd"] == 1) + 0.3 * (s["resp"] == 0)
             - 0.5 * s["frail"] - 0.02 * (s["age"] - s["age"].mean()))
    s["score"] = (score - score.mean()) / (score.std() or 1.0)
    # history before randomization
    ind_len = np.where(p.is_mm4, rng.uniform(6, 12, n), rng.uniform(3, 6, n)) * MONTH
    if p.is_mm4:
        s["ind_end"] = s["rand"] - np.floor(rng.uniform(14, 60, n))
        s["asct"] = np.full(n, np.nan)
    else:
        s["asct"] = s["rand"] - np.floor(rng.uniform(75, 115, n))
        s["ind_end"] = s["asct"] - np.floor(rng.uniform(30, 75, n))
    s["ind_start"] = s["ind_end"] - np.floor(ind_len)
    s["diag"] = s["ind_start"] - np.floor(rng.uniform(3, 40, n))
    s["consent"] = s["rand"] - np.floor(rng.uniform(2, 28, n))


def _first_line(s, p: Profile, rng):
    """PFS on study, treatment course and end-of-treatment reason (exact counts)."""
    n, arm, actual, treated = s["n"], s["arm"], s["actual"], s["treated"]
    m = p.model
    u = stratified_uniform(rng, arm, s["score"], m.rho_pfs)
    cure = np.take(np.asarray(m.pfs_cure, dtype=float), arm)
    shape = np.take(m.pfs_shape, arm)
    # a share ``cure`` never progresses (the best-ranked uniforms); the others follow a
    # Weibull whose median is set so that the whole arm keeps the published median
    s_w = (0.5 - cure) / (1.0 - cure)
    med_w = np.take(m.pfs_median, arm) / (-np.log2(s_w)) ** (1.0 / shape)
    cured = u >= 1.0 - cure
    t_pfs = np.where(cured, NEVER, weibull_days(np.minimum(u / (1.0 - cure), 1 - 1e-12), med_w, shape))
    first = np.where(treated, s["rand"] + np.floor(rng.uniform(1, 8, n)), np.nan)
    # an event on study cannot precede the first dose
    t_pfs = np.where(treated, np.maximum(t_pfs, first - s["rand"] + 2), t_pfs)
    s["first_dose"] = first
    s["pfs_day"] = s["rand"] + np.floor(t_pfs)
    in_tx = treated & (s["pfs_day"] <= first + LAST_PLANNED_DOSE)     # event before the last planned dose
    n_arm = np.bincount(arm, minlength=2)
    n_act = np.bincount(actual, minlength=3)
    otd = choose_exact(rng, in_tx, actual,
                       {a: _sc(p, p.on_treatment_deaths[a], p.safety[a], n_act[a]) for a in (0, 1)},
                       "on-treatment deaths")
    treated_arm = np.bincount(arm[treated], minlength=2)
    disc = {a: _sc(p, p.discontinued[a], p.n_itt[a], n_arm[a]) for a in (0, 1)}
    reasons = {}
    for a in (0, 1):
        rest = 1 - p.disc_pd[a] - p.disc_ae[a]
        w = p.disc_withdrawal_of_rest
        reasons[a] = round_counts(disc[a], (p.disc_pd[a], p.disc_ae[a], rest * w, rest * (1 - w)))
    pd_disc = choose_exact(rng, in_tx & ~otd, arm, {a: reasons[a][0] for a in (0, 1)},
                           "discontinuations for progressive disease")
    completed = choose_exact(rng, treated & ~in_tx, arm,
                             {a: treated_arm[a] - disc[a] for a in (0, 1)}, "completers")
    other = treated & ~otd & ~pd_disc & ~completed
    otd_arm = np.bincount(arm[otd], minlength=2)
    ae = otd | choose_exact(rng, other, arm,
                            {a: reasons[a][1] - otd_arm[a] for a in (0, 1)}, "AE discontinuations")
    wd = choose_exact(rng, other & ~ae, arm, {a: reasons[a][2] for a in (0, 1)}, "withdrawals")
    eot = np.full(n, -1, dtype=np.int64)
    eot[completed] = 0
    eot[pd_disc] = 1
    eot[ae] = 2
    eot[wd] = 3
    eot[other & ~ae & ~wd] = 4
    s["eot_reason"] = eot
    # event type: deaths before the last planned dose are exactly the on-treatment deaths
    late_death = rng.random(n) < np.take(m.death_no_pd, arm)
    s["pfs_death"] = otd | (~in_tx & late_death)
    s["on_tx_death"] = otd
    # end-of-treatment day and last dose
    last_planned = first + LAST_PLANNED_DOSE
    lim = np.minimum(s["pfs_day"], last_planned)
    frac = rng.uniform(0.1, 0.95, n)
    stop = np.where(completed, last_planned,
                    np.where(pd_disc | otd, s["pfs_day"],
                             first + np.floor((lim - first) * frac)))
    stop = np.where(treated, np.maximum(stop, first), np.nan)
    week = np.floor((np.maximum(stop - 1, first) - first) / 7)
    week = np.where(completed, 25 * 4 + 2, week)
    cyc = np.minimum(week // 4, 25)
    j = np.minimum(week % 4, 2)
    s["n_cycles"] = np.where(treated, cyc + 1, 0)
    s["last_dose"] = np.where(treated, first + CYCLE * cyc + 7 * j, np.nan)
    eot_day = np.where(completed, s["last_dose"], np.maximum(stop, s["last_dose"]))
    s["eot_day"] = np.where(treated, eot_day, np.nan)
    # a death without PD after completing 26 cycles is not an on-study death: it falls
    # after the on-study window (moved to its first day when drawn inside, <= 30 days)
    s["pfs_day"] = np.where(s["pfs_death"] & ~otd & treated,
                            np.maximum(s["pfs_day"], _after_window(s, p)), s["pfs_day"])
    s["escalated"] = (s["actual"] == IXA) & (rng.random(n) < m.escalation_share)


def _follow_up(s, p: Profile, rng):
    """Cutoff, loss to follow-up and withdrawal from the study."""
    n, arm = s["n"], s["arm"]
    m = p.model
    cutoff = to_day(p.cutoff)
    s["cutoff"] = cutoff
    n_arm = np.bincount(arm, minlength=2)
    anyone = np.ones(n, dtype=bool)
    lost = choose_exact(rng, anyone, arm, {a: round(m.lost_share * n_arm[a]) for a in (0, 1)},
                        "lost to follow-up")
    wd = choose_exact(rng, ~lost, arm, {a: round(m.withdrew_share * n_arm[a]) for a in (0, 1)},
                      "study withdrawals")
    base = np.where(s["treated"], s["eot_day"], s["rand"]) + 30
    leave = np.floor(base + rng.random(n) * np.maximum(cutoff - 30 - base, 1))
    s["leave_day"] = np.where(lost | wd, leave, np.nan)
    s["leave_reason"] = np.where(lost, 1, np.where(wd, 2, 0))        # 1 lost, 2 withdrew
    s["censor_day"] = np.where(lost | wd, np.minimum(leave, cutoff), cutoff)
    s["pd_observed"] = ~s["pfs_death"] & (s["pfs_day"] <= s["censor_day"])
    s["pd_day"] = np.where(~s["pfs_death"], s["pfs_day"], np.nan)


def _next_lines(s, p: Profile, rng):
    """Who starts a next line of therapy before the cutoff (exact per actual arm)."""
    n, arm, actual = s["n"], s["arm"], s["actual"]
    m = p.model
    gap = weibull_days(rng.random(n), np.take(m.gap_median, arm), np.take(m.gap_shape, arm))
    gap = np.floor(np.maximum(gap, 7))
    nl = s["pd_day"] + gap
    eligible = s["pd_observed"] & (nl <= s["censor_day"])
    n_act = np.bincount(actual, minlength=3)
    any_k = p.table1["ANY"]
    k = {a: _sc(p, any_k[a], p.safety[a], n_act[a]) for a in (0, 1)}
    k[NOT_TREATED] = min(round(0.7 * n_act[NOT_TREATED]),
                         int(np.count_nonzero(eligible & (actual == NOT_TREATED))))
    # earlier progressors are more likely to be treated again before the cutoff
    weight = np.exp(-np.nan_to_num(s["pd_day"] - s["rand"], nan=0.0) / (m.nl_tau * MONTH))
    sel = choose_exact(rng, eligible, actual, k, "subjects with subsequent therapy", weights=weight)
    s["nl"] = sel
    s["nl_day"] = np.where(sel, nl, np.nan)
    # therapy classes (any line), exact among the treated subjects of each actual arm
    n_sel = np.bincount(actual[sel], minlength=3)
    flags = {}
    for c in THERAPY_CLASSES:
        share = {a: p.table1[c][a] / any_k[a] for a in (0, 1)}
        share[NOT_TREATED] = share[PBO]
        flags[c] = choose_exact(rng, sel, actual, {a: round(share[a] * n_sel[a]) for a in range(3)},
                                f"subjects with {c.lower()} therapy")
    pi = flags["PROTEASOME INHIBITOR"]
    n_pi = np.bincount(actual[pi], minlength=3)
    share_nlpi = np.r_[m.nlpi_share, m.nlpi_share[1]]
    nlpi = choose_exact(rng, pi, actual,
                        {a: round(share_nlpi[a] * n_pi[a]) for a in range(3)}, "next-line PI")
    s["nlpi"] = nlpi
    s["class_flags"] = flags


def _survival(s, p: Profile, rng):
    """Death days with exactly the published number of deaths per randomized arm."""
    n, arm = s["n"], s["arm"]
    m = p.model
    sel, nlpi = s["nl"], s["nlpi"]
    progressed = ~s["pfs_death"]
    cat = np.where(sel & nlpi, 0, np.where(sel, 1, 2))                # PI / no PI / no next line
    med = np.select([cat == 0, cat == 1], [np.take(m.pps_pi, arm), np.take(m.pps_nopi, arm)],
                    np.take(m.pps_none, arm))
    early = (arm == IXA) & (cat == 0) & (s["pd_day"] - s["rand"] < m.early_pd * MONTH)
    med = np.where(early, med * m.early_pi_factor, med)
    for subgroup, factor in m.ixa_pps_factor:        # effect modifiers (published subgroup HRs)
        med = np.where((arm == IXA) & _subgroup(s, subgroup), med * factor, med)
    u = stratified_uniform(rng, arm * 3 + cat, s["score"], m.rho_os)
    shape = np.take(m.pps_shape, arm)
    if m.pps_none_shape is not None:                 # no next line: its own shape
        shape = np.where(cat == 2, np.take(m.pps_none_shape, arm), shape)
    pps = weibull_days(u, med, shape)
    base = np.where(sel, s["nl_day"] + 30, s["pd_day"] + 14)
    death_c = s["censor_day"]
    fixed = s["pfs_death"] & (s["pfs_day"] <= death_c)
    # a progressor's death (no fatal AE) falls after the on-study window: a death drawn
    # inside it moves to the window's first day after (<= 16 days: PD + 14 at the earliest)
    after = np.where(s["treated"], _after_window(s, p), -np.inf)
    scale = np.ones(n)
    n_arm = np.bincount(arm, minlength=2)
    for a in (0, 1):
        want = _sc(p, p.deaths[a], p.n_itt[a], n_arm[a]) - int(np.count_nonzero(fixed & (arm == a)))
        pa = progressed & (arm == a)
        r = (death_c[pa] + 1 - base[pa]) / pps[pa]                    # death observed iff s < r
        r = np.sort(np.where(after[pa] <= death_c[pa], r, 0.0))[::-1]     # ... and after the window
        if want < 0 or want > np.count_nonzero(r > 0):
            raise UsageError(f"cannot place {want + np.count_nonzero(fixed & (arm == a))} deaths "
                             f"in arm {a}; use a larger n_subjects")
        if want == 0:
            sa = r[0] + 1.0 if len(r) else 1.0
        else:
            nxt = r[want] if want < len(r) else 0.0
            sa = (r[want - 1] + max(nxt, 0.0)) / 2
        scale[arm == a] = sa
    s["pps_scale"] = scale
    death = np.where(progressed, np.maximum(base + np.floor(scale * pps), after), s["pfs_day"])
    s["death_day_latent"] = death
    s["dead"] = death <= death_c
    s["death_day"] = np.where(s["dead"], death, np.nan)
    s["death_cause"] = np.where(s["on_tx_death"], 2, np.where(progressed, 1, 3))  # 1 PD 2 AE 3 other
    jitter = np.floor(rng.uniform(0, 45, n))
    alive_last = np.where(s["leave_day"] >= 0, np.minimum(s["leave_day"], s["cutoff"]),
                          s["cutoff"] - jitter)
    s["last_alive"] = np.where(s["dead"], death, alive_last)
    # progression on the next line
    t2 = weibull_days(rng.random(n), np.take(m.pfs2_median, arm), m.pfs2_shape)
    pd2 = s["nl_day"] + np.floor(t2)
    s["pd2_day"] = np.where(sel & (pd2 < death) & (pd2 <= s["censor_day"]), pd2, np.nan)


def _after_window(s, p: Profile) -> np.ndarray:
    """First day after the on-study window (last dose + ``Profile.on_study_days`` + 1;
    NaN for the never treated)."""
    return s["last_dose"] + p.on_study_days + 1


def _subgroup(s, name: str) -> np.ndarray:
    """Members of a named baseline subgroup (``Model.ixa_pps_factor``)."""
    if name == "pi_naive":
        return ~s["pi_exposed"]
    if name == "mrd_negative":
        return s["mrd"] == 2
    if name == "high_risk":
        return s["high_risk"]
    raise UsageError(f"unknown subgroup {name!r} in ixa_pps_factor", variable="ixa_pps_factor")


def _lines_and_classes(s, p: Profile, rng):
    """Number and start days of therapy lines; the class content of each line."""
    n = s["n"]
    sel, nlpi, flags = s["nl"], s["nlpi"], s["class_flags"]
    end = np.minimum(s["death_day_latent"] - 1, s["censor_day"])
    window = end - s["nl_day"]
    # a PI meant for a later line goes into line 1 when no later line fits before death or
    # censoring (every Table 1 count stays exact)
    squeezed = flags["PROTEASOME INHIBITOR"] & ~nlpi & (window < 8)
    nlpi = nlpi | squeezed
    pi_later = flags["PROTEASOME INHIBITOR"] & ~nlpi
    u = rng.random(n)
    n_lines = np.where(u < 0.45, 1, np.where(u < 0.75, 2, np.where(u < 0.9, 3, 4)))
    n_lines = np.where(pi_later, np.maximum(n_lines, 2), n_lines)
    n_lines = np.where(window >= 4 * n_lines, n_lines, np.where(pi_later & (window >= 8), 2, 1))
    n_lines = np.where(sel, n_lines, 0)
    s["n_lines"] = n_lines
    starts = np.full((n, MAX_LINES), np.nan)
    starts[:, 0] = s["nl_day"]
    for j in range(1, MAX_LINES):
        w = (j + 0.5 * rng.random(n)) / np.maximum(n_lines, 1)
        starts[:, j] = np.where(n_lines > j, s["nl_day"] + np.floor(window * w), np.nan)
    s["line_start"] = starts
    dur = np.floor(weibull_days(rng.random((n, MAX_LINES)), 8.0, 1.0))
    nxt = np.c_[starts[:, 1:], np.full(n, np.nan)]
    stop = np.where(np.isfinite(nxt), nxt - 1, np.minimum(starts + dur, end[:, None]))
    ongoing = ~np.isfinite(nxt) & (starts + dur > s["censor_day"][:, None]) & ~(s["dead"][:, None])
    s["line_end"] = np.where(np.isfinite(starts) & ~ongoing, np.maximum(stop, starts), np.nan)
    # class -> line: corticosteroids in every line, a PI in line 1 iff nlpi (else a later
    # line), the other classes in one random line
    lines = np.arange(MAX_LINES)[None, :]
    has = lines < n_lines[:, None]
    content = {}
    for c in THERAPY_CLASSES:
        f = flags[c][:, None]
        if c == "CORTICOSTEROID":
            content[c] = f & has
        elif c == "PROTEASOME INHIBITOR":
            later = 1 + np.floor(rng.random(n) * np.maximum(n_lines - 1, 1))
            pick = np.where(nlpi, 0, later)
            content[c] = f & (lines == pick[:, None]) & has
        else:
            pick = np.floor(rng.random(n) * np.maximum(n_lines, 1))
            content[c] = f & (lines == pick[:, None]) & has
    empty = has & ~np.logical_or.reduce([content[c] for c in THERAPY_CLASSES])
    content["OTHER"] = empty
    s["line_content"] = content


def _new_malignancies(s, p: Profile, rng):
    """New primary malignancies (exact subject counts per actual arm, safety population)."""
    n, actual = s["n"], s["actual"]
    treated = s["treated"]
    n_act = np.bincount(actual, minlength=3)
    k_any = {a: round(p.npm[a] * n_act[a]) for a in (0, 1)}
    k_heme = {a: round(p.npm_heme[a] * n_act[a]) for a in (0, 1)}
    npm = choose_exact(rng, treated, actual, k_any, "new primary malignancies")
    heme = choose_exact(rng, npm, actual, k_heme, "haematologic malignancies")
    end = np.minimum(s["last_alive"], s["cutoff"])
    onset = s["first_dose"] + np.floor(rng.random(n) * np.maximum(end - s["first_dose"], 1))
    s["npm"] = np.where(npm, np.where(heme, 2, 1), 0)
    s["npm_day"] = np.where(npm, onset, np.nan)
