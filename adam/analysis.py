"""The analysis runner: a study's ``[[analyses]]`` + its ADaM datasets -> ARD rows.

Each analysis is a TOML table with an ``id`` and a ``type``; the engine knows the types,
a study only lists them (no code in the specification):

``tte``        KM per arm, stratified log-rank, stratified Cox, reverse-KM follow-up,
               optional RMST; keys ``paramcd``, ``population``, ``strata``, ``where``,
               ``timepoints_months``, ``risk_months``, ``rmst_tau_months``, ``methods``,
               ``curve`` (emit ``km-curve`` rows for figures), ``ties``, ``conf_type``,
               ``contrasts`` (see :func:`tte_rows`: ``pairwise``, the default, or ``joint``),
               ``ph_test`` (``true`` or a transform name: the test of proportional hazards
               of the Cox model, method ``zph``).
``subgroup``   per subgroup level n/events per arm and HR; interaction p; keys
               ``paramcd``, ``population``, ``subgroups`` (ADSL variables), ``strata``.
``count``      n, pct, denom per arm over ``rows`` (each ``label`` + ``where``) of ADSL.
``baseline``   counts of ``categorical`` variables and summaries of ``continuous`` ones.
``ipcw``/``msm`` subsequent-therapy sensitivity analyses (see :mod:`adam.stats`).

``where`` is a table of ``VARIABLE = value`` (or a list of values) conditions, all of
which must hold; the value ``"<present>"`` means non-missing and ``"<missing>"`` missing.

What the ARD cannot say in numbers (a hazard ratio that is not estimable) the runners
add to ``findings`` (:class:`~adam.findings.Finding`, severity warning), which ``analyze``
shows the user.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from adam.ard import ard_frame, ard_rows
from adam.errors import StatError, UsageError
from adam.findings import Finding
from adam.metadata import Dataset
from adam.study import Study

DAYS_PER_MONTH = 30.4375
DEFAULT_POPULATIONS = {"ITT": "ITTFL", "SAF": "SAFFL", "FAS": "FASFL", "PP": "PPROTFL"}
CONTRASTS = ("pairwise", "joint")


# ----------------------------------------------------------------------------- helpers
def select(frame: pd.DataFrame, where: dict | None, context: str) -> pd.DataFrame:
    """Rows of ``frame`` meeting every ``VAR = value`` condition of ``where``."""
    return frame if not where else frame.loc[where_mask(frame, where, context)]


def where_mask(frame: pd.DataFrame, where: dict | None, context: str) -> np.ndarray:
    """True on the rows of ``frame`` meeting every ``VAR = value`` condition of ``where``
    (a value, a list of values, ``<present>`` or ``<missing>``)."""
    if not where:
        return np.ones(len(frame), dtype=bool)
    if not isinstance(where, dict):
        raise UsageError(f"{context}: 'where' must be a table of VARIABLE = value conditions")
    mask = np.ones(len(frame), dtype=bool)
    for var, value in where.items():
        if var not in frame:
            raise UsageError(f"{context}: 'where' names variable {var!r}, which the data lack")
        col = frame[var]
        if value == "<present>":
            mask &= col.notna().to_numpy()
        elif value == "<missing>":
            mask &= col.isna().to_numpy()
        elif isinstance(value, list):
            mask &= col.isin(value).to_numpy()
        else:
            mask &= (col == value).to_numpy()
    return mask


def population_flag(study: Study, population: str) -> str:
    flags = {**DEFAULT_POPULATIONS, **study.populations}
    return flags.get(population, f"{population}FL")


def in_population(frame: pd.DataFrame, study: Study, population: str | None, context: str) -> pd.DataFrame:
    if not population:
        return frame
    flag = population_flag(study, population)
    if flag not in frame:
        raise UsageError(f"{context}: population {population} needs variable {flag}, which the data lack")
    return frame.loc[frame[flag] == "Y"]


def arm_levels(values: pd.Series, ref: str | None, order: list | None = None) -> list[str]:
    """Arms in display order: ``order`` if given, else sorted with the reference last."""
    levels = sorted(values.dropna().unique().tolist(), key=str)
    if order:
        return [lv for lv in order if lv in levels] + [lv for lv in levels if lv not in order]
    if ref in levels:
        levels = [lv for lv in levels if lv != ref] + [ref]
    return levels


def default_reference(levels: list[str]) -> str:
    """The alphabetically first placebo-like level, else the last level (cli.md)."""
    placebo = sorted(lv for lv in levels if "placebo" in str(lv).lower())
    return placebo[0] if placebo else levels[-1]


def study_arms(values: pd.Series, study: Study) -> tuple[list[str], str]:
    """Arms of ``values`` in the study's display order, and the reference arm."""
    levels = arm_levels(values.astype(str), study.trt_ref, study.treatment.get("order"))
    return levels, study.trt_ref or default_reference(levels)


