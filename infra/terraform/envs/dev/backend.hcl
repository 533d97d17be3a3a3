# S3 backend of docroute dev (partial configuration of main.tf's backend "s3" {}):
#   terraform -chdir=infra/terraform/envs/dev init -backend-config=backend.hcl
# The bucket and the lock table are created once per account at bootstrap (infra/terraform/README.md).
bucket         = "docroute-tfstate-ACCOUNT_ID" # replace ACCOUNT_ID
key            = "docroute/dev/terraform.tfstate"
region         = "eu-west-1"
dynamodb_table = "docroute-tfstate-lock"
encrypt        = true
