# syntax=docker/dockerfile:1
# The triage bot's image (README, "Deploy"): python:3.11-slim, the hash-checked runtime lock, a non-root user, the
# state in the /data volume and a health check on GET /healthz. `docker build .` builds the bot (the last stage);
# `--target sandbox` builds the support-API sandbox (the optional `sandbox` service of compose.yaml).

FROM python:3.11-slim AS deps
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# Exact versions, every file checked against its hash (`python3 dev.py lock` writes the lock).
COPY deploy/requirements-runtime.lock /tmp/requirements-runtime.lock
RUN pip install --no-cache-dir --require-hashes -r /tmp/requirements-runtime.lock \
    && rm /tmp/requirements-runtime.lock

# The wheel, built by the locked setuptools (no build isolation: nothing unpinned is downloaded).
FROM deps AS build
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY bot ./bot
RUN pip wheel --no-cache-dir --no-deps --no-build-isolation --wheel-dir /wheels .

FROM deps AS runtime
RUN useradd --system --user-group --uid 10001 --create-home --home-dir /home/bot --shell /usr/sbin/nologin bot
COPY --from=build /wheels /wheels
# /data holds the SQLite file and the docs' page-vector cache, which the bot keeps in `.cache/` beside its package:
# that path is linked into the volume so the cache survives a new container.
RUN pip install --no-cache-dir --no-deps /wheels/*.whl \
    && rm -rf /wheels \
    && mkdir -p /data/cache \
    && chown -R bot:bot /data \
    && ln -s /data/cache "$(python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/.cache"
# The curated FAQ entries are content of the repository, not of the wheel.
COPY faq /app/faq
WORKDIR /app
# HEALTH_HOST: the container's loopback would be out of reach of a published port or a scraper on its network.
ENV DATABASE_PATH=/data/bot.sqlite3 \
    FAQ_PATH=/app/faq \
    HEALTH_PORT=8080 \
    HEALTH_HOST=0.0.0.0
VOLUME ["/data"]
# The numeric id of `bot`: non-root even for a runtime that cannot read /etc/passwd (runAsNonRoot).
USER 10001:10001

# The support-API sandbox: a repository tool (not in the wheel), for trying the escalation path.
FROM runtime AS sandbox
COPY sandbox /app/sandbox
EXPOSE 8765
CMD ["python", "-m", "sandbox", "--host", "0.0.0.0", "--db", "/data/sandbox.sqlite3"]

# The bot: the console script of pyproject.toml, the same `main` the tests start with `python -m bot`.
FROM runtime AS bot
EXPOSE 8080
# 503 (a check is down) or no answer fails; python's urllib because the slim image has no curl. The port is
# ${HEALTH_PORT:-8080}, read in Python so that the check stays in exec form.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % (os.environ.get('HEALTH_PORT') or '8080'), timeout=4)"]
CMD ["triage-bot"]