def event_indicator(frame: pd.DataFrame) -> np.ndarray:
    """1.0 for events (CNSR = 0), 0.0 for censored records."""
    return (frame["CNSR"].to_numpy(dtype=float) == 0).astype(float)


def months(values) -> list[float]:
    return [float(m) * DAYS_PER_MONTH for m in (values or [])]


def check_contrasts(contrasts: str, context: str) -> str:
    if contrasts not in CONTRASTS:
        raise UsageError(f"{context}: contrasts must be {' or '.join(CONTRASTS)}, not {contrasts!r}")
    return contrasts


def hr_finding(fit, covariate, *, analysis_id: str, paramcd: str, contrast: str, variable: str,
               method: str = "cox") -> Finding | None:
    """The warning that the hazard ratio of ``contrast`` is not estimable (None when it is)."""
    reason = fit.not_estimable(covariate)
    if reason is None:
        return None
    return Finding("ADTTE", "HR-NOT-ESTIMABLE", "warning",
                   f"{analysis_id} ({paramcd}, {method}): hazard ratio {contrast} not estimable: "
                   f"{reason}; HR, CI, log HR, SE and Wald p left empty (NE), score and "
                   "likelihood-ratio p kept", variable=variable)


# ----------------------------------------------------------------------------- tte
def tte_rows(frame: pd.DataFrame, *, study_id: str, analysis_id: str, paramcd: str,
             population: str, trt_var: str, ref: str | None, strata: list[str] | None = None,
             methods=("km", "logrank", "cox", "revkm"), timepoints: list[float] = (),
             risk_times: list[float] = (), rmst_tau: float | None = None, curve: bool = False,
             ties: str = "efron", conf_type: str = "log-log", conf_level: float = 0.95,
             arm_order: list | None = None, contrasts: str = "pairwise",
             ph_test: str | None = None, findings: list | None = None) -> list[dict]:
    """ARD rows of one time-to-event analysis of an ADTTE subset (AVAL, CNSR, ``trt_var``).

    Each arm is compared with ``ref``. With three arms or more, ``contrasts`` says how:
    ``pairwise`` (default) fits each contrast's log-rank and Cox model on the records of
    its two arms; ``joint`` fits one Cox model of all arms (treatment dummies against
    ``ref``): per contrast its Wald statistics, and the model's score and likelihood-ratio
    p on a ``cox`` row of all arms (``A vs B vs C``, as the k-sample log-rank); the
    log-rank contrasts stay pairwise. Those rows say which in ``options``
    (``contrasts=pairwise|joint``). The ``n_risk`` rows at ``risk_times`` (the risk table
    under a Kaplan-Meier plot) have ``risk_table=Y`` in ``options``. A hazard ratio that
    is not estimable is empty and a warning is added to ``findings``. With ``ph_test`` (a transform of
    :data:`adam.stats.zph.TRANSFORMS`) each Cox model (per contrast, or the joint one) is
    tested for proportional hazards: method ``zph`` rows chisq, df, p_value (R ``cox.zph``
    GLOBAL, i.e. the treatment term), ``options`` transform, ties, strata."""
    from adam.stats.cox import WALD_STATS, cox_treatment
    from adam.stats.km import KaplanMeier
    from adam.stats.logrank import logrank_test

    if frame.empty:
        raise StatError(f"analysis {analysis_id}: no records for PARAMCD {paramcd}")
    for var in ["AVAL", "CNSR", trt_var, *(strata or [])]:
        if var not in frame:
            raise UsageError(f"analysis {analysis_id}: ADTTE lacks variable {var}")
    time = frame["AVAL"].to_numpy(dtype=float)
    event = event_indicator(frame)
    group = frame[trt_var].astype(str).to_numpy()
    levels = arm_levels(frame[trt_var].astype(str), ref, arm_order)
    if ref is None:
        ref = default_reference(levels)
    alpha = round(1 - conf_level, 10)
    common = dict(study=study_id, analysis_id=analysis_id, paramcd=paramcd, population=population)
    km_opts = {"conf_type": conf_type, "alpha": alpha}
    risk_opts = dict(km_opts, risk_table="Y")     # the n at risk printed under the curves
    rows: list[dict] = []
    estimate_times, table_times = set(timepoints), set(risk_times)
    times = sorted(estimate_times | table_times)
    for arm in levels:
        sel = group == arm
        km = KaplanMeier(conf_type=conf_type, conf_level=conf_level).fit(time[sel], event[sel])
        arm_keys = dict(common, group_var=trt_var, group=arm)
        if "km" in methods:
            rows += ard_rows(km.stats(), method="km", options=km_opts, **arm_keys)
            for t in times:
                at = km.stats_at(t)
                n_risk = {"n_risk": at.pop("n_risk")}
                if t in estimate_times:
                    rows += ard_rows(at, method="km", timepoint=t, options=km_opts, **arm_keys)
                rows += ard_rows(n_risk, method="km", timepoint=t,
                                 options=risk_opts if t in table_times else km_opts, **arm_keys)
            if rmst_tau is not None:
                rows += ard_rows(km.rmst(rmst_tau), method="rmst", timepoint=rmst_tau,
                                 options=km_opts, **arm_keys)
        if curve:
            tab = km.table
            for t, s, c in zip(tab["time"], tab["surv"], tab["n_censor"]):
                stats = {"surv": s, "n_censor": c} if c else {"surv": s}
                rows += ard_rows(stats, method="km-curve", timepoint=float(t), **arm_keys)
        if "revkm" in methods:
            rev = KaplanMeier(conf_type=conf_type, conf_level=conf_level).fit(time[sel], 1 - event[sel])
            rows += ard_rows({"median_fu": rev.median, "median_fu_lcl": rev.median_lcl,
                              "median_fu_ucl": rev.median_ucl}, method="revkm", options=km_opts,
                             **arm_keys)
    strata_frame = frame[strata] if strata else None
    check_contrasts(contrasts, f"analysis {analysis_id}")
    several = len(levels) > 2
    joint = several and contrasts == "joint"
    pairwise = {"contrasts": "pairwise"} if several else {}
    cox_opts = {"ties": ties, "strata": strata, "alpha": alpha, **pairwise}
    found = findings if findings is not None else []
    if "logrank" in methods and several:  # global k-sample test
        lr = logrank_test(time, event, group, strata=strata_frame)
        rows += ard_rows(lr.stats(), method="logrank", options={"strata": strata},
                         **dict(common, group_var="", group=" vs ".join(levels)))
    zph_opts = {"transform": ph_test, "ties": ties, "strata": strata, **pairwise}
    fits = "cox" in methods or ph_test is not None
    if fits and joint:                     # one model of all arms
        model = cox_treatment(time, event, group, ref=ref, strata=strata_frame, ties=ties)
        cox_opts["contrasts"] = zph_opts["contrasts"] = "joint"
    for arm in [lv for lv in levels if lv != ref]:
        sel = (group == arm) | (group == ref)
        contrast = dict(common, group_var="", group=f"{arm} vs {ref}")
        st = strata_frame.loc[sel] if strata_frame is not None else None
        if "logrank" in methods:
            lr = logrank_test(time[sel], event[sel], group[sel], strata=st)
            rows += ard_rows(lr.stats(), method="logrank", options={"strata": strata, **pairwise},
                             **contrast)
        if fits:
            if joint:
                fit, covariate = model, str(arm)
                stats = {k: v for k, v in fit.stats(covariate).items() if k in WALD_STATS}
            else:
                fit, covariate = cox_treatment(time[sel], event[sel], group[sel], ref=ref, strata=st,
                                               ties=ties), 0
                stats = fit.stats()
        if "cox" in methods:
            rows += ard_rows(stats, method="cox", options=cox_opts, **contrast)
            warning = hr_finding(fit, covariate, analysis_id=analysis_id, paramcd=paramcd,
                                 contrast=contrast["group"], variable=trt_var)
            found += [warning] if warning else []
        if ph_test is not None and not joint:
            rows += ard_rows(zph_stats(fit, ph_test), method="zph", options=zph_opts, **contrast)
    all_arms = dict(common, group_var="", group=" vs ".join(levels))
    if "cox" in methods and joint:
        rows += ard_rows({"p_score": model.p_score, "p_lr": model.p_lr}, method="cox",
                         options=cox_opts, **all_arms)
    if ph_test is not None and joint:
        rows += ard_rows(zph_stats(model, ph_test), method="zph", options=zph_opts, **all_arms)
    return rows


