"""`waymark serve --workers 2`: the production server (gunicorn, threaded workers, the garbage
collector tuned after start-up) answers as the application does in-process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
from flask import Flask

from app import db

SEARCHES = (
    "/api/service_at_locations?postcode=LS1%203AQ&per_page=20",
    "/api/services?postcode=LS1%203AQ&search=walking&per_page=5",
    "/api/service_at_locations?postcode=LS1%203AQ&coverage=true&open_at=2026-12-08T11:00:00",
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_gunicorn_workers_answer_searches_as_the_app_does(demo_app: Flask, tmp_path: Path) -> None:
    with demo_app.app_context():
        url = db.engine().url.render_as_string(hide_password=False)
    port = _free_port()
    env = {**os.environ, "WAYMARK_DATABASE_URL": url, "WAYMARK_INSTANCE_PATH": str(tmp_path)}
    command = [str(Path(sys.executable).with_name("waymark")), "serve", "--host", "127.0.0.1",
               "--port", str(port), "--workers", "2"]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
            try:
                if requests.get(base + "/api/", timeout=5).status_code == 200:
                    break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "waymark serve did not answer within 60 s"
                time.sleep(0.2)
        client = demo_app.test_client()
        with requests.Session() as http:
            for _ in range(3):  # several requests per worker and thread, after the workers' start-up
                for path in SEARCHES:
                    served = http.get(base + path, timeout=30)
                    assert served.status_code == 200, served.text
                    assert served.json() == client.get(path).get_json(), path
    finally:
        server.terminate()
        server.wait(timeout=30)
