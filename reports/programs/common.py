"""Labels and small helpers shared by the TLF programs (display text only)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from adam.ard import parse_options

from reports import fmt, select

POPULATIONS = {"ITT": "Intent-to-treat population", "SAF": "Safety population",
               "FAS": "Full analysis set", "PP": "Per-protocol population"}

ENDPOINTS = {"OS": "Overall survival", "PFS": "Progression-free survival",
             "PFS2": "Progression-free survival on next-line therapy (PFS2)",
             "TTNT": "Time to next-line therapy", "TTDE": "Time to first dermatologic event"}

ANALYSES = {"OS-NEXTLINE-PI": "Overall survival, next-line therapy including a PI",
            "OS-NEXTLINE-NOPI": "Overall survival, next-line therapy without a PI",
            "OS-IPCW": "Overall survival, IPCW sensitivity analysis",
            "OS-MSM": "Overall survival, marginal structural model"}

# y-axis labels of Kaplan-Meier plots by PARAMCD (override with spec 'ylabel')
SURVIVAL_LABELS = {"OS": "Probability of survival", "PFS": "Probability of progression-free survival",
                   "PFS2": "Probability of PFS2", "TTNT": "Probability of no next-line therapy",
                   "TTDE": "Probability of no dermatologic event"}

# ADSL variable labels used as row/group headings (override with spec 'labels').
VARIABLES = {"AGE": "Age, years", "AGEGR1": "Age group", "SEX": "Sex", "RACE": "Race",
             "ISSGR1": "Pre-induction ISS stage", "RESPGR1": "Response at study entry",
             "CYTOGR1": "Cytogenetic risk", "INDPIGR1": "Induction regimen",
             "MRDGR1": "MRD status at study entry", "FRAILGR1": "Frailty status",
             "STRAT1R": "Induction regimen (stratum)", "STRAT2R": "ISS stage (stratum)",
             "STRAT3R": "Response / age (stratum)", "STRAT4R": "Response (stratum)",
             "COUNTRY": "Country", "ECOG": "ECOG performance status"}


def population_label(code: str) -> str:
    return POPULATIONS.get(code, code)


def analysis_label(rows: pd.DataFrame, analysis_id: str) -> str:
    """Human name of an analysis: known analysis id, else the endpoint of its PARAMCD."""
    if analysis_id in ANALYSES:
        return ANALYSES[analysis_id]
    paramcd = next((p for p in rows["paramcd"] if p), "")
    return ENDPOINTS.get(paramcd, analysis_id)


def variable_label(spec: dict, var: str, study=None) -> str:
    """Spec ``labels``, then the study's ``labels``, then the defaults."""
    study_labels = getattr(study, "labels", None) or {}
    return spec.get("labels", {}).get(var, study_labels.get(var, VARIABLES.get(var, var)))


def words(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""


def strata_text(rows: pd.DataFrame, study, spec: dict, method: str = "cox") -> str:
    """'stratified by <the strata named by the study>' or 'unstratified', from the options
    of the ``method`` rows."""
    opts = [parse_options(o) for o in rows.loc[rows["method"] == method, "options"].drop_duplicates()]
    strata = next((o["strata"].split(",") for o in opts if o.get("strata")), [])
    if not strata:
        return "unstratified"
    return "stratified by " + words([variable_label(spec, v, study) for v in strata])


def endpoint_notes(study, paramcds) -> list[str]:
    """The study's definitions (``endpoints``) of the endpoints shown, in that order."""
    defs = getattr(study, "endpoints", None) or {}
    return [f"{p}: {defs[p]}" for p in dict.fromkeys(paramcds) if p in defs]


def arm_headers(rows: pd.DataFrame, arms: list[str], method: str, stat: str) -> list[str]:
    """``Arm (N=xx)`` headers, N = the first ``stat`` row of each arm for ``method``."""
    heads = []
    for arm in arms:
        hit = rows[(rows["group"] == arm) & (rows["method"] == method) & (rows["stat_name"] == stat)]
        heads.append(fmt.header_n(arm, hit["stat_value"].iloc[0] if len(hit) else None))
    return heads


def contrasts_of(rows: pd.DataFrame, spec: dict, method: str = "cox") -> list[str]:
    """Contrast groups (``A vs B``) of ``method`` rows; only the spec's ``contrast`` if set."""
    found = select.contrasts(rows, method)
    wanted = spec.get("contrast")
    return [c for c in found if c == wanted] if wanted else found


def contrast_of(rows: pd.DataFrame, spec: dict, method: str = "cox") -> str | None:
    found = contrasts_of(rows, spec, method)
    return found[0] if found else None


def contrasts_notes(rows: pd.DataFrame) -> list[str]:
    """Footnotes saying how the contrasts of three or more arms were fitted (the ARD
    ``options`` of the ``cox`` and ``logrank`` rows: ``contrasts=pairwise|joint``)."""
    tested = rows.loc[rows["method"].isin(("cox", "logrank")), "options"]
    kinds = {parse_options(o).get("contrasts") for o in pd.unique(tested)} - {None}
    notes = []
    if "pairwise" in kinds:
        notes.append("Three or more arms: each comparison with the reference arm (hazard ratio, "
                     "log-rank p) is fitted on the patients of its two arms only (pairwise), "
                     "not on one model of all arms.")
    if "joint" in kinds:
        notes.append("Three or more arms: hazard ratios from one Cox model of all arms (each arm "
                     "against the reference); the log-rank p of a comparison uses the patients "
                     "of its two arms only.")
    return notes


def favours(contrast: str) -> tuple[str, str]:
    """``'A vs B'`` -> ``('Favours A', 'Favours B')``."""
    left, _, right = contrast.partition(" vs ")
    return f"Favours {left}", f"Favours {right or 'reference'}"


@dataclass
class LogrankTest:
    label: str          # 'Stratified log-rank p' / 'Log-rank p'
    group: str          # 'A vs B' (pairwise) or 'A vs B vs C' (k-sample)
    p: float

    @property
    def global_test(self) -> bool:
        return self.group.count(" vs ") > 1


def logrank_tests(rows: pd.DataFrame) -> list[LogrankTest]:
    """Every log-rank test of the (whole-population) rows, in ARD order; stratified when
    its options name strata."""
    lr = rows[(rows["method"] == "logrank") & (rows["stat_name"] == "p_value") & (rows["subgroup"] == "")]
    return [LogrankTest("Stratified log-rank p" if "strata" in parse_options(opt) else "Log-rank p", grp, p)
            for grp, opt, p in zip(lr["group"], lr["options"], lr["stat_value"])]
