from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from gql_server.models import Direction, RecurringCadence, RecurringSource, RecurringStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0007_insights')]

    initial = False

    operations = [
        ops.CreateModel(
            name='RecurringItem',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='recurring_items', on_delete=OnDelete.CASCADE)),
                ('merchant', fields.CharField(max_length=120)),
                ('counterparty', fields.CharField(max_length=120)),
                ('category', fields.CharField(max_length=40)),
                ('direction', fields.CharEnumField(description='INCOME: income\nEXPENSE: expense', enum_type=Direction, max_length=7)),
                ('amount', fields.DecimalField(max_digits=16, decimal_places=2)),
                ('cadence', fields.CharEnumField(description='MONTHLY: MONTHLY\nWEEKLY: WEEKLY\nEVERY_N_DAYS: EVERY_N_DAYS', enum_type=RecurringCadence, max_length=12)),
                ('interval_days', fields.IntField(null=True)),
                ('day_of_month', fields.IntField(null=True)),
                ('next_date', fields.DateField()),
                ('last_date', fields.DateField(null=True)),
                ('occurrences', fields.IntField(default=0)),
                ('confidence', fields.FloatField(default=1.0)),
                ('source', fields.CharEnumField(description='DETECTED: DETECTED\nDECLARED: DECLARED', enum_type=RecurringSource, max_length=8)),
                ('status', fields.CharEnumField(default=RecurringStatus.ACTIVE, description='ACTIVE: ACTIVE\nDISMISSED: DISMISSED', enum_type=RecurringStatus, max_length=9)),
                ('income_source', fields.ForeignKeyField('models.IncomeSource', source_field='income_source_id', null=True, db_constraint=True, to_field='id', related_name='recurring_items', on_delete=OnDelete.SET_NULL)),
                ('note', fields.CharField(default='', max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'recurring_item', 'app': 'models', 'indexes': [Index(fields=['user_id', 'next_date']), Index(fields=['user_id', 'counterparty'])], 'pk_attr': 'id', 'table_description': 'Money that comes or goes on a schedule (rent, an EMI, a retainer). Detected items are'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Transaction',
            name='exclude_from_forecast',
            field=fields.BooleanField(null=True),
        ),
        ops.AddField(
            model_name='UserForecast',
            name='baseline_excluded',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
    ]
