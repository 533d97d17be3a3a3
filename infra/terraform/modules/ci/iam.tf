# Roles of the pipeline, the build and the deploys. The deploy projects do not hold the rights to
# change the environments themselves: each may only assume its environment's deploy role (created
# at bootstrap; see infra/terraform/README.md), so this module grants no wildcard actions.

locals {
  codebuild_project_arns = concat(
    [aws_codebuild_project.build.arn],
    [for env in var.environments : aws_codebuild_project.deploy[env].arn],
  )
}

# ---------------------------------------------------------------------------------------------
# CodePipeline

data "aws_iam_policy_document" "pipeline_assume" {
  statement {
    sid     = "CodePipelineAssumeRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["codepipeline.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "pipeline" {
  name               = "${var.name_prefix}-delivery-pipeline"
  description        = "Role of the docroute delivery pipeline"
  assume_role_policy = data.aws_iam_policy_document.pipeline_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "pipeline" {
  statement {
    sid    = "PipelineArtifacts"
    effect = "Allow"
    actions = [
      "s3:GetObject",
      "s3:GetObjectVersion",
      "s3:PutObject",
    ]
    resources = [local.pipeline_objects]
  }

  statement {
    sid    = "ArtifactsBucket"
    effect = "Allow"
    actions = [
      "s3:GetBucketVersioning",
      "s3:GetBucketLocation",
    ]
    resources = [var.artifacts_bucket.arn]
  }

  statement {
    sid    = "ArtifactsKey"
    effect = "Allow"
    actions = [
      "kms:Decrypt",
      "kms:GenerateDataKey",
    ]
    resources = [var.key_arns["internal"]]
  }

  statement {
    sid    = "Source"
    effect = "Allow"
    actions = [
      "codestar-connections:UseConnection",
      "codeconnections:UseConnection",
    ]
    resources = [local.connection_arn]
  }

  statement {
    sid    = "RunProjects"
    effect = "Allow"
    actions = [
      "codebuild:StartBuild",
      "codebuild:BatchGetBuilds",
    ]
    resources = local.codebuild_project_arns
  }

  dynamic "statement" {
    for_each = var.approval_topic_arn == null ? [] : [var.approval_topic_arn]

    content {
      sid       = "ApprovalNotification"
      effect    = "Allow"
      actions   = ["sns:Publish"]
      resources = [statement.value]
    }
  }

  # The notifications topic is encrypted with the confidential key.
  dynamic "statement" {
    for_each = var.approval_topic_arn == null ? [] : [var.approval_topic_arn]

    content {
      sid    = "ApprovalNotificationKey"
      effect = "Allow"
      actions = [
        "kms:Decrypt",
        "kms:GenerateDataKey",
      ]
      resources = [var.key_arns["confidential"]]
    }
  }
}

resource "aws_iam_role_policy" "pipeline" {
  name   = "${var.name_prefix}-delivery-pipeline-permissions"
  role   = aws_iam_role.pipeline.id
  policy = data.aws_iam_policy_document.pipeline.json
}

# ---------------------------------------------------------------------------------------------
# CodeBuild: the build

data "aws_iam_policy_document" "codebuild_assume" {
  statement {
    sid     = "CodeBuildAssumeRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["codebuild.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "build" {
  name               = "${var.name_prefix}-delivery-build"
  description        = "Role of the docroute build (buildspec.yml)"
  assume_role_policy = data.aws_iam_policy_document.codebuild_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "build" {
  statement {
    sid    = "OwnLogGroup"
    effect = "Allow"
    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]
    resources = [
      aws_cloudwatch_log_group.build.arn,
      "${aws_cloudwatch_log_group.build.arn}:*",
    ]
  }

  statement {
    sid    = "PipelineArtifacts"
    effect = "Allow"
    actions = [
      "s3:GetObject",
      "s3:GetObjectVersion",
      "s3:PutObject",
    ]
    resources = [local.pipeline_objects]
  }

  statement {
    sid    = "ArtifactsBucket"
    effect = "Allow"
    actions = [
      "s3:GetBucketAcl",
      "s3:GetBucketLocation",
    ]
    resources = [var.artifacts_bucket.arn]
  }

  statement {
    sid    = "ArtifactsKey"
    effect = "Allow"
    actions = [
      "kms:Decrypt",
      "kms:GenerateDataKey",
    ]
    resources = [var.key_arns["internal"]]
  }

  # The source artifact is a clone reference (CODEBUILD_CLONE_REF): the build clones through the
  # connection.
  statement {
    sid    = "Source"
    effect = "Allow"
    actions = [
      "codestar-connections:UseConnection",
      "codeconnections:UseConnection",
    ]
    resources = [local.connection_arn]
  }
}

resource "aws_iam_role_policy" "build" {
  name   = "${var.name_prefix}-delivery-build-permissions"
  role   = aws_iam_role.build.id
  policy = data.aws_iam_policy_document.build.json
}

# ---------------------------------------------------------------------------------------------
# CodeBuild: the deploys, one role per environment

resource "aws_iam_role" "deploy" {
  for_each = toset(var.environments)

  name               = "${var.name_prefix}-delivery-deploy-${each.key}"
  description        = "Role of the docroute deploy to ${each.key}: may only assume that environment's deploy role"
  assume_role_policy = data.aws_iam_policy_document.codebuild_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "deploy" {
  for_each = toset(var.environments)

  statement {
    sid    = "OwnLogGroup"
    effect = "Allow"
    actions = [
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]
    resources = [
      aws_cloudwatch_log_group.deploy[each.key].arn,
      "${aws_cloudwatch_log_group.deploy[each.key].arn}:*",
    ]
  }

  statement {
    sid    = "PipelineArtifacts"
    effect = "Allow"
    actions = [
      "s3:GetObject",
      "s3:GetObjectVersion",
    ]
    resources = [local.pipeline_objects]
  }

  statement {
    sid    = "ArtifactsBucket"
    effect = "Allow"
    actions = [
      "s3:GetBucketAcl",
      "s3:GetBucketLocation",
    ]
    resources = [var.artifacts_bucket.arn]
  }

  statement {
    sid       = "ArtifactsKey"
    effect    = "Allow"
    actions   = ["kms:Decrypt"]
    resources = [var.key_arns["internal"]]
  }

  statement {
    sid       = "AssumeDeployRole"
    effect    = "Allow"
    actions   = ["sts:AssumeRole"]
    resources = [local.deploy_role_arns[each.key]]
  }
}

resource "aws_iam_role_policy" "deploy" {
  for_each = toset(var.environments)

  name   = "${var.name_prefix}-delivery-deploy-${each.key}-permissions"
  role   = aws_iam_role.deploy[each.key].id
  policy = data.aws_iam_policy_document.deploy[each.key].json
}
