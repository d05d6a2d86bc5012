"""Object-level scoping: ONE mechanism for every list, detail, export and API endpoint.

Each scoped model declares how a row reaches the organisation units a user may see, as data:
``scope = ScopePaths(region=("region", "outlet__parent"), outlet=("outlet",), …)``. One resolver,
``scope_q_for``, turns the declaration and a user into a ``Q`` (``None`` means everything). Its
manager is built from ``ScopedQuerySet`` and every read goes through
``Model.objects.visible_to(user)``; a row outside the scope is a 404, never a 403, so its existence
is not revealed (decision 0045).

The rule is the same for every model: HQ (``user.sees_everything``) sees all; a region user the rows
on its region's paths; outlet staff the rows on the outlet paths; a technician the rows on the
technician paths (compared with the *user*, not the unit); a dealer the rows on the dealer paths;
anyone else nothing. ``core`` knows no app: the unit kinds and the technician role are the strings
below (``anxin.accounts.choices`` uses the same values, a test holds them together), and everything
else comes from the user object (``sees_everything``, ``role``, ``org_unit``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.db import models
from django.db.models import Q
from django.shortcuts import get_object_or_404

# The unit kinds and the one role the resolver tells apart (values of accounts.choices.OrgKind / Role).
REGION = "region"
OUTLET = "outlet"
DEALER = "dealer"
TECHNICIAN = "technician"

NOTHING = Q(pk__in=[])


@dataclass(frozen=True)
class ChildUnits:
    """The row's ``field`` is one of the user's unit's children (of ``kind``), as ``field IN (SELECT
    …)`` rather than a join: the planner can then use the indexes that lead with ``field`` (the order
    list's (outlet, status, …) indexes, decision 0019)."""

    field: str
    kind: str = ""

    def q(self, value) -> Q:
        units = type(value)._default_manager.filter(parent=value)
        if self.kind:
            units = units.filter(kind=self.kind)
        return Q(**{f"{self.field}__in": units.values("pk")})


@dataclass(frozen=True)
class Through:
    """The row is reached through another table: ``pk IN (SELECT model.fk FROM model WHERE model.path =
    value)`` — e.g. a customer through the access rows the order side maintains, or through the
    appliances a dealer sold. ``model`` is an ``"app_label.Model"`` label, so the declaring app need
    not import it. An ``IN`` rather than a correlated ``EXISTS``: the set is read once from the
    table's (path, fk) index, where an ``EXISTS`` under an ``OR`` is probed once per row of the whole
    table when a search re-scans through the scope (decision 0045)."""

    model: str
    fk: str
    path: str

    def q(self, value) -> Q:
        related = apps.get_model(self.model)
        return Q(pk__in=related._default_manager.filter(**{self.path: value}).values(self.fk))


Path = str | ChildUnits | Through


@dataclass(frozen=True)
class ScopePaths:
    """Which paths lead from a row to the user's unit (or, for technicians, to the user).

    Each kind's paths are OR-ed; a plain string is a lookup compared with the unit (``"outlet"``,
    ``"outlet__parent"``; ``"pk"``: the row is the unit itself). ``technician=None`` treats an outlet's technicians like the rest
    of its staff. ``everything_roles`` see every row wherever their unit (the hotline's nationwide
    archive); ``outlet_roles``, when given, are the only outlet roles that see anything (complaints:
    the outlet manager).
    """

    region: tuple[Path, ...] = ()
    outlet: tuple[Path, ...] = ()
    technician: tuple[Path, ...] | None = None
    dealer: tuple[Path, ...] = ()
    everything_roles: tuple[str, ...] = ()
    outlet_roles: tuple[str, ...] | None = None


def _any(paths: tuple[Path, ...], value) -> Q:
    if not paths:
        return NOTHING
    found = None
    for path in paths:
        if path == "pk":  # the row is the unit itself (organisation units)
            q = Q(pk=value.pk)
        else:
            q = Q(**{path: value}) if isinstance(path, str) else path.q(value)
        found = q if found is None else found | q
    return found


_EVERYTHING = object()


def _paths_for(paths: ScopePaths, user):
    """``(paths, value)`` that lead ``user``'s rows to them, ``_EVERYTHING``, or ``None`` (nothing)."""
    if user.sees_everything or user.role in paths.everything_roles:
        return _EVERYTHING
    unit = user.org_unit
    if unit.kind == OUTLET:
        if user.role == TECHNICIAN and paths.technician is not None:
            return paths.technician, user
        if paths.outlet_roles is not None and user.role not in paths.outlet_roles:
            return None
        return paths.outlet, unit
    if unit.kind == REGION:
        return paths.region, unit
    if unit.kind == DEALER:
        return paths.dealer, unit
    return None


def scope_q_for(paths: ScopePaths, user) -> Q | None:
    """The condition on the declaring model's rows that ``user`` may see (``None``: every row)."""
    chosen = _paths_for(paths, user)
    if chosen is _EVERYTHING:
        return None
    if chosen is None:
        return NOTHING
    return _any(*chosen)


def scope_ids_q(field: str, model, user) -> Q | None:
    """``field`` (a column holding ``model`` ids, e.g. a search index's ``customer_id``) is one of
    the ``model`` rows ``user`` may see by its declared paths: one ``IN (SELECT …)`` per path, each
    read from that path's own index, OR-ed. ``None``: every row.

    For scanning a big table of another model through the scope: ``pk IN (SELECT pk … WHERE a OR
    b)`` would make the planner scan all of ``model`` to build the set (an OR over two columns uses
    no index), where two sets each come from one. The manager's own extra filters (a merged
    customer) are not applied: the caller reads the rows it keeps through ``visible_to``."""
    chosen = _paths_for(model.scope, user)
    if chosen is _EVERYTHING:
        return None
    if chosen is None:
        return NOTHING
    paths, value = chosen
    if not paths:
        return NOTHING
    found = None
    for path in paths:
        if path == "pk":
            ids = Q(**{field: value.pk})
        elif isinstance(path, Through):
            related = apps.get_model(path.model)
            ids = Q(**{f"{field}__in": related._default_manager.filter(**{path.path: value}).values(path.fk)})
        else:
            rows = model._default_manager.filter(Q(**{path: value}) if isinstance(path, str) else path.q(value))
            ids = Q(**{f"{field}__in": rows.values("pk")})
        found = ids if found is None else found | ids
    return found


class ScopedQuerySet(models.QuerySet):
    def kept(self):
        """The rows that stay in every list whatever the user (a subclass drops, say, merged duplicates)."""
        return self

    def _placed(self, user) -> bool:
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return False
        return user.is_superuser or getattr(user, "org_unit_id", None) is not None  # a user not yet placed sees nothing

    def visible_to(self, user):
        if not self._placed(user):
            return self.none()
        declared = getattr(self.model, "scope", None)
        q = scope_q_for(declared, user) if isinstance(declared, ScopePaths) else self.model.scope_q(user)
        return self.kept() if q is None else self.filter(q).kept()

    def visible_among(self, user, ids):
        """``visible_to(user).filter(pk__in=ids)`` for a bounded set of ids (a search's candidates), each
        scope path probed for just those ids from its own index. Under ``visible_to``'s ``OR``,
        PostgreSQL reads a ``Through`` path's whole set (all of an outlet's access rows, a hashed
        sub-plan) to test a few ids; here each path is one index probe per id."""
        ids = set(ids)
        declared = getattr(self.model, "scope", None)
        if not ids or not isinstance(declared, ScopePaths) or not self._placed(user):
            return self.visible_to(user).filter(pk__in=ids)
        chosen = _paths_for(declared, user)
        if chosen is _EVERYTHING or chosen is None:
            return self.visible_to(user).filter(pk__in=ids)
        paths, value = chosen
        allowed: set = set()
        for path in paths:
            rest = ids - allowed
            if not rest:
                break
            if path == "pk":
                allowed |= rest & {value.pk}
            elif isinstance(path, Through):
                related = apps.get_model(path.model)._default_manager
                lookup = {path.path: value, f"{path.fk}__in": rest}
                allowed |= set(related.filter(**lookup).values_list(path.fk, flat=True))
            else:
                rows = self.model._default_manager.filter(pk__in=rest).filter(
                    Q(**{path: value}) if isinstance(path, str) else path.q(value)
                )
                allowed |= set(rows.values_list("pk", flat=True))
        return self.filter(pk__in=allowed).kept()


def get_visible_or_404(model, user, **lookup):
    """The detail-page counterpart of ``visible_to``: out of scope answers 404."""
    return get_object_or_404(model.objects.visible_to(user), **lookup)
