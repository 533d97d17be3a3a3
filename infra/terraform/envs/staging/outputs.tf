output "state_machine_arn" {
  description = "The docroute state machine."
  value       = module.pipeline.state_machine_arn
}

output "function_names" {
  description = "Lambda function name per function."
  value       = module.pipeline.function_names
}

output "incoming_bucket" {
  description = "Upload bucket: put documents under inbox_prefix to start an execution."
  value       = module.storage.incoming_bucket.name
}

output "documents_bucket" {
  description = "Originals, route entries and decision records."
  value       = module.storage.documents_bucket.name
}

output "artifacts_bucket" {
  description = "Lambda zips, docroute.config.yaml, CI artifacts."
  value       = module.storage.artifacts_bucket.name
}

output "store_table" {
  description = "DynamoDB store table (DOCROUTE_TABLE)."
  value       = module.audit.store_table.name
}

output "topic_arn" {
  description = "Notifications topic (batch summaries, alarms, approvals)."
  value       = module.notifications.topic_arn
}

output "key_arns" {
  description = "KMS key per classification."
  value       = module.keys.key_arns
}

output "dashboard_name" {
  description = "CloudWatch dashboard."
  value       = module.observability.dashboard_name
}

output "pipeline_name" {
  description = "The delivery pipeline, where this environment hosts it."
  value       = one(module.ci[*].pipeline_name)
}
