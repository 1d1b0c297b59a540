"""What a study's dataset program (the spec's ``derive = "module:function"``) returns.

A program is called as ``program(sdtm, study)`` and returns either

- the ADaM datasets, ``{name: Dataset}``;
- the datasets and the derivation findings, ``({name: Dataset}, [Finding, ...])``; or
- a generator that yields ``(name, Dataset)`` as each dataset is final (ADSL first: the
  checks of the others look subjects up in it) and returns its findings. The caller can
  then check and write a dataset while the program derives the next: ``adam derive``
  does, in a forked child.

:class:`Stages` reads the three alike.
"""

from __future__ import annotations

import inspect


class Stages:
    """Iterate a program's result as ``(name, Dataset)`` pairs, in the order the
    datasets are final; :attr:`findings` holds the derivation findings once the
    iteration is over."""

    def __init__(self, result):
        self.result = result
        self.findings: list | None = None

    def __iter__(self):
        result = self.result
        if inspect.isgenerator(result):
            findings = yield from result
        elif isinstance(result, tuple):
            result, findings = result
            yield from result.items()
        else:
            findings = []
            yield from result.items()
        self.findings = list(findings or [])


def collect(result) -> tuple[dict, list]:
    """A program's result as ``({name: Dataset}, findings)``, text as ``object`` columns
    (a program may hold it as categoricals; see :mod:`adam.metadata`)."""
    stages = Stages(result)
    datasets = {name: ds.with_object_text() for name, ds in stages}
    return datasets, stages.findings
