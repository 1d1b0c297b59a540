"""The publication set: the outputs of several studies laid out as one report (issue 18)::

    render_publication(parts, out_dir, formats=FORMATS, run_datetime=None) -> list[Path]

``parts``: ``[(study, displays), ...]`` in the order the studies are given, ``displays`` a
study's outputs as built from its ARD (``{output id: Display}``: :func:`study_displays`, or
what ``render_reports(..., displays=)`` kept). The outputs of the studies that carry the
same ``number`` ("Table 1", "Figure 2") make one output, in the order of the studies:

- tables side by side: the row-label column, then each study's columns under a spanner
  with its short name (study key ``short_name``, default the STUDYID); rows matched by
  their label under the same group headings; a row one study lacks is blank there;
- figures as panels lettered A, B, ... each under its heading ("A  TOURMALINE-MM3"): the
  study's own figure, side by side when the panels print at a readable size on a landscape
  page (:data:`MIN_SCALE`), else stacked and printed one per page by RTF and PDF;
- footnotes: each once, in the studies' order; one that not every study has is prefixed
  by the letter of its panel ("A: ...") or, in a table without figure, the study's short name;
- title: the output key ``publication_title``, else the title without a last ", <short name>".

An output only one study has is written as that study's. The order of the outputs is the
studies' (an output only a later study has goes just before the next output of that study
already placed). File names are the output ids; an id two outputs would share gets the
study's name appended. Nothing is computed here: every number is a study's display's.
"""

from __future__ import annotations

import re
import types
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import pandas as pd

from adam.errors import UsageError
from reports import pdf, rtf
from reports.model import Display, Panels, Row, Table
from reports.programs import PROGRAMS
from reports.programs.common import population_label, words
from reports.render import (FORMATS, Output, Page, check_spec, checked_formats, footnotes, normalise_ard,
                            run_stamp, write_outputs)

#: panels print together only when they keep at least this share of their size on the page
#: (their 12-14 pt text at 8 pt or more, legible on paper; a Kaplan-Meier pair side by side
#: on a landscape page would print at 0.46, its text at 5.5 pt); else one per page
MIN_SCALE = 0.65


def number(spec: dict) -> str:
    return spec.get("number", spec["id"])


def check_set(studies: list) -> None:
    """A :class:`UsageError` for output specs that cannot make one set: an unknown key or
    program, a number a study uses twice, a number the studies make with different programs."""
    programs: dict[str, dict[str, str]] = {}
    for study in studies:
        numbers = []
        for spec in study.outputs:
            check_spec(spec)
            numbers.append(number(spec))
            programs.setdefault(number(spec), {})[short_name(study)] = spec["program"]
        twice = sorted({n for n in numbers if numbers.count(n) > 1})
        if twice:
            raise UsageError(f"study {study.name}: output number(s) {', '.join(twice)} used more than once "
                             "(outputs of several studies are combined by number)")
    for n, by_study in programs.items():
        if len(set(by_study.values())) > 1:
            raise UsageError(f"output {n!r} is made by different programs "
                             f"({', '.join(f'{s}: {p}' for s, p in by_study.items())}); outputs of several "
                             "studies with the same number are combined, so they must be of one kind")


def short_name(study) -> str:
    return getattr(study, "short_name", "") or study.studyid


def study_displays(ard: pd.DataFrame, study) -> dict[str, Display]:
    """Every output of ``study`` built from its ARD, by id."""
    ard = normalise_ard(ard)
    for spec in study.outputs:
        check_spec(spec)
    return {spec["id"]: PROGRAMS[spec["program"]].build(ard, study, spec) for spec in study.outputs}


def merged(sequences: list[list]) -> list:
    """The union of ``sequences`` in first-seen order; an item only a later sequence has
    goes just before the next item of that sequence already placed (a group keeps its place)."""
    out: list = []
    for seq in sequences:
        for i, item in enumerate(seq):
            if item not in out:
                out.insert(next((out.index(x) for x in seq[i + 1:] if x in out), len(out)), item)
    return out


