"""Shared figure style: colour-blind-safe palette (Okabe-Ito), large fonts, PNG and PDF export.

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


# the vector drawing for the PDF outputs: matplotlib's own PDF (text as Type 3 glyph
# procedures: no font needed where it is placed), no metadata (reproducible bytes)
PDF_METADATA = {"CreationDate": None, "Creator": None, "Producer": None}


def to_figure(fig: MplFigure, alt: str) -> Figure:
    """Render to PNG bytes (HTML, RTF, the .png file) and to a one-page vector PDF (the
    PDF outputs), with no timestamp metadata, so output is reproducible."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    vector = io.BytesIO()
    fig.savefig(vector, format="pdf", metadata=PDF_METADATA)
    width, height = fig.get_size_inches()
    return Figure(png=buf.getvalue(), width_in=float(width), height_in=float(height), alt=alt,
                  pdf=vector.getvalue())
