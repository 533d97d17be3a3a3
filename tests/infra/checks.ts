import { existsSync, readFileSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import {
  type Block,
  type Unreadable,
  calledModulePath,
  callers,
  evalContext,
  expandBlock,
  expandInstances,
  type Instance,
  instances,
  refsInstance,
  type HclObject,
  type HclValue,
  type TfModel,
  type TfModule,
  asArray,
  callArguments,
  childModules,
  dataSources,
  isTrue,
  keyClassification,
  literalStrings,
  moduleCalls,
  nested,
  nestedWithDynamic,
  output,
  outputs,
  providers,
  readLiteral,
  refsVar,
  resolve,
  resources,
  soleExpression,
  text,
  variables,
  where,
} from './hcl.js';

/**
 * Policy checks over the Terraform model. Each is a pure function of the model (plus the policy
 * it enforces, passed in by the test) and returns the violations it finds, so the same function
 * proves the real modules clean (expect []) and proves, on a bad fixture, that it bites.
 */

export interface Violation {
  readonly check: string;
  readonly where: string;
  readonly message: string;
}

export const format = (v: Violation): string => `[${v.check}] ${v.where}: ${v.message}`;

const violation = (check: string, at: Block | string, message: string): Violation => ({
  check,
  where: typeof at === 'string' ? at : where(at),
  message,
});

export { calledModulePath };

const moduleOf = (model: TfModel, path: string): TfModule | undefined => model.modules.get(path);

/** Module calls in `mod` whose source is `modules/<name>`. */
const callsOf = (model: TfModel, mod: TfModule, name: string): Block[] =>
  moduleCalls(model, mod.path).filter((c) => calledModulePath(c) === `modules/${name}`);

// ---------------------------------------------------------------------------------------------
// Layout

export const checkLayout = (model: TfModel, expectedModules: readonly string[], expectedEnvs: readonly string[]): Violation[] => {
  const out: Violation[] = [];
  for (const name of expectedModules) {
    if (!model.modules.has(`modules/${name}`)) out.push(violation('layout', `modules/${name}`, 'module folder with .tf files is missing'));
  }
  for (const name of expectedEnvs) {
    if (!model.modules.has(`envs/${name}`)) out.push(violation('layout', `envs/${name}`, 'environment folder with .tf files is missing'));
  }
  // Modules: CONTRACT.md's four files. Environments (root modules): main.tf, variables.tf,
  // terraform.tfvars and backend.hcl; their terraform {} block may sit in main.tf.
  for (const mod of childModules(model, 'modules')) {
    for (const file of ['main.tf', 'variables.tf', 'outputs.tf', 'versions.tf']) {
      if (!mod.files.includes(file)) out.push(violation('layout', `${mod.path}/${file}`, 'required file is missing'));
    }
  }
  for (const env of childModules(model, 'envs')) {
    for (const file of ['main.tf', 'variables.tf', 'terraform.tfvars', 'backend.hcl']) {
      if (!existsSync(join(env.dir, file))) out.push(violation('layout', `${env.path}/${file}`, 'required file is missing'));
    }
    if (!env.terraform.some((t) => nested(t.body, 'backend', 's3').length > 0))
      out.push(violation('layout', env.path, 'no backend "s3" {}'));
  }
  return out;
};

/** Every module pins Terraform >= 1.6 and hashicorp/aws ~> 5.x in versions.tf; every environment, in any file. */
export const checkVersions = (model: TfModel): Violation[] => {
  const out: Violation[] = [];
  for (const mod of [...childModules(model, 'modules'), ...childModules(model, 'envs')]) {
    const isEnv = mod.path.startsWith('envs/');
    const blocks = mod.terraform.filter((t) => isEnv || basename(t.file) === 'versions.tf');
    const file = isEnv ? (blocks[0]?.file ?? mod.path) : `${mod.path}/versions.tf`;
    if (blocks.length === 0) {
      out.push(violation('versions', file, isEnv ? 'no terraform {} block' : 'no terraform {} block in versions.tf'));
      continue;
    }
    const required = blocks.map((b) => text(b.body['required_version'])).join(' ');
    if (!/>=\s*1\.(6|[7-9]|\d\d)/.test(required)) out.push(violation('versions', file, `required_version "${required}" is not >= 1.6`));
    const aws = blocks.flatMap((b) => nested(b.body, 'required_providers')).map((p) => p['aws']);
    const pinned = aws.filter((a): a is HclObject => typeof a === 'object' && a !== null && !Array.isArray(a));
    if (pinned.length === 0) {
      out.push(violation('versions', file, 'required_providers does not declare aws'));
      continue;
    }
    for (const p of pinned) {
      if (p['source'] !== 'hashicorp/aws')
        out.push(violation('versions', file, `aws provider source is ${text(p['source'])}, not hashicorp/aws`));
      if (!/^~>\s*5\.\d+(\.\d+)?$/.test(text(p['version'])))
        out.push(violation('versions', file, `aws provider version "${text(p['version'])}" is not "~> 5.x"`));
    }
  }
  return out;
};

/**
 * Module wiring that terraform validate would catch: sources exist, every argument is a declared
 * variable, every variable without a default is passed, and `module.<call>.<output>` exists.
 */
export const checkModuleWiring = (model: TfModel): Violation[] => {
  const out: Violation[] = [];
  const meta = new Set(['source', 'version', 'count', 'for_each', 'providers', 'depends_on']);
  for (const call of moduleCalls(model)) {
    const target = calledModulePath(call);
    const mod = target === undefined ? undefined : moduleOf(model, target);
    if (mod === undefined) {
      out.push(violation('wiring', call, `source ${text(call.body['source'])} is not a module folder`));
      continue;
    }
    const declared = new Map(variables(mod).map((v) => [v.name, v]));
    for (const arg of Object.keys(call.body)) {
      if (!meta.has(arg) && !declared.has(arg)) out.push(violation('wiring', call, `argument ${arg} is not a variable of ${mod.path}`));
    }
    for (const [name, decl] of declared) {
      if (!('default' in decl.body) && !(name in call.body))
        out.push(violation('wiring', call, `required variable ${name} of ${mod.path} is not passed`));
    }
  }
  for (const mod of model.modules.values()) {
    const calls = new Map(moduleCalls(model, mod.path).map((c) => [c.name, c]));
    const declared = new Set(variables(mod).map((v) => v.name));
    for (const b of mod.blocks) {
      // Only interpolations: descriptions may mention module.x in prose.
      const body = expressionsIn(b.body).join('\n');
      for (const m of body.matchAll(/\bmodule\.([\w-]+)\.([\w-]+)/g)) {
        const call = calls.get(m[1] ?? '');
        const target = call === undefined ? undefined : calledModulePath(call);
        const called = target === undefined ? undefined : moduleOf(model, target);
        if (call === undefined) out.push(violation('wiring', b, `refers to module.${m[1] ?? ''}, which is not called here`));
        else if (called !== undefined && output(called, m[2] ?? '') === undefined) {
          out.push(violation('wiring', b, `refers to module.${m[1] ?? ''}.${m[2] ?? ''}, not an output of ${called.path}`));
        }
      }
      for (const m of body.matchAll(/(?<![.\w])var\.([\w-]+)/g)) {
        if (!declared.has(m[1] ?? '')) out.push(violation('wiring', b, `refers to var.${m[1] ?? ''}, which ${mod.path} does not declare`));
      }
    }
  }
  return dedupe(out);
};

/** Every string in a body that holds an interpolation. */
const expressionsIn = (v: HclValue | undefined): string[] => {
  if (typeof v === 'string') return v.includes('${') ? [v] : [];
  if (Array.isArray(v)) return v.flatMap(expressionsIn);
  if (typeof v === 'object' && v !== null) return Object.values(v).flatMap(expressionsIn);
  return [];
};

const dedupe = (vs: Violation[]): Violation[] => {
  const seen = new Set<string>();
  return vs.filter((v) => {
    const k = format(v);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
};

// ---------------------------------------------------------------------------------------------
// Encryption at rest

export interface SseException {
  /** The module output that names the bucket (e.g. `logs_bucket`). */
  readonly output: string;
  readonly algorithm: 'AES256';
  readonly reason: string;
}

/** The module outputs that name an instance (aws_s3_bucket.kms["incoming"] → incoming_bucket). */
export const roleOutputs = (model: TfModel, inst: Instance): string[] => {
  const mod = moduleOf(model, inst.block.module);
  return mod === undefined
    ? []
    : outputs(mod)
        .filter((o) => refsInstance(o.body['value'], inst))
        .map((o) => o.name);
};

/** Every instance of a resource type (for_each expanded where readable). */
export const instancesOf = (model: TfModel, type: string): Instance[] => resources(model, type).flatMap((b) => instances(model, b));

const at = (inst: Instance): string => `${inst.block.file} ${inst.address}`;

interface SseRule {
  readonly algorithm: HclValue | undefined;
  readonly key: HclValue | undefined;
  readonly bucketKey: HclValue | undefined;
}

/** The SSE rules that apply to a bucket: SSE config resources for it, or its own (deprecated inline) block. */
const bucketSse = (model: TfModel, bucket: Instance): SseRule[] => {
  const configs = instancesOf(model, 'aws_s3_bucket_server_side_encryption_configuration').filter(
    (c) => c.block.module === bucket.block.module && refsInstance(c.body['bucket'], bucket),
  );
  const inline = nested(bucket.body, 'server_side_encryption_configuration');
  const ruleOf = (rule: HclObject): SseRule[] =>
    nested(rule, 'apply_server_side_encryption_by_default').map((d) => ({
      algorithm: d['sse_algorithm'],
      key: d['kms_master_key_id'],
      bucketKey: rule['bucket_key_enabled'],
    }));
  return [...configs.flatMap((c) => nested(c.body, 'rule')), ...inline.flatMap((c) => nested(c, 'rule'))].flatMap(ruleOf);
};

/** Every bucket: SSE-KMS with `var.key_arns[<classification>]` and bucket keys, except the allow-listed SSE-S3 bucket. */
export const checkBucketsEncrypted = (model: TfModel, exceptions: readonly SseException[]): Violation[] => {
  const out: Violation[] = [];
  for (const bucket of instancesOf(model, 'aws_s3_bucket')) {
    const roles = roleOutputs(model, bucket);
    const exception = exceptions.find((e) => roles.includes(e.output));
    const rules = bucketSse(model, bucket);
    if (rules.length === 0) {
      out.push(
        violation(
          's3-encryption',
          at(bucket),
          'no server-side encryption configuration (aws_s3_bucket_server_side_encryption_configuration)',
        ),
      );
      continue;
    }
    for (const rule of rules) {
      if (exception !== undefined) {
        if (rule.algorithm !== exception.algorithm) {
          out.push(
            violation(
              's3-encryption',
              at(bucket),
              `allow-listed ${exception.output} must use ${exception.algorithm}, has ${text(rule.algorithm)}`,
            ),
          );
        }
        continue;
      }
      if (rule.algorithm !== 'aws:kms' && rule.algorithm !== 'aws:kms:dsse') {
        out.push(violation('s3-encryption', at(bucket), `sse_algorithm is ${text(rule.algorithm) || '(unset)'}, not aws:kms`));
      }
      if (keyClassification(rule.key) === undefined) {
        out.push(
          violation(
            's3-encryption',
            at(bucket),
            `kms_master_key_id is ${text(rule.key) || '(unset: the AWS-managed key)'}, not var.key_arns["<classification>"]`,
          ),
        );
      }
      if (!isTrue(rule.bucketKey)) out.push(violation('s3-encryption', at(bucket), 'bucket_key_enabled is not true'));
    }
  }
  return out;
};

/** Where each encryptable resource type names its key. */
const KEY_ATTRIBUTES: Record<string, (body: HclObject) => HclValue[]> = {
  aws_dynamodb_table: (b) => nested(b, 'server_side_encryption').map((s) => s['kms_key_arn'] ?? null),
  aws_sns_topic: (b) => [b['kms_master_key_id'] ?? null],
  aws_sqs_queue: (b) => [b['kms_master_key_id'] ?? null],
  aws_cloudwatch_log_group: (b) => [b['kms_key_id'] ?? null],
  aws_lambda_function: (b) => [b['kms_key_arn'] ?? null],
  aws_codebuild_project: (b) => [b['encryption_key'] ?? null],
  aws_codepipeline: (b) => {
    const stores = nested(b, 'artifact_store');
    return stores.length === 0 ? [null] : stores.map((s) => nested(s, 'encryption_key')[0]?.['id'] ?? null);
  },
  aws_backup_vault: (b) => [b['kms_key_arn'] ?? null],
  // Optional: Step Functions encrypts with an AWS-owned key unless configured; checked only if set.
  aws_sfn_state_machine: (b) => nested(b, 'encryption_configuration').map((c) => c['kms_key_id'] ?? null),
};

/** The types checkEncryptedAtRest requires a customer-managed key on. */
export const ENCRYPTED_TYPES = Object.keys(KEY_ATTRIBUTES);

export const checkEncryptedAtRest = (model: TfModel): Violation[] => {
  const out: Violation[] = [];
  for (const [type, keysOf] of Object.entries(KEY_ATTRIBUTES)) {
    for (const inst of instancesOf(model, type)) {
      if (type === 'aws_dynamodb_table') {
        const sse = nested(inst.body, 'server_side_encryption');
        if (sse.length === 0 || !sse.every((s) => isTrue(s['enabled']))) {
          out.push(violation('kms', at(inst), 'server_side_encryption { enabled = true } is missing: the table uses the AWS-owned key'));
          continue;
        }
      }
      if (type === 'aws_sqs_queue' && isTrue(inst.body['sqs_managed_sse_enabled'])) {
        out.push(violation('kms', at(inst), 'sqs_managed_sse_enabled = true (SSE-SQS), not the CMK'));
      }
      for (const key of keysOf(inst.body)) {
        if (keyClassification(key) === undefined) {
          out.push(
            violation('kms', at(inst), `key is ${text(key ?? undefined) || '(unset: AWS-managed)'}, not var.key_arns["<classification>"]`),
          );
        }
      }
    }
  }
  return out;
};

/** The classifications each instance's key(s) name ('?' for a key that is not var.key_arns[...]). */
export const derivedClassifications = (model: TfModel): { inst: Instance; classes: string[] }[] => [
  ...instancesOf(model, 'aws_s3_bucket').map((inst) => ({
    inst,
    classes: bucketSse(model, inst).map((r) => keyClassification(r.key) ?? '?'),
  })),
  ...Object.entries(KEY_ATTRIBUTES).flatMap(([type, keysOf]) =>
    instancesOf(model, type).map((inst) => ({ inst, classes: keysOf(inst.body).map((k) => keyClassification(k) ?? '?') })),
  ),
];

export interface ClassificationPolicy {
  /** By the module output that names the resource: incoming_bucket → restricted, ... */
  readonly byOutput: Readonly<Record<string, string>>;
  /** By resource type, for resources no output in byOutput names: aws_cloudwatch_log_group → confidential, ... */
  readonly byType: Readonly<Record<string, string>>;
  /** Outputs that must each name a resource (so a renamed bucket cannot dodge the table). */
  readonly requiredOutputs: Readonly<Record<string, string>>;
}

/**
 * CONTRACT.md's table: each resource's key must be its classification's key. Classifications
 * are derived from the key each resource references, so two resources of different classes can
 * never share a key, and a bucket that took the wrong key shows as the wrong class.
 */
export const checkKeyClassifications = (model: TfModel, policy: ClassificationPolicy, exemptOutputs: readonly string[]): Violation[] => {
  const out: Violation[] = [];
  for (const { inst, classes } of derivedClassifications(model)) {
    if (classes.length === 0) continue;
    const roles = roleOutputs(model, inst);
    if (roles.some((r) => exemptOutputs.includes(r))) continue;
    const expected = roles.map((r) => policy.byOutput[r]).find((c) => c !== undefined) ?? policy.byType[inst.block.type];
    if (expected === undefined) {
      out.push(
        violation(
          'classification',
          at(inst),
          `no expected classification (outputs: ${roles.join(', ') || 'none'}): add it to the test's table`,
        ),
      );
      continue;
    }
    for (const c of classes) {
      if (c !== '?' && c !== expected)
        out.push(violation('classification', at(inst), `uses the ${c} key; CONTRACT.md classifies it ${expected}`));
    }
  }
  for (const [name, mod] of Object.entries(policy.requiredOutputs)) {
    const m = moduleOf(model, `modules/${mod}`);
    if (m === undefined) continue;
    const o = output(m, name);
    if (o === undefined) out.push(violation('classification', `modules/${mod}`, `output ${name} is missing`));
  }
  return out;
};

// ---------------------------------------------------------------------------------------------
// IAM

export interface StarResourceAllowance {
  readonly reason: string;
  /** A condition key the statement must carry (cloudwatch:PutMetricData → cloudwatch:namespace). */
  readonly requiresCondition?: string;
}

export interface Statement {
  readonly where: string;
  /** The module folder, and the policy's address in it (`data.aws_iam_policy_document.fn["ingest"]`; for a jsonencode policy, its attribute). */
  readonly module: string;
  readonly document: string;
  readonly effect: string;
  readonly actions: HclValue | undefined;
  readonly notActions: HclValue | undefined;
  readonly resources: HclValue | undefined;
  readonly notResources: HclValue | undefined;
  readonly principals: { type: string; identifiers: HclValue | undefined }[];
  readonly conditionKeys: string[];
  /** A KMS key policy: Resource "*" there means "this key". */
  readonly keyPolicy: boolean;
}

const POLICY_ATTRIBUTES = new Set(['policy', 'assume_role_policy', 'policy_document', 'access_policy', 'access_policies']);

/** Data sources whose `.json` feeds a KMS key policy. */
const keyPolicyDocuments = (model: TfModel): Set<string> => {
  const out = new Set<string>();
  for (const b of [...resources(model, 'aws_kms_key'), ...resources(model, 'aws_kms_key_policy')]) {
    for (const m of text(b.body['policy']).matchAll(/\bdata\.aws_iam_policy_document\.([\w-]+)/g)) out.add(`${b.module}:${m[1] ?? ''}`);
  }
  return out;
};

interface DocumentStatements {
  readonly statements: Statement[];
  /** What could not be evaluated, by `<module>:<document address>`: reported, never passed. */
  readonly unreadable: Map<string, Violation[]>;
}

/**
 * The statements of every aws_iam_policy_document, evaluated as each caller of its module
 * configures it: for_each expanded (`data.aws_iam_policy_document.fn["ingest"]`), `dynamic`
 * statements and conditions expanded over the locals they iterate (see `evaluate` in hcl.ts).
 */
const documentStatements = async (model: TfModel): Promise<DocumentStatements> => {
  const keyDocs = keyPolicyDocuments(model);
  const statements = new Map<string, Statement>();
  const unreadable = new Map<string, Violation[]>();
  const report = (doc: Block, address: string, u: Unreadable): void => {
    const v = violation(
      'iam',
      `${doc.file} ${address} ${u.path}`,
      `cannot be evaluated, so it is not checked (${u.reason}): ${u.expr.slice(0, 160)}`,
    );
    const key = `${doc.module}:${address}`;
    const list = unreadable.get(key) ?? [];
    if (!list.some((x) => format(x) === format(v))) list.push(v);
    unreadable.set(key, list);
  };
  for (const doc of dataSources(model, 'aws_iam_policy_document')) {
    const mod = moduleOf(model, doc.module);
    if (mod === undefined) continue;
    const staticCount = nested(doc.body, 'statement').length;
    const base = `data.${doc.type}.${doc.name}`;
    for (const caller of callers(model, mod)) {
      const expansion = await expandInstances(evalContext(model, mod, caller), doc);
      if (expansion.unreadable !== undefined) report(doc, base, expansion.unreadable);
      for (const inst of expansion.instances) {
        const { body, unreadable: missed } = await expandBlock(inst.ctx, doc.body);
        for (const u of missed) report(doc, inst.address, u);
        for (const [i, s] of nested(body, 'statement').entries()) {
          const sid = typeof s['sid'] === 'string' ? ` sid=${s['sid']}` : '';
          const statement: Statement = {
            where: `${doc.file} ${inst.address} statement[${i}]${i >= staticCount ? ' (dynamic)' : ''}${sid}`,
            module: doc.module,
            document: inst.address,
            effect: typeof s['effect'] === 'string' ? s['effect'] : 'Allow',
            actions: s['actions'],
            notActions: s['not_actions'],
            resources: s['resources'],
            notResources: s['not_resources'],
            principals: nested(s, 'principals').map((p) => ({ type: text(p['type']), identifiers: p['identifiers'] })),
            conditionKeys: nested(s, 'condition').map((c) => text(c['variable'])),
            keyPolicy: keyDocs.has(`${doc.module}:${doc.name}`),
          };
          // Callers that configure the module alike give the same statement once.
          statements.set(JSON.stringify(statement), statement);
        }
      }
    }
  }
  return { statements: [...statements.values()], unreadable };
};

const jsonStatements = (module: string, at: string, policy: HclValue, keyPolicy: boolean): Statement[] | undefined => {
  const statements = typeof policy === 'object' && policy !== null && !Array.isArray(policy) ? policy['Statement'] : undefined;
  if (statements === undefined) return undefined;
  const list = asArray(statements);
  if (!list.every((s) => typeof s === 'object' && s !== null && !Array.isArray(s))) return undefined;
  return (list as HclObject[]).map((s, i) => {
    const principal = s['Principal'];
    const principals =
      principal === '*'
        ? [{ type: '*', identifiers: ['*'] as HclValue }]
        : typeof principal === 'object' && principal !== null && !Array.isArray(principal)
          ? Object.entries(principal).map(([type, ids]) => ({ type, identifiers: ids }))
          : [];
    const conditionKeys = Object.values(typeof s['Condition'] === 'object' && s['Condition'] !== null ? s['Condition'] : {}).flatMap(
      (byKey) => (typeof byKey === 'object' && byKey !== null && !Array.isArray(byKey) ? Object.keys(byKey) : []),
    );
    const toList = (v: HclValue | undefined): HclValue | undefined => (typeof v === 'string' && !v.includes('${') ? [v] : v);
    return {
      where: `${at} Statement[${i}]`,
      module,
      document: at,
      effect: typeof s['Effect'] === 'string' ? s['Effect'] : '?',
      actions: toList(s['Action']),
      notActions: s['NotAction'],
      resources: toList(s['Resource']),
      notResources: s['NotResource'],
      principals,
      conditionKeys,
      keyPolicy,
    };
  });
};

const DOCUMENT_JSON = /^data\.aws_iam_policy_document\.[\w-]+(\[[^\]]+\])?\.(minified_)?json$/;

/**
 * `data.aws_iam_policy_document.<x>.json`, directly or through a local map/list of such
 * references (`local.function_policies[each.key]`).
 */
const isDocumentReference = (model: TfModel, b: Block, v: HclValue): boolean => {
  const expr = soleExpression(v);
  if (expr === undefined) return false;
  if (DOCUMENT_JSON.test(expr)) return true;
  const local = /^local\.([\w-]+)(\[[^\]]+\])?$/.exec(expr);
  const value = local === null ? undefined : moduleOf(model, b.module)?.locals.get(local[1] ?? '')?.value;
  if (value === undefined) return false;
  const leaves = typeof value === 'object' && value !== null ? Object.values(value) : [value];
  return leaves.length > 0 && leaves.every((leaf) => DOCUMENT_JSON.test(soleExpression(leaf) ?? ''));
};

/**
 * Policies outside aws_iam_policy_document: `jsonencode({...})` literals are read and checked;
 * anything else that is not `data.aws_iam_policy_document.<x>.json` cannot be read and is reported.
 */
const inlinePolicies = async (model: TfModel): Promise<{ statements: Statement[]; unreadable: Violation[] }> => {
  const statements: Statement[] = [];
  const unreadable: Violation[] = [];
  const visit = async (b: Block, body: HclObject, path: string): Promise<void> => {
    for (const [k, v] of Object.entries(body)) {
      if (Array.isArray(v) && v.every((x) => typeof x === 'object' && x !== null && !Array.isArray(x))) {
        for (const [i, inner] of (v as HclObject[]).entries()) await visit(b, inner, `${path}${k}[${i}].`);
        continue;
      }
      if (!POLICY_ATTRIBUTES.has(k)) continue;
      if (isDocumentReference(model, b, v)) continue;
      const at = `${where(b)} ${path}${k}`;
      const keyPolicy = b.type === 'aws_kms_key' || b.type === 'aws_kms_key_policy';
      const args = callArguments(v, 'jsonencode');
      const literal = args?.length === 1 && args[0] !== undefined ? await readLiteral(args[0]) : undefined;
      const read = literal === undefined ? undefined : jsonStatements(b.module, at, literal, keyPolicy);
      if (read === undefined)
        unreadable.push(
          violation(
            'iam',
            at,
            `policy is not data.aws_iam_policy_document.<x>.json nor a readable jsonencode literal: ${text(v).slice(0, 120)}`,
          ),
        );
      else statements.push(...read);
    }
  };
  for (const b of resources(model)) await visit(b, b.body, '');
  return { statements, unreadable };
};

/**
 * Every policy statement in the model: aws_iam_policy_document data sources and jsonencode
 * policies; `unreadable` lists what could not be read or evaluated (each one a violation),
 * `unreadableByDocument` the same for policy documents by `<module>:<address>`.
 */
export const policyStatements = async (
  model: TfModel,
): Promise<{ statements: Statement[]; unreadable: Violation[]; unreadableByDocument: Map<string, Violation[]> }> => {
  const inline = await inlinePolicies(model);
  const documents = await documentStatements(model);
  return {
    statements: [...documents.statements, ...inline.statements],
    unreadable: [...[...documents.unreadable.values()].flat(), ...inline.unreadable],
    unreadableByDocument: documents.unreadable,
  };
};

const isWildcardAction = (a: string): boolean => a === '*' || /^[\w-]+:\*$/.test(a);

/**
 * Allow statements: no "*" or "<service>:*" action, no NotAction/NotResource, no anonymous
 * principal without a condition, and `resources = ["*"]` only when every action is allow-listed
 * (outside key policies, where "*" means the key itself). Deny statements only ever narrow
 * access (the bucket policies deny `s3:*` without TLS), so they are not held to these rules.
 */
export const checkIamStatements = async (
  model: TfModel,
  starAllowed: Readonly<Record<string, StarResourceAllowance>>,
): Promise<Violation[]> => {
  const { statements, unreadable } = await policyStatements(model);
  const out: Violation[] = [...unreadable];
  for (const s of statements) {
    if (s.effect === 'Deny') continue;
    if (s.effect !== 'Allow') out.push(violation('iam', s.where, `effect is ${s.effect}, not Allow or Deny`));
    if (s.notActions !== undefined) out.push(violation('iam', s.where, 'Allow with not_actions grants everything else'));
    if (s.notResources !== undefined) out.push(violation('iam', s.where, 'Allow with not_resources grants everything else'));
    for (const p of s.principals) {
      const ids = literalStrings(p.identifiers) ?? [];
      if ((p.type === '*' || ids.includes('*')) && s.conditionKeys.length === 0) {
        out.push(violation('iam', s.where, 'Allow to principal "*" without a condition'));
      }
    }
    if (s.actions === undefined) {
      if (s.notActions === undefined) out.push(violation('iam', s.where, 'no actions'));
      continue;
    }
    const actions = literalStrings(s.actions);
    if (actions === undefined) {
      out.push(violation('iam', s.where, `actions are not a list of literal strings (cannot be checked): ${text(s.actions)}`));
      continue;
    }
    for (const a of actions) if (isWildcardAction(a)) out.push(violation('iam', s.where, `wildcard action "${a}"`));
    const star = asArray(s.resources).some((r) => r === '*');
    if (star && !s.keyPolicy) {
      for (const a of actions) {
        const allowance = starAllowed[a];
        if (allowance === undefined) out.push(violation('iam', s.where, `resources = ["*"] with ${a}, which is not in the allow-list`));
        else if (allowance.requiresCondition !== undefined && !s.conditionKeys.includes(allowance.requiresCondition)) {
          out.push(violation('iam', s.where, `${a} on "*" needs a ${allowance.requiresCondition} condition`));
        }
      }
    }
  }
  return out;
};

// ---------------------------------------------------------------------------------------------
// Network

export interface EndpointNeed {
  readonly service: string;
  readonly type: 'Gateway' | 'Interface';
}

/** The `@aws-sdk/*` and `@aws-lambda-powertools/*` packages each source file imports. */
export const awsPackagesImported = (files: readonly string[]): { pkg: string; file: string }[] => {
  const out: { pkg: string; file: string }[] = [];
  const pattern =
    /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)['"]((?:@aws-sdk|@aws-lambda-powertools)\/[\w.-]+)(?:\/[^'"]*)?['"]/g;
  for (const file of files) {
    for (const m of readFileSync(file, 'utf8').matchAll(pattern)) out.push({ pkg: m[1] ?? '', file });
  }
  return out;
};

