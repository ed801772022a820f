"""WebSocket routes. The live-updates work adds the agency, board and incident consumers here."""

websocket_urlpatterns: list = []
