"""`python -m pipeline` is the `agency-return` command."""
import sys

from pipeline.cli.main import main

sys.exit(main())
