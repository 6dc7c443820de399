#!/usr/bin/env bash
# Lints deploy/: the Kubernetes manifests (kustomize base), the Grafana dashboard and the
# Prometheus alert rules, offline: no cluster, nothing downloaded but npm and Debian packages.
#   bash scripts/lint-k8s.sh
# Exits non-zero on any finding.
#
#   kustomize build   `kubectl kustomize deploy/kubernetes` (kubectl from PATH, else taken from
#                     Debian's kubernetes-client package into the cache)
#   schemas           every rendered resource, plus the files kustomization.yaml leaves out (the
#                     example Secret), against the Kubernetes OpenAPI schemas compiled into the npm
#                     package kubernetes-models, KEDA's CRD schema from @kubernetes-models/keda, and
#                     strictly (no unknown field) against @kubernetes/client-node's field lists and
#                     deploy/kubernetes/schemas/*.schema.json; then the project's own rules
#                     (scripts/lint-k8s.mjs). All pinned below and installed from the npm registry
#                     into a cache directory outside the repository (once per set of versions).
#   PromQL            promtool (from PATH, else taken from the Debian package prometheus into the
#                     cache): alerts.yml (check rules + unit tests in
#                     alerts.test.yml), the syntax of every dashboard and ScaledObject expression,
#                     and a unit test of the ScaledObject's query
#   Grafana           JSON syntax and panel sanity (datasource, targets, unique ids)
# A tool that cannot be had (no apt, or no package lists and not root) fails the run under CI=true
# and is skipped with a note otherwise.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
repo=$(pwd)
start=$(date +%s)

# pinned validator packages: the schemas are the ones inside these versions
NPM_PACKAGES=(
  kubernetes-models@5.1.0          # Kubernetes OpenAPI schemas as compiled validators
  @kubernetes-models/keda@2.0.0    # KEDA CRDs (ScaledObject keda.sh/v1alpha1)
  @kubernetes/client-node@2.0.1    # field lists of every built-in type, for the strict check
  ajv@8.20.0                       # the strict ScaledObject schema in deploy/kubernetes/schemas
  yaml@2.9.1                       # YAML 1.2 parser (duplicate keys are errors)
)
cache_root=${LINT_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bridge-lint-k8s}
cache=$cache_root/$(printf '%s\n' "${NPM_PACKAGES[@]}" | sha256sum | cut -c1-12)

