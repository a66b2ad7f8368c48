from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

from gql_server.auth.emails import email_skeleton


async def fill_email_skeletons(apps, schema_editor) -> None:
    # Accounts made before skeletons existed get theirs, so a lookalike of them is refused too.
    client = schema_editor.client
    rows = await client.execute_query_dict("SELECT id, email FROM app_user")
    sql = "UPDATE app_user SET email_skeleton = {} WHERE id = {}".format(
        *(("?", "?") if client.capabilities.dialect == "sqlite" else ("$1", "$2"))
    )
    seen: set[str] = set()
    for row in sorted(rows, key=lambda r: r["id"]):
        skeleton = email_skeleton(row["email"])
        if skeleton in seen:  # two lookalikes already registered: the older one keeps it
            continue
        seen.add(skeleton)
        await client.execute_query(sql, [skeleton, row["id"]])

class Migration(migrations.Migration):
    dependencies = [('models', '0008_recurring_items')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SignInAddress',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='sign_in_addresses', on_delete=OnDelete.CASCADE)),
                ('address', fields.CharField(max_length=64)),
                ('last_signed_in_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'sign_in_address', 'app': 'models', 'unique_together': (('user_id', 'address'),), 'pk_attr': 'id', 'table_description': 'An address the owner signed in from lately. Guesses at an account from elsewhere'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='RateLimitCounter',
            name='expires_at',
            field=fields.BigIntField(default=0, db_index=True),
        ),
        ops.AddField(
            model_name='User',
            name='email_skeleton',
            field=fields.CharField(null=True, unique=True, max_length=1024),
        ),
        ops.RunPython(fill_email_skeletons, ops.RunPython.noop),
    ]
