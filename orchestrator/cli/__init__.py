"""The `mixbench` command line: parsing, `--set` values, one function per command."""
from orchestrator.cli.main import main

__all__ = ["main"]
