# Inputs of the fskhttp SpinKube module. Every input that reaches the cluster is validated here, so a
# typo fails at `terraform plan` instead of as a rejected manifest half-way through an apply.
#
# This file and manifests.tf depend on no provider: scripts/test.d/50-deploy.sh evaluates them with
# `terraform console` (offline) to render the SpinApp and SpinAppExecutor and check them against the
# SpinKube CRD schemas.

# ---------------------------------------------------------------------------------------------------
# Cluster access and phases
# ---------------------------------------------------------------------------------------------------

variable "kubeconfig_path" {
  description = "Path of the kubeconfig file used by the helm and kubernetes providers."
  type        = string
  validation {
    condition     = length(trimspace(var.kubeconfig_path)) > 0
    error_message = "kubeconfig_path must name a kubeconfig file."
  }
}

variable "kube_context" {
  description = "Context inside the kubeconfig; null uses the file's current-context."
  type        = string
  default     = null
}

variable "install_platform" {
  description = "Install the SpinKube platform (cert-manager, runtime-class-manager, spin-operator CRDs and chart, RuntimeClass). Set false when a platform team already runs SpinKube on the cluster."
  type        = bool
  default     = true
}

variable "deploy_app" {
  description = "Create the custom resources (SpinAppExecutor, SpinApp, Shim, ClusterIssuer, ScaledObject) and the app's Kubernetes objects. kubernetes_manifest needs the CRDs at plan time, so the first apply on a new cluster runs with deploy_app = false, the second with true (docs/DEPLOY.md)."
  type        = bool
  default     = true
}

# ---------------------------------------------------------------------------------------------------
# The application
# ---------------------------------------------------------------------------------------------------

variable "image" {
  description = "OCI reference of the fskhttp Spin app, as pushed by `spin registry push` (e.g. ghcr.io/OWNER/fskhttp:v3.0.0 or ...@sha256:DIGEST). A tag or digest is required; `latest` is refused so that a deployment is reproducible."
  type        = string
  validation {
    condition     = can(regex("^[a-z0-9]+([._-][a-z0-9]+)*(\\.[a-z0-9-]+)*(:[0-9]{1,5})?(/[a-z0-9]+([._-]+[a-z0-9]+)*)+(:[A-Za-z0-9_][A-Za-z0-9._-]{0,127}|@sha256:[a-f0-9]{64})$", var.image))
    error_message = "image must be an OCI reference with a registry, a repository and a tag or sha256 digest, e.g. ghcr.io/acme/fskhttp:v3.0.0."
  }
  validation {
    condition     = !endswith(var.image, ":latest")
    error_message = "image must not use the mutable tag `latest`; push a version tag or pin a digest."
  }
}

variable "image_pull_secret" {
  description = "Name of an existing dockerconfigjson Secret in the app namespace for a private registry; null for a public image."
  type        = string
  default     = null
  validation {
    condition     = var.image_pull_secret == null || can(regex("^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$", var.image_pull_secret))
    error_message = "image_pull_secret must be a Kubernetes object name."
  }
}

variable "app_name" {
  description = "Name of the SpinApp (also of its Deployment and Service, which spin-operator creates)."
  type        = string
  default     = "fskhttp"
  validation {
    condition     = can(regex("^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$", var.app_name))
    error_message = "app_name must be a DNS label of at most 40 characters (lowercase letters, digits, '-')."
  }
}

variable "namespace" {
  description = "Namespace of the app (created by the module)."
  type        = string
  default     = "fskhttp"
  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.namespace))
    error_message = "namespace must be a DNS label."
  }
}

variable "labels" {
  description = "Extra labels put on every object the module creates."
  type        = map(string)
  default     = {}
}

# Spin application variables (spin.toml [variables]); spin-operator hands them to the app as
# SPIN_VARIABLE_<NAME>. Defaults are the component's own defaults.

variable "log_level" {
  description = "Spin variable log_level (was LOG_LEVEL)."
  type        = string
  default     = "info"
  validation {
    condition     = contains(["off", "error", "warn", "info", "debug"], var.log_level)
    error_message = "log_level must be one of off, error, warn, info, debug (spin.toml)."
  }
}

