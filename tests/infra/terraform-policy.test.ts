import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dynamoTableDefinition } from '../../src/adapters/aws/dynamodb-store.js';
import { FUNCTION_NAMES } from '../../src/orchestration/definition.js';
import {
  type AllowedDifference,
  type ClassificationPolicy,
  type EndpointNeed,
  type FunctionPermissions,
  type SseException,
  type StarResourceAllowance,
  type Violation,
  awsPackagesImported,
  checkAlarms,
  checkBucketsEncrypted,
  checkDefaultTags,
  checkEncryptedAtRest,
  checkEndpoints,
  checkEnvParity,
  checkEnvSettings,
  checkFunctionPermissions,
  checkIamStatements,
  checkIngressIsHttpsFromSecurityGroups,
  checkKeyClassifications,
  checkKeys,
  checkLambdas,
  checkLayout,
  checkModuleWiring,
  checkNoPublicAccess,
  checkStateMachine,
  checkTables,
  checkTags,
  checkVersions,
  endpointsNeeded,
  format,
  functionActions,
  functionDocuments,
  instancesOf,
  policyStatements,
} from './checks.js';
import { type TfModule, REPO_ROOT, dataSources, loadModel, resources } from './hcl.js';

/**
 * Policy as code for infra/terraform (CONTRACT.md). The modules are required: when they are
 * missing these tests fail, they never skip. Each check is a pure function from checks.ts; the
 * fixture tests at the bottom run the same functions on deliberately bad Terraform.
 */

const MODULES = ['network', 'keys', 'storage', 'audit', 'notifications', 'pipeline', 'events', 'observability', 'ci'] as const;
const ENVS = ['dev', 'staging', 'prod'] as const;

/** The single SSE-S3 bucket. */
const SSE_EXCEPTIONS: readonly SseException[] = [
  {
    output: 'logs_bucket',
    algorithm: 'AES256',
    reason: 'S3 server access logging cannot deliver to a bucket encrypted with SSE-KMS, so the access-log bucket uses SSE-S3',
  },
];

/** CONTRACT.md's classification table. */
const CLASSIFICATIONS: ClassificationPolicy = {
  byOutput: {
    incoming_bucket: 'restricted',
    documents_bucket: 'restricted',
    store_table: 'restricted',
    artifacts_bucket: 'internal',
    rate_table: 'internal',
  },
  byType: {
    aws_cloudwatch_log_group: 'confidential',
    aws_sns_topic: 'confidential',
    aws_sqs_queue: 'confidential',
    aws_lambda_function: 'internal',
    aws_codebuild_project: 'internal',
    aws_codepipeline: 'internal',
    aws_backup_vault: 'restricted',
  },
  requiredOutputs: {
    incoming_bucket: 'storage',
    documents_bucket: 'storage',
    artifacts_bucket: 'storage',
    logs_bucket: 'storage',
    store_table: 'audit',
    rate_table: 'audit',
  },
};

/** Actions that may have `resources = ["*"]`: they have no resource-level permissions. */
const STAR_RESOURCE_ALLOWED: Readonly<Record<string, StarResourceAllowance>> = {
  'textract:StartDocumentAnalysis': { reason: 'Textract async APIs have no resource-level permissions' },
  'textract:GetDocumentAnalysis': { reason: 'Textract async APIs have no resource-level permissions' },
  'xray:PutTraceSegments': { reason: 'X-Ray has no resource-level permissions' },
  'xray:PutTelemetryRecords': { reason: 'X-Ray has no resource-level permissions' },
  'ec2:CreateNetworkInterface': { reason: 'VPC Lambdas manage their ENIs; no resource-level scoping for this use' },
  'ec2:DescribeNetworkInterfaces': { reason: 'Describe* calls have no resource-level permissions' },
  'ec2:DeleteNetworkInterface': { reason: 'VPC Lambdas manage their ENIs; ENI ids are not known in advance' },
  'ec2:AssignPrivateIpAddresses': { reason: 'VPC Lambdas manage their ENIs; ENI ids are not known in advance' },
  'ec2:UnassignPrivateIpAddresses': { reason: 'VPC Lambdas manage their ENIs; ENI ids are not known in advance' },
  'cloudwatch:PutMetricData': {
    reason: 'metrics have no ARN; the namespace condition is the scope',
    requiresCondition: 'cloudwatch:namespace',
  },
  'logs:CreateLogDelivery': { reason: 'vended log delivery (Step Functions logging) has no resource-level permissions' },
  'logs:GetLogDelivery': { reason: 'vended log delivery (Step Functions logging) has no resource-level permissions' },
  'logs:UpdateLogDelivery': { reason: 'vended log delivery (Step Functions logging) has no resource-level permissions' },
  'logs:DeleteLogDelivery': { reason: 'vended log delivery (Step Functions logging) has no resource-level permissions' },
  'logs:ListLogDeliveries': { reason: 'vended log delivery (Step Functions logging) has no resource-level permissions' },
  'logs:PutResourcePolicy': { reason: 'account-level log resource policy used by vended log delivery' },
  'logs:DescribeResourcePolicies': { reason: 'account-level listing, no resource-level permissions' },
  'logs:DescribeLogGroups': { reason: 'account-level listing, no resource-level permissions' },
};

