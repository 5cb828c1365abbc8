"""Seed the enforcement step limits and a first discretion standard (自由裁量权基准); both stay admin-editable."""

from decimal import Decimal

from django.db import migrations

# Working hours per step: confirmation within 3 working days, a collaboration part within 2, the decision within
# 5, rectification within 10, its verification within 2, the report back within 1.
STEP_HOURS = {
    "confirm": 24,
    "collaborate": 16,
    "decide": 40,
    "rectify": 80,
    "verify": 16,
    "feedback": 8,
}

# (code, offence, legal basis, circumstance, lowest, highest, measure), after the Guangdong city-appearance rules.
STANDARDS = [
    ("ZDJY", "占道经营", "《城市市容和环境卫生管理条例》第十七条、第三十六条", "minor", 0, 0, "责令改正，不予处罚"),
    ("ZDJY", "占道经营", "《城市市容和环境卫生管理条例》第十七条、第三十六条", "general", 50, 200, "责令改正"),
    ("ZDJY", "占道经营", "《城市市容和环境卫生管理条例》第十七条、第三十六条", "serious", 200, 500, "责令改正，没收工具"),
    ("ZDJY", "占道经营", "《城市市容和环境卫生管理条例》第十七条、第三十六条", "grave", 500, 1000, "责令改正，没收工具"),
    ("LZT", "乱张贴", "《城市市容和环境卫生管理条例》第十七条、第三十四条", "minor", 0, 0, "责令清除"),
    ("LZT", "乱张贴", "《城市市容和环境卫生管理条例》第十七条、第三十四条", "general", 20, 100, "责令清除"),
    ("LZT", "乱张贴", "《城市市容和环境卫生管理条例》第十七条、第三十四条", "serious", 100, 500, "责令清除"),
    ("LZT", "乱张贴", "《城市市容和环境卫生管理条例》第十七条、第三十四条", "grave", 500, 1000, "责令清除"),
    ("WGQD", "违规倾倒", "《城市建筑垃圾管理规定》第二十条、第二十六条", "minor", 0, 5000, "责令限期改正"),
    ("WGQD", "违规倾倒", "《城市建筑垃圾管理规定》第二十条、第二十六条", "general", 5000, 20000, "责令限期改正"),
    ("WGQD", "违规倾倒", "《城市建筑垃圾管理规定》第二十条、第二十六条", "serious", 20000, 50000, "责令限期改正"),
    ("WGQD", "违规倾倒", "《城市建筑垃圾管理规定》第二十条、第二十六条", "grave", 50000, 100000, "责令限期改正"),
    ("WZHW", "违规户外广告", "《惠州市户外广告设施和招牌设置管理条例》", "general", 1000, 5000, "责令限期拆除"),
    ("WZHW", "违规户外广告", "《惠州市户外广告设施和招牌设置管理条例》", "serious", 5000, 10000, "责令限期拆除"),
]


def seed(apps, schema_editor):
    limits = apps.get_model("cases", "EnforcementStepLimit")
    for step, hours in STEP_HOURS.items():
        limits.objects.update_or_create(step=step, defaults={"hours": Decimal(hours)})
    standards = apps.get_model("cases", "DiscretionStandard")
    for code, offence, basis, circumstance, low, high, measure in STANDARDS:
        standards.objects.update_or_create(
            offence_code=code,
            circumstance=circumstance,
            defaults={
                "offence": offence,
                "legal_basis": basis,
                "fine_min": Decimal(low),
                "fine_max": Decimal(high),
                "measure": measure,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("cases", "0020_enforcement_chain")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
