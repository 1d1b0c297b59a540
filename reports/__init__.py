"""Reports: TLF programs reading the ARD, Jinja templates, matplotlib figures."""