/** The endpoints the imports need; packages the map does not know are returned as unmapped. */
export const endpointsNeeded = (
  imports: readonly { pkg: string; file: string }[],
  map: Readonly<Record<string, readonly EndpointNeed[]>>,
): { needs: EndpointNeed[]; unmapped: { pkg: string; file: string }[] } => {
  const needs = new Map<string, EndpointNeed>();
  const unmapped: { pkg: string; file: string }[] = [];
  for (const i of imports) {
    const entry = map[i.pkg];
    if (entry === undefined) unmapped.push(i);
    else for (const n of entry) needs.set(n.service, n);
  }
  return { needs: [...needs.values()], unmapped };
};

/** The endpoint services (by type) each environment gets from its network module call. */
export const endpointServices = (model: TfModel, env: TfModule): { services: Map<string, Set<string>>; unreadable: Violation[] } => {
  const services = new Map<string, Set<string>>([
    ['Gateway', new Set()],
    ['Interface', new Set()],
  ]);
  const unreadable: Violation[] = [];
  for (const call of callsOf(model, env, 'network')) {
    const net = moduleOf(model, calledModulePath(call) ?? '');
    if (net === undefined) continue;
    /** A variable's value as this environment sets it (module argument, else the module's default). */
    const input = (name: string): string[] | undefined => {
      const arg = call.body[name];
      const value = arg !== undefined ? resolve(env, arg) : resolve(net, `\${var.${name}}`);
      return value.known ? literalStrings(value.value) : undefined;
    };
    for (const ep of net.blocks.filter((b) => b.kind === 'resource' && b.type === 'aws_vpc_endpoint')) {
      const type = text(ep.body['vpc_endpoint_type']) || 'Gateway';
      const name = text(ep.body['service_name']);
      const last = /\.([a-z0-9-]+|\$\{[^}]+\})"?$/.exec(name)?.[1] ?? '';
      let names: string[] | undefined;
      if (!last.startsWith('${')) names = last === '' ? undefined : [last];
      else if (/^\$\{each\.(key|value)\}$/.test(last)) {
        const forEach = text(ep.body['for_each']);
        const v = /\bvar\.([\w-]+)/.exec(forEach)?.[1];
        names = v === undefined ? undefined : input(v);
      }
      if (names === undefined) unreadable.push(violation('endpoints', ep, `cannot read the service of ${name} for ${env.path}`));
      else for (const n of names) services.get(type)?.add(n);
    }
  }
  return { services, unreadable };
};

