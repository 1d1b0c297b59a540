"""The demo's front page: one ``index.html`` linking every study's TLFs, checks and data."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import jinja2

from adam.io.atomic import write_text

_ENV = jinja2.Environment(loader=jinja2.PackageLoader("reports", "templates"), autoescape=True,
                          trim_blocks=True, lstrip_blocks=True)


def render_demo_index(out: Path, studies: dict, results: dict) -> Path:
    """Write ``out/index.html`` for studies run into ``out/<name>/`` (``results[name]``
    has ``check`` (findings), ``ard`` and ``outputs`` as returned by the pipeline)."""
    out = Path(out)
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
        entries=entries, run=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    return write_text(out / "index.html", html)
