output "pipeline_name" {
  description = "Name of the delivery pipeline."
  value       = aws_codepipeline.this.name
}

output "connection_arn" {
  description = "The source connection (created here when repository.connection_arn was null: complete it once in the console)."
  value       = local.connection_arn
}

output "deploy_role_arns" {
  description = "Role each environment's deploy assumes (created at bootstrap, outside this module)."
  value       = local.deploy_role_arns
}
