"""Offered ⇔ permitted: over random case histories and every persona, each action `allowed_actions` offers
succeeds with valid parameters, and each action it does not offer is refused (403, 404 or 409) and changes nothing.

Hypothesis drives the real services on the real database: a rule takes an offered action (so histories reach every
state: returns, extensions large and small, suspensions, rework, voids rejected and approved, 改派), another tries an
action that is not offered, a third escalates the case to the city command centre (so take-over is offered).
Profiles in tests/conftest.py set the number of examples (CI: a few hundred).
"""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from accounts.models import Posting, Role
from accounts.services import posting_grant
from cases.models import AssistPart, Case, CaseEvent, CaseRequest, FilingCondition, Source, Urgency
from cases.permissions import case_allowed_actions
from cases.selectors import pending_requests
from cases.services import case_transition
from cases.workflow import ACTIONS
from huizhou_cityops.errors import ConflictError
from tests.factories.accounts import user_posted
from tests.fixtures.cases import jpeg_upload

pytestmark = pytest.mark.django_db

PERSONAS = (
    "grid_worker",
    "operator",
    "shift_lead",
    "dispatcher",
    "district_dispatcher",
    "handler",
    "street_handler",
    "leader",
    "dispatcher_leader",  # two roles over the same grid: acts under whichever the guards accept
    "outsider",
)


def _valid_params(data, world, case, name):
    """Parameters a careful user would give for `name` on `case` (drawn, so both outcomes and sizes occur)."""
    params = {}
    for param in ACTIONS[name].params:
        if param.name == "assignee":
            params["assignee"] = world["grid_worker"].username
        elif param.name in ("result", "passed"):
            params[param.name] = data.draw(st.booleans(), label=param.name)
        elif param.name == "master":
            params["master"] = world["master"].number
        elif param.name == "filing_condition":
            conditions = FilingCondition.objects.filter(category=case.category, active=True).order_by("pk")
            params["filing_condition"] = data.draw(st.sampled_from(list(conditions)), label="condition").pk
        elif param.name == "urgency":
            params["urgency"] = data.draw(st.sampled_from(Urgency.values), label="urgency")
        elif param.name == "lead_department":
            # 改派 sends the case to another department than the one that has it.
            current = case.lead_department.code if name == "redispatch" and case.lead_department_id else None
            choices = [code for code in world["departments"] if code != current]
            params["lead_department"] = data.draw(st.sampled_from(choices), label="lead")
        elif param.name == "assisting_departments":
            # The other persona's department assists now and then, so that 协办 parts occur in the histories.
            others = [d for d in world["departments"] if d != params.get("lead_department")]
            params["assisting_departments"] = data.draw(st.lists(st.sampled_from(others), max_size=1), label="assist")
        elif param.name == "parts_missing":
            # A careful lead ticks "协办部门未反馈" when parts are open; otherwise either answer is fine.
            open_parts = AssistPart.objects.open().filter(case=case).exists()
            params["parts_missing"] = open_parts or data.draw(st.booleans(), label="parts_missing")
        elif param.name == "hours":
            # Both sides of the dispatcher's limit (21 h by default): large ones need a leader.
            hours = data.draw(st.sampled_from(["0.5", "1.01", "8", "30"]), label="hours")
            params["hours"] = Decimal(hours)
        elif param.name == "enforcement_body":
            params["enforcement_body"] = "city-urban-enforcement"
        elif param.name == "violation":
            params["violation"] = "占道经营"
        else:  # a new parameter needs a valid value here
            raise AssertionError(f"no valid value known for parameter {param.name}")
    return params


def _take(world, case, persona, name, params):
    spec = ACTIONS[name]
    return case_transition(
        case_id=case.pk,
        actor=world[persona],
        action=name,
        note="property test note",
        params=params,
        photos=[jpeg_upload()] if spec.needs_photo else (),
    )


def _snapshot(case):
    row = Case.objects.filter(pk=case.pk).values("status", "stage_deadline", "assignee", "lead_department").get()
    return row, CaseEvent.objects.filter(case=case).count(), CaseRequest.objects.filter(case=case).count()


