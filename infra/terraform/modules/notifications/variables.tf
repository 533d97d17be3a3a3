variable "name_prefix" {
  description = "Prefix for every name this module creates, e.g. docroute-dev. The topic is <name_prefix>-notifications."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-32 characters of lowercase letters, digits and hyphens, start with a letter and end with a letter or digit."
  }
}

variable "tags" {
  description = "Tags set on every taggable resource."
  type        = map(string)
  default     = {}
}

variable "key_arns" {
  description = "KMS key ARN by data classification (output key_arns of module keys). The topic is encrypted with key_arns[\"confidential\"]."
  type        = map(string)

  validation {
    condition     = contains(keys(var.key_arns), "confidential")
    error_message = "key_arns must contain the \"confidential\" key."
  }

  validation {
    condition     = alltrue([for k in values(var.key_arns) : can(regex("^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", k))])
    error_message = "Every key_arns value must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), not an alias."
  }
}

variable "subscriptions" {
  description = "Subscribers of the topic (batch summaries from the notify function, alarms from module observability). protocol is one of https, email, email-json, sqs, lambda, firehose, sms, application; plain http is refused."
  type = list(object({
    protocol = string
    endpoint = string
  }))
  default = []

  validation {
    condition     = alltrue([for s in var.subscriptions : contains(["https", "email", "email-json", "sqs", "lambda", "firehose", "sms", "application"], s.protocol)])
    error_message = "Each subscription protocol must be one of https, email, email-json, sqs, lambda, firehose, sms, application (http is not allowed: deliveries must use TLS)."
  }

  validation {
    condition     = alltrue([for s in var.subscriptions : s.protocol != "https" || startswith(s.endpoint, "https://")])
    error_message = "An https subscription endpoint must start with https://."
  }

  validation {
    condition     = alltrue([for s in var.subscriptions : !contains(["sqs", "lambda", "firehose", "application"], s.protocol) || can(regex("^arn:aws[a-zA-Z-]*:", s.endpoint))])
    error_message = "sqs, lambda, firehose and application subscriptions take an ARN as endpoint."
  }

  validation {
    condition     = length(var.subscriptions) == length(distinct([for s in var.subscriptions : "${s.protocol}|${s.endpoint}"]))
    error_message = "subscriptions must not list the same protocol and endpoint twice."
  }
}

variable "publisher_role_arn_patterns" {
  description = "ARN patterns (ArnLike) of the roles of this account allowed to publish to the topic. null means roles named <name_prefix>-* (the notify function's role among them)."
  type        = list(string)
  default     = null

  validation {
    condition = var.publisher_role_arn_patterns == null ? true : (
      length(var.publisher_role_arn_patterns) > 0 &&
      alltrue([for p in var.publisher_role_arn_patterns : can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:role/.+$", p))])
    )
    error_message = "publisher_role_arn_patterns must be null or a non-empty list of IAM role ARN patterns (arn:aws:iam::<account>:role/<name or pattern>)."
  }
}
