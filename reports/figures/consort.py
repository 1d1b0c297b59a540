"""CONSORT-style disposition diagram drawn from a tree of boxes (issue 18).

The tree comes from the ARD: each DISPOSITION ``count`` row names its parent box in
``options`` (``parent=Treated``; ``parent=A|B`` for a box joining boxes A and B, e.g. the
status at the end of study of all treated patients, whether they completed treatment or
stopped it), and optionally a ``partition`` (a second split of the parent, e.g. by the
treatment actually received). The analysis runner checks that each box equals the sum
of its children; this module only places and draws what the ARD says.

How a node is drawn, per arm (one column per arm, the same layout in each):

- the root (no parent) is the arm's top box; a common box with the total (ARD group
  ``Total``) sits above the arms when given;
- children of a box are drawn as boxes in the row below it, joined by arrows, except
  * a child whose label starts with "Not " goes to the side (a CONSORT exclusion,
    arrow off the line leading down), and
  * when none of a box's children has children of its own, they are listed inside the
    box (reasons: ``"Discontinued treatment: Adverse event"`` -> ``Adverse event: n``);
- a partition's nodes are listed inside their parent box (``received Ixazomib: n``);
- a joining box sits in the row below the lowest box it joins, with an arrow from each.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

from matplotlib.patches import Rectangle

from reports.figures.style import colour, literal_text, new_figure, to_figure
from reports.model import Figure

FONT_PT = 11
LINE_IN = FONT_PT * 1.32 / 72     # matplotlib line pitch at linespacing 1.3
PAD_IN = 0.08
BOX_W, SIDE_W, GAP_X, ARM_GAP, MARGIN = 2.15, 2.15, 0.2, 0.5, 0.25
ROW_GAP, BUS = 0.5, 0.22            # vertical gap between rows; arrows' horizontal run above a box


@dataclass
class Node:
    label: str
    counts: dict[str, str]                  # arm -> formatted n
    parents: list[str] = field(default_factory=list)
    partition: str = ""


@dataclass
class Tree:
    nodes: dict[str, Node]

    def children(self, label: str) -> list[Node]:
        return [n for n in self.nodes.values() if n.parents == [label] and not n.partition]

    def partition(self, label: str) -> list[Node]:
        return [n for n in self.nodes.values() if n.parents == [label] and n.partition]

    def joins(self) -> list[Node]:
        return [n for n in self.nodes.values() if len(n.parents) > 1]

    def has_children(self, label: str) -> bool:
        return any(label in n.parents for n in self.nodes.values())

    def listed(self, label: str) -> list[Node]:
        """Children listed inside the box (none of them has children of its own)."""
        kids = self.children(label)
        return kids if kids and not any(self.has_children(k.label) for k in kids) else []

    def drawn_children(self, label: str) -> list[Node]:
        return [] if self.listed(label) else self.children(label)

    def roots(self) -> list[Node]:
        return [n for n in self.nodes.values() if not n.parents]


def is_side(node: Node) -> bool:
    return node.label.lower().startswith("not ")


def short(label: str, parent: str | None = None) -> str:
    """A child's label without its parent's prefix: 'Discontinued study: Other' -> 'Other'."""
    if parent and label.lower().startswith(parent.lower() + ":"):
        return label[len(parent) + 1:].strip()
    return label.split(":", 1)[1].strip() if ":" in label else label


def _wrap(text: str, width_in: float, indent: str = "") -> list[str]:
    chars = max(int(width_in * 72 / (FONT_PT * 0.53)), 8)
    return textwrap.wrap(text, chars, initial_indent=indent, subsequent_indent=indent + "  ") or [""]


def box_lines(tree: Tree, node: Node, arm: str, width: float, parent: str | None = None) -> list[str]:
    label = short(node.label, parent) if parent else node.label
    listed = tree.listed(node.label) + tree.partition(node.label)
    lines = _wrap(label, width - 2 * PAD_IN) + [f"n = {node.counts.get(arm, '')}"]
    for kid in listed:
        text = short(kid.label, node.label)
        lines += _wrap(f"{text[:1].upper()}{text[1:]}:\u00a0{kid.counts.get(arm, '')}", width - 2 * PAD_IN, "  ")
    return lines


def _height(lines: list[str]) -> float:
    return len(lines) * LINE_IN + 2 * PAD_IN


@dataclass
class Place:
    node: Node
    level: int
    offset: float = 0.0        # centre relative to the arm column's centre (inches)
    side_of: str | None = None


def layout(tree: Tree) -> tuple[list[Place], dict[int, list[Place]]]:
    """Boxes per row (level) and side boxes per row they hang below."""
    levels: dict[str, int] = {}
    boxes: list[Place] = []
    sides: dict[int, list[Place]] = {}
    pending = [(root, 0) for root in tree.roots()]
    joins = tree.joins()
    while pending or joins:
        if not pending:                         # every box a join needs is placed: place it
            ready = [j for j in joins if all(p in levels for p in j.parents)]
            if not ready:
                break
            for j in ready:
                joins.remove(j)
                pending.append((j, max(levels[p] for p in j.parents) + 1))
            continue
        node, level = pending.pop(0)
        levels[node.label] = level
        boxes.append(Place(node, level))
        for kid in tree.drawn_children(node.label):
            if is_side(kid):
                sides.setdefault(level, []).append(Place(kid, level, side_of=node.label))
            else:
                pending.append((kid, level + 1))
    for level in {p.level for p in boxes}:
        row = [p for p in boxes if p.level == level]
        span = len(row) * BOX_W + (len(row) - 1) * GAP_X
        for i, p in enumerate(row):
            p.offset = -span / 2 + BOX_W / 2 + i * (BOX_W + GAP_X)
    return boxes, sides


def _column_free(boxes: list[Place], sides: list[Place], level: int) -> bool:
    """Does row ``level`` leave the column of these side boxes free (no box reaching it)?"""
    offsets = {p.node.label: p.offset for p in boxes}
    left = min(offsets[s.side_of] for s in sides) + BOX_W / 2 + GAP_X
    return all(p.offset + BOX_W / 2 + GAP_X / 2 <= left for p in boxes if p.level == level)


def _gaps(row_h: list[float], side_h: dict[int, list[float]], free: dict[int, bool]) -> list[float]:
    """The vertical gap below each row: room for the arrows (``ROW_GAP``), or for the side
    boxes that hang below it. Where the next row leaves their column free they run on beside
    it, down to the arrows of the row after, so the gap only keeps their arrow above the
    next row's."""
    gaps = [ROW_GAP] * len(row_h)
    for lv in sorted(side_h, reverse=True):
        stack = sum(h + 0.12 for h in side_h[lv]) + 0.12          # each box, 0.12 in above, and below the last
        need = stack + BUS
        if free.get(lv) and lv + 1 < len(row_h):
            arrow = 0.12 + min(side_h[lv][0] / 2, 0.25) + BUS + 0.1   # into the first side box, above the bus
            beside = row_h[lv + 1] + (gaps[lv + 1] - BUS if lv + 2 < len(row_h) else 0.0)
            need = max(arrow, stack - beside)
        gaps[lv] = max(ROW_GAP, need)
    return gaps


