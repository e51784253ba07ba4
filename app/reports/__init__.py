"""Reports read across the ledger and violations: statements live in the ledger; here are plan
completion against per-period targets, the distributor star scorecard (diversion and price
control computed from data, the other four indicators entered) and the salesperson dismissal
recommendation. Thresholds come from `rules/`."""
