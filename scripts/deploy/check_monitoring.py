#!/usr/bin/env python3
"""Checks of monitoring/ beyond what `promtool check` covers by itself.

  * every PromQL expression of the Grafana dashboard parses (promtool check rules on a scratch rules
    file holding each one as a recording rule, with the dashboard variables filled in);
  * the dashboard is well formed (unique panel ids, a datasource on every target, no overlap);
  * every fskhttp_* metric that the dashboard and the alert rules use is one the component serves:
    METRICS_FILE is a /metrics answer of the served component;
  * the Kubernetes scrape jobs pass `promtool check config` once their Kubernetes discovery is swapped
    for a static target (Debian's promtool is built without Kubernetes discovery);
  * nothing assumes the app is called fskhttp: no pod-name prefix, every dashboard query of the app's
    series filters on the `app` variable, the rules group by `app`;
  * the OpenTelemetry source: the span-metric names and labels the rules and the dashboard read are the
    ones otel-collector.yaml's spanmetrics connector and the fskhttp-otel scrape job produce.

Usage: check_monitoring.py MONITORING_DIR METRICS_FILE     (exit status 0 = all passed)
"""
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

failures = []
passed = 0


def check(cond, what):
    global passed
    if cond:
        passed += 1
    else:
        failures.append(what)
        print(f"FAIL: {what}", file=sys.stderr)


def promtool(*args, cwd=None):
    p = subprocess.run(["promtool", *args], capture_output=True, text=True, timeout=120, cwd=cwd)
    return p.returncode, p.stdout + p.stderr


def fskhttp_names(expr):
    return set(re.findall(r"\bfskhttp_[a-z_]+\b", expr))


