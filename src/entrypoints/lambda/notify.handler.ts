import { loadAwsTaskHandlers } from './aws-runtime.js';
import { createLambdaHandler } from './handler-kit.js';

export const handler = createLambdaHandler('notify', loadAwsTaskHandlers);
