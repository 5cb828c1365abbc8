"""The default schemes: DOMAIN §8's department, region and post schemes and the daily 100-point scheme.

Plain data, loaded by the data migration and by `seed_demo` (idempotent: a scheme that exists is left as it is,
so an administrator's later versions are never overwritten). Count thresholds are per 30 days ("period_days");
a shorter or longer period scales the count to that length before comparing.
"""

GRADES = [["A", 90], ["B", 75], ["C", 60], ["D", 40], ["E", 0]]

# Fewer cases sent to a department (or found in a grid) score higher: 100 for ≤ 50, 90 ≤ 100, …, else 0.
FEWER_IS_BETTER = {
    "default": [[50, 100], [100, 90], [200, 75], [500, 60], [1000, 40]],
    "above": 0,
    "period_days": 30,
}
# Per community grid and 30 days; 一类 areas (dense centres) are allowed more cases than 二类 ones.
PER_GRID = {
    "per_grid": True,
    "1": [[20, 100], [40, 90], [80, 75], [160, 60], [320, 40]],
    "2": [[10, 100], [20, 90], [40, 75], [80, 60], [160, 40]],
    "above": 0,
    "period_days": 30,
}
# Workload of a post: more accepted or dispatched reports score higher.
MORE_IS_BETTER = {"default": [[0, 0], [50, 60], [100, 75], [200, 90]], "above": 100, "period_days": 30}


def _c(indicator, weight, mode="rate"):
    return {"indicator": indicator, "weight": weight, "mode": mode}