def main():
    mon, metrics_file = sys.argv[1], sys.argv[2]
    dash = json.load(open(os.path.join(mon, "grafana-dashboard.json")))

    # Served metric families (histograms expose _bucket/_sum/_count under their family name).
    served = set()
    for line in open(metrics_file):
        m = re.match(r"# TYPE (\S+) (\S+)", line)
        if m:
            served.add(m.group(1))
            if m.group(2) == "histogram":
                served |= {m.group(1) + s for s in ("_bucket", "_sum", "_count")}
    check(len(served) >= 10, f"the served /metrics declares its families ({len(served)})")

    # Dashboard structure.
    ids = [p["id"] for p in dash["panels"]]
    check(len(ids) == len(set(ids)), "dashboard: unique panel ids")
    check(dash.get("uid") and dash.get("title"), "dashboard: uid and title")
    cells = set()
    overlap = False
    for p in dash["panels"]:
        g = p["gridPos"]
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                overlap |= (x, y) in cells
                cells.add((x, y))
        check(g["x"] + g["w"] <= 24, f"dashboard: panel {p['id']} fits the 24-column grid")
    check(not overlap, "dashboard: panels do not overlap")

    exprs = []
    for p in dash["panels"]:
        for t in p["targets"]:
            check(t.get("datasource", {}).get("uid") == "${datasource}",
                  f"dashboard: panel {p['id']} target {t['refId']} uses the datasource variable")
            exprs.append((f"panel {p['id']} {t['refId']}", t["expr"]))

    used = set()
    rules = {"groups": [{"name": "dashboard", "rules": []}]}
    for i, (where, e) in enumerate(exprs):
        filled = (e.replace("$__rate_interval", "5m").replace("$job", ".*")
                  .replace("$namespace", ".*").replace("$app", ".*").replace('"$1"', '"x1"'))
        check("$" not in filled, f"{where}: only known dashboard variables")
        rules["groups"][0]["rules"].append({"record": f"dashboard:expr_{i}", "expr": filled})
        used |= fskhttp_names(e)
    alerts = yaml.safe_load(open(os.path.join(mon, "alerts.yml")))
    for g in alerts["groups"]:
        for r in g["rules"]:
            used |= fskhttp_names(r["expr"])
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "dashboard-rules.yml")
        yaml.safe_dump(rules, open(path, "w"))
        rc, out = promtool("check", "rules", path)
        check(rc == 0, f"dashboard: all {len(exprs)} expressions parse (promtool)\n{out}")

        # Kubernetes scrape jobs: swap discovery for static targets and credentials for scratch files.
        jobs = yaml.safe_load(open(os.path.join(mon, "kubernetes", "scrape-configs.yml")))
        names = [j["job_name"] for j in jobs]
        check(names == ["fskhttp-pods", "kubernetes-cadvisor", "fskhttp-otel"], f"kubernetes jobs {names}")
        for j in jobs[:2]:
            check("kubernetes_sd_configs" in j, f"{j['job_name']}: uses Kubernetes discovery")
        otel_job = jobs[2]
        relabel = otel_job.get("metric_relabel_configs", [])
        check(any(r.get("source_labels") == ["k8s_namespace_name"] and r.get("target_label") == "namespace"
                  for r in relabel), "fskhttp-otel: the collector's k8s_namespace_name becomes namespace")
        for j in jobs:
            j.pop("kubernetes_sd_configs", None)
            j["static_configs"] = [{"targets": ["127.0.0.1:1"]}]
            for section, key in (("tls_config", "ca_file"), ("authorization", "credentials_file")):
                if key in j.get(section, {}):
                    open(os.path.join(d, key), "w").write("x")
                    j[section][key] = os.path.join(d, key)
        for name in ("alerts.yml",):
            with open(os.path.join(mon, name)) as src, open(os.path.join(d, name), "w") as dst:
                dst.write(src.read())
        cfg = {"global": {"scrape_interval": "15s"}, "rule_files": ["alerts.yml"], "scrape_configs": jobs}
        yaml.safe_dump(cfg, open(os.path.join(d, "k8s.yml"), "w"))
        rc, out = promtool("check", "config", "k8s.yml", cwd=d)
        check(rc == 0, f"kubernetes scrape jobs pass promtool check config\n{out}")

    # The pod job keeps exactly the pods the terraform module annotates and labels.
    pod_job = yaml.safe_load(open(os.path.join(mon, "kubernetes", "scrape-configs.yml")))[0]
    keeps = {tuple(r["source_labels"]): r["regex"] for r in pod_job["relabel_configs"]
             if r.get("action") == "keep"}
    check(keeps.get(("__meta_kubernetes_pod_annotation_prometheus_io_scrape",)) == "true",
          "pod job keeps prometheus.io/scrape=true pods")
    check(keeps.get(("__meta_kubernetes_pod_label_app_kubernetes_io_name",)) == "fskhttp",
          "pod job keeps app.kubernetes.io/name=fskhttp pods")

    # No fixed app name: the pods are found through the scrape job, the series through `app`.
    texts = json.dumps(dash) + open(os.path.join(mon, "alerts.yml")).read()
    check('pod=~\\"fskhttp-' not in texts and 'pod=~"fskhttp-' not in texts, "no hard-coded fskhttp- pod prefix")
    for where, e in exprs:
        if re.search(r"\b(fskhttp_|traces_span_metrics_|container_)", e):
            check('app=~"$app"' in e, f"{where}: filters on the configured app ($app)")
    check(any(v["name"] == "app" for v in dash["templating"]["list"]), "dashboard: variable app")
    for g in alerts["groups"]:
        for r in g["rules"]:
            if r.get("record", "").startswith("fskhttp:requests") or r.get("record", "").endswith("p95_5m") \
                    or r.get("record") == "fskhttp:pod_memory_limit_ratio":
                check("app" in r["expr"], f"rule {r['record']}: keeps the app label")

    # The OpenTelemetry path: what the rules read is what the collector config produces.
    col = yaml.safe_load(open(os.path.join(mon, "otel-collector.yaml")))
    sm = col["connectors"]["spanmetrics"]
    dims = {d["name"] for d in sm.get("dimensions", [])}
    check(sm.get("histogram", {}).get("unit") == "s" and "namespace" not in sm,
          "collector: spanmetrics in seconds, default namespace (traces_span_metrics_*)")
    check({"http.response.status_code", "k8s.namespace.name", "app"} <= dims, f"collector: dimensions {dims}")
    check(any(l.get("tag_name") == "app" and l.get("key") == "app.kubernetes.io/instance"
              for l in col["processors"]["k8sattributes"]["extract"]["labels"]),
          "collector: app = the pod label app.kubernetes.io/instance (terraform app_name)")
    pipes = col["service"]["pipelines"]
    check("spanmetrics" in pipes["traces"]["exporters"] and
          any("spanmetrics" in p["receivers"] and "prometheus" in p["exporters"] for p in pipes.values()),
          "collector: spans -> spanmetrics -> prometheus exporter")
    otel_used = set()
    for _, e in exprs:
        otel_used |= set(re.findall(r"\btraces_span_metrics_[a-z_]+\b", e))
    for g in alerts["groups"]:
        for r in g["rules"]:
            otel_used |= set(re.findall(r"\btraces_span_metrics_[a-z_]+\b", r["expr"]))
    check(otel_used == {"traces_span_metrics_calls_total", "traces_span_metrics_duration_seconds_bucket"},
          f"OpenTelemetry metrics used: {sorted(otel_used)}")
    served_text = open(metrics_file).read()
    check("\nfskhttp_metrics_store_enabled 1\n" in served_text, "the served component reports metrics_store = kv")

    check(len(used) >= 8, f"dashboard and alerts use the component's metrics ({sorted(used)})")
    for name in sorted(used):
        check(name in served, f"{name} (used by dashboard/alerts) is served on /metrics")

    print(f"monitoring: {passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