/** docs/aws.md, "Functions and their permissions". */
const FUNCTION_PERMISSIONS: FunctionPermissions = {
  common: [
    // The table and its gsi1 (TransactWriteItems is authorised per item as Put/Update/ConditionCheck).
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:Query',
    'dynamodb:ConditionCheckItem',
    // The table's key, the config object's key, the data keys of the buckets they touch.
    'kms:Decrypt',
    'kms:GenerateDataKey',
    'xray:PutTraceSegments',
    'xray:PutTelemetryRecords',
    'logs:CreateLogStream',
    'logs:PutLogEvents',
    'ec2:CreateNetworkInterface',
    'ec2:DescribeNetworkInterfaces',
    'ec2:DeleteNetworkInterface',
    'ec2:AssignPrivateIpAddresses',
    'ec2:UnassignPrivateIpAddresses',
    // The function's dead-letter queue.
    'sqs:SendMessage',
    // DOCROUTE_CONFIG_URI: every function reads docroute.config.yaml.
    's3:GetObject',
  ],
  extra: {
    ingest: ['s3:GetObject', 's3:GetObjectVersion', 's3:PutObject', 's3:DeleteObject', 's3:ListBucket'],
    extract: ['textract:StartDocumentAnalysis', 'textract:GetDocumentAnalysis', 's3:GetObject'],
    classify: ['bedrock:InvokeModel'],
    'extract-fields': [],
    validate: [],
    route: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 'events:PutEvents'],
    record: [],
    aggregate: [],
    notify: ['sns:Publish'],
  },
};

const gateway = (service: string): EndpointNeed => ({ service, type: 'Gateway' });
const iface = (service: string): EndpointNeed => ({ service, type: 'Interface' });

/** Package → the VPC endpoints its calls go through. Every AWS package the Lambda code imports must be here. */
const ENDPOINTS_BY_PACKAGE: Readonly<Record<string, readonly EndpointNeed[]>> = {
  '@aws-sdk/client-s3': [gateway('s3')],
  '@aws-sdk/lib-storage': [gateway('s3')],
  '@aws-sdk/client-dynamodb': [gateway('dynamodb')],
  '@aws-sdk/lib-dynamodb': [gateway('dynamodb')],
  '@aws-sdk/client-textract': [iface('textract')],
  '@aws-sdk/client-bedrock-runtime': [iface('bedrock-runtime')],
  '@aws-sdk/client-sns': [iface('sns')],
  '@aws-sdk/client-eventbridge': [iface('events')],
  '@aws-sdk/client-sfn': [iface('states')],
  '@aws-sdk/client-sqs': [iface('sqs')],
  '@aws-sdk/client-kms': [iface('kms')],
  '@aws-sdk/client-sts': [iface('sts')],
  '@aws-sdk/client-lambda': [iface('lambda')],
  '@aws-sdk/client-cloudwatch': [iface('monitoring')],
  '@aws-sdk/client-cloudwatch-logs': [iface('logs')],
  '@aws-lambda-powertools/tracer': [iface('xray')],
  // Logger and Metrics (EMF) write to stdout; the Lambda service ships it to CloudWatch Logs.
  '@aws-lambda-powertools/logger': [iface('logs')],
  '@aws-lambda-powertools/metrics': [iface('logs')],
  // Types only: no calls.
  '@aws-sdk/types': [],
};

