"""{admiralonco}'s predefined time-to-event sources (``death_event``, ``pd_event``,
``lastalive_censor``, ``lasta_censor``, ``rand_censor``, ``trts_censor``), with
admiralonco's dataset names, filters and EVNTDESC / CNSDTDSC / SRCDOM / SRCVAR / SRCSEQ
texts, so ``derive_param_tte`` over them gives what admiralonco's ADTTE template gives.

They read ``adsl`` (LSTALVDT, RANDDT, TRTSDT) and ``adrs`` as admiralonco's ADRS template
derives it (:mod:`derivations.response`): the parameters ``DEATH`` (AVALC ``Y`` with ADT
the death date), ``PD`` (AVALC ``Y`` at the first progression) and ``LSTA`` (the last
assessment), each with ``ANL01FL == "Y"`` and ``ASEQ``. As admiralonco combines them:

- OS: ``death_event``; censor ``lastalive_censor``, ``rand_censor``.
- PFS: ``pd_event``, ``death_event``; censor ``lasta_censor``, ``rand_censor``.
- Duration of response (start at the first response): ``pd_event``, ``death_event``;
  censor ``lasta_censor``.

A study that wants other texts or datasets defines its own sources (e.g.
``dataclasses.replace(death_event, set_values_to={...})``) in its own module, as the
TOURMALINE program does (:mod:`derivations.studies.tourmaline`).
"""

from __future__ import annotations

from derivations.common import Col
from derivations.tte import CensorSource, EventSource

death_event = EventSource(
    "adrs", date="ADT", filter="PARAMCD == 'DEATH' and AVALC == 'Y' and ANL01FL == 'Y'",
    set_values_to={"EVNTDESC": "Death", "SRCDOM": "ADRS", "SRCVAR": "ADT", "SRCSEQ": Col("ASEQ")})

lastalive_censor = CensorSource(
    "adsl", date="LSTALVDT",
    set_values_to={"EVNTDESC": "Alive", "CNSDTDSC": "Alive During Study", "SRCDOM": "ADSL",
                   "SRCVAR": "LSTALVDT"})

pd_event = EventSource(
    "adrs", date="ADT", filter="PARAMCD == 'PD' and AVALC == 'Y' and ANL01FL == 'Y'",
    set_values_to={"EVNTDESC": "Disease Progression", "SRCDOM": "ADRS", "SRCVAR": "ADT",
                   "SRCSEQ": Col("ASEQ")})

lasta_censor = CensorSource(
    "adrs", date="ADT", filter="PARAMCD == 'LSTA' and ANL01FL == 'Y'",
    set_values_to={"EVNTDESC": "Last Tumor Assessment", "CNSDTDSC": "Last Tumor Assessment",
                   "SRCDOM": "ADRS", "SRCVAR": "ADT", "SRCSEQ": Col("ASEQ")})

rand_censor = CensorSource(
    "adsl", date="RANDDT",
    set_values_to={"EVNTDESC": "Randomization", "CNSDTDSC": "Randomization", "SRCDOM": "ADSL",
                   "SRCVAR": "RANDDT"})

trts_censor = CensorSource(
    "adsl", date="TRTSDT",
    set_values_to={"EVNTDESC": "Treatment Start", "CNSDTDSC": "Treatment Start", "SRCDOM": "ADSL",
                   "SRCVAR": "TRTSDT"})
