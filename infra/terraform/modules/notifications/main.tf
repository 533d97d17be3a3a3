# The SNS topic for batch summaries (notify function) and alarm notifications (module observability).
#
# Encrypted with the confidential CMK. The topic policy allows Publish only from
#   - roles of this account matching var.publisher_role_arn_patterns (default <name_prefix>-*), and
#   - CloudWatch alarms of this account (cloudwatch.amazonaws.com, aws:SourceAccount + aws:SourceArn),
# and denies every request that does not use TLS. Same-account administration (subscribe, set
# attributes) stays governed by IAM. The confidential key's policy (module keys) lets
# cloudwatch.amazonaws.com use the key for topics named <name_prefix>-*.

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  publisher_role_arn_patterns = coalesce(
    var.publisher_role_arn_patterns,
    ["arn:${local.partition}:iam::${local.account_id}:role/${var.name_prefix}-*"],
  )

  subscriptions = { for s in var.subscriptions : "${s.protocol}|${s.endpoint}" => s }
}

resource "aws_sns_topic" "this" {
  name              = "${var.name_prefix}-notifications"
  kms_master_key_id = var.key_arns["confidential"]

  tags = merge(var.tags, {
    Name               = "${var.name_prefix}-notifications"
    DataClassification = "confidential"
  })
}

data "aws_iam_policy_document" "topic" {
  statement {
    sid       = "PublishFromAccountRoles"
    effect    = "Allow"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.this.arn]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:PrincipalArn"
      values   = local.publisher_role_arn_patterns
    }
  }

  statement {
    sid       = "PublishFromCloudWatchAlarms"
    effect    = "Allow"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.this.arn]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:*"]
    }
  }

  statement {
    sid    = "DenyInsecureTransport"
    effect = "Deny"
    actions = [
      # The actions SNS accepts in a topic policy.
      "sns:AddPermission",
      "sns:DeleteTopic",
      "sns:GetTopicAttributes",
      "sns:ListSubscriptionsByTopic",
      "sns:Publish",
      "sns:Receive",
      "sns:RemovePermission",
      "sns:SetTopicAttributes",
      "sns:Subscribe",
    ]
    resources = [aws_sns_topic.this.arn]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sns_topic_policy" "this" {
  arn    = aws_sns_topic.this.arn
  policy = data.aws_iam_policy_document.topic.json
}

resource "aws_sns_topic_subscription" "this" {
  for_each = local.subscriptions

  topic_arn = aws_sns_topic.this.arn
  protocol  = each.value.protocol
  endpoint  = each.value.endpoint
}