def zph_stats(fit, transform: str) -> dict:
    """The ``zph`` statistics of a treatment Cox model (its GLOBAL test: every treatment
    column); empty when a hazard ratio of the model is not estimable."""
    from adam.stats.zph import ph_test

    if not fit.estimable.all():
        return dict.fromkeys(("chisq", "df", "p_value"), np.nan)
    return ph_test(fit, transform=transform).stats()


def ph_transform(value) -> str | None:
    """The ``ph_test`` key of a ``tte`` analysis: ``true`` -> ``"km"`` (R's default),
    ``false``/absent -> None, else the transform named."""
    return "km" if value is True else (value or None)


def _run_tte(adam: dict[str, Dataset], study: Study, spec: dict, findings: list) -> list[dict]:
    frame = _adtte(adam, study, spec)
    return tte_rows(frame, study_id=study.studyid, analysis_id=spec["id"], paramcd=spec["paramcd"],
                    population=spec.get("population", ""), trt_var=spec.get("trt_var", study.trt_var),
                    ref=study.trt_ref, strata=spec.get("strata"),
                    methods=tuple(spec.get("methods", ("km", "logrank", "cox", "revkm"))),
                    timepoints=months(spec.get("timepoints_months")),
                    risk_times=months(spec.get("risk_months")),
                    rmst_tau=(float(spec["rmst_tau_months"]) * DAYS_PER_MONTH
                              if "rmst_tau_months" in spec else None),
                    curve=bool(spec.get("curve", False)), ties=spec.get("ties", "efron"),
                    conf_type=spec.get("conf_type", "log-log"),
                    arm_order=study.treatment.get("order"),
                    contrasts=spec.get("contrasts", "pairwise"),
                    ph_test=ph_transform(spec.get("ph_test", False)), findings=findings)


