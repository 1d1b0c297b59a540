"""The submission package (issue 19): Define-XML 2.1 for the derived ADaM and the SDTM it
read (:mod:`adam.submission.define_xml`, rendered to HTML by
:mod:`adam.submission.define_html`), the ARD as a CDISC ARS v1.0 reporting event
(:mod:`adam.ars`), and the reviewer's bundle with its R script (:mod:`adam.bundle`).

These modules read written files and the study specification; what they learn of the
study program (its docstring, its time-to-event sources, the building blocks it uses)
they take from the program object the specification names, never by importing
``derivations`` themselves.
"""
