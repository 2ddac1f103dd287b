#!/usr/bin/env bash
# Prometheus for the local, Docker-free stack: fetched once from Debian's package archive and
# cached beside the FerretDB build, so a fresh clone with a warm cache starts it at once.
#
#   deploy/local/prometheus.sh install   # make sure the binary is cached; print its path
#   deploy/local/prometheus.sh version   # the cached binary's version line
#
# The services and their ports are only known once a stack started, so the config is written
# and the server run by deploy/prometheus/local.py (`./dev run --monitoring`, the e2e test).
#
# Environment (defaults in brackets):
#   NEWSWIRE_CACHE [~/.cache/newswire]   where the binary is kept
#   NEWSWIRE_PROMETHEUS_BIN              use this binary instead (nothing is fetched)
set -euo pipefail

CACHE="${NEWSWIRE_CACHE:-$HOME/.cache/newswire}"
# Debian 12 ships Prometheus 2.42 (package `prometheus`), a Go binary that needs only libc. We
# take the binaries out of the .deb with dpkg-deb instead of installing the package: no root,
# no service user, no systemd unit, and nothing outside the cache is touched.
PROM_DIR="$CACHE/prometheus"
PROM_BIN="$PROM_DIR/prometheus"

log() { printf '[prometheus] %s\n' "$*" >&2; }
die() { printf '[prometheus] ERROR: %s\n' "$*" >&2; exit 1; }

binary_ok() { # <path>
    [[ -x "$1" ]] && "$1" --version 2>/dev/null | grep -q '^prometheus, version '
}

# `apt-get download` needs no root, only the package lists; a fresh machine may have none
# (or stale ones whose .deb is gone from the archive), and refreshing them needs root.
download_deb() { # <dir>
    (cd "$1" && apt-get download -q prometheus >&2) && return 0
    if [[ "$(id -u)" == 0 ]]; then
        log "package lists look stale; running apt-get update once"
        apt-get update -q >&2 || true
        (cd "$1" && apt-get download -q prometheus >&2) && return 0
    fi
    return 1
}

install_prometheus() {
    if [[ -n "${NEWSWIRE_PROMETHEUS_BIN:-}" ]]; then
        binary_ok "$NEWSWIRE_PROMETHEUS_BIN" || die "NEWSWIRE_PROMETHEUS_BIN=$NEWSWIRE_PROMETHEUS_BIN is not a Prometheus binary"
        echo "$NEWSWIRE_PROMETHEUS_BIN"
        return 0
    fi
    if binary_ok "$PROM_BIN"; then echo "$PROM_BIN"; return 0; fi
    mkdir -p "$CACHE"
    # Serialise with a parallel install (two test sessions, a developer and CI).
    exec 8>"$CACHE/prometheus-install.lock"
    flock 8
    if binary_ok "$PROM_BIN"; then echo "$PROM_BIN"; return 0; fi
    command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null \
        || die "no apt-get/dpkg-deb: put a prometheus (2.x or 3.x) binary at NEWSWIRE_PROMETHEUS_BIN"
    local tmp t0=$SECONDS
    tmp="$(mktemp -d "$CACHE/prometheus-deb.XXXXXX")"
    log "fetching the Debian package prometheus (once, into $PROM_DIR)"
    download_deb "$tmp" || { rm -rf "$tmp"; die "apt-get download prometheus failed"; }
    dpkg-deb -x "$tmp"/prometheus_*.deb "$tmp/root" || { rm -rf "$tmp"; die "dpkg-deb -x failed"; }
    rm -rf "$PROM_DIR.tmp"
    mkdir -p "$PROM_DIR.tmp"
    cp "$tmp/root/usr/bin/prometheus" "$tmp/root/usr/bin/promtool" "$PROM_DIR.tmp/"
    rm -rf "$tmp"
    binary_ok "$PROM_DIR.tmp/prometheus" || { rm -rf "$PROM_DIR.tmp"; die "the extracted binary does not run"; }
    # Swap in whole, so a failed install never leaves a half-filled cache behind.
    rm -rf "$PROM_DIR"
    mv "$PROM_DIR.tmp" "$PROM_DIR"
    exec 8>&-
    log "$("$PROM_BIN" --version | head -1) cached in $((SECONDS - t0))s"
    echo "$PROM_BIN"
}

case "${1:-}" in
install) install_prometheus ;;
version) "$(install_prometheus)" --version | head -1 ;;
*) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
