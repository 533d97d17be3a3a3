# One role and one policy document per function: exactly the permissions of docs/aws.md's table
# ("Functions and their permissions"), plus what every function needs to run: its configuration
# object, its own log group, X-Ray, the VPC network interfaces and its dead-letter queue. Each
# document is written out in full (no shared statements merged in at plan time), so that the
# policy-as-code tests in tests/infra can read every action and resource.

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    sid     = "LambdaAssumeRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "fn" {
  for_each = toset(var.functions)

  name               = local.function_names[each.key]
  description        = "Execution role of the docroute ${each.key} function"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "fn" {
  for_each = toset(var.functions)

  name   = "${local.function_names[each.key]}-permissions"
  role   = aws_iam_role.fn[each.key].id
  policy = local.function_policies[each.key]
}

locals {
  function_policies = {
    "ingest"         = data.aws_iam_policy_document.ingest.json
    "extract"        = data.aws_iam_policy_document.extract.json
    "classify"       = data.aws_iam_policy_document.classify.json
    "extract-fields" = data.aws_iam_policy_document.extract_fields.json
    "validate"       = data.aws_iam_policy_document.validate.json
    "route"          = data.aws_iam_policy_document.route.json
    "record"         = data.aws_iam_policy_document.record.json
    "aggregate"      = data.aws_iam_policy_document.aggregate.json
    "notify"         = data.aws_iam_policy_document.notify.json
  }
}

# ingest (Admit, Ingest)
data "aws_iam_policy_document" "ingest" {
  # Checkpoints, audit trail, ledger, decisions (every step writes the audit trail). TransactWriteItems
  # has no IAM action of its own: each item of a transaction is authorized as PutItem, UpdateItem or
  # ConditionCheckItem.
  statement {
    sid    = "StoreTable"
    effect = "Allow"
    actions = [
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "dynamodb:Query",
      "dynamodb:ConditionCheckItem",
    ]
    resources = [
      var.store_table.arn,
      "${var.store_table.arn}/index/gsi1",
    ]
  }

  # The store table is encrypted with the restricted key.
  statement {
    sid    = "StoreTableKey"
    effect = "Allow"
    actions = [
      "kms:Decrypt",
      "kms:GenerateDataKey",
    ]
    resources = [var.key_arns["restricted"]]
  }

  # DOCROUTE_CONFIG_URI: every function reads the same docroute.config.yaml.
  statement {
    sid       = "ReadConfig"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = [local.config_object]
  }

  # The configuration object and the environment variables are encrypted with the internal key.
  statement {
    sid       = "InternalKeyDecrypt"
    effect    = "Allow"
    actions   = ["kms:Decrypt"]
    resources = [var.key_arns["internal"]]
  }

  statement {
    sid    = "OwnLogGroup"
    effect = "Allow"
    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]
    resources = [
      aws_cloudwatch_log_group.fn["ingest"].arn,
      "${aws_cloudwatch_log_group.fn["ingest"].arn}:*",
    ]
  }

  # X-Ray has no resource-level permissions.
  statement {
    sid    = "Tracing"
    effect = "Allow"
    actions = [
      "xray:PutTraceSegments",
      "xray:PutTelemetryRecords",
    ]
    resources = ["*"]
  }

  # The function runs in the VPC; these EC2 actions have no resource-level permissions.
  statement {
    sid    = "VpcNetworkInterfaces"
    effect = "Allow"
    actions = [
      "ec2:CreateNetworkInterface",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DeleteNetworkInterface",
      "ec2:AssignPrivateIpAddresses",
      "ec2:UnassignPrivateIpAddresses",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "DeadLetterQueue"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dlq["ingest"].arn]
  }

  # The DLQ is encrypted with the confidential key.
  statement {
    sid    = "DeadLetterQueueKey"
    effect = "Allow"
    actions = [
      "kms:Decrypt",
      "kms:GenerateDataKey",
    ]
    resources = [var.key_arns["confidential"]]
  }

  # Admit: hash the upload while streaming it.
  statement {
    sid    = "ReadUploads"
    effect = "Allow"
    actions = [
      "s3:GetObject",
      "s3:GetObjectVersion",
    ]
    resources = [local.inbox_objects]
  }

  # Ingest: copy to the content address; a copy whose checksum does not match is deleted.
  statement {
    sid    = "WriteOriginals"
    effect = "Allow"
    actions = [
      "s3:PutObject",
      "s3:GetObject",
      "s3:DeleteObject",
    ]
    resources = [local.originals_objects]
  }

  # A missing key is a 404, not a 403.
  statement {
    sid     = "ListBuckets"
    effect  = "Allow"
    actions = ["s3:ListBucket"]
    resources = [
      var.incoming_bucket.arn,
      var.documents_bucket.arn,
    ]
  }

  # Decrypt the upload (incoming bucket), encrypt the original (documents bucket): both restricted.
  statement {
    sid    = "DocumentKeys"
    effect = "Allow"
    actions = [
      "kms:Decrypt",
      "kms:GenerateDataKey",
    ]
    resources = [var.key_arns["restricted"]]
  }
}

