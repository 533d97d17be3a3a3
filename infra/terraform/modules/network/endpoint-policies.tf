# Endpoint policies, one document per endpoint service (see endpoints.tf).
#
# Every statement: principals of this account only (aws:PrincipalAccount), explicit actions, and the
# resources of this account and Region wherever the service has resource-level permissions. A call
# the functions need that is missing here fails with AccessDenied naming the VPC endpoint; add the
# action to the service's document.

# S3 gateway: object reads/writes/copies/deletes and listings, only on buckets owned by this account
# (aws:ResourceAccount).
data "aws_iam_policy_document" "s3_endpoint" {
  statement {
    sid    = "ThisAccountOnly"
    effect = "Allow"
    actions = [
      "s3:GetObject",
      "s3:GetObjectVersion",
      "s3:GetObjectAttributes",
      "s3:GetObjectTagging",
      "s3:GetObjectVersionTagging",
      "s3:PutObject",
      "s3:PutObjectTagging",
      "s3:DeleteObject",
      "s3:DeleteObjectVersion",
      "s3:ListBucket",
      "s3:ListBucketVersions",
      "s3:ListBucketMultipartUploads",
      "s3:ListMultipartUploadParts",
      "s3:AbortMultipartUpload",
      "s3:GetBucketLocation",
    ]
    resources = [
      "arn:${local.partition}:s3:::*",
    ]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:PrincipalAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceAccount"
      values   = [local.account_id]
    }
  }
}

# DynamoDB gateway: item reads/writes, queries (tables and their indexes) and transactions
# (authorized per item action) on this account's tables.
data "aws_iam_policy_document" "dynamodb_endpoint" {
  statement {
    sid    = "ThisAccountOnly"
    effect = "Allow"
    actions = [
      "dynamodb:GetItem",
      "dynamodb:BatchGetItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "dynamodb:DeleteItem",
      "dynamodb:BatchWriteItem",
      "dynamodb:Query",
      "dynamodb:ConditionCheckItem",
      "dynamodb:DescribeTable",
    ]
    resources = [
      "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/*",
    ]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:PrincipalAccount"
      values   = [local.account_id]
    }
  }
}

# Textract async analysis (no resource-level permissions).
data "aws_iam_policy_document" "textract_endpoint" {
  statement {
    sid    = "ThisAccountOnly"
    effect = "Allow"
    actions = [
      "textract:StartDocumentAnalysis",
      "textract:GetDocumentAnalysis",
    ]
    resources = [
      "*",
    ]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:PrincipalAccount"
      values   = [local.account_id]
    }
  }
}

# Bedrock runtime: Converse/ConverseStream are authorized as
# InvokeModel/InvokeModelWithResponseStream; foundation models in any Region (cross-Region inference
# profiles route there) and this account's inference profiles.
data "aws_iam_policy_document" "bedrock_runtime_endpoint" {
  statement {
    sid    = "ThisAccountOnly"
    effect = "Allow"
    actions = [
      "bedrock:InvokeModel",
      "bedrock:InvokeModelWithResponseStream",
    ]
    resources = [
      "arn:${local.partition}:bedrock:*::foundation-model/*",
      "arn:${local.partition}:bedrock:${local.region}:${local.account_id}:inference-profile/*",
      "arn:${local.partition}:bedrock:${local.region}:${local.account_id}:application-inference-profile/*",
    ]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:PrincipalAccount"
      values   = [local.account_id]
    }
  }
}

# Step Functions: start, describe and stop executions of this account's state machines.
data "aws_iam_policy_document" "states_endpoint" {
  statement {
    sid    = "ThisAccountOnly"
    effect = "Allow"
    actions = [
      "states:StartExecution",
      "states:DescribeExecution",
      "states:StopExecution",
    ]
    resources = [
      "arn:${local.partition}:states:${local.region}:${local.account_id}:stateMachine:*",
      "arn:${local.partition}:states:${local.region}:${local.account_id}:execution:*",
    ]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:PrincipalAccount"
      values   = [local.account_id]
    }
  }
}

