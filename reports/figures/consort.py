"""CONSORT-style disposition diagram: per arm, a vertical flow of boxes joined by arrows,
with exclusion boxes (not treated, discontinued, died ...) branching to the right and
their reasons listed inside.

Node roles come from the labels (ARD ``subgroup`` of the DISPOSITION rows, in order):
- a *reason* ``"<Parent>: <reason>"`` goes inside the exclusion box ``<Parent>...``
  (``"Discontinued: Progressive disease"`` -> ``"Discontinued treatment"``); when no
  such box exists one is made without a count (``"Discontinued study: Lost to
  follow-up"`` -> box ``"Discontinued study"``);
- an *exclusion* starts with Not / Discontinued / Withdrew / Excluded / Lost to / Died;
- everything else is a *flow* box, in ARD order.
An exclusion branches off the arrow leading into flow box X when: the spec's
``branches`` maps it to X; or its label is ``"Not X"``; or it comes right after X in the
ARD (the complement of X); otherwise X is the next flow box after it.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field

from matplotlib.patches import Rectangle

from reports.figures.style import colour, literal_text, new_figure, to_figure
from reports.model import Figure

FONT_PT = 11
LINE_IN = FONT_PT * 1.32 / 72     # matplotlib line pitch at linespacing 1.3
PAD_IN = 0.09
FLOW_W, SIDE_W, GAP_W, MARGIN = 2.5, 2.9, 0.45, 0.3
EXCLUSION = re.compile(r"^(not |discontinu|withdr|exclud|lost to|died|death)", re.I)


@dataclass
class Node:
    label: str
    counts: dict[str, str]                  # arm -> formatted n
    reasons: list["Node"] = field(default_factory=list)


@dataclass
class Flow:
    boxes: list[Node]
    sides: dict[int, list[Node]]            # gap index k (between box k and k+1) -> exclusions


def classify(nodes: list[Node], branches: dict[str, str] | None = None) -> Flow:
    """Split ordered nodes into flow boxes, exclusion boxes per gap, and reasons."""
    roles, sides = [], []                       # per node: 'flow' | 'side' | 'reason'
    for node in nodes:
        prefix = node.label.split(":", 1)[0].strip() if ":" in node.label else None
        if prefix:
            parent = next((x for x in sides if x.label.lower() == prefix.lower()
                           or x.label.lower().startswith(prefix.lower() + " ")), None)
            if parent is None:
                parent = Node(prefix, {})
                sides.append(parent)
                roles.append(("side", parent))
            parent.reasons.append(Node(node.label.split(":", 1)[1].strip(), node.counts))
            roles.append(("reason", node))
        elif EXCLUSION.match(node.label):
            sides.append(node)
            roles.append(("side", node))
        else:
            roles.append(("flow", node))
    boxes = [node for role, node in roles if role == "flow"]
    index = {b.label.lower(): i for i, b in enumerate(boxes)}
    branches = {k.lower(): v.lower() for k, v in (branches or {}).items()}
    placed: dict[int, list[Node]] = {}
    for pos, (role, node) in enumerate(roles):
        if role != "side":
            continue
        label = node.label.lower()
        target = branches.get(label)
        if target is None and label.startswith("not ") and label[4:].strip() in index:
            target = label[4:].strip()
        if target is None and pos > 0 and roles[pos - 1][0] == "flow":
            target = roles[pos - 1][1].label.lower()
        if target is None:
            target = next((n.label.lower() for r, n in roles[pos:] if r == "flow"), None)
        gap = index[target] - 1 if target in index else len(boxes) - 1
        placed.setdefault(max(gap, 0), []).append(node)
    return Flow(boxes, placed)


def _wrap(text: str, width_in: float, indent: str = "") -> list[str]:
    chars = max(int(width_in * 72 / (FONT_PT * 0.52)), 8)
    return textwrap.wrap(text, chars, subsequent_indent=indent + "  ", initial_indent=indent) or [""]


def _flow_lines(node: Node, arm: str) -> list[str]:
    return _wrap(node.label, FLOW_W - 2 * PAD_IN) + [f"n = {node.counts[arm]}"]


def _side_lines(node: Node, arm: str) -> list[str]:
    head = f"{node.label} (n = {node.counts[arm]})" if arm in node.counts else node.label
    lines = _wrap(head, SIDE_W - 2 * PAD_IN)
    for reason in node.reasons:
        if arm in reason.counts:
            lines += _wrap(f"{reason.label}: {reason.counts[arm]}", SIDE_W - 2 * PAD_IN, "  ")
    return lines


def _shows(node: Node, arm: str) -> bool:
    return arm in node.counts or any(arm in r.counts for r in node.reasons)


def _height(lines: list[str]) -> float:
    return len(lines) * LINE_IN + 2 * PAD_IN


@literal_text
def consort_plot(nodes: list[Node], arms: list[str], total: str | None = None,
                 branches: dict[str, str] | None = None, alt: str = "Disposition diagram") -> Figure:
    """Draw the diagram; ``total`` (formatted) adds a common 'Randomized' box on top."""
    flow = classify(nodes, branches)
    col_w = FLOW_W + GAP_W + SIDE_W
    width = 2 * MARGIN + len(arms) * col_w + (len(arms) - 1) * GAP_W
    box_h = [max(_height(_flow_lines(b, a)) for a in arms if a in b.counts) for b in flow.boxes]
    gap_h = []
    for k in range(len(flow.boxes)):
        sides = [s for s in flow.sides.get(k, [])]
        stack = max((sum(_height(_side_lines(s, a)) + 0.15 for s in sides if _shows(s, a))
                     for a in arms), default=0.0)
        gap_h.append(max(stack + 0.3, 0.45) if k < len(flow.boxes) - 1 or stack else 0.0)
    top = MARGIN + (0.9 + 0.45 if total is not None else 0.0) + 0.35
    height = top + sum(box_h) + sum(gap_h) + MARGIN
    fig = new_figure(width, height)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.set_axis_off()
    centres = [MARGIN + i * (col_w + GAP_W) + FLOW_W / 2 for i in range(len(arms))]
    if total is not None:
        mid = width / 2
        _box(ax, mid - FLOW_W / 2, MARGIN, FLOW_W, 0.9 * 0.75, ["Randomized", f"N = {total}"], "center")
        y0 = MARGIN + 0.9 * 0.75
        for cx in centres:
            _arrow(ax, (mid, y0), (mid, y0 + 0.2), head=False)
            _arrow(ax, (mid, y0 + 0.2), (cx, y0 + 0.2), head=False)
            _arrow(ax, (cx, y0 + 0.2), (cx, top - 0.35))
    for i, (arm, cx) in enumerate(zip(arms, centres)):
        ax.text(cx, top - 0.18, arm, ha="center", va="center", fontsize=FONT_PT + 2,
                fontweight="bold", color=colour(i))
        _arm_column(ax, flow, arm, cx, top, box_h, gap_h)
    return to_figure(fig, alt)


def _arm_column(ax, flow: Flow, arm: str, cx: float, top: float, box_h, gap_h) -> None:
    y = top
    for k, node in enumerate(flow.boxes):
        if arm in node.counts:
            _box(ax, cx - FLOW_W / 2, y, FLOW_W, box_h[k], _flow_lines(node, arm), "center")
        y_bottom = y + box_h[k]
        sides = [s for s in flow.sides.get(k, []) if _shows(s, arm)]
        has_next = k + 1 < len(flow.boxes)
        if has_next:
            _arrow(ax, (cx, y_bottom), (cx, y_bottom + gap_h[k]))
        elif sides:
            _arrow(ax, (cx, y_bottom), (cx, y_bottom + gap_h[k] - 0.15), head=False)
        sy = y_bottom + 0.15
        for side in sides:
            lines = _side_lines(side, arm)
            h = _height(lines)
            x_side = cx + FLOW_W / 2 + GAP_W
            _arrow(ax, (cx, sy + min(h / 2, 0.25)), (x_side, sy + min(h / 2, 0.25)))
            _box(ax, x_side, sy, SIDE_W, h, lines, "left")
            sy += h + 0.15
        y = y_bottom + gap_h[k]


def _box(ax, x: float, y: float, w: float, h: float, lines: list[str], align: str) -> None:
    ax.add_patch(Rectangle((x, y), w, h, fc="white", ec="#1a1a1a", lw=1.2))
    tx = x + w / 2 if align == "center" else x + PAD_IN
    ax.text(tx, y + PAD_IN, "\n".join(lines), ha=align, va="top", fontsize=FONT_PT,
            linespacing=1.3, color="#1a1a1a")


def _arrow(ax, start, end, head: bool = True) -> None:
    ax.annotate("", xy=end, xytext=start,
                arrowprops={"arrowstyle": "-|>" if head else "-", "color": "#1a1a1a", "lw": 1.2,
                            "shrinkA": 0, "shrinkB": 0, "mutation_scale": 14})