# extract (ExtractStart, ExtractPoll)
data "aws_iam_policy_document" "extract" {
  # Checkpoints, audit trail, ledger, decisions (every step writes the audit trail). TransactWriteItems
  # has no IAM action of its own: each item of a transaction is authorized as PutItem, UpdateItem or
  # ConditionCheckItem.
  statement {
    sid    = "StoreTable"
    effect = "Allow"
    actions = [
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "dynamodb:Query",
      "dynamodb:ConditionCheckItem",
    ]
    resources = [
      var.store_table.arn,
      "${var.store_table.arn}/index/gsi1",
    ]
  }

  # The store table is encrypted with the restricted key.
  statement {
    sid    = "StoreTableKey"
    effect = "Allow"
    actions = [
      "kms:Decrypt",
      "kms:GenerateDataKey",
    ]
    resources = [var.key_arns["restricted"]]
  }

  # DOCROUTE_CONFIG_URI: every function reads the same docroute.config.yaml.
  statement {
    sid       = "ReadConfig"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = [local.config_object]
  }

  # The configuration object and the environment variables are encrypted with the internal key.
  statement {
    sid       = "InternalKeyDecrypt"
    effect    = "Allow"
    actions   = ["kms:Decrypt"]
    resources = [var.key_arns["internal"]]
  }

  statement {
    sid    = "OwnLogGroup"
    effect = "Allow"
    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]
    resources = [
      aws_cloudwatch_log_group.fn["extract"].arn,
      "${aws_cloudwatch_log_group.fn["extract"].arn}:*",
    ]
  }

  # X-Ray has no resource-level permissions.
  statement {
    sid    = "Tracing"
    effect = "Allow"
    actions = [
      "xray:PutTraceSegments",
      "xray:PutTelemetryRecords",
    ]
    resources = ["*"]
  }

  # The function runs in the VPC; these EC2 actions have no resource-level permissions.
  statement {
    sid    = "VpcNetworkInterfaces"
    effect = "Allow"
    actions = [
      "ec2:CreateNetworkInterface",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DeleteNetworkInterface",
      "ec2:AssignPrivateIpAddresses",
      "ec2:UnassignPrivateIpAddresses",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "DeadLetterQueue"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dlq["extract"].arn]
  }

  # The DLQ is encrypted with the confidential key.
  statement {
    sid    = "DeadLetterQueueKey"
    effect = "Allow"
    actions = [
      "kms:Decrypt",
      "kms:GenerateDataKey",
    ]
    resources = [var.key_arns["confidential"]]
  }

  # Textract has no resource-level permissions for these actions.
  statement {
    sid    = "TextractJobs"
    effect = "Allow"
    actions = [
      "textract:StartDocumentAnalysis",
      "textract:GetDocumentAnalysis",
    ]
    resources = ["*"]
  }

  # Sniff the original; Textract reads it with this role.
  statement {
    sid       = "ReadOriginals"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = [local.originals_objects]
  }

  statement {
    sid       = "OriginalsKey"
    effect    = "Allow"
    actions   = ["kms:Decrypt"]
    resources = [var.key_arns["restricted"]]
  }

  # The shared Textract start budget (token bucket).
  statement {
    sid    = "RateTable"
    effect = "Allow"
    actions = [
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
    ]
    resources = [var.rate_table.arn]
  }

  # The rate table is encrypted with the internal key.
  statement {
    sid    = "RateTableKey"
    effect = "Allow"
    actions = [
      "kms:Decrypt",
      "kms:GenerateDataKey",
    ]
    resources = [var.key_arns["internal"]]
  }
}