export const checkEndpoints = (model: TfModel, envs: readonly TfModule[], needs: readonly EndpointNeed[]): Violation[] => {
  const out: Violation[] = [];
  for (const env of envs) {
    if (callsOf(model, env, 'network').length === 0) {
      out.push(violation('endpoints', env.path, 'does not call modules/network'));
      continue;
    }
    const { services, unreadable } = endpointServices(model, env);
    out.push(...unreadable);
    for (const n of needs) {
      if (!(services.get(n.type)?.has(n.service) ?? false)) {
        out.push(violation('endpoints', env.path, `no ${n.type} VPC endpoint for ${n.service}`));
      }
    }
  }
  return out;
};

const OPEN_CIDRS = new Set(['0.0.0.0/0', '::/0']);

/** No path to or from the internet: public access blocks, no gateways or public IPs, no open ingress. */
export const checkNoPublicAccess = (model: TfModel): Violation[] => {
  const out: Violation[] = [];
  const flags = ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets'];
  for (const bucket of instancesOf(model, 'aws_s3_bucket')) {
    const blocks = instancesOf(model, 'aws_s3_bucket_public_access_block').filter(
      (b) => b.block.module === bucket.block.module && refsInstance(b.body['bucket'], bucket),
    );
    if (blocks.length === 0) out.push(violation('public', at(bucket), 'no aws_s3_bucket_public_access_block'));
    for (const b of blocks) {
      for (const f of flags) if (!isTrue(b.body[f])) out.push(violation('public', at(b), `${f} is not true`));
    }
  }
  for (const type of ['aws_internet_gateway', 'aws_egress_only_internet_gateway', 'aws_nat_gateway', 'aws_eip']) {
    for (const b of resources(model, type)) out.push(violation('public', b, `${type} is forbidden (no internet path)`));
  }
  for (const b of resources(model, 'aws_subnet')) {
    if (isTrue(b.body['map_public_ip_on_launch'])) out.push(violation('public', b, 'map_public_ip_on_launch = true'));
  }
  const openCidrs = (v: HclValue | undefined): string[] =>
    asArray(v).filter((c): c is string => typeof c === 'string' && OPEN_CIDRS.has(c));
  for (const sg of resources(model, 'aws_security_group')) {
    for (const rule of nestedWithDynamic(sg.body, 'ingress')) {
      const open = [...openCidrs(rule.body['cidr_blocks']), ...openCidrs(rule.body['ipv6_cidr_blocks'])];
      if (open.length > 0) out.push(violation('public', sg, `ingress open to ${open.join(', ')}`));
    }
  }
  for (const r of resources(model, 'aws_security_group_rule')) {
    const open = [...openCidrs(r.body['cidr_blocks']), ...openCidrs(r.body['ipv6_cidr_blocks'])];
    if (r.body['type'] === 'ingress' && open.length > 0) out.push(violation('public', r, `ingress open to ${open.join(', ')}`));
  }
  for (const r of resources(model, 'aws_vpc_security_group_ingress_rule')) {
    const open = [r.body['cidr_ipv4'], r.body['cidr_ipv6']].filter((c) => typeof c === 'string' && OPEN_CIDRS.has(c));
    if (open.length > 0) out.push(violation('public', r, `ingress open to ${open.map((c) => text(c)).join(', ')}`));
  }
  return out;
};

