#!/usr/bin/env bash
# Deployment and operations (issue 5), with no cluster and no registry:
#   terraform   fmt; the SpinApp/SpinAppExecutor/Shim the module applies, rendered by Terraform itself
#               and validated against the SpinKube CRDs pinned in tests/data/spinkube/crds; the
#               RuntimeClass handler is the installed shim's; variable validations refuse bad inputs;
#               the Fermyon Cloud module validates; checkov with every skip justified
#   monitoring  promtool check config / check rules / test rules; dashboard expressions parse and use
#               only metrics the served component exposes
#   workflows   actionlint + action-validator on .github/workflows, and what they must do
#   load        scripts/load-locust: a short headless locust run against the served component,
#               zero failures; its /metrics pass promtool check metrics
#   docs        the deploy guide's commands come in the order a user runs them
source "$(dirname "$0")/../lib.sh"
cd "$ROOT"

ensure_apt prometheus curl
ensure_venv
ensure_npm "$ROOT/scripts/deploy"
command -v terraform >/dev/null || { echo "terraform 1.x is expected on PATH (/usr/local/bin/terraform)" >&2; exit 1; }
mkdir -p "$TOOLS"; : >"$TOOLS/terraformrc"
export TF_CLI_CONFIG_FILE="$TOOLS/terraformrc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
# checkov: no update check against PyPI (the scan itself is offline with --skip-download).
export CKV_SKIP_PACKAGE_UPDATE_CHECK=true

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
passed=0; failed=0; failed_names=()
step() {
  local name="$1"; shift
  log "deploy: $name"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); failed_names+=("$name"); echo "FAILED: $name" >&2; fi
}

# --- terraform ----------------------------------------------------------------------------------
step "terraform fmt -check -recursive" timeout 120 terraform fmt -check -recursive -diff terraform

step "SpinKube manifests render and validate against the CRDs" \
  timeout 600 python3 scripts/deploy/check_manifests.py terraform/spinkube tests/data/spinkube/crds spin.toml

fermyon_validate() {
  # No provider at all, so init downloads nothing and validate runs for real (in a copy: no
  # .terraform/ left in the tree).
  cp -r terraform/fermyon-cloud "$work/fermyon-cloud"
  (cd "$work/fermyon-cloud" && timeout 120 terraform init -input=false -backend=false >/dev/null &&
    timeout 120 terraform validate -no-color)
}
step "terraform validate terraform/fermyon-cloud" fermyon_validate

fermyon_commands() {
  # The command the module runs under local-exec (no TTY), rendered by Terraform for each platform:
  # no prompt can be reached, and Akamai gets the build without atomics and metrics_store=off.
  (cd "$work/fermyon-cloud" && python3 - "$ROOT" <<'EOF'
import json, re, subprocess, sys
root = sys.argv[1]
def render(*args):
    p = subprocess.run(["terraform", "console", f"-var=app_dir={root}", "-var=release=v3.0.0", *args],
                       input="local.full_command", capture_output=True, text=True, timeout=120)
    err = re.sub(r"\x1b\[[0-9;]*m", "", p.stdout + p.stderr)
    lines = [l for l in p.stdout.splitlines() if l.startswith('"')]
    return (json.loads(lines[-1]) if p.returncode == 0 and lines and "Error:" not in err else None), err
bad = []
def expect(cond, what):
    if not cond:
        bad.append(what)
aka, _ = render("-var=platform=akamai", "-var=variables={log_level=\"warn\"}")
print("akamai:", aka)
expect(aka is not None, "akamai renders")
if aka:
    expect(" aka deploy --no-confirm --create-name fskhttp " in aka, "akamai: --no-confirm --create-name fskhttp")
    expect("--features no-kv-atomics,web-assets" in aka, "akamai: built without wasi:keyvalue/atomics")
    expect("--variable metrics_store=off" in aka and "--variable log_level=warn" in aka, "akamai: metrics_store=off")
    expect(aka.count("</dev/null") == 2, "akamai: no stdin for either command")
again, _ = render("-var=platform=akamai", "-var=create_app=false", "-var=app_name=fsk-edge")
expect(again is not None and "--create-name" not in again and "--no-confirm" in again, f"akamai redeploy: {again}")
cloud, _ = render("-var=platform=fermyon-cloud", "-var=variables={metrics_store=\"kv\"}")
print("fermyon-cloud:", cloud)
expect(cloud is not None and cloud.startswith("spin build </dev/null && spin cloud deploy --variable metrics_store=kv"),
       f"fermyon-cloud: {cloud}")
refused, err = render("-var=platform=akamai", "-var=variables={metrics_store=\"kv\"}")
expect(refused is None and "metrics_store must be off on Akamai" in " ".join(err.replace("│", " ").split()),
       "akamai refuses metrics_store=kv")
for b in bad:
    print("FAIL:", b, file=sys.stderr)
print(f"fermyon-cloud commands: {'ok' if not bad else str(len(bad)) + ' problems'}")
sys.exit(1 if bad else 0)
EOF
  )
}
step "terraform/fermyon-cloud renders prompt-free commands (Akamai: --no-confirm, --create-name)" fermyon_commands

