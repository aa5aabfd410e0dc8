# syntax=docker/dockerfile:1
# Build stage: build a wheel of the project and its dependencies.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

# Runtime stage: only the wheels, a non-root user and a data volume.
FROM python:3.11-slim AS runtime
RUN groupadd --system ticketminer && useradd --system --gid ticketminer \
        --home-dir /var/lib/ticketminer --create-home ticketminer
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER ticketminer
WORKDIR /var/lib/ticketminer
VOLUME ["/var/lib/ticketminer"]
ENV TICKETMINER_HOST=0.0.0.0 \
    TICKETMINER_PORT=50051 \
    TICKETMINER_DB_URL=sqlite:////var/lib/ticketminer/ticketminer.db \
    TICKETMINER_METRICS_PORT=9464 \
    PYTHONUNBUFFERED=1
# gRPC, and Prometheus /metrics
EXPOSE 50051 9464
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
    CMD ["ticketminer", "health", "--host", "127.0.0.1"]
# exec form: the server is PID 1 and receives SIGTERM for a graceful stop.
CMD ["ticketminer", "serve"]
