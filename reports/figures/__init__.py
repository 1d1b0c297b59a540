"""matplotlib figures drawn from ARD values: Kaplan-Meier (:mod:`.km`), forest plot
(:mod:`.forest`), CONSORT disposition diagram (:mod:`.consort`). Each returns a
:class:`reports.model.Figure` (PNG bytes and print size); none computes a statistic."""
