import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * When a terraform binary is on the PATH, the Terraform is checked with `terraform fmt` too (it
 * needs no provider and no network). `terraform validate` needs the AWS provider, which cannot be
 * downloaded here; the policy-as-code suite is what always runs.
 */
const root = path.resolve(import.meta.dirname, '../../infra/terraform');
const env = { ...process.env, TF_CLI_CONFIG_FILE: '/dev/null', CHECKPOINT_DISABLE: '1' };
const terraform = spawnSync('terraform', ['version'], { encoding: 'utf8', env });
const available = terraform.status === 0;
if (!available) console.warn('terraform-fmt: no terraform binary on the PATH; skipping `terraform fmt -check`');

describe.skipIf(!available)('terraform fmt', () => {
  it('finds every .tf file formatted canonically', () => {
    const r = spawnSync('terraform', ['fmt', '-check', '-recursive', '-list=true', root], { encoding: 'utf8', env });
    expect(r.stdout.trim(), 'files terraform fmt would rewrite').toBe('');
    expect(r.status).toBe(0);
  });
});
