from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('models', '0006_buffers')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Insight',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='insights', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=40)),
                ('severity', fields.CharField(max_length=10)),
                ('title', fields.CharField(max_length=200)),
                ('message', fields.CharField(max_length=1000)),
                ('metrics', fields.JSONField(encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('period_start', fields.DateField(null=True)),
                ('period_end', fields.DateField(null=True)),
                ('importance', fields.FloatField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'insight', 'app': 'models', 'indexes': [Index(fields=['user_id', 'importance'])], 'pk_attr': 'id', 'table_description': "A plain statement about the user's money with the numbers it rests on, recomputed with"},
            bases=['Model'],
        ),
    ]
