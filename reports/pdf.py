"""PDF from RTF with LibreOffice (``soffice --headless --convert-to pdf``)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from adam.io.atomic import atomic_path

SOFFICE_NAMES = ("soffice", "libreoffice")
TIMEOUT_S = 300


def find_soffice() -> str | None:
    return next((p for p in map(shutil.which, SOFFICE_NAMES) if p), None)


def rtf_to_pdf(rtf_files: list[Path], out_dir: Path) -> tuple[list[Path], str]:
    """Convert RTF files to ``out_dir/<stem>.pdf`` in one LibreOffice run.

    Returns the PDFs written and a message ('' on success). Never raises for a missing or
    failing LibreOffice: PDF is an optional format and the caller reports the message.
    """
    if not rtf_files:
        return [], ""
    soffice = find_soffice()
    if soffice is None:
        return [], "PDF not produced: LibreOffice (soffice) is not installed or not on PATH."
    with tempfile.TemporaryDirectory(prefix="adam-soffice-") as tmp:
        profile = Path(tmp, "profile").as_uri()        # private profile: parallel runs do not clash
        cmd = [soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore",
               "--convert-to", "pdf", "--outdir", tmp, *map(str, rtf_files)]
        try:
            run = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return [], f"PDF not produced: LibreOffice failed ({exc})."
        written, missing = [], []
        for rtf in rtf_files:
            made = Path(tmp, rtf.stem + ".pdf")
            if not made.exists():
                missing.append(rtf.name)
                continue
            target = out_dir / made.name
            with atomic_path(target) as part:
                shutil.copyfile(made, part)
            written.append(target)
    if missing:
        detail = (run.stderr or run.stdout).strip().splitlines()[-1:] or [""]
        return written, f"PDF not produced for {', '.join(missing)}: {detail[0]}"
    return written, ""
