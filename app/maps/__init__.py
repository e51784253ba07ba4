"""What HQ's diversion map draws: flows between regions, aggregated in SQL."""
