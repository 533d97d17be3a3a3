output "store_table" {
  description = "The store table (checkpoints, audit trail, ledger, decision chain): { name, arn }. Its index gsi1 is <arn>/index/gsi1."
  value = {
    name = aws_dynamodb_table.store.name
    arn  = aws_dynamodb_table.store.arn
  }
}

output "rate_table" {
  description = "The token-bucket table: { name, arn }."
  value = {
    name = aws_dynamodb_table.rate.name
    arn  = aws_dynamodb_table.rate.arn
  }
}

output "store_table_index_arns" {
  description = "ARNs of the store table's global secondary indexes (gsi1), for IAM policies that Query the index."
  value       = ["${aws_dynamodb_table.store.arn}/index/gsi1"]
}
