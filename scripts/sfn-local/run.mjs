// Runs a state machine definition (plain ASL) locally with
// aws-local-stepfunctions, driving it through its JS API (its CLI prints JS
// objects, not JSON). Task states invoke Lambda through the AWS SDK, so
// AWS_ENDPOINT_URL_LAMBDA points them at a local Invoke API.
//
//   node run.mjs definition.json input.json [--wait-ms N] [--retry-ms N] [--task-endpoint URL]
//
// aws-local-stepfunctions runs every Task as a plain invoke of its
// Resource; a Task with arn:aws:states:::lambda:invoke.waitForTaskToken is
// given a local handler instead (with --task-endpoint, a sfnlocal.Tasks
// server): it invokes the Task's FunctionName with its Payload, whose
// $$.Task.Token is one token per execution, then waits on the server until a
// function completes the token (SendTaskSuccess/SendTaskFailure) or a test
// expires it (States.Timeout, as the Task's TimeoutSeconds would).
//
// Progress goes to stderr as JSON lines; the output (or {"error","cause"}
// with exit code 1) to stdout.
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { StateMachine } from 'aws-local-stepfunctions';
import { LambdaClient, InvokeCommand } from '@aws-sdk/client-lambda';

const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args.splice(i, 2)[1]) : undefined;
};
const waitMs = flag('--wait-ms');
const retryMs = flag('--retry-ms');
const taskEndpointIndex = args.indexOf('--task-endpoint');
const taskEndpoint = taskEndpointIndex >= 0 ? args.splice(taskEndpointIndex, 2)[1] : undefined;
const [definitionFile, inputFile] = args;
const definition = JSON.parse(readFileSync(definitionFile, 'utf8'));
const input = JSON.parse(readFileSync(inputFile === '-' || !inputFile ? 0 : inputFile, 'utf8'));

// Every Wait and every retrier, when overridden, waits the given milliseconds.
const overrides = {};
const states = [];
const collect = (def) => {
  for (const [name, state] of Object.entries(def.States ?? {})) {
    states.push([name, state]);
    if (state.ItemProcessor) collect(state.ItemProcessor);
    if (state.Iterator) collect(state.Iterator);
    for (const branch of state.Branches ?? []) collect(branch);
  }
};
collect(definition);
if (waitMs !== undefined) {
  overrides.waitTimeOverrides = Object.fromEntries(states.filter(([, s]) => s.Type === 'Wait').map(([n]) => [n, waitMs]));
}
if (retryMs !== undefined) {
  overrides.retryIntervalOverrides = Object.fromEntries(states.filter(([, s]) => s.Retry).map(([n]) => [n, retryMs]));
}

const token = randomUUID();
const context = { Task: { Token: token } };
if (taskEndpoint !== undefined) {
  const waits = states.filter(([, s]) => s.Type === 'Task' && String(s.Resource).endsWith('.waitForTaskToken'));
  overrides.taskResourceLocalHandlers = Object.fromEntries(waits.map(([name]) => [name, async (input) => {
    await fetch(`${taskEndpoint}/tasks/open?token=${token}`, { method: 'POST' });
    const invoked = await new LambdaClient({}).send(new InvokeCommand({
      FunctionName: input.FunctionName, Payload: new TextEncoder().encode(JSON.stringify(input.Payload)) }));
    if (invoked.FunctionError) {
      const result = JSON.parse(new TextDecoder().decode(invoked.Payload));
      const err = new Error(`${result.errorType}: ${result.errorMessage}`);
      err.name = result.errorType;
      throw err;
    }
    const outcome = await (await fetch(`${taskEndpoint}/tasks/wait?token=${token}`)).json();
    if (outcome.error) {
      const err = new Error(outcome.cause ?? '');
      err.name = outcome.error;
      throw err;
    }
    return outcome.output;
  }]));
}

const machine = new StateMachine(definition, { validationOptions: { checkArn: false, checkPaths: false } });
const execution = machine.run(input, { overrides, context });
// A failed Lambda task's Cause arrives as the function's error object
// ({errorType, errorMessage}), not as text: print its message.
const text = (cause) => {
  if (typeof cause === 'string') return cause;
  if (cause && typeof cause === 'object' && typeof cause.errorMessage === 'string') return cause.errorMessage;
  return JSON.stringify(cause);
};
// StateRetried events carry no error: name the one of the failure retried.
const lastError = new Map();
const progress = (async () => {
  for await (const event of execution.eventLogs) {
    const line = { type: event.type };
    if (event.state) line.state = event.state.name;
    if (event.index !== undefined) line.index = event.index;
    const error = event.Error ?? event.error;
    if (error) line.error = error;
    const cause = event.Cause ?? event.cause;
    if (cause !== undefined && cause !== null && cause !== '') line.cause = text(cause);
    if (event.type === 'StateFailed' && line.state) lastError.set(line.state, line.error);
    if (event.type === 'StateRetried' && !line.error && lastError.has(line.state)) line.error = lastError.get(line.state);
    process.stderr.write(JSON.stringify(line) + '\n');
  }
})();
try {
  const output = await execution.result;
  await progress.catch(() => {});
  process.stdout.write(JSON.stringify(output) + '\n');
} catch (err) {
  await progress.catch(() => {});
  // ExecutionError wraps what ended the run: a Fail state's Error and Cause, or an uncaught error.
  const failure = err.cause ?? err;
  process.stdout.write(JSON.stringify({ error: failure.name, cause: failure.message }) + '\n');
  process.exitCode = 1;
}
