"""The demo's facility inventory (部件) in 桥东街道: a few hundred facilities with their owners, some maintained by
contractors (市场化), loaded through the import service from a generated CSV, the way a city loads its survey.

The points are drawn inside the street's communities by ST_GeneratePoints with a fixed seed, so a second run
updates the same facilities (codes are stable) instead of adding new ones.
"""

import csv
import tempfile
from pathlib import Path

from django.db import connection

from cases.services.facilities import facilities_import
from grids.models import Department, DepartmentKind, DepartmentLevel, Region

SEED = 0.4413
PER_COMMUNITY = {"first": 60, "other": 24}
# Class → (owner, maintainer or ""): who owns each kind of facility in the demo (权属), and the contractors that
# keep lamps, bins and toilets for their owners.
LIGHTING = "contractor-qiaodong-lighting"
SANITATION = "contractor-qiaodong-sanitation"
CONTRACTORS = {
    LIGHTING: "惠州市明光路灯养护工程有限公司（桥东片区）",
    SANITATION: "惠州市洁城环卫服务有限公司（桥东片区）",
}
OWNERS = {
    "0101": ("utility-water-supply", ""),
    "0102": ("city-water", ""),
    "0103": ("city-municipal-gardens", ""),
    "0105": ("utility-power", ""),
    "0106": ("city-municipal-gardens", LIGHTING),
    "0107": ("utility-telecom", ""),
    "0111": ("utility-gas", ""),
    "0114": ("", ""),
    "0118": ("city-municipal-gardens", LIGHTING),
    "0209": ("city-traffic-police", ""),
    "0301": ("huicheng-urban-management", SANITATION),
    "0305": ("huicheng-urban-management", SANITATION),
    "0402": ("city-municipal-gardens", ""),
}
NAMES = {
    "0101": "上水井盖",
    "0102": "污水井盖",
    "0103": "雨水井盖",
    "0105": "电力井盖",
    "0106": "路灯井盖",
    "0107": "通讯井盖",
    "0111": "燃气井盖",
    "0114": "无主井盖",
    "0118": "路灯",
    "0209": "交通标志牌",
    "0301": "公共厕所",
    "0305": "垃圾箱",
    "0402": "行道树",
}


def contractors_seed(street_code: str) -> int:
    """The two contractors of the demo street (Department kind contractor); returns how many exist."""
    street = Region.objects.defer("geom").get(code=street_code)
    for code, name in CONTRACTORS.items():
        Department.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "level": DepartmentLevel.STREET,
                "kind": DepartmentKind.CONTRACTOR,
                "home_region": street,
                "contact_name": "项目经理",
                "active": True,
            },
        )
    return len(CONTRACTORS)


def _points(street_code, first_community):
    """(community code, lon, lat) drawn in every community of the street, more in the grid worker's own."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT r.code, ST_X(p.geom), ST_Y(p.geom)
            FROM grids_region r,
                 LATERAL ST_Dump(ST_GeneratePoints(r.geom, CASE WHEN r.code = %s THEN %s ELSE %s END, 2260)) p
            WHERE r.parent_id = (SELECT id FROM grids_region WHERE code = %s) AND r.geom IS NOT NULL
              AND r.level = 'community'
            ORDER BY r.code, p.path
            """,
            [first_community, PER_COMMUNITY["first"], PER_COMMUNITY["other"], street_code],
        )
        return cursor.fetchall()


def facilities_seed(*, street_code: str, first_community: str) -> str:
    """Load (or update) the demo street's facilities through the import service; returns a one-line summary."""
    contractors_seed(street_code)
    classes = sorted(OWNERS)
    rows = []
    for i, (community, lon, lat) in enumerate(_points(street_code, first_community)):
        class_code = classes[i % len(classes)]
        owner, maintainer = OWNERS[class_code]
        state = "damaged" if i % 17 == 5 else "missing" if i % 41 == 7 else "in_use"
        code = f"HZ{community[-6:]}{class_code}{i:04d}"
        rows.append([code, class_code, NAMES[class_code], owner, maintainer, state, "", f"{lon:.7f}", f"{lat:.7f}"])
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "qiaodong-facilities.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["code", "class_code", "name", "owner", "maintainer", "state", "address", "lon", "lat"])
            writer.writerows(rows)
        report = facilities_import(path=path, source="demo: 桥东街道部件普查（合成）")
    return f"{report.imported} facilities in 桥东街道 ({report.created} new, {report.bad} bad)"