def row_keys(table: Table) -> list[tuple]:
    """Each row's label with the labels of the group headings above it (by indent), and its
    occurrence, so 'Missing' under 'Sex' and under 'Race' are two rows."""
    stack: list[str] = []
    seen: dict[tuple, int] = {}
    keys = []
    for row in table.rows:
        stack = stack[:row.indent] + [row.cells[0]]
        path = tuple(stack)
        seen[path] = seen.get(path, 0) + 1
        keys.append(path + (seen[path],))
    return keys


def side_by_side(tables: list[Table], names: list[str]) -> Table:
    """One table: the first's row-label column, then each table's columns under a spanner."""
    keyed = [dict(zip(row_keys(t), t.rows)) for t in tables]
    rows = []
    for key in merged([list(k) for k in keyed]):
        found = [k.get(key) for k in keyed]
        first = next(r for r in found if r is not None)
        cells = [first.cells[0]]
        for row, table in zip(found, tables):
            width = len(table.columns) - 1
            cells += (list(row.cells[1:]) + [""] * width)[:width] if row else [""] * width
        rows.append(Row(cells, indent=first.indent, bold=first.bold))
    return Table(columns=[tables[0].columns[0]] + [c for t in tables for c in t.columns[1:]], rows=rows,
                 widths=[max(t.widths[0] for t in tables)] + [w for t in tables for w in t.widths[1:]],
                 caption=next((t.caption for t in tables if t.caption), ""),
                 spanners=[("", 1)] + [(n, len(t.columns) - 1) for t, n in zip(tables, names)])


def fitted(table: Table, landscape: bool) -> Table:
    """``table`` with column widths that break no word of a data column (header or cell,
    measured in the PDF's font; the RTF takes the same widths): a column too narrow for its
    longest word gets that width from the row-label column, whose words wrap."""
    total = Page(landscape).text / rtf.TWIPS_PER_INCH * 72
    share = [w / sum(table.widths) * total for w in table.widths]
    gap = 2 * pdf.CELL_GAP + 1
    need = [max([pdf.string_width(w, bold=True) for w in col.split()]
                + [pdf.string_width(w) for row in table.rows if not row.spans and j < len(row.cells)
                   for w in row.cells[j].split()], default=0.0) + gap
            for j, col in enumerate(table.columns)]
    widths = [share[0]] + [max(s, n) for s, n in zip(share[1:], need[1:])]
    widths[0] = total - sum(widths[1:])
    if widths[0] < min(share[0], need[0]):       # no room: as it was
        return table
    return replace(table, widths=widths)


def tagged(lists: list[list[str]], tags: list[str]) -> list[str]:
    """Each text once; one that not every list has prefixed by the tags of those having it."""
    out = []
    for text in merged(lists):
        having = [tag for texts, tag in zip(lists, tags) if text in texts]
        out.append(text if len(having) == len(tags) else f"{', '.join(having)}: {text}")
    return out


def panels(figures: list, letters: list[str], names: list[str], alt: str) -> Panels:
    """The figures as panels arranged for a landscape page: side by side or stacked,
    whichever prints larger; stacked and one per page when neither keeps :data:`MIN_SCALE`."""
    page = Page(landscape=True)
    box = (page.text / rtf.TWIPS_PER_INCH, page.figure_h_in, rtf.PANEL_HEAD_PT * 1.6 / 72, rtf.PANEL_GAP_IN)
    side, stacked = (Panels(figures, letters, names, side_by_side=s, alt=alt) for s in (True, False))
    best = max((side, stacked), key=lambda p: min(p.scales(*box)))
    if min(best.scales(*box)) < MIN_SCALE:
        stacked.one_per_page = True
        return stacked
    return best


