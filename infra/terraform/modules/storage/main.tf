# Storage: the four S3 buckets of the AWS production path (docs/aws.md).
#
#   incoming   uploads (inbox/), customer documents            SSE-KMS, restricted key
#   documents  originals/<sha256>, routes/{pass,hold,reject}/  SSE-KMS, restricted key
#   artifacts  Lambda zips, docroute.config.yaml, CI artifacts SSE-KMS, internal key
#   logs       S3 server access logs of the three above        SSE-S3 (the allow-listed exception)
#
# Every bucket: versioning, all four public-access blocks, BucketOwnerEnforced (no ACLs), a bucket
# policy that refuses plain HTTP and TLS < 1.2, and lifecycle rules. The three KMS buckets also
# refuse puts that ask for another encryption or another key (see kms_bucket policy below).

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name

  # Bucket names are global: the account and region make them unique without a random suffix, so
  # a name can be derived (runbooks, IAM) from name_prefix alone.
  name_suffix = "${local.account_id}-${local.region}"

  # The SSE-KMS buckets and their data classification (CONTRACT.md: classification → key).
  kms_buckets = {
    incoming = {
      classification = "restricted"
      purpose        = "Uploads to be routed (customer documents)"
    }
    documents = {
      classification = "restricted"
      purpose        = "Content-addressed originals, route entries and decision records (customer documents)"
    }
    artifacts = {
      classification = "internal"
      purpose        = "Lambda zips, docroute.config.yaml and CI artifacts"
    }
  }

  # Server access logs land under <prefix><source bucket>/ in the logs bucket.
  access_log_prefix = "s3-access/"
}

# ------------------------------------------------------------------------------------------------
# The SSE-KMS buckets: incoming, documents, artifacts.

resource "aws_s3_bucket" "kms" {
  for_each = local.kms_buckets

  bucket = "${var.name_prefix}-${each.key}-${local.name_suffix}"

  # Never delete a bucket that still holds objects: customer documents and the audit's originals.
  force_destroy = false

  tags = merge(var.tags, {
    Name               = "${var.name_prefix}-${each.key}"
    Purpose            = each.value.purpose
    DataClassification = each.value.classification
  })
}

