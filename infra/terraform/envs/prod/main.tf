# docroute, one environment. This file is the same in envs/dev, envs/staging and envs/prod: what
# differs (names, sizes, retention, deletion protection, the delivery pipeline and its approval
# gate) is in terraform.tfvars and backend.hcl. Run from the repository root:
#   terraform -chdir=infra/terraform/envs/<env> init -backend-config=backend.hcl
# with build/lambda/*.zip (npm run build:lambda) and asl/*.json (npm run asl) in place.

terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }

  # Partial configuration: bucket, key, region and lock table come from backend.hcl.
  backend "s3" {}
}

provider "aws" {
  region              = var.region
  allowed_account_ids = var.allowed_account_ids

  default_tags {
    tags = {
      Project            = "docroute"
      Environment        = var.environment
      Owner              = var.owner
      CostCenter         = var.cost_center
      DataClassification = var.data_classification
    }
  }
}

data "aws_partition" "current" {}

data "aws_caller_identity" "current" {}

locals {
  name_prefix = "docroute-${var.environment}"

  # envs/<env> -> the repository root, where the build leaves build/lambda and asl.
  repo_root = "${path.root}/../../../.."

  # The role Terraform runs as (created at bootstrap; the pipeline's deploy assumes it): it
  # administers the keys.
  deploy_role_arn = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:role/${format(var.deploy_role_name_format, var.environment)}"
}

module "keys" {
  source = "../../modules/keys"

  name_prefix             = local.name_prefix
  tags                    = var.tags
  deletion_window_in_days = var.key_deletion_window_in_days
  admin_role_arns         = distinct(concat([local.deploy_role_arn], var.key_admin_role_arns))
}

module "network" {
  source = "../../modules/network"

  name_prefix              = local.name_prefix
  tags                     = var.tags
  cidr_block               = var.vpc_cidr
  azs                      = var.azs
  key_arns                 = module.keys.key_arns
  flow_logs_retention_days = var.log_retention_days
}

module "storage" {
  source = "../../modules/storage"

  name_prefix              = local.name_prefix
  tags                     = var.tags
  key_arns                 = module.keys.key_arns
  incoming_retention_days  = var.incoming_retention_days
  documents_retention_days = var.documents_retention_days
  noncurrent_days          = var.noncurrent_days
}

module "audit" {
  source = "../../modules/audit"

  name_prefix            = local.name_prefix
  tags                   = var.tags
  key_arns               = module.keys.key_arns
  deletion_protection    = var.deletion_protection
  point_in_time_recovery = true
}

module "notifications" {
  source = "../../modules/notifications"

  name_prefix   = local.name_prefix
  tags          = var.tags
  key_arns      = module.keys.key_arns
  subscriptions = var.notification_subscriptions
}

module "pipeline" {
  source = "../../modules/pipeline"

  name_prefix       = local.name_prefix
  tags              = var.tags
  lambda_zip_dir    = "${local.repo_root}/build/lambda"
  asl_template_path = "${local.repo_root}/asl/docroute.asl.json"
  # FUNCTION_NAMES in src/orchestration/definition.ts.
  functions = ["ingest", "extract", "classify", "extract-fields", "validate", "route", "record", "aggregate", "notify"]

  reserved_concurrency = var.reserved_concurrency
  memory_mb            = var.memory_mb
  timeout_seconds      = var.timeout_seconds

  private_subnet_ids       = module.network.private_subnet_ids
  lambda_security_group_id = module.network.lambda_security_group_id
  key_arns                 = module.keys.key_arns
  store_table              = module.audit.store_table
  rate_table               = module.audit.rate_table
  incoming_bucket          = module.storage.incoming_bucket
  documents_bucket         = module.storage.documents_bucket
  artifacts_bucket         = module.storage.artifacts_bucket
  topic_arn                = module.notifications.topic_arn
  event_bus_name           = var.event_bus_name
  config_key               = "config/docroute.config.yaml"
  config_source_path       = "${path.root}/docroute.config.yaml"
  bedrock_model_arns       = var.bedrock_model_arns
  textract_tps             = var.textract_tps
  textract_burst           = var.textract_burst
  log_retention_days       = var.log_retention_days
  inbox_prefix             = var.inbox_prefix
  metrics_namespace        = var.metrics_namespace
}

module "events" {
  source = "../../modules/events"

  name_prefix            = local.name_prefix
  tags                   = var.tags
  key_arns               = module.keys.key_arns
  incoming_bucket        = module.storage.incoming_bucket
  inbox_prefix           = var.inbox_prefix
  max_bytes              = var.max_upload_bytes
  state_machine_arn      = module.pipeline.state_machine_arn
  input_transformer_path = "${local.repo_root}/asl/s3-input-transformer.json"
}

module "observability" {
  source = "../../modules/observability"

  name_prefix                 = local.name_prefix
  tags                        = var.tags
  state_machine_arn           = module.pipeline.state_machine_arn
  function_names              = module.pipeline.function_names
  aggregate_function_arn      = module.pipeline.function_arns["aggregate"]
  dlq_arns                    = merge(module.pipeline.dlq_arns, { events = module.events.dlq_arn })
  topic_arn                   = module.notifications.topic_arn
  metrics_namespace           = var.metrics_namespace
  held_hours_threshold        = var.held_hours_threshold
  throttled_minutes_threshold = var.throttled_minutes_threshold
}

# The delivery pipeline lives in one environment's state (prod: a change to the pipeline itself,
# such as its approval gate, then only takes effect after passing that gate) and deploys all of them.
module "ci" {
  source = "../../modules/ci"
  count  = var.delivery_pipeline == null ? 0 : 1

  name_prefix             = local.name_prefix
  tags                    = var.tags
  artifacts_bucket        = module.storage.artifacts_bucket
  key_arns                = module.keys.key_arns
  repository              = var.delivery_pipeline.repository
  environments            = var.delivery_pipeline.environments
  approval_before         = var.delivery_pipeline.approval_before
  approval_topic_arn      = module.notifications.topic_arn
  deploy_role_arns        = var.delivery_pipeline.deploy_role_arns
  deploy_role_name_format = var.deploy_role_name_format
}
