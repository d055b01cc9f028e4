# syntax=docker/dockerfile:1
# docker build -t atlassian-license-exporter .
# docker run -p 9877:9877 atlassian-license-exporter --demo
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python -m venv /opt/exporter
# Dependencies alone first, so this layer is rebuilt only when the lock changes. Every
# distribution is pinned and hash-checked: pip refuses anything the lock does not list.
COPY requirements.lock ./
RUN /opt/exporter/bin/pip install --require-hashes --only-binary=:all: -r requirements.lock
# The project itself is built from this source tree; --no-deps keeps the lock authoritative.
COPY pyproject.toml README.md ./
COPY exporter ./exporter
RUN /opt/exporter/bin/pip install --no-deps . \
 && /opt/exporter/bin/pip uninstall --yes pip \
 && /opt/exporter/bin/atlassian-license-exporter --version

FROM ${PYTHON_IMAGE}
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="atlassian-license-exporter" \
      org.opencontainers.image.description="Prometheus exporter for Atlassian license usage: seats, expiry and sync health" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="https://github.com/atlassian-license-exporter/atlassian-license-exporter" \
      org.opencontainers.image.documentation="https://github.com/atlassian-license-exporter/atlassian-license-exporter#readme" \
      org.opencontainers.image.licenses="Apache-2.0"
# A fixed numeric uid/gid: Kubernetes' runAsNonRoot can only verify a numeric USER, and the
# manifests in deploy/kubernetes/ pin the same ids.
RUN groupadd --system --gid 10001 exporter \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin exporter \
 && mkdir -p /etc/atlassian-license-exporter
COPY --from=build /opt/exporter /opt/exporter
# No .pyc writes at run time: the image works with a read-only root filesystem.
ENV PATH=/opt/exporter/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
USER 10001:10001
EXPOSE 9877
# Healthy when the exporter answers /-/healthy on the default port, with or without the TLS
# and basic auth of --web.config.file (exporter/healthcheck.py).
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/opt/exporter/bin/python", "-m", "exporter.serve.healthcheck", "127.0.0.1:9877"]
# Mount the configuration here (or pass another --config.file); secrets go in files it names,
# e.g. /run/secrets/* from Docker or Compose secrets.
ENTRYPOINT ["/opt/exporter/bin/atlassian-license-exporter"]
CMD ["--config.file=/etc/atlassian-license-exporter/config.yaml"]
