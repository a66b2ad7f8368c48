from tortoise import migrations
from tortoise.migrations import operations as ops
from orjson import loads
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0016_sessions')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AccountErasure',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('erased_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('requested_by', fields.CharField(max_length=10)),
                ('rows', fields.JSONField(encoder=JSON_DUMPS, decoder=loads)),
            ],
            options={'table': 'account_erasure', 'app': 'models', 'pk_attr': 'id', 'table_description': 'That an account was erased, when, and how much: nothing that identifies the person'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PasswordResetToken',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='password_reset_tokens', on_delete=OnDelete.CASCADE)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'password_reset_token', 'app': 'models', 'pk_attr': 'id', 'table_description': 'A password reset link mailed to a user: only its SHA-256 is kept (the link is the'},
            bases=['Model'],
        ),
    ]
