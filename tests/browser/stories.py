"""Realistic cases for the browser tests and their screenshots, made through the real services.

Cases are reported in real communities of 惠城区 with drawn photos, walked through the workflow by the personas,
and aged where a light must be yellow or red: the whole walk happens at an earlier instant, so the stage clock
runs from there exactly as it would have (nothing is written behind the services' back).
"""

import io
import random
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from cases.clock import add_time
from cases.models import Case, Category, FilingCondition
from cases.services.stages import stage_limit
from cases.workflow import STAGE_OF
from grids.models import Region

# Where the story happens: communities of 桥东街道 and its neighbours, 惠城区.
PLACES = {
    "441302001001": "惠城区桥东街道东湖路",  # 东湖社区 (the grid worker's community)
    "441302001003": "惠城区桥东街道新建路",
    "441302001005": "惠城区桥东街道菜园墩",
    "441302001011": "惠城区桥东街道东河路",
    "441302002001": "惠城区桥西街道麦地路",
    "441302002004": "惠城区桥西街道数码街",
    "441302003002": "惠城区江南街道祝屋巷",
    "441302003004": "惠城区江南街道共建路",
}
SCENE_COLOURS = {"before": (128, 96, 64), "after": (150, 150, 150)}


def scene_jpeg(name="photo.jpg", *, seed=0, kind="before", size=(640, 480)):
    """A small street scene: sky, buildings, road, and a pile (before) or a clean pavement (after)."""
    rng = random.Random(seed)
    width, height = size
    image = Image.new("RGB", size, (176, 204, 228))
    draw = ImageDraw.Draw(image)
    horizon = int(height * 0.45)
    x = 0
    while x < width:  # buildings
        w, h = rng.randint(60, 140), rng.randint(90, 200)
        tone = rng.randint(150, 215)
        draw.rectangle([x, horizon - h, x + w, horizon], fill=(tone, tone - 8, tone - 20))
        for wy in range(horizon - h + 12, horizon - 10, 24):
            for wx in range(x + 8, x + w - 12, 20):
                draw.rectangle([wx, wy, wx + 9, wy + 12], fill=(90, 110, 130))
        x += w + rng.randint(0, 10)
    draw.rectangle([0, horizon, width, height], fill=(112, 112, 116))  # road
    draw.rectangle([0, horizon, width, horizon + 40], fill=(190, 186, 178))  # pavement
    for lane in range(0, width, 90):
        draw.rectangle([lane, int(height * 0.75), lane + 50, int(height * 0.75) + 8], fill=(235, 235, 230))
    if kind == "before":
        cx, cy = rng.randint(160, 480), horizon + 70
        for _ in range(26):
            r = rng.randint(14, 38)
            dx, dy = rng.randint(-90, 90), rng.randint(-30, 30)
            colour = tuple(max(0, min(255, c + rng.randint(-40, 40))) for c in SCENE_COLOURS["before"])
            draw.ellipse([cx + dx - r, cy + dy - r, cx + dx + r, cy + dy + r], fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


class Story:
    """Cases of a working day in 惠城区, made by the personas through the services."""

    def __init__(self, cases, personas):
        self.cases = cases
        self.p = personas
        self._seed = 0

    def photos(self, kind, n=1):
        self._seed += 1
        return [scene_jpeg(f"{kind}-{self._seed}-{i}.jpg", seed=self._seed * 10 + i, kind=kind) for i in range(n)]

    def report(self, category, description, place, *, now=None, photos=1, by="operator", source="hotline_12345"):
        kind, code = category[0], category[1:]
        point = Region.objects.get(code=place).geom.point_on_surface
        fields = {"category": Category.objects.get(kind=kind, code=code), "description": description}
        fields.update(lon=point.x, lat=point.y, address=f"{PLACES[place]}{self._seed % 90 + 3}号附近", now=now)
        fields["photos"] = self.photos("before", photos)
        if by == "operator":
            fields.update(source=source, contact_name="陈先生", contact_phone="13826681234")
        return self.cases.report(actor=self.p[by], **fields)

    def walk(self, case, status, *, now=None, lead="city-urban-management", assignee=None):
        """Bring the case to `status` along the main path; follows an auto-dispatch if the list makes one."""
        condition = FilingCondition.objects.filter(category_id=case.category_id, active=True).order_by("pk").first()
        steps = {
            "reported": ("operator", "accept", {}),
            "to_register": ("shift_lead", "register", {"filing_condition": condition.pk, "urgency": "normal"}),
            "to_dispatch": ("dispatcher", "dispatch", {"lead_department": lead}),
            "handling": ("handler", "feedback", {}),
            "to_check": ("operator", "request_check", {"assignee": (assignee or self.p["grid_worker"]).username}),
            "checking": ("grid_worker", "check", {"passed": True}),
            "to_close": ("shift_lead", "close", {}),
        }
        while case.status != status:
            actor, action, params = steps[case.status]
            note, photos = "", ()
            if action == "feedback":
                note, photos = "已安排人员清理完毕，现场恢复整洁。", self.photos("after", 2)
            elif action == "dispatch":
                note = "请按时限处置并反馈。"
            self.cases.act(case, actor, action, note=note, photos=photos, now=now, **params)
            case = Case.objects.get(pk=case.pk)  # the platform may have moved it on (auto-dispatch)
        return case

    def aged(self, category, description, place, status, *, used, **walk):
        """A case whose `status` stage has used `used` × its limit by now (0.9: yellow, 2: red).

        The limit is the one the stage clock will use (catalogue or step limit for this place and category); the
        report and the walk then happen that much working time ago.
        """
        kind, code = category[0], category[1:]
        found = Category.objects.get(kind=kind, code=code)
        condition = FilingCondition.objects.filter(category=found, active=True).order_by("pk").first()
        region = Region.objects.defer("geom").get(code=place)
        model = Case(category=found, filing_condition=condition, urgency="normal", region=region)
        budget, clock = stage_limit(model, STAGE_OF[status], timezone.now())
        start = add_time(start=timezone.now(), duration=-budget * used, clock=clock)
        case = self.report(category, description, place, now=start - timedelta(minutes=5))
        return self.walk(case, status, now=start, **walk)


def wait_for_photos(page, scope="#case-panel"):
    """Screenshots wait until the panel's thumbnails have loaded."""
    page.wait_for_function(
        f"() => Array.from(document.querySelectorAll('{scope} img')).every(img => img.complete && img.naturalWidth > 0)"
    )
