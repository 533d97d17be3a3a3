output "vpc_id" {
  description = "ID of the private-only VPC."
  value       = aws_vpc.this.id
}

output "private_subnet_ids" {
  description = "IDs of the private subnets, one per AZ, in the order of var.azs (for the Lambda vpc_config)."
  value       = [for az in var.azs : aws_subnet.private[az].id]
}

output "lambda_security_group_id" {
  description = "Security group for the Lambda functions: HTTPS egress to the endpoint security group and the S3/DynamoDB prefix lists only, no ingress."
  value       = aws_security_group.lambda.id
}

output "endpoint_security_group_id" {
  description = "Security group of the interface VPC endpoints: HTTPS ingress from the Lambda security group only."
  value       = aws_security_group.endpoints.id
}

output "private_route_table_id" {
  description = "ID of the route table shared by the private subnets (local route and gateway endpoint routes only)."
  value       = aws_route_table.private.id
}

output "interface_endpoint_ids" {
  description = "Interface VPC endpoint IDs by service name."
  value = merge(
    { for svc, ep in aws_vpc_endpoint.interface : svc => ep.id },
    { for svc, ep in aws_vpc_endpoint.interface_default_policy : svc => ep.id },
  )
}

output "gateway_endpoint_ids" {
  description = "Gateway VPC endpoint IDs (s3, dynamodb)."
  value = {
    s3       = aws_vpc_endpoint.s3.id
    dynamodb = aws_vpc_endpoint.dynamodb.id
  }
}

output "gateway_prefix_list_ids" {
  description = "AWS-managed prefix list IDs of the gateway endpoint services (s3, dynamodb)."
  value = {
    s3       = aws_vpc_endpoint.s3.prefix_list_id
    dynamodb = aws_vpc_endpoint.dynamodb.prefix_list_id
  }
}

output "flow_log_group_name" {
  description = "Name of the CMK-encrypted CloudWatch Logs group that receives the VPC flow logs."
  value       = aws_cloudwatch_log_group.flow_logs.name
}
