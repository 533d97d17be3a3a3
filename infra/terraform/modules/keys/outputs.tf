output "key_arns" {
  description = "Key ARN by classification (restricted, confidential, internal, public)."
  value       = { for c, k in aws_kms_key.this : c => k.arn }
}

output "key_ids" {
  description = "Key ID by classification."
  value       = { for c, k in aws_kms_key.this : c => k.key_id }
}

output "alias_names" {
  description = "Alias name by classification (alias/<name_prefix>-<classification>)."
  value       = { for c, a in aws_kms_alias.this : c => a.name }
}

output "alias_arns" {
  description = "Alias ARN by classification."
  value       = { for c, a in aws_kms_alias.this : c => a.arn }
}