/** CONTRACT.md: security groups allow HTTPS (443) from the Lambda SG to the endpoint SG only. */
export const checkIngressIsHttpsFromSecurityGroups = (model: TfModel): Violation[] => {
  const out: Violation[] = [];
  const check = (b: Block, rule: HclObject, source: HclValue | undefined, label: string): void => {
    const from = rule['from_port'];
    const to = rule['to_port'];
    if (!(from === 443 && to === 443)) out.push(violation('network', b, `${label} allows ports ${text(from)}-${text(to)}, not 443 only`));
    if (source === undefined || !/security_group/.test(text(source)))
      out.push(violation('network', b, `${label} source is ${text(source) || '(none)'}, not a security group`));
  };
  for (const sg of resources(model, 'aws_security_group')) {
    for (const [i, rule] of nestedWithDynamic(sg.body, 'ingress').entries())
      check(sg, rule.body, rule.body['security_groups'], `ingress[${i}]`);
  }
  for (const r of resources(model, 'aws_security_group_rule')) {
    if (r.body['type'] === 'ingress') check(r, r.body, r.body['source_security_group_id'], 'ingress');
  }
  for (const r of resources(model, 'aws_vpc_security_group_ingress_rule'))
    check(r, r.body, r.body['referenced_security_group_id'], 'ingress');
  return out;
};

