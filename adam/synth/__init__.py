"""Synthetic SDTM twins of the reference studies."""
