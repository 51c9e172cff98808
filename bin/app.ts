#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { ConfigError, configFromContext } from '../lib/config';
import { addPolicyChecks } from '../lib/policy-checks';
import { declareDeployment } from '../lib/stacks/pipeline-stack';

const app = new App();
try {
  const config = configFromContext(app.node.getAllContext());
  // The platform's stacks, or (factory.pipeline.enabled) the pipeline that deploys them.
  declareDeployment(app, config);
} catch (error) {
  if (error instanceof ConfigError) {
    // One clear message and a non-zero exit: no stack trace for a config typo.
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
addPolicyChecks(app);
