"""The role of a dataset file: which dataset's rules, schema and expectations it gets.

A file's role is decided by its **file name** when that names a known dataset of its
kind (ADaM: ``AD`` + 1-6 letters, digits or ``_``, the ADaMIG naming convention; SDTM: a
two-letter domain, ``SUPPxx``, ``SQAPxx``, ``APxx``, ``RELREC``, ``RELSUB``,
``RELSPEC``, ``POOLDEF``), else by the dataset (member) **name inside the file**
(the XPT member header, Dataset-JSON's ``name``), else by the file name. The file name
wins because it is what a submission and a reviewer go by: ``adsl.xpt`` is checked as
ADSL even when its member is called QCADSL, so a renamed member can never switch ADSL's
rules off. A file whose member name differs from its file name is itself a finding
(``ADAM-019`` / ``SDTM-DATASET-NAME``, error: a submission dataset's name must equal its
file name). Two files that would take the same role keep the first; the other is
checked under its file name.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from adam.findings import Finding

_KNOWN = {
    "adam": re.compile(r"^AD[A-Z0-9_]{1,6}$"),
    "sdtm": re.compile(r"^(?:[A-Z]{2}|SUPP[A-Z]{2}|SQAP[A-Z]{2}|AP[A-Z]{2}|RELREC|RELSUB|RELSPEC|POOLDEF)$"),
}
RULE_ID = {"adam": "ADAM-019", "sdtm": "SDTM-DATASET-NAME"}


def is_known(name: str, kind: str) -> bool:
    """Whether ``name`` names a dataset of ``kind`` ('adam' or 'sdtm')."""
    return bool(_KNOWN[kind].match(str(name).upper()))


def role(file_stem: str, member: str | None, kind: str) -> str:
    """The upper-case dataset name whose checks a file gets (see the module docstring)."""
    stem = str(file_stem).upper()
    member = str(member or "").upper()
    if is_known(stem, kind) or not member:
        return stem
    return member if is_known(member, kind) else stem


def assign_roles(datasets: dict, kind: str, files: dict[str, Path] | None = None) -> tuple[dict, list[Finding]]:
    """``datasets`` keyed by lower-case file stem -> the same datasets named and keyed by
    their role, and the findings of files whose member name is not their file name.
    ``files``: the path of each (named in the findings' messages)."""
    out: dict = {}
    findings: list[Finding] = []
    for stem, ds in datasets.items():
        member = str(getattr(ds, "name", "") or "")
        name = role(stem, member, kind)
        if name.lower() in out:               # taken by an earlier file: its own name
            name = str(stem).upper()
        out[name.lower()] = ds if member == name else replace(ds, name=name)
        if member and member.upper() != str(stem).upper():
            file = Path(files[stem]).name if files and stem in files else stem
            findings.append(Finding(
                name, RULE_ID[kind], "error",
                f"file {file} holds dataset {member!r}, not {str(stem).upper()}; checked as {name} "
                "(a submission dataset's name must equal its file name)",
                value=member))
    return out, findings
