from tortoise import migrations
from tortoise.migrations import operations as ops

# Deleting an income source (deleteIncomeSource, or an account's erasure) sets its
# transactions' income_source_id to null: without an index PostgreSQL scans the whole ledger
# table once per source deleted (2 s for ten sources in a 1.8M-row ledger, growing with it).
# Partial, so the many rows without a source cost the generator's bulk writes nothing; SQLite
# and PostgreSQL both take the same statement. The user_id columns are what an erasure and a
# sign-out everywhere delete by.


class Migration(migrations.Migration):
    dependencies = [('models', '0017_account_rights')]

    initial = False

    operations = [
        ops.RunSQL(
            "CREATE INDEX ledger_transaction_income_source_id ON ledger_transaction "
            "(income_source_id) WHERE income_source_id IS NOT NULL",
            "DROP INDEX ledger_transaction_income_source_id",
        ),
        ops.RunSQL(
            "CREATE INDEX refresh_token_user_id ON refresh_token (user_id)",
            "DROP INDEX refresh_token_user_id",
        ),
        ops.RunSQL(
            "CREATE INDEX password_reset_token_user_id ON password_reset_token (user_id)",
            "DROP INDEX password_reset_token_user_id",
        ),
    ]