failed=0
fail() { echo "  FAIL: $*"; failed=1; }
missing_tool() {
  if [[ ${CI:-} == true ]]; then fail "$1 is not available and could not be installed"; else echo "  SKIP: $1 is not available (install it to run this check; CI fails without it)"; fi
}
# A Debian tool: from PATH, else its binary extracted from the Debian package (apt-get download,
# dpkg-deb -x) into the cache, keyed by the Debian release. Nothing is installed system-wide, so no
# service starts and no dependency comes along (promtool and kubectl are static Go binaries).
deb_tool() { # binary package
  local bin=$1 pkg=$2 dir
  if command -v "$bin" >/dev/null 2>&1; then command -v "$bin"; return 0; fi
  # shellcheck source=/dev/null
  dir=$cache_root/debian-$(. /etc/os-release 2>/dev/null; echo "${VERSION_CODENAME:-unknown}")
  if [[ -x $dir/$bin ]]; then echo "$dir/$bin"; return 0; fi
  command -v apt-get >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1 || return 1
  echo "  fetching $bin from the Debian package $pkg (apt-get download)" >&2
  (
    cd "$work" || exit 1
    if ! apt-get download "$pkg" >/dev/null 2>&1; then
      # no package lists yet (a fresh machine): only root can fetch them
      [[ $(id -u) -eq 0 ]] && apt-get update -q >/dev/null 2>&1 && apt-get download "$pkg" >/dev/null 2>&1 || exit 1
    fi
    dpkg-deb -x "$pkg"_*.deb "deb-$pkg" && mkdir -p "$dir" && cp "deb-$pkg/usr/bin/$bin" "$dir/$bin"
  ) || return 1
  echo "$dir/$bin"
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== tools"
# KUBECTL / PROMTOOL: use these binaries instead
KUBECTL=${KUBECTL:-$(deb_tool kubectl kubernetes-client || echo kubectl)}
PROMTOOL=${PROMTOOL:-$(deb_tool promtool prometheus || echo promtool)}
if [[ ! -f $cache/.installed ]]; then
  echo "  installing ${NPM_PACKAGES[*]} (npm) into $cache"
  mkdir -p "$cache"
  printf '{ "name": "bridge-lint-k8s", "private": true }\n' >"$cache/package.json"
  if npm install --prefix "$cache" --no-audit --no-fund --ignore-scripts --loglevel=error --engine-strict=false --save-exact "${NPM_PACKAGES[@]}" >"$work/npm.log" 2>&1; then
    touch "$cache/.installed"
  else
    sed 's/^/    /' "$work/npm.log"
    fail "npm install of the validator packages failed"
    exit 1
  fi
fi
echo "  kubectl: $(command -v "$KUBECTL" >/dev/null 2>&1 && "$KUBECTL" version --client 2>/dev/null | head -2 | tr '\n' ' ' || echo none)"
echo "  promtool: $(command -v "$PROMTOOL" >/dev/null 2>&1 && "$PROMTOOL" --version 2>&1 | head -1 || echo none)"
echo "  npm: ${NPM_PACKAGES[*]}"

echo "== deploy/kubernetes: kustomize build"
render_args=() rendered=0
listed=$(awk '/^resources:/ { on = 1; next } /^[^ #-]/ { on = 0 } on && $1 == "-" { print $2 }' deploy/kubernetes/kustomization.yaml)
if command -v "$KUBECTL" >/dev/null 2>&1; then
  if "$KUBECTL" kustomize deploy/kubernetes >"$work/rendered.yaml" 2>"$work/kustomize.err"; then
    echo "  ok: $(grep -c '^kind:' "$work/rendered.yaml") resources rendered"
    render_args=(--rendered "$work/rendered.yaml") rendered=1
  else
    sed 's/^/    /' "$work/kustomize.err"
    fail "kubectl kustomize deploy/kubernetes"
  fi
else
  missing_tool "kubectl (Debian package kubernetes-client)"
fi
# files checked on their own: those kustomization.yaml does not list, or all when nothing rendered
for file in deploy/kubernetes/*.yaml deploy/kubernetes/*.yml; do
  [[ -f $file && $(basename "$file") != kustomization.yaml ]] || continue
  if [[ $rendered -eq 0 ]] || ! grep -qxF "$(basename "$file")" <<<"$listed"; then render_args+=(--also "$repo/$file"); fi
done

echo "== deploy/kubernetes + deploy/grafana: schemas, strict fields, project rules"
cp scripts/lint-k8s.mjs "$cache/lint-k8s.mjs"
node "$cache/lint-k8s.mjs" --repo "$repo" --out "$work" "${render_args[@]}" 2>&1 || fail "manifests or dashboard (see FAIL above)"

echo "== PromQL: promtool"
if command -v "$PROMTOOL" >/dev/null 2>&1; then
  run() { # label, command...
    local label=$1 out; shift
    if out=$("$@" 2>&1); then echo "  ok: $label"; else printf '%s\n' "$out" | sed 's/^/    /'; fail "$label"; fi
  }
  run "deploy/prometheus/alerts.yml: promtool check rules" "$PROMTOOL" check rules deploy/prometheus/alerts.yml
  run "deploy/prometheus/alerts.test.yml: promtool test rules" "$PROMTOOL" test rules deploy/prometheus/alerts.test.yml
  if [[ -f $work/promql-syntax.rules.yml ]]; then
    run "PromQL syntax of the dashboard panels and the ScaledObject query" "$PROMTOOL" check rules "$work/promql-syntax.rules.yml"
  fi
  if [[ -f $work/keda-query.test.yml ]]; then
    # two worker pods, each reporting waiting=30 prioritized=10 (and other states/queues): 40, not 80
    run "ScaledObject query counts the backlog once across worker pods" "$PROMTOOL" test rules "$work/keda-query.test.yml"
  fi
else
  missing_tool "promtool (Debian package prometheus)"
fi

echo "lint-k8s: $(( $(date +%s) - start )) s"
if [[ $failed -ne 0 ]]; then
  echo "lint-k8s: problems found (see FAIL above)"
  exit 1
fi
echo "lint-k8s: deploy/kubernetes, deploy/grafana and deploy/prometheus passed"
