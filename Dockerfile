# syntax=docker/dockerfile:1
#
# One image recipe for all four newswire services; the service is picked by a
# build arg (and can be overridden at run time with -e SERVICE=...):
#
#   docker build --build-arg SERVICE=ingest -t newswire-ingest .
#
# SERVICE is declared in the last stage only, after every expensive layer, so
# the four images share the dependency and code layers and differ only in
# metadata.

# ---- build: a self-contained virtualenv in /opt/venv -----------------------
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src

# Dependencies first, against empty stub packages: this heavy layer (lxml,
# lingua, ...) is rebuilt only when pyproject.toml changes, not on every code
# edit. The stub install is removed again right after.
COPY pyproject.toml ./
RUN mkdir -p services shared \
    && touch services/__init__.py shared/__init__.py \
    && pip install . \
    && pip uninstall -y newswire \
    && rm -rf build ./*.egg-info services shared

# The real code; --no-deps because everything was installed above.
COPY services ./services
COPY shared ./shared
RUN pip install --no-deps . \
    && cd / && python -c "import services, shared"

# ---- runtime ----------------------------------------------------------------
FROM python:3.11-slim

# Fixed numeric ids so orchestrators can verify "runs as non-root" and bind
# mounts can be prepared with the right owner.
RUN groupadd --system --gid 10001 newswire \
    && useradd --system --uid 10001 --gid newswire --create-home \
       --home-dir /home/newswire --shell /usr/sbin/nologin newswire

COPY --from=build /opt/venv /opt/venv
# NEWSWIRE_HTTP_HOST: the services default to 127.0.0.1, which nothing outside
# the container (Prometheus, healthchecks via published ports) could reach.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    NEWSWIRE_HTTP_HOST=0.0.0.0

# Not /src: `services` must be imported from the installed package.
WORKDIR /home/newswire
USER 10001:10001

ARG SERVICE
ENV SERVICE=${SERVICE}

# A shell is needed only to expand $SERVICE at run time; `exec` then makes
# python PID 1, so `docker stop`'s SIGTERM reaches the service's graceful
# shutdown directly instead of stopping at sh.
CMD ["sh", "-c", "exec python -m \"services.${SERVICE:?SERVICE is not set: build with --build-arg SERVICE=<ingest|normalizer|enrichment|linker|storage>}\""]
