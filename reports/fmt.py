"""Display formatting of ARD numbers (the only arithmetic here: days -> months and rounding).

Rounding is half away from zero on the decimal representation (SAS ``PUT(x, 8.1)``
behaviour), not Python's round-half-even on binary floats.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

DAYS_PER_MONTH = 30.4375
NOT_REACHED = "NR"
NOT_ESTIMABLE = "NE"


def is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def months(days):
    """Days -> months (days / 30.4375); None/NaN give NaN. Works on scalars and arrays."""
    return math.nan if days is None else days / DAYS_PER_MONTH


TIME_UNITS = {"months": DAYS_PER_MONTH, "days": 1.0}


def in_unit(days, unit: str = "months"):
    """Days -> ``unit`` ('months' = days / 30.4375, or 'days'); None/NaN give NaN."""
    return math.nan if days is None else days / TIME_UNITS[unit]


def amount(number: str, unit: str) -> str:
    """'1 month', '12 months', '1 day': the unit singular after a count of 1."""
    return f"{number} {unit[:-1] if number == '1' and unit.endswith('s') else unit}"


def fixed(value, digits: int = 1, missing: str = NOT_ESTIMABLE) -> str:
    """``value`` with ``digits`` decimals, rounded half away from zero; ``missing`` if NaN."""
    if is_missing(value):
        return missing
    quantum = Decimal(1).scaleb(-digits)
    return str(Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP))


def count(value) -> str:
    """An integer count; ``''`` when absent."""
    return "" if is_missing(value) else f"{int(round(value))}"


def n_pct(n, pct, digits: int = 1) -> str:
    """``288 (73.1)``; ``pct`` is a percentage (0-100) as stored in the ARD."""
    if is_missing(n):
        return ""
    return f"{count(n)} ({fixed(pct, digits, missing=NOT_ESTIMABLE)})"


def estimate_ci(est, lcl, ucl, digits: int = 1, missing_est: str = NOT_ESTIMABLE) -> str:
    """``26.5 (22.0, 30.1)``; NE for a limit that is not estimable."""
    text = fixed(est, digits, missing=missing_est)
    if is_missing(lcl) and is_missing(ucl) and is_missing(est):
        return text
    return f"{text} ({fixed(lcl, digits)}, {fixed(ucl, digits)})"


def median_ci_months(median, lcl, ucl, unit: str = "months") -> str:
    """Median survival and CI (ARD days) in ``unit``; NR when the median is not reached."""
    return estimate_ci(in_unit(median, unit), in_unit(lcl, unit), in_unit(ucl, unit), 1,
                       missing_est=NOT_REACHED)


def hr_ci(hr, lcl, ucl, digits: int = 3) -> str:
    return estimate_ci(hr, lcl, ucl, digits)


def p_value(p, digits: int = 3) -> str:
    """``0.850``, ``<0.001``; ``''`` when absent."""
    if is_missing(p):
        return ""
    if p < 10 ** -digits:
        return f"<{fixed(10 ** -digits, digits)}"
    return fixed(p, digits)


def header_n(label: str, n) -> str:
    """Column header ``Ixazomib (N=394)``."""
    return label if is_missing(n) else f"{label} (N={count(n)})"
