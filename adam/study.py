"""Study specifications: a study is data.

A specification is a TOML file (parsed with :mod:`tomllib`: no code is evaluated).
Built-in studies live in ``adam/studies/<name>.toml``; any other value of ``--study`` is
the path of a user's own file. Unknown keys and wrong types are a
:class:`~adam.errors.UsageError` naming the file and the key.

The optional ``derive = "module:function"`` names the dataset program; a module path
ending in ``.py`` is resolved relative to the specification file, so a user's study is a
TOML file plus a small Python module beside it, and the engine does not change.
"""

from __future__ import annotations

import importlib
import importlib.util
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from adam.errors import UsageError

BUILTIN_DIR = Path(__file__).parent / "studies"

# key -> (type(s), required)
_SCHEMA = {
    "name": (str, True),
    "studyid": (str, True),
    "short_name": (str, False),     # the study as displays name it beside others (default: studyid)
    "title": (str, False),
    "description": (str, False),
    "derive": (str, False),
    "define": (str, False),
    "data_cutoff": ((str, date), False),
    "treatment": (dict, False),
    "populations": (dict, False),
    "sdtm": (dict, False),
    "metadata": (dict, False),
    "analyses": (list, False),
    "outputs": (list, False),
    "footnotes": (list, False),
    "labels": (dict, False),        # {VARIABLE: label} for displays (strata, subgroups)
    "endpoints": (dict, False),     # {PARAMCD: definition} printed under outputs showing it
}
_TREATMENT_KEYS = {"var": str, "ref": str, "actual_var": str, "order": list, "labels": dict}
#: ``[sdtm]``: where the study's SDTM is when a command is given no ``--sdtm``: ``example``
#: names a folder of adamant's shipped example data (``adam/examples``), ``folder`` a
#: folder relative to the specification file
_SDTM_KEYS = {"example": str, "folder": str}
#: ``[metadata]``: ``spec`` names the ADaM metadata specification (CSV or TOML, relative to
#: the specification file; :mod:`derivations.specification`) that ``derive`` applies to
#: every dataset the program makes and checks them against
_METADATA_KEYS = {"spec": str}


@dataclass
class Study:
    """A loaded study specification."""

    name: str
    studyid: str
    path: Path
    short_name: str = ""            # default: studyid
    title: str = ""
    description: str = ""
    derive: str = ""
    define: str = ""  # ADaM define.xml driving metadata, resolved against the spec's folder
    data_cutoff: str = ""
    treatment: dict = field(default_factory=dict)
    populations: dict = field(default_factory=dict)
    sdtm: dict = field(default_factory=dict)
    metadata: dict = field(default_factory=dict)   # {"spec": resolved path of the metadata file}
    analyses: list = field(default_factory=list)
    outputs: list = field(default_factory=list)
    footnotes: list = field(default_factory=list)
    labels: dict = field(default_factory=dict)
    endpoints: dict = field(default_factory=dict)

    def __post_init__(self):
        self.short_name = self.short_name or self.studyid

    @property
    def trt_var(self) -> str:
        return self.treatment.get("var", "TRT01P")

    @property
    def trt_ref(self) -> str | None:
        return self.treatment.get("ref")

    def default_sdtm(self) -> Path:
        """The SDTM folder the specification names (``[sdtm]``), for commands given no
        ``--sdtm``; a :class:`UsageError` when it names none."""
        if self.sdtm.get("example"):
            from adam.examples import example_folder

            return example_folder(self.sdtm["example"])
        if self.sdtm.get("folder"):
            folder = (self.path.parent / self.sdtm["folder"]).resolve()
            if not folder.is_dir():
                raise UsageError(f"'sdtm.folder' is not a folder: {folder}", file=self.path)
            return folder
        raise UsageError(f"study {self.name} names no SDTM of its own: give --sdtm DIR", file=self.path)

    @property
    def metadata_spec(self) -> Path | None:
        """The ADaM metadata specification file (``[metadata] spec``), or ``None``."""
        return Path(self.metadata["spec"]) if self.metadata.get("spec") else None

    def derive_function(self):
        """The callable named by ``derive`` (``module:function`` or ``file.py:function``)."""
        if not self.derive:
            raise UsageError("the study specification names no 'derive' program", file=self.path)
        module_name, _, func = self.derive.partition(":")
        if not func:
            raise UsageError(f"'derive' must be 'module:function', not {self.derive!r}", file=self.path)
        try:
            if module_name.endswith(".py"):
                file = (self.path.parent / module_name).resolve()
                spec = importlib.util.spec_from_file_location(f"adam_study_{file.stem}", file)
                if spec is None or not file.exists():
                    raise FileNotFoundError(file)
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
            else:
                module = importlib.import_module(module_name)
            return getattr(module, func)
        except (ImportError, FileNotFoundError, AttributeError) as exc:
            raise UsageError(f"cannot load derive program {self.derive!r}: {exc}", file=self.path) from None


