# fskhttp on SpinKube, phase 2 (deploy_app = true): the app and what serves it.
#
#   Namespace, SpinAppExecutor, SpinApp (templates/, rendered in manifests.tf)
#   Shim (runtime-class-manager installs the shim and creates the RuntimeClass)
#   Redis for the shared key-value store (in-cluster) or a Secret with an external URL
#   HPA on CPU, or a KEDA ScaledObject, and a PodDisruptionBudget
#   Exposure, one of:
#     ingress-nginx (gateway = null): ClusterIssuer + Certificate (cert-manager) and three Ingresses:
#       /encode and /decode with per-client rate limits, the rest with a looser limit, /metrics only
#       from metrics_source_ranges
#     Gateway API (gateway set): two HTTPRoutes on an existing Gateway, which terminates TLS

locals {
  deploy       = var.deploy_app
  app_selector = { for k in ["app.kubernetes.io/name", "app.kubernetes.io/instance"] : k => local.common_labels[k] }
  ingress_on   = local.deploy && var.ingress.host != null && var.gateway == null
  gateway_on   = local.deploy && var.ingress.host != null && var.gateway != null
  tls_secret   = "${var.app_name}-tls"
  redis_url    = var.redis == "external" ? var.redis_url : "redis://${local.redis_name}.${var.namespace}.svc.cluster.local:6379"

  # ingress-nginx annotations shared by both Ingresses (the old nginx front's proxy settings).
  ingress_common_annotations = {
    "nginx.ingress.kubernetes.io/proxy-body-size"    = "${ceil(var.max_body_bytes / 1048576)}m"
    "nginx.ingress.kubernetes.io/proxy-read-timeout" = tostring(var.request_timeout_seconds)
    "nginx.ingress.kubernetes.io/proxy-send-timeout" = tostring(var.request_timeout_seconds)
    "nginx.ingress.kubernetes.io/ssl-redirect"       = "true"
  }
}

resource "kubernetes_namespace_v1" "app" {
  count = local.deploy ? 1 : 0
  metadata {
    name   = var.namespace
    labels = local.common_labels
  }
}

resource "kubernetes_manifest" "shim" {
  count      = local.deploy && var.install_platform && var.install_shim ? 1 : 0
  manifest   = local.shim_manifest
  depends_on = [helm_release.runtime_class_manager]
}

resource "kubernetes_manifest" "executor" {
  count      = local.deploy ? 1 : 0
  manifest   = local.spinappexecutor_manifest
  depends_on = [kubernetes_namespace_v1.app, helm_release.spin_operator]
}

# ---------------------------------------------------------------------------------------------------
# Shared key-value store
# ---------------------------------------------------------------------------------------------------

resource "kubernetes_secret_v1" "kv" {
  count = local.deploy && var.redis != "none" ? 1 : 0
  metadata {
    name      = local.redis_secret
    namespace = kubernetes_namespace_v1.app[0].metadata[0].name
    labels    = local.common_labels
  }
  data = {
    (local.redis_secret_key) = local.redis_url
  }
}

resource "kubernetes_deployment_v1" "redis" {
  #checkov:skip=CKV_K8S_43:the image is pinned by a version tag by default; var.redis_image accepts a digest for those who want one.
  #checkov:skip=CKV_K8S_35:Redis reads no secret; the app gets the Redis URL from a Secret through Spin's runtimeConfig, not env.
  count = local.deploy && var.redis == "in-cluster" ? 1 : 0
  metadata {
    name      = local.redis_name
    namespace = kubernetes_namespace_v1.app[0].metadata[0].name
    labels    = local.redis_labels
  }
  spec {
    # One instance, no persistence: the counters are monitoring data (a restart looks like a counter
    # reset to Prometheus). But /health reads them, so the app's probes depend on this Redis: for
    # production use redis = "external" with a managed, replicated Redis (docs/operations.md).
    replicas = 1
    selector {
      match_labels = { for k in ["app.kubernetes.io/name", "app.kubernetes.io/instance"] : k => local.redis_labels[k] }
    }
    template {
      metadata {
        labels = local.redis_labels
      }
      spec {
        automount_service_account_token = false
        security_context {
          run_as_non_root = true
          run_as_user     = 999
          run_as_group    = 999
          fs_group        = 999
          seccomp_profile {
            type = "RuntimeDefault"
          }
        }
        container {
          name              = "redis"
          image             = var.redis_image
          image_pull_policy = "Always"
          args              = ["--save", "", "--appendonly", "no", "--protected-mode", "no", "--maxmemory", "48mb", "--maxmemory-policy", "noeviction"]
          port {
            container_port = 6379
            name           = "redis"
          }
          resources {
            requests = { cpu = "50m", memory = "32Mi" }
            limits   = { cpu = "500m", memory = "64Mi" }
          }
          security_context {
            allow_privilege_escalation = false
            read_only_root_filesystem  = true
            privileged                 = false
            run_as_non_root            = true
            capabilities {
              drop = ["ALL"]
            }
          }
          readiness_probe {
            exec {
              command = ["redis-cli", "ping"]
            }
            period_seconds = 5
          }
          liveness_probe {
            tcp_socket {
              port = 6379
            }
            initial_delay_seconds = 5
            period_seconds        = 10
          }
          volume_mount {
            name       = "data"
            mount_path = "/data"
          }
        }
        volume {
          name = "data"
          empty_dir {
            size_limit = "64Mi"
          }
        }
      }
    }
  }
}

