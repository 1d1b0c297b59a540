"""Shared figure style: colour-blind-safe palette (Okabe-Ito), large fonts, PNG and SVG export.

Figures are built on :class:`matplotlib.figure.Figure` directly (no pyplot state), so
rendering is thread-safe and does not depend on the interactive backend.
"""

from __future__ import annotations

import functools
import io

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure as MplFigure

from reports.model import Figure

# Okabe & Ito (2008): distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
FONT = {"family": "DejaVu Sans"}
BASE_SIZE = 14          # KMunicate-style readability
SMALL_SIZE = 12
DPI = 150


#: figure text is drawn as it is: a ``$`` in a label is a dollar sign, never mathtext
LITERAL_TEXT = {"text.parse_math": False, "text.usetex": False}


def literal_text(draw):
    """Decorate a figure function so that every text it draws (labels, legends, ticks,
    notes; measured and saved) is literal: ``5$ and 6$`` stays ``5$ and 6$``."""
    @functools.wraps(draw)
    def drawn(*args, **kwargs):
        with matplotlib.rc_context(LITERAL_TEXT):
            return draw(*args, **kwargs)
    return drawn


def colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def new_figure(width_in: float, height_in: float, **kw) -> MplFigure:
    fig = MplFigure(figsize=(width_in, height_in), dpi=DPI, **kw)
    FigureCanvasAgg(fig)          # an Agg canvas, so text extents can be measured
    return fig


# SVG for the PDF: text as glyph paths (no font needed where it is drawn), fixed ids and
# no metadata (reproducible bytes; the PDF writer has no use for an RDF block)
SVG_RC = {"svg.fonttype": "path", "svg.hashsalt": "adamant", "svg.image_inline": True}
SVG_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}


def to_figure(fig: MplFigure, alt: str) -> Figure:
    """Render to PNG bytes and to SVG (no timestamp metadata, so output is reproducible)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    svg = io.BytesIO()
    with matplotlib.rc_context(SVG_RC):
        fig.savefig(svg, format="svg", metadata=SVG_METADATA)
    width, height = fig.get_size_inches()
    return Figure(png=buf.getvalue(), width_in=float(width), height_in=float(height), alt=alt,
                  svg=svg.getvalue())