@literal_text
def consort_plot(tree: Tree, arms: list[str], total: str | None = None,
                 alt: str = "Disposition diagram") -> Figure:
    """Draw the diagram; ``total`` (formatted) adds a common 'Randomized' box on top."""
    boxes, sides = layout(tree)
    parent_of = {p.node.label: p for p in boxes}
    n_rows = max((p.level for p in boxes), default=-1) + 1
    widest = max((sum(1 for p in boxes if p.level == lv) for lv in range(n_rows)), default=1)
    col_w = max(widest * BOX_W + (widest - 1) * GAP_X, 2 * (BOX_W / 2 + GAP_X + SIDE_W))
    width = 2 * MARGIN + len(arms) * col_w + (len(arms) - 1) * ARM_GAP

    def lines_of(p: Place, arm: str) -> list[str]:
        w = SIDE_W if p.side_of else BOX_W
        return box_lines(tree, p.node, arm, w, p.side_of or (p.node.parents[0] if len(p.node.parents) == 1 else None))

    row_h = [max((_height(lines_of(p, a)) for p in boxes if p.level == lv for a in arms), default=0.0)
             for lv in range(n_rows)]
    side_h = {lv: [max(_height(lines_of(s, a)) for a in arms) for s in ss] for lv, ss in sides.items()}
    gap_h = _gaps(row_h, side_h, {lv: _column_free(boxes, ss, lv + 1) for lv, ss in sides.items()})
    top = MARGIN + (0.55 + 0.4 if total is not None else 0.0) + 0.3
    row_y = [top + sum(row_h[:lv]) + sum(gap_h[:lv]) for lv in range(n_rows)]
    height = (row_y[-1] + row_h[-1] if n_rows else top) + MARGIN
    fig = new_figure(width, height)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.set_axis_off()
    centres = [MARGIN + i * (col_w + ARM_GAP) + col_w / 2 for i in range(len(arms))]
    if total is not None:
        mid, h0 = width / 2, 0.55
        _box(ax, mid - BOX_W / 2, MARGIN, BOX_W, h0, ["Randomized", f"N = {total}"], "center")
        y0 = MARGIN + h0
        for cx in centres:
            _line(ax, [(mid, y0), (mid, y0 + 0.2), (cx, y0 + 0.2), (cx, top - 0.3)])
    for i, (arm, cx) in enumerate(zip(arms, centres)):
        ax.text(cx, top - 0.15, arm, ha="center", va="center", fontsize=FONT_PT + 2,
                fontweight="bold", color=colour(i))
        for p in boxes:
            x, y = cx + p.offset - BOX_W / 2, row_y[p.level]
            lines = lines_of(p, arm)
            plain = not (tree.listed(p.node.label) or tree.partition(p.node.label))
            _box(ax, x, y, BOX_W, row_h[p.level], lines, "center" if plain else "left")
            for parent in p.node.parents:               # arrows in: parent bottom -> bus -> box top
                q = parent_of.get(parent)
                if q is None:
                    continue
                px, py = cx + q.offset, row_y[q.level] + row_h[q.level]
                _line(ax, [(px, py), (px, y - BUS), (cx + p.offset, y - BUS), (cx + p.offset, y)], head=True)
        for level, ss in sides.items():
            sy = row_y[level] + row_h[level] + 0.12
            for s, h in zip(ss, side_h[level]):
                q = parent_of[s.side_of]
                px = cx + q.offset
                if not tree.drawn_children(s.side_of) or all(is_side(k) for k in tree.drawn_children(s.side_of)):
                    _line(ax, [(px, row_y[level] + row_h[level]), (px, sy + h / 2)])
                x_side = px + BOX_W / 2 + GAP_X
                _line(ax, [(px, sy + min(h / 2, 0.25)), (x_side, sy + min(h / 2, 0.25))], head=True)
                _box(ax, x_side, sy, SIDE_W, h, lines_of(s, arm), "left")
                sy += h + 0.12
    return to_figure(fig, alt)


def _box(ax, x: float, y: float, w: float, h: float, lines: list[str], align: str) -> None:
    """A box; centred text is centred vertically too, a list starts at the top."""
    ax.add_patch(Rectangle((x, y), w, h, fc="white", ec="#1a1a1a", lw=1.1))
    tx = x + w / 2 if align == "center" else x + PAD_IN
    ty = y + h / 2 - _height(lines) / 2 + PAD_IN if align == "center" else y + PAD_IN
    ax.text(tx, ty, "\n".join(lines), ha=align, va="top", fontsize=FONT_PT,
            linespacing=1.3, color="#1a1a1a")


def _line(ax, points, head: bool = False) -> None:
    xs, ys = zip(*points)
    if head:
        ax.plot(xs[:-1], ys[:-1], color="#1a1a1a", lw=1.1, solid_capstyle="butt")
        ax.annotate("", xy=points[-1], xytext=points[-2],
                    arrowprops={"arrowstyle": "-|>", "color": "#1a1a1a", "lw": 1.1,
                                "shrinkA": 0, "shrinkB": 0, "mutation_scale": 12})
    else:
        ax.plot(xs, ys, color="#1a1a1a", lw=1.1, solid_capstyle="butt")
