"""adamant engine: dataset I/O, study specifications, survival statistics, ARD, pipeline and CLI.

Importing adamant changes nothing process-wide; the ``adam`` command tunes its own process
(:mod:`adam.tuning`)."""

__version__ = "0.1.0"
