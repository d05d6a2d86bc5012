# The order list at scale (docs/decisions/0019-order-list-at-scale.md): indexes only.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0003_default_sla_policies"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="workorder", name="orders_work_outlet__6beed1_idx"),
        migrations.RemoveIndex(model_name="workorder", name="orders_work_region__66e02a_idx"),
        migrations.AddIndex(
            model_name="workorder",
            index=models.Index(fields=["status", "visit_deadline"], name="orders_wo_status_deadline"),
        ),
        migrations.AddIndex(
            model_name="workorder",
            index=models.Index(fields=["outlet", "status", "visit_deadline"], name="orders_wo_outlet_deadline"),
        ),
        migrations.AddIndex(
            model_name="workorder",
            index=models.Index(fields=["region", "status", "visit_deadline"], name="orders_wo_region_deadline"),
        ),
    ]