def letter(i: int) -> str:
    """Panel letters: A, B, ..., Z, AA, AB, ..."""
    return letter(i // 26 - 1) + chr(ord("A") + i % 26) if i >= 26 else chr(ord("A") + i)


def publication_title(spec: dict, study) -> str:
    if "publication_title" in spec:
        return spec["publication_title"]
    title = spec.get("title", "")
    head, sep, tail = title.rpartition(", ")
    return head if sep and tail == short_name(study) else title


def _cutoffs(studies: list) -> list[str]:
    return [str(getattr(s, "data_cutoff", "") or "") for s in studies]


def _several(studies: list) -> types.SimpleNamespace:
    """What the templates read of a study, for an output of several (their data cutoff
    when they share one; else a footnote gives each: :func:`cutoff_note`)."""
    names = [short_name(s) for s in studies]
    cutoffs = _cutoffs(studies)
    return types.SimpleNamespace(name="publication", studyid=words(names), title=words(names),
                                 data_cutoff=cutoffs[0] if len(set(cutoffs)) == 1 else "",
                                 footnotes=[], outputs=[])


def cutoff_note(studies: list) -> list[str]:
    """'Data cutoff: A 2023-09-08; B 2022-10-29.' when the studies' cutoffs differ."""
    cutoffs = _cutoffs(studies)
    if len(set(cutoffs)) == 1:
        return []
    return ["Data cutoff: " + "; ".join(f"{short_name(s)} {c}" for s, c in zip(studies, cutoffs) if c) + "."]


@dataclass
class Entry:
    """One output of a publication set: its number, file stem, title and the studies
    carrying it with their output spec."""
    number: str
    stem: str
    title: str
    carriers: list[tuple]          # [(study, spec), ...]


def contents(studies: list) -> list[Entry]:
    """The outputs of the set of ``studies``, in order (see the module's docstring)."""
    numbers = merged([[number(spec) for spec in study.outputs] for study in studies])
    carriers = {n: [(study, spec) for study in studies for spec in study.outputs if number(spec) == n]
                for n in numbers}
    first = {n: carriers[n][0][1]["id"] for n in numbers}
    out = []
    for n in numbers:
        (study, spec), several = carriers[n][0], len(carriers[n]) > 1
        stem = first[n]
        if list(first.values()).count(stem) > 1:
            stem = f"{stem}-{re.sub(r'[^A-Za-z0-9._-]+', '-', study.name)}"
        out.append(Entry(n, stem, publication_title(spec, study) if several else spec.get("title", ""),
                         carriers[n]))
    return out


def combined(entry: Entry, displays: list[Display]) -> Output:
    """One output of the studies carrying ``entry``, from their ``displays``."""
    studies, specs = (list(x) for x in zip(*entry.carriers))
    names = [short_name(s) for s in studies]
    letters = [letter(i) for i in range(len(studies))]
    with_figure = [d for d in displays if d.figure is not None]
    tags = letters if with_figure else names
    landscape = any(d.landscape for d in displays)
    tables = [fitted(side_by_side([d.tables[i] for d in displays if i < len(d.tables)],
                                  [n for n, d in zip(names, displays) if i < len(d.tables)]), landscape)
              for i in range(max(len(d.tables) for d in displays))]
    figure = (panels([d.figure for d in with_figure], [t for t, d in zip(letters, displays) if d.figure is not None],
                     [n for n, d in zip(names, displays) if d.figure is not None], f"{entry.number}: {entry.title}")
              if with_figure else None)
    notes = tagged([footnotes(st, sp, d) for st, sp, d in zip(studies, specs, displays)], tags) + cutoff_note(studies)
    populations = [population_label(sp.get("population", "")) for sp in specs]
    population = (populations[0] if len(set(populations)) == 1
                  else "; ".join(f"{t}: {p}" for t, p in zip(tags, populations)))
    spec = {"id": entry.stem, "program": specs[0]["program"], "number": entry.number, "title": entry.title,
            "population": population}
    display = Display(tables=tables, figure=figure, footnotes=notes, landscape=landscape)
    return Output(_several(studies), spec, display,
                  program_line=f"reports/programs/{spec['program']}.py, reports/publication.py")


def render_publication(parts: list[tuple], out_dir: Path, formats=FORMATS,
                       run_datetime: datetime | None = None) -> list[Path]:
    """Write the publication set of ``parts`` (``[(study, {id: Display}), ...]``) to ``out_dir``."""
    formats = checked_formats(formats)
    studies = [study for study, _ in parts]
    check_set(studies)
    displays = {id(study): shown for study, shown in parts}
    outputs = []
    for entry in contents(studies):
        found = [displays[id(study)][spec["id"]] for study, spec in entry.carriers]
        if len(found) == 1:
            (study, spec), = entry.carriers
            outputs.append(Output(study, {**spec, "id": entry.stem}, found[0]))
        else:
            outputs.append(combined(entry, found))
    return write_outputs(outputs, out_dir, formats, _several(studies), run_stamp(run_datetime))
