# The customer access rows of the orders that exist already (decision 0046): the order side keeps
# them from here on, on every step that changes who holds an order or whether it is in the field.

from django.db import migrations


def backfill(apps, schema_editor):
    from anxin.orders.customer_access import rebuild

    rebuild(apps=apps)


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0007_grade_policy"),
        ("customers", "0007_customer_access"),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
