import sys

from services.reporting.entrypoints.cli import main
from services.reporting.settings import ReportingSettings


def serve(settings: ReportingSettings) -> None:
    # Imported only to serve: `rebuild` needs no web app.
    from services.reporting.app import serve as serve_app

    serve_app(settings)


raise SystemExit(main(sys.argv[1:], serve=serve))
