#!/usr/bin/env bash
# Validates docker-compose.yml with `docker compose config`. Machines without Docker's compose plugin
# (CI has only the docker client) get Compose v2 built from source into the cache with Go, once.
set -euo pipefail
cd "$(dirname "$0")/.."
COMPOSE_VERSION=v2.29.7
cache="${SAFEGUARD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/safeguard}/compose"

if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
else
  if [ ! -x "$cache/cmd" ]; then
    echo "building docker compose $COMPOSE_VERSION into $cache (once)"
    mkdir -p "$cache"
    GOBIN="$cache" go install "github.com/docker/compose/v2/cmd@$COMPOSE_VERSION"
  fi
  compose=("$cache/cmd")
fi
# The file requires SECRETS_KEY from the user's .env; a placeholder is enough to check the rest.
SECRETS_KEY="${SECRETS_KEY:-placeholder-for-the-check}" "${compose[@]}" -f docker-compose.yml config --quiet
echo "docker-compose.yml is valid"
