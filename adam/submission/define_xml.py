"""Define-XML 2.1 for written datasets (ADaM, or the SDTM a study read), with odmlib.

What goes in, and where it comes from:

- **datasets** (``ItemGroupDef``): name and label from the XPT file; class, structure,
  keys and purpose from the ADaM dataset's kind (``ADSL`` subject level, ``ADTTE`` /
  ``ADRS`` / a dataset with ``PARAMCD`` basic data structure, ``ADAE`` occurrence data)
  or the sponsor's define when the study names one (``define =`` in its TOML); a
  ``def:leaf`` pointing at the XPT file beside the define.
- **variables** (``ItemDef``): label, SAS type, length and display format as the file
  holds them; DataType ``text`` / ``integer`` (whole numbers, SAS dates) / ``float`` (with
  SignificantDigits); origin ``Predecessor`` (a variable copied from SDTM DM or another
  domain of the same name, or from ADSL into another ADaM dataset; the source in the
  origin's description), ``Assigned`` (PARAMCD, PARAM, PARAMN, AVALU, PARCATy) or
  ``Derived`` (with the method), or the sponsor define's own origin and rule.
- **codelists** with their terms: the sponsor define's, the metadata specification's,
  else the values found for short character variables (at most :data:`MAX_TERMS`
  distinct values; PARAMCD decoded by PARAM, ``xxN`` numeric codes decoded by ``xx``).
- **value-level metadata** for every variable that depends on PARAMCD (``AVAL`` and
  ``CNSR`` in ADTTE, ``AVAL``/``AVALC`` in other BDS datasets): one ``ItemDef`` per
  parameter, described by its PARAM and unit (AVALU), with a ``WhereClauseDef``
  ``PARAMCD EQ value``.
- **methods** (``MethodDef``): the rule in words, from the study program's docstring
  (its ``- VAR: rule`` bullets), the sponsor define's derivation text, and for each
  ADTTE parameter its event and censoring sources as the data record them (EVNTDESC,
  SRCDOM, SRCVAR per CNSR value, with counts) joined with the source objects of the
  study program (dataset, date and filter) and the rules of the time-to-event building
  block (``derive_param_tte``'s module docstring).
- **comments** (``def:CommentDef``): the dataset's provenance and the program it came from.

:func:`validate_define` checks a file against the Define-XML 2.1 schema that odmlib
ships (``xmlschema``), returning the errors (empty when valid).
"""

from __future__ import annotations

import inspect
import re
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from adam.errors import InputError, UsageError
from adam.metadata import CHAR, NUM, Dataset

#: character variables with at most this many distinct values get a codelist of them
MAX_TERMS = 40
#: variables never given a codelist of observed values (identifiers, free text, dates)
_NO_CODELIST = re.compile(r"^(STUDYID|USUBJID|SUBJID|SITEID|INVID|INVNAM|.*DTC|.*DESC|.*TERM|"
                          r".*TRT|.*TXT|.*NAM|.*SPID|.*REAS|.*REASP|COVAL.*|.*ORRES)$")
_TTE_VARS = ("STARTDT", "ADT", "EVNTDESC", "CNSDTDSC", "SRCDOM", "SRCVAR", "SRCSEQ")
ASSIGNED = ("PARAMCD", "PARAM", "PARAMN", "AVALU", "PARCAT1", "PARCAT2", "PARCAT3", "DOMAIN")

ADAM_CLASS = {
    "ADSL": ("SUBJECT LEVEL ANALYSIS DATASET", None, "One record per subject", ("STUDYID", "USUBJID")),
    "ADTTE": ("BASIC DATA STRUCTURE", "TIME-TO-EVENT", "One record per subject per parameter",
              ("STUDYID", "USUBJID", "PARAMCD")),
    "ADAE": ("OCCURRENCE DATA STRUCTURE", None, "One record per subject per adverse event",
             ("STUDYID", "USUBJID", "AESEQ")),
}


# ----------------------------------------------------------------------------- model
@dataclass
class Method:
    oid: str
    name: str
    text: str
    type: str = "Computation"


@dataclass
class Item:
    """One ItemDef (a variable, or a value-level item)."""

    oid: str
    name: str
    label: str
    data_type: str
    length: int | None
    display_format: str | None = None
    significant_digits: int | None = None
    origin: str = "Derived"
    origin_text: str | None = None     # the predecessor (DM.AGE) or the origin's note
    method: str | None = None          # Method OID
    codelist: str | None = None        # CodeList OID
    valuelist: str | None = None       # ValueListDef OID
    comment: str | None = None         # CommentDef OID
    sas_type: str = CHAR


@dataclass
class ItemRef:
    item: str                          # Item OID
    order: int
    mandatory: bool
    key: int | None = None
    method: str | None = None
    where: str | None = None           # WhereClauseDef OID (value-level)


