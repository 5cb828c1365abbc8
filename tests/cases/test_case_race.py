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


@pytest.mark.django_db(transaction=True)
def test_a_reports_transaction_does_not_hold_the_days_number_row_and_numbers_stay_consecutive(cases, monkeypatch):
    """Concurrent reports do not queue behind the day's sequence row: while one report's transaction is open (its
    event being written), another connection can lock the row at once (NOWAIT), and the number is already taken."""
    from django.db import connections
    from django.db.utils import DEFAULT_DB_ALIAS, load_backend
    from django.utils import timezone

    from cases.models import CaseNumberSequence
    from cases.services import intake

    first = cases.report()
    day = timezone.localdate()
    seen = []
    record = intake.case_event_record

    def while_open(**kwargs):
        settings_dict = connections[DEFAULT_DB_ALIAS].settings_dict
        other = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, DEFAULT_DB_ALIAS)
        try:
            with other.cursor() as cursor:
                cursor.execute("BEGIN")
                table = CaseNumberSequence._meta.db_table
                cursor.execute(f"SELECT last FROM {table} WHERE day = %s FOR UPDATE NOWAIT", [day])  # noqa: S608
                seen.append(cursor.fetchone()[0])
                cursor.execute("ROLLBACK")
        finally:
            other.close()
        return record(**kwargs)

    monkeypatch.setattr(intake, "case_event_record", while_open)
    second = cases.report()
    assert int(second.number[13:]) == int(first.number[13:]) + 1
    assert seen == [int(second.number[13:])]
