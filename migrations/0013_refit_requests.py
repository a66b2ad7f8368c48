from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('models', '0012_statement_imports')]

    initial = False

    operations = [
        ops.CreateModel(
            name='RefitRequest',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.OneToOneField('models.User', source_field='user_id', db_constraint=True, to_field='id', related_name='refit_request', on_delete=OnDelete.CASCADE)),
                ('first_requested_ms', fields.BigIntField()),
                ('due_ms', fields.BigIntField(db_index=True)),
                ('version', fields.IntField(default=1)),
                ('claimed_by', fields.CharField(null=True, max_length=32)),
                ('claimed_until_ms', fields.BigIntField(null=True)),
            ],
            options={'table': 'refit_request', 'app': 'models', 'pk_attr': 'id', 'table_description': "A user's outlook waiting to be recomputed in the background, shared by every server"},
            bases=['Model'],
        ),
    ]
