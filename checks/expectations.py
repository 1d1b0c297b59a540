"""great-expectations (GX 1.x) suites for SDTM inputs and ADaM outputs.

Suites are declared as data (:data:`SDTM_SUITES`, :data:`ADAM_SUITES`): per dataset a
list of ``(GX expectation class, kwargs, severity)``; an expectation on a column the
dataset does not have is skipped, except ``ExpectColumnToExist`` which reports it.
:func:`run_expectations` validates every dataset in an ephemeral, offline GX context
(analytics off, no progress bars), converts each failed expectation into one
:class:`~adam.findings.Finding` per unexpected record (rule ID ``GX.<expectation>``),
and, when ``docs_dir`` is given, writes GX Data Docs there.

Offline Data Docs: GX pages load Bootstrap, jQuery, bootstrap-table, Font Awesome and
Vega from CDNs. The validation and suite pages are rendered server side, so
:func:`make_docs_offline` removes those remote ``<link>``/``<script>`` tags, points the
logo at the local copy, adds a small local stylesheet and, because the GX index table
is filled by bootstrap-table JavaScript, adds a static list of links to every page.
The pages then read fully offline (no sorting/filtering widgets).

GX is slow to import (~2-3 s): it is imported on first use, not with this module.
"""

from __future__ import annotations

import html
import os
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from adam.errors import UsageError
from adam.findings import Finding, FindingTable, coded_text
from adam.metadata import Dataset
from checks.report import format_value

# ISO 8601 as SDTM --DTC allows it: partial dates, '-' for an unknown component
ISO8601 = (r"^\d{4}(-(0[1-9]|1[0-2]|-)(-(0[1-9]|[12]\d|3[01]|-)"
           r"(T([01]\d|2[0-3])(:[0-5]\d(:[0-5]\d(\.\d+)?)?)?)?)?)?$")
