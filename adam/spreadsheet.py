"""CSV cells a spreadsheet would run, neutralised (OWASP, "CSV Injection").

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
read by Excel, LibreOffice and Google Sheets as a formula (``=HYPERLINK(...)``,
``-2+3+cmd|...``); such a cell is written with a single quote in front, which the
spreadsheet shows as text and does not run. A cell that is a plain number (``-1.5``,
``+3``, ``-2e-05``) is left as it is, so negative numbers stay readable and numeric.
Applied to every cell of the CSVs adamant writes for people (``check --findings``);
not to ``ard.csv``, a data file that ``report`` and other programs read back exactly.
"""

from __future__ import annotations

import re

import pandas as pd

_RISKY = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")


def neutralise(value):
    """``value`` with a leading ``'`` when it is text a spreadsheet would run."""
    if isinstance(value, str) and value.startswith(_RISKY) and not _NUMBER.match(value):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every risky text cell neutralised (:func:`neutralise`)."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col].dtype):
            out[col] = out[col].map(neutralise, na_action="ignore").astype(object)
    return out