SCHEMES = [
    {
        "code": "department-standard",
        "name": "部门评价（标准）",
        "subject": "department",
        "primary": True,
        "description": "立案数分值 × 10 % + 结案率 × 30 % + 按期处置率 × 30 % + (100 − 返工率) × 30 %",
        "components": [
            _c("dispatched", 0.1, "count"),
            _c("close_rate", 0.3),
            _c("on_time_handling_rate", 0.3),
            _c("rework_rate", 0.3, "inverse"),
        ],
        "thresholds": FEWER_IS_BETTER,
    },
    {
        "code": "department-daily-100",
        "name": "部门日考评（百分制）",
        "subject": "department",
        "primary": False,
        "description": (
            "处置率 × 30 + 按期处置率 × 20 + (1 − 返工率) × 20 + (1 − 超期待处置率) × 20 + (1 − 延期率) × 10"
        ),
        "components": [
            _c("handling_rate", 0.3),
            _c("on_time_handling_rate", 0.2),
            _c("rework_rate", 0.2, "inverse"),
            _c("overdue_open_rate", 0.2, "inverse"),
            _c("extension_rate", 0.1, "inverse"),
        ],
        "thresholds": {},
    },
    {
        # 满意度 weighed in: the reporters' ratings (public portal and 回访 call-backs) of the department's work.
        "code": "department-satisfaction",
        "name": "部门评价（含满意度）",
        "subject": "department",
        "primary": False,
        "description": "结案率 × 25 % + 按期处置率 × 25 % + (100 − 返工率) × 20 % + 满意度 × 30 %",
        "components": [
            _c("close_rate", 0.25),
            _c("on_time_handling_rate", 0.25),
            _c("rework_rate", 0.2, "inverse"),
            _c("satisfaction_rate", 0.3),
        ],
        "thresholds": {},
    },
    {
        # 督办 weighed in: how the department answers the leaders' supervision orders (reply and reply on time).
        "code": "department-orders",
        "name": "部门评价（含督办）",
        "subject": "department",
        "primary": False,
        "description": (
            "结案率 × 25 % + 按期处置率 × 25 % + (100 − 返工率) × 20 % + 督办回复率 × 10 % + 督办按时回复率 × 20 %"
        ),
        "components": [
            _c("close_rate", 0.25),
            _c("on_time_handling_rate", 0.25),
            _c("rework_rate", 0.2, "inverse"),
            _c("order_reply_rate", 0.1),
            _c("order_on_time_reply_rate", 0.2),
        ],
        "thresholds": {},
    },
    {
        # Law-enforcement units: the enforcement chain's timeliness and outcomes, and their answers to 督办.
        "code": "enforcement-standard",
        "name": "执法与督办评价",
        "subject": "department",
        "primary": False,
        "description": (
            "违法确认及时率 × 25 % + 执法办结率 × 25 % + 挂牌督办销号率 × 20 % + 移送及时率 × 10 % + "
            "督办按时回复率 × 20 %"
        ),
        "components": [
            _c("confirmation_timeliness_rate", 0.25),
            _c("enforcement_close_rate", 0.25),
            _c("listing_clearance_rate", 0.2),
            _c("transfer_timeliness_rate", 0.1),
            _c("order_on_time_reply_rate", 0.2),
        ],
        "thresholds": {},
    },
    {
        "code": "region-standard",
        "name": "区域评价（标准）",
        "subject": "region",
        "primary": True,
        "description": "(100 − 监督举报率) × 10 % + 立案数分值 × 20 % + 结案率 × 30 % + 按期结案率 × 40 %",
        "components": [
            _c("public_report_rate", 0.1, "inverse"),
            _c("filed", 0.2, "count"),
            _c("close_rate", 0.3),
            _c("on_time_close_rate", 0.4),
        ],
        "thresholds": PER_GRID,
    },
    {
        "code": "region-satisfaction",
        "name": "区域评价（含满意度）",
        "subject": "region",
        "primary": False,
        "description": "结案率 × 30 % + 按期结案率 × 40 % + 满意度 × 30 %",
        "components": [
            _c("close_rate", 0.3),
            _c("on_time_close_rate", 0.4),
            _c("satisfaction_rate", 0.3),
        ],
        "thresholds": {},
    },
    {
        "code": "grid-worker-standard",
        "name": "监督员岗位评价",
        "subject": "grid_worker",
        "primary": True,
        "description": "有效上报率 × 40 % + (100 − 漏报率) × 20 % + 按时核实率 × 20 % + 按时核查率 × 20 %",
        "components": [
            _c("effective_report_rate", 0.4),
            _c("miss_rate", 0.2, "inverse"),
            _c("on_time_verify_rate", 0.2),
            _c("on_time_check_rate", 0.2),
        ],
        "thresholds": {},
    },
    {
        "code": "operator-standard",
        "name": "受理员岗位评价",
        "subject": "operator",
        "primary": True,
        "description": "受理数分值 × 25 % + 核实按时派发率 × 40 % + 核查按时派发率 × 35 %",
        "components": [
            _c("accepted", 0.25, "count"),
            _c("verify_sent_on_time_rate", 0.4),
            _c("check_sent_on_time_rate", 0.35),
        ],
        "thresholds": MORE_IS_BETTER,
    },
    {
        "code": "shift-lead-standard",
        "name": "值班长岗位评价",
        "subject": "shift_lead",
        "primary": True,
        "description": "按时立案率 × 25 % + 准确立案率 × 40 % + 按时结案率 × 35 %",
        "components": [
            _c("on_time_filing_rate", 0.25),
            _c("post_filing_accuracy_rate", 0.4),
            _c("on_time_closing_rate", 0.35),
        ],
        "thresholds": {},
    },
    {
        "code": "dispatcher-standard",
        "name": "派遣员岗位评价",
        "subject": "dispatcher",
        "primary": True,
        "description": "派遣数分值 × 20 % + 按时派遣率 × 40 % + 准确派遣率 × 40 %",
        "components": [
            _c("dispatched", 0.2, "count"),
            _c("on_time_dispatch_rate", 0.4),
            _c("post_dispatch_accuracy_rate", 0.4),
        ],
        "thresholds": MORE_IS_BETTER,
    },
]


def schemes_seed(scheme_model, version_model):
    """Create the default schemes that do not exist yet, each with its version 1. Returns how many were made."""
    made = 0
    for spec in SCHEMES:
        if scheme_model.objects.filter(code=spec["code"]).exists():
            continue
        primary = spec["primary"] and not scheme_model.objects.filter(subject=spec["subject"], primary=True).exists()
        scheme = scheme_model.objects.create(
            code=spec["code"],
            name=spec["name"],
            subject=spec["subject"],
            description=spec["description"],
            primary=primary,
        )
        version_model.objects.create(
            scheme=scheme,
            number=1,
            components=spec["components"],
            thresholds=spec["thresholds"],
            grades=GRADES,
            note="DOMAIN §8 default",
        )
        made += 1
    return made