NON_SUBJECT = ("TA", "TE", "TI", "TS", "TV", "TD", "TM", "RELREC")
SDTM_STUDY = [
    ("ExpectColumnToExist", {"column": "STUDYID"}, "error"),
    ("ExpectColumnValuesToNotBeNull", {"column": "STUDYID"}, "error"),
]
SDTM_SUBJECT = [
    ("ExpectColumnToExist", {"column": "USUBJID"}, "error"),
    ("ExpectColumnValuesToNotBeNull", {"column": "USUBJID"}, "error"),
]
SDTM_SUITES: dict[str, list] = {
    "DM": [
        ("ExpectColumnValuesToBeUnique", {"column": "USUBJID"}, "error"),
        ("ExpectColumnToExist", {"column": "SEX"}, "error"),
        ("ExpectColumnValuesToBeInSet",
         {"column": "SEX", "value_set": ["M", "F", "U", "UNDIFFERENTIATED"]}, "error"),
        ("ExpectColumnValuesToBeBetween", {"column": "AGE", "min_value": 0, "max_value": 120},
         "warning"),
        ("ExpectColumnValuesToBeInSet",
         {"column": "AGEU", "value_set": ["YEARS", "MONTHS", "WEEKS", "DAYS", "HOURS"]},
         "error"),
        ("ExpectColumnValuesToNotBeNull", {"column": "ARMCD"}, "warning"),
        ("ExpectColumnValuesToMatchRegex", {"column": "RFSTDTC", "regex": ISO8601}, "error"),
        ("ExpectColumnValuesToMatchRegex", {"column": "DTHDTC", "regex": ISO8601}, "error"),
        ("ExpectColumnValuesToBeInSet", {"column": "DTHFL", "value_set": ["Y"]}, "error"),
    ],
    "AE": [
        ("ExpectColumnValuesToNotBeNull", {"column": "AETERM"}, "error"),
        ("ExpectColumnValuesToNotBeNull", {"column": "AEDECOD"}, "warning"),
        ("ExpectColumnValuesToBeInSet", {"column": "AESER", "value_set": ["Y", "N"]}, "error"),
        ("ExpectColumnValuesToBeInSet",
         {"column": "AESEV", "value_set": ["MILD", "MODERATE", "SEVERE"]}, "error"),
        ("ExpectColumnValuesToMatchRegex", {"column": "AESTDTC", "regex": ISO8601}, "error"),
        ("ExpectColumnValuesToMatchRegex", {"column": "AEENDTC", "regex": ISO8601}, "error"),
    ],
    "DS": [
        ("ExpectColumnValuesToNotBeNull", {"column": "DSDECOD"}, "error"),
        ("ExpectColumnValuesToMatchRegex", {"column": "DSSTDTC", "regex": ISO8601}, "error"),
    ],
    "EX": [
        ("ExpectColumnValuesToNotBeNull", {"column": "EXTRT"}, "error"),
        ("ExpectColumnValuesToBeBetween", {"column": "EXDOSE", "min_value": 0}, "error"),
        ("ExpectColumnValuesToMatchRegex", {"column": "EXSTDTC", "regex": ISO8601}, "error"),
        ("ExpectColumnValuesToMatchRegex", {"column": "EXENDTC", "regex": ISO8601}, "error"),
    ],
}
ADAM_SUITES: dict[str, list] = {
    "ADSL": [
        *[("ExpectColumnToExist", {"column": c}, "error")
          for c in ("STUDYID", "USUBJID", "SUBJID", "SITEID", "AGE", "SEX", "TRT01P")],
        ("ExpectColumnValuesToBeUnique", {"column": "USUBJID"}, "error"),
        ("ExpectColumnValuesToNotBeNull", {"column": "USUBJID"}, "error"),
        ("ExpectColumnValuesToNotBeNull", {"column": "TRT01P"}, "warning"),
        ("ExpectColumnValuesToBeInSet", {"column": "ITTFL", "value_set": ["Y", "N"],
                                         "mostly": 1.0}, "error"),
        ("ExpectColumnValuesToNotBeNull", {"column": "ITTFL"}, "error"),
        ("ExpectColumnValuesToBeInSet", {"column": "SAFFL", "value_set": ["Y", "N"]}, "error"),
        ("ExpectColumnValuesToNotBeNull", {"column": "SAFFL"}, "error"),
        ("ExpectColumnValuesToBeBetween", {"column": "AGE", "min_value": 0, "max_value": 120},
         "warning"),
        ("ExpectColumnValuesToBeInSet",
         {"column": "SEX", "value_set": ["M", "F", "U", "UNDIFFERENTIATED"]}, "error"),
        ("ExpectColumnPairValuesAToBeGreaterThanB",
         {"column_A": "TRTEDT", "column_B": "TRTSDT", "or_equal": True,
          "ignore_row_if": "either_value_is_missing"}, "error"),
    ],
    "ADTTE": [
        *[("ExpectColumnToExist", {"column": c}, "error")
          for c in ("USUBJID", "PARAMCD", "PARAM", "AVAL", "CNSR", "STARTDT", "ADT")],
        ("ExpectCompoundColumnsToBeUnique", {"column_list": ["USUBJID", "PARAMCD"]}, "error"),
        ("ExpectColumnValueLengthsToBeBetween",
         {"column": "PARAMCD", "min_value": 1, "max_value": 8}, "error"),
        ("ExpectColumnValuesToNotBeNull", {"column": "CNSR"}, "error"),
        ("ExpectColumnValuesToBeBetween", {"column": "CNSR", "min_value": 0}, "error"),
        ("ExpectColumnValuesToNotBeNull", {"column": "AVAL"}, "error"),
        ("ExpectColumnValuesToBeBetween", {"column": "AVAL", "min_value": 1}, "error"),
        ("ExpectColumnPairValuesAToBeGreaterThanB",
         {"column_A": "ADT", "column_B": "STARTDT", "or_equal": True,
          "ignore_row_if": "either_value_is_missing"}, "error"),
    ],
}
_COLUMN_KEYS = ("column", "column_A", "column_B")


def _gx():
    """Import GX offline and quietly (analytics off before the import)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")   # a user's own choice stands
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import great_expectations as gx
    return gx


def suite_specs(name: str, kind: str) -> list:
    """The declared expectations for dataset ``name`` (``kind`` 'sdtm' or 'adam').
    SDTM: every domain has STUDYID; subject domains (not trial design, not RELREC) have
    a populated USUBJID, ``DOMAIN`` equal to the domain name and ``--SEQ`` unique within
    USUBJID, then the domain's own expectations."""
    name = name.upper()
    if kind == "sdtm":
        subject = SDTM_SUBJECT if name not in NON_SUBJECT else []
        generic = [("ExpectColumnValuesToBeInSet", {"column": "DOMAIN", "value_set": [name]},
                    "error"),
                   ("ExpectCompoundColumnsToBeUnique",
                    {"column_list": ["USUBJID", f"{name}SEQ"]}, "error")]
        return SDTM_STUDY + subject + generic + SDTM_SUITES.get(name, [])
    if kind == "adam":
        return ADAM_SUITES.get(name, [])
    raise UsageError(f"kind must be 'sdtm' or 'adam', not {kind!r}")


def suite_variables(name: str, kind: str) -> set[str]:
    """The variables the suite of dataset ``name`` names, and USUBJID (to name the
    subject of a finding): all a reader needs to run the suite."""
    used = {"USUBJID"}
    for _, kwargs, _ in suite_specs(name, kind):
        used.update(kwargs.get(k) for k in _COLUMN_KEYS)
        used.update(kwargs.get("column_list") or [])
    return used - {None}


