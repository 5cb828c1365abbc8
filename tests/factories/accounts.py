"""Factories for people: users and their postings (postings go through posting_grant, so they are valid)."""

import factory

from accounts.models import Posting, Role, User
from accounts.services import posting_grant

TEST_PASSWORD = "kapok-tree-1919"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Faker("name", locale="zh_CN")
    email = factory.LazyAttribute(lambda u: f"{u.username}@cityops.example.gov.cn")
    password = factory.django.Password(TEST_PASSWORD)


class PostingFactory(factory.django.DjangoModelFactory):
    """A posting; give `region` for region roles, `department` for handlers."""

    class Meta:
        model = Posting

    user = factory.SubFactory(UserFactory)
    role = Role.DISPATCHER
    region = None
    department = None

    @classmethod
    def _create(cls, model_class, *, user, role, region=None, department=None, **kwargs):
        posting = posting_grant(user=user, role=role, region=region, department=department)
        if kwargs:
            Posting.objects.filter(pk=posting.pk).update(**kwargs)
            posting.refresh_from_db()
        return posting


def user_posted(*, username: str, role: str, region=None, department=None, **user_fields) -> User:
    """A user holding one posting."""
    user = UserFactory(username=username, **user_fields)
    PostingFactory(user=user, role=role, region=region, department=department)
    return user
