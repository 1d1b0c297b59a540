"""The generator's inputs for TOURMALINE-MM3/-MM4: published design facts and counts
(shared/study/tourmaline.md) it reproduces exactly, and the generative-model parameters
calibrated so the analyses land on the published results. The published results the twins
are judged against live apart, in :data:`adam.synth.calibration.PUBLISHED`.

Arm tuples are always ``(ixazomib, placebo)``. Times in the model section are months
(1 month = 30.4375 days). Counts are at the published trial size and are rescaled with
:func:`adam.synth.allocate.scaled` when ``n_subjects`` differs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MONTH = 30.4375

#: subsequent-therapy classes of Table 1, in display order (CMCLAS values)
THERAPY_CLASSES = ("CORTICOSTEROID", "IMID", "PROTEASOME INHIBITOR", "ANTI-CD38 ANTIBODY",
                   "ALKYLATING AGENT")


@dataclass(frozen=True)
class Model:
    """Parameters of the generative model (steps in the :mod:`adam.synth` docstring).

    Arm tuples are ``(ixazomib, placebo)``; times are months. Each parameter is set so the
    twin reproduces the published fact named (shared/study/tourmaline.md; how well across
    seeds: docs/notes/twin-robustness.md).

    PFS on study (step 1)
      ``pfs_median``: median PFS of the arm (the published 26.5/21.3, 17.4/9.4).
      ``pfs_shape``: Weibull shapes; with the medians fixed they set the stratified Cox PFS
      HR (0.72, 0.66). ``pfs_cure``: share of the arm that never progresses (PFS censored at
      last contact; the best prognostic ranks), the Weibull median raised so the arm's
      median stays ``pfs_median``: realistic PFS censoring (a few percent per arm at least).
      ``rho_pfs``: rank correlation of PFS with the prognostic score (high-risk
      cytogenetics, ISS, MRD, response, frailty, age): subgroups differ in events, as
      Figure 3's do, while no subgroup effect is significant.
      ``death_no_pd``: share of PFS events after the treatment period that are deaths
      without progression (other cause): part of the deaths before any next line, which
      the IPCW and MSM analyses see.
    Next line (step 4)
      ``gap_median``, ``gap_shape``: Weibull PD -> next-line start: TTNT medians and HR
      (33.1/27.6, 22.1/16.5; 0.849, 0.881). ``nl_tau``: the exact Table 1 number of
      subjects with a next line is chosen among observed progressors with weight
      exp(-time to PD / nl_tau): early progressors are treated again before the cutoff.
      ``nlpi_share``: share of the PI-treated (Table 1 'PIs') whose first next line has the
      PI, the rest in a later line: the sizes of the OS-by-next-line-PI / no-PI subsets
      (Figures 6-7; not published, chosen).
    Survival after progression (step 5)
      ``pps_pi``, ``pps_nopi``: Weibull median from line-1 start + 30 days with / without a
      PI in line 1; ``pps_none``: from PD + 14 days without a next line (deaths before any
      switch). Only their ratios within an arm matter: one factor per arm rescales all of
      them so the arm has exactly the published deaths (144/93, 184/115). Between arms
      they set the OS-by-next-line HRs and medians (0.794 and 1.310; 1.177 and 0.928) and,
      through ``pps_none``, the IPCW and MSM HRs (0.784, 0.925; 1.160, 1.190).
      ``pps_shape``: Weibull shape, equal in both arms so OS keeps proportional hazards as
      the report's curves do (5-year OS 74%/73% MM3, 55%/56% MM4; no arm at 100% at 12
      months); ``pps_none_shape``: the shape of ``pps_none`` where given (MM3: deaths
      before any next line balanced by arm, for the IPCW HR). ``rho_os``: rank correlation
      of that survival with the prognostic score.
      ``early_pi_factor``, ``early_pd``: ixazomib patients who progress within ``early_pd``
      months and get a PI next live ``early_pi_factor`` x as long (PI-refractory relapse):
      MM4's next-line-PI curves cross (ixazomib median 64.7 above placebo's 60.1 with HR
      1.177). ``ixa_pps_factor``: ``((subgroup, factor), ...)``, ixazomib patients of a
      baseline subgroup ('pi_naive', 'mrd_negative', 'high_risk') live ``factor`` x as long
      after progression: MM3's quoted subgroup HRs (PI-naive 0.746, MRD-negative 0.700
      against 1.025 overall).
    PFS2 (step 6)
      ``pfs2_median``, ``pfs2_shape``: Weibull line-1 start -> PD on the next line: PFS2
      medians and HR (84.0/80.4, 51.3/50.3; 1.015, 0.984).
    Follow-up and treatment (steps 2-3)
      ``lost_share``, ``withdrew_share``: shares of the ITT lost to follow-up / withdrawn
      from the study (Figure 1's end-of-study boxes; censoring before the cutoff).
      ``escalation_share``: ixazomib patients raised from 3 to 4 mg at cycle 5 (the design
      says 'if tolerated'; the share is not published).
    """

    pfs_median: tuple[float, float]
    pfs_shape: tuple[float, float]
    death_no_pd: tuple[float, float]
    gap_median: tuple[float, float]
    gap_shape: tuple[float, float]
    nl_tau: float
    nlpi_share: tuple[float, float]
    pps_pi: tuple[float, float]
    pps_nopi: tuple[float, float]
    pps_none: tuple[float, float]
    pps_shape: tuple[float, float]
    early_pi_factor: float
    early_pd: float
    pfs2_median: tuple[float, float]
    pfs2_shape: float
    rho_pfs: float = 0.5
    rho_os: float = 0.5
    lost_share: float = 0.03
    withdrew_share: float = 0.04
    escalation_share: float = 0.75
    pps_none_shape: tuple[float, float] | None = None
    pfs_cure: tuple[float, float] = (0.0, 0.0)
    ixa_pps_factor: tuple = ()


@dataclass(frozen=True)
class Profile:
    """One trial: design, published counts, endpoint targets and model parameters."""

    name: str
    studyid: str
    title: str
    population: str                          # transplant setting (MH / TS text)
    cutoff: str
    accrual: tuple[str, str]
    n_itt: tuple[int, int]
    never_treated: tuple[int, int]
    crossover: int                           # placebo-randomized who received ixazomib
    deaths: tuple[int, int]
    discontinued: tuple[int, int]
    disc_pd: tuple[float, float]
    disc_ae: tuple[float, float]
    disc_withdrawal_of_rest: float           # withdrawal share among the other reasons
    on_treatment_deaths: tuple[int, int]     # safety population, by actual arm (on-study deaths)
    table1: dict                             # 'ANY' and THERAPY_CLASSES -> (n_ixa, n_pbo)
    mrd: dict                                # 'tested'/'positive'/'negative' -> (n_ixa, n_pbo)
    median_age: tuple[int, int]
    age_knots: tuple[float, float]           # youngest, oldest
    high_risk: tuple[float, float]
    npm: tuple[float, float]
    npm_heme: tuple[float, float]
    frail: tuple[float, float] | None
    strata_shares: dict
    model: Model
    #: on-study window: a death on treatment or up to this many days after the last dose
    #: is an on-study death (``on_treatment_deaths``, each with a fatal AE; the AE
    #: collection window of checks.sdtm's SDTM-DM-DTHFL-NO-FATAL-AE)
    on_study_days: int = 30
    countries: tuple = field(default=("USA", "FRA", "DEU", "ESP", "ITA", "GBR", "POL", "JPN",
                                      "CHN", "KOR", "AUS", "CAN", "RUS", "TUR", "ISR", "BRA"))

    @property
    def n_published(self) -> int:
        return sum(self.n_itt)

    @property
    def safety(self) -> tuple[int, int]:
        return (self.n_itt[0] - self.never_treated[0] + self.crossover,
                self.n_itt[1] - self.never_treated[1] - self.crossover)

    @property
    def is_mm4(self) -> bool:
        return self.name.endswith("mm4")


MM3 = Profile(
    name="tourmaline-mm3",
    studyid="TOURMALINE-MM3",
    title="Ixazomib vs placebo maintenance after autologous stem cell transplantation in "
          "newly diagnosed multiple myeloma",
    population="POST-ASCT",
    cutoff="2023-09-08",
    accrual=("2015-02-15", "2016-06-15"),
    n_itt=(395, 261),
    never_treated=(2, 1),
    crossover=1,
    deaths=(144, 93),
    discontinued=(194, 151),
    disc_pd=(0.74, 0.80),
    disc_ae=(0.13, 0.05),
    disc_withdrawal_of_rest=0.55,
    on_treatment_deaths=(4, 2),
    table1={"ANY": (288, 190), "CORTICOSTEROID": (263, 169), "IMID": (255, 161),
            "PROTEASOME INHIBITOR": (182, 141), "ANTI-CD38 ANTIBODY": (138, 74),
            "ALKYLATING AGENT": (105, 71)},
    mrd={"tested": (357, 228), "positive": (225, 139), "negative": (117, 75)},
    median_age=(58, 60),
    age_knots=(30.0, 74.9),
    high_risk=(0.15, 0.21),
    npm=(0.07, 0.08),
    npm_heme=(0.02, 0.03),
    frail=None,
    strata_shares={"pi_exposed": 0.89, "iss": (0.39, 0.36, 0.25),
                   "response": (0.39, 0.43, 0.18)},
    model=Model(
        lost_share=0.02, withdrew_share=0.03,
        pfs_median=(26.5, 21.3), pfs_shape=(2.0, 2.0), death_no_pd=(0.01, 0.01),
        pfs_cure=(0.06, 0.05),      # a few never progress: PFS censored in both arms
        gap_median=(3.0, 3.0), gap_shape=(1.0, 1.0), nl_tau=20.0, nlpi_share=(0.7, 0.5),
        # one shape in both arms (proportional hazards: 5-year OS 74% vs 73%)
        pps_pi=(24.0, 12.0), pps_nopi=(8.5, 10.0), pps_none=(300.0, 300.0), pps_shape=(0.75, 0.75),
        pps_none_shape=(1.0, 1.0),  # deaths before any next line balanced by arm (IPCW HR)
        rho_os=0.4,
        # published subgroup HRs PI-naive 0.746, MRD-negative 0.700 against 1.025 overall:
        # the median twin HRs over seeds 1-12 and the default (0.75, 0.70; 5.0 and 2.5 gave
        # 0.53, 0.66 and an interaction p < 0.05 in 6 of those 13 seeds)
        ixa_pps_factor=(("pi_naive", 2.5), ("mrd_negative", 2.0)),
        early_pi_factor=1.0, early_pd=12.0,
        pfs2_median=(73.0, 66.0), pfs2_shape=1.0,
    ),
)

MM4 = Profile(
    name="tourmaline-mm4",
    studyid="TOURMALINE-MM4",
    title="Ixazomib vs placebo maintenance in transplant-ineligible newly diagnosed "
          "multiple myeloma",
    population="TRANSPLANT-INELIGIBLE",
    cutoff="2022-10-29",
    accrual=("2016-07-20", "2019-04-20"),
    n_itt=(425, 281),
    never_treated=(1, 3),
    crossover=2,
    deaths=(184, 115),
    discontinued=(307, 226),
    disc_pd=(0.69, 0.84),
    disc_ae=(0.17, 0.07),
    disc_withdrawal_of_rest=0.55,
    on_treatment_deaths=(11, 6),
    table1={"ANY": (308, 198), "CORTICOSTEROID": (286, 184), "IMID": (257, 168),
            "PROTEASOME INHIBITOR": (143, 99), "ANTI-CD38 ANTIBODY": (109, 73),
            "ALKYLATING AGENT": (99, 58)},
    mrd={"tested": (213, 151), "positive": (169, 125), "negative": (44, 26)},
    median_age=(72, 73),
    age_knots=(58.0, 91.9),
    high_risk=(0.17, 0.17),
    npm=(0.08, 0.08),
    npm_heme=(0.005, 0.005),
    frail=(0.24, 0.24),
    strata_shares={"pi_exposed": 0.65, "iss": (0.30, 0.42, 0.28),
                   "response": (0.25, 0.40, 0.35), "age75": 0.36},
    model=Model(
        lost_share=0.02, withdrew_share=0.02,
        pfs_median=(17.4, 9.4), pfs_shape=(0.75, 0.7), death_no_pd=(0.10, 0.06),
        gap_median=(1.8, 2.0), gap_shape=(1.0, 0.7), nl_tau=20.0, nlpi_share=(0.7, 0.7),
        # deaths before any next line in both arms (IPCW: HR 1.2, a bootstrap CI of width)
        pps_pi=(80.0, 21.0), pps_nopi=(56.0, 18.0), pps_none=(3.0, 30.0), pps_shape=(1.5, 1.5),
        early_pi_factor=0.55, early_pd=12.0,
        pfs2_median=(52.0, 52.0), pfs2_shape=1.0,
    ),
)

PROFILES = {p.name: p for p in (MM3, MM4)}
