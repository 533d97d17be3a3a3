variable "name_prefix" {
  description = "Prefix of every name, e.g. docroute-dev: alarm names, the schedule, the dashboard (named name_prefix itself) and the scheduler role (<name_prefix>-monitor-schedule)."
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

variable "state_machine_arn" {
  description = "The docroute state machine (module pipeline, output state_machine_arn): the executions-failed alarm and the dashboard."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:states:[a-z0-9-]+:[0-9]{12}:stateMachine:[A-Za-z0-9_-]+$", var.state_machine_arn))
    error_message = "state_machine_arn must be a Step Functions state machine ARN."
  }
}

variable "function_names" {
  description = "Deployed Lambda function name per docroute function (module pipeline, output function_names), e.g. { ingest = \"docroute-dev-ingest\", ... }: one throttles alarm per entry."
  type        = map(string)

  validation {
    condition     = contains(keys(var.function_names), "aggregate")
    error_message = "function_names must contain the aggregate function: the Monitor schedule invokes it."
  }
}

variable "dlq_arns" {
  description = "Every dead-letter queue to alarm on, by a short key used in alarm names: the functions' DLQs (module pipeline, output dlq_arns) merged with the upload events DLQ (module events, output dlq_arn), e.g. merge(module.pipeline.dlq_arns, { events = module.events.dlq_arn }). Queue names are read from the ARNs."
  type        = map(string)

  validation {
    condition     = alltrue([for arn in values(var.dlq_arns) : can(regex("^arn:aws[a-z-]*:sqs:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+(\\.fifo)?$", arn))])
    error_message = "Every dlq_arns value must be an SQS queue ARN."
  }

  validation {
    condition     = alltrue([for key in keys(var.dlq_arns) : can(regex("^[a-z0-9-]+$", key))])
    error_message = "dlq_arns keys become part of alarm names: lowercase letters, digits and hyphens only."
  }
}

variable "topic_arn" {
  description = "SNS topic for alarm and OK notifications (module notifications, output topic_arn)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+$", var.topic_arn))
    error_message = "topic_arn must be an SNS topic ARN."
  }
}

variable "aggregate_function_arn" {
  description = "ARN of the aggregate function (module pipeline, function_arns[\"aggregate\"]), which the schedule invokes with {\"task\":\"Monitor\",\"state\":{}} every 15 minutes. Null: built from function_names[\"aggregate\"] in this account and region."
  type        = string
  default     = null

  validation {
    condition     = var.aggregate_function_arn == null || can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]+$", var.aggregate_function_arn))
    error_message = "aggregate_function_arn must be an unqualified Lambda function ARN (or null)."
  }
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of docroute's own metrics: POWERTOOLS_METRICS_NAMESPACE of the functions."
  type        = string
  default     = "docroute"

  validation {
    condition     = length(var.metrics_namespace) > 0 && length(var.metrics_namespace) <= 255 && !startswith(var.metrics_namespace, "AWS/")
    error_message = "metrics_namespace must be 1-255 characters and must not start with AWS/ (reserved)."
  }
}

variable "metrics_service" {
  description = "Value of the `service` dimension on docroute's metrics: POWERTOOLS_SERVICE_NAME of the functions."
  type        = string
  default     = "docroute"
}

variable "held_hours_threshold" {
  description = "Alarm when the oldest document in the hold (review) queue has waited longer than this many hours."
  type        = number
  default     = 24

  validation {
    condition     = var.held_hours_threshold > 0
    error_message = "held_hours_threshold must be greater than 0."
  }
}

variable "throttled_minutes_threshold" {
  description = "Alarm when ExtractStart fails with ThrottledError in every one of this many consecutive one-minute periods (the Textract start budget is exhausted)."
  type        = number
  default     = 5

  validation {
    condition     = var.throttled_minutes_threshold >= 1 && var.throttled_minutes_threshold <= 60 && floor(var.throttled_minutes_threshold) == var.throttled_minutes_threshold
    error_message = "throttled_minutes_threshold must be a whole number of minutes between 1 and 60."
  }
}

variable "lambda_throttle_minutes_threshold" {
  description = "Alarm when a function is throttled in every one of this many consecutive one-minute periods."
  type        = number
  default     = 5

  validation {
    condition     = var.lambda_throttle_minutes_threshold >= 1 && var.lambda_throttle_minutes_threshold <= 60 && floor(var.lambda_throttle_minutes_threshold) == var.lambda_throttle_minutes_threshold
    error_message = "lambda_throttle_minutes_threshold must be a whole number of minutes between 1 and 60."
  }
}
