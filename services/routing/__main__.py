import sys

from services.routing.cli import main

raise SystemExit(main(sys.argv[1:]))