variable "max_body_bytes" {
  description = "Spin variable max_body_bytes: largest request body accepted. The Ingress body limit follows it."
  type        = number
  default     = 10485760
  validation {
    condition     = var.max_body_bytes >= 1024 && var.max_body_bytes <= 104857600 && floor(var.max_body_bytes) == var.max_body_bytes
    error_message = "max_body_bytes must be a whole number between 1024 and 104857600 (100 MiB)."
  }
}

variable "max_audio_seconds" {
  description = "Spin variable max_audio_seconds: longest audio /decode accepts and /encode produces."
  type        = number
  default     = 300
  validation {
    condition     = var.max_audio_seconds >= 1 && var.max_audio_seconds <= 600
    error_message = "max_audio_seconds must be between 1 and 600 (the codec's hard limit)."
  }
}

variable "default_protocol" {
  description = "Spin variable default_protocol: ggwave protocol id used when a request names none (1 = AUDIBLE_FAST, as ggwave-to-file)."
  type        = number
  default     = 1
  validation {
    condition     = var.default_protocol >= 0 && var.default_protocol <= 8 && floor(var.default_protocol) == var.default_protocol
    error_message = "default_protocol must be a ggwave protocol id the service accepts, 0 to 8 (spin.toml)."
  }
}

variable "default_volume" {
  description = "Spin variable default_volume: output volume 1-100 when a request names none."
  type        = number
  default     = 50
  validation {
    condition     = var.default_volume >= 1 && var.default_volume <= 100 && floor(var.default_volume) == var.default_volume
    error_message = "default_volume must be a whole number from 1 to 100."
  }
}

variable "max_payload_bytes" {
  description = "Spin variable max_payload_bytes: longest message accepted by /encode (split into frames of at most 140 bytes)."
  type        = number
  default     = 4096
  validation {
    condition     = var.max_payload_bytes >= 1 && var.max_payload_bytes <= 8192 && floor(var.max_payload_bytes) == var.max_payload_bytes
    error_message = "max_payload_bytes must be a whole number from 1 to 8192 (spin.toml)."
  }
}

variable "metrics_store" {
  description = "Spin variable metrics_store: \"kv\" keeps the per-request counters of /metrics in the key-value store (three atomic increments per request, on the Redis of `redis`), \"off\" keeps none (then set redis = \"none\" and read request metrics from the runtime's OpenTelemetry export, `otel`). docs/operations.md."
  type        = string
  default     = "kv"
  validation {
    condition     = contains(["kv", "off"], var.metrics_store)
    error_message = "metrics_store must be kv or off (spin.toml)."
  }
}

# ---------------------------------------------------------------------------------------------------
# Capacity: resources, probes, replicas, autoscaling
# ---------------------------------------------------------------------------------------------------

variable "resources" {
  description = "CPU and memory requests and limits of each pod. The HPA's CPU target is a percentage of cpu_request."
  type = object({
    cpu_request    = string
    memory_request = string
    cpu_limit      = string
    memory_limit   = string
  })
  default = {
    cpu_request    = "250m"
    memory_request = "64Mi"
    cpu_limit      = "1"
    memory_limit   = "256Mi"
  }
  validation {
    condition = alltrue([
      for q in values(var.resources) : can(regex("^([0-9]+(\\.[0-9]+)?)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$", q))
    ])
    error_message = "resources values must be Kubernetes quantities, e.g. 250m, 1, 64Mi, 1Gi."
  }
}

variable "probes" {
  description = "Readiness and liveness probes on GET /health (seconds)."
  type = object({
    initial_delay_seconds = number
    period_seconds        = number
    timeout_seconds       = number
    failure_threshold     = number
  })
  default = {
    initial_delay_seconds = 2
    period_seconds        = 10
    timeout_seconds       = 2
    failure_threshold     = 3
  }
  validation {
    condition = (
      var.probes.initial_delay_seconds >= 0 && var.probes.period_seconds >= 1 &&
      var.probes.timeout_seconds >= 1 && var.probes.timeout_seconds <= var.probes.period_seconds &&
      var.probes.failure_threshold >= 1
    )
    error_message = "probes: period, timeout and failure_threshold must be >= 1, and timeout <= period."
  }
}

variable "autoscaling" {
  description = "How the replica count is managed: \"hpa\" (HorizontalPodAutoscaler on CPU), \"keda\" (KEDA ScaledObject on CPU and, if prometheus_server_address is set, on request rate), or \"none\" (fixed replicas)."
  type        = string
  default     = "hpa"
  validation {
    condition     = contains(["hpa", "keda", "none"], var.autoscaling)
    error_message = "autoscaling must be one of hpa, keda, none."
  }
}

