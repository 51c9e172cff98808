import { Template } from 'aws-cdk-lib/assertions';
import { platform } from '../../support/synth';

describe('monitoring dashboard', () => {
  it('tells where the model reports are: the key pattern and the registry group whose packages link them', () => {
    const { stacks, config } = platform();
    const dashboards = Template.fromStack(stacks.monitoring).findResources('AWS::CloudWatch::Dashboard');
    const body = JSON.stringify(Object.values(dashboards).map((d) => d.Properties.DashboardBody));
    expect(body).toContain('training/<run id>/report.html');
    expect(body).toContain(`${config.prefix}-${config.stage}-models`);
  });
});