def _machine(world, cases):
    class OfferedEqualsPermitted(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.case = None

        @initialize(source=st.sampled_from([Source.GRID_WORKER, Source.HOTLINE_12345]), fixed=st.booleans())
        def report(self, source, fixed):
            if source == Source.GRID_WORKER:
                photos = [jpeg_upload()] if fixed else ()
                self.case = cases.report(source=source, self_handled=fixed, photos=photos)
            else:
                self.case = cases.report(actor=world["operator"], source=source)

        def _load(self):
            # As the panel and the API ask it: pending requests read through the selector, not the service.
            case = Case.objects.prefetch_related("requests").get(pk=self.case.pk)
            return case, pending_requests(case)

        def _offered(self, persona):
            case, pending = self._load()
            return case, case_allowed_actions(user=world[persona], case=case, pending=pending)

        @rule(data=st.data())
        def take_an_offered_action(self, data):
            # One read of the case serves every persona: nothing changes it between their questions.
            case, pending = self._load()
            choices = [
                (p, a) for p in PERSONAS for a in case_allowed_actions(user=world[p], case=case, pending=pending)
            ]
            if not choices:  # an end state: nothing is offered to anyone
                assert Case.objects.get(pk=self.case.pk).is_final
                return
            persona, name = data.draw(st.sampled_from(choices), label="offered")
            case = Case.objects.get(pk=self.case.pk)
            params = _valid_params(data, world, case, name)
            before = CaseEvent.objects.filter(case=case).count()
            _take(world, case, persona, name, params)  # must not raise
            assert CaseEvent.objects.filter(case=case).count() == before + 1

        @rule()
        def escalate_to_the_city(self):
            # The timers' escalation lifts the case before the city command centre, which may then take it over.
            from dispatch.services.routing import routing_escalate_to_city

            routing_escalate_to_city(case_id=self.case.pk)

        @rule(data=st.data(), persona=st.sampled_from(PERSONAS), name=st.sampled_from(sorted(ACTIONS)))
        def try_an_action_not_offered(self, data, persona, name):
            case, offered = self._offered(persona)
            if name in offered:
                return
            params = _valid_params(data, world, case, name)
            before = _snapshot(case)
            with pytest.raises((PermissionDenied, Http404, ConflictError)) as refused:
                _take(world, case, persona, name, params)
            assert not isinstance(refused.value, ValidationError)
            assert _snapshot(case) == before

        @invariant()
        def outsiders_never_see_the_case(self):
            assert not Case.objects.visible_to(world["outsider"]).filter(pk=self.case.pk).exists()

    return OfferedEqualsPermitted


@pytest.mark.slow
def test_every_offered_action_succeeds_and_every_other_is_refused(cases, personas):
    street_department = Posting.objects.get(user=personas["street_handler"]).department
    both = user_posted(
        username="p-dispatcher-leader", role=Role.DISPATCHER, region=personas["leader"].postings.get().region
    )
    posting_grant(user=both, role=Role.LEADER, region=personas["leader"].postings.get().region)
    world = {
        **personas,
        "dispatcher_leader": both,
        "departments": [personas["handler_department"].code, street_department.code],
        "master": cases.report(description="同一堆垃圾，较早的报告"),
    }
    # Twenty steps take a report through the whole loop with a side branch or two; the profile sets how many runs.
    run_state_machine_as_test(_machine(world, cases), settings=settings(settings.default, stateful_step_count=20))


def test_permits_answers_as_decide_for_every_person_action_and_state(cases, personas):
    # `permits` skips the refusal's words and looks at the state first; it must say yes exactly when `decide` does.
    states = ("reported", "to_register", "to_dispatch", "handling", "to_check", "checking", "to_close")
    people = [v for v in personas.values() if isinstance(v, get_user_model())]
    compared = allowed = 0
    for case in (cases.to(status) for status in states):
        case = Case.objects.get(pk=case.pk)
        pending = {r.kind: r for r in pending_requests(case)}
        for user in people:
            for spec in ACTIONS.values():
                decided = spec.decide(user=user, case=case, pending=pending)[1] is None
                assert spec.permits(user=user, case=case, pending=pending) == decided, (spec.name, user, case.status)
                compared += 1
                allowed += decided
    assert compared > 100 and allowed > 3  # not vacuous: several people may act on these cases
