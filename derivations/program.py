"""What a study's dataset program (the spec's ``derive = "module:function"``) returns.

A program is called as ``program(sdtm, study)`` and returns either

- the ADaM datasets, ``{name: Dataset}``;
- the datasets and the derivation findings, ``({name: Dataset}, [Finding, ...])``; or
- a generator that yields ``(name, Dataset)`` as each dataset is final (ADSL first: the
  checks of the others look subjects up in it) and returns its findings. The caller can
  then check and write a dataset while the program derives the next: ``adam derive``
  does, in a forked child.

:class:`Stages` reads the three alike. Given the study, it also applies the study's ADaM
metadata specification (``[metadata] spec`` in its TOML; :mod:`derivations.specification`)
to each dataset as it comes: the specified variables kept in order with their labels,
types, lengths and formats, and the findings (``META-*``, naming the dataset and the
variable) added to the program's. This is the one place it happens, for ``adam derive``
and for :func:`collect` alike; a dataset the specification does not list is left as the
program made it, with a ``META-DATASET`` warning.
"""

from __future__ import annotations

import inspect


class Stages:
    """Iterate a program's result as ``(name, Dataset)`` pairs, in the order the
    datasets are final; :attr:`findings` holds the derivation findings once the
    iteration is over. With ``study`` (a :class:`~adam.study.Study`) naming a metadata
    specification, each dataset is shaped by it and its findings are added."""

    def __init__(self, result, study=None):
        self.result = result
        self.findings: list | None = None
        path = getattr(study, "metadata_spec", None)
        if path is not None:
            from derivations.specification import read_specification

            self.specification = read_specification(path)
        else:
            self.specification = None
        self._spec_findings: list = []

    def __iter__(self):
        self._spec_findings = []
        datasets = self._datasets()
        while True:
            try:
                item = next(datasets)
            except StopIteration as done:         # the program's findings
                findings = done.value
                break
            yield self._specified(item)
        self.findings = list(findings or []) + self._spec_findings

    def _datasets(self):
        result = self.result
        if inspect.isgenerator(result):
            findings = yield from result
        elif isinstance(result, tuple):
            result, findings = result
            yield from result.items()
        else:
            findings = []
            yield from result.items()
        return findings

    def _specified(self, item):
        name, ds = item
        if self.specification is None:
            return name, ds
        if name.upper() not in self.specification:
            from adam.findings import Finding

            self._spec_findings.append(Finding(
                name.upper(), "META-DATASET", "warning",
                f"{name.upper()} is not in the metadata specification {self.specification.path}; "
                f"left as derived"))
            return name, ds
        from derivations.specification import apply_specification

        shaped, found = apply_specification(ds.with_object_text().frame, self.specification, name)
        self._spec_findings += found
        return name, shaped


def collect(result, study=None) -> tuple[dict, list]:
    """A program's result as ``({name: Dataset}, findings)``, text as ``object`` columns
    (a program may hold it as categoricals; see :mod:`adam.metadata`); with ``study``,
    shaped by its metadata specification (:class:`Stages`)."""
    stages = Stages(result, study)
    datasets = {name: ds.with_object_text() for name, ds in stages}
    return datasets, stages.findings
