"""The people part of `seed_demo`: ten demo accounts, one per persona, all with the password `cityops-demo`."""

from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from accounts.models import Posting, Role, User
from accounts.services import posting_grant

DEMO_PASSWORD = "cityops-demo"  # noqa: S105 - the published demo password, never used outside the demo


@dataclass(frozen=True)
class DemoAccount:
    username: str
    full_name: str
    role: str
    region_code: str = ""
    department_code: str = ""
    superuser: bool = False


DEMO_ACCOUNTS = [
    DemoAccount("admin", "李建国", Role.ADMINISTRATOR, region_code="4413", superuser=True),
    # 东湖社区居委会, a residents' committee of 桥东街道 (惠城区).
    DemoAccount("gridworker", "张伟", Role.GRID_WORKER, region_code="441302001001"),
    DemoAccount("operator", "王芳", Role.OPERATOR, region_code="4413"),
    DemoAccount("shiftlead", "刘洋", Role.SHIFT_LEAD, region_code="4413"),
    DemoAccount("dispatcher", "陈静", Role.DISPATCHER, region_code="4413"),
    DemoAccount("district-dispatcher", "杨帆", Role.DISPATCHER, region_code="441302"),
    DemoAccount("handler", "黄志明", Role.HANDLER, department_code="city-urban-management"),
    DemoAccount("street-handler", "赵丽娟", Role.HANDLER, department_code="street-441302001"),
    # 惠州市城市管理综合执法支队: the enforcement body of the demo's chains (移送 → 办结反馈).
    DemoAccount("enforcer", "孙志强", Role.HANDLER, department_code="city-urban-enforcement"),
    DemoAccount("leader", "周国平", Role.LEADER, region_code="4413"),
    DemoAccount("auditor", "吴晓敏", Role.ASSESSOR, region_code="4413"),
]


def _target(account: DemoAccount) -> dict:
    # accounts sits below grids and imports none of its code: the grid's models are reached through the
    # posting's foreign keys, which name them by string (docs/architecture.md).
    Region = Posting._meta.get_field("region").related_model
    Department = Posting._meta.get_field("department").related_model
    try:
        if account.department_code:
            return {"department": Department.objects.get(code=account.department_code)}
        return {"region": Region.objects.defer("geom").get(code=account.region_code)}
    except (Department.DoesNotExist, Region.DoesNotExist) as exc:
        raise ImproperlyConfigured(_("Seed the grid and its departments before the demo accounts.")) from exc


def seed(*, stdout=None) -> str:
    """Create or reset the demo accounts: password, names and postings are put back each run. Idempotent."""
    for account in DEMO_ACCOUNTS:
        target = _target(account)
        user, _created = User.objects.update_or_create(
            username=account.username,
            defaults={
                "full_name": account.full_name,
                "email": f"{account.username}@cityops.example.gov.cn",
                "is_active": True,
                "is_staff": account.superuser,
                "is_superuser": account.superuser,
            },
        )
        # set_password skips AUTH_PASSWORD_VALIDATORS on purpose: the demo password is short and published.
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        posting = posting_grant(user=user, role=account.role, **target)
        user.postings.exclude(pk=posting.pk).delete()
        if account.department_code:
            # The demo's handlers are their department's people on duty: an emergency reaches them at once.
            target["department"].duty_users.add(user)
    return f"{len(DEMO_ACCOUNTS)} accounts (password {DEMO_PASSWORD})"