# classify (Classify)
data "aws_iam_policy_document" "classify" {
  # Checkpoints, audit trail, ledger, decisions (every step writes the audit trail). TransactWriteItems
  # has no IAM action of its own: each item of a transaction is authorized as PutItem, UpdateItem or
  # ConditionCheckItem.
  statement {
    sid    = "StoreTable"
    effect = "Allow"
    actions = [
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "dynamodb:Query",
      "dynamodb:ConditionCheckItem",
    ]
    resources = [
      var.store_table.arn,
      "${var.store_table.arn}/index/gsi1",
    ]
  }

  # The store table is encrypted with the restricted key.
  statement {
    sid    = "StoreTableKey"
    effect = "Allow"
    actions = [
      "kms:Decrypt",
      "kms:GenerateDataKey",
    ]
    resources = [var.key_arns["restricted"]]
  }

  # DOCROUTE_CONFIG_URI: every function reads the same docroute.config.yaml.
  statement {
    sid       = "ReadConfig"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = [local.config_object]
  }

  # The configuration object and the environment variables are encrypted with the internal key.
  statement {
    sid       = "InternalKeyDecrypt"
    effect    = "Allow"
    actions   = ["kms:Decrypt"]
    resources = [var.key_arns["internal"]]
  }

  statement {
    sid    = "OwnLogGroup"
    effect = "Allow"
    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]
    resources = [
      aws_cloudwatch_log_group.fn["classify"].arn,
      "${aws_cloudwatch_log_group.fn["classify"].arn}:*",
    ]
  }

  # X-Ray has no resource-level permissions.
  statement {
    sid    = "Tracing"
    effect = "Allow"
    actions = [
      "xray:PutTraceSegments",
      "xray:PutTelemetryRecords",
    ]
    resources = ["*"]
  }

  # The function runs in the VPC; these EC2 actions have no resource-level permissions.
  statement {
    sid    = "VpcNetworkInterfaces"
    effect = "Allow"
    actions = [
      "ec2:CreateNetworkInterface",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DeleteNetworkInterface",
      "ec2:AssignPrivateIpAddresses",
      "ec2:UnassignPrivateIpAddresses",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "DeadLetterQueue"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dlq["classify"].arn]
  }

  # The DLQ is encrypted with the confidential key.
  statement {
    sid    = "DeadLetterQueueKey"
    effect = "Allow"
    actions = [
      "kms:Decrypt",
      "kms:GenerateDataKey",
    ]
    resources = [var.key_arns["confidential"]]
  }

  # Only when a Bedrock model is configured; the rules classifier needs no model.
  dynamic "statement" {
    for_each = length(var.bedrock_model_arns) > 0 ? [var.bedrock_model_arns] : []

    content {
      sid       = "InvokeModel"
      effect    = "Allow"
      actions   = ["bedrock:InvokeModel"]
      resources = statement.value
    }
  }
}

