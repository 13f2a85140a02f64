// `docktor decide`: one decision input (CONTRACT §4) on stdin, the decision as JSON on stdout.
// Custom strategy and policy modules run too, relative to the working directory; when one fails
// the decision (a hold saying so) is still printed, and the command exits 1 naming the module.
import { parseDecisionInput } from '../../decide/input';
import { InputError } from '../../errors';
import { decideStep } from '../../extend/decide-step';
import { ModuleHost } from '../../extend/module-host';
import type { CliIO } from '../io';

export async function decideCommand(io: CliIO): Promise<number> {
  const text = await io.readStdin();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InputError('input', [{ path: '', message: `not valid JSON (${(e as Error).message}); pass one decision input object on stdin` }]);
  }
  const input = parseDecisionInput(json);
  const modules = new ModuleHost();
  try {
    const { decision, failure } = await decideStep(input, modules, io.cwd);
    io.out(JSON.stringify(decision, null, 2) + '\n');
    if (failure === null) return 0;
    io.err(`docktor: ${failure.role} ${failure.module}: ${failure.error}\n`);
    return 1;
  } finally {
    modules.close();
  }
}
