variable "name_prefix" {
  description = "Prefix of every name, e.g. docroute-dev. The target role is <name_prefix>-events-start-execution (roles named <name_prefix>-* may use the deployment's KMS keys)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,22}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-24 characters of lowercase letters, digits and hyphens, starting and ending with a letter or digit."
  }
}

variable "tags" {
  description = "Tags for every taggable resource."
  type        = map(string)
  default     = {}
}

variable "incoming_bucket" {
  description = "The upload bucket (module storage, output incoming_bucket). Its EventBridge notifications must be on (module storage does that)."
  type = object({
    name = string
    arn  = string
  })
}

variable "inbox_prefix" {
  description = "Key prefix of uploads that start an execution, e.g. inbox/. Must be one of the prefixes the functions' DOCROUTE_INBOX_PREFIXES accepts, or Admit skips every upload."
  type        = string
  default     = "inbox/"

  validation {
    condition     = can(regex("^[^/].*/$", var.inbox_prefix))
    error_message = "inbox_prefix must not start with / and must end with / (e.g. inbox/)."
  }
}

variable "max_bytes" {
  description = "Largest upload (bytes) that starts an execution; larger objects and empty ones never do. Keep it equal to limits.maxFileBytes of docroute.config.yaml (default 52428800, 50 MiB)."
  type        = number

  validation {
    condition     = var.max_bytes >= 1 && floor(var.max_bytes) == var.max_bytes
    error_message = "max_bytes must be a whole number of bytes, at least 1."
  }
}

variable "state_machine_arn" {
  description = "The docroute state machine (module pipeline, output state_machine_arn): the rule's target, and the only resource the target role may start."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:states:[a-z0-9-]+:[0-9]{12}:stateMachine:[A-Za-z0-9_-]+$", var.state_machine_arn))
    error_message = "state_machine_arn must be a Step Functions state machine ARN."
  }
}

variable "input_transformer_path" {
  description = "Path of asl/s3-input-transformer.json (S3_INPUT_TRANSFORMER of src/orchestration/s3-trigger.ts): { InputPathsMap, InputTemplate }."
  type        = string

  validation {
    condition     = can(jsondecode(file(var.input_transformer_path)).InputPathsMap) && can(jsondecode(file(var.input_transformer_path)).InputTemplate)
    error_message = "input_transformer_path must name a JSON file with InputPathsMap and InputTemplate (asl/s3-input-transformer.json)."
  }
}

variable "key_arns" {
  description = "KMS key ARN per data classification (module keys, output key_arns). The target's DLQ uses `confidential`."
  type        = map(string)

  validation {
    condition     = contains(keys(var.key_arns), "confidential")
    error_message = "key_arns must contain the `confidential` classification."
  }
}

variable "retry_maximum_event_age_seconds" {
  description = "How long EventBridge keeps retrying delivery of an upload event to Step Functions before it goes to the DLQ (60-86400 s)."
  type        = number
  default     = 86400

  validation {
    condition     = var.retry_maximum_event_age_seconds >= 60 && var.retry_maximum_event_age_seconds <= 86400
    error_message = "retry_maximum_event_age_seconds must be between 60 and 86400."
  }
}

variable "retry_maximum_attempts" {
  description = "How many times EventBridge retries delivery of an upload event before it goes to the DLQ (0-185)."
  type        = number
  default     = 185

  validation {
    condition     = var.retry_maximum_attempts >= 0 && var.retry_maximum_attempts <= 185 && floor(var.retry_maximum_attempts) == var.retry_maximum_attempts
    error_message = "retry_maximum_attempts must be a whole number between 0 and 185."
  }
}

variable "dlq_message_retention_seconds" {
  description = "How long an undelivered upload event stays in the DLQ (60-1209600 s; default the maximum, 14 days)."
  type        = number
  default     = 1209600

  validation {
    condition     = var.dlq_message_retention_seconds >= 60 && var.dlq_message_retention_seconds <= 1209600
    error_message = "dlq_message_retention_seconds must be between 60 and 1209600 (14 days)."
  }
}