def _adtte(adam: dict[str, Dataset], study: Study, spec: dict) -> pd.DataFrame:
    """The analysis records of ``spec``: ADTTE rows of its PARAMCD, in its population,
    meeting its ``where``, with the ADTTE variables it names (and the keys, AVAL, CNSR,
    STARTDT) plus the ADSL variables it names that ADTTE lacks. Only these variables are
    taken, once, so an analysis of 10^6 records does not copy the whole ADTTE."""
    context = f"analysis {spec['id']}"
    if "adtte" not in adam:
        raise UsageError(f"{context}: no ADTTE dataset")
    tte = adam["adtte"].frame
    rows = np.flatnonzero((tte["PARAMCD"] == spec["paramcd"]).to_numpy())
    flag = population_flag(study, spec["population"]) if spec.get("population") else None
    needed = [flag] if flag else []
    needed += list(spec.get("where", {}) or {}) + list(spec.get("subgroups", []))
    needed += list(spec.get("strata", []) or []) + [spec.get("trt_var", study.trt_var)]
    needed += list(spec.get("covariates", []) or [])
    base = ["STUDYID", "USUBJID", "PARAMCD", "AVAL", "CNSR", "STARTDT"]
    columns = [c for c in dict.fromkeys(base + needed) if c in tte]
    frame = pd.DataFrame({c: tte[c].to_numpy()[rows] for c in columns}, index=tte.index[rows], copy=False)
    missing = [v for v in dict.fromkeys(needed) if v not in frame]
    if missing and "adsl" in adam:
        adsl = adam["adsl"].frame
        subjects = pd.Index(adsl["USUBJID"])
        if not subjects.is_unique:
            raise UsageError(f"{context}: ADSL has more than one record for a USUBJID")
        at = subjects.get_indexer(frame["USUBJID"])
        for var in (v for v in missing if v in adsl):
            values = adsl[var].to_numpy()
            frame[var] = pd.Series(values, copy=False).reindex(at).to_numpy() if (at < 0).any() \
                else values[at]
    absent = [v for v in dict.fromkeys(needed) if v not in frame]
    if absent:
        raise UsageError(f"{context}: variable(s) {', '.join(absent)} in neither ADTTE nor ADSL",
                         variable=absent[0])
    frame = in_population(frame, study, spec.get("population"), context)
    return select(frame, spec.get("where"), context)


def _run_subgroup(adam: dict[str, Dataset], study: Study, spec: dict, findings: list) -> list[dict]:
    frame = _adtte(adam, study, spec)
    trt_var = spec.get("trt_var", study.trt_var)
    levels, ref = study_arms(frame[trt_var], study)
    return subgroup_rows(frame, study_id=study.studyid, analysis_id=spec["id"],
                         paramcd=spec["paramcd"], population=spec.get("population", ""),
                         trt_var=trt_var, levels=levels, ref=ref,
                         subgroups=spec.get("subgroups", []), strata=spec.get("strata"),
                         ties=spec.get("ties", "efron"))


def subgroup_rows(frame: pd.DataFrame, *, study_id: str, analysis_id: str, paramcd: str,
                  population: str, trt_var: str, levels: list[str], ref: str,
                  subgroups: list[str], strata: list[str] | None = None,
                  ties: str = "efron") -> list[dict]:
    """Per level of each of ``subgroups``: ``km`` n / n_events per arm and the ``cox`` HR
    of the first arm that is not ``ref`` versus ``ref`` (empty when not estimable); the
    interaction p-value (likelihood ratio) as ``cox`` ``p_interaction`` with empty level.
    With three arms or more each level's model has all arms (``contrasts=joint``)."""
    from adam.stats.subgroup import subgroup_analysis

    for var in [*subgroups, *(strata or [])]:
        if var not in frame:
            raise UsageError(f"analysis {analysis_id}: ADTTE lacks variable {var}", variable=var)
    time = frame["AVAL"].to_numpy(dtype=float)
    event = event_indicator(frame)
    group = frame[trt_var].astype(str).to_numpy()
    common = dict(study=study_id, analysis_id=analysis_id, paramcd=paramcd, population=population)
    contrast = f"{[lv for lv in levels if lv != ref][0]} vs {ref}"
    options = {"ties": ties, "strata": strata, "contrasts": "joint" if len(levels) > 2 else None}
    rows: list[dict] = []
    for var in subgroups:
        result = subgroup_analysis(time, event, group, frame[var].to_numpy(dtype=object), ref=ref,
                                   strata=frame[strata] if strata else None, ties=ties)
        for level in result.levels["level"]:
            for arm in levels:
                rows += ard_rows(result.arm_stats(level, arm), method="km", group_var=trt_var,
                                 group=arm, subgroup_var=var, subgroup=str(level), **common)
            rows += ard_rows(result.level_stats(level), method="cox", group=contrast,
                             subgroup_var=var, subgroup=str(level), options=options, **common)
        rows += ard_rows(result.stats(), method="cox", group=contrast, subgroup_var=var,
                         options=dict(options, test="lr"), **common)
    return rows


