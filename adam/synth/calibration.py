"""The published conclusions a TOURMALINE twin must keep (issue 18), checked on its ARD.

:data:`PUBLISHED` holds the report's numbers (shared/study/tourmaline.md), typed here once
and apart from the generator's inputs (:mod:`adam.synth.profiles`): a twin is judged
against the report, not against its own calibration targets, so a wrong profile fails.
:func:`conclusions` compares a twin's analysis results (``adam analyze``'s ARD) and ADSL
with them and returns one :class:`Check` per criterion:

- ``count``: ITT and safety N, deaths (ADSL flags), treatment discontinuations
  (DISPOSITION), exactly as published; ``table1``: every Table 1 cell exactly.
- ``hr in published CI``: every quoted HR (OS, PFS, TTNT, PFS2, OS by next-line PI / no
  PI, IPCW, MSM) has its twin point estimate inside the published 95% CI.
- ``median``: KM medians within 10% of the published (NR stays NR);
  ``follow-up``: reverse-KM median follow-up within 2 months.
- ``significance``: no conclusion flips: p < 0.05 exactly where the published CI excludes
  1 (PFS), else p >= 0.05 (stratified log-rank p; the IPCW/MSM model's p).
- ``CI covers published HR`` (IPCW, MSM, next-line analyses, MM3's quoted subgroups);
  ``direction``: OS by next-line PI on the published side of 1 where the published HR is
  beyond 1.15 either way; ``IPCW CI bounded``: upper limit below 3.5 x the published one.
- ``subgroup CI includes 1`` (every Figure 3 level; a level without an estimate counts as
  not significant) and ``interaction p >= 0.05`` (every subgroup variable, at least
  :data:`MIN_INTERACTIONS` of them): "none significant" in either study.
- ``quoted subgroup HR in published CI``: MM3 PI-naive and MRD-negative.
- ``OS shape``: 5-year KM OS within 5 points of the published, no arm at 100% at 12
  months; ``PFS censoring``: at least 3% of each arm censored.
- ``proportional hazards``: the OS curves follow proportional hazards as the report's do
  (its OS HR is a single Cox HR): the ``zph`` row of OS-PRIMARY (Grambsch-Therneau test of
  the stratified Cox model, R ``cox.zph``) has p >= 0.05; a twin without that row fails.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from adam.analysis import DAYS_PER_MONTH    # the ARD's months, as analyze converts them
from adam.ard import ard_value

__all__ = ["Check", "Result", "Facts", "PUBLISHED", "conclusions", "failed"]

ARMS = ("Ixazomib", "Placebo")
CONTRAST = "Ixazomib vs Placebo"
NR = None                       # median not reached

MEDIAN_TOLERANCE = 0.10         # relative
FOLLOW_UP_TOLERANCE = 2.0       # months
FIVE_YEAR_OS_TOLERANCE = 0.05   # absolute
MIN_PFS_CENSORED = 0.03         # share of each arm
DIRECTION_BEYOND = 1.15         # next-line HRs this far from 1 keep their side of 1
IPCW_UCL_FACTOR = 3.5           # no runaway bootstrap limit
MIN_INTERACTIONS = 6
ALPHA = 0.05


@dataclass(frozen=True)
class Result:
    """A published HR with its 95% CI; KM medians per arm (months, ``NR`` not reached)."""

    hr: float
    lcl: float
    ucl: float
    median: tuple[float | None, float | None] | None = None

    @property
    def significant(self) -> bool:
        return not self.lcl <= 1 <= self.ucl

    def __str__(self) -> str:
        return f"{self.hr:g} ({self.lcl:g}-{self.ucl:g})"


@dataclass(frozen=True)
class Facts:
    """One trial's published facts; arm tuples are ``(ixazomib, placebo)``."""

    itt: tuple[int, int]
    safety: tuple[int, int]
    deaths: tuple[int, int]
    discontinued: tuple[int, int]            # study treatment stopped before 26 cycles
    table1: dict                             # Table 1 row label -> (n, n)
    results: dict                            # analysis id -> Result
    followup: tuple[float, float]            # median follow-up, months
    five_year_os: tuple[float, float]
    subgroups: dict = field(default_factory=dict)   # (ADSL variable, level) -> Result


