from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0004_transaction_user_integrity')]

    initial = False

    operations = [
        ops.CreateModel(
            name='UserForecast',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.OneToOneField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='forecast', on_delete=OnDelete.CASCADE)),
                ('fingerprint', fields.CharField(max_length=64)),
                ('as_of', fields.DateField()),
                ('model', fields.CharField(max_length=60)),
                ('outflow_model', fields.CharField(default='', max_length=60)),
                ('backtest_mase', fields.FloatField(null=True)),
                ('interval_coverage', fields.FloatField(null=True)),
                ('low_confidence', fields.BooleanField(default=False)),
                ('features', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('horizons', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('generated_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'user_forecast', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The latest outlook of a user (features, forecasts of every horizon, risks), kept until'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='GenerationJob',
            name='forecasts_done',
            field=fields.IntField(default=0, db_default=0),
        ),
    ]
