"""SDTM domains built from the latent subject histories of :mod:`adam.synth.model`.

Every builder is ``build_xx(s, profile, rng) -> Dataset``; ``s`` is the dict returned by
:func:`adam.synth.model.simulate`. Multi-record domains are assembled from blocks of
records (one block per record type), sorted by subject and date, and numbered with
--SEQ. Where each fact lives is listed in the :mod:`adam.synth` docstring.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from adam.synth.allocate import rank_within
from adam.synth.dtc import DAY, MONTH as P_MONTH, YEAR, dtc, partial_precision, study_day
from adam.synth.labels import make_dataset
from adam.synth.model import EOT_REASONS, IXA, MAX_LINES, NOT_TREATED, PBO
from adam.synth.profiles import THERAPY_CLASSES, Profile
from adam.text import as_categorical

ARMS = {IXA: ("IXA", "Ixazomib"), PBO: ("PBO", "Placebo"), NOT_TREATED: ("NOTTRT", "Not Treated")}
RESPONSES = np.array(["CR", "VGPR", "PR"], dtype=object)
DRUGS = {  # class -> (drugs, probabilities)
    "CORTICOSTEROID": (("DEXAMETHASONE", "PREDNISONE"), (0.9, 0.1)),
    "IMID": (("LENALIDOMIDE", "POMALIDOMIDE", "THALIDOMIDE"), (0.45, 0.5, 0.05)),
    "PROTEASOME INHIBITOR": (("BORTEZOMIB", "CARFILZOMIB", "IXAZOMIB"), (0.5, 0.4, 0.1)),
    "ANTI-CD38 ANTIBODY": (("DARATUMUMAB", "ISATUXIMAB"), (0.85, 0.15)),
    "ALKYLATING AGENT": (("CYCLOPHOSPHAMIDE", "MELPHALAN", "BENDAMUSTINE"), (0.6, 0.25, 0.15)),
    "OTHER": (("ELOTUZUMAB", "PANOBINOSTAT", "SELINEXOR", "VENETOCLAX"), (0.4, 0.2, 0.25, 0.15)),
}
ROUTES = {"DEXAMETHASONE": "ORAL", "PREDNISONE": "ORAL", "LENALIDOMIDE": "ORAL",
          "POMALIDOMIDE": "ORAL", "THALIDOMIDE": "ORAL", "BORTEZOMIB": "SUBCUTANEOUS",
          "CARFILZOMIB": "INTRAVENOUS", "IXAZOMIB": "ORAL", "DARATUMUMAB": "INTRAVENOUS",
          "ISATUXIMAB": "INTRAVENOUS", "CYCLOPHOSPHAMIDE": "ORAL", "MELPHALAN": "ORAL",
          "BENDAMUSTINE": "INTRAVENOUS", "ELOTUZUMAB": "INTRAVENOUS", "PANOBINOSTAT": "ORAL",
          "SELINEXOR": "ORAL", "VENETOCLAX": "ORAL"}
NPM_TERMS = {
    "HEMATOLOGIC": ("MYELODYSPLASTIC SYNDROME", "ACUTE MYELOID LEUKAEMIA", "B-CELL LYMPHOMA"),
    "NON-HEMATOLOGIC": ("BASAL CELL CARCINOMA", "SQUAMOUS CELL CARCINOMA OF SKIN",
                        "PROSTATE CANCER", "BREAST CANCER", "MALIGNANT MELANOMA",
                        "LUNG ADENOCARCINOMA", "COLON CANCER"),
}
NPM_SOC = "NEOPLASMS BENIGN, MALIGNANT AND UNSPECIFIED (INCL CYSTS AND POLYPS)"
DISC_AES = (("DIARRHOEA", "GASTROINTESTINAL DISORDERS"),
            ("THROMBOCYTOPENIA", "BLOOD AND LYMPHATIC SYSTEM DISORDERS"),
            ("PERIPHERAL SENSORY NEUROPATHY", "NERVOUS SYSTEM DISORDERS"),
            ("RASH MACULO-PAPULAR", "SKIN AND SUBCUTANEOUS TISSUE DISORDERS"),
            ("NAUSEA", "GASTROINTESTINAL DISORDERS"))
FATAL_AES = (("PNEUMONIA", "INFECTIONS AND INFESTATIONS"), ("SEPSIS", "INFECTIONS AND INFESTATIONS"),
             ("CARDIAC FAILURE", "CARDIAC DISORDERS"))
#: why a randomized subject never started study drug (synthetic: the report gives no
#: reasons): DSDECOD -> (DSTERM, probability); a subject who died before the planned first
#: dose has DEATH
NOT_TREATED_REASONS = {
    "WITHDRAWAL BY SUBJECT": ("CONSENT WITHDRAWN BEFORE THE FIRST DOSE", 0.5),
    "PHYSICIAN DECISION": ("INVESTIGATOR DECIDED NOT TO START STUDY DRUG", 0.3),
    "PROTOCOL DEVIATION": ("ELIGIBILITY CRITERION NOT MET, FOUND AFTER RANDOMIZATION", 0.2),
}
NOT_TREATED_DEATH = ("DEATH", "DIED BEFORE THE FIRST DOSE")
RS_ASSESSMENT_DAYS = 84                        # every 12 weeks (3 cycles)
MAX_ASSESSMENTS = 40


def _pick(rng, n: int, options, probs=None) -> np.ndarray:
    """``n`` random choices from ``options`` as an object array."""
    arr = np.empty(len(options), dtype=object)
    arr[:] = list(options)
    return arr[rng.choice(len(options), size=n, p=probs)]


def _coded(categories, codes) -> pd.Categorical:
    """Text column ``categories[codes]`` (distinct values; code -1 missing) as a
    categorical: a small integer per record instead of an object reference."""
    return pd.Categorical.from_codes(np.asarray(codes), categories=pd.Index(list(categories), dtype=object))


def _const(value, n: int) -> pd.Categorical:
    """A text column holding ``value`` (NaN: missing) on every record."""
    missing = not isinstance(value, str)
    return _coded([] if missing else [value], np.full(n, -1 if missing else 0, dtype=np.int8))


def _either(cond, a: str, b: str) -> pd.Categorical:
    """Text column ``a`` where ``cond``, else ``b``."""
    return _coded([a, b], np.where(cond, 0, 1).astype(np.int8))


def _looked_up(values, table: dict) -> pd.Categorical:
    """``table[v]`` for each text value, each distinct value looked up once."""
    codes, distinct = pd.factorize(np.asarray(values, dtype=object))
    found, categories = pd.factorize(np.array([table[v] for v in distinct], dtype=object))
    return _coded(categories, found[codes])


def _subjects(s, subj) -> pd.Categorical:
    """USUBJID of each record (``subj`` the subject index)."""
    return _coded(s["usubjid"], subj)


def _where(cond, a, b) -> np.ndarray:
    """Object ``np.where`` that keeps ``NaN`` for missing text."""
    return np.where(cond, np.asarray(a, dtype=object), np.asarray(b, dtype=object))


def _column(values):
    if isinstance(values, pd.Categorical):
        return values
    arr = np.asarray(values)
    return arr if arr.dtype.kind == "O" else arr.astype(object if arr.dtype.kind in "US" else float)


def _concat(parts: list):
    """One column from the blocks' parts: numbers concatenated; text as one categorical
    when any part is one."""
    if not any(isinstance(p, pd.Categorical) for p in parts):
        return np.concatenate(parts)
    return union_categoricals([p if isinstance(p, pd.Categorical) else as_categorical(p) for p in parts])


def _record_order(subj: np.ndarray, keys: list[np.ndarray]) -> np.ndarray:
    """``np.lexsort(keys[::-1] + [subj])``: records by subject, then ``keys``, ties in
    record order. Blocks are built a visit or cycle at a time, so a stable sort by
    subject (fast on their sorted runs) usually leaves each subject's records in key
    order already; that is checked, and the full sort done only when it does not."""
    order = np.argsort(subj, kind="stable")
    if len(order) > 1:
        in_order = np.ones(len(order) - 1, dtype=bool)     # row i+1 not before row i
        for key in reversed(keys):
            k = key[order]
            in_order = (k[:-1] < k[1:]) | ((k[:-1] == k[1:]) & in_order)
        s = subj[order]
        if not np.all((s[:-1] != s[1:]) | in_order):
            order = np.lexsort(tuple(reversed(keys)) + (subj,))
    return order


def _records(domain: str, s, blocks: list[dict], sort_keys=("_day",)):
    """Concatenate record blocks (each a dict of equal-length arrays with ``_subj`` the
    subject index), sort by subject then ``sort_keys``, add STUDYID/DOMAIN/USUBJID/--SEQ.
    Returns the key columns and the other columns, both in record order."""
    # column by column, releasing each block column and each unsorted column once used
    cols = {k: _concat([_column(b.pop(k)) for b in blocks]) for k in list(blocks[0])}
    order = _record_order(cols["_subj"], [cols[k].astype(float) for k in sort_keys])
    for k in cols:
        cols[k] = cols[k][order]
    subj = cols.pop("_subj").astype(np.int64)
    for k in sort_keys:
        cols.pop(k, None)
    head = {"STUDYID": _const(s["studyid"], len(subj)), "DOMAIN": _const(domain, len(subj)),
            "USUBJID": _subjects(s, subj),
            f"{domain}SEQ": rank_within(subj, np.arange(len(subj), dtype=float)) + 1.0}
    return head, cols


def subject_ids(s, p: Profile) -> None:
    """SUBJID / USUBJID / SITEID / COUNTRY arrays (enrollment order)."""
    n = s["n"]
    width = max(4, len(str(n)))
    subjid = np.char.zfill(np.arange(1, n + 1).astype(str), width)
    s["studyid"] = p.studyid
    s["subjid"] = subjid.astype(object)
    s["usubjid"] = np.char.add(p.studyid + "-", subjid).astype(object)


def sites(s, p: Profile, rng) -> None:
    n = s["n"]
    n_sites = max(5, int(round(n / 4.4)))
    weights = rng.gamma(2.0, 1.0, n_sites)
    site = rng.choice(n_sites, size=n, p=weights / weights.sum())
    site_country = rng.choice(len(p.countries), size=n_sites)
    s["siteid"] = np.char.zfill((site + 101).astype(str), 3).astype(object)
    countries = np.array(p.countries, dtype=object)
    s["country"] = countries[site_country[site]]


def build_dm(s, p: Profile, rng):
    n = s["n"]
    arm, actual = s["arm"], s["actual"]
    codes = np.array([ARMS[k][0] for k in range(3)], dtype=object)
    names = np.array([ARMS[k][1] for k in range(3)], dtype=object)
    first, last = s["first_dose"], s["last_dose"]
    s["death_prec"] = _death_precision(s, rng)
    # survival status: a death is recorded up to 30 days after it (never after the cutoff);
    # the last participation date (RFPENDTC) is the last status date
    dead = s["dead"]
    s["status_day"] = np.where(dead, np.minimum(s["death_day"] + np.floor(rng.uniform(0, 30, n)),
                                                s["cutoff"]), s["last_alive"])
    treated = s["treated"]
    races = np.array(["WHITE", "ASIAN", "BLACK OR AFRICAN AMERICAN", "OTHER"], dtype=object)
    return make_dataset("DM", {
        "STUDYID": _const(p.studyid, n), "DOMAIN": _const("DM", n), "USUBJID": s["usubjid"],
        "SUBJID": s["subjid"], "RFSTDTC": dtc(first), "RFENDTC": dtc(np.where(treated, s["last_alive"], np.nan), s["death_prec"]),
        "RFXSTDTC": dtc(first), "RFXENDTC": dtc(last), "RFICDTC": dtc(s["consent"]),
        "RFPENDTC": dtc(s["status_day"]),
        "DTHDTC": dtc(s["death_day"], s["death_prec"]),
        "DTHFL": _where(s["dead"], "Y", np.nan), "SITEID": s["siteid"], "AGE": s["age"],
        "AGEU": _const("YEARS", n), "SEX": _where(s["male"], "M", "F"), "RACE": races[s["race"]],
        "ETHNIC": _where(s["hispanic"], "HISPANIC OR LATINO", "NOT HISPANIC OR LATINO"),
        "ARMCD": codes[arm], "ARM": names[arm], "ACTARMCD": codes[actual], "ACTARM": names[actual],
        "COUNTRY": s["country"], "DMDTC": dtc(s["consent"]),
        "DMDY": study_day(s["consent"], first),
    })


def _death_precision(s, rng) -> np.ndarray:
    """Death dates: 6% known to the month only, 1% to the year only (when the death year is
    after the year of randomization and last dose); deaths on treatment have full dates."""
    n = s["n"]
    prec = partial_precision(rng, n, 0.06, 0.01)
    death = np.nan_to_num(s["death_day"], nan=0).astype("datetime64[D]")
    before = np.nan_to_num(np.maximum(s["rand"], s["last_dose"]), nan=0).astype("datetime64[D]")
    later_year = death.astype("datetime64[Y]") > before.astype("datetime64[Y]")
    prec = np.where((prec == YEAR) & ~later_year, P_MONTH, prec)
    return np.where(s["dead"] & ~s["on_tx_death"], prec, DAY).astype(object)


def build_suppdm(s, p: Profile, rng):
    n = s["n"]
    qnams = [("STRAT1", "Stratum: Induction Regimen",
              _where(s["pi_exposed"], "PI-exposed", "PI-naive")),
             ("STRAT2", "Stratum: Pre-induction ISS Stage", _where(s["iss"] > 0, "II or III", "I"))]
    if p.is_mm4:
        qnams += [("STRAT3", "Stratum: Age at Randomization", _where(s["old"], ">=75", "<75")),
                  ("STRAT4", "Stratum: Response Before Randomization",
                   _where(s["resp"] < 2, "CR or VGPR", "PR"))]
    else:
        qnams += [("STRAT3", "Stratum: Response After ASCT", RESPONSES[s["resp"]])]
    k = len(qnams)
    subj = np.repeat(np.arange(n), k)
    return make_dataset("SUPPDM", {
        "STUDYID": _const(p.studyid, n * k), "RDOMAIN": _const("DM", n * k),
        "USUBJID": _subjects(s, subj), "IDVAR": _const(np.nan, n * k), "IDVARVAL": _const(np.nan, n * k),
        "QNAM": _coded([q[0] for q in qnams], np.tile(np.arange(k, dtype=np.int8), n)),
        "QLABEL": _coded([q[1] for q in qnams], np.tile(np.arange(k, dtype=np.int8), n)),
        "QVAL": np.column_stack([q[2] for q in qnams]).ravel(),
        "QORIG": _const("CRF", n * k), "QEVAL": _const(np.nan, n * k),
    })


def build_ds(s, p: Profile, rng):
    n = s["n"]
    idx = np.arange(n)
    tr = np.flatnonzero(s["treated"])
    eot_reason = s["eot_reason"][tr]
    eot_decod = np.array(EOT_REASONS, dtype=object)[eot_reason]
    eot_term = np.where(eot_reason == 0, "COMPLETED 26 CYCLES", eot_decod).astype(object)
    dead = s["dead"]
    leave = (s["leave_reason"] > 0) & ~dead
    eos = np.flatnonzero(dead | leave)
    cause = np.array(["", "DEATH DUE TO PROGRESSIVE DISEASE", "DEATH DUE TO ADVERSE EVENT",
                      "DEATH DUE TO OTHER CAUSE"], dtype=object)
    eos_decod = np.where(dead[eos], "DEATH",
                         np.where(s["leave_reason"][eos] == 1, "LOST TO FOLLOW-UP",
                                  "WITHDRAWAL BY SUBJECT")).astype(object)
    eos_term = np.where(dead[eos], cause[s["death_cause"][eos]], eos_decod).astype(object)
    eos_day = np.where(dead[eos], s["death_day"][eos], s["leave_day"][eos])
    eos_prec = np.where(dead[eos], s["death_prec"][eos], DAY)
    nt, nt_decod, nt_term, nt_day, nt_prec = _not_treated_reasons(s, rng)

    def block(subj, term, decod, cat, scat, epoch, day, prec=DAY):
        m = len(subj)
        return {"_subj": subj, "_day": day, "_order": np.full(m, 0.0),
                "DSTERM": term, "DSDECOD": decod, "DSCAT": _const(cat, m), "DSSCAT": scat,
                "EPOCH": _const(epoch, m), "DSSTDTC": dtc(day, prec),
                "DSSTDY": study_day(day, s["first_dose"][subj])}

    blocks = [                      # protocol milestones are no epoch events: EPOCH null
        block(idx, _const("INFORMED CONSENT OBTAINED", n), _const("INFORMED CONSENT OBTAINED", n),
              "PROTOCOL MILESTONE", _const(np.nan, n), np.nan, s["consent"]),
        block(idx, _const("RANDOMIZED", n), _const("RANDOMIZED", n), "PROTOCOL MILESTONE",
              _const(np.nan, n), np.nan, s["rand"]),
        block(tr, eot_term, eot_decod, "DISPOSITION EVENT", _const("END OF TREATMENT", len(tr)),
              "TREATMENT", s["eot_day"][tr]),
        block(nt, nt_term, nt_decod, "DISPOSITION EVENT", _const("END OF TREATMENT", len(nt)),
              "TREATMENT", nt_day, nt_prec),
        block(eos, eos_term, eos_decod, "DISPOSITION EVENT", _const("END OF STUDY", len(eos)),
              "FOLLOW-UP", eos_day, eos_prec),
    ]
    for i, b in enumerate(blocks):
        b["_order"][:] = i
    head, cols = _records("DS", s, blocks, sort_keys=("_order", "_day"))
    return make_dataset("DS", {**head, **cols})


def _not_treated_reasons(s, rng):
    """The treatment-phase disposition of each randomized subject never dosed: a reason of
    :data:`NOT_TREATED_REASONS` drawn with its probability, dated on the day the first dose
    was planned (1-7 days after randomization, as for the treated), or DEATH on the death
    date when the subject died before it. Returns subjects, DSDECOD, DSTERM, day, precision."""
    nt = np.flatnonzero(~s["treated"])
    decods = np.array(list(NOT_TREATED_REASONS), dtype=object)
    probs = np.array([p for _, p in NOT_TREATED_REASONS.values()])
    decod = decods[rng.choice(len(decods), size=len(nt), p=probs / probs.sum())]
    term = np.array([NOT_TREATED_REASONS[d][0] for d in decod], dtype=object)
    day = s["rand"][nt] + np.floor(rng.uniform(1, 8, len(nt)))
    died = s["dead"][nt] & (s["death_day"][nt] <= day)
    decod = np.where(died, NOT_TREATED_DEATH[0], decod).astype(object)
    term = np.where(died, NOT_TREATED_DEATH[1], term).astype(object)
    day = np.where(died, s["death_day"][nt], day)
    prec = np.where(died, s["death_prec"][nt], DAY).astype(object)
    return nt, decod, term, day, prec


def build_ex(s, p: Profile, rng):
    n_cyc = s["n_cycles"].astype(np.int64)
    subj = np.repeat(np.arange(s["n"]), n_cyc)
    cyc = np.arange(len(subj)) - np.repeat(np.cumsum(n_cyc) - n_cyc, n_cyc)
    first = s["first_dose"][subj]
    start = first + 28 * cyc
    end = np.minimum(start + 14, s["last_dose"][subj])
    ixa = s["actual"][subj] == IXA
    dose = np.where(ixa, np.where((cyc >= 4) & s["escalated"][subj], 4.0, 3.0), 0.0)
    m = len(subj)
    cycle_names = [f"CYCLE {c}" for c in range(1, int(cyc.max(initial=0)) + 2)]
    return make_dataset("EX", {
        "STUDYID": _const(p.studyid, m), "DOMAIN": _const("EX", m), "USUBJID": _subjects(s, subj),
        "EXSEQ": cyc + 1.0, "EXTRT": _either(ixa, "IXAZOMIB", "PLACEBO"), "EXDOSE": dose,
        "EXDOSU": _const("mg", m), "EXDOSFRM": _const("CAPSULE", m),
        "EXDOSRGM": _const("DAYS 1, 8, 15 OF 28-DAY CYCLE", m), "EXROUTE": _const("ORAL", m),
        "VISITNUM": cyc + 1.0, "VISIT": _coded(cycle_names, cyc), "EPOCH": _const("TREATMENT", m),
        "EXSTDTC": dtc(start), "EXENDTC": dtc(end), "EXSTDY": study_day(start, first),
        "EXENDY": study_day(end, first),
    })


def build_rs(s, p: Profile, rng):
    n = s["n"]
    idx = np.arange(n)
    rand = s["rand"]
    stop = np.fmin(np.where(s["pd_observed"], s["pd_day"], np.inf),
                   np.minimum(s["censor_day"], s["death_day_latent"]))
    n_ass = np.clip(np.floor((stop - 1 - rand) / RS_ASSESSMENT_DAYS), 0, MAX_ASSESSMENTS).astype(np.int64)
    subj = np.repeat(idx, n_ass)
    j = np.arange(len(subj)) - np.repeat(np.cumsum(n_ass) - n_ass, n_ass) + 1
    day = rand[subj] + RS_ASSESSMENT_DAYS * j
    improves = rng.random(n) < 0.25
    when = rng.integers(2, 8, n)
    level = np.where(improves[subj] & (j >= when[subj]), np.maximum(s["resp"][subj] - 1, 0), s["resp"][subj])
    pd_subj = np.flatnonzero(s["pd_observed"])
    pd2_subj = np.flatnonzero(np.isfinite(s["pd2_day"]))
    entry_day = rand - np.floor(rng.uniform(1, 14, n))
    visit_names = [f"DISEASE ASSESSMENT {k}" for k in range(MAX_ASSESSMENTS + 1)]

    def block(subj, testcd, test, cat, res, day, epoch, visit, visitnum):
        m = len(subj)
        return {"_subj": subj, "_day": day, "RSTESTCD": _const(testcd, m), "RSTEST": _const(test, m),
                "RSCAT": _const(cat, m), "RSORRES": res, "RSSTRESC": res,
                "RSEVAL": _const("INVESTIGATOR", m), "VISITNUM": np.broadcast_to(np.float64(visitnum), m)
                if np.ndim(visitnum) == 0 else visitnum, "VISIT": visit, "EPOCH": epoch,
                "RSDTC": dtc(day), "RSDY": study_day(day, s["first_dose"][subj])}

    on_study_epoch = _either(day <= np.nan_to_num(s["eot_day"][subj], nan=-1), "TREATMENT", "FOLLOW-UP")
    blocks = [
        block(idx, "ISSSTAGE", "ISS Stage", "INTERNATIONAL STAGING SYSTEM",
              np.array(["I", "II", "III"], dtype=object)[s["iss"]], s["diag"], _const("SCREENING", n),
              _const("SCREENING", n), 1.0),
        block(idx, "OVRLRESP", "Overall Response", "RESPONSE AT STUDY ENTRY", RESPONSES[s["resp"]],
              entry_day, _const("SCREENING", n), _const("SCREENING", n), 1.0),
        block(subj, "OVRLRESP", "Overall Response", "ON-STUDY DISEASE ASSESSMENT", _coded(RESPONSES, level),
              day, on_study_epoch, _coded(visit_names, j), 100.0 + j),
        block(pd_subj, "OVRLRESP", "Overall Response", "ON-STUDY DISEASE ASSESSMENT",
              _const("PD", len(pd_subj)), s["pd_day"][pd_subj],
              _either(s["pd_day"][pd_subj] <= np.nan_to_num(s["eot_day"][pd_subj], nan=-1),
                      "TREATMENT", "FOLLOW-UP"), _const("UNSCHEDULED", len(pd_subj)), np.nan),
        block(pd2_subj, "OVRLRESP", "Overall Response", "PROGRESSION ON NEXT-LINE THERAPY",
              _const("PD", len(pd2_subj)), s["pd2_day"][pd2_subj], _const("FOLLOW-UP", len(pd2_subj)),
              _const("FOLLOW-UP", len(pd2_subj)), np.nan),
    ]
    if p.is_mm4:
        blocks.insert(1, block(idx, "FRAILTY", "IMWG Frailty Status", "IMWG FRAILTY",
                               _where(s["frail"], "FRAIL", "NON-FRAIL"), entry_day,
                               _const("SCREENING", n), _const("SCREENING", n), 1.0))
    head, cols = _records("RS", s, blocks)
    return make_dataset("RS", {**head, **cols})


def build_cm(s, p: Profile, rng):
    n = s["n"]
    # induction therapy (prior): a PI doublet/triplet for PI-exposed, an IMiD one otherwise
    pi = s["pi_exposed"]
    third = _pick(rng, n, ("LENALIDOMIDE", "THALIDOMIDE", "CYCLOPHOSPHAMIDE", "MELPHALAN"),
                  (0.35, 0.2, 0.25, 0.2) if p.is_mm4 else (0.45, 0.3, 0.25, 0.0))
    first_drug = _where(pi, _pick(rng, n, ("BORTEZOMIB", "CARFILZOMIB"), (0.9, 0.1)),
                        _pick(rng, n, ("LENALIDOMIDE", "THALIDOMIDE"), (0.6, 0.4)))
    third = _where(~pi & (third == first_drug), "CYCLOPHOSPHAMIDE", third)
    has_third = pi | (rng.random(n) < 0.4)
    idx = np.arange(n)
    ind_drugs = [(idx, first_drug), (idx, _const("DEXAMETHASONE", n)),
                 (idx[has_third], third[has_third])]
    ind_prec = partial_precision(rng, n, 0.10, 0.03)
    klass = {d: c for c, (drugs, _) in DRUGS.items() for d in drugs}
    blocks = []
    for subj, drug in ind_drugs:
        m = len(subj)
        blocks.append(_cm_block(s, subj, drug, _looked_up(drug, klass),
                                "PRIOR ANTI-MYELOMA THERAPY", "INDUCTION", _const(np.nan, m),
                                s["ind_start"][subj], s["ind_end"][subj], ind_prec[subj], ind_prec[subj],
                                "SCREENING"))
    # subsequent lines: one record per (subject, line, class)
    starts, ends = s["line_start"], s["line_end"]
    line_prec_1 = partial_precision(rng, n, 0.06, 0.01)
    line_prec_later = partial_precision(rng, n * MAX_LINES, 0.10, 0.03).reshape(n, MAX_LINES)
    start_prec = line_prec_later.copy()
    start_prec[:, 0] = line_prec_1
    end_prec = partial_precision(rng, n * MAX_LINES, 0.05, 0.0).reshape(n, MAX_LINES)
    for c in THERAPY_CLASSES + ("OTHER",):
        subj, line = np.nonzero(s["line_content"][c])
        drugs, probs = DRUGS[c]
        drug = _pick(rng, len(subj), drugs, probs)
        blocks.append(_cm_block(s, subj, drug, _const(c, len(subj)), "SUBSEQUENT ANTI-MYELOMA THERAPY",
                                np.nan,
                                np.array([f"LINE {k}" for k in range(1, MAX_LINES + 1)], dtype=object)[line],
                                starts[subj, line], ends[subj, line], start_prec[subj, line],
                                end_prec[subj, line], "FOLLOW-UP"))
    head, cols = _records("CM", s, blocks, sort_keys=("_day", "_rank"))
    return make_dataset("CM", {**head, **cols})


def _cm_block(s, subj, drug, klass, cat, scat, grpid, start, end, sprec, eprec, epoch):
    m = len(subj)
    route = _looked_up(drug, ROUTES)
    return {"_subj": subj, "_day": start, "_rank": np.arange(m, dtype=float),
            "CMGRPID": grpid, "CMTRT": drug, "CMDECOD": drug, "CMCAT": _const(cat, m),
            "CMSCAT": scat if isinstance(scat, np.ndarray) else _const(scat, m),
            "CMCLAS": klass, "CMINDC": _const("MULTIPLE MYELOMA", m), "CMROUTE": route,
            "EPOCH": _const(epoch, m), "CMSTDTC": dtc(start, sprec), "CMENDTC": dtc(end, eprec),
            "CMSTDY": study_day(np.where(sprec == DAY, start, np.nan), s["first_dose"][subj]),
            "CMENDY": study_day(np.where(eprec == DAY, end, np.nan), s["first_dose"][subj])}


def build_pr(s, p: Profile, rng):
    n = s["n"]
    return make_dataset("PR", {
        "STUDYID": _const(p.studyid, n), "DOMAIN": _const("PR", n), "USUBJID": s["usubjid"],
        "PRSEQ": np.ones(n), "PRTRT": _const("AUTOLOGOUS STEM CELL TRANSPLANT", n),
        "PRDECOD": _const("AUTOLOGOUS HAEMATOPOIETIC STEM CELL TRANSPLANT", n),
        "PRCAT": _const("PRIOR ANTI-MYELOMA PROCEDURE", n), "EPOCH": _const("SCREENING", n),
        "PRSTDTC": dtc(s["asct"]), "PRSTDY": study_day(s["asct"], s["first_dose"]),
    })


def build_mh(s, p: Profile, rng):
    n = s["n"]
    prec = partial_precision(rng, n, 0.10, 0.0)
    return make_dataset("MH", {
        "STUDYID": _const(p.studyid, n), "DOMAIN": _const("MH", n), "USUBJID": s["usubjid"],
        "MHSEQ": np.ones(n), "MHTERM": _const("MULTIPLE MYELOMA", n),
        "MHDECOD": _const("PLASMA CELL MYELOMA", n), "MHCAT": _const("PRIMARY DIAGNOSIS", n),
        "EPOCH": _const("SCREENING", n), "MHSTDTC": dtc(s["diag"], prec),
    })


def build_lb(s, p: Profile, rng):
    n = s["n"]
    idx = np.arange(n)
    hr = s["high_risk"]
    tests = (("DEL17P", "Deletion 17p"), ("T4_14", "Translocation t(4;14)"),
             ("T14_16", "Translocation t(14;16)"))
    blocks = []
    for k, (cd, name) in enumerate(tests):
        pos = hr & ((s["cyto_main"] == k) | (s["cyto_second"] == k))
        blocks.append(_lb_block(s, idx, cd, name, "CYTOGENETICS", "FISH",
                                _where(pos, "POSITIVE", "NEGATIVE"), s["diag"] + 7))
    tested = np.flatnonzero(s["mrd"] > 0)
    mrd_res = np.array(["", "POSITIVE", "NEGATIVE", "INDETERMINATE"], dtype=object)[s["mrd"][tested]]
    mrd_day = s["rand"][tested] - np.floor(rng.uniform(3, 20, len(tested)))
    blocks.append(_lb_block(s, tested, "MRD", "Minimal Residual Disease", "MINIMAL RESIDUAL DISEASE",
                            "FLOW CYTOMETRY", mrd_res, mrd_day))
    head, cols = _records("LB", s, blocks)
    return make_dataset("LB", {**head, **cols})


def _lb_block(s, subj, testcd, test, cat, method, res, day):
    m = len(subj)
    return {"_subj": subj, "_day": day, "LBTESTCD": _const(testcd, m), "LBTEST": _const(test, m),
            "LBCAT": _const(cat, m), "LBORRES": res, "LBORRESU": _const(np.nan, m), "LBSTRESC": res,
            "LBSTRESN": np.full(m, np.nan), "LBSTRESU": _const(np.nan, m),
            "LBSPEC": _const("BONE MARROW", m), "LBMETHOD": _const(method, m),
            "LBBLFL": _const("Y", m), "VISITNUM": np.ones(m), "VISIT": _const("SCREENING", m),
            "EPOCH": _const("SCREENING", m), "LBDTC": dtc(day),
            "LBDY": study_day(day, s["first_dose"][subj])}


def build_ss(s, p: Profile, rng):
    n = s["n"]
    dead = s["dead"]
    day = s["status_day"]                             # fixed with DM (RFPENDTC)
    status = _where(dead, "DEAD", "ALIVE")
    return make_dataset("SS", {
        "STUDYID": _const(p.studyid, n), "DOMAIN": _const("SS", n), "USUBJID": s["usubjid"],
        "SSSEQ": np.ones(n), "SSTESTCD": _const("SURVSTAT", n), "SSTEST": _const("Survival Status", n),
        "SSORRES": status, "SSSTRESC": status, "EPOCH": _const("FOLLOW-UP", n), "SSDTC": dtc(day),
        "SSDY": study_day(day, s["first_dose"]),
    })


def build_ae(s, p: Profile, rng):
    blocks = []
    npm = np.flatnonzero(s["npm"] > 0)
    heme = s["npm"][npm] == 2
    term = _where(heme, _pick(rng, len(npm), NPM_TERMS["HEMATOLOGIC"]),
                  _pick(rng, len(npm), NPM_TERMS["NON-HEMATOLOGIC"]))
    day = s["npm_day"][npm]
    on_tx = day <= s["last_dose"][npm]
    blocks.append(_ae_block(s, npm, term, _const(NPM_SOC, len(npm)), "NEW PRIMARY MALIGNANCY",
                            _where(heme, "HEMATOLOGIC", "NON-HEMATOLOGIC"), "Y", "3",
                            _where(on_tx, "DOSE NOT CHANGED", "NOT APPLICABLE"), "NOT RECOVERED/NOT RESOLVED",
                            day, np.full(len(npm), np.nan)))
    fatal = np.flatnonzero(s["on_tx_death"])
    k = rng.integers(0, len(FATAL_AES), len(fatal))
    fterm = np.array([t for t, _ in FATAL_AES], dtype=object)[k]
    fsoc = np.array([b for _, b in FATAL_AES], dtype=object)[k]
    death = s["death_day"][fatal]
    blocks.append(_ae_block(s, fatal, fterm, fsoc, np.nan, np.nan, "Y", "5",
                            _const("DRUG WITHDRAWN", len(fatal)), "FATAL",
                            np.maximum(death - np.floor(rng.uniform(1, 10, len(fatal))),
                                       s["first_dose"][fatal]), death))   # never before the first dose
    disc = np.flatnonzero((s["eot_reason"] == 2) & ~s["on_tx_death"])
    k = rng.integers(0, len(DISC_AES), len(disc))
    dterm = np.array([t for t, _ in DISC_AES], dtype=object)[k]
    dsoc = np.array([b for _, b in DISC_AES], dtype=object)[k]
    start = np.maximum(s["eot_day"][disc] - np.floor(rng.uniform(1, 20, len(disc))), s["first_dose"][disc])
    blocks.append(_ae_block(s, disc, dterm, dsoc, np.nan, np.nan, "N", "3",
                            _const("DRUG WITHDRAWN", len(disc)), "RECOVERED/RESOLVED", start,
                            start + np.floor(rng.uniform(5, 60, len(disc)))))
    head, cols = _records("AE", s, blocks)
    return make_dataset("AE", {**head, **cols})


def _ae_block(s, subj, term, soc, cat, scat, ser, grade, acn, out, start, end):
    m = len(subj)
    fatal = out == "FATAL"
    return {"_subj": subj, "_day": start, "AETERM": term, "AEDECOD": term, "AEBODSYS": soc,
            "AECAT": _const(cat, m), "AESCAT": scat if isinstance(scat, np.ndarray) else _const(scat, m),
            "AESER": _const(ser, m), "AETOXGR": _const(grade, m), "AEACN": acn,
            "AEREL": _const("NOT RELATED" if cat == "NEW PRIMARY MALIGNANCY" else "RELATED", m),
            "AEOUT": _const(out, m), "AESDTH": _const("Y" if fatal else "N", m),
            "EPOCH": _where(start <= s["last_dose"][subj], "TREATMENT", "FOLLOW-UP"),
            "AESTDTC": dtc(start), "AEENDTC": dtc(end), "AESTDY": study_day(start, s["first_dose"][subj]),
            "AEENDY": study_day(end, s["first_dose"][subj])}


def build_ts(s, p: Profile, rng):
    rows = [
        ("TITLE", "Trial Title", p.title), ("SPONSOR", "Clinical Study Sponsor", "SYNTHETIC (ADAMANT)"),
        ("TPHASE", "Trial Phase Classification", "PHASE III TRIAL"),
        ("STYPE", "Study Type", "INTERVENTIONAL"), ("RANDOM", "Trial is Randomized", "Y"),
        ("RANDQT", "Randomization Quotient", "0.6"), ("TBLIND", "Trial Blinding Schema", "DOUBLE BLIND"),
        ("TCNTRL", "Control Type", "PLACEBO"), ("INDIC", "Trial Disease/Condition Indication",
                                               f"NEWLY DIAGNOSED MULTIPLE MYELOMA, {p.population}"),
        ("TRT", "Investigational Therapy or Treatment", "IXAZOMIB"),
        ("PLANSUB", "Planned Number of Subjects", str(s["n"])),
        ("STRATFCT", "Stratification Factor", "INDUCTION REGIMEN (PI-EXPOSED VS PI-NAIVE)"),
        ("STRATFCT", "Stratification Factor", "PRE-INDUCTION ISS STAGE (I VS II OR III)"),
        ("STRATFCT", "Stratification Factor", "AGE AT RANDOMIZATION (<75 VS >=75)" if p.is_mm4
         else "RESPONSE AFTER ASCT (CR VS VGPR VS PR)"),
        *([("STRATFCT", "Stratification Factor", "RESPONSE BEFORE RANDOMIZATION (CR OR VGPR VS PR)")]
          if p.is_mm4 else []),
        ("DCUTDTC", "Data Cutoff Date", p.cutoff),
        ("DCUTDESC", "Data Cutoff Description", "FINAL OVERALL SURVIVAL ANALYSIS"),
        ("SSTDTC", "Study Start Date", p.accrual[0]),
    ]
    m = len(rows)
    parm_code = np.unique([r[0] for r in rows], return_inverse=True)[1]
    seq = rank_within(parm_code, np.arange(m, dtype=float)) + 1.0
    return make_dataset("TS", {
        "STUDYID": _const(p.studyid, m), "DOMAIN": _const("TS", m), "TSSEQ": seq,
        "TSPARMCD": np.array([r[0] for r in rows], dtype=object),
        "TSPARM": np.array([r[1] for r in rows], dtype=object),
        "TSVAL": np.array([r[2] for r in rows], dtype=object),
        "TSVALCD": _const(np.nan, m), "TSVCDREF": _const(np.nan, m), "TSVCDVER": _const(np.nan, m),
    })
