# fskhttp on Fermyon Cloud or Akamai Functions, from Terraform.
#
# There is no Terraform provider for either platform, so this module does not manage the app as a
# resource: it runs the platform's own CLI (`spin cloud deploy` / `spin aka deploy`) from a
# terraform_data resource whenever the release or the built component changes. Terraform does not
# see the app's state, does not detect drift, and `terraform destroy` deletes nothing remotely (the
# destroy-time command only prints how to). Authentication is the CLI's own (`spin cloud login`,
# `spin aka login`, or their token environment variables in CI); no credential passes through here.
#
# local-exec has no terminal: every command runs with stdin from /dev/null and with the flags that
# answer the CLI's questions (`spin aka deploy --no-confirm`, plus `--create-name` on the first
# deploy), so an unexpected prompt fails the apply at once instead of hanging it.
#
# Akamai Functions' key-value API is wasi:keyvalue/store and batch only (no atomics) and takes about
# 50 writes/s per app, so there the component is built with feature no-kv-atomics (no atomics import)
# and runs with metrics_store = "off": request metrics come from the platform, not from /metrics.

locals {
  wasm = "${var.app_dir}/target/wasm32-wasip2/release/fskhttp.wasm"

  # Akamai: the same build as spin.toml's (cargo, then wasm-opt), plus feature no-kv-atomics;
  # Fermyon Cloud: spin.toml's.
  build_command = var.platform == "akamai" ? "cargo build --target wasm32-wasip2 --release --no-default-features --features no-kv-atomics,web-assets && scripts/wasm-opt-component target/wasm32-wasip2/release/fskhttp.wasm" : "${var.spin_bin} build"

  variables = merge(var.variables, var.platform == "akamai" ? { metrics_store = "off" } : {})

  deploy_args = var.platform == "akamai" ? concat(
    ["aka", "deploy", "--no-confirm"],
    var.create_app ? ["--create-name", var.app_name] : [],
    ) : concat(
    ["cloud", "deploy"],
  )
  variable_args  = [for k in sort(keys(local.variables)) : "--variable ${k}=${local.variables[k]}"]
  deploy_command = join(" ", concat([var.spin_bin], local.deploy_args, local.variable_args))
  full_command   = "${local.build_command} </dev/null && ${local.deploy_command} </dev/null"
}

resource "terraform_data" "deploy" {
  triggers_replace = {
    release  = var.release
    platform = var.platform
    wasm     = fileexists(local.wasm) ? filesha256(local.wasm) : "not-built"
    command  = local.deploy_command
  }

  provisioner "local-exec" {
    working_dir = var.app_dir
    command     = local.full_command
    environment = {
      # No terminal: the CLIs must not wait for input or draw progress bars.
      CI = "true"
    }
  }

  provisioner "local-exec" {
    when    = destroy
    command = "echo 'terraform does not delete the remote app; use the platform CLI (spin cloud apps delete / spin aka app delete).'"
  }
}

output "deploy_command" {
  description = "The command this module runs (from app_dir), with stdin from /dev/null."
  value       = local.full_command
}
