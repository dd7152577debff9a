from services.intake.app import create_app
from services.intake.settings import IntakeSettings
from shared.serve import serve

settings = IntakeSettings()
serve(create_app(settings), settings)
