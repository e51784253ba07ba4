"""Violations: goods found outside their territory, and what HQ decides about them.

A scan opens a violation (`opening.py`); the diverting distributor may appeal within the
policy's window; HQ confirms or dismisses, and may reverse a confirmation. Every transition
locks the violation's row (`SELECT … FOR UPDATE`; SQLite's single writer does the same) and then
checks its status, so of any number of racing requests exactly one wins and the others get 409.
Confirmation posts the value transfer and the fine through the ledger, where each cause posts
once; reversal posts compensating entries. Who a case names and who may appeal are decided in
`rules/violations.py`, what a diversion moves from whom to whom in `rules/transfers.py`, fines
in `rules/penalties.py` and `rules/money.py`: policy
comes from `rules/`, never from here.
"""