# extract-fields (ExtractFields): checkpoints only
data "aws_iam_policy_document" "extract_fields" {
  # Checkpoints, audit trail, ledger, decisions (every step writes the audit trail). TransactWriteItems
  # has no IAM action of its own: each item of a transaction is authorized as PutItem, UpdateItem or
  # ConditionCheckItem.
  statement {
    sid    = "StoreTable"
    effect = "Allow"
    actions = [
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "dynamodb:Query",
      "dynamodb:ConditionCheckItem",
    ]
    resources = [
      var.store_table.arn,
      "${var.store_table.arn}/index/gsi1",
    ]
  }

  # The store table is encrypted with the restricted key.
  statement {
    sid    = "StoreTableKey"
    effect = "Allow"
    actions = [
      "kms:Decrypt",
      "kms:GenerateDataKey",
    ]
    resources = [var.key_arns["restricted"]]
  }

  # DOCROUTE_CONFIG_URI: every function reads the same docroute.config.yaml.
  statement {
    sid       = "ReadConfig"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = [local.config_object]
  }

  # The configuration object and the environment variables are encrypted with the internal key.
  statement {
    sid       = "InternalKeyDecrypt"
    effect    = "Allow"
    actions   = ["kms:Decrypt"]
    resources = [var.key_arns["internal"]]
  }

  statement {
    sid    = "OwnLogGroup"
    effect = "Allow"
    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]
    resources = [
      aws_cloudwatch_log_group.fn["extract-fields"].arn,
      "${aws_cloudwatch_log_group.fn["extract-fields"].arn}:*",
    ]
  }

  # X-Ray has no resource-level permissions.
  statement {
    sid    = "Tracing"
    effect = "Allow"
    actions = [
      "xray:PutTraceSegments",
      "xray:PutTelemetryRecords",
    ]
    resources = ["*"]
  }

  # The function runs in the VPC; these EC2 actions have no resource-level permissions.
  statement {
    sid    = "VpcNetworkInterfaces"
    effect = "Allow"
    actions = [
      "ec2:CreateNetworkInterface",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DeleteNetworkInterface",
      "ec2:AssignPrivateIpAddresses",
      "ec2:UnassignPrivateIpAddresses",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "DeadLetterQueue"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dlq["extract-fields"].arn]
  }

  # The DLQ is encrypted with the confidential key.
  statement {
    sid    = "DeadLetterQueueKey"
    effect = "Allow"
    actions = [
      "kms:Decrypt",
      "kms:GenerateDataKey",
    ]
    resources = [var.key_arns["confidential"]]
  }
}

# validate (Validate): checkpoints only
data "aws_iam_policy_document" "validate" {
  # Checkpoints, audit trail, ledger, decisions (every step writes the audit trail). TransactWriteItems
  # has no IAM action of its own: each item of a transaction is authorized as PutItem, UpdateItem or
  # ConditionCheckItem.
  statement {
    sid    = "StoreTable"
    effect = "Allow"
    actions = [
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "dynamodb:Query",
      "dynamodb:ConditionCheckItem",
    ]
    resources = [
      var.store_table.arn,
      "${var.store_table.arn}/index/gsi1",
    ]
  }

  # The store table is encrypted with the restricted key.
  statement {
    sid    = "StoreTableKey"
    effect = "Allow"
    actions = [
      "kms:Decrypt",
      "kms:GenerateDataKey",
    ]
    resources = [var.key_arns["restricted"]]
  }

  # DOCROUTE_CONFIG_URI: every function reads the same docroute.config.yaml.
  statement {
    sid       = "ReadConfig"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = [local.config_object]
  }

  # The configuration object and the environment variables are encrypted with the internal key.
  statement {
    sid       = "InternalKeyDecrypt"
    effect    = "Allow"
    actions   = ["kms:Decrypt"]
    resources = [var.key_arns["internal"]]
  }

  statement {
    sid    = "OwnLogGroup"
    effect = "Allow"
    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]
    resources = [
      aws_cloudwatch_log_group.fn["validate"].arn,
      "${aws_cloudwatch_log_group.fn["validate"].arn}:*",
    ]
  }

  # X-Ray has no resource-level permissions.
  statement {
    sid    = "Tracing"
    effect = "Allow"
    actions = [
      "xray:PutTraceSegments",
      "xray:PutTelemetryRecords",
    ]
    resources = ["*"]
  }

  # The function runs in the VPC; these EC2 actions have no resource-level permissions.
  statement {
    sid    = "VpcNetworkInterfaces"
    effect = "Allow"
    actions = [
      "ec2:CreateNetworkInterface",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DeleteNetworkInterface",
      "ec2:AssignPrivateIpAddresses",
      "ec2:UnassignPrivateIpAddresses",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "DeadLetterQueue"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dlq["validate"].arn]
  }

  # The DLQ is encrypted with the confidential key.
  statement {
    sid    = "DeadLetterQueueKey"
    effect = "Allow"
    actions = [
      "kms:Decrypt",
      "kms:GenerateDataKey",
    ]
    resources = [var.key_arns["confidential"]]
  }
}

