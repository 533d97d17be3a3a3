output "dashboard_name" {
  description = "Name of the CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}

output "alarm_names" {
  description = "Names of every alarm this module creates (each alarm_description ends with its runbook)."
  value = concat(
    [aws_cloudwatch_metric_alarm.executions_failed.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.lambda_throttles : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.dlq_depth : a.alarm_name],
    [aws_cloudwatch_metric_alarm.documents_held_too_long.alarm_name],
    [aws_cloudwatch_metric_alarm.textract_budget_exhausted.alarm_name],
  )
}

output "monitor_schedule_arn" {
  description = "ARN of the EventBridge Scheduler schedule that runs the Monitor task every 15 minutes."
  value       = aws_scheduler_schedule.monitor.arn
}

output "scheduler_role_arn" {
  description = "ARN of the role EventBridge Scheduler assumes to invoke the aggregate function."
  value       = aws_iam_role.scheduler.arn
}
