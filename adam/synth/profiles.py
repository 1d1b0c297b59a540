"""Published facts of TOURMALINE-MM3/-MM4 (shared/study/tourmaline.md) and the
generative-model parameters calibrated to reproduce them.

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
class Endpoint:
    """Published medians (months, ``None`` = not reached) and HR with 95% CI."""

    median: tuple[float | None, float | None]
    hr: float
    lcl: float
    ucl: float


@dataclass(frozen=True)
class Model:
    """Parameters of the generative model (see the :mod:`adam.synth` docstring)."""

    pfs_median: tuple[float, float]          # Weibull PFS median, months
    pfs_shape: tuple[float, float]
    death_no_pd: tuple[float, float]         # share of PFS events after treatment that are deaths
    gap_median: tuple[float, float]          # PD -> next-line start, months
    gap_shape: tuple[float, float]
    nl_tau: float                            # next-line selection weight exp(-PD time / nl_tau)
    nlpi_share: tuple[float, float]          # share of PI-treated whose first next line has a PI
    pps_pi: tuple[float, float]              # next-line start -> death, next line with PI
    pps_nopi: tuple[float, float]            # ... next line without PI
    pps_none: tuple[float, float]            # PD -> death, no next line
    pps_shape: tuple[float, float]
    early_pi_factor: float                   # ixazomib arm, PI next line, PD within early_pd months:
    early_pd: float                          # post-progression survival x early_pi_factor (PI-refractory)
    pfs2_median: tuple[float, float]         # next-line start -> PD on next line
    pfs2_shape: float
    rho_pfs: float = 0.5                     # prognostic score -> PFS rank correlation
    rho_os: float = 0.5                      # prognostic score -> post-progression survival
    lost_share: float = 0.03                 # lost to follow-up (share of ITT)
    withdrew_share: float = 0.04             # withdrew from study follow-up
    escalation_share: float = 0.75           # 3 -> 4 mg from cycle 5 among those reaching it
    pps_none_shape: tuple[float, float] | None = None   # shape of pps_none (default pps_shape)
    pfs_cure: tuple[float, float] = (0.0, 0.0)          # share never progressing (PFS censored);
                                                        # pfs_median stays the overall median
    ixa_pps_factor: tuple = ()               # ((subgroup, factor), ...): ixazomib patients of a
                                             # subgroup ('pi_naive', 'mrd_negative', 'high_risk')
                                             # live factor x longer after progression


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
    on_treatment_deaths: tuple[int, int]     # safety population, by actual arm
    table1: dict                             # 'ANY' and THERAPY_CLASSES -> (n_ixa, n_pbo)
    mrd: dict                                # 'tested'/'positive'/'negative' -> (n_ixa, n_pbo)
    median_age: tuple[int, int]
    age_knots: tuple[float, float]           # youngest, oldest
    high_risk: tuple[float, float]
    npm: tuple[float, float]
    npm_heme: tuple[float, float]
    frail: tuple[float, float] | None
    strata_shares: dict
    endpoints: dict
    median_followup: tuple[float, float]
    model: Model
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
    endpoints={
        "OS": Endpoint((None, None), 1.025, 0.789, 1.332),
        "PFS": Endpoint((26.5, 21.3), 0.72, 0.58, 0.89),
        "TTNT": Endpoint((33.1, 27.6), 0.849, 0.704, 1.022),
        "PFS2": Endpoint((84.0, 80.4), 1.015, 0.795, 1.298),
        "OS-NEXTLINE-PI": Endpoint((None, 94.2), 0.794, 0.523, 1.206),
        "OS-NEXTLINE-NOPI": Endpoint((74.9, 90.3), 1.310, 0.901, 1.904),
    },
    median_followup=(94.4, 94.5),
    model=Model(
        lost_share=0.02, withdrew_share=0.03,
        pfs_median=(26.5, 21.3), pfs_shape=(2.0, 2.0), death_no_pd=(0.01, 0.01),
        pfs_cure=(0.06, 0.05),      # a few never progress: PFS censored in both arms
        gap_median=(3.0, 3.0), gap_shape=(1.0, 1.0), nl_tau=20.0, nlpi_share=(0.7, 0.5),
        # one shape in both arms (proportional hazards: 5-year OS 74% vs 73%)
        pps_pi=(24.0, 12.0), pps_nopi=(8.5, 10.0), pps_none=(300.0, 300.0), pps_shape=(0.75, 0.75),
        pps_none_shape=(1.0, 1.0),  # deaths before any next line balanced by arm (IPCW HR)
        rho_os=0.4,
        # published subgroup HRs PI-naive 0.746, MRD-negative 0.700 against 1.025 overall
        ixa_pps_factor=(("pi_naive", 5.0), ("mrd_negative", 2.5)),
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
    endpoints={
        "OS": Endpoint((64.8, 69.5), 1.090, 0.861, 1.381),
        "PFS": Endpoint((17.4, 9.4), 0.66, 0.54, 0.80),
        "TTNT": Endpoint((22.1, 16.5), 0.881, 0.734, 1.058),
        "PFS2": Endpoint((51.3, 50.3), 0.984, 0.777, 1.246),
        "OS-NEXTLINE-PI": Endpoint((64.7, 60.1), 1.177, 0.749, 1.849),
        "OS-NEXTLINE-NOPI": Endpoint((57.1, 55.1), 0.928, 0.672, 1.283),
    },
    median_followup=(57.2, 57.6),
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
