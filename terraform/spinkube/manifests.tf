# The custom resources the module applies, rendered from templates/ with templatefile().
# Locals only, no provider and no resource reference: scripts/test.d/50-deploy.sh copies this file,
# variables.tf and templates/ into a scratch directory and evaluates these locals with
# `terraform console` (no provider download), then checks them against the SpinKube CRD schemas.

locals {
  common_labels = merge({
    "app.kubernetes.io/name"       = "fskhttp"
    "app.kubernetes.io/instance"   = var.app_name
    "app.kubernetes.io/managed-by" = "terraform"
  }, var.labels)

  # The SpinApp's pods carry common_labels (podLabels), which the PodDisruptionBudget and the Redis
  # NetworkPolicy select on; Redis gets its own name so the two never match each other.
  redis_labels = merge(local.common_labels, {
    "app.kubernetes.io/name"      = "redis"
    "app.kubernetes.io/instance"  = "${var.app_name}-redis"
    "app.kubernetes.io/component" = "key-value"
  })
  redis_name       = "${var.app_name}-redis"
  redis_secret     = "${var.app_name}-kv"
  redis_secret_key = "url"

  spin_variables = {
    log_level         = var.log_level
    max_body_bytes    = var.max_body_bytes
    max_audio_seconds = var.max_audio_seconds
    default_protocol  = var.default_protocol
    default_volume    = var.default_volume
    max_payload_bytes = var.max_payload_bytes
    metrics_store     = var.metrics_store
  }

  pod_annotations = var.prometheus_scrape_annotations ? {
    "prometheus.io/scrape" = "true"
    "prometheus.io/port"   = "80"
    "prometheus.io/path"   = "/metrics"
  } : {}

  otel_settings = var.otel == null ? null : {
    for k, v in {
      exporter_otlp_endpoint         = var.otel.endpoint
      exporter_otlp_traces_endpoint  = var.otel.traces_endpoint
      exporter_otlp_metrics_endpoint = var.otel.metrics_endpoint
      exporter_otlp_logs_endpoint    = var.otel.logs_endpoint
    } : k => v if v != null
  }

  spinapp_template_vars = {
    name              = var.app_name
    namespace         = var.namespace
    labels            = local.common_labels
    image             = var.image
    executor          = var.executor_name
    autoscaling       = var.autoscaling != "none"
    replicas          = var.replicas
    image_pull_secret = var.image_pull_secret
    resources         = var.resources
    spin_variables    = local.spin_variables
    probes            = var.probes
    kv_secret         = var.redis == "none" ? null : { name = local.redis_secret, key = local.redis_secret_key }
    pod_annotations   = local.pod_annotations
  }

  spinapp_manifest = yamldecode(templatefile("${path.module}/templates/spinapp.yaml.tftpl", local.spinapp_template_vars))

  spinappexecutor_manifest = yamldecode(templatefile("${path.module}/templates/spinappexecutor.yaml.tftpl", {
    name               = var.executor_name
    namespace          = var.namespace
    labels             = local.common_labels
    runtime_class_name = var.runtime_class_name
    otel               = local.otel_settings
  }))

  # The shim runtime-class-manager installs: the binary in containerd-shim-spin's release tarball.
  # runtime-class-manager registers it with containerd under the binary's name minus
  # "containerd-shim-", so containerd-shim-spin-v2 becomes runtime handler "spin-v2"
  # (tests/data/spinkube/crds/SOURCE.md). The RuntimeClass handler follows from it, never from a
  # separate input, so the two cannot disagree.
  shim_binary     = "containerd-shim-spin-v2"
  shim_handler    = trimprefix(local.shim_binary, "containerd-shim-")
  shim_location   = "https://github.com/spinframework/containerd-shim-spin/releases/download/${var.versions.containerd_shim_spin}/${local.shim_binary}-linux-${var.shim_arch}.tar.gz"
  runtime_handler = var.install_shim ? local.shim_handler : coalesce(var.runtime_handler, "spin")

  # Created directly only when the nodes already have the shim (install_shim = false); otherwise
  # runtime-class-manager creates the same RuntimeClass from the Shim.
  runtimeclass_manifest = merge({
    apiVersion = "node.k8s.io/v1"
    kind       = "RuntimeClass"
    metadata = {
      name   = var.runtime_class_name
      labels = local.common_labels
    }
    handler = local.runtime_handler
    }, length(var.shim_node_selector) > 0 ? {
    scheduling = { nodeSelector = var.shim_node_selector }
  } : {})

  shim_manifest = yamldecode(templatefile("${path.module}/templates/shim.yaml.tftpl", {
    name               = local.shim_handler
    labels             = local.common_labels
    node_selector      = var.shim_node_selector
    runtime_class_name = var.runtime_class_name
    handler            = local.shim_handler
    location           = local.shim_location
  }))
}

