output "state_machine_arn" {
  description = "ARN of the state machine (the events module's target)."
  value       = aws_sfn_state_machine.this.arn
}

output "state_machine_name" {
  description = "Name of the state machine."
  value       = aws_sfn_state_machine.this.name
}

output "function_names" {
  description = "Lambda function name per function (ingest, extract, ...)."
  value       = { for fn in var.functions : fn => aws_lambda_function.fn[fn].function_name }
}

output "function_arns" {
  description = "Lambda function ARN per function."
  value       = { for fn in var.functions : fn => aws_lambda_function.fn[fn].arn }
}

output "dlq_arns" {
  description = "Dead-letter queue ARN per function."
  value       = { for fn in var.functions : fn => aws_sqs_queue.dlq[fn].arn }
}

output "dlq_names" {
  description = "Dead-letter queue name per function (CloudWatch's QueueName dimension)."
  value       = { for fn in var.functions : fn => aws_sqs_queue.dlq[fn].name }
}

output "log_group_names" {
  description = "Log group name per function."
  value       = { for fn in var.functions : fn => aws_cloudwatch_log_group.fn[fn].name }
}

output "state_machine_log_group_name" {
  description = "Log group of the state machine's execution history."
  value       = aws_cloudwatch_log_group.state_machine.name
}

output "role_arns" {
  description = "Execution role ARN per function, and the state machine's role under \"state-machine\"."
  value       = merge({ for fn in var.functions : fn => aws_iam_role.fn[fn].arn }, { "state-machine" = aws_iam_role.state_machine.arn })
}
