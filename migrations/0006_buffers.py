from tortoise import migrations
from tortoise.migrations import operations as ops
from decimal import Decimal
from gql_server.models import BufferEntryKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0005_user_forecasts')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Buffer',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.OneToOneField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='buffer', on_delete=OnDelete.CASCADE)),
                ('balance', fields.DecimalField(default=Decimal('0.00'), max_digits=16, decimal_places=2)),
                ('total_deposited', fields.DecimalField(default=Decimal('0.00'), max_digits=16, decimal_places=2)),
                ('total_withdrawn', fields.DecimalField(default=Decimal('0.00'), max_digits=16, decimal_places=2)),
                ('target_months', fields.FloatField(null=True)),
                ('paycheck_override', fields.DecimalField(null=True, max_digits=16, decimal_places=2)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'buffer', 'app': 'models', 'pk_attr': 'id', 'table_description': "A user's income-smoothing pot: its balance (never below zero) and settings."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='BufferEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('buffer', fields.ForeignKeyField('models.Buffer', source_field='buffer_id', db_constraint=True, to_field='id', related_name='entries', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='DEPOSIT: deposit\nWITHDRAWAL: withdrawal', enum_type=BufferEntryKind, max_length=10)),
                ('amount', fields.DecimalField(max_digits=16, decimal_places=2)),
                ('balance_after', fields.DecimalField(max_digits=16, decimal_places=2)),
                ('note', fields.CharField(default='', max_length=200)),
                ('idempotency_key', fields.CharField(max_length=100)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'buffer_entry', 'app': 'models', 'unique_together': (('buffer_id', 'idempotency_key'),), 'indexes': [Index(fields=['buffer_id', 'id'])], 'pk_attr': 'id', 'table_description': 'One deposit or withdrawal, with the balance after it. The idempotency key is unique per'},
            bases=['Model'],
        ),
    ]