@dataclass
class Group:
    oid: str
    name: str
    label: str
    class_: str
    subclass: str | None
    structure: str
    purpose: str
    keys: tuple
    href: str
    refs: list[ItemRef] = field(default_factory=list)
    comment: str | None = None
    records: int = 0


@dataclass
class CodeList:
    oid: str
    name: str
    data_type: str
    terms: list[tuple[str, str | None]]


@dataclass
class WhereClause:
    oid: str
    item: str                          # Item OID of the variable tested (PARAMCD)
    variable: str
    values: tuple


@dataclass
class ValueList:
    oid: str
    variable: str                      # Item OID the list describes
    refs: list[ItemRef] = field(default_factory=list)


@dataclass
class DefineContent:
    """Everything a define says, in one structure that the XML and the HTML are made
    from alike."""

    studyid: str
    title: str
    kind: str                          # 'adam' or 'sdtm'
    groups: list[Group] = field(default_factory=list)
    items: dict[str, Item] = field(default_factory=dict)
    codelists: dict[str, CodeList] = field(default_factory=dict)
    methods: dict[str, Method] = field(default_factory=dict)
    comments: dict[str, str] = field(default_factory=dict)
    valuelists: dict[str, ValueList] = field(default_factory=dict)
    whereclauses: dict[str, WhereClause] = field(default_factory=dict)
    standard: tuple = ("ADaMIG", "1.1")
    created: str = ""

    def item_of(self, group: Group, name: str) -> Item | None:
        for ref in group.refs:
            if self.items[ref.item].name == name:
                return self.items[ref.item]
        return None


# ----------------------------------------------------------------------------- building
def define_content(study, datasets: dict[str, Dataset], kind: str = "adam",
                   predecessors: dict[str, set] | None = None, program=None,
                   hrefs: dict[str, str] | None = None) -> DefineContent:
    """The define of ``datasets`` (``{name: Dataset}`` as written: their metadata is the
    file's) of ``study`` (:class:`~adam.study.Study`).

    ``predecessors``: ``{dataset name: variable names}`` of the datasets the ADaM was
    derived from (SDTM headers), for ``Predecessor`` origins. ``program``: the study's
    dataset program (a callable), whose module docstring and source objects give the
    methods; default: the one the study names, when it can be loaded. ``hrefs``: the
    file of each dataset relative to the define (default ``<name>.xpt``)."""
    if kind not in ("adam", "sdtm"):
        raise UsageError(f"kind must be adam or sdtm, not {kind!r}")
    content = DefineContent(study.studyid, study.title or study.studyid, kind,
                            standard=("ADaMIG", "1.1") if kind == "adam" else ("SDTMIG", "3.2"),
                            created=datetime.now(timezone.utc).replace(microsecond=0).isoformat())
    sponsor = _sponsor_define(study) if kind == "adam" else None
    spec_codelists = _spec_codelists(study) if kind == "adam" else {}
    module = _program_module(study, program) if kind == "adam" else None
    rules = _docstring_rules(module.__doc__ if module else None)
    sources = _tte_sources(module)
    tte_rules = _tte_rules(module)
    if tte_rules:
        rules["~tte"] = tte_rules
    if getattr(study, "derive", ""):
        rules["~program"] = study.derive
    predecessors = {k.upper(): set(v) for k, v in (predecessors or {}).items()}
    order = sorted(datasets, key=lambda n: (n.upper() != "ADSL", n.upper() != "DM", n.upper()))
    for name in order:
        ds = datasets[name]
        dname = name.upper()
        spec = sponsor.datasets.get(dname) if sponsor is not None else None
        group = _group(content, ds, dname, spec, (hrefs or {}).get(name) or f"{name.lower()}.xpt")
        content.groups.append(group)
        frame = ds.frame
        for position, var in enumerate(ds.variables, start=1):
            vspec = spec[var.name] if spec is not None and var.name in spec else None
            item = _item(content, dname, var, frame[var.name], vspec, predecessors, rules)
            if kind == "sdtm":
                item.origin, item.origin_text, item.method = _sdtm_origin(var.name)
            content.items[item.oid] = item
            codelist = _codelist(content, dname, var, frame, sponsor, vspec, spec_codelists)
            item.codelist = codelist
            key = group.keys.index(var.name) + 1 if var.name in group.keys else None
            group.refs.append(ItemRef(item.oid, position, var.name in group.keys or var.name in (
                "STUDYID", "USUBJID", "DOMAIN", "PARAMCD", "PARAM", "AVAL", "CNSR"), key, item.method))
        if kind == "adam" and "PARAMCD" in frame:
            _value_level(content, group, ds, sources, tte_rules)
    return content


