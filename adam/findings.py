"""One shape for every finding of every checker (schemas, conformance rules,
expectation suites, derivation warnings), so the CLI, the CSV and the HTML report have
one source. CSV columns are those of ``shared/spec/cli.md``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

SEVERITIES = ("error", "warning", "note")
COLUMNS = ["dataset", "rule_id", "severity", "usubjid", "variable", "value", "message"]


@dataclass(frozen=True, slots=True)      # slots: millions of findings stay small
class Finding:
    dataset: str
    rule_id: str
    severity: str
    message: str
    usubjid: str | None = None
    variable: str | None = None
    value: str | None = None
    record: int | None = None  # 1-based row in the dataset, when one row is at fault

    def __post_init__(self):
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, not {self.severity!r}")


def findings_frame(findings) -> pd.DataFrame:
    """Findings (a list or a :class:`FindingTable`) as a frame with the CSV columns first
    and ``record`` last, sorted by dataset, severity, rule and record (then as found)."""
    table = FindingTable.of(findings)
    return table.frame(table.order())


def merge_duplicates(findings) -> "FindingTable":
    """One finding per (dataset, subject, variable, value, record): when several checkers
    report the same fact (a conformance rule, a schema and an expectation suite), the
    first one listed is kept, with the most severe severity and the others' rule IDs
    named in its message. Works on the compact form: a :class:`FindingTable` (a sequence
    of findings) in the order each fact was first reported."""
    table = FindingTable.of(findings)._flat_also()
    if len(table) < 2:
        return table
    key = FindingTable._key(table.ids("dataset")[0], table.ids("usubjid")[0], table.ids("variable")[0],
                            table.ids("value")[0], table.record)
    is_first = ~pd.Series(key).duplicated().to_numpy()
    if is_first.all():
        return table
    first = np.flatnonzero(is_first)        # keys are numbered as first seen: first[key]
    severity = table.severity[first].copy()
    np.minimum.at(severity, key, table.severity)
    rule, names = table.ids("rule_id")
    dup = np.flatnonzero(~is_first & (rule != rule[first][key]))
    also = np.full(len(first), -1, dtype=np.int32)
    texts: list[str] = []
    if len(dup):                            # each key's other rules, once, in the order found
        dup = dup[~pd.Series(FindingTable._key(key[dup], rule[dup])).duplicated().to_numpy()]
        k, r = key[dup], rule[dup]
        o = np.argsort(k, kind="stable")
        k, r = k[o], r[o]
        starts = np.r_[True, k[1:] != k[:-1]]
        j = np.arange(len(k)) - np.maximum.accumulate(np.where(starts, np.arange(len(k)), 0))
        keys = k[starts]
        named = np.full((len(keys), int(j.max()) + 1), -1, dtype=np.int64)
        named[np.cumsum(starts) - 1, j] = r
        combo = FindingTable._key(*named.T)
        at = np.flatnonzero(~pd.Series(combo).duplicated().to_numpy())
        texts = [" (also: " + ", ".join(names[x] for x in named[i] if x >= 0) + ")" for i in at]
        also[keys] = combo
    out = table.take(first)
    out.severity = severity
    out.columns["also"] = (also, np.array(texts, dtype=object))
    return out


def first_per_rule(frame: pd.DataFrame, n: int) -> pd.DataFrame:
    """The first ``n`` findings of each dataset and rule of a :func:`findings_frame`
    (what a report lists; the CSV has them all)."""
    if n is None or len(frame) <= n:
        return frame
    return frame[frame.groupby(["dataset", "rule_id"], sort=False).cumcount().to_numpy() < n]


def has_errors(findings) -> bool:
    if isinstance(findings, FindingTable):
        return findings.has_errors()
    return any(f.severity == "error" for f in findings)


# ----------------------------------------------------------------------------- compact form
def _none_array(n: int) -> np.ndarray:
    return np.full(n, None, dtype=object)


def _coded(value, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(codes, uniques) of a text column: a ``(codes, uniques)`` pair as it is, one
    text (or ``None``) for all ``n`` rows, or ``n`` texts (``None`` missing)."""
    if isinstance(value, tuple):
        codes, uniques = value
        return np.asarray(codes, dtype=np.int32), np.asarray(uniques, dtype=object)
    if value is None or isinstance(value, str):
        if value is None:
            return np.full(n, -1, dtype=np.int32), np.empty(0, dtype=object)
        return np.zeros(n, dtype=np.int32), np.array([value], dtype=object)
    codes, uniques = pd.factorize(np.asarray(value, dtype=object))
    return codes.astype(np.int32, copy=False), np.asarray(uniques, dtype=object)


