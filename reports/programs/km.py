"""Kaplan-Meier figure with its summary table, from one time-to-event analysis.

Reads per arm the ``km`` rows (n, n_events, n_censored, median + CI, surv/n_risk at
timepoints) and the ``km-curve`` rows (surv and n_censor at each distinct time; optional
surv_lcl/surv_ucl for bands); the contrast rows ``cox`` (hr, hr_lcl, hr_ucl) and
``logrank`` (p_value, stratified when its options name strata). Times in days are shown
in months. Works for any number of arms (e.g. the CDISC pilot's three-arm TTDE).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from adam.ard import parse_options
from reports import fmt, select
from reports.figures.km import Curve, km_plot
from reports.model import Display, Row, Table
from reports.programs.common import analysis_label, arm_headers, contrast_of, logrank_p

CURVE_METHOD = "km-curve"


def _curve(rows: pd.DataFrame, arm: str) -> Curve:
    keys = {"method": CURVE_METHOD, "group": arm}
    surv = select.by_timepoint(rows, "surv", **keys)
    cens = select.by_timepoint(rows, "n_censor", **keys).reindex(surv.index, fill_value=0)
    lcl = select.by_timepoint(rows, "surv_lcl", **keys)
    ucl = select.by_timepoint(rows, "surv_ucl", **keys)
    bands = len(lcl) == len(surv) and len(ucl) == len(surv) and len(surv) > 0
    return Curve(label=arm, time=fmt.months(surv.index.to_numpy(float)), surv=surv.to_numpy(float),
                 censored=cens.fillna(0).to_numpy(float) > 0,
                 lcl=lcl.reindex(surv.index).to_numpy(float) if bands else None,
                 ucl=ucl.reindex(surv.index).to_numpy(float) if bands else None)


def _risk(rows: pd.DataFrame, arms: list[str]) -> tuple[list[float], dict[str, list[str]]]:
    """Risk-table times (months, as labelled) and formatted n at risk per arm."""
    km = rows[(rows["method"] == "km") & (rows["stat_name"] == "n_risk") & rows["timepoint"].notna()]
    days = np.sort(pd.unique(km["timepoint"]))
    table = {arm: [fmt.count(v) for v in select.by_timepoint(km, "n_risk", group=arm).reindex(days)]
             for arm in arms}
    return [float(fmt.fixed(m, 1)) for m in fmt.months(days)], table


def build(ard, study, spec: dict) -> Display:
    rows = select.analysis(ard, spec["analysis_id"], spec["id"])
    rows = rows[rows["subgroup_var"] == ""]
    arms = select.arms(rows, "km")
    per_arm = {arm: select.stats(rows, method="km", group=arm) for arm in arms}
    contrast = contrast_of(rows, spec)
    cox = select.stats(rows, method="cox", group=contrast) if contrast else {}
    lr_label, lr_p = logrank_p(rows)

    medians = {arm: fmt.median_ci_months(s.get("median"), s.get("median_lcl"), s.get("median_ucl"))
               for arm, s in per_arm.items()}
    width = max(len(a) for a in arms) if arms else 0
    note = ["Median (95% CI), months"] + [f"  {arm:<{width}}  {medians[arm]}" for arm in arms]
    if cox:
        note.append(f"HR (95% CI): {fmt.hr_ci(cox.get('hr'), cox.get('hr_lcl'), cox.get('hr_ucl'))}")
    if lr_label:
        note.append(f"{lr_label} = {fmt.p_value(lr_p)}")
    label = analysis_label(rows, spec["analysis_id"])
    risk_times, n_risk = _risk(rows, arms)
    figure = km_plot([_curve(rows, arm) for arm in arms], risk_times=risk_times, n_risk=n_risk,
                     annotation=note, ylabel=spec.get("ylabel", f"{label}\nprobability"),
                     alt=f"Kaplan-Meier plot: {label}")

    body = [Row(["Patients with event, n"] + [fmt.count(per_arm[a].get("n_events")) for a in arms]),
            Row(["Patients censored, n"] + [fmt.count(per_arm[a].get("n_censored")) for a in arms]),
            Row(["Median (95% CI), months"] + [medians[a] for a in arms])]
    body += _landmarks(rows, arms)
    blank = [""] * (len(arms) - 1)
    if cox:
        body.append(Row([f"Hazard ratio (95% CI), {contrast}",
                         fmt.hr_ci(cox.get("hr"), cox.get("hr_lcl"), cox.get("hr_ucl"))] + blank))
    if lr_label:
        body.append(Row([lr_label, fmt.p_value(lr_p)] + blank))
    table = Table(columns=[label] + arm_headers(rows, arms, "km", "n"), rows=body,
                  caption="Summary of the Kaplan-Meier analysis")
    notes = [f"Time in months = days / {fmt.DAYS_PER_MONTH}. NR: not reached; NE: not estimable.",
             "Vertical ticks mark censored observations. Medians and event-free rates: Kaplan-Meier "
             "estimates" + _ci_method(rows) + "."]
    if cox:
        notes.append("Hazard ratio from a Cox model; HR < 1 favours the first arm named.")
    return Display(tables=[table], figure=figure, footnotes=notes, landscape=True)


def _ci_method(rows: pd.DataFrame) -> str:
    km = rows.loc[rows["method"] == "km", "options"]
    conf = parse_options(km.iloc[0]).get("conf_type") if len(km) else None
    return f"; 95% CIs with the {conf} transformation (Brookmeyer-Crowley for the median)" if conf else ""


def _landmarks(rows: pd.DataFrame, arms: list[str]) -> list[Row]:
    """Event-free rate (%) with CI at each ``surv`` timepoint > 0 of the ``km`` rows."""
    km = rows[(rows["method"] == "km") & rows["timepoint"].notna()]
    out = []
    for day in np.sort(pd.unique(km.loc[km["stat_name"] == "surv", "timepoint"])):
        if day <= 0:
            continue
        cells = []
        for arm in arms:
            s = select.stats(km, group=arm, timepoint=day)
            cells.append(fmt.estimate_ci(100 * s.get("surv", np.nan), 100 * s.get("surv_lcl", np.nan),
                                         100 * s.get("surv_ucl", np.nan), 1))
        out.append(Row([f"Event-free rate at {fmt.fixed(fmt.months(day), 0)} months (95% CI), %"] + cells))
    return out
