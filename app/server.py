"""Production serving with gunicorn (also used by the Docker image)."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication

from app import create_app


class WaymarkServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any]):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return create_app()


def run_gunicorn(host: str, port: int, workers: int) -> None:
    WaymarkServer({"bind": f"{host}:{port}", "workers": workers, "accesslog": "-",
                   "timeout": 60}).run()
