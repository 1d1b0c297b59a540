"""adamant engine: dataset I/O, study specifications, survival statistics, ARD, pipeline and CLI."""

__version__ = "0.1.0"
