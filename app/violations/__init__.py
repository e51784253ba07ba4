"""Violations: goods found outside their territory, and what HQ decides about them.

A scan opens a violation (`opening.py`); the diverting distributor may appeal within the policy's
window; HQ confirms or dismisses, and may reverse a confirmation. Every transition is one
conditional UPDATE on the status, so of any number of racing requests exactly one wins and the
others get 409. Confirmation posts the value transfer and the fine through the ledger, where each
cause posts once; reversal posts compensating entries. Policy comes from `rules/`, never from here.
"""
