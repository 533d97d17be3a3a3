# Observability: the alarms of CONTRACT.md (each with a runbook in docs/runbooks/), the schedule
# that runs the Monitor task every 15 minutes, and one dashboard.
#
# Where the numbers come from:
# - AWS/States, AWS/Lambda, AWS/SQS: published by the services.
# - <metrics_namespace> (default "docroute"): EMF lines of src/entrypoints/lambda/handler-kit.ts,
#   with Powertools' default dimension service = POWERTOOLS_SERVICE_NAME ("docroute"):
#     TaskSucceeded, TaskFailed (Count) and TaskDuration (Milliseconds) by {service, task};
#     TaskFailed again by {service, task, errorName};
#     OldestHeldAgeSeconds (Seconds) by {service}, from the Monitor task (0 when nothing is held).

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name

  # The function the Monitor schedule invokes: given, or the aggregate function of function_names.
  aggregate_function_arn = coalesce(
    var.aggregate_function_arn,
    "arn:${data.aws_partition.current.partition}:lambda:${local.region}:${local.account_id}:function:${var.function_names["aggregate"]}",
  )

  # arn:<partition>:states:<region>:<account>:stateMachine:<name>
  state_machine_name = element(split(":", var.state_machine_arn), 6)

  # arn:<partition>:sqs:<region>:<account>:<name>: the AWS/SQS metrics are keyed by queue name.
  dlq_names = { for key, arn in var.dlq_arns : key => element(split(":", arn), 5) }

  alarm_actions = [var.topic_arn]

  held_threshold_seconds = var.held_hours_threshold * 3600

  # The Monitor task's schedule (CONTRACT.md: every 15 minutes).
  monitor_period_seconds = 900
}

# ------------------------------------------------------------------------------------------------
# Alarms. Every alarm notifies the SNS topic when it goes to ALARM and again when it returns to OK
# (so the on-call engineer sees the recovery), and its description ends with its runbook.

# Any failed execution. Per-document failures do not fail an execution (they are caught and
# recorded as `failed`); an execution fails when recording itself fails, when Aggregate cannot
# reconcile the batch (ReconciliationError) or on a Lambda/Step Functions fault. Its documents may
# have no recorded outcome, so one failure is worth a page.
resource "aws_cloudwatch_metric_alarm" "executions_failed" {
  alarm_name        = "${var.name_prefix}-executions-failed"
  alarm_description = "${var.name_prefix}: at least one execution of the state machine ${local.state_machine_name} failed in the last 5 minutes (AWS/States ExecutionsFailed > 0). The documents of a failed execution may have no recorded outcome. Runbook: docs/runbooks/executions-failed.md"

  namespace   = "AWS/States"
  metric_name = "ExecutionsFailed"
  dimensions = {
    StateMachineArn = var.state_machine_arn
  }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  datapoints_to_alarm = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0

  # Step Functions publishes ExecutionsFailed only for periods in which executions ended; no data
  # means nothing failed (no uploads is a normal state, not an incident).
  treat_missing_data = "notBreaching"

  alarm_actions = local.alarm_actions
  ok_actions    = local.alarm_actions

  tags = var.tags
}

# Throttles per function, sustained. Step Functions retries Lambda.TooManyRequestsException with
# backoff, so a short burst against reserved concurrency is absorbed; throttling in every minute
# for lambda_throttle_minutes_threshold minutes means documents are about to fail or pile up.
resource "aws_cloudwatch_metric_alarm" "lambda_throttles" {
  for_each = var.function_names

  alarm_name        = "${var.name_prefix}-lambda-throttles-${each.key}"
  alarm_description = "${var.name_prefix}: the Lambda function ${each.value} (${each.key}) was throttled in each of the last ${var.lambda_throttle_minutes_threshold} minutes (AWS/Lambda Throttles > 0): its reserved concurrency or the account's concurrency is exhausted, and retries are running out. Runbook: docs/runbooks/lambda-throttles.md"

  namespace   = "AWS/Lambda"
  metric_name = "Throttles"
  dimensions = {
    FunctionName = each.value
  }
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = var.lambda_throttle_minutes_threshold
  datapoints_to_alarm = var.lambda_throttle_minutes_threshold
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0

  # Lambda publishes Throttles only while the function is being invoked; a minute without data is
  # a minute without throttling, which must break the "every minute" streak.
  treat_missing_data = "notBreaching"

  alarm_actions = local.alarm_actions
  ok_actions    = local.alarm_actions

  tags = var.tags
}

