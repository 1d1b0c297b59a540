"""The first or last date over several sources (admiral ``date_source`` and
``derive_var_extreme_dt``), e.g. the date last known alive from survival status,
treatment, assessment and death dates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from adam.errors import UsageError
from derivations.common import SubjectIndex, as_list, frame_of, like, require_choice, require_columns, row_mask


@dataclass(frozen=True)
class DateSource:
    """Dates of one dataset: ``date`` column of the records meeting ``filter``."""

    dataset_name: str
    date: str
    filter: str | Callable | None = None


def derive_var_extreme_dt(dataset, new_var: str, sources: Sequence[DateSource],
                          source_datasets: Mapping, mode: str = "last",
                          subject_keys: Sequence[str] = ("STUDYID", "USUBJID")):
    """Add ``new_var``: per subject of ``dataset`` (one record per subject), the latest
    (``mode='last'``) or earliest (``'first'``) non-missing date over all ``sources``;
    missing when no source has one. Datetimes keep their time."""
    require_choice(mode, ("first", "last"), "mode")
    frame = frame_of(dataset)
    keys = list(subject_keys)
    require_columns(frame, keys, "subject_keys")
    subjects = SubjectIndex(frame, keys)
    if not subjects.is_unique:
        raise UsageError(f"argument dataset: more than one record per {', '.join(keys)}")
    best = np.full(len(frame), np.datetime64("NaT"), dtype="datetime64[ns]")
    for src in as_list(sources):
        if not isinstance(src, DateSource):
            raise UsageError(f"argument sources: expected DateSource objects, got {src!r}")
        if src.dataset_name not in source_datasets:
            raise UsageError(f"argument source_datasets: no dataset {src.dataset_name!r}")
        data = frame_of(source_datasets[src.dataset_name], "source_datasets")
        require_columns(data, keys + [src.date], f"sources ({src.dataset_name})")
        if not pd.api.types.is_datetime64_any_dtype(data[src.date]):
            raise UsageError(f"argument sources: {src.dataset_name}.{src.date} is not a date column")
        rows = np.flatnonzero(row_mask(data, src.filter, f"filter of the {src.dataset_name} source"))
        sid = subjects.ids(data)[rows]
        dates = data[src.date].to_numpy(dtype="datetime64[ns]")[rows]
        keep = (sid >= 0) & ~np.isnat(dates)
        per_subject = pd.Series(dates[keep]).groupby(sid[keep]).agg("max" if mode == "last" else "min")
        found = np.full(len(frame), np.datetime64("NaT"), dtype="datetime64[ns]")
        found[per_subject.index.to_numpy()] = per_subject.to_numpy(dtype="datetime64[ns]")
        pick = np.fmax if mode == "last" else np.fmin
        best = pick(best, found)
    out = frame.copy()
    out[new_var] = pd.Series(best, index=frame.index)
    return like(dataset, out)
