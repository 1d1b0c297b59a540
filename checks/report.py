"""Findings outputs: the CSV of ``shared/spec/cli.md`` and a self-contained HTML report
(Jinja2, autoescaped: values from the data never become markup). Also the shared
template renderer and value formatter used by :mod:`checks.compare`."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import numpy as np
import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from adam.findings import COLUMNS, SEVERITIES, Finding, FindingTable, findings_frame
from adam.io.atomic import atomic_path, write_text

TEMPLATES = Path(__file__).parent / "templates"


def format_value(value) -> str:
    """A cell value as text: missing as '', whole-day dates as ISO dates, floats in
    ``%.15g`` (3.0 prints 3; 1 + 1e-12 prints 1.000000000001)."""
    if value is None:
        return ""
    if isinstance(value, (pd.Timestamp, np.datetime64, dt.datetime)):
        ts = pd.Timestamp(value)
        if pd.isna(ts):
            return ""
        return ts.date().isoformat() if ts == ts.normalize() else ts.isoformat()
    if isinstance(value, (float, np.floating)):
        return "" if np.isnan(value) else f"{value:.15g}"
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


@functools.lru_cache(maxsize=2)
def _environment(autoescape: bool) -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=autoescape,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    env.filters["fmt"] = format_value
    return env


def render(template: str, autoescape: bool = True, **context) -> str:
    """Render one of ``checks/templates``; HTML is always autoescaped."""
    return _environment(autoescape).get_template(template).render(**context)


def _as_frame(findings) -> pd.DataFrame:
    if isinstance(findings, pd.DataFrame):
        return findings
    return findings_frame(list(findings))


#: findings made into text and written at a time by :func:`write_findings_csv`
CSV_CHUNK = 100_000


def write_findings_csv(findings, path: str | Path, inputs=(), chunk: int | None = None) -> Path:
    """CSV with exactly ``dataset,rule_id,severity,usubjid,variable,value,message``
    (missing as empty), written atomically; cells a spreadsheet would run as a formula
    are neutralised (:mod:`adam.spreadsheet`). A list or
    :class:`~adam.findings.FindingTable` is streamed: sorted as :func:`findings_frame`
    sorts, ``chunk`` (:data:`CSV_CHUNK`) findings at a time made into text and written (all of them)."""
    from adam.spreadsheet import neutralise_frame

    with atomic_path(path, inputs) as tmp:
        if isinstance(findings, pd.DataFrame):
            neutralise_frame(findings[COLUMNS]).to_csv(tmp, index=False, encoding="utf-8",
                                                       lineterminator="\r\n")  # RFC 4180:
            # a value holding a carriage return is quoted too
            return Path(path)
        table = FindingTable.of(findings)
        order = table.order()
        chunk = chunk or CSV_CHUNK
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            for start in range(0, max(len(order), 1), chunk):
                frame = neutralise_frame(table.frame(order[start:start + chunk])[COLUMNS])
                frame.to_csv(fh, index=False, header=start == 0, lineterminator="\r\n")
    return Path(path)


def severity_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Findings per dataset (rows) and severity (columns), with totals. ``frame``: the
    findings, or their counts (a ``count`` column, as :meth:`FindingTable.summary`)."""
    if "count" in frame.columns and len(frame):
        table = pd.crosstab(frame["dataset"], frame["severity"], values=frame["count"], aggfunc="sum")
        table = table.fillna(0)
    else:
        table = pd.crosstab(frame["dataset"], frame["severity"]) if len(frame) else \
            pd.DataFrame(columns=list(SEVERITIES))
    table = table.reindex(columns=list(SEVERITIES), fill_value=0)
    table["total"] = table.sum(axis=1)
    table.loc["All datasets"] = table.sum(axis=0)
    return table.astype(int)


def write_findings_html(findings, path: str | Path, title: str = "Validation findings",
                        subtitle: str | None = None, links: dict[str, str] | None = None,
                        inputs=(), max_rows: int | None = None, per_rule: int | None = None) -> Path:
    """HTML report: counts by severity and dataset, then every finding (up to
    ``max_rows``) with dataset, rule, severity, subject, variable, value, record and
    message. ``findings``: a list of :class:`Finding` or a ``findings_frame``.
    ``per_rule``: list only the first of each dataset and rule (all are counted).
    ``links``: extra labelled links (e.g. GX Data Docs), relative paths preferred."""
    from adam.findings import first_per_rule

    if isinstance(findings, pd.DataFrame):
        frame = findings
        shown = first_per_rule(frame, per_rule)
        counts = severity_counts(frame)
    else:            # compact: counted whole, only the rows listed made into text
        table = FindingTable.of(findings)
        order = table.order()
        listed = table.first_per_rule(order, per_rule)
        shown = table.frame(listed if max_rows is None else listed[:max_rows])
        counts = severity_counts(table.summary(order))
        frame = table
    shown = shown if max_rows is None else shown.head(max_rows)
    rows = shown.astype(object).where(shown.notna(), None).to_dict("records")
    html = render("findings.html.j2", title=title, subtitle=subtitle, links=links or {},
                  counts=counts, total=len(frame), rows=rows,
                  truncated=len(frame) - len(shown), severities=SEVERITIES,
                  generated=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    return write_text(path, html, inputs=inputs)


__all__ = ["Finding", "format_value", "render", "severity_counts", "write_findings_csv",
           "write_findings_html"]
