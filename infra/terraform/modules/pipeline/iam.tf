# One role and one policy document per function: exactly the permissions of docs/aws.md's table
# ("Functions and their permissions"), plus what every function needs to run: its configuration
# object, its own log group, X-Ray, the VPC network interfaces and its dead-letter queue.
#
# Each permission is written once, as data: local.common_statements (every function) and
# local.function_statements (one entry per function), rendered by a single for_each policy
# document. A statement is { sid, actions, resources } with optional effect (default "Allow") and
# conditions ([{ test, variable, values }]). Keep these locals plain literals (lists, maps,
# references, `cond ? [...] : []`): the policy-as-code tests in tests/infra evaluate them to check
# every action and resource, and report anything they cannot evaluate.

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
  policy = data.aws_iam_policy_document.fn[each.key].json
}

data "aws_iam_policy_document" "fn" {
  for_each = toset(var.functions)

  dynamic "statement" {
    for_each = concat(local.common_statements[each.key], local.function_statements[each.key])

    content {
      sid       = statement.value.sid
      effect    = lookup(statement.value, "effect", "Allow")
      actions   = statement.value.actions
      resources = statement.value.resources

      dynamic "condition" {
        for_each = lookup(statement.value, "conditions", [])

        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }
}

locals {
  # What every function gets; keyed by function for its own log group and dead-letter queue.
  common_statements = {
    for fn in var.functions : fn => [
      # Checkpoints, audit trail, ledger, decisions (every step writes the audit trail).
      # TransactWriteItems has no IAM action of its own: each item of a transaction is authorized
      # as PutItem, UpdateItem or ConditionCheckItem.
      {
        sid = "StoreTable"
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
      },
      # The store table is encrypted with the restricted key.
      {
        sid       = "StoreTableKey"
        actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
        resources = [var.key_arns["restricted"]]
      },
      # DOCROUTE_CONFIG_URI: every function reads the same docroute.config.yaml.
      {
        sid       = "ReadConfig"
        actions   = ["s3:GetObject"]
        resources = [local.config_object]
      },
      # The configuration object and the environment variables are encrypted with the internal key.
      {
        sid       = "InternalKeyDecrypt"
        actions   = ["kms:Decrypt"]
        resources = [var.key_arns["internal"]]
      },
      {
        sid     = "OwnLogGroup"
        actions = ["logs:CreateLogStream", "logs:PutLogEvents"]
        resources = [
          aws_cloudwatch_log_group.fn[fn].arn,
          "${aws_cloudwatch_log_group.fn[fn].arn}:*",
        ]
      },
      # X-Ray has no resource-level permissions.
      {
        sid       = "Tracing"
        actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
        resources = ["*"]
      },
      # The function runs in the VPC; these EC2 actions have no resource-level permissions.
      {
        sid = "VpcNetworkInterfaces"
        actions = [
          "ec2:CreateNetworkInterface",
          "ec2:DescribeNetworkInterfaces",
          "ec2:DeleteNetworkInterface",
          "ec2:AssignPrivateIpAddresses",
          "ec2:UnassignPrivateIpAddresses",
        ]
        resources = ["*"]
      },
      {
        sid       = "DeadLetterQueue"
        actions   = ["sqs:SendMessage"]
        resources = [aws_sqs_queue.dlq[fn].arn]
      },
      # The DLQ is encrypted with the confidential key.
      {
        sid       = "DeadLetterQueueKey"
        actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
        resources = [var.key_arns["confidential"]]
      },
    ]
  }

  # The extra permissions of docs/aws.md's table. A function missing here fails the plan.
  function_statements = {
    # Admit, Ingest
    ingest = [
      # Admit: hash the upload while streaming it.
      {
        sid       = "ReadUploads"
        actions   = ["s3:GetObject", "s3:GetObjectVersion"]
        resources = [local.inbox_objects]
      },
      # Ingest: copy to the content address; a copy whose checksum does not match is deleted.
      {
        sid       = "WriteOriginals"
        actions   = ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"]
        resources = [local.originals_objects]
      },
      # A missing key is a 404, not a 403.
      {
        sid       = "ListBuckets"
        actions   = ["s3:ListBucket"]
        resources = [var.incoming_bucket.arn, var.documents_bucket.arn]
      },
      # Decrypt the upload (incoming bucket), encrypt the original (documents bucket): both restricted.
      {
        sid       = "DocumentKeys"
        actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
        resources = [var.key_arns["restricted"]]
      },
    ]

    # ExtractStart, ExtractPoll
    extract = [
      # Textract has no resource-level permissions for these actions.
      {
        sid       = "TextractJobs"
        actions   = ["textract:StartDocumentAnalysis", "textract:GetDocumentAnalysis"]
        resources = ["*"]
      },
      # Sniff the original; Textract reads it with this role.
      {
        sid       = "ReadOriginals"
        actions   = ["s3:GetObject"]
        resources = [local.originals_objects]
      },
      {
        sid       = "OriginalsKey"
        actions   = ["kms:Decrypt"]
        resources = [var.key_arns["restricted"]]
      },
      # The shared Textract start budget (token bucket).
      {
        sid       = "RateTable"
        actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
        resources = [var.rate_table.arn]
      },
      # The rate table is encrypted with the internal key.
      {
        sid       = "RateTableKey"
        actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
        resources = [var.key_arns["internal"]]
      },
    ]

    # Classify: only when a Bedrock model is configured; the rules classifier needs no model.
    classify = length(var.bedrock_model_arns) > 0 ? [
      {
        sid       = "InvokeModel"
        actions   = ["bedrock:InvokeModel"]
        resources = var.bedrock_model_arns
      },
    ] : []

    # ExtractFields, Validate: checkpoints only.
    "extract-fields" = []
    validate         = []

    # RoutePass, RouteHold, RouteReject, RejectUnreadable
    route = [
      # Copy the original into its route folder.
      {
        sid       = "ReadOriginals"
        actions   = ["s3:GetObject"]
        resources = [local.originals_objects]
      },
      # Route entries and decision records; withdraw an entry a later decision moved.
      {
        sid       = "WriteRoutes"
        actions   = ["s3:PutObject", "s3:DeleteObject"]
        resources = [local.routes_objects]
      },
      # Decrypt the original, encrypt the route entry and decision record: both restricted.
      {
        sid       = "DocumentKeys"
        actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
        resources = [var.key_arns["restricted"]]
      },
      # One "Document Routed" event per decision.
      {
        sid       = "PublishEvents"
        actions   = ["events:PutEvents"]
        resources = [local.event_bus_arn]
      },
    ]

    # RecordOutcome, RecordFailure, SkipObject: batch membership and outcomes in the table.
    record = []

    # Aggregate, and the scheduled Monitor task, which queries the store's gsi1.
    aggregate = []

    # Notify
    notify = [
      # The batch summary.
      {
        sid       = "PublishSummary"
        actions   = ["sns:Publish"]
        resources = [var.topic_arn]
      },
      # The topic is encrypted with the confidential key.
      {
        sid       = "TopicKey"
        actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
        resources = [var.key_arns["confidential"]]
      },
    ]
  }
}