resource "aws_s3_bucket_ownership_controls" "kms" {
  for_each = local.kms_buckets

  bucket = aws_s3_bucket.kms[each.key].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "kms" {
  for_each = local.kms_buckets

  bucket = aws_s3_bucket.kms[each.key].id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "kms" {
  for_each = local.kms_buckets

  bucket = aws_s3_bucket.kms[each.key].id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "kms" {
  for_each = local.kms_buckets

  bucket = aws_s3_bucket.kms[each.key].id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.key_arns[each.value.classification]
    }
    # One data key per bucket instead of one KMS call per object: cheaper, and far below the KMS
    # request quota when a bulk load lands in inbox/.
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_logging" "kms" {
  for_each = local.kms_buckets

  bucket        = aws_s3_bucket.kms[each.key].id
  target_bucket = aws_s3_bucket.logs.id
  target_prefix = "${local.access_log_prefix}${aws_s3_bucket.kms[each.key].id}/"

  # The logs bucket must let the logging service write before logging is switched on.
  depends_on = [aws_s3_bucket_policy.logs]
}

# Bucket policy of the KMS buckets. Deny-only: access is granted by the roles' own policies
# (module pipeline, module ci), never by a bucket-policy Allow.
#
# How the pipeline's writes look (src/adapters/aws/s3-object-store.ts, s3-route-sink.ts): Admit's
# server-side copy inbox/ → originals/, Route's copy originals/ → routes/ and its PutObject of the
# decision record all send `x-amz-server-side-encryption: aws:kms` and
# `x-amz-server-side-encryption-aws-kms-key-id: <key ARN>` (DOCROUTE_KMS_DOCUMENTS_KEY /
# DOCROUTE_KMS_RESULTS_KEY, both the restricted key's ARN). CopyObject is authorised as
# s3:PutObject on the destination with the same condition keys, so copies and puts pass the same
# statements below.
#
# Why the encryption statements use ...IfExists: UploadPart and CompleteMultipartUpload are also
# authorised as s3:PutObject but carry no SSE headers (only CreateMultipartUpload does). A plain
# StringNotEquals treats the absent header as "not aws:kms" and would refuse every multipart
# upload, e.g. `aws s3 cp` of a file over 8 MB into inbox/. A put without SSE headers gets the
# bucket's default encryption, which is this bucket's key (above), so it cannot end up under
# another key. The one header combination that would (aws:kms without a key id: S3 then uses the
# AWS managed aws/s3 key, not the bucket default) is refused by DenyKmsWithoutKeyId.
data "aws_iam_policy_document" "kms_bucket" {
  for_each = local.kms_buckets

  # "s3:*" in a Deny: refuse every request over plain HTTP (AWS Config rule
  # s3-bucket-ssl-requests-only looks for exactly this statement). Not a grant.
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.kms[each.key].arn,
      "${aws_s3_bucket.kms[each.key].arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  statement {
    sid     = "DenyOutdatedTls"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.kms[each.key].arn,
      "${aws_s3_bucket.kms[each.key].arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "NumericLessThan"
      variable = "s3:TlsVersion"
      values   = ["1.2"]
    }
  }

  # A put (or copy, or CreateMultipartUpload) that asks for SSE-S3, DSSE-KMS or anything but aws:kms.
  statement {
    sid       = "DenyNonKmsEncryption"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.kms[each.key].arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "StringNotEqualsIfExists"
      variable = "s3:x-amz-server-side-encryption"
      values   = ["aws:kms"]
    }
  }

  # A put that names a key other than this bucket's. The condition compares strings: writers must
  # send the key ARN (not its id or an alias), as the pipeline's DOCROUTE_KMS_* variables do.
  statement {
    sid       = "DenyOtherKmsKey"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.kms[each.key].arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "StringNotEqualsIfExists"
      variable = "s3:x-amz-server-side-encryption-aws-kms-key-id"
      values   = [var.key_arns[each.value.classification]]
    }
  }

  # aws:kms without a key id: S3 would use the AWS managed key aws/s3, not this bucket's key.
  statement {
    sid       = "DenyKmsWithoutKeyId"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.kms[each.key].arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "StringEquals"
      variable = "s3:x-amz-server-side-encryption"
      values   = ["aws:kms"]
    }

    condition {
      test     = "Null"
      variable = "s3:x-amz-server-side-encryption-aws-kms-key-id"
      values   = ["true"]
    }
  }
}

resource "aws_s3_bucket_policy" "kms" {
  for_each = local.kms_buckets

  bucket = aws_s3_bucket.kms[each.key].id
  policy = data.aws_iam_policy_document.kms_bucket[each.key].json

  # A policy put while the public-access block is still being created can race with it.
  depends_on = [aws_s3_bucket_public_access_block.kms]
}

# ------------------------------------------------------------------------------------------------
# Lifecycle. Every bucket: noncurrent versions expire after noncurrent_days, delete markers left
# without versions are removed, incomplete multipart uploads are aborted.

resource "aws_s3_bucket_lifecycle_configuration" "incoming" {
  bucket = aws_s3_bucket.kms["incoming"].id

  # Uploads are transient: Admit copies each one to documents/originals/<sha256> (the upload itself
  # is never modified), so an upload older than incoming_retention_days has either been admitted or
  # was never a document (SkipObject leaves it where it was uploaded). Objects that never started an
  # execution (events DLQ) must be redriven before this expiry: docs/runbooks/dlq-depth.md.
  rule {
    id     = "expire-uploads"
    status = "Enabled"

    filter {}

    expiration {
      days = var.incoming_retention_days
    }
  }

  rule {
    id     = "expire-noncurrent-and-abort-multipart"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_upload_days
    }
  }

  rule {
    id     = "remove-expired-delete-markers"
    status = "Enabled"

    filter {}

    expiration {
      expired_object_delete_marker = true
    }
  }

  # Lifecycle rules on noncurrent versions need versioning first.
  depends_on = [aws_s3_bucket_versioning.kms]
}

