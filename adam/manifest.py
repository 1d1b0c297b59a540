"""The manifest of a run: which outputs belong together.

``adam run`` removes ``manifest.json`` from its output folder when it starts and writes a
new one (atomically, as a whole) when every step has finished: one generation id (a
random UUID), the study, the adamant version, the start and end times (UTC) and every
output file under ``adam/``, ``checks/``, ``ard/`` and ``tlf/`` with its size and SHA-256.
A folder without a manifest holds no finished run (or one that was killed); a file whose
digest differs from its manifest's, or that the manifest does not list, is not of that
generation (:func:`verify_manifest`).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime, timezone
from pathlib import Path

from adam import __version__
from adam.io.atomic import LOCK_NAME, write_text

NAME = "manifest.json"
PARTS = ("adam", "checks", "ard", "tlf")


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def remove_manifest(out: str | Path) -> None:
    """Remove the last run's manifest: the folder is about to change."""
    (Path(out) / NAME).unlink(missing_ok=True)


def _files(out: Path) -> list[Path]:
    found = []
    for part in PARTS:
        found += [p for p in sorted((out / part).rglob("*"))
                  if p.is_file() and p.name != LOCK_NAME and not (p.name.startswith(".") and p.name.endswith(".tmp"))]
    return found


def _digest(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def write_manifest(out: str | Path, study, started: str) -> Path:
    """Write ``out/manifest.json`` for the outputs now in ``out`` (see the module docstring)."""
    out = Path(out)
    doc = {"generation": uuid.uuid4().hex, "adamant": __version__,
           "study": getattr(study, "name", str(study)), "studyid": getattr(study, "studyid", ""),
           "started": started, "finished": now(),
           "files": [{"path": p.relative_to(out).as_posix(), "bytes": p.stat().st_size, "sha256": _digest(p)}
                     for p in _files(out)]}
    return write_text(out / NAME, json.dumps(doc, indent=1) + "\n")


def verify_manifest(out: str | Path) -> list[str]:
    """What in ``out`` is not of the generation its manifest lists (empty: all is)."""
    out = Path(out)
    if not (out / NAME).exists():
        return [f"no {NAME}: no finished run in {out}"]
    doc = json.loads((out / NAME).read_text(encoding="utf-8"))
    listed = {f["path"]: f for f in doc["files"]}
    problems = []
    for rel, entry in listed.items():
        path = out / rel
        if not path.is_file():
            problems.append(f"{rel}: missing")
        elif path.stat().st_size != entry["bytes"] or _digest(path) != entry["sha256"]:
            problems.append(f"{rel}: changed since generation {doc['generation']}")
    problems += [f"{p.relative_to(out).as_posix()}: not of generation {doc['generation']}"
                 for p in _files(out) if p.relative_to(out).as_posix() not in listed]
    return problems
