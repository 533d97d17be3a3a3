# Each bucket is handed out only once it is fully guarded (default encryption, bucket policy,
# public-access block): the depends_on below keep dependent modules from writing to a bucket
# before its encryption and policy apply.

output "incoming_bucket" {
  description = "The upload bucket (SSE-KMS, restricted key; EventBridge notifications on): { name, arn }."
  value = {
    name = aws_s3_bucket.kms["incoming"].bucket
    arn  = aws_s3_bucket.kms["incoming"].arn
  }

  depends_on = [
    aws_s3_bucket_server_side_encryption_configuration.kms,
    aws_s3_bucket_policy.kms,
    aws_s3_bucket_public_access_block.kms,
    aws_s3_bucket_notification.incoming,
  ]
}

output "documents_bucket" {
  description = "Originals, route entries and decision records (SSE-KMS, restricted key): { name, arn }."
  value = {
    name = aws_s3_bucket.kms["documents"].bucket
    arn  = aws_s3_bucket.kms["documents"].arn
  }

  depends_on = [
    aws_s3_bucket_server_side_encryption_configuration.kms,
    aws_s3_bucket_policy.kms,
    aws_s3_bucket_public_access_block.kms,
  ]
}

output "artifacts_bucket" {
  description = "Lambda zips, docroute.config.yaml and CI artifacts (SSE-KMS, internal key): { name, arn }."
  value = {
    name = aws_s3_bucket.kms["artifacts"].bucket
    arn  = aws_s3_bucket.kms["artifacts"].arn
  }

  depends_on = [
    aws_s3_bucket_server_side_encryption_configuration.kms,
    aws_s3_bucket_policy.kms,
    aws_s3_bucket_public_access_block.kms,
  ]
}

output "logs_bucket" {
  description = "S3 server access logs of the other three buckets (SSE-S3, the allow-listed exception): { name, arn }."
  value = {
    name = aws_s3_bucket.logs.bucket
    arn  = aws_s3_bucket.logs.arn
  }

  depends_on = [
    aws_s3_bucket_server_side_encryption_configuration.logs,
    aws_s3_bucket_policy.logs,
    aws_s3_bucket_public_access_block.logs,
  ]
}
