"""Management credit (管理征信): identifiers checked by their check character, a person kept only as a salted hash and
a masked form, repeat offenders flagged, the register for leaders and law-enforcement units only, its export."""

import csv
import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from accounts.models import Role
from cases.credit import id_hash, id_mask, id_valid, uscc_valid
from cases.enforcement_selectors import enforcement_for_case, repeat_offender_ids, repeat_offenders_near
from cases.models import Category, EnforcementCase, FilingCondition, Party
from cases.services import enforcement as svc
from grids.models import Department
from tests.factories.accounts import user_posted

pytestmark = pytest.mark.django_db

VALID_USCC = "91350100M000100Y43"
VALID_ID = "11010519491231002X"


def test_the_credit_code_and_the_id_number_are_checked_by_their_check_character():
    assert uscc_valid(VALID_USCC) and uscc_valid(VALID_USCC.lower())
    assert not uscc_valid(VALID_USCC[:-1] + "4") and not uscc_valid("91350100M000100Y4") and not uscc_valid("")
    assert not uscc_valid("91350100M000100I43")  # I is not in the code's alphabet
    assert id_valid(VALID_ID) and not id_valid("110105194912310021") and not id_valid("١١٠١٠٥١٩٤٩١٢٣١٠٠٢X")
    assert id_mask(VALID_ID) == "1101************2X"
    assert id_hash(VALID_ID) == id_hash(VALID_ID.lower()) != id_hash("110105194912310010")


@pytest.fixture
def enforcer(personas):
    return user_posted(
        username="p-enforcer", role=Role.HANDLER, department=Department.objects.get(code="city-urban-enforcement")
    )


def chain_for(cases, name):
    category = Category.objects.get(kind="E", code="0501")
    cases.category, cases.condition = category, FilingCondition.objects.filter(category=category).first()
    case = cases.to("handling", case=cases.report(category=category, description=name))
    cases.act(
        case, "handler", "transfer_to_enforcement", note="移送", enforcement_body="city-urban-enforcement",
        violation="占道经营",
    )  # fmt: skip
    return EnforcementCase.objects.get(source=case)


def test_a_person_named_twice_is_one_party_kept_as_a_hash_and_flagged_once_twice_confirmed(cases, personas, enforcer):
    chains = [chain_for(cases, "第一次占道"), chain_for(cases, "第二次占道")]
    with pytest.raises(ValidationError) as bad:
        svc.enforcement_party_set(
            enforcement_id=chains[0].pk, actor=enforcer, kind="individual", name="李某", id_number="110105194912310021"
        )
    assert "id_number" in bad.value.message_dict and not Party.objects.exists()
    for chain in chains:
        party = svc.enforcement_party_set(
            enforcement_id=chain.pk, actor=enforcer, kind="individual", name="李某", id_number=VALID_ID
        )
    assert Party.objects.count() == 1
    stored = Party.objects.values().get()
    assert VALID_ID not in json.dumps(stored, default=str) and stored["id_masked"] == "1101************2X"
    assert repeat_offender_ids([party.pk]) == set()  # named, not yet confirmed
    for chain in chains:
        svc.enforcement_confirm(enforcement_id=chain.pk, actor=enforcer, offence_code="ZDJY")
    assert repeat_offender_ids([party.pk]) == {party.pk}
    assert enforcement_for_case(case=chains[0].source)[0].repeat_offender  # the case panel's flag
    # A new report at the same place: the operator (intake) and the dispatcher see the repeat offender on its panel.
    new = cases.report(description="又有人占道经营")
    assert {c.pk for c in repeat_offenders_near(case=new)} == {c.pk for c in chains}
    client = Client()
    client.force_login(personas["operator"])
    assert 'id="repeat-nearby"' in client.get(f"/command/cases/{new.pk}/").content.decode()


def test_the_register_is_for_leaders_and_enforcement_units_and_exports_its_documented_fields(cases, personas, enforcer):
    chain = chain_for(cases, "占道")
    svc.enforcement_party_set(
        enforcement_id=chain.pk, actor=enforcer, kind="business", name="=惠州某商贸有限公司", credit_code=VALID_USCC
    )
    svc.enforcement_confirm(enforcement_id=chain.pk, actor=enforcer, offence_code="ZDJY")
    for persona in ("dispatcher", "handler", "street_handler"):
        client = Client()
        client.force_login(personas[persona])
        assert client.get("/enforcement/credit/?format=csv").status_code == 403, persona
    client = Client()
    client.force_login(enforcer)
    rows = list(csv.DictReader(io.StringIO(client.get("/enforcement/credit/?format=csv").content.decode("utf-8-sig"))))
    assert rows == [
        {
            "party_id": str(Party.objects.get().pk),
            "kind": "business",
            "name": "'=惠州某商贸有限公司",
            "credit_code": VALID_USCC,
            "id_masked": "",
            "violations": "1",
            "rectifications": "0",
            "listings": "0",
            "last_violation": rows[0]["last_violation"],
            "repeat_offender": "False",
        }
    ]
    leader = Client()
    leader.force_login(personas["leader"])
    body = leader.get("/enforcement/credit/?format=json").json()
    assert body["schema"] == "cityops-credit/1" and body["parties"][0]["violations"] == 1
