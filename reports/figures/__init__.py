"""matplotlib figures drawn from ARD values: Kaplan-Meier (:mod:`.km`), forest plot
(:mod:`.forest`), CONSORT disposition diagram (:mod:`.consort`). Each returns a
:class:`reports.model.Figure` (PNG and SVG bytes, print size); none computes a statistic."""
