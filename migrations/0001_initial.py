from tortoise import migrations
from tortoise.migrations import operations as ops
from gql_server.models import Role
from tortoise.fields.base import OnDelete
from uuid import uuid4
from tortoise import fields

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='RateLimitCounter',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(max_length=300)),
                ('window', fields.BigIntField()),
                ('count', fields.IntField(default=0)),
            ],
            options={'table': 'rate_limit_counter', 'app': 'models', 'unique_together': (('key', 'window'),), 'pk_attr': 'id', 'table_description': 'Attempts per key in a fixed time window, shared by every server process.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='User',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('email', fields.CharField(unique=True, max_length=254)),
                ('password_hash', fields.CharField(max_length=255)),
                ('full_name', fields.CharField(max_length=120)),
                ('city', fields.CharField(null=True, max_length=60)),
                ('occupation', fields.CharField(null=True, max_length=80)),
                ('income_pattern', fields.CharField(null=True, max_length=20)),
                ('currency', fields.CharField(default='INR', max_length=3)),
                ('timezone', fields.CharField(default='Asia/Kolkata', max_length=40)),
                ('role', fields.CharEnumField(default=Role.USER, description='USER: user\nADMIN: admin', enum_type=Role, max_length=10)),
                ('is_active', fields.BooleanField(default=True)),
                ('token_version', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'app_user', 'app': 'models', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RefreshToken',
            fields=[
                ('jti', fields.UUIDField(primary_key=True, default=uuid4, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='refresh_tokens', on_delete=OnDelete.CASCADE)),
                ('issued_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('expires_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'refresh_token', 'app': 'models', 'pk_attr': 'jti', 'table_description': 'One issued refresh token, usable once (rotation): used_at is set when it is spent.'},
            bases=['Model'],
        ),
    ]
