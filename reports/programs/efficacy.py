"""Efficacy summary table: for each analysis (spec ``analysis_ids``, default every
analysis with ``km`` or contrast rows, in ARD order) events / N and median (95% CI) per
arm, the hazard ratio (95% CI) of each contrast method (cox, ipcw, msm), the log-rank
p-value and, when present, median follow-up (reverse KM). Spec ``p_values``: ``false`` shows
no p-value, a list of analysis ids shows the p-values of those analyses only (e.g. the
prespecified ones, leaving out analyses of patients selected after randomization); a
footnote names the analyses shown without one."""

from __future__ import annotations

import pandas as pd

from reports import fmt, select
from reports.model import Display, Row, Table
from adam.ard import parse_options
from adam.errors import UsageError
from reports.programs.common import (analysis_label, arm_headers, contrasts_notes, endpoint_notes,
                                     logrank_tests, strata_text, words)

METHOD_LABELS = {"cox": "Cox", "ipcw": "IPCW", "msm": "MSM"}


def _method_note(rows: pd.DataFrame, method: str, study, spec: dict) -> str:
    """How the hazard ratios of ``method`` were estimated, from the ARD ``options``."""
    m = rows[rows["method"] == method]
    opts = next((parse_options(o) for o in m["options"] if o), {})
    strata = strata_text(m, study, spec, method)
    if method == "cox":
        ties = f", {opts['ties'].capitalize()} ties" if opts.get("ties") else ""
        return f"Cox model {strata}{ties}"
    n_boot = int(float(opts.get("n_boot", 0) or 0))
    seed = f", random seed {opts['seed']}" if opts.get("seed") else ""
    ci = (f"95% CI from {n_boot} bootstrap replicates (patients resampled{seed})" if n_boot
          else "95% CI from the robust (sandwich) variance")
    period = f" over {opts['period_months']}-month periods" if opts.get("period_months") else ""
    if method == "ipcw":
        return (f"{strata} Cox model with inverse probability of censoring weights (patients censored "
                f"at the start of next-line therapy, weights from pooled logistic models of switching"
                f"{period}); {ci}")
    return (f"{strata} marginal structural Cox model with stabilised time-varying weights (pooled "
            f"logistic models{period}); {ci}")


def _hr_note(rows: pd.DataFrame, study=None, spec: dict | None = None) -> str:
    """Footnote naming only the hazard-ratio methods the table shows, as the ARD says they
    were fitted (strata, ties, bootstrap replicates)."""
    shown = [m for m in select.CONTRAST_METHODS if (rows["method"] == m).any()]
    methods = "; ".join(f"{METHOD_LABELS[m]}: {_method_note(rows, m, study, spec or {})}" for m in shown)
    return (f"HR: hazard ratio of the first arm named versus the second ({methods}); "
            "p-value of an HR row: Wald test of that model.")


def _default_ids(ard: pd.DataFrame) -> list[str]:
    wanted = ard["method"].isin(("km",) + select.CONTRAST_METHODS) & (ard["subgroup_var"] == "")
    return list(pd.unique(ard.loc[wanted, "analysis_id"]))


def _analysis_rows(rows: pd.DataFrame, arms: list[str], label: str, p_values: bool = True) -> list[Row]:
    rows = rows[rows["subgroup_var"] == ""]
    out = [Row([label] + [""] * (len(arms) + 2), bold=True)]
    per_arm = [select.stats(rows, method="km", group=a) for a in arms]
    if any(per_arm):
        out.append(Row(["Events / N"] + [f"{fmt.count(s.get('n_events'))} / {fmt.count(s.get('n'))}"
                                         if s else "" for s in per_arm] + ["", ""], indent=1))
        out.append(Row(["Median (95% CI), months"]
                       + [fmt.median_ci_months(s.get("median"), s.get("median_lcl"), s.get("median_ucl"))
                          if s else "" for s in per_arm] + ["", ""], indent=1))
    for method in select.CONTRAST_METHODS:
        for contrast in select.contrasts(rows, method):
            st = select.stats(rows, method=method, group=contrast)
            p = fmt.p_value(st.get("p_value")) if p_values else ""
            if p_values and not p and fmt.is_missing(st.get("hr")):  # HR not estimable: no Wald p
                p = fmt.NOT_ESTIMABLE
            out.append(Row([f"{METHOD_LABELS[method]} HR, {contrast}"] + [""] * len(arms)
                           + [fmt.hr_ci(st.get("hr"), st.get("hr_lcl"), st.get("hr_ucl")), p],
                           indent=1))
    for test in logrank_tests(rows) if p_values else []:
        suffix = " (all arms)" if test.global_test else f", {test.group}"
        out.append(Row([test.label + suffix] + [""] * (len(arms) + 1) + [fmt.p_value(test.p)], indent=1))
    follow = [select.stats(rows, method="revkm", group=a) for a in arms]
    if any(follow):
        out.append(Row(["Median follow-up (95% CI), months"]
                       + [fmt.estimate_ci(fmt.months(s.get("median_fu", float("nan"))),
                                          fmt.months(s.get("median_fu_lcl", float("nan"))),
                                          fmt.months(s.get("median_fu_ucl", float("nan"))))
                          for s in follow] + ["", ""], indent=1))
    return out


def _lower_first(label: str) -> str:
    """'Overall survival, ...' -> 'overall survival, ...'; an acronym ('PFS2 ...') stays."""
    return label[0].lower() + label[1:] if label[1:2].islower() else label


def _with_p(spec: dict, ids: list[str]) -> list[bool]:
    """Per analysis: are its p-values shown (spec ``p_values``: bool or analysis ids)?"""
    shown = spec.get("p_values", True)
    if isinstance(shown, bool):
        return [shown] * len(ids)
    unknown = sorted(set(map(str, shown)) - set(ids))
    if unknown:
        raise UsageError(f"output {spec['id']}: p_values names analyses it does not list: {', '.join(unknown)}")
    return [i in shown for i in ids]


def build(ard, study, spec: dict) -> Display:
    ids = spec.get("analysis_ids") or _default_ids(ard)
    parts = [select.analysis(ard, i, spec["id"]) for i in ids]
    arms = list(dict.fromkeys(a for p in parts for a in select.arms(p, "km")))
    with_p = _with_p(spec, ids)
    labels = [analysis_label(p, i) for i, p in zip(ids, parts)]
    body = [row for p, label, show in zip(parts, labels, with_p)
            for row in _analysis_rows(p, arms, label, show)]
    first_km = next((p for p in parts if (p["method"] == "km").any()), parts[0])
    table = Table(columns=["Endpoint"] + arm_headers(first_km, arms, "km", "n")
                  + ["HR (95% CI)", "p-value"], rows=body, widths=[3.2] + [1.6] * len(arms) + [1.7, 0.8])
    notes = [f"Time in months = days / {fmt.DAYS_PER_MONTH}. NR: not reached; NE: not estimable.",
             "N in the column headers: patients in the first analysis listed; Events / N per endpoint "
             "use the patients of that analysis.",
             _hr_note(pd.concat(parts), study, spec)] + contrasts_notes(pd.concat(parts))
    without_p = [label for label, show in zip(labels, with_p) if not show]
    if without_p and any(with_p):
        notes.append(f"No p-value is given for {words([_lower_first(label) for label in without_p])}: not prespecified for testing; "
                     "hazard ratios are descriptive.")
    notes += endpoint_notes(study, [p for part in parts for p in part["paramcd"] if p])
    return Display(tables=[table], footnotes=notes, landscape=True)
