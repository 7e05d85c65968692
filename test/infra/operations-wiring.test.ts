/** The stack wires the operations constructs (dashboard, alarms, optional notifier and recovery job). */
import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { exampleConfig, synthStack } from './helpers';

const recovery = { hooks: [{ kind: 'repo', owner: 'acme', repo: 'app', hookId: 42 }], intervalMinutes: 15 };

test('the dashboard URL, alarm topic and SNS topic are stack outputs', () => {
  const outputs = synthStack().template.toJSON().Outputs;
  expect(Object.keys(outputs)).toEqual(expect.arrayContaining(['DashboardUrl', 'AlarmTopicArn', 'TopicArn']));
  expect(JSON.stringify(outputs.DashboardUrl.Value)).toContain('cloudwatch/home');
});

test('without recovery config there is no schedule and no GitHub token secret', () => {
  const { template } = synthStack();
  template.resourceCountIs('AWS::Scheduler::Schedule', 0);
  expect(Object.keys(template.toJSON().Outputs)).not.toContain('GitHubTokenSecretName');
});

test('recovery config adds the schedule, the GitHub token secret and its output, and stays cdk-nag clean', () => {
  const { app, template } = synthStack({ recovery });
  template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(15 minutes)' });
  template.hasResourceProperties('AWS::SecretsManager::Secret', {
    Description: Match.stringLikeRegexp('GitHub token'),
  });
  expect(Object.keys(template.toJSON().Outputs)).toContain('GitHubTokenSecretName');
  const violations = new AwsSolutionsChecks().validateScope(app).violations;
  expect(violations.map((v) => v.ruleName)).toEqual([]);
});

test('an ops channel adds the alarm notifier Lambda subscribed to the alarm topic', () => {
  const { template } = synthStack({ opsChannelId: '555555555555555555' });
  template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'lambda' });
});

test('invalid recovery hooks fail synthesis naming the field', () => {
  expect(() => synthStack({ recovery: { hooks: [{ kind: 'repo', owner: 'acme' }], intervalMinutes: 15 } })).toThrow(
    /recovery\.hooks\.0/,
  );
  expect(() => exampleConfig({ opsChannelId: 'general' })).toThrow(/deployment.opsChannelId/);
});
