variable "name_prefix" {
  description = "Prefix for every name this module creates, e.g. docroute-dev."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-32 characters of lowercase letters, digits and hyphens, start with a letter and end with a letter or digit."
  }
}

variable "tags" {
  description = "Tags set on every taggable resource (merged with a Name tag where useful)."
  type        = map(string)
  default     = {}
}

variable "cidr_block" {
  description = "IPv4 CIDR block of the VPC, e.g. 10.40.0.0/16. The private subnets are carved out of it with cidrsubnet()."
  type        = string

  validation {
    condition     = can(cidrhost(var.cidr_block, 0)) && can(regex("^[0-9.]+/[0-9]+$", var.cidr_block))
    error_message = "cidr_block must be a valid IPv4 CIDR block."
  }

  validation {
    condition     = can(regex("/(1[6-9]|2[0-4])$", var.cidr_block))
    error_message = "cidr_block must be between /16 and /24 (VPC limits; room for one subnet per AZ)."
  }
}

variable "azs" {
  description = "Availability Zones (names, e.g. eu-west-1a) that get one private subnet each. Lambda functions and interface endpoints are spread over all of them."
  type        = list(string)

  validation {
    condition     = length(var.azs) >= 2 && length(var.azs) == length(distinct(var.azs))
    error_message = "azs must list at least two distinct Availability Zones (Lambda in a VPC and the interface endpoints need more than one AZ to stay available)."
  }
}

variable "subnet_newbits" {
  description = "Bits added to the VPC prefix for each private subnet (cidrsubnet newbits). 4 turns a /16 into /20 subnets."
  type        = number
  default     = 4

  validation {
    condition     = var.subnet_newbits >= 1 && var.subnet_newbits <= 8 && floor(var.subnet_newbits) == var.subnet_newbits
    error_message = "subnet_newbits must be an integer between 1 and 8."
  }
}

variable "interface_endpoint_services" {
  description = "AWS services reached through interface VPC endpoints (the last part of com.amazonaws.<region>.<service>). The default covers every service the functions call; S3 and DynamoDB always get gateway endpoints and must not be listed here."
  type        = list(string)
  default = [
    "textract",
    "bedrock-runtime",
    "states",
    "lambda",
    "sns",
    "events",
    "kms",
    "logs",
    "monitoring",
    "xray",
    "sts",
    "sqs",
  ]

  validation {
    condition     = alltrue([for s in var.interface_endpoint_services : can(regex("^[a-z0-9][a-z0-9.-]*[a-z0-9]$", s))])
    error_message = "Each interface endpoint service must be a service name such as textract or bedrock-runtime."
  }

  validation {
    condition     = length(var.interface_endpoint_services) == length(distinct(var.interface_endpoint_services))
    error_message = "interface_endpoint_services must not contain duplicates."
  }

  validation {
    condition     = !contains(var.interface_endpoint_services, "s3") && !contains(var.interface_endpoint_services, "dynamodb")
    error_message = "s3 and dynamodb are always reached through gateway endpoints; do not list them as interface endpoints."
  }
}

variable "metrics_namespaces" {
  description = "CloudWatch metric namespaces that PutMetricData through the monitoring endpoint may write to (the endpoint policy's cloudwatch:namespace condition)."
  type        = list(string)
  default     = ["docroute"]

  validation {
    condition     = length(var.metrics_namespaces) > 0 && alltrue([for n in var.metrics_namespaces : length(n) > 0 && !startswith(n, "AWS/")])
    error_message = "metrics_namespaces must be a non-empty list of custom namespaces (AWS/ namespaces are reserved)."
  }
}

variable "services_without_endpoint_policy" {
  description = "Interface endpoint services (also listed in interface_endpoint_services) that reject custom endpoint policies (EC2 answers \"only supports the full-access endpoint policy\"). Their endpoints keep AWS's full-access policy and stay reachable only from the Lambda security group. Empty by default: every default service is expected to accept a policy."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.services_without_endpoint_policy) == length(distinct(var.services_without_endpoint_policy))
    error_message = "services_without_endpoint_policy must not contain duplicates."
  }
}

variable "key_arns" {
  description = "KMS key ARN by data classification (output key_arns of module keys). The VPC flow log group is encrypted with key_arns[\"confidential\"]."
  type        = map(string)

  validation {
    condition     = contains(keys(var.key_arns), "confidential")
    error_message = "key_arns must contain the \"confidential\" key."
  }

  validation {
    condition     = alltrue([for k in values(var.key_arns) : can(regex("^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", k))])
    error_message = "Every key_arns value must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), not an alias."
  }
}

variable "flow_logs_retention_days" {
  description = "Retention of the VPC flow log group, in days."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 3653], var.flow_logs_retention_days)
    error_message = "flow_logs_retention_days must be a retention period CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827 or 3653)."
  }
}

variable "flow_logs_traffic_type" {
  description = "Which traffic the VPC flow log records: ACCEPT, REJECT or ALL."
  type        = string
  default     = "ALL"

  validation {
    condition     = contains(["ACCEPT", "REJECT", "ALL"], var.flow_logs_traffic_type)
    error_message = "flow_logs_traffic_type must be ACCEPT, REJECT or ALL."
  }
}

variable "flow_logs_max_aggregation_interval" {
  description = "Maximum aggregation interval of flow log records, in seconds (60 or 600)."
  type        = number
  default     = 600

  validation {
    condition     = contains([60, 600], var.flow_logs_max_aggregation_interval)
    error_message = "flow_logs_max_aggregation_interval must be 60 or 600."
  }
}
