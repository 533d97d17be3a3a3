# One customer managed KMS key per data classification, rotation on, alias
# alias/<name_prefix>-<classification>.
#
# Key policy: one aws_iam_policy_document shared by all keys (in a key policy, Resource "*" means
# "this key"). Which resource uses which key is the classification table of CONTRACT.md, enforced by
# the posture tests; the policy below decides who may use a key at all:
#   KeyAdministration      account root, but only for principals in var.admin_role_arns
#                          (aws:PrincipalArn): manage the key, never encrypt or decrypt with it.
#   UseByDocrouteRoles     roles named <name_prefix>-* (aws:PrincipalArn ArnLike) may use the key;
#                          the root principal means each role still needs its own IAM grant.
#   UseViaAwsServices      principals of this account, only through the listed AWS services
#                          (kms:ViaService + kms:CallerAccount), again subject to IAM.
#   GrantsForAwsResources  the same services may create grants for their resources
#                          (kms:GrantIsForAWSResource), e.g. DynamoDB tables and Lambda functions.
#   CloudWatchLogs         logs.<region>.amazonaws.com, only for log groups of this account
#                          (kms:EncryptionContext:aws:logs:arn).
#   CloudWatchAlarmsToSns  cloudwatch.amazonaws.com, only for SNS topics <name_prefix>-* of this
#                          account (kms:EncryptionContext:aws:sns:topicArn): alarms publishing to the
#                          encrypted notifications topic.
# Actions are listed literally in every statement: no kms:* and no wildcards.

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  dns_suffix = data.aws_partition.current.dns_suffix

  account_root_arn = "arn:${local.partition}:iam::${local.account_id}:root"
  docroute_roles   = "arn:${local.partition}:iam::${local.account_id}:role/${var.name_prefix}-*"

  classifications = toset(var.classifications)

  via_services = [
    for p in var.service_principals : "${trimsuffix(p, ".amazonaws.com")}.${local.region}.${local.dns_suffix}"
  ]

  descriptions = {
    restricted   = "customer documents: incoming and documents buckets, the DynamoDB store table and its backups"
    confidential = "operational data about documents: CloudWatch log groups, the SNS topic, SQS dead-letter queues"
    internal     = "internal artifacts: artifacts bucket, token-bucket table, Lambda environment variables, CI/CD"
    public       = "public datasets (reserved)"
  }
}

data "aws_iam_policy_document" "key" {
  statement {
    sid    = "KeyAdministration"
    effect = "Allow"
    actions = [
      "kms:CancelKeyDeletion",
      "kms:CreateAlias",
      "kms:CreateGrant",
      "kms:DeleteAlias",
      "kms:DescribeKey",
      "kms:DisableKey",
      "kms:DisableKeyRotation",
      "kms:EnableKey",
      "kms:EnableKeyRotation",
      "kms:GetKeyPolicy",
      "kms:GetKeyRotationStatus",
      "kms:ListAliases",
      "kms:ListGrants",
      "kms:ListKeyPolicies",
      "kms:ListKeyRotations",
      "kms:ListResourceTags",
      "kms:PutKeyPolicy",
      "kms:RetireGrant",
      "kms:RevokeGrant",
      "kms:RotateKeyOnDemand",
      "kms:ScheduleKeyDeletion",
      "kms:TagResource",
      "kms:UntagResource",
      "kms:UpdateAlias",
      "kms:UpdateKeyDescription",
    ]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = [local.account_root_arn]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:PrincipalArn"
      values   = var.admin_role_arns
    }
  }

  statement {
    sid    = "UseByDocrouteRoles"
    effect = "Allow"
    actions = [
      "kms:Decrypt",
      "kms:DescribeKey",
      "kms:Encrypt",
      "kms:GenerateDataKey",
      "kms:GenerateDataKeyWithoutPlaintext",
      "kms:ReEncryptFrom",
      "kms:ReEncryptTo",
    ]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = [local.account_root_arn]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:PrincipalArn"
      values   = [local.docroute_roles]
    }
  }

  statement {
    sid    = "UseViaAwsServices"
    effect = "Allow"
    actions = [
      "kms:Decrypt",
      "kms:DescribeKey",
      "kms:Encrypt",
      "kms:GenerateDataKey",
      "kms:GenerateDataKeyWithoutPlaintext",
      "kms:ReEncryptFrom",
      "kms:ReEncryptTo",
    ]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = [local.account_root_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "kms:CallerAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = local.via_services
    }
  }

  statement {
    sid    = "GrantsForAwsResources"
    effect = "Allow"
    actions = [
      "kms:CreateGrant",
      "kms:ListGrants",
      "kms:RevokeGrant",
    ]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = [local.account_root_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "kms:CallerAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = local.via_services
    }

    condition {
      test     = "Bool"
      variable = "kms:GrantIsForAWSResource"
      values   = ["true"]
    }
  }

  statement {
    sid    = "CloudWatchLogs"
    effect = "Allow"
    actions = [
      "kms:Decrypt",
      "kms:DescribeKey",
      "kms:Encrypt",
      "kms:GenerateDataKey",
      "kms:GenerateDataKeyWithoutPlaintext",
      "kms:ReEncryptFrom",
      "kms:ReEncryptTo",
    ]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.${local.dns_suffix}"]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*"]
    }
  }

  statement {
    sid    = "CloudWatchAlarmsToSns"
    effect = "Allow"
    actions = [
      "kms:Decrypt",
      "kms:GenerateDataKey",
    ]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:sns:topicArn"
      values   = ["arn:${local.partition}:sns:${local.region}:${local.account_id}:${var.name_prefix}-*"]
    }
  }
}

resource "aws_kms_key" "this" {
  for_each = local.classifications

  description              = "${var.name_prefix} ${each.key}: ${lookup(local.descriptions, each.key, "data classified ${each.key}")}"
  key_usage                = "ENCRYPT_DECRYPT"
  customer_master_key_spec = "SYMMETRIC_DEFAULT"
  enable_key_rotation      = true
  deletion_window_in_days  = var.deletion_window_in_days
  multi_region             = false
  policy                   = data.aws_iam_policy_document.key.json

  tags = merge(var.tags, {
    Name               = "${var.name_prefix}-${each.key}"
    DataClassification = each.key
  })
}

resource "aws_kms_alias" "this" {
  for_each = local.classifications

  name          = "alias/${var.name_prefix}-${each.key}"
  target_key_id = aws_kms_key.this[each.key].key_id
}
