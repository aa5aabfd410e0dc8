# syntax=docker/dockerfile:1
#
# ticketminer: the gRPC server as a non-root container, configured only through
# the environment (every flag of `ticketminer serve` is a TICKETMINER_* variable;
# README "Configuration" has the full table). The ones a deployment sets:
#
#   TICKETMINER_DB_URL            SQLAlchemy URL. Default: a SQLite file in the
#                                 volume (one replica only). For replicas, one
#                                 PostgreSQL: postgresql+psycopg://user:password@host:5432/db
#                                 (the schema is migrated at start, one replica at a time)
#   TICKETMINER_HOST, _PORT       gRPC listen address (0.0.0.0:50051 here)
#   TICKETMINER_METRICS_PORT      Prometheus /metrics (9464 here; -1 turns it off)
#   TICKETMINER_HTTP_PORT         HTTP/JSON gateway: every RPC as Connect-protocol JSON,
#                                 /openapi.json, /healthz (8080 here; -1 turns it off)
#   TICKETMINER_AUTH              off (default) or keys: every call needs an API key
#                                 (`ticketminer keys create ...` against the same database)
#   TICKETMINER_AUTH_OPEN_SERVICES  services reachable without a key (health, reflection)
#   TICKETMINER_TLS_CERT_FILE, TICKETMINER_TLS_KEY_FILE   PEM files (mounted): serve TLS
#   TICKETMINER_TLS_CLIENT_CA_FILE  PEM CA: require client certificates (mutual TLS)
#   TICKETMINER_LOG_LEVEL, TICKETMINER_GRACE_SECONDS, TICKETMINER_WORKERS,
#   TICKETMINER_MAX_CONCURRENT_RPCS, TICKETMINER_RECLUSTER_*, TICKETMINER_ANOMALY_*  tuning
#
# The HEALTHCHECK (`ticketminer health`) reads the same variables: it dials
# 127.0.0.1 on TICKETMINER_PORT and speaks TLS when TICKETMINER_TLS_CERT_FILE is
# set, trusting the server's own certificate (self-signed) unless these say more:
#
#   TICKETMINER_HEALTH_TLS_CA_FILE           CA of a server certificate a CA signed
#   TICKETMINER_HEALTH_TLS_SERVER_NAME       name to check (default: from the certificate)
#   TICKETMINER_HEALTH_TLS_CLIENT_CERT_FILE, TICKETMINER_HEALTH_TLS_CLIENT_KEY_FILE
#                                            the probe's client certificate under mutual
#                                            TLS (default: the server's own)
#
# Secrets (the database password inside TICKETMINER_DB_URL, TLS keys) come from the
# runtime environment or mounted files, never from this image.

# Build stage: wheels of the project and its dependencies.
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN rm -rf src/*.egg-info && pip wheel --no-cache-dir --wheel-dir /wheels .
# The Alembic migrations run at start, so the wheel must carry every one of them
# (package data: pyproject.toml lists it). Fail the build, not the first start.
RUN python -c "import pathlib, sys, zipfile; \
whl = next(pathlib.Path('/wheels').glob('ticketminer-*.whl')); \
names = set(zipfile.ZipFile(whl).namelist()); \
found = sorted(p.relative_to('src').as_posix() for p in pathlib.Path('src/ticketminer/store/migrations').rglob('*') \
    if p.is_file() and '__pycache__' not in p.parts); \
missing = [n for n in found if n not in names]; \
sys.exit(f'the wheel lacks migrations: {missing}' if missing else 0)"

# Runtime stage: only the installed wheels, a non-root user and a data volume.
FROM python:3.11-slim AS runtime
RUN groupadd --system ticketminer && useradd --system --gid ticketminer \
        --home-dir /var/lib/ticketminer --create-home ticketminer
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --disable-pip-version-check /wheels/*.whl && rm -rf /wheels
USER ticketminer
WORKDIR /var/lib/ticketminer
# Only the SQLite default writes here; with PostgreSQL the container is stateless.
VOLUME ["/var/lib/ticketminer"]
ENV TICKETMINER_HOST=0.0.0.0 \
    TICKETMINER_PORT=50051 \
    TICKETMINER_DB_URL=sqlite:////var/lib/ticketminer/ticketminer.db \
    TICKETMINER_METRICS_PORT=9464 \
    TICKETMINER_HTTP_PORT=8080 \
    PYTHONUNBUFFERED=1
# gRPC, Prometheus /metrics, and HTTP/JSON
EXPOSE 50051 9464 8080
# The server reports SERVING once the database is open and migrated (the start
# period covers that); NOT_SERVING while it drains after SIGTERM.
HEALTHCHECK --interval=15s --timeout=10s --start-period=60s --retries=3 \
    CMD ["ticketminer", "health"]
# exec form: the server is PID 1 and receives SIGTERM for a graceful stop.
CMD ["ticketminer", "serve"]
