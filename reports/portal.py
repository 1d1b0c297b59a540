"""The demo's front page: one ``index.html`` linking every study's TLFs, checks and data."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import jinja2

from adam.io.atomic import write_text

_ENV = jinja2.Environment(loader=jinja2.PackageLoader("reports", "templates"), autoescape=True,
                          trim_blocks=True, lstrip_blocks=True)


def _publication(out: Path, folder: str, studies: list) -> list[dict]:
    """The outputs of the publication set in ``out/folder`` (:mod:`reports.publication`),
    in order, each with its part of the report (main, supplement, additional) and files."""
    from reports.publication import contents

    rows = []
    for entry in contents(studies):
        stem = entry.stem
        files = [(kind, f"{folder}/{stem}.{kind}") for kind in ("html", "rtf", "pdf")
                 if (out / folder / f"{stem}.{kind}").exists()]
        files += [(f"png {p.stem.rsplit('-', 1)[-1]}", f"{folder}/{p.name}")
                  for p in sorted((out / folder).glob(f"{stem}-*.png"))]
        part = ("Additional outputs (not in the report)" if entry.number.startswith("Additional")
                else "Supplementary tables" if re.match(r"(Table|Figure) S\d", entry.number) else "The report")
        rows.append({"number": entry.number, "title": entry.title, "files": files, "part": part})
    return rows


def render_demo_index(out: Path, studies: dict, results: dict, publication: str = "") -> Path:
    """Write ``out/index.html`` for studies run into ``out/<name>/`` (``results[name]``
    has ``check`` (findings), ``ard`` and ``outputs`` as returned by the pipeline) and,
    first, their publication set in ``out/<publication>/`` when given."""
    out = Path(out)
    shown = _publication(out, publication, list(studies.values())) if publication else []
    entries = []
    for name, study in studies.items():
        result = results[name]
        findings = result["check"].findings
        tlf_dir = out / name / "tlf"
        outputs = []
        for spec in study.outputs:
            files = [(kind, f"{name}/tlf/{spec['id']}.{kind}") for kind in ("html", "rtf", "pdf")
                     if (tlf_dir / f"{spec['id']}.{kind}").exists()]
            outputs.append({"number": spec.get("number", spec["id"]), "title": spec.get("title", ""),
                            "files": files})
        entries.append({
            "name": name, "study": study, "outputs": outputs,
            "n_errors": sum(f.severity == "error" for f in findings),
            "n_warnings": sum(f.severity == "warning" for f in findings),
            "n_stats": len(result["ard"]),
            "links": [("TLF index", f"{name}/tlf/index.html"),
                      ("Check report", f"{name}/checks/report.html"),
                      ("Findings CSV", f"{name}/checks/findings.csv"),
                      ("ARD", f"{name}/ard/ard.csv")],
        })
    html = _ENV.get_template("portal.html.j2").render(
        entries=entries, publication=shown, publication_index=f"{publication}/index.html",
        run=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    return write_text(out / "index.html", html)
