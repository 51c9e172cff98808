import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { loadAssembly, resourcesOfType } from '../../../../lib/rules/support/assembly';
import { resolveResource } from '../../../../lib/rules/support/intrinsics';
import { CDK_JSON_CONTEXT } from '../../../support/synth';

describe('loadAssembly', () => {
  it('names each template with its deployed stack name from manifest.json, so weak references resolve', () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'rules-'));
    const app = new App({ outdir, context: CDK_JSON_CONTEXT });
    const key = new kms.Key(new Stack(app, 'DataLake', { stackName: 'Factory-dev-DataLake' }), 'Key');
    new logs.LogGroup(new Stack(app, 'Serving'), 'Logs', { encryptionKey: key });
    const cloudAssembly = app.synth();

    const assembly = loadAssembly(cloudAssembly.stacks.map((s) => s.templateFullPath));

    expect(assembly.stacks.map((s) => s.name).sort()).toEqual(['Factory-dev-DataLake', 'Serving']);
    const [group] = resourcesOfType(assembly, 'AWS::Logs::LogGroup');
    expect(resolveResource(group.resource.Properties?.KmsKeyId, group.stack, assembly)?.stack.name).toBe(
      'Factory-dev-DataLake',
    );
  });
});
