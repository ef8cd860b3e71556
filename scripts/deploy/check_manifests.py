#!/usr/bin/env python3
"""Render the SpinKube manifests of terraform/spinkube with Terraform itself and validate them.

The module keeps its custom resources as templates (terraform/spinkube/templates/*.tftpl) rendered by
locals in manifests.tf, which depend only on variables.tf. This script copies those files into a
scratch directory (no provider, so no download) and asks `terraform console` for the rendered
manifests under several sets of inputs, then:

  * validates the SpinApp, SpinAppExecutor and Shim against the openAPIV3Schema of the real CRDs
    pinned in the repository (tests/data/spinkube/crds: spin-operator v0.6.1, runtime-class-manager
    v0.1.0 and v0.2.0), strictly: a field the CRD does not know is an error, as it is for
    kubernetes_manifest and for `kubectl apply --validate=strict`;
  * checks that the RuntimeClass handler is the one runtime-class-manager registers for the shim the
    module installs (containerd-shim-spin-v2 -> spin-v2), on the Shim and on the direct RuntimeClass;
  * checks the Gateway API HTTPRoutes (the alternative to the ingress-nginx Ingresses);
  * checks what the inputs should have produced (replicas vs enableAutoscaling, Redis runtimeConfig,
    the Spin variables, the probes, OpenTelemetry endpoints);
  * checks that invalid inputs are refused by the module's variable validations;
  * checks that the Spin variables the module sets are exactly spin.toml's, with the same defaults.
  * checks every var./local./resource/data reference of the module against its declarations
    (`terraform validate` needs the providers, which these machines cannot download).

Usage: check_manifests.py MODULE_DIR CRD_DIR SPIN_TOML      (exit status 0 = all passed)
       (CRD_DIR: tests/data/spinkube/crds)
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib

import jsonschema
import yaml

ANSI = re.compile(r"\x1b\[[0-9;]*m")
IMAGE = "ghcr.io/acme/fskhttp:v3.0.0"
EXPR = ("jsonencode({spinapp = local.spinapp_manifest, executor = local.spinappexecutor_manifest, "
        "shim = local.shim_manifest, scaledobject = local.scaledobject_manifest, "
        "runtimeclass = local.runtimeclass_manifest, httproutes = local.httproute_manifests})")

failures = []
passed = 0


def check(cond, what):
    global passed
    if cond:
        passed += 1
    else:
        failures.append(what)
        print(f"FAIL: {what}", file=sys.stderr)


def crd_schema(path):
    """The CRD's openAPIV3Schema as a strict JSON Schema (draft 7)."""
    with open(path) as f:
        crd = yaml.safe_load(f)
    (version,) = [v for v in crd["spec"]["versions"] if v.get("storage")]
    return crd["spec"]["names"]["kind"], version["name"], crd["spec"]["group"], \
        strict(version["schema"]["openAPIV3Schema"])


