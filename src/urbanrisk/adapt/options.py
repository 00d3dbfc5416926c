"""Adaptation options and pathways: protect, accommodate, retreat, do nothing.

An option acts on the buildings of one zone (district), or of the whole city with
``zone=None``, from its start ``year`` on; a :class:`Pathway` is a sequence of options,
so a defence can be raised later (a second :class:`Protect` of the same zone supersedes the
first from its year) or followed by a retreat. What each option does to a flood event:

- :class:`Protect` — a flood defence around the zone with crest ``crest_m`` (in the DEM's
  frame, like the water levels). An event whose still-water level is at or below the crest
  leaves the zone dry; a higher one overtops it and floods the zone as if there were no
  defence (static overtopping, no breach or overflow-volume model).
- :class:`Accommodate` — floodproofing or raising buildings by ``raise_m``: every depth at
  the footprint is lowered by that height (floored at 0), which shifts the damage curve by
  the height (FEMA P-312 elevation; the curve itself is unchanged).
- :class:`Retreat` — the zone's buildings are removed from ``year`` on: no damage after it.
  The cost (acquisition and demolition per m² of footprint, relocation per resident,
  optional rebuilding elsewhere) is paid in that year.
- :class:`DoNothing` — the baseline every option is appraised against.

Costs are in the currency of the building values (EUR in the profile), undiscounted, in the
year they are paid; :mod:`urbanrisk.adapt.economics` discounts them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from urbanrisk.errors import InputValueError
from urbanrisk.layers import require_number

__all__ = ["DoNothing", "Protect", "Accommodate", "Retreat", "Pathway", "OPTION_KINDS"]

#: Kinds of option, in the order the pathways map colours them.
OPTION_KINDS = ("protect", "accommodate", "retreat")


def _year(value: object, name: str) -> int:
    y = require_number(value, name=name)
    if y != round(y):
        raise InputValueError(f"{name} must be a whole year, got {value!r}.")
    return int(y)


@dataclass(frozen=True)
class Protect:
    """A flood defence (dike, sea wall, barrier) around a zone, from ``year`` on.

    Parameters
    ----------
    crest_m : float
        Crest level (m, the DEM's vertical frame: above the baseline water surface).
    year : int
        First year the defence stands.
    cost_eur : float, default 0
        Capital cost, paid in ``year``.
    maintenance_share_per_yr : float, default 0
        Yearly maintenance as a share of the capital cost, paid every year after ``year``.
    zone : str, optional
        Zone protected; ``None`` protects every building (a city-wide barrier).
    name : str, optional
        Label in tables and figures.
    """

    crest_m: float
    year: int
    cost_eur: float = 0.0
    maintenance_share_per_yr: float = 0.0
    zone: str | None = None
    name: str = ""
    kind: str = field(default="protect", init=False)

    def __post_init__(self) -> None:
        """Check the numbers."""
        object.__setattr__(self, "crest_m", require_number(self.crest_m, name="crest_m"))
        object.__setattr__(self, "year", _year(self.year, "year"))
        require_number(self.cost_eur, name="cost_eur", low=0.0)
        require_number(self.maintenance_share_per_yr, name="maintenance_share_per_yr",
                       low=0.0, high=1.0)

    @property
    def label(self) -> str:
        """Name, or a description."""
        where = f" {self.zone}" if self.zone else ""
        return self.name or f"protect{where} to {self.crest_m:g} m"


@dataclass(frozen=True)
class Accommodate:
    """Raise or floodproof the buildings of a zone by ``raise_m`` from ``year`` on.

    Parameters
    ----------
    raise_m : float
        Height (m) the floor is raised by / up to which the building is dry-proofed.
    year : int
        Year the works are done.
    cost_per_building_eur, cost_per_m2_eur : float, default 0
        Cost per building and per m² of footprint, paid in ``year`` for every building of
        the zone still standing.
    zone : str, optional
        Zone; ``None``: every building.
    name : str, optional
        Label.
    """

    raise_m: float
    year: int
    cost_per_building_eur: float = 0.0
    cost_per_m2_eur: float = 0.0
    zone: str | None = None
    name: str = ""
    kind: str = field(default="accommodate", init=False)

    def __post_init__(self) -> None:
        """Check the numbers."""
        object.__setattr__(self, "raise_m", require_number(self.raise_m, name="raise_m",
                                                           low=0.0))
        object.__setattr__(self, "year", _year(self.year, "year"))
        require_number(self.cost_per_building_eur, name="cost_per_building_eur", low=0.0)
        require_number(self.cost_per_m2_eur, name="cost_per_m2_eur", low=0.0)

    @property
    def label(self) -> str:
        """Name, or a description."""
        where = f" {self.zone}" if self.zone else ""
        return self.name or f"raise{where} {self.raise_m:g} m"


@dataclass(frozen=True)
class Retreat:
    """Remove the buildings of a zone from ``year`` on (managed retreat, relocation).

    Parameters
    ----------
    year : int
        Year the zone is vacated; its buildings do no damage from then on.
    zone : str, optional
        Zone; ``None``: every building.
    cost_per_m2_eur : float, default 0
        Acquisition and demolition per m² of footprint.
    cost_per_resident_eur : float, default 0
        Relocation per resident (needs residents per building).
    rebuild_cost_per_m2_eur : float, default 0
        Rebuilding elsewhere, per m² of footprint removed.
    name : str, optional
        Label.
    """

    year: int
    zone: str | None = None
    cost_per_m2_eur: float = 0.0
    cost_per_resident_eur: float = 0.0
    rebuild_cost_per_m2_eur: float = 0.0
    name: str = ""
    kind: str = field(default="retreat", init=False)

    def __post_init__(self) -> None:
        """Check the numbers."""
        object.__setattr__(self, "year", _year(self.year, "year"))
        for f in ("cost_per_m2_eur", "cost_per_resident_eur", "rebuild_cost_per_m2_eur"):
            require_number(getattr(self, f), name=f, low=0.0)

    @property
    def label(self) -> str:
        """Name, or a description."""
        where = f" from {self.zone}" if self.zone else ""
        return self.name or f"retreat{where}"


@dataclass(frozen=True)
class DoNothing:
    """The baseline: no adaptation (current buildings, no defence)."""

    name: str = "do nothing"

    def pathway(self) -> Pathway:
        """Return the empty pathway."""
        return Pathway(self.name, ())


Action = Protect | Accommodate | Retreat


@dataclass(frozen=True)
class Pathway:
    """A named sequence of options, each acting from its own year.

    Parameters
    ----------
    name : str
        Unique name (``"do nothing"`` for the baseline, which has no actions).
    actions : sequence of Protect, Accommodate, Retreat
        In any order; applied by year (ties in the given order).

    Examples
    --------
    >>> p = Pathway("dike, raised 2070", (Protect(2.6, 2070, cost_eur=3e6),
    ...                                   Protect(2.0, 2030, cost_eur=5e6)))
    >>> [a.crest_m for a in p.actions], p.first_year, p.active(2050)
    ([2.0, 2.6], 2030, (0,))
    """

    name: str
    actions: tuple = ()

    def __post_init__(self) -> None:
        """Check the actions and sort them by year."""
        if not isinstance(self.name, str) or not self.name.strip():
            raise InputValueError(f"A pathway needs a name, got {self.name!r}.")
        acts = tuple(self.actions) if isinstance(self.actions, Sequence) else (self.actions,)
        bad = [a for a in acts if not isinstance(a, Protect | Accommodate | Retreat)]
        if bad:
            raise InputValueError(
                f"Pathway {self.name!r}: actions must be Protect, Accommodate or Retreat, got "
                f"{[type(a).__name__ for a in bad]}."
            )
        order = sorted(range(len(acts)), key=lambda i: (acts[i].year, i))
        object.__setattr__(self, "actions", tuple(acts[i] for i in order))

    @property
    def first_year(self) -> int | None:
        """Year of the first action (None for doing nothing)."""
        return self.actions[0].year if self.actions else None

    def active(self, year: int) -> tuple[int, ...]:
        """Return the indices of the actions in force in ``year``."""
        return tuple(i for i, a in enumerate(self.actions) if a.year <= year)

    def state(self, active: tuple[int, ...], zone: np.ndarray, zones: tuple) -> tuple:
        """Crest (m, −inf: none), floor raise (m) and presence of each building.

        For each zone the latest protect and the latest accommodate in force count (a
        raise replaces a lower crest); a retreat removes the buildings for good.
        """
        n = zone.shape[0]
        crest = np.full(n, -np.inf)
        shift = np.zeros(n)
        present = np.ones(n, bool)
        for i in active:
            a = self.actions[i]
            if a.zone is not None and a.zone not in zones:
                raise InputValueError(
                    f"Pathway {self.name!r}: unknown zone {a.zone!r}; zones are {list(zones)}."
                )
            sel = np.ones(n, bool) if a.zone is None else zone == a.zone
            if isinstance(a, Protect):
                crest[sel] = a.crest_m
            elif isinstance(a, Accommodate):
                shift[sel] = a.raise_m
            else:
                present[sel] = False
        return crest, shift, present

    def costs(self, years: np.ndarray, zone: np.ndarray, zones: tuple,
              area_m2: np.ndarray, residents: np.ndarray | None) -> np.ndarray:
        """Undiscounted cost paid in each of ``years`` (annual, consecutive)."""
        out = np.zeros(len(years))
        present = np.ones(zone.shape[0], bool)
        pos = {int(y): k for k, y in enumerate(years)}
        for a in self.actions:
            sel = np.ones(zone.shape[0], bool) if a.zone is None else zone == a.zone
            here = sel & present
            cost = 0.0
            if isinstance(a, Protect):
                cost = a.cost_eur
                if a.maintenance_share_per_yr > 0:
                    later = years > a.year
                    out[later] += a.cost_eur * a.maintenance_share_per_yr
            elif isinstance(a, Accommodate):
                cost = (a.cost_per_building_eur * here.sum()
                        + a.cost_per_m2_eur * area_m2[here].sum())
            else:
                cost = (a.cost_per_m2_eur + a.rebuild_cost_per_m2_eur) * area_m2[here].sum()
                if a.cost_per_resident_eur > 0:
                    if residents is None:
                        raise InputValueError(
                            f"Pathway {self.name!r}: a retreat cost per resident needs "
                            "residents= (people per building)."
                        )
                    cost += a.cost_per_resident_eur * float(np.nansum(residents[here]))
                present &= ~sel
            if a.year in pos:
                out[pos[a.year]] += cost
            elif cost > 0:
                raise InputValueError(
                    f"Pathway {self.name!r}: {a.label} is paid in {a.year}, outside the "
                    f"appraisal years {int(years[0])}–{int(years[-1])}."
                )
        return out

    def describe(self) -> str:
        """One line: the actions with their years."""
        if not self.actions:
            return "no action"
        return "; ".join(f"{a.label} ({a.year})" for a in self.actions)