def _group(content: DefineContent, ds: Dataset, name: str, spec, href: str) -> Group:
    frame = ds.frame
    if content.kind == "sdtm":
        class_, sub, structure, keys = _sdtm_class(name, frame)
        purpose = "Tabulation"
    else:
        default = ADAM_CLASS.get(name)
        if default is None:
            if "PARAMCD" in frame:
                keys = tuple(k for k in ("STUDYID", "USUBJID", "PARAMCD", "AVISIT", "ADT", "ASEQ") if k in frame)
                default = ("BASIC DATA STRUCTURE", None, "One record per subject per parameter"
                           + (" per analysis date" if "ADT" in frame else ""), keys)
            else:
                default = ("ADAM OTHER", None, "One record per subject per record",
                           tuple(k for k in ("STUDYID", "USUBJID") if k in frame))
        class_, sub, structure, keys = default
        if spec is not None:
            structure = spec.structure or structure
            keys = tuple(k for k in ("STUDYID", *spec.keys) if k in frame) or keys
        keys = tuple(dict.fromkeys(k for k in keys if k in frame))
        purpose = "Analysis"
    comment_oid = f"COM.{name}"
    content.comments[comment_oid] = (
        f"{name}: {len(frame)} records, {len(ds.variables)} variables, written by adamant "
        f"(study {content.studyid})." + (f" Sponsor define: {spec.comment}" if spec is not None and spec.comment else ""))
    return Group(f"IG.{name}", name, ds.label or (spec.label if spec is not None else "") or name,
                 class_, sub, structure, purpose, keys, href, comment=comment_oid, records=len(frame))


def _sdtm_class(name: str, frame: pd.DataFrame):
    special = {"DM": "SPECIAL PURPOSE", "CO": "SPECIAL PURPOSE", "SE": "SPECIAL PURPOSE",
               "SV": "SPECIAL PURPOSE", "TS": "TRIAL DESIGN", "TA": "TRIAL DESIGN", "TE": "TRIAL DESIGN",
               "TI": "TRIAL DESIGN", "TV": "TRIAL DESIGN", "EX": "INTERVENTIONS", "CM": "INTERVENTIONS",
               "EC": "INTERVENTIONS", "PR": "INTERVENTIONS", "SU": "INTERVENTIONS", "AE": "EVENTS",
               "DS": "EVENTS", "MH": "EVENTS", "CE": "EVENTS", "DV": "EVENTS", "HO": "EVENTS"}
    if name.startswith("SUPP") or name == "RELREC":
        class_ = "RELATIONSHIP"
    else:
        class_ = special.get(name, "FINDINGS")
    seq = [c for c in frame.columns if c.endswith("SEQ") and c != "SRCSEQ"][:1]
    keys = tuple(k for k in ("STUDYID", "USUBJID", *seq) if k in frame) or tuple(frame.columns[:1])
    structure = "One record per subject" if name == "DM" else f"One record per {name} record per subject"
    return class_, None, structure, keys


def _sdtm_origin(name: str):
    if name in ("STUDYID", "DOMAIN"):
        return "Assigned", None, None
    if name == "USUBJID" or re.search(r"(SEQ|DY|STDY|ENDY)$", name):
        return "Derived", None, None
    return "Collected", "as the SDTM holds it (adamant read these data; it did not collect them)", None


def _item(content: DefineContent, dname: str, var, values: pd.Series, vspec, predecessors: dict,
          rules: dict) -> Item:
    data_type, digits = _data_type(var, values, vspec)
    length = var.length if data_type in ("text", "integer", "float") else None
    item = Item(f"IT.{dname}.{var.name}", var.name, var.label or (vspec.label if vspec else "") or var.name,
                data_type, length, var.format, digits, sas_type=var.type)
    origin, text = _origin(dname, var.name, vspec, predecessors)
    item.origin, item.origin_text = origin, text
    if origin == "Derived":
        rule = rules.get(var.name) or (vspec.comment if vspec is not None else None)
        if not rule and var.name in _TTE_VARS and rules.get("~tte"):
            rule = f"{var.name}: set by the time-to-event building block. " + rules.get("~tte")
        if not rule and rules.get("~program"):
            rule = f"Derived by the study program {rules.get('~program')} (its docstring has no rule for {var.name})."
        if rule:
            oid = f"MT.{dname}.{var.name}"
            content.methods[oid] = Method(oid, f"Algorithm to derive {dname}.{var.name}", rule)
            item.method = oid
    return item


def _data_type(var, values: pd.Series, vspec) -> tuple[str, int | None]:
    if var.type == CHAR:
        return "text", None
    if var.format or pd.api.types.is_datetime64_any_dtype(values):
        return "integer", None                   # SAS dates: whole numbers with a display format
    numbers = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    numbers = numbers[np.isfinite(numbers)]
    if not len(numbers) or np.all(numbers == np.round(numbers)):
        return "integer", None
    sample = np.unique(numbers)[:10000]
    decimals = max(len(repr(float(x)).split(".")[1]) if "." in repr(float(x)) and "e" not in repr(float(x)) else 16
                   for x in sample)
    return "float", min(decimals, 16)


