# docroute prod. Replace the account-specific values (marked) before the first apply.

region      = "eu-west-1"
environment = "prod"
# allowed_account_ids = ["<prod account id>"]
owner       = "docroute-team"
cost_center = "docroute"

key_deletion_window_in_days = 30

vpc_cidr = "10.42.0.0/16"
azs      = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]

# The store and rate tables cannot be deleted (not even by terraform destroy) until this is false.
deletion_protection = true

incoming_retention_days  = 30
documents_retention_days = 2557 # 7 years: the records-retention period for customer documents
noncurrent_days          = 30
log_retention_days       = 365

reserved_concurrency = {
  ingest           = 50
  extract          = 20
  classify         = 20
  "extract-fields" = 50
  validate         = 50
  route            = 50
  record           = 50
  aggregate        = 20
  notify           = 10
}

# About 80 % of the Region's StartDocumentAnalysis quota, minus what dev and staging take when
# they share the account (Service Quotas shows the quota; docs/aws.md, Quotas and the token bucket).
textract_tps   = 4
textract_burst = 5

held_hours_threshold        = 24
throttled_minutes_threshold = 10

# Notifications topic subscribers (batch summaries, alarms, approval requests).
# notification_subscriptions = [{ protocol = "email", endpoint = "docroute-ops@example.com" }]

# The delivery pipeline (module ci): Source -> Build -> Deploy dev -> Deploy staging -> Approval ->
# Deploy prod. Without connection_arn a connection is created; complete it once in the console.
delivery_pipeline = {
  repository = {
    id     = "your-org/docroute" # replace: owner/name of the repository
    branch = "main"
  }
  environments    = ["dev", "staging", "prod"]
  approval_before = ["prod"]
}