# ----------------------------------------------------------------------------- switching
def person_periods(time: np.ndarray, event: np.ndarray, period: float) -> pd.DataFrame:
    """Split each subject's follow-up (0, time] into periods of ``period`` days:
    columns ROW (subject index), START, STOP, EVENT (1 on the last period of an event)."""
    time = np.asarray(time, dtype=float)
    counts = np.maximum(np.ceil(time / period).astype(np.int64), 1)
    row = np.repeat(np.arange(len(time)), counts)
    k = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    start = k * period
    stop = np.minimum(start + period, time[row])
    last = k == counts[row] - 1
    return pd.DataFrame({"ROW": row, "START": start, "STOP": stop,
                         "EVENT": (last & (np.asarray(event)[row] == 1)).astype(float)})


def _event_day(adam: dict[str, Dataset], paramcd: str, usubjid: pd.Series) -> np.ndarray:
    """Day (AVAL units) of the event of ``paramcd`` per subject, NaN when censored."""
    tte = adam["adtte"].frame
    rows = tte.loc[(tte["PARAMCD"] == paramcd) & (tte["CNSR"] == 0), ["USUBJID", "AVAL"]]
    return usubjid.map(rows.set_index("USUBJID")["AVAL"]).to_numpy(dtype=float)


def _switch_frame(adam: dict[str, Dataset], study: Study, spec: dict):
    """The long person-period frame of a switching analysis and its column roles."""
    context = f"analysis {spec['id']}"
    frame = _adtte(adam, study, spec).reset_index(drop=True)
    adsl = adam["adsl"].frame.set_index("USUBJID")
    switch_var = spec.get("switch_date", "NACTDT")
    if switch_var not in adsl:
        raise UsageError(f"{context}: ADSL lacks the switch date {switch_var}")
    start_dt = frame["STARTDT"] if "STARTDT" in frame else frame["USUBJID"].map(adsl["RANDDT"])
    switch_dt = frame["USUBJID"].map(adsl[switch_var])
    switch_day = ((switch_dt - start_dt).dt.days + 1).to_numpy(dtype=float)
    period = float(spec.get("period_months", 1)) * DAYS_PER_MONTH
    long = person_periods(frame["AVAL"].to_numpy(dtype=float), event_indicator(frame), period)
    row = long["ROW"].to_numpy()
    long["USUBJID"] = frame["USUBJID"].to_numpy()[row]
    trt_var = spec.get("trt_var", study.trt_var)
    long[trt_var] = frame[trt_var].astype(str).to_numpy()[row]
    long["SWITCH"] = (switch_day[row] <= long["STOP"].to_numpy()).astype(float)
    long["PSTART"] = long["START"] / DAYS_PER_MONTH
    baseline = ["PSTART"]
    for var in spec.get("covariates", []):
        dummies = pd.get_dummies(frame[var].astype(str), prefix=var, drop_first=True, dtype=float)
        for col in dummies:
            long[col] = dummies[col].to_numpy()[row]
            baseline.append(col)
    time_varying = []
    for paramcd in spec.get("time_varying", []):
        day = _event_day(adam, paramcd, frame["USUBJID"])
        long[f"TV_{paramcd}"] = (day[row] <= long["START"].to_numpy()).astype(float)
        time_varying.append(f"TV_{paramcd}")
    strata = list(spec.get("strata", []))
    for var in strata:
        long[var] = frame[var].astype(str).to_numpy()[row]
    return long, trt_var, baseline, time_varying, strata