/** What the platform needs in a VPC without egress, whatever the code imports. */
const PLATFORM_ENDPOINTS: readonly EndpointNeed[] = ['logs', 'monitoring', 'xray', 'sts', 'kms', 'lambda', 'states', 'sqs'].map(iface);

/** Resource types that take `tags` (and so must set var.tags) ... */
const TAGGABLE = new Set([
  'aws_s3_bucket',
  'aws_s3_object',
  'aws_kms_key',
  'aws_dynamodb_table',
  'aws_sns_topic',
  'aws_sqs_queue',
  'aws_lambda_function',
  'aws_lambda_event_source_mapping',
  'aws_iam_role',
  'aws_iam_policy',
  'aws_iam_instance_profile',
  'aws_cloudwatch_log_group',
  'aws_cloudwatch_metric_alarm',
  'aws_cloudwatch_composite_alarm',
  'aws_cloudwatch_event_rule',
  'aws_cloudwatch_event_bus',
  'aws_sfn_state_machine',
  'aws_vpc',
  'aws_subnet',
  'aws_route_table',
  'aws_network_acl',
  'aws_default_network_acl',
  'aws_default_route_table',
  'aws_default_security_group',
  'aws_security_group',
  'aws_vpc_security_group_ingress_rule',
  'aws_vpc_security_group_egress_rule',
  'aws_vpc_endpoint',
  'aws_flow_log',
  'aws_codebuild_project',
  'aws_codebuild_report_group',
  'aws_codepipeline',
  'aws_codestarconnections_connection',
  'aws_backup_vault',
  'aws_backup_plan',
  'aws_scheduler_schedule_group',
]);

/** ... and the ones that do not (listed, so a new type must be classified here before it passes). */
const UNTAGGABLE = new Set([
  'aws_kms_alias',
  'aws_kms_key_policy',
  'aws_kms_grant',
  'aws_s3_bucket_policy',
  'aws_s3_bucket_public_access_block',
  'aws_s3_bucket_server_side_encryption_configuration',
  'aws_s3_bucket_versioning',
  'aws_s3_bucket_lifecycle_configuration',
  'aws_s3_bucket_logging',
  'aws_s3_bucket_ownership_controls',
  'aws_s3_bucket_notification',
  'aws_s3_account_public_access_block',
  'aws_sns_topic_subscription',
  'aws_sns_topic_policy',
  'aws_sqs_queue_policy',
  'aws_sqs_queue_redrive_policy',
  'aws_sqs_queue_redrive_allow_policy',
  'aws_lambda_permission',
  'aws_lambda_function_event_invoke_config',
  'aws_lambda_alias',
  'aws_iam_role_policy',
  'aws_iam_role_policy_attachment',
  'aws_cloudwatch_log_resource_policy',
  'aws_cloudwatch_log_metric_filter',
  'aws_cloudwatch_log_subscription_filter',
  'aws_cloudwatch_event_target',
  'aws_cloudwatch_dashboard',
  'aws_scheduler_schedule',
  'aws_route',
  'aws_route_table_association',
  'aws_network_acl_rule',
  'aws_security_group_rule',
  'aws_vpc_endpoint_route_table_association',
  'aws_vpc_endpoint_subnet_association',
  'aws_vpc_endpoint_security_group_association',
  'aws_vpc_endpoint_policy',
  'aws_dynamodb_table_item',
  'aws_backup_selection',
  'aws_codestarnotifications_notification_rule',
]);

const DEFAULT_TAGS = ['Project', 'Environment', 'Owner', 'CostCenter', 'DataClassification'];

/**
 * Where the three environments may differ (CONTRACT.md, envs: environment, deletion protection,
 * the approval gate, sizes, retention and alarm thresholds). `.tf` paths are `<file>:<flattened
 * HCL path>`; the main.tf files are meant to be byte-for-byte the same, values come from tfvars.
 */
const ENV_TF_DIFFERENCES: readonly AllowedDifference[] = [];

