"""The demo's Open311 client: the city's 12345 government-service platform, with two requests it posted a little
before the demo's moment, waiting in the supervision centre's 待受理 queue as reports from another system."""

from datetime import timedelta

from cases.models import Category, Open311Client
from cases.open311.services import open311_client_create, open311_request_post
from grids.models import Region

CLIENT_NAME = "12345 政务服务平台"
# (service, minutes before now, metres east of the community's point, description, address)
REQUESTS = (
    ("E0102", 35, 0, "市民通过12345平台反映：东湖路公交站旁垃圾堆放多日未清运，有异味", "惠城区桥东街道东湖路公交站"),
    ("E0201", 12, 120, "市民通过12345平台反映：小区门口电线杆上张贴大量小广告", "惠城区桥东街道东湖花园北门"),
)


def seed_open311(*, now, community_code: str) -> str:
    """The client (once; its key is not kept: issue one with `manage.py open311_client key`) and its two requests."""
    client = Open311Client.objects.filter(name=CLIENT_NAME).first()
    if client is None:
        client, _key = open311_client_create(name=CLIENT_NAME, contact="惠州市政务服务数据管理局 12345 热线")
    if client.requests.exists():
        return f"Open311 client {CLIENT_NAME} kept ({client.requests.count()} requests)"
    point = Region.objects.get(code=community_code).geom.point_on_surface
    for code, minutes, east_m, description, address in REQUESTS:
        open311_request_post(
            client=client,
            category=Category.objects.get(kind=code[0], code=code[1:], parent__isnull=False),
            lon=point.x + east_m / 102_300,
            lat=point.y,
            description=description,
            address=address,
            device_id="12345-demo",
            now=now - timedelta(minutes=minutes),
        )
    return f"Open311 client {CLIENT_NAME} with {len(REQUESTS)} requests waiting to be accepted"
