"""Median follow-up by reverse Kaplan-Meier, and restricted mean survival time."""

from __future__ import annotations

from dataclasses import dataclass


from adam.stats._arrays import as_event
from adam.stats.km import KaplanMeier


@dataclass
class FollowUp:
    """Reverse-KM median follow-up: R ``survfit(Surv(time, 1 - status) ~ 1)``, median and
    limits by ``print.survfit``'s rules."""

    fit: KaplanMeier

    def stats(self) -> dict:
        """ARD ``revkm`` statistics."""
        return {"median_fu": self.fit.median, "median_fu_lcl": self.fit.median_lcl,
                "median_fu_ucl": self.fit.median_ucl}


def median_followup(time, event, conf_type: str = "log-log", conf_level: float = 0.95) -> FollowUp:
    """Reverse Kaplan-Meier: censorings are the events, deaths are censored."""
    event = as_event(event)
    return FollowUp(KaplanMeier(conf_type, conf_level).fit(time, 1.0 - event))


def rmst(time, event, tau: float) -> dict:
    """``{'rmst', 'rmst_se'}`` to ``tau``: R ``print(survfit(...), rmean=tau)`` (``survmean``:
    area under the KM step function from 0 to tau; variance
    ``sum_k A_k^2 d_k / (n_k (n_k - d_k))`` with ``A_k`` the area from event time k to tau,
    the survRM2 formula)."""
    return KaplanMeier().fit(time, event).rmst(tau)
