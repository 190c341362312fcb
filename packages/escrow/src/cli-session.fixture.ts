/**
 * For tests: one long-lived child process that runs escrow CLI commands one after another, so that a
 * ceremony of twenty commands pays Node's, tsx's and ethers' start-up (about a second of CPU each)
 * once instead of twenty times. Each command goes through runEscrowCli, the function the `escrow`
 * bin and `node cli.ts` call with their argv, in the working directory the test names, and comes
 * back with its exit code and everything it wrote on stdout and stderr.
 *
 * The parent forks this file with tsx's loader and sends `{ id, args, cwd }` over the IPC channel;
 * the answer is `{ id, code, stdout, stderr }`. Commands run strictly in turn: each one chdirs.
 */
import { runEscrowCli } from './cli.js';

interface Command {
  id: number;
  args: string[];
  cwd: string;
}

let queue: Promise<void> = Promise.resolve();

async function execute({ id, args, cwd }: Command): Promise<void> {
  let stdout = '';
  let stderr = '';
  process.chdir(cwd);
  const code = await runEscrowCli(args, {
    stdout: (line) => void (stdout += line + '\n'),
    stderr: (line) => void (stderr += line + '\n'),
  });
  process.send!({ id, code, stdout, stderr });
}

process.on('message', (command: Command) => {
  queue = queue.then(() => execute(command));
});
// The parent closes the channel when it is done; nothing else keeps this process alive.
process.on('disconnect', () => process.exit(0));
