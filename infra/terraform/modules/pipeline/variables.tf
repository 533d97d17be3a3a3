variable "name_prefix" {
  description = "Prefix of every name, e.g. docroute-dev. Roles are named <name_prefix>-*, which the keys module's key policies grant use to."
  type        = string
}

variable "tags" {
  description = "Tags for every taggable resource."
  type        = map(string)
  default     = {}
}

variable "lambda_zip_dir" {
  description = "Folder with the zips of `npm run build:lambda` (<function>.zip each, handler index.handler)."
  type        = string
}

variable "asl_template_path" {
  description = "asl/docroute.asl.json: the AWS rendering of the definition with $${<function>_function_arn} placeholders."
  type        = string
}

variable "functions" {
  description = "The Lambda functions: FUNCTION_NAMES in src/orchestration/definition.ts."
  type        = list(string)
  default     = ["ingest", "extract", "classify", "extract-fields", "validate", "route", "record", "aggregate", "notify"]

  validation {
    # Each function has its entry in local.function_statements (iam.tf): a new function needs one.
    condition     = length(var.functions) == 9 && toset(var.functions) == toset(["ingest", "extract", "classify", "extract-fields", "validate", "route", "record", "aggregate", "notify"])
    error_message = "functions must be FUNCTION_NAMES of src/orchestration/definition.ts; a new function needs its entry in local.function_statements (iam.tf)."
  }
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions per function (also its concurrency cap); a function not in the map gets -1 (unreserved). null means the default."
  type        = map(number)
  nullable    = false
  default     = {}
}

variable "memory_mb" {
  description = "Memory per function (MB); a function not in the map gets 512. null means the default."
  type        = map(number)
  nullable    = false
  default = {
    ingest    = 1024
    extract   = 1024
    classify  = 512
    aggregate = 512
  }
}

variable "timeout_seconds" {
  description = "Lambda timeout per function (seconds); a function not in the map gets 60; null means the default. Keep each at most its Task's TimeoutSeconds in the ASL, so a slow function fails as itself."
  type        = map(number)
  nullable    = false
  default = {
    ingest           = 300
    extract          = 300
    classify         = 300
    "extract-fields" = 120
    validate         = 120
    route            = 120
    record           = 60
    aggregate        = 300
    notify           = 60
  }
}

variable "private_subnet_ids" {
  description = "Private subnets (module network) the functions run in."
  type        = list(string)
}

variable "lambda_security_group_id" {
  description = "Security group of the functions (module network)."
  type        = string
}

variable "key_arns" {
  description = "KMS key ARN per data classification (module keys): restricted, confidential, internal, public."
  type        = map(string)
}

variable "store_table" {
  description = "The DynamoDB store table (module audit)."
  type = object({
    name = string
    arn  = string
  })
}

variable "rate_table" {
  description = "The token-bucket table of the shared Textract start budget (module audit)."
  type = object({
    name = string
    arn  = string
  })
}

variable "incoming_bucket" {
  description = "The upload bucket (module storage)."
  type = object({
    name = string
    arn  = string
  })
}

variable "documents_bucket" {
  description = "Originals, route entries and decision records (module storage)."
  type = object({
    name = string
    arn  = string
  })
}

variable "artifacts_bucket" {
  description = "Lambda zips and docroute.config.yaml (module storage)."
  type = object({
    name = string
    arn  = string
  })
}

variable "topic_arn" {
  description = "SNS topic of the batch summaries (module notifications)."
  type        = string
}

variable "event_bus_name" {
  description = "EventBridge bus of the Document Routed events."
  type        = string
  default     = "default"
}

variable "config_key" {
  description = "S3 key of docroute.config.yaml in the artifacts bucket."
  type        = string
  default     = "config/docroute.config.yaml"
}

variable "config_source_path" {
  description = "Local docroute.config.yaml to upload to config_key; null when the object is managed elsewhere."
  type        = string
  default     = null
}

variable "bedrock_model_arns" {
  description = "Models (or inference profiles) the classify function may invoke; empty with the rules classifier."
  type        = list(string)
  nullable    = false
  default     = []
}

variable "textract_tps" {
  description = "DOCROUTE_TEXTRACT_TPS: the shared Textract start budget, about 80 % of the account's StartDocumentAnalysis quota."
  type        = number
  default     = 5
}

variable "textract_burst" {
  description = "DOCROUTE_TEXTRACT_BURST: at most the StartDocumentAnalysis quota."
  type        = number
  default     = 5
}

variable "log_retention_days" {
  description = "Retention of the functions' and the state machine's log groups."
  type        = number

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention period CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653)."
  }
}

variable "inbox_prefix" {
  description = "DOCROUTE_INBOX_PREFIXES: the upload prefix Admit accepts (the events module's inbox_prefix)."
  type        = string
  default     = "inbox/"
}

variable "originals_prefix" {
  description = "DOCROUTE_ORIGINALS_PREFIX: originals live at <prefix>originals/<sha256>."
  type        = string
  default     = ""
}

variable "routes_prefix" {
  description = "DOCROUTE_ROUTES_PREFIX: route entries and decision records."
  type        = string
  default     = "routes/"
}

variable "metrics_namespace" {
  description = "POWERTOOLS_METRICS_NAMESPACE; the observability module's metrics_namespace must be the same."
  type        = string
  default     = "docroute"
}

variable "architecture" {
  description = "Lambda architecture. The bundles are plain JavaScript (the build refuses native modules), so arm64 works too."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture is x86_64 or arm64."
  }
}
