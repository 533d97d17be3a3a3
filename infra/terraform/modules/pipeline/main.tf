# The document pipeline: one Lambda function per step family (FUNCTION_NAMES), each with its own
# role, CMK-encrypted log group and dead-letter queue, and the Step Functions state machine that
# runs asl/docroute.asl.json with the functions' ARNs filled in.

data "aws_partition" "current" {}

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

locals {
  function_names = { for fn in var.functions : fn => "${var.name_prefix}-${fn}" }
  zip_paths      = { for fn in var.functions : fn => "${var.lambda_zip_dir}/${fn}.zip" }

  event_bus_arn     = "arn:${data.aws_partition.current.partition}:events:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:event-bus/${var.event_bus_name}"
  inbox_objects     = "${var.incoming_bucket.arn}/${var.inbox_prefix}*"
  originals_objects = "${var.documents_bucket.arn}/${var.originals_prefix}originals/*"
  routes_objects    = "${var.documents_bucket.arn}/${var.routes_prefix}*"
  config_object     = "${var.artifacts_bucket.arn}/${var.config_key}"

  # The environment contract of docs/aws.md (read by src/entrypoints/lambda/aws-runtime.ts).
  # Originals and results are both customer data: the restricted key encrypts them.
  environment = merge(
    {
      DOCROUTE_TABLE               = var.store_table.name
      DOCROUTE_RATE_TABLE          = var.rate_table.name
      DOCROUTE_DOCUMENTS_BUCKET    = var.documents_bucket.name
      DOCROUTE_ROUTES_PREFIX       = var.routes_prefix
      DOCROUTE_INBOX_PREFIXES      = var.inbox_prefix
      DOCROUTE_CONFIG_URI          = "s3://${var.artifacts_bucket.name}/${var.config_key}"
      DOCROUTE_KMS_DOCUMENTS_KEY   = var.key_arns["restricted"]
      DOCROUTE_KMS_RESULTS_KEY     = var.key_arns["restricted"]
      DOCROUTE_EVENT_BUS           = var.event_bus_name
      DOCROUTE_TOPIC_ARN           = var.topic_arn
      DOCROUTE_TEXTRACT_TPS        = tostring(var.textract_tps)
      DOCROUTE_TEXTRACT_BURST      = tostring(var.textract_burst)
      POWERTOOLS_SERVICE_NAME      = "docroute"
      POWERTOOLS_METRICS_NAMESPACE = var.metrics_namespace
      NODE_OPTIONS                 = "--enable-source-maps"
    },
    # '' is the code's default; Lambda is not given an empty variable.
    var.originals_prefix == "" ? {} : { DOCROUTE_ORIGINALS_PREFIX = var.originals_prefix },
  )
}

# ---------------------------------------------------------------------------------------------
# Deployment packages and configuration, in the artifacts bucket (internal key).

resource "aws_s3_object" "zip" {
  for_each = toset(var.functions)

  bucket                 = var.artifacts_bucket.name
  key                    = "lambda/${each.key}.zip"
  source                 = local.zip_paths[each.key]
  source_hash            = filemd5(local.zip_paths[each.key])
  server_side_encryption = "aws:kms"
  kms_key_id             = var.key_arns["internal"]
  bucket_key_enabled     = true
  tags                   = var.tags
}

resource "aws_s3_object" "config" {
  count = var.config_source_path == null ? 0 : 1

  bucket                 = var.artifacts_bucket.name
  key                    = var.config_key
  source                 = var.config_source_path
  source_hash            = filemd5(var.config_source_path)
  content_type           = "application/yaml"
  server_side_encryption = "aws:kms"
  kms_key_id             = var.key_arns["internal"]
  bucket_key_enabled     = true
  tags                   = var.tags
}

# ---------------------------------------------------------------------------------------------
# Per function: log group, dead-letter queue, the function.

resource "aws_cloudwatch_log_group" "fn" {
  for_each = toset(var.functions)

  name              = "/aws/lambda/${local.function_names[each.key]}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.key_arns["confidential"]
  tags              = var.tags
}

# Step Functions invokes the functions synchronously (its Retry/Catch handle failures); the DLQ
# catches failed asynchronous invocations, such as the scheduled Monitor task.
resource "aws_sqs_queue" "dlq" {
  for_each = toset(var.functions)

  name                              = "${local.function_names[each.key]}-dlq"
  message_retention_seconds         = 1209600
  kms_master_key_id                 = var.key_arns["confidential"]
  kms_data_key_reuse_period_seconds = 300
  tags                              = var.tags
}

