"""Tumour / disease response (admiralonco): response criteria as data, the
predefined events of admiralonco's ADRS template, and its value maps.

A :class:`ResponseCriteria` says which response values exist (best first), which count
as response, as stable disease, as progression and as not evaluable, the minimum time
from the reference date for stable disease, the confirmation period and how many NE
assessments a confirmation may span. :func:`response_events` turns criteria into the
``event()`` / ``event_joined()`` objects of :func:`derivations.events.derive_extreme_event`:

- ``rsp_y``: a response (unconfirmed); ``cb_y``: a response or stable disease at least
  ``stable_days`` after the reference date (clinical benefit);
- ``bor``: the best-overall-response events in order (each response level, then SD,
  NON-CR/NON-PD, PD, NE, and ``no_data_missing``);
- ``crsp``: confirmed response per response level (``crsp_y_cr``, ``crsp_y_pr``);
- ``cbor``: confirmed best overall response (``cbor_cr``, ``cbor_pr``, then as ``bor``).

A response of level L is confirmed by a later assessment of level L or better at least
``confirm_days`` after it; every assessment from the one after L up to that one is L or
better or NE, at most ``max_ne`` of them NE, and (below the best level) no L follows a
better level (admiralonco's ``min_cond(CR dates) > max_cond(PR dates)``).

The ``dataset_name = "ovr"`` events expect the overall responses that count (admiralonco:
``PARAMCD == "OVR" & ANL01FL == "Y" & ANL02FL == "Y"``, i.e. on/after randomization,
one per date, up to the first PD) with the reference date (``RANDDT``) merged on;
``no_data_n`` / ``no_data_missing`` read ``adsl``.

Criteria confirm in one of two ways (``confirmation``):

- ``"period"`` (RECIST 1.1, admiralonco's ``crsp_y_*`` / ``cbor_*``): as above;
- ``"next"`` (IMWG, admiralonco's IMWG vignette, "Creating ADRS with IMWG criteria"): each
  response needs a second, consecutive reading, with no minimum interval. A record of
  level L or better is confirmed at level L when the next assessment that is not NE is
  L or better too (NE readings are skipped, as the vignette drops them before its
  ``lead()``), so VGPR followed by PR confirms PR, as the vignette's "worse response"
  rule does. The confirmed levels are :attr:`ResponseCriteria.confirm_levels` (IMWG:
  sCR, CR, VGPR, PR and MR); an unconfirmed response counts as SD.

:data:`RECIST11` is admiralonco's RECIST 1.1 (the module-level objects ``rsp_y``,
``bor_cr``, ... equal admiralonco's). :data:`IMWG` follows admiralonco's IMWG vignette:
values sCR, CR, VGPR, PR, MR, SD, PD, NE with the vignette's ``aval_resp_imwg`` (NE 8,
sCR 7, CR 6, VGPR 5, PR 4, MR 3, SD 2, PD 1; per date the lowest AVAL, i.e. the worst,
is the analysis record); responders sCR..PR; clinical benefit sCR..MR or SD at least
``benefit_days`` (42) after randomization; SD for the best overall response without a
minimum time; consecutive confirmation as above. Where adamant differs from the
vignette, on purpose:

- the vignette's ``derive_confirmed_response`` is a study function (it is not exported
  by admiralonco) that also confirms PD from study-specific SUPPRS flags (PDIFL, PDOFL,
  DTHPDFL); here a PD is taken as reported (``bor_pd`` on AVALC PD): confirm it in the
  input if your protocol asks for it;
- the vignette confirms only with readings before the next anti-cancer therapy
  (``ADT.next <= NACTDT``) and keeps its per-time-point confirmed records (COVR); here the
  events read the ``ovr`` records given, so restrict them (its ANL02FL / ANL03FL) before,
  and the confirmed best response comes straight from the events (the same level and
  date as the vignette's best COVR record).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from derivations.events import Event, EventJoined


@dataclass(frozen=True)
class ResponseCriteria:
    """Response values and rules of one criteria set (see the module docstring)."""

    name: str
    responders: tuple                      # best first, e.g. ("CR", "PR")
    stable: tuple = ("SD",)                # count as SD after stable_days (with the responders)
    non_measurable: tuple = ()             # e.g. ("NON-CR/NON-PD",): its own BOR level
    benefit_extra: tuple = ()              # counted as clinical benefit besides responders/stable
    progression: str = "PD"
    not_evaluable: str = "NE"
    stable_days: int = 42
    confirm_days: int = 28
    max_ne: int = 1
    #: "period" (RECIST: confirm_days, max_ne) or "next" (IMWG: the next non-NE reading)
    confirmation: str = "period"
    #: levels confirmed (best first); default the responders
    confirmed: tuple | None = None
    #: minimum days from the reference date for clinical benefit (default stable_days)
    benefit_days: int | None = None
    #: per-date analysis record (ANL01FL): the value ranked last is kept (admiralonco's
    #: worst_resp: NE 1, CR 2, PR 3, SD 4, NON-CR/NON-PD 5, PD 6, anything else 0)
    worst_order: tuple = ()
    #: numeric AVAL of AVALC (admiralonco aval_resp)
    aval: dict = field(default_factory=dict)
    reference_date: str = "RANDDT"

    def __post_init__(self):
        if self.confirmation not in ("period", "next"):
            raise ValueError(f"confirmation must be 'period' or 'next', not {self.confirmation!r}")

    @property
    def confirm_levels(self) -> tuple:
        """The levels a confirmation confirms (best first)."""
        return self.responders if self.confirmed is None else self.confirmed

    @property
    def levels(self) -> tuple:
        return self.responders + tuple(v for v in self.benefit_extra if v not in self.stable) + \
            self.stable + self.non_measurable + (self.progression, self.not_evaluable)

    def aval_of(self, avalc) -> np.ndarray:
        """AVAL of each AVALC (NaN for values the criteria do not know)."""
        return _numbers(avalc, self.aval, np.nan)

    def worst_rank(self, avalc) -> np.ndarray:
        """admiralonco ``worst_resp``: the rank of each value in :attr:`worst_order`
        (1-based; 0 for any other value)."""
        return _numbers(avalc, {v: float(i + 1) for i, v in enumerate(self.worst_order)}, 0.0)


def _numbers(values, mapping: dict, default: float) -> np.ndarray:
    """``mapping`` of each text value as floats (``default`` for others); a categorical
    is mapped through its categories (no string per record)."""
    if isinstance(getattr(values, "dtype", None), pd.CategoricalDtype):
        codes = np.asarray(values.cat.codes if isinstance(values, pd.Series) else values.codes)
        cats = pd.Series(np.asarray(values.cat.categories if isinstance(values, pd.Series)
                                    else values.categories, dtype=object), dtype=object)
        table = np.append(cats.map(mapping).astype(float).fillna(default).to_numpy(), default)
        return table[np.where(codes < 0, len(table) - 1, codes)]
    return pd.Series(values, dtype=object).map(mapping).astype(float).fillna(default).to_numpy()


def yn_to_numeric(avalc) -> np.ndarray:
    """admiral ``yn_to_numeric``: Y 1, N 0, anything else NaN."""
    return pd.Series(avalc, dtype=object).map({"Y": 1.0, "N": 0.0}).astype(float).to_numpy()


RECIST11 = ResponseCriteria(
    name="RECIST 1.1", responders=("CR", "PR"), stable=("SD",), non_measurable=("NON-CR/NON-PD",),
    stable_days=42, confirm_days=28, max_ne=1,
    worst_order=("NE", "CR", "PR", "SD", "NON-CR/NON-PD", "PD"),
    aval={"CR": 1.0, "PR": 2.0, "SD": 3.0, "NON-CR/NON-PD": 4.0, "PD": 5.0, "NE": 6.0, "MISSING": 7.0})

IMWG = ResponseCriteria(
    name="IMWG", responders=("sCR", "CR", "VGPR", "PR"), stable=("SD",), benefit_extra=("MR",),
    non_measurable=(), stable_days=0, benefit_days=42, confirmation="next",
    confirmed=("sCR", "CR", "VGPR", "PR", "MR"), confirm_days=0, max_ne=0,
    worst_order=("NE", "sCR", "CR", "VGPR", "PR", "MR", "SD", "PD"),
    aval={"NE": 8.0, "sCR": 7.0, "CR": 6.0, "VGPR": 5.0, "PR": 4.0, "MR": 3.0, "SD": 2.0, "PD": 1.0})


def _after_window(criteria: ResponseCriteria, days: int | None = None):
    days = pd.Timedelta(days=criteria.stable_days if days is None else days)
    return lambda g: g["ADT"] >= g[criteria.reference_date] + days


def _name(level: str) -> str:
    return level.lower().replace("-", "").replace("/", "").replace(" ", "")


def _confirmed_next(criteria: ResponseCriteria, k: int, value: str, set_order: bool) -> EventJoined:
    """IMWG: a record of level ``k`` or better whose next non-NE reading is too."""
    level = criteria.confirm_levels[k]
    good = list(criteria.confirm_levels[:k + 1])
    ne = criteria.not_evaluable
    return EventJoined(
        description=f"{level} confirmed: a {'/'.join(good)} reading whose next reading (not {ne}) "
                    f"is {'/'.join(good)}",
        dataset_name="ovr", join_vars=("AVALC", "ADT"), join_type="after",
        order=("ADT",) if set_order else None,
        first_cond_upper=lambda g: g["AVALC.join"] != ne,
        condition=lambda g: g["AVALC"].isin(good) & g["AVALC.join"].isin(good),
        set_values_to={"AVALC": value})


def _confirmed(criteria: ResponseCriteria, k: int, value: str, set_order: bool) -> EventJoined:
    if criteria.confirmation == "next":
        return _confirmed_next(criteria, k, value, set_order)
    level = criteria.responders[k]
    good = list(criteria.responders[:k + 1])
    better = list(criteria.responders[:k])
    days = pd.Timedelta(days=criteria.confirm_days)
    ne, max_ne = criteria.not_evaluable, criteria.max_ne

    def first_cond(g):
        return g["AVALC.join"].isin(good) & (g["ADT.join"] >= g["ADT"] + days)

    def condition(g):
        ok = (g["AVALC"] == level).to_numpy() & g.all(g["AVALC.join"].isin(good + [ne])) \
            & (g.count_vals("AVALC.join", ne) <= max_ne)
        if better:
            is_better = g["AVALC.join"].isin(better)
            order_ok = (g.min_cond("ADT.join", is_better) > g.max_cond("ADT.join", g["AVALC.join"] == level)) \
                .to_numpy(dtype=bool)
            n_better = g.all(~is_better)
            n_level = g.count_vals("AVALC.join", level) == 0
            ok &= order_ok | n_better | n_level
        return ok

    return EventJoined(
        description=f"{level} confirmed by {'/'.join(good)} at least {criteria.confirm_days} days "
                    f"later, at most {max_ne} {ne} in between",
        dataset_name="ovr", join_vars=("AVALC", "ADT"), join_type="after",
        order=("ADT",) if set_order else None, first_cond_upper=first_cond, condition=condition,
        set_values_to={"AVALC": value})


def response_events(criteria: ResponseCriteria, keep_adsl_vars=("RANDDT",)) -> dict:
    """The events of admiralonco's ADRS template for ``criteria`` (module docstring),
    keyed by admiralonco's object names (``rsp_y``, ``bor_cr``, ``crsp_y_pr``, ...) plus
    the lists ``bor``, ``crsp``, ``cbor``."""
    keep = list(keep_adsl_vars)
    responders = list(criteria.responders)
    stable_like = responders + list(criteria.stable)
    window = _after_window(criteria)
    benefit_window = _after_window(criteria, criteria.benefit_days)
    ev: dict = {}
    ev["rsp_y"] = Event(description="response (unconfirmed)", dataset_name="ovr",
                        condition=lambda g: g["AVALC"].isin(responders), set_values_to={"AVALC": "Y"})
    ev["no_data_n"] = Event(description="no response for all subjects in adsl (last event)",
                            dataset_name="adsl", condition=None, set_values_to={"AVALC": "N"},
                            keep_source_vars=keep)
    benefit = responders + list(criteria.benefit_extra) + list(criteria.stable) + list(criteria.non_measurable)
    benefit_days = criteria.stable_days if criteria.benefit_days is None else criteria.benefit_days
    ev["cb_y"] = Event(description=f"clinical benefit at least {benefit_days} days after "
                                   f"{criteria.reference_date}", dataset_name="ovr",
                       condition=lambda g: g["AVALC"].isin(benefit) & benefit_window(g),
                       set_values_to={"AVALC": "Y"})
    bor = []
    for level in responders + [v for v in criteria.benefit_extra if v not in criteria.stable]:
        e = Event(description=f"{level} for best overall response", dataset_name="ovr",
                  condition=lambda g, lv=level: g["AVALC"] == lv, set_values_to={"AVALC": level})
        ev[f"bor_{_name(level)}"] = e
        bor.append(e)
    rest = []
    for level in criteria.stable:
        counted = stable_like + [v for v in criteria.benefit_extra if v not in stable_like]
        e = Event(description=f"{level}: {', '.join(counted)} at least {criteria.stable_days} days after "
                              f"{criteria.reference_date}", dataset_name="ovr",
                  condition=lambda g, c=counted: g["AVALC"].isin(c) & window(g), set_values_to={"AVALC": level})
        ev[f"bor_{_name(level)}"] = e
        rest.append(e)
    for level in criteria.non_measurable:
        e = Event(description=f"{level} at least {criteria.stable_days} days after {criteria.reference_date}",
                  dataset_name="ovr", condition=lambda g, lv=level: (g["AVALC"] == lv) & window(g),
                  set_values_to={"AVALC": level})
        ev["bor_non_crpd" if level == "NON-CR/NON-PD" else f"bor_{_name(level)}"] = e
        rest.append(e)
    pd_level = criteria.progression
    ev["bor_pd"] = Event(description="progressive disease", dataset_name="ovr",
                         condition=lambda g: g["AVALC"] == pd_level, set_values_to={"AVALC": pd_level})
    ne_values = list(criteria.stable) + list(criteria.non_measurable) + [criteria.not_evaluable]
    ev["bor_ne"] = Event(description="not evaluable (after the SD events)", dataset_name="ovr",
                         condition=lambda g: g["AVALC"].isin(ne_values),
                         set_values_to={"AVALC": criteria.not_evaluable})
    ev["no_data_missing"] = Event(description="MISSING for all subjects in adsl (last event)",
                                  dataset_name="adsl", condition=None, set_values_to={"AVALC": "MISSING"},
                                  keep_source_vars=keep)
    tail = rest + [ev["bor_pd"], ev["bor_ne"], ev["no_data_missing"]]
    ev["bor"] = bor + tail
    ev["crsp"] = []
    ev["cbor"] = []
    confirmed = list(criteria.confirm_levels) if criteria.confirmation == "next" else responders
    for k, level in enumerate(confirmed):
        if level in responders:
            ev[f"crsp_y_{_name(level)}"] = _confirmed(criteria, k, "Y", set_order=True)
            ev["crsp"].append(ev[f"crsp_y_{_name(level)}"])
        ev[f"cbor_{_name(level)}"] = _confirmed(criteria, k, level, set_order=False)
        ev["cbor"].append(ev[f"cbor_{_name(level)}"])
    extra = [ev[f"bor_{_name(v)}"] for v in criteria.benefit_extra
             if v not in criteria.stable and v not in confirmed]
    ev["cbor"] = ev["cbor"] + extra + tail
    return ev


_RECIST = response_events(RECIST11)
rsp_y = _RECIST["rsp_y"]
no_data_n = _RECIST["no_data_n"]
cb_y = _RECIST["cb_y"]
bor_cr = _RECIST["bor_cr"]
bor_pr = _RECIST["bor_pr"]
bor_sd = _RECIST["bor_sd"]
bor_non_crpd = _RECIST["bor_non_crpd"]
bor_pd = _RECIST["bor_pd"]
bor_ne = _RECIST["bor_ne"]
no_data_missing = _RECIST["no_data_missing"]
crsp_y_cr = _RECIST["crsp_y_cr"]
crsp_y_pr = _RECIST["crsp_y_pr"]
cbor_cr = _RECIST["cbor_cr"]
cbor_pr = _RECIST["cbor_pr"]
