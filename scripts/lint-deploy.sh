#!/usr/bin/env bash
# Lints the deployment files: docker-compose.yml (and its Chatwoot override), services/*/Dockerfile and deploy/caddy/Caddyfile.
#   bash scripts/lint-deploy.sh
# Exits non-zero on any finding, warnings included. Needs node, pnpm and the npm registry (the
# linters run through `pnpm dlx` at pinned versions; no Docker engine needed), and caddy (Debian's
# package; without it the Caddyfile check fails under CI=true and is skipped with a note otherwise).
#
#   docker-compose.yml  dclint: the compose-spec schema plus best practices (rules set in .dclintrc),
#                       and scripts/lint-compose-hardening.mjs: every service non-root, read-only,
#                       cap_drop ALL, no-new-privileges (needs `pnpm install` for its YAML parser)
#   Dockerfiles         dockerfile-utils: the Dockerfile parser and validator behind the Docker
#                       language server and VS Code's Docker support (hadolint has no npm or Debian
#                       package, and dockerfilelint is no longer maintained), plus this project's
#                       own rules below
#   Caddyfile           `caddy validate`, once with a public domain and once with `tls internal`;
#                       `caddy fmt` leaves it unchanged
set -uo pipefail
cd "$(dirname "$0")/.."

DCLINT=dclint@3.1.0
DOCKERFILE_UTILS=dockerfile-utils@0.16.3
# the port each service listens on inside its container (its default, docs/configuration.md)
declare -A PORT=([ingest]=3000 [worker]=3002 [dashboard]=3001)

failed=0 here=0
fail() { echo "  FAIL: $*"; failed=1; here=1; }

# docker-compose.chatwoot.yml is an override (merged onto docker-compose.yml): dclint, no hardening check
for compose in docker-compose.yml docker-compose.chatwoot.yml; do
  echo "== $compose: $DCLINT (config .dclintrc)"
  here=0
  if pnpm --silent dlx "$DCLINT" --config .dclintrc --max-warnings 0 "$compose"; then
    echo "  ok"
  else
    fail "dclint reported problems in $compose"
  fi
done
echo "== docker-compose.yml: container hardening"
if node scripts/lint-compose-hardening.mjs docker-compose.yml; then
  echo "  ok"
else
  fail "a service of docker-compose.yml lost its hardening"
fi

first=""
for service in ingest worker dashboard; do
  file=services/$service/Dockerfile
  echo "== $file: $DOCKERFILE_UTILS, project rules"
  here=0
  if [[ ! -f $file ]]; then fail "$file is missing"; continue; fi

  # dockerfile-utils exits 1 on errors only; warnings fail here too
  out=$(pnpm --silent dlx "$DOCKERFILE_UTILS" lint "$file" 2>&1); rc=$?
  if [[ $rc -ne 0 || -n $out ]]; then printf '%s\n' "$out" | sed 's/^/    /'; fail "dockerfile-utils: $file"; fi

  # every base image carries an explicit tag, never `latest`
  while read -r image; do
    [[ $image == *:* && $image != *:latest ]] || fail "$file: base image '$image' needs a pinned tag"
  done < <(awk 'toupper($1) == "FROM" { print $2 }' "$file")

  # the final stage runs as a non-root user and starts node directly (signals reach it, no npm/pnpm in between)
  final=$(awk 'toupper($1) == "FROM" { stage = "" } { stage = stage $0 "\n" } END { printf "%s", stage }' "$file")
  user=$(printf '%s' "$final" | awk 'toupper($1) == "USER" { u = $2 } END { print u }')
  [[ -n $user && $user != root && $user != 0 && $user != 0:* && $user != root:* ]] || fail "$file: the final stage must switch to a non-root USER"
  printf '%s' "$final" | grep -qE '^CMD \["node", "dist/main\.js"\]$' || fail "$file: the final stage must end with CMD [\"node\", \"dist/main.js\"]"
  printf '%s' "$final" | grep -qE "^EXPOSE ${PORT[$service]}\$" || fail "$file: the final stage must EXPOSE ${PORT[$service]}"

  # the three Dockerfiles stay the same file, but for the service's name and port
  normal=$(sed -e "s/$service/SERVICE/g" -e 's/^EXPOSE [0-9]*$/EXPOSE PORT/' "$file")
  if [[ -z $first ]]; then
    first=$service; first_normal=$normal
  elif [[ $normal != "$first_normal" ]]; then
    diff <(printf '%s\n' "$first_normal") <(printf '%s\n' "$normal") | sed 's/^/    /'
    fail "$file differs from services/$first/Dockerfile beyond the service's name and port"
  fi
  if [[ $here -eq 0 ]]; then echo "  ok"; fi
done

echo "== deploy/caddy/Caddyfile: caddy validate"
here=0
if command -v caddy >/dev/null 2>&1; then
  # caddy keeps its state (a local CA included) under XDG_DATA_HOME: a temporary one, never this machine's
  caddy_home=$(mktemp -d)
  trap 'rm -rf "$caddy_home"' EXIT
  for variant in "BRIDGE_DOMAIN=bridge.example.com" "BRIDGE_DOMAIN=localhost BRIDGE_TLS=internal"; do
    # shellcheck disable=SC2086 # the variant is a list of NAME=value words
    if ! out=$(env HOME="$caddy_home" XDG_DATA_HOME="$caddy_home/data" XDG_CONFIG_HOME="$caddy_home/config" $variant \
        caddy validate --config deploy/caddy/Caddyfile --adapter caddyfile 2>&1); then
      printf '%s\n' "$out" | grep -v '"level":"info"' | sed 's/^/    /'
      fail "caddy validate with $variant"
    fi
  done
  caddy fmt deploy/caddy/Caddyfile | diff -q deploy/caddy/Caddyfile - >/dev/null ||
    fail "deploy/caddy/Caddyfile is not in caddy's format: caddy fmt --overwrite deploy/caddy/Caddyfile"
  if [[ $here -eq 0 ]]; then echo "  ok ($(caddy version | cut -d' ' -f1))"; fi
elif [[ ${CI:-} == true ]]; then
  fail "caddy is not installed (Debian: apt-get install caddy)"
else
  echo "  SKIP: caddy is not installed (Debian: apt-get install caddy; CI fails without it)"
fi

if [[ $failed -ne 0 ]]; then
  echo "lint-deploy: problems found (see FAIL above)"
  exit 1
fi
echo "lint-deploy: docker-compose.yml, docker-compose.chatwoot.yml, 3 Dockerfiles and the Caddyfile passed"
