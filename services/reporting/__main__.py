from services.reporting.app import create_app
from services.reporting.settings import ReportingSettings
from shared.serve import serve

settings = ReportingSettings()
serve(create_app(settings), settings)
