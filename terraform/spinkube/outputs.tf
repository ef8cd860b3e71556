output "namespace" {
  description = "Namespace of the app."
  value       = var.namespace
}

output "app_name" {
  description = "Name of the SpinApp, and of the Deployment and Service that spin-operator creates for it."
  value       = var.app_name
}

output "service" {
  description = "In-cluster address of the app (spin-operator's Service, port 80)."
  value       = "http://${var.app_name}.${var.namespace}.svc.cluster.local"
}

output "url" {
  description = "Public URL through the Ingress, or null without one."
  value       = var.ingress.host == null ? null : "https://${var.ingress.host}"
}

output "runtime_class_name" {
  description = "RuntimeClass the pods run under."
  value       = var.runtime_class_name
}

output "executor_name" {
  description = "SpinAppExecutor the SpinApp names."
  value       = var.executor_name
}

output "autoscaling" {
  description = "Who owns the replica count: hpa, keda or none (fixed replicas)."
  value       = var.autoscaling
}

output "key_value_store" {
  description = "Backing of the app's key-value store: in-cluster, external or none (per pod)."
  value       = var.redis
}

output "spinapp_manifest" {
  description = "The SpinApp as applied (rendered from templates/spinapp.yaml.tftpl), for review or `kubectl diff`."
  value       = local.spinapp_manifest
}

output "port_forward_command" {
  description = "Reach the app without an Ingress."
  value       = "kubectl -n ${var.namespace} port-forward svc/${var.app_name} 8080:80"
}
