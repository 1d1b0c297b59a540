"""Read a define.xml (1.0 or 2.0/2.1) into dataset and variable specifications.

The define is the programming specification of an ADaM: per dataset its label, class,
structure and key variables; per variable its name, label, SAS type, length, display
format, position, origin, derivation text and codelist. Both dialects are read:

- define 1.0 (the CDISC pilot): ``def:Label`` attributes, the derivation rule in the
  ItemDef ``Comment`` attribute, keys in ``def:DomainKeys``;
- define 2.x: ``Description/TranslatedText`` labels, ``def:CommentOID`` ->
  ``def:CommentDef``, ``ItemRef/@MethodOID`` -> ``MethodDef``, ``def:Origin`` elements,
  keys from ``ItemRef/@KeySequence``.

Namespaces are ignored (tags and attributes are matched on their local names), so ODM
1.2/1.3 and def 1.0/2.0/2.1 files read alike.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from adam.errors import InputError
from adam.metadata import CHAR, NUM, Variable

#: define DataType values stored as SAS numeric; every other DataType is character
#: (ISO 8601 ``date``/``datetime`` values are text in SDTM/ADaM).
NUMERIC_DATA_TYPES = frozenset({"integer", "float", "double", "decimal"})


@dataclass(frozen=True)
class CodeList:
    """A codelist: ``items`` are ``(coded value, decode)`` pairs in rank/document order;
    ``dictionary`` names an external dictionary (e.g. ``MedDRA 8.0``)."""

    oid: str
    name: str
    data_type: str
    items: tuple[tuple[str, str | None], ...] = ()
    dictionary: str | None = None

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(code for code, _ in self.items)

    def decode(self) -> dict[str, str | None]:
        return dict(self.items)


@dataclass(frozen=True)
class VariableSpec:
    """One variable of a dataset as the define describes it."""

    name: str
    label: str
    data_type: str              # define DataType: text, integer, float, datetime ...
    length: int | None
    order: int                  # 1-based position in the dataset
    display_format: str | None = None
    origin: str | None = None
    comment: str | None = None  # derivation rule: Comment / CommentDef / MethodDef text
    codelist: str | None = None  # CodeList OID
    significant_digits: int | None = None
    mandatory: bool = False

    @property
    def type(self) -> str:
        """SAS type: ``Num`` for integer/float DataTypes, else ``Char``."""
        return NUM if self.data_type.lower() in NUMERIC_DATA_TYPES else CHAR

    def to_variable(self) -> Variable:
        """The :class:`adam.metadata.Variable` (numeric length defaults to 8)."""
        length = self.length if self.type == CHAR else (self.length or 8)
        return Variable(self.name, self.label, self.type, length, self.display_format)


@dataclass(frozen=True)
class DatasetSpec:
    """One dataset (ItemGroupDef): label, class, structure, keys and variables in order."""

    name: str
    label: str
    variables: tuple[VariableSpec, ...]
    class_: str | None = None
    structure: str | None = None
    keys: tuple[str, ...] = ()
    comment: str | None = None

    @property
    def names(self) -> list[str]:
        return [v.name for v in self.variables]

    def __getitem__(self, name: str) -> VariableSpec:
        for v in self.variables:
            if v.name == name:
                return v
        raise KeyError(f"{self.name} has no variable {name}")

    def __contains__(self, name: str) -> bool:
        return name in self.names


@dataclass(frozen=True)
class Define:
    """A parsed define.xml: datasets by upper-case name, codelists by OID."""

    path: str
    datasets: dict[str, DatasetSpec] = field(default_factory=dict)
    codelists: dict[str, CodeList] = field(default_factory=dict)

    def __getitem__(self, name: str) -> DatasetSpec:
        try:
            return self.datasets[name.upper()]
        except KeyError:
            raise InputError(f"no dataset {name.upper()} in the define "
                             f"(has {', '.join(self.datasets)})", file=self.path) from None

    def codelist(self, variable: VariableSpec) -> CodeList | None:
        return self.codelists.get(variable.codelist) if variable.codelist else None


def read_define(path: str | Path) -> Define:
    """Parse a define.xml file; :class:`InputError` if it is missing or not a define."""
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise InputError(f"cannot read define.xml: {exc}", file=path) from None
    _strip_namespaces(root)
    mdv = root.find("./Study/MetaDataVersion")
    if mdv is None:
        raise InputError("not a define.xml: no Study/MetaDataVersion element", file=path)

    texts = {**_described(mdv, "CommentDef"), **_described(mdv, "MethodDef"),
             **_computation_methods(mdv)}
    items = {el.get("OID"): el for el in mdv.findall("ItemDef")}
    datasets = {}
    for group in mdv.findall("ItemGroupDef"):
        spec = _dataset_spec(group, items, texts, path)
        datasets[spec.name] = spec
    codelists = {c.oid: c for c in map(_codelist, mdv.findall("CodeList"))}
    return Define(str(path), datasets, codelists)


# -- parsing helpers ---------------------------------------------------------------------

def _strip_namespaces(root: ET.Element) -> None:
    for el in root.iter():
        if isinstance(el.tag, str) and "}" in el.tag:
            el.tag = el.tag.split("}", 1)[1]
        for key in [k for k in el.attrib if "}" in k]:
            local = key.split("}", 1)[1]
            if local not in el.attrib:           # never overwrite an unqualified twin
                el.attrib[local] = el.attrib.pop(key)


def _text(el: ET.Element | None) -> str | None:
    """``Description/TranslatedText`` (English first) of an element, stripped."""
    if el is None:
        return None
    texts = el.findall("./Description/TranslatedText")
    chosen = next((t for t in texts if t.get("lang", "en").startswith("en")), None)
    chosen = chosen if chosen is not None else (texts[0] if texts else None)
    return _clean(chosen.text) if chosen is not None else None


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    return value or None


def _described(mdv: ET.Element, tag: str) -> dict[str, str]:
    """OID -> text of define 2.x ``def:CommentDef`` / ``MethodDef`` elements."""
    return {el.get("OID"): _text(el) for el in mdv.findall(tag) if _text(el)}


def _computation_methods(mdv: ET.Element) -> dict[str, str]:
    """OID -> text of define 1.0 ``def:ComputationMethod`` elements."""
    return {el.get("OID"): _clean(el.text) for el in mdv.iter("ComputationMethod")
            if el.get("OID") and _clean(el.text)}


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def _dataset_spec(group: ET.Element, items: dict, texts: dict, path: Path) -> DatasetSpec:
    name = (group.get("Name") or group.get("OID") or "").upper()
    refs = group.findall("ItemRef")
    variables, key_seq = [], []
    for position, ref in enumerate(refs, start=1):
        item = items.get(ref.get("ItemOID"))
        if item is None:
            raise InputError(f"ItemRef {ref.get('ItemOID')} of {name} has no ItemDef",
                             file=path)
        order = _int(ref.get("OrderNumber")) or position
        method = texts.get(ref.get("MethodOID") or item.get("ComputationMethodOID"))
        variables.append(_variable_spec(item, order, method, texts,
                                        ref.get("Mandatory") == "Yes"))
        if _int(ref.get("KeySequence")):
            key_seq.append((int(ref.get("KeySequence")), variables[-1].name))
    variables.sort(key=lambda v: v.order)
    keys = tuple(n for _, n in sorted(key_seq)) or tuple(
        k.strip() for k in (group.get("DomainKeys") or "").split(",") if k.strip())
    class_el = group.find("Class")
    class_ = group.get("Class") or (class_el.get("Name") if class_el is not None else None)
    return DatasetSpec(
        name=name,
        label=group.get("Label") or _text(group) or "",
        variables=tuple(variables),
        class_=class_,
        structure=group.get("Structure"),
        keys=keys,
        comment=_clean(group.get("Comment")) or texts.get(group.get("CommentOID")),
    )


def _variable_spec(item: ET.Element, order: int, method: str | None, texts: dict,
                   mandatory: bool) -> VariableSpec:
    origin_el = item.find("Origin")
    origin = item.get("Origin") or (origin_el.get("Type") if origin_el is not None else None)
    comment = method or texts.get(item.get("CommentOID")) or _clean(item.get("Comment"))
    codelist_ref = item.find("CodeListRef")
    return VariableSpec(
        name=item.get("Name"),
        label=item.get("Label") or _text(item) or "",
        data_type=item.get("DataType") or "text",
        length=_int(item.get("Length")),
        order=order,
        display_format=item.get("DisplayFormat") or None,
        origin=origin,
        comment=comment,
        codelist=codelist_ref.get("CodeListOID") if codelist_ref is not None else None,
        significant_digits=_int(item.get("SignificantDigits")),
        mandatory=mandatory,
    )


def _codelist(el: ET.Element) -> CodeList:
    entries = el.findall("CodeListItem") + el.findall("EnumeratedItem")
    ranked = sorted(enumerate(entries),
                    key=lambda p: (_int(p[1].get("Rank")) or 10**9, p[0]))
    # coded values are stripped: the pilot define pads some with a no-break space
    items = tuple(((e.get("CodedValue") or "").strip(), _text_decode(e)) for _, e in ranked)
    ext = el.find("ExternalCodeList")
    dictionary = (" ".join(filter(None, [ext.get("Dictionary"), ext.get("Version")]))
                  if ext is not None else None)
    return CodeList(el.get("OID"), el.get("Name") or el.get("OID"),
                    el.get("DataType") or "text", items, dictionary)


def _text_decode(item: ET.Element) -> str | None:
    t = item.find("./Decode/TranslatedText")
    return _clean(t.text) if t is not None else None
