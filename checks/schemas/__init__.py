"""pandera schemas for SDTM and ADaM datasets."""
