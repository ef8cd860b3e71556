# fskhttp on SpinKube, phase 1: the platform.
#
#   cert-manager          (jetstack chart)       webhook certificates for spin-operator, TLS for the Ingress
#   runtime-class-manager (spinframework chart)  installs containerd-shim-spin on labelled nodes (Shim, app.tf)
#   spin-operator CRDs    (SpinApp, SpinAppExecutor, fetched at the operator's tag)
#   spin-operator         (spinframework chart)
#   RuntimeClass          wasmtime-spin-v2, directly here when the nodes already have the shim
#   KEDA                  (kedacore chart) only with autoscaling = "keda"
#
# Phase 2 (app.tf, deploy_app = true) creates the custom resources, which need these CRDs at plan time.

provider "kubernetes" {
  config_path    = var.kubeconfig_path
  config_context = var.kube_context
}

provider "helm" {
  kubernetes {
    config_path    = var.kubeconfig_path
    config_context = var.kube_context
  }
}

locals {
  spin_operator_crds = var.install_platform ? toset(["spinapps", "spinappexecutors"]) : toset([])
  install_keda       = var.autoscaling == "keda" && var.install_keda
}

resource "helm_release" "cert_manager" {
  count            = var.install_platform && var.install_cert_manager ? 1 : 0
  name             = "cert-manager"
  repository       = "https://charts.jetstack.io"
  chart            = "cert-manager"
  version          = var.versions.cert_manager
  namespace        = "cert-manager"
  create_namespace = true
  wait             = true
  timeout          = 600

  set {
    name  = "crds.enabled"
    value = "true"
  }
}

resource "helm_release" "runtime_class_manager" {
  count            = var.install_platform && var.install_shim ? 1 : 0
  name             = "runtime-class-manager"
  repository       = "oci://ghcr.io/spinframework/charts"
  chart            = "runtime-class-manager"
  version          = var.versions.runtime_class_manager
  namespace        = "runtime-class-manager"
  create_namespace = true
  wait             = true
  timeout          = 600

  depends_on = [helm_release.cert_manager]
}

# The spin-operator chart does not ship its CRDs; they are applied from the operator's source at the
# same tag as the chart, so the two never drift apart.
data "http" "spin_operator_crd" {
  for_each = local.spin_operator_crds
  url      = "https://raw.githubusercontent.com/spinframework/spin-operator/v${var.versions.spin_operator}/config/crd/bases/core.spinkube.dev_${each.key}.yaml"

  lifecycle {
    postcondition {
      condition     = self.status_code == 200
      error_message = "could not fetch the spin-operator CRD ${each.key} at v${var.versions.spin_operator}"
    }
  }
}

resource "kubernetes_manifest" "spin_operator_crd" {
  for_each = local.spin_operator_crds
  manifest = yamldecode(data.http.spin_operator_crd[each.key].response_body)
}

resource "helm_release" "spin_operator" {
  count            = var.install_platform ? 1 : 0
  name             = "spin-operator"
  repository       = "oci://ghcr.io/spinframework/charts"
  chart            = "spin-operator"
  version          = var.versions.spin_operator
  namespace        = "spin-operator"
  create_namespace = true
  wait             = true
  timeout          = 600

  depends_on = [helm_release.cert_manager, kubernetes_manifest.spin_operator_crd]
}

# Nodes that already carry containerd-shim-spin (k3d's shim image, managed WASI node pools...) only
# need the RuntimeClass; otherwise runtime-class-manager creates it from the Shim (app.tf).
resource "kubernetes_manifest" "runtime_class" {
  count    = var.install_platform && !var.install_shim ? 1 : 0
  manifest = local.runtimeclass_manifest
}

resource "helm_release" "keda" {
  count            = local.install_keda ? 1 : 0
  name             = "keda"
  repository       = "https://kedacore.github.io/charts"
  chart            = "keda"
  version          = var.versions.keda
  namespace        = "keda"
  create_namespace = true
  wait             = true
  timeout          = 600
}
