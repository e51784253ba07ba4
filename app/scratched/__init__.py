"""Cartons found with their codes scratched off (刮码), recorded by inspectors for HQ."""