resource "aws_lambda_function" "fn" {
  for_each = toset(var.functions)

  function_name = local.function_names[each.key]
  description   = "docroute ${each.key}"
  role          = aws_iam_role.fn[each.key].arn
  runtime       = "nodejs20.x"
  handler       = "index.handler"
  architectures = [var.architecture]

  s3_bucket         = aws_s3_object.zip[each.key].bucket
  s3_key            = aws_s3_object.zip[each.key].key
  s3_object_version = aws_s3_object.zip[each.key].version_id
  source_code_hash  = filebase64sha256(local.zip_paths[each.key])

  memory_size                    = lookup(var.memory_mb, each.key, 512)
  timeout                        = lookup(var.timeout_seconds, each.key, 60)
  reserved_concurrent_executions = lookup(var.reserved_concurrency, each.key, -1)

  kms_key_arn = var.key_arns["internal"]

  environment {
    variables = local.environment
  }

  vpc_config {
    subnet_ids         = var.private_subnet_ids
    security_group_ids = [var.lambda_security_group_id]
  }

  tracing_config {
    mode = "Active"
  }

  dead_letter_config {
    target_arn = aws_sqs_queue.dlq[each.key].arn
  }

  tags = var.tags

  # The log group exists (encrypted, with retention) before the first invocation could create
  # it; the role may create network interfaces and write to the DLQ before Lambda checks it.
  depends_on = [
    aws_cloudwatch_log_group.fn,
    aws_iam_role_policy.fn,
  ]
}

# ---------------------------------------------------------------------------------------------
# The state machine.

resource "aws_cloudwatch_log_group" "state_machine" {
  # /aws/vendedlogs/ keeps the CloudWatch Logs resource policy Step Functions writes small.
  name              = "/aws/vendedlogs/states/${var.name_prefix}-pipeline"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.key_arns["confidential"]
  tags              = var.tags
}

data "aws_iam_policy_document" "states_assume" {
  statement {
    sid     = "StatesAssumeRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "state_machine" {
  name               = "${var.name_prefix}-state-machine"
  description        = "Role of the docroute state machine: invokes the pipeline's functions"
  assume_role_policy = data.aws_iam_policy_document.states_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "state_machine" {
  statement {
    sid       = "InvokeFunctions"
    effect    = "Allow"
    actions   = ["lambda:InvokeFunction"]
    resources = [for fn in var.functions : aws_lambda_function.fn[fn].arn]
  }

  # Step Functions delivers its logs through CloudWatch Logs' vended-log delivery; these actions
  # have no resource-level permissions.
  statement {
    sid    = "LogDelivery"
    effect = "Allow"
    actions = [
      "logs:CreateLogDelivery",
      "logs:GetLogDelivery",
      "logs:UpdateLogDelivery",
      "logs:DeleteLogDelivery",
      "logs:ListLogDeliveries",
      "logs:PutResourcePolicy",
      "logs:DescribeResourcePolicies",
      "logs:DescribeLogGroups",
    ]
    resources = ["*"]
  }

  statement {
    sid    = "Tracing"
    effect = "Allow"
    actions = [
      "xray:PutTraceSegments",
      "xray:PutTelemetryRecords",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "state_machine" {
  name   = "${var.name_prefix}-state-machine-permissions"
  role   = aws_iam_role.state_machine.id
  policy = data.aws_iam_policy_document.state_machine.json
}

resource "aws_sfn_state_machine" "this" {
  name     = "${var.name_prefix}-pipeline"
  role_arn = aws_iam_role.state_machine.arn
  type     = "STANDARD"

  # Every placeholder of the template (terraformResource in src/orchestration/definition.ts:
  # the function name with - replaced by _).
  definition = templatefile(var.asl_template_path, {
    ingest_function_arn         = aws_lambda_function.fn["ingest"].arn
    extract_function_arn        = aws_lambda_function.fn["extract"].arn
    classify_function_arn       = aws_lambda_function.fn["classify"].arn
    extract_fields_function_arn = aws_lambda_function.fn["extract-fields"].arn
    validate_function_arn       = aws_lambda_function.fn["validate"].arn
    route_function_arn          = aws_lambda_function.fn["route"].arn
    record_function_arn         = aws_lambda_function.fn["record"].arn
    aggregate_function_arn      = aws_lambda_function.fn["aggregate"].arn
    notify_function_arn         = aws_lambda_function.fn["notify"].arn
  })

  # Execution data (state input and output) stays out of the logs: only ids and events.
  logging_configuration {
    level                  = "ALL"
    include_execution_data = false
    log_destination        = "${aws_cloudwatch_log_group.state_machine.arn}:*"
  }

  tracing_configuration {
    enabled = true
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.state_machine]
}