const ENV_TFVARS_DIFFERENCES: readonly AllowedDifference[] = [
  { path: /^environment$/, reason: 'the environment name' },
  { path: /^deletion_protection$/, reason: 'deletion protection is on in prod only' },
  { path: /^delivery_pipeline$/, reason: 'the approval gate: the delivery pipeline (module ci) lives in prod only' },
  { path: /^reserved_concurrency$|^memory_mb$|^timeout_seconds$/, reason: 'sizes: Lambda concurrency, memory, timeouts' },
  { path: /^(incoming|documents|log)_retention_days$|^noncurrent_days$/, reason: 'retention days and log retention' },
  { path: /^(held_hours|throttled_minutes)_threshold$/, reason: 'alarm thresholds' },
  { path: /^textract_(tps|burst)$/, reason: 'sizes: the share of the Textract quota each environment takes' },
  { path: /^vpc_cidr$|^azs$/, reason: 'network size and non-overlapping address ranges per environment' },
  { path: /^key_deletion_window_in_days$/, reason: 'retention: how long a scheduled key deletion can be undone' },
  { path: /^notification_subscriptions$/, reason: 'who receives the summaries and alarms' },
];

const ENV_EXPECTATIONS = {
  deletionProtection: { prod: true },
  approval: { prod: true, dev: false, staging: false },
} as const;

const ASL_PATH = join(REPO_ROOT, 'asl', 'docroute.asl.json');

const model = await loadModel();

/** The environment folders; a test that needs them fails (not skips) when one is missing. */
const envs = (): TfModule[] =>
  ENVS.map((e) => {
    const m = model.modules.get(`envs/${e}`);
    if (m === undefined) throw new Error(`infra/terraform/envs/${e} is missing`);
    return m;
  });

const lines = (vs: readonly Violation[]): string[] => vs.map(format);

const lambdaSources = (): string[] =>
  [join(REPO_ROOT, 'src', 'adapters', 'aws'), join(REPO_ROOT, 'src', 'entrypoints', 'lambda')].flatMap((dir) =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => join(dir, f)),
  );

describe('infra/terraform layout', () => {
  it('has every module and environment of CONTRACT.md, with the standard files', () => {
    expect(lines(checkLayout(model, MODULES, ENVS))).toEqual([]);
  });

  it('pins Terraform >= 1.6 and hashicorp/aws ~> 5.x in every versions.tf', () => {
    expect(lines(checkVersions(model))).toEqual([]);
  });

  it('wires modules consistently: sources, arguments, required inputs, outputs, variables', () => {
    expect(lines(checkModuleWiring(model))).toEqual([]);
  });
});

describe('encryption at rest', () => {
  it('encrypts every bucket with SSE-KMS and a key from var.key_arns (one allow-listed SSE-S3 bucket)', () => {
    expect(instancesOf(model, 'aws_s3_bucket').length).toBeGreaterThanOrEqual(4);
    expect(lines(checkBucketsEncrypted(model, SSE_EXCEPTIONS))).toEqual([]);
  });

  it('encrypts tables, topics, queues, log groups and Lambda environments with a key from the keys module', () => {
    for (const type of ['aws_dynamodb_table', 'aws_sns_topic', 'aws_sqs_queue', 'aws_cloudwatch_log_group', 'aws_lambda_function']) {
      expect(resources(model, type).length, type).toBeGreaterThan(0);
    }
    expect(lines(checkEncryptedAtRest(model))).toEqual([]);
  });

  it('has one rotating key per classification, each with its own key policy', () => {
    expect(lines(checkKeys(model, ['restricted', 'confidential', 'internal', 'public']))).toEqual([]);
  });

  it("uses each classification's key as CONTRACT.md's table says (so different classes never share a key)", () => {
    expect(
      lines(
        checkKeyClassifications(
          model,
          CLASSIFICATIONS,
          SSE_EXCEPTIONS.map((e) => e.output),
        ),
      ),
    ).toEqual([]);
  });
});