def _origin(dname: str, name: str, vspec, predecessors: dict) -> tuple[str, str | None]:
    if vspec is not None and vspec.comment and re.fullmatch(r"[A-Z][A-Z0-9]*\.[A-Z][A-Z0-9_]*", vspec.comment):
        return "Predecessor", vspec.comment      # the sponsor's "ADSL.AGE" rules are predecessors
    if name in ASSIGNED:
        return "Assigned", None
    if dname != "ADSL" and name in predecessors.get("ADSL", ()):
        return "Predecessor", f"ADSL.{name}"
    for source in ("DM", *sorted(predecessors)):
        if source.startswith("AD") or source not in predecessors:
            continue
        if name in predecessors[source] and (source == "DM" or name not in ("STUDYID", "USUBJID")):
            return "Predecessor", f"{source}.{name}"
    return "Derived", None


def _codelist(content: DefineContent, dname: str, var, frame: pd.DataFrame, sponsor, vspec,
              spec_codelists: dict) -> str | None:
    if sponsor is not None and vspec is not None and vspec.codelist in sponsor.codelists:
        cl = sponsor.codelists[vspec.codelist]
        if cl.items:
            oid = f"CL.{cl.oid}"
            if oid not in content.codelists:
                content.codelists[oid] = CodeList(oid, cl.name, "text" if var.type == CHAR else "integer",
                                                  [(c, d) for c, d in cl.items])
            return oid
    key = f"{dname}.{var.name}"
    if key in spec_codelists:
        oid = f"CL.{key}"
        content.codelists[oid] = CodeList(oid, f"{dname}.{var.name}", "text" if var.type == CHAR else "float",
                                          [(c, None) for c in spec_codelists[key]])
        return oid
    if _NO_CODELIST.match(var.name) or (var.type != CHAR and not _decoded_number(var.name, frame)):
        return None
    if var.type != CHAR:                          # TRT01PN decoded by TRT01P
        pairs = _pairs(frame, var.name, var.name[:-1] if var.name.endswith("N") else var.name[:-1])
        if pairs is None:
            return None
        terms = [(_number_text(code), decode) for code, decode in pairs]
        data_type = "integer" if all(float(c).is_integer() for c, _ in pairs) else "float"
    else:
        values = distinct_values(frame[var.name], MAX_TERMS)
        if values is None or not values:
            return None
        decode = _decodes(frame, var.name, values)
        terms = [(v, decode.get(v)) for v in values]
        data_type = "text"
    oid = f"CL.{dname}.{var.name}"
    content.codelists[oid] = CodeList(oid, f"{dname} {var.name}", data_type, terms)
    return oid


def _decoded_number(name: str, frame: pd.DataFrame) -> bool:
    return name.endswith("N") and name[:-1] in frame and name not in ("AVAL",)


def _pairs(frame: pd.DataFrame, code: str, decode: str):
    sub = pd.DataFrame({"c": pd.to_numeric(frame[code], errors="coerce"),
                        "d": frame[decode].astype(object)}).dropna().drop_duplicates()
    if sub.empty or len(sub) > MAX_TERMS or sub["c"].duplicated().any():
        return None
    sub = sub.sort_values("c")
    return [(float(c), str(d)) for c, d in zip(sub["c"], sub["d"])]


def _decodes(frame: pd.DataFrame, name: str, values: list[str]) -> dict:
    """PARAMCD -> PARAM (each code with one decode)."""
    if name != "PARAMCD" or "PARAM" not in frame:
        return {}
    sub = pd.DataFrame({"c": frame["PARAMCD"].astype(object), "d": frame["PARAM"].astype(object)}).dropna()
    sub = sub.drop_duplicates()
    if sub["c"].duplicated().any():
        return {}
    return dict(zip(sub["c"], sub["d"]))


