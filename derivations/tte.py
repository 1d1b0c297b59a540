"""Time-to-event parameters (admiral ``event_source``, ``censor_source``,
``derive_param_tte``).

A source is data: which dataset, which date column, which records (``filter``: a
pandas query string or a callable ``frame -> mask``), and the values its record
carries (``set_values_to``: literals, or :class:`~derivations.common.Col` to copy a
column, e.g. ``{"EVNTDESC": "DEATH", "SRCDOM": "ADSL", "SRCVAR": "DTHDT"}``;
``SRCSEQ`` given as a plain string names a column).

Rules of :func:`derive_param_tte`, one record per ADSL subject:

1. Per event source, each subject's earliest dated record (ties: ``order`` columns,
   then input order); per censoring source, the latest. Records without a date are left
   out first. admiral differs here for censoring: its ``filter_extreme(mode = "last")``
   sorts a missing date last, so a subject's censoring-source record without a date is
   the one it picks, and the missing date then removes it: the censoring from that
   source is lost (the subject falls back to another source, or gets no record), where
   adamant takes the latest dated record of the source. The two agree whenever a
   censoring source has at most one record per subject (an ADSL date) or no record
   without a date (admiralonco's LSTA, one dated record per subject). For events
   (earliest date) both ignore a missing date.
2. The event is the earliest over all event sources (ties: the source listed first);
   the censoring is the latest over all censoring sources (ties: the source listed
   last).
3. A subject with an event gets the event, whatever its censoring dates, so an event
   on the same date as a censoring wins. ``CNSR`` is 0 for events, the source's
   ``censor`` (1, 2, ...) for censorings.
4. ``end_date`` (a data cutoff: an ADSL column name or one date) caps the analysis:
   event records after it are ignored; censoring dates after it become the end date,
   with ``CNSDTDSC`` ``"DATA CUTOFF"`` and ``SRCDOM``/``SRCVAR`` pointing at the end
   date (``SRCSEQ`` missing).
5. Dates before ``STARTDT`` are kept and moved to ``STARTDT`` (admiral: ``ADT`` is the
   later of ``ADT`` and ``STARTDT``), so ``AVAL`` is 1; each such subject gets a
   ``note`` finding ``TTE-BEFORE-START``.
6. ``AVAL = ADT - STARTDT + 1`` in days. Datetimes count by their date part.
7. A subject with neither an event nor a censoring, or without ``STARTDT``, keeps a
   record with ``ADT``/``AVAL``/``CNSR`` missing and gets an ``error`` finding
   (``TTE-NO-DATE`` / ``TTE-NO-START``); with ``findings=None`` such subjects raise
   :class:`adam.errors.InputError` instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from adam.errors import InputError, UsageError
from adam.findings import Finding
from derivations.common import Col, SubjectIndex, as_list, frame_of, require_columns, row_mask
from derivations.filters import filter_extreme

TRACE_VARS = ("EVNTDESC", "CNSDTDSC", "SRCDOM", "SRCVAR", "SRCSEQ")


@dataclass(frozen=True)
class TTESource:
    """A dated record source of a time-to-event parameter."""

    dataset_name: str
    date: str
    filter: str | Callable | None = None
    set_values_to: Mapping[str, Any] = field(default_factory=dict)
    order: Sequence[str] = ()
    censor: int = 0

    def values(self) -> dict[str, Any]:
        """``set_values_to`` with a plain-string ``SRCSEQ`` read as a column."""
        vals = dict(self.set_values_to)
        if isinstance(vals.get("SRCSEQ"), str) and not isinstance(vals["SRCSEQ"], Col):
            vals["SRCSEQ"] = Col(vals["SRCSEQ"])
        return vals


@dataclass(frozen=True)
class EventSource(TTESource):
    """An event (``CNSR`` 0); admiral ``event_source``."""

    def __post_init__(self):
        if self.censor != 0:
            raise UsageError("argument censor: an event source has censor 0")


@dataclass(frozen=True)
class CensorSource(TTESource):
    """A censoring (``CNSR`` = ``censor`` >= 1); admiral ``censor_source``."""

    censor: int = 1

    def __post_init__(self):
        if not isinstance(self.censor, (int, np.integer)) or self.censor < 1:
            raise UsageError(f"argument censor: must be an integer >= 1, not {self.censor!r}")


def _source_records(src: TTESource, number: int, datasets: Mapping, subjects: SubjectIndex,
                    end: np.ndarray | None, end_var: str | None) -> pd.DataFrame:
    """The selected record per subject of one source, in the common layout."""
    if src.dataset_name not in datasets:
        raise UsageError(f"argument source_datasets: no dataset {src.dataset_name!r} "
                         f"(sources name {src.dataset_name!r})")
    frame = frame_of(datasets[src.dataset_name], "source_datasets")
    vals = src.values()
    cols = [v for v in vals.values() if isinstance(v, Col)]
    require_columns(frame, subjects.keys + [src.date] + cols
                    + [str(o).lstrip("-") for o in as_list(src.order)],
                    f"{'event' if src.censor == 0 else 'censor'}_conditions ({src.dataset_name})")
    if not pd.api.types.is_datetime64_any_dtype(frame[src.date]):
        raise UsageError(f"argument event_conditions: {src.dataset_name}.{src.date} is not a date column")
    keep = row_mask(frame, src.filter, f"filter of the {src.dataset_name} source")
    keep &= frame[src.date].notna().to_numpy()
    sid = subjects.ids(frame)
    rows = np.flatnonzero(keep & (sid >= 0))
    recs = pd.DataFrame({"__sid": sid[rows], "ADT": frame[src.date].iloc[rows].dt.normalize().to_numpy()})
    for name, value in vals.items():
        recs[name] = frame[value].to_numpy()[rows] if isinstance(value, Col) else value
    order = ["ADT"]
    for i, o in enumerate(as_list(src.order)):
        recs[f"__ord{i}"] = frame[str(o).lstrip("-")].to_numpy()[rows]
        order.append(("-" if str(o).startswith("-") else "") + f"__ord{i}")
    recs["CNSR"] = float(src.censor)
    recs["__src"] = number
    if end is not None:
        cutoff = end[recs["__sid"].to_numpy()]
        after = recs["ADT"].to_numpy() > cutoff
        if src.censor == 0:
            recs = recs.loc[~after]
        else:
            recs.loc[after, "ADT"] = cutoff[after]
            recs.loc[after, "CNSDTDSC"] = "DATA CUTOFF"
            recs.loc[after, "SRCDOM"] = "ADSL" if end_var else np.nan
            recs.loc[after, "SRCVAR"] = end_var if end_var else np.nan
            recs.loc[after, "SRCSEQ"] = np.nan
    picked = filter_extreme(recs, ["__sid"], order, "first" if src.censor == 0 else "last")
    return picked.drop(columns=[c for c in picked.columns if c.startswith("__ord")])


def _pick(records: list[pd.DataFrame], mode: str) -> pd.DataFrame:
    """Earliest (``first``) or latest (``last``) record per subject over sources; on a
    date tie the source listed first / last."""
    records = [r for r in records if len(r)]
    if not records:
        return pd.DataFrame({"__sid": pd.Series(dtype=np.int64), "ADT": pd.Series(dtype="datetime64[ns]"),
                             "CNSR": pd.Series(dtype=float), "__src": pd.Series(dtype=int)})
    allrec = pd.concat(records, ignore_index=True)
    return filter_extreme(allrec, ["__sid"], ["ADT", "__src"], mode)


def _findings(adsl: pd.DataFrame, mask, rule: str, severity: str, message: str, paramcd) -> list[Finding]:
    """Findings on the subjects of ``adsl`` at ``mask`` (named by USUBJID when ``adsl``
    has it, whatever the subject keys)."""
    rows = np.flatnonzero(mask)
    usubjid = adsl["USUBJID"].to_numpy()[rows] if "USUBJID" in adsl.columns else [None] * len(rows)
    return [Finding("ADTTE", rule, severity, f"{paramcd}: {message}",
                    usubjid=None if pd.isna(u) else str(u), variable="ADT", record=None)
            for u in usubjid]


def derive_param_tte(dataset_adsl, source_datasets: Mapping, start_date: str,
                     event_conditions: Sequence[EventSource],
                     censor_conditions: Sequence[CensorSource],
                     set_values_to: Mapping[str, Any], end_date=None,
                     subject_keys: Sequence[str] = ("STUDYID", "USUBJID"),
                     findings: list | None = None, by_vars: Sequence[str] | None = None,
                     missing_dates: str = "keep") -> pd.DataFrame:
    """The records of one time-to-event parameter, one per subject of ``dataset_adsl``
    (rules in the module docstring). Columns: subject keys, ``set_values_to`` (PARAMCD,
    PARAM, ...), STARTDT, ADT, AVAL, CNSR, EVNTDESC, CNSDTDSC, SRCDOM, SRCVAR, SRCSEQ
    and any other variable the sources set. Problems are appended to ``findings``.

    ``missing_dates="drop"`` is admiral's rule instead of rule 7: a subject without any
    event or censoring date gets no record, and a subject without a start date keeps its
    ADT, CNSR and texts with AVAL missing (no finding either way).

    ``by_vars`` (admiral's ``by_vars``): one record per subject and by group, e.g. time
    to the first event of each AE term. Sources whose dataset lacks the by variables
    count for every by group (admiral's ``extend_source_datasets``); groups are those of
    the sources that have them; subject/group pairs without a date get no record. A
    ``set_values_to`` value may be a callable ``frame -> values`` evaluated on the new
    records while they still hold the by variables (``{"PARAMCD": lambda f: "TT" +
    f["AEDECOD"].str[:6]}``); the by variables are then dropped, as in admiral."""
    if missing_dates not in ("keep", "drop"):
        raise UsageError(f"argument missing_dates: {missing_dates!r} is not 'keep' or 'drop'")
    if by_vars:
        return _tte_by(dataset_adsl, source_datasets, start_date, event_conditions, censor_conditions,
                       set_values_to, end_date, subject_keys, findings, as_list(by_vars))
    adsl = frame_of(dataset_adsl, "dataset_adsl")
    keys = list(subject_keys)
    require_columns(adsl, keys, "subject_keys")
    require_columns(adsl, [start_date], "start_date")
    for arg, sources, kind in (("event_conditions", event_conditions, EventSource),
                               ("censor_conditions", censor_conditions, CensorSource)):
        bad = [s for s in as_list(sources) if not isinstance(s, kind)]
        if bad:
            raise UsageError(f"argument {arg}: expected {kind.__name__} objects, got {bad[0]!r}")
    if "PARAMCD" not in set_values_to:
        raise UsageError("argument set_values_to: PARAMCD is required")

    subjects = SubjectIndex(adsl, keys)
    if not subjects.is_unique:
        raise UsageError(f"argument dataset_adsl: more than one record per {', '.join(keys)}")
    end_var, end = None, None
    if end_date is not None:
        if isinstance(end_date, str) and end_date in adsl.columns:
            end_var = end_date
            end = pd.to_datetime(adsl[end_date]).dt.normalize().to_numpy()
        else:
            end = np.full(len(adsl), pd.Timestamp(end_date).normalize().to_datetime64())

    events = [_source_records(s, i, source_datasets, subjects, end, end_var)
              for i, s in enumerate(as_list(event_conditions))]
    censors = [_source_records(s, i, source_datasets, subjects, end, end_var)
               for i, s in enumerate(as_list(censor_conditions))]
    picked = [p for p in (_pick(events, "first"), _pick(censors, "last")) if len(p)]
    chosen = pd.concat(picked, ignore_index=True) if picked else _pick([], "first")
    chosen = chosen.drop_duplicates("__sid", keep="first").drop(columns="__src")
    chosen = chosen.set_index("__sid").reindex(np.arange(len(adsl)))

    out = adsl[keys].copy()
    out["STARTDT"] = pd.to_datetime(adsl[start_date]).dt.normalize()
    for col in chosen.columns:
        out[col] = chosen[col].to_numpy()
    out["ADT"] = pd.to_datetime(out["ADT"])
    before = (out["ADT"] < out["STARTDT"]).to_numpy()
    out.loc[before, "ADT"] = out.loc[before, "STARTDT"]
    out["AVAL"] = ((out["ADT"] - out["STARTDT"]).dt.days + 1).astype(float)
    out["CNSR"] = pd.to_numeric(out["CNSR"]).astype(float)

    paramcd = set_values_to["PARAMCD"]
    if callable(paramcd):
        paramcd = "PARAMCD"
    no_start = out["STARTDT"].isna().to_numpy()
    no_date = out["ADT"].isna().to_numpy() & ~no_start
    if missing_dates == "drop":
        keep = out["ADT"].notna().to_numpy()
        out = out.loc[keep]
        adsl = adsl.loc[keep]
        no_start = no_date = np.zeros(len(out), dtype=bool)
        before = before[keep]
    problems = (_findings(adsl, no_date, "TTE-NO-DATE", "error",
                          "no event or censoring date from any source", paramcd)
                + _findings(adsl, no_start, "TTE-NO-START", "error",
                            f"start date {start_date} is missing", paramcd))
    if problems and findings is None:
        raise InputError(f"{paramcd}: {len(problems)} subject(s) without a time-to-event date "
                         f"(first: {problems[0].usubjid}: {problems[0].message})",
                         variable=start_date if no_start.any() else "ADT")
    if findings is not None:
        findings.extend(problems)
        findings.extend(_findings(adsl, before, "TTE-BEFORE-START", "note",
                                  f"event/censoring date before {start_date}; ADT set to STARTDT",
                                  paramcd))
    out.loc[no_start, ["ADT", "AVAL", "CNSR"]] = np.nan

    for name, value in set_values_to.items():
        out[name] = value(out) if callable(value) else value
    for name in TRACE_VARS:
        if name not in out.columns:
            out[name] = pd.Series(np.nan, index=out.index, dtype=float if name == "SRCSEQ" else object)
    out["SRCSEQ"] = pd.to_numeric(out["SRCSEQ"], errors="coerce").astype(float)
    lead = keys + list(set_values_to) + ["STARTDT", "ADT", "AVAL", "CNSR"] + list(TRACE_VARS)
    rest = [c for c in out.columns if c not in lead]
    out = out[lead + rest]
    out.index = pd.RangeIndex(len(out))     # a new frame: renumbered without a copy
    return out


def _tte_by(dataset_adsl, source_datasets, start_date, event_conditions, censor_conditions,
            set_values_to, end_date, subject_keys, findings, by_vars) -> pd.DataFrame:
    """:func:`derive_param_tte` per subject and ``by_vars`` group."""
    adsl = frame_of(dataset_adsl, "dataset_adsl")
    sources = {name: frame_of(data, "source_datasets") for name, data in source_datasets.items()}
    used = {s.dataset_name for s in as_list(event_conditions) + as_list(censor_conditions)}
    groups = []
    for name in used:
        frame = sources.get(name)
        if frame is None:
            continue
        present = [v for v in by_vars if v in frame.columns]
        if present and len(present) != len(by_vars):
            raise UsageError(f"argument by_vars: dataset {name!r} has only {', '.join(present)} "
                             f"of {', '.join(by_vars)} (all or none)")
        if present:
            groups.append(frame[by_vars])
    if not groups:
        raise UsageError(f"argument by_vars: no source dataset has {', '.join(by_vars)}")
    groups = pd.concat(groups, ignore_index=True).drop_duplicates().dropna(how="all")
    groups = groups.reset_index(drop=True)
    extended = {name: frame if all(v in frame.columns for v in by_vars) else frame.merge(groups, how="cross")
                for name, frame in sources.items()}
    base = adsl.drop(columns=[v for v in by_vars if v in adsl.columns]).merge(groups, how="cross")
    out = derive_param_tte(base, extended, start_date, event_conditions, censor_conditions,
                           set_values_to, end_date, list(subject_keys) + by_vars, findings,
                           missing_dates="drop")
    return out.drop(columns=by_vars).reset_index(drop=True)
