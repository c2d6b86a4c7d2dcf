"""`python -m orchestrator.cli ...` is `mixbench ...`."""
import sys

from orchestrator.cli.main import main

sys.exit(main())
