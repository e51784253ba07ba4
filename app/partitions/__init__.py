"""Monthly partitions of the scan table on PostgreSQL."""
