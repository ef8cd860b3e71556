# Example root module: fskhttp on an existing Kubernetes cluster through SpinKube.
#
#   cp terraform.tfvars.example terraform.tfvars   # set image, kubeconfig, host, e-mail
#   kubectl label node --all spin=true             # nodes that get containerd-shim-spin
#   terraform init
#   terraform apply -var deploy_app=false          # phase 1: the platform and its CRDs
#   terraform apply                                # phase 2: the app
#
# docs/DEPLOY.md walks through it, from `spin up` on a laptop to this.

terraform {
  required_version = ">= 1.9.0, < 2.0.0"
}

variable "kubeconfig_path" {
  description = "kubeconfig of the target cluster."
  type        = string
  default     = "~/.kube/config"
}

variable "kube_context" {
  description = "kubeconfig context (null = current-context)."
  type        = string
  default     = null
}

variable "image" {
  description = "OCI reference pushed by `spin registry push`, e.g. ghcr.io/OWNER/fskhttp:v3.0.0."
  type        = string
}

variable "host" {
  description = "Public DNS name of the service (null: no Ingress, use port-forward)."
  type        = string
  default     = null
}

variable "acme_email" {
  description = "Contact e-mail for Let's Encrypt."
  type        = string
  default     = null
}

variable "deploy_app" {
  description = "false for the first apply on a new cluster (installs the platform and its CRDs)."
  type        = bool
  default     = true
}

variable "image_pull_secret" {
  description = "docker-registry Secret in the app namespace for a private GHCR package (null: the package is public)."
  type        = string
  default     = null
}

variable "gateway" {
  description = "Existing Gateway (Gateway API) to attach HTTPRoutes to instead of ingress-nginx Ingresses, e.g. { name = \"public\", namespace = \"gateway-system\" }; null: ingress-nginx."
  type = object({
    name         = string
    namespace    = string
    section_name = optional(string)
  })
  default = null
}

variable "metrics_store" {
  description = "\"kv\": per-request counters in Redis; \"off\": none (set otlp_endpoint and read the OpenTelemetry metrics)."
  type        = string
  default     = "kv"
}

variable "otlp_endpoint" {
  description = "OTLP collector for traces and metrics (null disables)."
  type        = string
  default     = null
}

module "fskhttp" {
  source = "../../spinkube"

  kubeconfig_path   = pathexpand(var.kubeconfig_path)
  kube_context      = var.kube_context
  image             = var.image
  image_pull_secret = var.image_pull_secret
  deploy_app        = var.deploy_app

  # What the old gunicorn service ran as 4 workers x 4 threads on one box becomes 2..10 pods,
  # scaled on CPU; counters shared through an in-cluster Redis.
  autoscaling        = "hpa"
  min_replicas       = 2
  max_replicas       = 10
  cpu_target_percent = 70
  metrics_store      = var.metrics_store
  redis              = var.metrics_store == "kv" ? "in-cluster" : "none"

  ingress = {
    host       = var.host
    acme_email = var.acme_email
  }
  gateway = var.gateway
  rate_limit = {
    rps              = 10
    burst_multiplier = 2
    connections      = 20
    health_rps       = 50
  }

  otel = var.otlp_endpoint == null ? null : { endpoint = var.otlp_endpoint }
}

output "url" {
  description = "Public URL (null without an Ingress)."
  value       = module.fskhttp.url
}

output "port_forward_command" {
  description = "Reach the app without an Ingress."
  value       = module.fskhttp.port_forward_command
}