def coded_text(values, rows, fmt) -> tuple[np.ndarray, np.ndarray]:
    """(codes, uniques) of ``fmt(value)`` at the 0-based ``rows`` of ``values`` (a Series
    or array), ``fmt`` applied once per distinct value; ``fmt`` giving ``None`` (or a
    missing value) is code -1."""
    rows = np.asarray(rows, dtype=np.int64)
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()[rows].astype(np.int32)
        distinct = np.asarray(values.cat.categories, dtype=object)
    else:
        array = np.asarray(values.to_numpy() if isinstance(values, pd.Series) else values)[rows]
        exact = True
        if array.dtype.kind == "f":                 # -0.0 and 0.0 share a code but not a text
            exact = not bool(np.any((array == 0) & np.signbit(array)))
        codes, distinct = pd.factorize(array) if exact else (None, None)
        if exact and array.dtype == object:         # equal but differently written (1, 1.0, True)
            exact = all(type(u) is str for u in distinct)
        if not exact:
            return _coded([fmt(v) for v in array], len(rows))
        codes = codes.astype(np.int32, copy=False)     # (distinct as the array holds them:
    texts = np.array([fmt(v) for v in distinct] + [None], dtype=object)   # np.datetime64, not int)
    missing = np.array([t is None or (not isinstance(t, str) and pd.isna(t)) for t in texts], dtype=bool)
    codes = np.where(missing[codes], -1, codes).astype(np.int32, copy=False)
    return codes, texts


_TEXT = ("dataset", "rule_id", "variable", "usubjid", "value", "message", "also")


