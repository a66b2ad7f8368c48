from tortoise import migrations
from tortoise.migrations import operations as ops
from gql_server.models import DeliveryStatus
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0014_tax')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Alert',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='alerts', on_delete=OnDelete.CASCADE)),
                ('key', fields.CharField(max_length=200)),
                ('kind', fields.CharField(max_length=30)),
                ('severity', fields.CharField(max_length=10)),
                ('title', fields.CharField(max_length=200)),
                ('message', fields.CharField(max_length=1000)),
                ('metrics', fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('cleared_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'alert', 'app': 'models', 'indexes': [Index(fields=['user_id', 'cleared_at']), Index(fields=['user_id', 'id'])], 'pk_attr': 'id', 'table_description': 'A condition the forecast saw (`key`), from when it fired until it cleared. At most one'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AlertPreferences',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.OneToOneField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='alert_preferences', on_delete=OnDelete.CASCADE)),
                ('shortfall_threshold_7', fields.FloatField()),
                ('shortfall_threshold_30', fields.FloatField()),
                ('low_balance_below', fields.DecimalField(max_digits=16, decimal_places=2)),
                ('income_overdue_days', fields.IntField()),
                ('enabled_kinds', fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'alert_settings', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The alert settings of a user, as core.alerts.settings.AlertSettings holds them (no row'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Webhook',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='webhooks', on_delete=OnDelete.CASCADE)),
                ('url', fields.CharField(max_length=1000)),
                ('kinds', fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ('description', fields.CharField(default='', max_length=200)),
                ('secret', fields.CharField(max_length=120)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('failing_since', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('disabled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'webhook', 'app': 'models', 'indexes': [Index(fields=['user_id', 'id'])], 'pk_attr': 'id', 'table_description': 'An endpoint the alerts of a user are delivered to (Standard Webhooks). The secret signs'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookDelivery',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('webhook', fields.ForeignKeyField('models.Webhook', source_field='webhook_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('message_id', fields.CharField(unique=True, max_length=40)),
                ('event_type', fields.CharField(max_length=20)),
                ('body', fields.TextField(unique=False)),
                ('status', fields.CharEnumField(default=DeliveryStatus.PENDING, description='PENDING: PENDING\nDELIVERED: DELIVERED\nFAILED: FAILED', enum_type=DeliveryStatus, max_length=9)),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_ms', fields.BigIntField(db_index=True)),
                ('claimed_by', fields.CharField(null=True, max_length=32)),
                ('claimed_until_ms', fields.BigIntField(null=True)),
                ('last_status', fields.IntField(null=True)),
                ('last_error', fields.CharField(null=True, max_length=300)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('delivered_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'webhook_delivery', 'app': 'models', 'indexes': [Index(fields=['webhook_id', 'id']), Index(fields=['status', 'next_attempt_ms'])], 'pk_attr': 'id', 'table_description': 'The outbox: one event for one endpoint, written with the alert it carries, delivered'},
            bases=['Model'],
        ),
    ]