variable "replicas" {
  description = "Fixed replica count when autoscaling = \"none\"."
  type        = number
  default     = 2
  validation {
    condition     = var.replicas >= 1 && var.replicas <= 100 && floor(var.replicas) == var.replicas
    error_message = "replicas must be a whole number from 1 to 100."
  }
}

variable "min_replicas" {
  description = "Autoscaler floor. Two keeps the service up while a node drains."
  type        = number
  default     = 2
  validation {
    condition     = var.min_replicas >= 1 && floor(var.min_replicas) == var.min_replicas
    error_message = "min_replicas must be a whole number >= 1."
  }
}

variable "max_replicas" {
  description = "Autoscaler ceiling."
  type        = number
  default     = 10
  validation {
    condition     = var.max_replicas >= 1 && var.max_replicas <= 500 && floor(var.max_replicas) == var.max_replicas
    error_message = "max_replicas must be a whole number from 1 to 500."
  }
  validation {
    condition     = var.max_replicas >= var.min_replicas
    error_message = "max_replicas must be >= min_replicas."
  }
}

variable "cpu_target_percent" {
  description = "Average CPU utilisation (percent of cpu_request) the autoscaler aims for."
  type        = number
  default     = 70
  validation {
    condition     = var.cpu_target_percent >= 10 && var.cpu_target_percent <= 100
    error_message = "cpu_target_percent must be between 10 and 100."
  }
}

variable "keda_requests_per_second_per_pod" {
  description = "KEDA only: target requests per second per pod, from fskhttp_requests_total in Prometheus (used when prometheus_server_address is set)."
  type        = number
  default     = 50
  validation {
    condition     = var.keda_requests_per_second_per_pod > 0
    error_message = "keda_requests_per_second_per_pod must be positive."
  }
}

variable "prometheus_server_address" {
  description = "KEDA only: in-cluster Prometheus URL (e.g. http://prometheus-server.monitoring.svc) for the request-rate trigger; null for CPU only."
  type        = string
  default     = null
  validation {
    condition     = var.prometheus_server_address == null || can(regex("^https?://", var.prometheus_server_address))
    error_message = "prometheus_server_address must be an http(s) URL."
  }
}

variable "install_keda" {
  description = "Install the KEDA chart when autoscaling = \"keda\" (false if KEDA is already on the cluster)."
  type        = bool
  default     = true
}

# ---------------------------------------------------------------------------------------------------
# Shared key-value store (counters behind /metrics)
# ---------------------------------------------------------------------------------------------------

variable "redis" {
  description = "Backing store of the Spin key-value store `default`. \"in-cluster\": a single Redis Deployment in the app namespace, reachable only from the app's pods; \"external\": redis_url (e.g. a managed Redis); \"none\": Spin's built-in per-pod store, so /metrics counts per pod."
  type        = string
  default     = "in-cluster"
  validation {
    condition     = contains(["in-cluster", "external", "none"], var.redis)
    error_message = "redis must be one of in-cluster, external, none."
  }
}

variable "redis_url" {
  description = "redis:// or rediss:// URL when redis = \"external\" (kept in a Secret, never in the SpinApp)."
  type        = string
  default     = null
  sensitive   = true
  validation {
    condition     = var.redis_url == null || can(regex("^rediss?://", var.redis_url))
    error_message = "redis_url must start with redis:// or rediss://."
  }
  validation {
    condition     = var.redis != "external" || var.redis_url != null
    error_message = "redis_url is required when redis = \"external\"."
  }
}

variable "redis_image" {
  description = "Image of the in-cluster Redis."
  type        = string
  default     = "docker.io/library/redis:7.4.2-alpine"
  validation {
    condition     = can(regex("(:[A-Za-z0-9_][A-Za-z0-9._-]*|@sha256:[a-f0-9]{64})$", var.redis_image)) && !endswith(var.redis_image, ":latest")
    error_message = "redis_image must carry a version tag or a digest."
  }
}

# ---------------------------------------------------------------------------------------------------
# Exposure: an Ingress (ingress-nginx) or Gateway API HTTPRoutes, TLS, rate limits
# ---------------------------------------------------------------------------------------------------