PUBLISHED = {
    "tourmaline-mm3": Facts(
        itt=(395, 261), safety=(394, 259), deaths=(144, 93), discontinued=(194, 151),
        table1={">=1 subsequent anti-cancer therapy": (288, 190), "Corticosteroids": (263, 169),
                "IMiDs": (255, 161), "PIs": (182, 141), "Anti-CD38 antibodies": (138, 74),
                "Alkylating agents": (105, 71)},
        results={"OS-PRIMARY": Result(1.025, 0.789, 1.332, (NR, NR)),
                 "PFS": Result(0.72, 0.58, 0.89, (26.5, 21.3)),
                 "TTNT": Result(0.849, 0.704, 1.022, (33.1, 27.6)),
                 "PFS2": Result(1.015, 0.795, 1.298, (84.0, 80.4)),
                 "OS-NEXTLINE-PI": Result(0.794, 0.523, 1.206, (NR, 94.2)),
                 "OS-NEXTLINE-NOPI": Result(1.310, 0.901, 1.904, (74.9, 90.3)),
                 "OS-MSM": Result(0.925, 0.261, 3.279),
                 "OS-IPCW": Result(0.784, 0.252, 2.446)},
        followup=(94.4, 94.5),
        five_year_os=(0.74, 0.73),
        subgroups={("INDPIGR1", "PI-naive"): Result(0.746, 0.322, 1.731),
                   ("MRDGR1", "Negative"): Result(0.700, 0.414, 1.184)},
    ),
    "tourmaline-mm4": Facts(
        itt=(425, 281), safety=(426, 276), deaths=(184, 115), discontinued=(307, 226),
        table1={">=1 subsequent anti-cancer therapy": (308, 198), "Corticosteroids": (286, 184),
                "IMiDs": (257, 168), "PIs": (143, 99), "Anti-CD38 antibodies": (109, 73),
                "Alkylating agents": (99, 58)},
        results={"OS-PRIMARY": Result(1.090, 0.861, 1.381, (64.8, 69.5)),
                 "PFS": Result(0.66, 0.54, 0.80, (17.4, 9.4)),
                 "TTNT": Result(0.881, 0.734, 1.058, (22.1, 16.5)),
                 "PFS2": Result(0.984, 0.777, 1.246, (51.3, 50.3)),
                 "OS-NEXTLINE-PI": Result(1.177, 0.749, 1.849, (64.7, 60.1)),
                 "OS-NEXTLINE-NOPI": Result(0.928, 0.672, 1.283, (57.1, 55.1)),
                 "OS-MSM": Result(1.190, 0.897, 1.577),
                 "OS-IPCW": Result(1.160, 0.579, 2.323)},
        followup=(57.2, 57.6),
        five_year_os=(0.55, 0.56),
    ),
}

#: analyses whose HR comes from a switching-adjusted model rather than the stratified Cox
SWITCHING = {"OS-MSM": "msm", "OS-IPCW": "ipcw"}
#: secondary analyses whose twin CI must also cover the published HR
SECONDARY = ("OS-NEXTLINE-PI", "OS-NEXTLINE-NOPI", "OS-MSM", "OS-IPCW")


@dataclass(frozen=True)
class Check:
    """One criterion: its kind (``group``), what it is about, pass/fail, the twin's value
    and the published fact it is held to."""

    group: str
    name: str
    passed: bool
    observed: float
    published: str

    def __post_init__(self):          # plain bool and float, whatever numpy scalar came in
        object.__setattr__(self, "passed", bool(self.passed))
        object.__setattr__(self, "observed", float(self.observed))

    @property
    def key(self) -> str:
        return f"{self.group}: {self.name}"

    def __str__(self) -> str:
        verdict = "pass" if self.passed else "FAIL"
        return f"{self.key}: twin {self.observed:.4g} vs published {self.published} ({verdict})"


