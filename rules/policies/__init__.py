"""Versioned policy files (`<version>.toml`), shipped as package data."""