resource "aws_s3_bucket_lifecycle_configuration" "documents" {
  bucket = aws_s3_bucket.kms["documents"].id

  # The records-retention period of customer documents (originals and route entries). The DynamoDB
  # audit trail outlives them: after this expiry a document's timeline is still complete, but a
  # replay or review that needs the original fails with ArtifactMissingError.
  rule {
    id     = "expire-documents"
    status = "Enabled"

    filter {}

    expiration {
      days = var.documents_retention_days
    }
  }

  rule {
    id     = "expire-noncurrent-and-abort-multipart"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_upload_days
    }
  }

  rule {
    id     = "remove-expired-delete-markers"
    status = "Enabled"

    filter {}

    expiration {
      expired_object_delete_marker = true
    }
  }

  depends_on = [aws_s3_bucket_versioning.kms]
}

resource "aws_s3_bucket_lifecycle_configuration" "artifacts" {
  bucket = aws_s3_bucket.kms["artifacts"].id

  # Current objects stay (the deployed zips and the config every function reads); replaced ones go.
  rule {
    id     = "expire-noncurrent-and-abort-multipart"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_upload_days
    }
  }

  rule {
    id     = "remove-expired-delete-markers"
    status = "Enabled"

    filter {}

    expiration {
      expired_object_delete_marker = true
    }
  }

  depends_on = [aws_s3_bucket_versioning.kms]
}

# ------------------------------------------------------------------------------------------------
# EventBridge notifications: every event of the incoming bucket goes to the default event bus,
# where module events' rule picks Object Created in the inbox prefix.

resource "aws_s3_bucket_notification" "incoming" {
  bucket      = aws_s3_bucket.kms["incoming"].id
  eventbridge = true
}

# ------------------------------------------------------------------------------------------------
# The access-log bucket.
#
# EXCEPTION (allow-listed in tests/infra with this reason): SSE-S3, not SSE-KMS. S3 server access
# logging cannot deliver to a bucket whose default encryption is SSE-KMS; SSE-S3 is the only
# default encryption it supports. The logs hold request metadata (object keys, requesters), not
# document content; they are kept private by the same public-access block, ownership controls
# and TLS-only policy as the other buckets.

resource "aws_s3_bucket" "logs" {
  bucket        = "${var.name_prefix}-logs-${local.name_suffix}"
  force_destroy = false

  tags = merge(var.tags, {
    Name               = "${var.name_prefix}-logs"
    Purpose            = "S3 server access logs of the incoming, documents and artifacts buckets"
    DataClassification = "confidential"
  })
}

resource "aws_s3_bucket_ownership_controls" "logs" {
  bucket = aws_s3_bucket.logs.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "logs" {
  bucket = aws_s3_bucket.logs.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "logs" {
  bucket = aws_s3_bucket.logs.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id

  rule {
    apply_server_side_encryption_by_default {
      # SSE-S3: see the EXCEPTION note above.
      sse_algorithm = "AES256"
    }
  }
}

data "aws_iam_policy_document" "logs" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.logs.arn,
      "${aws_s3_bucket.logs.arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  # With BucketOwnerEnforced there are no ACLs: the logging service is granted by policy, for our
  # three buckets and this account only.
  statement {
    sid       = "AllowS3ServerAccessLogDelivery"
    effect    = "Allow"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.logs.arn}/${local.access_log_prefix}*"]

    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [for b in aws_s3_bucket.kms : b.arn]
    }
  }

  # Log objects get the bucket default (SSE-S3); nobody may ask for anything else.
  statement {
    sid       = "DenyNonS3ManagedEncryption"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.logs.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "StringNotEqualsIfExists"
      variable = "s3:x-amz-server-side-encryption"
      values   = ["AES256"]
    }
  }
}

resource "aws_s3_bucket_policy" "logs" {
  bucket = aws_s3_bucket.logs.id
  policy = data.aws_iam_policy_document.logs.json

  depends_on = [aws_s3_bucket_public_access_block.logs]
}

resource "aws_s3_bucket_lifecycle_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id

  rule {
    id     = "expire-access-logs"
    status = "Enabled"

    filter {}

    expiration {
      days = var.access_log_retention_days
    }
  }

  rule {
    id     = "expire-noncurrent-and-abort-multipart"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_upload_days
    }
  }

  rule {
    id     = "remove-expired-delete-markers"
    status = "Enabled"

    filter {}

    expiration {
      expired_object_delete_marker = true
    }
  }

  depends_on = [aws_s3_bucket_versioning.logs]
}
