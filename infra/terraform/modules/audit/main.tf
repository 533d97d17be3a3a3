# The DynamoDB tables of the AWS production path.
#
# store: checkpoints, audit trail, ledger, decision chain. Its schema mirrors dynamoTableDefinition in
#        src/adapters/aws/dynamodb-store.ts exactly (pk/sk string keys, sparse GSI gsi1 on
#        gsi1pk/gsi1sk with projection ALL, on-demand billing); this file only adds what is
#        infrastructure's business: SSE with the restricted CMK (checkpoints hold document text, and
#        PITR backups inherit the table's key), point-in-time recovery, deletion protection.
#        If the TypeScript definition changes, change this table in the same commit.
# rate:  the Textract token bucket (RATE#<key> / BUCKET items); same pk/sk schema, internal CMK.

resource "aws_dynamodb_table" "store" {
  name         = "${var.name_prefix}-store"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "pk"
  range_key    = "sk"

  attribute {
    name = "pk"
    type = "S"
  }

  attribute {
    name = "sk"
    type = "S"
  }

  attribute {
    name = "gsi1pk"
    type = "S"
  }

  attribute {
    name = "gsi1sk"
    type = "S"
  }

  global_secondary_index {
    name            = "gsi1"
    hash_key        = "gsi1pk"
    range_key       = "gsi1sk"
    projection_type = "ALL"
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.key_arns["restricted"]
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  deletion_protection_enabled = var.deletion_protection

  tags = merge(var.tags, {
    Name               = "${var.name_prefix}-store"
    DataClassification = "restricted"
  })
}

resource "aws_dynamodb_table" "rate" {
  name         = "${var.name_prefix}-rate"
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "pk"
  range_key    = "sk"

  attribute {
    name = "pk"
    type = "S"
  }

  attribute {
    name = "sk"
    type = "S"
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.key_arns["internal"]
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery
  }

  deletion_protection_enabled = var.deletion_protection

  tags = merge(var.tags, {
    Name               = "${var.name_prefix}-rate"
    DataClassification = "internal"
  })
}
