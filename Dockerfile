# syntax=docker/dockerfile:1
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY exporter ./exporter
RUN python -m venv /opt/exporter \
 && /opt/exporter/bin/pip install --no-cache-dir --upgrade pip \
 && /opt/exporter/bin/pip install --no-cache-dir .

FROM python:3.11-slim
LABEL org.opencontainers.image.title="atlassian-license-exporter" \
      org.opencontainers.image.description="Prometheus exporter for Atlassian license usage" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin exporter
COPY --from=build /opt/exporter /opt/exporter
USER 10001
EXPOSE 9877
HEALTHCHECK --interval=30s --timeout=3s CMD ["/opt/exporter/bin/python", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:9877/-/healthy', timeout=2).status == 200 else 1)"]
ENTRYPOINT ["/opt/exporter/bin/atlassian-license-exporter"]
CMD ["--config.file=/etc/atlassian-license-exporter/config.yaml"]