def distinct_values(values: pd.Series, limit: int) -> list[str] | None:
    """Sorted distinct non-missing values as text, or ``None`` when more than ``limit``."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        used = np.unique(codes[codes >= 0])
        if len(used) > limit:
            return None
        distinct = values.cat.categories[used]
    else:
        distinct = pd.unique(values.dropna().astype(object).to_numpy())
        if len(distinct) > limit:
            return None
    return sorted(str(v) for v in distinct if str(v).strip())


def _number_text(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


# -- value-level metadata ------------------------------------------------------------------
def _value_level(content: DefineContent, group: Group, ds: Dataset, sources: list, tte_rules: str) -> None:
    frame = ds.frame
    name = group.name
    params = distinct_values(frame["PARAMCD"], 500) or []
    param_text = _decodes(frame, "PARAMCD", params)
    units = _first_values(frame, "AVALU")
    tte = "CNSR" in frame and "AVAL" in frame
    dependent = [v for v in (("AVAL", "CNSR") if tte else ("AVAL", "AVALC")) if v in frame]
    paramcd_item = f"IT.{name}.PARAMCD"
    for var_name in dependent:
        base = content.items[f"IT.{name}.{var_name}"]
        vl = ValueList(f"VL.{name}.{var_name}", base.oid)
        for order, param in enumerate(params, start=1):
            wc = f"WC.{name}.PARAMCD.{param}"
            content.whereclauses.setdefault(wc, WhereClause(wc, paramcd_item, "PARAMCD", (param,)))
            rows = (frame["PARAMCD"].astype(object) == param).to_numpy()
            unit = units.get(param)
            label = f"{param_text.get(param, param)}" + (f" (unit: {unit})" if unit else "")
            oid = f"IT.{name}.{var_name}.{param}"
            values = frame[var_name].to_numpy()[rows]
            data_type, digits = _data_type(ds[var_name], pd.Series(values), None)
            item = Item(oid, var_name, f"{var_name} for {label}" if var_name != "AVAL" else label,
                        data_type, base.length, base.display_format, digits, origin="Derived",
                        sas_type=base.sas_type)
            method_oid = f"MT.{name}.{var_name}.{param}"
            text = _parameter_method(frame.loc[rows], param, param_text.get(param), unit, sources, tte_rules) \
                if tte else f"{var_name} of parameter {param} ({param_text.get(param, param)})" + \
                (f", in {unit}" if unit else "") + (f": {content.methods[base.method].text}" if base.method else "")
            content.methods[method_oid] = Method(method_oid, f"Algorithm to derive {name}.{var_name} "
                                                             f"where PARAMCD = {param}", text)
            item.method = method_oid
            content.items[oid] = item
            vl.refs.append(ItemRef(oid, order, True, None, method_oid, wc))
        content.valuelists[vl.oid] = vl
        base.valuelist = vl.oid


def _first_values(frame: pd.DataFrame, var: str) -> dict:
    if var not in frame:
        return {}
    sub = pd.DataFrame({"p": frame["PARAMCD"].astype(object), "v": frame[var].astype(object)}).dropna()
    return dict(sub.drop_duplicates("p").itertuples(index=False, name=None))


def _parameter_method(rows: pd.DataFrame, param: str, label: str | None, unit: str | None,
                      sources: list, tte_rules: str) -> str:
    """An ADTTE parameter's event and censoring sources in words, as the records say them,
    with the program's source objects (dataset, date, filter) where they match."""
    parts = [f"{param} ({label or param}): AVAL = ADT - STARTDT + 1" + (f" ({unit.lower()})" if unit else "")
             + "; the origin STARTDT and the date ADT of each record as below."]
    cols = [c for c in ("CNSR", "EVNTDESC", "SRCDOM", "SRCVAR") if c in rows]
    if "CNSR" in cols:
        table = rows[cols].astype(object).fillna("").astype(str).value_counts(sort=False).reset_index()
        table = table.sort_values(cols[:1] + ["count"], ascending=[True, False], kind="stable")
        for rec in table.to_dict("records"):
            cnsr = rec["CNSR"]
            event = cnsr in ("0", "0.0")
            what = "Event (CNSR = 0)" if event else f"Censoring (CNSR = {cnsr.replace('.0', '')})"
            desc = rec.get("EVNTDESC") or "(no description)"
            where = ".".join(x for x in (rec.get("SRCDOM"), rec.get("SRCVAR")) if x)
            src = _matching_source(sources, desc, event)
            detail = ""
            if src is not None:
                detail = f"; program source: {src.dataset_name}.{src.date}"
                if isinstance(src.filter, str) and src.filter:
                    detail += f" where {src.filter}"
            parts.append(f"{what}: {desc}" + (f", date from {where}" if where else "") + detail
                         + f" ({rec['count']} records).")
    if tte_rules:
        parts.append("Rules: " + tte_rules)
    return " ".join(parts)


def _matching_source(sources: list, desc: str, event: bool):
    for src in sources:
        values = getattr(src, "set_values_to", {}) or {}
        if str(values.get("EVNTDESC", "")) == desc and (getattr(src, "censor", 0) == 0) == event:
            return src
    return None


# -- what the study program says -----------------------------------------------------------
def _program_module(study, program):
    if program is None:
        try:
            program = study.derive_function() if getattr(study, "derive", "") else None
        except Exception:                      # a study without a loadable program: no methods
            program = None
    if program is None:
        return None
    return sys.modules.get(getattr(program, "__module__", "")) or inspect.getmodule(program)


_BULLET = re.compile(r"^\s*[-*]\s+(.+?):\s+(.*)$")


