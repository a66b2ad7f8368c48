from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.migrations.schema_generator.state import State


class RenameModelWithItsOwner(ops.RenameModel):
    """The class is renamed, the table (user_forecast) stays. Tortoise's RenameModel re-renders
    only the renamed model, so User kept the old model's backward relation ("forecast") and the
    new one's duplicated it: User is re-rendered with it."""

    def state_forward(self, app_label: str, state: State) -> None:
        reload_model = state.reload_model

        def reload_with_owner(app: str, name: str) -> None:
            state.reload_models([(app, name), (app, "User")])

        state.reload_model = reload_with_owner  # type: ignore[method-assign]
        try:
            super().state_forward(app_label, state)
        finally:
            state.reload_model = reload_model  # type: ignore[method-assign]


class Migration(migrations.Migration):
    dependencies = [('models', '0010_forecast_leases')]

    initial = False

    operations = [
        RenameModelWithItsOwner(old_name='UserForecast', new_name='StoredOutlook'),
    ]
