# fskhttp on Fermyon Cloud or Akamai Functions, from Terraform.
#
# There is no Terraform provider for either platform, so this module does not manage the app as a
# resource: it runs the platform's own CLI (`spin cloud deploy` / `spin aka deploy`) from a
# terraform_data resource whenever the release or the built component changes. Terraform does not
# see the app's state, does not detect drift, and `terraform destroy` deletes nothing remotely (the
# destroy-time command only prints how to). Authentication is the CLI's own (`spin cloud login`,
# `spin aka login`, or their token environment variables in CI); no credential passes through here.

locals {
  wasm = "${var.app_dir}/target/wasm32-wasip2/release/fskhttp.wasm"
  deploy_command = {
    "fermyon-cloud" = "cloud deploy"
    "akamai"        = "aka deploy"
  }[var.platform]
  variable_args = join(" ", [for k in sort(keys(var.variables)) : "--variable ${k}=${var.variables[k]}"])
}

resource "terraform_data" "deploy" {
  triggers_replace = {
    release  = var.release
    platform = var.platform
    wasm     = fileexists(local.wasm) ? filesha256(local.wasm) : "not-built"
    vars     = local.variable_args
  }

  provisioner "local-exec" {
    working_dir = var.app_dir
    command     = "${var.spin_bin} build && ${var.spin_bin} ${local.deploy_command} ${local.variable_args}"
  }

  provisioner "local-exec" {
    when    = destroy
    command = "echo 'terraform does not delete the remote app; use the platform CLI (spin cloud apps delete / spin aka app delete).'"
  }
}

output "deploy_command" {
  description = "The command this module runs (from app_dir)."
  value       = "${var.spin_bin} build && ${var.spin_bin} ${local.deploy_command} ${local.variable_args}"
}
