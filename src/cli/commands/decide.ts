// `docktor decide`: one decision input (CONTRACT §4) on stdin, the decision as JSON on stdout.
import { decide } from '../../decide/index';
import { parseDecisionInput } from '../../decide/input';
import { InputError } from '../../errors';
import type { CliIO } from '../io';

export async function decideCommand(io: CliIO): Promise<number> {
  const text = await io.readStdin();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InputError('input', [{ path: '', message: `not valid JSON (${(e as Error).message}); pass one decision input object on stdin` }]);
  }
  io.out(JSON.stringify(decide(parseDecisionInput(json)), null, 2) + '\n');
  return 0;
}
