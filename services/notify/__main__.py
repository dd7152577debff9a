from services.notify.app import create_app
from services.notify.settings import NotifySettings
from shared.serve import serve
from shared.settings import load_settings

settings = load_settings(NotifySettings)
serve(create_app(settings), settings)