// ---------------------------------------------------------------------------------------------
// Lambda and Step Functions

export const checkLambdas = (model: TfModel): Violation[] => {
  const out: Violation[] = [];
  for (const fn of resources(model, 'aws_lambda_function')) {
    const vpc = nested(fn.body, 'vpc_config');
    if (vpc.length === 0 || vpc.some((v) => v['subnet_ids'] === undefined || v['security_group_ids'] === undefined)) {
      out.push(violation('lambda', fn, 'vpc_config with subnet_ids and security_group_ids is missing'));
    }
    const tracing = nested(fn.body, 'tracing_config');
    if (tracing.length === 0 || tracing.some((t) => t['mode'] !== 'Active'))
      out.push(violation('lambda', fn, 'tracing_config { mode = "Active" } is missing'));
    const dlq = nested(fn.body, 'dead_letter_config');
    if (dlq.length === 0 || dlq.some((d) => d['target_arn'] === undefined))
      out.push(violation('lambda', fn, 'dead_letter_config { target_arn } is missing'));
    else if (!dlq.every((d) => /aws_sqs_queue\./.test(text(d['target_arn']))))
      out.push(violation('lambda', fn, 'dead_letter_config target is not an SQS queue of this module'));
    if (fn.body['reserved_concurrent_executions'] === undefined)
      out.push(violation('lambda', fn, 'reserved_concurrent_executions is not set'));
    if (fn.body['kms_key_arn'] === undefined) out.push(violation('lambda', fn, 'kms_key_arn (environment encryption) is not set'));
    if (fn.body['runtime'] !== 'nodejs20.x') out.push(violation('lambda', fn, `runtime is ${text(fn.body['runtime'])}, not nodejs20.x`));
    if (fn.body['handler'] !== 'index.handler')
      out.push(violation('lambda', fn, `handler is ${text(fn.body['handler'])}, not index.handler`));
  }
  return out;
};

/**
 * The names a `templatefile(path, vars)` call passes: the keys of an object literal, or, for
 * `{ for f in var.functions : "${replace(f, "-", "_")}_function_arn" => ... }`, the functions'
 * names rewritten the same way (`functions` read as the caller sets them).
 */