# KEDA ScaledObject (autoscaling = "keda"): CPU, plus the request rate from Prometheus when an address
# is given. KEDA divides the app's rate by the per-pod target.
locals {
  keda_cpu_trigger = {
    type       = "cpu"
    metricType = "Utilization"
    metadata   = { value = tostring(var.cpu_target_percent) }
  }
  keda_rps_trigger = {
    type       = "prometheus"
    metricType = "AverageValue"
    metadata = {
      serverAddress = coalesce(var.prometheus_server_address, "http://unused")
      # The app's request rate from whichever source exists (monitoring/alerts.yml): the kv counters
      # (every pod reports the app-wide total: max) or the runtime's span metrics (per pod: sum).
      query     = "max(rate(fskhttp_requests_total{namespace=\"${var.namespace}\", app=\"${var.app_name}\"}[2m])) or sum(rate(traces_span_metrics_calls_total{namespace=\"${var.namespace}\", app=\"${var.app_name}\", span_kind=\"SPAN_KIND_SERVER\"}[2m]))"
      threshold = tostring(var.keda_requests_per_second_per_pod)
    }
  }

  scaledobject_manifest = {
    apiVersion = "keda.sh/v1alpha1"
    kind       = "ScaledObject"
    metadata = {
      name      = var.app_name
      namespace = var.namespace
      labels    = local.common_labels
    }
    spec = {
      scaleTargetRef = {
        apiVersion = "apps/v1"
        kind       = "Deployment"
        name       = var.app_name
      }
      minReplicaCount = var.min_replicas
      maxReplicaCount = var.max_replicas
      triggers = var.prometheus_server_address == null ? [local.keda_cpu_trigger] : [
        local.keda_cpu_trigger,
        local.keda_rps_trigger,
      ]
    }
  }
}

# Gateway API (gateway != null): two HTTPRoutes on an existing Gateway, the controller-neutral
# replacement for the ingress-nginx Ingresses. `<app>-work` carries /encode and /decode, so an
# implementation's rate-limit policy (Envoy Gateway BackendTrafficPolicy, Istio, Kong, Traefik
# middlewares...) can target the work endpoints alone; `<app>` carries the rest. /metrics is not
# served through the Gateway: its path is rewritten to one the app answers with 404 (HTTPRoute cannot
# filter by client address, as the Ingress's whitelist-source-range does). TLS is the Gateway
# listener's; the standard API has no body-size or rate limit (the app enforces max_body_bytes).
locals {
  gateway_parent = var.gateway == null ? {} : merge({
    group     = "gateway.networking.k8s.io"
    kind      = "Gateway"
    name      = var.gateway.name
    namespace = var.gateway.namespace
  }, var.gateway.section_name == null ? {} : { sectionName = var.gateway.section_name })

  gateway_backend = [{ name = var.app_name, port = 80 }]
  gateway_timeout = { request = "${var.request_timeout_seconds}s" }

  # Always both routes (rendered with placeholders when unused); app.tf applies them only with gateway.
  httproute_manifests = {
    work = {
      apiVersion = "gateway.networking.k8s.io/v1"
      kind       = "HTTPRoute"
      metadata   = { name = "${var.app_name}-work", namespace = var.namespace, labels = local.common_labels }
      spec = {
        parentRefs = [local.gateway_parent]
        hostnames  = [coalesce(var.ingress.host, "unused.invalid")]
        rules = [{
          matches     = [for p in ["/encode", "/decode"] : { path = { type = "Exact", value = p } }]
          backendRefs = local.gateway_backend
          timeouts    = local.gateway_timeout
        }]
      }
    }
    rest = {
      apiVersion = "gateway.networking.k8s.io/v1"
      kind       = "HTTPRoute"
      metadata   = { name = var.app_name, namespace = var.namespace, labels = local.common_labels }
      spec = {
        parentRefs = [local.gateway_parent]
        hostnames  = [coalesce(var.ingress.host, "unused.invalid")]
        rules = [
          {
            matches = [{ path = { type = "Exact", value = "/metrics" } }]
            filters = [{
              type       = "URLRewrite"
              urlRewrite = { path = { type = "ReplaceFullPath", replaceFullPath = "/metrics-not-public" } }
            }]
            backendRefs = local.gateway_backend
          },
          {
            matches     = [{ path = { type = "PathPrefix", value = "/" } }]
            backendRefs = local.gateway_backend
            timeouts    = local.gateway_timeout
          },
        ]
      }
    }
  }
}