variable "ingress" {
  description = "Public host name of the app (host = null: not exposed, use port-forward). Without `gateway` the module creates Ingresses for ingress-nginx (class_name) with per-client rate limits and TLS from cert-manager (cluster_issuer, created with acme_email unless create_cluster_issuer = false). With `gateway` only `host` is used."
  type = object({
    host                  = string
    class_name            = optional(string, "nginx")
    cluster_issuer        = optional(string, "letsencrypt")
    create_cluster_issuer = optional(bool, true)
    acme_email            = optional(string)
    acme_server           = optional(string, "https://acme-v02.api.letsencrypt.org/directory")
  })
  default = {
    host = null
  }
  validation {
    condition     = var.ingress.host == null || can(regex("^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.ingress.host))
    error_message = "ingress.host must be a fully qualified lowercase DNS name."
  }
  validation {
    condition     = var.ingress.host == null || var.gateway != null || !var.ingress.create_cluster_issuer || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.ingress.acme_email))
    error_message = "ingress.acme_email is required (an e-mail address) when the module creates the ACME ClusterIssuer."
  }
  validation {
    condition     = var.gateway == null || var.ingress.host != null
    error_message = "gateway needs ingress.host: the HTTPRoutes match that host name."
  }
  validation {
    condition     = can(regex("^https://", var.ingress.acme_server))
    error_message = "ingress.acme_server must be an https URL."
  }
}

variable "gateway" {
  description = "Expose the app through Gateway API HTTPRoutes attached to this existing Gateway (any conformant controller: Envoy Gateway, Istio, Cilium, NGINX Gateway Fabric, Traefik...) instead of ingress-nginx Ingresses. The Gateway's listener for ingress.host terminates TLS (its owner provides the certificate); HTTPRoute has no standard rate limiting, so rate_limit does not apply (docs/DEPLOY.md). null: Ingresses."
  type = object({
    name         = string
    namespace    = string
    section_name = optional(string)
  })
  default = null
  validation {
    condition     = var.gateway == null ? true : can(regex("^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$", var.gateway.name)) && can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.gateway.namespace))
    error_message = "gateway.name and gateway.namespace must be Kubernetes names."
  }
}

variable "rate_limit" {
  description = "Per-client-IP limits on /encode and /decode (the old nginx limit_req): requests per second, burst as a multiple of it, and concurrent connections. The rest of the API gets health_rps."
  type = object({
    rps              = number
    burst_multiplier = number
    connections      = number
    health_rps       = number
  })
  default = {
    rps              = 10
    burst_multiplier = 2
    connections      = 20
    health_rps       = 50
  }
  validation {
    condition = alltrue([
      for v in values(var.rate_limit) : v >= 1 && floor(v) == v
    ])
    error_message = "rate_limit values must be whole numbers >= 1."
  }
}

variable "request_timeout_seconds" {
  description = "Proxy read/send timeout at the Ingress (was REQUEST_TIMEOUT)."
  type        = number
  default     = 30
  validation {
    condition     = var.request_timeout_seconds >= 1 && var.request_timeout_seconds <= 600
    error_message = "request_timeout_seconds must be between 1 and 600."
  }
}

# ---------------------------------------------------------------------------------------------------
# Platform versions (pinned) and runtime
# ---------------------------------------------------------------------------------------------------

# Each pin and why (reviewed without network access; check the registries before a first apply):
#   cert_manager v1.17.2        a 1.17 patch release, the line spin-operator's docs were written against;
#                               1.18+ changes the default private-key rotation policy to Always
#                               (harmless here) and is a fine upgrade once tested.
#   runtime_class_manager 0.2.0 its latest release known here; its Shim CRD is pinned in
#                               tests/data/spinkube/crds. The rendered Shim also validates against
#                               0.1.0's CRD, so 0.1.0 remains a valid choice.
#   spin_operator 0.6.1         the release whose SpinApp/SpinAppExecutor CRDs are pinned in
#                               tests/data/spinkube/crds (the manifests are validated against them).
#   containerd_shim_spin v0.25.1 embeds Spin 4.0.1 (the CLI the release workflow uses) and runs the
#                               component's WASI 0.2 world; v0.23-v0.24 (Spin 3.6) run it too. Its
#                               tarball's binary containerd-shim-spin-v2 fixes the handler: spin-v2.
#   keda 2.17.2                 a 2.17 patch release (Kubernetes 1.30-1.32); only with autoscaling = "keda".
variable "versions" {
  description = "Pinned versions of what the platform phase installs (reasons above). spin-operator's CRDs are fetched at the same tag as its chart."
  type = object({
    cert_manager          = optional(string, "v1.17.2")
    runtime_class_manager = optional(string, "0.2.0")
    spin_operator         = optional(string, "0.6.1")
    containerd_shim_spin  = optional(string, "v0.25.1")
    keda                  = optional(string, "2.17.2")
  })
  default = {}
  validation {
    condition = alltrue([
      for v in values(var.versions) : can(regex("^v?[0-9]+\\.[0-9]+\\.[0-9]+$", v))
    ])
    error_message = "versions must be exact x.y.z versions (optionally with a leading v), never ranges."
  }
}