def _run_switching(adam: dict[str, Dataset], study: Study, spec: dict, findings: list) -> list[dict]:
    """IPCW (censor at switch) or MSM (weights for time-varying subsequent therapy) HR of
    the randomized arm, on monthly (``period_months``) person-periods."""
    from adam.stats.weighting import check_memory, ipcw_cox, msm_cox

    long, trt_var, baseline, time_varying, strata = _switch_frame(adam, study, spec)
    check_memory(len(long), int(spec.get("n_boot", 0)), f"analysis {spec['id']}")
    levels, ref = study_arms(long[trt_var], study)
    arm = [lv for lv in levels if lv != ref][0]
    common = dict(id="USUBJID", start="START", stop="STOP", event="EVENT", strata=strata,
                  ties=spec.get("ties", "efron"), n_boot=int(spec.get("n_boot", 0)),
                  seed=spec.get("seed", 20240101))
    if spec["type"] == "ipcw":
        result = ipcw_cox(long, treatment=trt_var, switch="SWITCH", baseline=baseline,
                          time_varying=time_varying, ref=ref, **common)
    else:
        long["ARM"] = (long[trt_var] == arm).astype(float)
        result = msm_cox(long, exposure="SWITCH", adjust=["ARM"], baseline=["ARM", *baseline],
                         time_varying=time_varying, report="ARM", **common)
    options = {"strata": strata, "ties": common["ties"], "n_boot": common["n_boot"],
               "seed": common["seed"] if common["n_boot"] else None,
               "period_months": spec.get("period_months", 1)}
    warning = hr_finding(result.cox, result.covariate, analysis_id=spec["id"], paramcd=spec["paramcd"],
                         contrast=f"{arm} vs {ref}", variable=trt_var, method=spec["type"])
    findings += [warning] if warning else []
    return ard_rows(result.stats(), study=study.studyid, analysis_id=spec["id"],
                    paramcd=spec["paramcd"], population=spec.get("population", ""),
                    method=spec["type"], group=f"{arm} vs {ref}", options=options)


# ----------------------------------------------------------------------------- counts
def _adsl(adam: dict[str, Dataset], study: Study, spec: dict, group_var: str) -> pd.DataFrame:
    """ADSL in the population of ``spec``; a :class:`UsageError` without ADSL or ``group_var``."""
    context = f"analysis {spec['id']}"
    if "adsl" not in adam:
        raise UsageError(f"{context}: no ADSL dataset")
    if group_var not in adam["adsl"].frame:
        raise UsageError(f"{context}: ADSL lacks variable {group_var}", variable=group_var)
    return in_population(adam["adsl"].frame, study, spec.get("population"), context)


def _run_count(adam: dict[str, Dataset], study: Study, spec: dict, findings: list) -> list[dict]:
    context = f"analysis {spec['id']}"
    group_var = spec.get("group_var", study.trt_var)
    adsl = _adsl(adam, study, spec, group_var)
    arms = adsl[group_var].astype(str)
    levels, _ = study_arms(arms, study)
    arm_codes = pd.Index(levels).get_indexer(arms)        # -1: an arm not in the levels
    denoms = np.bincount(arm_codes[arm_codes >= 0], minlength=len(levels))
    rows = []
    common = dict(study=study.studyid, analysis_id=spec["id"], population=spec.get("population", ""),
                  method="count", group_var=group_var)
    tree: dict[str, tuple[list[str], str, np.ndarray]] = {}       # label -> parents, partition, counts
    for row in spec.get("rows", []):
        if "label" not in row:
            raise UsageError(f"{context}: every row needs a 'label'")
        unknown = set(row) - ROW_KEYS
        if unknown:
            raise UsageError(f"{context}: row {row['label']!r} has unknown key(s) "
                             f"{', '.join(sorted(unknown))} (known: {', '.join(sorted(ROW_KEYS))})")
        chosen = arm_codes[where_mask(adsl, row.get("where"), context)]
        counts = np.bincount(chosen[chosen >= 0], minlength=len(levels))
        var = row.get("var") or ",".join(row.get("where", {}) or {}) or ""
        options = _tree_options(row, tree, counts, context)
        for k, arm in enumerate(levels):
            denom, n = int(denoms[k]), int(counts[k])
            rows += ard_rows({"n": n, "pct": 100.0 * n / denom if denom else np.nan, "denom": denom},
                             group=arm, subgroup_var=var, subgroup=row["label"], options=options, **common)
        if row.get("total"):
            rows += ard_rows({"n": int(counts.sum())}, group="Total", subgroup_var=var,
                             subgroup=row["label"], options=options, **common)
    findings += tree_findings(tree, levels, study.studyid, spec["id"])
    return rows


ROW_KEYS = {"label", "where", "var", "parent", "partition", "total"}


def _tree_options(row: dict, tree: dict, counts: np.ndarray, context: str) -> dict:
    """A flow-diagram row (``parent`` = one label, or a list: the box joins those boxes;
    ``partition`` names a second split of the parent, e.g. by actual treatment) -> its ARD
    ``options``; the row is recorded in ``tree`` for :func:`tree_findings`."""
    label = row["label"]
    parents = row.get("parent") or []
    parents = [parents] if isinstance(parents, str) else list(parents)
    for name in [label] + parents if parents else []:
        if any(ch in name for ch in ";=|"):
            raise UsageError(f"{context}: a flow-diagram box label ({name!r}) may not contain ';', '=' or '|'")
    for parent in parents:
        if parent not in tree:
            raise UsageError(f"{context}: row {label!r} names parent {parent!r}, which is not an "
                             "earlier row")
    tree[label] = (parents, str(row.get("partition", "")), counts)
    options = {"parent": "|".join(parents)} if parents else {}
    if row.get("partition"):
        options["partition"] = str(row["partition"])
    return options


