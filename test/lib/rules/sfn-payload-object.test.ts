import { Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import {
  checkSfnPayloadObject,
  definitionOf,
  quoteBarePlaceholders,
  statesOf,
} from '../../../lib/rules/sfn-payload-object';
import { renderText } from '../../../lib/rules/support/intrinsics';
import { messages, synthAssembly } from './synth-assembly';

const code = lambda.Code.fromInline('exports.handler = async (e) => e');
const fn = (scope: Construct, id: string) =>
  new lambda.Function(scope, id, { runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code });

/** The training stack's promote step as it was: the evaluation passed on with fromJsonPathAt. */
const promoteFromJsonPath = (scope: Construct, promoteFunction: lambda.IFunction) =>
  new tasks.LambdaInvoke(scope, 'PromoteCandidate', {
    lambdaFunction: promoteFunction,
    payload: sfn.TaskInput.fromJsonPathAt('$.evaluation'),
    payloadResponseOnly: true,
    resultPath: '$.promotion',
  });

function training(chain: (stack: Stack, promote: lambda.IFunction) => sfn.IChainable) {
  return synthAssembly((app) => {
    const stack = new Stack(app, 'Training');
    const promote = fn(stack, 'Promote');
    new sfn.StateMachine(stack, 'Pipeline', {
      definitionBody: sfn.DefinitionBody.fromChainable(chain(stack, promote)),
    });
  });
}

describe('Factory-SfnPayloadObject', () => {
  it('reports LambdaInvoke with payloadResponseOnly and TaskInput.fromJsonPathAt (aws/aws-cdk#34260)', () => {
    const assembly = training((stack, promote) => {
      const evaluate = new tasks.LambdaInvoke(stack, 'EvaluateCandidate', {
        lambdaFunction: fn(stack, 'Evaluate'),
        payload: sfn.TaskInput.fromObject({ 'candidate.$': '$.run.id' }),
        payloadResponseOnly: true,
        resultPath: '$.evaluation',
      });
      return evaluate.next(promoteFromJsonPath(stack, promote));
    });

    expect(messages(checkSfnPayloadObject(assembly))).toEqual([
      expect.stringMatching(
        /^\[Factory-SfnPayloadObject\] Training\/Pipeline[0-9A-F]{8}: Step Functions will refuse the definition at CreateStateMachine \(InvalidDefinition\): state "PromoteCandidate" has "Parameters": "\$\.evaluation", a string where ASL requires a JSON object/,
      ),
    ]);
  });

  it('passes the fixed promote step, whose payload is an object built from the evaluation', () => {
    const assembly = training(
      (stack, promote) =>
        new tasks.LambdaInvoke(stack, 'PromoteCandidate', {
          lambdaFunction: promote,
          payload: sfn.TaskInput.fromObject({
            'better.$': '$.evaluation.better',
            'candidate.$': '$.evaluation.candidate',
          }),
          payloadResponseOnly: true,
          resultPath: '$.promotion',
        }),
    );

    expect(messages(checkSfnPayloadObject(assembly))).toEqual([]);
  });

  it('walks Parallel branches and Map item processors', () => {
    const assembly = training((stack, promote) => {
      const parallel = new sfn.Parallel(stack, 'Both').branch(promoteFromJsonPath(stack, promote));
      const map = new sfn.Map(stack, 'EachShard', { itemsPath: '$.shards' }).itemProcessor(
        new tasks.LambdaInvoke(stack, 'Shard', {
          lambdaFunction: promote,
          payload: sfn.TaskInput.fromJsonPathAt('$.shard'),
          payloadResponseOnly: true,
        }),
      );
      return parallel.next(map);
    });

    expect(messages(checkSfnPayloadObject(assembly))).toEqual([
      expect.stringContaining(
        'state "Both > Branches[0] > PromoteCandidate" has "Parameters": "$.evaluation"',
      ),
      expect.stringContaining('state "EachShard > ItemProcessor > Shard" has "Parameters": "$.shard"'),
    ]);
  });

  it('reports a custom state whose ResultSelector is a string', () => {
    const assembly = training(
      (stack) =>
        new sfn.CustomState(stack, 'TrainOnSageMaker', {
          stateJson: {
            Type: 'Task',
            Resource: 'arn:aws:states:::sagemaker:createTrainingJob.sync',
            Parameters: { 'TrainingJobName.$': '$.run.id' },
            ResultSelector: '$.TrainingJobName',
          },
        }),
    );

    expect(messages(checkSfnPayloadObject(assembly))).toEqual([
      expect.stringContaining('state "TrainOnSageMaker" has "ResultSelector": "$.TrainingJobName", a string'),
    ]);
  });

  describe('rendering a DefinitionString', () => {
    it('quotes placeholders that stand where a value goes and leaves those inside strings alone', () => {
      expect(quoteBarePlaceholders('{"a":${Fn.Arn},"b":"x${Ref}y","c":"q\\"${z}"}')).toBe(
        '{"a":"${Fn.Arn}","b":"x${Ref}y","c":"q\\"${z}"}',
      );
    });

    it('parses an Fn::Join of text and tokens, including a token rendered as a bare number', () => {
      const stack = { name: 'Training', templatePath: '/t.json', template: {} };
      const definitionString = {
        'Fn::Join': [
          '',
          [
            '{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"',
            { 'Fn::GetAtt': ['Fn', 'Arn'] },
            '","TimeoutSeconds":',
            { Ref: 'Timeout' },
            ',"End":true}}}',
          ],
        ],
      };

      const parsed = definitionOf({ DefinitionString: definitionString }, (value) =>
        renderText(value, stack, { stacks: [stack] }),
      );

      expect(parsed).toEqual({
        definition: {
          StartAt: 'A',
          States: { A: { Type: 'Task', Resource: '${Fn.Arn}', TimeoutSeconds: '${Timeout}', End: true } },
        },
      });
    });

    it('lists nested states with their paths', () => {
      const definition = {
        States: {
          P: { Type: 'Parallel', Branches: [{ States: { A: { Type: 'Pass' } } }] },
          M: { Type: 'Map', Iterator: { States: { B: { Type: 'Pass' } } } },
        },
      };

      expect(statesOf(definition).map((s) => s.path)).toEqual([
        'P',
        'P > Branches[0] > A',
        'M',
        'M > Iterator > B',
      ]);
    });

    it('reports a definition that is not JSON once its tokens are filled in', () => {
      const template = {
        Resources: {
          Machine: {
            Type: 'AWS::StepFunctions::StateMachine',
            Properties: { DefinitionString: '{"States": {' },
          },
        },
      };

      expect(
        messages(
          checkSfnPayloadObject({ stacks: [{ name: 'Training', templatePath: '/t.json', template }] }),
        ),
      ).toEqual([
        expect.stringContaining(
          '[Factory-SfnPayloadObject] Training/Machine: Step Functions will refuse the definition (InvalidDefinition): it is not JSON',
        ),
      ]);
    });
  });
});
