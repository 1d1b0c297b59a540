"""Survival statistics matching R survival to 1e-6."""