def tree_findings(tree: dict, levels: list[str], studyid: str, analysis_id: str) -> list[Finding]:
    """Each box of a flow diagram equals the sum of its children (per partition), and a box
    joining several boxes the sum of those: a warning :class:`Finding` per arm where not."""
    found = []
    children: dict[tuple[str, str], list[str]] = {}
    for label, (parents, partition, _) in tree.items():
        if len(parents) == 1:
            children.setdefault((parents[0], partition), []).append(label)
    checks = [(parent, kids, f"its children {', '.join(kids)}")
              for (parent, _), kids in children.items()]
    checks += [(label, parents, f"the boxes it joins ({', '.join(parents)})")
               for label, (parents, _, _) in tree.items() if len(parents) > 1]
    for box, parts, what in checks:
        total = sum(tree[p][2] for p in parts)
        for k, arm in enumerate(levels):
            if int(tree[box][2][k]) != int(total[k]):
                found.append(Finding(dataset="ADSL", rule_id="COUNT-TREE-SUM", severity="warning",
                                     message=f"analysis {analysis_id} ({studyid}), {arm}: {box!r} "
                                             f"n={int(tree[box][2][k])} but {what} sum to {int(total[k])}"))
    return found


def _run_baseline(adam: dict[str, Dataset], study: Study, spec: dict, findings: list) -> list[dict]:
    context = f"analysis {spec['id']}"
    group_var = spec.get("group_var", study.trt_var)
    adsl = _adsl(adam, study, spec, group_var)
    levels, _ = study_arms(adsl[group_var], study)
    common = dict(study=study.studyid, analysis_id=spec["id"], population=spec.get("population", ""),
                  group_var=group_var)
    arm_codes = pd.Index(levels).get_indexer(adsl[group_var].astype(str))
    in_arm = {arm: arm_codes == k for k, arm in enumerate(levels)}
    in_arm["Total"] = np.ones(len(adsl), dtype=bool)
    rows = []
    for var in spec.get("continuous", []):
        if var not in adsl:
            raise UsageError(f"{context}: ADSL lacks variable {var}", variable=var)
        numbers = pd.to_numeric(adsl[var], errors="coerce")
        text = (numbers.isna() & adsl[var].notna()).to_numpy()
        if text.any():
            r = int(np.flatnonzero(text)[0])
            raise UsageError(f"{context}: ADSL {var} must be numeric, found {adsl[var].iloc[r]!r}",
                             record=int(adsl.index[r]) + 1, variable=var)
        column = numbers.to_numpy(dtype=float)
        for arm in levels + ["Total"]:
            vals = pd.Series(column[in_arm[arm]]).dropna()
            stats = {"n": len(vals), "mean": vals.mean(), "sd": vals.std(ddof=1), "median": vals.median(),
                     "q1": vals.quantile(0.25), "q3": vals.quantile(0.75),
                     "min": vals.min(), "max": vals.max()}
            rows += ard_rows(stats, method="summary", group=arm, subgroup_var=var, subgroup="", **common)
    for var in spec.get("categorical", []):
        if var not in adsl:
            raise UsageError(f"{context}: ADSL lacks variable {var}")
        values = adsl[var].astype(object).where(adsl[var].notna(), "Missing")
        codes, distinct = pd.factorize(values)
        cats = [c for c in spec.get("levels", {}).get(var, [])] or sorted(
            distinct.tolist(), key=lambda c: (c == "Missing", str(c)))          # "Missing" last
        cat_codes = pd.Index(distinct).get_indexer(cats)            # -1: a level never seen
        for arm in levels + ["Total"]:
            counts = np.bincount(codes[in_arm[arm]], minlength=len(distinct))
            denom = int(in_arm[arm].sum())
            for cat, code in zip(cats, cat_codes):
                n = int(counts[code]) if code >= 0 else 0
                if cat == "Missing" and n == 0:
                    continue
                rows += ard_rows({"n": n, "pct": 100.0 * n / denom if denom else np.nan, "denom": denom},
                                 method="count", group=arm, subgroup_var=var, subgroup=str(cat), **common)
    return rows


RUNNERS: dict[str, Callable] = {"tte": _run_tte, "subgroup": _run_subgroup, "count": _run_count,
                                "baseline": _run_baseline, "ipcw": _run_switching,
                                "msm": _run_switching}

