from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0015_alerts')]

    initial = False

    operations = [
        ops.AddField(
            model_name='RefreshToken',
            name='session_id',
            field=fields.UUIDField(null=True, db_index=True),
        ),
        ops.AddField(
            model_name='RefreshToken',
            name='session_started_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='RefreshToken',
            name='user_agent',
            field=fields.CharField(null=True, max_length=200),
        ),
    ]
