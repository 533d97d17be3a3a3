output "topic_arn" {
  description = "ARN of the CMK-encrypted notifications topic (DOCROUTE_TOPIC_ARN; alarm actions)."
  value       = aws_sns_topic.this.arn
}

output "topic_name" {
  description = "Name of the notifications topic."
  value       = aws_sns_topic.this.name
}

output "subscription_arns" {
  description = "Subscription ARNs keyed by \"<protocol>|<endpoint>\" (pending confirmation for email until confirmed)."
  value       = { for k, s in aws_sns_topic_subscription.this : k => s.arn }
}
