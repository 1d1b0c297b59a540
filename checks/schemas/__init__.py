"""pandera schemas for SDTM and ADaM datasets, failures returned as findings.

- :mod:`checks.schemas.base`: field helpers (``char``, ``num``, ``date``), registered
  checks (ISO 8601, codelists, SAS type), :func:`schema_findings`.
- :mod:`checks.schemas.sdtm`: one model per SDTM domain (used by :func:`checks.sdtm.check_sdtm`).
- :mod:`checks.schemas.adam`: ADSL, ADTTE, ADAE models and :func:`validate_adam`.
"""

from checks.schemas.adam import validate_adam
from checks.schemas.base import is_iso8601, schema_findings

__all__ = ["validate_adam", "schema_findings", "is_iso8601"]
