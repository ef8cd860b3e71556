variable "platform" {
  description = "Where to deploy: \"fermyon-cloud\" (`spin cloud deploy`, plugin `cloud`) or \"akamai\" (`spin aka deploy`, plugin `aka`, Akamai Functions)."
  type        = string
  default     = "fermyon-cloud"
  validation {
    condition     = contains(["fermyon-cloud", "akamai"], var.platform)
    error_message = "platform must be fermyon-cloud or akamai."
  }
}

variable "app_dir" {
  description = "Directory holding spin.toml (the repository root)."
  type        = string
  default     = "../.."
  validation {
    condition     = fileexists("${var.app_dir}/spin.toml")
    error_message = "app_dir must contain spin.toml."
  }
}

variable "release" {
  description = "Version being deployed (e.g. the git tag). A new value redeploys; so does a new build (the .wasm's hash is part of the trigger)."
  type        = string
  validation {
    condition     = can(regex("^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$", var.release))
    error_message = "release must be a short version string such as v3.0.0."
  }
}

variable "variables" {
  description = "Spin application variables passed with --variable (log_level, max_body_bytes, max_audio_seconds, default_protocol, default_volume, max_payload_bytes, metrics_store). On Akamai metrics_store is always \"off\"."
  type        = map(string)
  default     = {}
  validation {
    condition = alltrue([for k in keys(var.variables) : contains(
      ["log_level", "max_body_bytes", "max_audio_seconds", "default_protocol", "default_volume", "max_payload_bytes", "metrics_store"], k
    )])
    error_message = "variables may only set the component's application variables (see spin.toml)."
  }
  validation {
    # The values are put on a shell command line.
    condition     = alltrue([for v in values(var.variables) : can(regex("^[A-Za-z0-9._-]{1,64}$", v))])
    error_message = "variable values must be plain words or numbers (letters, digits, . _ -)."
  }
  validation {
    condition     = var.platform != "akamai" || lookup(var.variables, "metrics_store", "off") == "off"
    error_message = "metrics_store must be off on Akamai Functions: its key-value store has no atomics and takes about 50 writes/s per app (docs/DEPLOY.md)."
  }
}

variable "app_name" {
  description = "Name of the app on the platform (Akamai: created with --create-name on the first deploy)."
  type        = string
  default     = "fskhttp"
  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.app_name))
    error_message = "app_name must be a DNS label (lowercase letters, digits, '-')."
  }
}

variable "create_app" {
  description = "Akamai only: the first deploy creates the app (`--create-name app_name`); set false for later deploys once the app exists and is linked."
  type        = bool
  default     = true
}

variable "spin_bin" {
  description = "The spin CLI, with the cloud or aka plugin installed and logged in (`spin cloud login` / `spin aka login`)."
  type        = string
  default     = "spin"
}
