"""Forest plot of the hazard ratio by subgroup (e.g. OS-SUBGROUP): per ``subgroup_var``
a heading with the interaction p-value (``cox`` ``p_interaction``, ``subgroup`` empty),
then per level n / events per arm (``km``) and HR (95% CI) (``cox``; NE when empty).
Optional spec key ``overall_analysis_id`` adds an 'All patients' line from that analysis;
``exploratory`` lists the subgroup variables that were not prespecified: their headings say
"(exploratory)" and a footnote names them, their interaction p-values descriptive."""

from __future__ import annotations

import numpy as np

from adam.errors import UsageError
from reports import fmt, select
from reports.figures.forest import ForestRow, forest_plot
from reports.model import Display, Row, Table
from reports.programs.common import analysis_label, contrast_of, favours, variable_label


def _line(rows, arms, contrast, label, indent, bold=False, **keys) -> ForestRow:
    counts = [select.stats(rows, method="km", group=arm, **keys) for arm in arms]
    cox = select.stats(rows, method="cox", group=contrast, **keys)
    hr, lcl, ucl = (cox.get(k, np.nan) for k in ("hr", "hr_lcl", "hr_ucl"))
    cells = [f"{fmt.count(c.get('n'))} / {fmt.count(c.get('n_events'))}" if c else "" for c in counts]
    return ForestRow(left=[label] + cells, right=[fmt.hr_ci(hr, lcl, ucl), ""],
                     hr=hr, lcl=lcl, ucl=ucl, indent=indent, bold=bold)


def build(ard, study, spec: dict) -> Display:
    rows = select.analysis(ard, spec["analysis_id"], spec["id"])
    arms = select.arms(rows, "km")
    contrast = contrast_of(rows, spec) or " vs ".join(arms[:2])
    lines: list[ForestRow] = []
    if spec.get("overall_analysis_id"):
        overall = select.analysis(ard, spec["overall_analysis_id"], spec["id"])
        lines.append(_line(overall[overall["subgroup_var"] == ""], arms, contrast, "All patients",
                           0, bold=True, subgroup_var=""))
    exploratory = [str(v) for v in spec.get("exploratory", [])]
    levels_of = select.subgroup_levels(rows)
    unknown = sorted(set(exploratory) - {var for var, _ in levels_of})
    if unknown:
        raise UsageError(f"output {spec['id']}: exploratory names variables without subgroups "
                         f"in analysis {spec['analysis_id']}: {', '.join(unknown)}")
    for var, levels in levels_of:
        p_int = select.stats(rows, method="cox", subgroup_var=var, subgroup="").get("p_interaction")
        heading = variable_label(spec, var, study) + (" (exploratory)" if var in exploratory else "")
        lines.append(ForestRow(left=[heading] + [""] * len(arms),
                               right=["", fmt.p_value(p_int)], bold=True))
        lines += [_line(rows, arms, contrast, level, 1, subgroup_var=var, subgroup=level) for level in levels]
    label = analysis_label(rows, spec["analysis_id"])
    figure = forest_plot(lines, left_headers=["Subgroup"] + [f"{a}\nn / events" for a in arms],
                         right_headers=["HR (95% CI)", "Interaction\np"], favours=favours(contrast),
                         left_widths=[2.7] + [1.5] * len(arms), right_widths=[2.4, 1.3],
                         alt=f"Forest plot of the hazard ratio by subgroup: {label}")
    table = Table(columns=["Subgroup"] + [f"{a}: n / events" for a in arms] + ["HR (95% CI)", "Interaction p"],
                  rows=[Row(line.left + line.right, indent=line.indent, bold=line.bold) for line in lines],
                  widths=[3.0] + [1.4] * len(arms) + [2.0, 1.1])
    notes = [f"Hazard ratio {contrast} from a Cox model within each subgroup; HR < 1 favours "
             f"{contrast.partition(' vs ')[0]}. NE: not estimable.",
             "Interaction p-value: test of treatment-by-subgroup interaction."]
    if exploratory:
        names = ", ".join(variable_label(spec, v, study) for v in exploratory)
        notes.append(f"Exploratory subgroups (not prespecified): {names}; their interaction p-values "
                     "are descriptive.")
    return Display(tables=[table], figure=figure, footnotes=notes, landscape=True)
