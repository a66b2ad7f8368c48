from tortoise import migrations
from tortoise.migrations import operations as ops
from gql_server.models import JobStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index


class Migration(migrations.Migration):
    dependencies = [("models", "0002_ledger")]

    initial = False

    operations = [
        ops.CreateModel(
            name="GenerationJob",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "status",
                    fields.CharEnumField(
                        default=JobStatus.PENDING,
                        description="PENDING: pending\nRUNNING: running\nSUCCEEDED: succeeded\nFAILED: failed\nCANCELLED: cancelled",
                        enum_type=JobStatus,
                        max_length=10,
                    ),
                ),
                ("users_requested", fields.IntField()),
                ("days", fields.IntField()),
                ("seed", fields.BigIntField()),
                ("patterns", fields.CharField(max_length=200)),
                ("end_date", fields.DateField(null=True)),
                ("password_hash", fields.CharField(max_length=255)),
                ("users_done", fields.IntField(default=0)),
                ("transactions_written", fields.BigIntField(default=0)),
                ("cancel_requested", fields.BooleanField(default=False)),
                ("error", fields.CharField(null=True, max_length=1000)),
                ("runner", fields.CharField(null=True, max_length=120)),
                (
                    "heartbeat_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                (
                    "requested_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="requested_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="generation_jobs",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("started_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                (
                    "finished_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
            ],
            options={
                "table": "generation_job",
                "app": "models",
                "indexes": [Index(fields=["status", "heartbeat_at"])],
                "pk_attr": "id",
                "table_description": "A bulk generation run. Its status, progress, cancel request and heartbeat are rows,",
            },
            bases=["Model"],
        ),
        ops.AddField(
            model_name="User",
            name="generation_job_id",
            field=fields.IntField(null=True),
        ),
    ]