variable "install_cert_manager" {
  description = "Install cert-manager (false if the cluster already has it)."
  type        = bool
  default     = true
}

variable "install_shim" {
  description = "Install containerd-shim-spin on the nodes through runtime-class-manager (a Shim resource, which also creates the RuntimeClass). false: the nodes already have the shim (k3d's shim image, AKS WASI node pools...) and the module creates only the RuntimeClass."
  type        = bool
  default     = true
}

variable "shim_node_selector" {
  description = "Label of the nodes that get the shim and run the app (label your nodes with it). It becomes the RuntimeClass's scheduling.nodeSelector; may be {} when install_shim = false."
  type        = map(string)
  default     = { "spin" = "true" }
  validation {
    condition     = length(var.shim_node_selector) > 0 || !var.install_shim
    error_message = "shim_node_selector needs at least one label when runtime-class-manager installs the shim."
  }
}

variable "shim_arch" {
  description = "CPU architecture of the shim binary runtime-class-manager installs."
  type        = string
  default     = "x86_64"
  validation {
    condition     = contains(["x86_64", "aarch64"], var.shim_arch)
    error_message = "shim_arch must be x86_64 or aarch64."
  }
}

variable "runtime_class_name" {
  description = "RuntimeClass the executor uses."
  type        = string
  default     = "wasmtime-spin-v2"
}

variable "executor_name" {
  description = "Name of the SpinAppExecutor."
  type        = string
  default     = "containerd-shim-spin"
}

variable "otel" {
  description = "OpenTelemetry OTLP endpoints set on the SpinAppExecutor (the shim exports traces and metrics there). null disables."
  type = object({
    endpoint         = optional(string)
    traces_endpoint  = optional(string)
    metrics_endpoint = optional(string)
    logs_endpoint    = optional(string)
  })
  default = null
  validation {
    # A conditional, not ||: Terraform evaluates both sides of || and values(null) is an error.
    condition = var.otel == null ? true : alltrue([
      for v in values(var.otel) : v == null || can(regex("^https?://", v))
    ])
    error_message = "otel endpoints must be http(s) URLs, e.g. http://otel-collector.observability:4318."
  }
}

variable "prometheus_scrape_annotations" {
  description = "Annotate the pods with prometheus.io/scrape, port and path for annotation-based discovery (monitoring/kubernetes/scrape-configs.yml)."
  type        = bool
  default     = true
}

variable "runtime_handler" {
  description = "Only with install_shim = false: the containerd runtime handler the nodes already define for containerd-shim-spin (RuntimeClass.handler); null = \"spin\", as k3d's shim image and hand-written containerd configs name it. With install_shim = true the handler is derived from the installed shim (spin-v2) and this must stay null."
  type        = string
  default     = null
  validation {
    condition     = var.runtime_handler == null || can(regex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", var.runtime_handler))
    error_message = "runtime_handler must be a DNS label."
  }
  validation {
    condition     = var.runtime_handler == null || !var.install_shim
    error_message = "runtime_handler is derived from the installed shim (spin-v2) when install_shim = true; set it only with install_shim = false."
  }
}

variable "metrics_source_ranges" {
  description = "Client CIDRs allowed to read /metrics through the Ingress (Prometheus in the cluster scrapes the pods directly and needs none)."
  type        = list(string)
  default     = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
  validation {
    condition     = length(var.metrics_source_ranges) > 0 && alltrue([for c in var.metrics_source_ranges : can(cidrhost(c, 0))])
    error_message = "metrics_source_ranges must be a non-empty list of CIDR blocks."
  }
}
