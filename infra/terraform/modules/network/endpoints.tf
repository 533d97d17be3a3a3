# VPC endpoints: gateway endpoints for S3 and DynamoDB (always), interface endpoints with private
# DNS for every service in var.interface_endpoint_services.
#
# Endpoint policies (one aws_iam_policy_document per service, endpoint-policies.tf): only principals
# of this account (aws:PrincipalAccount) may use an endpoint, only for the actions the functions and
# the platform make, and only on resources of this account and Region where the service has
# resource-level permissions (Resource "*" only for Textract's async APIs, X-Ray, and
# cloudwatch:PutMetricData with a namespace condition). The functions' IAM policies remain the
# least-privilege boundary; the endpoint policies are the network perimeter that stops foreign
# credentials, and calls to other accounts' resources, from using this VPC's private path to AWS.

locals {
  # Interface endpoint policy documents by service. A service listed in
  # var.interface_endpoint_services must have an entry here (or be listed in
  # var.services_without_endpoint_policy): see the precondition below.
  interface_endpoint_policies = {
    textract          = data.aws_iam_policy_document.textract_endpoint.json
    "bedrock-runtime" = data.aws_iam_policy_document.bedrock_runtime_endpoint.json
    states            = data.aws_iam_policy_document.states_endpoint.json
    lambda            = data.aws_iam_policy_document.lambda_endpoint.json
    sns               = data.aws_iam_policy_document.sns_endpoint.json
    events            = data.aws_iam_policy_document.events_endpoint.json
    kms               = data.aws_iam_policy_document.kms_endpoint.json
    logs              = data.aws_iam_policy_document.logs_endpoint.json
    monitoring        = data.aws_iam_policy_document.monitoring_endpoint.json
    xray              = data.aws_iam_policy_document.xray_endpoint.json
    sts               = data.aws_iam_policy_document.sts_endpoint.json
    sqs               = data.aws_iam_policy_document.sqs_endpoint.json
  }
}

# --- Gateway endpoints (route-table based; no security group, no DNS) ----------------------------

resource "aws_vpc_endpoint" "s3" {
  vpc_id            = aws_vpc.this.id
  service_name      = "com.amazonaws.${local.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = [aws_route_table.private.id]
  policy            = data.aws_iam_policy_document.s3_endpoint.json

  tags = merge(var.tags, { Name = "${var.name_prefix}-s3-gateway" })
}

resource "aws_vpc_endpoint" "dynamodb" {
  vpc_id            = aws_vpc.this.id
  service_name      = "com.amazonaws.${local.region}.dynamodb"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = [aws_route_table.private.id]
  policy            = data.aws_iam_policy_document.dynamodb_endpoint.json

  tags = merge(var.tags, { Name = "${var.name_prefix}-dynamodb-gateway" })
}

# --- Interface endpoints ------------------------------------------------------------------------

resource "aws_vpc_endpoint" "interface" {
  for_each = setsubtract(toset(var.interface_endpoint_services), toset(var.services_without_endpoint_policy))

  vpc_id              = aws_vpc.this.id
  service_name        = "com.amazonaws.${local.region}.${each.key}"
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
  subnet_ids          = [for az in var.azs : aws_subnet.private[az].id]
  security_group_ids  = [aws_security_group.endpoints.id]
  policy              = local.interface_endpoint_policies[each.key]

  tags = merge(var.tags, { Name = "${var.name_prefix}-${each.key}" })

  lifecycle {
    precondition {
      condition     = contains(keys(local.interface_endpoint_policies), each.key)
      error_message = "modules/network has no endpoint policy for interface endpoint service \"${each.key}\": add an aws_iam_policy_document for it in endpoint-policies.tf, or list the service in services_without_endpoint_policy if it only accepts the full-access policy."
    }
  }
}

# Escape hatch for services that reject custom endpoint policies. Empty by default; such endpoints
# keep AWS's full-access policy, and the security groups still admit only the Lambda functions.
resource "aws_vpc_endpoint" "interface_default_policy" {
  for_each = toset(var.services_without_endpoint_policy)

  vpc_id              = aws_vpc.this.id
  service_name        = "com.amazonaws.${local.region}.${each.key}"
  vpc_endpoint_type   = "Interface"
  private_dns_enabled = true
  subnet_ids          = [for az in var.azs : aws_subnet.private[az].id]
  security_group_ids  = [aws_security_group.endpoints.id]

  tags = merge(var.tags, { Name = "${var.name_prefix}-${each.key}" })

  lifecycle {
    precondition {
      condition     = contains(var.interface_endpoint_services, each.key)
      error_message = "services_without_endpoint_policy lists \"${each.key}\", which is not in interface_endpoint_services."
    }
  }
}
