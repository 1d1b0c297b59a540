"""ISO 8601 --DTC text from integer day numbers (days since 1970-01-01), vectorized.

A column is a pandas categorical over a small table of the distinct dates, so ten
million dates cost two bytes each and a few thousand strings (the XPT writer encodes
each distinct date once).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DAY = "D"
MONTH = "M"
YEAR = "Y"


def to_day(iso: str) -> int:
    """Day number of an ISO date ``YYYY-MM-DD``."""
    return int(np.datetime64(iso, "D").astype(np.int64))


def dtc(days: np.ndarray, precision: np.ndarray | str = DAY) -> pd.Categorical:
    """ISO 8601 dates as a categorical (one small code per value into the distinct texts);
    missing where ``days`` is missing (negative sentinel ``-1`` or NaN). ``precision``
    ('D', 'M', 'Y', per value or scalar) truncates the text to ``YYYY-MM-DD``,
    ``YYYY-MM`` or ``YYYY`` (partial dates)."""
    days = np.asarray(days, dtype=float)
    codes = np.full(days.shape, -1, dtype=np.int64)
    ok = np.isfinite(days) & (days >= 0)
    if not ok.any():
        return pd.Categorical.from_codes(codes, categories=[])
    d = days[ok].astype(np.int64)
    lo = int(d.min())
    table = np.arange(lo, int(d.max()) + 1).astype("datetime64[D]").astype(str)
    full = d - lo
    texts = table.tolist()
    if not (isinstance(precision, str) and precision == DAY):
        prec = np.broadcast_to(np.asarray(precision).astype("U1"), days.shape)[ok]
        for code, width in ((MONTH, 7), (YEAR, 4)):
            hit = prec == code
            if hit.any():
                short, which = np.unique(table.astype(f"U{width}"), return_inverse=True)
                full[hit] = len(texts) + which[d[hit] - lo]
                texts += short.tolist()
    codes[ok] = full
    return pd.Categorical.from_codes(codes, categories=pd.Index(texts, dtype=object))


def study_day(days: np.ndarray, ref_days: np.ndarray) -> np.ndarray:
    """SDTM --DY: day 1 is the reference day, no day 0 (float, NaN when either is missing)."""
    days = np.asarray(days, dtype=float)
    ref = np.asarray(ref_days, dtype=float)
    ref = np.where(ref >= 0, ref, np.nan)
    days = np.where(days >= 0, days, np.nan)
    diff = days - ref
    return np.where(diff >= 0, diff + 1, diff)


def partial_precision(rng: np.random.Generator, n: int, p_month: float, p_year: float) -> np.ndarray:
    """Random precision codes: 'M' with probability ``p_month``, 'Y' with ``p_year``, else 'D'."""
    u = rng.random(n)
    return np.where(u < p_year, YEAR, np.where(u < p_year + p_month, MONTH, DAY)).astype(object)
