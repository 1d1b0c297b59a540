"""Synthetic SDTM twins of TOURMALINE-MM3 and TOURMALINE-MM4.

``synthesize(study, n_subjects=None, seed=20140701) -> dict[str, Dataset]`` builds one SDTM
dataset per domain (keys: ``dm suppdm ds ex rs cm ae lb mh ss ts`` and ``pr`` for MM3);
``write_sdtm(datasets, out_dir)`` writes them as XPT v5 (``<key>.xpt``). Same seed, same
output; ``n_subjects`` rescales every published count (``round(count * n / N)``; below about
100 subjects some exact counts may be infeasible and raise ``UsageError``).
Published facts: shared/study/tourmaline.md; the generator's inputs (design, exact counts,
model parameters, each parameter documented with the fact it serves):
:mod:`adam.synth.profiles`; the published results a twin is judged against:
:mod:`adam.synth.calibration`.

Where each fact lives (for the ADaM derivations)
-----------------------------------------------
Subject keys: STUDYID "TOURMALINE-MM3"/"TOURMALINE-MM4", USUBJID = STUDYID-SUBJID.

- Arms: DM.ARM/ARMCD "Ixazomib"/IXA, "Placebo"/PBO (randomized, ITT); DM.ACTARM/ACTARMCD
  actual treatment ("Not Treated"/NOTTRT = randomized, never dosed; a few placebo-randomized
  subjects have ACTARM "Ixazomib": MM3 1, MM4 2). Safety = ACTARMCD != "NOTTRT".
- Dates: randomization DS DSDECOD "RANDOMIZED" (DSCAT "PROTOCOL MILESTONE") DSSTDTC;
  consent DM.RFICDTC; first/last dose DM.RFXSTDTC/RFXENDTC (= RFSTDTC; EX has one record per
  28-day cycle: EXSTDTC day 1, EXENDTC day 15 or last dose); last contact DM.RFENDTC = RFPENDTC.
- Death: DM.DTHDTC / DTHFL="Y"; DS DSSCAT "END OF STUDY", DSDECOD "DEATH", DSSTDTC = DTHDTC,
  DSTERM gives the cause: "DEATH DUE TO PROGRESSIVE DISEASE" | "... ADVERSE EVENT" |
  "... OTHER CAUSE". About 6% of death dates are "YYYY-MM" and 1% "YYYY".
- Last known alive: SS SSTESTCD "SURVSTAT", SSORRES "ALIVE", SSDTC (alive subjects: the
  cutoff minus up to 45 days, or the day they were lost / withdrew); also DM.RFENDTC.
- End of treatment: DS DSSCAT "END OF TREATMENT" (EPOCH "TREATMENT"), DSDECOD
  "COMPLETED" (DSTERM "COMPLETED 26 CYCLES") | "PROGRESSIVE DISEASE" | "ADVERSE EVENT" |
  "WITHDRAWAL BY SUBJECT" | "OTHER" for the treated; for a subject never dosed, why:
  "WITHDRAWAL BY SUBJECT" | "PHYSICIAN DECISION" | "PROTOCOL DEVIATION" (| "DEATH" when it
  died before the planned first dose), dated on that planned day, no study day. End of study: DSSCAT "END OF STUDY", DSDECOD "DEATH" |
  "LOST TO FOLLOW-UP" | "WITHDRAWAL BY SUBJECT"; no record = ongoing in follow-up.
- Strata as randomized (IRT): SUPPDM QNAM STRAT1 "PI-exposed"/"PI-naive", STRAT2 "I"/
  "II or III", STRAT3 (MM3 response after ASCT "CR"/"VGPR"/"PR"; MM4 age "<75"/">=75"),
  STRAT4 (MM4 only) "CR or VGPR"/"PR". Values equal the ADSL STRATnR levels.
- Subgroups (clinical data): induction in CM CMCAT "PRIOR ANTI-MYELOMA THERAPY",
  CMSCAT "INDUCTION" (PI-exposed iff a record with CMCLAS "PROTEASOME INHIBITOR");
  pre-induction ISS in RS RSCAT "INTERNATIONAL STAGING SYSTEM", RSTESTCD "ISSSTAGE",
  RSORRES "I"/"II"/"III"; response at study entry in RS RSCAT "RESPONSE AT STUDY ENTRY",
  RSTESTCD "OVRLRESP", RSORRES "CR"/"VGPR"/"PR"; cytogenetics in LB LBCAT "CYTOGENETICS",
  LBTESTCD "DEL17P"/"T4_14"/"T14_16", LBORRES "POSITIVE"/"NEGATIVE" (high risk = any
  POSITIVE; every subject has the three results); MRD at entry in LB LBCAT "MINIMAL RESIDUAL
  DISEASE", LBTESTCD "MRD", LBORRES "POSITIVE"/"NEGATIVE"/"INDETERMINATE" (no record = not
  tested; INDETERMINATE = tested, no usable result); frailty (MM4) in RS RSCAT "IMWG
  FRAILTY", RSTESTCD "FRAILTY", RSORRES "FRAIL"/"NON-FRAIL"; age DM.AGE; ASCT (MM3) in PR
  PRTRT "AUTOLOGOUS STEM CELL TRANSPLANT"; diagnosis MH MHCAT "PRIMARY DIAGNOSIS".
- Progression: RS RSTESTCD "OVRLRESP", RSORRES "PD". On-study progression (PFS): RSCAT
  "ON-STUDY DISEASE ASSESSMENT" (assessments every 84 days until PD, with CR/VGPR/PR
  results; the PD record is the first and only PD in that category). Progression on the
  next line (PFS2): RSCAT "PROGRESSION ON NEXT-LINE THERAPY" (RSDTC after the line-1 start).
- Subsequent therapy: CM CMCAT "SUBSEQUENT ANTI-MYELOMA THERAPY", one record per drug per
  line, CMGRPID "LINE 1".."LINE 4" (line number), CMCLAS "CORTICOSTEROID" | "IMID" |
  "PROTEASOME INHIBITOR" | "ANTI-CD38 ANTIBODY" | "ALKYLATING AGENT" | "OTHER", CMSTDTC
  (partial: line 1 6% "YYYY-MM", 1% "YYYY"; later lines 10% / 3%), CMENDTC (missing when
  ongoing at cutoff). Next-line start = min CMSTDTC of CMGRPID "LINE 1"; next line includes a
  PI iff a "LINE 1" record has CMCLAS "PROTEASOME INHIBITOR".
- New primary malignancies: AE AECAT "NEW PRIMARY MALIGNANCY", AESCAT "HEMATOLOGIC"/
  "NON-HEMATOLOGIC". Also AEs leading to discontinuation (AEACN "DRUG WITHDRAWN") and the
  fatal AEs of on-treatment deaths (AEOUT "FATAL").
- Data cutoff: TS TSPARMCD "DCUTDTC".

Calibration: :func:`adam.synth.calibration.conclusions` lists every published conclusion a
twin must keep (exact counts and Table 1, every quoted HR inside its published 95% CI,
medians within 10% with NR kept, median follow-up within 2 months, p < 0.05 for PFS only,
no subgroup or interaction significant, MM3's quoted subgroups, the OS curves' shape, PFS
censoring) against its ``PUBLISHED`` facts. The default seed meets all of them through the
whole pipeline (tests/test_twins_end_to_end.py; re-derived from the SDTM alone:
tests/synth/test_calibration.py). Other seeds meet most but not all: a published 95% CI
covers the truth in 95% of trials, and small subsets (next-line PI subsets, subgroups, the
deaths before any next line that IPCW/MSM weigh) vary from seed to seed;
``benchmarks/bench_twin_seeds.py`` counts them over 20 seeds, docs/notes/twin-robustness.md
has the figures and which conclusions are fragile and why.

Endpoint rules the calibration uses (tests/synth/endpoints.py): OS = death (DTHDTC) else
censored at last known alive; PFS = first on-study PD or death, else censored at last
known alive; TTNT = line-1 start, or death due to PD (DS DSTERM) before it, else censored
at last known alive; PFS2 = PD on next line or death from any cause, else censored at last
known alive. Partial dates are imputed to the first day of the period.

Generative model
----------------
Times are days from randomization; months are 30.4375 days. Randomization dates are
uniform over the accrual window (MM3 2015-02-15..2016-06-15, MM4 2016-07-20..2019-04-20:
chosen, later than the real enrollment, so that the reverse-KM median follow-up at the
published cutoffs 2023-09-08 / 2022-10-29 matches 94 / 57 months); strata are assigned with exact overall shares and arms
by 3:2 permuted blocks within strata in enrollment order (last blocks truncated to give the
exact published arm sizes). Exact counts (arm sizes, never-treated, crossovers, deaths,
discontinuations and reasons, Table 1 cells, MRD, high-risk and frailty shares, NPMs) are
assigned by choosing exactly k of the eligible subjects (:mod:`adam.synth.allocate`).

1. PFS: Weibull per randomized arm (pfs_median the published median, pfs_shape tuned so
   that the stratified Cox HR lands on the published one), drawn with stratified uniforms
   whose ranks follow a prognostic score (high-risk cytogenetics, ISS, MRD, response,
   frailty, age; rank copula, rho_pfs), so the arm's PFS distribution is reproduced almost
   exactly. A share pfs_cure (the best ranks) never progresses, their PFS censored at last
   contact; the Weibull median is raised so that the arm keeps the published median.
2. Treatment: first dose 1-7 days after randomization; 26 cycles of 28 days. Among treated
   subjects whose PFS event falls before the last planned dose, exactly the published
   number die on treatment (fatal AE) and exactly the published number stop for PD (at the
   PD date); exactly the published completers are drawn from those event-free at the last
   dose; the others stop for AE / withdrawal / other at a random time before their event.
   Later PFS events are deaths without PD with probability death_no_pd. The on-study
   deaths (on treatment or up to 30 days after the last dose) are exactly those with a
   fatal AE: any other death drawn inside that window moves to its first day after
   (:mod:`adam.synth.model`). The report gives
   no reason for the never-dosed patients: the twin's are synthetic, drawn in the DS
   builder's own seeded stream (withdrawal 50%, physician decision 30%, protocol
   deviation 20%; :data:`adam.synth.domains.NOT_TREATED_REASONS`).
3. Follow-up: a fixed share is lost to follow-up or withdraws (lost_share,
   withdrew_share; uniform time after the end of treatment); everyone else is followed to
   the data cutoff (deaths up to the cutoff are known; the last contact alive is 0-45 days
   before it).
4. Next line: starts a Weibull gap after PD (gap_median, gap_shape). Exactly the Table 1
   number of subjects per actual arm (safety) start one before the cutoff, chosen among
   observed progressors with weights exp(-time to PD / nl_tau). Classes of any line are assigned exactly; a share
   nlpi_share of the PI-treated get the PI in line 1, the rest in a later line (in line 1
   when no later line fits before death or censoring).
5. Survival after progression: Weibull from line-1 start + 30 days, median by arm and
   next-line PI (pps_pi / pps_nopi), or from PD + 14 days without a next line (pps_none,
   with its own shape pps_none_shape where given: these are the deaths before any switch
   that the IPCW and MSM analyses weigh), ranked by the same prognostic score (rho_os).
   One shape pps_shape in both arms: OS keeps proportional hazards, as the report's curves
   do. In MM4, ixazomib patients who progress within early_pd months and get a PI next
   have early_pi_factor x that survival (PI-refractory relapse; this makes the
   next-line-PI curves cross as published). Ixazomib patients of the subgroups named in
   ixa_pps_factor (MM3: PI-naive, MRD-negative) live that factor x longer (the quoted
   subgroup HRs). One factor per arm rescales these times so that exactly the published
   number of deaths fall on or before the censoring day (deaths are exact by
   construction, so is the OS event count): only the medians' ratios within an arm
   matter.
6. PFS2: PD on the next line a Weibull time (pfs2_median, pfs2_shape) after line-1 start
   (recorded if before death and censoring). Lines 2-4 start inside the window from line 1
   to death / censoring.
Dependence: PFS -> next line -> PFS2 and OS are linked through the PD date, the line-1
start, the next-line PI and the shared prognostic score.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from adam.errors import UsageError
from adam.metadata import Dataset
from adam.synth import domains
from adam.synth.model import simulate
from adam.synth.profiles import PROFILES

__all__ = ["synthesize", "iter_domains", "write_sdtm", "write_twin", "STUDIES"]

STUDIES = tuple(PROFILES)
BUILDERS = {"dm": domains.build_dm, "suppdm": domains.build_suppdm, "ds": domains.build_ds,
            "ex": domains.build_ex, "rs": domains.build_rs, "cm": domains.build_cm,
            "pr": domains.build_pr, "ae": domains.build_ae, "lb": domains.build_lb,
            "mh": domains.build_mh, "ss": domains.build_ss, "ts": domains.build_ts}


def synthesize(study: str, n_subjects: int | None = None, seed: int = 20140701) -> dict[str, Dataset]:
    """SDTM datasets of a TOURMALINE twin keyed by lower-case domain name, text as
    object columns (as read back from the files)."""
    return {name: ds.with_frame(_as_objects(ds.frame)) for name, ds in iter_domains(study, n_subjects, seed)}


def _as_objects(frame):
    """``frame`` with its categorical columns as object columns (NaN missing)."""
    coded = [c for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)]
    return frame.astype({c: object for c in coded}) if coded else frame


def iter_domains(study: str, n_subjects: int | None = None, seed: int = 20140701):
    """The twin's SDTM datasets one at a time, ``(domain, Dataset)``, so each can be
    written and released before the next is built (same datasets as :func:`synthesize`,
    the long text columns as categoricals).
    An unknown study fails here, before anything is built."""
    profile = _profile(study)
    return _built(simulate(profile, n_subjects, seed), profile, seed)


def n_subjects_of(study: str, n_subjects: int | None = None) -> int:
    """Subjects the twin of ``study`` has (``n_subjects``, default the published ITT N)."""
    return _profile(study).n_published if n_subjects is None else int(n_subjects)


def _profile(study: str):
    key = study.lower()
    if key not in PROFILES:
        raise UsageError(f"unknown study {study!r}: choose one of {', '.join(STUDIES)}",
                         variable="study")
    return PROFILES[key]


def _built(s: dict, profile, seed: int):
    """``(domain, Dataset)`` pairs, built in order (dm first)."""
    _prepare(s, profile, seed)
    for name in _domain_names(profile):
        yield name, _build(name, s, profile, seed)


def _prepare(s: dict, profile, seed: int) -> None:
    """Subject ids, sites, and what DM fixes for the other domains (the death-date
    precision): everything the domain builders share besides the model."""
    rng = np.random.default_rng([seed, 1])            # formatting details, apart from the model
    domains.subject_ids(s, profile)
    domains.sites(s, profile, rng)
    s["dm"] = BUILDERS["dm"](s, profile, rng)        # dm first: it fixes the death-date precision


def _domain_names(profile) -> list[str]:
    return [name for name in BUILDERS if not (name == "pr" and profile.is_mm4)]


def _build(name: str, s: dict, profile, seed: int) -> Dataset:
    """One domain; each has its own random stream (seeded by its position in
    :data:`BUILDERS`), so domains can be built in any order or in parallel."""
    if name == "dm":
        return s["dm"]
    rng = np.random.default_rng([seed, 2, list(BUILDERS).index(name)])
    return BUILDERS[name](s, profile, rng)


def _write_released(holder: list, path: Path) -> Path:
    """Write the dataset in ``holder`` as XPT, dropping it once encoded (its frame is
    freed while the file is written)."""
    from adam.io import prepare_xpt, write_prepared

    prepared = prepare_xpt(holder.pop())
    return write_prepared(prepared, path)


def _build_and_write(name: str, s: dict, profile, seed: int, path: Path) -> Path:
    return _write_released([_build(name, s, profile, seed)], path)


#: the largest domains first (the two workers finish together)
_BY_SIZE = ("ex", "rs", "cm", "lb", "ds", "suppdm", "dm", "pr", "ss", "ae", "mh", "ts")


def write_twin(study: str, out_dir: str | Path, n_subjects: int | None = None,
               seed: int = 20140701) -> dict[str, Path]:
    """The twin's SDTM written to ``out_dir/<domain>.xpt`` (atomic, XPT v5): the same
    datasets as :func:`iter_domains`, each domain built and written by a forked child
    (two at a time, the largest first) when two cores are ours; returns ``{domain: path}``."""
    from adam.parallel import first_done, forked

    profile = _profile(study)
    s = simulate(profile, n_subjects, seed)
    _prepare(s, profile, seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    names = _domain_names(profile)
    paths = {name: out / f"{name}.xpt" for name in names}
    running = []

    def one_done():
        done = first_done(running)
        running.remove(done)
        done.result()

    try:
        for name in sorted(names, key=lambda n: _BY_SIZE.index(n) if n in _BY_SIZE else len(_BY_SIZE)):
            if len(running) == 2:
                one_done()
            running.append(forked(_build_and_write, name, s, profile, seed, paths[name]))
        while running:
            one_done()
    finally:
        for call in running:                          # one failed: the others are not wanted
            call.cancel()
    return paths


def write_sdtm(datasets, out_dir: str | Path) -> dict[str, Path]:
    """Write each dataset (a dict, or ``(key, Dataset)`` pairs such as
    :func:`iter_domains` gives) to ``out_dir/<key>.xpt`` (atomic, XPT v5); returns
    ``{key: path}``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pairs = datasets.items() if isinstance(datasets, dict) else datasets
    paths = {}
    for name, ds in pairs:
        paths[name] = _write_released([ds], out / f"{name}.xpt")
        del ds
    return paths
