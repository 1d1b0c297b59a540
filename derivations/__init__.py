"""Derivations: admiral-like building blocks (dates, time-to-event, next-line therapy) and the ADaM dataset programs."""
