// Runs a state machine definition (plain ASL) locally with
// aws-local-stepfunctions, driving it through its JS API (its CLI prints JS
// objects, not JSON). Task states invoke Lambda through the AWS SDK, so
// AWS_ENDPOINT_URL_LAMBDA points them at a local Invoke API.
//
//   node run.mjs definition.json input.json [--wait-ms N] [--retry-ms N]
//
// Progress goes to stderr as JSON lines; the output (or {"error","cause"}
// with exit code 1) to stdout.
import { readFileSync } from 'node:fs';
import { StateMachine } from 'aws-local-stepfunctions';

const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args.splice(i, 2)[1]) : undefined;
};
const waitMs = flag('--wait-ms');
const retryMs = flag('--retry-ms');
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

const machine = new StateMachine(definition, { validationOptions: { checkArn: false, checkPaths: false } });
const execution = machine.run(input, { overrides });
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
