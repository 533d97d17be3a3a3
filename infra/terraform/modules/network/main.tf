# A private-only VPC for the docroute Lambda functions.
#
# There is deliberately no aws_internet_gateway, aws_nat_gateway or aws_eip: nothing in the VPC can
# reach the internet. AWS APIs are reached through gateway endpoints (S3, DynamoDB) and interface
# endpoints (endpoints.tf); flow logs go to a CMK-encrypted log group (flow-logs.tf).

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  # One private subnet per AZ, numbered by the AZ's position in var.azs.
  subnet_index = { for i, az in var.azs : az => i }
}

resource "aws_vpc" "this" {
  cidr_block = var.cidr_block

  # Both are required for private DNS on interface endpoints.
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = merge(var.tags, { Name = "${var.name_prefix}-vpc" })
}

# Adopt the VPC's default security group and strip every rule from it, so nothing that falls back
# to the default group gets any connectivity.
resource "aws_default_security_group" "this" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name_prefix}-default-deny" })
}

resource "aws_subnet" "private" {
  for_each = local.subnet_index

  vpc_id                  = aws_vpc.this.id
  availability_zone       = each.key
  cidr_block              = cidrsubnet(var.cidr_block, var.subnet_newbits, each.value)
  map_public_ip_on_launch = false

  tags = merge(var.tags, {
    Name = "${var.name_prefix}-private-${each.key}"
    Tier = "private"
  })

  lifecycle {
    precondition {
      condition     = length(var.azs) <= pow(2, var.subnet_newbits) && tonumber(split("/", var.cidr_block)[1]) + var.subnet_newbits <= 28
      error_message = "cidr_block and subnet_newbits must leave room for one subnet per AZ, each no smaller than /28."
    }
  }
}

# A single route table for all private subnets: it only holds the VPC-local route and the routes
# the S3 and DynamoDB gateway endpoints add. No default route exists.
resource "aws_route_table" "private" {
  vpc_id = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name_prefix}-private" })
}

resource "aws_route_table_association" "private" {
  for_each = aws_subnet.private

  subnet_id      = each.value.id
  route_table_id = aws_route_table.private.id
}

# --- Security groups -----------------------------------------------------------------------------
# No inline rules: every rule is its own resource below, so the rule set is exactly what is listed
# here (Terraform also removes AWS's default allow-all egress rule from new groups).

resource "aws_security_group" "lambda" {
  name        = "${var.name_prefix}-lambda"
  description = "docroute Lambda functions: HTTPS egress to the VPC endpoints and the S3/DynamoDB prefix lists only"
  vpc_id      = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name_prefix}-lambda" })
}

resource "aws_security_group" "endpoints" {
  name        = "${var.name_prefix}-vpc-endpoints"
  description = "docroute interface VPC endpoints: HTTPS from the Lambda security group only"
  vpc_id      = aws_vpc.this.id

  tags = merge(var.tags, { Name = "${var.name_prefix}-vpc-endpoints" })
}

resource "aws_vpc_security_group_ingress_rule" "endpoints_https_from_lambda" {
  security_group_id            = aws_security_group.endpoints.id
  description                  = "HTTPS from the docroute Lambda functions"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.lambda.id

  tags = merge(var.tags, { Name = "${var.name_prefix}-endpoints-https-from-lambda" })
}

resource "aws_vpc_security_group_egress_rule" "lambda_https_to_endpoints" {
  security_group_id            = aws_security_group.lambda.id
  description                  = "HTTPS to the interface VPC endpoints"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.endpoints.id

  tags = merge(var.tags, { Name = "${var.name_prefix}-lambda-https-to-endpoints" })
}

resource "aws_vpc_security_group_egress_rule" "lambda_https_to_s3" {
  security_group_id = aws_security_group.lambda.id
  description       = "HTTPS to S3 through its gateway endpoint (AWS-managed prefix list)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  prefix_list_id    = aws_vpc_endpoint.s3.prefix_list_id

  tags = merge(var.tags, { Name = "${var.name_prefix}-lambda-https-to-s3" })
}

resource "aws_vpc_security_group_egress_rule" "lambda_https_to_dynamodb" {
  security_group_id = aws_security_group.lambda.id
  description       = "HTTPS to DynamoDB through its gateway endpoint (AWS-managed prefix list)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  prefix_list_id    = aws_vpc_endpoint.dynamodb.prefix_list_id

  tags = merge(var.tags, { Name = "${var.name_prefix}-lambda-https-to-dynamodb" })
}
