"""Timing of the derivation primitives on 1,000,000 subjects, and of the whole
TOURMALINE twin derivation (SDTM -> ADSL + ADTTE) on a synthetic SDTM (not a test).

    python benchmarks/bench_derivations.py [n_subjects]
    python benchmarks/bench_derivations.py --twin SDTM_FOLDER [--study tourmaline-mm3]

``--twin`` reads the SDTM written by ``adam synth --study ... --n-subjects N --out
SDTM_FOLDER`` and prints the derivation's wall time and the process's peak memory
before and after it (max RSS; the SDTM itself is most of it). Measured on 2 shared
cores: 100,000 subjects ~2.5-3 s, 1,000,000 subjects ~30 s (was ~14 s and ~190 s);
the derivation adds ~1.5-2.5 GB to the ~10.5 GB of a 1,000,000-subject SDTM.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from derivations.dates import convert_dtc_to_dt, derive_vars_dtm
from derivations.merge import derive_vars_merged
from derivations.nextline import derive_vars_nextline
from derivations.studies.tourmaline import death_event, lastalive_censor
from derivations.tte import derive_param_tte


def timed(label, fn):
    t0 = time.perf_counter()
    out = fn()
    print(f"{label:<45} {time.perf_counter() - t0:7.2f} s")
    return out


def main(n: int = 1_000_000) -> None:
    rng = np.random.default_rng(0)
    rand = pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D")
    follow = pd.to_timedelta(rng.integers(0, 3000, n), unit="D")
    dead = rng.random(n) < 0.4
    ids = pd.Series([f"S{i:07d}" for i in range(n)])
    adsl = pd.DataFrame({"STUDYID": "S", "USUBJID": ids, "RANDDT": rand,
                         "DTHDT": (rand + follow).where(dead), "LSTALVDT": rand + follow})
    text = (rand + follow).strftime("%Y-%m-%d").to_numpy().astype(object)
    cut = rng.random(n)
    text = np.where(cut < 0.1, [t[:7] for t in text], np.where(cut < 0.12, [t[:4] for t in text], text))
    timed("convert_dtc_to_dt, 1 column, M/first+min", lambda: convert_dtc_to_dt(
        text, "M", min_dates=[adsl["RANDDT"]]))
    frame = pd.DataFrame({"USUBJID": ids, "XXDTC": text})
    timed("derive_vars_dtm, highest M", lambda: derive_vars_dtm(frame, "A", "XXDTC", "M"))
    timed("derive_param_tte OS", lambda: derive_param_tte(
        adsl, {"adsl": adsl}, "RANDDT", [death_event], [lastalive_censor], {"PARAMCD": "OS"}))
    cm = pd.DataFrame({"STUDYID": "S", "USUBJID": np.repeat(ids.to_numpy(), 2),
                       "CMDECOD": rng.choice(["BORTEZOMIB", "LENALIDOMIDE", "DEXAMETHASONE"], 2 * n),
                       "CMSTDT": np.repeat(rand.to_numpy(), 2)
                       + pd.to_timedelta(rng.integers(-5, 900, 2 * n), unit="D").to_numpy()})
    timed("derive_vars_nextline (2 CM records/subject)", lambda: derive_vars_nextline(adsl, cm))
    timed("derive_vars_merged first by order", lambda: derive_vars_merged(
        adsl, cm, ["STUDYID", "USUBJID"], order=["CMSTDT"], new_vars={"FIRSTCM": "CMDECOD"}, mode="first"))


def twin(folder: str, study_name: str = "tourmaline-mm3") -> None:
    import resource

    from adam.io import read_sdtm
    from adam.study import load_study
    from derivations.studies.tourmaline import derive_with_findings

    sdtm = timed(f"read_sdtm {folder}", lambda: read_sdtm(folder))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20
    out, findings = timed(f"derive_with_findings ({len(sdtm['dm'].frame):,} subjects)",
                          lambda: derive_with_findings(sdtm, load_study(study_name)))
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20
    print(f"ADSL {len(out['adsl']):,} rows, ADTTE {len(out['adtte']):,} rows, {len(findings)} findings")
    print(f"peak RSS {before:.1f} GB after reading, {after:.1f} GB after deriving")


if __name__ == "__main__":
    from adam.tuning import tune_process

    tune_process()   # measured as the adam command runs (adam.tuning)
    if len(sys.argv) > 2 and sys.argv[1] == "--twin":
        twin(sys.argv[2], sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--study" else "tourmaline-mm3")
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