const templateVariables = async (vars: string, functions: readonly string[] | undefined): Promise<string[] | undefined> => {
  const literal = await readLiteral(vars);
  if (typeof literal === 'object' && literal !== null && !Array.isArray(literal)) return Object.keys(literal).sort();
  const forExpr =
    /^\{\s*for\s+(\w+)\s+in\s+(?:toset\()?var\.functions\)?\s*:\s*"\$\{replace\(\s*\1\s*,\s*"-"\s*,\s*"_"\s*\)\}([\w]*)"\s*=>/.exec(vars);
  if (forExpr === null || functions === undefined) return undefined;
  const suffix = forExpr[2] ?? '';
  return functions.map((f) => `${f.replaceAll('-', '_')}${suffix}`).sort();
};

/** The functions list the pipeline module gets in an environment (argument, else the default). */
export const pipelineFunctions = (model: TfModel, env: TfModule): string[] | undefined => {
  const call = callsOf(model, env, 'pipeline')[0];
  const pipeline = moduleOf(model, 'modules/pipeline');
  if (call === undefined || pipeline === undefined) return undefined;
  const value = call.body['functions'] !== undefined ? resolve(env, call.body['functions']) : resolve(pipeline, '${var.functions}');
  return value.known ? literalStrings(value.value) : undefined;
};

export const checkStateMachine = async (
  model: TfModel,
  envs: readonly TfModule[],
  placeholders: readonly string[],
  functionNames: readonly string[],
): Promise<Violation[]> => {
  const out: Violation[] = [];
  const machines = resources(model, 'aws_sfn_state_machine');
  if (machines.length === 0) out.push(violation('state-machine', 'modules/pipeline', 'no aws_sfn_state_machine'));
  const expected = [...placeholders].sort();
  const wanted = [...functionNames].sort();
  for (const env of envs) {
    const fns = pipelineFunctions(model, env);
    if (fns === undefined) {
      out.push(violation('state-machine', env.path, 'cannot read the pipeline module functions list (argument or default)'));
      continue;
    }
    if (JSON.stringify([...fns].sort()) !== JSON.stringify(wanted)) {
      out.push(
        violation('state-machine', env.path, `pipeline functions ${JSON.stringify(fns)} != FUNCTION_NAMES ${JSON.stringify(wanted)}`),
      );
    }
    for (const sm of machines) {
      const args = callArguments(sm.body['definition'], 'templatefile');
      if (args?.length !== 2 || args[1] === undefined) {
        out.push(violation('state-machine', sm, 'definition is not templatefile(path, { ... })'));
        continue;
      }
      const names = await templateVariables(args[1], fns);
      if (names === undefined) out.push(violation('state-machine', sm, `cannot read the templatefile variables: ${args[1].slice(0, 120)}`));
      else if (JSON.stringify(names) !== JSON.stringify(expected)) {
        out.push(
          violation(
            'state-machine',
            sm,
            `templatefile variables ${JSON.stringify(names)} != ASL placeholders ${JSON.stringify(expected)} (${env.path})`,
          ),
        );
      }
    }
  }
  for (const sm of machines) {
    const log = nested(sm.body, 'logging_configuration');
    if (log.length === 0) out.push(violation('state-machine', sm, 'logging_configuration is missing'));
    for (const l of log) {
      if (l['level'] !== 'ALL') out.push(violation('state-machine', sm, `logging level is ${text(l['level'])}, not ALL`));
      if (l['include_execution_data'] !== false)
        out.push(violation('state-machine', sm, 'include_execution_data is not false (execution data holds document ids and summaries)'));
      if (!/aws_cloudwatch_log_group\.[\w-]+(\[[^\]]*\])?\.arn\}:\*$/.test(text(l['log_destination']))) {
        out.push(violation('state-machine', sm, `log_destination ${text(l['log_destination'])} is not "<log group arn>:*"`));
      }
    }
    if (!nested(sm.body, 'tracing_configuration').some((t) => isTrue(t['enabled'])))
      out.push(violation('state-machine', sm, 'tracing_configuration { enabled = true } is missing'));
  }
  return out;
};

// ---------------------------------------------------------------------------------------------
// DynamoDB

export interface TableDefinition {
  readonly BillingMode?: string | undefined;
  readonly AttributeDefinitions?: readonly { AttributeName?: string | undefined; AttributeType?: string | undefined }[] | undefined;
  readonly KeySchema?: readonly { AttributeName?: string | undefined; KeyType?: string | undefined }[] | undefined;
  readonly GlobalSecondaryIndexes?:
    | readonly {
        IndexName?: string | undefined;
        KeySchema?: readonly { AttributeName?: string | undefined; KeyType?: string | undefined }[] | undefined;
        Projection?: { ProjectionType?: string | undefined } | undefined;
      }[]
    | undefined;
}

const keyOf = (schema: TableDefinition['KeySchema'], type: 'HASH' | 'RANGE'): string | undefined =>
  schema?.find((k) => k.KeyType === type)?.AttributeName;

const tableNamedBy = (model: TfModel, outputName: string): Block | undefined =>
  instancesOf(model, 'aws_dynamodb_table').find((t) => t.block.module === 'modules/audit' && roleOutputs(model, t).includes(outputName))
    ?.block;

/** The store table is dynamoTableDefinition exactly; the rate table shares its pk/sk schema. */
export const checkTables = (model: TfModel, definition: TableDefinition): Violation[] => {
  const out: Violation[] = [];
  const store = tableNamedBy(model, 'store_table');
  const rate = tableNamedBy(model, 'rate_table');
  if (store === undefined) out.push(violation('dynamodb', 'modules/audit', 'no aws_dynamodb_table named by output store_table'));
  if (rate === undefined) out.push(violation('dynamodb', 'modules/audit', 'no aws_dynamodb_table named by output rate_table'));
  const attrs = (b: Block): string[] =>
    nested(b.body, 'attribute')
      .map((a) => `${text(a['name'])}:${text(a['type'])}`)
      .sort();
  if (store !== undefined) {
    const b = store.body;
    const expectAttrs = (definition.AttributeDefinitions ?? []).map((a) => `${a.AttributeName ?? ''}:${a.AttributeType ?? ''}`).sort();
    if (JSON.stringify(attrs(store)) !== JSON.stringify(expectAttrs))
      out.push(violation('dynamodb', store, `attributes ${JSON.stringify(attrs(store))} != ${JSON.stringify(expectAttrs)}`));
    if (b['hash_key'] !== keyOf(definition.KeySchema, 'HASH'))
      out.push(violation('dynamodb', store, `hash_key ${text(b['hash_key'])} != ${keyOf(definition.KeySchema, 'HASH') ?? ''}`));
    if (b['range_key'] !== keyOf(definition.KeySchema, 'RANGE'))
      out.push(violation('dynamodb', store, `range_key ${text(b['range_key'])} != ${keyOf(definition.KeySchema, 'RANGE') ?? ''}`));
    if (b['billing_mode'] !== definition.BillingMode)
      out.push(violation('dynamodb', store, `billing_mode ${text(b['billing_mode'])} != ${definition.BillingMode ?? ''}`));
    const gsis = nested(b, 'global_secondary_index');
    const expected = definition.GlobalSecondaryIndexes ?? [];
    if (gsis.length !== expected.length)
      out.push(violation('dynamodb', store, `${gsis.length} GSIs, dynamoTableDefinition has ${expected.length}`));
    for (const e of expected) {
      const g = gsis.find((x) => x['name'] === e.IndexName);
      if (g === undefined) {
        out.push(violation('dynamodb', store, `GSI ${e.IndexName ?? ''} is missing`));
        continue;
      }
      if (g['hash_key'] !== keyOf(e.KeySchema, 'HASH'))
        out.push(violation('dynamodb', store, `GSI ${e.IndexName ?? ''} hash_key ${text(g['hash_key'])}`));
      if (g['range_key'] !== keyOf(e.KeySchema, 'RANGE'))
        out.push(violation('dynamodb', store, `GSI ${e.IndexName ?? ''} range_key ${text(g['range_key'])}`));
      if (g['projection_type'] !== e.Projection?.ProjectionType)
        out.push(violation('dynamodb', store, `GSI ${e.IndexName ?? ''} projection_type ${text(g['projection_type'])}`));
    }
  }
  for (const t of [store, rate]) {
    if (t === undefined) continue;
    if (t !== store) {
      if (t.body['hash_key'] !== 'pk' || t.body['range_key'] !== 'sk') out.push(violation('dynamodb', t, 'rate table keys are not pk/sk'));
      if (JSON.stringify(attrs(t)) !== JSON.stringify(['pk:S', 'sk:S']))
        out.push(violation('dynamodb', t, `rate table attributes ${JSON.stringify(attrs(t))} != ["pk:S","sk:S"]`));
    }
    if (
      !nested(t.body, 'point_in_time_recovery').every((p) => isTrue(p['enabled']) || refsVar(p['enabled'], 'point_in_time_recovery')) ||
      nested(t.body, 'point_in_time_recovery').length === 0
    ) {
      out.push(violation('dynamodb', t, 'point_in_time_recovery is not enabled'));
    }
    if (!refsVar(t.body['deletion_protection_enabled'], 'deletion_protection') && !isTrue(t.body['deletion_protection_enabled'])) {
      out.push(violation('dynamodb', t, 'deletion_protection_enabled is not var.deletion_protection'));
    }
  }
  return out;
};

