variable "name_prefix" {
  description = "Prefix for every name this module creates, e.g. docroute-dev. Also the role-name prefix that is granted use of the keys (roles named <name_prefix>-*)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-32 characters of lowercase letters, digits and hyphens, start with a letter and end with a letter or digit."
  }
}

variable "tags" {
  description = "Tags set on every taggable resource. Each key also gets DataClassification = <its classification>."
  type        = map(string)
  default     = {}
}

variable "classifications" {
  description = "Data classifications; one customer managed KMS key (and alias alias/<name_prefix>-<classification>) is created per entry. See CONTRACT.md for what each one protects."
  type        = list(string)
  default     = ["restricted", "confidential", "internal", "public"]

  validation {
    condition     = length(var.classifications) > 0 && length(var.classifications) == length(distinct(var.classifications))
    error_message = "classifications must be a non-empty list without duplicates."
  }

  validation {
    condition     = alltrue([for c in var.classifications : can(regex("^[a-z][a-z0-9-]{0,30}$", c))])
    error_message = "Each classification must be lowercase letters, digits and hyphens (it becomes part of the alias name)."
  }
}

variable "deletion_window_in_days" {
  description = "Waiting period before a key scheduled for deletion is deleted (7-30 days)."
  type        = number
  default     = 30

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30 && floor(var.deletion_window_in_days) == var.deletion_window_in_days
    error_message = "deletion_window_in_days must be an integer between 7 and 30."
  }
}

variable "admin_role_arns" {
  description = "IAM role ARNs allowed to administer the keys (policy, rotation, aliases, grants, deletion) but not to use them for cryptography. Must include the role Terraform runs as: KMS refuses a key policy that would lock its creator out."
  type        = list(string)

  validation {
    condition     = length(var.admin_role_arns) > 0
    error_message = "admin_role_arns must name at least one role, or nobody could administer the keys."
  }

  validation {
    condition     = alltrue([for a in var.admin_role_arns : can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:role/.+$", a))])
    error_message = "Each admin_role_arns entry must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)."
  }
}

variable "service_principals" {
  description = "AWS services that encrypt and decrypt with the keys on behalf of principals of this account (server-side encryption in S3, DynamoDB, SNS, SQS, EventBridge, Step Functions, Lambda). Each becomes a kms:ViaService value <service>.<region>.<dns suffix>; the caller still needs an IAM permission on the key."
  type        = list(string)
  default = [
    "s3.amazonaws.com",
    "dynamodb.amazonaws.com",
    "sns.amazonaws.com",
    "sqs.amazonaws.com",
    "events.amazonaws.com",
    "states.amazonaws.com",
    "lambda.amazonaws.com",
  ]

  validation {
    condition     = alltrue([for p in var.service_principals : can(regex("^[a-z0-9-]+\\.amazonaws\\.com$", p))])
    error_message = "Each service_principals entry must be a service principal such as s3.amazonaws.com."
  }
}
