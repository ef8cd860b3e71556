# No provider: neither Fermyon Cloud nor Akamai Functions has a Terraform provider (checked for this
# module; see README.md). terraform_data is built into Terraform 1.4+, so `terraform init` here
# downloads nothing.
terraform {
  required_version = ">= 1.9.0, < 2.0.0"
}