_COMMON_KEYS = {"id": str, "type": str, "population": str, "where": dict, "title": str}
KEYS: dict[str, dict] = {
    "tte": {"paramcd": str, "strata": list, "timepoints_months": list, "risk_months": list,
            "rmst_tau_months": (int, float), "methods": list, "curve": bool, "ties": str,
            "conf_type": str, "trt_var": str, "contrasts": str, "ph_test": (bool, str)},
    "subgroup": {"paramcd": str, "subgroups": list, "strata": list, "ties": str, "trt_var": str},
    "count": {"group_var": str, "rows": list},    # row keys: ROW_KEYS
    "baseline": {"group_var": str, "continuous": list, "categorical": list, "levels": dict},
    "ipcw": {"paramcd": str, "strata": list, "switch_date": str, "covariates": list,
             "time_varying": list, "n_boot": int, "seed": int, "trt_var": str,
             "period_months": (int, float), "ties": str},
    "msm": {"paramcd": str, "strata": list, "switch_date": str, "covariates": list,
            "time_varying": list, "n_boot": int, "seed": int, "trt_var": str,
            "period_months": (int, float), "ties": str},
}


def validate_analyses(study: Study) -> None:
    """Raise :class:`UsageError` for an unknown type, an unknown key or a wrong type."""
    for spec in study.analyses:
        where = f"analysis {spec.get('id')!r}"
        kind = spec.get("type")
        if kind not in KEYS:
            raise UsageError(f"{where}: unknown type {kind!r} (known: {', '.join(KEYS)})", file=study.path)
        allowed = {**_COMMON_KEYS, **KEYS[kind]}
        for key, value in spec.items():
            if key not in allowed:
                raise UsageError(f"{where}: unknown key {key!r} for type {kind}", file=study.path)
            types = allowed[key] if isinstance(allowed[key], tuple) else (allowed[key],)
            if not isinstance(value, types) or isinstance(value, bool) and bool not in types:
                raise UsageError(f"{where}: key {key!r} has the wrong type ({type(value).__name__})",
                                 file=study.path)
        for key in ("paramcd",):
            if key in KEYS[kind] and key not in spec:
                raise UsageError(f"{where}: missing key {key!r}", file=study.path)
        if spec.get("contrasts", "pairwise") not in CONTRASTS:
            raise UsageError(f"{where}: contrasts must be {' or '.join(CONTRASTS)}, not "
                             f"{spec['contrasts']!r}", file=study.path)
        if isinstance(spec.get("ph_test"), str):
            from adam.stats.zph import TRANSFORMS
            if spec["ph_test"] not in TRANSFORMS:
                raise UsageError(f"{where}: ph_test must be true, false or a transform "
                                 f"({', '.join(TRANSFORMS)}), not {spec['ph_test']!r}", file=study.path)


def analysis_variables(study: Study, only: list[str] | None = None) -> set[str]:
    """The variables (of any dataset) that the analyses of ``study`` (or those in
    ``only``) may read: an ADaM folder read with only these gives the same ARD, without
    decoding the variables no analysis uses. The analyses are validated first (a wrong
    key type is a :class:`UsageError` here as in :func:`run_analyses`)."""
    validate_analyses(study)
    names = {"STUDYID", "USUBJID", "PARAMCD", "AVAL", "CNSR", "STARTDT", study.trt_var}
    for spec in study.analyses:
        if only and spec.get("id") not in only:
            continue
        if spec.get("population"):
            names.add(population_flag(study, spec["population"]))
        names.update(spec.get("where") or {})
        for key in ("subgroups", "strata", "covariates", "continuous", "categorical"):
            names.update(spec.get(key) or [])
        names.update(spec[key] for key in ("trt_var", "group_var") if key in spec)
        for row in spec.get("rows") or []:
            names.update((row.get("where") or {}) if isinstance(row, dict) else {})
        if spec.get("type") in ("ipcw", "msm"):
            names.update(("RANDDT", spec.get("switch_date", "NACTDT")))
    return {str(n) for n in names}


def run_analyses(adam: dict[str, Dataset], study: Study, only: list[str] | None = None,
                 findings: list | None = None, contrasts: str | None = None) -> pd.DataFrame:
    """Every analysis of ``study`` (or those in ``only``) as one ARD frame; warnings (a
    hazard ratio that is not estimable) appended to ``findings``. ``contrasts`` (pairwise
    or joint) overrides the ``contrasts`` of every ``tte`` analysis."""
    validate_analyses(study)
    if contrasts is not None:
        check_contrasts(contrasts, "contrasts")
    found = findings if findings is not None else []
    rows: list[dict] = []
    for spec in study.analyses:
        if only and spec["id"] not in only:
            continue
        if contrasts is not None and spec["type"] == "tte":
            spec = {**spec, "contrasts": contrasts}
        rows += RUNNERS[spec["type"]](adam, study, spec, found)
    return ard_frame(rows)