checkov_scan() {
  timeout 900 checkov -d terraform --framework terraform --skip-download --quiet --compact || return 1
  # Every skipped check carries its reason: checkov:skip=ID:why (at least a few words).
  local bare
  bare="$(grep -rn 'checkov:skip' terraform | grep -vE 'checkov:skip=CKV[0-9A-Z_]+:[^ ].{15,}' || true)"
  [ -z "$bare" ] || { echo "checkov skips without a justification:" >&2; echo "$bare" >&2; return 1; }
  echo "checkov skips (all justified): $(grep -rc 'checkov:skip=' terraform | awk -F: '{s+=$2} END {print s}')"
}
step "checkov over terraform/" checkov_scan

# --- monitoring ---------------------------------------------------------------------------------
step "promtool check config monitoring/prometheus.yml" promtool check config monitoring/prometheus.yml
step "promtool check rules monitoring/alerts.yml" promtool check rules monitoring/alerts.yml
step "promtool test rules monitoring/alerts.test.yml" bash -c 'cd monitoring && promtool test rules alerts.test.yml'

# --- workflows ----------------------------------------------------------------------------------
workflows_check() {
  local f ok=0
  node scripts/deploy/lint-workflows.cjs .github/workflows/*.yml || ok=1
  timeout 600 checkov -d .github/workflows --framework github_actions --skip-download --quiet --compact || ok=1
  for f in .github/workflows/*.yml; do
    scripts/deploy/node_modules/.bin/action-validator "$f" >/dev/null || { echo "action-validator: $f" >&2; ok=1; }
  done
  python3 - <<'EOF' || ok=1
import os, subprocess, sys, tempfile, yaml
ci = yaml.safe_load(open(".github/workflows/ci.yml"))
rel = yaml.safe_load(open(".github/workflows/release.yml"))
texts = open(".github/workflows/ci.yml").read() + open(".github/workflows/release.yml").read()
def steps(wf, job=None):
    return [s for n, j in wf["jobs"].items() if job in (None, n) for s in j["steps"]]
def runs(wf, job=None):
    return "\n".join(s.get("run", "") for s in steps(wf, job))
def uses(wf):
    return [s["uses"] for s in steps(wf) if "uses" in s]
def step_index(wf, job, needle):
    return next((i for i, s in enumerate(steps(wf, job)) if needle in s.get("run", "")), -1)
publish = rel["jobs"].get("release", {})
push = next((s for s in steps(rel, "release") if "spin registry push" in s.get("run", "")), {})
name_step = next((s for s in steps(rel, "release")
                  if "GITHUB_ENV" in s.get("run", "") and "IMAGE=" in s.get("run", "")), None)

# The lowercase image name, for real: run the step's script with bash, as the runner does, for an
# owner with capitals, and read what it appends to $GITHUB_ENV.
lower = "not run"
if name_step:
    with tempfile.TemporaryDirectory() as d:
        env_file = os.path.join(d, "env")
        open(env_file, "w").close()
        env = dict(os.environ, GITHUB_ENV=env_file, **{k: "Acme-Labs" for k in name_step.get("env", {})})
        subprocess.run(["bash", "-e", "-c", name_step["run"]], env=env, check=True)
        lower = open(env_file).read().strip()

checkouts = [s for wf in (ci, rel) for s in steps(wf) if s.get("uses", "").startswith("actions/checkout@")]
checks = {
    "ci runs .ci/run": ".ci/run" in runs(ci),
    "release triggers on tags": "tags" in rel[True]["push"],
    "release runs .ci/run in a test job that the publishing job needs":
        ".ci/run" in runs(rel, "test") and publish.get("needs") == "test",
    "release pushes with spin registry push --build": "spin registry push --build" in push.get("run", ""),
    "release builds the web page before the push":
        0 <= step_index(rel, "release", "scripts/build-web") < step_index(rel, "release", "spin registry push"),
    "release logs in before the push":
        0 <= step_index(rel, "release", "spin registry login") < step_index(rel, "release", "spin registry push"),
    "release sets up spin with fermyon/actions": any(u.startswith("fermyon/actions/spin/setup@") for u in uses(rel)),
    "release may write packages only": publish.get("permissions") == {"contents": "read", "packages": "write"},
    "release test job cannot write packages": rel["jobs"]["test"].get("permissions") == {"contents": "read"},
    f"the image name is lowercased (owner Acme-Labs: {lower})": lower == "IMAGE=ghcr.io/acme-labs/fskhttp",
    "the push uses that name": '"$IMAGE:$TAG"' in push.get("run", "") and "repository_owner }}/" not in texts,
    "one checkout per job, of this repository only (works from a fork)":
        all(not (s.get("with") or {}).get("repository") and not (s.get("with") or {}).get("path") for s in checkouts)
        and all(sum(s.get("uses", "").startswith("actions/checkout@") for s in j["steps"]) == 1
                for wf in (ci, rel) for j in wf["jobs"].values()),
    "no repository variables, no second repository": "vars." not in texts and "FSK_SHARED" not in texts,
    "every action is pinned to a version": all("@" in u for u in uses(ci) + uses(rel)),
}
bad = [k for k, v in checks.items() if not v]
print(f"workflows: {len(checks) - len(bad)} passed, {len(bad)} failed")
for k in bad:
    print("  FAIL:", k, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
  return $ok
}
step "GitHub workflows lint" workflows_check

# --- load test against the served component ------------------------------------------------------
load_check() {
  USERS="${DEPLOY_LOAD_USERS:-10}" SPAWN=10 DURATION="${DEPLOY_LOAD_DURATION:-8s}" \
    METRICS_OUT="$work/metrics.txt" STATS_OUT="$work/stats.json" \
    timeout 1500 scripts/load-locust || return 1
  python3 - "$work/stats.json" <<'EOF' || return 1
import json, sys
s = json.load(open(sys.argv[1]))
need = ["POST /encode", "GET /health", "POST /decode"]
missing = [n for n in need if s.get(n, {}).get("requests", 0) == 0]
print("every task ran:", "yes" if not missing else f"no, missing {missing}")
sys.exit(1 if missing else 0)
EOF
  promtool check metrics <"$work/metrics.txt" || return 1
  python3 scripts/deploy/check_monitoring.py monitoring "$work/metrics.txt"
}
step "locust headless run against the served component (zero failures)" load_check

metrics_off_check() {
  # metrics_store = off on the served component: /metrics says so and nothing else, /health stays
  # healthy, and requests write nothing to the key-value store (the host stub keeps it in a folder).
  local port kv pid rc=0 deadline metrics
  port="$(free_port)"; kv="$work/kv-off"; mkdir -p "$kv"
  PORT="$port" FSK_KV_DIR="$kv" SPIN_VARIABLE_METRICS_STORE=off setsid scripts/serve >"$work/off.log" 2>&1 &
  pid=$!
  deadline=$((SECONDS + 900))
  # Ready means /health answers 200; the pause only paces the polling (bounded by the deadline).
  until curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port/health" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
      tail -n 30 "$work/off.log" >&2; kill -TERM -- "-$pid" 2>/dev/null; return 1
    fi
    sleep 0.2
  done
  for i in $(seq 1 10); do
    curl -fsS -o /dev/null --max-time 30 -X POST -H 'Content-Type: application/json' \
      -d "{\"text\":\"off $i\"}" "http://127.0.0.1:$port/encode" || rc=1
  done
  curl -fsS --max-time 10 "http://127.0.0.1:$port/health" | python3 -c '
import json, sys
h = json.load(sys.stdin)
assert h["status"] == "healthy" and h["service_metrics"]["requests_total"] == 0, h
print("health with metrics_store=off:", h["status"], h["service_metrics"]["requests_total"])' || rc=1
  metrics="$(curl -fsS --max-time 10 "http://127.0.0.1:$port/metrics")" || rc=1
  if [ "$(grep -v '^#' <<<"$metrics")" != "fskhttp_metrics_store_enabled 0" ]; then
    echo "metrics with metrics_store=off: $metrics" >&2; rc=1
  fi
  if ! command -v spin >/dev/null 2>&1; then
    # wasmtime + host stub: the store is this folder; nothing may have been written.
    if [ -n "$(find "$kv" -type f | head -n1)" ]; then echo "key-value writes with metrics_store=off:" >&2; find "$kv" -type f >&2; rc=1
    else echo "key-value store untouched by 12 requests"; fi
  fi
  kill -TERM -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  return $rc
}
step "metrics_store=off on the served component: no key-value writes, /metrics says off" metrics_off_check

in_cluster_load() {
  # The in-cluster load test (around the Ingress's per-IP limits): the Pod it would run, without a
  # cluster. It must call the app's Service, mount the repository's locustfile, and use the pinned locust.
  local out
  out="$(DRY_RUN=1 NAMESPACE=audio APP=fsk-prod USERS=50 scripts/deploy/load-in-cluster)" || return 1
  python3 - "$out" <<'EOF'
import json, re, shlex, sys
lines = sys.argv[1].splitlines()
cm, pod = shlex.split(lines[0].split("|")[0]), shlex.split(lines[1])
pin = re.search(r"^locust==(\S+)$", open("scripts/requirements.txt").read(), re.M).group(1)
spec = json.loads(next(a for a in pod if a.startswith("--overrides=")).split("=", 1)[1])["spec"]
(c,) = spec["containers"]
args = c["args"]
ok = {
    "configmap from loadtest/locustfile.py": "--from-file=locustfile.py=loadtest/locustfile.py" in cm,
    "pod in the app namespace": pod[:3] == ["kubectl", "-n", "audio"],
    f"locust image pinned as scripts/requirements.txt ({pin})": c["image"] == f"docker.io/locustio/locust:{pin}",
    "calls the Service, not the Ingress": args[args.index("--host") + 1] == "http://fsk-prod.audio.svc.cluster.local",
    "headless, users from USERS": "--headless" in args and args[args.index("-u") + 1] == "50",
    "mounts the locustfile": c["volumeMounts"][0]["mountPath"] == "/mnt/locust" and args[1] == "/mnt/locust/locustfile.py",
    "fails on any failed request": "--exit-code-on-error" in args,
}
for k, v in ok.items():
    if not v:
        print("FAIL:", k, file=sys.stderr)
print(f"in-cluster load test: {sum(ok.values())}/{len(ok)} checks")
sys.exit(0 if all(ok.values()) else 1)
EOF
}
step "in-cluster load test command (scripts/deploy/load-in-cluster, dry run)" in_cluster_load

# --- docs ---------------------------------------------------------------------------------------
docs_check() {
  python3 - <<'EOF'
import os, re, sys
bad = []
for f in ["docs/DEPLOY.md", "docs/SCALING.md", "docs/operations.md"]:
    if not os.path.isfile(f):
        bad.append(f"{f} missing")
deploy = open("docs/DEPLOY.md").read() if os.path.isfile("docs/DEPLOY.md") else ""
# The commands of the guide, in the order a user runs them.
order = [r"spin up", r"scripts/load-locust", r"spin registry push", r"terraform init",
         r"terraform apply -var deploy_app=false", r"terraform apply(?! -var)", r"kubectl get spinapp"]
at = 0
for c in order:  # each command must come after the previous one
    m = re.compile(c).search(deploy, at)
    if not m:
        bad.append(f"DEPLOY.md lacks `{c}` after `{deploy[max(at - 40, 0):at].strip()}`")
    else:
        at = m.end()
# Every repository path the docs name exists.
for f in ["docs/DEPLOY.md", "docs/SCALING.md", "docs/operations.md"]:
    if os.path.isfile(f):
        for p in set(re.findall(r"`((?:terraform|monitoring|scripts|loadtest|\.github)/[A-Za-z0-9_./-]+)`", open(f).read())):
            if not os.path.exists(p.rstrip("/")):
                bad.append(f"{f} names {p}, which does not exist")
# The module's README documents every input and output it declares.
readme = open("terraform/spinkube/README.md").read()
for kind, f in (("variable", "terraform/spinkube/variables.tf"), ("output", "terraform/spinkube/outputs.tf")):
    for name in re.findall(kind + r' "([a-z_]+)"', open(f).read()):
        if f"| `{name}` |" not in readme:
            bad.append(f"terraform/spinkube/README.md does not document {kind} {name}")
scaling = open("docs/SCALING.md").read() if os.path.isfile("docs/SCALING.md") else ""
for knob in ["MAX_WORKERS", "MAX_CONCURRENT_REQUESTS", "REQUEST_TIMEOUT", "gunicorn", "limit_req", "OTEL_EXPORTER_OTLP_ENDPOINT"]:
    if knob not in scaling:
        bad.append(f"SCALING.md does not map {knob}")
# What a first deployment trips over, each stated in the guide.
for must, why in [("metrics-server", "the HPA's prerequisite"), ("Change visibility", "GHCR packages start private"),
                  ("image_pull_secret", "the private-package path"), ("--no-confirm", "Akamai without a TTY"),
                  ("--create-name", "Akamai first deploy"), ("scripts/deploy/load-in-cluster", "load test around the limits"),
                  ("HTTPRoute", "the Gateway API path"), ("metrics_store", "the metrics switch"),
                  ("spin registry push --build", "the pushed .wasm is this build"), ("spin-v2", "the runtime handler")]:
    if must not in deploy:
        bad.append(f"DEPLOY.md does not mention {must} ({why})")
# (spelled in pieces so that this check is not itself a reference to a path outside the repository)
if any(p in open("docs/DEPLOY.md").read() for p in ("../" + "shared", "/wo" + "rk/")):
    bad.append("DEPLOY.md refers to a path outside the repository")
for b in bad:
    print("FAIL:", b, file=sys.stderr)
print(f"docs: {'ok' if not bad else str(len(bad)) + ' problems'}")
sys.exit(1 if bad else 0)
EOF
}
step "deploy docs: commands in order, paths exist, old knobs mapped" docs_check

echo
[ $failed -eq 0 ] || echo "failed: ${failed_names[*]}"
echo "deploy: $passed passed, $failed failed"
[ $failed -eq 0 ]