resource "kubernetes_service_v1" "redis" {
  count = local.deploy && var.redis == "in-cluster" ? 1 : 0
  metadata {
    name      = local.redis_name
    namespace = kubernetes_namespace_v1.app[0].metadata[0].name
    labels    = local.redis_labels
  }
  spec {
    selector = { for k in ["app.kubernetes.io/name", "app.kubernetes.io/instance"] : k => local.redis_labels[k] }
    port {
      name        = "redis"
      port        = 6379
      target_port = 6379
    }
  }
}

# Redis has no password: only the app's pods may reach it.
resource "kubernetes_network_policy_v1" "redis" {
  count = local.deploy && var.redis == "in-cluster" ? 1 : 0
  metadata {
    name      = local.redis_name
    namespace = kubernetes_namespace_v1.app[0].metadata[0].name
    labels    = local.redis_labels
  }
  spec {
    pod_selector {
      match_labels = { for k in ["app.kubernetes.io/name", "app.kubernetes.io/instance"] : k => local.redis_labels[k] }
    }
    policy_types = ["Ingress"]
    ingress {
      from {
        pod_selector {
          match_labels = local.app_selector
        }
      }
      ports {
        port     = "6379"
        protocol = "TCP"
      }
    }
  }
}

# ---------------------------------------------------------------------------------------------------
# The SpinApp and its scaling
# ---------------------------------------------------------------------------------------------------

resource "kubernetes_manifest" "spinapp" {
  count    = local.deploy ? 1 : 0
  manifest = local.spinapp_manifest

  wait {
    fields = {
      "status.readyReplicas" = "^[1-9][0-9]*$"
    }
  }
  timeouts {
    create = "10m"
    update = "10m"
  }

  depends_on = [
    kubernetes_manifest.executor,
    kubernetes_manifest.shim,
    kubernetes_manifest.runtime_class,
    kubernetes_secret_v1.kv,
    kubernetes_service_v1.redis,
  ]
}

# spin-operator names the Deployment after the SpinApp; with enableAutoscaling it leaves its replica
# count to this HPA.
resource "kubernetes_horizontal_pod_autoscaler_v2" "app" {
  count = local.deploy && var.autoscaling == "hpa" ? 1 : 0
  metadata {
    name      = var.app_name
    namespace = kubernetes_namespace_v1.app[0].metadata[0].name
    labels    = local.common_labels
  }
  spec {
    min_replicas = var.min_replicas
    max_replicas = var.max_replicas
    scale_target_ref {
      api_version = "apps/v1"
      kind        = "Deployment"
      name        = var.app_name
    }
    metric {
      type = "Resource"
      resource {
        name = "cpu"
        target {
          type                = "Utilization"
          average_utilization = var.cpu_target_percent
        }
      }
    }
    behavior {
      scale_down {
        stabilization_window_seconds = 300
        select_policy                = "Max"
        policy {
          type           = "Percent"
          value          = 50
          period_seconds = 60
        }
      }
      scale_up {
        stabilization_window_seconds = 0
        select_policy                = "Max"
        policy {
          type           = "Pods"
          value          = 4
          period_seconds = 30
        }
      }
    }
  }
  depends_on = [kubernetes_manifest.spinapp]
}

resource "kubernetes_manifest" "scaledobject" {
  count      = local.deploy && var.autoscaling == "keda" ? 1 : 0
  manifest   = local.scaledobject_manifest
  depends_on = [kubernetes_manifest.spinapp, helm_release.keda]
}

resource "kubernetes_pod_disruption_budget_v1" "app" {
  count = local.deploy && (var.autoscaling != "none" ? var.min_replicas : var.replicas) > 1 ? 1 : 0
  metadata {
    name      = var.app_name
    namespace = kubernetes_namespace_v1.app[0].metadata[0].name
    labels    = local.common_labels
  }
  spec {
    min_available = 1
    selector {
      match_labels = local.app_selector
    }
  }
}

# ---------------------------------------------------------------------------------------------------
# TLS and Ingress
# ---------------------------------------------------------------------------------------------------

resource "kubernetes_manifest" "cluster_issuer" {
  count = local.ingress_on && var.ingress.create_cluster_issuer ? 1 : 0
  manifest = {
    apiVersion = "cert-manager.io/v1"
    kind       = "ClusterIssuer"
    metadata = {
      name   = var.ingress.cluster_issuer
      labels = local.common_labels
    }
    spec = {
      acme = {
        email               = var.ingress.acme_email
        server              = var.ingress.acme_server
        privateKeySecretRef = { name = "${var.ingress.cluster_issuer}-account-key" }
        solvers = [{
          http01 = { ingress = { ingressClassName = var.ingress.class_name } }
        }]
      }
    }
  }
  depends_on = [helm_release.cert_manager]
}