describe('IAM', () => {
  it('has no wildcard actions, and Resource "*" only for allow-listed actions', async () => {
    expect(dataSources(model, 'aws_iam_policy_document').length).toBeGreaterThan(0);
    expect(lines(await checkIamStatements(model, STAR_RESOURCE_ALLOWED))).toEqual([]);
  });

  it("grants each function exactly docs/aws.md's permissions", async () => {
    expect(lines(await checkFunctionPermissions(model, FUNCTION_NAMES, FUNCTION_PERMISSIONS))).toEqual([]);
  });

  it("evaluates each function's data-driven policy document, the shared statements included", async () => {
    // The documents are dynamic statements over locals: the checks above pass only on what was
    // evaluated, so prove every function's document was read in full (not found empty).
    const documents = await functionDocuments(model);
    const granted = await functionActions(model);
    for (const fn of FUNCTION_NAMES) {
      expect(documents.get(fn), fn).toBe(`data.aws_iam_policy_document.fn[${JSON.stringify(fn)}]`);
      expect([...(granted.get(fn) ?? [])].sort(), fn).toEqual(expect.arrayContaining([...FUNCTION_PERMISSIONS.common].sort()));
    }
    const { statements } = await policyStatements(model);
    const ownLogs = statements.find(
      (s) => s.document === 'data.aws_iam_policy_document.fn["route"]' && s.where.endsWith('sid=OwnLogGroup'),
    );
    expect(ownLogs?.resources).toEqual(['${aws_cloudwatch_log_group.fn["route"].arn}', '${aws_cloudwatch_log_group.fn["route"].arn}:*']);
  });

  it('gives every Resource "*" allowance a reason', () => {
    for (const [action, allowance] of Object.entries(STAR_RESOURCE_ALLOWED)) expect(allowance.reason, action).not.toBe('');
  });
});

describe('network', () => {
  const imports = awsPackagesImported(lambdaSources());

  it('knows the VPC endpoint of every AWS package the Lambda code imports', () => {
    expect(imports.map((i) => i.pkg)).toContain('@aws-sdk/client-s3');
    expect(endpointsNeeded(imports, ENDPOINTS_BY_PACKAGE).unmapped).toEqual([]);
  });

  it('has a VPC endpoint for every service the code and the platform call, in every environment', () => {
    const { needs } = endpointsNeeded(imports, ENDPOINTS_BY_PACKAGE);
    expect(needs.map((n) => n.service)).toEqual(
      expect.arrayContaining(['s3', 'dynamodb', 'textract', 'bedrock-runtime', 'sns', 'events', 'xray']),
    );
    expect(lines(checkEndpoints(model, envs(), [...needs, ...PLATFORM_ENDPOINTS]))).toEqual([]);
  });

  it('has no public access: bucket public access blocks, no gateways or public IPs, no open ingress', () => {
    expect(resources(model, 'aws_vpc').length).toBeGreaterThan(0);
    expect(lines(checkNoPublicAccess(model))).toEqual([]);
  });

  it('allows only HTTPS from security groups as ingress', () => {
    expect(lines(checkIngressIsHttpsFromSecurityGroups(model))).toEqual([]);
  });
});

describe('compute', () => {
  it('runs every Lambda in the VPC with active tracing, a DLQ, reserved concurrency and a CMK', () => {
    expect(resources(model, 'aws_lambda_function').length).toBeGreaterThan(0);
    expect(lines(checkLambdas(model))).toEqual([]);
  });

  it('fills every ASL placeholder from templatefile, and deploys exactly FUNCTION_NAMES', async () => {
    const placeholders = [...new Set([...readFileSync(ASL_PATH, 'utf8').matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1] ?? ''))];
    expect(placeholders.length).toBeGreaterThan(0);
    expect(lines(await checkStateMachine(model, envs(), placeholders, FUNCTION_NAMES))).toEqual([]);
  });

  it('defines the store table exactly as dynamoTableDefinition, and the rate table with its pk/sk', () => {
    expect(lines(checkTables(model, dynamoTableDefinition('x')))).toEqual([]);
  });
});

describe('operations', () => {
  it('tags every taggable resource with var.tags', () => {
    expect(lines(checkTags(model, TAGGABLE, UNTAGGABLE))).toEqual([]);
  });

  it('sets the required default_tags in every environment', () => {
    expect(lines(checkDefaultTags(envs(), DEFAULT_TAGS))).toEqual([]);
  });

  it('links every alarm to an existing runbook', () => {
    expect(lines(checkAlarms(model, REPO_ROOT))).toEqual([]);
  });
});

