"""The reference data a load needs, read once into plain structures: catalogue, limits, places, departments, people.

Every lookup the generator makes per case is then a dict or list access, never a query.
"""

import random
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Q

from accounts.models import Posting, Role
from cases.clock import NATURAL, STEP_OF_STAGE, WORKING, budget_of, clock_of
from cases.models import Category, Clock, FilingCondition, StepLimit, TimeLimit, TimeUnit
from grids.models import Department, DepartmentKind, DepartmentLevel, Level, Region

from . import spread
from .clock import whole_minutes
from .rows import clean


class ReferenceMissing(Exception):
    """The demo grid, catalogue, departments or people are not loaded."""


@dataclass
class Limit:
    """A stage limit as the live clock reads it (cases/clock.py `limit_duration`).

    `fixed` minutes for hours (and for days on a natural clock: 24 h each); otherwise `amount` × the length
    of the working day counting begins on (`Simulator.limit_minutes`).
    """

    amount: Decimal
    natural: bool
    fixed: int | None


@dataclass
class Condition:
    id: int
    name: str
    natural: bool


@dataclass
class Kind:
    """A minor class (小类) with its filing conditions and routing."""

    id: int
    kind: str
    code: str
    name: str
    conditions: list
    condition_weights: list
    routing: tuple
    emergency: bool

    @property
    def display(self):
        return self.kind + self.code


@dataclass
class Leaf:
    """A deepest grid (community) with its path, area class, names, sampled points and people."""

    id: int
    path: str
    area_class: str
    street: str
    district: str
    place: str
    address: str
    points: list = field(default_factory=list)
    actors: dict = field(default_factory=dict)


@dataclass
class Reference:
    kinds: list
    limits: dict  # (condition id, urgency, area class) -> Limit
    steps: dict  # stage -> Limit
    leaves: list
    departments: dict  # code -> id
    street_offices: dict  # street code -> department id
    district_offices: dict  # district code -> department id
    department_codes: dict  # id -> code
    department_names: dict  # id -> name
    handlers: dict  # department id -> user id
    any_handler: int
    usernames: dict  # user id -> username


def _limit(value, unit, clock):
    amount = Decimal(value)
    natural = clock_of(unit=unit, clock=clock) == NATURAL
    if unit == TimeUnit.WORKING_DAY and not natural:
        return Limit(amount, natural, None)
    budget = budget_of(value=amount, unit=unit, clock=NATURAL if natural else WORKING, day=timedelta(0))
    return Limit(amount, natural, whole_minutes(budget))


def _kinds(prefixes=()):
    conditions = {}
    for condition in FilingCondition.objects.filter(active=True, category__active=True).order_by("position", "id"):
        conditions.setdefault(condition.category_id, []).append(
            Condition(condition.pk, condition.name, condition.clock == Clock.NATURAL)
        )
    kinds = []
    for category in Category.objects.filter(parent__isnull=False, active=True).order_by("kind", "code"):
        found = conditions.get(category.pk)
        if not found:
            continue
        display = category.kind + category.code
        if prefixes and not display.startswith(tuple(prefixes)):
            continue
        routing = spread.ROUTING.get(display) or spread.ROUTING_BY_MAJOR.get(display[:3], spread.ROUTING_DEFAULT)
        weights = [spread.CONDITION_WEIGHTS[min(i, len(spread.CONDITION_WEIGHTS) - 1)] for i in range(len(found))]
        emergency = display.startswith("E04") or any(c.natural for c in found)
        kinds.append(Kind(category.pk, category.kind, category.code, category.name, found, weights, routing, emergency))
    if not kinds and prefixes:
        raise ReferenceMissing(f"no active class starts with {', '.join(prefixes)}")
    if not kinds:
        raise ReferenceMissing("no catalogue: run `manage.py seed_demo` (or import_catalogue) first")
    return kinds


def _limits():
    limits = {
        (t.filing_condition_id, t.urgency, t.area_class): _limit(t.value, t.unit, t.filing_condition.clock)
        for t in TimeLimit.objects.select_related("filing_condition")
    }
    by_step = {s.step: s for s in StepLimit.objects.all()}
    steps = {}
    for stage, step in STEP_OF_STAGE.items():
        if step in by_step:
            steps[stage] = _limit(by_step[step].value, by_step[step].unit, Clock.WORKING)
    return limits, steps