# Any message in any DLQ. The events DLQ holds uploads that never started an execution; a
# function's DLQ holds failed asynchronous invocations (in practice the scheduled Monitor of the
# aggregate function: Step Functions invokes synchronously, so the other DLQs should stay empty).
resource "aws_cloudwatch_metric_alarm" "dlq_depth" {
  for_each = local.dlq_names

  alarm_name        = "${var.name_prefix}-dlq-depth-${each.key}"
  alarm_description = "${var.name_prefix}: the dead-letter queue ${each.value} (${each.key}) holds messages (AWS/SQS ApproximateNumberOfMessagesVisible > 0). Each is an upload that never started an execution (events DLQ) or a failed asynchronous invocation (function DLQs); they are lost when the queue's retention ends. Runbook: docs/runbooks/dlq-depth.md"

  namespace   = "AWS/SQS"
  metric_name = "ApproximateNumberOfMessagesVisible"
  dimensions = {
    QueueName = each.value
  }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  datapoints_to_alarm = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0

  # SQS stops publishing metrics for a queue that has been empty and untouched for six hours, and
  # a queue that holds messages always counts as active (so its metrics keep coming). No data
  # therefore means an empty queue.
  treat_missing_data = "notBreaching"

  alarm_actions = local.alarm_actions
  ok_actions    = local.alarm_actions

  tags = var.tags
}

# The review queue's age. Monitor publishes OldestHeldAgeSeconds every 15 minutes (0 when nothing is
# held). Two consecutive 15-minute periods over the threshold: one late or early run cannot fire it.
resource "aws_cloudwatch_metric_alarm" "documents_held_too_long" {
  alarm_name        = "${var.name_prefix}-documents-held-too-long"
  alarm_description = "${var.name_prefix}: the oldest document in the hold (review) queue has waited more than ${var.held_hours_threshold} hours (${var.metrics_namespace} OldestHeldAgeSeconds, service=${var.metrics_service}), or the Monitor task has stopped reporting for 30 minutes. Runbook: docs/runbooks/documents-held-too-long.md"

  namespace   = var.metrics_namespace
  metric_name = "OldestHeldAgeSeconds"
  dimensions = {
    service = var.metrics_service
  }
  statistic           = "Maximum"
  period              = local.monitor_period_seconds
  evaluation_periods  = 2
  datapoints_to_alarm = 2
  comparison_operator = "GreaterThanThreshold"
  threshold           = local.held_threshold_seconds

  # Breaching: Monitor reports every 15 minutes, also when nothing is held (age 0). Missing data
  # means the schedule or the function is broken, and then nobody would learn that documents wait
  # for review: that silence must page as loudly as an old document. (A single missed run does
  # not: both periods must be missing or over the threshold.)
  treat_missing_data = "breaching"

  alarm_actions = local.alarm_actions
  ok_actions    = local.alarm_actions

  tags = var.tags
}