# route (RoutePass, RouteHold, RouteReject, RejectUnreadable)
data "aws_iam_policy_document" "route" {
  # Checkpoints, audit trail, ledger, decisions (every step writes the audit trail). TransactWriteItems
  # has no IAM action of its own: each item of a transaction is authorized as PutItem, UpdateItem or
  # ConditionCheckItem.
  statement {
    sid    = "StoreTable"
    effect = "Allow"
    actions = [
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "dynamodb:Query",
      "dynamodb:ConditionCheckItem",
    ]
    resources = [
      var.store_table.arn,
      "${var.store_table.arn}/index/gsi1",
    ]
  }

  # The store table is encrypted with the restricted key.
  statement {
    sid    = "StoreTableKey"
    effect = "Allow"
    actions = [
      "kms:Decrypt",
      "kms:GenerateDataKey",
    ]
    resources = [var.key_arns["restricted"]]
  }

  # DOCROUTE_CONFIG_URI: every function reads the same docroute.config.yaml.
  statement {
    sid       = "ReadConfig"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = [local.config_object]
  }

  # The configuration object and the environment variables are encrypted with the internal key.
  statement {
    sid       = "InternalKeyDecrypt"
    effect    = "Allow"
    actions   = ["kms:Decrypt"]
    resources = [var.key_arns["internal"]]
  }

  statement {
    sid    = "OwnLogGroup"
    effect = "Allow"
    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]
    resources = [
      aws_cloudwatch_log_group.fn["route"].arn,
      "${aws_cloudwatch_log_group.fn["route"].arn}:*",
    ]
  }

  # X-Ray has no resource-level permissions.
  statement {
    sid    = "Tracing"
    effect = "Allow"
    actions = [
      "xray:PutTraceSegments",
      "xray:PutTelemetryRecords",
    ]
    resources = ["*"]
  }

  # The function runs in the VPC; these EC2 actions have no resource-level permissions.
  statement {
    sid    = "VpcNetworkInterfaces"
    effect = "Allow"
    actions = [
      "ec2:CreateNetworkInterface",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DeleteNetworkInterface",
      "ec2:AssignPrivateIpAddresses",
      "ec2:UnassignPrivateIpAddresses",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "DeadLetterQueue"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dlq["route"].arn]
  }

  # The DLQ is encrypted with the confidential key.
  statement {
    sid    = "DeadLetterQueueKey"
    effect = "Allow"
    actions = [
      "kms:Decrypt",
      "kms:GenerateDataKey",
    ]
    resources = [var.key_arns["confidential"]]
  }

  # Copy the original into its route folder.
  statement {
    sid       = "ReadOriginals"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = [local.originals_objects]
  }

  # Route entries and decision records; withdraw an entry a later decision moved.
  statement {
    sid    = "WriteRoutes"
    effect = "Allow"
    actions = [
      "s3:PutObject",
      "s3:DeleteObject",
    ]
    resources = [local.routes_objects]
  }

  # Decrypt the original, encrypt the route entry and decision record: both restricted.
  statement {
    sid    = "DocumentKeys"
    effect = "Allow"
    actions = [
      "kms:Decrypt",
      "kms:GenerateDataKey",
    ]
    resources = [var.key_arns["restricted"]]
  }

  # One "Document Routed" event per decision.
  statement {
    sid       = "PublishEvents"
    effect    = "Allow"
    actions   = ["events:PutEvents"]
    resources = [local.event_bus_arn]
  }
}

