# schoolgate in a container: docs/operations.md ("Docker") has the whole recipe.
#
#   docker build -t schoolgate .
#   docker volume create schoolgate-data
#   docker run --rm --env-file schoolgate.env -v schoolgate-data:/var/lib/schoolgate \
#     -v "$PWD/school.yaml:/etc/schoolgate/school.yaml:ro" \
#     schoolgate init --config /etc/schoolgate/school.yaml      # once: creates the database
#   docker run -d --name schoolgate --restart on-failure \
#     --env-file schoolgate.env \
#     -v schoolgate-data:/var/lib/schoolgate \
#     -v "$PWD/school.yaml:/etc/schoolgate/school.yaml:ro" \
#     schoolgate
#
# The config's storage.path must be in /var/lib/schoolgate (the volume), and it needs a
# `health: {}` section for the HEALTHCHECK below (loopback inside the container only).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /opt/schoolgate
COPY pyproject.toml README.md ./
COPY rules ./rules
COPY learned ./learned
COPY bot ./bot
COPY adapters ./adapters
RUN pip install . \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/schoolgate \
       --shell /usr/sbin/nologin schoolgate \
    && install -d -m 0700 -o schoolgate -g schoolgate /var/lib/schoolgate

# Not root: the bot needs nothing but its database folder.
USER schoolgate
VOLUME ["/var/lib/schoolgate"]

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]

# SIGTERM (docker stop) lets deliveries in flight finish; the rest stays in the database.
# `run` never creates the database (`init` above does): a volume that lost it stops the bot
# with the reason instead of starting again with an empty one.
STOPSIGNAL SIGTERM
ENTRYPOINT ["schoolgate"]
CMD ["run", "--config", "/etc/schoolgate/school.yaml"]
