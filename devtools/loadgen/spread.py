"""How a year of a city's cases is spread: the weights and texts behind the load generator, all plain data.

The numbers are judgement, not statistics: they follow the shape reported by Chinese supervision centres
(street-order and sanitation events dominate, facility components are a minority, most cases come from
grid workers' patrols in office hours, nine in ten are handled on time).
"""

# Relative frequency of each 小类 by display code; a class not listed weighs DEFAULT_CATEGORY_WEIGHT.
CATEGORY_WEIGHTS = {
    "E0102": 14.0,  # 暴露垃圾
    "E0505": 12.0,  # 机动车乱停放
    "E0201": 10.0,  # 非法小广告
    "E0504": 9.0,  # 店外经营
    "E0506": 6.0,  # 非机动车乱停放
    "E0507": 5.0,  # 乱堆物堆料
    "E0104": 4.0,  # 道路不洁
    "E0501": 4.0,  # 无照经营游商
    "E0103": 3.0,  # 积存垃圾渣土
    "E0101": 2.0,  # 私搭乱建
    "E0106": 2.0,
    "E0110": 2.0,
    "E0202": 2.0,
    "E0511": 2.0,
    "E0203": 1.5,
    "E0510": 1.5,
    "E0302": 1.0,
    "E0304": 1.0,
    "E0508": 1.0,
    "E0116": 1.0,
    "E0199": 1.0,
    "E0112": 0.8,
    "E0205": 0.8,
    "E0303": 0.8,
    "E0513": 0.6,
    "E0107": 0.6,
    "E0404": 0.5,
    "E0406": 0.5,
    "C0305": 1.5,  # 垃圾箱
    "C0118": 1.2,  # 路灯
    "C0405": 1.0,
    "C0402": 1.0,
    "C0301": 0.6,
    "C0307": 0.6,
    "C0209": 0.5,
    "C0211": 0.5,
    "C0501": 0.4,
    "C0104": 0.4,
}
DEFAULT_CATEGORY_WEIGHT = 0.25
# Rain and typhoons (April–September) multiply these classes' weights.
WET_SEASON = {"E0404", "E0406", "E0401", "C0103", "C0104", "E0408"}
WET_MONTHS = {4, 5, 6, 7, 8, 9}
WET_FACTOR = 2.5

# The first filing condition of a class is the common one.
CONDITION_WEIGHTS = (6.0, 2.5, 1.5, 1.0)
URGENT_SHARE = 0.08
URGENT_SHARE_EMERGENCY = 0.4  # 突发事件 (E04) and missing covers

# Where reports come from.
SOURCE_WEIGHTS = {
    "grid_worker": 70.0,
    "public": 9.0,
    "hotline_12345": 10.0,
    "hotline_12319": 3.0,
    "counter": 2.0,
    "media": 0.6,
    "sensor": 5.5,
    "leader": 1.0,
    "other_system": 1.5,
}
# Reports from outside the patrol are verified on site first, mostly.
VERIFICATION_SHARE = 0.75

# Report hour (local) weights: patrols follow office hours; the public and hotlines peak in the evening.
PATROL_HOURS = [0, 0, 0, 0, 0, 0, 0.2, 1, 6, 10, 10, 8, 2, 1, 4, 9, 9, 7, 2, 1, 0.5, 0.2, 0, 0]
PUBLIC_HOURS = [0.4, 0.2, 0.1, 0.1, 0.1, 0.3, 1, 2, 4, 6, 6, 5, 4, 3, 5, 5, 5, 5, 5, 6, 6, 5, 3, 1]
SENSOR_HOURS = [1, 1, 1, 1, 1, 1, 2, 3, 4, 4, 4, 4, 3, 3, 4, 4, 4, 4, 4, 3, 3, 2, 2, 1]
HOURS_BY_SOURCE = {"grid_worker": PATROL_HOURS, "leader": PATROL_HOURS, "sensor": SENSOR_HOURS}

# Day weights: weekends and holidays see fewer patrols; the summer a little more work.
WEEKDAY_WEIGHTS = (1.0, 1.0, 1.0, 1.0, 0.95, 0.6, 0.5)
HOLIDAY_WEIGHT = 0.45
MAKEUP_DAY_WEIGHT = 0.9
MONTH_WEIGHTS = (0.9, 0.85, 1.0, 1.05, 1.1, 1.1, 1.1, 1.1, 1.05, 1.0, 1.0, 0.95)
DAY_NOISE = 0.12

