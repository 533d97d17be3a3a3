variable "name_prefix" {
  description = "Prefix for every name this module creates, e.g. docroute-dev. The tables are <name_prefix>-store and <name_prefix>-rate."
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
  description = "KMS key ARN by data classification (output key_arns of module keys). The store table uses key_arns[\"restricted\"], the rate table key_arns[\"internal\"]."
  type        = map(string)

  validation {
    condition     = contains(keys(var.key_arns), "restricted") && contains(keys(var.key_arns), "internal")
    error_message = "key_arns must contain the \"restricted\" and \"internal\" keys."
  }

  validation {
    condition     = alltrue([for k in values(var.key_arns) : can(regex("^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", k))])
    error_message = "Every key_arns value must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), not an alias."
  }
}

variable "deletion_protection" {
  description = "Turns on DynamoDB deletion protection for both tables (true in prod)."
  type        = bool
}

variable "point_in_time_recovery" {
  description = "Turns on point-in-time recovery (continuous backups, 35 days) for both tables."
  type        = bool
  default     = true
}