# record (RecordOutcome, RecordFailure, SkipObject): batch membership and outcomes in the table
data "aws_iam_policy_document" "record" {
  # Checkpoints, audit trail, ledger, decisions (every step writes the audit trail). TransactWriteItems
  # has no IAM action of its own: each item of a transaction is authorized as PutItem, UpdateItem or
  # ConditionCheckItem.
  statement {
    sid    = "StoreTable"
    effect = "Allow"
    actions = [
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "dynamodb:Query",
      "dynamodb:ConditionCheckItem",
    ]
    resources = [
      var.store_table.arn,
      "${var.store_table.arn}/index/gsi1",
    ]
  }

  # The store table is encrypted with the restricted key.
  statement {
    sid    = "StoreTableKey"
    effect = "Allow"
    actions = [
      "kms:Decrypt",
      "kms:GenerateDataKey",
    ]
    resources = [var.key_arns["restricted"]]
  }

  # DOCROUTE_CONFIG_URI: every function reads the same docroute.config.yaml.
  statement {
    sid       = "ReadConfig"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = [local.config_object]
  }

  # The configuration object and the environment variables are encrypted with the internal key.
  statement {
    sid       = "InternalKeyDecrypt"
    effect    = "Allow"
    actions   = ["kms:Decrypt"]
    resources = [var.key_arns["internal"]]
  }

  statement {
    sid    = "OwnLogGroup"
    effect = "Allow"
    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]
    resources = [
      aws_cloudwatch_log_group.fn["record"].arn,
      "${aws_cloudwatch_log_group.fn["record"].arn}:*",
    ]
  }

  # X-Ray has no resource-level permissions.
  statement {
    sid    = "Tracing"
    effect = "Allow"
    actions = [
      "xray:PutTraceSegments",
      "xray:PutTelemetryRecords",
    ]
    resources = ["*"]
  }

  # The function runs in the VPC; these EC2 actions have no resource-level permissions.
  statement {
    sid    = "VpcNetworkInterfaces"
    effect = "Allow"
    actions = [
      "ec2:CreateNetworkInterface",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DeleteNetworkInterface",
      "ec2:AssignPrivateIpAddresses",
      "ec2:UnassignPrivateIpAddresses",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "DeadLetterQueue"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dlq["record"].arn]
  }

  # The DLQ is encrypted with the confidential key.
  statement {
    sid    = "DeadLetterQueueKey"
    effect = "Allow"
    actions = [
      "kms:Decrypt",
      "kms:GenerateDataKey",
    ]
    resources = [var.key_arns["confidential"]]
  }
}

# aggregate (Aggregate, and the scheduled Monitor task, which queries the store's gsi1)
data "aws_iam_policy_document" "aggregate" {
  # Checkpoints, audit trail, ledger, decisions (every step writes the audit trail). TransactWriteItems
  # has no IAM action of its own: each item of a transaction is authorized as PutItem, UpdateItem or
  # ConditionCheckItem.
  statement {
    sid    = "StoreTable"
    effect = "Allow"
    actions = [
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "dynamodb:Query",
      "dynamodb:ConditionCheckItem",
    ]
    resources = [
      var.store_table.arn,
      "${var.store_table.arn}/index/gsi1",
    ]
  }

  # The store table is encrypted with the restricted key.
  statement {
    sid    = "StoreTableKey"
    effect = "Allow"
    actions = [
      "kms:Decrypt",
      "kms:GenerateDataKey",
    ]
    resources = [var.key_arns["restricted"]]
  }

  # DOCROUTE_CONFIG_URI: every function reads the same docroute.config.yaml.
  statement {
    sid       = "ReadConfig"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = [local.config_object]
  }

  # The configuration object and the environment variables are encrypted with the internal key.
  statement {
    sid       = "InternalKeyDecrypt"
    effect    = "Allow"
    actions   = ["kms:Decrypt"]
    resources = [var.key_arns["internal"]]
  }

  statement {
    sid    = "OwnLogGroup"
    effect = "Allow"
    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]
    resources = [
      aws_cloudwatch_log_group.fn["aggregate"].arn,
      "${aws_cloudwatch_log_group.fn["aggregate"].arn}:*",
    ]
  }

  # X-Ray has no resource-level permissions.
  statement {
    sid    = "Tracing"
    effect = "Allow"
    actions = [
      "xray:PutTraceSegments",
      "xray:PutTelemetryRecords",
    ]
    resources = ["*"]
  }

  # The function runs in the VPC; these EC2 actions have no resource-level permissions.
  statement {
    sid    = "VpcNetworkInterfaces"
    effect = "Allow"
    actions = [
      "ec2:CreateNetworkInterface",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DeleteNetworkInterface",
      "ec2:AssignPrivateIpAddresses",
      "ec2:UnassignPrivateIpAddresses",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "DeadLetterQueue"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dlq["aggregate"].arn]
  }

  # The DLQ is encrypted with the confidential key.
  statement {
    sid    = "DeadLetterQueueKey"
    effect = "Allow"
    actions = [
      "kms:Decrypt",
      "kms:GenerateDataKey",
    ]
    resources = [var.key_arns["confidential"]]
  }
}

