from tortoise import migrations
from tortoise.migrations import operations as ops
from gql_server.models import Direction
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0011_stored_outlook')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CategoryRule',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='category_rules', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField()),
                ('narration_contains', fields.CharField(null=True, max_length=120)),
                ('vpa', fields.CharField(null=True, max_length=120)),
                ('min_amount', fields.DecimalField(null=True, max_digits=16, decimal_places=2)),
                ('max_amount', fields.DecimalField(null=True, max_digits=16, decimal_places=2)),
                ('direction', fields.CharEnumField(null=True, description='INCOME: income\nEXPENSE: expense', enum_type=Direction, max_length=7)),
                ('set_merchant', fields.CharField(null=True, max_length=120)),
                ('set_category', fields.CharField(null=True, max_length=40)),
                ('set_income_source', fields.ForeignKeyField('models.IncomeSource', source_field='set_income_source_id', null=True, db_constraint=True, to_field='id', related_name='category_rules', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'category_rule', 'app': 'models', 'indexes': [Index(fields=['user_id', 'position'])], 'pk_attr': 'id', 'table_description': "One of a user's own rules, in their order: conditions on a transaction (narration text,"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='StatementImport',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='statement_imports', on_delete=OnDelete.CASCADE)),
                ('format', fields.CharField(max_length=20)),
                ('file_name', fields.CharField(max_length=255)),
                ('file_sha256', fields.CharField(max_length=64)),
                ('rows_read', fields.IntField()),
                ('added', fields.IntField()),
                ('duplicates', fields.IntField()),
                ('linked', fields.IntField()),
                ('skipped', fields.IntField()),
                ('first_date', fields.DateField(null=True)),
                ('last_date', fields.DateField(null=True)),
                ('statement_closing_balance', fields.DecimalField(null=True, max_digits=16, decimal_places=2)),
                ('ledger_closing_balance', fields.DecimalField(null=True, max_digits=16, decimal_places=2)),
                ('reconciled', fields.BooleanField()),
                ('opening_balance_set', fields.DecimalField(null=True, max_digits=16, decimal_places=2)),
                ('problems', fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'statement_import', 'app': 'models', 'indexes': [Index(fields=['user_id', 'id'])], 'pk_attr': 'id', 'table_description': "One bank statement or Account Aggregator file brought into a user's ledger, with what"},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Transaction',
            name='counterparty_vpa',
            field=fields.CharField(null=True, max_length=120),
        ),
        ops.AddField(
            model_name='Transaction',
            name='import_id',
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name='Transaction',
            name='mode',
            field=fields.CharField(null=True, max_length=12),
        ),
        ops.AddField(
            model_name='Transaction',
            name='reference',
            field=fields.CharField(null=True, max_length=64),
        ),
    ]