// ---------------------------------------------------------------------------------------------
// Tags

export const checkTags = (model: TfModel, taggable: ReadonlySet<string>, untaggable: ReadonlySet<string>): Violation[] => {
  const out: Violation[] = [];
  for (const b of resources(model)) {
    if (!b.type.startsWith('aws_')) continue;
    if (taggable.has(b.type)) {
      if (!refsVar(b.body['tags'], 'tags'))
        out.push(violation('tags', b, `tags is ${text(b.body['tags']) || '(unset)'}, not var.tags or merge(var.tags, ...)`));
    } else if (!untaggable.has(b.type)) {
      out.push(violation('tags', b, `${b.type} is in neither the taggable nor the untaggable list of the test: classify it`));
    }
  }
  return out;
};

export const checkDefaultTags = (envs: readonly TfModule[], required: readonly string[]): Violation[] => {
  const out: Violation[] = [];
  for (const env of envs) {
    const aws = providers(env, 'aws');
    if (aws.length === 0) out.push(violation('tags', env.path, 'no provider "aws"'));
    for (const p of aws) {
      const tags = nested(p.body, 'default_tags').map((d) => d['tags']);
      const keys = new Set(tags.flatMap((t) => (typeof t === 'object' && t !== null && !Array.isArray(t) ? Object.keys(t) : [])));
      const missing = required.filter((k) => !keys.has(k));
      if (tags.length === 0) out.push(violation('tags', p, 'no default_tags'));
      else if (missing.length > 0)
        out.push(
          violation(
            'tags',
            p,
            `default_tags lacks ${missing.join(', ')}${tags.some((t) => typeof t === 'string') ? ` (or hides them in ${text(tags[0])})` : ''}`,
          ),
        );
    }
  }
  return out;
};

// ---------------------------------------------------------------------------------------------
// Alarms

export const checkAlarms = (model: TfModel, repoRoot: string): Violation[] => {
  const out: Violation[] = [];
  const alarms = resources(model, 'aws_cloudwatch_metric_alarm');
  if (alarms.length === 0) out.push(violation('alarms', 'modules/observability', 'no aws_cloudwatch_metric_alarm'));
  for (const a of alarms) {
    const d = text(a.body['alarm_description']);
    const m = /Runbook: (docs\/runbooks\/[\w.-]+\.md)$/.exec(d);
    if (m === null)
      out.push(violation('alarms', a, `alarm_description does not end with "Runbook: docs/runbooks/<file>.md": ${d || '(unset)'}`));
    else if (!existsSync(join(repoRoot, m[1] ?? ''))) out.push(violation('alarms', a, `${m[1] ?? ''} does not exist`));
  }
  return out;
};

// ---------------------------------------------------------------------------------------------
// Environments

/** Flattens parsed HCL to path → value; single-block arrays lose their [0]. */
export const flatten = (v: HclValue | undefined, path = '', out = new Map<string, string>()): Map<string, string> => {
  if (Array.isArray(v) && v.every((x) => typeof x === 'object' && x !== null && !Array.isArray(x))) {
    if (v.length === 1) flatten(v[0], path, out);
    else v.forEach((x, i) => flatten(x, `${path}[${i}]`, out));
  } else if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) flatten(x, path === '' ? k : `${path}.${k}`, out);
  } else out.set(path, JSON.stringify(v ?? null));
  return out;
};

export interface AllowedDifference {
  readonly path: RegExp;
  readonly reason: string;
}

/**
 * The environments' .tf files are identical except at the allow-listed paths (`<file>:<path>`),
 * and their terraform.tfvars differ only in the allow-listed variables.
 */
export const checkEnvParity = (
  envs: readonly TfModule[],
  allowedTf: readonly AllowedDifference[],
  allowedVars: readonly AllowedDifference[],
): Violation[] => {
  const out: Violation[] = [];
  const [first, ...rest] = envs;
  if (first === undefined) return out;
  const flatTf = (m: TfModule): Map<string, string> => {
    const all = new Map<string, string>();
    for (const [file, json] of m.parsed) for (const [k, v] of flatten(json)) all.set(`${file}:${k}`, v);
    return all;
  };
  const compare = (
    kind: string,
    base: Map<string, string>,
    other: Map<string, string>,
    env: TfModule,
    allowed: readonly AllowedDifference[],
  ): void => {
    for (const path of new Set([...base.keys(), ...other.keys()])) {
      if (base.get(path) === other.get(path) || allowed.some((a) => a.path.test(path))) continue;
      out.push(
        violation(
          'envs',
          `${env.path} ${kind}`,
          `${path} = ${other.get(path) ?? '(absent)'} but ${first.path} has ${base.get(path) ?? '(absent)'}`,
        ),
      );
    }
  };
  for (const env of rest) {
    compare('.tf', flatTf(first), flatTf(env), env, allowedTf);
    const vars = (m: TfModule): Map<string, string> => new Map(Object.entries(m.tfvars).map(([k, v]) => [k, JSON.stringify(v)]));
    compare('terraform.tfvars', vars(first), vars(env), env, allowedVars);
  }
  for (const env of envs) if (!env.parsed.has('main.tf')) out.push(violation('envs', env.path, 'no main.tf'));
  return out;
};

/** Is a module call instantiated (no count, or a count that resolves to > 0)? undefined: cannot tell. */
const isActive = (env: TfModule, call: Block): boolean | undefined => {
  if (call.body['count'] === undefined) return true;
  const count = resolve(env, call.body['count']);
  return count.known ? typeof count.value === 'number' && count.value > 0 : undefined;
};

const inputOf = (
  model: TfModel,
  env: TfModule,
  moduleName: string,
  name: string,
): { call: Block; value: ReturnType<typeof resolve> } | undefined => {
  const call = callsOf(model, env, moduleName)[0];
  const mod = moduleOf(model, `modules/${moduleName}`);
  if (call === undefined || mod === undefined) return undefined;
  return { call, value: call.body[name] !== undefined ? resolve(env, call.body[name]) : resolve(mod, `\${var.${name}}`) };
};

export interface EnvExpectations {
  readonly deletionProtection: Readonly<Record<string, boolean | undefined>>;
  /** Environments gated by a manual approval (and, implicitly, the ones that must not be). */
  readonly approval: Readonly<Record<string, boolean>>;
}

