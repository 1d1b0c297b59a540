"""TLF programs: ``build(ard, study, spec) -> reports.model.Display``, one per display
kind. The output spec's ``program`` key names one of :data:`PROGRAMS`; its template is
``templates/<program>.html.j2`` / ``<program>.rtf.j2``."""

from reports.programs import baseline, consort, efficacy, forest, km, subseq

PROGRAMS = {"subseq": subseq, "consort": consort, "km": km, "forest": forest,
            "baseline": baseline, "efficacy": efficacy}
