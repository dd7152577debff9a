import sys

from services.reporting.cli import main

raise SystemExit(main(sys.argv[1:]))
