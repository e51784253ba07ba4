"""Database-level guards that migrations install: append-only tables refuse UPDATE and DELETE
whatever the client, so a bug or a hand-typed statement cannot rewrite history."""

from __future__ import annotations

from alembic import op


def make_append_only(table: str) -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER trg_{table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {verb} refused'); END"
            )
    elif dialect == "postgresql":
        op.execute(
            f"""CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION '{table} is append-only: % refused', TG_OP; END $$"""
        )
        op.execute(
            f"CREATE TRIGGER trg_{table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"
        )
        op.execute(
            f"CREATE TRIGGER trg_{table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()"
        )
    else:
        raise RuntimeError(f"append-only guard not written for {dialect}")


def drop_append_only(table: str) -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_no_update")
        op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_no_delete")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_append_only ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_no_truncate ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {table}_append_only()")


def make_ledger_balance_guard() -> None:
    """A journal entry row is the seal on its lines: it may only be inserted once its lines are
    there (at least two) and sum to zero, and no line may join an entry already sealed."""
    dialect = op.get_bind().dialect.name
    unbalanced = (
        "(SELECT COUNT(*) FROM journal_line WHERE entry_id = NEW.id) < 2 OR "
        "(SELECT SUM(amount_fen) FROM journal_line WHERE entry_id = NEW.id) <> 0"
    )
    sealed = "EXISTS (SELECT 1 FROM journal_entry WHERE id = NEW.entry_id)"
    if dialect == "sqlite":
        op.execute(
            "CREATE TRIGGER trg_journal_entry_balanced BEFORE INSERT ON journal_entry "
            f"WHEN {unbalanced} "
            "BEGIN SELECT RAISE(ABORT, 'journal entry does not balance to zero'); END"
        )
        op.execute(
            "CREATE TRIGGER trg_journal_line_unsealed BEFORE INSERT ON journal_line "
            f"WHEN {sealed} "
            "BEGIN SELECT RAISE(ABORT, 'journal entry is sealed: no lines may be added'); END"
        )
    else:
        op.execute(
            f"""CREATE FUNCTION journal_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF {unbalanced} THEN
                RAISE EXCEPTION 'journal entry does not balance to zero';
              END IF;
              RETURN NEW;
            END $$"""
        )
        op.execute(
            "CREATE TRIGGER trg_journal_entry_balanced BEFORE INSERT ON journal_entry "
            "FOR EACH ROW EXECUTE FUNCTION journal_entry_balanced()"
        )
        op.execute(
            f"""CREATE FUNCTION journal_line_unsealed() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF {sealed} THEN
                RAISE EXCEPTION 'journal entry is sealed: no lines may be added';
              END IF;
              RETURN NEW;
            END $$"""
        )
        op.execute(
            "CREATE TRIGGER trg_journal_line_unsealed BEFORE INSERT ON journal_line "
            "FOR EACH ROW EXECUTE FUNCTION journal_line_unsealed()"
        )


def drop_ledger_balance_guard() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS trg_journal_entry_balanced")
        op.execute("DROP TRIGGER IF EXISTS trg_journal_line_unsealed")
    else:
        op.execute("DROP TRIGGER IF EXISTS trg_journal_entry_balanced ON journal_entry")
        op.execute("DROP TRIGGER IF EXISTS trg_journal_line_unsealed ON journal_line")
        op.execute("DROP FUNCTION IF EXISTS journal_entry_balanced()")
        op.execute("DROP FUNCTION IF EXISTS journal_line_unsealed()")


def make_deposit_guard() -> None:
    """A deposit (保证金) is money the company holds: no line may take an account of kind
    `deposit` below zero, whoever writes it."""
    dialect = op.get_bind().dialect.name
    overdrawn = (
        "(SELECT kind FROM ledger_account WHERE id = NEW.account_id) = 'deposit' AND "
        "(SELECT COALESCE(SUM(amount_fen), 0) FROM journal_line "
        "WHERE account_id = NEW.account_id) + NEW.amount_fen < 0"
    )
    if dialect == "sqlite":
        op.execute(
            "CREATE TRIGGER trg_journal_line_deposit_not_negative BEFORE INSERT ON journal_line "
            f"WHEN {overdrawn} "
            "BEGIN SELECT RAISE(ABORT, 'a deposit may not go below zero'); END"
        )
    elif dialect == "postgresql":
        op.execute(
            f"""CREATE FUNCTION journal_line_deposit_not_negative() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
              IF {overdrawn} THEN
                RAISE EXCEPTION 'a deposit may not go below zero';
              END IF;
              RETURN NEW;
            END $$"""
        )
        op.execute(
            "CREATE TRIGGER trg_journal_line_deposit_not_negative BEFORE INSERT ON journal_line "
            "FOR EACH ROW EXECUTE FUNCTION journal_line_deposit_not_negative()"
        )
    else:
        raise RuntimeError(f"deposit guard not written for {dialect}")


def drop_deposit_guard() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS trg_journal_line_deposit_not_negative")
    else:
        op.execute("DROP TRIGGER IF EXISTS trg_journal_line_deposit_not_negative ON journal_line")
        op.execute("DROP FUNCTION IF EXISTS journal_line_deposit_not_negative()")
