"""`python -m services.routing`: serve, seed-demo, directory import, directory export."""

import sys

from services.routing.entrypoints.cli import main
from services.routing.settings import RoutingSettings


def serve(settings: RoutingSettings) -> None:
    from services.routing.app import create_app
    from shared.serve import serve as run

    run(create_app(settings), settings)


raise SystemExit(main(sys.argv[1:], serve=serve))
