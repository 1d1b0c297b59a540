"""ADaM metadata without a define.xml: a specification file, the way {metacore} /
{xportr} users keep it, applied to and checked against derived datasets.

The file is CSV (or TOML with a ``[[variables]]`` array of the same keys), one row per
variable: ``dataset``, ``variable``, ``label``, ``type`` (``Char``/``Num``), ``length``,
``format`` (a SAS format: ``DATE9.``, ``DATETIME20.``...), ``order`` (position in the
dataset) and ``codelist`` (allowed values separated by ``|``, empty for none). A row
whose ``variable`` is empty gives the dataset's label.

:func:`apply_specification` keeps the specified variables in order and sets labels,
types, lengths and formats (the xportr chain, :func:`derivations.metadata.conform`),
and returns findings naming the dataset and variable: ``META-MISSING`` (specified, not
derived), ``META-EXTRA`` (derived, not specified: dropped), ``META-TYPE``,
``META-LENGTH`` (a value longer than the specified length: widened, never cut),
``META-CODELIST`` (a value outside the codelist) and ``META-LABEL`` (a label longer
than 40 characters). A datetime variable (a ``*DTM`` name or a datetime column) must
carry a datetime format: a date format there is a ``META-FORMAT`` error.
"""

from __future__ import annotations

import csv
import tomllib
from pathlib import Path

import pandas as pd

from adam.define import CodeList, DatasetSpec, VariableSpec
from adam.errors import InputError
from adam.findings import Finding
from adam.metadata import CHAR, NUM, Dataset, format_kind
from derivations.metadata import conform

COLUMNS = ("dataset", "variable", "label", "type", "length", "format", "order", "codelist")


class Specification(dict):
    """``{dataset name (upper case): DatasetSpec}`` plus the codelists by OID."""

    def __init__(self, datasets, codelists, path):
        super().__init__(datasets)
        self.codelists = codelists
        self.path = path


def _rows(path: Path) -> list[dict]:
    try:
        if path.suffix.lower() == ".toml":
            with open(path, "rb") as fh:
                return list(tomllib.load(fh).get("variables", []))
        with open(path, newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, csv.Error) as exc:
        raise InputError(f"cannot read the specification: {exc}", file=str(path)) from None


def read_specification(path) -> Specification:
    """The datasets of a specification file (module docstring)."""
    path = Path(path)
    rows = _rows(path)
    datasets: dict[str, dict] = {}
    codelists: dict[str, CodeList] = {}
    for number, row in enumerate(rows, start=2):
        row = {k.strip().lower(): ("" if v is None else str(v).strip()) for k, v in row.items() if k}
        missing = [c for c in ("dataset", "variable") if c not in row]
        if missing:
            raise InputError(f"the specification has no column {missing[0]!r}", file=str(path))
        name = row["dataset"].upper()
        entry = datasets.setdefault(name, {"label": "", "variables": []})
        if not row["variable"]:
            entry["label"] = row.get("label", "")
            continue
        typ = row.get("type", "Char") or "Char"
        if typ not in (CHAR, NUM):
            raise InputError(f"type {typ!r} is not Char or Num", file=str(path), record=number,
                             variable=row["variable"])
        try:
            length = int(float(row["length"])) if row.get("length") else None
            order = int(float(row["order"])) if row.get("order") else len(entry["variables"]) + 1
        except ValueError:
            raise InputError("length and order must be numbers", file=str(path), record=number,
                             variable=row["variable"]) from None
        oid = None
        if row.get("codelist"):
            oid = f"{name}.{row['variable']}"
            values = tuple(v.strip() for v in row["codelist"].split("|"))
            codelists[oid] = CodeList(oid, oid, "text" if typ == CHAR else "float", tuple((v, None) for v in values))
        entry["variables"].append(VariableSpec(
            name=row["variable"].upper(), label=row.get("label", ""),
            data_type="text" if typ == CHAR else "float", length=length, order=order,
            display_format=row.get("format") or None, codelist=oid))
    specs = {name: DatasetSpec(name, entry["label"], tuple(sorted(entry["variables"], key=lambda v: v.order)))
             for name, entry in datasets.items()}
    return Specification(specs, codelists, str(path))


def apply_specification(frame: pd.DataFrame, spec: Specification, name: str) -> tuple[Dataset, list[Finding]]:
    """``frame`` shaped by the specification of dataset ``name``, and the findings."""
    if name.upper() not in spec:
        raise InputError(f"the specification has no dataset {name.upper()} (has {', '.join(spec)})",
                         file=spec.path)
    dspec = spec[name.upper()]
    findings = []
    for v in dspec.variables:
        if v.name not in frame.columns:
            continue
        is_datetime = v.name.endswith("DTM") or (
            pd.api.types.is_datetime64_any_dtype(frame[v.name])
            and bool((frame[v.name].dropna().dt.normalize() != frame[v.name].dropna()).any()))
        if is_datetime and format_kind(v.display_format) != "datetime":
            findings.append(Finding(dspec.name, "META-FORMAT", "error",
                                    f"{v.name} is a datetime but the specification gives the format "
                                    f"{v.display_format or '(none)'}; use DATETIME20.", variable=v.name,
                                    value=v.display_format))
        if len(v.label) > 40:
            findings.append(Finding(dspec.name, "META-LABEL", "error",
                                    f"the label of {v.name} is longer than 40 characters", variable=v.name,
                                    value=v.label))
    dataset, found = conform(frame, dspec, spec.codelists)
    return dataset, findings + found
