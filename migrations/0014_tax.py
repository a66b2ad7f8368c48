from tortoise import migrations
from tortoise.migrations import operations as ops
from decimal import Decimal
from gql_server.core.tax.payments import PaymentKind
from gql_server.core.tax.rules import Regime, Scheme
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0013_refit_requests')]

    initial = False

    operations = [
        ops.CreateModel(
            name='TaxPayment',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='tax_payments', on_delete=OnDelete.CASCADE)),
                ('financial_year', fields.CharField(max_length=7)),
                ('kind', fields.CharEnumField(description='ADVANCE_TAX: ADVANCE_TAX\nSELF_ASSESSMENT: SELF_ASSESSMENT\nTDS: TDS', enum_type=PaymentKind, max_length=15)),
                ('amount', fields.DecimalField(max_digits=16, decimal_places=2)),
                ('paid_on', fields.DateField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'tax_payment', 'app': 'models', 'indexes': [Index(fields=['user_id', 'financial_year'])], 'pk_attr': 'id', 'table_description': 'Tax the user paid (advance or self-assessment) or a client withheld (TDS), recorded by'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TaxProfile',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.OneToOneField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='tax_profile', on_delete=OnDelete.CASCADE)),
                ('regime', fields.CharEnumField(default=Regime.NEW, description='NEW: NEW\nOLD: OLD', enum_type=Regime, max_length=3)),
                ('scheme', fields.CharEnumField(default=Scheme.SECTION_44ADA, description='SECTION_44ADA: SECTION_44ADA\nSECTION_44AD: SECTION_44AD\nREGULAR: REGULAR', enum_type=Scheme, max_length=13)),
                ('deductions', fields.DecimalField(default=Decimal('0.00'), max_digits=16, decimal_places=2)),
                ('business_expense_categories', fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                ('receipt_categories', fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads)),
                ('gst_registered', fields.BooleanField(default=False)),
                ('state', fields.CharField(null=True, max_length=40)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'tax_profile', 'app': 'models', 'pk_attr': 'id', 'table_description': 'How the user is taxed. Without a row the tax outlook uses the defaults and the forecast'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='IncomeSource',
            name='tds_percent',
            field=fields.DecimalField(null=True, max_digits=5, decimal_places=2),
        ),
    ]