class FindingTable:
    """Findings held column-wise (issue 21 item 14): each text column as integer codes
    into its distinct texts (``-1``: none), severity as its rank in :data:`SEVERITIES`,
    ``record`` as an integer (``-1``: none), ~30 bytes a finding where a
    :class:`Finding` takes ~850. A row's message is its text, then `` (record N)`` when
    ``suffix`` is set, then its ``also`` text (what :func:`merge_duplicates` adds).

    Schemas, conformance rules and expectation suites produce these; a table is a
    sequence of :class:`Finding` (iterating, indexing and ``==`` a list make them one by
    one), and ``+`` with a table, a list or a Finding gives a table."""

    def __init__(self, columns: dict, severity, record, suffix):
        self.columns = columns                      # name -> (codes, uniques)
        self.severity = np.asarray(severity, dtype=np.int8)
        self.record = np.asarray(record, dtype=np.int64)
        self.suffix = np.asarray(suffix, dtype=bool)

    # ---- making
    @classmethod
    def build(cls, n: int, *, dataset, rule_id, severity, message, variable=None, usubjid=None,
              value=None, record=None, suffix=False) -> "FindingTable":
        """``n`` findings. Text arguments: one text (or ``None``) for all, ``n`` texts, or
        ``(codes, uniques)``; ``severity``: a severity or ``n``; ``record``: ``None`` or
        ``n`` 1-based records (``-1``: none); ``suffix``: `` (record N)`` after the
        message (where a row has a record)."""
        columns = {name: _coded(v, n) for name, v in (("dataset", dataset), ("rule_id", rule_id),
                                                      ("variable", variable), ("usubjid", usubjid),
                                                      ("value", value), ("message", message),
                                                      ("also", None))}
        rank = {s: i for i, s in enumerate(SEVERITIES)}
        if isinstance(severity, str):
            if severity not in rank:
                raise ValueError(f"severity must be one of {SEVERITIES}, not {severity!r}")
            sev = np.full(n, rank[severity], dtype=np.int8)
        else:
            sev = np.array([rank[s] for s in severity], dtype=np.int8)
        rec = np.full(n, -1, dtype=np.int64) if record is None else np.asarray(record, dtype=np.int64)
        suf = (rec >= 0) & np.asarray(suffix, dtype=bool)
        return cls(columns, sev, rec, np.broadcast_to(suf, (n,)).copy())

    @classmethod
    def empty(cls) -> "FindingTable":
        return cls.build(0, dataset=None, rule_id=None, severity=(), message=None)

    @classmethod
    def from_findings(cls, findings) -> "FindingTable":
        findings = list(findings)
        return cls.build(len(findings), **{c: [getattr(f, c) for f in findings] for c in
                                           ("dataset", "rule_id", "severity", "message", "variable",
                                            "usubjid", "value")},
                         record=[-1 if f.record is None else f.record for f in findings])

    @classmethod
    def of(cls, findings) -> "FindingTable":
        """``findings`` (a table, a list of findings and tables, or one Finding) as a table."""
        if isinstance(findings, FindingTable):
            return findings
        if isinstance(findings, Finding):
            return cls.from_findings([findings])
        return cls.concat([findings])

    @classmethod
    def concat(cls, parts) -> "FindingTable":
        """One table of ``parts`` (tables, findings, lists of either), in order."""
        tables, singles = [], []
        def flush():
            if singles:
                tables.append(cls.from_findings(singles))
                singles.clear()
        def add(part):
            if isinstance(part, FindingTable):
                flush()
                tables.append(part)
            elif isinstance(part, Finding):
                singles.append(part)
            else:
                for item in part:
                    add(item)
        for part in parts:
            add(part)
        flush()
        tables = [t for t in tables if len(t)] or tables[:1]
        if not tables:
            return cls.empty()
        if len(tables) == 1:
            return tables[0]
        columns = {}
        for name in _TEXT:
            codes, uniques, offset = [], [], 0
            for t in tables:
                c, u = t.columns[name]
                codes.append(np.where(c >= 0, c + offset, -1).astype(np.int32))
                uniques.append(u)
                offset += len(u)
            columns[name] = (np.concatenate(codes), np.concatenate(uniques))
        return cls(columns, np.concatenate([t.severity for t in tables]),
                   np.concatenate([t.record for t in tables]), np.concatenate([t.suffix for t in tables]))

    def take(self, rows) -> "FindingTable":
        rows = np.asarray(rows, dtype=np.int64)
        return FindingTable({n: (c[rows], u) for n, (c, u) in self.columns.items()},
                            self.severity[rows], self.record[rows], self.suffix[rows])

    # ---- reading
    def __len__(self) -> int:
        return len(self.severity)

    def text(self, name: str, rows=None) -> np.ndarray:
        """Column ``name`` at ``rows`` (all by default) as an object array, ``None`` missing."""
        codes, uniques = self.columns[name]
        codes = codes if rows is None else codes[rows]
        out = _none_array(len(codes))
        have = codes >= 0
        out[have] = uniques[codes[have]]
        return out

    def messages(self, rows=None) -> list[str]:
        rows = np.arange(len(self)) if rows is None else np.asarray(rows, dtype=np.int64)
        stems, also = self.text("message", rows), self.text("also", rows)
        records, suffix = self.record[rows], self.suffix[rows]
        return [f"{m} (record {r}){a or ''}" if s else (f"{m}{a}" if a else m)
                for m, r, s, a in zip(stems, records.tolist(), suffix.tolist(), also)]

    def rows(self, rows=None) -> dict:
        """The findings at ``rows`` as columns (``COLUMNS`` + ``record``; ``record``
        ``None`` where there is none)."""
        rows = np.arange(len(self)) if rows is None else np.asarray(rows, dtype=np.int64)
        records = self.record[rows]
        out = {c: self.text(c, rows) for c in ("dataset", "rule_id", "usubjid", "variable", "value")}
        out["severity"] = np.asarray(SEVERITIES, dtype=object)[self.severity[rows]]
        out["message"] = self.messages(rows)
        out["record"] = records
        return out

    def __iter__(self):
        for start in range(0, len(self), 10_000):
            rows = np.arange(start, min(start + 10_000, len(self)))
            cols = self.rows(rows)
            for i in range(len(rows)):
                r = int(cols["record"][i])
                yield Finding(cols["dataset"][i], cols["rule_id"][i], cols["severity"][i],
                              cols["message"][i], cols["usubjid"][i], cols["variable"][i],
                              cols["value"][i], None if r < 0 else r)

    def __getitem__(self, item):
        if isinstance(item, slice):
            return list(self.take(np.arange(len(self))[item]))
        i = range(len(self))[item]
        return next(iter(self.take([i])))

    def __eq__(self, other):
        if isinstance(other, (FindingTable, list, tuple)):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None

    def extend(self, findings) -> None:
        """Add ``findings`` at the end, in place (as a list would)."""
        self.__dict__.update(FindingTable.concat([self, findings]).__dict__)

    def append(self, finding) -> None:
        self.extend([finding])

    def __add__(self, other):
        return FindingTable.concat([self, other])

    def __radd__(self, other):
        return FindingTable.concat([other, self])

    def __repr__(self) -> str:
        return f"<FindingTable of {len(self)} findings>"

    def has_errors(self) -> bool:
        return bool((self.severity == 0).any())

    def severity_count(self, severity: str) -> int:
        return int((self.severity == SEVERITIES.index(severity)).sum())

    def ids(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Codes of column ``name`` that are equal where the texts are (``-1``: none),
        and the distinct texts."""
        codes, uniques = self.columns[name]
        ids, distinct = pd.factorize(uniques)
        ids = np.append(ids, -1).astype(np.int64)
        return ids[codes], np.asarray(distinct, dtype=object)

    def dataset_names(self) -> list[str]:
        ids, names = self.ids("dataset")
        return sorted(names[np.unique(ids[ids >= 0])].tolist())

    def order(self) -> np.ndarray:
        """Rows in the order of :func:`findings_frame`: dataset, severity, rule, record
        (none last), then as found."""
        if not len(self):
            return np.zeros(0, dtype=np.int64)
        keys = []
        for name in ("dataset", "rule_id"):
            ids, names = self.ids(name)
            rank = np.empty(len(names), dtype=np.int64)
            rank[sorted(range(len(names)), key=names.__getitem__)] = np.arange(len(names))
            keys.append(np.append(rank, -1)[ids])
        record = np.where(self.record >= 0, self.record, np.iinfo(np.int64).max)
        return np.lexsort((np.arange(len(self)), record, keys[1], self.severity, keys[0]))

    def first_per_rule(self, order: np.ndarray, n: int | None) -> np.ndarray:
        """The rows of ``order`` that are among the first ``n`` of their dataset and rule."""
        if n is None or len(order) <= n:
            return order
        ds, _ = self.ids("dataset")
        rule, _ = self.ids("rule_id")
        group = pd.factorize(ds[order] * (int(rule.max()) + 2) + rule[order])[0]
        seen = pd.Series(group).groupby(group).cumcount().to_numpy()
        return order[seen < n]

    def summary(self, order: np.ndarray | None = None) -> pd.DataFrame:
        """Findings per dataset, rule and severity (``count``) with the first message of
        each (``example``), in the order they first come in ``order``."""
        order = self.order() if order is None else order
        if not len(order):
            return pd.DataFrame(columns=["dataset", "rule_id", "severity", "count", "example"])
        ds, _ = self.ids("dataset")
        rule, _ = self.ids("rule_id")
        key = (ds[order] * (int(rule.max()) + 2) + rule[order]) * 4 + self.severity[order]
        group, _ = pd.factorize(key)
        first = np.flatnonzero(~pd.Series(group).duplicated().to_numpy())
        rows = order[first]
        cols = self.rows(rows)
        return pd.DataFrame({"dataset": cols["dataset"], "rule_id": cols["rule_id"],
                             "severity": cols["severity"],
                             "count": np.bincount(group).astype(np.int64),
                             "example": cols["message"]})

    def frame(self, rows=None) -> pd.DataFrame:
        """A :func:`findings_frame` of ``rows`` (in that order)."""
        cols = self.rows(rows)
        record = cols["record"]
        if not len(record):      # as pandas makes an empty frame of lists
            return pd.DataFrame({c: [] for c in COLUMNS + ["record"]}, columns=COLUMNS + ["record"])
        if (record < 0).all():
            cols["record"] = _none_array(len(record))
        elif (record < 0).any():
            cols["record"] = np.where(record < 0, np.nan, record.astype(float))
        return pd.DataFrame({c: cols[c] for c in COLUMNS + ["record"]}, columns=COLUMNS + ["record"])

    def unique(self) -> "FindingTable":
        """The table without rows equal to an earlier one in every field."""
        if len(self) < 2:
            return self
        key = self._key(*[self.ids(n)[0] for n in _TEXT], self.severity.astype(np.int64),
                        self.record, self.suffix.astype(np.int64))
        first = ~pd.Series(key).duplicated().to_numpy()
        return self if first.all() else self.take(np.flatnonzero(first))

    @staticmethod
    def _key(*columns) -> np.ndarray:
        """One integer per distinct combination of the integer ``columns``, in the order
        each combination is first seen."""
        key = np.zeros(len(columns[0]), dtype=np.int64)
        for col in columns:
            col = np.asarray(col, dtype=np.int64)
            low = int(col.min()) if len(col) else 0
            key = pd.factorize(key * (int(col.max()) - low + 1 if len(col) else 1) + (col - low))[0].astype(np.int64)
        return key

    def _flat_also(self) -> "FindingTable":
        """The table with each ``also`` text and record folded into its message."""
        codes = self.columns["also"][0]
        if not (codes >= 0).any():
            return self
        columns = dict(self.columns)
        columns["message"] = _coded(self.messages(), len(self))
        columns["also"] = _coded(None, len(self))
        return FindingTable(columns, self.severity, self.record, np.zeros(len(self), dtype=bool))
