"""Durations and date parts (admiral ``derive_vars_duration``, ``derive_vars_dtm_to_dt``).

Differences from admiral, on purpose: months and years are fixed lengths (a month is
365.25 / 12 days, a year 365.25 days), where admiral (lubridate ``time_length`` on an
interval) counts calendar months; days, weeks, hours, minutes and seconds agree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from adam.errors import UsageError
from derivations.common import as_list, frame_of, like, require_choice, require_columns

#: the length of each unit in days
UNIT_DAYS = {"days": 1.0, "weeks": 7.0, "months": 365.25 / 12, "years": 365.25,
             "hours": 1 / 24, "minutes": 1 / 1440, "seconds": 1 / 86400}
_ALIASES = {"day": "days", "week": "weeks", "month": "months", "year": "years", "hour": "hours",
            "minute": "minutes", "min": "minutes", "second": "seconds", "sec": "seconds"}


def _unit(value: str, arg: str) -> str:
    unit = _ALIASES.get(str(value).lower(), str(value).lower())
    require_choice(unit, tuple(UNIT_DAYS), arg)
    return unit


def derive_vars_duration(dataset, new_var: str, start_date: str, end_date: str,
                         new_var_unit: str | None = None, in_unit: str = "days",
                         out_unit: str = "days", floor_in: bool = True, add_one: bool = True,
                         trunc_out: bool = False):
    """Add ``new_var``: the time from ``start_date`` to ``end_date`` in ``out_unit``
    (admiral ``derive_vars_duration``). With ``floor_in`` and ``in_unit`` ``"days"``
    datetimes count by their dates; ``add_one`` adds one ``in_unit`` day (so a
    same-day duration is 1; admiral adds it whatever the sign); ``trunc_out`` drops the
    fraction. ``new_var_unit`` names a variable holding the unit in capitals (``DAYS``).

    admiral's example: ``derive_vars_duration(new_var = ADURN, new_var_unit = ADURU,
    start_date = ASTDT, end_date = AENDT)`` gives 1 DAYS for an event that starts and
    ends on 2019-01-01, 5 for 2020-02-01 .. 2020-02-05."""
    frame = frame_of(dataset)
    require_columns(frame, [start_date, end_date], "start_date/end_date")
    in_unit, out_unit = _unit(in_unit, "in_unit"), _unit(out_unit, "out_unit")
    start = pd.to_datetime(frame[start_date])
    end = pd.to_datetime(frame[end_date])
    if floor_in and in_unit == "days":
        start, end = start.dt.normalize(), end.dt.normalize()
    days = (end - start) / pd.Timedelta(days=1)
    if add_one:
        days = days + (1.0 if in_unit == "days" else UNIT_DAYS[in_unit])
    value = (days / UNIT_DAYS[out_unit]).astype(float)
    if trunc_out:
        value = np.trunc(value)
    out = frame.copy()
    out[new_var] = value.to_numpy()
    if new_var_unit:
        out[new_var_unit] = pd.Series(np.where(value.notna(), out_unit.upper(), None),
                                      index=frame.index, dtype=object).where(value.notna(), np.nan)
    return like(dataset, out)


def derive_vars_dtm_to_dt(dataset, source_vars):
    """Add ``<name>DT`` (the date part) for each ``<name>DTM`` of ``source_vars``
    (admiral ``derive_vars_dtm_to_dt``: ``TRTSDTM`` -> ``TRTSDT``)."""
    frame = frame_of(dataset)
    names = as_list(source_vars)
    require_columns(frame, names, "source_vars")
    out = frame.copy()
    for name in names:
        if not name.endswith("DTM"):
            raise UsageError(f"argument source_vars: {name} does not end in DTM")
        out[name[:-1]] = pd.to_datetime(frame[name]).dt.normalize()
    return like(dataset, out)
