import { ROLES } from './accounts';
import { hashPassword } from './password-hash';

interface Input extends NodeJS.ReadableStream {
  isTTY?: boolean;
  setRawMode?: (raw: boolean) => unknown;
}
export interface CliIo {
  stdin: Input;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

const USAGE = `usage: pnpm hash-password NAME ROLE      (ROLE: ${ROLES.join(' or ')})
  asks for the password (not echoed), or reads its first line from stdin when stdin is not a terminal,
  and prints the DASHBOARD_USERS entry NAME:scrypt$N$r$p$salt$hash:ROLE`;
const MIN_PASSWORD = 8;

/**
 * Lines typed at a terminal in raw mode, so nothing is echoed: Enter ends a line, Backspace
 * deletes, Ctrl-C or Ctrl-D cancels. Keys typed (or pasted) ahead wait for the next line.
 */
function hiddenLines(io: CliIo) {
  let pending = '';
  let waiting: (() => void) | undefined;
  const onData = (chunk: Buffer | string) => {
    pending += chunk.toString('utf8');
    waiting?.();
  };
  io.stdin.setRawMode!(true);
  io.stdin.on('data', onData);
  io.stdin.resume();
  return {
    async read(prompt: string): Promise<string> {
      io.stderr.write(prompt);
      let typed = '';
      for (;;) {
        while (pending === '') await new Promise<void>((resolve) => { waiting = resolve; });
        const keys = [...pending];
        pending = '';
        for (const [i, ch] of keys.entries()) {
          if (ch === '\r' || ch === '\n') {
            pending = keys.slice(i + 1).join('');
            io.stderr.write('\n');
            return typed;
          }
          if (ch === '\u0003' || ch === '\u0004') {
            io.stderr.write('\n');
            throw new Error('cancelled');
          }
          typed = ch === '\u007f' || ch === '\b' ? [...typed].slice(0, -1).join('') : typed + ch;
        }
      }
    },
    close() {
      io.stdin.removeListener('data', onData);
      io.stdin.setRawMode!(false);
      io.stdin.pause();
    },
  };
}

/** The first line of stdin (a pipe or a file), without its line ending. */
async function readFirstLine(stdin: Input): Promise<string> {
  let text = '';
  for await (const chunk of stdin) {
    text += chunk.toString();
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/)[0] ?? '';
}

/** `pnpm hash-password NAME ROLE`: the exit code (0 printed an entry, 1 refused the password, 2 bad usage). */
export async function runHashPassword(args: string[], io: CliIo): Promise<number> {
  const [name, role, ...extra] = args;
  if (!name || !role || extra.length || !/^[A-Za-z0-9._@-]{1,64}$/.test(name) || !(ROLES as readonly string[]).includes(role)) {
    io.stderr.write(`${USAGE}\n  NAME: 1 to 64 letters, digits, . _ @ -\n`);
    return 2;
  }
  let password: string;
  try {
    if (io.stdin.isTTY && io.stdin.setRawMode) {
      const lines = hiddenLines(io);
      try {
        password = await lines.read(`Password for ${name}: `);
        if ((await lines.read('Again: ')) !== password) {
          io.stderr.write('hash-password: the two passwords differ\n');
          return 1;
        }
      } finally {
        lines.close();
      }
    } else {
      password = await readFirstLine(io.stdin);
    }
  } catch {
    io.stderr.write('hash-password: cancelled\n');
    return 1;
  }
  if ([...password].length < MIN_PASSWORD) {
    io.stderr.write(`hash-password: the password needs at least ${MIN_PASSWORD} characters\n`);
    return 1;
  }
  io.stdout.write(`${name}:${await hashPassword(password)}:${role}\n`);
  return 0;
}