def _docstring_rules(doc: str | None) -> dict[str, str]:
    """``{VARIABLE: rule}`` from ``- VAR/VAR2: rule`` bullets of a module docstring (a
    bullet's continuation lines joined; ``STRATnR`` matches STRAT1R, STRAT2R ...)."""
    if not doc:
        return _Rules()
    bullets, current = [], None
    for line in doc.splitlines():
        m = _BULLET.match(line)
        if m:
            current = [m.group(1), m.group(2)]
            bullets.append(current)
        elif current is not None and line.startswith("  ") and line.strip():
            current[1] += " " + line.strip()
        else:
            current = None
    rules: dict[str, str] = {}
    for head, text in bullets:
        rule = " ".join(f"{head}: {text}".split())
        for token in re.findall(r"\b[A-Z][A-Z0-9]{1,7}(?:n[A-Z0-9]*)?\b", head):
            rules.setdefault(token, rule)
        for token in re.findall(r"\b([A-Z]+)n([A-Z]*)\b", head):
            rules.setdefault(f"~{token[0]}\\d+{token[1]}", rule)
    for pattern, rule in [(k, v) for k, v in rules.items() if k.startswith("~")]:
        rules[pattern] = rule
    return _Rules(rules)


class _Rules(dict):
    """Rules by variable name; ``STRATnR``-style keys match by pattern."""

    def get(self, name, default=None):
        if name in self:
            return self[name]
        for key, rule in self.items():
            if key.startswith("~") and key not in ("~tte", "~program") and re.fullmatch(key[1:], name):
                return rule
        return default


def _tte_sources(module) -> list:
    """The time-to-event source objects the program module holds (by value, or in a
    mapping such as ``SOURCES``)."""
    if module is None:
        return []
    found = []

    def take(obj):
        if all(hasattr(obj, a) for a in ("dataset_name", "date", "set_values_to", "censor")):
            found.append(obj)
        elif isinstance(obj, dict):
            for v in obj.values():
                take(v)
        elif isinstance(obj, (list, tuple)):
            for v in obj:
                take(v)

    for value in vars(module).values():
        take(value)
    return found


def _tte_rules(module) -> str:
    """The numbered rules of the time-to-event building block the program uses."""
    if module is None:
        return ""
    block = vars(module).get("derive_param_tte")
    doc = (sys.modules.get(getattr(block, "__module__", "")) or inspect.getmodule(block)).__doc__ \
        if block is not None else None
    if not doc:
        return ""
    rules = re.findall(r"^\s*(\d+)\.\s+(.*?)(?=^\s*\d+\.\s|\Z)", doc, flags=re.S | re.M)
    return " ".join(f"({n}) {' '.join(text.split())}" for n, text in rules)


def _sponsor_define(study):
    if not getattr(study, "define", ""):
        return None
    from adam.define import read_define

    path = Path(study.define)
    if not path.is_absolute():
        path = (Path(study.path).parent / path).resolve()
    try:
        return read_define(path)
    except InputError:
        return None


