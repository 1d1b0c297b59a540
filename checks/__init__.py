"""Checks: pandera schemas for SDTM and ADaM, conformance rules, expectation suites, dataset compare."""
