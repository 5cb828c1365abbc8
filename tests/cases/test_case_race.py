"""Two processes race the same transition: exactly one wins, the other gets 409, one event row."""

import threading

import pytest
from django.db import connection

from cases.models import CaseEvent
from cases.services import case_transition
from huizhou_cityops.errors import ConflictError


@pytest.mark.django_db(transaction=True)
def test_two_racing_accepts_give_one_success_one_conflict_and_one_event(cases, personas):
    case = cases.report()
    barrier = threading.Barrier(2)
    outcomes = []

    def accept():
        try:
            barrier.wait()
            case_transition(case_id=case.pk, actor=personas["operator"], action="accept")
            outcomes.append("ok")
        except ConflictError:
            outcomes.append("409")
        finally:
            connection.close()

    threads = [threading.Thread(target=accept) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["409", "ok"]
    assert CaseEvent.objects.filter(case=case, action="accept").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_racing_different_actions_give_one_winner(cases, personas):
    case = cases.to("to_register")
    barrier = threading.Barrier(2)
    outcomes = {}

    def run(name, actor, action, **params):
        try:
            barrier.wait()
            case_transition(case_id=case.pk, actor=personas[actor], action=action, note="race", params=params)
            outcomes[name] = "ok"
        except ConflictError:
            outcomes[name] = "409"
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=("refuse", "shift_lead", "refuse_registration")),
        threading.Thread(target=run, args=("void", "operator", "request_void")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values()) == ["409", "ok"]
    assert CaseEvent.objects.filter(case=case).exclude(action__in=["report", "accept"]).count() == 1