# notify (Notify)
data "aws_iam_policy_document" "notify" {
  # Checkpoints, audit trail, ledger, decisions (every step writes the audit trail). TransactWriteItems
  # has no IAM action of its own: each item of a transaction is authorized as PutItem, UpdateItem or
  # ConditionCheckItem.
  statement {
    sid    = "StoreTable"
    effect = "Allow"
    actions = [
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "dynamodb:Query",
      "dynamodb:ConditionCheckItem",
    ]
    resources = [
      var.store_table.arn,
      "${var.store_table.arn}/index/gsi1",
    ]
  }

  # The store table is encrypted with the restricted key.
  statement {
    sid    = "StoreTableKey"
    effect = "Allow"
    actions = [
      "kms:Decrypt",
      "kms:GenerateDataKey",
    ]
    resources = [var.key_arns["restricted"]]
  }

  # DOCROUTE_CONFIG_URI: every function reads the same docroute.config.yaml.
  statement {
    sid       = "ReadConfig"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = [local.config_object]
  }

  # The configuration object and the environment variables are encrypted with the internal key.
  statement {
    sid       = "InternalKeyDecrypt"
    effect    = "Allow"
    actions   = ["kms:Decrypt"]
    resources = [var.key_arns["internal"]]
  }

  statement {
    sid    = "OwnLogGroup"
    effect = "Allow"
    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]
    resources = [
      aws_cloudwatch_log_group.fn["notify"].arn,
      "${aws_cloudwatch_log_group.fn["notify"].arn}:*",
    ]
  }

  # X-Ray has no resource-level permissions.
  statement {
    sid    = "Tracing"
    effect = "Allow"
    actions = [
      "xray:PutTraceSegments",
      "xray:PutTelemetryRecords",
    ]
    resources = ["*"]
  }

  # The function runs in the VPC; these EC2 actions have no resource-level permissions.
  statement {
    sid    = "VpcNetworkInterfaces"
    effect = "Allow"
    actions = [
      "ec2:CreateNetworkInterface",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DeleteNetworkInterface",
      "ec2:AssignPrivateIpAddresses",
      "ec2:UnassignPrivateIpAddresses",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "DeadLetterQueue"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dlq["notify"].arn]
  }

  # The DLQ is encrypted with the confidential key.
  statement {
    sid    = "DeadLetterQueueKey"
    effect = "Allow"
    actions = [
      "kms:Decrypt",
      "kms:GenerateDataKey",
    ]
    resources = [var.key_arns["confidential"]]
  }

  # The batch summary.
  statement {
    sid       = "PublishSummary"
    effect    = "Allow"
    actions   = ["sns:Publish"]
    resources = [var.topic_arn]
  }

  # The topic is encrypted with the confidential key.
  statement {
    sid    = "TopicKey"
    effect = "Allow"
    actions = [
      "kms:Decrypt",
      "kms:GenerateDataKey",
    ]
    resources = [var.key_arns["confidential"]]
  }
}
