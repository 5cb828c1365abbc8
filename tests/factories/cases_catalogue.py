"""Factories for the catalogue. Codes start with 9, which the Huizhou catalogue does not use, so both mix."""

from decimal import Decimal

import factory

from cases.catalogue import category_initials
from cases.models import Category, CategoryKind, Clock, FilingCondition, StepLimit, TimeLimit, TimeUnit, Urgency


class MajorCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ["kind", "code"]

    kind = CategoryKind.EVENT
    code = "99"
    name = "测试大类"
    parent = None
    initials = factory.LazyAttribute(lambda c: category_initials(name=c.name))


class CategoryFactory(MajorCategoryFactory):
    """A minor class under the test major class 99 of the same kind."""

    code = factory.Sequence(lambda n: f"99{n:03d}")
    name = factory.Sequence(lambda n: f"测试小类{n}")
    parent = factory.SubFactory(MajorCategoryFactory, kind=factory.SelfAttribute("..kind"))


class FilingConditionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FilingCondition

    category = factory.SubFactory(CategoryFactory)
    name = factory.Sequence(lambda n: f"立案条件{n}")
    filing_text = "测试用立案条件：公共区域出现需要处置的问题。"
    closing_text = "问题已处置，现场恢复正常。"
    clock = Clock.WORKING
    position = 0


class TimeLimitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimeLimit
        django_get_or_create = ["filing_condition", "urgency", "area_class"]

    filing_condition = factory.SubFactory(FilingConditionFactory)
    urgency = Urgency.NORMAL
    area_class = "1"
    value = Decimal("4")
    unit = factory.LazyAttribute(
        lambda t: TimeUnit.NATURAL_HOUR if t.filing_condition.clock == Clock.NATURAL else TimeUnit.WORKING_HOUR
    )


class StepLimitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StepLimit
        django_get_or_create = ["step"]

    step = "accept"
    value = Decimal("0.5")
    unit = TimeUnit.WORKING_HOUR


def filing_condition_with_limits(*, value=Decimal("4"), unit=None, **fields) -> FilingCondition:
    """A filing condition with a limit of `value` for both urgencies and both area classes."""
    condition = FilingConditionFactory(**fields)
    for urgency in Urgency.values:
        for area_class in ("1", "2"):
            extra = {"unit": unit} if unit else {}
            TimeLimitFactory(filing_condition=condition, urgency=urgency, area_class=area_class, value=value, **extra)
    return condition
