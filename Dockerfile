# Waymark: HSDS 3.0 / ORUK community service directory.
# Not exercised in CI (no Docker engine on the build machines); see README.md "Docker".

# --- builder: install Waymark and its dependencies into a venv ---------------------------
FROM python:3.11-slim AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
# Only what the package needs: pyproject (with README.md as its readme) and the three packages.
COPY pyproject.toml README.md ./
COPY app ./app
COPY importers ./importers
COPY schema ./schema
RUN pip install --upgrade pip \
 && pip install . \
 && waymark --help >/dev/null

# --- runtime ------------------------------------------------------------------------------
FROM python:3.11-slim

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    WAYMARK_INSTANCE_PATH=/var/lib/waymark

RUN groupadd --system waymark \
 && useradd --system --gid waymark --home-dir /var/lib/waymark --shell /usr/sbin/nologin waymark \
 && mkdir -p /var/lib/waymark \
 && chown waymark:waymark /var/lib/waymark

COPY --from=builder /opt/venv /opt/venv

USER waymark
WORKDIR /var/lib/waymark
VOLUME ["/var/lib/waymark"]
EXPOSE 5000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:5000/api/', timeout=4)"]

CMD ["gunicorn", "--bind", "0.0.0.0:5000", "--workers", "2", "app:create_app()"]