/** Prod: deletion protection on and the approval gate; dev/staging: no approval. */
export const checkEnvSettings = (model: TfModel, envs: readonly TfModule[], expect: EnvExpectations): Violation[] => {
  const out: Violation[] = [];
  for (const env of envs) {
    const name = basename(env.path);
    const wanted = expect.deletionProtection[name];
    if (wanted === undefined) continue;
    const dp = inputOf(model, env, 'audit', 'deletion_protection');
    if (dp === undefined) out.push(violation('envs', env.path, 'does not call modules/audit'));
    else if (!dp.value.known) out.push(violation('envs', dp.call, `deletion_protection cannot be read: ${dp.value.expr}`));
    else if (dp.value.value !== wanted)
      out.push(violation('envs', dp.call, `deletion_protection resolves to ${text(dp.value.value)}, expected ${String(wanted)}`));
  }
  // The gate lives in the CI pipeline: wherever modules/ci is instantiated, its approval_before list.
  const gates = envs.flatMap((env) => {
    const a = inputOf(model, env, 'ci', 'approval_before');
    if (a === undefined) return [];
    const active = isActive(env, a.call);
    if (active === undefined)
      out.push(violation('envs', a.call, `cannot tell whether it is instantiated: count = ${text(a.call.body['count'])}`));
    return active === false ? [] : [{ env, ...a }];
  });
  if (gates.length === 0) out.push(violation('envs', 'envs', 'no environment instantiates modules/ci, so no approval gate exists'));
  for (const g of gates) {
    if (!g.value.known) {
      out.push(violation('envs', g.call, `approval_before cannot be read: ${g.value.expr}`));
      continue;
    }
    const list = literalStrings(g.value.value) ?? [];
    for (const [env, gated] of Object.entries(expect.approval)) {
      if (list.includes(env) !== gated)
        out.push(
          violation('envs', g.call, `approval_before ${JSON.stringify(list)}: ${env} ${gated ? 'needs' : 'must not need'} approval`),
        );
    }
  }
  return out;
};

/** Relative path of a file to the repository root, '/'-separated (for messages). */
export const repoPath = (repoRoot: string, file: string): string => relative(repoRoot, file).split(sep).join('/');

// ---------------------------------------------------------------------------------------------
// Per-function least privilege (docs/aws.md, "Functions and their permissions")

export interface FunctionPermissions {
  /** What every function may do (table, keys, tracing, own logs, ENIs, DLQ, config read). */
  readonly common: readonly string[];
  /** The extra actions of each function; every one of them must be granted, and nothing else. */
  readonly extra: Readonly<Record<string, readonly string[]>>;
}

const DOCUMENT_ADDRESS = /^(data\.aws_iam_policy_document\.[\w-]+(?:\["[^"]*"\])?)\.(?:minified_)?json$/;

/**
 * The policy document of each function: from the pipeline's role policies keyed by function
 * (`policy = data.aws_iam_policy_document.fn[each.key].json`, or a local map of such references),
 * else from `local.function_policies`. Values are document addresses.
 */
export const functionDocuments = async (model: TfModel): Promise<Map<string, string>> => {
  const pipeline = moduleOf(model, 'modules/pipeline');
  const out = new Map<string, string>();
  if (pipeline === undefined) return out;
  const addressOf = (v: HclValue | undefined): string | undefined => {
    const direct = DOCUMENT_ADDRESS.exec(soleExpression(v) ?? '')?.[1];
    if (direct !== undefined) return direct;
    const viaLocal = resolve(pipeline, v);
    return viaLocal.known ? DOCUMENT_ADDRESS.exec(soleExpression(viaLocal.value) ?? '')?.[1] : undefined;
  };
  for (const policy of pipeline.blocks.filter((b) => b.kind === 'resource' && b.type === 'aws_iam_role_policy')) {
    for (const caller of callers(model, pipeline)) {
      const { instances: insts } = await expandInstances(evalContext(model, pipeline, caller), policy);
      for (const inst of insts) {
        if (inst.key === undefined) continue;
        const { body } = await expandBlock(inst.ctx, { policy: policy.body['policy'] ?? null });
        const address = addressOf(body['policy']);
        if (address !== undefined && !out.has(inst.key)) out.set(inst.key, address);
      }
    }
  }
  const local = pipeline.locals.get('function_policies')?.value;
  if (typeof local === 'object' && local !== null && !Array.isArray(local)) {
    for (const [fn, ref] of Object.entries(local)) {
      const address = addressOf(ref);
      if (address !== undefined && !out.has(fn)) out.set(fn, address);
    }
  }
  return out;
};

/** The Allow actions of each function's policy document (see functionDocuments). */
export const functionActions = async (model: TfModel): Promise<Map<string, Set<string>>> => {
  const { statements } = await policyStatements(model);
  const out = new Map<string, Set<string>>();
  for (const [fn, address] of await functionDocuments(model)) {
    const actions = statements
      .filter((s) => s.effect === 'Allow' && s.module === 'modules/pipeline' && s.document === address)
      .flatMap((s) => literalStrings(s.actions) ?? []);
    out.set(fn, new Set(actions));
  }
  return out;
};

export const checkFunctionPermissions = async (
  model: TfModel,
  functions: readonly string[],
  policy: FunctionPermissions,
): Promise<Violation[]> => {
  const out: Violation[] = [];
  const granted = await functionActions(model);
  const documents = await functionDocuments(model);
  const { unreadableByDocument } = await policyStatements(model);
  for (const fn of functions) {
    const actions = granted.get(fn);
    if (actions === undefined) {
      out.push(
        violation(
          'iam',
          'modules/pipeline',
          `no policy document found for function ${fn} (aws_iam_role_policy keyed by function, or local.function_policies)`,
        ),
      );
      continue;
    }
    // Whatever of the function's document could not be evaluated may grant anything.
    out.push(...(unreadableByDocument.get(`modules/pipeline:${documents.get(fn) ?? ''}`) ?? []));
    const extra = policy.extra[fn] ?? [];
    const allowed = new Set([...policy.common, ...extra]);
    for (const a of [...actions].sort()) {
      if (!allowed.has(a))
        out.push(violation('iam', `modules/pipeline ${fn}`, `grants ${a}, which docs/aws.md does not give this function`));
    }
    for (const a of extra)
      if (!actions.has(a)) out.push(violation('iam', `modules/pipeline ${fn}`, `lacks ${a}, which docs/aws.md gives this function`));
  }
  return out;
};

// ---------------------------------------------------------------------------------------------
// Keys

/** One rotating customer-managed key per classification, and the key_arns output the others consume. */
export const checkKeys = (model: TfModel, classifications: readonly string[]): Violation[] => {
  const out: Violation[] = [];
  const keys = instancesOf(model, 'aws_kms_key');
  for (const k of keys) {
    if (!isTrue(k.body['enable_key_rotation'])) out.push(violation('keys', at(k), 'enable_key_rotation is not true'));
    if (k.body['policy'] === undefined) out.push(violation('keys', at(k), 'no key policy (the default policy grants the whole account)'));
  }
  const inKeys = keys.filter((k) => k.block.module === 'modules/keys').map((k) => k.key ?? '?');
  if (JSON.stringify([...inKeys].sort()) !== JSON.stringify([...classifications].sort())) {
    out.push(
      violation('keys', 'modules/keys', `keys ${JSON.stringify(inKeys)} != one per classification ${JSON.stringify(classifications)}`),
    );
  }
  const mod = moduleOf(model, 'modules/keys');
  if (mod !== undefined && output(mod, 'key_arns') === undefined) out.push(violation('keys', 'modules/keys', 'output key_arns is missing'));
  return out;
};
