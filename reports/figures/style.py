"""Shared figure style: colour-blind-safe palette (Okabe-Ito), large fonts, PNG, SVG and PDF export.

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


#: the PNG (RTF pictures, the ``.png`` file) is printed at 300 dpi, a print resolution
PRINT_DPI = 300

# the vector drawings: matplotlib's own PDF (text as Type 3 glyph procedures: no font needed
# where it is placed) and SVG (text as paths: the same look in every browser), without dates
# and with a fixed id salt, so output is reproducible byte for byte
_SAVE = {"png": {"format": "png", "dpi": PRINT_DPI, "metadata": {"Software": None}},
         "pdf": {"format": "pdf", "metadata": {"CreationDate": None, "Creator": None, "Producer": None}},
         "svg": {"format": "svg", "metadata": {"Date": None, "Creator": None}}}


def render(fig: MplFigure, kind: str) -> bytes:
    """``fig`` as ``kind`` (png, pdf or svg) bytes; its text drawn literally."""
    buf = io.BytesIO()
    with matplotlib.rc_context(LITERAL_TEXT | {"svg.hashsalt": "adamant", "svg.fonttype": "path"}):
        fig.savefig(buf, **_SAVE[kind])
    return buf.getvalue()


def to_figure(fig: MplFigure, alt: str) -> Figure:
    """The report figure of a drawing: PNG, SVG and PDF rendered when first asked for."""
    engine = fig.get_layout_engine()
    if engine is not None:           # lay out once: the PNG, SVG and PDF share the positions
        with matplotlib.rc_context(LITERAL_TEXT):
            engine.execute(fig)
        fig.set_layout_engine("none")
    width, height = fig.get_size_inches()
    return Figure(width_in=float(width), height_in=float(height), alt=alt, source=fig, render=render)
