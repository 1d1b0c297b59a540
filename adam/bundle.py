"""The reviewer's bundle (``adam bundle``): what a regulator's reviewer receives and how
they check it.

``DIR/``
  ``adam/*.xpt``                 the ADaM datasets (SAS XPT v5)
  ``adam/define.xml``, ``define.html``   Define-XML 2.1 of the ADaM and its HTML rendering
  ``adam/sdtm-define.xml``, ``sdtm-define.html``   the same for the SDTM read (file headers)
  ``ard/ard.csv``, ``ard/ars.json``   the analysis results: ARD and CDISC ARS v1.0
  ``tlf/``                       the tables, listings and figures (HTML, RTF, PDF)
  ``recompute.R``                a plain R script (base R, ``survival``, ``foreign``) that
                                 recomputes every ARD statistic from ``adam/*.xpt``
  ``README.txt``                 what is where, and the command to check it

``recompute.R`` prints per statistic adamant's value, R's value and whether they agree
to 1e-6, and exits 0 only when all that it recomputes agree. The IPCW / MSM analyses are
recomputed from the person-period frame it rebuilds from the ADaM as adamant does (weight
models, stabilized weights, weighted Cox with the robust variance); the statistics it does
not recompute (the bootstrap percentile limits of a bootstrapped IPCW / MSM CI:
:func:`listed_statistics`) are listed with the reason, never skipped silently.
:func:`verify_bundle` runs it with ``Rscript`` and counts.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from adam.errors import AdamError, UsageError

SCRIPT = Path(__file__).parent / "submission" / "recompute.R"
#: the ARD methods the script recomputes (all their statistics but :func:`listed_statistics`)
RECOMPUTED_METHODS = ("km", "km-curve", "revkm", "rmst", "logrank", "cox", "zph", "count",
                      "summary", "ipcw", "msm")
#: the reasons the script gives (``NOT_RECOMPUTED <- c(<reason> = paste(...))``) for the
#: statistics it lists as not recomputed
NOT_RECOMPUTED = ("bootstrap",)


def listed_statistics(ard: pd.DataFrame) -> pd.Series:
    """The ARD rows ``recompute.R`` lists as not recomputed (reason ``bootstrap``): the CI
    limits of an IPCW / MSM analysis with ``n_boot > 0``, percentiles of adamant's seeded
    numpy bootstrap, which R's random stream cannot reproduce (their HR and robust Wald p
    are recomputed)."""
    n_boot = ard["options"].fillna("").str.extract(r"(?:^|;)n_boot=(\d+)", expand=False)
    return (ard["method"].isin(["ipcw", "msm"]) & ard["stat_name"].isin(["hr_lcl", "hr_ucl"])
            & n_boot.fillna("0").astype(int).gt(0))


# ----------------------------------------------------------------------------- R text
def _r_string(value) -> str:
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'


def _r_value(value) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(float(value)) if not (isinstance(value, float) and math.isnan(value)) else "NA"
    if isinstance(value, (list, tuple)):
        return "c(" + ", ".join(_r_value(v) for v in value) + ")" if value else "character(0)"
    return _r_string(value)


def _r_where(where: dict | None) -> str:
    if not where:
        return "list()"
    return "list(" + ", ".join(f"{_r_string(k)} = {_r_value(v)}" for k, v in where.items()) + ")"


def analyses_r(study, ard: pd.DataFrame) -> str:
    """The ``ANALYSES`` list of ``recompute.R`` for ``study``'s analyses found in ``ard``."""
    from adam.analysis import DAYS_PER_MONTH, default_reference, population_flag

    items = []
    for spec in study.analyses:
        aid = spec["id"]
        rows = ard.loc[ard["analysis_id"] == aid]
        if rows.empty:
            continue
        kind = spec["type"]
        parts = [f"id = {_r_string(aid)}", f"type = {_r_string(kind)}"]
        if spec.get("population"):
            parts.append(f"popflag = {_r_string(population_flag(study, spec['population']))}")
        parts.append(f"where = {_r_where(spec.get('where'))}")
        if kind in ("tte", "subgroup", "ipcw", "msm"):
            trt = spec.get("trt_var", study.trt_var)
            arms = list(dict.fromkeys(rows.loc[(rows["method"] == "km") & (rows["group_var"] != ""), "group"]))
            ref = study.trt_ref if study.trt_ref in arms else (default_reference(arms) if arms else "")
            needs = [population_flag(study, spec["population"])] if spec.get("population") else []
            needs += list(spec.get("where") or {}) + list(spec.get("strata") or []) + list(spec.get("subgroups") or [])
            needs += [trt]
            if kind in ("ipcw", "msm"):          # the person-period frame's recipe (_switch_frame)
                needs += list(spec.get("covariates") or [])
                parts += [f"switch_date = {_r_string(spec.get('switch_date', 'NACTDT'))}",
                          f"covariates = {_r_value(list(spec.get('covariates') or []))}",
                          f"time_varying = {_r_value(list(spec.get('time_varying') or []))}",
                          f"days_per_month = {_r_value(DAYS_PER_MONTH)}"]
            parts += [f"paramcd = {_r_string(spec['paramcd'])}", f"trt = {_r_string(trt)}",
                      f"arms = {_r_value(arms)}", f"ref = {_r_string(ref)}",
                      f"needs = {_r_value(list(dict.fromkeys(needs)))}"]
        else:
            parts.append(f"group_var = {_r_string(spec.get('group_var', study.trt_var))}")
            if kind == "count":
                rws = ", ".join(f"list(label = {_r_string(r['label'])}, where = {_r_where(r.get('where'))})"
                                for r in spec.get("rows", []))
                parts.append(f"rows = list({rws})")
        items.append("  list(" + ", ".join(parts) + ")")
    return "ANALYSES <- list(\n" + ",\n".join(items) + "\n)\n"


