variable "name_prefix" {
  description = "Prefix of every name, e.g. docroute-dev. Bucket names are <name_prefix>-<bucket>-<account id>-<region>, so it must be a valid start of an S3 bucket name and short enough for the 63-character limit."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,22}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-24 characters of lowercase letters, digits and hyphens, starting and ending with a letter or digit (it starts every bucket name)."
  }
}

variable "tags" {
  description = "Tags for every taggable resource. Each bucket adds Name, Purpose and its DataClassification."
  type        = map(string)
  default     = {}
}

variable "key_arns" {
  description = "KMS key ARN per data classification (module keys, output key_arns). This module uses `restricted` (incoming, documents) and `internal` (artifacts). Key ARNs, not aliases: the bucket policies compare the put's key id with them."
  type        = map(string)

  validation {
    condition     = contains(keys(var.key_arns), "restricted") && contains(keys(var.key_arns), "internal")
    error_message = "key_arns must contain the `restricted` and `internal` classifications."
  }

  validation {
    condition     = alltrue([for arn in values(var.key_arns) : can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", arn))])
    error_message = "Every key_arns value must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>), not an alias."
  }
}

variable "incoming_retention_days" {
  description = "Days an upload stays in the incoming bucket. Admit copies each admitted upload to the documents bucket, so this only bounds how long an upload can wait to be (re)processed: keep it longer than the time to notice and redrive the events DLQ (its retention is 14 days)."
  type        = number

  validation {
    condition     = var.incoming_retention_days >= 1 && floor(var.incoming_retention_days) == var.incoming_retention_days
    error_message = "incoming_retention_days must be a whole number of days, at least 1."
  }
}

variable "documents_retention_days" {
  description = "Days originals and route entries stay in the documents bucket: the records-retention period for customer documents. After it, the audit trail in DynamoDB remains, but reviews and replays of the document fail with ArtifactMissingError."
  type        = number

  validation {
    condition     = var.documents_retention_days >= 1 && floor(var.documents_retention_days) == var.documents_retention_days
    error_message = "documents_retention_days must be a whole number of days, at least 1."
  }
}

variable "noncurrent_days" {
  description = "Days an overwritten or deleted object version is kept (every bucket) before it expires: the window to recover from an accidental overwrite or delete."
  type        = number

  validation {
    condition     = var.noncurrent_days >= 1 && floor(var.noncurrent_days) == var.noncurrent_days
    error_message = "noncurrent_days must be a whole number of days, at least 1."
  }
}

variable "access_log_retention_days" {
  description = "Days S3 server access logs are kept in the logs bucket."
  type        = number
  default     = 365

  validation {
    condition     = var.access_log_retention_days >= 1 && floor(var.access_log_retention_days) == var.access_log_retention_days
    error_message = "access_log_retention_days must be a whole number of days, at least 1."
  }
}

variable "abort_incomplete_multipart_upload_days" {
  description = "Days after which the parts of an unfinished multipart upload are deleted (every bucket)."
  type        = number
  default     = 7

  validation {
    condition     = var.abort_incomplete_multipart_upload_days >= 1 && floor(var.abort_incomplete_multipart_upload_days) == var.abort_incomplete_multipart_upload_days
    error_message = "abort_incomplete_multipart_upload_days must be a whole number of days, at least 1."
  }
}
