from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0009_sign_in_safety')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ForecastLease',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='forecast_leases', on_delete=OnDelete.CASCADE)),
                ('slot', fields.SmallIntField()),
                ('holder', fields.CharField(max_length=32)),
                ('expires_at', fields.BigIntField()),
            ],
            options={'table': 'forecast_lease', 'app': 'models', 'unique_together': (('user_id', 'slot'),), 'pk_attr': 'id', 'table_description': "A fit of one user's running in the forecast pool, held until the fit ends (not when"},
            bases=['Model'],
        ),
    ]