def adhoc_analyses_r(ard: pd.DataFrame, trt: str) -> str:
    """``ANALYSES`` of an ad-hoc ARD (``adam analyze --adtte``): whole file, no population."""
    items = []
    for aid in dict.fromkeys(ard["analysis_id"]):
        rows = ard.loc[ard["analysis_id"] == aid]
        arms = list(dict.fromkeys(rows.loc[(rows["method"] == "km") & (rows["group_var"] != ""), "group"]))
        contrast = rows.loc[rows["method"].isin(["cox", "logrank"]) & rows["group"].str.count(" vs ").eq(1), "group"]
        ref = contrast.iloc[0].split(" vs ")[1] if len(contrast) else (arms[-1] if arms else "")
        subs = [v for v in dict.fromkeys(rows["subgroup_var"]) if v]
        items.append(f"  list(id = {_r_string(aid)}, type = \"tte\", where = list(), "
                     f"paramcd = {_r_string(rows['paramcd'].iloc[0])}, trt = {_r_string(trt)}, "
                     f"arms = {_r_value(arms)}, ref = {_r_string(ref)}, needs = {_r_value([trt, *subs])})")
    return "ANALYSES <- list(\n" + ",\n".join(items) + "\n)\n"


def recompute_script(analyses: str) -> str:
    """``recompute.R`` with its analyses written in."""
    text = SCRIPT.read_text(encoding="utf-8")
    return text.replace("## @ANALYSES@\n", analyses)


# ----------------------------------------------------------------------------- bundle
README = """adamant reviewer's bundle: {studyid}
{title}

adam/              ADaM datasets (SAS XPT v5)
adam/define.xml    Define-XML 2.1 of the ADaM (open adam/define.html in a browser)
adam/sdtm-define.xml  Define-XML 2.1 of the SDTM the ADaM was derived from (file headers)
ard/ard.csv        analysis results data, one row per statistic (repr-exact numbers)
ard/ars.json       the same results as a CDISC ARS v1.0 reporting event
tlf/               tables, listings and figures (open tlf/index.html)
recompute.R        recomputes every statistic of ard/ard.csv from adam/*.xpt with
                   base R, survival and foreign only

Check the numbers (R with the survival and foreign packages):

    Rscript recompute.R

It prints, per statistic, adamant's value, R's value and whether they agree to 1e-6, then
a SUMMARY line; exit status 0 only if every statistic it recomputes agrees. The IPCW / MSM
models are refitted on the person-period frame rebuilt from adam/*.xpt (how: comments in
recompute.R); the limits of a bootstrap percentile CI (adamant's seeded numpy resampling)
are listed as not recomputed, with the reason.

{counts}
"""


@dataclass
class Verification:
    """What ``Rscript recompute.R`` said."""

    returncode: int
    total: int
    agree: int
    differ: int
    listed: int
    unexplained: int
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and self.differ == 0 and self.unexplained == 0


_SUMMARY = re.compile(r"SUMMARY: (\d+) statistics; (\d+) recomputed, (\d+) agree to \S+, (\d+) differ; "
                      r"(\d+) not recomputed \(listed with the reason\); (\d+) not recomputed without")


def parse_verification(output: str, returncode: int) -> Verification:
    m = _SUMMARY.search(output)
    if m is None:
        raise AdamError(f"recompute.R ended (exit {returncode}) without its SUMMARY line: "
                        f"{output.strip().splitlines()[-1] if output.strip() else 'no output'}")
    total, _, agree, differ, listed, unexplained = map(int, m.groups())
    return Verification(returncode, total, agree, differ, listed, unexplained, output)