# Communities of class-1 (urban core) areas report far more per community than class-2 (suburban, rural)
# ones; a log-normal activity factor per community makes hot spots.
AREA_CLASS_WEIGHTS = {"1": 6.0, "2": 1.0}
HOTSPOT_SIGMA = 0.8
POINTS_PER_COMMUNITY = 128

# How final cases end (shares of final cases by source group); the rest is closed.
ENDINGS = {
    "patrol": {"self_closed": 0.08, "refused": 0.03, "merged": 0.01, "not_registered": 0.015, "voided": 0.012},
    "public": {"verify_false": 0.12, "merged": 0.06, "refused": 0.06, "not_registered": 0.02, "voided": 0.015},
    "other": {"refused": 0.04, "merged": 0.02, "not_registered": 0.015, "voided": 0.01},
}
# Open cases: a snapshot holds the statuses cases wait long in.
OPEN_STATUS_WEIGHTS = {
    "reported": 5.0,
    "verifying": 3.0,
    "to_register": 4.0,
    "to_dispatch": 4.0,
    "handling": 40.0,
    "return_pending": 3.0,
    "suspend_pending": 3.0,
    "suspended": 12.0,
    "to_check": 8.0,
    "checking": 8.0,
    "to_close": 5.0,
    "void_pending": 2.0,
}
# A void request comes from these statuses.
VOID_FROM_WEIGHTS = {"reported": 3.0, "to_register": 2.0, "to_dispatch": 2.0, "handling": 4.0, "suspended": 1.0}

# Side branches, per case or per handling round.
WRONG_DISPATCH_SHARE = 0.03
ASSISTING_SHARE = 0.08
REWORK_SHARE = 0.06
SECOND_REWORK_SHARE = 0.12
EXTENSION_SHARE = 0.06
SECOND_EXTENSION_SHARE = 0.15
EXTENSION_APPROVED_SHARE = 0.85
EXTENSION_HOURS = ((2, 2.0), (4, 3.0), (8, 3.0), (16, 2.0), (24, 1.0), (40, 0.5))
SUSPENSION_SHARE = 0.015
SUSPENSION_APPROVED_SHARE = 0.7
# Of approved suspensions (挂账), the share that waits months (up to LONG_SUSPENSION_DAYS) rather than weeks.
LONG_SUSPENSION_SHARE = 0.25
LONG_SUSPENSION_DAYS = 240
REJECTED_RETURN_SHARE = 0.01
REJECTED_VOID_SHARE = 0.005
PENDING_EXTENSION_SHARE = 0.3  # of open handling cases with an extension: still waiting for the decision

# Of late answers, the share that comes many limits late (2.5–25 times the limit) rather than 1–2.5 times.
STRAGGLER_SHARE = 0.2
LATE_MAX_DAYS = 120  # days (working days on a working clock) a late answer waits at most
# Share of late answers per stage (the action came after the stage's deadline).
LATE_SHARE = {
    "accept": 0.03,
    "verify": 0.08,
    "register": 0.03,
    "dispatch": 0.04,
    "handling": 0.12,
    "check": 0.06,
    "close": 0.03,
}