# The shared Textract start budget. ExtractStart fails with ThrottledError when the token bucket
# cannot grant a token within its wait limit or Textract itself throttles; each failed attempt is
# one TaskFailed{task=ExtractStart, errorName=ThrottledError}. Retries absorb a short shortage; the
# same failure in every minute for throttled_minutes_threshold minutes means documents are about
# to exhaust their retries and be recorded as failed.
resource "aws_cloudwatch_metric_alarm" "textract_budget_exhausted" {
  alarm_name        = "${var.name_prefix}-textract-start-budget-exhausted"
  alarm_description = "${var.name_prefix}: ExtractStart failed with ThrottledError in each of the last ${var.throttled_minutes_threshold} minutes (${var.metrics_namespace} TaskFailed, task=ExtractStart, errorName=ThrottledError): the Textract start budget (DOCROUTE_TEXTRACT_TPS) or Textract's own quota is exhausted, and documents are failing after their retries. Runbook: docs/runbooks/textract-budget-exhausted.md"

  namespace   = var.metrics_namespace
  metric_name = "TaskFailed"
  dimensions = {
    service   = var.metrics_service
    task      = "ExtractStart"
    errorName = "ThrottledError"
  }
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = var.throttled_minutes_threshold
  datapoints_to_alarm = var.throttled_minutes_threshold
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0

  # The metric exists only for minutes with a throttled attempt: no data is a minute without
  # throttling, which breaks the "every minute" streak.
  treat_missing_data = "notBreaching"

  alarm_actions = local.alarm_actions
  ok_actions    = local.alarm_actions

  tags = var.tags
}

# ------------------------------------------------------------------------------------------------
# The Monitor schedule: every 15 minutes, EventBridge Scheduler invokes the aggregate function with
# {"task":"Monitor","state":{}}. Scheduler invokes Lambda asynchronously: an invocation that
# fails after Lambda's own retries lands in the aggregate function's DLQ (alarmed above), and a
# schedule that stops entirely leaves OldestHeldAgeSeconds missing (alarmed as breaching above).

resource "aws_scheduler_schedule_group" "monitoring" {
  name = "${var.name_prefix}-monitoring"

  tags = var.tags
}

data "aws_iam_policy_document" "scheduler_assume" {
  statement {
    sid     = "SchedulerAssumesForThisGroup"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }

    # Confused-deputy guard as EventBridge Scheduler documents it: this account, this schedule group.
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_scheduler_schedule_group.monitoring.arn]
    }
  }
}

resource "aws_iam_role" "scheduler" {
  name               = "${var.name_prefix}-monitor-schedule"
  description        = "EventBridge Scheduler: invokes the aggregate function with the Monitor task every 15 minutes."
  assume_role_policy = data.aws_iam_policy_document.scheduler_assume.json

  tags = var.tags
}

data "aws_iam_policy_document" "scheduler" {
  statement {
    sid       = "InvokeTheAggregateFunction"
    effect    = "Allow"
    actions   = ["lambda:InvokeFunction"]
    resources = [local.aggregate_function_arn]
  }
}

resource "aws_iam_role_policy" "scheduler" {
  name   = "${var.name_prefix}-monitor-schedule"
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.scheduler.json
}

resource "aws_scheduler_schedule" "monitor" {
  name        = "${var.name_prefix}-monitor"
  group_name  = aws_scheduler_schedule_group.monitoring.name
  description = "Every 15 minutes: the Monitor task (age of the oldest held document, metric OldestHeldAgeSeconds)."

  schedule_expression = "rate(15 minutes)"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = local.aggregate_function_arn
    role_arn = aws_iam_role.scheduler.arn
    input    = jsonencode({ task = "Monitor", state = {} })

    # A run that cannot be delivered within one period is superseded by the next one.
    retry_policy {
      maximum_event_age_in_seconds = local.monitor_period_seconds
      maximum_retry_attempts       = 3
    }
  }

  depends_on = [aws_iam_role_policy.scheduler]
}

# ------------------------------------------------------------------------------------------------
# The dashboard.