def strict(node):
    """Drop the x-kubernetes-* extensions JSON Schema does not know, and forbid unknown fields where
    the CRD lists properties (structural schemas prune them; kubernetes_manifest rejects them)."""
    if isinstance(node, list):
        return [strict(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {}
    preserve = node.get("x-kubernetes-preserve-unknown-fields", False)
    for k, v in node.items():
        if k.startswith("x-kubernetes-") or k in ("description", "format"):
            continue
        if k in ("properties",):
            out[k] = {name: strict(sub) for name, sub in v.items()}
        else:
            out[k] = strict(v)
    if node.get("type") == "object" and "properties" in node and "additionalProperties" not in node \
            and not preserve:
        out["additionalProperties"] = False
    return out


def render(module_dir, tfvars):
    """Evaluate the module's locals for these inputs. Returns (manifests or None, stderr text)."""
    with tempfile.TemporaryDirectory(prefix="fsk-tf-") as d:
        for name in ("variables.tf", "manifests.tf"):
            shutil.copy(os.path.join(module_dir, name), d)
        shutil.copytree(os.path.join(module_dir, "templates"), os.path.join(d, "templates"))
        with open(os.path.join(d, "in.tfvars.json"), "w") as f:
            json.dump(tfvars, f)
        env = dict(os.environ, TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1")
        p = subprocess.run(["terraform", "console", "-var-file=in.tfvars.json"], input=EXPR,
                           cwd=d, capture_output=True, text=True, timeout=120, env=env)
        err = ANSI.sub("", p.stderr + p.stdout)
        # Some refused inputs still let the console print a value (exit 0), with the error beside it.
        if p.returncode != 0 or "Error:" in err:
            return None, err
        # The console prints the JSON text as an HCL string literal: JSON escapes plus $${ and %%{.
        line = [l for l in p.stdout.splitlines() if l.startswith('"')][-1]
        text = json.loads(line).replace("$${", "${").replace("%%{", "%{")
        return json.loads(text), err


def validate(doc, schema, what):
    kind, version, group, sch = schema
    check(doc.get("apiVersion") == f"{group}/{version}", f"{what}: apiVersion {doc.get('apiVersion')}")
    check(doc.get("kind") == kind, f"{what}: kind {doc.get('kind')}")
    errors = sorted(jsonschema.Draft7Validator(sch).iter_errors(doc), key=lambda e: list(e.path))
    for e in errors:
        print(f"  {what}: {'/'.join(map(str, e.path))}: {e.message}", file=sys.stderr)
    check(not errors, f"{what}: valid against the {kind} CRD ({len(errors)} errors)")
    md = doc.get("metadata", {})
    check(re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", md.get("name", "")) is not None,
          f"{what}: metadata.name is a DNS label")
    check(all(isinstance(v, str) for v in md.get("labels", {}).values()), f"{what}: labels are strings")


def main():
    module_dir, crd_dir, spin_toml = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(spin_toml, "rb") as f:
        manifest = tomllib.load(f)
    spin_defaults = {k: v["default"] for k, v in manifest["variables"].items()}
    check(set(manifest["component"]["fskhttp"]["variables"]) == set(spin_defaults),
          "spin.toml: the component reads every application variable")
    fermyon = open(os.path.join(module_dir, "..", "fermyon-cloud", "variables.tf")).read()
    allowed = set(re.findall(r'"([a-z_]+)"', re.search(r"contains\(\s*\[([^\]]*)\],\s*k\s*\)", fermyon).group(1)))
    check(allowed == set(spin_defaults), f"fermyon-cloud accepts exactly spin.toml's variables ({sorted(allowed)})")
    spinapp_schema = crd_schema(os.path.join(crd_dir, "core.spinkube.dev_spinapps.yaml"))
    executor_schema = crd_schema(os.path.join(crd_dir, "core.spinkube.dev_spinappexecutors.yaml"))
    shim_schemas = {v: crd_schema(os.path.join(crd_dir, f"runtime.spinkube.dev_shims.{v}.yaml"))
                    for v in ("v0.1.0", "v0.2.0")}
    source = open(os.path.join(crd_dir, "SOURCE.md")).read()
    for f in sorted(os.listdir(crd_dir)):
        if f.endswith(".yaml"):
            check(f"`{f}`" in source, f"SOURCE.md names {f} (source, version, path, licence)")
    check("handler is `spin-v2`" in source, "SOURCE.md states the handler runtime-class-manager registers")

    # The validator itself must reject what the cluster would reject.
    probe = {"apiVersion": "core.spinkube.dev/v1alpha1", "kind": "SpinApp",
             "metadata": {"name": "x"}, "spec": {"image": IMAGE, "executor": "e", "replicas": "2",
                                                 "bogus": True}}
    bad = list(jsonschema.Draft7Validator(spinapp_schema[3]).iter_errors(probe))
    check(len(bad) == 2, f"validator self-test: wrong type and unknown field both caught ({len(bad)})")
    probe = {"apiVersion": "core.spinkube.dev/v1alpha1", "kind": "SpinApp",
             "metadata": {"name": "x"}, "spec": {"image": IMAGE}}
    check(any("executor" in e.message for e in
              jsonschema.Draft7Validator(spinapp_schema[3]).iter_errors(probe)),
          "validator self-test: missing required executor caught")
    # The Shim field that broke phase 2: runtimeOptions is not in the CRD (containerdRuntimeOptions is).
    probe = {"apiVersion": "runtime.spinkube.dev/v1alpha1", "kind": "Shim", "metadata": {"name": "x"},
             "spec": {"fetchStrategy": {"type": "anonymousHttp", "anonHttp": {"location": "https://x"}},
                      "runtimeClass": {"name": "r", "handler": "spin-v2"}, "rolloutStrategy": {"type": "recreate"},
                      "runtimeOptions": {"SystemdCgroup": "true"}}}
    for v, sch in shim_schemas.items():
        bad = [e.message for e in jsonschema.Draft7Validator(sch[3]).iter_errors(probe)]
        check(len(bad) == 1 and "runtimeOptions" in bad[0],
              f"validator self-test: Shim {v} CRD refuses runtimeOptions ({bad})")

    base = {"kubeconfig_path": "/dev/null", "image": IMAGE}
    scenarios = {
        "defaults (hpa, in-cluster redis)": {},
        "fixed replicas, no redis, private image": {
            "autoscaling": "none", "replicas": 3, "redis": "none", "image_pull_secret": "regcred",
            "prometheus_scrape_annotations": False},
        "keda + prometheus trigger, external redis, otel, digest image": {
            "autoscaling": "keda", "prometheus_server_address": "http://prometheus-server.monitoring.svc",
            "redis": "external", "redis_url": "rediss://user:pw@redis.example.net:6380",
            "image": "registry.example.com:5000/team/fskhttp@sha256:" + "ab" * 32,
            "otel": {"endpoint": "http://otel-collector.observability:4318",
                     "traces_endpoint": "http://tempo.observability:4318/v1/traces"},
            "log_level": "debug", "max_body_bytes": 2097152, "default_protocol": 4, "metrics_store": "off",
            "resources": {"cpu_request": "500m", "memory_request": "128Mi", "cpu_limit": "2",
                          "memory_limit": "1Gi"}},
        "ingress + custom names": {
            "app_name": "fsk-prod", "namespace": "audio", "executor_name": "shim-exec",
            "runtime_class_name": "wasmtime-spin-v2",
            "ingress": {"host": "fsk.example.com", "acme_email": "ops@example.com"},
            "labels": {"team": "ops"}},
        "nodes already carry the shim": {"install_shim": False, "shim_node_selector": {},
                                         "runtime_handler": "spin"},
        "nodes carry the shim, default handler": {"install_shim": False},
        "arm64 nodes, newer shim, own node label": {
            "shim_arch": "aarch64", "shim_node_selector": {"wasm.example.com/spin": "yes"},
            "versions": {"containerd_shim_spin": "v0.22.0", "runtime_class_manager": "0.1.0"}},
        "gateway api, custom app name": {
            "app_name": "fsk-edge", "namespace": "edge", "request_timeout_seconds": 45,
            "ingress": {"host": "fsk.example.org"},
            "gateway": {"name": "public", "namespace": "gateway-system", "section_name": "https"}},
    }
    for name, extra in scenarios.items():
        tfvars = {**base, **extra}
        out, err = render(module_dir, tfvars)
        check(out is not None, f"{name}: renders")
        if out is None:
            print(err, file=sys.stderr)
            continue
        app, ex, shim, so = out["spinapp"], out["executor"], out["shim"], out["scaledobject"]
        rc = out["runtimeclass"]
        check(rc["apiVersion"] == "node.k8s.io/v1" and rc["kind"] == "RuntimeClass",
              f"{name}: RuntimeClass kind")
        check(rc["metadata"]["name"] == ex["spec"]["deploymentConfig"]["runtimeClassName"]
              and (rc["handler"] == shim["spec"]["runtimeClass"]["handler"] or not tfvars.get("install_shim", True)),
              f"{name}: the direct RuntimeClass matches the executor and the Shim's")
        check((rc.get("scheduling", {}).get("nodeSelector") or {}) == (shim["spec"].get("nodeSelector") or {}),
              f"{name}: RuntimeClass schedules onto the shim's nodes")
        validate(app, spinapp_schema, f"{name}: SpinApp")
        validate(ex, executor_schema, f"{name}: SpinAppExecutor")
        for v, sch in shim_schemas.items():
            validate(shim, sch, f"{name}: Shim (runtime-class-manager {v})")
        # The handler follows from the shim that is installed: runtime-class-manager registers the
        # binary of the release tarball under its name minus "containerd-shim-".
        loc = shim["spec"]["fetchStrategy"]["anonHttp"]["location"]
        m = re.fullmatch(r"https://github\.com/spinframework/containerd-shim-spin/releases/download/"
                         r"(v[0-9.]+)/(containerd-shim-[a-z0-9-]+?)-linux-(x86_64|aarch64)\.tar\.gz", loc)
        check(m is not None, f"{name}: the Shim fetches a containerd-shim-spin release tarball ({loc})")
        if m:
            check(m.group(1) == tfvars.get("versions", {}).get("containerd_shim_spin", "v0.25.1")
                  and m.group(3) == tfvars.get("shim_arch", "x86_64"), f"{name}: shim version and arch")
            installed = m.group(2).removeprefix("containerd-shim-")
            check(installed == "spin-v2", f"{name}: installed shim registers handler spin-v2 ({installed})")
            check(shim["spec"]["runtimeClass"]["handler"] == installed,
                  f"{name}: Shim handler {shim['spec']['runtimeClass']['handler']} is the installed shim's {installed}")
            if tfvars.get("install_shim", True):
                check(rc["handler"] == installed,
                      f"{name}: RuntimeClass handler {rc['handler']} is the installed shim's {installed}")
            else:
                check(rc["handler"] == (tfvars.get("runtime_handler") or "spin"),
                      f"{name}: RuntimeClass handler is the nodes' own ({rc['handler']})")
        check(shim["spec"].get("containerdRuntimeOptions") == {"SystemdCgroup": "true"},
              f"{name}: containerd runtime options on containerdRuntimeOptions")
        routes = out["httproutes"]
        if "gateway" in tfvars:
            gw = tfvars["gateway"]
            check(set(routes) == {"work", "rest"}, f"{name}: two HTTPRoutes")
            paths = {}
            for key, r in routes.items():
                check(r["apiVersion"] == "gateway.networking.k8s.io/v1" and r["kind"] == "HTTPRoute",
                      f"{name}: {key} is a gateway.networking.k8s.io/v1 HTTPRoute")
                check(r["metadata"]["namespace"] == app["metadata"]["namespace"], f"{name}: {key} beside the app")
                check(r["spec"]["hostnames"] == [tfvars["ingress"]["host"]], f"{name}: {key} host")
                (parent,) = r["spec"]["parentRefs"]
                check(parent == {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": gw["name"],
                                 "namespace": gw["namespace"], "sectionName": gw["section_name"]},
                      f"{name}: {key} attaches to the Gateway ({parent})")
                for rule in r["spec"]["rules"]:
                    check(rule["backendRefs"] == [{"name": app["metadata"]["name"], "port": 80}],
                          f"{name}: {key} sends to spin-operator's Service {app['metadata']['name']}:80")
                    for mt in rule["matches"]:
                        paths[(mt["path"]["type"], mt["path"]["value"])] = rule
            work = [paths.get(("Exact", p)) for p in ("/encode", "/decode")]
            check(all(w is not None and w.get("timeouts") == {"request": f"{tfvars.get('request_timeout_seconds', 30)}s"}
                      for w in work), f"{name}: /encode and /decode with the request timeout")
            metrics = paths.get(("Exact", "/metrics"), {})
            check(metrics.get("filters", [{}])[0].get("urlRewrite", {}).get("path", {}).get("replaceFullPath")
                  == "/metrics-not-public", f"{name}: /metrics is not served through the Gateway")
            check(("PathPrefix", "/") in paths, f"{name}: the rest of the API under /")
        spec = app["spec"]
        autoscale = tfvars.get("autoscaling", "hpa") != "none"
        check(spec.get("enableAutoscaling", False) == autoscale, f"{name}: enableAutoscaling")
        check(("replicas" in spec) == (not autoscale), f"{name}: replicas only without autoscaling")
        if not autoscale:
            check(spec["replicas"] == tfvars["replicas"], f"{name}: replicas value")
        check(spec["image"] == tfvars["image"], f"{name}: image")
        check(spec["executor"] == ex["metadata"]["name"], f"{name}: SpinApp names its executor")
        check(app["metadata"]["namespace"] == ex["metadata"]["namespace"],
              f"{name}: executor in the SpinApp's namespace")
        check(ex["spec"]["deploymentConfig"]["runtimeClassName"] == shim["spec"]["runtimeClass"]["name"],
              f"{name}: executor's RuntimeClass is the one the Shim creates")
        variables = {v["name"]: v["value"] for v in spec["variables"]}
        check(set(variables) == set(spin_defaults),
              f"{name}: the Spin variables are spin.toml's ({sorted(variables)} vs {sorted(spin_defaults)})")
        if name.startswith("defaults"):
            check(variables == spin_defaults, f"{name}: module defaults equal spin.toml defaults "
                                              f"({variables} vs {spin_defaults})")
        check(variables["log_level"] == tfvars.get("log_level", "info"), f"{name}: log_level")
        check(variables["max_body_bytes"] == str(tfvars.get("max_body_bytes", 10485760)),
              f"{name}: max_body_bytes")
        check(variables["default_protocol"] == str(tfvars.get("default_protocol", 1)),
              f"{name}: default_protocol")
        check(variables["metrics_store"] == tfvars.get("metrics_store", "kv"), f"{name}: metrics_store")
        for p in ("readiness", "liveness"):
            check(spec["checks"][p]["httpGet"]["path"] == "/health", f"{name}: {p} probe on /health")
        redis = tfvars.get("redis", "in-cluster")
        if redis == "none":
            check("runtimeConfig" not in spec, f"{name}: no runtimeConfig without redis")
        else:
            (kv,) = spec["runtimeConfig"]["keyValueStores"]
            check(kv["name"] == "default" and kv["type"] == "redis", f"{name}: KV store default on redis")
            opt = {o["name"]: o for o in kv["options"]}
            check("secretKeyRef" in opt["url"].get("valueFrom", {}) and "value" not in opt["url"],
                  f"{name}: Redis URL comes from a Secret, not inline")
            check(json.dumps(app).find("rediss://") < 0, f"{name}: no Redis URL in the SpinApp")
        scrape = tfvars.get("prometheus_scrape_annotations", True)
        check(("prometheus.io/scrape" in spec.get("podAnnotations", {})) == scrape,
              f"{name}: scrape annotations")
        check(spec["resources"]["requests"]["cpu"] ==
              tfvars.get("resources", {}).get("cpu_request", "250m"), f"{name}: cpu request")
        otel = ex["spec"]["deploymentConfig"].get("otel")
        if "otel" in tfvars:
            check(otel == {"exporter_otlp_endpoint": tfvars["otel"]["endpoint"],
                           "exporter_otlp_traces_endpoint": tfvars["otel"]["traces_endpoint"]},
                  f"{name}: otel endpoints ({otel})")
        else:
            check(otel is None, f"{name}: no otel block")
        if tfvars.get("autoscaling") == "keda":
            types = [t["type"] for t in so["spec"]["triggers"]]
            check(types == ["cpu", "prometheus"], f"{name}: KEDA triggers {types}")
            q = so["spec"]["triggers"][1]["metadata"]["query"]
            check(f'app="{app["metadata"]["name"]}"' in q and "traces_span_metrics_calls_total" in q,
                  f"{name}: KEDA query on this app, from either metrics source ({q})")
            check(so["spec"]["scaleTargetRef"]["name"] == app["metadata"]["name"],
                  f"{name}: ScaledObject targets the SpinApp's Deployment")

    # `terraform validate` needs the providers (not downloadable here), so at least check that every
    # var., local., resource and data reference in the module names something the module declares.
    tf = {f: open(os.path.join(module_dir, f)).read() for f in os.listdir(module_dir) if f.endswith(".tf")}
    text = "\n".join(tf.values())
    code = re.sub(r"#[^\n]*|description\s*=\s*\"(?:[^\"\\]|\\.)*\"", "", text)
    declared_vars = set(re.findall(r'^variable "([a-z_0-9]+)"', text, re.M))
    declared_locals = set()
    for block in re.findall(r"^locals \{\n(.*?)^\}", text, re.M | re.S):
        declared_locals |= set(re.findall(r"^  ([a-z_0-9]+)\s*=", block, re.M))
    resources = set(re.findall(r'^resource "([a-z_0-9]+)" "([a-z_0-9]+)"', text, re.M))
    datas = set(re.findall(r'^data "([a-z_0-9]+)" "([a-z_0-9]+)"', text, re.M))
    for v in sorted(set(re.findall(r"\bvar\.([a-z_0-9]+)", code))):
        check(v in declared_vars, f"module references declared variable var.{v}")
    for l in sorted(set(re.findall(r"\blocal\.([a-z_0-9]+)", code))):
        check(l in declared_locals, f"module references declared local.{l}")
    for t, n in sorted(set(re.findall(r"\b((?:kubernetes|helm)_[a-z_0-9]+)\.([a-z_0-9]+)\b", code))):
        check((t, n) in resources, f"module references declared resource {t}.{n}")
    for t, n in sorted(set(re.findall(r"\bdata\.([a-z_0-9]+)\.([a-z_0-9]+)\b", code))):
        check((t, n) in datas, f"module references declared data.{t}.{n}")
    unused = declared_vars - set(re.findall(r"\bvar\.([a-z_0-9]+)", code))
    check(not unused, f"every variable is used ({sorted(unused)})")

    # Invalid inputs must be refused at plan time, with the module's own message.
    refused = {
        "mutable tag": ({"image": "ghcr.io/acme/fskhttp:latest"}, "mutable tag"),
        "no tag": ({"image": "ghcr.io/acme/fskhttp"}, "image must be an OCI reference"),
        "no registry": ({"image": "fskhttp:v1"}, "image must be an OCI reference"),
        "log level": ({"log_level": "loud"}, "log_level must be one of"),
        "replica bounds": ({"min_replicas": 5, "max_replicas": 3}, "max_replicas must be >= min_replicas"),
        "external redis without url": ({"redis": "external"}, "redis_url is required"),
        "redis url scheme": ({"redis": "external", "redis_url": "http://x"}, "redis_url must start"),
        "ingress without e-mail": ({"ingress": {"host": "fsk.example.com"}}, "acme_email is required"),
        "bad host": ({"ingress": {"host": "Not A Host", "acme_email": "a@b.co"}}, "fully qualified"),
        "quantity": ({"resources": {"cpu_request": "lots", "memory_request": "1Mi", "cpu_limit": "1",
                                    "memory_limit": "1Gi"}}, "Kubernetes quantities"),
        "protocol id": ({"default_protocol": 9}, "protocol id"),
        "log level off is fine, trace is not": ({"log_level": "trace"}, "log_level must be one of"),
        "payload": ({"max_payload_bytes": 8193}, "max_payload_bytes must be"),
        "version range": ({"versions": {"spin_operator": "~> 0.6"}}, "exact x.y.z"),
        "otel url": ({"otel": {"endpoint": "collector:4317"}}, "otel endpoints must be"),
        "autoscaling mode": ({"autoscaling": "vpa"}, "autoscaling must be one of"),
        "metrics store": ({"metrics_store": "redis"}, "metrics_store must be kv or off"),
        "app name": ({"app_name": "FSK_http"}, "app_name must be a DNS label"),
        "metrics cidr": ({"metrics_source_ranges": ["everyone"]}, "CIDR"),
        "handler set while the module installs the shim": ({"runtime_handler": "spin"},
                                                           "derived from the installed shim"),
        "gateway without a host": ({"gateway": {"name": "gw", "namespace": "infra"}}, "gateway needs ingress.host"),
        "gateway name": ({"ingress": {"host": "fsk.example.com"}, "gateway": {"name": "GW", "namespace": "infra"}},
                         "must be Kubernetes names"),
    }
    for name, (extra, message) in refused.items():
        out, err = render(module_dir, {**base, **extra})
        flat = " ".join(err.replace("│", " ").split())
        check(out is None and message in flat, f"refused: {name} (expected '{message}')")

    print(f"manifests: {passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