def builtin_studies() -> list[str]:
    return sorted(p.stem for p in BUILTIN_DIR.glob("*.toml"))


def load_study(name_or_path: str | Path) -> Study:
    """Load a built-in study by name or a specification file by path."""
    text = str(name_or_path)
    path = BUILTIN_DIR / f"{text}.toml"
    if not path.exists():
        path = Path(text)
        if not path.exists():
            raise UsageError(f"unknown study {text!r}: not a built-in study "
                             f"({', '.join(builtin_studies())}) and no such file")
    try:
        with open(path, "rb") as fh:
            doc = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"not valid TOML: {exc}", file=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read study specification: {exc}", file=path) from None
    return _validated(doc, path)


def _check_table(values: dict, table: str, keys: dict, path: Path) -> None:
    """A :class:`UsageError` for a key of ``[table]`` not in ``keys`` or of another type."""
    for key, value in values.items():
        if key not in keys:
            raise UsageError(f"unknown key '{table}.{key}' (allowed: {', '.join(keys)})", file=path)
        if not isinstance(value, keys[key]):
            raise UsageError(f"key '{table}.{key}' must be {keys[key].__name__}", file=path)


def _validated(doc: dict, path: Path) -> Study:
    for key, value in doc.items():
        if key not in _SCHEMA:
            raise UsageError(f"unknown key {key!r} (allowed: {', '.join(_SCHEMA)})", file=path)
        types, _ = _SCHEMA[key]
        if not isinstance(value, types):
            want = types.__name__ if isinstance(types, type) else " or ".join(t.__name__ for t in types)
            raise UsageError(f"key {key!r} must be {want}, not {type(value).__name__}", file=path)
    for key, (_, required) in _SCHEMA.items():
        if required and key not in doc:
            raise UsageError(f"missing required key {key!r}", file=path)
    for table, keys in (("treatment", _TREATMENT_KEYS), ("sdtm", _SDTM_KEYS), ("metadata", _METADATA_KEYS)):
        _check_table(doc.get(table, {}), table, keys, path)
    for key in ("analyses", "outputs"):
        for i, item in enumerate(doc.get(key, []), start=1):
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                raise UsageError(f"{key}[{i}] must be a table with a string 'id'", file=path)
    cutoff = doc.get("data_cutoff", "")
    if isinstance(cutoff, date):
        cutoff = cutoff.isoformat()
    elif cutoff:
        try:
            date.fromisoformat(cutoff)
        except ValueError:
            raise UsageError(f"'data_cutoff' is not an ISO 8601 date: {cutoff!r}", file=path) from None
    values = {k: v for k, v in doc.items() if k != "data_cutoff"}
    if values.get("define"):
        define = (path.parent / values["define"]).resolve()
        if not define.exists():
            raise UsageError(f"'define' file not found: {define}", file=path)
        values["define"] = str(define)
    if values.get("metadata", {}).get("spec"):
        spec_file = (path.parent / values["metadata"]["spec"]).resolve()
        if not spec_file.is_file():
            raise UsageError(f"'metadata.spec' file not found: {spec_file}", file=path)
        if spec_file.suffix.lower() not in (".csv", ".toml"):
            raise UsageError(f"'metadata.spec' must be a .csv or .toml file, not {spec_file.name}", file=path)
        values["metadata"] = {**values["metadata"], "spec": str(spec_file)}
    study = Study(path=path, data_cutoff=cutoff, **values)
    from adam.analysis import validate_analyses  # the engine knows the analysis types

    validate_analyses(study)
    return study
