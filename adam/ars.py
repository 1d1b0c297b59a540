"""The ARD as a CDISC Analysis Results Standard (ARS v1.0) reporting event, in JSON.

``ard.csv`` (``shared/spec/ard.md``) stays the file the reports read; ``ars.json`` beside
it says the same in the ARS model, so that every number of a TLF points at one result:

- ``analysisSets``: the populations (``ITT`` -> ADSL.ITTFL EQ Y ...);
- ``dataSubsets``: the parameter of each analysis (ADTTE.PARAMCD EQ OS);
- ``analysisGroupings``: the treatment variable of the per-arm rows (one group per arm),
  the contrasts (``A vs B``), each subgroup variable (one group per level) and the
  time points (one group per ``timepoint``);
- ``methods``: one per ARD ``method`` and ``options`` (km with its CI type, stratified
  log-rank, Cox with its ties ...), each with one ``operation`` per statistic it gives
  (``n``, ``median``, ``hr``...), the options as the method's code template parameters;
- ``analyses``: one per ARD ``analysis_id`` x ``method`` x ``options`` (population,
  dataset, variable, method, groupings) with its ``results``: one per ARD row
  (``operationId`` = the statistic, ``resultGroups`` = its arm / contrast / subgroup
  level / time point, ``rawValue`` the ``repr``-exact number, empty when not estimable);
- ``outputs`` and the ``mainListOfContents``: each TLF of the study with the analyses
  it shows.

:func:`read_ars` turns the JSON back into the ARD frame (:func:`adam.ard.ard_frame`).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from adam.ard import COLUMNS, STAT_NAMES, ard_frame, parse_options

METHOD_NAMES = {
    "km": "Kaplan-Meier estimates (R survival::survfit)",
    "km-curve": "Kaplan-Meier curve (R survival::survfit)",
    "logrank": "Log-rank test (R survival::survdiff)",
    "cox": "Cox proportional hazards model (R survival::coxph)",
    "zph": "Grambsch-Therneau test of proportional hazards (R survival::cox.zph, GLOBAL)",
    "revkm": "Median follow-up by reverse Kaplan-Meier",
    "rmst": "Restricted mean survival time (R print.survfit rmean)",
    "ipcw": "Inverse probability of censoring weighted Cox model",
    "msm": "Marginal structural Cox model",
    "count": "Counts and percentages",
    "summary": "Descriptive statistics",
}
DATASETS = {"km": "ADTTE", "km-curve": "ADTTE", "logrank": "ADTTE", "cox": "ADTTE", "zph": "ADTTE",
            "revkm": "ADTTE",
            "rmst": "ADTTE", "ipcw": "ADTTE", "msm": "ADTTE", "count": "ADSL", "summary": "ADSL"}


def _raw(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    f = float(value)
    return str(int(f)) if f.is_integer() and abs(f) < 2**53 else repr(f)


def _time_text(value) -> str:
    return _raw(value)


def ars_reporting_event(ard: pd.DataFrame, study=None, populations: dict | None = None) -> dict:
    """The ARS v1.0 reporting event (a JSON-ready dict) of an ARD frame; ``study`` (a
    :class:`~adam.study.Study`) adds the population flags, the titles and the outputs."""
    from adam.analysis import DEFAULT_POPULATIONS

    flags = {**DEFAULT_POPULATIONS, **(populations or {}), **(getattr(study, "populations", {}) or {})}
    frame = ard.reindex(columns=COLUMNS)
    text = {c: frame[c].astype(object).where(frame[c].notna(), "").astype(str).tolist()
            for c in COLUMNS if c not in ("stat_value", "timepoint")}
    values = frame["stat_value"].tolist()
    times = frame["timepoint"].tolist()
    studyid = next((s for s in text["study"] if s), getattr(study, "studyid", "") or "")
    sets, subsets, groupings, methods, analyses = {}, {}, {}, {}, {}

    def grouping(gid, name, dataset, variable, data_driven=True):
        return groupings.setdefault(gid, {"id": gid, "name": name, "groupingDataset": dataset,
                                          "groupingVariable": variable, "dataDriven": data_driven,
                                          "groups": []})

    def group_id(g, name, condition=None):
        for existing in g["groups"]:
            if existing["name"] == name:
                return existing["id"]
        gid = f"{g['id']}.{len(g['groups']) + 1}"
        entry = {"id": gid, "name": name, "level": 1, "order": len(g["groups"]) + 1}
        if condition is not None:
            entry["condition"] = condition
        g["groups"].append(entry)
        return gid

    for i in range(len(frame)):
        aid, method, options = text["analysis_id"][i], text["method"][i], text["options"][i]
        population, paramcd = text["population"][i], text["paramcd"][i]
        set_id = None
        if population:
            set_id = f"AS.{population}"
            flag = flags.get(population, f"{population}FL")
            sets.setdefault(set_id, {"id": set_id, "name": population, "level": 1, "order": len(sets) + 1,
                                     "condition": {"dataset": "ADSL", "variable": flag, "comparator": "EQ",
                                                   "value": ["Y"]}})
        subset_id = None
        if paramcd:
            subset_id = f"DS.PARAMCD.{paramcd}"
            subsets.setdefault(subset_id, {"id": subset_id, "name": f"PARAMCD = {paramcd}", "level": 1,
                                           "order": len(subsets) + 1,
                                           "condition": {"dataset": "ADTTE", "variable": "PARAMCD",
                                                         "comparator": "EQ", "value": [paramcd]}})
        mkey = (method, options)
        if mkey not in methods:
            mid = f"MTH.{method}.{sum(1 for m, _ in methods if m == method) + 1}"
            params = [{"name": k, "value": [v]} for k, v in parse_options(options).items()]
            entry = {"id": mid, "name": method, "label": METHOD_NAMES.get(method, method),
                     "description": f"{METHOD_NAMES.get(method, method)}" + (f"; options {options}" if options else ""),
                     "operations": []}
            if params:
                entry["codeTemplate"] = {"context": "adamant", "code": options,
                                         "parameters": [dict(p, valueSource="ARD options") for p in params]}
            methods[mkey] = entry
        m = methods[mkey]
        stat = text["stat_name"][i]
        op_id = f"{m['id']}.{stat}"
        if not any(op["id"] == op_id for op in m["operations"]):
            m["operations"].append({"id": op_id, "name": stat, "order": len(m["operations"]) + 1,
                                    "resultPattern": "X.X"})
        akey = (aid, method, options, paramcd, population)
        if akey not in analyses:
            analyses[akey] = {"id": f"AN.{len(analyses) + 1:03d}", "name": f"{aid} {method}",
                              "version": 1, "reason": {"controlledTerm": "SPECIFIED IN SAP"},
                              "purpose": {"controlledTerm": "PRIMARY OUTCOME MEASURE"
                                          if aid.endswith("PRIMARY") else "SECONDARY OUTCOME MEASURE"},
                              "description": f"analysis_id {aid}", "dataset": DATASETS.get(method, "ADTTE"),
                              "variable": "AVAL" if DATASETS.get(method, "ADTTE") == "ADTTE" else "USUBJID",
                              "methodId": m["id"], "orderedGroupings": [], "results": []}
            if set_id:
                analyses[akey]["analysisSetId"] = set_id
            if subset_id:
                analyses[akey]["dataSubsetId"] = subset_id
        a = analyses[akey]
        groups = []
        group_var, group = text["group_var"][i], text["group"][i]
        if group_var:
            g = grouping(f"AG.{group_var}", f"Treatment ({group_var})", "ADSL", group_var, data_driven=False)
            groups.append({"groupingId": g["id"], "groupId": group_id(
                g, group, {"dataset": "ADSL", "variable": group_var, "comparator": "EQ", "value": [group]})})
        elif group:
            g = grouping("AG.CONTRAST", "Treatment contrast or test", "ADSL", "", data_driven=False)
            groups.append({"groupingId": g["id"], "groupId": group_id(g, group)})
        sub_var, sub = text["subgroup_var"][i], text["subgroup"][i]
        if sub_var or sub:       # a count row without a variable (Randomized) has a label only
            g = grouping(f"AG.SUB.{sub_var or 'ROW'}", f"Subgroup {sub_var}" if sub_var else "Row",
                         "ADSL", sub_var)
            groups.append({"groupingId": g["id"], "groupId": group_id(
                g, sub, {"dataset": "ADSL", "variable": sub_var, "comparator": "EQ", "value": [sub]}) if sub
                else None})
        tp = times[i]
        if tp is not None and not (isinstance(tp, float) and math.isnan(tp)):
            g = grouping("AG.TIMEPOINT", "Time point (AVAL units)", "ADTTE", "AVAL")
            groups.append({"groupingId": g["id"], "groupId": group_id(
                g, _time_text(tp), {"dataset": "ADTTE", "variable": "AVAL", "comparator": "EQ",
                                    "value": [_time_text(tp)]})})
        for k, rg in enumerate(groups, start=1):
            if not any(og["groupingId"] == rg["groupingId"] for og in a["orderedGroupings"]):
                a["orderedGroupings"].append({"order": len(a["orderedGroupings"]) + 1,
                                              "groupingId": rg["groupingId"], "resultsByGroup": True})
        result = {"operationId": op_id, "resultGroups": groups, "rawValue": _raw(values[i])}
        a["results"].append(result)
    # subgroup interaction rows have a grouping without a group
    for a in analyses.values():
        for r in a["results"]:
            r["resultGroups"] = [g if g["groupId"] is not None else {"groupingId": g["groupingId"]}
                                 for g in r["resultGroups"]]
    outputs, contents = _outputs(study, analyses)
    return {
        "id": f"RE.{studyid}", "name": f"{studyid} analysis results", "version": 1,
        "description": "Analysis results of adamant (ard.csv), in the CDISC Analysis Results Standard v1.0",
        "mainListOfContents": {"name": "Main list of contents", "contentsList": {"listItems": contents}},
        "analysisSets": list(sets.values()), "dataSubsets": list(subsets.values()),
        "analysisGroupings": list(groupings.values()), "methods": list(methods.values()),
        "analyses": list(analyses.values()), "outputs": outputs,
    }


def _outputs(study, analyses: dict) -> tuple[list, list]:
    by_id: dict[str, list[str]] = {}
    for (aid, *_), a in analyses.items():
        by_id.setdefault(aid, []).append(a["id"])
    outputs, contents = [], []
    for k, out in enumerate(getattr(study, "outputs", []) or [], start=1):
        ids = out.get("analysis_ids") or [out.get("analysis_id")] + (
            [out[k] for k in ("overall_analysis_id", "safety_analysis_id") if out.get(k)])
        shown = [an for aid in ids if aid for an in by_id.get(aid, [])]
        oid = f"OUT.{out.get('id', k)}"
        outputs.append({"id": oid, "name": f"{out.get('number', '')} {out.get('title', '')}".strip(),
                        "displays": [{"order": 1, "display": {"id": f"DS.{out.get('id', k)}",
                                                              "name": out.get("title", ""),
                                                              "displayTitle": out.get("title", "")}}]})
        contents.append({"name": f"{out.get('number', '')} {out.get('title', '')}".strip(), "level": 1,
                         "order": k, "outputId": oid,
                         "sublist": {"listItems": [{"name": an, "level": 2, "order": j, "analysisId": an}
                                                   for j, an in enumerate(shown, start=1)]}})
    if not contents:   # ad hoc: the analyses themselves
        contents = [{"name": a["name"], "level": 1, "order": k, "analysisId": a["id"]}
                    for k, a in enumerate(analyses.values(), start=1)]
    return outputs, contents


def write_ars(ard: pd.DataFrame, path: str | Path, study=None, inputs=()) -> Path:
    """Write the reporting event of ``ard`` as JSON (atomically)."""
    from adam.io.atomic import write_text

    event = ars_reporting_event(ard, study)
    write_text(Path(path), json.dumps(event, indent=1, ensure_ascii=False) + "\n", inputs=inputs)
    return Path(path)


def read_ars(path_or_event) -> pd.DataFrame:
    """The ARD frame of an ARS reporting event (a path or the dict): one row per result,
    analyses in order, results in order."""
    if isinstance(path_or_event, dict):
        event = path_or_event
    else:
        event = json.loads(Path(path_or_event).read_text(encoding="utf-8"))
    studyid = event["id"][3:] if event.get("id", "").startswith("RE.") else ""
    sets = {s["id"]: s["name"] for s in event.get("analysisSets", [])}
    subsets = {s["id"]: s["condition"]["value"][0] for s in event.get("dataSubsets", [])}
    methods = {m["id"]: m for m in event.get("methods", [])}
    ops = {op["id"]: op["name"] for m in methods.values() for op in m["operations"]}
    groupings = {g["id"]: g for g in event.get("analysisGroupings", [])}
    group_names = {grp["id"]: grp["name"] for g in groupings.values() for grp in g["groups"]}
    rows = []
    for a in event.get("analyses", []):
        m = methods[a["methodId"]]
        options = (m.get("codeTemplate") or {}).get("code", "")
        aid = a["description"].removeprefix("analysis_id ")
        for r in a["results"]:
            row = dict(study=studyid, analysis_id=aid, paramcd=subsets.get(a.get("dataSubsetId"), ""),
                       population=sets.get(a.get("analysisSetId"), ""), method=m["name"], group_var="",
                       group="", subgroup_var="", subgroup="", timepoint="", stat_name=ops[r["operationId"]],
                       stat_value=r["rawValue"], options=options)
            for rg in r["resultGroups"]:
                g = groupings[rg["groupingId"]]
                name = group_names.get(rg.get("groupId"), "")
                if g["id"] == "AG.TIMEPOINT":
                    row["timepoint"] = name
                elif g["id"] == "AG.CONTRAST":
                    row["group"] = name
                elif g["id"].startswith("AG.SUB."):
                    row["subgroup_var"], row["subgroup"] = g["groupingVariable"], name
                else:
                    row["group_var"], row["group"] = g["groupingVariable"], name
            rows.append(row)
    frame = ard_frame(rows)
    return frame


__all__ = ["ars_reporting_event", "write_ars", "read_ars", "STAT_NAMES"]