def conclusions(study: str, ard: pd.DataFrame, adsl: pd.DataFrame) -> list[Check]:
    """Every published conclusion of ``study`` checked on a twin's ARD and ADSL frame."""
    facts = PUBLISHED[study]
    return [*_counts(facts, ard, adsl), *_hazard_ratios(facts, ard), *_medians(facts, ard),
            *_subgroups(facts, ard), *_curves(facts, ard), _proportional_hazards(ard)]


def failed(checks: list[Check], *groups: str) -> list[str]:
    """The failing checks (of ``groups``, default all) as text, for an assertion message."""
    return [str(c) for c in checks if not c.passed and (not groups or c.group in groups)]


def _counts(facts: Facts, ard, adsl):
    for arm, itt, saf, deaths, disc in zip(ARMS, facts.itt, facts.safety, facts.deaths, facts.discontinued):
        planned = adsl.TRT01P == arm
        for name, got, want in (
                ("ITT N", (planned & (adsl.ITTFL == "Y")).sum(), itt),
                ("safety N", ((adsl.TRT01A == arm) & (adsl.SAFFL == "Y")).sum(), saf),
                ("deaths", (planned & (adsl.DTHFL == "Y")).sum(), deaths),
                ("discontinued treatment", ard_value(ard, "n", analysis_id="DISPOSITION", group=arm,
                                                     subgroup="Discontinued treatment"), disc)):
            yield Check("count", f"{name} {arm}", got == want, float(got), str(want))
    for label, counts in facts.table1.items():
        for arm, want in zip(ARMS, counts):
            got = ard_value(ard, "n", analysis_id="SUBSEQ-THERAPY", group=arm, subgroup=label)
            yield Check("table1", f"{label} {arm}", got == want, float(got), str(want))


def _contrast(ard, analysis: str) -> dict:
    """The treatment contrast's statistics of ``analysis`` (Cox, IPCW or MSM) and, where
    the analysis has one, its stratified log-rank p as ``p``."""
    method = SWITCHING.get(analysis, "cox")
    rows = ard[(ard.analysis_id == analysis) & (ard.method == method) & (ard.group == CONTRAST)
               & _blank(ard.subgroup_var)]
    got = dict(zip(rows.stat_name, rows.stat_value.astype(float)))
    got["p"] = ard_value(ard, "p_value", default=got.get("p_value", math.nan),
                         analysis_id=analysis, method="logrank", group=CONTRAST)
    return got


def _blank(column: pd.Series) -> pd.Series:
    """Empty ARD text ('' as read back, NaN in memory)."""
    return column.fillna("") == ""


def _hazard_ratios(facts: Facts, ard):
    for analysis, pub in facts.results.items():
        got = _contrast(ard, analysis)
        hr, p = got.get("hr", math.nan), got["p"]
        yield Check("hr in published CI", analysis, pub.lcl <= hr <= pub.ucl, hr, f"{pub.lcl:g}-{pub.ucl:g}")
        rule = "< 0.05 (CI excludes 1)" if pub.significant else ">= 0.05 (CI includes 1)"
        yield Check("significance", analysis, (p < ALPHA) if pub.significant else (p >= ALPHA), p, rule)
        if analysis in SECONDARY:
            lcl, ucl = got.get("hr_lcl", math.nan), got.get("hr_ucl", math.nan)
            yield Check("CI covers published HR", analysis, lcl <= pub.hr <= ucl,
                        ucl if pub.hr > hr else lcl, f"{pub.hr:g}")
        if analysis.startswith("OS-NEXTLINE") and abs(math.log(pub.hr)) > math.log(DIRECTION_BEYOND):
            yield Check("direction", analysis, (hr - 1) * (pub.hr - 1) >= 0, hr,
                        f"{'above' if pub.hr > 1 else 'below'} 1 ({pub.hr:g})")
        if analysis == "OS-IPCW":
            ucl = got.get("hr_ucl", math.nan)
            yield Check("IPCW CI bounded", analysis, ucl < IPCW_UCL_FACTOR * pub.ucl, ucl,
                        f"upper limit < {IPCW_UCL_FACTOR:g} x {pub.ucl:g}")


