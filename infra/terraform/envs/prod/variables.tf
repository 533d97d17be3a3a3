# The same in every environment; the values are in terraform.tfvars.

variable "region" {
  description = "AWS Region of the environment."
  type        = string
}

variable "allowed_account_ids" {
  description = "Accounts this environment may be applied to (the provider refuses any other); null allows any."
  type        = list(string)
  default     = null
}

variable "environment" {
  description = "Environment name: dev, staging or prod. Names are docroute-<environment>-*."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod."
  }
}

variable "owner" {
  description = "Owner default tag: the team that answers for the environment."
  type        = string
}

variable "cost_center" {
  description = "CostCenter default tag."
  type        = string
}

variable "data_classification" {
  description = "DataClassification default tag: the highest classification the environment holds (modules tag resources more precisely where they can)."
  type        = string
  default     = "restricted"

  validation {
    condition     = contains(["restricted", "confidential", "internal", "public"], var.data_classification)
    error_message = "data_classification must be restricted, confidential, internal or public."
  }
}

variable "tags" {
  description = "Extra tags set on the modules' resources (the provider's default_tags come on top)."
  type        = map(string)
  default     = {}
}

variable "deploy_role_name_format" {
  description = "format() pattern of the name of the role Terraform runs as, from the environment name (created at bootstrap; see infra/terraform/README.md). It administers the keys."
  type        = string
  default     = "docroute-%s-deploy"
}

variable "key_admin_role_arns" {
  description = "Further roles that administer the keys (never use them), e.g. a break-glass role. The deploy role is always one."
  type        = list(string)
  default     = []
}

variable "key_deletion_window_in_days" {
  description = "Waiting period before a scheduled key deletion (7-30 days)."
  type        = number
  default     = 30
}

variable "vpc_cidr" {
  description = "CIDR block of the environment's VPC."
  type        = string
}

variable "azs" {
  description = "Availability Zones of the private subnets (at least two)."
  type        = list(string)
}

variable "deletion_protection" {
  description = "DynamoDB deletion protection of the store and rate tables (true in prod)."
  type        = bool
}

variable "incoming_retention_days" {
  description = "Days an upload stays in the incoming bucket."
  type        = number
}

variable "documents_retention_days" {
  description = "Days originals and route entries stay in the documents bucket (records retention)."
  type        = number
}

variable "noncurrent_days" {
  description = "Days an overwritten or deleted object version is kept."
  type        = number
}

variable "log_retention_days" {
  description = "Retention of the functions', the state machine's and the flow logs' log groups."
  type        = number
}

variable "notification_subscriptions" {
  description = "Subscribers of the notifications topic (batch summaries, alarms, approvals)."
  type = list(object({
    protocol = string
    endpoint = string
  }))
  default = []
}

variable "reserved_concurrency" {
  description = "Reserved concurrency per function; null: unreserved."
  type        = map(number)
  default     = null
}

variable "memory_mb" {
  description = "Memory per function (MB); null: the pipeline module's defaults."
  type        = map(number)
  default     = null
}

variable "timeout_seconds" {
  description = "Lambda timeout per function; null: the pipeline module's defaults."
  type        = map(number)
  default     = null
}

variable "bedrock_model_arns" {
  description = "Bedrock models (or inference profiles) the classify function may invoke; empty with the rules classifier."
  type        = list(string)
  default     = []
}

variable "textract_tps" {
  description = "Shared Textract start budget per second (about 80 % of the StartDocumentAnalysis quota)."
  type        = number
  default     = 5
}

variable "textract_burst" {
  description = "Burst of the Textract start budget (at most the quota)."
  type        = number
  default     = 5
}

variable "inbox_prefix" {
  description = "Upload prefix that starts executions and that Admit accepts."
  type        = string
  default     = "inbox/"
}

variable "max_upload_bytes" {
  description = "Largest upload that starts an execution; keep it equal to limits.maxFileBytes of docroute.config.yaml."
  type        = number
  default     = 52428800
}

variable "event_bus_name" {
  description = "EventBridge bus of the Document Routed events."
  type        = string
  default     = "default"
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the functions' metrics (POWERTOOLS_METRICS_NAMESPACE) and of the alarms on them."
  type        = string
  default     = "docroute"
}

variable "held_hours_threshold" {
  description = "Alarm when a document has been held for review longer than this many hours."
  type        = number
}

variable "throttled_minutes_threshold" {
  description = "Alarm when the Textract start budget has been exhausted in every minute for this many minutes."
  type        = number
}

variable "delivery_pipeline" {
  description = "The delivery pipeline (module ci), in the one environment that hosts it (prod); null elsewhere. It deploys every environment in order, with a manual approval before those in approval_before. deploy_role_arns: the role each deploy assumes, where it is not named by deploy_role_name_format in this account."
  type = object({
    repository = object({
      connection_arn = optional(string)
      provider_type  = optional(string, "GitHub")
      id             = string
      branch         = string
    })
    environments     = optional(list(string), ["dev", "staging", "prod"])
    approval_before  = optional(list(string), ["prod"])
    deploy_role_arns = optional(map(string), {})
  })
  default = null
}