def _spec_codelists(study) -> dict[str, tuple]:
    path = getattr(study, "metadata_spec", None)
    if path is None:
        return {}
    import csv

    out = {}
    try:
        if Path(path).suffix.lower() == ".toml":
            return {}
        with open(path, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                row = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
                if row.get("variable") and row.get("codelist"):
                    out[f"{row['dataset'].upper()}.{row['variable'].upper()}"] = tuple(
                        v.strip() for v in row["codelist"].split("|"))
    except OSError:
        return {}
    return out


# ----------------------------------------------------------------------------- odmlib
def to_odm(content: DefineContent):
    """The odmlib Define-XML 2.1 document of ``content``."""
    import odmlib.define_2_1.model as D

    def desc(text):
        d = D.Description()
        d.TranslatedText.append(D.TranslatedText(_content=_xml_text(text), lang="en"))
        return d

    from adam import __version__

    what = "ADaM" if content.kind == "adam" else "SDTM"
    odm = D.ODM(FileOID=f"DEF.{_oid(content.studyid)}.{what}", FileType="Snapshot", ODMVersion="1.3.2",
                CreationDateTime=content.created, AsOfDateTime=content.created, Originator="adamant",
                SourceSystem="adamant", SourceSystemVersion=__version__, Context="Submission")
    odm.Study = D.Study(OID=f"ST.{_oid(content.studyid)}")
    gv = D.GlobalVariables()
    gv.StudyName = D.StudyName(_content=content.studyid)
    gv.StudyDescription = D.StudyDescription(_content=_xml_text(content.title))
    gv.ProtocolName = D.ProtocolName(_content=content.studyid)
    odm.Study.GlobalVariables = gv
    mdv = D.MetaDataVersion(OID=f"MDV.{_oid(content.studyid)}.{what}",
                            Name=f"{content.studyid} {what} define", DefineVersion="2.1.0")
    mdv.Description = f"{what} datasets of {content.studyid}, written by adamant {__version__}"
    mdv.Standards = D.Standards()
    std_oid = f"STD.{content.standard[0]}"
    mdv.Standards.Standard.append(D.Standard(OID=std_oid, Name=content.standard[0], Type="IG",
                                             Version=content.standard[1], Status="Final"))
    for vl in content.valuelists.values():
        v = D.ValueListDef(OID=vl.oid)
        for ref in vl.refs:
            r = D.ItemRef(ItemOID=ref.item, OrderNumber=ref.order, Mandatory="Yes" if ref.mandatory else "No")
            if ref.method:
                r.MethodOID = ref.method
            r.WhereClauseRef.append(D.WhereClauseRef(WhereClauseOID=ref.where))
            v.ItemRef.append(r)
        mdv.ValueListDef.append(v)
    for wc in content.whereclauses.values():
        w = D.WhereClauseDef(OID=wc.oid)
        rc = D.RangeCheck(Comparator="EQ" if len(wc.values) == 1 else "IN", SoftHard="Soft", ItemOID=wc.item)
        for value in wc.values:
            rc.CheckValue.append(D.CheckValue(_content=_xml_text(value)))
        w.RangeCheck.append(rc)
        mdv.WhereClauseDef.append(w)
    for group in content.groups:
        ig = D.ItemGroupDef(OID=group.oid, Name=group.name, SASDatasetName=group.name[:8],
                            Repeating="No" if group.name in ("ADSL", "DM") else "Yes",
                            IsReferenceData="Yes" if group.class_ == "TRIAL DESIGN" else "No",
                            Purpose=group.purpose, Structure=group.structure,
                            ArchiveLocationID=f"LF.{group.name}", StandardOID=std_oid)
        if content.kind == "sdtm":
            ig.Domain = group.name
        if group.comment:
            ig.CommentOID = group.comment
        ig.Description = desc(group.label)
        for ref in group.refs:
            r = D.ItemRef(ItemOID=ref.item, OrderNumber=ref.order, Mandatory="Yes" if ref.mandatory else "No")
            if ref.key:
                r.KeySequence = ref.key
            if ref.method:
                r.MethodOID = ref.method
            ig.ItemRef.append(r)
        ig.Class = D.Class(Name=group.class_)
        if group.subclass:
            ig.Class.SubClass.append(D.SubClass(Name=group.subclass))
        ig.leaf = D.leaf(ID=f"LF.{group.name}", href=group.href)
        ig.leaf.title = D.title(_content=Path(group.href).name)
        mdv.ItemGroupDef.append(ig)
    for item in content.items.values():
        it = D.ItemDef(OID=item.oid, Name=item.name, DataType=item.data_type, SASFieldName=item.name[:8])
        if item.length is not None:
            it.Length = int(item.length)
        if item.significant_digits is not None:
            it.SignificantDigits = int(item.significant_digits)
        if item.display_format:
            it.DisplayFormat = item.display_format
        if item.comment:
            it.CommentOID = item.comment
        it.Description = desc(item.label)
        if item.codelist:
            it.CodeListRef = D.CodeListRef(CodeListOID=item.codelist)
        origin = D.Origin(Type=item.origin)
        if item.origin == "Collected":
            origin.Source = "Investigator"
        if item.origin_text:
            origin.Description = desc(item.origin_text)
        it.Origin.append(origin)
        if item.valuelist:
            it.ValueListRef = D.ValueListRef(ValueListOID=item.valuelist)
        mdv.ItemDef.append(it)
    for cl in content.codelists.values():
        c = D.CodeList(OID=cl.oid, Name=_xml_text(cl.name), DataType=cl.data_type)
        decoded = any(d for _, d in cl.terms)
        for rank, (code, decode) in enumerate(cl.terms, start=1):
            if decoded:
                item = D.CodeListItem(CodedValue=_xml_text(code), OrderNumber=rank)
                item.Decode = D.Decode()
                item.Decode.TranslatedText.append(D.TranslatedText(_content=_xml_text(decode or code), lang="en"))
                c.CodeListItem.append(item)
            else:
                c.EnumeratedItem.append(D.EnumeratedItem(CodedValue=_xml_text(code), OrderNumber=rank))
        mdv.CodeList.append(c)
    for m in content.methods.values():
        md = D.MethodDef(OID=m.oid, Name=_xml_text(m.name), Type=m.type)
        md.Description = desc(m.text)
        mdv.MethodDef.append(md)
    for oid, text in content.comments.items():
        cd = D.CommentDef(OID=oid)
        cd.Description = desc(text)
        mdv.CommentDef.append(cd)
    odm.Study.MetaDataVersion = mdv
    return odm


_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(value) -> str:
    """Text XML can hold (control characters dropped)."""
    return _XML_BAD.sub("", str(value))


def _oid(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", str(text)) or "X"


def define_xml_text(content: DefineContent) -> str:
    """The define as XML text, with the stylesheet-free declaration."""
    return to_odm(content).to_xml_string(xml_declaration=True) + "\n"


def write_define_xml(content: DefineContent, path: str | Path, inputs=()) -> Path:
    """Write ``content`` as Define-XML 2.1 (atomically)."""
    from adam.io.atomic import write_text

    write_text(Path(path), define_xml_text(content), inputs=inputs)
    return Path(path)


def validate_define(path: str | Path) -> list[str]:
    """The Define-XML 2.1 schema errors of a file (odmlib's XSD, checked with
    ``xmlschema``); empty when the file is valid."""
    from odmlib.odm_parser import ODMSchemaValidator

    validator = ODMSchemaValidator(standard="define", version="2.1")
    return [f"{err.path}: {err.reason}" for err in validator.xsd.iter_errors(str(path))]


# ----------------------------------------------------------------------------- files
def read_datasets(folder: str | Path, what: str = "ADaM") -> dict[str, Dataset]:
    """Every dataset file of ``folder`` (``{lower-case name: Dataset}``, text coded)."""
    from adam.io import dataset_files, read_dataset
    from adam.io.xpt import read_xpt

    out = {}
    for name, path in dataset_files(folder, what).items():
        out[name] = read_xpt(path, coded=True) if path.suffix.lower() == ".xpt" else read_dataset(path)
    return out


def headers(folder: str | Path) -> dict[str, Dataset]:
    """The variables (no records) of every XPT file of an SDTM folder."""
    import pyreadstat

    out = {}
    for path in sorted(Path(folder).glob("*.xpt")):
        try:
            _, meta = pyreadstat.read_xport(str(path), metadataonly=True)
        except Exception:          # noqa: BLE001 - a file we cannot read is left out
            continue
        from adam.metadata import Variable

        text = {c: meta.readstat_variable_types.get(c) == "string" for c in meta.column_names}
        frame = pd.DataFrame({c: pd.Series(dtype=object if text[c] else float) for c in meta.column_names})
        variables = [Variable(c, label=meta.column_names_to_labels.get(c) or "", type=CHAR if text[c] else NUM,
                              length=meta.variable_storage_width.get(c) or None,
                              format=None if text[c] else (meta.original_variable_types.get(c) or None))
                     for c in meta.column_names]
        out[path.stem.lower()] = Dataset(path.stem, frame, meta.file_label or "", variables)
    return out


# ----------------------------------------------------------------------------- entry
def write_defines(study, adam_folder: str | Path, out_folder: str | Path | None = None,
                  sdtm: str | Path | None = None, datasets: dict[str, Dataset] | None = None,
                  program=None) -> list[Path]:
    """``define.xml`` and ``define.html`` of the ADaM in ``adam_folder`` (and, with
    ``sdtm``, ``sdtm-define.xml`` / ``sdtm-define.html`` of the SDTM read, from its file
    headers) into ``out_folder`` (default: the ADaM folder, beside the XPT files its
    leaves name). ``datasets``: the ADaM as already read (else read from the folder)."""
    from adam.submission.define_html import write_define_html

    adam_folder = Path(adam_folder)
    out = Path(out_folder) if out_folder is not None else adam_folder
    if datasets is None:
        adam = read_datasets(adam_folder)
    else:   # the values as derived, the variables as the files hold them
        written = headers(adam_folder)
        adam = {name: Dataset(ds.name, ds.frame, written[name].label, written[name].variables)
                if name in written else ds for name, ds in datasets.items()}
    sdtm_headers = headers(sdtm) if sdtm is not None else {}
    predecessors = {n.upper(): {v.name for v in ds.variables} for n, ds in sdtm_headers.items()}
    if "adsl" in adam:
        predecessors["ADSL"] = {v.name for v in adam["adsl"].variables}
    hrefs = _hrefs(adam_folder, out, adam)
    content = define_content(study, adam, "adam", predecessors, program=program, hrefs=hrefs)
    inputs = list(adam_folder.glob("*.xpt"))
    written = [write_define_xml(content, out / "define.xml", inputs=inputs),
               write_define_html(content, out / "define.html", inputs=inputs)]
    if sdtm_headers:
        hrefs = _hrefs(Path(sdtm), out, sdtm_headers)
        sdtm_content = define_content(study, sdtm_headers, "sdtm", hrefs=hrefs)
        written += [write_define_xml(sdtm_content, out / "sdtm-define.xml"),
                    write_define_html(sdtm_content, out / "sdtm-define.html")]
    return written


def _hrefs(data_folder: Path, define_folder: Path, datasets: dict) -> dict[str, str]:
    """Each dataset's file relative to the define's folder (a URI path)."""
    import os

    hrefs = {}
    for name in datasets:
        target = (Path(data_folder) / f"{name.lower()}.xpt").resolve()
        try:
            rel = Path(os.path.relpath(target, Path(define_folder).resolve())).as_posix()
        except ValueError:                     # another drive
            rel = target.as_uri()
        hrefs[name] = rel
    return hrefs
