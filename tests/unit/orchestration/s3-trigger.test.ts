import { describe, expect, it } from 'vitest';
import { applyInputTransformer, S3_INPUT_TRANSFORMER, s3EventPattern } from '../../../src/orchestration/s3-trigger.js';

/** An "Object Created" event as S3 sends it to EventBridge (the documented shape). */
const event = (key: string, size = 1024) => ({
  version: '0',
  id: '17793124-05d4-b198-2fde-7ededc63b103',
  'detail-type': 'Object Created',
  source: 'aws.s3',
  account: '123456789012',
  time: '2026-11-29T08:00:00Z',
  region: 'eu-west-1',
  resources: ['arn:aws:s3:::docroute-inbox'],
  detail: {
    version: '0',
    bucket: { name: 'docroute-inbox' },
    object: { key, size, etag: 'b1946ac92492d2347c6235b4d2611184', sequencer: '00617F08299329D189' },
    'request-id': 'N4N7GDK58NMKJ12R',
    requester: '123456789012',
    reason: 'PutObject',
  },
});

describe('the S3 upload trigger', () => {
  it('turns an Object Created event into a batch of one document', () => {
    expect(applyInputTransformer(S3_INPUT_TRANSFORMER, event('inbox/invoice 7.pdf', 2048))).toEqual({
      batchId: 's3-17793124-05d4-b198-2fde-7ededc63b103',
      documents: [{ bucket: 'docroute-inbox', key: 'inbox/invoice 7.pdf', size: 2048 }],
    });
  });

  it('keeps a key with quotes and backslashes valid JSON (escaped, not injected)', () => {
    const input = applyInputTransformer(S3_INPUT_TRANSFORMER, event('inbox/a"b\\c.pdf')) as { documents: { key: string }[] };
    expect(input.documents[0]?.key).toBe('inbox/a"b\\c.pdf');
  });

  it('matches uploads in the inbox within the size limit only', () => {
    const pattern = s3EventPattern({ bucket: 'docroute-inbox', prefix: 'inbox/', maxBytes: 50 * 1024 * 1024 });
    expect(pattern.detail.object.key).toEqual([{ prefix: 'inbox/' }]);
    expect(pattern.detail.object.size).toEqual([{ numeric: ['>', 0, '<=', 52428800] }]);
    expect(pattern['detail-type']).toEqual(['Object Created']);
  });
});