def _medians(facts: Facts, ard):
    for analysis, pub in facts.results.items():
        for arm, target in zip(ARMS, pub.median or ()):
            got = ard_value(ard, "median", analysis_id=analysis, method="km", group=arm) / DAYS_PER_MONTH
            ok = math.isnan(got) if target is NR else abs(got - target) <= MEDIAN_TOLERANCE * target
            yield Check("median", f"{analysis} {arm}", ok, got,
                        "NR" if target is NR else f"{target:g} +/- {MEDIAN_TOLERANCE:.0%}")
    for arm, target in zip(ARMS, facts.followup):
        days = ard_value(ard, "median_fu", analysis_id="OS-PRIMARY", method="revkm", group=arm)
        got = days / DAYS_PER_MONTH
        yield Check("follow-up", arm, abs(got - target) <= FOLLOW_UP_TOLERANCE, got,
                    f"{target:g} +/- {FOLLOW_UP_TOLERANCE:g} months")


def _subgroups(facts: Facts, ard):
    sub = ard[(ard.analysis_id == "OS-SUBGROUP") & (ard.method == "cox")]
    levels = sub[~_blank(sub.subgroup)]
    for (var, level), rows in levels.groupby(["subgroup_var", "subgroup"], sort=False):
        d = dict(zip(rows.stat_name, rows.stat_value.astype(float)))
        lcl, ucl = d.get("hr_lcl", math.nan), d.get("hr_ucl", math.nan)
        estimated = not math.isnan(d.get("hr", math.nan))
        yield Check("subgroup CI includes 1", f"{var}={level}", not estimated or lcl <= 1 <= ucl,
                    d.get("hr", math.nan), "CI includes 1 (none significant)")
    inter = sub[sub.stat_name == "p_interaction"]
    yield Check("interaction p >= 0.05", "tests", len(inter) >= MIN_INTERACTIONS, float(len(inter)),
                f">= {MIN_INTERACTIONS} subgroup variables")
    for var, p in zip(inter.subgroup_var, inter.stat_value.astype(float)):
        yield Check("interaction p >= 0.05", var, p >= ALPHA, p, ">= 0.05 (none significant)")
    for (var, level), pub in facts.subgroups.items():
        got = {k: ard_value(ard, k, analysis_id="OS-SUBGROUP", method="cox", subgroup_var=var, subgroup=level)
               for k in ("hr", "hr_lcl", "hr_ucl")}
        name = f"{var}={level}"
        yield Check("quoted subgroup HR in published CI", name, pub.lcl <= got["hr"] <= pub.ucl,
                    got["hr"], f"{pub.lcl:g}-{pub.ucl:g}")
        yield Check("CI covers published HR", name, got["hr_lcl"] <= pub.hr <= got["hr_ucl"],
                    got["hr_ucl"] if pub.hr > got["hr"] else got["hr_lcl"], f"{pub.hr:g}")


def _curves(facts: Facts, ard):
    for arm, target in zip(ARMS, facts.five_year_os):
        s60, s12 = (ard_value(ard, "surv", analysis_id="OS-PRIMARY", method="km", group=arm,
                              timepoint=months * DAYS_PER_MONTH) for months in (60, 12))
        yield Check("OS shape", f"5-year OS {arm}", abs(s60 - target) <= FIVE_YEAR_OS_TOLERANCE, s60,
                    f"{target:g} +/- {FIVE_YEAR_OS_TOLERANCE:g}")
        yield Check("OS shape", f"12-month OS {arm}", s12 < 1, s12, "< 1")
        n = ard_value(ard, "n", analysis_id="PFS", method="km", group=arm)
        cens = ard_value(ard, "n_censored", analysis_id="PFS", method="km", group=arm)
        yield Check("PFS censoring", arm, cens >= MIN_PFS_CENSORED * n, cens / n,
                    f">= {MIN_PFS_CENSORED:.0%} censored")


def _proportional_hazards(ard) -> Check:
    p = ard_value(ard, "p_value", analysis_id="OS-PRIMARY", method="zph", group=CONTRAST)
    return Check("proportional hazards", "OS-PRIMARY", p >= ALPHA, p,
                 ">= 0.05 (Grambsch-Therneau test: proportional hazards not rejected)")
