# Running visit clocks (docs/decisions/0020-running-visit-clock-column.md): a generated column and its partial indexes.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0004_order_list_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='workorder',
            name='open_visit_deadline',
            field=models.GeneratedField(db_persist=True, expression=models.Case(models.When(models.Q(('checked_in_at__isnull', True), ('status__in', ('created', 'routed', 'accepted', 'assigned', 'confirmed', 'en_route', 'on_site', 'rejected', 'pending_approval', 'pending_parts', 'revisit', 'install_refused'))), then=models.F('visit_deadline')), default=None, output_field=models.DateTimeField(null=True)), output_field=models.DateTimeField(null=True), verbose_name='running visit deadline'),
        ),
        migrations.AddIndex(
            model_name='workorder',
            index=models.Index(condition=models.Q(('open_visit_deadline__isnull', False)), fields=['open_visit_deadline'], name='orders_wo_running_clock'),
        ),
        migrations.AddIndex(
            model_name='workorder',
            index=models.Index(condition=models.Q(('open_visit_deadline__isnull', False)), fields=['outlet', 'open_visit_deadline'], name='orders_wo_outlet_clock'),
        ),
        migrations.AddIndex(
            model_name='workorder',
            index=models.Index(condition=models.Q(('open_visit_deadline__isnull', False)), fields=['region', 'open_visit_deadline'], name='orders_wo_region_clock'),
        ),
    ]
