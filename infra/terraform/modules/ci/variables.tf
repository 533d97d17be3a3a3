variable "name_prefix" {
  description = "Prefix of every name, e.g. docroute-prod. Roles are named <name_prefix>-*, which the keys module's key policies grant use to."
  type        = string
}

variable "tags" {
  description = "Tags for every taggable resource."
  type        = map(string)
  default     = {}
}

variable "artifacts_bucket" {
  description = "Bucket of the pipeline's artifacts (module storage's artifacts bucket, internal key)."
  type = object({
    name = string
    arn  = string
  })
}

variable "key_arns" {
  description = "KMS key ARN per data classification (module keys); CI uses the internal key."
  type        = map(string)
}

variable "repository" {
  description = "The source: a CodeStar (CodeConnections) connection ARN, the repository id (owner/name) and the branch. Without connection_arn the module creates a connection, which an administrator then completes once in the console (it starts PENDING)."
  type = object({
    connection_arn = optional(string)
    provider_type  = optional(string, "GitHub")
    id             = string
    branch         = string
  })
}

variable "environments" {
  description = "Environments in deploy order; each has a root module in infra/terraform/envs/<env>."
  type        = list(string)
  default     = ["dev", "staging", "prod"]

  validation {
    condition     = length(var.environments) > 0 && length(var.environments) == length(distinct(var.environments))
    error_message = "environments must list at least one environment, each once."
  }
}

variable "approval_before" {
  description = "Environments whose deploy waits for a manual approval (each must be in environments)."
  type        = list(string)
  default     = ["prod"]
}

variable "approval_topic_arn" {
  description = "SNS topic told when an approval is waiting (encrypted with the confidential key, like module notifications' topic); null for none."
  type        = string
  default     = null
}

variable "deploy_role_arns" {
  description = "Role each deploy assumes to run terraform apply, per environment. An environment not in the map uses the role named by deploy_role_name_format in this account (created at bootstrap, see infra/terraform/README.md)."
  type        = map(string)
  default     = {}
}

variable "deploy_role_name_format" {
  description = "format() pattern of the deploy role's name from the environment name."
  type        = string
  default     = "docroute-%s-deploy"
}

variable "terraform_version" {
  description = "Terraform version the deploy projects install."
  type        = string
  default     = "1.9.8"
}

variable "terraform_sha256" {
  description = "SHA-256 of terraform_<version>_linux_amd64.zip. Empty: checked against the release's SHA256SUMS file, fetched over TLS from releases.hashicorp.com."
  type        = string
  default     = ""
}

variable "build_image" {
  description = "CodeBuild image (must offer the Node.js 20 runtime)."
  type        = string
  default     = "aws/codebuild/amazonlinux2-x86_64-standard:5.0"
}

variable "build_compute_type" {
  description = "CodeBuild compute type of the build project."
  type        = string
  default     = "BUILD_GENERAL1_MEDIUM"
}

variable "build_timeout_minutes" {
  description = "Time limit of each build and deploy."
  type        = number
  default     = 60
}

variable "log_retention_days" {
  description = "Retention of the CodeBuild log groups."
  type        = number
  default     = 90

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention period CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653)."
  }
}
