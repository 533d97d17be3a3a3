# Continuous delivery: Source -> Build (buildspec.yml: lint, test, build:lambda, ASL check) ->
# Deploy <env> for each environment in order, with a manual approval before the environments in
# approval_before (by default: ... -> Deploy staging -> Approval -> Deploy prod). Each deploy is a
# CodeBuild project running terraform apply in infra/terraform/envs/<env> with a role of that
# environment. Artifacts, projects and the pipeline are encrypted with the internal key.

data "aws_partition" "current" {}

data "aws_caller_identity" "current" {}

locals {
  pipeline_name = "${var.name_prefix}-delivery"

  # CodePipeline keeps a run's artifacts under <pipeline name, cut to 20 characters>/ in the bucket.
  pipeline_objects = "${var.artifacts_bucket.arn}/${substr(local.pipeline_name, 0, min(20, length(local.pipeline_name)))}*"

  connection_arn = var.repository.connection_arn != null ? var.repository.connection_arn : aws_codestarconnections_connection.source[0].arn

  deploy_role_arns = {
    for env in var.environments : env => lookup(
      var.deploy_role_arns,
      env,
      "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:role/${format(var.deploy_role_name_format, env)}",
    )
  }

  # The stages after Build, in order: an approval (where asked for) before each deploy.
  deploy_stages = flatten([
    for env in var.environments : concat(
      contains(var.approval_before, env) ? [{ kind = "approval", env = env }] : [],
      [{ kind = "deploy", env = env }],
    )
  ])
}

resource "aws_codestarconnections_connection" "source" {
  count = var.repository.connection_arn == null ? 1 : 0

  name          = substr("${var.name_prefix}-source", 0, min(32, length("${var.name_prefix}-source")))
  provider_type = var.repository.provider_type
  tags          = var.tags
}

# ---------------------------------------------------------------------------------------------
# Logs: every log group is confidential (CONTRACT.md; the keys module lets CloudWatch Logs use that key).

resource "aws_cloudwatch_log_group" "build" {
  name              = "/aws/codebuild/${var.name_prefix}-build"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.key_arns["confidential"]
  tags              = var.tags
}

resource "aws_cloudwatch_log_group" "deploy" {
  for_each = toset(var.environments)

  name              = "/aws/codebuild/${var.name_prefix}-deploy-${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.key_arns["confidential"]
  tags              = var.tags
}

# ---------------------------------------------------------------------------------------------
# Build: buildspec.yml at the repository root.

resource "aws_codebuild_project" "build" {
  name           = "${var.name_prefix}-build"
  description    = "docroute: lint, test, build the Lambda zips, check the ASL is current"
  service_role   = aws_iam_role.build.arn
  build_timeout  = var.build_timeout_minutes
  encryption_key = var.key_arns["internal"]

  artifacts {
    type = "CODEPIPELINE"
  }

  environment {
    type                        = "LINUX_CONTAINER"
    compute_type                = var.build_compute_type
    image                       = var.build_image
    image_pull_credentials_type = "CODEBUILD"
  }

  source {
    type      = "CODEPIPELINE"
    buildspec = "buildspec.yml"
  }

  logs_config {
    cloudwatch_logs {
      status     = "ENABLED"
      group_name = aws_cloudwatch_log_group.build.name
    }

    s3_logs {
      status = "DISABLED"
    }
  }

  tags = var.tags
}

# ---------------------------------------------------------------------------------------------
# Deploy: one project per environment (deploy-buildspec.yml), each with its own role that may
# assume only that environment's deploy role.

resource "aws_codebuild_project" "deploy" {
  for_each = toset(var.environments)

  name           = "${var.name_prefix}-deploy-${each.key}"
  description    = "docroute: terraform apply in infra/terraform/envs/${each.key}"
  service_role   = aws_iam_role.deploy[each.key].arn
  build_timeout  = var.build_timeout_minutes
  encryption_key = var.key_arns["internal"]

  artifacts {
    type = "CODEPIPELINE"
  }

  environment {
    type                        = "LINUX_CONTAINER"
    compute_type                = "BUILD_GENERAL1_SMALL"
    image                       = var.build_image
    image_pull_credentials_type = "CODEBUILD"

    environment_variable {
      name  = "ENVIRONMENT"
      value = each.key
    }

    environment_variable {
      name  = "DEPLOY_ROLE_ARN"
      value = local.deploy_role_arns[each.key]
    }

    environment_variable {
      name  = "TF_VERSION"
      value = var.terraform_version
    }

    dynamic "environment_variable" {
      for_each = var.terraform_sha256 == "" ? [] : [var.terraform_sha256]

      content {
        name  = "TF_SHA256"
        value = environment_variable.value
      }
    }
  }

  source {
    type      = "CODEPIPELINE"
    buildspec = file("${path.module}/deploy-buildspec.yml")
  }

  logs_config {
    cloudwatch_logs {
      status     = "ENABLED"
      group_name = aws_cloudwatch_log_group.deploy[each.key].name
    }

    s3_logs {
      status = "DISABLED"
    }
  }

  tags = var.tags
}

# ---------------------------------------------------------------------------------------------
# The pipeline.

resource "aws_codepipeline" "this" {
  name     = local.pipeline_name
  role_arn = aws_iam_role.pipeline.arn

  artifact_store {
    type     = "S3"
    location = var.artifacts_bucket.name

    encryption_key {
      type = "KMS"
      id   = var.key_arns["internal"]
    }
  }

  stage {
    name = "Source"

    action {
      name             = "Source"
      category         = "Source"
      owner            = "AWS"
      provider         = "CodeStarSourceConnection"
      version          = "1"
      output_artifacts = ["source"]

      configuration = {
        ConnectionArn    = local.connection_arn
        FullRepositoryId = var.repository.id
        BranchName       = var.repository.branch
        # A git clone, not a zip: the build runs `git diff --exit-code asl/`.
        OutputArtifactFormat = "CODEBUILD_CLONE_REF"
        DetectChanges        = "true"
      }
    }
  }

  stage {
    name = "Build"

    action {
      name             = "Build"
      category         = "Build"
      owner            = "AWS"
      provider         = "CodeBuild"
      version          = "1"
      input_artifacts  = ["source"]
      output_artifacts = ["build"]

      configuration = {
        ProjectName = aws_codebuild_project.build.name
      }
    }
  }

  dynamic "stage" {
    for_each = local.deploy_stages

    content {
      name = stage.value.kind == "approval" ? "Approve-${stage.value.env}" : "Deploy-${stage.value.env}"

      dynamic "action" {
        for_each = stage.value.kind == "approval" ? [stage.value.env] : []

        content {
          name     = "Approve-${action.value}"
          category = "Approval"
          owner    = "AWS"
          provider = "Manual"
          version  = "1"

          configuration = merge(
            { CustomData = "Deploy this revision to ${action.value}? It is live in the environments before it; check them first." },
            var.approval_topic_arn == null ? {} : { NotificationArn = var.approval_topic_arn },
          )
        }
      }

      dynamic "action" {
        for_each = stage.value.kind == "deploy" ? [stage.value.env] : []

        content {
          name            = "Deploy-${action.value}"
          category        = "Build"
          owner           = "AWS"
          provider        = "CodeBuild"
          version         = "1"
          input_artifacts = ["build"]

          configuration = {
            ProjectName = aws_codebuild_project.deploy[action.value].name
          }
        }
      }
    }
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = length(setsubtract(var.approval_before, var.environments)) == 0
      error_message = "approval_before names an environment that is not in environments."
    }
  }

  depends_on = [aws_iam_role_policy.pipeline]
}