def _short(name):
    for suffix in ("居民委员会", "村民委员会", "委员会"):
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def _leaves(rng: random.Random, points_per_leaf: int, within=()):
    # Communities are the leaves even where unit grids were cut from them: the generated history is spread over
    # the four-level grid (a report made through the services lands in its unit grid).
    below = Count("children", filter=~Q(children__level=Level.UNIT))
    regions = (
        Region.objects.current().defer("geom").exclude(level=Level.UNIT).annotate(n=below).filter(geom__isnull=False)
    )
    if within:
        under = Q()
        for path in within:
            under |= Q(path__startswith=path)
        regions = regions.filter(under)
    names = dict(Region.objects.values_list("path", "name"))
    leaves = []
    for region in regions.filter(n=0).order_by("path"):
        codes = [c for c in region.path.split("/") if c]
        if len(codes) < 3:
            continue
        district, street = codes[1], codes[2]
        street_name = names.get(f"/{codes[0]}/{district}/{street}/", "")
        district_name = names.get(f"/{codes[0]}/{district}/", "")
        place = clean(street_name + _short(region.name))
        address = clean(district_name) + place
        leaves.append(Leaf(region.pk, region.path, region.area_class, street, district, place, address))
    if not leaves:
        where = f" under {', '.join(within)}" if within else ""
        raise ReferenceMissing(f"no grid with boundaries{where}: run `manage.py seed_demo` first")
    _sample_points(leaves, rng.randrange(1, 2**31), points_per_leaf)
    return leaves


def _sample_points(leaves, seed, per_leaf):
    """Points inside each leaf's boundary, drawn once in SQL (ST_GeneratePoints) as hex EWKB for COPY."""
    by_id = {leaf.id: leaf for leaf in leaves}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.id, encode(ST_AsEWKB(d.geom), 'hex') FROM grids_region r, "
            "LATERAL ST_Dump(ST_GeneratePoints(r.geom, %s, %s + r.id::int)) d "
            "WHERE r.id = ANY(%s) ORDER BY r.id, d.path",
            [per_leaf, seed % 1_000_000_000, list(by_id)],
        )
        for region_id, point in cursor.fetchall():
            by_id[region_id].points.append(point)
    empty = [leaf.path for leaf in leaves if not leaf.points]
    if empty:
        raise ReferenceMissing(f"no points could be drawn inside {empty[:3]}")


def _departments():
    departments = {d.code: d for d in Department.objects.filter(active=True).select_related("home_region")}
    codes = {d.pk: code for code, d in departments.items()}
    names = {d.pk: d.name for d in departments.values()}
    streets = {d.home_region.code: d.pk for d in departments.values() if d.kind == DepartmentKind.STREET_OFFICE}
    districts = {
        d.home_region.code: d.pk
        for d in departments.values()
        if d.level == DepartmentLevel.DISTRICT and d.kind == DepartmentKind.GOVERNMENT
    }
    if not streets:
        raise ReferenceMissing("no street offices: run `manage.py seed_demo` first (departments)")
    return {code: d.pk for code, d in departments.items()}, streets, districts, codes, names


REGION_ROLES = (Role.GRID_WORKER, Role.OPERATOR, Role.SHIFT_LEAD, Role.DISPATCHER, Role.LEADER)


def _people(leaves):
    """Per leaf, the user acting in each role: the one posted deepest over it, else anyone with the role."""
    postings = Posting.objects.current().filter(user__is_active=True).select_related("region", "user")
    by_role = {role: [] for role in REGION_ROLES}
    handlers, usernames = {}, {}
    for posting in postings.order_by("user_id", "id"):
        usernames[posting.user_id] = posting.user.username
        if posting.role == Role.HANDLER and posting.department_id:
            handlers.setdefault(posting.department_id, posting.user_id)
        elif posting.role in by_role and posting.region_id:
            by_role[posting.role].append((posting.region.path, posting.user_id))
    missing = [role for role, held in by_role.items() if not held]
    if missing or not handlers:
        missing += [] if handlers else [Role.HANDLER]
        raise ReferenceMissing(
            f"no current posting for role(s) {', '.join(missing)}: run `manage.py seed_demo` first (people)"
        )
    for role, held in by_role.items():
        held.sort(key=lambda item: (-len(item[0]), item[1]))
        fallback = min(held, key=lambda item: (len(item[0]), item[1]))[1]
        for leaf in leaves:
            leaf.actors[role] = next((user for path, user in held if leaf.path.startswith(path)), fallback)
    return handlers, min(handlers.values()), usernames


def reference_load(
    *, rng: random.Random, points_per_leaf: int = spread.POINTS_PER_COMMUNITY, within=(), categories=()
) -> Reference:
    """Read everything a load needs (places only under the region paths `within`, when given); raises
    ReferenceMissing naming what to seed first. `categories` keeps only the classes with those display prefixes."""
    kinds = _kinds(categories)
    limits, steps = _limits()
    leaves = _leaves(rng, points_per_leaf, within)
    departments, streets, districts, codes, names = _departments()
    handlers, any_handler, usernames = _people(leaves)
    return Reference(
        kinds=kinds,
        limits=limits,
        steps=steps,
        leaves=leaves,
        departments=departments,
        street_offices=streets,
        district_offices=districts,
        department_codes=codes,
        department_names=names,
        handlers=handlers,
        any_handler=any_handler,
        usernames=usernames,
    )
