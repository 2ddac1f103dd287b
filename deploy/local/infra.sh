#!/usr/bin/env bash
# Local, Docker-free infrastructure for newswire: a single-node Kafka (KRaft)
# and a MongoDB-wire database (mongod if installed, otherwise FerretDB/SQLite).
#
#   deploy/local/infra.sh start    # resolve/build once (cached), start both, return
#   deploy/local/infra.sh wait     # block until Kafka and Mongo answer (bounded)
#   deploy/local/infra.sh env      # eval "$(deploy/local/infra.sh env)"
#   deploy/local/infra.sh status   # exit 0 only if both run
#   deploy/local/infra.sh stop
#   deploy/local/infra.sh kafka-class <main class> [args...]   # run a Kafka CLI class
#   deploy/local/infra.sh secure-start|secure-wait|secure-env|secure-status|secure-stop
#       # a second, SASL_SSL-only broker beside the main one (deploy/local/secure-kafka.sh)
#
# Everything listens on 127.0.0.1 only. All commands are idempotent.
#
# Environment (defaults in brackets):
#   NEWSWIRE_CACHE [~/.cache/newswire]   downloads/builds, outside the repo so a
#                                        fresh clone reuses them
#   NEWSWIRE_DATA  [<repo>/deploy/local/.data]  broker/db data, logs, pid files
#   NEWSWIRE_KAFKA_PORT [19092]  NEWSWIRE_KAFKA_CONTROLLER_PORT [19093]
#   NEWSWIRE_MONGO_PORT [27117]  NEWSWIRE_FERRETDB_DEBUG_PORT [27118, "-" = off]
#   NEWSWIRE_MONGO_BACKEND [auto] auto | mongod | ferretdb
#   NEWSWIRE_INFRA_WAIT_TIMEOUT [120] seconds for `wait`
#   NEWSWIRE_INFRA_STOP_TIMEOUT [30]  seconds before SIGKILL in `stop`
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
# Absolute path to this script, for re-invoking itself under `timeout`
# (a bare "infra.sh" in $0 would be looked up on PATH).
SELF="$SCRIPT_DIR/$(basename "${BASH_SOURCE[0]}")"

CACHE="${NEWSWIRE_CACHE:-$HOME/.cache/newswire}"
DATA="${NEWSWIRE_DATA:-$REPO_ROOT/deploy/local/.data}"

KAFKA_VERSION=4.1.1
KAFKA_PORT="${NEWSWIRE_KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${NEWSWIRE_KAFKA_CONTROLLER_PORT:-19093}"
KAFKA_HEAP="${NEWSWIRE_KAFKA_HEAP:--Xms256m -Xmx768m}"
KAFKA_POM="$SCRIPT_DIR/kafka/pom.xml"

MONGO_PORT="${NEWSWIRE_MONGO_PORT:-27117}"
MONGO_BACKEND="${NEWSWIRE_MONGO_BACKEND:-auto}"
FERRETDB_VERSION=v1.24.2
FERRETDB_MODULE=github.com/FerretDB/FerretDB
FERRETDB_DEBUG_PORT="${NEWSWIRE_FERRETDB_DEBUG_PORT:-27118}"
FERRETDB_BIN="$CACHE/bin/ferretdb"

WAIT_TIMEOUT="${NEWSWIRE_INFRA_WAIT_TIMEOUT:-120}"
STOP_TIMEOUT="${NEWSWIRE_INFRA_STOP_TIMEOUT:-30}"

RUN_DIR="$DATA/run"
LOG_DIR="$DATA/logs"
KAFKA_DIR="$DATA/kafka"
KAFKA_PID="$RUN_DIR/kafka.pid"
MONGO_PID="$RUN_DIR/mongo.pid"
# Which backend the running Mongo-wire process is (mongod/ferretdb); `stop`
# and `status` need it even if PATH changed since `start`.
MONGO_KIND_FILE="$RUN_DIR/mongo.backend"

log() { printf '[infra] %s\n' "$*" >&2; }
die() { printf '[infra] ERROR: %s\n' "$*" >&2; exit 1; }

# Print the end of a log so a failed start explains itself without digging.
show_log_tail() {
    local f
    for f in "$@"; do
        [[ -s "$f" ]] || continue
        printf '[infra] ---- last lines of %s ----\n' "$f" >&2
        tail -n 40 "$f" >&2
        printf '[infra] ---- end of %s ----\n' "$f" >&2
    done
}

