import { apiGatewayEvent, lambdaContext as localContext } from '../../bin/local/lambda-context';

/** An API Gateway REST proxy event (v1), as the Lambda integration delivers it. */
export const apiEvent = apiGatewayEvent;

/** The Lambda context the predict handler tests invoke with. */
export const lambdaContext = localContext({
  functionName: 'predict',
  requestId: 'aws-req-1',
  memoryMiB: 512,
});