def rscript() -> str | None:
    """The ``Rscript`` executable, or ``None`` where R is not installed."""
    return shutil.which("Rscript")


def verify_bundle(folder: str | Path, timeout: float = 1800) -> Verification:
    """Run ``Rscript recompute.R`` on a bundle and read its counts; a :class:`UsageError`
    where R is not installed or lacks survival / foreign."""
    exe = rscript()
    if exe is None:
        raise UsageError("--verify needs R (Rscript) with the survival and foreign packages; "
                         "Rscript is not on PATH")
    folder = Path(folder)
    script = folder / "recompute.R"
    if not script.exists():
        raise UsageError("not a bundle: no recompute.R", file=folder)
    proc = subprocess.run([exe, "--vanilla", str(script), str(folder)], capture_output=True, text=True,
                          timeout=timeout)
    output = proc.stdout + proc.stderr
    if "there is no package called" in output:
        raise UsageError(f"R lacks a package recompute.R needs: {output.strip().splitlines()[-1]}")
    return parse_verification(output, proc.returncode)


def write_bundle(study, adam_folder: Path, ard_folder: Path, tlf_folder: Path | None, out: Path,
                 sdtm: Path | None = None) -> list[Path]:
    """Assemble the bundle of a run into ``out`` (copies of the ADaM, ARD and TLF files;
    define.xml / define.html, ars.json, recompute.R and README.txt written there)."""
    from adam.ard import read_ard
    from adam.ars import write_ars
    from adam.io.atomic import write_text
    from adam.submission.define_xml import write_defines

    out = Path(out)
    (out / "adam").mkdir(parents=True, exist_ok=True)
    (out / "ard").mkdir(parents=True, exist_ok=True)

    def copy(src: Path, dst: Path) -> Path:
        if not (dst.exists() and dst.resolve() == src.resolve()):   # a run into the bundle itself
            shutil.copyfile(src, dst)
        return dst

    written = [copy(path, out / "adam" / path.name) for path in sorted(Path(adam_folder).glob("*.xpt"))]
    if not written:
        raise UsageError("no ADaM XPT files to bundle", file=adam_folder)
    written += write_defines(study, out / "adam", sdtm=sdtm)
    ard_file = Path(ard_folder) / "ard.csv"
    ard = read_ard(ard_file)
    written += [copy(ard_file, out / "ard" / "ard.csv"), write_ars(ard, out / "ard" / "ars.json", study)]
    if tlf_folder is not None and Path(tlf_folder).is_dir():
        for path in sorted(p for p in Path(tlf_folder).rglob("*") if p.is_file()):
            target = out / "tlf" / path.relative_to(tlf_folder)
            target.parent.mkdir(parents=True, exist_ok=True)
            written.append(copy(path, target))
    write_text(out / "recompute.R", recompute_script(analyses_r(study, ard)))
    written.append(out / "recompute.R")
    listed = listed_statistics(ard)
    recomputed = ard["method"].isin(RECOMPUTED_METHODS) & ~listed
    lines = [f"ARD: {len(ard)} statistics; recomputed by recompute.R: {int(recomputed.sum())}; "
             f"listed as not recomputed: {int(listed.sum())}"
             + (" (bootstrap percentile CI limits of IPCW / MSM)" if listed.any() else "")]
    write_text(out / "README.txt", README.format(studyid=study.studyid, title=study.title,
                                                 counts="\n".join(lines)))
    written.append(out / "README.txt")
    return [Path(p) for p in written]


def script_coverage(script_text: str, ard: pd.DataFrame) -> dict[str, list[str]]:
    """For each ARD ``method``, the statistics ``recompute.R`` has no code for (empty lists
    when it covers all): a check of the script's text, for where R is not installed."""
    missing: dict[str, list[str]] = {}
    if listed_statistics(ard).any() and not all(f"{r} = paste(" in script_text for r in NOT_RECOMPUTED):
        missing["(listed)"] = ["(no reason given)"]
    for method, stats in ard.groupby("method")["stat_name"]:
        gaps = [s for s in sorted(set(stats)) if not re.search(rf'(?<![A-Za-z_])"?{re.escape(s)}"?(?![A-Za-z_])',
                                                               script_text)]
        if f'"{method}"' not in script_text and f"`{method}`" not in script_text and f"{method} =" not in script_text:
            gaps.insert(0, f"(method {method})")
        if gaps:
            missing[method] = gaps
    return missing


__all__ = ["write_bundle", "verify_bundle", "recompute_script", "analyses_r", "script_coverage",
           "listed_statistics", "Verification", "parse_verification", "rscript", "json"]
