"""CI: the demo folder written by an installed wheel is complete.

Every output of both twins comes as HTML, RTF and PDF (non-empty), every figure as PNG,
and each index links each file it lists; so does every output of their publication set
(``publication/``: Table 1, Figures 1-7 with a PNG per panel, S1, S2, the additional
outputs), which the front page links too. Exit 1 naming what is missing."""

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
    front = (out / "index.html").read_text(encoding="utf-8") if (out / "index.html").is_file() else ""
    if not front:
        problems.append(f"{out / 'index.html'} missing")
    problems += publication_missing(out, front)
    return problems


def publication_missing(out: Path, front: str) -> list[str]:
    from reports.publication import contents

    folder = out / "publication"
    index = (folder / "index.html").read_text(encoding="utf-8") if (folder / "index.html").exists() else ""
    problems = [] if index else [f"{folder / 'index.html'} missing"]
    entries = contents([load_study(name) for name in STUDIES])
    numbers = [e.number for e in entries]
    wanted = ["Table 1", *(f"Figure {i}" for i in range(1, 8)), "Table S1", "Table S2"]
    problems += [f"publication set has no {n}" for n in wanted if n not in numbers]
    for entry in entries:
        names = [f"{entry.stem}.{ext}" for ext in ("html", "rtf", "pdf")]
        if entry.number.startswith("Figure"):
            names += [f"{entry.stem}-{letter}.png" for letter in "AB"]
        for name in names:
            path = folder / name
            if not path.is_file() or path.stat().st_size == 0:
                problems.append(f"{path} missing or empty")
            elif f'href="{name}"' not in index:
                problems.append(f"{folder / 'index.html'} does not link {name}")
            elif f'href="publication/{name}"' not in front:
                problems.append(f"{out / 'index.html'} does not link publication/{name}")
    return problems


if __name__ == "__main__":
    found = missing(Path(sys.argv[1]))
    for line in found:
        print(f"check_demo: {line}")
    print(f"check_demo: {'FAILED' if found else 'every output in HTML, RTF and PDF'}")
    sys.exit(1 if found else 0)