describe('environments', () => {
  it('differ only where intended', () => {
    expect(lines(checkEnvParity(envs(), ENV_TF_DIFFERENCES, ENV_TFVARS_DIFFERENCES))).toEqual([]);
  });

  it('protect prod (deletion protection, approval gate) and gate neither dev nor staging', () => {
    expect(lines(checkEnvSettings(model, envs(), ENV_EXPECTATIONS))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// The checks bite: the same functions report deliberately bad Terraform.

const FIXTURES = join(REPO_ROOT, 'tests', 'infra', 'fixtures');

describe('fixtures prove the checks bite', () => {
  it('reports an unencrypted bucket, an SSE-S3 bucket and an AWS-managed key', async () => {
    const bad = await loadModel(join(FIXTURES, 'bad-bucket'));
    const found = lines(checkBucketsEncrypted(bad, SSE_EXCEPTIONS));
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/aws_s3_bucket\.unencrypted: no server-side encryption configuration/),
        expect.stringMatching(/aws_s3_bucket\.sse_s3: sse_algorithm is AES256, not aws:kms/),
        expect.stringMatching(/aws_s3_bucket\.aws_managed: kms_master_key_id is .*alias\/aws\/s3.*, not var\.key_arns/),
      ]),
    );
    expect(found.join('\n')).not.toMatch(/aws_s3_bucket\.good/);
    expect(lines(checkNoPublicAccess(bad))).toEqual(
      expect.arrayContaining([expect.stringMatching(/aws_s3_bucket\.unencrypted: no aws_s3_bucket_public_access_block/)]),
    );
    expect(lines(checkKeyClassifications(bad, CLASSIFICATIONS, []))).toEqual(
      expect.arrayContaining([expect.stringMatching(/aws_s3_bucket\.good: uses the restricted key; CONTRACT\.md classifies it internal/)]),
    );
  });

  it('reports "s3:*", "*" on Resource "*", unlisted actions on "*" and unreadable inline policies', async () => {
    const bad = await loadModel(join(FIXTURES, 'wildcard-action'));
    const found = lines(await checkIamStatements(bad, STAR_RESOURCE_ALLOWED));
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/data\.aws_iam_policy_document\.bad .*sid=ServiceWildcard: wildcard action "s3:\*"/),
        expect.stringMatching(/sid=Everything: wildcard action "\*"/),
        expect.stringMatching(/sid=Everything: resources = \["\*"\] with \*, which is not in the allow-list/),
        expect.stringMatching(/sid=UnlistedStar: resources = \["\*"\] with s3:GetObject/),
        expect.stringMatching(/sid=MetricsWithoutNamespace: cloudwatch:PutMetricData on "\*" needs a cloudwatch:namespace condition/),
        expect.stringMatching(/aws_iam_role_policy\.inline policy Statement\[0\]: wildcard action "\*"/),
        expect.stringMatching(/aws_iam_role_policy\.heredoc policy: policy is not data\.aws_iam_policy_document/),
      ]),
    );
    expect(found.join('\n')).not.toMatch(/sid=(Allowed|DenyInsecure)/);
    const { statements } = await policyStatements(bad);
    expect(statements.length).toBeGreaterThanOrEqual(6);
  });

  it('reports a Lambda and network that break the posture', async () => {
    const bad = await loadModel(join(FIXTURES, 'misc-violations'));
    expect(lines(checkLambdas(bad))).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/aws_lambda_function\.loose: vpc_config/),
        expect.stringMatching(/aws_lambda_function\.loose: tracing_config/),
        expect.stringMatching(/aws_lambda_function\.loose: dead_letter_config/),
        expect.stringMatching(/aws_lambda_function\.loose: reserved_concurrent_executions/),
        expect.stringMatching(/aws_lambda_function\.loose: kms_key_arn/),
      ]),
    );
    expect(lines(checkEncryptedAtRest(bad))).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/aws_cloudwatch_log_group\.plain: key is \(unset/),
        expect.stringMatching(/aws_sqs_queue\.managed: sqs_managed_sse_enabled/),
        expect.stringMatching(/aws_dynamodb_table\.owned_key: server_side_encryption/),
      ]),
    );
    expect(lines(checkNoPublicAccess(bad))).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/aws_internet_gateway\.igw: .*forbidden/),
        expect.stringMatching(/aws_subnet\.public: map_public_ip_on_launch/),
        expect.stringMatching(/aws_security_group\.open: ingress open to 0\.0\.0\.0\/0/),
      ]),
    );
    expect(lines(checkTags(bad, TAGGABLE, UNTAGGABLE))).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/aws_cloudwatch_log_group\.plain: tags is \(unset\)/),
        expect.stringMatching(/aws_xray_group\.unknown: .*classify it/),
      ]),
    );
    expect(lines(checkAlarms(bad, REPO_ROOT))).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/aws_cloudwatch_metric_alarm\.no_runbook: alarm_description does not end with/),
        expect.stringMatching(/aws_cloudwatch_metric_alarm\.missing_runbook: docs\/runbooks\/no-such-runbook\.md does not exist/),
      ]),
    );
    expect(lines(checkVersions(bad))).toEqual([]); // not under modules/ or envs/: checkLayout covers the real tree
  });

  it('reports a function granted more, or less, than docs/aws.md gives it', async () => {
    const bad = await loadModel(join(FIXTURES, 'overprivileged'));
    expect(lines(await checkFunctionPermissions(bad, ['notify', 'route'], FUNCTION_PERMISSIONS))).toEqual([
      '[iam] modules/pipeline notify: grants s3:PutObject, which docs/aws.md does not give this function',
      '[iam] modules/pipeline notify: lacks sns:Publish, which docs/aws.md gives this function',
      '[iam] modules/pipeline: no policy document found for function route (aws_iam_role_policy keyed by function, or local.function_policies)',
    ]);
  });

  it('reports a wildcard action inside a dynamic statement built from a locals map', async () => {
    const bad = await loadModel(join(FIXTURES, 'dynamic-wildcard'));
    const found = lines(await checkIamStatements(bad, STAR_RESOURCE_ALLOWED));
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /data\.aws_iam_policy_document\.fn\["notify"\] statement\[\d+\] \(dynamic\) sid=SneakyWildcard: wildcard action "s3:\*"/,
        ),
        expect.stringMatching(
          /fn\["route"\] .*sid=UnscopedMetrics: cloudwatch:PutMetricData on "\*" needs a cloudwatch:namespace condition/,
        ),
        // Off by default (no models configured): both branches of a conditional on inputs are checked.
        expect.stringMatching(/fn\["classify"\] .*sid=ModelWildcard: wildcard action "bedrock:\*"/),
      ]),
    );
    // The nested dynamic "condition" was evaluated; the shared statements are allowed.
    expect(found.join('\n')).not.toMatch(/sid=(ScopedMetrics|OwnLogGroup|Tracing|PublishSummary)/);
    expect(lines(await checkFunctionPermissions(bad, ['notify', 'route'], FUNCTION_PERMISSIONS))).toEqual(
      expect.arrayContaining([
        '[iam] modules/pipeline notify: grants s3:*, which docs/aws.md does not give this function',
        '[iam] modules/pipeline route: grants cloudwatch:PutMetricData, which docs/aws.md does not give this function',
      ]),
    );
  });

  it('reports dynamic blocks and for_each it cannot evaluate, instead of passing them', async () => {
    const bad = await loadModel(join(FIXTURES, 'dynamic-unreadable'));
    const found = lines(await checkIamStatements(bad, STAR_RESOURCE_ALLOWED));
    const unchecked = 'cannot be evaluated, so it is not checked';
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`from_file\\["notify"\\] dynamic "statement": ${unchecked} \\(function jsondecode\\(\\)`)),
        expect.stringMatching(new RegExp(`conditions_from_file dynamic "statement"\\[0\\] > dynamic "condition": ${unchecked}`)),
        expect.stringMatching(new RegExp(`unknown_instances for_each: ${unchecked} \\(var\\.unset_functions cannot be read`)),
        expect.stringMatching(new RegExp(`unknown_instances dynamic "statement": ${unchecked}`)),
        expect.stringMatching(new RegExp(`missing_attribute dynamic "statement"\\[0\\] > actions: ${unchecked}`)),
      ]),
    );
  });

  it('reports an AWS package the endpoint map does not know', () => {
    const { unmapped } = endpointsNeeded([{ pkg: '@aws-sdk/client-rekognition', file: 'x.ts' }], ENDPOINTS_BY_PACKAGE);
    expect(unmapped).toEqual([{ pkg: '@aws-sdk/client-rekognition', file: 'x.ts' }]);
  });
});
