"""Policy: versioned rule files and the pure functions that apply them (no FastAPI, no SQL).

Thresholds and penalties are data (`policies/<version>.toml`, validated by `policy.py`); the rules
are small named functions run in a declared order. Every decision they return names the rule that
fired and the policy version, so changing the policy never rewrites a past decision.
"""
