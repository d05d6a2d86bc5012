"""The default SLA policy table (DOMAIN.md defaults): visit within 24 / 48 / 72 h by market tier,
accept within 2 h, on site 1 h per repair line and 2 h for an install (+1 h per further unit of a
complete set), callback within 72 h of completion. HQ edits the table at /orders/sla/."""

from decimal import Decimal

from django.db import migrations

TIERS = {1: ("一级市场", 24), 2: ("二级市场", 48), 3: ("三级市场", 72)}


def add_defaults(apps, schema_editor):
    SlaPolicy = apps.get_model("orders", "SlaPolicy")
    if SlaPolicy.objects.exists():
        return
    rows = [
        SlaPolicy(name="默认时效", visit_hours=Decimal(48), onsite_minutes=60, onsite_minutes_per_extra_line=60),
    ]
    for tier, (label, hours) in TIERS.items():
        rows.append(
            SlaPolicy(name=f"{label} 维修等", market_tier=tier, visit_hours=Decimal(hours), onsite_minutes=60, onsite_minutes_per_extra_line=60)
        )
        rows.append(
            SlaPolicy(
                name=f"{label} 安装",
                order_type="install",
                market_tier=tier,
                visit_hours=Decimal(hours),
                onsite_minutes=120,
                onsite_minutes_per_extra_line=60,
            )
        )
    SlaPolicy.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [("orders", "0002_work_orders_in_full")]

    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
