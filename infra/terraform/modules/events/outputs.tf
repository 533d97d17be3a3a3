output "rule_arn" {
  description = "ARN of the EventBridge rule that starts one execution per upload."
  value       = aws_cloudwatch_event_rule.object_created.arn
}

output "rule_name" {
  description = "Name of the EventBridge rule (for `aws events describe-rule` and the runbooks)."
  value       = aws_cloudwatch_event_rule.object_created.name
}

output "dlq_arn" {
  description = "ARN of the rule target's dead-letter queue: upload events that never started an execution. Pass it to module observability (in dlq_arns) so its depth is alarmed."
  value       = aws_sqs_queue.target_dlq.arn
}

output "dlq_name" {
  description = "Name of the rule target's dead-letter queue."
  value       = aws_sqs_queue.target_dlq.name
}

output "target_role_arn" {
  description = "ARN of the role EventBridge assumes to start executions."
  value       = aws_iam_role.target.arn
}
