"""The exchange's UI service: an HTTP API (OpenAPI at /openapi.json) and a small web page.

from services.ui import UiConfig, start_ui
ui = start_ui(UiConfig(bootstrap=..., registry_url=..., port=8000))
...
ui.stop()
"""

from services.ui.app import UiContext, create_app
from services.ui.config import UiConfig
from services.ui.server import UiService, start_ui
from services.ui.views import Views

__all__ = ["UiConfig", "UiContext", "UiService", "Views", "create_app", "start_ui"]