# True if something accepts TCP connections on 127.0.0.1:$1 (bash built-in,
# no nc/ss needed). `timeout` guards against a SYN that is never answered.
port_open() {
    timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# A PID file is only trusted if that PID is alive AND its command line still
# contains our marker; otherwise a reused PID could make us skip a start or,
# worse, kill an unrelated process on stop.
pid_alive() { # <pidfile> <cmdline marker>
    local pidfile=$1 marker=$2 pid
    [[ -f "$pidfile" ]] || return 1
    pid="$(<"$pidfile")"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$marker"
}

# Start a long-running process fully detached: own session (so Ctrl-C in the
# calling terminal or the end of a CI step's process group does not kill it),
# stdin from /dev/null, stdout/stderr appended to a log. In a non-interactive
# shell the background child is not a process-group leader, so setsid(1)
# execs in place and $! is the daemon's real PID.
spawn() { # <pidfile> <logfile> <cmd...>
    local pidfile=$1 logfile=$2
    shift 2
    printf '\n==== %s start: %s\n' "$(date -u +%FT%TZ)" "$*" >>"$logfile"
    # 8>&- 9>&-: the daemon must not inherit our flock descriptors, or it
    # would hold the start/stop lock for its whole lifetime.
    setsid "$@" </dev/null >>"$logfile" 2>&1 8>&- 9>&- &
    echo $! >"$pidfile"
}

# Give a freshly spawned process a moment: config errors (bad flag, port in
# use, storage not formatted) make it exit within a second or two, and we
# want `start` itself to report that rather than a later `wait` timeout.
check_survives() { # <name> <pidfile> <marker> <logs...>
    local name=$1 pidfile=$2 marker=$3
    shift 3
    sleep 1.5
    if ! pid_alive "$pidfile" "$marker"; then
        rm -f "$pidfile"
        show_log_tail "$@"
        die "$name exited right after start (logs: $*)"
    fi
}

stop_process() { # <name> <pidfile> <marker>
    local name=$1 pidfile=$2 marker=$3 pid i
    if ! pid_alive "$pidfile" "$marker"; then
        [[ -f "$pidfile" ]] && log "$name: removing stale pid file"
        rm -f "$pidfile"
        return 0
    fi
    pid="$(<"$pidfile")"
    log "$name: stopping pid $pid (SIGTERM)"
    kill -TERM "$pid" 2>/dev/null || true
    # Kafka does a controlled shutdown and flushes logs on TERM; give it time
    # before falling back to KILL.
    for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "$name: still alive after ${STOP_TIMEOUT}s, sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.5
    fi
    rm -f "$pidfile"
    log "$name: stopped"
}

# --------------------------------------------------------------------------
# Kafka
# --------------------------------------------------------------------------

# The jar directory is keyed by the pom's content hash: a second run (or a
# fresh clone with the same pom) does not even start Maven, and editing the
# pom gets a new, fully resolved directory instead of a half-updated one.
kafka_libs_dir() {
    local hash
    hash="$(sha256sum "$KAFKA_POM" | cut -c1-12)"
    echo "$CACHE/kafka-$KAFKA_VERSION/libs-$hash"
}

ensure_kafka_libs() {
    local libs tmp
    libs="$(kafka_libs_dir)"
    if [[ -f "$libs/.complete" ]]; then
        return 0
    fi
    command -v mvn >/dev/null || die "mvn not found: needed once to resolve Kafka jars into $libs"
    log "resolving Kafka $KAFKA_VERSION jars with Maven (once; ~/.m2 is the download cache)"
    mkdir -p "$(dirname "$libs")"
    # Resolve into a temp dir and rename, so an interrupted download never
    # leaves a directory that looks complete.
    tmp="$(mktemp -d "$libs.tmp.XXXXXX")"
    if ! mvn -q -B -f "$KAFKA_POM" dependency:copy-dependencies \
        -DoutputDirectory="$tmp" -DincludeScope=runtime >&2; then
        rm -rf "$tmp"
        die "Maven could not resolve the Kafka jars (see output above)"
    fi
    touch "$tmp/.complete"
    rm -rf "$libs"
    mv "$tmp" "$libs"
    log "Kafka classpath ready: $(find "$libs" -name '*.jar' | wc -l) jars in $libs"
}

# Config files are rewritten on every start so port/env changes apply, while
# the formatted storage in $KAFKA_DIR/data is kept.
write_kafka_config() {
    mkdir -p "$KAFKA_DIR/data" "$LOG_DIR"
    cat >"$KAFKA_DIR/server.properties" <<EOF
# Generated by deploy/local/infra.sh on every start; edits will be overwritten.
# Single node in combined mode: one JVM is both KRaft controller and broker.
process.roles=broker,controller
node.id=1
# Static voter set (instead of the dynamic controller.quorum.bootstrap.servers +
# 'format --standalone'): the voter endpoint then comes from this file on every
# start, so changing NEWSWIRE_KAFKA_CONTROLLER_PORT later does not strand the
# already-formatted metadata log.
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_DIR/data

# Development defaults: topics appear on first use with 3 partitions so
# consumer-group parallelism is exercised; one replica of everything.
auto.create.topics.enable=true
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Consumers in tests join immediately instead of after the 3 s default.
group.initial.rebalance.delay.ms=0
log.retention.hours=168
EOF

    # log4j2 XML needs no extra jars (YAML/JSON configs would). The log path
    # is passed as a system property so odd characters in \$DATA cannot break
    # the XML.
    cat >"$KAFKA_DIR/log4j2.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<!-- Generated by deploy/local/infra.sh: Kafka server logging to a file in the data dir. -->
<Configuration status="warn" name="newswire-local-kafka">
  <Appenders>
    <RollingFile name="file" fileName="${sys:newswire.kafka.log}" filePattern="${sys:newswire.kafka.log}.%i">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
      <Policies><SizeBasedTriggeringPolicy size="20 MB"/></Policies>
      <DefaultRolloverStrategy max="3"/>
    </RollingFile>
  </Appenders>
  <Loggers>
    <Root level="INFO"><AppenderRef ref="file"/></Root>
    <!-- These two are extremely chatty at INFO/TRACE and useless locally. -->
    <Logger name="kafka.request.logger" level="WARN"/>
    <Logger name="state.change.logger" level="WARN"/>
  </Loggers>
</Configuration>
EOF

    # CLI tools (storage format, topic listing in `wait`) only need warnings,
    # on stderr, so their stdout stays machine-readable.
    cat >"$KAFKA_DIR/tools-log4j2.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="warn" name="newswire-local-kafka-tools">
  <Appenders>
    <Console name="stderr" target="SYSTEM_ERR"><PatternLayout pattern="[%d] %p %m (%c)%n"/></Console>
  </Appenders>
  <Loggers><Root level="WARN"><AppenderRef ref="stderr"/></Root></Loggers>
</Configuration>
EOF
}

# Command prefix for running a Kafka main class (TopicCommand, ConsoleProducer,
# StorageTool, ...) on the cached classpath with a small, fast-starting JVM.
# Filled into the KAFKA_JAVA array so `kafka-class` can exec it (then
# `timeout` or Ctrl-C reach the JVM itself, not a wrapping shell).
kafka_java_cmd() {
    local libs
    libs="$(kafka_libs_dir)"
    [[ -f "$libs/.complete" ]] || die "Kafka jars not resolved yet; run '$0 start' first"
    [[ -f "$KAFKA_DIR/tools-log4j2.xml" ]] || write_kafka_config
    KAFKA_JAVA=(java -Xmx256m -XX:TieredStopAtLevel=1 -Djava.awt.headless=true
        -Dlog4j2.configurationFile="$KAFKA_DIR/tools-log4j2.xml"
        -cp "$libs/*")
}

kafka_class() {
    kafka_java_cmd
    "${KAFKA_JAVA[@]}" "$@"
}

# KRaft refuses to start on unformatted storage. Format exactly once:
# meta.properties is written by the storage tool and records the cluster id.
format_kafka_storage() {
    [[ -f "$KAFKA_DIR/data/meta.properties" ]] && return 0
    local cluster_id
    cluster_id="$(kafka_class kafka.tools.StorageTool random-uuid)"
    log "formatting Kafka storage (cluster id $cluster_id)"
    kafka_class kafka.tools.StorageTool format --ignore-formatted \
        -t "$cluster_id" -c "$KAFKA_DIR/server.properties" >&2 \
        || die "Kafka storage format failed"
}

start_kafka() {
    if pid_alive "$KAFKA_PID" kafka.Kafka; then
        log "kafka: already running (pid $(<"$KAFKA_PID"), 127.0.0.1:$KAFKA_PORT)"
        return 0
    fi
    rm -f "$KAFKA_PID"
    local p
    for p in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
        port_open "$p" && die "port $p is already in use by another process; set NEWSWIRE_KAFKA_PORT / NEWSWIRE_KAFKA_CONTROLLER_PORT"
    done
    ensure_kafka_libs
    write_kafka_config
    format_kafka_storage
    local libs
    libs="$(kafka_libs_dir)"
    log "kafka: starting on 127.0.0.1:$KAFKA_PORT (controller $KAFKA_CONTROLLER_PORT)"
    # shellcheck disable=SC2086  # KAFKA_HEAP is intentionally word-split
    spawn "$KAFKA_PID" "$LOG_DIR/kafka.stdout.log" \
        java $KAFKA_HEAP -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError \
        -Djava.awt.headless=true \
        -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.xml" \
        -Dnewswire.kafka.log="$LOG_DIR/kafka.log" \
        -cp "$libs/*" kafka.Kafka "$KAFKA_DIR/server.properties"
    check_survives kafka "$KAFKA_PID" kafka.Kafka "$LOG_DIR/kafka.log" "$LOG_DIR/kafka.stdout.log"
}

# --------------------------------------------------------------------------
# MongoDB wire protocol: mongod or FerretDB
# --------------------------------------------------------------------------

choose_mongo_backend() {
    case "$MONGO_BACKEND" in
    mongod)
        command -v mongod >/dev/null || die "NEWSWIRE_MONGO_BACKEND=mongod but mongod is not on PATH"
        echo mongod ;;
    ferretdb) echo ferretdb ;;
    auto) if command -v mongod >/dev/null; then echo mongod; else echo ferretdb; fi ;;
    *) die "NEWSWIRE_MONGO_BACKEND must be auto, mongod or ferretdb (got '$MONGO_BACKEND')" ;;
    esac
}

# Backend of the running (or last started) Mongo-wire process: the kind file,
# else inferred from the PID's command line, so a lost kind file never makes
# `stop` leave a server running. Prints "none" if nothing is known.
mongo_kind() {
    local k
    k="$(cat "$MONGO_KIND_FILE" 2>/dev/null || true)"
    if [[ -z "$k" ]]; then
        for k in mongod ferretdb none; do
            [[ "$k" == none ]] && break
            pid_alive "$MONGO_PID" "$k" && break
        done
    fi
    echo "$k"
}

ferretdb_ok() {
    [[ -x "$FERRETDB_BIN" ]] && "$FERRETDB_BIN" --version 2>/dev/null | grep -qx "version: $FERRETDB_VERSION"
}

# Build FerretDB once into $CACHE/bin.
#
# Why not simply `go install ...ferretdb@v1.24.2`: that builds, but the binary
# panics at startup ("Invalid build/version/version.txt file content"),
# because the module zip lacks the generated build/version/version.txt that
# FerretDB embeds and insists on when the main module is FerretDB itself. So
# we copy the module source out of the Go module cache, write that file, and
# `go build` from the copy. A binary that fails `--version` (e.g. left behind
# by a plain `go install`) is rebuilt.
ensure_ferretdb() {
    ferretdb_ok && return 0
    command -v go >/dev/null || die "neither mongod nor go found: install MongoDB, or Go >= 1.24 to build FerretDB"
    mkdir -p "$CACHE/bin" "$CACHE/src"
    # Serialise with other infra.sh runs building at the same moment.
    exec 8>"$CACHE/ferretdb-build.lock"
    flock 8
    if ferretdb_ok; then exec 8>&-; return 0; fi

    local t0 moddir src
    t0=$SECONDS
    log "building FerretDB $FERRETDB_VERSION (once, into $FERRETDB_BIN; takes a few minutes on a cold Go cache)"
    moddir="$(go mod download -json "$FERRETDB_MODULE@$FERRETDB_VERSION" \
        | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
    [[ -n "$moddir" && -d "$moddir" ]] || die "go mod download $FERRETDB_MODULE@$FERRETDB_VERSION failed"
    src="$CACHE/src/FerretDB-$FERRETDB_VERSION"
    rm -rf "$src"
    cp -R "$moddir" "$src"
    chmod -R u+w "$src" # the module cache is read-only
    echo "$FERRETDB_VERSION" >"$src/build/version/version.txt"
    echo "newswire-local" >"$src/build/version/package.txt"
    # CGO off: the SQLite backend is pure Go (modernc.org/sqlite); -trimpath
    # keeps local paths out of the binary. Build to a temp name and rename so
    # a failed build never replaces a working binary.
    (cd "$src" && CGO_ENABLED=0 GOFLAGS=-mod=readonly \
        go build -trimpath -o "$FERRETDB_BIN.tmp" ./cmd/ferretdb) \
        || die "FerretDB build failed"
    mv -f "$FERRETDB_BIN.tmp" "$FERRETDB_BIN"
    exec 8>&-
    ferretdb_ok || die "built $FERRETDB_BIN but '--version' does not report $FERRETDB_VERSION"
    log "FerretDB built in $((SECONDS - t0))s"
}

start_mongo() {
    local kind
    kind="$(mongo_kind)"
    if [[ "$kind" != none ]] && pid_alive "$MONGO_PID" "$kind"; then
        log "mongo: already running ($kind, pid $(<"$MONGO_PID"), 127.0.0.1:$MONGO_PORT)"
        return 0
    fi
    rm -f "$MONGO_PID" "$MONGO_KIND_FILE"
    port_open "$MONGO_PORT" && die "port $MONGO_PORT is already in use by another process; set NEWSWIRE_MONGO_PORT"

    kind="$(choose_mongo_backend)"
    mkdir -p "$LOG_DIR"
    # Written before the PID file exists, so there is never a PID without a kind.
    echo "$kind" >"$MONGO_KIND_FILE"
    case "$kind" in
    mongod)
        mkdir -p "$DATA/mongod"
        log "mongo: starting mongod on 127.0.0.1:$MONGO_PORT"
        # No --fork: we background it ourselves so the PID file is ours.
        spawn "$MONGO_PID" "$LOG_DIR/mongod.stdout.log" \
            mongod --bind_ip 127.0.0.1 --port "$MONGO_PORT" \
            --dbpath "$DATA/mongod" --logpath "$LOG_DIR/mongod.log" --logappend \
            --setParameter diagnosticDataCollectionEnabled=false
        check_survives mongod "$MONGO_PID" mongod "$LOG_DIR/mongod.log" "$LOG_DIR/mongod.stdout.log"
        ;;
    ferretdb)
        ensure_ferretdb
        # The SQLite URL must be a directory URI ending in "/"; one .sqlite
        # file per database is created inside. (It is a URI: keep spaces and
        # '?'/'#' out of NEWSWIRE_DATA.)
        mkdir -p "$DATA/ferretdb" "$DATA/ferretdb-state"
        local debug_addr=-
        if [[ "$FERRETDB_DEBUG_PORT" != "-" ]]; then
            port_open "$FERRETDB_DEBUG_PORT" && die "port $FERRETDB_DEBUG_PORT (FerretDB debug/metrics) is in use; set NEWSWIRE_FERRETDB_DEBUG_PORT (or '-' to disable)"
            debug_addr="127.0.0.1:$FERRETDB_DEBUG_PORT"
        fi
        log "mongo: starting FerretDB $FERRETDB_VERSION (SQLite) on 127.0.0.1:$MONGO_PORT"
        # FerretDB already runs SQLite in WAL mode; synchronous(normal) drops the fsync on every
        # commit (a WAL commit still survives a process crash, only an OS crash may lose the
        # last ones). With the default FULL each single-document write cost ~35 ms here, which
        # made the local stack far slower than any real MongoDB. Override with
        # NEWSWIRE_FERRETDB_SQLITE_SYNC=full for strict durability.
        spawn "$MONGO_PID" "$LOG_DIR/ferretdb.log" \
            "$FERRETDB_BIN" --handler=sqlite \
            --sqlite-url="file:$DATA/ferretdb/?_pragma=synchronous(${NEWSWIRE_FERRETDB_SQLITE_SYNC:-normal})" \
            --listen-addr="127.0.0.1:$MONGO_PORT" --debug-addr="$debug_addr" \
            --state-dir="$DATA/ferretdb-state" --telemetry=disable \
            --log-level=INFO --log-format=text
        check_survives ferretdb "$MONGO_PID" ferretdb "$LOG_DIR/ferretdb.log"
        ;;
    esac
}

# --------------------------------------------------------------------------
# Readiness
# --------------------------------------------------------------------------

# Send {ping: 1} as an OP_MSG and check ok == 1. Plain python3 stdlib, so it
# works without the project's venv and for both mongod and FerretDB.
mongo_ping() {
    python3 - "$MONGO_PORT" <<'PY'
import socket, struct, sys

port = int(sys.argv[1])

def cstr(s):
    return s.encode() + b"\0"

body = b"\x10" + cstr("ping") + struct.pack("<i", 1)
body += b"\x02" + cstr("$db") + struct.pack("<i", 6) + b"admin\0"
doc = struct.pack("<i", len(body) + 5) + body + b"\0"
payload = struct.pack("<I", 0) + b"\0" + doc          # flagBits, section kind 0
msg = struct.pack("<iiii", 16 + len(payload), 1, 0, 2013) + payload  # OP_MSG

def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed")
        buf += chunk
    return buf

with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
    s.settimeout(3)
    s.sendall(msg)
    length, _, _, opcode = struct.unpack("<iiii", recv_exact(s, 16))
    rest = recv_exact(s, length - 16)
if opcode != 2013:
    sys.exit(f"unexpected opcode {opcode}")
reply = rest[5:]  # skip flagBits + section kind
# Walk the top-level BSON elements looking for "ok" (double/int32/int64).
i, end = 4, struct.unpack("<i", reply[:4])[0] - 1
fixed = {0x01: 8, 0x07: 12, 0x08: 1, 0x09: 8, 0x0A: 0, 0x10: 4, 0x11: 8, 0x12: 8}
while i < end:
    t = reply[i]; i += 1
    j = reply.index(b"\0", i); name = reply[i:j].decode(); i = j + 1
    if name == "ok":
        v = {0x01: lambda: struct.unpack("<d", reply[i:i+8])[0],
             0x10: lambda: struct.unpack("<i", reply[i:i+4])[0],
             0x12: lambda: struct.unpack("<q", reply[i:i+8])[0]}[t]()
        sys.exit(0 if v == 1 else f"ping returned ok={v}")
    if t in fixed:
        i += fixed[t]
    elif t in (0x02, 0x0D, 0x0E):
        i += 4 + struct.unpack("<i", reply[i:i+4])[0]
    elif t in (0x03, 0x04):
        i += struct.unpack("<i", reply[i:i+4])[0]
    elif t == 0x05:
        i += 5 + struct.unpack("<i", reply[i:i+4])[0]
    else:
        sys.exit(f"cannot parse BSON type {t:#x}")
sys.exit("no 'ok' in ping reply")
PY
}

# Sets MONGO_LOGS to the log files of the current Mongo-wire backend (an
# array, so data dirs containing spaces survive).
mongo_logs() {
    case "$(mongo_kind)" in
    mongod) MONGO_LOGS=("$LOG_DIR/mongod.log" "$LOG_DIR/mongod.stdout.log") ;;
    *) MONGO_LOGS=("$LOG_DIR/ferretdb.log") ;;
    esac
}

cmd_wait() {
    local deadline=$((SECONDS + WAIT_TIMEOUT)) kind
    # Kafka: the port opens before the broker is usable, so after TCP
    # succeeds ask for the topic list; that needs working metadata.
    while :; do
        pid_alive "$KAFKA_PID" kafka.Kafka || {
            show_log_tail "$LOG_DIR/kafka.log" "$LOG_DIR/kafka.stdout.log"
            die "kafka is not running (did you run '$0 start'?)"
        }
        if port_open "$KAFKA_PORT" &&
            timeout 30 bash "$SELF" kafka-class org.apache.kafka.tools.TopicCommand \
                --bootstrap-server "127.0.0.1:$KAFKA_PORT" --list >/dev/null 2>&1; then
            break
        fi
        ((SECONDS < deadline)) || {
            show_log_tail "$LOG_DIR/kafka.log" "$LOG_DIR/kafka.stdout.log"
            die "kafka not ready on 127.0.0.1:$KAFKA_PORT after ${WAIT_TIMEOUT}s"
        }
        sleep 1
    done
    log "kafka: ready on 127.0.0.1:$KAFKA_PORT"

    kind="$(mongo_kind)"
    mongo_logs
    while :; do
        pid_alive "$MONGO_PID" "$kind" || {
            show_log_tail "${MONGO_LOGS[@]}"
            die "mongo ($kind) is not running (did you run '$0 start'?)"
        }
        if port_open "$MONGO_PORT"; then
            if ! command -v python3 >/dev/null; then
                log "python3 not found: mongo checked by TCP connect only"
                break
            fi
            mongo_ping 2>/dev/null && break
        fi
        ((SECONDS < deadline)) || {
            show_log_tail "${MONGO_LOGS[@]}"
            die "mongo ($kind) did not answer ping on 127.0.0.1:$MONGO_PORT within ${WAIT_TIMEOUT}s"
        }
        sleep 0.5
    done
    log "mongo: ready on 127.0.0.1:$MONGO_PORT ($kind)"
}

# --------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------

# The secured instance's functions (secure-* commands); they reuse the helpers above.
# shellcheck source=deploy/local/secure-kafka.sh
source "$SCRIPT_DIR/secure-kafka.sh"

# One start/stop at a time per data dir, so two shells (or a test runner and
# a developer) cannot both decide "not running" and spawn duplicates.
lock_data_dir() {
    mkdir -p "$RUN_DIR"
    exec 9>"$RUN_DIR/infra.lock"
    flock 9
}

cmd_start() {
    lock_data_dir
    command -v java >/dev/null || die "java (17+) not found"
    start_kafka
    start_mongo
    log "started; run '$0 wait' to block until both answer. Logs: $LOG_DIR"
}

cmd_stop() {
    lock_data_dir
    local kind
    stop_process kafka "$KAFKA_PID" kafka.Kafka
    kind="$(mongo_kind)"
    stop_process "mongo ($kind)" "$MONGO_PID" "$kind"
    rm -f "$MONGO_KIND_FILE"
}

cmd_status() {
    local rc=0 kind
    if pid_alive "$KAFKA_PID" kafka.Kafka; then
        echo "kafka: running pid=$(<"$KAFKA_PID") bootstrap=127.0.0.1:$KAFKA_PORT controller=127.0.0.1:$KAFKA_CONTROLLER_PORT log=$LOG_DIR/kafka.log"
    else
        echo "kafka: stopped"; rc=3
    fi
    kind="$(mongo_kind)"
    if [[ "$kind" != none ]] && pid_alive "$MONGO_PID" "$kind"; then
        mongo_logs
        echo "mongo: running backend=$kind pid=$(<"$MONGO_PID") url=mongodb://127.0.0.1:$MONGO_PORT log=${MONGO_LOGS[0]}"
    else
        echo "mongo: stopped"; rc=3
    fi
    echo "data: $DATA"
    echo "cache: $CACHE"
    return $rc
}

cmd_env() {
    echo "export NEWSWIRE_KAFKA_BOOTSTRAP=127.0.0.1:$KAFKA_PORT"
    echo "export NEWSWIRE_MONGO_URL=mongodb://127.0.0.1:$MONGO_PORT"
}

usage() {
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
}

main() {
    local cmd="${1:-}"
    [[ $# -gt 0 ]] && shift
    case "$cmd" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    wait) cmd_wait ;;
    env) cmd_env ;;
    secure-start) cmd_secure_start ;;
    secure-wait) cmd_secure_wait ;;
    secure-env) cmd_secure_env ;;
    secure-status) cmd_secure_status ;;
    secure-stop) cmd_secure_stop ;;
    kafka-class)
        [[ $# -ge 1 ]] || die "usage: $0 kafka-class <main class> [args...]"
        kafka_java_cmd
        exec "${KAFKA_JAVA[@]}" "$@" ;;
    -h | --help | help) usage ;;
    *) usage >&2; exit 2 ;;
    esac
}

# `exit` on the same line: bash reads scripts incrementally, so this keeps a
# running instance from reading past main if the file is edited meanwhile.
main "$@"; exit
