from tortoise import migrations
from tortoise.migrations import operations as ops
from decimal import Decimal
from gql_server.models import Direction, IncomeFrequency, IncomeKind
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='IncomeSource',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='income_sources', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=100)),
                ('kind', fields.CharEnumField(default=IncomeKind.CLIENT, description='PLATFORM: platform\nCLIENT: client\nEMPLOYER: employer\nOTHER: other', enum_type=IncomeKind, max_length=12)),
                ('frequency', fields.CharEnumField(default=IncomeFrequency.IRREGULAR, description='WEEKLY: weekly\nBIWEEKLY: biweekly\nMONTHLY: monthly\nPER_PROJECT: per_project\nIRREGULAR: irregular', enum_type=IncomeFrequency, max_length=12)),
                ('expected_monthly_amount', fields.DecimalField(null=True, max_digits=16, decimal_places=2)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'income_source', 'app': 'models', 'indexes': [Index(fields=['user_id', 'id'])], 'pk_attr': 'id', 'table_description': 'A client, platform or employer the user earns from.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Transaction',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='transactions', on_delete=OnDelete.CASCADE)),
                ('occurred_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('amount', fields.DecimalField(max_digits=16, decimal_places=2)),
                ('direction', fields.CharEnumField(description='INCOME: income\nEXPENSE: expense', enum_type=Direction, max_length=7)),
                ('category', fields.CharField(max_length=40)),
                ('merchant', fields.CharField(default='', max_length=120)),
                ('description', fields.CharField(default='', max_length=500)),
                ('income_source', fields.ForeignKeyField('models.IncomeSource', source_field='income_source_id', null=True, db_constraint=True, to_field='id', related_name='transactions', on_delete=OnDelete.SET_NULL)),
                ('balance_after', fields.DecimalField(default=Decimal('0.00'), max_digits=16, decimal_places=2)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'ledger_transaction', 'app': 'models', 'indexes': [Index(fields=['user_id', 'occurred_at', 'id'])], 'pk_attr': 'id', 'table_description': "One money movement, with the user's balance right after it (kept exact on every change)."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='User',
            name='opening_balance',
            field=fields.DecimalField(default=Decimal('0.00'), db_default=Decimal('0.00'), max_digits=16, decimal_places=2),
        ),
    ]
