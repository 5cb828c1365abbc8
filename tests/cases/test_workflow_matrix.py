"""Every (state × action) pair is accepted or refused as cases/workflow.py says, for every role in and out of scope."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from accounts.models import Role
from cases.models import AssistPart, Case, Status
from cases.permissions import case_action_role
from cases.workflow import ACTIONS, ASSIGNEE, LEAD_DEPARTMENT
from cases.workflow.spec import ASSISTING
from huizhou_cityops.errors import ConflictError

pytestmark = pytest.mark.django_db

PERSONA_OF_ROLE = {
    Role.OPERATOR: "operator",
    Role.SHIFT_LEAD: "shift_lead",
    Role.DISPATCHER: "dispatcher",
    Role.LEADER: "leader",
    Role.HANDLER: "handler",
    Role.GRID_WORKER: "grid_worker",
}


class Rollback(Exception):
    pass


def attempt(cases, case, persona, action):
    """Run the action in a savepoint that is always rolled back; returns the exception or None."""
    try:
        with transaction.atomic():
            try:
                cases.act(case, persona, action, note="matrix")
            except Exception as exc:  # the outcome is what the test inspects
                raise Rollback(exc) from exc
            raise Rollback(None)
    except Rollback as outcome:
        return outcome.args[0]


@pytest.fixture
def prepared(cases, personas):
    case = cases.to("handling")
    Case.objects.filter(pk=case.pk).update(assignee=personas["grid_worker"], self_handled=True)
    # The street office assists, so an assisting department's action has someone in its scope.
    street_office = personas["street_handler"].postings.get().department
    case.assisting_departments.add(street_office)
    AssistPart.objects.reopen_for(case=case, departments=[street_office], now=timezone.now())
    return case


def persona_for(action):
    if action.scope == ASSISTING:
        return "street_handler"
    return PERSONA_OF_ROLE[sorted(action.roles)[0]]


@pytest.mark.parametrize("status", [s.value for s in Status])
def test_each_action_is_refused_with_409_exactly_when_the_table_says(cases, personas, prepared, status):
    Case.objects.filter(pk=prepared.pk).update(status=status, resume_status="to_dispatch")
    for name, action in ACTIONS.items():
        outcome = attempt(cases, prepared, persona_for(action), name)
        wrong_state = isinstance(outcome, ConflictError) and outcome.code == "wrong_status"
        assert wrong_state == (status not in action.sources), (status, name, outcome)


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_each_action_is_allowed_only_to_its_roles_and_hidden_from_outsiders(cases, personas, prepared, name):
    action = ACTIONS[name]
    case = Case.objects.get(pk=prepared.pk)
    for role, persona in PERSONA_OF_ROLE.items():
        if role == Role.HANDLER and action.scope == ASSISTING:
            persona = "street_handler"
        allowed = case_action_role(user=personas[persona], case=case, action=action) is not None
        assert allowed == (role in action.roles), (name, role)
    # Someone posted over another district cannot even find the case.
    Case.objects.filter(pk=case.pk).update(status=sorted(action.sources)[0])
    with pytest.raises(Http404):
        cases.act(case, "outsider", name, note="x")
    # The right role but the wrong department / not the assignee: refused.
    if action.scope == LEAD_DEPARTMENT:
        assert case_action_role(user=personas["street_handler"], case=case, action=action) is None
    if action.scope == ASSIGNEE:
        Case.objects.filter(pk=case.pk).update(assignee=None)
        case.refresh_from_db()
        assert case_action_role(user=personas["grid_worker"], case=case, action=action) is None


def test_district_dispatcher_may_dispatch_in_the_district_and_outsider_may_not(cases, personas):
    case = cases.to("to_dispatch")
    dispatch = ACTIONS["dispatch"]
    assert case_action_role(user=personas["district_dispatcher"], case=case, action=dispatch) == Role.DISPATCHER
    assert case_action_role(user=personas["outsider"], case=case, action=dispatch) is None
    with pytest.raises(PermissionDenied):
        cases.act(case, "grid_worker", "dispatch", lead_department=personas["handler_department"].code)


def test_the_action_table_in_the_docs_is_the_registry():
    """docs/actions.md is generated from the declarations; regenerate it with `manage.py workflow_diagram --doc`."""
    from pathlib import Path

    from django.conf import settings

    from cases.workflow import as_document

    assert (Path(settings.BASE_DIR) / "docs" / "actions.md").read_text(encoding="utf-8") == as_document()