def _applicable(spec, columns) -> bool:
    cls, kwargs, _ = spec
    if cls == "ExpectColumnToExist":
        return True
    needed = [kwargs[k] for k in _COLUMN_KEYS if k in kwargs] + kwargs.get("column_list", [])
    return all(c in columns for c in needed)


def _context(gx, docs_dir: Path | None):
    from great_expectations.data_context.types.base import (DataContextConfig,
                                                            InMemoryStoreBackendDefaults,
                                                            ProgressBarsConfig)
    sites = {}
    if docs_dir is not None:
        sites = {"local_site": {
            "class_name": "SiteBuilder", "show_how_to_buttons": False,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                              "base_directory": str(Path(docs_dir).resolve())},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"}}}
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False, data_docs_sites=sites,
        progress_bars=ProgressBarsConfig(globally=False))
    return gx.get_context(mode="ephemeral", project_config=config)


def run_expectations(datasets: dict[str, Dataset], kind: str = "sdtm",
                     docs_dir: str | Path | None = None) -> FindingTable:
    """Validate each dataset against its suite; failed expectations become findings.
    With ``docs_dir``, GX Data Docs (made readable offline) are written there."""
    if kind not in ("sdtm", "adam"):
        raise UsageError(f"kind must be 'sdtm' or 'adam', not {kind!r}")
    gx = _gx()
    from great_expectations.core.run_identifier import RunIdentifier
    docs_dir = Path(docs_dir) if docs_dir is not None else None
    context = _context(gx, docs_dir)
    source = context.data_sources.add_pandas(kind)
    findings: list = []
    for ds in datasets.values():
        specs = [s for s in suite_specs(ds.name, kind) if _applicable(s, ds.frame.columns)]
        if not specs:
            continue
        frame = _suite_columns(ds.frame, suite_variables(ds.name, kind))
        name = re.sub(r"[^A-Za-z0-9_]", "_", ds.name)      # names GX puts in pages and paths
        suite = context.suites.add(gx.ExpectationSuite(name=f"{kind}.{name}"))
        for cls, kwargs, severity in specs:
            suite.add_expectation(getattr(gx.expectations, cls)(**kwargs,
                                                                meta={"severity": severity}))
        batch = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe(name)
        validation = context.validation_definitions.add(
            gx.ValidationDefinition(name=f"{kind}.{name}", data=batch, suite=suite))
        checkpoint = context.checkpoints.add(gx.Checkpoint(
            name=f"{kind}.{name}", validation_definitions=[validation],
            result_format={"result_format": "COMPLETE"}))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = checkpoint.run(batch_parameters={"dataframe": frame},
                                    run_id=RunIdentifier(run_name=f"adamant-{kind}"))
        for run in result.run_results.values():
            findings.extend(_findings(ds, frame, run.results))
    if docs_dir is not None:
        _escape_results(context)
        context.build_data_docs()
        make_docs_offline(docs_dir)
    return FindingTable.concat(findings)


def _escape_results(context) -> None:
    """HTML-escape every text of the stored validation results (unexpected values, observed
    values, exception messages) before GX renders Data Docs from them: GX puts those
    values into its pages as markup, so a value ``<script>...`` would run there. The
    findings were taken from the results before, unescaped."""
    store = context.validation_results_store
    for key in store.list_keys():
        suite_result = store.get(key)
        for r in suite_result.results:
            r.result = _escaped(r.result)
            r.exception_info = _escaped(r.exception_info)
        store.set(key, suite_result)


