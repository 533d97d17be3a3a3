# docroute staging. Replace the account-specific values (marked) before the first apply.

region      = "eu-west-1"
environment = "staging"
# allowed_account_ids = ["<staging account id>"]
owner       = "docroute-team"
cost_center = "docroute"

key_deletion_window_in_days = 14

vpc_cidr = "10.41.0.0/16"
azs      = ["eu-west-1a", "eu-west-1b"]

deletion_protection = false

incoming_retention_days  = 14
documents_retention_days = 90
noncurrent_days          = 14
log_retention_days       = 30

reserved_concurrency = {
  ingest           = 10
  extract          = 10
  classify         = 10
  "extract-fields" = 10
  validate         = 10
  route            = 10
  record           = 10
  aggregate        = 5
  notify           = 5
}

textract_tps   = 1
textract_burst = 2

held_hours_threshold        = 48
throttled_minutes_threshold = 15

# The delivery pipeline lives in prod.
delivery_pipeline = null
