# Events: an upload in the inbox starts one execution of the state machine (docs/aws.md, "One
# execution per upload"; src/orchestration/s3-trigger.ts).
#
#   S3 incoming bucket ──(EventBridge notifications, default bus)──▶ rule: Object Created,
#   inbox prefix, 0 < size <= max_bytes ──▶ target: states:StartExecution with the input
#   transformer of asl/s3-input-transformer.json ──(delivery failed after retries)──▶ DLQ (SQS)

locals {
  # The pattern of s3EventPattern() in src/orchestration/s3-trigger.ts: Object Created in this
  # bucket, under the inbox prefix, not empty (folder markers) and not over the size limit (larger
  # objects never start an execution).
  event_pattern = {
    source        = ["aws.s3"]
    "detail-type" = ["Object Created"]
    detail = {
      bucket = {
        name = [var.incoming_bucket.name]
      }
      object = {
        key  = [{ prefix = var.inbox_prefix }]
        size = [{ numeric = [">", 0, "<=", var.max_bytes] }]
      }
    }
  }

  # S3_INPUT_TRANSFORMER, rendered by `npm run asl`: {"batchId": "s3-<event id>", "documents":
  # [{"bucket", "key", "size"}]}. Read, not restated, so the code and the rule cannot drift.
  input_transformer = jsondecode(file(var.input_transformer_path))
}

resource "aws_cloudwatch_event_rule" "object_created" {
  name        = "${var.name_prefix}-incoming-object-created"
  description = "An upload to s3://${var.incoming_bucket.name}/${var.inbox_prefix} (1 to ${var.max_bytes} bytes) starts one docroute execution."

  # S3 sends its EventBridge notifications to the default bus.
  event_bus_name = "default"
  event_pattern  = jsonencode(local.event_pattern)

  tags = var.tags
}

# ------------------------------------------------------------------------------------------------
# The target's dead-letter queue: events EventBridge could not deliver (StartExecution refused or
# throttled until the retry policy gave up). Each message is an upload that never started an
# execution: docs/runbooks/dlq-depth.md redrives them.

resource "aws_sqs_queue" "target_dlq" {
  name = "${var.name_prefix}-events-dlq"

  # Operational data about documents (bucket, key = file name, size): the confidential key.
  kms_master_key_id                 = var.key_arns["confidential"]
  kms_data_key_reuse_period_seconds = 300

  # As long as SQS allows: the time on-call has to notice and redrive before the messages are lost.
  message_retention_seconds = var.dlq_message_retention_seconds

  tags = merge(var.tags, {
    DataClassification = "confidential"
  })
}

data "aws_iam_policy_document" "target_dlq" {
  # Only this rule may put dead letters here.
  statement {
    sid       = "AllowRuleDeadLetters"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.target_dlq.arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.object_created.arn]
    }
  }

  # "sqs:*" in a Deny: no request over plain HTTP, whatever it is. Not a grant.
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [aws_sqs_queue.target_dlq.arn]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sqs_queue_policy" "target_dlq" {
  queue_url = aws_sqs_queue.target_dlq.id
  policy    = data.aws_iam_policy_document.target_dlq.json
}

# ------------------------------------------------------------------------------------------------
# The role EventBridge assumes to start executions: StartExecution on this state machine only.
# Named <name_prefix>-* like every role of the deployment (the keys module's key policies match it).

data "aws_iam_policy_document" "target_assume" {
  statement {
    sid     = "EventBridgeAssumesForThisRule"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    # No aws:SourceArn/aws:SourceAccount condition here on purpose: EventBridge documents those
    # keys for resource policies (the DLQ policy above uses aws:SourceArn), and a trust condition
    # EventBridge does not populate would silently send every upload to the DLQ. The role cannot be
    # used from another account (a role is never passed across accounts), and only a principal with
    # iam:PassRole on it can attach it to a target; its only permission is StartExecution below.
  }
}

resource "aws_iam_role" "target" {
  name               = "${var.name_prefix}-events-start-execution"
  description        = "EventBridge rule ${aws_cloudwatch_event_rule.object_created.name}: starts one execution of the docroute state machine per upload."
  assume_role_policy = data.aws_iam_policy_document.target_assume.json

  tags = var.tags
}

data "aws_iam_policy_document" "target" {
  statement {
    sid       = "StartExecutionOfThePipeline"
    effect    = "Allow"
    actions   = ["states:StartExecution"]
    resources = [var.state_machine_arn]
  }
}

resource "aws_iam_role_policy" "target" {
  name   = "${var.name_prefix}-events-start-execution"
  role   = aws_iam_role.target.id
  policy = data.aws_iam_policy_document.target.json
}

# ------------------------------------------------------------------------------------------------
# The target.

resource "aws_cloudwatch_event_target" "state_machine" {
  rule           = aws_cloudwatch_event_rule.object_created.name
  event_bus_name = aws_cloudwatch_event_rule.object_created.event_bus_name
  target_id      = "start-docroute-execution"
  arn            = var.state_machine_arn
  role_arn       = aws_iam_role.target.arn

  input_transformer {
    input_paths    = local.input_transformer.InputPathsMap
    input_template = local.input_transformer.InputTemplate
  }

  # EventBridge retries throttled or failed StartExecution calls with backoff; what is still not
  # delivered when either limit is reached goes to the DLQ instead of being dropped.
  retry_policy {
    maximum_event_age_in_seconds = var.retry_maximum_event_age_seconds
    maximum_retry_attempts       = var.retry_maximum_attempts
  }

  dead_letter_config {
    arn = aws_sqs_queue.target_dlq.arn
  }

  # The role must be able to start executions, and the queue to accept dead letters, before the
  # first event is delivered.
  depends_on = [
    aws_iam_role_policy.target,
    aws_sqs_queue_policy.target_dlq,
  ]
}