# Lambda: invoke this account's functions.
data "aws_iam_policy_document" "lambda_endpoint" {
  statement {
    sid    = "ThisAccountOnly"
    effect = "Allow"
    actions = [
      "lambda:InvokeFunction",
    ]
    resources = [
      "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:*",
    ]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:PrincipalAccount"
      values   = [local.account_id]
    }
  }
}

# SNS: publish to this account's topics.
data "aws_iam_policy_document" "sns_endpoint" {
  statement {
    sid    = "ThisAccountOnly"
    effect = "Allow"
    actions = [
      "sns:Publish",
    ]
    resources = [
      "arn:${local.partition}:sns:${local.region}:${local.account_id}:*",
    ]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:PrincipalAccount"
      values   = [local.account_id]
    }
  }
}

# EventBridge: put events on this account's buses.
data "aws_iam_policy_document" "events_endpoint" {
  statement {
    sid    = "ThisAccountOnly"
    effect = "Allow"
    actions = [
      "events:PutEvents",
    ]
    resources = [
      "arn:${local.partition}:events:${local.region}:${local.account_id}:event-bus/*",
    ]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:PrincipalAccount"
      values   = [local.account_id]
    }
  }
}

# KMS: data-key and envelope operations on this account's keys.
data "aws_iam_policy_document" "kms_endpoint" {
  statement {
    sid    = "ThisAccountOnly"
    effect = "Allow"
    actions = [
      "kms:Decrypt",
      "kms:Encrypt",
      "kms:GenerateDataKey",
      "kms:GenerateDataKeyWithoutPlaintext",
      "kms:DescribeKey",
    ]
    resources = [
      "arn:${local.partition}:kms:${local.region}:${local.account_id}:key/*",
    ]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:PrincipalAccount"
      values   = [local.account_id]
    }
  }
}

# CloudWatch Logs: write log streams of this account's log groups.
data "aws_iam_policy_document" "logs_endpoint" {
  statement {
    sid    = "ThisAccountOnly"
    effect = "Allow"
    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "logs:DescribeLogStreams",
    ]
    resources = [
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*",
    ]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:PrincipalAccount"
      values   = [local.account_id]
    }
  }
}

# CloudWatch metrics: PutMetricData has no resource ARN; the namespace condition is its scope.
data "aws_iam_policy_document" "monitoring_endpoint" {
  statement {
    sid    = "ThisAccountOnly"
    effect = "Allow"
    actions = [
      "cloudwatch:PutMetricData",
    ]
    resources = [
      "*",
    ]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:PrincipalAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = var.metrics_namespaces
    }
  }
}

# X-Ray trace upload (no resource-level permissions).
data "aws_iam_policy_document" "xray_endpoint" {
  statement {
    sid    = "ThisAccountOnly"
    effect = "Allow"
    actions = [
      "xray:PutTraceSegments",
      "xray:PutTelemetryRecords",
    ]
    resources = [
      "*",
    ]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:PrincipalAccount"
      values   = [local.account_id]
    }
  }
}

# STS: assume roles of this account (GetCallerIdentity needs no permission).
data "aws_iam_policy_document" "sts_endpoint" {
  statement {
    sid    = "ThisAccountOnly"
    effect = "Allow"
    actions = [
      "sts:AssumeRole",
    ]
    resources = [
      "arn:${local.partition}:iam::${local.account_id}:role/*",
    ]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:PrincipalAccount"
      values   = [local.account_id]
    }
  }
}

# SQS: send, receive and delete messages of this account's queues.
data "aws_iam_policy_document" "sqs_endpoint" {
  statement {
    sid    = "ThisAccountOnly"
    effect = "Allow"
    actions = [
      "sqs:SendMessage",
      "sqs:ReceiveMessage",
      "sqs:DeleteMessage",
      "sqs:ChangeMessageVisibility",
      "sqs:GetQueueAttributes",
      "sqs:GetQueueUrl",
    ]
    resources = [
      "arn:${local.partition}:sqs:${local.region}:${local.account_id}:*",
    ]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:PrincipalAccount"
      values   = [local.account_id]
    }
  }
}
