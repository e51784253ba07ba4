FROM python:3.11-slim

RUN apt-get update \
 && apt-get install -y --no-install-recommends libzbar0 curl \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /srv/channelguard
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY rules ./rules
COPY scanners ./scanners
COPY migrations ./migrations
# Editable, so the app finds migrations/ and alembic.ini beside it in this folder.
RUN pip install --no-cache-dir -e . \
 && useradd --system --home /srv/channelguard --uid 10001 channelguard \
 && mkdir -p /srv/channelguard/var && chown channelguard /srv/channelguard/var

USER channelguard
ENV CG_ENV=production \
    CG_PHOTO_DIR=/srv/channelguard/var/photos \
    CG_DATA_DIR=/srv/channelguard/var \
    PYTHONUNBUFFERED=1
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD curl -fsS http://127.0.0.1:8000/healthz || exit 1
# `serve` runs the migrations before it listens.
CMD ["channelguard", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
