"""Normal and chi-square functions from ``scipy.special`` (``scipy.stats`` costs ~1-2 s
of import time for the four functions we need)."""

from __future__ import annotations

import numpy as np
from scipy import special


class norm:
    """Standard normal: ``cdf``, ``sf``, ``ppf``, ``isf``, ``pdf(x, scale=1)``."""

    cdf = staticmethod(special.ndtr)
    ppf = staticmethod(special.ndtri)

    @staticmethod
    def sf(x):
        return special.ndtr(-np.asarray(x, dtype=float))

    @staticmethod
    def isf(p):
        return -special.ndtri(p)

    @staticmethod
    def pdf(x, scale=1.0):
        z = np.asarray(x, dtype=float) / scale
        return np.exp(-0.5 * z * z) / (np.sqrt(2 * np.pi) * scale)


class chi2:
    """Chi-square upper tail ``sf(x, df)``."""

    @staticmethod
    def sf(x, df):
        return special.chdtrc(df, x)
