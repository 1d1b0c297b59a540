"""Kaplan-Meier figure with its summary table, from one time-to-event analysis.

Reads per arm the ``km`` rows (n, n_events, n_censored, median + CI, surv/n_risk at
timepoints) and the ``km-curve`` rows (surv and n_censor at each distinct time; optional
surv_lcl/surv_ucl for bands); the contrast rows ``cox`` (hr, hr_lcl, hr_ucl) and
``logrank`` (p_value, stratified when its options name strata) and, when present, ``zph``
(p_value: a footnote on proportional hazards). ARD times are days,
shown in months (spec ``time_unit`` may say 'days'). Works for any number of arms (e.g.
the CDISC pilot's three-arm TTDE).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from adam.ard import parse_options
from adam.errors import UsageError
from reports import fmt, select
from reports.figures.km import Curve, km_plot
from reports.model import Display, Row, Table
from reports.programs.common import (SURVIVAL_LABELS, analysis_label, arm_headers, contrasts_notes,
                                     endpoint_notes, strata_text,
                                     contrasts_of, logrank_tests)

CURVE_METHOD = "km-curve"
#: the ``transform`` of ``zph`` rows in words
PH_TRANSFORMS = {"km": "Kaplan-Meier", "rank": "rank of the times", "identity": "time",
                 "log": "log time"}


def _curve(rows: pd.DataFrame, arm: str, unit: str) -> Curve:
    keys = {"method": CURVE_METHOD, "group": arm}
    surv = select.by_timepoint(rows, "surv", **keys)
    cens = select.by_timepoint(rows, "n_censor", **keys).reindex(surv.index, fill_value=0)
    lcl = select.by_timepoint(rows, "surv_lcl", **keys).reindex(surv.index)
    ucl = select.by_timepoint(rows, "surv_ucl", **keys).reindex(surv.index)
    bands = len(surv) > 0 and lcl.notna().all() and ucl.notna().all()
    return Curve(label=arm, time=fmt.in_unit(surv.index.to_numpy(float), unit),
                 surv=surv.to_numpy(float), censored=cens.fillna(0).to_numpy(float) > 0,
                 lcl=lcl.to_numpy(float) if bands else None,
                 ucl=ucl.to_numpy(float) if bands else None)


def _risk(rows: pd.DataFrame, arms: list[str], unit: str) -> tuple[list[float], dict[str, list[str]]]:
    """Risk-table times (in ``unit``, as labelled: the ``n_risk`` rows flagged ``risk_table=Y``,
    else every ``n_risk`` time) and formatted n at risk per arm, up to the
    last time with a patient at risk in some arm (the axis then ends with the curves)."""
    km = rows[(rows["method"] == "km") & (rows["stat_name"] == "n_risk") & rows["timepoint"].notna()]
    table_rows = km["options"].map(lambda o: parse_options(o).get("risk_table") == "Y")
    if table_rows.any():             # the analysis's risk-table times, not its KM-estimate times
        km = km[table_rows]
    days = np.sort(pd.unique(km["timepoint"]))
    at_risk = km.groupby("timepoint")["stat_value"].max().reindex(days).fillna(0).to_numpy() > 0
    if at_risk.any():
        days = days[: int(np.flatnonzero(at_risk)[-1]) + 1]
    table = {arm: [fmt.count(v) for v in select.by_timepoint(km, "n_risk", group=arm).reindex(days)]
             for arm in arms}
    return [float(fmt.fixed(t, 1)) for t in fmt.in_unit(days, unit)], table


def _ci_method(rows: pd.DataFrame) -> str:
    km = rows.loc[rows["method"] == "km", "options"]
    conf = parse_options(km.iloc[0]).get("conf_type") if len(km) else None
    return f"; 95% CIs with the {conf} transformation (Brookmeyer-Crowley for the median)" if conf else ""


def _landmarks(rows: pd.DataFrame, arms: list[str], unit: str) -> list[Row]:
    """Kaplan-Meier estimate (%) with CI at each ``surv`` timepoint > 0 of the ``km`` rows."""
    km = rows[(rows["method"] == "km") & rows["timepoint"].notna()]
    out = []
    for day in np.sort(pd.unique(km.loc[km["stat_name"] == "surv", "timepoint"])):
        if day <= 0:
            continue
        cells = []
        for arm in arms:
            s = select.stats(km, group=arm, timepoint=day)
            cells.append(fmt.estimate_ci(*(100 * s.get(k, np.nan) for k in ("surv", "surv_lcl", "surv_ucl"))))
        out.append(Row([f"Kaplan-Meier estimate at {fmt.amount(fmt.fixed(fmt.in_unit(day, unit), 0), unit)} (95% CI), %"]
                       + cells))
    return out


def _contrast_rows(rows: pd.DataFrame, spec: dict, arms: list[str]) -> tuple[list[Row], list[str]]:
    """Table rows (value in the column of the first arm of each contrast) and figure-note
    lines for the hazard ratios and log-rank tests."""
    lines: dict[str, list[str]] = {}       # label -> cells; contrasts vs the same arm share a line
    note = []
    contrasts = contrasts_of(rows, spec)
    column = {arm: i for i, arm in enumerate(arms)}

    def line(label: str, first_arm: str, text: str) -> None:
        lines.setdefault(label, [""] * len(arms))[column.get(first_arm, 0)] = text

    width = max(map(len, arms), default=0)
    for contrast in contrasts:
        arm, _, ref = contrast.partition(" vs ")
        st = select.stats(rows, method="cox", group=contrast)
        text = fmt.hr_ci(st.get("hr"), st.get("hr_lcl"), st.get("hr_ucl"))
        line(f"Hazard ratio (95% CI) vs {ref}", arm, text)
        if len(contrasts) == 1:
            note.append(f"HR (95% CI): {text}")
        else:
            if f"HR (95% CI) vs {ref}" not in note:
                note.append(f"HR (95% CI) vs {ref}")
            note.append(f"  {arm:<{width}}  {text}")
    tests = logrank_tests(rows) if spec.get("p_values", True) else []
    for test in tests:
        arm, _, ref = test.group.partition(" vs ")
        label = f"{test.label} (all arms)" if test.global_test else f"{test.label} vs {ref}"
        line(label, arm, fmt.p_value(test.p))
    headline = next((t for t in tests if t.global_test), tests[0] if tests else None)
    if headline is not None:
        p_text = fmt.p_value(headline.p)
        label = headline.label + (" (all arms)" if headline.global_test else "")
        note.append(f"{label} {p_text if p_text.startswith('<') else '= ' + p_text}")
    return [Row([label] + cells) for label, cells in lines.items()], note


def _ph_note(rows: pd.DataFrame) -> list[str]:
    """The Grambsch-Therneau test of proportional hazards of the Cox model(s), from the
    ``zph`` rows (one line; the contrast named when there are several)."""
    zph = rows[(rows["method"] == "zph") & (rows["stat_name"] == "p_value")]
    if zph.empty:
        return []
    several = len(zph) > 1
    texts = [fmt.p_value(p) or "NE" for p in zph["stat_value"]]
    tests = [("p " if text.startswith("<") else "p = ") + text + (f" ({group})" if several else "")
             for group, text in zip(zph["group"], texts)]
    transform = parse_options(zph["options"].iloc[0]).get("transform", "km")
    return [f"Proportional hazards: Grambsch-Therneau test {'; '.join(tests)} "
            f"(transform: {PH_TRANSFORMS.get(transform, transform)})."]


def build(ard, study, spec: dict) -> Display:
    unit = spec.get("time_unit", "months")
    if unit not in fmt.TIME_UNITS:
        raise UsageError(f"output {spec['id']}: time_unit must be one of {', '.join(fmt.TIME_UNITS)}")
    rows = select.analysis(ard, spec["analysis_id"], spec["id"])
    rows = rows[rows["subgroup_var"] == ""]
    arms = select.arms(rows, "km")
    per_arm = {arm: select.stats(rows, method="km", group=arm) for arm in arms}
    medians = {arm: fmt.median_ci_months(s.get("median"), s.get("median_lcl"), s.get("median_ucl"), unit)
               for arm, s in per_arm.items()}
    contrast_rows, contrast_note = _contrast_rows(rows, spec, arms)

    width = max(map(len, arms), default=0)
    note = [f"Median (95% CI), {unit}"] + [f"  {arm:<{width}}  {medians[arm]}" for arm in arms]
    label = analysis_label(rows, spec["analysis_id"])
    paramcd = next((p for p in rows["paramcd"] if p), "")
    risk_times, n_risk = _risk(rows, arms, unit)
    figure = km_plot([_curve(rows, arm, unit) for arm in arms], risk_times=risk_times, n_risk=n_risk,
                     annotation=note + contrast_note, xlabel=f"Time ({unit})",
                     ylabel=spec.get("ylabel", SURVIVAL_LABELS.get(paramcd, "Event-free probability")),
                     alt=f"Kaplan-Meier plot: {label}")

    body = [Row(["Patients with event, n"] + [fmt.count(per_arm[a].get("n_events")) for a in arms]),
            Row(["Patients censored, n"] + [fmt.count(per_arm[a].get("n_censored")) for a in arms]),
            Row([f"Median (95% CI), {unit}"] + [medians[a] for a in arms])]
    body += _landmarks(rows, arms, unit) + contrast_rows
    table = Table(columns=[label] + arm_headers(rows, arms, "km", "n"), rows=body,
                  caption="Summary of the Kaplan-Meier analysis")
    notes = [("Time in months = days / 30.4375. " if unit == "months" else "")
             + "NR: not reached; NE: not estimable.",
             "Vertical ticks mark censored observations. Medians and rates at fixed times are "
             "Kaplan-Meier estimates" + _ci_method(rows) + "."]
    if any(r.cells[0].startswith("Hazard ratio") for r in contrast_rows):
        ties = next((parse_options(o).get("ties") for o in rows.loc[rows["method"] == "cox", "options"]
                     if parse_options(o).get("ties")), "")
        notes.append(f"Hazard ratio from a Cox model {strata_text(rows, study, spec)}"
                     + (f", {ties.capitalize()} method for ties" if ties else "")
                     + ", shown in the column of the arm compared; HR < 1 favours that arm.")
    if spec.get("p_values", True) and (rows["method"] == "logrank").any():
        notes.append(f"p-value: log-rank test {strata_text(rows, study, spec, 'logrank')}.")
    if spec.get("p_values", True):
        notes += _ph_note(rows)
    elif not spec.get("p_values", True):
        notes.append("No p-value is shown: the patients were selected on a characteristic observed "
                     "after randomization, so the comparison is descriptive.")
    notes += endpoint_notes(study, [paramcd])
    notes += contrasts_notes(rows)
    return Display(tables=[table], figure=figure, footnotes=notes, landscape=True)
