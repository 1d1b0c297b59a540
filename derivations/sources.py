"""Ready-made time-to-event sources ({admiralonco} ``death_event``, ``pd_event``,
``lastalive_censor``, ``rand_censor``, ...) that a study combines per parameter.

Dataset names and variables follow ADaM: ``adsl`` (DTHDT, DTHCAUS, LSTALVDT, RANDDT,
NACTDT) and ``adrs`` (one record per assessment: PARAMCD, AVALC, ADT, ASEQ, with
``PARAMCD == 'PD'`` and ``AVALC == 'Y'`` marking a documented progression and
``PARAMCD == 'LSTAC'`` the last adequate assessment). A study adapts one with
``dataclasses.replace(death_event, filter=...)``.

Parameters as combined in :mod:`derivations.studies.tourmaline`:

- OS: ``death_event``; censor ``lastalive_censor``.
- PFS: ``pd_event``, ``death_event``; censor ``lasta_censor``, ``rand_censor``.
- PFS2: ``pd_on_next_line_event`` (a PD after the start of the next line, which needs
  ``NACTDT`` merged onto ``adrs``), ``death_event``; censor ``lastalive_censor``.
- TTNT: ``next_line_event`` (start of the next anti-myeloma line) and
  ``death_pd_event`` (death due to progressive disease); censor ``lastalive_censor``.
"""

from __future__ import annotations

from derivations.common import Col
from derivations.tte import CensorSource, EventSource

DEATH_DUE_TO_PD = "PROGRESSIVE DISEASE"

death_event = EventSource(
    "adsl", date="DTHDT",
    set_values_to={"EVNTDESC": "DEATH", "SRCDOM": "ADSL", "SRCVAR": "DTHDT"})

death_pd_event = EventSource(
    "adsl", date="DTHDT", filter=f"DTHCAUS == '{DEATH_DUE_TO_PD}'",
    set_values_to={"EVNTDESC": "DEATH DUE TO PROGRESSIVE DISEASE", "SRCDOM": "ADSL",
                   "SRCVAR": "DTHDT"})

pd_event = EventSource(
    "adrs", date="ADT", filter="PARAMCD == 'PD' and AVALC == 'Y'",
    set_values_to={"EVNTDESC": "PD", "SRCDOM": "ADRS", "SRCVAR": "ADT", "SRCSEQ": Col("ASEQ")})

pd_on_next_line_event = EventSource(
    "adrs", date="ADT", filter="PARAMCD == 'PD' and AVALC == 'Y' and ADT > NACTDT",
    set_values_to={"EVNTDESC": "PD ON NEXT-LINE THERAPY", "SRCDOM": "ADRS", "SRCVAR": "ADT",
                   "SRCSEQ": Col("ASEQ")})

next_line_event = EventSource(
    "adsl", date="NACTDT",
    set_values_to={"EVNTDESC": "START OF NEXT-LINE THERAPY", "SRCDOM": "ADSL", "SRCVAR": "NACTDT"})

lastalive_censor = CensorSource(
    "adsl", date="LSTALVDT",
    set_values_to={"EVNTDESC": "LAST KNOWN ALIVE DATE", "CNSDTDSC": "LAST KNOWN ALIVE DATE",
                   "SRCDOM": "ADSL", "SRCVAR": "LSTALVDT"})

lasta_censor = CensorSource(
    "adrs", date="ADT", filter="PARAMCD == 'LSTAC'",
    set_values_to={"EVNTDESC": "LAST TUMOR ASSESSMENT", "CNSDTDSC": "LAST TUMOR ASSESSMENT",
                   "SRCDOM": "ADRS", "SRCVAR": "ADT", "SRCSEQ": Col("ASEQ")})

rand_censor = CensorSource(
    "adsl", date="RANDDT",
    set_values_to={"EVNTDESC": "RANDOMIZATION", "CNSDTDSC": "RANDOMIZATION DATE",
                   "SRCDOM": "ADSL", "SRCVAR": "RANDDT"})
