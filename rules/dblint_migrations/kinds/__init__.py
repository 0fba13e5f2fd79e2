"""The migrations pack's check kinds: ``migration_state`` (files against the bookkeeping table),
``drift`` (the database against the models) and ``pre_migration`` (rows the next migration would
fail on)."""
