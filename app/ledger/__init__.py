"""The credited-sales ledger: double-entry and append-only.

Every posting is a journal entry whose lines (signed integer fen) sum to zero, checked here and by
the database. A cause (cause_type, cause_key) posts at most once, so retries and races are safe.
Nothing is ever updated or deleted: a correction is a compensating entry that names the one it
reverses. A posting belongs to the calendar month (business time zone) in which it was made.
"""