locals {
  ns = var.metrics_namespace

  # SEARCH keeps the per-task graphs complete without listing tasks here: {namespace,service,task}
  # selects the metrics with exactly those dimensions (not the ones that also carry errorName).
  search_by_task = "{\"${local.ns}\",service,task} service=\"${var.metrics_service}\""
  search_by_name = "{\"${local.ns}\",service,task,errorName} service=\"${var.metrics_service}\""

  dashboard_widgets = [
    {
      type   = "alarm"
      x      = 0
      y      = 0
      width  = 18
      height = 4
      properties = {
        title = "Alarms"
        alarms = concat(
          [aws_cloudwatch_metric_alarm.executions_failed.arn],
          [aws_cloudwatch_metric_alarm.documents_held_too_long.arn],
          [aws_cloudwatch_metric_alarm.textract_budget_exhausted.arn],
          [for a in aws_cloudwatch_metric_alarm.dlq_depth : a.arn],
          [for a in aws_cloudwatch_metric_alarm.lambda_throttles : a.arn],
        )
      }
    },
    {
      type   = "text"
      x      = 18
      y      = 0
      width  = 6
      height = 4
      properties = {
        markdown = "**${var.name_prefix}**\n\nEvery alarm names its runbook; the index is `docs/runbooks/README.md` in the docroute repository. Where is a document? `docs/runbooks/document-whereabouts.md`."
      }
    },
    {
      type   = "metric"
      x      = 0
      y      = 4
      width  = 12
      height = 6
      properties = {
        title  = "Executions (${local.state_machine_name})"
        region = local.region
        view   = "timeSeries"
        stat   = "Sum"
        period = 300
        metrics = [
          ["AWS/States", "ExecutionsStarted", "StateMachineArn", var.state_machine_arn, { label = "started" }],
          ["AWS/States", "ExecutionsSucceeded", "StateMachineArn", var.state_machine_arn, { label = "succeeded" }],
          ["AWS/States", "ExecutionsFailed", "StateMachineArn", var.state_machine_arn, { label = "failed" }],
          ["AWS/States", "ExecutionsTimedOut", "StateMachineArn", var.state_machine_arn, { label = "timed out" }],
          ["AWS/States", "ExecutionsAborted", "StateMachineArn", var.state_machine_arn, { label = "aborted" }],
          ["AWS/States", "ExecutionThrottled", "StateMachineArn", var.state_machine_arn, { label = "throttled" }],
        ]
        yAxis = { left = { min = 0 } }
      }
    },
    {
      type   = "metric"
      x      = 12
      y      = 4
      width  = 12
      height = 6
      properties = {
        title  = "Execution time (ms)"
        region = local.region
        view   = "timeSeries"
        period = 300
        metrics = [
          ["AWS/States", "ExecutionTime", "StateMachineArn", var.state_machine_arn, { stat = "p50", label = "p50" }],
          ["AWS/States", "ExecutionTime", "StateMachineArn", var.state_machine_arn, { stat = "p95", label = "p95" }],
          ["AWS/States", "ExecutionTime", "StateMachineArn", var.state_machine_arn, { stat = "Maximum", label = "max" }],
        ]
        yAxis = { left = { min = 0 } }
      }
    },
    {
      type   = "metric"
      x      = 0
      y      = 10
      width  = 12
      height = 6
      properties = {
        title  = "Task outcomes by task: succeeded"
        region = local.region
        view   = "timeSeries"
        period = 300
        metrics = [
          [{ id = "succeeded", expression = "SEARCH('${local.search_by_task} MetricName=\"TaskSucceeded\"', 'Sum', 300)", label = "" }],
        ]
        yAxis = { left = { min = 0 } }
      }
    },
    {
      type   = "metric"
      x      = 12
      y      = 10
      width  = 12
      height = 6
      properties = {
        title  = "Task outcomes by task and error: failed"
        region = local.region
        view   = "timeSeries"
        period = 300
        metrics = [
          [{ id = "failed", expression = "SEARCH('${local.search_by_name} MetricName=\"TaskFailed\"', 'Sum', 300)", label = "" }],
        ]
        yAxis = { left = { min = 0 } }
      }
    },
    {
      type   = "metric"
      x      = 0
      y      = 16
      width  = 12
      height = 6
      properties = {
        title  = "Task duration p95 by task (ms)"
        region = local.region
        view   = "timeSeries"
        period = 300
        metrics = [
          [{ id = "duration", expression = "SEARCH('${local.search_by_task} MetricName=\"TaskDuration\"', 'p95', 300)", label = "" }],
        ]
        yAxis = { left = { min = 0 } }
      }
    },
    {
      type   = "metric"
      x      = 12
      y      = 16
      width  = 12
      height = 6
      properties = {
        title  = "Lambda duration p95 by function (ms)"
        region = local.region
        view   = "timeSeries"
        stat   = "p95"
        period = 300
        metrics = [
          for fn, name in var.function_names : ["AWS/Lambda", "Duration", "FunctionName", name, { label = fn }]
        ]
        yAxis = { left = { min = 0 } }
      }
    },
    {
      type   = "metric"
      x      = 0
      y      = 22
      width  = 8
      height = 6
      properties = {
        title  = "Lambda throttles by function"
        region = local.region
        view   = "timeSeries"
        stat   = "Sum"
        period = 60
        metrics = [
          for fn, name in var.function_names : ["AWS/Lambda", "Throttles", "FunctionName", name, { label = fn }]
        ]
        yAxis = { left = { min = 0 } }
      }
    },
    {
      type   = "metric"
      x      = 8
      y      = 22
      width  = 8
      height = 6
      properties = {
        title  = "Throttled task attempts (ThrottledError) by task"
        region = local.region
        view   = "timeSeries"
        period = 60
        metrics = [
          [{ id = "throttled", expression = "SEARCH('${local.search_by_name} MetricName=\"TaskFailed\" errorName=\"ThrottledError\"', 'Sum', 60)", label = "" }],
        ]
        annotations = {
          horizontal = [{ label = "alarm: > 0 for ${var.throttled_minutes_threshold} min (ExtractStart)", value = 0 }]
        }
        yAxis = { left = { min = 0 } }
      }
    },
    {
      type   = "metric"
      x      = 16
      y      = 22
      width  = 8
      height = 6
      properties = {
        title  = "Lambda concurrent executions by function"
        region = local.region
        view   = "timeSeries"
        stat   = "Maximum"
        period = 60
        metrics = [
          for fn, name in var.function_names : ["AWS/Lambda", "ConcurrentExecutions", "FunctionName", name, { label = fn }]
        ]
        yAxis = { left = { min = 0 } }
      }
    },
    {
      type   = "metric"
      x      = 0
      y      = 28
      width  = 12
      height = 6
      properties = {
        title  = "DLQ depth (messages visible)"
        region = local.region
        view   = "timeSeries"
        stat   = "Maximum"
        period = 300
        metrics = [
          for key, name in local.dlq_names : ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", name, { label = key }]
        ]
        annotations = {
          horizontal = [{ label = "alarm: > 0", value = 0 }]
        }
        yAxis = { left = { min = 0 } }
      }
    },
    {
      type   = "metric"
      x      = 12
      y      = 28
      width  = 12
      height = 6
      properties = {
        title  = "Oldest held document (hours)"
        region = local.region
        view   = "timeSeries"
        period = local.monitor_period_seconds
        metrics = [
          [local.ns, "OldestHeldAgeSeconds", "service", var.metrics_service, { id = "age", stat = "Maximum", visible = false }],
          [{ id = "hours", expression = "age / 3600", label = "oldest held (hours)" }],
        ]
        annotations = {
          horizontal = [{ label = "alarm threshold", value = var.held_hours_threshold }]
        }
        yAxis = { left = { min = 0 } }
      }
    },
  ]
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = var.name_prefix
  dashboard_body = jsonencode({ widgets = local.dashboard_widgets })
}