# Lead department per class: (selector, weight); "street" is the street office of the case's street,
# "district" the district's urban-management branch, anything else a department code.
ROUTING_DEFAULT = (("street", 0.7), ("district", 0.3))
ROUTING_BY_MAJOR = {
    "E01": (("street", 0.7), ("district", 0.22), ("city-urban-management", 0.08)),
    "E02": (("street", 0.7), ("district", 0.3)),
    "E03": (("city-housing", 0.4), ("district", 0.4), ("street", 0.2)),
    "E05": (("street", 0.65), ("district", 0.27), ("city-urban-management", 0.08)),
    "C03": (("district", 0.6), ("street", 0.4)),
    "C04": (("city-municipal-gardens", 0.7), ("street", 0.3)),
}
ROUTING = {
    "E0101": (("street", 0.5), ("district", 0.3), ("city-urban-enforcement", 0.2)),
    "E0105": (("city-water", 0.5), ("street", 0.5)),
    "E0107": (("city-traffic-police", 0.3), ("street", 0.7)),
    "E0110": (("city-municipal-gardens", 0.5), ("city-housing", 0.2), ("district", 0.3)),
    "E0116": (("city-ecology-environment", 0.4), ("district", 0.3), ("street", 0.3)),
    "E0305": (("city-municipal-gardens", 0.5), ("district", 0.5)),
    "E0401": (("city-municipal-gardens", 0.6), ("city-housing", 0.4)),
    "E0402": (("utility-water-supply", 1.0),),
    "E0403": (("utility-gas", 1.0),),
    "E0404": (("city-water", 0.6), ("district", 0.4)),
    "E0406": (("city-water", 0.5), ("city-municipal-gardens", 0.3), ("street", 0.2)),
    "E0408": (("utility-telecom", 0.35), ("utility-mobile", 0.2), ("utility-unicom", 0.15), ("utility-power", 0.3)),
    "E0502": (("city-civil-affairs", 0.6), ("street", 0.4)),
    "E0505": (("city-traffic-police", 0.4), ("street", 0.6)),
    "E0506": (("street", 0.8), ("district", 0.2)),
    "E0508": (("street", 0.5), ("city-ecology-environment", 0.2), ("district", 0.3)),
    "C0101": (("utility-water-supply", 1.0),),
    "C0102": (("city-water", 0.7), ("district", 0.3)),
    "C0103": (("city-water", 0.7), ("district", 0.3)),
    "C0104": (("city-water", 0.7), ("district", 0.3)),
    "C0105": (("utility-power", 1.0),),
    "C0106": (("city-municipal-gardens", 1.0),),
    "C0107": (("utility-telecom", 0.5), ("utility-mobile", 0.3), ("utility-unicom", 0.2)),
    "C0111": (("utility-gas", 1.0),),
    "C0113": (("street", 0.6), ("city-emergency-management", 0.4)),
    "C0114": (("district", 0.6), ("street", 0.4)),
    "C0116": (("utility-power", 1.0),),
    "C0117": (("utility-power", 1.0),),
    "C0118": (("city-municipal-gardens", 1.0),),
    "C0121": (("district", 0.6), ("street", 0.4)),
    "C0126": (("street", 1.0),),
    "C0201": (("city-transport", 0.5), ("district", 0.5)),
    "C0203": (("city-transport", 1.0),),
    "C0205": (("city-municipal-gardens", 1.0),),
    "C0206": (("city-municipal-gardens", 1.0),),
    "C0209": (("city-traffic-police", 1.0),),
    "C0211": (("city-traffic-police", 1.0),),
    "C0213": (("city-civil-affairs", 0.5), ("city-municipal-gardens", 0.5)),
    "C0214": (("city-traffic-police", 1.0),),
    "C0307": (("district", 0.5), ("street", 0.5)),
    "C0401": (("city-forestry", 0.5), ("city-municipal-gardens", 0.5)),
    "C0501": (("street", 1.0),),
}
ASSISTING = ("city-urban-enforcement", "district", "street")

DESCRIPTIONS = (
    "{place}发现{what}，请尽快处置",
    "巡查发现{place}存在{what}问题",
    "市民反映{place}{what}",
    "{place}{what}，影响市容和通行",
    "{place}附近{what}，已拍照上报",
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗梁"
NOTES = {
    "refuse": ("不属于城市管理范围", "信息不全，无法定位", "已由其他部门处理"),
    "refuse_registration": ("不符合立案条件", "问题已自行消失"),
    "request_return": ("不属于本单位职责范围，申请回退", "权属不清，请重新派遣"),
    "reject_return": ("属于本单位职责，请继续处置",),
    "request_extension": ("需协调多个部门，申请延期", "材料采购中，申请延长处置时限", "天气原因无法施工"),
    "reject_extension": ("时限内可完成，不予延期",),
    "request_suspension": ("涉及历史遗留问题，短期内无法解决", "需列入年度计划统一整治"),
    "reject_suspension": ("不符合挂账条件，请继续处置",),
    "feedback": ("已处置完毕", "已清理完毕，现场恢复整洁", "已整改到位", "已修复"),
    "request_void": ("重复立案，申请作废", "误报，申请作废"),
    "merged": ("重复上报，已并入原案卷",),
}