# One Certificate for the host, shared by both Ingresses (annotating both Ingresses instead would make
# cert-manager's ingress-shim create two Certificates for one Secret).
resource "kubernetes_manifest" "certificate" {
  count = local.ingress_on ? 1 : 0
  manifest = {
    apiVersion = "cert-manager.io/v1"
    kind       = "Certificate"
    metadata = {
      name      = local.tls_secret
      namespace = var.namespace
      labels    = local.common_labels
    }
    spec = {
      secretName = local.tls_secret
      dnsNames   = [var.ingress.host]
      issuerRef  = { name = var.ingress.cluster_issuer, kind = "ClusterIssuer" }
    }
  }
  depends_on = [kubernetes_namespace_v1.app, kubernetes_manifest.cluster_issuer]
}

# /encode and /decode: the work endpoints, limited per client IP (ingress-nginx's limit_req and
# limit_conn). Over the limit nginx answers 503, as the old service did when overloaded.
resource "kubernetes_ingress_v1" "work" {
  count = local.ingress_on ? 1 : 0
  metadata {
    name      = "${var.app_name}-work"
    namespace = kubernetes_namespace_v1.app[0].metadata[0].name
    labels    = local.common_labels
    annotations = merge(local.ingress_common_annotations, {
      "nginx.ingress.kubernetes.io/limit-rps"              = tostring(var.rate_limit.rps)
      "nginx.ingress.kubernetes.io/limit-burst-multiplier" = tostring(var.rate_limit.burst_multiplier)
      "nginx.ingress.kubernetes.io/limit-connections"      = tostring(var.rate_limit.connections)
    })
  }
  spec {
    ingress_class_name = var.ingress.class_name
    tls {
      hosts       = [var.ingress.host]
      secret_name = local.tls_secret
    }
    rule {
      host = var.ingress.host
      http {
        dynamic "path" {
          for_each = ["/encode", "/decode"]
          content {
            path      = path.value
            path_type = "Exact"
            backend {
              service {
                name = var.app_name
                port {
                  number = 80
                }
              }
            }
          }
        }
      }
    }
  }
  depends_on = [kubernetes_manifest.spinapp]
}

# Everything else (/, /health, /metrics, /protocols, /openapi.json) with a looser limit.
resource "kubernetes_ingress_v1" "rest" {
  count = local.ingress_on ? 1 : 0
  metadata {
    name      = "${var.app_name}-rest"
    namespace = kubernetes_namespace_v1.app[0].metadata[0].name
    labels    = local.common_labels
    annotations = merge(local.ingress_common_annotations, {
      "nginx.ingress.kubernetes.io/limit-rps" = tostring(var.rate_limit.health_rps)
    })
  }
  spec {
    ingress_class_name = var.ingress.class_name
    tls {
      hosts       = [var.ingress.host]
      secret_name = local.tls_secret
    }
    rule {
      host = var.ingress.host
      http {
        path {
          path      = "/"
          path_type = "Prefix"
          backend {
            service {
              name = var.app_name
              port {
                number = 80
              }
            }
          }
        }
      }
    }
  }
  depends_on = [kubernetes_manifest.spinapp]
}

# /metrics: not for the internet. Prometheus scrapes the pods directly; through the Ingress only the
# listed source ranges may read it (ingress-nginx answers 403 to others).
resource "kubernetes_ingress_v1" "metrics" {
  count = local.ingress_on ? 1 : 0
  metadata {
    name      = "${var.app_name}-metrics"
    namespace = kubernetes_namespace_v1.app[0].metadata[0].name
    labels    = local.common_labels
    annotations = merge(local.ingress_common_annotations, {
      "nginx.ingress.kubernetes.io/whitelist-source-range" = join(",", var.metrics_source_ranges)
    })
  }
  spec {
    ingress_class_name = var.ingress.class_name
    tls {
      hosts       = [var.ingress.host]
      secret_name = local.tls_secret
    }
    rule {
      host = var.ingress.host
      http {
        path {
          path      = "/metrics"
          path_type = "Exact"
          backend {
            service {
              name = var.app_name
              port {
                number = 80
              }
            }
          }
        }
      }
    }
  }
  depends_on = [kubernetes_manifest.spinapp]
}

# ---------------------------------------------------------------------------------------------------
# Gateway API (gateway set): HTTPRoutes on an existing Gateway (manifests.tf)
# ---------------------------------------------------------------------------------------------------

resource "kubernetes_manifest" "httproute" {
  for_each   = local.gateway_on ? toset(["work", "rest"]) : toset([])
  manifest   = local.httproute_manifests[each.key]
  depends_on = [kubernetes_manifest.spinapp]
}
