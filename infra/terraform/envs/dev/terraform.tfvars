# docroute dev. Replace the account-specific values (marked) before the first apply.

region      = "eu-west-1"
environment = "dev"
# allowed_account_ids = ["<dev account id>"]
owner       = "docroute-team"
cost_center = "docroute"

key_deletion_window_in_days = 7

vpc_cidr = "10.40.0.0/16"
azs      = ["eu-west-1a", "eu-west-1b"]

deletion_protection = false

incoming_retention_days  = 7
documents_retention_days = 30
noncurrent_days          = 7
log_retention_days       = 14

# Small caps: dev shares the account's concurrency (and, in one account, Textract's quota).
reserved_concurrency = {
  ingest           = 5
  extract          = 5
  classify         = 5
  "extract-fields" = 5
  validate         = 5
  route            = 5
  record           = 5
  aggregate        = 2
  notify           = 2
}

textract_tps   = 1
textract_burst = 2

held_hours_threshold        = 72
throttled_minutes_threshold = 30

# The delivery pipeline lives in prod.
delivery_pipeline = null
