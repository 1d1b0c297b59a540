"""Named exceptions. Every user-facing failure is an :class:`AdamError` whose message
names the file, the record and the variable involved; the CLI prints it on one line
and exits with its ``exit_code`` (2: bad usage or unreadable input)."""

from __future__ import annotations

from pathlib import Path


class AdamError(Exception):
    """Base of every error the CLI reports without a traceback."""

    exit_code = 2

    def __init__(self, message: str, *, file: str | Path | None = None,
                 record: int | None = None, variable: str | None = None):
        self.message = message
        self.file = str(file) if file is not None else None
        self.record = record
        self.variable = variable
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """``file: record N: variable X: message`` with the known parts only."""
        parts = []
        if self.file:
            parts.append(self.file)
        if self.record is not None:
            parts.append(f"record {self.record}")
        if self.variable:
            parts.append(f"variable {self.variable}")
        parts.append(self.message)
        return ": ".join(parts)

    def __reduce__(self):  # pickled whole (from a worker process): attributes kept
        return _restored, (type(self), self.args, self.__dict__)


def _restored(cls, args, state):
    exc = cls.__new__(cls)
    exc.args = args
    exc.__dict__.update(state)
    return exc


class InputError(AdamError):
    """An input file or folder that cannot be read or is not what it claims to be."""


class UsageError(AdamError):
    """Bad command-line usage or an invalid study specification."""


class XptRuleError(AdamError):
    """A dataset that breaks a SAS transport v5 rule (names, labels, lengths, ASCII)."""


class OutputError(AdamError):
    """An output that cannot be written (not writable, or would overwrite an input)."""


class StatError(AdamError):
    """A statistic that cannot be computed from the data given."""


class ConvergenceError(StatError):
    """An iterative fit that did not converge."""


class ValidationFailed(AdamError):
    """A derived dataset failed its schema, or the SDTM it comes from has errors that stop
    the derivation; nothing was written. Carries the findings."""

    exit_code = 1

    def __init__(self, message: str, findings=None, kind: str = "adam", **kw):
        self.findings = findings
        self.kind = kind  # 'adam' (the derived datasets) or 'sdtm' (the input)
        super().__init__(message, **kw)
