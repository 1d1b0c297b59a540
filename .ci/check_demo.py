"""CI: the demo folder written by an installed wheel is complete.

Every output of both twins comes as HTML, RTF and PDF (non-empty), every figure as PNG,
and each index links each file it lists. Exit 1 naming what is missing."""

import re
import sys
from pathlib import Path

from adam.study import load_study

STUDIES = ("tourmaline-mm3", "tourmaline-mm4")


def missing(out: Path) -> list[str]:
    problems = []
    for name in STUDIES:
        tlf = out / name / "tlf"
        index = (tlf / "index.html").read_text(encoding="utf-8") if (tlf / "index.html").exists() else ""
        if not index:
            problems.append(f"{tlf / 'index.html'} missing")
        for spec in load_study(name).outputs:
            for ext in ("html", "rtf", "pdf"):
                path = tlf / f"{spec['id']}.{ext}"
                if not path.is_file() or path.stat().st_size == 0:
                    problems.append(f"{path} missing or empty")
                elif f'href="{path.name}"' not in index:
                    problems.append(f"{tlf / 'index.html'} does not link {path.name}")
        if not re.search(r"\.png", index):
            problems.append(f"{tlf / 'index.html'} links no figure")
    if not (out / "index.html").is_file():
        problems.append(f"{out / 'index.html'} missing")
    return problems


if __name__ == "__main__":
    found = missing(Path(sys.argv[1]))
    for line in found:
        print(f"check_demo: {line}")
    print(f"check_demo: {'FAILED' if found else 'every output in HTML, RTF and PDF'}")
    sys.exit(1 if found else 0)
