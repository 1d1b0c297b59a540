"""Reports: submission-style TLFs (HTML, RTF, PDF) rendered from the ARD only.

Entry point::

    render_reports(ard, study, out_dir, formats=("html", "rtf", "pdf")) -> list[Path]

writes ``<id>.html`` / ``<id>.rtf`` / ``<id>.pdf`` per output, ``<id>.png`` per figure, and
``index.html`` linking everything. Several studies' outputs as one report (a table per
number with each study's columns under a spanner, figures as lettered panels):
:func:`reports.publication.render_publication`. HTML and RTF are Jinja templates; the PDF is written
natively by :mod:`reports.pdf` (fpdf2, nothing else to install) from the same display and
template context, laid out as the RTF (running header with "Page x of y", title block,
footnotes and program/run line on every page, table headers repeated across pages, figures
as matplotlib's own vector PDF of each figure). Figures are vector SVG in the HTML and
300-dpi PNG in the RTF and the ``.png`` file. ``study`` needs ``.name``,
``.studyid``, ``.title``, ``.data_cutoff`` and ``.outputs`` (optional ``.footnotes``: study-wide
footnotes printed on every output). A program never computes a
statistic: it selects ARD rows and formats them (days -> months = days / 30.4375).

Output spec keys (one ``[[outputs]]`` table of the study TOML, a dict here):

==================== =============================================================
``id``               file stem, e.g. ``"fig2"`` (required)
``program``          ``subseq`` | ``consort`` | ``km`` | ``forest`` | ``baseline`` |
                     ``efficacy`` (required)
``analysis_id``      ARD analysis displayed (required except for ``efficacy``)
``analysis_ids``     ``efficacy`` only: analyses listed, in order (default: every
                     analysis with ``km``/``cox``/``ipcw``/``msm`` rows, ARD order)
``number``           e.g. ``"Figure 2"`` (default: the id)
``title``            output title
``population``       ``ITT`` / ``SAF`` / ... (shown as e.g. "Intent-to-treat population")
``footnotes``        extra footnotes (list of strings) after the program's own
``labels``           ``{VARIABLE: "display label"}`` for subgroup / baseline variables
``contrast``         the one ``cox`` contrast ``group`` to show (default: every contrast in
                     ``km``/``efficacy``, the first one in ``forest``)
``overall_analysis_id``  ``forest``: analysis giving the 'All patients' line
``safety_analysis_id``  ``consort``: ``count`` analysis of the safety population by actual
                     treatment, reconciled with the treated boxes in a footnote
``ylabel``           ``km``: y-axis label
``time_unit``        ``km``: "months" (default, days / 30.4375) or "days"
``row_header``       ``subseq`` / ``baseline``: header of the first column
``exploratory``      ``forest``: subgroup variables not prespecified (heading marked
                     "(exploratory)", named in a footnote)
``p_values``         ``km``: ``false`` shows no p-value (patients selected after
                     randomization); ``efficacy``: ``false`` or the analysis ids whose
                     p-values are shown (the others get a footnote)
``publication_title``  title of the output that combines this study's with other
                     studies' of the same ``number`` (:mod:`reports.publication`; default:
                     the title without a last ", <study short name>")
==================== =============================================================

What each program reads (``group`` = arm for per-arm rows, ``"A vs B"`` for contrasts):

- ``subseq`` (Table 1) / ``baseline``: ``count`` rows n, pct (a percentage, 0-100), denom
  per ``subgroup_var``/``subgroup``; baseline also ``summary`` rows n, mean, sd, median,
  q1, q3, min, max (lines without statistics in the ARD are left out). Column headers ``Arm (N=denom)``; row order = ARD order.
- ``consort``: DISPOSITION ``count`` n per arm and box label (``subgroup``), the tree in
  ``options`` (``parent=``, ``partition=``); see :mod:`reports.figures.consort`.
- ``km``: ``km`` n, n_events, n_censored, median(+_lcl/_ucl), and at ``timepoint`` (days)
  surv(+_lcl/_ucl) and n_risk (the risk-table times); ``cox`` hr/hr_lcl/hr_ucl per
  contrast (shown in the column of the arm compared); ``logrank`` p_value per contrast or
  across all arms (``"A vs B vs C"``), labelled stratified when ``options`` has ``strata=``.
- ``forest``: per subgroup level ``km`` n, n_events per arm and ``cox`` hr/hr_lcl/hr_ucl
  (empty = NE); ``cox`` ``p_interaction`` with an empty ``subgroup``.
- ``efficacy``: the ``km``, ``cox``/``ipcw``/``msm``, ``logrank`` and ``revkm`` rows.

ARD extension used to draw Kaplan-Meier curves (emitted by the analysis runner):
method ``km-curve``, per arm (``group_var``/``group`` as the ``km`` rows), one row per
distinct time (``timepoint``, days) with stat_name ``surv`` (the KM estimate just after
that time) and ``n_censor`` (subjects censored at that time; > 0 draws a censor mark;
a missing row means 0);
optional ``surv_lcl``/``surv_ucl`` at the same times draw a confidence band. The curve
starts at (0, 1) when the first time is later than 0.
"""

from reports.render import FORMATS, render_output, render_reports

__all__ = ["FORMATS", "render_output", "render_reports"]