def _escaped(value):
    """``value`` with every string in it (dict keys too, nested) HTML-escaped."""
    if isinstance(value, str):
        return html.escape(value, quote=True)
    if isinstance(value, dict):
        return {_escaped(k): _escaped(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_escaped(v) for v in value)
    return value


def _suite_columns(frame: pd.DataFrame, used: set[str]) -> pd.DataFrame:
    """The ``used`` variables of ``frame`` with a fresh row index, consolidated once (GX
    copies the frame for each metric: a 100-variable ADSL is not handed over whole, and
    each copy is one block per type, not one per column)."""
    return pd.DataFrame({c: frame[c].to_numpy() for c in frame.columns if c in used}, copy=True)


def _findings(ds: Dataset, frame: pd.DataFrame, results) -> list:
    out = []
    for r in results:
        if r.success:
            continue
        config = r.expectation_config
        severity = (config.meta or {}).get("severity", "error")
        kwargs = config.kwargs
        column = kwargs.get("column") or kwargs.get("column_A")
        variable = column or ",".join(kwargs.get("column_list") or []) or None
        rule_id = f"GX.{config.type}"
        text = _describe(config.type, kwargs)
        if r.exception_info and r.exception_info.get("raised_exception"):
            out.append(Finding(ds.name, rule_id, "error",
                               f"{text}: GX could not evaluate it: "
                               f"{r.exception_info.get('exception_message')}",
                               variable=variable))
            continue
        rows = (r.result or {}).get("unexpected_index_list")
        if not rows:
            observed = (r.result or {}).get("observed_value")
            out.append(Finding(ds.name, rule_id, severity, text, variable=variable,
                               value=format_value(observed) or None))
            continue
        positions = np.array([row if isinstance(row, (int, np.integer)) else row["index"]
                              for row in rows], dtype=int)
        out.append(FindingTable.build(len(positions), dataset=ds.name, rule_id=rule_id,
                                      severity=severity, message=text, variable=variable,
                                      usubjid=_cells(frame, "USUBJID", positions),
                                      value=_cells(frame, variable, positions), record=positions + 1))
    return out


def _cells(frame: pd.DataFrame, variable: str | None, positions: np.ndarray):
    """Values of ``variable`` (or of comma-separated variables) at the rows, as text
    (one variable: ``(codes, texts)``, each distinct value formatted once)."""
    names = [v for v in (variable or "").split(",") if v in frame.columns]
    if len(names) == 1 and names[0] == variable:
        return coded_text(frame[variable], positions, _text_or_none)
    columns = [[format_value(x) for x in frame[v].to_numpy()[positions]] for v in names]
    return [", ".join(parts) or None for parts in zip(*columns)] if columns else \
        [None] * len(positions)


def _text_or_none(value) -> str | None:
    return format_value(value) or None


def _describe(kind: str, kwargs: dict) -> str:
    """A short readable statement of the expectation."""
    shown = {k: v for k, v in kwargs.items() if k not in ("batch_id", "result_format")
             and v is not None}
    args = ", ".join(f"{k}={v}" for k, v in shown.items())
    return f"expectation failed: {kind}({args})"


# ---------------------------------------------------------------- offline Data Docs
_REMOTE_TAG = re.compile(
    r'<link[^>]+href="https?://[^"]+"[^>]*/?>|<script[^>]+src="https?://[^"]+"[^>]*>\s*</script>',
    re.I)
_REMOTE_LOGO = re.compile(r'src="https?://great-expectations-web-assets[^"]*logo-long\.png[^"]*"')
OFFLINE_CSS = """body { font-family: Helvetica, Arial, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin: .5em 0; } th, td { border: 1px solid #ccc;
padding: .2em .5em; vertical-align: top; } img { max-height: 2.5em; }
.invisible, footer, .ge-training-banner, .modal { display: none; }
"""


def make_docs_offline(docs_dir: str | Path) -> list[Path]:
    """Rewrite GX Data Docs pages so they need no network (see module docstring).
    Returns the pages rewritten."""
    docs_dir = Path(docs_dir)
    css = docs_dir / "static" / "styles" / "adamant-offline.css"
    css.parent.mkdir(parents=True, exist_ok=True)
    css.write_text(OFFLINE_CSS, encoding="utf-8")
    logo = docs_dir / "static" / "images" / "logo-long.png"
    pages = sorted(docs_dir.rglob("*.html"))
    index = docs_dir / "index.html"
    for page in pages:
        html = page.read_text(encoding="utf-8")
        rel = Path(os.path.relpath(docs_dir, page.parent)).as_posix()
        html = _REMOTE_TAG.sub("", html)
        html = _REMOTE_LOGO.sub(f'src="{rel}/{logo.relative_to(docs_dir).as_posix()}"', html)
        html = html.replace("</head>", f'<link rel="stylesheet" href="{rel}/'
                            f'{css.relative_to(docs_dir).as_posix()}">\n</head>', 1)
        if page == index:
            html = _add_static_index(html, docs_dir, pages)
        page.write_text(html, encoding="utf-8")
    return pages


def _add_static_index(html: str, docs_dir: Path, pages: list[Path]) -> str:
    def items(folder):
        return "".join(f'<li><a href="{p.relative_to(docs_dir).as_posix()}">'
                       f'{p.relative_to(docs_dir / folder).with_suffix("").as_posix()}</a></li>'
                       for p in pages if p.is_relative_to(docs_dir / folder))
    block = ('<section id="adamant-offline-index"><h2>Validation results</h2><ul>'
             f'{items("validations")}</ul><h2>Expectation suites</h2><ul>'
             f'{items("expectations")}</ul></section>')
    return re.sub(r"(<body[^>]*>)", r"\1" + block.replace("\\", "\\\\"), html, count=1)
