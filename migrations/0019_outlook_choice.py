from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

# The evaluation's models and calibration, stored with the outlook: a what-if forecasts with
# them instead of redoing the evaluation (most of an outlook's time). Null for outlooks stored
# before, whose what-ifs redo it.


class Migration(migrations.Migration):
    dependencies = [('models', '0018_erasure_indexes')]

    initial = False

    operations = [
        ops.AddField(
            model_name='StoredOutlook',
            name='choice',
            field=fields.JSONField(null=True, encoder=JSON_DUMPS, decoder=loads),
        ),
    ]
