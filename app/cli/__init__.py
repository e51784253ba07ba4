"""The `channelguard` command line (`app.cli.main`); one module per domain."""
