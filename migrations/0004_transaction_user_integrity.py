"""ledger_transaction.user_id: a statement-level integrity check instead of a per-row FOREIGN KEY
on PostgreSQL.

A per-row foreign key check halves the speed of COPY into the ledger (bench/generator.py).
On PostgreSQL this migration drops that constraint and installs, in its place:
  - an AFTER INSERT statement trigger that locks the referenced users (FOR KEY SHARE, as a
    foreign key would) and refuses the whole statement if any of them does not exist;
  - a trigger refusing to move a transaction to another user;
  - a BEFORE DELETE trigger on app_user that deletes the user's transactions (ON DELETE CASCADE).
SQLite keeps its ordinary foreign key: it is not the bulk path, and it cannot drop one.
Tortoise's own AlterField does nothing here on PostgreSQL and rebuilds the table on SQLite, so
the database side is written by hand below; the model state still changes as declared.
"""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

POSTGRES_FORWARD = """
DO $$
DECLARE constraint_name text;
BEGIN
  FOR constraint_name IN
    SELECT c.conname FROM pg_constraint c
      JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
     WHERE c.conrelid = 'ledger_transaction'::regclass AND c.contype = 'f'
       AND a.attname = 'user_id'
  LOOP
    EXECUTE format('ALTER TABLE ledger_transaction DROP CONSTRAINT %I', constraint_name);
  END LOOP;
END $$;

CREATE OR REPLACE FUNCTION ledger_transaction_users_exist() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE missing integer;
BEGIN
  PERFORM 1 FROM app_user WHERE id IN (SELECT DISTINCT user_id FROM new_rows) FOR KEY SHARE;
  SELECT n.user_id INTO missing
    FROM (SELECT DISTINCT user_id FROM new_rows) AS n
   WHERE NOT EXISTS (SELECT 1 FROM app_user u WHERE u.id = n.user_id)
   LIMIT 1;
  IF missing IS NOT NULL THEN
    RAISE foreign_key_violation
      USING MESSAGE = format('ledger_transaction.user_id %s is not an app_user', missing);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER ledger_transaction_users_exist
  AFTER INSERT ON ledger_transaction REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_transaction_users_exist();

CREATE OR REPLACE FUNCTION ledger_transaction_keep_user() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.user_id IS DISTINCT FROM OLD.user_id THEN
    RAISE foreign_key_violation USING MESSAGE = 'a transaction cannot move to another user';
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER ledger_transaction_keep_user
  BEFORE UPDATE OF user_id ON ledger_transaction
  FOR EACH ROW EXECUTE FUNCTION ledger_transaction_keep_user();

CREATE OR REPLACE FUNCTION app_user_delete_transactions() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM ledger_transaction WHERE user_id = OLD.id;
  RETURN OLD;
END $$;

CREATE TRIGGER app_user_delete_transactions
  BEFORE DELETE ON app_user
  FOR EACH ROW EXECUTE FUNCTION app_user_delete_transactions();
"""

POSTGRES_BACKWARD = """
DROP TRIGGER IF EXISTS app_user_delete_transactions ON app_user;
DROP TRIGGER IF EXISTS ledger_transaction_keep_user ON ledger_transaction;
DROP TRIGGER IF EXISTS ledger_transaction_users_exist ON ledger_transaction;
DROP FUNCTION IF EXISTS app_user_delete_transactions();
DROP FUNCTION IF EXISTS ledger_transaction_keep_user();
DROP FUNCTION IF EXISTS ledger_transaction_users_exist();
ALTER TABLE ledger_transaction ADD CONSTRAINT ledger_transaction_user_id_fkey
  FOREIGN KEY (user_id) REFERENCES app_user (id) ON DELETE CASCADE;
"""


class SetUserIntegrityByHand(ops.AlterField):
    async def database_forward(self, app_label, old_state, new_state, state_editor=None):
        if state_editor is not None and state_editor.client.capabilities.dialect == "postgres":
            await state_editor.client.execute_script(POSTGRES_FORWARD)

    async def database_backward(self, app_label, old_state, new_state, state_editor=None):
        if state_editor is not None and state_editor.client.capabilities.dialect == "postgres":
            await state_editor.client.execute_script(POSTGRES_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("models", "0003_generation_jobs")]

    initial = False

    operations = [
        SetUserIntegrityByHand(
            model_name="Transaction",
            name="user",
            field=fields.ForeignKeyField(
                "models.User",
                source_field="user_id",
                db_constraint=False,
                to_field="id",
                related_name="transactions",
                on_delete=OnDelete.CASCADE,
            ),
        ),
    ]
