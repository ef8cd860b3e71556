# Provider and Terraform versions are pinned exactly; bump them deliberately (see docs/DEPLOY.md).
# No .terraform.lock.hcl is committed: the machines that build this repository cannot reach the
# Terraform registry. Run `terraform init` once where you deploy and commit the lock file there.
# 1.9+: variable validations may refer to other variables.
terraform {
  required_version = ">= 1.9.0, < 2.0.0"

  required_providers {
    helm = {
      source  = "hashicorp/helm"
      version = "2.17.0"
    }
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = "2.36.0"
    }
    # Only used to fetch spin-operator's CRDs at the pinned operator tag (the chart does not ship them).
    http = {
      source  = "hashicorp/http"
      version = "3.4.5"
    }
  }
}
